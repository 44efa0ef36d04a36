"""Where the levels of a sweep run. Budget sweeps (`strategy="reuse"`, the default): the few tasks of
optimizer/whatif/reuse.py (contiguous runs of levels on one model each, plans shared or passed as starts),
in turn or as Dask tasks on the client's prepared scenario, sent once to every worker; a shared run is a Dask
task that depends on the first task's result. Other sweeps, or `strategy="independent"`: a plain sequential
loop (each level warm-started from the previous level's solution), or one Dask task per level; both on a local
cluster or at `--scheduler ADDRESS`.

    - Dask: every level is an independent task on a `distributed` cluster, a
      `LocalCluster(n_workers=<cores>, threads_per_worker=1, processes=True)` or the scheduler at
      `scheduler`. The task is `solve_level(scenario_path, level, options)`
      (optimizer/whatif/level_solve.py): the worker re-reads the scenario, so nothing large is pickled.
      A `--scheduler` that does not answer as a Dask scheduler within `SCHEDULER_CONNECT_TIMEOUT_S`
      fails at once with a `SweepOptionError`.
    - Sequential: a loop over one prepared scenario; the previous level's solution is the MIP start of
      the next (CBC `warmStart`, HiGHS `setSolution`).

Each outcome carries its level's compact snapshot (optimizer/whatif/changes.py) to `on_level`, which turns
it into the level's changes; the outcomes the runners return keep only the table row and costs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from optimizer.pipeline import PreparedScenario
from optimizer.whatif.level_solve import solve_level, solve_prepared_level
from optimizer.whatif.levels import Level, LevelOptions, LevelOutcome, SweepOptionError
from optimizer.whatif.reuse import Task, chain_task, least_cost_at, sweep_tasks

logger = logging.getLogger(__name__)


def run_sequential(
    prepared: PreparedScenario,
    levels: Sequence[Level],
    options: LevelOptions,
    warm_start: bool,
    on_level: Callable[[LevelOutcome], None] | None,
) -> list[LevelOutcome]:
    """Solve the levels in order of index on one prepared scenario; with `warm_start`, each from the previous
    level's solution. A base-only level (index < 0, solved first) is solved cold and starts nothing.

    `on_level` sees each outcome whole; the list returned keeps neither solutions nor snapshots.
    """
    outcomes: list[LevelOutcome] = []
    start: dict[str, float] | None = None
    keep = replace(options, keep_solution=warm_start)
    for level in sorted(levels, key=lambda lv: lv.index):
        chained = level.index >= 0
        outcome = solve_prepared_level(prepared, level, keep, start=start if warm_start and chained else None)
        if outcome.solution is not None and chained:
            start = outcome.solution
        outcomes.append(replace(outcome, solution=None, snapshot=None))
        if on_level is not None:
            on_level(outcome)
    return outcomes


def run_reuse(
    prepared: PreparedScenario,
    levels: Sequence[Level],
    options: LevelOptions,
    *,
    dask: bool,
    chunks: int,
    scheduler: str | None,
    n_workers: int | None,
    on_level: Callable[[LevelOutcome], None] | None,
) -> tuple[list[LevelOutcome], int]:
    """Solve a budget sweep's levels as the tasks of `sweep_tasks` (optimizer/whatif/reuse.py): in turn on
    `prepared`, or on Dask (`prepared` sent once to every worker); the outcomes by level and the worker count.

    `on_level` sees each outcome whole, as its task finishes; the list returned keeps no solutions or snapshots.
    """
    spend = prepared.scenario.budget.spend

    def report(outcomes: list[LevelOutcome]) -> list[LevelOutcome]:
        for outcome in outcomes:
            if on_level is not None:
                on_level(outcome)
        return [replace(o, snapshot=None) for o in outcomes]

    least_cost = partial(least_cost_at, prepared)
    if not dask:

        def in_turn(tasks: Sequence[Task]) -> list[LevelOutcome]:
            if not tasks:
                return []
            top = chain_task(prepared, tasks[0], options)
            finished = report(top)
            for task in tasks[1:]:
                finished += report(chain_task(prepared, task, options, top if task.shares_top else ()))
            return finished

        done = sweep_tasks(levels, spend, chunks, in_turn, least_cost)
        return _by_level(done), 1
    from distributed import as_completed

    with _cluster(scheduler, n_workers) as cluster, _client(cluster, scheduler) as client:
        workers = len(client.scheduler_info().get("workers", {}))
        logger.info("dask: %d workers at %s, reuse tasks", workers, client.scheduler.address)

        def side_by_side(tasks: Sequence[Task]) -> list[LevelOutcome]:
            # the first task (the highest level) first, then the rest highest budgets first, submitted in that
            # order: a free worker takes a task as it arrives, before a priority among later ones counts. The
            # levels just below the least cost, where the budget barely binds, are the slowest placements
            # measured (Lu at 90 %), so their chain starts beside the first task; a shared run waits for it
            if not tasks:
                return []
            # one copy of the prepared scenario per worker (pickled: Lu 0.4 MB, Mianyang 15 MB), instead of every
            # task reading and preparing the scenario again (Lu: 0.35 s a task)
            scenario = client.scatter(prepared, broadcast=True, hash=False)
            first = client.submit(chain_task, scenario, tasks[0], options, pure=False)
            rest = sorted(tasks[1:], key=lambda task: -task.levels[-1].value)
            futures = [first] + [
                client.submit(chain_task, scenario, task, options, first if task.shares_top else (), pure=False)
                for task in rest
            ]
            finished: list[LevelOutcome] = []
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                finished += report(future.result())
                future.release()  # a shared run still waiting keeps the first task's outcome on the cluster
            return finished

        done = sweep_tasks(levels, spend, chunks, side_by_side, least_cost)
    return _by_level(done), workers


def _by_level(outcomes: list[LevelOutcome]) -> list[LevelOutcome]:
    stripped = (replace(o, solution=None, report=None, phase_one=None) for o in outcomes)
    return sorted(stripped, key=lambda o: o.level.index)


@contextmanager
def _cluster(scheduler: str | None, n_workers: int | None) -> Iterator[Any]:
    """A local cluster (`n_workers`, one thread each) when no scheduler is given, closed on exit; else None."""
    if scheduler is not None:
        yield None
        return
    from distributed import LocalCluster

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n_workers or available_cores(),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.WARNING,
    )
    try:
        yield cluster
    finally:
        cluster.close()


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
    """One task per level on a local cluster (or `scheduler`); the outcomes by level and the worker count.

    `on_level` sees each outcome whole, as it finishes; the list returned keeps no snapshots.
    """
    from distributed import as_completed

    path = str(Path(scenario_path).resolve())
    with _cluster(scheduler, n_workers) as cluster, _client(cluster, scheduler) as client:
        workers = len(client.scheduler_info().get("workers", {}))
        logger.info("dask: %d workers at %s", workers, client.scheduler.address)
        futures = [client.submit(solve_level, path, level, options, pure=False) for level in levels]
        outcomes: list[LevelOutcome] = []
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            outcome = future.result()
            future.release()  # the worker drops its copy of the outcome
            outcomes.append(replace(outcome, snapshot=None))
            if on_level is not None:
                on_level(outcome)
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
