"""Photos and initials placeholders line up: in a real Chromium, the picture of a voice, of a contributor card
and of a contributor's page starts at the same x whether it is a photo (a <picture> with a WebP <source>) or a
placeholder (an <img> alone), and so does the name beside it."""

from __future__ import annotations

import pytest

from conftest import Site
from test_preview_browser import make_png


@pytest.fixture
def built(site: Site) -> Site:
    """alpha with zoe (a photo) and kim (no photo: her initials)."""
    site.write("contributors/avatars/zoe.png", make_png(96, 96, 3))
    site.contributor("zoe", "Zoe Quill", avatar="avatars/zoe.png")
    site.contributor("kim", "Kim Park")
    site.add_post("alpha", ["zoe", "kim"])
    site.approve_all("alpha")
    site.build()
    return site


@pytest.mark.parametrize("page, box", [("posts/alpha/index.html", ".voice__header"),
                                       ("contributors/index.html", ".person"),
                                       ("contributors/{cid}/index.html", ".profile")])
@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_a_photo_and_a_placeholder_start_at_the_same_x(browser, built: Site, page: str, box: str, direction: str):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        offsets = {}
        for cid in ("zoe", "kim"):
            tab = context.new_page()
            tab.goto((built.out / page.format(cid=cid)).as_uri())
            tab.evaluate("d => document.documentElement.dir = d", direction)
            assert tab.evaluate("b => getComputedStyle(document.querySelector(b)).display", box) == "flex", \
                "the stylesheet applies"
            offsets[cid] = tab.evaluate("""([box, cid, dir]) => {
                const frame = [...document.querySelectorAll(box)].find(b => b.querySelector(`img[src*="${cid}"]`));
                const img = frame.querySelector('img'), at = frame.getBoundingClientRect();
                const text = frame.querySelector('h1, h2, h3, p, a:not(:has(img))').getBoundingClientRect();
                const edge = r => dir === 'rtl' ? at.right - r.right : r.left - at.left;
                return [edge(img.getBoundingClientRect()), edge(text),
                        !!frame.querySelector('source'), img.getBoundingClientRect().width];
            }""", [box, cid, direction])
        assert offsets["zoe"][2] and not offsets["kim"][2]  # a photo with its <source>, and a placeholder without
        assert offsets["zoe"][3] == offsets["kim"][3] > 40
        assert offsets["zoe"][:2] == pytest.approx(offsets["kim"][:2], abs=0.5), offsets
    finally:
        context.close()
