"""Cross-site scripting: the OWASP-derived corpus in every field a contributor or editor writes, built,
previewed and mailed, then opened in Chromium with alert/confirm/prompt hooked, every element hovered and
every link clicked: nothing runs, and the DOM holds no handler, script URL or active element from the text."""

from __future__ import annotations

import email
import email.policy
import html
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree

from conftest import Site, assert_problem, free_port
from xss_corpus import MARKDOWN, MARKUP, URLS_ACCEPTED, URLS_REFUSED

from roundup.markdown import ENGINES

GROUP = 8
"""Voices per post: the corpus is spread over several posts, every payload in every field."""

HOOKS = """
window.__fired = [];
for (const name of ['alert', 'confirm', 'prompt', 'print', 'open']) {
  window[name] = (...args) => { window.__fired.push(name + '(' + args.join(',') + ')'); return null; };
}
"""

AUDIT = """() => {
  const found = [];
  const urlAttributes = new Set(['href', 'src', 'action', 'formaction', 'srcset', 'poster', 'data', 'background',
    'cite', 'longdesc', 'usemap', 'manifest', 'ping', 'xlink:href', 'dynsrc', 'lowsrc']);
  const active = new Set(['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE', 'BASE', 'FORM', 'FRAME', 'FRAMESET',
    'APPLET', 'SVG', 'MATH', 'NOSCRIPT', 'TEMPLATE', 'LINK', 'META', 'INPUT', 'BUTTON', 'TEXTAREA', 'SELECT']);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toUpperCase();
    const inHead = el.parentElement === document.head;
    const theme = inHead && ((tag === 'SCRIPT' && el.getAttribute('type') === 'application/ld+json'
                                && el.attributes.length === 1)
                             || (tag === 'STYLE' && el.attributes.length === 0)       // a preview's own stylesheet
                             || (tag === 'META' && !el.hasAttribute('http-equiv'))
                             || (tag === 'LINK' && ['stylesheet', 'canonical', 'alternate'].includes(el.rel)));
    if (active.has(tag) && !theme) found.push('<' + tag.toLowerCase() + '> ' + el.outerHTML.slice(0, 80));
    if (tag === 'META' && /refresh/i.test(el.getAttribute('http-equiv') || '')) found.push('meta refresh');
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\\x00-\\x20\\x7f]+/g, '').toLowerCase();
      if (name.startsWith('on')) found.push(tag + ' ' + name + '=' + a.value.slice(0, 40));
      if (name === 'style' || name === 'srcdoc' || name === 'formaction') found.push(tag + ' ' + name);
      if (urlAttributes.has(name) && /(^|,)(javascript|vbscript|livescript|data:text|data:application)/.test(value))
        found.push(tag + ' ' + name + '=' + a.value.slice(0, 60));
    }
  }
  return found;
}"""


# ---- the site -------------------------------------------------------------------------------------

def groups() -> list[list[int]]:
    return [list(range(start, min(start + GROUP, len(MARKUP)))) for start in range(0, len(MARKUP), GROUP)]


def answer(root: Path, *args: str) -> None:
    """Record an answer through the real CLI, in this process (dozens of them: a subprocess each is slow)."""
    from roundup.cli import main
    assert main(["--site", str(root), *args]) == 0


@pytest.fixture(scope="module", params=ENGINES)
def xss(tmp_path_factory, request) -> Site:
    """Every markup payload as a name, handle, link label, tag, title, summary, prompt, bio, quote, intro
    and decline reason; every Markdown payload in quotes, bios and the editor's text; the accepted hostile
    URLs as profile URLs and credit links. Built with --drafts, previewed, thanked; once per Markdown engine."""
    site = Site(tmp_path_factory.mktemp("xss") / "site")
    site.config(title=MARKUP[0], editor={"name": MARKUP[1], "email": "ed@example.org"}, markdown=request.param)
    markdown = "\n\n".join(MARKDOWN)
    for i, payload in enumerate(MARKUP):
        site.contributor(f"c{i:02d}", payload, handle=payload, url=URLS_ACCEPTED[i % len(URLS_ACCEPTED)],
                         links={payload: URLS_ACCEPTED[(i + 1) % len(URLS_ACCEPTED)], "Blog": f"https://ok.example/{i}"},
                         bio=f"{payload}\n\n{MARKDOWN[i % len(MARKDOWN)]}", email=f"c{i:02d}@example.org")
    for n, members in enumerate(groups()):
        slug, voices = f"post-{n}", [f"c{i:02d}" for i in members]
        for i in members:
            site.quote(slug, f"c{i:02d}", f"{MARKUP[i]}\n\n{markdown}\n", prompt=MARKUP[i], note=MARKUP[i])
        texts = [MARKUP[i] for i in members]
        site.post(slug, title=" ".join(texts), summary=" ".join(reversed(texts)), tags=texts, voices=voices,
                  body="\n\n".join(texts) + f"\n\n{markdown}\n\n<!-- voices -->\n\n{texts[-1]}\n")
    for n, members in enumerate(groups()):
        for i in (members if n else members[2:]):  # post-0 stays withheld: one pending, one declined
            answer(site.root, "approve", f"c{i:02d}", f"post-{n}")
    answer(site.root, "decline", "c01", "post-0", "--reason", " ".join(MARKUP[:12]))
    site.build("--drafts")
    site.ok("preview", "c00")
    site.ok("preview", "c01")
    site.ok("thank", "post-1")
    return site


def message_pages(site: Site) -> list[Path]:
    """The HTML part of every message written, as a file to open."""
    pages = []
    for eml in sorted((site.root / "_previews").rglob("*.eml")):
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        body = message.get_body(("html",))
        assert body is not None, eml
        page = eml.with_suffix(".message.html")
        page.write_text(body.get_content(), encoding="utf-8")
        pages.append(page)
    return pages


def feed_pages(site: Site) -> list[Path]:
    """Each feed entry's HTML content and summary, as a feed reader would show them."""
    feed = etree.parse(str(site.out / "feed.xml"))
    pages = []
    for n, entry in enumerate(feed.getroot().iter("{http://www.w3.org/2005/Atom}entry")):
        content = entry.findtext("{http://www.w3.org/2005/Atom}content") or ""
        summary = html.escape(entry.findtext("{http://www.w3.org/2005/Atom}summary") or "")
        page = site.root / f"_feed-entry-{n}.html"
        page.write_text(f"<!doctype html><title>entry</title><p>{summary}</p>{content}", encoding="utf-8")
        pages.append(page)
    return pages


# ---- in Chromium ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(xss):
    """The build over HTTP at its base path (as deployed), so relative links and styles resolve."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(xss.root))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/_site/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def tab(browser):
    """One page with the hooks installed in every document and frame; navigations away are cancelled
    (a click that would leave stays on the page), and nothing beyond 127.0.0.1 and files is fetched."""
    context = browser.new_context()
    context.add_init_script(HOOKS)
    page = context.new_page()
    page.dialogs, page.opening = [], False
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))

    def route(r):
        request = r.request
        leaving = request.is_navigation_request() and not page.opening
        local = request.url.startswith(("http://127.0.0.1:", "file:", "data:"))
        r.abort("aborted") if leaving or not local else r.continue_()

    context.route("**/*", route)
    yield page
    context.close()


def visit(page, url: str) -> list[str]:
    """Open a page; what ran and what the DOM holds that it should not."""
    page.dialogs.clear()
    page.opening = True
    try:
        page.goto(url)
        page.wait_for_load_state("load")
    finally:
        page.opening = False
    return page.evaluate(AUDIT) + page.evaluate("window.__fired") + page.dialogs


def hover_and_click_everything(page) -> int:
    """Move the real mouse over every visible element (synthetic events for the rest), then click every
    link and button; returns how many elements were touched."""
    height = page.viewport_size["height"]
    boxes = page.evaluate("""() => [...document.querySelectorAll('body *')].map(e => {
        const r = e.getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2 + scrollY, r.width > 0 && r.height > 0]; })""")
    top = -height
    for x, y, visible in sorted(boxes, key=lambda b: b[1]):
        if not visible:
            continue
        if not top <= y < top + height:
            top = page.evaluate("y => (window.scrollTo(0, y), scrollY)", max(0, y - height / 2))
        page.mouse.move(x, y - top)
    page.evaluate("""() => { for (const e of document.querySelectorAll('body *'))
        for (const type of ['mouseover', 'mouseenter', 'mousemove', 'focus', 'focusin', 'blur'])
          e.dispatchEvent(new Event(type, {bubbles: true})); }""")
    url = page.url
    clickable = page.evaluate("() => (window.__click = [...document.querySelectorAll("
                              "'a[href], area[href], button, input, summary, [tabindex]')]).length")
    for i in range(clickable):
        page.evaluate("i => window.__click[i].click()", i)
        if page.url != url:  # a same-document link (#voice-…) may change the hash only
            assert page.url.split("#")[0] == url.split("#")[0], page.url
    page.wait_for_timeout(200)  # anything scheduled by a click has run by now
    return len(boxes)


def test_the_browser_check_catches_a_script_it_is_shown(tab, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><title>x</title><a href=\"javascript:alert('clicked')\">x</a>"
                   "<p onmouseover=\"alert('hovered')\" style='display:block;height:40px'>hover me</p>")
    found = visit(tab, bad.as_uri())
    assert any("onmouseover" in f for f in found) and any("javascript" in f for f in found)
    hover_and_click_everything(tab)
    fired = tab.evaluate("window.__fired")
    assert "alert(hovered)" in fired and "alert(clicked)" in fired


def all_pages(xss: Site, served: str) -> list[str]:
    pages = [served + p.relative_to(xss.out).as_posix() for p in sorted(xss.out.rglob("*.html"))]
    pages += [p.as_uri() for p in sorted((xss.root / "_previews").rglob("*.html"))
              if not p.name.endswith(".message.html")]
    return pages + [p.as_uri() for p in message_pages(xss) + feed_pages(xss)]


def test_nothing_runs_and_nothing_active_is_left_on_any_page_preview_message_or_feed_entry(xss, served, tab):
    pages = all_pages(xss, served)
    assert len(pages) > 100
    problems = {url: found for url in pages if (found := visit(tab, url))}
    assert not problems, "\n".join(f"{u}: {f[:5]}" for u, f in list(problems.items())[:10])


SWEPT = ["posts/post-0/", "posts/post-1/", "posts/post-3/", "posts/post-6/", "", "contributors/",
         "contributors/c05/", "contributors/c42/"]


@pytest.mark.parametrize("path", SWEPT)
def test_hovering_every_element_and_clicking_every_link_runs_nothing(xss, served, tab, path):
    url = served + path + "index.html"
    assert visit(tab, url) == []
    touched = hover_and_click_everything(tab)
    assert touched > 30
    assert tab.evaluate("window.__fired") == [] and tab.dialogs == []


def test_previews_and_messages_run_nothing_when_hovered_and_clicked(xss, tab):
    files = [p for p in sorted((xss.root / "_previews").rglob("*.html")) if not p.name.endswith(".message.html")]
    files += message_pages(xss)[:3]
    assert len(files) >= 4
    for page in files:
        assert visit(tab, page.as_uri()) == [], page
        hover_and_click_everything(tab)
        assert tab.evaluate("window.__fired") == [] and tab.dialogs == [], page


def test_every_payload_still_reads_as_the_text_that_was_written(xss):
    page = (xss.out / "posts/post-1/index.html").read_text(encoding="utf-8")
    text = html.unescape(page)
    for i in groups()[1]:
        assert MARKUP[i] in text, MARKUP[i]


@pytest.mark.parametrize("url", URLS_REFUSED)
@pytest.mark.parametrize("field", ["url", "links", "avatar"])
def test_a_script_or_data_url_in_a_profile_is_refused_at_its_line(site: Site, field: str, url: str):
    value = {"Blog": url} if field == "links" else url
    site.contributor("zoe", "Zoe", **{field: value})
    site.add_post("alpha", ["zoe"])
    result = site.run("check")
    assert result.returncode == 1
    assert_problem(result.stderr, "contributors/zoe.yml", (2, 3), (field, "link", "avatar"))
