"""The build pipeline: load → validate → assess approvals → render → write, gathering before writing."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from roundup import live as live_version
from roundup import parallel, rows
from roundup.cache import Cache, fingerprint
from roundup.errors import Problem, Problems, RoundupError
from roundup.gate import Held, Inclusion, PostStatus, assess_site
from roundup.model import Site
from roundup.progress import SILENT, Progress
from roundup.render import render_site
from roundup.validate import load_site
from roundup.write import Output, tidy


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did, for the summary the CLI prints."""

    output: Path
    published: int
    withheld: tuple[Held, ...]
    """Withheld and draft posts (shown with --drafts, left out otherwise), with who is pending."""
    live: tuple[Held, ...]
    """Posts online in their last fully approved version while a newer one waits (counted as published)."""
    cancelled: tuple[Held, ...]
    """Cancelled posts that every voice had approved: taken down (they are not shown any more)."""
    pages: int
    written: int
    """Files the build wrote; the other files were already published as they are."""
    seconds: float
    drafts: bool


def prepare(root: Path, drafts: bool = False, progress: Progress = SILENT, copies: bool = False,
            cache: Cache | None = None, workers: int = 1, previous: Output | None = None,
            later: bool = False, spool: bool = False) -> tuple[Site, tuple[PostStatus, ...], Output]:
    """Everything a build would write, validated and rendered in memory (`copies`: see `assess_site`).
    With `cache`, what is unchanged since it was saved is reused, as are pages of the `previous` build
    made from the same inputs; the rest is done on `workers` processes (with `later`, pages are rendered
    when first asked for; with `spool`, they go to disk as they are made: see `render_site`)."""
    site = load_site(root, progress, cache.folders if cache else None, workers)
    problems = Problems()
    statuses = assess_site(site, problems, progress, copies, cache.folders.entries if cache else None,
                           cache.assessed if cache else None)
    problems.raise_if_any()
    return site, statuses, render_site(site, statuses, drafts, progress, cache.reuse(previous) if cache else None,
                                       workers, later, spool)


def assemble(plan: rows.Plan, cache: Cache, progress: Progress = SILENT, previous: Output | None = None,
             later: bool = False, spool: bool = False) -> tuple[Site, tuple[PostStatus, ...], Output]:
    """The build `plan` makes from the site's index: each post whose row is current is kept, the others are
    read (from `cache` where their folders are unchanged) and assessed, and every page is rendered or kept (from
    the published output, or from the `previous` build of `serve`). `later` and `spool`: see `render_site`."""
    site, statuses = plan.read(cache, progress, parallel.workers())
    reuse = replace(cache.reuse(previous), cards=plan.cards(), stored=rows.Stored(plan.root, plan.drafts))
    return site, statuses, render_site(site, statuses, plan.drafts, progress, reuse, parallel.workers(), later, spool)


def build(root: Path, drafts: bool = False, strict: bool = False, progress: Progress = SILENT,
          use_cache: bool = True) -> BuildReport:
    """Build the site; with `strict`, a withheld post fails the build and the old output stays. The cache
    in .roundup/cache/ makes a rebuild redo only what changed, and nothing when no input did;
    `use_cache=False` builds from nothing."""
    started = time.perf_counter()
    root = root.resolve()
    cache = Cache.load(root) if use_cache else Cache()
    inputs = fingerprint(root, drafts, cache)
    try:
        report = cache.report if cache.inputs == inputs and cache.published_untouched() else None
        if report is None:
            plan = rows.plan(root, drafts, cache.folders.scanned, keep=use_cache, listed=cache.folders.scanned)
            site, statuses, output = assemble(plan, cache, progress, spool=True)
            report = _report(site, statuses, plan, len(output), drafts)
        if strict and (report.withheld or report.live):
            if report is not cache.report:
                output.discard()
            raise RoundupError([_withheld_problem(s) for s in report.withheld + report.live])
        if report is cache.report:  # the published site is this build already
            tidy(report.output)
            report = replace(report, written=0)
        else:
            _keep_live(site, statuses, output)
            output.commit(site.config.output, progress, cache.ledger, cache.spare(root))
            report = replace(report, written=output.written)
            plan.record(statuses, cache.views)
            del site, statuses, output  # the pages are written: their bytes and views need not outlive this
            cache.forget_objects()
            cache.inputs, cache.report = inputs, report
            cache.save(root)
    finally:
        progress.clear()
    return replace(report, seconds=time.perf_counter() - started)


def _keep_live(site: Site, statuses: tuple[PostStatus, ...], output: Output) -> None:
    """Keep each post this build publishes as it is as its live version (published.yml), where that is not it
    already: however the post became complete (a last approval, a voice taken out of `voices`, an edit undone),
    a later edit never takes it offline. Posts kept from their rows were kept by the build that made the row
    (see `rows.Built.to_keep`). A file that cannot be written fails the build before anything is published."""
    for status in statuses:
        try:
            live_version.keep(site, status)
        except OSError as error:
            output.discard()
            path = live_version.path_of(site.config.root, status.post).relative_to(site.config.root).as_posix()
            raise RoundupError([Problem(path, None, f"could not be written ({error.strerror or error}), so the "
                                        "build stopped before publishing anything: make the post's folder "
                                        "writable and build again")]) from error


def _report(site: Site, statuses: tuple[PostStatus, ...], plan: rows.Plan, pages: int, drafts: bool) -> BuildReport:
    """The summary of a build: the posts it read, and those it kept from their rows, in the site's order."""
    held = {s.post.slug: (s.post.date.isoformat(), Held.of(s)) for s in statuses if s.inclusion in rows.HELD}
    held.update((slug, (built.date, built.held)) for slug, built in plan.kept.items() if built.held is not None)
    ordered = [h for _, h in sorted(sorted(held.values(), key=lambda d: d[1].slug), key=lambda d: d[0], reverse=True)]
    published = sum(s.inclusion in (Inclusion.PUBLISHED, Inclusion.LIVE) for s in statuses) + sum(
        built.inclusion in (Inclusion.PUBLISHED, Inclusion.LIVE) for built in plan.kept.values())
    return BuildReport(site.config.output, published,
                       tuple(h for h in ordered if h.inclusion in (Inclusion.WITHHELD, Inclusion.DRAFT)),
                       tuple(h for h in ordered if h.inclusion is Inclusion.LIVE),
                       tuple(h for h in ordered if h.inclusion is Inclusion.CANCELLED and h.down),
                       pages, 0, 0.0, drafts)


def _withheld_problem(held: Held) -> Problem:
    if held.inclusion is Inclusion.LIVE:
        return Problem(held.source, None, f"waiting (--strict): live: {held.live_summary}")
    reasons = list(held.reasons)
    if held.down:
        reasons.append(f"taken down: {held.down}")
    if held.pending:
        reasons.append("waiting for " + "; ".join(f"{cid} ({reason})" for cid, _, reason in held.pending))
    return Problem(held.source, None, f"withheld (--strict): {'; '.join(reasons)}")
