"""What a build tells the user: each withheld post and why (a screenful at most), then one summary line."""

from __future__ import annotations

from roundup.build import BuildReport
from roundup.gate import Inclusion, PostStatus
from roundup.statustable import table, why
from roundup.words import count

SCREEN = 40
"""Lines of posts the build summary shows at most; past that it counts the rest and points to `status`."""


def build_summary(report: BuildReport, quiet: bool = False) -> list[str]:
    """Each withheld post and why (a screenful at most), then one line: published, withheld, files written,
    time. Quiet keeps only the withheld posts: a page the user expects may be missing."""
    blocks = [[f"  live       {s.post.slug}: {s.live_summary}"] for s in report.live]
    blocks += [withheld_lines(status, report.drafts) for status in report.withheld]
    blocks += [[f"  cancelled  {s.post.slug}: taken down: {s.down}"] for s in report.cancelled]
    lines = _screenful(blocks, report)
    if quiet:
        return lines
    drafts = " (with drafts: not for deploying)" if report.drafts else ""
    earlier = f" ({len(report.live)} in an earlier approved version)" if report.live else ""
    return lines + [f"Built {report.output.name}/ in {report.seconds:.2f} s{drafts}: "
                    f"{count(report.published, 'post')} published{earlier}, {len(report.withheld)} withheld, "
                    f"{count(report.written, 'file')} written, "
                    f"{report.pages - report.written} unchanged."]


def _screenful(blocks: list[list[str]], report: BuildReport) -> list[str]:
    """The posts' lines while they fit on a screen; then how many posts were left out, and where to see them."""
    lines: list[str] = []
    for shown, block in enumerate(blocks):
        if len(lines) + len(block) > SCREEN - 1 and len(blocks) - shown > 1:
            rest = report.live + report.withheld + report.cancelled
            waiting = sum(len(s.pending) for s in rest[shown:] if s.inclusion is not Inclusion.CANCELLED)
            return lines + [f"  … and {count(len(blocks) - shown, 'more post')} ({count(waiting, 'voice')} waiting): "
                            "`roundup status` lists every one"]
        lines += block
    return lines


def withheld_lines(status: PostStatus, drafts: bool = False) -> list[str]:
    shown = " (rendered with a draft banner)" if drafts else ""
    reasons = [f"taken down: {status.down}"] if status.down else []
    reasons += status.post_reasons
    if status.pending:
        reasons.append(f"waiting for {len(status.pending)} of {count(len(status.voices), 'voice')}")
    lines = [f"  withheld   {status.post.slug}{shown}: {'; '.join(reasons)}"]
    rows = [[v.contributor_id, v.state.value, why(v)] for v in status.pending]
    return lines + table(rows, indent="               ")
