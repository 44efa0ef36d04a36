"""The tables of a sweep: the flat row of one plan, the sweep table (finite differences, where the next
yuan goes) and the comparison of two sweep tables (Dask against sequential)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, SupportsFloat, cast

import numpy as np
import pandas as pd

from optimizer.solving.results import PlanResult
from optimizer.whatif.levels import LevelOutcome, SweepSpec
from optimizer.whatif.marginal import finite_differences, next_yuan

# Flags that are a plan standard; the ambulance backup (a second vehicle) is an objective term only.
_NOT_A_STANDARD = {"covered_ambulance_backup"}
# Columns that may differ between two runs of the same sweep (timing and how the level was started).
VOLATILE_COLUMNS = ("seconds", "warm_started")


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
        # itertuples types a field as any scalar (dates, None, ...); achieved and gap are numeric columns
        row[f"target_{target.id}_achieved"] = float(cast(SupportsFloat, target.achieved))
        row[f"target_{target.id}_shortfall"] = float(cast(SupportsFloat, target.gap))
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
    if result.cost_to_meet_targets_cny is not None:  # the least cost that meets every target it can
        row["cost_to_meet_targets_cny"] = float(result.cost_to_meet_targets_cny)
    for item, cost in sorted(result.cost_cny.items()):
        row[f"cost_{item}_cny"] = cost
    return row


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
