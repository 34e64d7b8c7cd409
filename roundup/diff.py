"""What changed in a voice since it was approved: a readable word-level diff per field."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from roundup.i18n import N_

FIELDS = (("quote", "prompt", N_("Prompt")), ("quote", "body", N_("Your words")), ("profile", "name", N_("Name")),
          ("profile", "handle", N_("Handle")), ("profile", "url", N_("Link")),
          ("profile", "links", N_("Credit links")), ("profile", "avatar_sha256", N_("Photo")),
          ("profile", "bio", N_("Bio")), ("post", "title", N_("Post title")), ("post", "summary", N_("Summary")),
          ("post", "tags", N_("Tags")), ("post", "text_sha256", N_("The editor's text around the voices")))
"""(part, field, label) of every field a contributor approves; labels are translated where they are shown."""
_LATER = ("summary", "tags")
"""Fields approved since DIGEST_VERSION 2: a copy made before holds neither, and cannot tell what changed."""
EDITED = N_("edited — read it in the post below")
NEW_PHOTO = N_("a new photo")
NO_PHOTO = N_("photo removed")
_NOTED = ("text_sha256", "avatar_sha256")
"""Fields compared by digest: what changed is said in roundup's words, not shown word by word."""
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text that was kept ("same"), added ("ins") or removed ("del"), or roundup's own words about
    what changed ("note": `EDITED`, `NEW_PHOTO` or `NO_PHOTO`, translated where they are shown)."""

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
        approved = old.get(part) or {}
        if key in _LATER and key not in approved:
            continue
        was, now = approved.get(key), new[part].get(key)
        if key in _NOTED and (was or None) != (now or None):
            note = EDITED if key == "text_sha256" else NEW_PHOTO if now else NO_PHOTO
            result.append(Change(label, (Segment("note", note),)))
            continue
        before, after = _text(key, was), _text(key, now)
        if before != after:
            result.append(Change(label, word_diff(before, after)))
    return tuple(result)


def _text(key: str, value: Any) -> str:
    if key == "links" and isinstance(value, (list, dict)):
        pairs = value.items() if isinstance(value, dict) else value
        return "\n".join(f"{label}: {href}" for label, href in pairs)
    if key == "tags" and isinstance(value, list):
        return "\n".join(str(tag) for tag in value)  # one a line: a new tag is marked alone
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
