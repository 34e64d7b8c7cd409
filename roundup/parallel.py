"""Spreading independent pieces of a build over worker processes (forked, so they share what is loaded)."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from typing import Any

PARALLEL_FROM = 64
"""Fewer items than this are done in this process: starting workers would cost more than it saves."""

_TASK: Callable[[Any], Any] | None = None
"""The function workers apply; set before the pool forks, so workers inherit it with all it refers to."""


def workers() -> int:
    """How many processes a build may use: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run(task: Callable[[Any], Any], items: list[Any], processes: int) -> Iterator[Any]:
    """`task` applied to each item, results in order; on `processes` forked workers when there are many
    items (and fork exists), here otherwise. An exception in a worker is raised here."""
    global _TASK
    if processes < 2 or len(items) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(task, items)
        return
    _TASK = task
    gc.freeze()  # the workers share this process's objects: collecting them there would copy every page
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            yield from pool.imap(_apply, items, chunksize=max(1, len(items) // (processes * 16)))
    finally:
        _TASK = None
        gc.unfreeze()


def _apply(item: Any) -> Any:
    assert _TASK is not None
    return _TASK(item)
