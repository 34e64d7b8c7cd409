"""The build pipeline: load → validate → assess approvals → render → write, gathering before writing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from roundup.errors import Problem, Problems, RoundupError
from roundup.gate import Inclusion, PostStatus, assess_site
from roundup.model import Site
from roundup.progress import SILENT, Progress
from roundup.render import render_site
from roundup.validate import load_site
from roundup.write import Output


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did, for the summary the CLI prints."""

    site: Site
    statuses: tuple[PostStatus, ...]
    pages: int
    seconds: float
    drafts: bool

    def by(self, *inclusions: Inclusion) -> tuple[PostStatus, ...]:
        return tuple(s for s in self.statuses if s.inclusion in inclusions)


def prepare(root: Path, drafts: bool = False, progress: Progress = SILENT,
            copies: bool = False) -> tuple[Site, tuple[PostStatus, ...], Output]:
    """Everything a build would write, validated and rendered in memory (`copies`: see `assess_site`)."""
    site = load_site(root, progress)
    problems = Problems()
    statuses = assess_site(site, problems, progress, copies)
    problems.raise_if_any()
    return site, statuses, render_site(site, statuses, drafts, progress)


def build(root: Path, drafts: bool = False, strict: bool = False, progress: Progress = SILENT) -> BuildReport:
    """Build the site; with `strict`, a withheld post fails the build and the old output stays."""
    started = time.perf_counter()
    try:
        site, statuses, output = prepare(root, drafts, progress)
        if strict:
            withheld = [s for s in statuses if s.inclusion in (Inclusion.WITHHELD, Inclusion.DRAFT)]
            if withheld:
                raise RoundupError([_withheld_problem(s) for s in withheld])
        output.commit(site.config.output, progress)
    finally:
        progress.clear()
    return BuildReport(site, statuses, len(output), time.perf_counter() - started, drafts)


def _withheld_problem(status: PostStatus) -> Problem:
    reasons = list(status.post_reasons)
    if status.pending:
        reasons.append("waiting for " + "; ".join(f"{v.contributor_id} ({v.reason})" for v in status.pending))
    return Problem(status.post.source, None, f"withheld (--strict): {'; '.join(reasons)}")
