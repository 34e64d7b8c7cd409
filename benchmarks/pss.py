"""Peak memory of a command summed over it and every process it starts (the build's workers): the largest
sum of PSS (proportional set size: a page shared by n processes counts 1/n in each) seen in samples of
/proc/<pid>/smaps_rollup every 0.1 s. Linux only.

    .venv/bin/python benchmarks/pss.py .venv/bin/roundup build -q      (in the site's folder)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo += [int(child) for child in handle.read().split()]
        except OSError:  # it ended between two reads
            continue
    return found


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            return next((int(line.split()[1]) for line in handle if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def main() -> int:
    started = time.perf_counter()
    process = subprocess.Popen(sys.argv[1:])
    peak, at, each = 0, 0.0, []
    while process.poll() is None:
        sizes = [pss_kb(pid) for pid in descendants(process.pid)]
        if sum(sizes) > peak:
            peak, at, each = sum(sizes), time.perf_counter() - started, sizes
        time.sleep(0.1)
    print(f"exit {process.returncode} after {time.perf_counter() - started:.1f} s; peak summed PSS "
          f"{peak / 1024:.0f} MB at {at:.1f} s over {len(each)} processes "
          f"({', '.join(f'{size / 1024:.0f}' for size in each)} MB)")
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
