"""What the built pages show: voices with their credits, order, index, contributor and tag pages."""

from __future__ import annotations

import re

import pytest

from conftest import PNG, Site, parse_html


def anchors(html: str) -> list[str]:
    return [dict(attrs)["id"] for tag, attrs in parse_html(html).tags
            if dict(attrs).get("id", "").startswith("voice-") and not dict(attrs)["id"].endswith("-name")]


def voice_element(html: str, cid: str) -> str:
    """The HTML from the voice's opening tag to the next voice (or the end)."""
    start = html.rindex("<", 0, html.index(f'id="voice-{cid}"'))
    others = [m.start() for m in re.finditer(r'id="voice-([a-z0-9-]+)"', html)
              if m.start() > start and m[1] != cid and not m[1].endswith("-name")]
    return html[start:min(others, default=len(html))]


@pytest.fixture
def credited(site: Site) -> Site:
    site.write("contributors/avatars/zoe.png", PNG)
    site.contributor("zoe", name="Zoe Quill", handle="@zoeq", url="https://zoe.example/",
                     avatar="avatars/zoe.png", bio="Writes *Slow Replies*.",
                     links={"Blog": "https://zoe.example/blog/", "Mastodon": "https://social.example/@zoeq",
                            "Mail": "mailto:zoe@example.org"})
    site.contributor("sam", name="Sam Reed")
    site.add_post("alpha", {"zoe": "Zoe says **this**.\n", "sam": "Sam says that.\n"}, title="Alpha Roundup",
                  tags=["friends", "craft"], summary="Two friends.")
    site.approve_all("alpha")
    site.build()
    return site


def test_each_voice_shows_name_link_handle_avatar_bio_and_every_credit_link(credited: Site):
    html = credited.page("posts/alpha/index.html")
    zoe = voice_element(html, "zoe")
    tags = parse_html(zoe).tags
    hrefs = [dict(a).get("href") for t, a in tags if t == "a"]
    for href in ("https://zoe.example/", "https://zoe.example/blog/", "https://social.example/@zoeq",
                 "mailto:zoe@example.org"):
        assert href in hrefs, href
    links = [h for h in hrefs if h in ("https://zoe.example/blog/", "https://social.example/@zoeq",
                                       "mailto:zoe@example.org")]
    assert links == ["https://zoe.example/blog/", "https://social.example/@zoeq", "mailto:zoe@example.org"]
    text = "".join(parse_html(zoe).text)
    for shown in ("Zoe Quill", "@zoeq", "Slow Replies", "Blog", "Mastodon", "Zoe says"):
        assert shown in text, shown
    assert "<em>Slow Replies</em>" in zoe and "<strong>this</strong>" in zoe
    assert any(t == "img" and "avatars/" in dict(a).get("src", "") for t, a in tags)
    # the name itself is the link to the contributor's url
    name_link = zoe[zoe.index('href="https://zoe.example/"'):]
    assert name_link.index("Zoe Quill") < name_link.index("</a>")


def test_voices_follow_the_voices_list_order(site: Site):
    site.add_post("alpha", ["sam", "zoe", "lee"])
    site.approve_all("alpha")
    site.build()
    assert anchors(site.page("posts/alpha/index.html")) == ["voice-sam", "voice-zoe", "voice-lee"]


def test_without_voices_list_quotes_are_sorted_by_id(site: Site):
    site.add_post("alpha", ["sam", "zoe", "lee"], voices=None)
    assert "voices:" not in site.read("posts/alpha/post.md")
    site.approve_all("alpha")
    site.build()
    assert anchors(site.page("posts/alpha/index.html")) == ["voice-lee", "voice-sam", "voice-zoe"]


def test_intro_before_voices_and_outro_after(site: Site):
    site.add_post("alpha", ["zoe"], body="INTRO-TEXT here.\n\n<!-- voices -->\n\nOUTRO-TEXT here.\n")
    site.add_post("beta", ["zoe"], body="WHOLE-BODY first.\n\nSecond WHOLE-BODY paragraph.\n")
    site.approve_all("alpha")
    site.approve_all("beta")
    site.build()
    alpha = site.page("posts/alpha/index.html")
    assert alpha.index("INTRO-TEXT") < alpha.index('id="voice-zoe"') < alpha.index("OUTRO-TEXT")
    assert "&lt;!-- voices" not in alpha and "<!-- voices" not in alpha
    beta = site.page("posts/beta/index.html")
    assert beta.index("Second WHOLE-BODY") < beta.index('id="voice-zoe"')


def test_index_lists_published_posts_newest_first(site: Site):
    site.add_post("older", ["zoe"], title="Older Post", date="2025-12-01")
    site.add_post("newer", ["zoe"], title="Newer Post", date="2026-05-01")
    site.add_post("middle", ["zoe"], title="Middle Post", date="2026-02-01")
    for slug in ("older", "newer", "middle"):
        site.approve_all(slug)
    site.build()
    index = site.page("index.html")
    assert index.index("Newer Post") < index.index("Middle Post") < index.index("Older Post")


def test_contributor_page_lists_every_published_post_with_links_to_the_voice(site: Site):
    site.add_post("one", ["zoe", "sam"], title="Post One")
    site.add_post("two", ["zoe"], title="Post Two", date="2026-04-01")
    site.add_post("three", ["zoe", "lee"], title="Post Three Withheld")
    site.approve_all("one")
    site.approve_all("two")
    site.approve("zoe", "three")
    site.build()
    page = site.page("contributors/zoe/index.html")
    assert "Post One" in page and "Post Two" in page and "Post Three" not in page
    hrefs = [dict(a).get("href", "") for t, a in parse_html(page).tags if t == "a"]
    assert any(h.endswith("posts/one/#voice-zoe") for h in hrefs), hrefs
    assert any(h.endswith("posts/two/#voice-zoe") for h in hrefs), hrefs
    assert "Post One" in site.page("contributors/sam/index.html")
    assert not (site.out / "contributors/lee").exists()


def test_tag_pages_list_their_published_posts(credited: Site):
    for tag in ("friends", "craft"):
        page = credited.page(f"tags/{tag}/index.html")
        assert "Alpha Roundup" in page
