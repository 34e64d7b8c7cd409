"""What changed in a voice since it was approved: a readable word-level diff per field."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

FIELDS = (("quote", "prompt", "Prompt"), ("quote", "body", "Your words"), ("profile", "name", "Name"),
          ("profile", "handle", "Handle"), ("profile", "url", "Link"), ("profile", "links", "Credit links"),
          ("profile", "avatar_sha256", "Photo"), ("profile", "bio", "Bio"), ("post", "title", "Post title"),
          ("post", "text_sha256", "The editor's text around the voices"))
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text that was kept ("same"), added ("ins") or removed ("del")."""

    op: str
    text: str


@dataclass(frozen=True, slots=True)
class Change:
    """One field that differs, as segments to show inline."""

    label: str
    segments: tuple[Segment, ...]


def changes(old: dict[str, Any] | None, new: dict[str, Any]) -> tuple[Change, ...]:
    """Every public field of the voice that differs between the approved copy `old` and `new`."""
    if not isinstance(old, dict):
        return ()
    result = []
    for part, key, label in FIELDS:
        before = _text(key, (old.get(part) or {}).get(key))
        after = _text(key, new[part].get(key))
        if before != after and key == "text_sha256":
            result.append(Change(label, (Segment("ins", "edited — read it in the post below"),)))
        elif before != after:
            result.append(Change(label, word_diff(before, after)))
    return tuple(result)


def _text(key: str, value: Any) -> str:
    if key == "avatar_sha256":
        return "(a new photo)" if value else ""
    if key == "links" and isinstance(value, (list, dict)):
        pairs = value.items() if isinstance(value, dict) else value
        return "\n".join(f"{label}: {href}" for label, href in pairs)
    return "" if value is None else str(value)


def word_diff(before: str, after: str) -> tuple[Segment, ...]:
    """Segments turning `before` into `after`, word by word (white space kept as it was)."""
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(Segment("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment("del", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(Segment("ins", "".join(b[j1:j2])))
    return tuple(segments)
