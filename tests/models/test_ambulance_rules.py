"""The ambulance block's radius [A4], mean response [A7] and county fleet [A2] rules against brute force.

One tiny instance (4 towns, 3 bases, at most 2 vehicles a base): every stationing n ∈ {0, 1, 2}³ is
enumerated in Python, its objective evaluated from the formulation in models/planner/ambulances.py, the
rule checked with plain arithmetic (nearest base, county sums), and the MIP must find the same optimum.
Each rule is also shown to bind: without it the optimum is different.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import replace

import pulp
import pytest

from models.naming import ConstraintRegistry
from models.outcome import SolveOutcome
from models.planner import AmbulanceInputs
from models.planner.ambulances import CountyFleet, ResponseMean, add_ambulances
from models.planner.families import PlanFamily
from optimizer.solving.solve import solve
from tests.support import TOL, exact

TOWNS = ("A", "B", "C", "D")
POPULATION = {"A": 40.0, "B": 30.0, "C": 20.0, "D": 10.0}
BASES = ("F1", "F2", "F3")
MINUTES = {
    ("A", "F1"): 0.0, ("A", "F2"): 10.0, ("A", "F3"): 30.0,
    ("B", "F1"): 10.0, ("B", "F2"): 0.0, ("B", "F3"): 20.0,
    ("C", "F1"): 20.0, ("C", "F2"): 12.0, ("C", "F3"): 8.0,
    ("D", "F1"): 30.0, ("D", "F2"): 20.0, ("D", "F3"): 0.0,
}  # fmt: skip
WITHIN_RADIUS = {"A": ("F1", "F2"), "B": ("F1", "F2"), "C": ("F2", "F3"), "D": ("F3",)}
"""R(t): bases within each town's class radius (the hard maximum)."""
MAX_PER_BASE = 2
VEHICLE_COST = 0.5
"""Objective weight of one vehicle: above the fleet rule it costs more than it buys in coverage."""


def _inputs(**changes: object) -> AmbulanceInputs:
    base = AmbulanceInputs(
        towns=TOWNS,
        population=POPULATION,
        bases=BASES,
        covering={"A": ("F1",), "B": ("F2",), "C": ("F3",), "D": ("F3",)},
        fleet_required=1,
        fleet_hard=False,
        fleet_shortfall_weight=100.0,
        existing_fleet=0,
        max_per_base=MAX_PER_BASE,
        unit_cost_cny=VEHICLE_COST,
        target_id="ambulance_fleet",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _solve(inputs: AmbulanceInputs, solver: str, coverage: float) -> tuple[float, dict[str, int]]:
    problem = pulp.LpProblem("ambulances", pulp.LpMinimize)
    handles = add_ambulances(problem, inputs, ConstraintRegistry[PlanFamily]())
    problem += coverage * handles.uncovered_term + handles.shortfall_term + handles.cost
    report = solve(problem, exact(solver))
    assert report.outcome is SolveOutcome.OPTIMAL, report.detail
    assert report.objective is not None
    return report.objective, {b: round(float(v.varValue or 0.0)) for b, v in handles.vehicles.items()}


def _mean(vehicles: Mapping[str, int]) -> float:
    """Population-weighted minutes to the nearest base holding a vehicle (inf with none)."""
    nearest = {t: min((MINUTES[t, b] for b in BASES if vehicles[b] > 0), default=math.inf) for t in TOWNS}
    return sum(POPULATION[t] * nearest[t] for t in TOWNS) / sum(POPULATION.values())


def _brute_force(inputs: AmbulanceInputs, coverage: float) -> tuple[float, list[dict[str, int]]]:
    """Least objective over every stationing, and the stationings that reach it."""
    total = sum(POPULATION.values())
    best, argmin = math.inf, []
    for counts in itertools.product(range(MAX_PER_BASE + 1), repeat=len(BASES)):
        n = dict(zip(BASES, counts, strict=True))
        fleet = sum(counts)
        if inputs.within_radius is not None and any(sum(n[b] for b in inputs.within_radius[t]) < 1 for t in TOWNS):
            continue
        per_vehicle = inputs.fleet_shortfall_weight / inputs.fleet_required
        short = [max(inputs.fleet_required - fleet, 0)]
        short += [max(rule.required - sum(n[b] for b in rule.bases), 0) for rule in inputs.county_fleet]
        if inputs.fleet_hard and any(short):
            continue
        objective = per_vehicle * sum(short) + VEHICLE_COST * fleet
        objective += coverage * sum(POPULATION[t] for t in TOWNS if not any(n[b] for b in inputs.covering[t])) / total
        rule = inputs.response_mean
        if rule is not None:
            excess = max(_mean(n) - rule.max_min, 0.0)
            if math.isinf(excess) or (rule.hard and excess > TOL):
                continue
            objective += rule.shortfall_weight / rule.max_min * excess
        if objective < best - TOL:
            best, argmin = objective, [n]
        elif abs(objective - best) <= TOL:
            argmin.append(n)
    return best, argmin


def test_hard_radius_binds_and_matches_brute_force(solver_name: str) -> None:
    """One vehicle meets the fleet rule; the radius needs a second (F3 alone leaves A and B 20+ km away)."""
    free = _inputs()
    objective, vehicles = _solve(free, solver_name, coverage=0.0)
    assert sum(vehicles.values()) == 1 and objective == pytest.approx(_brute_force(free, 0.0)[0], abs=1e-6)
    hard = _inputs(within_radius=WITHIN_RADIUS)
    objective, vehicles = _solve(hard, solver_name, coverage=0.0)
    best, argmin = _brute_force(hard, 0.0)
    assert objective == pytest.approx(best, abs=1e-6)
    assert vehicles in argmin and sum(vehicles.values()) == 2
    assert all(sum(vehicles[b] for b in WITHIN_RADIUS[t]) >= 1 for t in TOWNS)


def test_a_town_no_base_reaches_is_refused() -> None:
    problem = pulp.LpProblem("ambulances", pulp.LpMinimize)
    with pytest.raises(ValueError, match=r"towns \['D'\] have no candidate base within their radius"):
        add_ambulances(problem, _inputs(within_radius={**WITHIN_RADIUS, "D": ()}), ConstraintRegistry[PlanFamily]())


@pytest.mark.parametrize("radius", [False, True], ids=["radius_soft", "radius_hard"])
def test_hard_mean_response_binds_and_matches_brute_force(solver_name: str, radius: bool) -> None:
    """Mean ≤ 5 min: the best single base (F2, mean 8.4 min) fails; two bases (F1 + F2: 4.4, F1 + F3: 4.6) pass.

    With the radius hard, the candidate bases of a town are cut at the slowest base of its radius: the
    optimum must not change."""
    rule = ResponseMean(max_min=5.0, hard=True, shortfall_weight=100.0, travel_min=MINUTES)
    assert _mean({"F1": 0, "F2": 1, "F3": 0}) == pytest.approx(8.4)
    inputs = _inputs(response_mean=rule, within_radius=WITHIN_RADIUS if radius else None)
    objective, vehicles = _solve(inputs, solver_name, coverage=0.0)
    best, argmin = _brute_force(inputs, 0.0)
    assert objective == pytest.approx(best, abs=1e-6)
    assert vehicles in argmin and sum(vehicles.values()) == 2
    assert _mean(vehicles) <= 5.0 + TOL


def test_soft_mean_response_trades_minutes_against_vehicles(solver_name: str) -> None:
    """Penalised at 2 per minute over 5 min (0.4 per minute): 3.4 min over with one vehicle costs 1.36,
    more than a second vehicle (0.5), so the optimum buys it; at a tenth of the weight it does not."""
    for weight, fleet in ((2.0, 2), (0.2, 1)):
        rule = ResponseMean(max_min=5.0, hard=False, shortfall_weight=weight, travel_min=MINUTES)
        inputs = _inputs(response_mean=rule)
        objective, vehicles = _solve(inputs, solver_name, coverage=0.0)
        best, argmin = _brute_force(inputs, 0.0)
        assert objective == pytest.approx(best, abs=1e-6)
        assert vehicles in argmin and sum(vehicles.values()) == fleet


def test_county_fleet_binds_and_matches_brute_force(solver_name: str) -> None:
    """Area 3 vehicles, hard: one at each base covers every town. County Y (base F3) must hold 2 of its
    own, so the optimum adds a fourth vehicle rather than uncover A or B."""
    area = _inputs(fleet_required=3, fleet_hard=True)
    objective, vehicles = _solve(area, solver_name, coverage=10.0)
    assert vehicles == {"F1": 1, "F2": 1, "F3": 1}
    assert objective == pytest.approx(_brute_force(area, 10.0)[0], abs=1e-6)
    counties = (
        CountyFleet("X", ("F1", "F2"), 1, "ambulance_fleet_X"),
        CountyFleet("Y", ("F3",), 2, "ambulance_fleet_Y"),
    )
    ruled = replace(area, county_fleet=counties)
    objective, vehicles = _solve(ruled, solver_name, coverage=10.0)
    best, argmin = _brute_force(ruled, 10.0)
    assert objective == pytest.approx(best, abs=1e-6)
    assert vehicles == {"F1": 1, "F2": 1, "F3": 2} and vehicles in argmin


def test_soft_county_fleet_is_penalised_per_vehicle_short(solver_name: str) -> None:
    """Soft, at 0.1 per vehicle short (weight 0.3 over an area rule of 3): cheaper than a 0.5 vehicle, so
    county Y stays one short; the MIP agrees with the enumeration."""
    counties = (CountyFleet("Y", ("F3",), 2, "ambulance_fleet_Y"),)
    inputs = _inputs(fleet_required=3, fleet_shortfall_weight=0.3, county_fleet=counties)
    objective, vehicles = _solve(inputs, solver_name, coverage=10.0)
    best, argmin = _brute_force(inputs, 10.0)
    assert objective == pytest.approx(best, abs=1e-6)
    assert vehicles in argmin and vehicles["F3"] == 1
