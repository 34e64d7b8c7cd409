"""The preview file is self-contained: opened in a real Chromium with the network cut off, every
avatar shows, the theme's stylesheet applies, and nothing but the file itself is requested."""

from __future__ import annotations

import struct
import zlib

import pytest

from conftest import PNG, Site



def make_png(width: int, height: int, seed: int) -> bytes:
    """A real RGB PNG of the given size (a colour gradient)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"".join(bytes(((x * 7 + seed) % 256, (y * 5) % 256, (x + y + seed) % 256))
                                        for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


AVATARS = {"zoe": (make_png(96, 64, 1), 96), "sam": (make_png(40, 40, 2), 40), "kim": (PNG, 1)}


@pytest.fixture
def preview_file(site: Site):
    """zoe's preview of a post with many voices (three local avatars, one without), long enough to scroll;
    the site shows drafts of the other voices in previews, so every picture is in the file."""
    site.config(preview_others="all")
    voices = ["zoe", "sam", "lee", "kim"] + [f"extra-{n}" for n in range(6)]
    for cid in voices:
        fields = {}
        if cid in AVATARS:
            site.write(f"contributors/avatars/{cid}.png", AVATARS[cid][0])
            fields["avatar"] = f"avatars/{cid}.png"
        site.contributor(cid, url=f"https://{cid}.example/", links={"Blog": f"https://{cid}.example/blog/"},
                         bio=f"Bio of {cid} with [a link](https://{cid}.example/about).", **fields)
        site.quote("alpha", cid, ("A long paragraph from " + cid + ". ") * 40 + "\n")
    site.post("alpha", title="Alpha Roundup", voices=voices, tags=["friends"])
    site.ok("preview", "zoe")
    return site.root / "_previews/zoe/alpha.html"


@pytest.fixture
def offline_page(browser):
    """A page whose every request except file: and data: is aborted; `page.requests` lists them all."""
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def only_local(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_local)
    page.requests = requests
    yield page
    context.close()


def open_and_scroll(page, path) -> None:
    page.goto(path.as_uri(), wait_until="load")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    for y in range(0, height + 800, 400):  # lazy images load as they come into view
        page.evaluate("(y) => window.scrollTo({top: y, behavior: 'instant'})", y)
    page.evaluate("() => window.scrollTo({top: document.documentElement.scrollHeight, behavior: 'instant'})")
    assert page.evaluate("() => window.scrollY + window.innerHeight") >= height - 1
    try:
        page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)",
                               timeout=10_000)
    except Exception:
        pass  # the assertions below say which image failed


def test_every_avatar_shows_from_inside_the_file(offline_page, preview_file):
    open_and_scroll(offline_page, preview_file)
    images = offline_page.evaluate(
        "() => [...document.images].map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth,"
        " lazy: i.loading, scheme: i.src.split(':')[0]}))")
    assert len(images) == 10  # every voice: a photo, or a placeholder with the initials
    for image in images:
        assert image["complete"] and image["width"] > 0, image
        assert image["scheme"] == "data", image
    photos = {image["alt"]: image["width"] for image in images if image["alt"].startswith("Photo of")}
    # the 160-pixel rendition travels in the file, not the original photo
    assert photos == {f"Photo of {cid.title()}": 160 for cid in AVATARS}


def test_theme_stylesheet_is_applied_without_any_request(offline_page, preview_file):
    open_and_scroll(offline_page, preview_file)
    banner = offline_page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('.preview-banner'));"
        " return [s.borderTopColor, s.borderTopWidth, s.borderTopStyle]; }")
    assert banner == ["rgb(29, 78, 216)", "3px", "solid"]
    font = offline_page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert font.startswith("system-ui"), font
    highlighted = offline_page.evaluate(
        "() => [...document.querySelectorAll('.voice--highlighted')].map(e => e.id)")
    assert highlighted == ["voice-zoe"]


def test_nothing_but_the_file_itself_is_requested(offline_page, preview_file):
    open_and_scroll(offline_page, preview_file)
    offline_page.hover("#voice-sam .voice__name a")
    others = [url for url in offline_page.requests if not url.startswith("data:")]
    assert others == [preview_file.as_uri()]
