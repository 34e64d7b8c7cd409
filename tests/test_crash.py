"""SIGKILL at any moment leaves `_site` and approvals.yml whole, old or new; approvals run at once are all kept."""

from __future__ import annotations

import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conftest import Site, tree_bytes

SEED = 20260301
BUILD_TRIALS = 60
APPROVE_TRIALS = 45
POSTS = 36
"""Enough posts (about 130 files) that writing the output takes a while to kill into."""
VOICES = [f"v{i:02d}" for i in range(8)]
ROUNDS = 4
LONG = "A long answer, sentence after sentence, so that reading and writing the record take a while. " * 40


# ---- running the CLI and watching it from outside ------------------------------------------------

def launch(root: Path, *args: str, capture: bool = False) -> subprocess.Popen[bytes]:
    """`python -m roundup ARGS` in `root` (environment as conftest's run_roundup), not waited for."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("ROUNDUP_SECRET", None)
    return subprocess.Popen([sys.executable, "-m", "roundup", *args], cwd=root, env=env,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass(frozen=True)
class Run:
    """One CLI run, watched (and perhaps killed) from outside."""

    killed: bool
    """SIGKILL ended it before it exited on its own."""
    returncode: int
    seconds: float
    changes: tuple[float, ...]
    """Seconds after launch at which the watched paths were seen changing."""
    seen: tuple[Any, ...]
    """What `read` returned right after each change."""
    stderr: str

    @property
    def landed(self) -> str:
        if not self.killed:
            return "after exit"
        return "while writing" if self.changes else "before writing"

    def story(self, plan: dict[str, float]) -> str:
        if not plan:
            return "(not killed)"
        when = ", ".join(f"{k}={v:.4f}" for k, v in plan.items())
        return f"killed {self.landed} ({when})" if self.killed else f"exited before its kill ({when})"


def watch(root: Path, args: tuple[str, ...], probe: Callable[[], Any], *, kill_at: float = 120.0,
          kill_after_change: float = math.inf, read: Callable[[], Any] | None = None,
          pause: float = 0.0) -> Run:
    """Run the CLI, polling `probe` (every `pause` s); SIGKILL it `kill_at` s after launch or
    `kill_after_change` s after `probe` first changes, whichever comes first (a hung run is
    killed after two minutes, and then fails as a run that did not exit 0)."""
    last = probe()
    start = time.perf_counter()
    proc = launch(root, *args)
    deadline = start + kill_at
    changes: list[float] = []
    seen: list[Any] = []
    while proc.poll() is None:
        now = time.perf_counter()
        if now >= deadline:
            proc.send_signal(signal.SIGKILL)
            break
        state = probe()
        if state != last:
            last = state
            changes.append(now - start)
            seen.append(read() if read else None)
            if len(changes) == 1:
                deadline = min(deadline, now + kill_after_change)
        if pause:
            time.sleep(pause)
    returncode = proc.wait()
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    return Run(returncode == -signal.SIGKILL, returncode, seconds, tuple(changes), tuple(seen), stderr)


def stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def stats(*paths: Path) -> Callable[[], tuple[Any, ...]]:
    """A probe that changes whenever one of `paths` is created, replaced, resized, touched or removed."""
    return lambda: tuple(stat_key(p) for p in paths)


def read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class Timing:
    """When uninterrupted runs change the disk: first change, first to last change (mean), exit (latest)."""

    start: float
    span: float
    total: float

    @classmethod
    def of(cls, runs: list[Run]) -> Timing:
        for run in runs:
            assert run.returncode == 0 and run.changes, f"uninterrupted run failed:\n{run.stderr}"
        return cls(max(r.changes[0] for r in runs), sum(r.changes[-1] - r.changes[0] for r in runs) / len(runs),
                   max(r.seconds for r in runs))


def kill_plan(rng: random.Random, timing: Timing) -> dict[str, float]:
    """Half the kills at a random moment of the whole run, half at a random moment after the
    disk starts changing (the run's short writing phase, which uniform moments would rarely hit)."""
    if rng.random() < 0.5:
        return {"kill_at": rng.uniform(0, 1.2 * timing.total)}
    return {"kill_after_change": rng.uniform(0, 2 * timing.span + 0.002), "kill_at": 60.0}


# ---- the build: a site in two versions -------------------------------------------------------------

def approve_everything(root: Path) -> None:
    """Every voice of every post approved, in-process through roundup's own approvals.record
    (what `roundup approve` calls; the killed approvals below go through the CLI)."""
    from roundup.approvals import record
    from roundup.validate import load_site
    site = load_site(root.resolve())
    for post in site.posts:
        for quote in post.quotes:
            record(site, post, quote.contributor_id, "approved")


def many_posts(root: Path) -> Site:
    site = Site(root)
    site.config(title="The Old Title")
    for i in range(POSTS):
        site.add_post(f"post-{i:02d}", [f"c{(2 * i + j) % 40:02d}" for j in range(2)], tags=[f"tag-{i % 5}"],
                      summary=f"Post number {i}.")
    approve_everything(root)
    return site


class Versions:
    """One site folder switched between version a and version b (b: another title, one post fewer)."""

    GONE = "posts/post-00"

    def __init__(self, a: Site, b: Site, stash: Path):
        self.site, self.stash = a, stash
        self.config = {"a": (a.root / "site.yml").read_bytes(), "b": (b.root / "site.yml").read_bytes()}

    def become(self, version: str) -> None:
        self.site.write("site.yml", self.config[version])
        post, hidden = self.site.root / self.GONE, self.stash / Path(self.GONE).name
        if version == "b" and post.exists():
            post.rename(hidden)
        elif version == "a" and hidden.exists():
            hidden.rename(post)


def difference(got: dict[str, bytes], want: dict[str, bytes]) -> str:
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    changed = sorted(p for p in set(got) & set(want) if got[p] != want[p])
    return f"{len(missing)} missing {missing[:3]}, {len(extra)} extra {extra[:3]}, {len(changed)} differ {changed[:3]}"


def test_killed_builds_leave_the_old_or_the_new_site_whole(tmp_path: Path):
    """BUILD_TRIALS builds of the other version, each SIGKILLed at a random moment: `_site` is
    always byte for byte the whole old site or the whole new one; both happen, often."""
    a = many_posts(tmp_path / "a")
    shutil.copytree(a.root, tmp_path / "b")
    b = Site(tmp_path / "b")
    b.config(title="The New Title")
    shutil.rmtree(b.root / Versions.GONE)
    trees = {}
    for version, site in (("a", a), ("b", b)):
        site.build("--quiet")
        trees[version] = site.output_files()
    assert trees["a"] != trees["b"] and len(trees["a"]) > 100

    stash = tmp_path / "stash"
    stash.mkdir()
    versions = Versions(a, b, stash)  # the trials run in a's folder; b's stays as built
    current = "a"

    def build(**plan: float) -> tuple[Run, str]:
        nonlocal current
        target = "b" if current == "a" else "a"
        versions.become(target)
        run = watch(a.root, ("build", "--quiet"), stats(a.root, a.out), pause=0.0005, **plan)
        assert run.killed or run.returncode == 0, f"build failed:\n{run.stderr}"
        got = tree_bytes(a.out)
        outcome = next((name for name, v in (("old", current), ("new", target)) if got == trees[v]), None)
        assert outcome, (f"build {run.story(plan)}: _site is neither the old site (version {current}: "
                         f"{difference(got, trees[current])}) nor the new one (version {target}: "
                         f"{difference(got, trees[target])})")
        if outcome == "new":
            current = target
        return run, outcome

    timing = Timing.of([build()[0] for _ in range(2)])
    rng = random.Random(SEED)
    landed: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for _ in range(BUILD_TRIALS):
        run, outcome = build(**kill_plan(rng, timing))
        landed[run.landed] += 1
        outcomes[(run.landed, outcome)] += 1
    print(f"\nbuild: {timing}; kills landed {dict(landed)}; outcomes {dict(outcomes)}")

    old = sum(n for (_, o), n in outcomes.items() if o == "old")
    assert old >= 5 and BUILD_TRIALS - old >= 5, f"both outcomes must happen: {dict(outcomes)}"
    assert landed["while writing"] >= BUILD_TRIALS // 6, f"too few kills while writing: {dict(landed)}"
    assert outcomes[("while writing", "old")] >= 3, f"too few kills before the swap: {dict(outcomes)}"
    build()  # the next build cleans up what the killed ones left
    assert sorted(p.name for p in a.root.iterdir() if p.name.startswith("._site")) == []


# ---- approvals ----------------------------------------------------------------------------------------

def parsed(data: bytes | None, where: str) -> dict[Any, Any]:
    assert data is not None, f"{where}: approvals.yml is missing"
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise AssertionError(f"{where}: approvals.yml does not parse ({len(data)} bytes): {exc}") from None
    assert isinstance(doc, dict), (f"{where}: approvals.yml holds {type(doc).__name__}, not a mapping "
                                   f"({len(data)} bytes)")
    return doc


def assert_holds(data: bytes | None, recorded: set[str], where: str) -> None:
    doc = parsed(data, where)
    missing = sorted(c for c in recorded if not (isinstance(doc.get(c), dict) and "approved_at" in doc[c]))
    assert not missing, f"{where}: approvals.yml lost {missing}, approved earlier"


def test_killed_approvals_keep_the_record_whole(tmp_path: Path):
    """APPROVE_TRIALS approvals, each SIGKILLed at a random moment: approvals.yml, as seen after
    the kill and at every moment it was seen changing, parses and holds every approval that
    completed before; `roundup status` agrees; the killed approval is either recorded or not."""
    site = Site(tmp_path / "site")
    site.config()
    voices = [f"v{i:02d}" for i in range(12)]
    site.add_post("big", {v: f"{v}: {LONG}\n" for v in voices})
    path = site.root / "posts" / "big" / "approvals.yml"
    recorded: set[str] = set()

    def approve(voice: str, **plan: float) -> tuple[Run, str]:
        before = read_or_none(path)
        run = watch(site.root, ("approve", voice, "big"), stats(path.parent, path),
                    read=lambda: read_or_none(path), pause=0.0001, **plan)
        assert run.killed or run.returncode == 0, f"approve failed:\n{run.stderr}"
        for i, data in enumerate(run.seen):
            if data is not None:
                assert_holds(data, recorded, f"change {i + 1} seen during approve {voice} {run.story(plan)}")
        after = read_or_none(path)
        assert_holds(after, recorded, f"after approve {voice} {run.story(plan)}")
        if not run.killed or after != before:  # recorded now: every later state must keep it
            assert_holds(after, {voice}, f"after approve {voice} changed the file")
            recorded.add(voice)
        states = site.states("big")  # exits 0, or the helper fails
        assert {v: states.get(v) for v in recorded} == dict.fromkeys(recorded, "approved"), states
        return run, "old" if after == before else "new"

    timing = Timing.of([approve(v)[0] for v in voices[:2]])
    rng = random.Random(SEED)
    landed: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for trial in range(APPROVE_TRIALS):
        run, outcome = approve(voices[trial % len(voices)], **kill_plan(rng, timing))
        landed[run.landed] += 1
        outcomes[(run.landed, outcome)] += 1
    leftovers = len(list(path.parent.glob(".approvals.yml.*")))
    print(f"\napprove: {timing}; kills landed {dict(landed)}; outcomes {dict(outcomes)}; "
          f"{leftovers} temporary files left beside approvals.yml")

    old = sum(n for (_, o), n in outcomes.items() if o == "old")
    assert old >= 3 and APPROVE_TRIALS - old >= 3, f"both outcomes must happen: {dict(outcomes)}"
    assert landed["while writing"] >= 5, f"too few kills while writing: {dict(landed)}"


def test_approvals_started_at_once_are_all_recorded(tmp_path: Path):
    """ROUNDS times, one `roundup approve` per voice of a post, all started at once: every one is
    recorded (without the lock around read-modify-write, some would overwrite others)."""
    site = Site(tmp_path / "site")
    site.config()
    slugs = [f"round-{r}" for r in range(ROUNDS)]
    for slug in slugs:
        site.add_post(slug, {v: f"{v}: {LONG}\n" for v in VOICES})
    for slug in slugs:
        procs = [launch(site.root, "approve", v, slug, capture=True) for v in VOICES]
        results = [(p.communicate(timeout=300), p.returncode) for p in procs]
        for ((_, err), code), v in zip(results, VOICES):
            assert code == 0, f"approve {v} {slug} failed:\n{err.decode()}"
        doc = parsed(read_or_none(site.root / "posts" / slug / "approvals.yml"), slug)
        lost = sorted(set(VOICES) - set(doc))
        assert not lost, f"{slug}: approvals of {lost} were lost ({len(VOICES)} approvals, all exited 0)"
        assert site.states(slug) == dict.fromkeys(VOICES, "approved")
