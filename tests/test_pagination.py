"""The home page and each tag's page are split into pages of `paginate` posts (default 20), newest first,
linked to each other, each post on exactly one page; withheld posts leave no trace in the pages either."""

from __future__ import annotations

import re

import pytest

from conftest import Site, assert_problem

from roundup.cli import main

SLUG = re.compile(r'<h2 class="post-card__title"><a href="[^"]*posts/([a-z0-9-]+)/"')


def card_slugs(html: str) -> list[str]:
    return SLUG.findall(html)


@pytest.fixture
def many(site: Site) -> Site:
    """45 posts, one a day, all tagged "weekly", one voice each, all approved; shown 20 a page."""
    site.config(paginate=20)
    for day in range(1, 46):
        slug = f"day-{day:02d}"
        site.add_post(slug, ["zoe"], date=f"2026-01-{day:02d}" if day <= 31 else f"2026-02-{day - 31:02d}",
                      tags=["weekly"])
    for day in range(1, 46):  # through the real CLI, in this process (45 subprocesses would be slow)
        assert main(["--site", str(site.root), "approve", "zoe", f"day-{day:02d}"]) == 0
    return site


def test_the_home_page_is_split_newest_first_with_every_post_on_one_page(many: Site):
    many.build()
    pages = [many.page("index.html"), many.page("page/2/index.html"), many.page("page/3/index.html")]
    assert not (many.out / "page/4").exists() and not (many.out / "page/1").exists()
    shown = [card_slugs(page) for page in pages]
    assert [len(s) for s in shown] == [20, 20, 5]
    assert sum(shown, []) == [f"day-{day:02d}" for day in range(45, 0, -1)]


def test_pages_link_to_their_neighbours_and_say_where_they_are(many: Site):
    many.build()
    first, middle, last = (many.page(p) for p in ("index.html", "page/2/index.html", "page/3/index.html"))
    assert 'href="page/2/" rel="next"' in first and 'rel="prev"' not in first
    assert 'href="../../" rel="prev"' in middle and 'href="../../page/3/" rel="next"' in middle
    assert 'href="../../page/2/" rel="prev"' in last and 'rel="next"' not in last
    assert "Page 2 of 3" in middle and "<title>Page 3 of 3 · " in last and "<title>Test Roundups</title>" in first
    assert '<link rel="canonical" href="https://example.org/blog/page/2/">' in middle


def test_tag_pages_are_split_the_same_way_and_count_every_post(many: Site):
    many.build()
    pages = [many.page("tags/weekly/index.html"), many.page("tags/weekly/page/2/index.html"),
             many.page("tags/weekly/page/3/index.html")]
    assert sum((card_slugs(p) for p in pages), []) == [f"day-{day:02d}" for day in range(45, 0, -1)]
    assert all("45 roundups tagged “<bdi>weekly</bdi>”" in p for p in pages)  # the tag isolated in the sentence
    assert 'href="../../../../tags/weekly/page/3/" rel="next"' in pages[1]


def test_further_pages_are_in_the_sitemap(many: Site):
    many.build()
    sitemap = many.page("sitemap.xml")
    for url in ("page/2/", "page/3/", "tags/weekly/page/2/", "tags/weekly/page/3/"):
        assert f"<loc>https://example.org/blog/{url}</loc>" in sitemap


def test_a_withheld_post_leaves_no_trace_and_drafts_show_it_in_its_place(many: Site):
    many.ok("decline", "zoe", "day-30")  # a decline takes a published post down (an edit would not)
    many.build()
    shown = card_slugs(many.page("index.html")) + card_slugs(many.page("page/2/index.html")) \
        + card_slugs(many.page("page/3/index.html"))
    assert len(shown) == 44 and "day-30" not in shown
    many.build("--drafts")
    assert card_slugs(many.page("index.html"))[15] == "day-30"


def test_a_short_list_has_one_page_and_no_page_links(site: Site):
    site.add_post("only", ["zoe"])
    site.approve("zoe", "only")
    site.build()
    assert 'class="pager"' not in site.page("index.html")
    assert not (site.out / "page").exists()


@pytest.mark.parametrize("value", [0, -3, "many", 2.5, True])
def test_paginate_must_be_a_whole_number_of_posts(site: Site, value):
    path = site.config(paginate=value)
    result = site.run("build")
    line = 1 + path.read_text().splitlines().index(next(l for l in path.read_text().splitlines()
                                                        if l.startswith("paginate:")))
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", line, "paginate", "whole number")
