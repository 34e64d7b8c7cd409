"""Telling a person's new words in a reply from the quoted rest: attributions, quoted lines, forwarded
heads, signatures, greetings and closings."""

from __future__ import annotations

import re

from email_reply_parser import EmailReplyParser

_QUOTED = re.compile(r"^ {0,3}>")
_ATTRIBUTION_START = re.compile(r"^(On|Am|Le|El|Op|Il|Em|Den|W dniu|Dne)\s", re.I)
_ATTRIBUTION = re.compile(
    r"^(On\s.{1,250}\swrote|Am\s.{1,250}\sschrieb\s.{0,200}|Le\s.{1,250}\sa\s[ée]crit|El\s.{1,250}\sescribi[óo]"
    r"|Op\s.{1,250}\sschreef\s.{0,200}|Il\s.{1,250}\sha\sscritto|Em\s.{1,250}\sescreveu|Den\s.{1,250}\sskrev\s.{0,200}"
    r"|W dniu\s.{1,250}\snapisa[łl]\(a\)|Dne\s.{1,250}\snapsal\(a\))\s?:$", re.I)
_MARKER = re.compile(
    r"^-{2,}\s*(Original Message|Urspr[üu]ngliche Nachricht|Message d'origine|Mensaje original|Oorspronkelijk bericht"
    r"|Messaggio originale|Mensagem original|Forwarded message|Weitergeleitete Nachricht|Message transf[ée]r[ée]"
    r"|Mensaje reenviado|Doorgestuurd bericht|Messaggio inoltrato|原始邮件|原始郵件|转发邮件|元のメッセージ|転送メッセージ"
    r"|الرسالة الأصلية|رسالة معاد توجيهها)\s*-{2,}$|^(Begin forwarded message"
    r"|Anfang der weitergeleiteten Nachricht|D[ée]but du message r[ée]exp[ée]di[ée])\s?:$", re.I)
_FORWARD = re.compile(r"forward|weitergeleit|transf|reenviado|doorgestuurd|inoltrato|r[ée]exp|转发|転送|توجيه", re.I)
_HEAD_FROM = re.compile(r"^\*{0,2}(From|Von|De|Van|Da|Fr[åa]n|Fra|Od|差出人|送信者|发件人|寄件者|من)\s?[:：]\*{0,2}\s*\S",
                        re.I)
"""The first line of a quoted header block, as plain text (`*From:*`) or as an HTML one becomes (`**From:**`)."""
_HEAD_NEXT = re.compile(
    r"^\*{0,2}(Sent|Date|Gesendet|Datum|Envoy[ée]|Enviado|Fecha|Verzonden|Inviato|Data|Skickat|Sendt|To|An|[ÀA]|Para"
    r"|Aan|Till|Til|Cc|Subject|Betreff|Objet|Asunto|Onderwerp|Oggetto|Assunto|[ÄA]mne|Emne|送信日時|日付|宛先|件名"
    r"|发送时间|發送時間|日期|收件人|收件者|抄送|副本|主题|主旨|تاريخ الإرسال|التاريخ|إلى|نسخة|الموضوع)\s?[:：]", re.I)
_ADDRESSED = re.compile(r"<[^<>\s@]+@[^<>\s]+>.{0,40}[:：]$")
"""An attribution in any language: the sender's address, then at most a few words ("写道", "كتب") and a colon
(Gmail writes "2026年12月3日(木) 10:00 Maren Holt <maren@example.com>:")."""
_BIDI_MARKS = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SEPARATOR = re.compile(r"^\s*(_{20,}|(\* ){2,}\*)\s*$")
_SIG_DASHES = re.compile(r"^--\s?$")
_MOBILE = re.compile(
    r"^(Sent from my \S.{0,40}|Sent from (Outlook|Mail|Yahoo Mail|Gmail|Proton Mail)\b.{0,60}"
    r"|Get Outlook for \S.{0,60}|Von meinem \S.{0,30} gesendet|Envoy[ée] de mon \S.{0,30}|Enviado desde mi \S.{0,30}"
    r"|Verzonden (vanaf|met) (mijn )?\S.{0,30}|Inviato da \S.{0,30})$", re.I)
_GREETING = re.compile(
    r"^(hi|hello|hey|dear|hallo|liebe[rs]?|bonjour|hola|ciao|ol[áa]|moin|مرحب[اًا]*|أهل[اًا]*|عزيز[يتي]*|您好|你好"
    r"|こんにちは)(\s+[^\s.?,!:،]+){0,3}\s*[,!،，！]?$", re.I)
_CLOSING = re.compile(
    r"^(best|best wishes|best regards|kind regards|warm regards|regards|cheers|thanks|thank you|many thanks"
    r"|all the best|(viele |liebe |beste )?gr[üu](ß|ss)e|cordialement|bien [àa] vous|saludos"
    r"|un saludo|groetjes|met vriendelijke groet|cordiali saluti|abra[çc]os|よろしくお願い(いた)?します|谢谢|谢谢您|祝好|此致"
    r"|مع التحية|مع خالص التحية|تحياتي|شكر[اًا]*)[,.!،。！]?$", re.I)
_TOKEN_HEAD = re.compile(r"\bru2[a-z2-7]{0,43}$", re.I)
_TOKEN_TAIL = re.compile(r"^ {0,3}>\s?([a-z2-7]+)\b", re.I)
_TOKEN_LENGTH = 47


def split(body: str, name: str = "") -> tuple[str, str, bool]:
    """(new words, quoted rest, whether a forwarded message was found) of a plain-text body."""
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").split("\n")]
    keep, forwarded = _cut(lines)
    drop = set(range(keep, len(lines))) - set(_inline_rest(lines, keep))
    drop |= _quoted(lines, drop)
    new = re.sub(r"\n{3,}", "\n\n", "\n".join("" if i in drop else line for i, line in enumerate(lines)))
    text = _signature_free(new.strip(), name)
    quoted = "\n".join(line for i, line in enumerate(lines) if i in drop).strip()
    return text, quoted, forwarded


def _cut(lines: list[str]) -> tuple[int, bool]:
    """Where the quoted original starts (a marker, a header block, a bare attribution), and if it is a forward."""
    for i, line in enumerate(lines):
        if _QUOTED.match(line):
            continue
        if _MARKER.match(line.strip()):
            return _above_separator(lines, i), bool(_FORWARD.search(line))
        if _HEAD_FROM.match(_BIDI_MARKS.sub("", line)) and any(_HEAD_NEXT.match(_BIDI_MARKS.sub("", n))
                                                                for n in lines[i + 1:i + 4]):
            return _above_separator(lines, i), False
        if _SEPARATOR.match(line) and not line.strip().startswith("*"):
            return i, False
        start = _attribution_at(lines, i)
        if start is not None and not any(_QUOTED.match(n) for n in lines[i + 1:i + 3] if n):
            return start, False
    return len(lines), False


def _above_separator(lines: list[str], i: int) -> int:
    """Move a cut up over blank lines and a separator line ("____", "* * *") right above it."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j if j >= 0 and _SEPARATOR.match(lines[j]) else i


def _attribution_at(lines: list[str], end: int) -> int | None:
    """The first line of an "On … wrote:" attribution ending at line `end` (wrapped over up to 3 lines)."""
    if not _BIDI_MARKS.sub("", lines[end]).rstrip().endswith((":", "：")):
        return None
    for start in range(end, max(end - 3, -1), -1):
        if _QUOTED.match(lines[start]) or not lines[start].strip():
            return None
        joined = _BIDI_MARKS.sub("", " ".join(line.strip() for line in lines[start:end + 1])).strip()
        if _ATTRIBUTION_START.match(joined) and _ATTRIBUTION.match(joined) or _ADDRESSED.search(joined):
            return start
    return None


def _inline_rest(lines: list[str], keep: int) -> list[int]:
    """After a cut: the original's body, when it is "> "-quoted with the person's answers between (inline)."""
    i = keep
    while i < len(lines) and (not lines[i].strip() or _SEPARATOR.match(lines[i])):
        i += 1
    while i < len(lines) and lines[i].strip():
        i += 1  # the marker and header block, up to the first blank line
    body = list(range(i, len(lines)))
    first = next((j for j in body if lines[j].strip()), None)
    if first is None or not _QUOTED.match(lines[first]):
        return []
    answered = any(lines[j].strip() and not _QUOTED.match(lines[j]) for j in body if j > first)
    return body if answered else []


def _quoted(lines: list[str], drop: set[int]) -> set[int]:
    """Quoted lines and the attributions above them, except a token's continuation that got a "> "."""
    out: set[int] = set()
    for i, line in enumerate(lines):
        if i in drop:
            continue
        if _QUOTED.match(line) and not _token_tail(lines, i):
            out.add(i)
        elif _BIDI_MARKS.sub("", lines[i]).rstrip().endswith((":", "：")):
            start = _attribution_at(lines, i)
            if start is not None:
                out.update(range(start, i + 1))
    return out


def _token_tail(lines: list[str], i: int) -> bool:
    """A quoted line that completes an approval token begun at the end of the unquoted line above."""
    if i == 0 or _QUOTED.match(lines[i - 1]):
        return False
    head, tail = _TOKEN_HEAD.search(lines[i - 1]), _TOKEN_TAIL.match(lines[i])
    return bool(head and tail and len(head.group(0)) + len(tail.group(1)) == _TOKEN_LENGTH)


def _signature_free(text: str, name: str) -> str:
    """The text without signature ("-- " block, "Sent from my iPhone"), greeting line, sign-off and own name."""
    lines = text.split("\n")
    dashes = [i for i, line in enumerate(lines) if _SIG_DASHES.match(line)]
    lines = lines[:dashes[-1]] if dashes else lines
    while lines and (not lines[-1].strip() or _MOBILE.match(lines[-1].strip())):
        lines.pop()
    lines = _reply_parser("\n".join(lines)).split("\n")
    if len(lines) > 2 and _GREETING.match(lines[0].strip()):
        lines = lines[1:]
    lines = _without_closing(lines)
    last = lines[-1].strip(" -–—") if len(lines) > 2 and not lines[-2].strip() else ""
    if last and last.lower() in {name.strip().lower(), *name.lower().split()[:1]}:
        lines = lines[:-1]
    return "\n".join(lines).strip()


def _reply_parser(text: str) -> str:
    """email-reply-parser's view of what is left (signature blocks at the end dropped).

    Its quote and "On … wrote:" rules are masked (we decided those above, line by line): its multi-line
    attribution regex backtracks cubically on text with many "On"s and glues a paragraph starting "On …"
    to the lines after it; a kept "> " line (a token's continuation) would be dropped as quoted."""
    masked = re.sub(r"(?m)^(?= {0,3}>)", "\ue001", text.replace("\ue000", "").replace("\ue001", ""))
    masked = masked.replace("On", "O\ue000n")
    result = EmailReplyParser.parse_reply(masked).replace("O\ue000n", "On").replace("\ue001", "").strip()
    return result if result else text


def _without_closing(lines: list[str]) -> list[str]:
    """Lines without a trailing sign-off ("Best,\\nAna Lima\\nEditor, Foo"): a closing word, then short lines."""
    for i in range(max(len(lines) - 7, 1), len(lines)):
        rest = [line for line in lines[i + 1:] if line.strip()]
        if _CLOSING.match(lines[i].strip()) and len(rest) <= 4 and all(len(r) <= 60 for r in rest) \
                and not any(r.rstrip().endswith((".", "?", "!")) for r in rest):
            return lines[:i]
    return lines
