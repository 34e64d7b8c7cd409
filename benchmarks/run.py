"""Time the real `roundup` CLI on a generated site and print medians and peak memory.

Figures: cold build (no output, no cache), rebuild with nothing changed, rebuild after editing one
quote, `preview` of one contributor (in every post, and in one), `status` (unchanged, and after editing one
quote) and `check`. `--unapproved` measures a site as it arrives from outside: no approval recorded yet,
every build with `--drafts`; `--photos` gives every other contributor a picture; with --serve, also `roundup serve` showing
an edited quote in Chromium (benchmarks/serve_reload.py). Every figure is the median of --runs runs.
"""

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
    """Seconds and peak resident memory (MB) of one run of the CLI (the largest of its processes)."""
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
    print(f"{label:<36} median {statistics.median(times):7.2f} s   (min {min(times):.2f}, max {max(times):.2f})"
          f"   peak {max(peaks):6.0f} MB", flush=True)


def edited(original: bytes, n: int) -> bytes:
    """The quote for the n-th edit: odd edits put the approved words back (the post is published again),
    even ones add a line (its voice is stale, so the post is withheld): every edit changes the output."""
    return original if n % 2 else original + f"\nOne more line ({n}).\n".encode()


def forget(root: Path) -> None:
    """Remove the output and the build cache: the next build starts from nothing."""
    shutil.rmtree(root / "_site", ignore_errors=True)
    shutil.rmtree(root / ".roundup" / "cache", ignore_errors=True)


def site(args: argparse.Namespace) -> tuple[Path, Path | None]:
    """The site to measure (generated unless --site names one already there) and a folder to remove."""
    root = args.site.resolve() if args.site else Path(tempfile.mkdtemp(prefix="roundup-bench-")) / "site"
    if not (root / "site.yml").is_file():
        started = time.perf_counter()
        generate(root, args.posts, args.voices, args.contributors, approved=not args.unapproved, photos=args.photos)
        print(f"generated in {time.perf_counter() - started:.1f} s")
    config = root / "site.yml"
    lines = [line for line in config.read_text().splitlines() if not line.startswith("markdown:")]
    config.write_text("\n".join([*lines, f"markdown: {args.markdown}"]) + "\n")
    return root, None if args.site else root.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--voices", type=int, default=8)
    parser.add_argument("--contributors", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--site", type=Path, help="measure this site (generated there first if it has no "
                                                   "site.yml, and kept): saves generating a large one each time")
    parser.add_argument("--markdown", default="markdown-it", choices=["markdown-it", "cmark-gfm"],
                        help="the Markdown engine the site uses (written into its site.yml)")
    parser.add_argument("--no-check", action="store_true", help="leave out `roundup check` (reads everything afresh)")
    parser.add_argument("--unapproved", action="store_true",
                        help="generate no approvals, and build with --drafts (a site from outside)")
    parser.add_argument("--photos", action="store_true", help="generate a picture for every other contributor")
    parser.add_argument("--no-cold", action="store_true", help="leave out the cold build")
    parser.add_argument("--serve", type=int, default=0, metavar="EDITS",
                        help="also time `roundup serve` over this many quote edits (needs Chromium)")
    args = parser.parse_args()
    root, temp = site(args)
    posts = sorted(p for p in (root / "posts").iterdir() if (p / "post.md").is_file())
    quote = sorted((posts[len(posts) // 2] / "quotes").glob("*.md"))[0]
    original = quote.read_bytes()
    print(f"site: {len(posts)} posts, {sum(1 for _ in (root / 'contributors').glob('*.yml'))} contributors; "
          f"{len(os.sched_getaffinity(0))} cores; {args.markdown}; {args.runs} runs each", flush=True)
    try:
        build = ["build", "--drafts"] if args.unapproved else ["build"]
        if not args.no_cold:
            measure("cold build (no output, no cache)", args.runs, build, root, before=lambda: forget(root))
        measure("rebuild, nothing changed", args.runs, build, root)
        edits = iter(range(args.runs))
        measure("rebuild after editing one quote", args.runs, build, root,
                before=lambda: quote.write_bytes(edited(original, next(edits))))
        measure(f"preview {quote.stem} (every post)", args.runs, ["preview", quote.stem], root)
        measure(f"preview {quote.stem} --post {quote.parent.parent.name}", args.runs,
                ["preview", quote.stem, "--post", quote.parent.parent.name], root)
        timed(["status"], root)
        measure("status", args.runs, ["status"], root)
        edits = iter(range(args.runs, 2 * args.runs))
        measure("status after editing one quote", args.runs, ["status"], root,
                before=lambda: quote.write_bytes(edited(original, next(edits))))
        if not args.no_check:
            measure("check", args.runs, ["check"], root)
    finally:
        quote.write_bytes(original)
    if args.serve:
        subprocess.run([sys.executable, str(Path(__file__).with_name("serve_reload.py")), "--site", str(root),
                        "--edits", str(args.serve)], check=True)
    if temp:
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
