"""`roundup inbox`: replies dropped into a Maildir or an mbox become answers, approvals and change requests;
everything else is set aside with nothing recorded; a second run, a dry run or a kill records nothing twice."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import mailbox
import os
import re
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

from conftest import Site, plain_text, run_roundup_env, tree_bytes
from roundup import tokens

SOON = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=10)
TOKEN = re.compile(r"ru2[a-z2-7]{44}")
OUTCOME = re.compile(r"^  (answer|approval|change request|not taking part|comment|needs reading)\s+(.*)$", re.M)


@pytest.fixture
def round_trip(site: Site) -> Site:
    """alpha asks zoe, sam and lee; sam's quote file has a prompt and a note but no words yet."""
    site.config()
    for cid, name in (("zoe", "Zoë Quill"), ("sam", "Sam Reyes"), ("lee", "Lee Park")):
        site.contributor(cid, name, email=f"{cid}@example.net")
    site.quote("alpha", "sam", "", prompt="What keeps a partnership alive?", note="Sam, your talk is why.")
    site.post("alpha", title="Alpha Roundup", deadline=SOON, voices=["zoe", "sam", "lee"],
              prompt="What makes a partnership last?")
    site.ok("invite", "alpha")
    return site


def sent(site: Site, rel: str) -> EmailMessage:
    return email.message_from_bytes((site.root / rel).read_bytes(), policy=email.policy.default)


def reply(original: EmailMessage, words: str, sender: str | None = None, thread: bool = True,
          quote: bool = True) -> bytes:
    """A top-posted plain-text reply to one of roundup's messages, quoting it below "On … wrote:"."""
    msg = EmailMessage()
    msg["From"] = sender or str(original["To"])
    msg["To"] = str(original["From"])
    msg["Subject"] = "Re: " + str(original["Subject"])
    msg["Message-ID"] = make_msgid(domain="example.net")
    if thread:
        msg["In-Reply-To"] = str(original["Message-ID"])
        msg["References"] = str(original["Message-ID"])
    quoted = "\n".join("> " + line for line in plain_text(original).splitlines())
    msg.set_content(words + (f"\n\nOn Tue, 1 Dec 2026 at 10:00, {original['From']} wrote:\n{quoted}\n" if quote else "\n"))
    return bytes(msg)


def button(original: EmailMessage, label: str, sender: str | None = None, words: str = "") -> bytes:
    """The message a mail client writes from one of the preview's mailto: buttons, sent as it is (with `words`
    typed into the room the button leaves for them)."""
    link = next(line.split(": ", 1)[1] for line in plain_text(original).splitlines() if line.startswith(f"{label}: "))
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    msg = EmailMessage()
    msg["From"] = sender or str(original["To"])
    msg["To"] = unquote(parts.path)
    msg["Subject"] = query["subject"][0]
    msg["Message-ID"] = make_msgid(domain="example.net")
    msg.set_content(query["body"][0].replace("\n\n\n\n", f"\n\n{words}\n\n", 1) if words else query["body"][0])
    return bytes(msg)


def maildir(site: Site, *messages: bytes, name: str = "Maildir") -> Path:
    box = mailbox.Maildir(site.root.parent / name, create=True)
    for raw in messages:
        box.add(raw)
    return Path(box._path)


def inbox(site: Site, folder: Path, *more: str) -> list[tuple[str, str]]:
    result = site.ok("inbox", "--maildir", folder, *more)
    return OUTCOME.findall(result.stdout)


def consent_files(site: Site) -> dict[str, bytes]:
    return {k: v for k, v in tree_bytes(site.root / "posts").items()}


def test_answers_fill_the_quote_files_keeping_their_front_matter(round_trip: Site):
    site = round_trip
    zoe, sam = sent(site, "_previews/zoe/alpha-invitation.eml"), sent(site, "_previews/sam/alpha-invitation.eml")
    folder = maildir(site, reply(zoe, "Partnerships last when both sides\nkeep showing up."),
                     reply(sam, "Trust, mostly.\n\nAnd a shared calendar.\n\n-- \nSam Reyes | sam.example"))
    outcomes = sorted(inbox(site, folder))
    assert outcomes[0][0] == outcomes[1][0] == "answer", outcomes
    assert re.fullmatch(r"sam answered for alpha \(from sam@example\.net, “Re: An invitation: .*”\)", outcomes[0][1])
    assert site.read("posts/alpha/quotes/zoe.md") == "Partnerships last when both sides\nkeep showing up.\n"
    assert site.read("posts/alpha/quotes/sam.md") == ("---\nprompt: What keeps a partnership alive?\nnote: Sam, your "
                                                      "talk is why.\n---\nTrust, mostly.\n\nAnd a shared calendar.\n")
    assert "answered_at" in yaml.safe_load(site.read("posts/alpha/approvals.yml"))["zoe"]
    assert site.states("alpha") == {"zoe": "pending", "sam": "pending", "lee": "unanswered"}
    before = consent_files(site)
    again = site.ok("inbox", "--maildir", folder).stdout
    assert OUTCOME.findall(again) == [] and "2 read before" in again and consent_files(site) == before
    second = maildir(site, reply(zoe, "Actually, let me rephrase: showing up is all."), name="Later")
    assert inbox(site, second) == [("needs reading", "a second answer from zoe in alpha: posts/alpha/quotes/zoe.md has "
                                    "their words already and was not changed (from zoe@example.net, “Re: An "
                                    "invitation: your voice in “Alpha Roundup””)")]
    assert consent_files(site) | {"alpha/approvals.yml": b""} == before | {"alpha/approvals.yml": b""}


def test_an_html_only_answer_keeps_its_bold_and_italics_and_never_its_markup(round_trip: Site):
    site = round_trip
    zoe = sent(site, "_previews/zoe/alpha-invitation.eml")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = str(zoe["To"]), str(zoe["From"]), "Re: " + str(zoe["Subject"])
    msg["Message-ID"], msg["In-Reply-To"] = make_msgid(domain="example.net"), str(zoe["Message-ID"])
    msg.set_content('<div dir="ltr">Partnerships last when <b>both</b> sides keep <i>showing</i> up, '
                    'un<strong>believ</strong>ably. &lt;script&gt;alert(1)&lt;/script&gt;</div>', subtype="html")
    assert [kind for kind, _ in inbox(site, maildir(site, bytes(msg)))] == ["answer"]
    words = "Partnerships last when **both** sides keep *showing* up, un**believ**ably. <script>alert(1)</script>"
    assert site.read("posts/alpha/quotes/zoe.md") == words + "\n"
    site.quote("alpha", "sam", "Trust.\n")
    site.quote("alpha", "lee", "Time.\n")
    site.approve_all("alpha")
    site.build()
    page = site.page("posts/alpha/index.html")
    assert "when <strong>both</strong> sides keep <em>showing</em> up, un<strong>believ</strong>ably." in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def answered(site: Site) -> Site:
    """zoe and sam have answered and been sent previews."""
    site.quote("alpha", "zoe", "Showing up.\n")
    site.quote("alpha", "sam", "Trust.\n", prompt="What keeps a partnership alive?")
    site.ok("preview", "--post", "alpha")
    return site


def test_the_approve_button_approves_a_reply_quoting_the_preview_is_a_comment_and_the_changes_button_asks(
        round_trip: Site):
    site = answered(round_trip)
    zoe, sam = sent(site, "_previews/zoe/alpha.eml"), sent(site, "_previews/sam/alpha.eml")
    comment = reply(sam, "Could you cut the word 'mostly'?\nThanks!")
    assert TOKEN.search(comment.decode())  # the quoted preview carries sam's token: it must not count
    folder = maildir(site, button(zoe, "Approve"), comment)
    outcomes = dict((why.split()[1 if kind == "comment" else 0], kind) for kind, why in inbox(site, folder))
    assert outcomes == {"zoe": "approval", "sam": "comment"}
    assert site.states("alpha") == {"zoe": "approved", "sam": "pending", "lee": "unanswered"}
    assert yaml.safe_load(site.read("posts/alpha/approvals.yml"))["sam"]["comment"] == \
        "Could you cut the word 'mostly'?"
    asks = button(sam, "Ask for changes", words="Could you cut the word 'mostly'?")
    assert inbox(site, maildir(site, asks, name="Asks"))[0][0] == "change request"
    assert site.states("alpha") == {"zoe": "approved", "sam": "declined", "lee": "unanswered"}
    record = yaml.safe_load(site.read("posts/alpha/approvals.yml"))
    assert record["zoe"]["via"] == "mail" and record["sam"]["reason"] == "Could you cut the word 'mostly'?"
    assert "declined" in site.ok("status").stdout.split("sam", 1)[1].splitlines()[0]
    site.quote("alpha", "sam", "Trust.\n", prompt="What keeps a partnership alive?")
    site.ok("preview", "sam")
    text = plain_text(sent(site, "_previews/sam/alpha.eml"))
    assert re.search(r"On \w+ \d+, \d{4} you asked for changes:\n\n> Could you cut the word 'mostly'\?\n\n", text)


def test_a_code_from_another_address_is_set_aside_with_the_command_that_would_approve(round_trip: Site):
    site = answered(round_trip)
    folder = maildir(site, button(sent(site, "_previews/zoe/alpha.eml"), "Approve", sender="zq@work.example"))
    [(kind, why)] = inbox(site, folder)
    assert kind == "needs reading" and "comes from zq@work.example, not the address in contributors/zoe.yml: if it is " \
        "theirs, run roundup approve --token ru2" in why
    assert site.states("alpha")["zoe"] == "pending"


def site_secret(site: Site) -> bytes:
    return (site.root / ".roundup/secret").read_bytes().strip()


def test_hostile_and_stray_mail_is_set_aside_with_nothing_recorded(round_trip: Site):
    site = answered(round_trip)
    site.add_post("beta", ["zoe", "sam"], title="Beta Roundup", deadline=SOON)
    site.ok("preview", "--post", "beta")
    zoe, sam = sent(site, "_previews/zoe/alpha.eml"), sent(site, "_previews/sam/alpha.eml")
    zoe_token, sam_token = TOKEN.search(plain_text(zoe)).group(0), TOKEN.search(plain_text(sam)).group(0)
    beta_token = TOKEN.search(plain_text(sent(site, "_previews/zoe/beta.eml"))).group(0)
    expired = tokens.make(site_secret(site), tokens.Claims("zoe", "alpha", "0" * 16,
                                                           dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)))
    forged = zoe_token[:-6] + ("a" if zoe_token[-6] != "a" else "b") + zoe_token[-5:]
    auto = EmailMessage()
    auto["From"], auto["To"], auto["Subject"] = "zoe@example.net", "ed@example.com", "Out of office"
    auto["Auto-Submitted"], auto["In-Reply-To"] = "auto-replied", str(zoe["Message-ID"])
    auto.set_content("I am away until Monday.")
    big = EmailMessage()
    big["From"], big["Subject"], big["Message-ID"] = "zoe@example.net", "huge", "<huge@example.net>"
    big.set_content("x" * 100 + "\n" + ("y" * 76 + "\n") * 150_000)
    cases = {
        "forged": reply(zoe, f"Approved: {forged}"),
        "someone else's": reply(zoe, f"Approved: {sam_token}"),
        "another post's": reply(zoe, f"Approved: {beta_token}"),
        "expired": reply(zoe, f"Approved: {expired}"),
        "stranger": reply(zoe, "Hello, who are you?", sender="stranger@elsewhere.example", thread=False, quote=False),
        "auto": bytes(auto),
        "big": bytes(big),
        "broken mime": (b"From: zoe@example.net\r\nSubject: broken\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n"
                        b"\r\n--x\r\nContent-Type: text/plain; charset=nonesuch\r\nContent-Transfer-Encoding: base64"
                        b"\r\n\r\n!!!notbase64\r\n"),
    }
    before = consent_files(site)
    folder = maildir(site, *cases.values())
    outcomes = inbox(site, folder)
    assert [kind for kind, _ in outcomes] == ["needs reading"] * len(cases), outcomes
    text = "\n".join(why for _, why in outcomes)
    assert "its code cannot decide anything: this token is not valid" in text
    assert "its code is sam's for alpha, but it replies to the message to zoe about alpha" in text
    assert "its code is zoe's for beta, but it replies to the message to zoe about alpha" in text
    assert "this token expired on 2021-01-01" in text
    assert "stranger@elsewhere.example is no contributor's address" in text
    assert re.search(r"it is 1\d MB, over the 10 MB roundup reads, so it was not read", text), text
    assert consent_files(site) == before
    assert "\r" not in text
    yes = inbox(site, maildir(site, reply(zoe, "Looks good, thanks!"), name="Yes"))
    assert yes == [("comment", "from zoe in alpha, kept as their comment (it reads like a yes but carries no "
                               "approval code: if you are sure, run roundup approve zoe alpha) (from zoe@example.net, "
                               "“Re: Please review your words in “Alpha Roundup””)")]
    assert site.states("alpha")["zoe"] == "pending"  # a comment decides nothing


def test_dry_run_says_everything_and_writes_nothing(round_trip: Site):
    site = round_trip
    folder = maildir(site, reply(sent(site, "_previews/zoe/alpha-invitation.eml"), "My answer."))
    before = tree_bytes(site.root)
    result = site.ok("inbox", "--maildir", folder, "--dry-run")
    assert OUTCOME.findall(result.stdout)[0][0] == "answer" and "Dry run: nothing was written." in result.stdout
    assert tree_bytes(site.root) == before
    assert site.run("inbox").returncode == 2
    assert site.run("inbox", "--maildir", folder, "--mbox", folder).returncode == 2


def test_an_mbox_is_read_as_the_maildir_is(round_trip: Site):
    site = round_trip
    path = site.root.parent / "replies.mbox"
    box = mailbox.mbox(path)
    box.add(reply(sent(site, "_previews/lee/alpha-invitation.eml"), "Lee's answer."))
    box.flush()
    result = site.ok("inbox", "--mbox", path)
    assert OUTCOME.findall(result.stdout)[0][0] == "answer"
    assert site.read("posts/alpha/quotes/lee.md") == "Lee's answer.\n"


def test_killed_at_any_moment_inbox_loses_nothing_and_a_rerun_finishes(round_trip: Site):
    site = answered(round_trip)
    lee = sent(site, "_previews/lee/alpha-invitation.eml")
    messages = [button(sent(site, "_previews/zoe/alpha.eml"), "Approve"),
                button(sent(site, "_previews/sam/alpha.eml"), "Ask for changes", words="Shorter, please."),
                reply(lee, "Lee's words.")]
    folder = maildir(site, *messages)
    pristine = {p: p.read_bytes() for p in (site.root / "posts").rglob("*") if p.is_file()}
    site.ok("inbox", "--maildir", folder)
    finished = consent_files(site)
    env = dict(os.environ)
    env.pop("ROUNDUP_SECRET", None)
    for delay in (0.05, 0.15, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3):
        for path in (site.root / "posts").rglob("*"):
            if path.is_file() and path not in pristine:
                path.unlink()
        for path, data in pristine.items():
            path.write_bytes(data)
        (site.root / "inbox-handled.txt").unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-m", "roundup", "inbox", "--maildir", str(folder)], cwd=site.root,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for path in (site.root / "posts").rglob("*.yml"):
            yaml.safe_load(path.read_text())  # never half-written
        site.ok("inbox", "--maildir", folder)
        now = consent_files(site)
        assert set(now) == set(finished), delay
        assert site.states("alpha") == {"zoe": "approved", "sam": "declined", "lee": "pending"}, delay
        assert site.read("posts/alpha/quotes/lee.md") == "Lee's words.\n"
        lines = [line for line in site.read("inbox-handled.txt").splitlines() if not line.startswith("#")]
        assert len({line.split("\t")[0] for line in lines if line}) == 3, (delay, lines)


@pytest.mark.parametrize("kind", ["plain", "tls"])
def test_imap_marks_what_it_recorded_as_seen_and_deletes_nothing(round_trip: Site, kind: str, request):
    server = request.getfixturevalue("dovecot" if kind == "plain" else "dovecot_tls")
    site = round_trip
    site.config(inbox={"host": server.host, "port": server.port, "tls": kind == "tls", "username": server.user,
                       "password_env": "TEST_IMAP_PW"})
    server.append(reply(sent(site, "_previews/zoe/alpha-invitation.eml"), "Zoë's answer."),
                  reply(sent(site, "_previews/zoe/alpha-invitation.eml"), "Who is this?", sender="x@elsewhere.example",
                        thread=False, quote=False))
    env = {"TEST_IMAP_PW": server.password, **({"SSL_CERT_FILE": str(server.cert)} if server.cert else {})}
    result = run_roundup_env("inbox", "--imap", cwd=site.root, env=env)
    assert result.returncode == 0, result.stderr
    assert [kind for kind, _ in OUTCOME.findall(result.stdout)] == ["answer", "needs reading"]
    assert site.read("posts/alpha/quotes/zoe.md") == "Zoë's answer.\n"
    assert server.flags() == {"1": {"\\Seen"}, "2": set()}  # the one set aside stays unread, for the editor
    again = run_roundup_env("inbox", "--imap", cwd=site.root, env=env)
    assert "2 read before" in again.stdout and server.flags() == {"1": {"\\Seen"}, "2": set()}


sys.path.insert(0, str(Path(__file__).parent / "mail"))
import corpus  # noqa: E402

KINDS = {corpus.ANSWER: "answer", corpus.APPROVAL: "approval", corpus.COMMENT: "comment",
         corpus.SET_ASIDE: "needs reading"}


@pytest.mark.parametrize("state", [corpus.UNANSWERED, corpus.PREVIEWED])
def test_every_client_shape_in_the_corpus_gets_its_outcome(site: Site, state: str):
    """Each reply shape of the corpus, from the contributor, to roundup's own message: the exact outcome
    (dry run, in mbox order, so each message meets the voice in the state the corpus names)."""
    site.config(editor={"name": "Ed Itor", "email": "ed@example.com"})
    site.contributor("ana", "Ana Lima", email="ana.lima@example.org")
    site.post("tools", title="Tools we could not do without", deadline=SOON, voices=["ana"], prompt="Which tool?")
    if state == corpus.UNANSWERED:
        site.ok("invite", "tools")
        ours, token = sent(site, "_previews/ana/tools-invitation.eml"), "ru2" + "a" * 44
    else:
        site.quote("tools", "ana", "Ana's words.\n")
        site.ok("preview", "ana")
        ours = sent(site, "_previews/ana/tools.eml")
        token = TOKEN.search(plain_text(ours)).group(0)
    cases = [case for case in corpus.CASES if case.voice == state]
    path = site.root.parent / f"{state}.mbox"
    box = mailbox.mbox(path)
    for case in cases:
        box.add(corpus.render(case, editor="ed@example.com", msgid=str(ours["Message-ID"]), token=token))
    box.flush()
    before = tree_bytes(site.root)
    result = site.ok("inbox", "--mbox", path, "--dry-run")
    found = [kind for kind, _ in OUTCOME.findall(result.stdout)]
    assert list(zip((c.file for c in cases), found)) == [(c.file, KINDS[c.outcome]) for c in cases], result.stdout
    assert tree_bytes(site.root) == before


REPO = Path(__file__).resolve().parent.parent


def test_the_round_trip_on_the_example_site_as_a_new_editor_runs_it(tmp_path: Path):
    """invite → answers from two clients → preview → the Approve button and a comment quoting the preview, made
    a change request by the editor (--reason-from-comment) →
    preview → the request shows in status and the next preview → a new version approved → published."""
    import shutil
    root = tmp_path / "site"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".git", ".venv", "_site", "_previews", ".roundup",
                                                              "tests", "benchmarks", "roundup", "mutants", "*.toml"))
    site = Site(root)
    site.write("posts/late-nights/post.md", f"---\ntitle: Late nights\ndate: 2026-05-01\ndeadline: {SOON}\n"
                                            "voices: [layla, tomas]\nprompt: What keeps you working late?\n---\n"
                                            "Two people on working late.\n")
    site.ok("invite", "late-nights")
    layla = sent(site, "_previews/layla/late-nights-invitation.eml")
    tomas = sent(site, "_previews/tomas/late-nights-invitation.eml")
    first = site.root.parent / "first.mbox"
    box = mailbox.mbox(first)
    box.add(corpus.render("gmail_top_posted.eml", editor="maren@example.com", sender="layla@example.org",
                          name="Layla", msgid=str(layla["Message-ID"]), title="Late nights"))
    box.add(corpus.render("outlook_top_posted.eml", editor="maren@example.com", sender="tomas@example.org",
                          name="Tomas", msgid=str(tomas["Message-ID"]), title="Late nights"))
    box.flush()
    assert [k for k, _ in OUTCOME.findall(site.ok("inbox", "--mbox", first).stdout)] == ["answer", "answer"]
    assert site.read("posts/late-nights/quotes/layla.md").strip() and site.read("posts/late-nights/quotes/tomas.md")
    site.ok("preview", "--post", "late-nights")
    change = reply(sent(site, "_previews/tomas/late-nights.eml"), "Please drop my last sentence.")
    second = maildir(site, button(sent(site, "_previews/layla/late-nights.eml"), "Approve"), change)
    assert sorted(k for k, _ in inbox(site, second)) == ["approval", "comment"]
    assert site.states("late-nights") == {"layla": "approved", "tomas": "pending"}  # a comment decides nothing
    assert "comment" in site.ok("status", "--post", "late-nights").stdout
    site.ok("decline", "tomas", "late-nights", "--reason-from-comment")  # the editor decides
    assert re.search(r"tomas .*declined +on \d{4}-\d\d-\d\d: Please drop my last sentence\.",
                     site.ok("status", "--post", "late-nights").stdout)
    assert site.states("late-nights") == {"layla": "approved", "tomas": "declined"}
    site.ok("preview", "tomas")
    assert "> Please drop my last sentence." in plain_text(sent(site, "_previews/tomas/late-nights.eml"))
    assert "late-nights" not in site.build().stdout.split("Built")[1]
    assert not (site.out / "posts/late-nights").exists()
    third = maildir(site, button(sent(site, "_previews/tomas/late-nights.eml"), "Approve"), name="Third")
    assert [k for k, _ in inbox(site, third)] == ["approval"]
    site.build()
    assert 'id="voice-tomas"' in site.page("posts/late-nights/index.html")


def test_count_me_out_is_recorded_shown_and_nobody_chases_them_after(round_trip: Site):
    """lee's Count-me-out button from the invitation: not taking part; status says so, the post waits for the
    editor to take them out of `voices`, and neither invite nor remind writes to them again."""
    site = round_trip
    [(kind, why)] = inbox(site, maildir(site, button(sent(site, "_previews/lee/alpha-invitation.eml"), "Count me out")))
    assert kind == "not taking part" and why.startswith("lee is not taking part in alpha (Count-me-out button)")
    assert site.states("alpha")["lee"] == "not taking part"
    assert "out_at" in yaml.safe_load(site.read("posts/alpha/approvals.yml"))["lee"]
    assert "lee: is not taking part" in site.ok("invite", "alpha").stdout
    assert "lee: is not taking part; nothing to remind them of" in site.ok("remind", "alpha").stdout
    assert "take them out of `voices`" in site.ok("status", "--post", "alpha").stdout


def test_the_editor_decides_from_a_comment_or_records_that_someone_is_out(round_trip: Site):
    site = answered(round_trip)
    missing = site.run("decline", "zoe", "alpha", "--reason-from-comment")
    assert missing.returncode == 1 and "posts/alpha/approvals.yml: has no comment from zoe" in missing.stderr
    assert site.states("alpha")["zoe"] == "pending"  # nothing was recorded
    inbox(site, maildir(site, reply(sent(site, "_previews/zoe/alpha.eml"), "Could you drop the last word?")))
    assert "Recorded: zoe asked for changes" in site.ok("decline", "zoe", "alpha", "--reason-from-comment").stdout
    assert yaml.safe_load(site.read("posts/alpha/approvals.yml"))["zoe"]["reason"] == "Could you drop the last word?"
    assert "Recorded: sam is not taking part in alpha." in site.ok("decline", "sam", "alpha", "--not-taking-part").stdout
    assert site.states("alpha") == {"zoe": "declined", "sam": "not taking part", "lee": "unanswered"}
