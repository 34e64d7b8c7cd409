"""`roundup build`: --strict, --drafts, the summary, the atomic swap, and what the output holds."""

from __future__ import annotations

import os
import re
import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import BASE_URL, PNG, Site, assert_problem, parse_html, tree_bytes

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def mixed(site: Site) -> Site:
    """`alpha` (zoe, sam) approved and published; `beta` (zoe, lee) with lee never previewed."""
    site.write("contributors/avatars/zoe.png", PNG)
    site.contributor("zoe", name="Zoe Quill", url="https://zoe.example/", avatar="avatars/zoe.png")
    site.contributor("sam", name="Sam Reed")
    site.contributor("lee", name="Lee Park")
    site.add_post("alpha", ["zoe", "sam"], title="Alpha Roundup", tags=["friends"])
    site.add_post("beta", ["zoe", "lee"], title="Beta Roundup", date="2026-04-01")
    site.approve_all("alpha")
    site.approve("zoe", "beta")
    return site


def no_leftovers(site: Site) -> None:
    hidden = sorted(p.name for p in site.root.iterdir() if p.name.startswith("._site."))
    assert hidden == [], f"build left staging folders behind: {hidden}"


def test_summary_names_withheld_posts_pending_contributors_and_reasons(mixed: Site):
    result = mixed.build()
    out = result.stdout
    beta_lines = out[out.index("beta"):]
    assert "lee" in beta_lines and "never previewed" in beta_lines
    assert "sam" not in beta_lines
    # one summary line at the end: published, withheld, files written, time
    last = out.splitlines()[-1]
    assert re.fullmatch(r"Built _site/ in \d+\.\d\d s: 1 post published, 1 withheld, \d+ files written, \d+ unchanged\.", last), out
    quiet = mixed.build("--quiet").stdout
    assert "Built" not in quiet and "lee" in quiet and "never previewed" in quiet
    mixed.ok("decline", "zoe", "beta", "--reason", "wrong photo")
    out = mixed.build().stdout
    assert "declined" in out and "wrong photo" in out


def test_a_long_list_of_withheld_posts_is_cut_at_a_screenful_and_status_lists_them_all(site: Site):
    slugs = [f"post-{n:02}" for n in range(30)]
    for slug in slugs:
        site.add_post(slug, ["zoe", "lee"])  # each post: its line, then a line for each voice waiting
    lines = site.build().stdout.splitlines()
    assert len(lines) <= 41, lines
    shown = [line for line in lines if line.startswith("  withheld   post-")]
    assert 10 <= len(shown) < 30
    assert sum(line.strip().startswith(("zoe  pending", "lee  pending")) for line in lines) == 2 * len(shown)
    left = 30 - len(shown)
    assert lines[-2] == f"  … and {left} more posts ({2 * left} voices waiting): `roundup status` lists every one"
    assert lines[-1].startswith("Built _site/") and ", 30 withheld," in lines[-1]
    status = site.ok("status").stdout
    assert all(f"{slug}  (" in status for slug in slugs)


def test_strict_fails_naming_post_and_pending_contributor_and_keeps_old_site(mixed: Site):
    mixed.build()
    before = mixed.output_files()
    mixed.config(title="A Renamed Site")  # would change every page if a build went through
    result = mixed.run("build", "--strict")
    assert result.returncode == 1
    assert_problem(result.stderr, "posts/beta/post.md", None, "lee")
    assert "alpha" not in result.stderr
    assert mixed.output_files() == before
    no_leftovers(mixed)


def test_strict_passes_when_everything_is_approved(mixed: Site):
    mixed.approve("lee", "beta")
    result = mixed.run("build", "--strict")
    assert result.returncode == 0, result.stderr
    assert (mixed.out / "posts/beta/index.html").is_file()


def test_drafts_renders_withheld_posts_naming_who_is_pending_and_why(mixed: Site):
    result = mixed.build("--drafts")
    assert "draft" in result.stdout.lower() and "beta" in result.stdout
    page = mixed.page("posts/beta/index.html")
    text = " ".join(parse_html(page).text)
    assert "Lee Park" in text and "never previewed" in text
    assert "Beta Roundup" in text
    # the published post carries no pending banner
    assert "never previewed" not in mixed.page("posts/alpha/index.html")
    # withheld posts stay out of the feed and the sitemap even in a drafts build
    assert "Beta Roundup" not in mixed.page("feed.xml")
    assert "posts/beta/" not in mixed.page("sitemap.xml")


def test_drafts_page_says_a_voice_is_stale(mixed: Site):
    mixed.quote("alpha", "sam", "Sam changed his words.\n")
    mixed.build("--drafts")
    text = " ".join(parse_html(mixed.page("posts/alpha/index.html")).text)
    assert "Sam Reed" in text and "edited" in text


def test_failed_build_leaves_previous_site_byte_for_byte(mixed: Site):
    mixed.build()
    before = mixed.output_files()
    assert "posts/alpha/index.html" in before
    mixed.write("contributors/sam.yml", "name: Sam Reed\nbio: [unclosed, list\nhandle: '@sam'\n")
    result = mixed.run("build")
    assert result.returncode == 1
    assert_problem(result.stderr, "contributors/sam.yml", (2, 3), "yaml")
    assert mixed.output_files() == before
    no_leftovers(mixed)


def test_refuses_to_replace_a_folder_it_did_not_write(mixed: Site):
    mixed.write("_site/index.html", "my own hand-made page")
    result = mixed.run("build")
    assert result.returncode == 1
    assert "_site" in result.stderr
    assert mixed.output_files() == {"index.html": b"my own hand-made page"}
    no_leftovers(mixed)


def test_output_that_is_a_file_is_refused(mixed: Site):
    mixed.write("_site", "not a folder")
    result = mixed.run("build")
    assert result.returncode == 1
    assert "_site" in result.stderr and "Traceback" not in result.stderr
    assert mixed.read("_site") == "not a folder"


def test_builds_into_an_existing_empty_folder_and_a_custom_output(mixed: Site):
    mixed.config(output="public")
    (mixed.root / "public").mkdir()
    mixed.build()
    assert (mixed.root / "public/posts/alpha/index.html").is_file()
    assert not mixed.out.exists()


def test_rebuild_replaces_the_whole_output_and_leaves_no_staging_folders(mixed: Site):
    mixed.build()
    (mixed.out / "posts/stray").mkdir()
    (mixed.out / "posts/stray/index.html").write_text("stale page from an old build")
    mixed.build()
    assert not (mixed.out / "posts/stray").exists()
    assert (mixed.out / "posts/alpha/index.html").is_file()
    no_leftovers(mixed)


def test_staging_folders_left_by_an_interrupted_build_are_cleaned_up(mixed: Site):
    mixed.build()
    leftover = mixed.root / "._site.new-interrupted"
    leftover.mkdir()
    (leftover / "index.html").write_text("half-written")
    mixed.build()
    no_leftovers(mixed)
    assert "half-written" not in mixed.page("index.html")


def test_feed_is_atom_xml_naming_every_contributor_of_each_entry(mixed: Site):
    mixed.approve("lee", "beta")
    mixed.build()
    root = ET.fromstring((mixed.out / "feed.xml").read_bytes())
    assert root.tag == f"{ATOM}feed"
    entries = {e.findtext(f"{ATOM}title"): e for e in root.iter(f"{ATOM}entry")}
    assert set(entries) == {"Alpha Roundup", "Beta Roundup"}
    expected = {"Alpha Roundup": {"Zoe Quill", "Sam Reed"}, "Beta Roundup": {"Zoe Quill", "Lee Park"}}
    for title, entry in entries.items():
        names = {c.findtext(f"{ATOM}name") for c in entry.iter(f"{ATOM}contributor")}
        assert names == expected[title]
        link = entry.find(f"{ATOM}link").get("href")
        assert link.startswith(BASE_URL)


def test_sitemap_urls_are_absolute_under_base_url(mixed: Site):
    mixed.build()
    root = ET.fromstring((mixed.out / "sitemap.xml").read_bytes())
    locs = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    assert locs, "sitemap lists no URLs"
    assert all(loc.startswith(BASE_URL) for loc in locs), locs
    assert f"{BASE_URL}posts/alpha/" in locs
    assert f"{BASE_URL}contributors/sam/" in locs
    assert not any("beta" in loc or "/lee/" in loc for loc in locs)


def test_base_url_without_slash_and_404_links_are_site_absolute(mixed: Site):
    mixed.config(base_url="https://example.org/sub/dir")
    mixed.build()
    locs = [loc.text for loc in ET.fromstring((mixed.out / "sitemap.xml").read_bytes()).iter(f"{SITEMAP}loc")]
    assert "https://example.org/sub/dir/posts/alpha/" in locs
    assert all(loc.startswith("https://example.org/sub/dir/") for loc in locs), locs
    # 404.html is served at any depth, so its own links cannot be relative
    local = [v for t, attrs in parse_html(mixed.page("404.html")).tags for n, v in attrs
             if n in ("href", "src") and v and not v.startswith(("http:", "https:", "mailto:", "#"))]
    assert local and all(v.startswith("/sub/dir/") for v in local), local


def test_output_has_404_stylesheet_and_every_avatar_it_points_at(mixed: Site):
    mixed.build()
    assert (mixed.out / "404.html").is_file()
    assert (mixed.out / "static/style.css").is_file()
    assert (mixed.out / "static/style.css").read_bytes() == \
        (Path(__file__).resolve().parents[1] / "themes/default/static/style.css").read_bytes()
    # every picture on the post page (src and each srcset candidate) is a file of the build
    page_dir = mixed.out / "posts/alpha"
    refs = []
    for tag, attrs in parse_html(mixed.page("posts/alpha/index.html")).tags:
        a = dict(attrs)
        if tag == "img":
            refs.append(a["src"])
        refs += [c.split()[0] for c in (a.get("srcset") or "").split(",") if c.strip()]
    local = [r for r in refs if not r.startswith(("http:", "https:"))]
    assert any("zoe-" in r and r.endswith(".webp") for r in local), refs
    for ref in local:
        assert (page_dir / unquote(ref)).resolve().is_file(), ref
    zoe = sorted(re.sub(r"-[0-9a-f]{10}-", "-HASH-", rel) for rel in mixed.output_files()
                 if rel.startswith("avatars/zoe-"))
    # the test PNG has an alpha channel, so its fallback is PNG rather than JPEG
    assert zoe == sorted(f"avatars/zoe-HASH-{size}.{ext}" for size in (96, 160, 240) for ext in ("png", "webp"))


def test_internal_links_on_every_page_resolve_to_built_files(mixed: Site):
    mixed.build()
    for html in mixed.out.rglob("*.html"):
        if html.name == "404.html":
            continue  # served from any path, so it uses site-absolute links
        for tag, attrs in parse_html(html.read_text(encoding="utf-8")).tags:
            for name, value in attrs:
                if name not in ("href", "src") or not value or value.startswith(("http:", "https:", "mailto:", "#")):
                    continue
                target = (html.parent / unquote(value.split("#")[0])).resolve()
                if target.is_dir():
                    target = target / "index.html"
                assert target.is_file(), f"{html.relative_to(mixed.out)} links to missing {value}"


def test_the_built_site_has_the_usual_permissions_for_a_web_server(mixed: Site):
    mixed.build()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(mixed.out.stat().st_mode) == 0o777 & ~umask  # not the staging folder's private 0700
    assert stat.S_IMODE((mixed.out / "index.html").stat().st_mode) == 0o666 & ~umask


def test_build_writes_nothing_into_the_sources(mixed: Site):
    before = tree_bytes(mixed.root / "posts"), tree_bytes(mixed.root / "contributors")
    mixed.build()
    mixed.build("--drafts")
    assert (tree_bytes(mixed.root / "posts"), tree_bytes(mixed.root / "contributors")) == before
