"""Publishing quality, on the example site and on a site of hostile and very long values: valid HTML
(the Nu validator, one JVM for every page), no axe-core violations at WCAG 2 A/AA in light and dark,
visible focus and a working skip link, no horizontal overflow at 375 and 1280 px, an Atom feed valid
against RFC 4287's schema, a sitemap valid against the protocol's schema, and sharing metadata."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from lxml import etree

import quality_sites
from conftest import free_port, parse_html
from quality_sites import Built

HERE = Path(__file__).resolve().parent
VNU_JAR = HERE / "node_modules/vnu-jar/build/dist/vnu.jar"
AXE_JS = HERE / "node_modules/axe-core/axe.min.js"
SITES = ("example", "example-drafts", "hostile")
PAGE_TYPES = ("index", "post", "draft", "contributors", "contributor", "tag", "404", "preview", "page2")
ONLY_IN = {"draft": ("example-drafts", "hostile"), "page2": ("hostile",)}
"""Page types that only some sites have (the hostile site shows one post a page, so its lists have pages)."""
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
ATOM = "{http://www.w3.org/2005/Atom}"
NEEDS_NPM = "run `npm ci --prefix tests` first (the README's test command does)"


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Built]:
    root = tmp_path_factory.mktemp("quality")
    return {"example": quality_sites.example(root / "example", drafts=False),
            "example-drafts": quality_sites.example(root / "example-drafts", drafts=True),
            "hostile": quality_sites.hostile(root / "hostile")}


# ---- the Nu HTML validator ------------------------------------------------------------------------

CANARY = "<!doctype html><html lang=en><head><title>x</title></head><body><p><div>misnested</p></div></body></html>"


@pytest.fixture(scope="session")
def vnu_errors(built, tmp_path_factory) -> dict[str, list[str]]:
    """Every HTML file of every site (and a canary with a known error) through one run of vnu.jar."""
    assert VNU_JAR.is_file(), f"{VNU_JAR} is missing: {NEEDS_NPM}"
    canary = tmp_path_factory.mktemp("vnu") / "canary.html"
    canary.write_text(CANARY)
    files = [canary] + [f for site in built.values() for f in site.html_files()]
    result = subprocess.run(["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stderr or result.stdout)
    errors: dict[str, list[str]] = {str(f): [] for f in files}
    for message in report["messages"]:
        path = unquote(urlsplit(message["url"]).path)
        errors.setdefault(path, []).append(f"{message.get('lastLine')}: {message['message']}")
    return errors


def test_the_validator_run_reports_errors_it_is_given(vnu_errors):
    canary = next(k for k in vnu_errors if k.endswith("canary.html"))
    assert vnu_errors[canary], "vnu reported nothing for a misnested document: the check cannot fail"


@pytest.mark.parametrize("name", SITES)
def test_every_page_passes_the_nu_html_validator(built, vnu_errors, name):
    files = built[name].html_files()
    assert len(files) >= 7
    bad = {str(f.relative_to(built[name].root)): vnu_errors[str(f)] for f in files if vnu_errors[str(f)]}
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)


# ---- in Chromium: axe-core, focus, overflow -------------------------------------------------------

class _SiteHandler(SimpleHTTPRequestHandler):
    """Serves one build under its base path, with 404.html for anything missing, as a host would."""

    base_path = "/"

    def translate_path(self, path):
        path = urlsplit(path).path
        inner = "/" + path[len(self.base_path):] if path.startswith(self.base_path) else "/.missing"
        return super().translate_path(inner)

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def servers(built):
    """Each built site over HTTP at its base path; name → URL of the site's root."""
    running, urls = [], {}
    for name, site in built.items():
        handler = type("Handler", (_SiteHandler,), {"base_path": site.base_path})
        server = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(handler, directory=str(site.out)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        running.append(server)
        urls[name] = f"http://127.0.0.1:{server.server_port}{site.base_path}"
    yield urls
    for server in running:
        server.shutdown()
        server.server_close()


def page_url(built, servers, name: str, kind: str) -> str:
    site = built[name]
    path = site.pages[kind]
    if kind == "preview":
        return path.as_uri()
    if kind == "404":
        return servers[name] + "no/such/page/at/depth/"  # served as a host serves 404.html
    return servers[name] + path.relative_to(site.out).parent.as_posix().removeprefix(".") + "/"


def cases() -> list:
    return [pytest.param(name, kind, id=f"{name}-{kind}") for name in SITES for kind in PAGE_TYPES
            if name in ONLY_IN.get(kind, SITES)]


@pytest.fixture
def open_page(browser, built, servers):
    """Open a page type of a site at a width and colour scheme; the page has no network beyond 127.0.0.1."""
    contexts = []

    def opener(name: str, kind: str, width: int, scheme: str = "light"):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), lambda route: route.abort())
        contexts.append(context)
        page = context.new_page()
        page.goto(page_url(built, servers, name, kind))
        return page

    yield opener
    for context in contexts:
        context.close()


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} at ` +
            v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""", AXE_TAGS)
    return found


@pytest.mark.parametrize("name,kind", cases())
def test_no_axe_violations_in_light_and_dark(open_page, name, kind):
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: {NEEDS_NPM}"
    for scheme in ("light", "dark"):
        page = open_page(name, kind, 1280, scheme)
        violations = axe_violations(page)
        assert not violations, f"{scheme}: " + "\n".join(violations)


def test_axe_finds_a_violation_it_is_shown(browser, tmp_path):
    page = browser.new_page()
    try:
        bad = tmp_path / "bad.html"
        bad.write_text("<!doctype html><html><head><title>x</title></head><body>"
                       "<img src='a.png'><p style='color:#eee;background:#fff'>faint</p></body></html>")
        page.goto(bad.as_uri())
        found = " ".join(axe_violations(page))
        assert "image-alt" in found and "color-contrast" in found and "html-has-lang" in found
    finally:
        page.close()


@pytest.fixture(scope="session")
def screens(tmp_path_factory) -> Path:
    """Where the full-page screenshots go (one folder for the session, to look at after a failure)."""
    return tmp_path_factory.mktemp("screens")


@pytest.mark.parametrize("name,kind", cases())
@pytest.mark.parametrize("width", (375, 1280))
def test_nothing_overflows_sideways(open_page, screens, name, kind, width):
    page = open_page(name, kind, width)
    shot = screens / f"{name}-{kind}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                     && !e.closest('.visually-hidden, .skip-link, table, pre'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className)""")
    assert scroll <= client, f"{scroll}px wide in a {client}px window ({shot}); widest: {wide}"


@pytest.mark.parametrize("name", SITES)
def test_every_picture_has_alt_text_naming_its_person(built, name):
    for kind, path in built[name].pages.items():
        for tag, attrs in parse_html(path.read_text(encoding="utf-8")).tags:
            if tag == "img":
                alt = dict(attrs).get("alt") or ""
                if "avatar" in (dict(attrs).get("class") or ""):
                    assert re.match(r"^(Photo|Initials) of \S", alt), (kind, attrs)
                else:
                    assert alt.strip(), (kind, attrs)


@pytest.mark.parametrize("name", ("example", "hostile"))
def test_skip_link_comes_first_and_every_focus_is_visible(open_page, name):
    page = open_page(name, "post", 1280)
    page.keyboard.press("Tab")
    first = page.evaluate("[document.activeElement.className, document.activeElement.getAttribute('href'),"
                          " document.activeElement.getBoundingClientRect().top >= 0]")
    assert first == ["skip-link", "#main", True]
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.keyboard.press("Tab")  # the first link inside <main>
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    seen = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        style = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
            return [e.tagName, s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow]; }""")
        if style[0] == "BODY":
            break
        seen += 1
        assert (style[1] != "none" and style[2] >= 2) or style[3] != "none", style
    assert seen >= 10


# ---- feed, sitemap, sharing metadata --------------------------------------------------------------

@pytest.fixture(scope="session")
def atom_schema():
    import rnc2rng

    rng = rnc2rng.dumps(rnc2rng.load(str(HERE / "schemas/atom.rnc")))
    rng = re.sub(r'\s+xmlns:local=""', "", rng)  # the empty prefix rnc2rng declares is not well-formed XML
    return etree.RelaxNG(etree.fromstring(rng.encode()))


@pytest.mark.parametrize("name", SITES)
def test_feed_is_valid_atom_naming_every_voice(built, atom_schema, name):
    site = built[name]
    feed = etree.parse(str(site.out / "feed.xml"))
    assert atom_schema.validate(feed), str(atom_schema.error_log)
    root = feed.getroot()
    assert root.find(f"{ATOM}author/{ATOM}name") is not None  # RFC 4287's schematron rule: a feed author
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None and entry.findtext(f"{ATOM}id") == link.get("href")
        assert entry.findtext(f"{ATOM}updated")
        page = site.out / unquote(urlsplit(link.get("href")).path).removeprefix(site.base_path) / "index.html"
        shown = [h.text_content() for h in document(page).xpath("//h2[@class='voice__name']")]
        assert [c.findtext(f"{ATOM}name") for c in entry.findall(f"{ATOM}contributor")] == shown


def test_feed_schema_refuses_an_entry_without_id(built, atom_schema):
    text = (built["example"].out / "feed.xml").read_bytes()
    broken = re.sub(rb"<entry>(\s*<title>.*?</title>)\s*<id>[^<]*</id>", rb"<entry>\1", text, count=1, flags=re.S)
    assert broken != text
    assert not atom_schema.validate(etree.fromstring(broken))


@pytest.mark.parametrize("name", SITES)
def test_sitemap_follows_the_protocol(built, name):
    schema = etree.XMLSchema(etree.parse(str(HERE / "schemas/sitemap.xsd")))
    sitemap = etree.parse(str(built[name].out / "sitemap.xml"))
    assert schema.validate(sitemap), str(schema.error_log)
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs and len(locs) == len(set(locs)) <= 50_000
    assert not schema.validate(etree.fromstring(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                                b"<url><lastmod>2026-01-01</lastmod></url></urlset>"))


def document(path: Path):
    return lxml.html.fromstring(path.read_bytes())


def head_meta(doc) -> dict[str, str]:
    return {m.get("property") or m.get("name"): m.get("content")
            for m in doc.xpath("//head/meta[@property or @name]")}


def json_ld(doc) -> dict:
    found = doc.xpath("//script[@type='application/ld+json']")
    assert len(found) == 1, found
    return json.loads(found[0].text)


@pytest.mark.parametrize("name", SITES)
def test_post_pages_carry_open_graph_twitter_and_json_ld_naming_every_voice(built, name):
    site = built[name]
    doc = document(site.pages["post"])
    meta, canonical = head_meta(doc), doc.xpath("//link[@rel='canonical']/@href")[0]
    assert meta["og:type"] == "article" and meta["og:url"] == canonical
    assert meta["og:title"] and meta["og:description"] and meta["twitter:card"] == "summary_large_image"
    assert meta["og:image"].startswith("https://") and meta["twitter:image"] == meta["og:image"]
    assert (site.out / urlsplit(meta["og:image"]).path.removeprefix(site.base_path)).is_file()
    data = json_ld(doc)
    assert data["@type"] == "Article" and data["url"] == canonical and data["headline"] == meta["og:title"]
    assert data["author"]["@type"] == "Person" and data["author"]["name"]
    voices = doc.xpath("//section[contains(@class, 'voice')]")
    assert voices and len(data["contributor"]) == len(voices)
    for person, voice in zip(data["contributor"], voices):
        name_link = voice.xpath(".//h2[@class='voice__name']")[0]
        assert person["@type"] == "Person" and person["name"] == name_link.text_content()
        assert person["url"] in name_link.xpath("./a/@href") + [f"{site_url(site)}contributors/{voice.get('id')[6:]}/"]
        credit = [h for h in voice.xpath(".//ul[@class='credit-links']//a/@href") if h.startswith("http")]
        assert sorted(person.get("sameAs", [])) == sorted(set(credit) - {person["url"]}), (person, credit)


def site_url(site: Built) -> str:
    return json_ld(document(site.pages["post"]))["publisher"]["url"]


@pytest.mark.parametrize("name", SITES)
def test_contributor_pages_carry_a_json_ld_person(built, name):
    doc = document(built[name].pages["contributor"])
    data = json_ld(doc)
    assert data["@type"] == "Person" and data["name"] == doc.xpath("//h1")[0].text_content()
    assert head_meta(doc)["og:type"] == "profile"


def test_json_ld_cannot_break_out_of_its_script(built):
    html = built["hostile"].pages["post"].read_text(encoding="utf-8")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1]
    assert "<" not in script and ">" not in script
    names = [p["name"] for p in json_ld(document(built["hostile"].pages["post"]))["contributor"]]
    assert any("<script>" in n for n in names)  # the markup is kept as text, exactly as written
