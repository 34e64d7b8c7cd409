"""What a person's words read like, for the inbox's line only: a yes, a withdrawal, a refusal. None of these
ever moves consent; they tell the editor what to read first, and keep a refusal from becoming a quote."""

from __future__ import annotations

import re
import unicodedata

_YES = re.compile(
    r"^(yes|yep|yeah|ok|okay|sure|approved?|i approve( it| this)?|looks (good|great|fine|perfect)( to me)?|lgtm|all good"
    r"|perfect|great|fine|wonderful|lovely|go ahead( and publish( it)?)?|publish( it)?|oui|parfait|c'est parfait"
    r"|d'accord|ja|passt|perfekt|einverstanden|s[ií]|perfecto|de acuerdo|sim|perfeito|ok[eê]y?|はい|了解|完璧|好的|可以"
    r"|没问题|نعم|موافق|ممتاز)\b", re.I)
_THANKS = re.compile(r"\b(thanks?|thank you|merci|danke|gracias|obrigad[oa]|ありがとう|谢谢|شكرا)\b", re.I)
_WITHDRAW = re.compile(
    r"\b(withdraw\w*|(do not|don't|dont|please don't|never) publish|not (to )?be published|remove my (words|quote|voice"
    r"|name|answer)|take (it|my \w+) (down|offline)|pull my \w+|retract\w*|ne (le |les )?publiez pas|retire[rz]?"
    r"|nicht ver[öo]ffentlichen|zur[üu]ckziehen|no (lo )?publiques|no publicar|retirar|n[ãa]o publique|n[ãa]o publicar"
    r")\b|公開しないで|取り下げ|不要发布|不要發布|撤回|لا تنشر|سحب", re.I)
_REFUSE = re.compile(
    r"\b(i|we)('m| am| are|'re)? (can't|cannot|can not|won't be able to|will not be able to|unable to|not able to)"
    r"( \w+){0,2} (take part|participate|contribute|join|answer|do it|make it)|\bcount me out"
    r"|\bi('ll| will) (have to )?(pass|sit this one out)|\b(i|we) (must|have to|need to) (decline|pass|say no)"
    r"|\bje ne (peux|pourrai|pourrais|vais)( \w+){0,2} pas (participer|contribuer|r[ée]pondre)"
    r"|\bje ne participerai pas|\b(kann|werde)( \w+){0,2} nicht (teilnehmen|mitmachen|beitragen|dabei sein)"
    r"|\bno (puedo|podr[ée]|podr[íi]a|voy a)( \w+){0,2} (participar|contribuir)|\bno participar[ée]"
    r"|\bn[ãa]o (posso|poderei|poderia|vou)( \w+){0,2} (participar|contribuir)"
    r"|参加できません|参加できなく|辞退|无法参加|不能参加|無法參加|لن أتمكن من المشاركة|لا أستطيع المشاركة"
    r"|أعتذر عن المشاركة", re.I)


def _plain(text: str) -> str:
    """The words alone: one space between them, typographic apostrophes and emphasis marks (`**do not**`,
    `_not_`) taken out."""
    return " ".join(re.sub(r"[*_]", "", unicodedata.normalize("NFKC", text)).replace("’", "'").split())


def reads_as_yes(text: str) -> bool:
    """A short reply that only says yes (or thanks): "Looks great, thank you so much!"."""
    plain = _plain(text)
    return len(plain) < 120 and bool(_YES.match(plain) or _THANKS.search(plain) and len(plain) < 60)


def reads_as_withdrawal(text: str) -> bool:
    """Words that ask to withdraw or not to publish: "I withdraw, do NOT publish"."""
    return bool(_WITHDRAW.search(_plain(text)))


def reads_as_refusal(text: str) -> bool:
    """Words that decline to take part: "I can't take part after all, sorry"."""
    return bool(_REFUSE.search(_plain(text)))


def without_button_lines(text: str, code: str, lines: tuple[str, ...]) -> str:
    """Their words from a button's message: without its code (however wrapped) and the lines the button wrote."""
    text = re.sub(r"[ \t]*(?:\n[ \t>]*)?".join(map(re.escape, code)), "", text, flags=re.I)
    known = {_key(line) for line in lines if line}
    return "\n".join(line for line in text.split("\n") if _key(line) not in known).strip()


def _key(line: str) -> str:
    return _plain(line).casefold().rstrip(" :：")
