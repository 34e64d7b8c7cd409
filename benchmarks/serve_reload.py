"""Time `roundup serve` live reload: from writing a quote on disk to an open Chromium page showing it.

Generates a site (or uses --site), starts the real `roundup serve` as a subprocess, opens one
post in Chromium, then edits one of its quotes N times. Each time it measures from the moment
before the file is written until the page (reloaded by itself) shows the new words, and prints
the median, min and max, plus the server's own rebuild times when it prints them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# Lets the benchmark wait until a (re)loaded page has its live-reload connection open.
LIVE_JS = "() => document.documentElement.dataset.roundupLive === '1'"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Serve:
    def __init__(self, root: Path, port: int):
        self.url = f"http://127.0.0.1:{port}/"
        self.lines: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "roundup", "serve", "--port", str(port)], cwd=root,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     encoding="utf-8")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, timeout: float) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if any(self.url in line for line in self.lines):
                return time.perf_counter() - started
            if self.proc.poll() is not None:
                raise SystemExit(f"roundup serve exited with {self.proc.returncode}:\n" + "\n".join(self.lines))
            time.sleep(0.02)
        raise SystemExit(f"roundup serve did not print {self.url} within {timeout} s:\n" + "\n".join(self.lines))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def summary(label: str, values: list[float]) -> str:
    return (f"{label:<38} median {statistics.median(values) * 1000:7.0f} ms   "
            f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f}, n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100, help="posts in the generated site (default 100)")
    parser.add_argument("--voices", type=int, default=8)
    parser.add_argument("--contributors", type=int, default=400)
    parser.add_argument("--edits", type=int, default=10, help="edits to time (default 10)")
    parser.add_argument("--site", type=Path, help="use this site instead of generating one (its first post "
                                                   "and that post's first quote are edited, then restored)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds one reload may take")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    temp = None
    if args.site:
        root = args.site.resolve()
    else:
        temp = Path(tempfile.mkdtemp(prefix="roundup-serve-bench-"))
        root = temp / "site"
        started = time.perf_counter()
        generate(root, args.posts, args.voices, args.contributors, approved=False)
        print(f"site: {args.posts} posts × {args.voices} voices, {args.contributors} contributors "
              f"(generated in {time.perf_counter() - started:.1f} s); {os.cpu_count()} cores")
    post = sorted(p for p in (root / "posts").iterdir() if (p / "post.md").is_file())[0]
    quote = sorted((post / "quotes").glob("*.md"))[0]
    original = quote.read_bytes()

    server = Serve(root, free_port())
    times: list[float] = []
    try:
        ready = server.wait_ready(timeout=max(60.0, args.posts * 0.2))
        print(f"serve ready (initial build + start) in {ready:.2f} s")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            page.goto(server.url + f"posts/{post.name}/", wait_until="load")
            for n in range(args.edits):
                page.wait_for_function(LIVE_JS, timeout=args.timeout * 1000)
                time.sleep(0.3)  # let the previous rebuild's file events settle
                words = f"Benchmark edit number {n} at {time.time_ns()}"
                text = original.decode("utf-8").rstrip("\n") + f"\n\n{words}\n"
                started = time.perf_counter()
                quote.write_bytes(text.encode("utf-8"))
                page.wait_for_function("(w) => document.body && document.body.innerText.includes(w)", arg=words,
                                       timeout=args.timeout * 1000)
                times.append(time.perf_counter() - started)
                print(f"  edit {n + 1:>2}: {times[-1] * 1000:6.0f} ms", flush=True)
            browser.close()
    finally:
        quote.write_bytes(original)
        server.stop()
        server.reader.join(2)
        if temp:
            shutil.rmtree(temp, ignore_errors=True)

    rebuilds = [float(m[1]) for line in server.lines[2:] if (m := re.search(r" in ([\d.]+) s\b", line))]
    print(summary("file write -> page shows new words", times))
    if rebuilds:
        print(summary("server's own rebuild time (stdout)", rebuilds))


if __name__ == "__main__":
    main()
