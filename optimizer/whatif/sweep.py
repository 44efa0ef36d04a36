"""What-if sweeps: re-solve a plan across budgets or another scenario parameter, locally or on Dask.

A sweep is one scenario and one swept parameter (optimizer/whatif/levels.py) at evenly spaced levels,
solved in ascending order. Each level is a full plan through `solve_plan` — build inputs → model →
solve → extract → independent verification, violations recorded — plus the greedy siting baseline and
the LP duals of the budget (optimizer/whatif/level_solve.py). One row per level goes into
`sweep.parquet` / `sweep.csv` (optimizer/whatif/tables.py).

Execution (optimizer/whatif/runner.py)
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
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from optimizer.pipeline import prepare
from optimizer.whatif.levels import LevelOptions, LevelOutcome, SweepSpec, check_levels, levels_of
from optimizer.whatif.runner import run_dask, run_sequential
from optimizer.whatif.tables import sweep_table

logger = logging.getLogger(__name__)

Mode = Literal["dask", "sequential"]


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: one row per level, ascending, with marginal values filled in."""

    spec: SweepSpec
    table: pd.DataFrame
    mode: Mode
    warm_start: bool
    seconds: float
    workers: int


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
) -> SweepResult:
    """Solve every level of `spec` and assemble the sweep table (ascending, marginal values filled).

    Parameters
    ----------
    scenario_path
        The scenario file; Dask workers re-read it.
    spec
        The swept parameter and its levels.
    mode
        `dask` (local cluster, or `scheduler`) or `sequential` (plain loop, warm starts).
    scheduler
        Address of a running Dask scheduler, e.g. `tcp://10.0.0.5:8786`.
    n_workers
        Local cluster size; default: the number of CPU cores available to this process.
    warm_start
        Sequential only: start each level from the previous level's solution.
    options
        What to compute per level (solver override, greedy baseline, duals).
    on_level
        Called in the driver as each level finishes (any order under Dask).
    """
    options = options or LevelOptions()
    prepared = prepare(Path(scenario_path), solver=options.solver)
    levels = levels_of(spec)
    check_levels(prepared, levels)
    started = time.perf_counter()
    if mode == "sequential":
        outcomes, workers = run_sequential(prepared, levels, options, warm_start, on_level), 1
    else:
        outcomes, workers = run_dask(Path(scenario_path), levels, options, scheduler, n_workers, on_level)
        warm_start = False
    seconds = time.perf_counter() - started
    table = sweep_table(outcomes, spec)
    logger.info("sweep of %d levels (%s) in %.1f s", len(levels), mode, seconds)
    return SweepResult(spec, table, mode, warm_start, seconds, workers)
