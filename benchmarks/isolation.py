"""Run one benchmark row in a fresh process, so its peak memory is its own and a crash loses only that row."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


def _child(queue: Any, function: Callable[..., Row], args: tuple[Any, ...], identity: Row) -> None:
    try:
        queue.put(function(*args))
    except Exception as exc:  # report the failure as a row instead of losing the sweep
        queue.put({**identity, "outcome": "error", "detail": f"{type(exc).__name__}: {exc}"})


def run_isolated(function: Callable[..., Row], args: tuple[Any, ...], *, identity: Row, deadline_s: float) -> Row:
    """`function(*args)` in a spawned process; `identity` keys name the row if the child dies or errs."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, function, args, identity))
    process.start()
    deadline = time.monotonic() + deadline_s
    row: Row | None = None
    while row is None and time.monotonic() < deadline:
        try:
            row = queue.get(timeout=1.0)
        except Exception:  # noqa: BLE001 - queue.Empty; keep waiting while the child lives
            if not process.is_alive():
                break
    process.join(timeout=10)
    if process.is_alive():
        process.kill()
    return row or {**identity, "outcome": "crashed", "detail": f"child exit code {process.exitcode}"}
