"""The command line: parse arguments, call one pipeline function, print, return an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from roundup import __version__, consent, scaffold
from roundup.build import build, prepare
from roundup.cache import Cache
from roundup.errors import Problems, RoundupError, UsageError
from roundup.fields import ID_RE
from roundup.gate import Inclusion, PostStatus, assess_post, assess_site
from roundup.progress import Progress
from roundup.report import build_summary, status_report
from roundup.validate import find_site, load_config, read_site


def cmd_build(args: argparse.Namespace) -> int:
    progress = Progress.on_terminal(sys.stderr, quiet=args.quiet)
    report = build(args.site, drafts=args.drafts, strict=args.strict, progress=progress)
    lines = build_summary(report, quiet=args.quiet)
    if lines:
        print("\n".join(lines))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    site, statuses, output = prepare(args.site, drafts=True, copies=True)
    publish = sum(s.inclusion in (Inclusion.PUBLISHED, Inclusion.LIVE) for s in statuses)
    print(f"No problems in {len(site.posts)} posts and {len(site.contributors)} contributors; "
          f"{publish} would publish, {len(statuses) - publish} would not.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    cache = Cache.earlier(args.site.resolve())
    site = read_site(args.site, cache)
    if args.post:
        statuses = (assess_post(site, site.post(args.post)),)
    else:
        problems = Problems()
        statuses = assess_site(site, problems, cache=cache)
        problems.raise_if_any()
    print("\n".join(status_report(statuses)))
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    """approve / decline <contributor> <slug>, or approve --token TOKEN."""
    decision = "approved" if args.command == "approve" else "declined"
    if getattr(args, "token", None):
        if args.contributor or args.slug:
            raise UsageError("usage: roundup approve --token TOKEN (no contributor or slug with a token)")
        site, post, contributor = consent.approve_token(args.site, args.token)
    elif not (args.contributor and args.slug):
        raise UsageError(f"usage: roundup {args.command} <contributor> <slug>"
                         + (" | roundup approve --token TOKEN" if decision == "approved" else ""))
    else:
        site, contributor = read_site(args.site), args.contributor
        post = site.post(args.slug)
        consent.answer(site, post, contributor, decision, reason=getattr(args, "reason", None))
    print(f"Recorded: {contributor} {decision} their voice in {post.slug}.")
    print(after_answer(assess_post(site, post)))
    return 0


def after_answer(status: PostStatus) -> str:
    """What an answer means for the post, in one line."""
    slug = status.post.slug
    if status.inclusion is Inclusion.CANCELLED:
        return (f"{slug} is cancelled (status: cancelled in {status.post.source}), so it will not be published; "
                "set `status: ready` to run it after all.")
    if status.inclusion is Inclusion.PUBLISHED:
        return f"Every voice has approved: {slug} publishes on the next build."
    waiting = ", ".join(v.contributor_id for v in status.pending) or f"status {status.post.status}"
    if status.inclusion is Inclusion.LIVE:
        return (f"{slug} stays online in the version approved on {status.live.approved_on.isoformat()}; "
                f"the new version is waiting for: {waiting}.")
    down = f" (taken down: {status.down})" if status.down else ""
    return f"{slug} is still withheld{down}; waiting for: {waiting}."


def cmd_preview(args: argparse.Namespace) -> int:
    sent = consent.preview(args.site, args.contributor, args.post, args.send)
    for slug in sent.cancelled:
        print(f"No preview for {slug}: it is cancelled (status: cancelled in posts/{slug}/post.md).")
    if not sent.written:
        rest = " other" if sent.cancelled else ""
        print(f"Nothing to preview: every{rest} voice of {args.contributor} is approved and current.")
        return 0
    return report_sent(sent, args.send)


def cmd_notice(args: argparse.Namespace) -> int:
    """cancel / thank <slug>."""
    if args.command == "thank":
        return report_sent(consent.thank(args.site, args.slug, args.send), args.send)
    sent = consent.cancel(args.site, args.slug, args.send, args.reason)
    if sent.already:
        print(f"{args.slug} is already cancelled (status: cancelled in posts/{args.slug}/post.md); "
              "no notice was written or sent again.")
        return 0
    print(f"Marked {args.slug} as cancelled (status: cancelled in posts/{args.slug}/post.md).")
    return report_sent(sent, args.send)


def cmd_serve(args: argparse.Namespace) -> int:
    from roundup.serve import serve  # watchdog and the HTTP server load only for this command
    return serve(args.site, args.host, args.port, args.open)


def report_sent(sent: consent.Sent, delivered: bool) -> int:
    for path in sent.written:
        print(f"  wrote {path}")
    if not delivered:
        print("Nothing was sent; add --send to deliver the messages.")
        return 0
    for line in sent.failures:
        print(f"  not sent: {line}", file=sys.stderr)
    messages = sum(1 for p in sent.written if p.suffix == ".eml")
    print(f"Sent {messages - len(sent.failures)} of {messages} messages.")
    return 1 if sent.failures else 0


def cmd_new(args: argparse.Namespace) -> int:
    if args.kind != "site" and not args.name:
        raise UsageError(f"usage: roundup new {args.kind} <{'slug' if args.kind == 'post' else 'id'}>")
    if args.kind == "site":
        print("\n".join(scaffold.new_site(args.site)))
        return 0
    require_config(args.site)  # the rest of the site may be mid-edit: `check` reports that
    made = (scaffold.new_post if args.kind == "post" else scaffold.new_contributor)(args.site, args.name)
    print("Created " + ", ".join(made))
    return 0


ID_ARGUMENTS = {"contributor": "contributor id", "slug": "post slug", "post": "post slug"}


def require_ids(args: argparse.Namespace) -> None:
    """Ids and slugs on the command line become file names: refuse any other text (`..`, `/`) before reading."""
    problems = Problems()
    for key, what in ID_ARGUMENTS.items():
        value = getattr(args, key, None)
        if value is not None and not ID_RE.match(value):
            problems.add("", None, f"{value!r} is not a valid {what}: use lowercase letters, digits and "
                                   "single hyphens, e.g. zoe or tools-we-keep")
    problems.raise_if_any()


def require_config(root: Path) -> None:
    problems = Problems()
    load_config(root.resolve(), problems)
    problems.raise_if_any()


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--site", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                        help="the site folder (default: the one holding site.yml, here or above)")
    top = argparse.ArgumentParser(prog="roundup", description="Collaborative roundup posts, published "
                                  "only with every contributor's approval.")
    top.add_argument("--site", type=Path, default=None, metavar="DIR",
                     help="the site folder (default: the one holding site.yml, here or above)")
    top.add_argument("--version", action="version", version=f"roundup {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = command("build", cmd_build, "build the site into the output folder")
    p.add_argument("--drafts", action="store_true", help="also render withheld posts, with a banner")
    p.add_argument("--strict", action="store_true", help="fail (exit 1) when any post is withheld")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary; only problems "
                                                              "and withheld posts")
    command("check", cmd_check, "validate every input without writing anything")
    p = command("status", cmd_status, "show each voice's approval and what a build would publish")
    p.add_argument("--post", metavar="SLUG", help="only this post")
    for name, verb in (("approve", "record that a contributor approved"),
                       ("decline", "record that a contributor asked for changes")):
        p = command(name, cmd_answer, f"{verb} their voice as it is now")
        p.add_argument("contributor", nargs="?")
        p.add_argument("slug", nargs="?")
        if name == "approve":
            p.add_argument("--token", help="the token from the contributor's preview")
    p.add_argument("--reason", metavar="TEXT", help="what they asked to change")
    p = command("preview", cmd_preview, "write (and --send) a private preview for each voice of theirs "
                                        "awaiting approval")
    p.add_argument("contributor")
    p.add_argument("--post", metavar="SLUG", help="only this post")
    p.add_argument("--send", action="store_true", help="deliver the messages over SMTP (site.yml `mail`)")
    for name, help_text in (("cancel", "mark a post cancelled and tell every contributor in it"),
                            ("thank", "thank every contributor of a published post, with their voice's link")):
        p = command(name, cmd_notice, help_text)
        p.add_argument("slug")
        p.add_argument("--send", action="store_true", help="deliver the messages over SMTP")
        if name == "cancel":
            p.add_argument("--reason", metavar="TEXT", help="why, quoted in the notice to each contributor")
    p = command("serve", cmd_serve, "serve the site with drafts, rebuilding and reloading on every change")
    p.add_argument("--port", type=int, default=8000, help="default 8000; 0 picks a free port")
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    p.add_argument("--open", action="store_true", help="open the site in a browser")
    p = command("new", cmd_new, "create a site, a post or a contributor profile")
    p.add_argument("kind", choices=("site", "post", "contributor"))
    p.add_argument("name", nargs="?", help="the post slug or contributor id")
    return top


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage problem
        return int(exc.code or 0)
    try:
        require_ids(args)
        if args.site is None:  # `new site` starts one here; everything else works on the site we are in
            args.site = Path(".") if args.command == "new" and args.kind == "site" else find_site(Path("."))
        return args.func(args)
    except RoundupError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        if exc.exit_code == 1 and len(exc.problems) > 1:
            print(f"{len(exc.problems)} problems; nothing was written.", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; nothing was changed.", file=sys.stderr)
        return 130


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `roundup status | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
