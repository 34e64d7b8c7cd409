"""Progress of a long build: a counter redrawn in place on a terminal, gone at the end, then one summary
line; nothing of it when the output is not a terminal, and no summary either with --quiet."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import generate  # noqa: E402  (the benchmark's deterministic site generator)

SUMMARY = re.compile(r"^Built _site/ in \d+\.\d\d s: 300 posts published, 0 withheld, \d+ files written, \d+ unchanged\.$")


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """300 approved posts: long enough to take more than a moment to build."""
    root = tmp_path_factory.mktemp("progress") / "site"
    generate(root, posts=300, voices=3, contributors=40, approved=True)
    return root


def build_on_terminal(root: Path, *args: str) -> tuple[str, str]:
    """`roundup build` with its stderr on a pseudo-terminal, as in an interactive shell."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "roundup", "build", *args], cwd=root, stdout=subprocess.PIPE,
                            stderr=terminal, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal's other side closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, shown.decode()
    return shown.decode("utf-8"), stdout.decode("utf-8")


def test_a_long_build_counts_posts_on_a_terminal_then_clears_the_line(big: Path):
    shown, stdout = build_on_terminal(big)
    counts = [(int(a), int(b)) for a, b in re.findall(r"rendering posts (\d+)/(\d+)", shown)]
    assert counts and all(total == 300 for _, total in counts)
    assert [done for done, _ in counts] == sorted(done for done, _ in counts)
    assert "writing files" in shown
    assert shown.endswith("\r\x1b[K"), repr(shown[-80:])  # the counter is erased before the summary
    assert SUMMARY.match(stdout.strip()), stdout


def test_not_on_a_terminal_there_is_no_counter_only_the_summary(big: Path):
    result = subprocess.run([sys.executable, "-m", "roundup", "build"], cwd=big, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0
    assert result.stderr == ""
    assert SUMMARY.match(result.stdout.strip()), result.stdout


def test_quiet_shows_neither_counter_nor_summary(big: Path):
    shown, stdout = build_on_terminal(big, "--quiet")
    assert shown == "" and stdout == ""
