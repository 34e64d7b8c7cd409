"""Rendering Markdown from editors and contributors into safe HTML (no raw HTML, safe links only), with
markdown-it-py (the default and reference) or cmark-gfm (optional, faster), behind one function."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
LINK_SCHEMES = ("http", "https", "mailto")
DEFAULT_ENGINE = "markdown-it"
ENGINES = (DEFAULT_ENGINE, "cmark-gfm")
"""Names accepted by `markdown:` in site.yml."""


def safe_link(url: str) -> bool:
    """Relative links and http(s)/mailto links pass; every other scheme (javascript:, data:...) is dropped."""
    match = _SCHEME.match(url.strip())
    return match is None or match.group(1).lower() in LINK_SCHEMES


def engine_problem(name: str) -> str | None:
    """Why `name` cannot render this site's Markdown here, or None when it can."""
    if name not in ENGINES:
        return f"must be one of {', '.join(ENGINES)} (got {name[:40]!r})"
    if name == "cmark-gfm":
        try:
            import cmarkgfm  # noqa: F401
        except ImportError:
            return "is cmark-gfm, which needs the cmarkgfm package: pip install 'roundup[fast]'"
    return None


@lru_cache(maxsize=4096)
def render(text: str, min_heading: int = 2, engine: str = DEFAULT_ENGINE) -> Markup:
    """Markdown to HTML that is safe to insert in a page; `# x` becomes <h{min_heading}>, and no heading
    goes more than one level deeper than the one before it (so `#` then `###` gives h3 then h4), keeping
    the page's outline intact. A pure function, memoised for the texts shown again and again (bios: one a
    voice); the memo is small, since a quote is shown on one post page only."""
    if not text:
        return Markup("")
    if engine == "cmark-gfm":
        return Markup(_cmark(text, min_heading))
    return Markup(_markdown_it(min_heading).render(text))


@lru_cache(maxsize=None)
def _markdown_it(min_heading: int) -> MarkdownIt:
    from markdown_it import MarkdownIt  # loaded by the commands that render, not by every command

    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = safe_link

    def shift_headings(state) -> None:
        shift = _Shift(min_heading)
        for token in state.tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{shift(int(token.tag[1]), token.type == 'heading_close')}"

    md.core.ruler.push("shift_headings", shift_headings)
    return md


class _Shift:
    """The outline rule shared by both engines: each heading level mapped as it comes."""

    def __init__(self, min_heading: int):
        self.min_heading, self.previous = min_heading, min_heading - 1

    def __call__(self, level: int, closing: bool) -> int:
        if not closing:
            self.previous = min(6, level + self.min_heading - 1, self.previous + 1)
        return self.previous


_CMARK_TAGS = re.compile(r'<(/?)h([1-6])>|<a href="([^"]*)"(?: title="[^"]*")?>|(</a>)'
                         r'|<img src="([^"]*)" alt="([^"]*)"(?: title="[^"]*")? />|<(/?)del>'
                         r'| align="(left|center|right)"')


def _cmark(text: str, min_heading: int) -> str:
    """cmark-gfm in its safe mode (raw HTML left out, javascript:/data: URLs emptied), then brought in
    line with markdown-it's output: headings shifted, links and images with any scheme other than
    http(s)/mailto unwrapped to their text, `<s>` for strikethrough, alignment as a style."""
    import cmarkgfm

    out = cmarkgfm.markdown_to_html_with_extensions(text, extensions=["table", "strikethrough"])
    shift = _Shift(min_heading)
    dropped = False  # the open link was unwrapped, so its </a> goes too (links never nest)

    def fix(m: re.Match) -> str:
        nonlocal dropped
        heading, href, close, src, alt, strike, align = m.group(2, 3, 4, 5, 6, 7, 8)
        if heading:
            return f"<{m.group(1)}h{shift(int(heading), bool(m.group(1)))}>"
        if href is not None:
            dropped = not (href and safe_link(html.unescape(href)))
            return "" if dropped else m.group(0)
        if close:
            was, dropped = dropped, False
            return "" if was else close
        if src is not None:
            return m.group(0) if src and safe_link(html.unescape(src)) else alt
        if align:
            return f' style="text-align:{align}"'
        return f"<{strike}s>"

    return _CMARK_TAGS.sub(fix, out)
