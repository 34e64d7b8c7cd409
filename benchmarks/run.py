"""Time the real `roundup` CLI on a generated site and print medians and peak memory."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402


def timed(args: list[str], cwd: Path) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of one run of the CLI."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "roundup", *args], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"roundup {' '.join(args)} failed: {proc.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def measure(label: str, runs: int, args: list[str], cwd: Path, before=None) -> None:
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        seconds, peak = timed(args, cwd)
        times.append(seconds)
        peaks.append(peak)
    print(f"{label:<34} median {statistics.median(times):7.2f} s   (min {min(times):.2f}, max {max(times):.2f})"
          f"   peak {max(peaks):6.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--voices", type=int, default=8)
    parser.add_argument("--contributors", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="roundup-bench-"))
    try:
        started = time.perf_counter()
        generate(root, args.posts, args.voices, args.contributors, approved=True)
        print(f"site: {args.posts} posts × {args.voices} voices, {args.contributors} contributors "
              f"(generated in {time.perf_counter() - started:.1f} s); {os.cpu_count()} cores")
        measure("cold build (no previous output)", args.runs, ["build"], root,
                before=lambda: shutil.rmtree(root / "_site", ignore_errors=True))
        measure("rebuild, nothing changed", args.runs, ["build"], root)
        quote = next((root / "posts").glob("*/quotes/*.md"))
        measure("rebuild after editing one quote", args.runs, ["build"], root,
                before=lambda: quote.write_text(quote.read_text() + "\nOne more line.\n"))
        measure("preview of the edited voice", args.runs, ["preview", quote.stem, "--post", quote.parent.parent.name],
                root)
        measure("status", args.runs, ["status"], root)
        measure("check", args.runs, ["check"], root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
