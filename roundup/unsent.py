"""Messages written and not sent yet: the event a Message-ID was written for, the copy kept on disk, and
whether that copy is still the message to send."""

from __future__ import annotations

import email
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from roundup.threads import POLICY

EVENTS = ("invited", "previewed", "reminded")
"""The events whose message a later `--send` may deliver (the keys `<event>_at` in approvals.yml)."""
_LEFT_OUT = frozenset({"message-id", "date", "content-type"})
"""Headers that differ between two writings of the same message (Content-Type only by its MIME boundary:
each part's type is compared on its own)."""


def tag(message: EmailMessage, event: str) -> None:
    """Give the message a Message-ID that names the event it is written for ("<….invited@example.com>"): the
    record of its Message-ID alone then says what it was (see `waiting`)."""
    domain = str(message["Message-ID"] or "").strip().strip("<>").rpartition("@")[2] or "roundup.invalid"
    message.replace_header("Message-ID", make_msgid(idstring=event, domain=domain))


def event_of(message_id: str) -> str | None:
    """The event a Message-ID made by `tag` was written for; None for any other."""
    local = message_id.strip().strip("<>").rpartition("@")[0]
    event = local.rpartition(".")[2]
    return event if event in EVENTS else None


def waiting(unsent: Iterable[str], event: str) -> str | None:
    """The Message-ID, among those written and not sent, of the message written for `event` (the latest)."""
    return next((m for m in reversed(tuple(unsent)) if event_of(m) == event), None)


def on_disk(path: Path, message_id: str) -> EmailMessage | None:
    """The message kept at `path` when it is still the one with this Message-ID; None when the file is gone,
    cannot be read, or holds another message."""
    try:
        message = email.message_from_bytes(path.read_bytes(), policy=POLICY)
    except (OSError, ValueError, LookupError):
        return None
    found = str(message["Message-ID"] or "").strip()
    return message if found == message_id.strip() else None  # type: ignore[return-value]


def same(kept: EmailMessage, made: EmailMessage) -> bool:
    """The two messages say the same thing to the same people: every header but those that change with each
    writing (Message-ID, Date, the MIME boundary), and every part's type, name and content."""
    return _headers(kept) == _headers(made) and _parts(kept) == _parts(made)


def _headers(message: EmailMessage) -> list[tuple[str, str]]:
    return sorted((name.lower(), str(value)) for name, value in message.items() if name.lower() not in _LEFT_OUT)


def _parts(message: EmailMessage) -> list[tuple[str, str | None, object]]:
    try:
        return [(part.get_content_type(), part.get_filename(),
                 None if part.is_multipart() else part.get_content()) for part in message.walk()]
    except (LookupError, ValueError, KeyError):  # a part the parser cannot decode: never the same
        return [("unreadable", None, object())]
