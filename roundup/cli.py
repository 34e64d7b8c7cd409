"""The command line: parse arguments, call one pipeline function, print, return an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from roundup import __version__
from roundup.errors import Problems, RoundupError, UsageError
from roundup.fields import ID_RE
from roundup.gate import Inclusion, PostStatus
from roundup.validate import find_site, load_config
from roundup.words import count, id_advice

if TYPE_CHECKING:
    from roundup import consent

# Each command imports what it runs: a command pays only for its own modules (Jinja2, the mail parsers,
# the HTTP server...), which at every start of `status` or `approve` is a good part of a second.


def cmd_build(args: argparse.Namespace) -> int:
    from roundup.build import build
    from roundup.progress import Progress
    from roundup.report import build_summary

    progress = Progress.on_terminal(sys.stderr, quiet=args.quiet)
    report = build(args.site, drafts=args.drafts, strict=args.strict, progress=progress)
    lines = build_summary(report, quiet=args.quiet)
    if lines:
        print("\n".join(lines))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from roundup.build import prepare
    from roundup.validate import check_languages

    site, statuses, output = prepare(args.site, drafts=True, copies=True)
    check_languages(site)
    publish = sum(s.inclusion in (Inclusion.PUBLISHED, Inclusion.LIVE) for s in statuses)
    print(f"No problems in {count(len(site.posts), 'post')} and {count(len(site.contributors), 'contributor')}; "
          f"{publish} would publish, {len(statuses) - publish} would not.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from roundup.status import site_status

    print("\n".join(site_status(args.site, args.post)))
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    """approve / decline <contributor> <slug>, or approve --token TOKEN."""
    from roundup import consent
    from roundup.cache import read_site

    decision = "approved" if args.command == "approve" else "out" if getattr(args, "not_taking_part", False) \
        else "declined"
    if getattr(args, "token", None):
        if args.contributor or args.slug:
            raise UsageError("usage: roundup approve --token TOKEN (no contributor or slug with a token)")
        status, contributor = consent.approve_token(args.site, args.token)
    elif not (args.contributor and args.slug):
        raise UsageError(f"usage: roundup {args.command} <contributor> <slug>"
                         + (" | roundup approve --token TOKEN" if decision == "approved" else ""))
    else:
        site, contributor = read_site(args.site), args.contributor
        post = site.post(args.slug)
        reason = consent.comment_of(site, post, contributor) if getattr(args, "reason_from_comment", False) \
            else getattr(args, "reason", None)
        status = consent.answer(site, post, contributor, decision, reason=reason)
    said = {"approved": "approved their voice in", "declined": "asked for changes to their voice in",
            "out": "is not taking part in"}[decision]
    print(f"Recorded: {contributor} {said} {status.post.slug}.")
    print(after_answer(status))
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
    from roundup import consent

    sent = consent.preview(args.site, args.contributor, args.post, args.send)
    for slug in sent.cancelled:
        print(f"No preview for {slug}: it is cancelled (status: cancelled in posts/{slug}/post.md).")
    if not sent.written:
        for line in sent.skipped:
            print(f"  {line}")
        whose = args.contributor or f"the voices of {args.post}"
        print(f"Nothing else to preview for {whose}." if sent.cancelled or sent.skipped else
              f"Nothing to preview: every voice of {args.contributor} is approved and current." if args.contributor
              else f"Nothing to preview: every voice of {args.post} is approved and current.")
        return 0
    return report_sent(sent, args.send, kept=True)


def cmd_ask(args: argparse.Namespace) -> int:
    """invite <slug> / remind [<slug>]."""
    from roundup import outreach

    if args.command == "invite":
        sent = outreach.invite(args.site, args.slug, args.contributor, args.send)
    else:
        sent = outreach.remind(args.site, args.slug, args.send)
    if not sent.written:
        for line in sent.skipped:
            print(f"  {line}")
        print("Nobody to invite." if args.command == "invite" else "No reminder is due.")
        return 0
    return report_sent(sent, args.send, kept=True)


def cmd_inbox(args: argparse.Namespace) -> int:
    from roundup import inbox  # the mail parsers load only for this command
    source = inbox.Source(args.maildir, args.mbox, args.imap)
    inbox.require_source(source)
    for line in inbox.run(args.site, source, args.dry_run):
        print(line, flush=True)
    return 0


def cmd_notice(args: argparse.Namespace) -> int:
    """cancel / thank <slug>."""
    from roundup import consent

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


def report_sent(sent: consent.Sent, delivered: bool, kept: bool = False) -> int:
    """One line per message (written now, or by an earlier run and never sent; with --send, whether it went),
    then what was sent in all. `kept`: roundup remembers what it wrote and did not send (invite, preview,
    remind), and a later --send sends it."""
    for line in sent.skipped:
        print(f"  {line}")
    for item in sent.written:
        files = ", ".join(str(p) for p in (item.page, item.path) if p)
        mid = str(item.message["Message-ID"])
        did = f"{files}, as written earlier" if mid in sent.earlier else f"wrote {files}"
        went = f"; sent to {item.message['To'].addresses[0].addr_spec}" if mid in sent.sent else ""
        print(f"  {item.contributor_id}: {did}{went}")
    unsent = list(dict.fromkeys(item.contributor_id for item in sent.written
                                if str(item.message["Message-ID"]) not in sent.sent))
    if not delivered:
        for cid in sent.no_email:
            print(f"  {cid} has no `email`, so --send cannot deliver their message: add `email:` to "
                  f"contributors/{cid}.yml", file=sys.stderr)
        print(f"Nothing was sent. Written, not sent: {', '.join(unsent)}: send them with --send, or send the files "
              "yourself." if kept else "Nothing was sent; add --send to deliver the messages.")
        return 0
    for line in sent.failures:
        print(f"  not sent: {line}", file=sys.stderr)
    if sent.setting:
        print(sent.setting, file=sys.stderr)
    print(f"Sent {len(sent.sent)} of {count(len(sent.written), 'message')}.")
    if kept and unsent:
        print(f"Written, not sent: {', '.join(unsent)}: send them with --send, or send the files yourself.")
    return 1 if sent.failures else 0


def cmd_new(args: argparse.Namespace) -> int:
    from roundup import scaffold

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
            problems.add("", None, id_advice(value, what))
    problems.raise_if_any()


def require_config(root: Path) -> None:
    problems = Problems()
    load_config(root.resolve(), problems)
    problems.raise_if_any()


CONTRIBUTOR_HELP = "the contributor's id: the name of their profile, contributors/<id>.yml"
SLUG_HELP = "the post's slug: the name of its folder, posts/<slug>/"
SEND_HELP = "also deliver the messages over SMTP (the `mail` settings in site.yml)"
WHERE = "(_previews/ is the `previews` folder set in site.yml)"


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

    def command(name: str, func, help_text: str, description: str | None = None, **kw) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=description or help_text, **kw)
        p.set_defaults(func=func)
        return p

    _site_commands(command)
    _consent_commands(command)
    p = command("serve", cmd_serve, "serve the site with drafts, rebuilding and reloading on every change")
    p.add_argument("--port", type=int, default=8000, help="default 8000; 0 picks a free port")
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    p.add_argument("--open", action="store_true", help="open the site in a browser")
    p = command("new", cmd_new, "create a site, a post or a contributor profile",
                "create a site (site.yml, contributors/, posts/), a post (posts/<slug>/post.md) or a contributor "
                "profile (contributors/<id>.yml); nothing is ever overwritten")
    p.add_argument("kind", choices=("site", "post", "contributor"), help="what to create")
    p.add_argument("name", nargs="?", help="the post's slug or the contributor's id (none for a site)")
    return top


def _site_commands(command) -> None:
    """build, check, status."""
    p = command("build", cmd_build, "build the site into the output folder")
    p.add_argument("--drafts", action="store_true", help="also render withheld posts, with a banner")
    p.add_argument("--strict", action="store_true", help="fail (exit 1) when any post is withheld")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary; only problems "
                                                              "and withheld posts")
    command("check", cmd_check, "validate every input without writing anything")
    p = command("status", cmd_status, "show each voice's approval and what a build would publish")
    p.add_argument("--post", metavar="SLUG", help="only this post")


def _consent_commands(command) -> None:
    """approve, decline, preview, cancel, thank."""
    approve = command("approve", cmd_answer, "record that a contributor approved their voice as it is now",
                      usage="%(prog)s <contributor> <slug> [--site DIR]\n       %(prog)s --token TOKEN [--site DIR]")
    decline = command("decline", cmd_answer, "record that a contributor asked for changes to their voice",
                      "record that a contributor asked for changes to their voice; the post is withheld until "
                      "they approve a new version")
    for p in (approve, decline):
        p.add_argument("contributor", nargs="?", help=CONTRIBUTOR_HELP)
        p.add_argument("slug", nargs="?", help=SLUG_HELP)
    approve.add_argument("--token", help="the token from the contributor's preview, instead of <contributor> <slug>")
    reason = decline.add_mutually_exclusive_group()
    reason.add_argument("--reason", metavar="TEXT", help="what they asked to change")
    reason.add_argument("--reason-from-comment", action="store_true",
                        help="their last comment read by `roundup inbox` is the reason")
    decline.add_argument("--not-taking-part", action="store_true",
                         help="record that they are not taking part (instead of asking for changes)")
    p = command("preview", cmd_preview, "write (and --send) a private preview for each voice of theirs "
                "awaiting approval", "for each post where the contributor's approval is missing or stale, write "
                "the private preview page _previews/<contributor>/<slug>.html and the message to them, with the "
                f"page attached, _previews/<contributor>/<slug>.eml {WHERE}")
    p.add_argument("contributor", nargs="?", help=CONTRIBUTOR_HELP + " (none with --post: every voice of the post "
                   "awaiting approval)")
    p.add_argument("--post", metavar="SLUG", help="only this post")
    p.add_argument("--send", action="store_true", help=SEND_HELP)
    _mail_commands(command)
    cancel = command("cancel", cmd_notice, "mark a post cancelled and tell every contributor in it",
                     "set `status: cancelled` in posts/<slug>/post.md and write a notice to every contributor "
                     f"in it, _previews/<contributor>/<slug>.cancelled.eml {WHERE}")
    thank = command("thank", cmd_notice, "thank every contributor of a published post, with their voice's link",
                    "write a thank-you to every contributor of a published post, with the link to their voice "
                    f"and a line to share, _previews/<contributor>/<slug>.thanks.eml {WHERE}")
    for p in (cancel, thank):
        p.add_argument("slug", help=SLUG_HELP)
        p.add_argument("--send", action="store_true", help=SEND_HELP)
    cancel.add_argument("--reason", metavar="TEXT", help="why, quoted in the notice to each contributor")


def _mail_commands(command) -> None:
    """invite, remind, inbox."""
    p = command("invite", cmd_ask, "invite each voice of a post not answered yet to answer its question",
                "write a personal invitation to each voice listed in `voices` whose quote is not written yet, "
                f"_previews/<contributor>/<slug>-invitation.eml {WHERE}; each is invited once (an invitation written "
                "without --send is sent, as it was written, by the next --send)")
    p.add_argument("slug", help=SLUG_HELP)
    p.add_argument("--contributor", metavar="ID", help="only this contributor")
    p.add_argument("--send", action="store_true", help=SEND_HELP)
    p = command("remind", cmd_ask, "remind the voices still waiting to answer, at most every `remind_every` days",
                "write a short reminder to each voice invited or previewed with no answer yet, "
                f"_previews/<contributor>/<slug>-reminder.eml {WHERE}; at most one every `remind_every` days "
                "(site.yml, default 3; with --send, since roundup last sent them something, and a reminder written "
                "without --send is sent at once), never after an answer, never for a cancelled post")
    p.add_argument("slug", nargs="?", help=SLUG_HELP + " (default: every post)")
    p.add_argument("--send", action="store_true", help=SEND_HELP)
    p = command("inbox", cmd_inbox, "read the replies: answers, approvals, change requests",
                "read replies from a Maildir folder, an mbox file or the IMAP folder of `inbox:` in site.yml: "
                "answers fill quote files, approvals and change requests are recorded in approvals.yml, anything "
                "else is set aside for you; each message once (inbox-handled.txt)")
    p.add_argument("--maildir", type=Path, metavar="DIR", help="a Maildir folder (with cur/ and new/)")
    p.add_argument("--mbox", type=Path, metavar="FILE", help="an mbox file")
    p.add_argument("--imap", action="store_true", help="the IMAP folder set by `inbox:` in site.yml")
    p.add_argument("--dry-run", action="store_true", help="say what each message is, and write nothing")


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
        if exc.exit_code == 1:
            print(f"{count(len(exc.problems), 'problem')}; nothing was written.", file=sys.stderr)
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
