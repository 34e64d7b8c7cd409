"""Names and text in any script appear exactly as written: pages, feed, status, approvals."""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import pytest
import yaml

from conftest import Site, parse_html

ATOM = "{http://www.w3.org/2005/Atom}"

PEOPLE = {
    "zoe": "Zoë Ångström-Núñez",
    "hanako": "山田 花子",
    "fatima": "فاطمة الزهراء",
    "noa": "נועה לוי עברית",
    "ana": "Ana Lima 🌻 👩🏽‍💻",
    "renee": unicodedata.normalize("NFD", "Renée Decomposée"),
}
TITLE = "Café ☕ 共に — مرحبا"
QUOTE = "Ünïcödé words: 日本語, العربية, עברית, 🎉.\n"


@pytest.fixture
def world(site: Site) -> Site:
    for cid, name in PEOPLE.items():
        site.contributor(cid, name=name, handle=f"@{name.split()[0]}", bio=f"Bio of {name}.")
        site.quote("world", cid, f"{name}: {QUOTE}", prompt="¿Qué te inspira? 何があなたを？")
    site.post("world", title=TITLE, summary="Résumé 概要", tags=["café", "日本"], voices=list(PEOPLE))
    return site


@pytest.fixture
def published(world: Site) -> Site:
    world.approve_all("world")
    world.build()
    return world


def test_names_appear_exactly_in_the_post_page(published: Site):
    page = published.page("posts/world/index.html")
    for cid, name in PEOPLE.items():
        assert name in page, f"{cid}: {name!r} not found as written"
        assert f'id="voice-{cid}"' in page
    assert TITLE in page
    assert "日本語, العربية, עברית, 🎉" in page


def test_names_appear_exactly_in_contributor_pages(published: Site):
    index = published.page("contributors/index.html")
    for cid, name in PEOPLE.items():
        assert name in published.page(f"contributors/{cid}/index.html")
        assert name in index


def test_names_appear_exactly_in_the_feed(published: Site):
    raw = (published.out / "feed.xml").read_bytes()
    for name in PEOPLE.values():
        assert name.encode("utf-8") in raw
    root = ET.fromstring(raw)
    entry = next(root.iter(f"{ATOM}entry"))
    assert entry.findtext(f"{ATOM}title") == TITLE
    assert {c.findtext(f"{ATOM}name") for c in entry.iter(f"{ATOM}contributor")} == set(PEOPLE.values())


def test_names_appear_exactly_in_status_output(world: Site):
    world.approve("zoe", "world")
    out = world.ok("status").stdout
    for name in PEOPLE.values():
        assert name in out
    out = world.ok("status", "--post", "world").stdout
    assert PEOPLE["fatima"] in out and PEOPLE["hanako"] in out


def test_approvals_file_keeps_names_as_written(world: Site):
    world.approve_all("world")
    data = yaml.safe_load(world.read("posts/world/approvals.yml"))
    for cid, name in PEOPLE.items():
        assert data[cid]["content"]["profile"]["name"] == name
    assert world.states("world") == {cid: "approved" for cid in PEOPLE}


def test_unicode_tag_pages_are_reachable_from_the_post(published: Site):
    tags = [dict(attrs)["href"] for tag, attrs in parse_html(published.page("posts/world/index.html")).tags
            if tag == "a" and "tags/" in dict(attrs).get("href", "")]
    assert len(set(tags)) == 2, tags
    for href in tags:
        target = (published.out / "posts/world" / unquote(href)).resolve()
        if target.is_dir():
            target = target / "index.html"
        assert target.is_file(), href
        assert TITLE in target.read_text(encoding="utf-8")


def test_unicode_in_build_summary_and_errors(site: Site):
    site.contributor("zoe", name=PEOPLE["zoe"])
    site.write("posts/world/post.md", "---\ntitle: Café\ndate: 2026-03-01\nvoices: [zoe]\nzusätzlich: ja\n"
                                      "---\nIntro.\n")
    site.quote("world", "zoe", QUOTE)
    result = site.run("check")
    assert result.returncode == 1
    assert "posts/world/post.md:5:" in result.stderr and "zusätzlich" in result.stderr
