"""Hostile inputs (alias bombs, huge files, deep nesting, wrong shapes, bad bytes, symlinks out of the site,
ids with `..` or `/`) each end in a located problem and exit 1, within seconds and a few hundred MB,
writing nothing. Simpler cases of the same kinds are in test_validation.py."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from conftest import PNG, Site, assert_problem
from roundup.load import MAX_DEPTH, MAX_VALUES

SECONDS = 5.0
RSS_MB = 300.0
ADDRESS_SPACE = 2 << 30
"""A safety net, not the test: a runaway child dies at 2 GiB instead of swapping the machine."""
BIG = 50 * 1024 * 1024
DEEP = 10_000

P = "contributors/zoe.yml"
M = "posts/alpha/post.md"
Q = "posts/alpha/quotes/zoe.md"
A = "posts/alpha/approvals.yml"
CONFIG = "title: Limits\nbase_url: https://example.org/blog/\neditor: {name: Ed Itor, email: ed@example.com}\n"
PROFILE = "name: Zoe Quill\nhandle: '@zoe'\n"
POST = "---\ntitle: Alpha\ndate: 2026-03-01\nvoices: [zoe]\n---\nIntro.\n"
QUOTE = "Zoe's words.\n"
APPROVALS = f"zoe:\n  digest: 'sha256:{'0' * 64}'\n  approved_at: 2026-02-01T09:00:00Z\n  via: cli\n"


class Measured(NamedTuple):
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float


# A child forked from this (large) pytest process would report pytest's own resident memory as its peak:
# Linux counts the memory a process had before it exec'd. So a small launcher forks the real command and
# reports that grandchild's peak, measured with os.wait4, on its last stderr line.
LAUNCHER = """
import os, resource, subprocess, sys
limit = int(os.environ.pop("LIMITS_ADDRESS_SPACE"))
child = subprocess.Popen(sys.argv[1:], preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
_, status, usage = os.wait4(child.pid, 0)
sys.stderr.write(f"\\nPEAK-KB {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(site: Site, *args: Any) -> Measured:
    """`python -m roundup ARGS` in the site, with its wall time and its own peak RSS."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", LIMITS_ADDRESS_SPACE=str(ADDRESS_SPACE))
    env.pop("ROUNDUP_SECRET", None)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "roundup", *map(str, args)],
                            cwd=site.root, capture_output=True, env=env, timeout=60)
    seconds = time.perf_counter() - started
    stderr, _, peak = result.stderr.decode("utf-8", "replace").rpartition("\nPEAK-KB ")
    return Measured(result.returncode, result.stdout.decode("utf-8", "replace"), stderr, seconds, int(peak) / 1024)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file, folder and link under `folder` (links by target, never followed), ignoring .roundup/."""
    found = {}
    for here, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if name != ".roundup"]
        for name in folders + files:
            path = Path(here, name)
            key = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[key] = "folder"
            else:
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def refused(site: Site, *args: Any) -> Measured:
    """Run roundup; insist on exit 1 without a traceback, quickly, in little memory, with nothing written
    in the site or beside it (the test's whole tmp folder)."""
    before = snapshot(site.root.parent)
    result = run_measured(site, *args)
    print(f"\nMEASURED {' '.join(map(str, args))}: {result.seconds:.2f} s, {result.max_rss_mb:.0f} MB")
    assert result.returncode == 1, f"exit {result.returncode}\n{result.stdout}{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.seconds < SECONDS, f"took {result.seconds:.1f} s"
    assert result.max_rss_mb < RSS_MB, f"peak RSS {result.max_rss_mb:.0f} MB"
    assert not (site.root / "_site").exists() and not (site.root / "_previews").exists()
    assert snapshot(site.root.parent) == before
    return result


def base(site: Site) -> Site:
    """A valid site: post `alpha` with the voice `zoe`, whose recorded approval is stale."""
    site.write("site.yml", CONFIG)
    site.write(P, PROFILE)
    site.write(M, POST)
    site.write(Q, QUOTE)
    site.write(A, APPROVALS)
    return site


def bomb(key: str) -> str:
    """A billion laughs: nine anchors, each a list of nine aliases of the one before; `key` gets 9**9 'lol's.
    The first alias is on the bomb's second line."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines + [f"{key}: *l8"]) + "\n"


def front(yaml_text: str, body: str = "Words.\n") -> str:
    return "---\n" + yaml_text + "---\n" + body


def nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_mapping(depth: int) -> str:
    return "{a: " * depth + "1" + "}" * depth


def outside(site: Site, name: str, content: str | bytes) -> Path:
    """A valid file beside the site (as a symlink would reach it), so following the link would succeed."""
    path = site.root.parent / "outside" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def link(site: Site, rel: str, target: Path) -> None:
    """Replace the file or folder `rel` of the site by a symlink to `target`."""
    path = site.root / rel
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target, target_is_directory=target.is_dir())


def link_folder_outside(site: Site, rel: str, files: dict[str, str | bytes]) -> None:
    """Replace the site's folder `rel` with a symlink to a folder outside holding `files`."""
    for name, content in files.items():
        outside(site, f"{rel}/{name}", content)
    link(site, rel, site.root.parent / "outside" / rel)


def write(rel: str, content: str | bytes):
    return lambda s: s.write(rel, content)


ALIAS = ["alias"]
TOO_BIG = ["larger than", "MB"]
TOO_DEEP = ["nested", str(MAX_DEPTH)]
NOT_MAPPING = ["mapping"]
UTF8 = ["utf-8"]
OUTSIDE = ["link", "outside"]

# id: (change to the valid base site, path, line, words the message holds); run with check and with build
CASES = {
    "alias bomb in a profile": (write(P, PROFILE + bomb("notes")), P, 4, ALIAS),
    "alias bomb in post front matter": (write(M, front(POST[4:-11] + bomb("tags"), "Intro.\n")), M, 6, ALIAS),
    "alias bomb in quote front matter": (write(Q, front(bomb("prompt"))), Q, 3, ALIAS),
    "alias bomb in site.yml": (write("site.yml", CONFIG + bomb("language")), "site.yml", 5, ALIAS),
    "alias bomb in approvals.yml": (write(A, APPROVALS + bomb("sam")), A, 6, ALIAS),
    "alias bomb through merge keys": (write(P, PROFILE + "base: &b {x: 1}\nnotes: {<<: *b}\n"), P, 4, ALIAS),
    "50 MB quote": (write(Q, b"All work and no play. " * (BIG // 22)), Q, None, TOO_BIG),
    "50 MB profile": (write(P, PROFILE.encode() + b"bio: " + b"x" * BIG + b"\n"), P, None, TOO_BIG),
    "50 MB post": (write(M, POST.encode() + b"word " * (BIG // 5)), M, None, TOO_BIG),
    "50 MB approvals.yml": (write(A, APPROVALS.encode() + b"# " + b"x" * BIG + b"\n"), A, None, TOO_BIG),
    "10,000-level nested list in post tags": (write(M, front(POST[4:-11] + f"tags: {nested_list(DEEP)}\n",
                                                             "Intro.\n")), M, 5, TOO_DEEP),
    "10,000-level nested list as a profile field": (write(P, PROFILE + f"notes: {nested_list(DEEP)}\n"),
                                                    P, 3, TOO_DEEP),
    "10,000-level nested mapping as a profile field": (write(P, PROFILE + f"links: {nested_mapping(DEEP)}\n"),
                                                       P, 3, TOO_DEEP),
    "10,000-level nested mapping in site.yml": (write("site.yml", CONFIG + f"mail: {nested_mapping(DEEP)}\n"),
                                                "site.yml", 4, TOO_DEEP),
    "10,000-level nested list in quote front matter": (write(Q, front(f"prompt: {nested_list(DEEP)}\n")),
                                                       Q, 2, TOO_DEEP),
    "100,000-level nested list (crashed libyaml)": (write(P, PROFILE + f"notes: {nested_list(100_000)}\n"),
                                                    P, 3, TOO_DEEP),
    "100,000-level block list (crashed libyaml)": (write(P, PROFILE + "notes:\n" + "- " * 100_000 + "x\n"),
                                                   P, 4, TOO_DEEP),
    "2 MB of empty mappings under the size cap": (write(P, PROFILE + "notes: [" + "{}, " * 490_000 + "]\n"),
                                                  P, 3, ["more than", "values"]),
    "profile is a scalar": (write(P, "Zoe Quill\n"), P, (None, 1), NOT_MAPPING),
    "profile is a number": (write(P, "42\n"), P, (None, 1), NOT_MAPPING),
    "post front matter is a list": (write(M, front("- title: Alpha\n- date: 2026-03-01\n", "Intro.\n")),
                                    M, (None, 1, 2), NOT_MAPPING),
    "quote front matter is a list": (write(Q, front("- prompt: Why?\n")), Q, (None, 1, 2), NOT_MAPPING),
    "site.yml is a list": (write("site.yml", "- title: Limits\n"), "site.yml", (None, 1), NOT_MAPPING),
    "approvals.yml is text": (write(A, "all approved\n"), A, (None, 1), NOT_MAPPING),
    "invalid UTF-8 in a profile": (write(P, PROFILE.encode() + b"bio: caf\xe9\n"), P, 3, UTF8),
    "invalid UTF-8 in post front matter": (write(M, POST.encode().replace(b"Alpha", b"Caf\xe9")), M, 2, UTF8),
    "invalid UTF-8 in a post's text": (write(M, POST.encode() + b"\nMore \xc3\x28 text.\n"), M, 8, UTF8),
    "invalid UTF-8 in site.yml": (write("site.yml", CONFIG.encode() + b"language: \xff\xfe\n"), "site.yml", 4, UTF8),
    "invalid UTF-8 in approvals.yml": (write(A, APPROVALS.encode() + b"  reason: \x80\n"), A, 5, UTF8),
    "profile symlinked outside": (lambda s: link(s, P, outside(s, "zoe.yml", PROFILE)), P, None, OUTSIDE),
    "post.md symlinked outside": (lambda s: link(s, M, outside(s, "post.md", POST)), M, None, OUTSIDE),
    "site.yml symlinked outside": (lambda s: link(s, "site.yml", outside(s, "site.yml", CONFIG)),
                                   "site.yml", None, OUTSIDE),
    "posts/<slug> folder symlinked outside": (lambda s: link_folder_outside(s, "posts/alpha", {
        "post.md": POST, "quotes/zoe.md": QUOTE}), M, None, OUTSIDE),
    "quotes folder symlinked outside": (lambda s: link_folder_outside(s, "posts/alpha/quotes", {"zoe.md": QUOTE}),
                                       Q, None, OUTSIDE),
    "contributors folder symlinked outside": (lambda s: link_folder_outside(s, "contributors", {"zoe.yml": PROFILE}),
                                              P, None, OUTSIDE),
    "avatars folder symlinked outside": (lambda s: (link_folder_outside(s, "contributors/avatars", {"zoe.png": PNG}),
                                                    s.write(P, PROFILE + "avatar: avatars/zoe.png\n")),
                                         P, 3, ["avatar"]),
    "voice with ..": (write(M, POST.replace("[zoe]", "[zoe, ../../outside/zoe]")), M, 4,
                      ["'../../outside/zoe' is not a valid contributor id"]),
    "voice with /": (write(M, POST.replace("[zoe]", "[zoe, a/b]")), M, 4, ["'a/b' is not a valid contributor id"]),
    "voice that is an absolute path": (write(M, POST.replace("[zoe]", "[zoe, /etc/passwd]")), M, 4,
                                       ["'/etc/passwd' is not a valid contributor id"]),
}


def test_the_base_site_is_valid(site: Site):
    base(site)
    result = run_measured(site, "check")
    assert result.returncode == 0, result.stderr
    assert result.seconds < SECONDS and result.max_rss_mb < RSS_MB


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_is_refused_quickly_and_nothing_is_written(site: Site, case: str):
    change, path, line, words = CASES[case]
    base(site)
    change(site)
    for command in ("check", "build"):
        result = refused(site, command)
        assert_problem(result.stderr, path, line, *words)


def test_the_worst_input_within_the_limits_is_still_quick(site: Site):
    """As deep and as many values as allowed, of the costliest kind (empty mappings): accepted, in budget."""
    base(site)
    depth = MAX_DEPTH - 2  # the profile's own mapping, these lists, and the innermost mappings
    count = MAX_VALUES - 4 - depth  # minus the profile mapping, `name`, its value and `notes`
    site.write(P, "name: Zoe Quill\nnotes: " + "[" * depth + "{}, " * count + "]" * depth + "\n")
    result = run_measured(site, "check")
    print(f"\nMEASURED check at the limits: {result.seconds:.2f} s, {result.max_rss_mb:.0f} MB")
    assert result.returncode == 0, result.stderr
    assert result.seconds < SECONDS and result.max_rss_mb < RSS_MB
    site.write(P, "name: Zoe Quill\nnotes: " + "[" * depth + "{}, " * (count + 1) + "]" * depth + "\n")
    assert_problem(refused(site, "check").stderr, P, 2, "more than", "values")


def test_nesting_one_level_past_the_limit_is_refused(site: Site):
    base(site)
    site.write(P, f"name: Zoe Quill\nnotes: {nested_list(MAX_DEPTH - 1)}\n")
    assert run_measured(site, "check").returncode == 0
    site.write(P, f"name: Zoe Quill\nnotes: {nested_list(MAX_DEPTH)}\n")
    assert_problem(refused(site, "check").stderr, P, 2, *TOO_DEEP)


# Ids and slugs given on the command line: (arguments, the wrong value, what it should have been)
ARGUMENTS = [
    (("approve", "../x", "alpha"), "../x", "contributor id"),
    (("approve", "zoe", "../../etc"), "../../etc", "post slug"),
    (("approve", "zoe", "../../outside"), "../../outside", "post slug"),
    (("approve", "zoe", "/etc"), "/etc", "post slug"),
    (("decline", "../x", "alpha"), "../x", "contributor id"),
    (("decline", "zoe", "a/b", "--reason", "no"), "a/b", "post slug"),
    (("preview", "../x"), "../x", "contributor id"),
    (("preview", "../../outside/zoe"), "../../outside/zoe", "contributor id"),
    (("preview", "zoe", "--post", "../x"), "../x", "post slug"),
    (("preview", "zoe", "--post", "../../outside", "--send"), "../../outside", "post slug"),
    (("status", "--post", "a/b"), "a/b", "post slug"),
    (("status", "--post", ".."), "..", "post slug"),
    (("cancel", "../x"), "../x", "post slug"),
    (("cancel", "../../outside", "--send"), "../../outside", "post slug"),
    (("thank", "../x"), "../x", "post slug"),
    (("new", "post", "../x"), "../x", "post slug"),
    (("new", "post", "../../elsewhere"), "../../elsewhere", "post slug"),
    (("new", "contributor", "a/b"), "a/b", "contributor id"),
    (("new", "contributor", "../../outside/kim"), "../../outside/kim", "contributor id"),
]


@pytest.mark.parametrize("args, value, what", ARGUMENTS, ids=[" ".join(a) for a, _, _ in ARGUMENTS])
def test_id_arguments_with_dots_or_slashes_are_refused(site: Site, args, value, what):
    """Exit 1 (a problem in the input) naming the wrong value, with a valid post and profile outside the
    site where `..` leads, so following the path would have found something to read or write."""
    base(site)
    outside(site, "post.md", POST)
    outside(site, "quotes/zoe.md", QUOTE)
    outside(site, "zoe.yml", PROFILE)
    result = refused(site, *args)
    assert f"{value!r} is not a valid {what}" in result.stderr, result.stderr
    assert "Zoe's words" not in result.stdout + result.stderr


def test_every_wrong_argument_is_named_at_once(site: Site):
    base(site)
    result = refused(site, "approve", "../x", "a/b")
    assert "'../x' is not a valid contributor id" in result.stderr
    assert "'a/b' is not a valid post slug" in result.stderr
