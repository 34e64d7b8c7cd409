"""Cached and incremental builds write byte for byte what a build from nothing writes, over random
sequences of edits; unchanged files are not rewritten; a build on two processes equals one on one."""

from __future__ import annotations

import os
import random
import shutil
import sys
from pathlib import Path

import pytest

from conftest import run_roundup, tree_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate  # noqa: E402

from roundup.build import build  # noqa: E402


def cold_build(site: Path, scratch: Path, *args: str) -> dict[str, bytes]:
    """The same inputs built in a fresh copy of the site, with no cache and no previous output."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(site, scratch, ignore=shutil.ignore_patterns(".roundup", "_site"))
    result = run_roundup("build", *args, cwd=scratch)
    assert result.returncode == 0, result.stderr
    return tree_bytes(scratch / "_site")


def quote_files(site: Path) -> list[Path]:
    return sorted(site.glob("posts/*/quotes/*.md"))


def edit_quote(rng: random.Random, site: Path) -> str:
    path = rng.choice(quote_files(site))
    path.write_text(path.read_text() + f"\nEdit {rng.randint(0, 10**6)}.\n")
    return f"edit {path.relative_to(site)}"


def edit_and_approve(rng: random.Random, site: Path) -> str:
    """Edit a quote and approve it (an edit alone leaves a published post online as it was approved)."""
    step = edit_quote(rng, site)
    path = Path(step.removeprefix("edit "))
    result = run_roundup("approve", path.stem, path.parent.parent.name, cwd=site)
    assert result.returncode == 0, result.stderr
    return f"{step}, approved"


def approve_one(rng: random.Random, site: Path) -> str:
    path = rng.choice(quote_files(site))
    slug, cid = path.parent.parent.name, path.stem
    result = run_roundup(rng.choice(["approve", "decline"]), cid, slug, cwd=site)
    assert result.returncode == 0, result.stderr
    return f"answer {cid} {slug}"


def remove_voice(rng: random.Random, site: Path) -> str:
    path = rng.choice(quote_files(site))
    post = path.parent.parent / "post.md"
    text = post.read_text()
    post.write_text(text.replace(f", {path.stem}]", "]").replace(f"[{path.stem}, ", "[").replace(f", {path.stem},", ","))
    path.unlink()
    return f"remove voice {path.stem} from {post.parent.name}"


def add_voice(rng: random.Random, site: Path) -> str:
    post = rng.choice(sorted(site.glob("posts/*/post.md")))
    people = sorted(p.stem for p in (site / "contributors").glob("*.yml"))
    present = {p.stem for p in (post.parent / "quotes").glob("*.md")}
    cid = rng.choice([p for p in people if p not in present] or people)
    if cid in present:
        return "no voice to add"
    (post.parent / "quotes" / f"{cid}.md").write_text(f"Words from {cid}, *new*.\n")
    post.write_text(post.read_text().replace("voices: [", f"voices: [{cid}, ", 1))
    return f"add voice {cid} to {post.parent.name}"


def edit_profile(rng: random.Random, site: Path) -> str:
    path = rng.choice(sorted((site / "contributors").glob("*.yml")))
    text = path.read_text()
    text = text.replace("name: ", f"name: Renamed{rng.randint(0, 99)} ", 1) if rng.random() < 0.5 else \
        text.replace("bio: ", "bio: Now **bold**. ", 1)
    path.write_text(text)
    return f"edit {path.name}"


def edit_post(rng: random.Random, site: Path) -> str:
    post = rng.choice(sorted(site.glob("posts/*/post.md")))
    text = post.read_text()
    choice = rng.randrange(4)
    if choice == 0:
        text = text.replace("title: ", "title: Retitled ", 1)
    elif choice == 1:
        text = text.replace("tags: [", "tags: [fresh, ", 1)
    elif choice == 2:
        text = text.replace("\n---\n", "\nstatus: draft\n---\n", 1) if "status:" not in text else \
            text.replace("status: draft\n", "")
    else:
        text += "\nOne more line from the editor.\n"
    post.write_text(text)
    return f"edit {post.parent.name}/post.md ({choice})"


def add_post(rng: random.Random, site: Path) -> str:
    slug = f"added-{rng.randint(0, 10**6)}"
    cid = sorted((site / "contributors").glob("*.yml"))[0].stem
    (site / "posts" / slug / "quotes").mkdir(parents=True)
    (site / "posts" / slug / "post.md").write_text(
        f"---\ntitle: Added {slug}\ndate: 2031-01-0{rng.randint(1, 9)}\ntags: [added]\nvoices: [{cid}]\n---\nHello.\n")
    (site / "posts" / slug / "quotes" / f"{cid}.md").write_text("A new voice.\n")
    result = run_roundup("approve", cid, slug, cwd=site)
    assert result.returncode == 0, result.stderr
    return f"add post {slug}"


def delete_post(rng: random.Random, site: Path) -> str:
    post = rng.choice(sorted(site.glob("posts/*/post.md"))).parent
    shutil.rmtree(post)
    return f"delete {post.name}"


def edit_template(rng: random.Random, site: Path) -> str:
    theme = site / "themes" / "default" / "templates"
    theme.mkdir(parents=True, exist_ok=True)
    name = rng.choice(["post.html", "_post-card.html", "contributor.html"])
    packaged = Path(__file__).resolve().parent.parent / "themes" / "default" / "templates" / name
    source = theme / name if (theme / name).exists() else packaged
    (theme / name).write_text(source.read_text() + f"\n<!-- variant {rng.randint(0, 10**6)} -->\n")
    return f"edit template {name}"


def touch_only(rng: random.Random, site: Path) -> str:
    path = rng.choice(quote_files(site))
    os.utime(path)
    return f"touch {path.name}"


def tamper_output(rng: random.Random, site: Path) -> str:
    pages = sorted((site / "_site").rglob("*.html"))
    if pages:
        rng.choice(pages).write_text("tampered")
    return "tamper with the published output"


EDITS = [edit_quote, edit_quote, approve_one, approve_one, remove_voice, add_voice, edit_profile, edit_post,
         add_post, delete_post, edit_template, touch_only, tamper_output]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_builds_equal_a_build_from_nothing(tmp_path: Path, seed: int):
    rng = random.Random(seed)
    site = tmp_path / "site"
    generate(site, posts=8, voices=3, contributors=6, approved=True, seed=seed)
    steps = []
    for step in range(14):
        steps.append(rng.choice(EDITS)(rng, site))
        args = ("--drafts",) if step % 5 == 4 else ()
        result = run_roundup("build", *args, cwd=site)
        assert result.returncode == 0, (steps, result.stderr)
        assert tree_bytes(site / "_site") == cold_build(site, tmp_path / "cold", *args), steps


def test_unchanged_files_are_not_rewritten_and_a_no_change_build_writes_nothing(tmp_path: Path):
    site = tmp_path / "site"
    generate(site, posts=6, voices=3, contributors=5, approved=True)
    assert run_roundup("build", cwd=site).returncode == 0
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (site / "_site").rglob("*") if p.is_file()}
    again = run_roundup("build", cwd=site)
    assert ", 0 files written," in again.stdout
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in before} == before
    edit_and_approve(random.Random(0), site)
    edited = run_roundup("build", cwd=site)
    assert edited.returncode == 0 and ", 0 files written," not in edited.stdout
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (site / "_site").rglob("*") if p.is_file()}
    kept = [p for p in before if after.get(p) == before[p]]
    assert len(kept) > len(before) / 2, "most files were rewritten for one edited quote"


def test_a_build_is_made_in_the_output_it_replaced_which_nothing_rewrites_in_place(tmp_path: Path):
    site, out, spare = tmp_path / "site", tmp_path / "site" / "_site", tmp_path / "site/.roundup/cache/output"
    generate(site, posts=6, voices=3, contributors=5, approved=True)
    trees = []
    for n in range(3):
        if n:
            edit_and_approve(random.Random(n), site)
        folders = {p.relative_to(spare): p.stat().st_ino for p in spare.rglob("*") if p.is_dir()} if n > 1 else {}
        replaced = out.stat().st_ino if n else None
        result = run_roundup("build", cwd=site)
        assert result.returncode == 0 and ", 0 files written," not in result.stdout, result.stderr
        trees.append(tree_bytes(out))
        if n:  # the replaced output is kept whole, as it was published: nothing was written into it
            assert spare.stat().st_ino == replaced and tree_bytes(spare) == trees[-2]
        if n > 1:  # and the next build was made in it: its folders are the published ones now
            now = {p.relative_to(out): p.stat().st_ino for p in out.rglob("*") if p.is_dir()}
            assert now and all(folders.get(path) == inode for path, inode in now.items())
    assert trees[-1] == cold_build(site, tmp_path / "cold")
    assert sorted(p.name for p in site.iterdir() if p.name.startswith("._site")) == []


def test_two_processes_build_what_one_builds(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    generate(site, posts=90, voices=3, contributors=20, approved=True)
    out = {}
    for processes in (1, 2):
        monkeypatch.setattr("roundup.parallel.workers", lambda: processes)
        shutil.rmtree(site / "_site", ignore_errors=True)
        build(site, use_cache=False)
        out[processes] = tree_bytes(site / "_site")
    assert out[1] == out[2] and len(out[1]) > 150


def changed_paths(site: Path, before: dict[str, tuple]) -> list[str]:
    """What the watcher would report: every input path created, changed or removed since `before`."""
    now = snapshot(site)
    return sorted(p for p in set(before) | set(now) if before.get(p) != now.get(p))


def snapshot(site: Path) -> dict[str, tuple]:
    found = {}
    for top in ("site.yml", "contributors", "posts", "themes"):
        for path in [site / top, *(site / top).rglob("*")] if (site / top).exists() else []:
            st = path.stat()
            found[path.relative_to(site).as_posix()] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return found


def output_bytes(output) -> dict[str, bytes]:
    return {path: output.bytes_of(path) for path in output.files}


@pytest.mark.parametrize("seed", [4, 5])
def test_serve_rebuilds_from_change_batches_equal_a_build_from_nothing(tmp_path: Path, seed: int):
    """`serve` looks only at the posts the watcher named and reuses what it made from unchanged objects;
    after every batch its in-memory build equals a fresh drafts build of the same files."""
    from roundup.build import prepare
    from roundup.serve import Server

    rng = random.Random(seed)
    site = tmp_path / "site"
    generate(site, posts=8, voices=3, contributors=6, approved=True, seed=seed)
    server = Server(site, "/")
    server.rebuild("initial build")
    steps = []
    for _ in range(12):
        before = snapshot(site)
        steps.append(rng.choice([e for e in EDITS if e is not tamper_output])(rng, site))
        server.rebuild(steps[-1], changed_paths(site, before))
        assert server.live.errors is None, (steps, server.live.errors)
        _, _, fresh = prepare(site, drafts=True)
        assert output_bytes(server.live.output) == output_bytes(fresh), steps
