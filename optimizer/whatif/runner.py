"""Where the levels of a sweep run: a plain sequential loop (each level warm-started from the previous
level's solution), or one Dask task per level on a local cluster or at `--scheduler ADDRESS`.

    - Dask: every level is an independent task on a `distributed` cluster, a
      `LocalCluster(n_workers=<cores>, threads_per_worker=1, processes=True)` or the scheduler at
      `scheduler`. The task is `solve_level(scenario_path, level, options)`
      (optimizer/whatif/level_solve.py): the worker re-reads the scenario, so nothing large is pickled.
      A `--scheduler` that does not answer as a Dask scheduler within `SCHEDULER_CONNECT_TIMEOUT_S`
      fails at once with a `SweepOptionError`.
    - Sequential: a loop over one prepared scenario; the previous level's solution is the MIP start of
      the next (CBC `warmStart`, HiGHS `setSolution`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from optimizer.pipeline import PreparedScenario
from optimizer.whatif.level_solve import solve_level, solve_prepared_level
from optimizer.whatif.levels import Level, LevelOptions, LevelOutcome, SweepOptionError

logger = logging.getLogger(__name__)


def run_sequential(
    prepared: PreparedScenario,
    levels: Sequence[Level],
    options: LevelOptions,
    warm_start: bool,
    on_level: Callable[[LevelOutcome], None] | None,
) -> list[LevelOutcome]:
    """Solve the levels in order on one prepared scenario; with `warm_start`, each from the previous solution."""
    outcomes: list[LevelOutcome] = []
    start: dict[str, float] | None = None
    keep = replace(options, keep_solution=warm_start)
    for level in levels:
        outcome = solve_prepared_level(prepared, level, keep, start=start if warm_start else None)
        if outcome.solution is not None:
            start = outcome.solution
        outcomes.append(replace(outcome, solution=None))
        if on_level is not None:
            on_level(outcome)
    return outcomes


def available_cores() -> int:
    """CPU cores this process may use (affinity-aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def run_dask(
    scenario_path: Path,
    levels: Sequence[Level],
    options: LevelOptions,
    scheduler: str | None,
    n_workers: int | None,
    on_level: Callable[[LevelOutcome], None] | None,
) -> tuple[list[LevelOutcome], int]:
    """One task per level on a local cluster (or `scheduler`); the outcomes by level and the worker count."""
    from distributed import LocalCluster, as_completed

    path = str(Path(scenario_path).resolve())
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n_workers or available_cores(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.WARNING,
        )
    try:
        with _client(cluster, scheduler) as client:
            workers = len(client.scheduler_info().get("workers", {}))
            logger.info("dask: %d workers at %s", workers, client.scheduler.address)
            futures = [client.submit(solve_level, path, level, options, pure=False) for level in levels]
            outcomes: list[LevelOutcome] = []
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                outcome = future.result()
                outcomes.append(outcome)
                if on_level is not None:
                    on_level(outcome)
    finally:
        if cluster is not None:
            cluster.close()
    return sorted(outcomes, key=lambda o: o.level.index), workers


SCHEDULER_CONNECT_TIMEOUT_S = 5.0
"""How long `--scheduler ADDRESS` may take to answer as a Dask scheduler before the sweep gives up."""


def _client(cluster: Any, scheduler: str | None) -> Any:
    """A Dask client of the local cluster, or of `scheduler` within `SCHEDULER_CONNECT_TIMEOUT_S`.

    Raises
    ------
    SweepOptionError
        Naming the address when nothing answers there as a Dask scheduler (refused, closed, or another
        kind of server), and how to start one or drop the option.
    """
    from distributed import Client

    if cluster is not None:
        return Client(cluster)  # type: ignore[no-untyped-call]
    try:
        return Client(scheduler, timeout=SCHEDULER_CONNECT_TIMEOUT_S)  # type: ignore[no-untyped-call]
    except Exception as exc:  # noqa: BLE001 - a non-Dask server fails in many ways (even MemoryError)
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise SweepOptionError(
            f"--scheduler {scheduler}: no Dask scheduler answered within {SCHEDULER_CONNECT_TIMEOUT_S:g} s "
            f"({reason}). Start one with `dask scheduler` (default tcp://HOST:8786) and pass its address, "
            "or drop --scheduler to use a local cluster (or --sequential)."
        ) from None
