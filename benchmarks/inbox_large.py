"""Time to find codes in, parse, and take roundup's own words out of one large message, at growing sizes: each
step should take about as much longer as the message is larger (linear), never the square of it.

The message is the worst case for finding codes: one distinct, well-formed code on every line. Prints, per
size, the seconds of `tokens.find`, `replies.parse` and `sentmail.Own.strip`, and the ratio to the size
before (about 2 when the size doubles). Run it against any checkout with PYTHONPATH pointing at it.
Usage: python benchmarks/inbox_large.py [--most-mb 5]
"""

from __future__ import annotations

import argparse
import random
import time

from roundup import replies, tokens

ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def body(size: int) -> str:
    """About `size` bytes of lines, each with a distinct well-formed approval code."""
    rng, lines, total = random.Random(1), [], 0
    while total < size:
        lines.append(f"code ru2{''.join(rng.choice(ALPHABET) for _ in range(44))} and more words here")
        total += len(lines[-1]) + 1
    return "\n".join(lines)


def timed(step, *args) -> float:
    started = time.perf_counter()
    step(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--most-mb", type=float, default=5.0)
    most = int(parser.parse_args().most_mb * 2**20)
    try:
        from roundup.sentmail import Own
        strip = Own(["Dear Zoe, I'm putting together a roundup post for Friends of the Blog. " * 20]).strip
    except ImportError:  # a checkout from before roundup took its own words out of replies
        strip = None
    size, before = most // 16, None
    print(f"{'size':>8} {'find s':>8} {'parse s':>8} {'strip s':>8}  find ×")
    while size <= most:
        text = body(size)
        raw = ("From: a@example.org\nSubject: big\nMessage-ID: <big@example.org>\n"
               "Content-Type: text/plain; charset=utf-8\n\n" + text).encode()
        find, parse = timed(tokens.find, text), timed(replies.parse, raw)
        cut = timed(strip, text) if strip else float("nan")
        ratio = f"{find / before:.1f}" if before else "-"
        print(f"{size / 2**20:>6.2f}MB {find:>8.2f} {parse:>8.2f} {cut:>8.2f}  {ratio}")
        before, size = find, size * 2


if __name__ == "__main__":
    main()
