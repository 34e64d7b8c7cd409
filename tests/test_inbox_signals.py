"""Consent moves only on clear signals: real replies, as each mail client writes them, through `roundup inbox`."""

from __future__ import annotations

import datetime as dt
import itertools
import mailbox
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller

import mailclients as mc
from conftest import Mailbox, Site, free_port, tree_bytes

SOON = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=10)
EDITOR = "ed@example.com"
PEOPLE = {"esta": ("Esta Varga", "esta@example.net"), "ana": ("Ana Lima", "ana@example.org"),
          "noor": ("Noor Haddad", "noor@example.org"), "kim": ("Kim Sato", "kim@example.org")}
APPROVED = "Esta's words, exactly as everyone approved them."
EDITED = "Esta's words, edited after the post went live."
QUESTION = "What keeps a partnership alive?"
NOTE = "Noor, between us: your talk in Lisbon is why I am asking."
OUTCOME = re.compile(r"^  (answer|approval|change request|not taking part|comment|needs reading) +(.*)$", re.M)
DECISION = ("digest", "approved_at", "declined_at", "via", "reason", "content")
"""The keys of an approvals.yml entry that say what a contributor decided."""
CHANGE = "Please change the second sentence. Do not publish as is."
_boxes = itertools.count()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Site:
    """One site, its mail really sent (SMTP): `tools` is live (esta and ana approved, built), then esta's
    quote was edited and the new version previewed to her; `fresh` is previewed to esta and ana for the first
    time; `invited` asks noor (a prompt and a private note in her quote file) and kim (no quote file yet)."""
    box = Mailbox()
    box.port = free_port()
    server = Controller(box, hostname="127.0.0.1", port=box.port)
    server.start()
    try:
        s = Site(tmp_path_factory.mktemp("prepared") / "site")
        s.config(mail={"host": "127.0.0.1", "port": box.port})
        for cid, (name, address) in PEOPLE.items():
            s.contributor(cid, name, email=address)
        s.add_post("tools", {"esta": APPROVED + "\n", "ana": "Ana's approved words.\n"},
                   title="Tools we could not do without", deadline=SOON)
        s.approve_all("tools")
        s.build()
        s.quote("tools", "esta", EDITED + "\n")
        s.ok("preview", "--post", "tools", "--send")
        s.add_post("fresh", {"esta": "Esta on late nights.\n", "ana": "Ana on late nights.\n"},
                   title="Late nights at the studio", deadline=SOON)
        s.ok("preview", "--post", "fresh", "--send")
        s.quote("invited", "noor", "", prompt=QUESTION, note=NOTE)
        s.post("invited", title="Partnerships that last", deadline=SOON, voices=["noor", "kim"],
               prompt="What makes a partnership last?")
        s.ok("invite", "invited", "--send")
    finally:
        server.stop()
    assert len(box.received) == 5, [r["rcpt_tos"] for r in box.received]
    return s


@pytest.fixture
def world(site: Site, prepared: Site) -> Site:
    """A fresh copy of the prepared site, in the `site` fixture's folder."""
    shutil.rmtree(site.root)
    shutil.copytree(prepared.root, site.root, symlinks=True)
    return site


def sent(site: Site, cid: str, name: str) -> bytes:
    """The bytes of the message roundup wrote (and sent) to `cid`: _previews/<cid>/<name>.eml."""
    return (site.root / "_previews" / cid / f"{name}.eml").read_bytes()


def inbox(site: Site, *messages: bytes) -> list[tuple[str, str]]:
    """Put the messages in a new Maildir, run `roundup inbox --maildir` on it: (outcome, why) per line, one
    per message. The folder is kept as `site.inbox_folder`, for `settles` to read it again."""
    box = mailbox.Maildir(site.root.parent / f"Maildir-{next(_boxes)}", create=True)
    for raw in messages:
        box.add(raw)
    site.inbox_folder = Path(box._path)
    result = site.ok("inbox", "--maildir", site.inbox_folder)
    found = OUTCOME.findall(result.stdout)
    assert len(found) == len(messages), result.stdout
    return found


def entry(site: Site, slug: str, cid: str) -> dict[str, Any]:
    return (yaml.safe_load(site.read(f"posts/{slug}/approvals.yml")) or {}).get(cid) or {}


def decision(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record[key] for key in DECISION if key in record}


def flat(value: Any) -> str:
    """Any YAML value as one line of text (a list or mapping of comments is joined)."""
    if isinstance(value, dict):
        return " ".join(flat(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(flat(v) for v in value)
    return " ".join(str(value).split())


def still_live(site: Site, words: str = APPROVED, not_words: str | None = EDITED) -> None:
    """esta's quote file in the live post `tools` is as the editor left it, and `roundup build` publishes
    the post, showing `words` (and not `not_words`)."""
    assert site.read("posts/tools/quotes/esta.md") == EDITED + "\n"
    site.build()
    page = site.page("posts/tools/index.html")
    assert words in page
    assert not_words is None or not_words not in page


def assert_comment(site: Site, slug: str, before: dict[str, Any], words: str) -> None:
    """esta's words are kept as a comment (without roundup's own text) and her decision did not move."""
    after = entry(site, slug, "esta")
    assert decision(after) == decision(before)
    assert "commented_at" in after and "comment" in after, after
    comment = flat(after["comment"])
    assert " ".join(words.split()) in comment
    assert not mc.CODE.search(comment) and "mailto:" not in comment and "Dear Esta" not in comment, comment


def front_and_body(text: str) -> tuple[dict[str, Any], str]:
    match = re.match(r"---\n(.*?)^---\n(.*)\Z", text, re.S | re.M)
    return (yaml.safe_load(match.group(1)) or {}, match.group(2)) if match else ({}, text)


def settles(site: Site) -> None:
    """Whatever inbox wrote, check and build --drafts pass and a second run reads nothing new."""
    site.ok("check")
    site.ok("build", "--drafts")
    again = site.ok("inbox", "--maildir", site.inbox_folder).stdout
    assert OUTCOME.findall(again) == [] and "read before" in again, again


ESTA = ("esta@example.net", "Esta Varga")
NOOR = ("noor@example.org", "Noor Haddad")
Client = tuple[Callable[..., bytes], dict[str, Any]]
"""A mailclients function and its options (language, rule)."""
PREVIEW_CLIENTS: dict[str, Client] = {
    **{f"outlook-{lang}": (mc.outlook, {"lang": lang, "rule": False}) for lang in mc.OUTLOOK},
    **{f"outlook-{lang}-rule": (mc.outlook, {"lang": lang}) for lang in ("en", "ru", "ko")},
    **{f"apple-{lang}": (mc.apple_mail, {"lang": lang}) for lang in mc.APPLE},
    **{f"thunderbird-{lang}": (mc.thunderbird, {"lang": lang}) for lang in mc.THUNDERBIRD},
    "gmail": (mc.gmail, {}), "outlook-html": (mc.outlook_html, {}), "inline-paste": (mc.inline_paste, {}),
    "flowed-qp": (mc.flowed, {}),
}


@pytest.mark.parametrize("client", PREVIEW_CLIENTS)
def test_a_change_asked_in_any_client_is_a_comment_never_an_approval(world: Site, client: str):
    """The preview quoted with no `>` under a header block in any language, or any other way: its approval
    code is roundup's text, not theirs; the reply is a comment, the live post stays up unchanged."""
    site, before = world, entry(world, "tools", "esta")
    write, options = PREVIEW_CLIENTS[client]
    [(kind, why)] = inbox(site, write(sent(site, "esta", "tools"), *ESTA, CHANGE, **options))
    assert kind == "comment", why
    assert "roundup decline esta tools" in why
    assert_comment(site, "tools", before, CHANGE)
    still_live(site)


KIND_WORDS: dict[str, tuple[str, Client]] = {
    "yes-i-approve": ("Yes, I approve.", (mc.gmail, {})),
    "looks-great": ("Looks great, thank you so much!", (mc.apple_mail, {})),
    "go-ahead": ("Perfect, go ahead and publish.", (mc.outlook, {"lang": "en"})),
    "cest-parfait": ("C'est parfait, merci !", (mc.apple_mail, {"lang": "fr"})),
}


@pytest.mark.parametrize("slug", ["fresh", "tools"])
@pytest.mark.parametrize("kind_words", KIND_WORDS)
def test_kind_words_are_a_comment_never_a_change_request(world: Site, kind_words: str, slug: str):
    """A yes in words is no signed code: a comment that names `roundup approve`, and never a decline (on
    the live post `tools`, the approved version stays up)."""
    site, before = world, entry(world, slug, "esta")
    words, (write, options) = KIND_WORDS[kind_words]
    [(kind, why)] = inbox(site, write(sent(site, "esta", slug), *ESTA, words, **options))
    assert kind == "comment", why
    assert f"roundup approve esta {slug}" in why
    assert_comment(site, slug, before, words)
    assert "declined_at" not in entry(site, slug, "esta")
    if slug == "tools":
        still_live(site)
    else:
        assert site.read("posts/fresh/quotes/esta.md") == "Esta on late nights.\n"
        assert site.states("fresh")["esta"] == "pending"


@pytest.mark.parametrize("copy", ["bcc", "all-mail"])
def test_the_editors_own_copy_of_a_preview_changes_nothing(world: Site, copy: str):
    """The preview itself in the editor's mailbox (the same Message-ID, or a new one; From the editor):
    the Approve link's code inside it is no approval."""
    site = world
    raw = sent(site, "esta", "tools")
    before = tree_bytes(site.root / "posts")
    [(kind, why)] = inbox(site, mc.bcc_copy(raw, EDITOR) if copy == "bcc" else mc.all_mail_copy(raw))
    assert kind == "needs reading", why
    assert tree_bytes(site.root / "posts") == before
    still_live(site)


@pytest.mark.parametrize("words", ["", "Thank you, all good!"])
def test_the_approve_button_approves(world: Site, words: str):
    """The Approve button's own mail (their words above it or not) approves the new version: it goes live."""
    site = world
    [(kind, why)] = inbox(site, mc.button_mail(sent(site, "esta", "tools"), *ESTA, mc.APPROVE, words))
    assert kind == "approval", why
    record = entry(site, "tools", "esta")
    assert record["via"] == "mail" and "approved_at" in record and record["content"]["quote"]["body"] == EDITED
    still_live(site, EDITED, APPROVED)


WITHDRAW = {"i-withdraw": "I withdraw my consent.", "do-not-publish": "Please do NOT publish my words.",
            "dont-publish": "Please don't publish this.", "remove-my-words": "Please remove my words from the post."}


@pytest.mark.parametrize("case", WITHDRAW)
def test_a_reply_asking_to_withdraw_says_so_loudly_and_changes_nothing(world: Site, case: str):
    """Asked to withdraw in reply to the preview: the line says so loudly; consent and the live post stay."""
    site, before = world, entry(world, "tools", "esta")
    [(kind, why)] = inbox(site, mc.apple_mail(sent(site, "esta", "tools"), *ESTA, WITHDRAW[case]))
    assert kind in ("comment", "needs reading") and "ASKS TO WITHDRAW" in why, (kind, why)
    assert decision(entry(site, "tools", "esta")) == decision(before)
    still_live(site)


def test_the_approve_button_with_a_withdrawal_written_above_is_no_approval(world: Site):
    """The Approve button's mail, code kept, with "I withdraw, do NOT publish." written above it."""
    site, before = world, entry(world, "tools", "esta")
    raw = mc.button_mail(sent(site, "esta", "tools"), *ESTA, mc.APPROVE, "I withdraw, do NOT publish.")
    [(kind, why)] = inbox(site, raw)
    assert kind != "approval" and "ASKS TO WITHDRAW" in why, (kind, why)
    assert decision(entry(site, "tools", "esta")) == decision(before)
    still_live(site)


def test_a_withdrawal_in_the_re_re_approve_thread_is_no_second_approval(world: Site):
    """Approved by the button; the editor says thanks; their "Re: Re: Approve: … ru2…" withdraws: the code
    carried in the subject and the quote approves nothing again, the inbox says so, the post stays up."""
    site = world
    approve = mc.button_mail(sent(site, "esta", "tools"), *ESTA, mc.APPROVE)
    assert [kind for kind, _ in inbox(site, approve)] == ["approval"]
    approved = entry(site, "tools", "esta")
    thanks = mc.apple_mail(approve, EDITOR, "Ed Itor", "Thank you, Esta! Recorded.")
    follow_up = mc.gmail(thanks, *ESTA, "I withdraw, do NOT publish.")
    assert mc.CODE.search(str(mc.read(follow_up).message["Subject"]))
    assert str(mc.read(follow_up).message["Subject"]).startswith("Re: Re: Approve:")
    [(kind, why)] = inbox(site, follow_up)
    assert kind != "approval" and "ASKS TO WITHDRAW" in why, (kind, why)
    assert decision(entry(site, "tools", "esta")) == decision(approved)
    still_live(site, EDITED, APPROVED)


def test_the_ask_for_changes_button_is_a_change_request_in_their_words(world: Site):
    """Its signed marker declines the new version, with their words (not the button's text or code) as the
    reason; the approved version stays up."""
    site = world
    words = "Please cut the last sentence: it is not true any more."
    [(kind, why)] = inbox(site, mc.button_mail(sent(site, "esta", "tools"), *ESTA, mc.CHANGES, words))
    assert kind == "change request", why
    record = entry(site, "tools", "esta")
    assert "declined_at" in record and words in record["reason"]
    assert not mc.CODE.search(record["reason"]) and "What I would like changed" not in record["reason"]
    still_live(site)


def test_count_me_out_from_an_invitation_records_not_taking_part(world: Site):
    """The invitation's Count-me-out button (its signed ro2 marker): not taking part, no quote, status says so."""
    site = world
    words = "Sorry, I can't take part after all."
    [(kind, why)] = inbox(site, mc.button_mail(sent(site, "noor", "invited-invitation"), *NOOR, mc.COUNT_ME_OUT, words))
    assert kind == "not taking part", why
    record = entry(site, "invited", "noor")
    assert not {"approved_at", "declined_at", "answered_at"} & set(record), record
    assert front_and_body(site.read("posts/invited/quotes/noor.md")) == ({"prompt": QUESTION, "note": NOTE}, "")
    status = site.ok("status", "--post", "invited").stdout
    assert any("noor" in line and "not taking part" in line for line in status.splitlines()), status
    settles(site)


BARE = {
    "preview-change": ("esta", "Re: Please review your words in “Tools we could not do without”", CHANGE),
    "preview-yes": ("esta", "Tools we could not do without", "Yes, I approve. Publish it."),
    "invitation-answer": ("noor", "Re: An invitation: your voice in “Partnerships that last”",
                          "Trust, mostly, and a shared calendar."),
}


@pytest.mark.parametrize("case", BARE)
def test_a_bare_from_with_the_title_in_the_subject_changes_nothing(world: Site, case: str):
    """No In-Reply-To/References to roundup's mail and no code: anyone can write that From:, so it is set aside."""
    site = world
    cid, subject, words = BARE[case]
    before = tree_bytes(site.root / "posts")
    [(kind, why)] = inbox(site, mc.new_message(PEOPLE[cid][1], PEOPLE[cid][0], EDITOR, subject, words))
    assert kind == "needs reading", why
    assert tree_bytes(site.root / "posts") == before
    still_live(site)


ANSWERS = {
    "plain": ("noor", "Trust, mostly.\n\nAnd a shared calendar."),
    "front-matter-noor": ("noor", "---\nprompt: Something else entirely\nlang: ar\n---\nMy real answer: trust."),
    "front-matter-kim": ("kim", "---\nprompt: Something else entirely\nlang: ar\nnote: [\n---\nMy real answer: trust."),
}


@pytest.mark.parametrize("case", ANSWERS)
def test_an_answer_becomes_the_body_only(world: Site, case: str):
    """The front matter stays roundup's and the editor's, whatever the answer starts with; the site still
    checks and builds, and a second run reads nothing new."""
    site = world
    cid, words = ANSWERS[case]
    raw = mc.gmail(sent(site, cid, "invited-invitation"), PEOPLE[cid][1], PEOPLE[cid][0], words)
    [(kind, why)] = inbox(site, raw)
    assert kind == "answer", why
    front, body = front_and_body(site.read(f"posts/invited/quotes/{cid}.md"))
    if cid == "noor":
        assert front == {"prompt": QUESTION, "note": NOTE}
    else:
        assert not {"prompt", "lang", "note"} & set(front), front
    assert body.strip() == words if case == "plain" else "My real answer: trust." in body
    assert "answered_at" in entry(site, "invited", cid)
    settles(site)


def test_an_answer_over_20_kb_is_set_aside_unwritten(world: Site):
    """Over the 20 kB limit: set aside, nothing written, and the site still checks and builds."""
    site = world
    words = "\n\n".join(f"Paragraph {n}: trust, patience and a shared calendar, every week." for n in range(450))
    assert len(words.encode()) > 30_000
    before = tree_bytes(site.root / "posts")
    [(kind, why)] = inbox(site, mc.gmail(sent(site, "noor", "invited-invitation"), *NOOR, words))
    assert kind == "needs reading", why
    assert tree_bytes(site.root / "posts") == before
    settles(site)


REFUSALS = {"en": "I'm sorry, I can't take part after all.", "fr": "Désolée, je ne peux finalement pas participer.",
            "de": "Es tut mir leid, ich kann doch nicht teilnehmen.", "es": "Lo siento, al final no puedo participar."}


@pytest.mark.parametrize("lang", REFUSALS)
def test_a_refusal_is_never_made_a_quote(world: Site, lang: str):
    """No Count-me-out code in their words (the button's is only inside its link): set aside, no quote."""
    site = world
    raw = mc.apple_mail(sent(site, "noor", "invited-invitation"), *NOOR, REFUSALS[lang],
                        lang=lang if lang in mc.APPLE else "en")
    [(kind, why)] = inbox(site, raw)
    assert kind == "needs reading", why
    assert front_and_body(site.read("posts/invited/quotes/noor.md")) == ({"prompt": QUESTION, "note": NOTE}, "")
    assert not {"answered_at", "approved_at", "declined_at"} & set(entry(site, "invited", "noor"))
    settles(site)


UNQUOTED: dict[str, Client] = {
    "outlook-en-rule": (mc.outlook, {"lang": "en"}), "outlook-tr-rule": (mc.outlook, {"lang": "tr"}),
    "outlook-ko": (mc.outlook, {"lang": "ko", "rule": False}), "inline-paste": (mc.inline_paste, {}),
    "flowed-qp": (mc.flowed, {}),
}


@pytest.mark.parametrize("client", UNQUOTED)
def test_an_unquoted_copy_of_the_invitation_never_lands_in_the_quote(world: Site, client: str):
    """The invitation pasted under the answer with no `>`: only their words become the quote, never the
    invitation's text and never the editor's private note."""
    site = world
    words, (write, options) = "Trust, mostly. And showing up when it is inconvenient.", UNQUOTED[client]
    [(kind, why)] = inbox(site, write(sent(site, "noor", "invited-invitation"), *NOOR, words, **options))
    assert kind == "answer", why
    text = site.read("posts/invited/quotes/noor.md")
    front, body = front_and_body(text)
    assert front == {"prompt": QUESTION, "note": NOTE} and words in " ".join(body.split())
    assert "Lisbon" not in body and "Would you answer it" not in body and "Dear Noor" not in body, body
    assert "answered_at" in entry(site, "invited", "noor")
    settles(site)


def test_a_comment_is_shown_by_status_and_quoted_back_in_the_next_preview(world: Site):
    """The issue's "their words are kept, shown by status --post and quoted back in their next preview"."""
    site = world
    inbox(site, mc.outlook(sent(site, "esta", "tools"), *ESTA, CHANGE, lang="ru"))
    assert CHANGE in site.ok("status", "--post", "tools").stdout
    site.ok("preview", "esta", "--post", "tools")
    assert CHANGE in " ".join(mc.read(sent(site, "esta", "tools")).text.split())
