"""What a build keeps of each post in the site's index (`roundup.rows`): a build after an edit reads, assesses
and views only the posts whose key changed, and still gives what a build from nothing gives; a damaged row is
read again from the files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import record_reads, run_roundup, tree_bytes
from test_engine import cold, edit_quote, make_site, voices

from roundup import rows
from roundup import status as status_module
from roundup.build import build
from roundup.status import site_status

STORE = Path(".roundup") / "cache" / "index.sqlite"


def assessed(monkeypatch) -> list[str]:
    """The posts a build reads and assesses again (the others it keeps from their rows), as it assesses them."""
    found: list[str] = []
    real = rows.assess_site

    def recording(site, *rest, **named):
        found.extend(post.slug for post in site.posts)
        return real(site, *rest, **named)

    monkeypatch.setattr(rows, "assess_site", recording)
    return found


@pytest.mark.parametrize("drafts", [False, True], ids=["build", "drafts"])
def test_a_build_after_an_edit_assesses_only_the_edited_post(tmp_path: Path, monkeypatch, drafts: bool):
    site = tmp_path / "site"
    make_site(site, approved=True)
    build(site, drafts=drafts)
    read = assessed(monkeypatch)
    edit_quote(site, "post-00006")
    report = build(site, drafts=drafts)
    assert read == ["post-00006"]
    assert report.written > 0 if drafts else "post-00006" in [held.slug for held in report.live]  # online as approved
    assert tree_bytes(site / "_site") == cold(site, tmp_path / "cold", drafts)


def test_a_profile_change_assesses_again_only_the_posts_it_is_in(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    make_site(site, approved=True)
    build(site)
    read = assessed(monkeypatch)
    path = site / "contributors" / "person-00004.yml"
    path.write_text(path.read_text().replace("name: ", "name: Renamed ", 1))
    build(site)
    theirs = sorted(p.name for p in (site / "posts").iterdir() if "person-00004" in voices(site, p.name))
    assert sorted(read) == theirs and theirs
    assert tree_bytes(site / "_site") == cold(site, tmp_path / "cold", False)


def test_what_a_build_and_a_drafts_build_keep_lives_side_by_side(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    make_site(site, approved=True)
    build(site)
    build(site, drafts=True)
    read = assessed(monkeypatch)
    edit_quote(site, "post-00001")
    build(site)
    build(site, drafts=True)
    assert read == ["post-00001", "post-00001"]
    assert tree_bytes(site / "_site") == cold(site, tmp_path / "cold", True)


def test_status_after_a_build_reads_no_post(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    make_site(site, approved=True)
    edit_quote(site, "post-00005")
    build(site)
    read = record_reads(monkeypatch, status_module)
    lines = site_status(site)
    assert read == [] and any("post-00005" in line for line in lines)


def test_a_damaged_row_is_made_again(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    make_site(site, approved=True)
    build(site)
    with sqlite3.connect(site / STORE) as db:
        db.execute("UPDATE posts SET built = x'00ff' WHERE slug = 'post-00003'")
    read = assessed(monkeypatch)
    edit_quote(site, "post-00006")
    build(site)
    assert sorted(read) == ["post-00003", "post-00006"]
    assert tree_bytes(site / "_site") == cold(site, tmp_path / "cold", False)


def test_a_damaged_view_fails_the_build_cleanly_and_the_next_build_reads_its_post_again(tmp_path: Path):
    site = tmp_path / "site"
    make_site(site, approved=True)
    assert run_roundup("build", cwd=site).returncode == 0
    published = tree_bytes(site / "_site")
    with sqlite3.connect(site / STORE) as db:  # the list pages the edit below makes again show some of them
        db.execute("UPDATE posts SET view = x'00ff' WHERE slug != 'post-00006'")
    edit_quote(site, "post-00006")
    failed = run_roundup("build", cwd=site)
    assert failed.returncode == 1 and "index.sqlite" in failed.stderr and "post-0000" in failed.stderr
    assert "build again" in failed.stderr and "Traceback" not in failed.stderr
    assert tree_bytes(site / "_site") == published
    assert run_roundup("build", cwd=site).returncode == 0
    assert tree_bytes(site / "_site") == cold(site, tmp_path / "cold", False)


def test_a_drafts_build_after_a_build_assesses_only_the_posts_not_published(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    make_site(site, approved=True)
    build(site)
    read = assessed(monkeypatch)
    build(site, drafts=True)  # a published post looks the same with --drafts and without
    assert read == ["post-00002"]
    assert tree_bytes(site / "_site") == cold(site, tmp_path / "cold", True)
