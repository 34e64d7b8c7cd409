"""The reply corpus: one .eml per shape real clients send, what parse() must make of it, and render() to fill it in.

Every file is a template. Placeholders: {{editor}} (the editor's address), {{sender}} (the contributor's),
{{name}} (the contributor's name; {{first}} is its first word, as they sign), {{msgid}} (the Message-ID of
our message they reply to, "<...>"), {{token}} (an approval token) and {{title}} (the post's title);
{{token_head}} and {{token_tail}} are the token split after 24 characters, for the cases where mail wrapped
it. Values must be printable ASCII. Each Case says which voice state it arrives in and the outcome inbox
must reach ("answer", "approval", "comment", "set-aside"); the lead's tests substitute a real token.

Quoted-printable and base64 parts hold the placeholders in their *decoded* text: render() decodes such a
part, substitutes, and encodes it again the way the client did (QP lines soft-broken at 76 columns, so
where a long line crosses column 76 the token is split by a soft break; base64 in lines of 76).
"""

from __future__ import annotations

import base64
import email
import email.policy
import quopri
import re
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent

DEFAULTS = {
    "editor": "sam@roundup.example",
    "sender": "ana.lima@example.org",
    "name": "Ana Lima",
    "msgid": "<roundup.3f2a9c.ana-lima@roundup.example>",
    "token": "ru2abcdefghijklmnopqrstuvwxyz234567abcdefghijkl",
    "title": "Tools we could not do without",
}
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True, slots=True)
class Case:
    """One corpus message and what parse() and inbox must make of it."""

    file: str
    shape: str
    """The client and what it shows (for reports and test ids)."""
    voice: str
    """The state the voice is in when this arrives: "unanswered" (invitation reply) or "previewed"."""
    outcome: str
    """What inbox must do with it: "answer", "approval", "comment" or "set-aside"."""
    new_text: str
    """parse(...).new_text exactly, as a template."""
    key: str
    """parse(...).key exactly (the file's own Message-ID)."""
    set_aside: str | None = None
    """A substring of parse(...).set_aside, or None when it must be None."""
    sender: str = "{{sender}}"
    thread: tuple[str, ...] = ("{{msgid}}",)
    quoted_has_token: bool = False
    """The quoted original carries {{token}} (a preview was quoted): it must stay out of new_text."""
    notes: str = field(default="", compare=False)


def values(**given: str) -> dict[str, str]:
    """DEFAULTS updated with `given`, plus the derived {{first}}, {{token_head}} and {{token_tail}}; checked."""
    out = {**DEFAULTS, **given}
    derived = {"first": out["name"].split()[0], "token_head": out["token"][:24], "token_tail": out["token"][24:]}
    out = {**derived, **out}
    for name, value in out.items():
        if not (value.isascii() and value.isprintable()):
            raise ValueError(f"{name}: corpus values must be printable ASCII, got {value!r}")
    return out


def fill(template: str, **given: str) -> str:
    """A template string (an expected value) with its placeholders substituted."""
    filled = values(**given)
    return PLACEHOLDER.sub(lambda m: filled[m.group(1)], template)


def _fill_bytes(data: bytes, filled: dict[str, str]) -> bytes:
    return re.sub(rb"\{\{(\w+)\}\}", lambda m: filled[m.group(1).decode()].encode("ascii"), data)


def encode(data: bytes, cte: str) -> bytes:
    """A part's body encoded as the clients in the corpus do."""
    return quopri.encodestring(data) if cte == "quoted-printable" else base64.encodebytes(data)


def render(case: Case | str, **given: str) -> bytes:
    """The message's bytes with the placeholders filled in (QP and base64 parts decoded, filled, re-encoded)."""
    raw = (HERE / (case.file if isinstance(case, Case) else case)).read_bytes()
    filled = values(**given)
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in message.walk():
        cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if part.is_multipart() or cte not in ("quoted-printable", "base64"):
            continue
        old = part.get_payload().encode("ascii")
        new = encode(_fill_bytes(part.get_payload(decode=True), filled), cte)
        new = new if old.endswith(b"\n") else new.removesuffix(b"\n")
        raw = raw.replace(old, new, 1)
    return _fill_bytes(raw, filled)


ANSWER, APPROVAL, COMMENT, SET_ASIDE = "answer", "approval", "comment", "set-aside"
"""A reply in a preview's thread with words and no signed marker is a comment: it never asks for changes by
itself (only the Ask-for-changes button's marker does)."""
UNANSWERED, PREVIEWED = "unanswered", "previewed"

CASES = (
    Case("gmail_top_posted.eml", "Gmail: top-posted over the quoted invitation; UTF-8, quoted-printable, "
         "long lines soft-broken; attribution wrapped over two lines", UNANSWERED, ANSWER,
         "On the question of tools: my paper notebook, still. Nothing else makes me slow down enough to think "
         "before I build, and it never needs charging — I’ve filled eleven this year.",
         "<CAJx7fQ0y5Wm3Hq+2xTs1kP8dZ4vN9rL@mail.gmail.com>",
         notes="starts with \"On\": email-reply-parser glues it to the quoted lines up to \"wrote:\""),
    Case("gmail_inline_latin1.eml", "Gmail: inline reply to the preview, ISO-8859-1, quoted-printable",
         PREVIEWED, COMMENT,
         "Hi Sam, two small things, inline.\n\nCould you say \"my paper notebook\" instead of \"My notebook\"? "
         "And \"café\nnotebook\" would be even better, it's where I write.\n\nOtherwise it's fine. Merci!",
         "<CAJx7fQ3k2Pz8Hs7nTq1wE5yU0aB6cD@mail.gmail.com>", quoted_has_token=True,
         thread=("{{msgid}}", "<roundup.invite.77e1.ana-lima@roundup.example>")),
    Case("gmail_html_only.eml", "Gmail: HTML only, top-posted, gmail_quote blockquote; UTF-8 quoted-printable",
         UNANSWERED, ANSWER,
         "My answer: a plain text file called **now.txt**, next to my notes.\n\nEvery evening I write down the one "
         "thing I'm in the middle of. The next morning I don't have to remember where I was; the file tells me. "
         "It has survived three laptops and two jobs.",
         "<CAJx7fQ1m9Rt4Yw2zXv8uKp3Lq6Ns5H@mail.gmail.com>"),
    Case("gmail_base64.eml", "Gmail: plain and HTML parts in base64 (mostly non-ASCII text); UTF-8",
         UNANSWERED, ANSWER,
         "Το κατσαβίδι του παππού μου. Το κρατάω στην τσέπη κάθε μέρα. 🔧\n\n(My grandfather’s screwdriver. "
         "I carry it in my pocket every day.)",
         "<CAJx7fQ8b4Gh2Jk6sDf9aLz3Xc1Vb7N@mail.gmail.com>"),
    Case("gmail_approve_button.eml", "Gmail: the Approve button's message (mailto), sent as is; a \"-- \" signature",
         PREVIEWED, APPROVAL,
         "I approve my words in \"{{title}}\" as shown in the preview.\n\nApproval code: {{token}}",
         "<CAJx7fQ5w3Er8Ty1uIo4pAs7Dd2Fg6H@mail.gmail.com>", thread=()),
    Case("gmail_change_top_posted.eml", "Gmail: a change request top-posted over the quoted preview (token quoted)",
         PREVIEWED, COMMENT,
         "Can we cut the second sentence? I'd rather it end at \"never crashes\".",
         "<CAJx7fQ6q1Wz5Xe9rCt2vBy8Nu4Mi3K@mail.gmail.com>", quoted_has_token=True),
    Case("gmail_forward.eml", "Gmail: Fwd: of the invitation with a note above the forwarded block",
         UNANSWERED, SET_ASIDE,
         "Sam, this reached my old address. My colleague Rui Costa would like to answer instead of me — "
         "could you invite him?",
         "<CAJx7fQ2h7Jn3Km8lPo5iUy1Tr6Ew4Q@mail.gmail.com>", set_aside="forwarded", thread=()),
    Case("outlook_top_posted.eml", "Outlook desktop: top-posted over the From:/Sent: block, original not quoted; "
         "UTF-8 quoted-printable; MsoNormal HTML", UNANSWERED, ANSWER,
         "Happy to! My answer: the label printer on my desk. It sounds silly, but every cable, box and jar in the "
         "workshop has a name now, and I haven’t lost anything since March.",
         "<DB9PR03MB7289A1B2C3D4E5F6A7B8C9D0E1F2A@DB9PR03MB7289.eurprd03.prod.outlook.com>"),
    Case("outlook_inline_latin1.eml", "Outlook desktop, plain text: inline under \"-----Original Message-----\" "
         "with \"> \" prefixes; ISO-8859-1 quoted-printable", UNANSWERED, ANSWER,
         "Hi Sam, answer inline below.\n\nA good pair of tweezers. I repair old radios, and half the job is\n"
         "getting a wire back where it belongs without breaking what is next to it.\nMine came from a watchmaker "
         "near São Bento.",
         "<AM6PR08MB4117C2D8E9F0A1B2C3D4E5F6A7B8C@AM6PR08MB4117.eurprd08.prod.outlook.com>"),
    Case("outlook_html_only.eml", "Outlook desktop: HTML only (windows-1252, quoted-printable), change request "
         "above the quoted preview", PREVIEWED, COMMENT,
         "Sam – could you drop “still” from the first line? It sounds like I’m apologising.",
         "<VI1PR07MB6142D3E4F5A6B7C8D9E0F1A2B3C4D@VI1PR07MB6142.eurprd07.prod.outlook.com>",
         quoted_has_token=True),
    Case("outlook_web_base64.eml", "Outlook on the web / iOS: base64 UTF-8, \"Get Outlook for iOS\", "
         "\"________________________________\" separator", PREVIEWED, APPROVAL,
         "Approved, thank you!\n\n{{token}}",
         "<PAXPR02MB7543E4F5A6B7C8D9E0F1A2B3C4D5E@PAXPR02MB7543.eurprd02.prod.outlook.com>",
         quoted_has_token=True),
    Case("apple_top_posted.eml", "Apple Mail (macOS): top-posted, quoted attribution; UTF-8 quoted-printable",
         UNANSWERED, ANSWER,
         "My soldering iron — a Pinecil. It boots in seconds, runs off a USB-C charger, and goes into my "
         "bag when I teach workshops in schools.\n\nThat’s it really!",
         "<8F3E2A1C-4B5D-4E6F-9A0B-1C2D3E4F5A6B@example.org>"),
    Case("apple_inline_latin1.eml", "Apple Mail (macOS): plain only, inline under the quoted preview; "
         "ISO-8859-1 quoted-printable", PREVIEWED, COMMENT,
         "Please write \"Paper never crashes\" in italics. Otherwise très bien, merci.",
         "<2B7C9D1E-3F4A-4B5C-8D6E-7F8A9B0C1D2E@example.org>", quoted_has_token=True),
    Case("apple_html_only.eml", "Apple Mail (older macOS): HTML only, \"On …, at …, X wrote:\" outside "
         "the blockquote; UTF-8 quoted-printable", UNANSWERED, ANSWER,
         "A kitchen timer. I work in 25-minute blocks and the ticking keeps me honest; phones are too good at "
         "distracting me.",
         "<5D1E7F2A-8B3C-4D9E-A0F1-B2C3D4E5F6A7@example.org>"),
    Case("apple_iphone_base64.eml", "Apple Mail (iPhone): base64 UTF-8, \"Sent from my iPhone\", quoted attribution",
         UNANSWERED, ANSWER,
         "Honestly? My bike. It’s how I get to every site visit, and the twenty minutes each way is when "
         "the good ideas turn up. 🚲",
         "<A9B8C7D6-E5F4-4A3B-9C2D-1E0F9A8B7C6D@example.org>"),
    Case("apple_approve_qp_split.eml", "Apple Mail (macOS): approval with the token split by a quoted-printable "
         "soft break", PREVIEWED, APPROVAL,
         "Looks great, approved. Here is the code from your message: {{token}}",
         "<C4D5E6F7-A8B9-4C0D-8E1F-2A3B4C5D6E7F@example.org>", quoted_has_token=True),
    Case("thunderbird_top_posted.eml", "Thunderbird: top-posted, format=flowed, UTF-8 8bit, \"-- \" signature, "
         "\"On 02/10/2026 10:00, X wrote:\"", UNANSWERED, ANSWER,
         "A multimeter I bought second-hand for €15 in 2009. It has outlived two workshops and it still "
         "tells me the truth about every circuit I get wrong.",
         "<3a9f1c2e-7b4d-4e8a-9c1f-2d3e4f5a6b7c@example.org>"),
    Case("thunderbird_inline_de_latin1.eml", "Thunderbird (German, older): inline, \"Am … schrieb X:\", "
         "ISO-8859-1 8bit, format=flowed", PREVIEWED, COMMENT,
         "Könntest du \"My notebook\" durch \"My paper notebook\" ersetzen? Genau darum geht es mir.",
         "<7c2e4a9b-1d3f-4b5a-8e6c-9f0a1b2c3d4e@example.org>", quoted_has_token=True),
    Case("thunderbird_html_only.eml", "Thunderbird: HTML only, moz-cite-prefix and blockquote type=cite, "
         "moz-signature; UTF-8 quoted-printable (mail.strictly_mime)", UNANSWERED, ANSWER,
         "My tool is a 3D printer that lives in the hallway.\n\nIt prints spare parts for everything else in "
         "the house, from dishwasher wheels to the hinge of my glasses.",
         "<9e1d3c5b-2a4f-4c6e-8b0d-1f2e3d4c5b6a@example.org>"),
    Case("thunderbird_base64.eml", "Thunderbird: format=flowed text in base64 (Cyrillic), UTF-8",
         UNANSWERED, ANSWER,
         "Мій інструмент — старий осцилограф. Без нього я б не знайшов жодної помилки в схемах цього року.",
         "<4f6a8c0e-5b7d-4f9a-b1c3-d5e7f9a1b3c5@example.org>"),
    Case("thunderbird_approve_command.eml", "Thunderbird: the whole \"roundup approve --token\" line pasted, "
         "format=flowed wrapping it before the token", PREVIEWED, APPROVAL,
         "Approved, thanks!\n\nI could not run the command, so here it is: roundup approve --token {{token}}",
         "<6b8d0f2a-4c6e-4a8b-9d1f-3a5c7e9b1d3f@example.org>", quoted_has_token=True),
    Case("roundcube_token_wrapped.eml", "Roundcube: the token wrapped across two lines", PREVIEWED, APPROVAL,
         "Yes, approved. The code wrapped when I copied it from my phone:\n\n{{token_head}}\n{{token_tail}}",
         "<e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5@webmail.example.org>", quoted_has_token=True),
    Case("mutt_token_quoted_continuation.eml", "NeoMutt: bottom-posted; the token's continuation line kept "
         "its \"> \"", PREVIEWED, APPROVAL,
         "Approved:\n{{token_head}}\n> {{token_tail}}",
         "<aZx4Kq7Lm2Np9Rs1@example.org>", quoted_has_token=True),
    Case("ooo_exchange.eml", "Exchange out-of-office: Auto-Submitted, \"Automatic reply:\"", UNANSWERED, SET_ASIDE,
         "I am out of the office until 23 February with limited access to e-mail.\n\nFor anything urgent, "
         "please write to office@example.org.",
         "<f0e1d2c3b4a5469788796a5b4c3d2e1f@DB9PR03MB7289.eurprd03.prod.outlook.com>",
         set_aside="out-of-office reply (Auto-Submitted: auto-generated)"),
    Case("ooo_x_autoreply.eml", "Out-of-office without Auto-Submitted: subject \"Out of Office:\", X-Autoreply",
         UNANSWERED, SET_ASIDE,
         "I'm away until Monday 23 February and will read your message when I'm back.",
         "<1739180401.123456@mail.example.org>", set_aside="out-of-office reply (X-Autoreply: yes)"),
    Case("ooo_precedence.eml", "Auto-reply with only Precedence: auto_reply (subject \"Re: ...\")", PREVIEWED,
         SET_ASIDE,
         "Thank you for your message. I am travelling and will reply after 23 February.",
         "<20260211161502.4A1B2C3D@mail.example.org>", set_aside="automatic reply (Precedence: auto_reply)"),
    Case("bounce_dsn.eml", "Postfix delivery failure report (multipart/report; report-type=delivery-status)",
         UNANSWERED, SET_ASIDE,
         "This is the mail system at host mx.roundup.example.\n\nI'm sorry to have to inform you that your "
         "message could not\nbe delivered to one or more recipients. It's attached below.\n\nFor further "
         "assistance, please send mail to postmaster.\n\nIf you do so, please include this problem report. You "
         "can\ndelete your own text from the attached returned message.\n\n                   The mail system\n\n"
         "<{{sender}}>: host mx.example.org[203.0.113.5] said: 550 5.1.1\n    <{{sender}}>: Recipient address "
         "rejected: User unknown in "
         "virtual\n    mailbox table (in reply to RCPT TO command)",
         "<20260210090012.4F2B81A0044@mx.roundup.example>", set_aside="a delivery failure report (bounce)",
         sender="mailer-daemon@mx.roundup.example", thread=()),
    Case("malformed_mime.eml", "A broken mailer: multipart/alternative whose boundary never appears",
         UNANSWERED, SET_ASIDE, "", "<5f1a2b3c4d5e6@www.example.org>", set_aside="malformed MIME"),
)
