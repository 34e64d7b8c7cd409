"""What a build tells the user: each withheld post and why (a screenful at most), then one summary line."""

from __future__ import annotations

from roundup.build import BuildReport
from roundup.gate import Held, Inclusion
from roundup.statustable import table
from roundup.words import count

SCREEN = 40
"""Lines of posts the build summary shows at most; past that it counts the rest and points to `status`."""


def build_summary(report: BuildReport, quiet: bool = False) -> list[str]:
    """Each withheld post and why (a screenful at most), then one line: published, withheld, files written,
    time. Quiet keeps only the withheld posts: a page the user expects may be missing."""
    lines = _screenful(report)
    if quiet:
        return lines
    drafts = " (with drafts: not for deploying)" if report.drafts else ""
    earlier = f" ({len(report.live)} in an earlier approved version)" if report.live else ""
    return lines + [f"Built {report.output.name}/ in {report.seconds:.2f} s{drafts}: "
                    f"{count(report.published, 'post')} published{earlier}, {len(report.withheld)} withheld, "
                    f"{count(report.written, 'file')} written, "
                    f"{report.pages - report.written} unchanged."]


def _screenful(report: BuildReport) -> list[str]:
    """The posts' lines while they fit on a screen; then how many posts were left out, and where to see them
    (the lines of the posts left out are never made: a site from outside may have thousands)."""
    held = report.live + report.withheld + report.cancelled
    lines: list[str] = []
    for shown, post in enumerate(held):
        block = _lines(post, report.drafts)
        if len(lines) + len(block) > SCREEN - 1 and len(held) - shown > 1:
            waiting = sum(len(h.pending) for h in held[shown:] if h.inclusion is not Inclusion.CANCELLED)
            return lines + [f"  … and {count(len(held) - shown, 'more post')} ({count(waiting, 'voice')} waiting): "
                            "`roundup status` lists every one"]
        lines += block
    return lines


def _lines(held: Held, drafts: bool) -> list[str]:
    if held.inclusion is Inclusion.LIVE:
        return [f"  live       {held.slug}: {held.live_summary}"]
    if held.inclusion is Inclusion.CANCELLED:
        return [f"  cancelled  {held.slug}: taken down: {held.down}"]
    return withheld_lines(held, drafts)


def withheld_lines(held: Held, drafts: bool = False) -> list[str]:
    shown = " (rendered with a draft banner)" if drafts else ""
    reasons = [f"taken down: {held.down}"] if held.down else []
    reasons += held.reasons
    if held.pending:
        reasons.append(f"waiting for {len(held.pending)} of {count(held.voices, 'voice')}")
    lines = [f"  withheld   {held.slug}{shown}: {'; '.join(reasons)}"]
    rows = [[cid, state, reason.removeprefix(state + " ")] for cid, state, reason in held.pending]
    return lines + table(rows, indent="               ")
