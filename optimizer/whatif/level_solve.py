"""Solving one level of a sweep: the scenario at the level, the plan via `solve_plan` (violations
recorded, not raised), the greedy siting baseline (optimizer/whatif/greedy.py) and the LP duals of the
budget (optimizer/whatif/marginal.py), flattened into the level's table row.

`solve_level` is the task a Dask worker runs: it re-reads the scenario with `prepare`, so nothing large
is pickled, and returns the level's compact snapshot (optimizer/whatif/changes.py) instead of its
`PlanResult`. `solve_prepared_level` is the same on a prepared scenario, with an optional MIP start (the
sequential runner's previous solution). `level_outcome` turns any finished `PlanSolve` into the level's row, also
one that took a higher level's plan without a solve (optimizer/whatif/reuse.py).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from optimizer.inputs.datasets import load_datasets
from optimizer.pipeline import PlanSolve, PreparedScenario, ViolationPolicy, prepare, prepare_loaded, solve_plan
from optimizer.whatif.changes import snapshot_of
from optimizer.whatif.greedy import SitingBaseline, ambulance_baseline, subcentre_baseline
from optimizer.whatif.levels import Level, LevelOptions, LevelOutcome, scenario_at
from optimizer.whatif.marginal import BudgetDualLPs
from optimizer.whatif.tables import plan_row

logger = logging.getLogger(__name__)

# Sections whose change alters the data tables, the road graph or the travel matrix, not only the model.
_REBUILD_SECTIONS = {"data", "travel", "area", "settlement_class_overrides"}


def prepared_at(prepared: PreparedScenario, level: Level) -> PreparedScenario:
    """The prepared scenario at a level; data, road graph and travel matrix are rebuilt only when the field
    needs it."""
    scenario = scenario_at(prepared.scenario, level, prepared.path)
    if level.parameter.split(".")[0] in _REBUILD_SECTIONS:
        return prepare_loaded(prepared.path, scenario, load_datasets(scenario, prepared.path))
    return replace(prepared, scenario=scenario)


def solve_level(scenario_path: str, level: Level, options: LevelOptions) -> LevelOutcome:
    """Solve one level from the scenario file: the task sent to Dask workers (re-runs `prepare`)."""
    prepared = prepare(Path(scenario_path), solver=options.solver)
    return solve_prepared_level(prepared, level, options)


def solve_prepared_level(
    prepared: PreparedScenario,
    level: Level,
    options: LevelOptions,
    *,
    start: Mapping[str, float] | None = None,
) -> LevelOutcome:
    """Build, solve, extract and verify one level; infeasible levels give a row with their outcome.

    `start` (variable name → value) is handed to the solver as a MIP start.
    """
    at = prepared_at(prepared, level)
    solved = solve_plan(at, on_violation=ViolationPolicy.RECORD, start=start)
    return level_outcome(at, level, solved, options)


SOLVED = "solved"
"""`solved_as` of a level the solver solved; a level that took level N's plan says `same_plan_as_level_N`."""


def level_outcome(
    at: PreparedScenario,
    level: Level,
    solved: PlanSolve,
    options: LevelOptions,
    *,
    solved_as: str = SOLVED,
    dual_lps: BudgetDualLPs | None = None,
    baselines_of_plan: Mapping[str, Any] | None = None,
) -> LevelOutcome:
    """The level's row (outcome, gap, plan summary, greedy baseline, budget duals), costs and snapshot; with
    `options.keep_solution` also its solution values and solver report (the next level's start).

    `dual_lps`: the budget dual LPs a task keeps for its levels (None: built for this level).
    `baselines_of_plan`: the `BASELINE_COLUMNS` of a level with the same plan (a shared level takes them: the
    greedy sitings depend on the plan's sites and the towns, not on the budget); None: computed here."""
    settings = at.scenario.solver
    inputs, model, report = solved.inputs, solved.model, solved.report
    row: dict[str, Any] = {
        "level": level.index,
        "parameter": level.parameter,
        "value": level.value,
        "budget_cny": inputs.budget_cny,
        "outcome": report.outcome.value,
        "objective": report.objective,
        "bound": report.bound,
        "gap": report.gap,
        "solver": report.solver,
        "seconds": round(report.seconds, 3),
        "warm_started": solved.warm_started,
        "solved_as": solved_as,
    }
    result = solved.result
    if result is None:
        logger.warning("level %d (%s=%g): %s", level.index, level.parameter, level.value, report.outcome.value)
        return LevelOutcome(level, row, {})
    solution = {v.name: float(v.varValue) for v in model.problem.variables() if v.varValue is not None}
    for violation in solved.violations:
        logger.error("level %d: verification: %s", level.index, violation)
    row["violations"] = len(solved.violations)
    row.update(plan_row(result))
    if options.greedy and baselines_of_plan is not None:
        row.update({column: baselines_of_plan[column] for column in BASELINE_COLUMNS})
    elif options.greedy:
        row.update(_baseline_columns("subcentre", subcentre_baseline(inputs, model, settings)))
        row.update(_baseline_columns("ambulance", ambulance_baseline(inputs, model, settings)))
    if options.duals:
        duals = (dual_lps or BudgetDualLPs(inputs)).duals(inputs.budget_cny, solution, settings)
        row["budget_dual_fixed_per_1m_cny_approx"] = duals["fixed"].per_million_cny
        row["budget_dual_relaxed_per_1m_cny_approx"] = duals["relaxed"].per_million_cny
    logger.info(
        "level %d (%s=%g): %s objective %.6g",
        level.index,
        level.parameter,
        level.value,
        report.outcome.value,
        report.objective,
    )
    snapshot = snapshot_of(result, at.scenario, at.data)  # the level's changes need only this, not `result`
    kept = options.keep_solution
    return LevelOutcome(
        level, row, dict(result.cost_cny), solution if kept else None, snapshot, report if kept else None
    )


_BASELINE_FIELDS = ("sites", "plan_covered_pop", "greedy_covered_pop", "optimum_covered_pop", "greedy_gap")
BASELINE_COLUMNS = tuple(f"{prefix}_{field}" for prefix in ("subcentre", "ambulance") for field in _BASELINE_FIELDS)
"""The row's columns of the greedy siting baselines (optimizer/whatif/greedy.py)."""


def _baseline_columns(prefix: str, baseline: SitingBaseline | None) -> dict[str, Any]:
    if baseline is None:
        return {f"{prefix}_{field}": math.nan for field in _BASELINE_FIELDS}
    return {
        f"{prefix}_sites": baseline.sites,
        f"{prefix}_plan_covered_pop": baseline.plan_covered,
        f"{prefix}_greedy_covered_pop": baseline.greedy_covered,
        f"{prefix}_optimum_covered_pop": baseline.optimum_covered,
        f"{prefix}_greedy_gap": baseline.greedy_gap,
    }
