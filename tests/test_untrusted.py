"""Contributor (and editor) text never becomes markup: no scripts, handlers or dangerous links
reach any built page or the feed, and the payloads still show as text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from conftest import Site, parse_html

ATOM = "{http://www.w3.org/2005/Atom}"

MARKDOWN_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT&colon;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    '" onmouseover="alert(1)',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example/"></iframe>',
    "<object data=x></object><embed src=x>",
    '<a href="javascript:alert(1)">raw link</a>',
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![d](data:text/html,<script>alert(1)</script>)",
    "[v](vbscript:msgbox(1))",
    '[t](https://ok.example/ "\\" onmouseover=\\"alert(1)")',
    "[ref link][evil]\n\n[evil]: javascript:alert(1)",
    "[ref image]\n\n[ref image]: data:text/html,hi",
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<style>body{background:url(javascript:alert(1))}</style>",
]
BODY = "\n\n".join(MARKDOWN_PAYLOADS) + "\n"
LINE = '<script>alert(1)</script> " onmouseover="alert(1) <img src=x onerror=alert(1)>'

TEXT_FIELDS = {
    "name": "Mal <script>alert('n')</script> \" onmouseover=\"alert(1)",
    "handle": "@<svg onload=alert(1)>",
    "title": "Title <script>alert('t')</script> & <b>bold</b>",
    "summary": "Summary <img src=x onerror=alert(1)> \" onfocus=\"alert(1)",
    "prompt": "Prompt <iframe src=javascript:alert(1)></iframe>?",
    "label": "Label <script>alert('l')</script> \" onclick=\"x",
    "tag": "<b onmouseover=alert(1)>tag</b>",
}

URL_ATTRS = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href",
             "background", "cite", "longdesc", "usemap", "manifest", "ping"}
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "applet", "base"}


def dangerous(value: str) -> bool:
    v = re.sub(r"[\x00-\x20\x7f]+", "", value).lower()
    return v.startswith(("javascript:", "vbscript:", "data:text", "data:application")) or \
        bool(re.search(r"(^|,)\s*(javascript|vbscript):", v))


def audit(html: str, where: str) -> list[str]:
    """Every unsafe construct in one HTML document."""
    found = []
    tags = parse_html(html).tags
    data_blocks = [a for t, a in tags if t == "script" and a == [("type", "application/ld+json")]]
    if len(data_blocks) > 1:
        found.append(f"{where}: {len(data_blocks)} JSON-LD blocks (the theme writes one)")
    for tag, attrs in tags:
        if tag == "script" and attrs == [("type", "application/ld+json")]:
            continue  # the theme's JSON-LD: a data block, never run (test_quality checks it cannot be broken out of)
        if tag in FORBIDDEN_TAGS:
            found.append(f"{where}: <{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"{where}: <{tag} {name}=...> event handler")
            if name in URL_ATTRS and value and dangerous(value):
                found.append(f"{where}: <{tag} {name}={value!r}>")
            if name == "style" and value and ("javascript:" in value.lower() or "expression(" in value.lower()):
                found.append(f"{where}: <{tag} style={value!r}>")
            if tag == "meta" and name == "http-equiv" and value and value.lower() == "refresh":
                found.append(f"{where}: <meta http-equiv=refresh>")
    return found


def hostile_site(site: Site) -> Site:
    site.contributor(
        "mal", name=TEXT_FIELDS["name"], handle=TEXT_FIELDS["handle"], bio=BODY,
        url="https://mal.example/?q=\"><script>alert(1)</script>",
        links={TEXT_FIELDS["label"]: "https://ok.example/", "Mail": "mailto:mal@example.org"},
    )
    site.contributor("ann", name="Ann Plain")
    site.quote("hostile", "mal", BODY, prompt=TEXT_FIELDS["prompt"])
    site.quote("hostile", "ann", "Plain words from Ann.\n", prompt=LINE)
    site.post("hostile", title=TEXT_FIELDS["title"], summary=TEXT_FIELDS["summary"],
              tags=[TEXT_FIELDS["tag"]], voices=["mal", "ann"])
    return site


def all_pages(site: Site) -> dict[str, str]:
    return {p.relative_to(site.out).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(site.out.rglob("*.html"))}


@pytest.fixture
def built(site: Site) -> Site:
    hostile_site(site)
    site.approve_all("hostile")
    result = site.build()
    assert "1 post" in result.stdout or (site.out / "posts/hostile/index.html").is_file()
    assert (site.out / "posts/hostile/index.html").is_file()
    return site


def test_no_built_page_carries_script_handlers_or_dangerous_links(built: Site):
    pages = all_pages(built)
    assert {"posts/hostile/index.html", "contributors/mal/index.html", "index.html",
            "contributors/index.html"} <= set(pages)
    assert any(rel.startswith("tags/") for rel in pages)
    problems = [p for rel, html in pages.items() for p in audit(html, rel)]
    assert problems == []


def test_payloads_are_shown_as_escaped_text(built: Site):
    page = built.page("posts/hostile/index.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    text = "".join(parse_html(page).text)
    assert "<script>alert(1)</script>" in text          # from the quote body and the bio
    assert "<svg onload=alert(1)>" in text
    for field in ("name", "handle", "title", "summary", "prompt", "label"):
        assert TEXT_FIELDS[field] in text, f"{field} is not shown as written"
    profile_text = "".join(parse_html(built.page("contributors/mal/index.html")).text)
    assert TEXT_FIELDS["name"] in profile_text and TEXT_FIELDS["handle"] in profile_text


def test_safe_links_in_untrusted_markdown_survive(built: Site):
    hrefs = [dict(attrs).get("href") for tag, attrs in parse_html(built.page("posts/hostile/index.html")).tags
             if tag == "a"]
    assert "https://ok.example/" in hrefs
    assert "mailto:mal@example.org" in hrefs


def test_feed_has_no_raw_markup_and_its_html_content_is_safe(built: Site):
    raw = (built.out / "feed.xml").read_text(encoding="utf-8")
    assert "<script" not in raw.lower()
    assert "<iframe" not in raw.lower() and "<svg" not in raw.lower()
    root = ET.fromstring(raw.encode("utf-8"))
    entries = list(root.iter(f"{ATOM}entry"))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title") == TEXT_FIELDS["title"]
    names = {c.findtext(f"{ATOM}name") for c in entry.iter(f"{ATOM}contributor")}
    assert TEXT_FIELDS["name"] in names
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.text
    assert audit(content.text, "feed.xml <content>") == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content.text


def test_draft_banner_with_hostile_decline_reason_is_safe(site: Site):
    hostile_site(site)
    site.approve("ann", "hostile")
    site.ok("decline", "mal", "hostile", "--reason", "<script>alert('r')</script> <img src=x onerror=alert(1)>")
    site.build("--drafts")
    pages = all_pages(site)
    assert "posts/hostile/index.html" in pages
    problems = [p for rel, html in pages.items() for p in audit(html, rel)]
    assert problems == []
    text = "".join(parse_html(pages["posts/hostile/index.html"]).text)
    assert "<script>alert('r')</script>" in text


def test_editor_intro_markdown_cannot_inject_markup(site: Site):
    site.add_post("plain", ["ann"], body="<script>alert('e')</script>\n\n[x](javascript:alert(1))\n")
    site.approve_all("plain")
    site.build()
    page = site.page("posts/plain/index.html")
    assert audit(page, "posts/plain/index.html") == []
    assert "&lt;script&gt;alert(" in page
