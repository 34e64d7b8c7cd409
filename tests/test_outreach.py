"""Invitations, reminders and deadlines: voices not answered yet, `invite`, `remind`, `preview --post`,
the timeline in `status --post`, and no header injected by a name or a title."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re

import pytest
import yaml

from conftest import Site, assert_problem, plain_text

TODAY = dt.datetime.now(dt.timezone.utc).date()
SOON = TODAY + dt.timedelta(days=10)
PAST = TODAY - dt.timedelta(days=2)
TOKEN = re.compile(r"ru2[a-z2-7]{44}")


def eml(site: Site, rel: str):
    return email.message_from_bytes((site.root / rel).read_bytes(), policy=email.policy.default)


def record(site: Site, slug: str, cid: str) -> dict:
    return yaml.safe_load(site.read(f"posts/{slug}/approvals.yml"))[cid]


@pytest.fixture
def asking(site: Site) -> Site:
    """alpha: zoe has answered; sam's quote file has a prompt and a note but no words; lee has no file."""
    site.config()
    for cid, name in (("zoe", "Zoë Quill"), ("sam", "Sam Reyes"), ("lee", "Lee Park")):
        site.contributor(cid, name, email=f"{cid}@example.net")
    site.quote("alpha", "zoe")
    site.quote("alpha", "sam", "", prompt="What keeps a partnership alive?", note="Sam, your talk in May is why.")
    site.post("alpha", title="Alpha Roundup", summary="Three friends on working together.", deadline=SOON,
              voices=["zoe", "sam", "lee"], prompt="What makes a partnership last?")
    return site


def test_a_listed_voice_without_words_is_not_answered_yet_and_withholds_the_post(asking: Site):
    status = asking.ok("status").stdout
    assert re.search(r"sam\s+Sam Reyes\s+unanswered\s+not invited yet", status), status
    assert re.search(r"lee\s+Lee Park\s+unanswered\s+not invited yet", status), status
    assert "A build would publish 0 posts." in status
    asking.ok("check")
    built = asking.build().stdout
    assert re.search(r"withheld\s+alpha: waiting for 3 of 3 voices", built), built
    assert re.search(r"sam\s+unanswered\s+not invited yet", built), built
    assert not (asking.out / "posts/alpha").exists()
    asking.quote("beta", "kim")  # a quote file not listed in `voices` is still an error
    asking.contributor("kim")
    asking.post("beta", voices=["zoe"])
    asking.quote("beta", "zoe")
    assert_problem(asking.run("check").stderr, "posts/beta/quotes/kim.md", None, "not listed in `voices`")


def test_invite_writes_one_personal_invitation_per_voice_and_never_twice(asking: Site):
    result = asking.ok("invite", "alpha")
    assert re.search(r"^  sam: wrote .*_previews/sam/alpha-invitation\.eml$", result.stdout, re.M), result.stdout
    assert re.search(r"^  lee: wrote .*_previews/lee/alpha-invitation\.eml$", result.stdout, re.M)
    assert "zoe: has answered already" in result.stdout
    assert not (asking.root / "_previews/zoe/alpha-invitation.eml").exists()
    message = eml(asking, "_previews/sam/alpha-invitation.eml")
    text = plain_text(message)
    assert message["To"] == "Sam Reyes <sam@example.net>" and message["From"] == "Ed Itor <ed@example.com>"
    assert text.startswith("Dear Sam Reyes,\n\nSam, your talk in May is why.\n\n")
    assert "> What keeps a partnership alive?" in text  # the quote's own prompt wins over the post's
    assert "“Alpha Roundup” for Test Roundups: Three friends on working together." in text
    assert "I'm also asking Zoë Quill and Lee Park." in text
    assert f"Could you answer by {SOON:%B} {SOON.day}, {SOON.year}?" in text  # as CLDR writes English dates
    assert "reply to this e-mail with your answer, a paragraph or two" in text
    assert "roundup" not in text.lower().replace("test roundups", "").replace("alpha roundup", "").replace(
        "alpha%20roundup", "")  # the title, also inside the Count-me-out button's link
    assert "> What makes a partnership last?" in plain_text(eml(asking, "_previews/lee/alpha-invitation.eml"))
    entry = record(asking, "alpha", "sam")
    assert entry["mail"] == [message["Message-ID"]] and "invited_at" in entry and "approved_at" not in entry
    before = (asking.root / "_previews/sam/alpha-invitation.eml").read_bytes()
    again = asking.ok("invite", "alpha", "--contributor", "sam")  # written, not sent: kept as it is
    assert re.search(r"^  sam: .*_previews/sam/alpha-invitation\.eml, as written earlier$", again.stdout, re.M), again.stdout
    assert "Written, not sent: sam: send them with --send, or send the files yourself." in again.stdout
    assert (asking.root / "_previews/sam/alpha-invitation.eml").read_bytes() == before
    assert record(asking, "alpha", "sam")["mail"] == [message["Message-ID"]]
    assert re.search(r"sam\s+Sam Reyes\s+unanswered\s+invited on \d{4}-\d\d-\d\d, no answer yet",
                     asking.ok("status").stdout)


def test_nothing_is_asked_once_the_deadline_has_passed_and_a_later_deadline_opens_it_again(asking: Site):
    asking.post("alpha", title="Alpha Roundup", deadline=PAST, voices=["zoe", "sam", "lee"])
    for command in (("invite", "alpha"), ("preview", "zoe"), ("preview", "--post", "alpha"), ("remind", "alpha")):
        result = asking.run(*command)
        assert result.returncode == 1, (command, result.stdout)
        message = assert_problem(result.stderr, "posts/alpha/post.md", 4, f"the deadline {PAST.isoformat()} has passed")
        assert "set a later `deadline`" in message
    assert not (asking.root / "_previews").exists() and not (asking.root / "posts/alpha/approvals.yml").exists()
    status = asking.ok("status").stdout
    assert re.search(r"zoe\s+Zoë Quill\s+pending \(overdue\)", status), status
    assert f"Overdue: the deadline {PAST.isoformat()} has passed; still waiting for zoe, sam, lee." in status
    asking.quote("alpha", "sam", "Sam's words.\n")
    asking.quote("alpha", "lee", "Lee's words.\n")
    asking.approve("sam", "alpha")
    approved = asking.read("posts/alpha/approvals.yml")
    asking.post("alpha", title="Alpha Roundup", deadline=SOON, voices=["zoe", "sam", "lee"])
    asking.ok("preview", "zoe")
    token = TOKEN.search(asking.read("_previews/zoe/alpha.html")).group(0)
    assert yaml.safe_load(asking.read("posts/alpha/approvals.yml"))["sam"] == yaml.safe_load(approved)["sam"]
    asking.ok("approve", "--token", token)
    assert asking.states("alpha") == {"zoe": "approved", "sam": "approved", "lee": "pending"}


def test_preview_of_a_post_writes_for_every_voice_awaiting_approval(asking: Site):
    asking.quote("alpha", "sam", "Sam's words.\n")
    asking.approve("sam", "alpha")
    result = asking.ok("preview", "--post", "alpha")
    lines = [line for line in result.stdout.splitlines() if line.startswith("  ")]
    assert re.fullmatch(r"  lee: has not answered yet in alpha, so there is nothing to preview; roundup invite "
                        r"alpha asks them", lines[0]), lines
    assert re.fullmatch(r"  zoe: wrote .*_previews/zoe/alpha\.html, .*_previews/zoe/alpha\.eml", lines[1]), lines
    assert len(lines) == 2 and not (asking.root / "_previews/sam").exists()
    assert asking.run("preview").returncode == 2


def test_the_preview_message_offers_two_buttons_and_no_command_line(asking: Site):
    asking.ok("preview", "zoe")
    message = eml(asking, "_previews/zoe/alpha.eml")
    text, html = plain_text(message), message.get_body(("html",)).get_content()
    token = TOKEN.search(text).group(0)
    assert len(token) <= 80
    assert re.search(r"^Approve: mailto:ed@example\.com\?subject=Approve%3A%20Alpha%20Roundup%20" + token
                     + r"&body=.*" + token, text, re.M), text
    assert re.search(r"^Ask for changes: mailto:ed@example\.com\?subject=Changes%20to%20my%20words", text, re.M)
    assert re.search(r'<a href="mailto:ed@example\.com\?subject=Approve[^"]*' + token + r'[^"]*"[^>]*>Approve</a>', html)
    assert ">Ask for changes</a>" in html
    assert "roundup approve" not in text and "run it yourself" not in text and "--token" not in html
    page = asking.read("_previews/zoe/alpha.html")
    assert 'class="answer-button" href="mailto:ed@example.com?subject=Approve' in page and "roundup approve" not in page


def shift(site: Site, slug: str, cid: str, days: int) -> None:
    """Move every date of their round trip `days` into the past, as if that much time had gone by."""
    path = site.root / f"posts/{slug}/approvals.yml"
    data = yaml.safe_load(path.read_text())
    for key in ("invited_at", "previewed_at", "reminded_at"):
        if key in data[cid]:
            when = dt.datetime.fromisoformat(str(data[cid][key]).replace("Z", "+00:00"))
            data[cid][key] = (when - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_remind_nudges_only_who_is_waiting_and_at_most_every_few_days(asking: Site):
    asking.config(remind_every=2)
    asking.contributor("kim", "Kim Ode", email="kim@example.net")
    asking.quote("alpha", "kim", "Kim's words.\n")
    asking.post("alpha", title="Alpha Roundup", deadline=SOON, voices=["zoe", "sam", "lee", "kim"])
    asking.ok("invite", "alpha", "--contributor", "sam")
    asking.ok("preview", "zoe")
    asking.ok("preview", "kim")
    asking.ok("decline", "kim", "alpha", "--reason", "Shorter, please.")
    early = asking.ok("remind", "alpha")
    assert "No reminder is due." in early.stdout
    assert re.search(r"sam: last written to on \d{4}-\d\d-\d\d; the next reminder is due on", early.stdout)
    assert "lee: was never invited: roundup invite asks them first" in early.stdout
    assert "kim: asked for changes; a new preview answers them, not a reminder" in early.stdout
    shift(asking, "alpha", "sam", 3)
    shift(asking, "alpha", "zoe", 3)
    due = asking.ok("remind")
    assert re.search(r"^  sam: wrote .*alpha-reminder\.eml", due.stdout, re.M), due.stdout
    assert re.search(r"^  zoe: wrote .*alpha-reminder\.eml", due.stdout, re.M)
    assert not (asking.root / "_previews/kim/alpha-reminder.eml").exists()
    sam, zoe = eml(asking, "_previews/sam/alpha-reminder.eml"), eml(asking, "_previews/zoe/alpha-reminder.eml")
    assert plain_text(sam).startswith("Dear Sam Reyes,\n\nA gentle reminder about “Alpha Roundup”")
    assert "just reply to this e-mail with your answer." in plain_text(sam) and not TOKEN.search(plain_text(sam))
    assert f"The deadline is {SOON:%B} {SOON.day}, {SOON.year}." in plain_text(zoe)
    token = TOKEN.search(plain_text(zoe)).group(0)
    assert "Ask for changes: mailto:" in plain_text(zoe)
    assert "roundup approve" not in plain_text(zoe) and "--token" not in plain_text(zoe)
    assert record(asking, "alpha", "sam")["mail"][-1] == sam["Message-ID"]
    assert "reminded_at" in record(asking, "alpha", "zoe")
    assert "No reminder is due." in asking.ok("remind").stdout  # never chased twice in a row
    asking.ok("approve", "--token", token)  # the reminder's button approves
    shift(asking, "alpha", "zoe", 5)
    assert "zoe: has approved; nothing to remind them of" in asking.ok("remind", "alpha").stdout
    timeline = asking.ok("status", "--post", "alpha").stdout
    unsent = r" \(written, not sent\)"  # all of it written without --send
    assert re.search(rf"^  zoe: previewed \d{{4}}-\d\d-\d\d{unsent}; reminded \d{{4}}-\d\d-\d\d{unsent}; approved "
                     r"\d{4}-\d\d-\d\d \(via token\)$", timeline, re.M), timeline
    assert re.search(rf"^  sam: invited \d{{4}}-\d\d-\d\d{unsent}; reminded \d{{4}}-\d\d-\d\d{unsent}$", timeline, re.M)
    assert re.search(rf"^  kim: previewed \d{{4}}-\d\d-\d\d{unsent}; declined \d{{4}}-\d\d-\d\d$", timeline, re.M)
    assert re.search(r"^  lee: nothing sent yet$", timeline, re.M), timeline
    asking.ok("cancel", "alpha")
    shift(asking, "alpha", "sam", 5)
    assert "No reminder is due." in asking.ok("remind").stdout
    assert asking.run("remind", "alpha").returncode == 1


def test_cancel_tells_the_invited_voices_too_and_not_who_already_left(asking: Site):
    asking.ok("invite", "alpha", "--contributor", "sam")
    asking.ok("invite", "alpha", "--contributor", "lee")
    asking.ok("decline", "lee", "alpha", "--not-taking-part")  # Count me out: they know it is not for them
    result = asking.ok("cancel", "alpha")
    assert "sam: wrote" in result.stdout and "zoe: wrote" in result.stdout and "lee:" not in result.stdout
    assert not (asking.root / "_previews/lee/alpha.cancelled.eml").exists()
    sam = plain_text(eml(asking, "_previews/sam/alpha.cancelled.eml"))
    zoe = plain_text(eml(asking, "_previews/zoe/alpha.cancelled.eml"))
    assert "So there's no need to answer my invitation." in sam  # only invited: nothing about their words
    assert "your words" not in sam.lower() and "time and thought" not in sam
    assert "Thank you for the time and thought you gave it. Your words will not be published" in zoe
    assert "no need to answer" not in zoe


def test_a_name_or_a_title_cannot_add_a_header_to_any_message(asking: Site):
    asking.contributor("sam", "Sam\r\nBcc: evil@example.org", email="sam@example.net")
    asking.post("alpha", title="Alpha\nBcc: evil@example.org\nX-Evil: 1", deadline=SOON, voices=["zoe", "sam", "lee"])
    asking.ok("invite", "alpha")
    asking.ok("preview", "zoe")
    shift(asking, "alpha", "zoe", 5)
    asking.ok("remind", "alpha")
    asking.ok("cancel", "alpha")
    written = sorted((asking.root / "_previews").rglob("*.eml"))
    assert len(written) >= 6
    for path in written:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert message["Bcc"] is None and message["X-Evil"] is None, path
        assert "\n" not in str(message["Subject"]) and "\n" not in str(message["To"] or ""), path


# ---- written, not sent: a run without --send records nothing as sent, and the next --send sends it ----------

def mailing(site: Site, box) -> Site:
    site.config(mail={"host": "127.0.0.1", "port": box.port})
    return site


def timeline_of(site: Site, cid: str, slug: str = "alpha") -> str:
    out = site.ok("status", "--post", slug).stdout
    return re.search(rf"^  {cid}: (.*)$", out, re.M).group(1)


def test_invite_without_send_is_written_not_sent_and_the_next_send_sends_it_unchanged(asking: Site, smtp_server):
    mailing(asking, smtp_server)
    dry = asking.ok("invite", "alpha")
    assert "Nothing was sent. Written, not sent: sam, lee: send them with --send, or send the files yourself." \
        in dry.stdout, dry.stdout
    assert smtp_server.received == []
    files = {cid: (asking.root / f"_previews/{cid}/alpha-invitation.eml").read_bytes() for cid in ("sam", "lee")}
    ids = {cid: eml(asking, f"_previews/{cid}/alpha-invitation.eml")["Message-ID"] for cid in files}
    for cid in files:
        entry = record(asking, "alpha", cid)
        assert entry["mail"] == [ids[cid]] and entry["unsent"] == [ids[cid]] and "invited_at" in entry
    assert re.fullmatch(r"invited \d{4}-\d\d-\d\d \(written, not sent\)", timeline_of(asking, "sam"))

    sent = asking.ok("invite", "alpha", "--send")
    assert re.search(r"^  sam: \S*_previews/sam/alpha-invitation\.eml, as written earlier; sent to sam@example\.net$",
                     sent.stdout, re.M), sent.stdout
    assert "Sent 2 of 2 messages." in sent.stdout and "invited on" not in sent.stdout
    assert "Written, not sent" not in sent.stdout
    for cid in files:
        (got,) = [r for r in smtp_server.received if r["rcpt_tos"] == [f"{cid}@example.net"]]
        assert got["raw"].replace(b"\r\n", b"\n") == files[cid]  # the very message written, byte for byte
        assert (asking.root / f"_previews/{cid}/alpha-invitation.eml").read_bytes() == files[cid]
        entry = record(asking, "alpha", cid)
        assert entry["mail"] == [ids[cid]] and "unsent" not in entry
    assert re.fullmatch(r"invited \d{4}-\d\d-\d\d", timeline_of(asking, "sam"))
    again = asking.ok("invite", "alpha", "--send")
    assert re.search(r"sam: invited on \d{4}-\d\d-\d\d already", again.stdout) and "Nobody to invite." in again.stdout
    assert len(smtp_server.received) == 2


def test_a_message_not_delivered_stays_unsent_and_the_next_send_delivers_only_it(asking: Site, smtp_server):
    mailing(asking, smtp_server)
    smtp_server.refuse.add("lee@example.net")
    result = asking.run("invite", "alpha", "--send")
    assert result.returncode == 1 and "Sent 1 of 2 messages." in result.stdout, result.stdout + result.stderr
    assert "Written, not sent: lee: send them with --send, or send the files yourself." in result.stdout
    lee = eml(asking, "_previews/lee/alpha-invitation.eml")["Message-ID"]
    assert record(asking, "alpha", "lee")["unsent"] == [lee] and "unsent" not in record(asking, "alpha", "sam")
    assert timeline_of(asking, "lee").endswith("(written, not sent)") and "written" not in timeline_of(asking, "sam")
    smtp_server.refuse.clear()
    result = asking.ok("invite", "alpha", "--send")
    assert "Sent 1 of 1 message." in result.stdout and "sam: invited on" in result.stdout
    assert [m["Message-ID"] for m in smtp_server.to("lee@example.net")] == [lee]
    assert len(smtp_server.to("sam@example.net")) == 1
    assert "unsent" not in record(asking, "alpha", "lee")


def test_a_written_message_that_changed_or_is_gone_is_written_again_then_sent(asking: Site, smtp_server):
    mailing(asking, smtp_server)
    asking.ok("invite", "alpha")
    old = {cid: eml(asking, f"_previews/{cid}/alpha-invitation.eml")["Message-ID"] for cid in ("sam", "lee")}
    asking.quote("alpha", "sam", "", prompt="What keeps a partnership alive?", note="Sam, your talk in June is why.")
    (asking.root / "_previews/lee/alpha-invitation.eml").unlink()
    result = asking.ok("invite", "alpha", "--send")
    for cid in ("sam", "lee"):
        assert re.search(rf"^  {cid}: wrote \S*alpha-invitation\.eml; sent to {cid}@example\.net$", result.stdout, re.M)
        (got,) = smtp_server.to(f"{cid}@example.net")
        assert got["Message-ID"] != old[cid]
        assert got["Message-ID"] == eml(asking, f"_previews/{cid}/alpha-invitation.eml")["Message-ID"]
        entry = record(asking, "alpha", cid)
        assert entry["mail"] == [old[cid], got["Message-ID"]] and "unsent" not in entry
    assert "your talk in June is why" in plain_text(smtp_server.to("sam@example.net")[0])


def test_a_reminder_written_without_send_is_sent_by_the_next_send_without_waiting(asking: Site, smtp_server):
    mailing(asking, smtp_server)
    asking.ok("invite", "alpha", "--contributor", "sam", "--send")
    asking.ok("invite", "alpha", "--contributor", "lee")  # written, never sent
    shift(asking, "alpha", "sam", 4)
    shift(asking, "alpha", "lee", 4)
    smtp_server.received.clear()
    dry = asking.ok("remind", "alpha")
    assert re.search(r"^  sam: wrote \S*alpha-reminder\.eml$", dry.stdout, re.M), dry.stdout
    written = (asking.root / "_previews/sam/alpha-reminder.eml").read_bytes()
    sam = eml(asking, "_previews/sam/alpha-reminder.eml")["Message-ID"]
    assert record(asking, "alpha", "sam")["unsent"] == [sam]
    assert re.fullmatch(r"invited \S+; reminded \S+ \(written, not sent\)", timeline_of(asking, "sam"))
    assert re.search(r"sam: last written to on \S+; the next reminder is due on \S+ \(remind_every: 3 days\); the "
                     r"reminder written on \S+ is not sent yet: roundup remind alpha --send sends it",
                     asking.ok("remind", "alpha").stdout)
    assert smtp_server.received == []

    sent = asking.ok("remind", "alpha", "--send")  # not `remind_every` days later: it was never sent
    assert re.search(r"^  sam: \S*alpha-reminder\.eml, as written earlier; sent to sam@example\.net$", sent.stdout,
                     re.M), sent.stdout
    assert re.search(r"lee: the invitation written on \S+ was never sent, so no reminder is sent: roundup invite "
                     r"alpha --contributor lee --send sends it", sent.stdout), sent.stdout
    (got,) = smtp_server.received
    assert got["rcpt_tos"] == ["sam@example.net"] and got["raw"].replace(b"\r\n", b"\n") == written
    assert "unsent" not in record(asking, "alpha", "sam") and "unsent" in record(asking, "alpha", "lee")
    assert re.fullmatch(r"invited \S+; reminded \S+", timeline_of(asking, "sam"))
    later = asking.ok("remind", "alpha", "--send")  # now it was sent: the next one waits `remind_every` days
    assert re.search(r"sam: last written to on \S+; the next reminder is due on", later.stdout), later.stdout
    assert len(smtp_server.received) == 1


def test_messages_greet_by_the_name_they_go_by_else_by_their_full_name(asking: Site):
    asking.contributor("sam", "Sam Reyes", short_name="Dr. Reyes", email="sam@example.net")
    asking.contributor("zoe", "Zoë Quill", short_name="Zoë", email="zoe@example.net")
    asking.ok("check")
    asking.ok("invite", "alpha")
    asking.ok("preview", "zoe")
    sam, lee, zoe = (eml(asking, rel) for rel in ("_previews/sam/alpha-invitation.eml",
                                                  "_previews/lee/alpha-invitation.eml", "_previews/zoe/alpha.eml"))
    assert plain_text(sam).startswith("Dear Dr. Reyes,\n") and "<p>Dear Dr. Reyes,</p>" in sam.get_body(("html",)).get_content()
    assert sam["To"] == "Sam Reyes <sam@example.net>"  # the address keeps the full name
    assert "I'm also asking Zoë Quill and Lee Park." in plain_text(sam)  # others are named in full
    assert plain_text(zoe).startswith("Dear Zoë,\n")
    assert plain_text(lee).startswith("Dear Lee Park,\n")  # no short_name: the full name, never a guessed "Lee"
    asking.ok("cancel", "alpha")
    assert plain_text(eml(asking, "_previews/sam/alpha.cancelled.eml")).startswith("Dear Dr. Reyes,\n")


def test_a_reminder_to_answer_asks_the_question_again_with_the_deadline(asking: Site):
    asking.ok("invite", "alpha")
    for cid in ("sam", "lee"):
        shift(asking, "alpha", cid, 5)
    asking.ok("remind", "alpha")
    sam = plain_text(eml(asking, "_previews/sam/alpha-reminder.eml"))
    lee = plain_text(eml(asking, "_previews/lee/alpha-reminder.eml"))
    deadline = f"The deadline is {SOON:%B} {SOON.day}, {SOON.year}."
    assert ("for Test Roundups: I'm still hoping for your answer to this question:\n\n> What keeps a partnership "
            f"alive?\n\n{deadline}\n\nA paragraph or two is plenty: just reply") in sam  # their own question
    assert "> What makes a partnership last?\n\n" + deadline in lee and "What keeps" not in lee  # the post's
    assert "<blockquote><p>What keeps a partnership alive?</p></blockquote>" in \
        eml(asking, "_previews/sam/alpha-reminder.eml").get_body(("html",)).get_content()


def comment(site: Site, slug: str, cid: str, text: str, day: dt.date) -> None:
    """Their comment, as `roundup inbox` keeps it in approvals.yml."""
    path = site.root / f"posts/{slug}/approvals.yml"
    data = yaml.safe_load(path.read_text())
    data[cid].update(comment=text, commented_at=f"{day.isoformat()}T12:00:00Z")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_a_reminder_after_a_comment_quotes_it_and_says_what_happens_next(asking: Site):
    asking.ok("preview", "zoe")
    shift(asking, "alpha", "zoe", 5)
    day = TODAY - dt.timedelta(days=1)
    comment(asking, "alpha", "zoe", "Lovely! Could my photo be a little bigger?", day)
    asking.ok("remind", "alpha")
    message = eml(asking, "_previews/zoe/alpha-reminder.eml")
    text = plain_text(message)
    assert text.startswith(f"Dear Zoë Quill,\n\nOn {day:%B} {day.day}, {day.year} you wrote about “Alpha Roundup”:\n\n"
                           "> Lovely! Could my photo be a little bigger?\n\nThank you: I've read it. I can only publish "
                           "your words once you approve them."), text
    assert "Ask for changes tells me what, and I'll send you a new preview." in text
    assert "still hoping for your look" not in text  # they have looked: they wrote about it
    assert re.search(r"^Approve: mailto:.*ru2", text, re.M) and "Ask for changes: mailto:" in text
    assert "<blockquote><p>Lovely! Could my photo be a little bigger?</p></blockquote>" in \
        message.get_body(("html",)).get_content()


def test_the_preview_thanks_for_the_answer_and_names_only_the_voices_it_shows(asking: Site):
    asking.ok("preview", "zoe")
    text = plain_text(eml(asking, "_previews/zoe/alpha.eml"))
    assert "\n\nThank you for your answer. Attached is a preview of exactly how the post will appear" in text
    assert "appears alongside" not in text  # sam and lee have no words in it yet
    assert "Could you answer" not in text
    assert f"Could you approve it, or tell me what you'd like changed, by {SOON:%B} {SOON.day}, {SOON.year}?" in text
    asking.quote("alpha", "sam", "Sam's words.\n")
    asking.approve("sam", "alpha")
    asking.ok("preview", "zoe")
    text = plain_text(eml(asking, "_previews/zoe/alpha.eml"))
    page = asking.read("_previews/zoe/alpha.html")
    assert "Your voice appears alongside Sam Reyes." in text and "Lee Park" not in text
    assert "Sam's words." in page  # the page shows sam's words
    asking.quote("alpha", "lee", "Lee's words.\n")  # answered, not approved: on the page by name only
    asking.ok("preview", "zoe")
    assert "Your voice appears alongside Sam Reyes." in plain_text(eml(asking, "_previews/zoe/alpha.eml"))
    assert "Lee's words." not in asking.read("_previews/zoe/alpha.html")
    asking.config(preview_others="all")  # every voice's words shown: every one named
    asking.ok("preview", "zoe")
    assert "Your voice appears alongside Sam Reyes and Lee Park." in plain_text(eml(asking, "_previews/zoe/alpha.eml"))
    assert "Lee's words." in asking.read("_previews/zoe/alpha.html")
