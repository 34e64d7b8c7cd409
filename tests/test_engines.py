"""The optional cmark-gfm engine (`markdown: cmark-gfm` in site.yml) writes the same site as markdown-it
on real content, differs only where documented on hostile content, and is refused clearly when missing.
(The XSS corpus in Chromium runs on both engines: see test_xss.py.)"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conftest import Site, assert_problem, run_roundup, run_roundup_env, tree_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate  # noqa: E402

from roundup.markdown import render  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def with_engine(site: Path, engine: str) -> None:
    config = site / "site.yml"
    config.write_text(config.read_text(encoding="utf-8") + f"markdown: {engine}\n", encoding="utf-8")


def example_site(folder: Path) -> Path:
    """A copy of the example site at the repository root."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / "site.yml", folder / "site.yml")
    for name in ("contributors", "posts"):
        shutil.copytree(REPO / name, folder / name)
    return folder


def built(folder: Path, *args: str) -> dict[str, bytes]:
    result = run_roundup("build", *args, cwd=folder)
    assert result.returncode == 0, result.stderr
    return tree_bytes(folder / "_site")


@pytest.mark.parametrize("args", [(), ("--drafts",)])
def test_the_example_site_is_byte_for_byte_the_same_on_both_engines(tmp_path: Path, args):
    default = example_site(tmp_path / "default")
    fast = example_site(tmp_path / "fast")
    with_engine(fast, "cmark-gfm")
    pages = built(default, *args)
    assert len([p for p in pages if p.startswith("posts/")]) >= (2 if args else 1)
    assert built(fast, *args) == pages


def test_a_generated_site_is_byte_for_byte_the_same_on_both_engines(tmp_path: Path):
    for name in ("default", "fast"):
        generate(tmp_path / name, posts=12, voices=4, contributors=10, approved=True)
    with_engine(tmp_path / "fast", "cmark-gfm")
    assert built(tmp_path / "fast") == built(tmp_path / "default")


REAL_MARKDOWN = [
    "# One\n\n### Three\n\n## Two\n\ntext", "*a* **b** `c` ~~d~~", "> quoted\n> more\n\n- one\n- two\n\n1. x\n2. y",
    "[a link](https://example.org/a?b=1&c=2 \"title\") and <https://example.org/auto>",
    "[mail](mailto:a@example.org) [relative](../x/) [anchor](#voice-zoe)",
    "![a photo](https://example.org/p.png)", "| a | b |\n|--:|:-|\n| 1 | 2 |", "```python\nprint('<b>')\n```",
    "line one  \nline two\\\nline three", "Zoë Ångström-Núñez — “quotes” & ‘more’ < > \"", "***\n\n---",
    "[ref][r]\n\n[r]: https://example.org/ref", "    indented code <i>", "a_b_c *a*b* __init__",
]


@pytest.mark.parametrize("text", REAL_MARKDOWN)
@pytest.mark.parametrize("level", [2, 3])
def test_ordinary_markdown_renders_the_same_on_both_engines(text: str, level: int):
    assert render(text, level, "cmark-gfm") == render(text, level)


@pytest.mark.parametrize("text, markdown_it, cmark", [
    # raw HTML: markdown-it shows it as text, cmark-gfm leaves it out (as GitHub does); neither runs it
    ("a <b onmouseover=x>bold</b> c", "<p>a &lt;b onmouseover=x&gt;bold&lt;/b&gt; c</p>\n",
     "<p>a <!-- raw HTML omitted -->bold<!-- raw HTML omitted --> c</p>\n"),
    # a link with a refused scheme: markdown-it keeps the source as text, cmark-gfm keeps the link text
    ("[click](javascript:alert(1))", "<p>[click](javascript:alert(1))</p>\n", "<p>click</p>\n"),
    ("[file](ftp://example.org/f)", "<p>[file](ftp://example.org/f)</p>\n", "<p>file</p>\n"),
    ("![pic](data:text/html,x)", "<p>![pic](data:text/html,x)</p>\n", "<p>pic</p>\n"),
])
def test_the_documented_differences_on_hostile_markdown(text: str, markdown_it: str, cmark: str):
    assert render(text, 2) == markdown_it
    assert render(text, 2, "cmark-gfm") == cmark


def markdown_line(site: Site) -> int:
    return 1 + site.read("site.yml").splitlines().index(next(
        line for line in site.read("site.yml").splitlines() if line.startswith("markdown:")))


def test_an_unknown_engine_is_refused_at_its_line(site: Site):
    site.config(markdown="commonmark-rs")
    result = site.run("build")
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", markdown_line(site), "markdown", "markdown-it", "cmark-gfm")


def test_cmark_gfm_without_its_package_says_how_to_install_it(site: Site, tmp_path: Path):
    blocker = tmp_path / "no-cmark"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['cmarkgfm'] = None\n")
    site.config(markdown="cmark-gfm")
    site.add_post("hello", ["zoe"])
    result = run_roundup_env("build", cwd=site.root, env={"PYTHONPATH": str(blocker)})
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", markdown_line(site), "cmarkgfm", "roundup[fast]")
    assert not (site.root / "_site").exists()
