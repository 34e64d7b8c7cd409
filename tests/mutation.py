"""Mutation testing of the consent core: runs mutmut afresh over the modules named in pyproject.toml's
[tool.mutmut], then prints mutants, killed, equivalent (listed in tests/mutation-equivalent.md with a
reason), survived and the minutes taken. Exit 1 when a mutant survives that is not listed as equivalent,
or a listed one no longer survives (the list must stay true). Not part of the default pytest run."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "tests" / "mutation-equivalent.md"
LISTED = re.compile(r"^- `(?P<name>roundup\.[\w.ǁ]+__mutmut_\d+)`", re.MULTILINE)


def mutmut(*args: str, capture: bool = False) -> str:
    done = subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        sys.exit(f"mutmut {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout or ""


def main() -> int:
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)  # mutmut keeps results by function: start afresh
    started = time.monotonic()
    mutmut("run")
    minutes = (time.monotonic() - started) / 60
    status = dict(line.strip().rsplit(": ", 1) for line in mutmut("results", "--all", "true", capture=True)
                  .splitlines() if ": " in line)
    counts = collections.Counter(status.values())
    listed = set(LISTED.findall(EQUIVALENT.read_text(encoding="utf-8")))
    alive = {name for name, state in status.items() if state != "killed"}
    equivalent, unexplained, stale = alive & listed, sorted(alive - listed), sorted(listed - alive)
    total = len(status)
    killed = counts["killed"]
    print(f"mutants {total}, killed {killed}, equivalent {len(equivalent)}, "
          f"survived {len(unexplained)} ({dict(collections.Counter(status[n] for n in unexplained))}); "
          f"score {100 * (killed + len(equivalent)) / max(total, 1):.1f} % "
          f"({100 * killed / max(total, 1):.1f} % killed); {minutes:.1f} minutes")
    by_function = collections.Counter((name.rsplit("__mutmut_", 1)[0], status[name]) for name in unexplained)
    for (function, state), n in sorted(by_function.items()):
        names = [x for x in unexplained if x.rsplit("__mutmut_", 1)[0] == function and status[x] == state]
        shown = ", ".join(names[:3]) + (f" and {n - 3} more" if n > 3 else "")
        print(f"  {function}: {n} {state}, not listed as equivalent ({shown}; see `mutmut show NAME`)")
    for name in stale:
        print(f"  listed as equivalent but killed or gone now: {name} — take it out of {EQUIVALENT.name}")
    return 1 if unexplained or stale else 0


if __name__ == "__main__":
    sys.exit(main())
