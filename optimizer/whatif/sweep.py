"""What-if sweeps: re-solve a plan across budgets or another scenario parameter, locally or on Dask.

A sweep is one scenario and one swept parameter — the budget (`--budget 60%..160%` of the scenario's
budget, or `300e6..900e6` CNY) or any numeric scenario field (`--param subcentres.count=4..8`,
`--param ambulances.rural_radius_km=10..25`) — at evenly spaced levels, solved in ascending order.
Each level is a full plan: build inputs → model → solve → extract → independent verification, plus
the greedy siting baseline (optimizer/whatif/greedy.py) and the LP duals of the budget
(optimizer/whatif/marginal.py). One row per level goes into `sweep.parquet` / `sweep.csv`.

Execution
    - `mode="dask"` (default): every level is an independent task on a `distributed` cluster, a
      `LocalCluster(n_workers=<cores>, threads_per_worker=1, processes=True)` or the scheduler at
      `scheduler`. The task is the module-level `solve_level(scenario_path, level, options)`: the
      worker re-reads the scenario with `prepare`, so nothing large is pickled.
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
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from models.planner import build_plan_model
from optimizer.analysis.verify import check
from optimizer.errors import PlannerError, Problem, ScenarioError
from optimizer.inputs.datasets import load_datasets
from optimizer.inputs.scenario import Scenario
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import PreparedScenario, prepare, travel_matrix
from optimizer.solving.results import PlanResult, extract
from optimizer.solving.solve import SolverSettings, solve
from optimizer.whatif.greedy import SitingBaseline, ambulance_baseline, subcentre_baseline
from optimizer.whatif.marginal import budget_duals, finite_differences, next_yuan

logger = logging.getLogger(__name__)

BUDGET_PARAMETER = "budget.budget_cny"
DEFAULT_STEPS = 21
# Sections whose change alters the data tables or the travel matrix, not only the model.
_REBUILD_SECTIONS = {"data", "travel", "area", "settlement_class_overrides"}
# Flags that are a plan standard; the ambulance backup (a second vehicle) is an objective term only.
_NOT_A_STANDARD = {"covered_ambulance_backup"}
# Columns that may differ between two runs of the same sweep (timing and how the level was started).
VOLATILE_COLUMNS = ("seconds", "warm_started")

Mode = Literal["dask", "sequential"]


class SweepOptionError(PlannerError):
    """A sweep option (--budget, --param, --steps) cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class SweepSpec:
    """The swept parameter (dotted scenario path) and its levels, ascending."""

    parameter: str
    values: tuple[float, ...]
    integer: bool
    baseline: float

    @property
    def is_budget(self) -> bool:
        """True for budget sweeps (finite differences per 1 M CNY apply)."""
        return self.parameter == BUDGET_PARAMETER


@dataclass(frozen=True)
class Level:
    """One level of a sweep: its position and the value of the swept parameter."""

    index: int
    parameter: str
    value: float


@dataclass(frozen=True)
class LevelOptions:
    """What to compute at each level besides the plan."""

    solver: SolverSettings | None = None
    greedy: bool = True
    duals: bool = True
    keep_solution: bool = False


@dataclass(frozen=True)
class LevelOutcome:
    """One solved level: its flat table row, cost by item, and (sequential runs) the solution values."""

    level: Level
    row: dict[str, Any]
    costs: dict[str, float]
    solution: dict[str, float] | None = None


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: one row per level, ascending, with marginal values filled in."""

    spec: SweepSpec
    table: pd.DataFrame
    mode: Mode
    warm_start: bool
    seconds: float
    workers: int


# ---------------------------------------------------------------- option parsing

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*(%?)\s*\.\.\s*({_NUMBER})\s*(%?)\s*$")


def _parse_range(text: str, option: str, example: str) -> tuple[float, float, bool]:
    match = _RANGE.match(text)
    if match is None:
        raise SweepOptionError(
            f"{option} '{text}': expected LOW..HIGH, e.g. {example}; write both ends with two dots")
    low, low_pct, high, high_pct = match.groups()
    if bool(low_pct) != bool(high_pct):
        raise SweepOptionError(f"{option} '{text}': give both ends in % or both as amounts, e.g. {example}")
    lo, hi = float(low), float(high)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise SweepOptionError(f"{option} '{text}': LOW must not exceed HIGH, e.g. {example}")
    return lo, hi, bool(low_pct)


def _spaced(low: float, high: float, steps: int, *, integer: bool, option: str) -> tuple[float, ...]:
    if steps < 1:
        raise SweepOptionError(f"--steps {steps}: give at least 1 level (e.g. --steps 21)")
    values = [low] if steps == 1 or low == high else list(np.linspace(low, high, steps))
    if integer:
        values = sorted({float(round(v)) for v in values})
        if any(not float(v).is_integer() for v in (low, high)):
            raise SweepOptionError(f"{option}: this field takes whole numbers; give integer ends, e.g. 4..8")
    return tuple(float(v) for v in values)


def budget_levels(text: str, *, steps: int, scenario_budget_cny: float) -> SweepSpec:
    """Budget levels from `60%..160%` (of the scenario's budget) or `300e6..900e6` (CNY).

    Raises
    ------
    SweepOptionError
        Naming `--budget` and the form to use.
    """
    example = "60%..160% (of the scenario budget) or 300e6..900e6 (CNY)"
    low, high, relative = _parse_range(text, "--budget", example)
    if relative:
        low, high = low / 100.0 * scenario_budget_cny, high / 100.0 * scenario_budget_cny
    if low < 0:
        raise SweepOptionError(f"--budget '{text}': a budget cannot be negative; e.g. {example}")
    values = _spaced(low, high, steps, integer=False, option="--budget")
    return SweepSpec(BUDGET_PARAMETER, tuple(round(v, 2) for v in values), False, scenario_budget_cny)


def param_levels(text: str, *, steps: int | None, scenario: Scenario) -> SweepSpec:
    """Levels of another scenario field from `section.field=LOW..HIGH`, e.g. `subcentres.count=4..8`.

    Integer fields default to every whole number in the range; real fields to `DEFAULT_STEPS` levels
    unless `steps` is given. A field holding an amount with a citation (`{value, source}`) sweeps
    its `value`.

    Raises
    ------
    SweepOptionError
        When the text is malformed, the field does not exist, or is not a number.
    """
    example = "subcentres.count=4..8 or ambulances.rural_radius_km=10..25"
    if "=" not in text:
        raise SweepOptionError(f"--param '{text}': expected FIELD=LOW..HIGH, e.g. {example}")
    path, _, span = text.partition("=")
    path = path.strip()
    current = _field_value(scenario.model_dump(), path.split("."), f"--param '{text}'")
    low, high, relative = _parse_range(span, f"--param {path}", example)
    if relative:
        low, high = low / 100.0 * current, high / 100.0 * current
    integer = isinstance(current, int) and not isinstance(current, bool)
    count = steps if steps is not None else (int(high - low) + 1 if integer else DEFAULT_STEPS)
    values = _spaced(low, high, count, integer=integer, option=f"--param {path}")
    parameter = path if not path.endswith(".value") else path.removesuffix(".value")
    return SweepSpec(parameter, values, integer, float(current))


def _field_value(raw: Mapping[str, Any], parts: Sequence[str], label: str) -> float:
    node: Any = raw
    for depth, part in enumerate(parts):
        if not isinstance(node, Mapping) or part not in node:
            where = ".".join(parts[:depth]) or "the scenario"
            known = ", ".join(sorted(node)) if isinstance(node, Mapping) else "(not a table)"
            raise SweepOptionError(f"{label}: '{part}' is not a field of {where} (fields: {known})")
        node = node[part]
        if node is None:
            section = ".".join(parts[:depth + 1])
            raise SweepOptionError(f"{label}: the scenario has no [{section}] section to vary")
    if isinstance(node, Mapping) and "value" in node:
        node = node["value"]
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise SweepOptionError(f"{label}: {'.'.join(parts)} is not a number ({node!r}); pick a numeric field")
    return node


def levels_of(spec: SweepSpec) -> tuple[Level, ...]:
    """The levels of a spec, numbered in ascending order."""
    return tuple(Level(i, spec.parameter, v) for i, v in enumerate(spec.values))


# ---------------------------------------------------------------- one level

def scenario_at(scenario: Scenario, level: Level, path: Path) -> Scenario:
    """The scenario with the swept field set to the level's value, re-validated.

    Raises
    ------
    ScenarioError
        When the value breaks a scenario rule (e.g. fewer sub-centres than the plan names).
    """
    raw = scenario.model_dump()
    parts = level.parameter.split(".")
    node = raw
    for part in parts[:-1]:
        node = node[part]
    value: float | int = int(level.value) if isinstance(node[parts[-1]], int) else level.value
    if isinstance(node[parts[-1]], Mapping):
        node[parts[-1]]["value"] = value
    else:
        node[parts[-1]] = value
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = [
            Problem(path, f"{level.parameter}={level.value:g} → " + ".".join(str(p) for p in e["loc"]),
                    f"{e['msg']}; narrow the sweep range")
            for e in exc.errors()
        ]
        raise ScenarioError(problems) from None


def prepared_at(prepared: PreparedScenario, level: Level) -> PreparedScenario:
    """The prepared scenario at a level; data and travel matrix are rebuilt only when the field needs it."""
    scenario = scenario_at(prepared.scenario, level, prepared.path)
    if level.parameter.split(".")[0] in _REBUILD_SECTIONS:
        data = load_datasets(scenario, prepared.path)
        return PreparedScenario(prepared.path, scenario, data, travel_matrix(scenario, data, prepared.path))
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
    settings = at.scenario.solver
    inputs = build_plan_inputs(at.scenario, at.data, at.matrix)
    model = build_plan_model(inputs)
    if start:
        _set_start(model.problem.variables(), start)
    report = solve(model.problem, settings, warm_start=bool(start))
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
        "warm_started": bool(start),
    }
    if not report.outcome.has_solution:
        logger.warning("level %d (%s=%g): %s", level.index, level.parameter, level.value,
                       report.outcome.value)
        return LevelOutcome(level, row, {})
    solution = {v.name: float(v.varValue) for v in model.problem.variables() if v.varValue is not None}
    result = extract(model, report, at.scenario, at.data, at.matrix)
    violations = check(result, at.scenario, at.data, at.matrix)
    for violation in violations:
        logger.error("level %d: verification: %s", level.index, violation)
    row["violations"] = len(violations)
    row.update(plan_row(result))
    if options.greedy:
        row.update(_baseline_columns("subcentre", subcentre_baseline(inputs, model, settings)))
        row.update(_baseline_columns("ambulance", ambulance_baseline(inputs, model, settings)))
    if options.duals:
        duals = budget_duals(inputs, solution, settings)
        row["budget_dual_fixed_per_1m_cny_approx"] = duals["fixed"].per_million_cny
        row["budget_dual_relaxed_per_1m_cny_approx"] = duals["relaxed"].per_million_cny
    logger.info("level %d (%s=%g): %s objective %.6g", level.index, level.parameter, level.value,
                report.outcome.value, report.objective)
    return LevelOutcome(level, row, dict(result.cost_cny), solution if options.keep_solution else None)


def _set_start(variables: Sequence[Any], start: Mapping[str, float]) -> None:
    """Initial values by variable name, clipped into each variable's bounds."""
    for variable in variables:
        value = start.get(variable.name)
        if value is None:
            continue
        if variable.lowBound is not None:
            value = max(value, variable.lowBound)
        if variable.upBound is not None:
            value = min(value, variable.upBound)
        variable.setInitialValue(value)


def plan_row(result: PlanResult) -> dict[str, Any]:
    """The flat summary of one plan: coverage per standard, targets, totals and cost by item."""
    towns = result.towns
    population = towns["population"].astype(float)
    flags = [c for c in towns.columns if c.startswith("covered_")]
    standards = [c for c in flags if c not in _NOT_A_STANDARD]
    row: dict[str, Any] = {"population": float(population.sum())}
    every = np.ones(len(towns), dtype=bool)
    for flag in standards:
        every &= towns[flag].to_numpy(bool)
    row["covered_population"] = float(population[every].sum())
    for flag in flags:
        row[f"population_{flag}"] = float(population[towns[flag].to_numpy(bool)].sum())
    targets = result.targets
    row["targets_met"] = int(targets["met"].sum())
    row["targets_total"] = len(targets)
    for target in targets.itertuples(index=False):
        row[f"target_{target.id}_achieved"] = float(target.achieved)
        row[f"target_{target.id}_shortfall"] = float(target.gap)
    allocation = result.allocation
    skip = {"facility_id", "name", "town_code", "level", "lon", "lat", "location_estimated", "is_subcentre"}
    for column in allocation.columns:
        if column in skip or column.startswith("existing_"):
            continue
        row[f"total_{column}"] = int(allocation[column].sum())
    chosen = allocation.loc[allocation["is_subcentre"].astype(bool), "facility_id"]
    row["subcentres_chosen"] = len(chosen)
    row["subcentre_ids"] = ";".join(sorted(chosen))
    row["ambulance_stations"] = int((allocation["ambulances"] > 0).sum())
    row["cost_cny"] = result.total_cost_cny
    for item, cost in sorted(result.cost_cny.items()):
        row[f"cost_{item}_cny"] = cost
    return row


def _baseline_columns(prefix: str, baseline: SitingBaseline | None) -> dict[str, Any]:
    if baseline is None:
        return {f"{prefix}_{k}": math.nan for k in ("sites", "plan_covered_pop", "greedy_covered_pop",
                                                     "optimum_covered_pop", "greedy_gap")}
    return {
        f"{prefix}_sites": baseline.sites,
        f"{prefix}_plan_covered_pop": baseline.plan_covered,
        f"{prefix}_greedy_covered_pop": baseline.greedy_covered,
        f"{prefix}_optimum_covered_pop": baseline.optimum_covered,
        f"{prefix}_greedy_gap": baseline.greedy_gap,
    }


# ---------------------------------------------------------------- the sweep

def check_levels(prepared: PreparedScenario, levels: Sequence[Level]) -> None:
    """Validate every level's scenario before any solve; report all bad levels at once.

    Raises
    ------
    ScenarioError
        Listing each level whose value breaks a scenario rule.
    """
    problems: list[Problem] = []
    for level in levels:
        try:
            scenario_at(prepared.scenario, level, prepared.path)
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        raise ScenarioError(problems)


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
        outcomes, workers = _run_sequential(prepared, levels, options, warm_start, on_level), 1
    else:
        outcomes, workers = _run_dask(Path(scenario_path), levels, options, scheduler, n_workers, on_level)
        warm_start = False
    seconds = time.perf_counter() - started
    table = sweep_table(outcomes, spec)
    logger.info("sweep of %d levels (%s) in %.1f s", len(levels), mode, seconds)
    return SweepResult(spec, table, mode, warm_start, seconds, workers)


def _run_sequential(
    prepared: PreparedScenario,
    levels: Sequence[Level],
    options: LevelOptions,
    warm_start: bool,
    on_level: Callable[[LevelOutcome], None] | None,
) -> list[LevelOutcome]:
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


def _run_dask(
    scenario_path: Path,
    levels: Sequence[Level],
    options: LevelOptions,
    scheduler: str | None,
    n_workers: int | None,
    on_level: Callable[[LevelOutcome], None] | None,
) -> tuple[list[LevelOutcome], int]:
    from distributed import LocalCluster, as_completed

    path = str(Path(scenario_path).resolve())
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n_workers or available_cores(), threads_per_worker=1, processes=True,
            dashboard_address=":0", silence_logs=logging.WARNING)
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


def sweep_table(outcomes: Sequence[LevelOutcome], spec: SweepSpec) -> pd.DataFrame:
    """One row per level, ascending, with finite differences and where the next yuan goes."""
    ordered = sorted(outcomes, key=lambda o: o.level.index)
    table = pd.DataFrame([o.row for o in ordered])
    budgets = [float(o.row["budget_cny"]) for o in ordered]
    if spec.is_budget:
        objective = [_number(o.row.get("objective")) for o in ordered]
        covered = [_number(o.row.get("covered_population")) for o in ordered]
        table["objective_gain_per_1m_cny"] = [-d + 0.0 for d in finite_differences(budgets, objective)]
        table["covered_population_per_1m_cny"] = finite_differences(budgets, covered)
    else:
        table["objective_gain_per_1m_cny"] = math.nan
        table["covered_population_per_1m_cny"] = math.nan
    toward = next_yuan([o.costs for o in ordered])
    table["next_yuan_to"] = [item for item, _ in toward]
    table["next_yuan_cny"] = [amount for _, amount in toward]
    return table


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and value is not None else math.nan


def compare_sweeps(a: pd.DataFrame, b: pd.DataFrame, *, rel_tol: float = 1e-9) -> list[str]:
    """Differences between two sweep tables, ignoring timing: objective within `rel_tol`, the rest exact."""
    differences: list[str] = []
    columns = sorted((set(a.columns) | set(b.columns)) - set(VOLATILE_COLUMNS))
    if len(a) != len(b):
        return [f"{len(a)} levels vs {len(b)}"]
    for column in columns:
        if column not in a.columns or column not in b.columns:
            differences.append(f"column {column} only in one table")
            continue
        for i, (x, y) in enumerate(zip(a[column], b[column], strict=True)):
            if _same(x, y, rel_tol if column in ("objective", "bound", "gap") else 1e-9):
                continue
            differences.append(f"level {i} {column}: {x!r} vs {y!r}")
    return differences


def _same(x: object, y: object, rel_tol: float) -> bool:
    if isinstance(x, int | float | np.number) and isinstance(y, int | float | np.number):
        fx, fy = float(x), float(y)
        if math.isnan(fx) and math.isnan(fy):
            return True
        return math.isclose(fx, fy, rel_tol=rel_tol, abs_tol=1e-9)
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return y is None or (isinstance(y, float) and math.isnan(y))
    return x == y
