"""Replies as real mail clients write them, built from a message roundup wrote: each client's headers and quoting."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import re
import textwrap
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

APPROVE, CHANGES, COUNT_ME_OUT = "ru2", "rc2", "ro2"
"""The first letters of the code that tells each mailto: button apart (in its subject, else its body)."""
CODE = re.compile(r"(?<![a-z0-9])(ru2|rc2|ro2)[a-z2-7]{44}(?![a-z0-9])")

OUTLOOK = {  # language: (reply prefix, From, Sent, To, Subject), as Outlook desktop writes its header block
    "en": ("RE:", "From:", "Sent:", "To:", "Subject:"),
    "de": ("AW:", "Von:", "Gesendet:", "An:", "Betreff:"),
    "fr": ("RE :", "De :", "Envoyé :", "À :", "Objet :"),
    "es": ("RE:", "De:", "Enviado:", "Para:", "Asunto:"),
    "it": ("R:", "Da:", "Inviato:", "A:", "Oggetto:"),
    "nl": ("RE:", "Van:", "Verzonden:", "Aan:", "Onderwerp:"),
    "pt": ("RE:", "De:", "Enviado:", "Para:", "Assunto:"),
    "ja": ("RE:", "差出人:", "送信日時:", "宛先:", "件名:"),
    "zh": ("答复:", "发件人:", "发送时间:", "收件人:", "主题:"),
    "ar": ("رد:", "من:", "تاريخ الإرسال:", "إلى:", "الموضوع:"),
    "ru": ("RE:", "От:", "Отправлено:", "Кому:", "Тема:"),
    "tr": ("Ynt:", "Kimden:", "Gönderildi:", "Kime:", "Konu:"),
    "hu": ("Vá:", "Feladó:", "Elküldve:", "Címzett:", "Tárgy:"),
    "el": ("ΑΠ:", "Από:", "Στάλθηκε:", "Προς:", "Θέμα:"),
    "ko": ("RE:", "보낸 사람:", "보낸 날짜:", "받는 사람:", "제목:"),
    "fi": ("Vs:", "Lähettäjä:", "Lähetetty:", "Vastaanottaja:", "Aihe:"),
    "pl": ("Odp:", "Od:", "Wysłane:", "Do:", "Temat:"),
    "cs": ("RE:", "Od:", "Odesláno:", "Komu:", "Předmět:"),
}
APPLE = {  # language: attribution line above the "> " quote ({who} is "Name <address>")
    "en": "On {d} {b} {Y}, at {H}:{M}, {who} wrote:",
    "de": "Am {dd}.{mm}.{Y} um {H}:{M} schrieb {who}:",
    "fr": "Le {dd}/{mm}/{Y} à {H}:{M}, {who} a écrit :",
    "es": "El {d}/{mm}/{Y}, a las {H}:{M}, {who} escribió:",
    "ru": "{d}.{mm}.{Y}, в {H}:{M}, {who} написал(а):",
}
THUNDERBIRD = {"en": "On {dd}/{mm}/{Y} {H}:{M}, {name} wrote:", "de": "Am {dd}.{mm}.{y} um {H}:{M} schrieb {name}:"}
RULE = "_" * 32


@dataclass(frozen=True, slots=True)
class Original:
    """The message being answered, as a reply needs it."""

    message: EmailMessage
    """The whole parsed message (headers decoded)."""
    text: str
    """Its text/plain part, decoded, "\\n" line ends."""
    html: str
    """What is inside <body> of its text/html part ("" when it has none)."""
    date: dt.datetime
    """When it was sent (its Date header)."""


def read(raw: bytes) -> Original:
    """Parse the bytes of a message (an .eml roundup wrote, or any reply) for quoting."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    plain, markup = msg.get_body(("plain",)), msg.get_body(("html",))
    text = plain.get_content().replace("\r\n", "\n") if plain else ""
    inner = re.search(r"<body[^>]*>(.*)</body>", markup.get_content(), re.S) if markup else None
    return Original(msg, text, inner.group(1) if inner else "", msg["Date"].datetime if msg["Date"] else _now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _fields(when: dt.datetime) -> dict[str, str]:
    return {"d": str(when.day), "dd": f"{when.day:02}", "mm": f"{when.month:02}", "Y": str(when.year),
            "y": f"{when.year % 100:02}", "H": f"{when.hour:02}", "M": f"{when.minute:02}",
            "b": when.strftime("%b"), "a": when.strftime("%a"), "I": str(when.hour % 12 or 12),
            "p": when.strftime("%p")}


def headers(original: Original, sender: str, name: str, prefix: str = "Re:", thread: bool = True) -> EmailMessage:
    """A new message from the contributor answering `original`: "Re: …" subject, Date, a new Message-ID, and
    In-Reply-To/References to the original (left out with thread=False, as some clients do)."""
    src = original.message
    msg = EmailMessage()
    msg["From"] = formataddr((name, sender))
    msg["To"] = str(src["Reply-To"] or src["From"])
    msg["Subject"] = f"{prefix} {src['Subject']}"
    msg["Date"] = format_datetime(_now())
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    if thread and src["Message-ID"]:
        msg["In-Reply-To"] = str(src["Message-ID"])
        msg["References"] = " ".join(filter(None, [str(src["References"] or ""), str(src["Message-ID"])]))
    return msg


def quoted(text: str) -> str:
    """Every line behind "> " (an empty line behind ">"), as most clients quote."""
    return "\n".join("> " + line if line else ">" for line in text.rstrip("\n").split("\n"))


def _who(original: Original) -> tuple[str, str]:
    (name, address), = getaddresses([str(original.message["From"])])
    return name or address, address


def outlook(raw: bytes, sender: str, name: str, words: str, lang: str = "en", rule: bool = True,
            thread: bool = True) -> bytes:
    """Outlook desktop, plain text: their words, a `____` rule (or none), the From/Sent/To/Subject block in
    the client's language, then the original text pasted as it was, with no `>` at all."""
    original = read(raw)
    prefix, frm, sent, to, subject = OUTLOOK[lang]
    when = original.date.strftime("%A, %B %-d, %Y %-I:%M %p" if lang == "en" else "%d.%m.%Y %H:%M")
    block = "\n".join([RULE] * rule + [f"{frm} {original.message['From']}", f"{sent} {when}",
                                       f"{to} {original.message['To']}", f"{subject} {original.message['Subject']}"])
    msg = headers(original, sender, name, prefix, thread)
    msg.set_content(f"{words}\n\n{block}\n\n{original.text}", cte="quoted-printable")
    return bytes(msg)


def apple_mail(raw: bytes, sender: str, name: str, words: str, lang: str = "en", thread: bool = True) -> bytes:
    """Apple Mail: their words, "On 3 Dec 2026, at 10:00, Ed Itor <ed@example.com> wrote:" in the client's
    language, then the original behind "> "."""
    original = read(raw)
    who, address = _who(original)
    attribution = APPLE[lang].format(who=f"{who} <{address}>", **_fields(original.date))
    msg = headers(original, sender, name, "Re:", thread)
    msg.set_content(f"{words}\n\n{attribution}\n\n{quoted(original.text)}\n", cte="quoted-printable")
    return bytes(msg)


def thunderbird(raw: bytes, sender: str, name: str, words: str, lang: str = "en", thread: bool = True) -> bytes:
    """Thunderbird: "On 03/12/2026 10:00, Ed Itor wrote:" (in the client's language) above a "> " quote,
    their words below it (bottom-posted, as Thunderbird users often do), sent as 8bit."""
    original = read(raw)
    attribution = THUNDERBIRD[lang].format(name=_who(original)[0], **_fields(original.date))
    msg = headers(original, sender, name, "Re:", thread)
    msg.set_content(f"{attribution}\n{quoted(original.text)}\n\n{words}\n", cte="8bit")
    return bytes(msg)


def gmail(raw: bytes, sender: str, name: str, words: str, thread: bool = True) -> bytes:
    """Gmail: multipart/alternative; the plain part has an "On …, Ed Itor <…> wrote:" attribution and a
    "> " quote, the HTML part a <div class="gmail_quote"> with the original's HTML in a <blockquote>."""
    original = read(raw)
    who, address = _who(original)
    attribution = "On {a}, {b} {d}, {Y} at {I}:{M} {p} {who} wrote:".format(
        who=f"{who} <{address}>", **_fields(original.date))
    msg = headers(original, sender, name, "Re:", thread)
    msg.set_content(f"{words}\n\n{attribution}\n\n{quoted(original.text)}\n")
    body = original.html or html.escape(original.text).replace("\n", "<br>\n")
    msg.add_alternative(
        f'<div dir="ltr">{_paragraphs(words)}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f"{html.escape(attribution)}<br></div><blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;"
        f'border-left:1px solid rgb(204,204,204);padding-left:1ex">{body}</blockquote></div>\n', subtype="html")
    return bytes(msg)


def _paragraphs(words: str) -> str:
    return "".join(f"<div>{html.escape(p)}</div>" for p in words.split("\n"))


def outlook_html(raw: bytes, sender: str, name: str, words: str, thread: bool = True) -> bytes:
    """Outlook (web or desktop) in HTML only: their words, an <hr>, the bold From/Sent/To/Subject block, and
    the original's HTML pasted below it, buttons and all."""
    original = read(raw)
    src = original.message
    block = "<br>".join(f"<b>{label}</b> {html.escape(str(value))}" for label, value in (
        ("From:", src["From"]), ("Sent:", original.date.strftime("%A, %B %-d, %Y %-I:%M %p")), ("To:", src["To"]),
        ("Subject:", src["Subject"])))
    msg = headers(original, sender, name, "RE:", thread)
    msg.set_content(
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>'
        f'<div style="font-family:Calibri,Arial,Helvetica,sans-serif">{_paragraphs(words)}</div>'
        '<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr">'
        f'<font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">{block}</font><div>&nbsp;</div></div>'
        f"<div>{original.html}</div></body></html>\n", subtype="html", cte="quoted-printable")
    return bytes(msg)


def inline_paste(raw: bytes, sender: str, name: str, words: str, thread: bool = True) -> bytes:
    """Their words, then the original's text pasted below with no marker at all: no attribution, no `>`."""
    original = read(raw)
    msg = headers(original, sender, name, "Re:", thread)
    msg.set_content(f"{words}\n\n{original.text}")
    return bytes(msg)


def flowed(raw: bytes, sender: str, name: str, words: str, thread: bool = True) -> bytes:
    """format=flowed, quoted-printable: their words, then the original's text re-wrapped at 66 columns
    (each soft line break a trailing space) and pasted with no marker, as a client that re-flows does."""
    original = read(raw)
    lines = []
    for line in f"{words}\n\n{original.text}".rstrip("\n").split("\n"):
        wrapped = textwrap.wrap(line, 66, break_long_words=False, break_on_hyphens=False) or [""]
        lines += [part + " " for part in wrapped[:-1]] + [wrapped[-1]]
    stuffed = [" " + line if line.startswith((" ", ">", "From ")) else line for line in lines]
    msg = headers(original, sender, name, "Re:", thread)
    msg.set_content("\n".join(stuffed) + "\n", cte="quoted-printable", params={"format": "flowed", "delsp": "no"})
    return bytes(msg)


def bcc_copy(raw: bytes, editor: str) -> bytes:
    """The editor's own Bcc copy of what roundup sent, as their mailbox holds it: the same message (same
    Message-ID, From the editor) with the delivering server's headers on top."""
    return f"Return-Path: <{editor}>\nDelivered-To: {editor}\n".encode() + raw


def all_mail_copy(raw: bytes) -> bytes:
    """The copy an "All Mail" or "Sent" folder keeps when the provider gave the message a Message-ID of its
    own: From the editor, the same content, a different Message-ID."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    del msg["Message-ID"]
    msg["Message-ID"] = make_msgid(domain="mail.provider.example")
    return bytes(msg)


def buttons(raw: bytes) -> dict[str, str]:
    """The mailto: buttons of a message roundup wrote: label -> URL, from its "Label: mailto:…" lines."""
    found = re.findall(r"(?m)^([^\n:]+): (mailto:\S+)$", read(raw).text)
    return dict(found)


def _code_kind(url: str) -> str | None:
    query = parse_qs(urlsplit(url).query)
    for field in ("subject", "body"):
        match = CODE.search(" ".join(query.get(field, [])))
        if match:
            return match.group(1)
    return None


def button_mail(raw: bytes, sender: str, name: str, kind: str, words: str = "") -> bytes:
    """What a client sends when the contributor clicks a button (`kind` APPROVE, CHANGES or COUNT_ME_OUT, told
    apart by the code in its subject): To, Subject and body from the mailto:, their words (if any) above the
    body, From them, no In-Reply-To or References (mailto: links carry none)."""
    urls = [url for url in buttons(raw).values() if _code_kind(url) == kind]
    if len(urls) != 1:
        raise LookupError(f"{len(urls)} mailto: buttons carry a {kind}… code in {sorted(buttons(raw))}")
    parts = urlsplit(urls[0])
    query = parse_qs(parts.query)
    msg = EmailMessage()
    msg["From"] = formataddr((name, sender))
    msg["To"] = unquote(parts.path)
    msg["Subject"] = query.get("subject", [""])[0]
    msg["Date"] = format_datetime(_now())
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    body = query.get("body", [""])[0]
    msg.set_content(f"{words}\n\n{body}" if words else body or "\n")
    return bytes(msg)


def new_message(sender: str, name: str, to: str, subject: str, words: str) -> bytes:
    """A message written from scratch (no In-Reply-To, no References, nothing quoted): what anyone can send
    with a contributor's address in From."""
    msg = EmailMessage()
    msg["From"] = formataddr((name, sender))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(_now())
    msg["Message-ID"] = make_msgid(domain="mail.example")
    msg.set_content(words)
    return bytes(msg)
