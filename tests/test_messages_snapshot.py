"""What a contributor reads, reviewed as a whole: every message roundup writes to one contributor, in each shipped
language, rendered from a real site on disk with fixed names, dates and codes, and compared with the reviewed
fixtures in tests/messages/<language>/<kind>.txt and .html. A change to any message shows as a diff; with
ROUNDUP_UPDATE_MESSAGES=1 the fixtures are written anew instead (review them with `git diff`)."""

from __future__ import annotations

import datetime as dt
import difflib
import os
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import Site
from roundup import approvals, i18n, tokens
from roundup.codes import codes_for
from roundup.consent import thread_of
from roundup.errors import Problems
from roundup.gate import assess_post
from roundup.messages import cancel_message, invitation_message, preview_message, thank_message
from roundup.outreach import reminder_for
from roundup.preview import make_preview
from roundup.threads import continue_thread, fresh_note
from roundup.validate import load_site

FIXTURES = Path(__file__).parent / "messages"
UPDATE = "ROUNDUP_UPDATE_MESSAGES"
SLUG = "partnerships"
NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
DEADLINE = dt.date(2026, 12, 17)
KINDS = ("invitation", "reminder-to-answer", "preview", "reminder-of-preview", "reminder-after-comment",
         "preview-after-changes", "thanks", "cancelled-after-answer", "cancelled-before-answer")
"""Every message a contributor can get about a post, in the order of a round."""


@pytest.fixture
def clock(monkeypatch) -> list[dt.datetime]:
    """The time approvals.yml records (set the first item to move it), and a fixed secret: fixed codes."""
    now = [NOW]
    monkeypatch.setattr(approvals, "_now", lambda: now[0].isoformat().replace("+00:00", "Z"))
    monkeypatch.setenv("ROUNDUP_SECRET", "a fixed secret for the reviewed messages")
    return now


def round_trip(root: Path, language: str, clock: list[dt.datetime]) -> Iterator[tuple[str, EmailMessage]]:
    """Priya's round in `language`, from her invitation to the thanks, each message as roundup writes it."""
    site = Site(root)
    site.config(title="Friends of the Blog", base_url="https://blog.example/",
                editor={"name": "Ann Example", "email": "ann@blog.example"})
    site.contributor("priya", "Priya Nair", short_name="Priya", email="priya@mail.example", language=language)
    site.contributor("sam", "Sam Reed", email="sam@mail.example")
    site.contributor("marcus", "Marcus Webb", email="marcus@mail.example")
    site.post(SLUG, title="Nurturing partnerships", summary="Three friends on what makes working together last.",
              prompt="What makes an online partnership last?", deadline=DEADLINE, voices=["priya", "sam", "marcus"])
    site.quote(SLUG, "sam", "Show up, every week, even when nobody is watching.\n")
    site.quote(SLUG, "priya", "", note="Your talk in Lisbon is why I thought of you first.")
    _decide(site, "sam", "approved", clock, dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc))

    loaded = load_site(site.root)
    post, person = loaded.post(SLUG), loaded.contributors["priya"]
    quote = next(q for q in post.unanswered if q.contributor_id == "priya")
    out = codes_for(loaded, SLUG, "priya", "", tokens.expiry_for(post, NOW), out=True)
    yield "invitation", _sent(site.root, invitation_message(loaded, post, person, quote, out), quote.note)
    yield "reminder-to-answer", _sent(site.root, reminder_for(loaded, *_voice(loaded, "priya"), NOW).message)

    site.quote(SLUG, "priya", "Trust, and a shared calendar.\n\nWe answer each other within a day.\n",
               note="Your talk in Lisbon is why I thought of you first.")
    yield "preview", _preview(site.root, clock, dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.timezone.utc))
    yield "reminder-of-preview", _sent(site.root, reminder_for(*_loaded_voice(site.root, "priya"), NOW).message)
    clock[0] = dt.datetime(2026, 12, 4, 18, 0, tzinfo=dt.timezone.utc)
    loaded = load_site(site.root)
    approvals.record_comment(loaded, loaded.post(SLUG), "priya", "Lovely! Could my photo be a little bigger?")
    yield "reminder-after-comment", _sent(site.root, reminder_for(*_loaded_voice(site.root, "priya"), NOW).message)

    _decide(site, "priya", "declined", clock, dt.datetime(2026, 12, 5, 11, 0, tzinfo=dt.timezone.utc),
            reason="Please say “shared calendar”, not “calendar”.")
    site.quote(SLUG, "priya", "Trust, and a shared calendar we both keep.\n\nWe answer each other within a day.\n")
    yield "preview-after-changes", _preview(site.root, clock, dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.timezone.utc))

    loaded = load_site(site.root)
    cancel_with = "The magazine that was to carry it has closed."
    for kind, answered in (("cancelled-after-answer", True), ("cancelled-before-answer", False)):
        yield kind, _in_thread(site.root, cancel_message(loaded, loaded.post(SLUG), person, cancel_with,
                                                         answered=answered))

    site.quote(SLUG, "marcus", "Say what you will do, then do it.\n")
    for cid in ("priya", "marcus"):
        _decide(site, cid, "approved", clock, dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.timezone.utc))
    loaded = load_site(site.root)
    shown = assess_post(loaded, loaded.post(SLUG)).published_post
    assert shown is not None
    yield "thanks", _in_thread(site.root, thank_message(loaded, shown, loaded.contributors["priya"],
                                                        f"https://blog.example/posts/{SLUG}/#voice-priya"))


def _in_thread(root: Path, message: EmailMessage) -> EmailMessage:
    """The message as the next one of Priya's conversation (its "Re:" subject), as `--send` writes it."""
    loaded = load_site(root)
    return continue_thread(message, thread_of(approvals.read_records(root, loaded.post(SLUG), Problems())
                                              .get("priya")))


def _sent(root: Path, message: EmailMessage, note: str | None = None) -> EmailMessage:
    """The message in her conversation, recorded as delivered (with the private note it carried), as `--send` does."""
    message = _in_thread(root, message)
    loaded = load_site(root)
    approvals.record_sent(loaded, loaded.post(SLUG), "priya", str(message["Message-ID"]), str(message["Subject"]),
                          note)
    return message


def _decide(site: Site, cid: str, decision: str, clock: list[dt.datetime], at: dt.datetime,
            reason: str | None = None) -> None:
    clock[0] = at
    loaded = load_site(site.root)
    approvals.record(loaded, loaded.post(SLUG), cid, decision, reason=reason)


def _voice(loaded, cid: str):
    status = assess_post(loaded, loaded.post(SLUG))
    return status, next(v for v in status.voices if v.contributor_id == cid)


def _loaded_voice(root: Path, cid: str):
    loaded = load_site(root)
    return (loaded, *_voice(loaded, cid))


def _preview(root: Path, clock: list[dt.datetime], at: dt.datetime) -> EmailMessage:
    """The preview message as `roundup preview` writes it, recorded as sent at `at`."""
    clock[0] = at
    loaded = load_site(root)
    status, voice = _voice(loaded, "priya")
    made = make_preview(loaded, status, voice, NOW, frozenset())
    quote = next(q for q in status.post.quotes if q.contributor_id == "priya")
    approvals.record_event(loaded, status.post, "priya", "previewed", "<preview@blog.example>",
                           previewed_digest=voice.digest)
    note = fresh_note(thread_of(voice.record), quote.note)  # said in the invitation: not again
    return _sent(root, preview_message(loaded, status.post, made.contributor, note, made.info, made.html), note)


def reviewed(message: EmailMessage) -> dict[str, str]:
    """What the reader sees: the text part (under its subject and addressee) and the HTML part, if any."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    parts = {"txt": f"Subject: {message['Subject']}\nTo: {message['To']}\n\n{text.get_content()}"}
    if html is not None:
        parts["html"] = html.get_content()
    return parts


def compare(path: Path, actual: str) -> str | None:
    """A unified diff between the reviewed fixture and `actual` (None when they agree); with ROUNDUP_UPDATE_MESSAGES
    set, the fixture is written anew instead."""
    expected = path.read_text(encoding="utf-8") if path.exists() else None
    if expected == actual:
        return None
    if os.environ.get(UPDATE):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return None
    if expected is None:
        return f"{path} is missing: run with {UPDATE}=1 to write it, then read it"
    rel = f"{path.parent.name}/{path.name}"
    return "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                        f"{rel} (reviewed)", f"{rel} (written now)"))


@pytest.mark.parametrize("language", i18n.shipped())
def test_every_message_reads_as_reviewed(tmp_path: Path, clock: list[dt.datetime], language: str):
    made = dict(round_trip(tmp_path / "site", language, clock))
    assert tuple(sorted(made)) == tuple(sorted(KINDS))
    diffs = [diff for kind in KINDS for ext, actual in reviewed(made[kind]).items()
             if (diff := compare(FIXTURES / language / f"{kind}.{ext}", actual))]
    assert not diffs, f"messages differ from the reviewed ones ({UPDATE}=1 rewrites them):\n" + "\n".join(diffs)


def test_a_changed_message_fails_with_a_diff_and_the_update_switch_rewrites_it(tmp_path: Path, monkeypatch):
    path = tmp_path / "messages" / "en" / "thanks.txt"
    path.parent.mkdir(parents=True)
    path.write_text("Dear Priya,\n\nThank you.\n", encoding="utf-8")
    monkeypatch.delenv(UPDATE, raising=False)
    diff = compare(path, "Dear Priya,\n\nThank you so much.\n")
    assert diff is not None and "-Thank you.\n" in diff and "+Thank you so much.\n" in diff
    assert path.read_text(encoding="utf-8") == "Dear Priya,\n\nThank you.\n"  # nothing rewritten unasked
    monkeypatch.setenv(UPDATE, "1")
    assert compare(path, "Dear Priya,\n\nThank you so much.\n") is None
    assert path.read_text(encoding="utf-8") == "Dear Priya,\n\nThank you so much.\n"
    monkeypatch.delenv(UPDATE)
    assert compare(path, "Dear Priya,\n\nThank you so much.\n") is None
