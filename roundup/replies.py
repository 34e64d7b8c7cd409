"""Reading one incoming e-mail: who sent it, what it answers, and its text (`quoting` tells the new words from the quoted rest)."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

import html2text

from roundup.quoting import split

LIMIT = 10 * 1024 * 1024
"""Bytes; larger messages are refused unread by the sources."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message as inbox sees it: header facts, and its body split into new words and quoted rest."""

    key: str
    """The Message-ID as in the header, angle brackets kept, whitespace removed; "<sha256:HEX@roundup>"
    of the raw bytes when there is none."""
    sender: str
    """The From addr-spec, lowercased; "" when missing, unparseable or more than one."""
    sender_name: str
    """The From display name, control characters removed, at most 200 characters."""
    subject: str
    """Decoded (RFC 2047), line breaks and tabs collapsed to one space, at most 300 characters."""
    thread: tuple[str, ...]
    """Message-IDs from In-Reply-To then References, each "<...>", without repeats."""
    new_text: str
    """The person's new words only: quoted original, attributions, signatures removed; "\\n" line ends."""
    quoted_text: str
    """The rest of the body text (the quoted original and what was cut), for token rules."""
    set_aside: str | None
    """Why this is not a person's reply, in words; None when it is one."""
    body: str = ""
    """The whole body as plain text, "\\n" line ends (for taking roundup's own words out of it)."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_MSGID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,996}>")
_ADDR = re.compile(r"[^\s@<>()\[\]\\,;:\"]{1,64}@[^\s@<>()\[\]\\,;:\"]{1,189}")
_FORWARD_SUBJECT = re.compile(r"^(fwd?|wg|tr|rv|enc|doorst)\s?:", re.I)
_AUTO_SUBJECT = re.compile(r"^(out of office|automatic reply|auto:|autoreply|auto-reply|abwesenheitsnotiz"
                           r"|r[ée]ponse automatique|respuesta autom[áa]tica)", re.I)
_AUTOMATIC = {  # headers that mark mail sent by a machine, in the order they are named as the reason
    "Auto-Submitted": lambda v: v.split(";")[0].strip() not in ("", "no"), "X-Autoreply": lambda v: True,
    "X-Autorespond": lambda v: True, "Precedence": lambda v: v in ("auto_reply", "bulk", "junk"),
    "Return-Path": lambda v: v == "<>"}
_HTML_LIMIT = 2 * 1024 * 1024  # characters of markup converted (html2text takes ~2 s a MB; the new words come first)
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")


def parse(raw: bytes) -> Reply:
    """The Reply for any bytes at all; never raises."""
    try:
        return _parse(raw)
    except Exception as error:  # noqa: BLE001 - the contract is "never raises"; the reason is kept
        key = _sha_key(raw if isinstance(raw, bytes) else b"")
        reason = f"malformed MIME: {type(error).__name__}"
        return Reply(key, "", "", "", (), "", "", reason)


def head_key(head: bytes) -> tuple[str, str, str]:
    """(key, sender, subject) from the header bytes alone, for a message too large to read whole."""
    try:
        msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
        return _key(msg, head), _sender(msg)[0], _subject(msg)
    except Exception:  # noqa: BLE001 - never raises, like parse()
        return _sha_key(head), "", ""


def _parse(raw: bytes) -> Reply:
    msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    sender, name = _sender(msg)
    subject = _subject(msg)
    body, defects = _body(msg)
    new, quoted, forwarded = split(body or "", name)
    reason = _automatic(msg, sender, name, subject) or _unauthenticated(msg, sender)
    if reason is None and (forwarded or _FORWARD_SUBJECT.match(subject)):
        reason = "a forwarded message, not a reply"
    if reason is None and body is None and defects:
        reason = f"malformed MIME: {', '.join(sorted(defects))}; no text could be read"
    if reason is None and not new:
        reason = "no text in it" if not quoted else "no new text in it, only the quoted original"
    return Reply(_key(msg, raw), sender, name, subject, _thread(msg), new, quoted, reason, body or "")


def _sha_key(data: bytes) -> str:
    return f"<sha256:{hashlib.sha256(data).hexdigest()}@roundup>"


def _raw(msg: Message, name: str) -> list[str]:
    """Every `name` header as written (8-bit bytes read as UTF-8, else windows-1252), folds unfolded."""
    values = [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]
    return [re.sub(r"\r?\n[ \t]", " ", _text_of(v.encode("utf-8", "surrogateescape"), "utf-8")) for v in values]


def _header(msg: Message, name: str) -> str | None:
    return next(iter(_raw(msg, name)), None)


def _decoded(value: str) -> str:
    """RFC 2047 encoded words decoded; the text as it is when they are broken."""
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # noqa: BLE001 - a broken encoded word is shown as written
        return value


def clean(text: str, limit: int) -> str:
    """One line of printable text: control characters, line breaks and tabs become single spaces."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", text))
    return " ".join(text.split())[:limit].strip()


def _key(msg: Message, raw: bytes) -> str:
    value = _header(msg, "Message-ID")
    key = "".join(_CONTROL.sub(" ", value).split()) if value else ""
    return key if 0 < len(key) <= 998 else _sha_key(raw)


def _sender(msg: Message) -> tuple[str, str]:
    """(address, display name); the address is "" unless exactly one mailbox is named."""
    values = _raw(msg, "From")
    if len(values) != 1:
        return "", ""
    raw = values[0]
    pairs = [(n, a) for n, a in getaddresses([raw]) if n or a]
    if len(pairs) != 1:
        return "", clean(_decoded(raw), 200)
    name, address = pairs[0]
    address = address.strip().lower()
    return (address if _ADDR.fullmatch(address) else ""), clean(_decoded(name), 200)


def _subject(msg: Message) -> str:
    return clean(_decoded(_header(msg, "Subject") or ""), 300)


def _thread(msg: Message) -> tuple[str, ...]:
    ids: list[str] = []
    for name in ("In-Reply-To", "References"):
        for value in _raw(msg, name):
            ids.extend(_MSGID.findall(value))
    return tuple(dict.fromkeys(ids))


def _automatic(msg: Message, sender: str, name: str, subject: str) -> str | None:
    """Why the message was sent by a machine (bounce, auto-reply), or None."""
    report = str(msg.get_param("report-type") or "") if msg.get_content_type() == "multipart/report" else ""
    if report.lower() == "delivery-status" or sender.partition("@")[0] in ("mailer-daemon", "postmaster") \
            or name.lower().startswith("mail delivery"):
        return "a delivery failure report (bounce)"
    found = [(header, clean(value, 60)) for header in _AUTOMATIC for value in _raw(msg, header)[:1]]
    evidence = next((f"{h}: {v}" for h, v in found if _AUTOMATIC[h](v.lower())), None)
    if _AUTO_SUBJECT.match(subject):
        return f"an out-of-office reply ({evidence or 'subject: ' + subject[:60]})"
    return None if evidence is None else f"an automatic reply ({evidence})"


_RESULT = re.compile(r"^\s*(dkim|dmarc)\s*=\s*(\w+)(.*)$", re.I | re.S)
_DOMAIN = re.compile(r"\bheader\.(?:from|d|i)\s*=\s*@?([^\s;()]+)", re.I)


def _unauthenticated(msg: Message, sender: str) -> str | None:
    """Why the receiving server doubts the sender: its Authentication-Results say DKIM or DMARC failed for the
    sender's domain (a forged From:); None otherwise. A "pass" proves nothing: anyone can write one."""
    domain = sender.rpartition("@")[2]
    for value in _raw(msg, "Authentication-Results"):
        for part in value.split(";")[1:]:
            found = _RESULT.match(part)
            if not found or found.group(2).lower() not in ("fail", "permerror"):
                continue
            named = _DOMAIN.findall(found.group(3))
            if not named or any(d.lower().rstrip(".") == domain for d in named):
                return (f"its receiving server says {found.group(1).upper()} failed for {domain or 'the sender'} "
                        "(Authentication-Results): the sender may be forged")
    return None


def _body(msg: Message) -> tuple[str | None, set[str]]:
    """The body as plain text (text/plain preferred, else text/html converted), and defects seen."""
    plain: list[Message] = []
    html: list[Message] = []
    defects: set[str] = set()
    _collect(msg, plain, html, defects, 0)
    for part, convert in [(p, False) for p in plain] + [(h, True) for h in html]:
        text = _text(part)
        if text is not None:
            return (_from_html(text) if convert else _unflow(part, text)), defects
    return None, defects


def _collect(part: Message, plain: list[Message], html: list[Message], defects: set[str], depth: int) -> None:
    """Text parts of the message itself, in order: not attachments, not inside attached messages."""
    defects.update(type(d).__name__ for d in getattr(part, "defects", ()))
    if depth > 30:
        defects.add("TooDeeplyNested")
        return
    ctype = part.get_content_type()
    if ctype.startswith("message/") or str(part.get("Content-Disposition", "")).strip().lower().startswith("attach"):
        return
    if part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                _collect(sub, plain, html, defects, depth + 1)
        return
    if ctype == "text/plain":
        plain.append(part)
    elif ctype == "text/html":
        html.append(part)


def _text(part: Message) -> str | None:
    """The part's payload decoded (QP/base64, then charset); None when there is no payload."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    text = _text_of(data, str(part.get_content_charset() or "us-ascii").lower())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_CONTROL.sub("", text)


def _text_of(data: bytes, charset: str) -> str:
    """Bytes in a declared charset as text; undeclared 8-bit, unknown charsets: UTF-8, else windows-1252."""
    charset = "windows-1252" if charset in ("iso-8859-1", "latin-1", "latin1") else charset  # as browsers do
    if charset not in ("us-ascii", "ascii", "utf-8", "utf8"):
        try:
            return data.decode(charset, "replace")
        except (LookupError, ValueError, TypeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("windows-1252", "replace")


def _unflow(part: Message, text: str) -> str:
    """RFC 3676 format=flowed joined back into paragraphs (quote depth kept); other text unchanged."""
    if str(part.get_param("format") or "").lower() != "flowed":
        return text
    delsp = str(part.get_param("delsp") or "").lower() == "yes"
    out: list[tuple[int, str]] = []
    joining = False  # the previous line was flowed: this one continues it (at the same quote depth)
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth + 1:] if line[depth:depth + 1] == " " else line[depth:]
        if joining and out[-1][0] == depth:
            out[-1] = (depth, out[-1][1] + content)
        else:
            out.append((depth, content))
        joining = content.endswith(" ") and content != "-- "
        if joining and delsp:
            out[-1] = (depth, out[-1][1][:-1])
    return "\n".join((">" * d + " " + c) if d else c for d, c in out)


def _from_html(markup: str) -> str:
    """Text of an HTML body, as the Markdown a quote file holds: blockquotes become "> " lines, bold and italics
    `**bold**` and `*italics*`; no links or images."""
    converter = _Text()
    converter.ignore_links = converter.ignore_images = converter.ignore_emphasis = True
    converter.ignore_tables = converter.unicode_snob = True
    converter.body_width = 0
    text = converter.handle(markup[:_HTML_LIMIT].translate(_UNMARK)).replace("\xa0", " ")
    text = _MD_ESCAPE.sub(r"\1", text)
    for pattern, mark in _EMPHASIS:
        text = pattern.sub(lambda m: m[1] + (mark + m[2] + mark if any(c.isalnum() for c in m[2]) else m[2]) + m[3],
                           text)
    return text.translate(_UNMARK)


_MARKS = {"b": "\ue000\ue001", "strong": "\ue000\ue001", "i": "\ue002\ue003", "em": "\ue002\ue003"}
"""Where bold and italics start and end, marked by characters of the private use area while html2text works
(its own emphasis marks add spaces inside words and leave `****` for empty tags)."""
_UNMARK = dict.fromkeys(map(ord, "\ue000\ue001\ue002\ue003"))
_EMPHASIS = ((re.compile("\ue002(\\s*)([^\ue002\ue003\n]*?)(\\s*)\ue003"), "*"),
             (re.compile("\ue000(\\s*)([^\ue000\ue001\n]*?)(\\s*)\ue001"), "**"))
"""Italics, then bold, within one line, as Markdown marks around the words (spaces kept outside them); a pair
across lines or around no word is dropped."""


class _Text(html2text.HTML2Text):
    """html2text, with bold and italics marked (see `_MARKS`) outside preformatted text."""

    def handle_tag(self, tag: str, attrs: dict[str, str | None], start: bool) -> None:
        mark = _MARKS.get(tag)
        if mark is None or self.pre:
            super().handle_tag(tag, attrs, start)
        else:
            self.o(mark[not start])
