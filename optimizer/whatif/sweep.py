"""What-if sweeps: re-solve a plan across budgets or another scenario parameter, locally or on Dask.

A sweep is one scenario and one swept parameter (optimizer/whatif/levels.py) at evenly spaced levels,
solved in ascending order. Each level is a full plan through `solve_plan` — build inputs → model →
solve → extract → independent verification, violations recorded — plus the greedy siting baseline and
the LP duals of the budget (optimizer/whatif/level_solve.py). One row per level goes into
`sweep.parquet` / `sweep.csv` (optimizer/whatif/tables.py). The scenario's own value is the base of
`changes.csv` (optimizer/whatif/changes.py); when it is not one of the levels it is solved first, beside
the sweep (not a row of the sweep table).

Execution (optimizer/whatif/runner.py)
    - `strategy="reuse"` (default, budget sweeps only): a few tasks of contiguous levels, each on one model
      changed only in its budget, plans passed as starts and, under `spend = "targets_only"`, the levels
      above a solved level's least cost C₁ given its plan without a solve once the solve at the lowest of
      them returns it again (optimizer/whatif/reuse.py, where the proof is). `chunks` runs share the levels
      where the budget binds; under `mode="dask"` every task is a Dask task, under `mode="sequential"` the
      same tasks run in turn (the same plans). sweep.csv's `solved_as` says which levels were solved.
    - `strategy="independent"`, and every sweep of another parameter: each level a plan of its own, as below.
    - `mode="dask"` (default): every level is an independent task on a `distributed` cluster, a
      local cluster or the scheduler at `scheduler`; workers re-read the scenario.
    - `mode="sequential"`: a plain loop over one prepared scenario. Here the previous level's
      solution is the MIP start of the next (`solve(..., warm_start=True)`: CBC `warmStart`, HiGHS
      `setSolution`). Ascending budgets make that start feasible. A start only gives the solver an
      early incumbent; the answer is still the solver's optimum within `mip_rel_gap`, so a warm and
      a cold solve agree on the objective within that gap but may pick different solutions of
      (nearly) equal value. `compare_sweeps` checks Dask against sequential on objective and
      allocation; use `warm_start=False` where the two must match solution for solution.

Library code logs; the CLI passes `on_level` to drive its progress bar.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from optimizer.pipeline import prepare
from optimizer.whatif.changes import ChangeCollector, empty_changes, empty_target_status
from optimizer.whatif.levels import (
    BASE_ONLY_INDEX,
    LevelOptions,
    LevelOutcome,
    SweepSpec,
    check_levels,
    levels_to_solve,
)
from optimizer.whatif.runner import available_cores, run_dask, run_reuse, run_sequential
from optimizer.whatif.tables import sweep_table

logger = logging.getLogger(__name__)

Mode = Literal["dask", "sequential"]
Strategy = Literal["reuse", "independent"]


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: one row per level, ascending, with marginal values filled in; what each level
    changes against the scenario's own run, and each level's targets met or missed."""

    spec: SweepSpec
    table: pd.DataFrame
    mode: Mode
    warm_start: bool
    seconds: float
    workers: int
    strategy: Strategy = "independent"
    changes: pd.DataFrame = field(default_factory=empty_changes)
    """changes.csv (`optimizer.whatif.changes.CHANGE_COLUMNS`): the non-zero changes of each level."""
    target_status: pd.DataFrame = field(default_factory=empty_target_status)
    """Per level and target: met and gap in units (`TARGET_STATUS_COLUMNS`); the base-only level as -1."""
    base: dict[str, Any] | None = None
    """The table row of the scenario's own value (a sweep row, or solved beside the sweep); None when it
    has no plan, and then `changes` is empty."""
    base_in_sweep: bool = True
    """True when the scenario's own value is one of the levels."""


def run_sweep(
    scenario_path: Path,
    spec: SweepSpec,
    *,
    mode: Mode = "dask",
    scheduler: str | None = None,
    n_workers: int | None = None,
    warm_start: bool = True,
    options: LevelOptions | None = None,
    on_level: Callable[[LevelOutcome], None] | None = None,
    strategy: Strategy = "reuse",
    chunks: int | None = None,
) -> SweepResult:
    """Solve every level of `spec` and assemble the sweep table (ascending, marginal values filled).

    Parameters
    ----------
    scenario_path
        The scenario file; under `strategy="independent"` Dask workers re-read it, a reuse sweep sends them
        the prepared scenario.
    spec
        The swept parameter and its levels.
    mode
        `dask` (local cluster, or `scheduler`) or `sequential` (plain loop, warm starts).
    scheduler
        Address of a running Dask scheduler, e.g. `tcp://10.0.0.5:8786`.
    n_workers
        Local cluster size; default: the number of CPU cores available to this process.
    warm_start
        Sequential independent sweeps only: start each level from the previous level's solution (the reuse
        strategy always passes starts).
    options
        What to compute per level (solver override, greedy baseline, duals).
    on_level
        Called in the driver as each level finishes (any order under Dask), also for the base-only level
        (index `BASE_ONLY_INDEX`) when the scenario's own value is not one of the levels.
    strategy
        `reuse` (budget sweeps; others fall back to `independent`) or `independent` (module docstring).
    chunks
        Reuse only: contiguous runs the budget-binding levels are split into (default: the CPU cores
        available; the same number in both modes gives the same plans).
    """
    options = options or LevelOptions()
    prepared = prepare(Path(scenario_path), solver=options.solver)
    base, solved = levels_to_solve(spec)
    check_levels(prepared, solved)
    collector = ChangeCollector(base.index)

    def finished(outcome: LevelOutcome) -> None:
        collector.add(outcome.level, outcome.snapshot)
        if on_level is not None:
            on_level(outcome)

    started = time.perf_counter()
    if strategy == "reuse" and not spec.is_budget:
        logger.info("%s is not the budget: every level is solved on its own model", spec.parameter)
        strategy = "independent"
    if strategy == "reuse":
        outcomes, workers = run_reuse(
            prepared,
            solved,
            options,
            dask=mode == "dask",
            chunks=chunks or available_cores(),
            scheduler=scheduler,
            n_workers=n_workers,
            on_level=finished,
        )
        warm_start = True
    elif mode == "sequential":
        outcomes, workers = run_sequential(prepared, solved, options, warm_start, finished), 1
    else:
        outcomes, workers = run_dask(Path(scenario_path), solved, options, scheduler, n_workers, finished)
        warm_start = False
    seconds = time.perf_counter() - started
    base_row = next((o.row for o in outcomes if o.level == base and collector.base is not None), None)
    table = sweep_table([o for o in outcomes if o.level.index != BASE_ONLY_INDEX], spec)
    logger.info("sweep of %d levels (%s) in %.1f s", len(spec.values), mode, seconds)
    return SweepResult(
        spec,
        table,
        mode,
        warm_start,
        seconds,
        workers,
        strategy,
        changes=collector.changes(),
        target_status=collector.target_status(),
        base=base_row,
        base_in_sweep=base.index != BASE_ONLY_INDEX,
    )
