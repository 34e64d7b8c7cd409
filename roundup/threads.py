"""One conversation per person and post: the Message-IDs roundup sent them about it, and the headers
(In-Reply-To, References, a "Re:" subject) that make each later message continue it."""

from __future__ import annotations

import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage

MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f\x41-\x7e]{1,200}@[\x21-\x3b\x3d\x3f\x41-\x7e]{1,200}>")
"""A Message-ID as roundup makes them: printable ASCII between <>, one @, no space, no line break."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
"""Control characters (C0 and C1) and the line and paragraph separators: each may end a header line."""
REPLY = "Re: "
"""What a subject that continues a conversation starts with: the prefix mail clients use in every language."""


class MessageIdsHeader(UnstructuredHeader):
    """In-Reply-To and References: Message-IDs, folded only between them and never encoded, however long (the
    default folding turns a Message-ID longer than a line into an encoded word, which no mail client decodes in
    these headers: the reply would not thread)."""

    max_count = 1

    def fold(self, *, policy: email.policy.Policy) -> str:
        return f"{self.name}: " + f"{policy.linesep} ".join(str(self).split()) + policy.linesep


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("in-reply-to", MessageIdsHeader)
_HEADERS.map_to_type("references", MessageIdsHeader)
POLICY = email.policy.default.clone(header_factory=_HEADERS)
"""How roundup writes and reads back its messages: the standard policy, with MessageIdsHeader."""


@dataclass(frozen=True, slots=True)
class Thread:
    """What roundup sent one person about one post (`--send` only: a message written and not sent is no part
    of it)."""

    sent: tuple[str, ...] = ()
    """The Message-IDs delivered, oldest first."""
    subject: str | None = None
    """The subject of the first of them: every later one is its "Re:"."""
    notes: tuple[str, ...] = ()
    """The digests of the private notes sent to them: each is said once (see `fresh_note`)."""


def is_message_id(value: str) -> bool:
    return MESSAGE_ID.fullmatch(value) is not None


def one_line(text: str) -> str:
    """Text for a header or a mailto subject: line breaks and control characters become one space (a name or a
    title can never add a header)."""
    return _CONTROL.sub(" ", text).strip()


def continue_thread(message: EmailMessage, thread: Thread) -> EmailMessage:
    """The message as the next one of the conversation: In-Reply-To the last message sent, References the
    whole chain, and the subject "Re: " the first one's. A person sent nothing yet starts the thread with it."""
    chain = [m for m in thread.sent if is_message_id(m)]
    if not chain:
        return message
    del message["In-Reply-To"], message["References"]  # continued once, whatever it said before
    message["In-Reply-To"] = chain[-1]
    message["References"] = " ".join(chain)
    first = one_line(thread.subject or str(message["Subject"] or ""))
    message.replace_header("Subject", first if first.lower().startswith(REPLY.lower()) else REPLY + first)
    return message


def note_digest(note: str) -> str:
    """The digest roundup keeps of a private note it sent: enough to tell when the editor changes it."""
    return "sha256:" + hashlib.sha256(note.strip().encode("utf-8")).hexdigest()


def fresh_note(thread: Thread, note: str | None) -> str | None:
    """The private note to put in the next message: the quote's `note` (or `remind_note`), unless that very
    note was sent to them already."""
    return note if note and note_digest(note) not in thread.notes else None
