"""Rendering Markdown from editors and contributors into safe HTML (no raw HTML, safe links only)."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
LINK_SCHEMES = ("http", "https", "mailto")


def safe_link(url: str) -> bool:
    """Relative links and http(s)/mailto links pass; every other scheme (javascript:, data:...) is dropped."""
    match = _SCHEME.match(url.strip())
    return match is None or match.group(1).lower() in LINK_SCHEMES


@lru_cache(maxsize=None)
def _engine(min_heading: int) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = safe_link

    def shift_headings(state) -> None:
        """A core rule keeping the page's outline intact: `#` becomes <h{min_heading}>, and no heading
        goes more than one level deeper than the one before it (so `#` then `###` gives h3 then h4)."""
        previous = min_heading - 1
        for token in state.tokens:
            if token.type == "heading_open":
                previous = min(6, int(token.tag[1]) + min_heading - 1, previous + 1)
                token.tag = f"h{previous}"
            elif token.type == "heading_close":
                token.tag = f"h{previous}"

    md.core.ruler.push("shift_headings", shift_headings)
    return md


@lru_cache(maxsize=100_000)
def render(text: str, min_heading: int = 2) -> Markup:
    """Markdown to HTML that is safe to insert in a page; `# x` becomes <h{min_heading}>.
    Memoised by text: in `roundup serve` an edit re-renders only the Markdown that changed."""
    if not text:
        return Markup("")
    return Markup(_engine(min_heading).render(text))
