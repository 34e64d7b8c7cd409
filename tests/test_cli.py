"""The command line: version, usage errors, scaffolding, approve/decline errors, --site, -m."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import roundup
from conftest import ANY, Site, assert_problem, run_roundup, tree_bytes


def test_version(tmp_path: Path):
    result = run_roundup("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"roundup {roundup.__version__}"


@pytest.mark.parametrize("args", [
    ["frobnicate"],                 # unknown command
    [],                             # no command
    ["approve", "zoe"],             # missing slug
    ["decline"],                    # missing contributor and slug
    ["new"],                        # missing kind
    ["new", "page", "x"],           # unknown kind
    ["new", "post"],                # missing slug
    ["build", "--no-such-flag"],    # unknown option
    ["status", "--post"],           # option without its value
], ids=lambda a: " ".join(a) or "nothing")
def test_wrong_usage_exits_2(site: Site, args: list[str]):
    before = tree_bytes(site.root)
    result = site.run(*args)
    assert result.returncode == 2, result.stderr
    assert "usage" in result.stderr.lower()
    assert tree_bytes(site.root) == before


def test_help_lists_the_commands(tmp_path: Path):
    result = run_roundup("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("build", "check", "status", "approve", "decline", "new"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["build", "check", "status"])
def test_no_site_yml_is_exit_1_naming_site_yml(tmp_path: Path, command: str):
    result = run_roundup(command, cwd=tmp_path)
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", None, "not found")
    assert list(tmp_path.iterdir()) == []


def test_new_site_post_and_contributor_pass_check(tmp_path: Path):
    root = tmp_path / "fresh"
    result = run_roundup("--site", root, "new", "site", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (root / "site.yml").is_file()
    site = Site(root)
    site.ok("check")
    result = site.run("new", "post", "first-roundup")
    assert result.returncode == 0, result.stderr
    assert "posts/first-roundup/post.md" in result.stdout
    site.ok("check")
    result = site.run("new", "contributor", "zoe-lee")
    assert result.returncode == 0, result.stderr
    assert (root / "contributors/zoe-lee.yml").is_file()
    site.quote("first-roundup", "zoe-lee", "My words.\n")
    site.ok("check")
    assert site.states("first-roundup") == {"zoe-lee": "pending"}
    site.approve_all("first-roundup")
    site.build()
    assert (root / "_site/posts/first-roundup/index.html").is_file()
    assert (root / "_site/contributors/zoe-lee/index.html").is_file()


@pytest.mark.parametrize("args, existing", [
    (("new", "site"), "site.yml"),
    (("new", "post", "alpha"), "posts/alpha/post.md"),
    (("new", "contributor", "zoe"), "contributors/zoe.yml"),
])
def test_new_refuses_to_overwrite(site: Site, args, existing):
    site.add_post("alpha", ["zoe"])
    before = tree_bytes(site.root)
    result = site.run(*args)
    assert result.returncode == 1
    assert_problem(result.stderr, existing, ANY, "exists")
    assert tree_bytes(site.root) == before


@pytest.mark.parametrize("args", [
    ("new", "post", "Bad_Slug"), ("new", "post", "double--hyphen"), ("new", "post", "../escape"),
    ("new", "contributor", "Zoe"), ("new", "contributor", "zoe.lee"),
])
def test_new_refuses_a_bad_slug_or_id(site: Site, args):
    before = tree_bytes(site.root)
    result = site.run(*args)
    assert result.returncode == 1
    assert args[2] in result.stderr
    assert tree_bytes(site.root) == before
    assert not (site.root.parent / "escape").exists()


def test_approve_unknown_post_is_exit_1_naming_it(site: Site):
    site.add_post("alpha", ["zoe"])
    before = tree_bytes(site.root)
    result = site.run("approve", "zoe", "no-such-post")
    assert result.returncode == 1
    assert "no-such-post" in result.stderr and "alpha" in result.stderr
    assert tree_bytes(site.root) == before


@pytest.mark.parametrize("command", ["approve", "decline"])
def test_answer_for_contributor_not_in_post_is_exit_1(site: Site, command: str):
    site.add_post("alpha", ["zoe"])
    site.contributor("sam")
    before = tree_bytes(site.root)
    result = site.run(command, "sam", "alpha")
    assert result.returncode == 1
    assert_problem(result.stderr, "posts/alpha/post.md", ANY, "sam")
    assert "zoe" in result.stderr  # says who the voices are
    assert tree_bytes(site.root) == before


def test_approve_prints_what_it_recorded(site: Site):
    site.add_post("alpha", ["zoe", "sam"])
    out = site.approve("zoe", "alpha").stdout
    assert "zoe" in out and "alpha" in out and "sam" in out  # still waiting for sam
    out = site.approve("sam", "alpha").stdout
    assert "alpha" in out and "publish" in out


def test_status_post_shows_only_that_post(site: Site):
    site.add_post("alpha", ["zoe"])
    site.add_post("beta", ["sam"])
    full = site.ok("status").stdout
    assert "alpha" in full and "beta" in full
    only = site.ok("status", "--post", "beta").stdout
    assert "beta" in only and "sam" in only
    assert "alpha" not in only and "zoe" not in only
    result = site.run("status", "--post", "gamma")
    assert result.returncode == 1 and "gamma" in result.stderr


def test_status_says_what_a_build_would_publish(site: Site):
    site.add_post("alpha", ["zoe"])
    site.add_post("beta", ["sam"])
    site.approve_all("alpha")
    out = site.ok("status").stdout
    assert site.states("alpha") == {"zoe": "approved"}
    assert site.states("beta") == {"sam": "pending"}
    publish_line = next(line for line in out.splitlines() if "publish" in line.lower())
    assert "alpha" in publish_line and "beta" not in publish_line


@pytest.mark.parametrize("where", ["before", "after"])
def test_site_option_before_or_after_the_command(site: Site, tmp_path: Path, where: str):
    site.add_post("alpha", ["zoe"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = ["--site", site.root, "approve", "zoe", "alpha"] if where == "before" else \
        ["approve", "zoe", "alpha", "--site", site.root]
    assert run_roundup(*args, cwd=elsewhere).returncode == 0
    args = ["--site", site.root, "build"] if where == "before" else ["build", "--site", site.root]
    result = run_roundup(*args, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (site.root / "_site/posts/alpha/index.html").is_file()
    assert list(elsewhere.iterdir()) == []


def test_python_dash_m_roundup_runs_the_cli(site: Site):
    site.add_post("alpha", ["zoe"])
    result = subprocess.run([sys.executable, "-m", "roundup", "status"], cwd=site.root,
                            capture_output=True, text=True, encoding="utf-8", timeout=60,
                            env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert result.returncode == 0, result.stderr
    assert "alpha" in result.stdout and "zoe" in result.stdout


def test_console_script_runs_the_cli(site: Site):
    script = Path(sys.executable).with_name("roundup")
    if not script.exists():
        pytest.skip("the roundup console script is not installed next to this interpreter")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert roundup.__version__ in result.stdout


def test_new_contributor_fixes_the_missing_profile_that_check_reports(site: Site):
    site.add_post("alpha", ["zoe"])
    site.quote("alpha", "kim", "Kim's words.\n")
    site.post("alpha", voices=["zoe", "kim"])
    result = site.run("check")
    assert result.returncode == 1 and "contributors/kim.yml" in result.stderr
    result = site.run("new", "contributor", "kim")  # the fix the message asks for
    assert result.returncode == 0, result.stderr
    assert (site.root / "contributors/kim.yml").is_file()
    site.ok("check")


def test_new_post_fills_a_folder_that_check_says_has_no_post_md(site: Site):
    site.contributor("lee")
    site.quote("beta", "lee", "Lee's words.\n")
    result = site.run("check")
    assert result.returncode == 1 and "new post beta" in result.stderr
    result = site.run("new", "post", "beta")  # the command the message names
    assert result.returncode == 0, result.stderr
    assert (site.root / "posts/beta/post.md").is_file()
    assert (site.root / "posts/beta/quotes/lee.md").read_text() == "Lee's words.\n"
    site.ok("check")
