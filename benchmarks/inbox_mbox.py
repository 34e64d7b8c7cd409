"""Time and memory of reading an mbox of 100,000 small replies through mailsource.from_mbox, parsing each.

Writes the mbox in a temporary folder (realistic replies: top-posted over a quoted original, some
quoted-printable, some HTML-only, In-Reply-To/References), then reads it in a fresh process, measured
with os.wait4 (seconds, peak resident memory, and the same for a process that only starts and imports,
so the difference is what reading costs), once reading only and once parsing each message too, and the
reading once more in this process under tracemalloc (the most memory Python held at once).
Usage: python benchmarks/inbox_mbox.py [--count N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import email.quoprimime
import email.utils
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

NAMES = ("Zoë Ångström", "Sam Reed", "Lee Park", "Ann Example", "Bob O'Neil", "Chidi Okafor", "Mei Lin", "Jo March")
BODY = ("Happy to join in! Here is my answer:\n\nI started writing because a friend asked me to, and stayed\n"
        "because of the people who wrote back. {n} replies later, it still surprises me.\n\nBest,\n{first}\n")


def reply(n: int) -> bytes:
    """One small reply (1-3 KB), in one of four shapes real clients send."""
    name = NAMES[n % len(NAMES)]
    first = name.split()[0]
    addr = f"{first.lower().replace('ë', 'e')}{n % 97}@example.org"
    head = (f"From: {email.utils.formataddr((name, addr))}\nTo: Ed Itor <ed@example.com>\n"
            f"Subject: Re: A question for our roundup #{n % 50}\nDate: Sat, 22 Nov 2026 10:{n % 60:02d}:00 +0000\n"
            f"Message-ID: <{n}.reply@mail.example.org>\nIn-Reply-To: <invite-{n % 50}@roundup>\n"
            f"References: <invite-{n % 50}@roundup>\nMIME-Version: 1.0\n")
    words = BODY.format(n=n, first=first)
    quoted = "".join(f"> {line}\n" for line in ("Dear friend,", "", "Would you write a paragraph or two for our "
                                                "next roundup?", "", "Thank you, Ed") * 3)
    shape = n % 4
    if shape == 3:
        html = f"<html><body><p>{words.replace(chr(10), '<br>')}</p><blockquote>{quoted}</blockquote></body></html>"
        return (head + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                + html + "\n").encode()
    if shape == 2:
        text = email.quoprimime.body_encode(words + f"\nOn Sat, Nov 22, 2026 Ed Itor wrote:\n{quoted}")
        return (head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                + text + "\n").encode()
    return (head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            + words + f"\nOn Sat, Nov 22, 2026 Ed Itor wrote:\n{quoted}").encode()


def write_mbox(path: Path, count: int) -> None:
    with path.open("wb") as out:
        for n in range(count):
            out.write(b"From roundup@example.org Sat Nov 22 10:00:00 2026\n" + reply(n) + b"\n")


def read(path: Path, parse: bool) -> int:
    """Read every message (and parse it, with `parse`); the number read, for a check."""
    from roundup.mailsource import from_mbox
    from roundup.replies import head_key, parse as parse_reply
    seen = 0
    for incoming in from_mbox(path):
        if parse:
            parse_reply(incoming.raw) if incoming.raw is not None else head_key(incoming.head)
        seen += 1
    return seen


def child(*args: str) -> tuple[float, float, str]:
    """Seconds, peak resident memory (MB) and output of this script run with `args` in a fresh process."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    out = proc.stdout.read().decode().strip()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"reading failed: {out}")
    return seconds, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the mbox here and keep it")
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)  # the measured child
    parser.add_argument("--parse", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--idle", action="store_true", help=argparse.SUPPRESS)  # the baseline child
    args = parser.parse_args()
    if args.idle:
        import roundup.mailsource  # noqa: F401  (the same imports as a reader, nothing read)
        return
    if args.read:
        print(read(args.read, args.parse))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = (args.keep or Path(tmp)) / "replies.mbox"
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_mbox(path, args.count)
        size = path.stat().st_size
        print(f"wrote {args.count:,} messages, {size / 2**20:.1f} MB, in {time.perf_counter() - started:.1f} s")
        idle_s, idle_mb, _ = child("--idle")
        print(f"a process that only starts and imports: {idle_s:.2f} s, {idle_mb:.1f} MB resident")
        for label, flags in (("from_mbox alone", ()), ("from_mbox + replies.parse", ("--parse",))):
            seconds, peak_mb, seen = child("--read", str(path), *flags)
            assert int(seen) == args.count, seen
            print(f"{label}: {seconds:.1f} s ({seconds / args.count * 1e6:.0f} µs a message), "
                  f"peak {peak_mb:.1f} MB resident ({peak_mb - idle_mb:+.1f} MB over the idle process)")
        tracemalloc.start()
        read(path, parse=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"from_mbox alone under tracemalloc: at most {peak / 2**20:.1f} MB held by Python at once")


if __name__ == "__main__":
    main()
