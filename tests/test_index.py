"""The site's index (.roundup/cache/index.sqlite): `status` reads and assesses only the posts whose inputs
changed, says exactly what a full assessment says after any kind of edit, and a damaged or foreign store is
made again from the files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from conftest import record_reads, run_roundup
from test_engine import KINDS, edit_quote, make_site, voices

from roundup import status as status_module
from roundup.errors import Problems
from roundup.gate import assess_site
from roundup.statustable import status_report
from roundup.status import site_status
from roundup.validate import load_site


def full(site: Path, today: dt.date | None = None) -> list[str]:
    """The table from every post read and assessed from the files, with no cache and no index."""
    loaded = load_site(site)
    return status_report(assess_site(loaded, Problems()), today=today)


def read_posts(monkeypatch) -> list[str]:
    """The slugs `status` reads from their folders, as it reads them."""
    return record_reads(monkeypatch, status_module)


def set_deadline(site: Path, slug: str, day: str) -> None:
    path = site / "posts" / slug / "post.md"
    path.write_text(path.read_text().replace("\nvoices:", f"\ndeadline: {day}\nvoices:", 1))


def delete_profile(site: Path) -> None:
    (site / "contributors" / "person-00001.yml").unlink()


@pytest.mark.parametrize("edit", [*KINDS, lambda site: set_deadline(site, "post-00002", "2031-01-01")],
                         ids=[*(k.__name__ for k in KINDS), "set_deadline"])
def test_status_after_any_edit_says_what_a_full_assessment_says_and_reads_only_what_changed(
        tmp_path: Path, monkeypatch, edit):
    site = tmp_path / "site"
    make_site(site, approved=True)
    assert site_status(site) == full(site)
    read = read_posts(monkeypatch)
    assert site_status(site) == full(site) and read == [], "an unchanged site was read again"
    edit(site)
    assert site_status(site) == full(site)
    assert len(read) <= 8
    read.clear()
    assert site_status(site) == full(site) and read == []


def test_a_changed_quote_is_the_only_post_read_again(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    make_site(site, approved=True)
    site_status(site)
    read = read_posts(monkeypatch)
    edit_quote(site, "post-00006")
    assert site_status(site) == full(site)
    assert read == ["post-00006"]


def test_a_profile_change_reads_again_only_the_posts_it_is_in(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    make_site(site, approved=True)
    site_status(site)
    read = read_posts(monkeypatch)
    path = site / "contributors" / "person-00004.yml"
    path.write_text(path.read_text().replace("name: ", "name: Renamed ", 1))
    assert site_status(site) == full(site)
    theirs = sorted(p.name for p in (site / "posts").iterdir() if "person-00004" in voices(site, p.name))
    assert sorted(read) == theirs and theirs


def test_a_deadline_passing_makes_its_row_again(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    make_site(site, approved=True)
    set_deadline(site, "post-00002", "2031-01-01")  # its first voice waits (see make_site)
    assert site_status(site) == full(site)
    later = dt.date(2031, 1, 2)
    monkeypatch.setattr(status_module, "utc_today", lambda: later)
    lines = site_status(site)
    assert lines == full(site, today=later) and any(line.startswith("Overdue:") for line in lines)


def test_a_problem_in_a_changed_post_fails_status_with_its_file_and_line(tmp_path: Path):
    site = tmp_path / "site"
    make_site(site, approved=True)
    assert run_roundup("status", cwd=site).returncode == 0
    delete_profile(site)
    result = run_roundup("status", cwd=site)
    assert result.returncode == 1 and "person-00001" in result.stderr and "posts/" in result.stderr


@pytest.mark.parametrize("damage", ["garbage", "foreign", "older", "empty"])
def test_a_damaged_or_foreign_index_is_made_again_from_the_files(tmp_path: Path, damage: str):
    site = tmp_path / "site"
    make_site(site, approved=True)
    assert run_roundup("status", cwd=site).returncode == 0
    store = site / ".roundup" / "cache" / "index.sqlite"
    if damage == "garbage":
        store.write_bytes(b"not a database at all" * 100)
    elif damage == "empty":
        store.write_bytes(b"")
    else:
        with sqlite3.connect(store) as db:
            if damage == "foreign":
                db.executescript("DROP TABLE posts; CREATE TABLE posts (slug TEXT, mine BLOB);")
            else:
                db.execute("UPDATE meta SET value = '0 old' WHERE name = 'format'")
                db.execute("UPDATE posts SET lines = '[\"stale\"]'")
    edit_quote(site)
    result = run_roundup("status", cwd=site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip("\n").split("\n") == full(site)
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM posts").fetchone() == (8,)


def test_status_works_where_the_index_cannot_be_kept(tmp_path: Path):
    site = tmp_path / "site"
    make_site(site, approved=True)
    (site / ".roundup").write_text("a file where roundup keeps its folder\n")
    for _ in range(2):
        result = run_roundup("status", cwd=site)
        assert result.returncode == 0, result.stderr
        assert result.stdout.rstrip("\n").split("\n") == full(site)


def posts_read(monkeypatch) -> list[str]:
    """The post folders read from disk by any command, as they are read."""
    from roundup import posts

    return record_reads(monkeypatch, posts)


def test_a_preview_reads_only_the_posts_it_shows_and_links_only_to_published_pages(tmp_path: Path, monkeypatch):
    from roundup.consent import preview

    site = tmp_path / "site"
    make_site(site, approved=True)
    cid = voices(site, "post-00002")[0]  # waiting since make_site edited their quote
    site_status(site)
    read = posts_read(monkeypatch)
    sent = preview(site, cid, "post-00002", deliver=False)
    assert read == ["post-00002"] and len(sent.written) == 1
    page = (site / "_previews" / cid / "post-00002.html").read_text()
    theirs = [p.name for p in sorted((site / "posts").iterdir()) if cid in voices(site, p.name)]
    assert f"https://bench.example/contributors/{cid}/" in page  # their page is published by their other posts
    read.clear()
    preview(site, cid, None, deliver=False)
    assert sorted(read) == theirs and len(theirs) < 8
