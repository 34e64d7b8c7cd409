"""Progress of a long build on a terminal: one line, redrawn in place, gone when the build ends."""

from __future__ import annotations

import time
from typing import TextIO

DELAY = 0.3
"""Seconds before the line first appears: a quick build shows none."""
INTERVAL = 0.1
"""At most ten redraws a second."""


class Progress:
    """Called as `progress("rendering posts", done, total)`; silent when disabled or not yet due."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = False) -> None:
        self.stream = stream
        self.enabled = bool(enabled and stream is not None)
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self.shown = False

    @classmethod
    def on_terminal(cls, stream: TextIO, quiet: bool = False) -> Progress:
        """Enabled only when `stream` is a terminal and the user did not ask for quiet."""
        return cls(stream, enabled=not quiet and stream.isatty())

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < DELAY or (now - self.drawn_at < INTERVAL and done < total):
            return
        self.drawn_at = now
        self.shown = True
        self._draw(f"{label} {done}/{total}")

    def clear(self) -> None:
        """Erase the line, so what follows starts on a clean one."""
        if self.shown:
            self._draw("")
            self.shown = False

    def _draw(self, text: str) -> None:
        assert self.stream is not None
        self.stream.write(f"\r\033[K{text}")
        self.stream.flush()


SILENT = Progress()
"""For callers that show no progress (serve, check, previews)."""
