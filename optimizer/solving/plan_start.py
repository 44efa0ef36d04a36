"""MIP starts for the planner model: given values (`set_start`), or rounded from its LP relaxation.

Why: at province scale (thousands of towns) the planner model's LP bound lies within a few hundredths
of a percent of the optimum, but HiGHS finds no good plan by itself until its root cut loop ends and
a sub-MIP heuristic runs, which can take longer than the time limit. Its own roundings miss: the
integer amounts are tied together by the plan's totals, the staff-per-bed rules and the budget, and
one unit short of a target or of the fleet rule costs more than all travel. Rounding that keeps
those ties gives a plan close to the bound for the cost of one LP.

From the LP optimum:
    1. sub-centres: the k candidates with the largest LP value (named ones have value 1)
    2. amounts, beds first: each facility's hard size band (with step 1 applied) and, for staff, at
       least ⌈staff-per-bed × its rounded beds⌉; floors, then one unit more at the facilities with
       the largest fractional parts until the resource total reaches the LP total rounded up; a
       counted subset (GPs ≤ physicians) stays within its parent
    3. vehicles: the LP fleet rounded down: the floors of the LP values, then each remaining vehicle
       where it covers the most population still uncovered or without a backup (a greedy step,
       since rounding a fractional covering solution loses coverage)
    4. budget: what rounding up added is paid for by removing optional items, first vehicles above
       the fleet rule (where they cover least), then units above every target, dearest first
Only integer variables get values; HiGHS completes the rest (flows, slacks) as a partial MIP start
and keeps its own bound. Best effort: a start that breaks a hard rule these steps do not know (a
hard ratio target, a bed category) is rejected by HiGHS, which then solves as without one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

import pulp

from models.planner import AmbulanceInputs, PlanInputs, PlanModel, PlanWeights, ResourceInputs
from models.tolerances import INTEGRALITY_TOL
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.solve import SolveReport, solve

logger = logging.getLogger(__name__)

Amounts = dict[tuple[str, str], int]


def set_start(problem: pulp.LpProblem, start: Mapping[str, float | None]) -> None:
    """Initial values by variable name, clipped into each variable's bounds (a solver's value may lie a
    rounding error outside them; PuLP refuses such a value)."""
    for variable in problem.variables():
        value = start.get(variable.name)
        if value is None:
            continue
        if variable.lowBound is not None:
            value = max(value, variable.lowBound)
        if variable.upBound is not None:
            value = min(value, variable.upBound)
        variable.setInitialValue(value)


@dataclass(frozen=True)
class PlanStart:
    """The LP relaxation that was rounded, and the rounded plan's cost and budget repairs."""

    relaxation: SolveReport
    cost_cny: float
    items_removed: int


def set_lp_rounded_start(model: PlanModel, inputs: PlanInputs, settings: SolverSettings) -> PlanStart | None:
    """Solve the LP relaxation of `model`, round it (module docstring) and leave the rounded integer
    values on the model's variables for `solve(..., warm_start=True)`; None when the LP has no solution."""
    integers = [v for v in model.problem.variables() if v.cat == pulp.LpInteger]
    for variable in integers:
        variable.cat = pulp.LpContinuous
    try:
        relaxation = solve(model.problem, settings)
    finally:
        for variable in integers:
            variable.cat = pulp.LpInteger
    if not relaxation.outcome.has_solution:
        return None
    lp = {v.name: float(v.varValue or 0.0) for v in model.problem.variables()}
    for variable in model.problem.variables():
        variable.varValue = None
    is_open = _round_subcentres(model, inputs, lp)
    low, high = _bounds(inputs, is_open)
    amounts = _round_amounts(model, inputs, lp, low, high)
    vehicles = _round_vehicles(model, inputs, lp)
    removed = _fit_budget(model, inputs, lp, amounts, vehicles, low, sum(is_open.values()))
    for key, value in amounts.items():
        model.allocation.amount[key].setInitialValue(value)
    if model.ambulances is not None:
        for base, count in vehicles.items():
            model.ambulances.vehicles[base].setInitialValue(count)
    if model.subcentres is not None:
        for site, chosen in is_open.items():
            model.subcentres.is_open[site].setInitialValue(chosen)
    cost = _cost(inputs, amounts, vehicles, sum(is_open.values()))
    logger.info(
        "LP bound %.6g; rounded start costs %.0f of %.0f CNY after removing %d optional items",
        relaxation.objective,
        cost,
        inputs.budget_cny,
        removed,
    )
    return PlanStart(relaxation, cost, removed)


def _round_subcentres(model: PlanModel, inputs: PlanInputs, lp: Mapping[str, float]) -> dict[str, int]:
    if model.subcentres is None or inputs.subcentres is None:
        return {}
    is_open = model.subcentres.is_open
    chosen = set(sorted(is_open, key=lambda s: -lp[is_open[s].name])[: inputs.subcentres.count])
    return {s: int(s in chosen) for s in is_open}


def _bounds(
    inputs: PlanInputs, is_open: Mapping[str, int]
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """Hard size band (lowest, highest) per (resource, facility), with the sub-centre choice applied."""
    low: dict[tuple[str, str], float] = {}
    high: dict[tuple[str, str], float] = {}
    for limit in inputs.allocation.limits:
        if not limit.hard:
            continue
        key = (limit.resource, limit.facility)
        upgraded = is_open.get(limit.facility, 0) == 1
        lowest = limit.min_if_subcentre if upgraded and limit.min_if_subcentre is not None else limit.min_value
        highest = limit.max_if_subcentre if upgraded and limit.max_if_subcentre is not None else limit.max_value
        if lowest is not None:
            low[key] = max(low.get(key, 0.0), lowest)
        if highest is not None:
            high[key] = min(high.get(key, math.inf), highest)
    return low, high


def _round_amounts(
    model: PlanModel,
    inputs: PlanInputs,
    lp: Mapping[str, float],
    low: dict[tuple[str, str], float],
    high: Mapping[tuple[str, str], float],
) -> Amounts:
    """Round each resource to the LP total rounded up; fills `low` with the staff-per-bed floors used."""
    per_bed = {(rule.resource, rule.facility): rule.min_per_bed for rule in inputs.allocation.staff_per_bed}
    amounts: Amounts = {}
    for resource in sorted(inputs.allocation.resources, key=lambda r: (r.name != "beds", r.subset_of is not None)):
        values = {(resource.name, f): lp[model.allocation.amount[resource.name, f].name] for f in resource.eligible}
        top: dict[tuple[str, str], float] = {}
        for key in values:
            top[key] = high.get(key, math.inf)
            if resource.subset_of is not None and (resource.subset_of, key[1]) in amounts:
                top[key] = min(top[key], amounts[resource.subset_of, key[1]])
            if key in per_bed and ("beds", key[1]) in amounts:
                low[key] = max(low.get(key, 0.0), math.ceil(per_bed[key] * amounts["beds", key[1]] - INTEGRALITY_TOL))
            low[key] = min(math.ceil(low.get(key, 0.0) - INTEGRALITY_TOL), top[key])
        rounded = {
            key: int(min(max(math.floor(value + INTEGRALITY_TOL), low[key]), top[key])) for key, value in values.items()
        }
        missing = math.ceil(sum(values.values()) - INTEGRALITY_TOL) - sum(rounded.values())
        for key in sorted(values, key=lambda k: math.floor(values[k] + INTEGRALITY_TOL) - values[k]):
            if missing <= 0:
                break
            if rounded[key] + 1 <= top[key] + INTEGRALITY_TOL:
                rounded[key] += 1
                missing -= 1
        amounts.update(rounded)
    return amounts


class _Coverage:
    """Vehicles within each town's standard, and what one vehicle more or less at a base is worth in
    the objective (population share uncovered × W_amb, without a backup × W_bak)."""

    def __init__(self, rules: AmbulanceInputs, weights: PlanWeights, vehicles: Mapping[str, int]) -> None:
        total = sum(rules.population[t] for t in rules.towns) or 1.0
        self.share = {t: rules.population[t] / total for t in rules.towns}
        self.weight = {0: weights.ambulance_coverage, 1: weights.ambulance_backup}
        self.reaches: dict[str, list[str]] = {b: [] for b in vehicles}
        for town in rules.towns:
            for base in rules.covering.get(town, ()):
                self.reaches[base].append(town)
        self.within = {t: sum(vehicles[b] for b in rules.covering.get(t, ())) for t in rules.towns}

    def gain(self, base: str) -> float:
        """Objective decrease of one vehicle more at `base`."""
        return sum(self.weight.get(self.within[t], 0.0) * self.share[t] for t in self.reaches[base])

    def loss(self, base: str) -> float:
        """Objective increase of one vehicle less at `base`."""
        return sum(self.weight.get(self.within[t] - 1, 0.0) * self.share[t] for t in self.reaches[base])

    def move(self, base: str, step: int) -> None:
        """Record one vehicle added (`step` = 1) or removed (-1) at `base`."""
        for town in self.reaches[base]:
            self.within[town] += step


def _round_vehicles(model: PlanModel, inputs: PlanInputs, lp: Mapping[str, float]) -> dict[str, int]:
    """Floors of the LP values, then each remaining vehicle of the LP fleet where it gains the most
    coverage (ties by fractional part)."""
    if model.ambulances is None or inputs.ambulances is None:
        return {}
    cap = inputs.ambulances.max_per_base
    values = {b: lp[v.name] for b, v in model.ambulances.vehicles.items()}
    rounded = {b: min(math.floor(value + INTEGRALITY_TOL), cap) for b, value in values.items()}
    missing = math.floor(sum(values.values()) + INTEGRALITY_TOL) - sum(rounded.values())
    coverage = _Coverage(inputs.ambulances, inputs.weights, rounded)
    for _ in range(max(missing, 0)):
        open_bases = [b for b in rounded if rounded[b] < cap]
        if not open_bases:
            break
        best = max(open_bases, key=lambda b: (coverage.gain(b), values[b] - math.floor(values[b] + INTEGRALITY_TOL)))
        rounded[best] += 1
        coverage.move(best, 1)
    return rounded


def _cost(inputs: PlanInputs, amounts: Amounts, vehicles: Mapping[str, int], n_subcentres: int) -> float:
    cost = n_subcentres * (inputs.subcentres.upgrade_cost_cny if inputs.subcentres else 0.0)
    for resource in inputs.allocation.resources:
        total = sum(amounts[resource.name, f] for f in resource.eligible)
        cost += max(total - (resource.baseline_modelled or 0.0), 0.0) * resource.unit_cost_cny
    if inputs.ambulances is not None:
        bought = sum(vehicles.values()) - inputs.ambulances.existing_fleet
        cost += max(bought, 0) * inputs.ambulances.unit_cost_cny
    return cost


def _targets_hold(inputs: PlanInputs, amounts: Amounts) -> set[str]:
    """Ids of the ≥ targets the amounts meet."""
    resources = {r.name: r for r in inputs.allocation.resources}

    def counted(resource: ResourceInputs, facilities: tuple[str, ...], other: bool) -> float:
        return sum(amounts[resource.name, f] for f in facilities) + (resource.other_stock if other else 0.0)

    held = set()
    for target in inputs.allocation.targets:
        if target.bound == "<=":
            continue
        value = counted(resources[target.resource], target.facilities, target.include_other_stock)
        need = target.required
        if target.kind == "per_resource" and target.denominator_resource is not None:
            need *= counted(
                resources[target.denominator_resource], target.denominator_facilities, target.include_other_stock
            )
        if value >= need - INTEGRALITY_TOL:
            held.add(target.id)
    return held


def _fit_budget(
    model: PlanModel,
    inputs: PlanInputs,
    lp: Mapping[str, float],
    amounts: Amounts,
    vehicles: dict[str, int],
    low: Mapping[tuple[str, str], float],
    n_subcentres: int,
) -> int:
    """Remove optional items until the rounded plan fits the budget (step 4); returns how many.

    A unit is removed only where it lowers the cost: vehicles above the existing fleet, amounts
    above the base-year stock."""
    removed = 0
    over = _cost(inputs, amounts, vehicles, n_subcentres) - inputs.budget_cny
    if inputs.ambulances is not None:
        keep = max(inputs.ambulances.fleet_required, inputs.ambulances.existing_fleet)
        coverage = _Coverage(inputs.ambulances, inputs.weights, vehicles)
        while over > 0 and sum(vehicles.values()) > keep:
            base = min((b for b in vehicles if vehicles[b] > 0), key=coverage.loss)
            vehicles[base] -= 1
            coverage.move(base, -1)
            over -= inputs.ambulances.unit_cost_cny
            removed += 1
    held = _targets_hold(inputs, amounts)
    for resource in sorted(inputs.allocation.resources, key=lambda r: -r.unit_cost_cny):
        total = sum(amounts[resource.name, f] for f in resource.eligible)
        keys = sorted(
            ((resource.name, f) for f in resource.eligible),
            key=lambda k: amounts[k] - lp[model.allocation.amount[k].name],
            reverse=True,
        )
        for key in keys:
            if over <= 0 or total <= (resource.baseline_modelled or 0.0) or resource.unit_cost_cny <= 0:
                break
            if amounts[key] - 1 < low.get(key, 0.0) - INTEGRALITY_TOL:
                continue
            amounts[key] -= 1
            if not held <= _targets_hold(inputs, amounts):
                amounts[key] += 1
                break  # the resource is at one of its targets: none of its units is optional
            total -= 1
            over -= resource.unit_cost_cny
            removed += 1
    return removed
