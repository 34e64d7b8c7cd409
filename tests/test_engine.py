"""The engine's declared dependencies: for every kind of input, a build after one edit of that kind (and a
`serve` rebuild from the watcher's batch) equals a build from nothing, byte for byte; and an input a page
does not show leaves that page's file untouched: not made again, not written."""

from __future__ import annotations

import re
import shutil
import sys
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import record_reads, run_roundup, tree_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate, photo  # noqa: E402

from roundup.build import build, prepare  # noqa: E402
from roundup.cache import Cache  # noqa: E402

PACKAGED = Path(__file__).resolve().parent.parent / "themes" / "default"
PENDING = "post-00002"
"""Its first voice was edited after the corpus was made: waiting for approval on the approved corpus."""


def make_site(site: Path, approved: bool) -> None:
    """Eight posts of three voices, six contributors, half of them with a photo, two posts on a list page."""
    generate(site, posts=8, voices=3, contributors=6, approved=approved, photos=True)
    (site / "site.yml").write_text((site / "site.yml").read_text() + "paginate: 2\n")
    catalogue(site, "Articles")
    edit_quote(site, PENDING)


def voices(site: Path, slug: str) -> list[str]:
    return re.search(r"voices: \[(.*)\]", (site / "posts" / slug / "post.md").read_text()).group(1).split(", ")


def edit_quote(site: Path, slug: str = "post-00003") -> None:
    path = site / "posts" / slug / "quotes" / f"{voices(site, slug)[0]}.md"
    path.write_text(path.read_text() + "\nOne more *sentence*.\n")


def edit_post_text(site: Path) -> None:
    path = site / "posts" / "post-00003" / "post.md"
    path.write_text(path.read_text() + "\nThe editor adds a line.\n")


def edit_profile(site: Path) -> None:
    path = site / "contributors" / "person-00001.yml"
    path.write_text(path.read_text().replace("bio: ", "bio: Now **bold**. ", 1))


def rename_person(site: Path) -> None:
    """The name shown: a contributor changes how they are called."""
    path = site / "contributors" / "person-00002.yml"
    path.write_text(path.read_text().replace("name: ", "name: Dr ", 1))


def edit_private(site: Path) -> None:
    path = site / "contributors" / "person-00001.yml"
    path.write_text(path.read_text().replace("email: p1@", "email: new.p1@", 1))


def replace_photo(site: Path) -> None:
    import random

    photo(site / "contributors" / "avatars" / "person-00000.png", random.Random(99))


def approve(site: Path) -> None:
    result = run_roundup("approve", voices(site, PENDING)[0], PENDING, cwd=site)
    assert result.returncode == 0, result.stderr


def decline(site: Path) -> None:
    result = run_roundup("decline", voices(site, "post-00004")[1], "post-00004", cwd=site)
    assert result.returncode == 0, result.stderr


def edit_template(site: Path) -> None:
    target = site / "themes" / "default" / "templates" / "voice.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((PACKAGED / "templates" / "voice.html").read_text() + "<!-- a variant -->\n")


def edit_quote_language(site: Path) -> None:
    """A quote declares its language: no approval covers it, but the voice's `lang` attribute shows it."""
    path = site / "posts" / "post-00003" / "quotes" / f"{voices(site, 'post-00003')[1]}.md"
    text = path.read_text()
    path.write_text(text.replace("---\n", "---\nlang: fr\n", 1) if text.startswith("---\n")
                    else "---\nlang: fr\n---\n" + text)


def catalogue(site: Path, posts: str) -> None:
    """The theme's own words (`themes/<name>/locales/`): its name for "Posts", and for a photo."""
    target = site / "themes" / "default" / "locales" / "en" / "LC_MESSAGES" / "roundup.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                      f'msgid "Posts"\nmsgstr "{posts}"\n\nmsgid "Photo of {{name}}"\nmsgstr "{posts}: {{name}}"\n')


def edit_catalogue(site: Path) -> None:
    """A word of the theme's catalogue changes: every page shows it."""
    catalogue(site, "Roundups")


def edit_static(site: Path) -> None:
    target = site / "themes" / "default" / "static" / "style.css"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((PACKAGED / "static" / "style.css").read_text() + "\n/* a variant */\n")


def edit_setting(site: Path) -> None:
    path = site / "site.yml"
    path.write_text(path.read_text().replace("title: Benchmark Roundups", "title: Many Voices"))


def add_post(site: Path) -> None:
    folder = site / "posts" / "added"
    (folder / "quotes").mkdir(parents=True)
    (folder / "post.md").write_text("---\ntitle: Added\ndate: 2031-05-01\ntags: [fresh, listen]\n"
                                    "voices: [person-00001]\n---\nA new roundup.\n")
    (folder / "quotes" / "person-00001.md").write_text("Fresh words.\n")
    result = run_roundup("approve", "person-00001", "added", cwd=site)
    assert result.returncode == 0, result.stderr


def remove_post(site: Path) -> None:
    shutil.rmtree(site / "posts" / "post-00005")


def rename_id(site: Path) -> None:
    """A contributor's id changes: their file, their quote files and every post that lists them."""
    old, new = "person-00003", "person-00033"
    (site / "contributors" / f"{old}.yml").rename(site / "contributors" / f"{new}.yml")
    for quote in site.glob(f"posts/*/quotes/{old}.md"):
        quote.rename(quote.with_name(f"{new}.md"))
    for post in site.glob("posts/*/post.md"):
        post.write_text(post.read_text().replace(old, new))


KINDS = [edit_quote, edit_post_text, edit_profile, edit_private, replace_photo, approve, decline, edit_template,
         edit_static, edit_setting, add_post, remove_post, rename_person, rename_id, edit_quote_language, edit_catalogue]


def cold(site: Path, scratch: Path, drafts: bool) -> dict[str, bytes]:
    """The same inputs built in a fresh copy of the site, with no cache and no previous output."""
    shutil.copytree(site, scratch, ignore=shutil.ignore_patterns(".roundup", "_site"))
    build(scratch, drafts=drafts, use_cache=False)
    return tree_bytes(scratch / "_site")


@pytest.mark.parametrize("drafts", [False, True], ids=["approved-corpus", "unapproved-corpus-drafts"])
@pytest.mark.parametrize("edit", KINDS, ids=lambda edit: edit.__name__)
def test_a_build_after_one_edit_of_any_kind_equals_a_build_from_nothing(tmp_path: Path, edit, drafts: bool):
    site = tmp_path / "site"
    make_site(site, approved=not drafts)
    build(site, drafts=drafts)
    edit(site)
    report = build(site, drafts=drafts)
    # an edit of what a published post's voices approved leaves the post online as approved (published.yml)
    live = not drafts and edit in (edit_quote, edit_post_text, edit_profile, rename_person, rename_id)
    assert report.written > 0 or edit in (edit_private, edit_static) or (live and report.live)
    assert tree_bytes(site / "_site") == cold(site, tmp_path / "cold", drafts)


def output_bytes(output) -> dict[str, bytes]:
    return {path: output.bytes_of(path) for path in output.files}


@pytest.mark.parametrize("edit", KINDS, ids=lambda edit: edit.__name__)
def test_a_serve_rebuild_after_one_edit_of_any_kind_equals_a_build_from_nothing(tmp_path: Path, edit):
    from roundup.serve import Server

    from test_incremental import changed_paths, snapshot

    site = tmp_path / "site"
    make_site(site, approved=True)
    server = Server(site, "/")
    server.rebuild("initial build")
    before = snapshot(site)
    edit(site)
    server.rebuild(edit.__name__, changed_paths(site, before))
    assert server.live.errors is None
    assert output_bytes(server.live.output) == output_bytes(prepare(site, drafts=True)[2])


def keys(site: Path) -> dict[str, tuple[str, tuple]]:
    """Each published file's key (what the engine made it from) and (inode, size, mtime)."""
    ledger = Cache.load(site).ledger
    return {path: (key, ledger.written[path]) for path, (key, _) in ledger.pages.items()}


def one_tag(site: Path, slug: str) -> str:
    """A tag page that does not show `slug`."""
    shown = re.search(r"tags: \[(.*)\]", (site / "posts" / slug / "post.md").read_text()).group(1).split(", ")
    pages = [p for p in sorted((site / "_site" / "tags").glob("*/index.html")) if p.parent.name not in shown]
    return pages[0].relative_to(site / "_site").as_posix()


def revise(site: Path, slug: str = "post-00003") -> None:
    """A contributor revises their answer and approves it: the post stays published, with new words."""
    edit_quote(site, slug)
    result = run_roundup("approve", voices(site, slug)[0], slug, cwd=site)
    assert result.returncode == 0, result.stderr


def a_stranger(site: Path, slug: str) -> str:
    """The page of a contributor who has no voice in `slug`."""
    present = set(voices(site, slug))
    pages = sorted((site / "_site" / "contributors").glob("*/index.html"))
    return next(p for p in pages if p.parent.name not in present).relative_to(site / "_site").as_posix()


UNTOUCHED = [
    ("a post's page: another post's quote", lambda site: "posts/post-00001/index.html", revise),
    ("the home page: a quote of a post on a later page", lambda site: "index.html",
     lambda site: revise(site, "post-00000")),
    ("a tag page: a quote of a post without the tag", lambda site: one_tag(site, "post-00003"), revise),
    ("a contributor's page: a quote they have no part in", lambda site: a_stranger(site, "post-00003"), revise),
    ("the contributors page: a private field", lambda site: "contributors/index.html", edit_private),
    ("the feed: a template it does not use", lambda site: "feed.xml", edit_template),
    ("the sitemap: a quote", lambda site: "sitemap.xml", revise),
    ("the 404 page: a template it does not use", lambda site: "404.html", edit_template),
    ("a contributor's page: a template it does not use", lambda site: "contributors/person-00001/index.html",
     edit_template),
    ("the stylesheet: a template", lambda site: "static/style.css", edit_template),
    ("a picture: a quote", lambda site: next(p.relative_to(site / "_site").as_posix()
                                             for p in sorted((site / "_site" / "avatars").glob("*.webp"))),
     edit_quote),
]


@pytest.mark.parametrize("path, edit", [case[1:] for case in UNTOUCHED], ids=[case[0] for case in UNTOUCHED])
def test_an_input_a_page_does_not_show_leaves_its_file_untouched(tmp_path: Path, path, edit):
    site = tmp_path / "site"
    make_site(site, approved=True)
    build(site)
    path = path(site)
    before = keys(site)
    edit(site)
    build(site)
    after = keys(site)
    assert after != before or edit is edit_private, "the edit changed nothing"
    assert path in before and after[path] == before[path], f"{path} was made again or written"


def test_a_private_field_changes_no_page_and_writes_nothing(tmp_path: Path):
    site = tmp_path / "site"
    make_site(site, approved=True)
    build(site)
    before = keys(site)
    edit_private(site)
    report = build(site)
    assert report.written == 0 and keys(site) == before


def test_serve_starts_from_the_build_cache_and_renders_a_page_when_it_is_first_asked_for(tmp_path: Path,
                                                                                         monkeypatch):
    from roundup import posts
    from roundup.serve import Server

    site = tmp_path / "site"
    make_site(site, approved=True)
    build(site)
    read = record_reads(monkeypatch, posts)
    server = Server(site, "/")
    server.rebuild("initial build")
    assert server.live.errors is None and read == [], "serve read post folders the build cache holds"
    files = server.live.output.files
    waiting = [path for path, item in files.items() if item.later is not None and item.later.data is None]
    templates = {files[path].origin for path in files if files[path].later is not None}
    assert len(waiting) == len([p for p in files if files[p].later is not None]) - len(templates) > 10
    assert output_bytes(server.live.output) == output_bytes(prepare(site, drafts=True)[2])
    assert all(files[path].later.data is not None for path in waiting)


def test_a_page_whose_template_fails_on_its_data_answers_with_the_problem(tmp_path: Path):
    from roundup.serve import Server, handler_for

    site = tmp_path / "site"
    make_site(site, approved=True)
    target = site / "themes" / "default" / "templates" / "post.html"
    target.parent.mkdir(parents=True)
    target.write_text((PACKAGED / "templates" / "post.html").read_text().replace(
        "{% block content %}", "{% block content %}{% if post.slug == 'post-00001' %}{{ no_such_thing.x }}{% endif %}",
        1))
    server = Server(site, "/")
    server.rebuild("initial build")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(server))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        assert urllib.request.urlopen(base + "posts/post-00003/").status == 200
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(base + "posts/post-00001/")
        body = failed.value.read().decode()
        assert failed.value.code == 500 and "themes/default/templates/post.html" in body and "no_such_thing" in body
    finally:
        httpd.shutdown()


def test_a_build_keeps_its_pages_on_disk_as_they_are_made_and_leaves_no_spool_behind(tmp_path: Path):
    from roundup.errors import RoundupError

    site = tmp_path / "site"
    make_site(site, approved=True)
    _, _, output = prepare(site, spool=True)
    pages = [item for item in output.files.values() if item.key is not None]
    assert len(pages) > 30 and all(item.data is None and item.spooled for item in pages)
    assert len(list(output.spool.iterdir())) == sum(item.spooled for item in output.files.values())
    output.commit(site / "_site")
    leftovers = [p.name for p in site.iterdir() if p.name.startswith("._site")]
    assert leftovers == [] and tree_bytes(site / "_site") == cold(site, tmp_path / "cold", False)
    broken = site / "themes" / "default" / "templates" / "tag.html"
    broken.parent.mkdir(parents=True)
    broken.write_text("{% extends 'base.html' %}{% block content %}{{ tag.nothing.here }}{% endblock %}")
    with pytest.raises(RoundupError):
        build(site)
    assert [p.name for p in site.iterdir() if p.name.startswith("._site")] == []


def test_the_report_a_build_keeps_for_the_next_is_small_and_says_the_same(tmp_path: Path):
    """The cached report of a build that withheld every post holds what its summary says, not the posts."""
    from roundup.report import build_summary

    site = tmp_path / "site"
    make_site(site, approved=False)
    first = build(site)
    state = (site / ".roundup" / "cache" / "state.pickle").read_bytes()
    words = (site / "posts" / "post-00003" / "quotes" / f"{voices(site, 'post-00003')[0]}.md").read_text()
    assert words.split("\n---\n")[-1][:40].encode() not in state and len(first.withheld) == 8
    again = build(site)
    assert again.written == 0 and build_summary(again)[:-1] == build_summary(first)[:-1]
