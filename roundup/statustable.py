"""The status table: each post's voices and their states, what a build would publish, and each voice's
history, as plain aligned text (`status`, and the site's index that keeps each post's part of it)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from roundup.gate import Inclusion, PostStatus, VoiceState, VoiceStatus
from roundup.unsent import waiting
from roundup.words import count

VERDICT = {
    Inclusion.PUBLISHED: "publishes",
    Inclusion.LIVE: "publishes its last approved version",
    Inclusion.WITHHELD: "withheld",
    Inclusion.DRAFT: "draft (withheld)",
    Inclusion.CANCELLED: "cancelled",
}


def width(text: str) -> int:
    """Columns a string takes in a terminal (wide East Asian characters take two)."""
    if text.isascii():  # one column a character: the common case, without a lookup a character
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Rows of cells, each column padded to its widest cell."""
    if not rows:
        return []
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(pad(cell, w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def status_report(statuses: tuple[PostStatus, ...], timeline: bool = False,
                  today: dt.date | None = None) -> list[str]:
    """Posts × contributors: each voice's state, and what a build would publish; with `timeline`, each
    voice's history below the table."""
    today = today or utc_today()
    if not statuses:
        return ["No posts yet. Start one with `roundup new post <slug>`."]
    lines = [line for status in statuses for line in post_status(status, today, timeline)]
    return lines + status_summary([(s.post.slug, s.inclusion) for s in statuses])


def utc_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def overdue(status: PostStatus, today: dt.date) -> bool:
    """The post's deadline has passed while voices of a post still to publish are pending."""
    post = status.post
    return bool(post.deadline and post.deadline < today and status.pending
                and status.inclusion not in (Inclusion.CANCELLED, Inclusion.PUBLISHED))


def post_status(status: PostStatus, today: dt.date, timeline: bool = False) -> list[str]:
    """One post's part of the status table (and, with `timeline`, each voice's history)."""
    post, late = status.post, overdue(status, today)
    approved = sum(v.state is VoiceState.APPROVED for v in status.voices)
    due = f", deadline {post.deadline.isoformat()}" if post.deadline else ""
    lines = [f"{post.slug}  ({post.date.isoformat()}{due}, {VERDICT[status.inclusion]}, "
             f"{approved}/{len(status.voices)} approved)"]
    rows = [[v.contributor_id, v.name, v.state.value + (" (overdue)" if late and v in status.pending else ""),
             why(v)] for v in status.voices]
    lines.extend(table(rows) or ["  (no voices yet)"])
    if late:
        lines.append(f"Overdue: the deadline {post.deadline.isoformat()} has passed; still waiting for "
                     f"{', '.join(v.contributor_id for v in status.pending)}. Set a later `deadline` in "
                     f"{post.source} to send new previews or reminders.")
    if timeline:
        lines.extend(history(status))
    if status.inclusion is Inclusion.LIVE:
        lines.append(f"Live: {status.live_summary}.")
    elif status.down:
        lines.append(f"Taken down: {status.down}.")
    lines.append("")
    return lines


def status_summary(posts: list[tuple[str, Inclusion]]) -> list[str]:
    """The status table's last lines: what a build would publish and what it would withhold."""
    publish = [slug + (" (its last approved version)" if inclusion is Inclusion.LIVE else "")
               for slug, inclusion in posts if inclusion in (Inclusion.PUBLISHED, Inclusion.LIVE)]
    held = [slug for slug, inclusion in posts if inclusion in (Inclusion.WITHHELD, Inclusion.DRAFT)]
    lines = [f"A build would publish {count(len(publish), 'post')}" + (f": {', '.join(publish)}." if publish else ".")]
    if held:
        lines.append(f"Withheld: {', '.join(held)}.")
    return lines


EVENTS = (("invited", "invited_at"), ("answered", "answered_at"), ("previewed", "previewed_at"),
          ("reminded", "reminded_at"))


def history(status: PostStatus) -> list[str]:
    """Each voice's round trip so far, oldest first: invited, answered, previewed, reminded, approved or
    declined, each with its date (the latest of each; a message written and not sent says so)."""
    lines = ["Timeline:"]
    for voice in status.voices:
        record = voice.record
        events = [(getattr(record, key), word, " (written, not sent)" if waiting(record.unsent, word) else "")
                  for word, key in EVENTS if record and getattr(record, key)]
        if record and record.decision:
            decided = "not taking part" if record.decision == "out" else record.decision
            events.append((record.at, decided, f" (via {record.via})" if record.via != "cli" else ""))
        events.sort(key=lambda e: e[0])
        told = "; ".join(f"{word} {at.date().isoformat()}{how}" for at, word, how in events) or "nothing sent yet"
        lines.append(f"  {voice.contributor_id}: {told}")
        if record and record.comment and record.commented_at:
            said = " ".join(record.comment.split())
            lines.append(f"    comment {record.commented_at.date().isoformat()}: “{said[:200]}{'…' * (len(said) > 200)}”")
    return lines


def why(voice: VoiceStatus) -> str:
    """A voice's reason without the state word already shown beside it ("declined on …" → "on …")."""
    return voice.reason.removeprefix(voice.state.value + " ")
