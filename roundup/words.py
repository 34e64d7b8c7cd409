"""Small pieces of English for what roundup prints: counted nouns and suggested ids."""

from __future__ import annotations

import re
import unicodedata


def count(n: int, noun: str, plural: str | None = None) -> str:
    """"1 post", "2 posts"; `plural` for nouns that do not just take an s."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def suggest_id(text: str) -> str:
    """The id or slug a name would have: "Kofi" → "kofi", "Zoë Lee" → "zoe-lee" ("" when nothing is left)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain))


def id_advice(value: str, what: str) -> str:
    """Why `value` is not a valid contributor id or post slug, and how one is formed."""
    person = what == "contributor id"
    example = ("a contributor id is the name of their profile, contributors/<id>.yml" if person
               else "a post slug is the name of its folder, posts/<slug>/")
    suggested = suggest_id(value)
    formed = (f"“{value}” → {suggested}" if suggested
              else "“Kofi Mensah” → kofi-mensah" if person else "“Tools we keep” → tools-we-keep")
    return (f"{value!r} is not a valid {what}: {example}, in lowercase letters, digits and single hyphens "
            f"({formed})")
