"""The integrated plan model against brute-force enumeration on tiny instances, with both solvers.

Each test builds a 3–6 town instance, enumerates every integer decision in Python, evaluates the
objective from its definition in the builders' docstrings, and checks the MIP finds the same optimum.
"""

from __future__ import annotations

import itertools
import math

import pulp
import pytest

from models.outcome import SolveOutcome
from models.planner import AmbulanceInputs, LimitInputs, PlanInputs, SubcentreInputs, build_plan_model
from models.planner.subcentres import build_subcentre_model
from optimizer.solving.solve import solve
from tests.support import TOL, beds_allocation, exact, plan_weights, tiny_plan

TOWNS = ("A", "B", "C", "D")
POPULATION = {"A": 40.0, "B": 30.0, "C": 20.0, "D": 10.0}
FACILITIES = ("F1", "F2", "F3")
SITE = {"F1": "A", "F2": "B", "F3": "C"}
# Travel minutes town → facility (a symmetric-ish hand matrix; columns F1, F2, F3).
MINUTES_TO = {
    "A": (0.0, 10.0, 25.0),
    "B": (10.0, 0.0, 15.0),
    "C": (25.0, 15.0, 0.0),
    "D": (40.0, 20.0, 12.0),
}
MINUTES = {(t, f): m for t, row in MINUTES_TO.items() for f, m in zip(FACILITIES, row, strict=True)}
WEIGHTS = plan_weights()
LIMIT_MIN = 60.0
BEDS_REQUIRED = 10.0
BED_COST, AMBULANCE_COST, UPGRADE_COST = 1.0, 2.0, 3.0


def _instance(budget: float) -> PlanInputs:
    """Beds at three facilities, one sub-centre out of F2/F3, a fleet of 2 over three bases."""
    limits = (
        LimitInputs("hospital", "beds", "F1", None, 6.0, None, None, True, 1.0),
        LimitInputs("primary", "beds", "F2", None, 3.0, None, 8.0, True, 1.0),
        LimitInputs("primary", "beds", "F3", None, 3.0, None, 8.0, True, 1.0),
        LimitInputs("subcentre_beds", "beds", "F2", None, None, 4.0, None, True, 1.0),
        LimitInputs("subcentre_beds", "beds", "F3", None, None, 4.0, None, True, 1.0),
    )
    allocation = beds_allocation(
        POPULATION,
        SITE,
        MINUTES,
        required_beds=BEDS_REQUIRED,
        target_id="beds_total",
        limits=limits,
        bed_cost_cny=BED_COST,
        access_limit_min=LIMIT_MIN,
    )
    ambulances = AmbulanceInputs(
        towns=TOWNS,
        population=POPULATION,
        bases=FACILITIES,
        covering={"A": ("F1", "F2"), "B": ("F1", "F2"), "C": ("F3",), "D": ("F3",)},
        fleet_required=2,
        fleet_hard=False,
        fleet_shortfall_weight=100.0,
        existing_fleet=0,
        max_per_base=2,
        unit_cost_cny=AMBULANCE_COST,
        target_id="fleet",
    )
    subcentres = SubcentreInputs(
        towns=TOWNS,
        population=POPULATION,
        candidates=("F2", "F3"),
        count=1,
        named=(),
        honour_named=False,
        covering={"A": ("F2",), "B": ("F2",), "C": ("F2", "F3"), "D": ("F3",)},
        travel_min={k: v for k, v in MINUTES.items() if k[1] in ("F2", "F3")},
        access_limit_min=LIMIT_MIN,
        upgrade_cost_cny=UPGRADE_COST,
        target_id="subcentres",
    )
    return tiny_plan(
        "tiny", allocation, budget_cny=budget, weights=WEIGHTS, ambulances=ambulances, subcentres=subcentres
    )


def _brute_force(inputs: PlanInputs) -> float:
    """Minimum objective over every integer decision, evaluated from the formulation's definition."""
    total = sum(POPULATION.values())
    assert inputs.ambulances is not None and inputs.subcentres is not None
    amb, sub = inputs.ambulances, inputs.subcentres
    best = math.inf
    for opened in sub.candidates:
        cap = {"F1": 6, "F2": 8 if opened == "F2" else 3, "F3": 8 if opened == "F3" else 3}
        low = {"F1": 0, "F2": 4 if opened == "F2" else 0, "F3": 4 if opened == "F3" else 0}
        sub_uncovered = sum(POPULATION[t] for t in TOWNS if opened not in sub.covering[t]) / total
        sub_travel = sum(POPULATION[t] * sub.travel_min[t, opened] for t in TOWNS) / (total * LIMIT_MIN)
        for beds in itertools.product(*(range(low[f], cap[f] + 1) for f in FACILITIES)):
            bed_total = sum(beds)
            shortfall = max(0.0, BEDS_REQUIRED - bed_total) * 100.0 / BEDS_REQUIRED
            for fleet in itertools.product(range(3), repeat=3):
                vehicles = dict(zip(FACILITIES, fleet, strict=True))
                cost = bed_total * BED_COST + sum(fleet) * AMBULANCE_COST + UPGRADE_COST
                if cost > inputs.budget_cny + TOL:
                    continue
                reach = {t: sum(vehicles[b] for b in amb.covering[t]) for t in TOWNS}
                uncovered = sum(POPULATION[t] for t in TOWNS if reach[t] == 0) / total
                no_backup = sum(POPULATION[t] for t in TOWNS if reach[t] < 2) / total
                fleet_short = max(0, amb.fleet_required - sum(fleet)) * 100.0 / amb.fleet_required
                objective = (
                    shortfall
                    + fleet_short
                    + WEIGHTS.ambulance_coverage * uncovered
                    + WEIGHTS.ambulance_backup * no_backup
                    + WEIGHTS.subcentre_coverage * sub_uncovered
                    + WEIGHTS.subcentre_travel * sub_travel
                    + WEIGHTS.cost * cost / inputs.budget_cny
                )
                best = min(best, objective)
    return best


@pytest.mark.parametrize("budget", [10.0, 14.0, 25.0])
def test_integrated_model_matches_brute_force(solver_name: str, budget: float) -> None:
    inputs = _instance(budget)
    model = build_plan_model(inputs)
    report = solve(model.problem, exact(solver_name))
    assert report.outcome is SolveOutcome.OPTIMAL
    assert report.objective == pytest.approx(_brute_force(inputs), abs=1e-6)


def test_tighter_budget_never_improves_the_objective() -> None:
    objectives = []
    for budget in (8.0, 12.0, 16.0, 30.0):
        model = build_plan_model(_instance(budget))
        objectives.append(solve(model.problem, exact("highs")).objective)
    assert objectives == sorted(objectives, reverse=True)
    assert objectives[0] > objectives[-1]


def test_subcentre_block_matches_enumeration(solver_name: str) -> None:
    towns = ("t1", "t2", "t3", "t4", "t5", "t6")
    population = dict(zip(towns, (50.0, 10.0, 30.0, 25.0, 5.0, 40.0), strict=True))
    candidates = ("s1", "s2", "s3", "s4")
    minutes = {(t, s): float((3 * i + 7 * j) % 23 + 2) for i, t in enumerate(towns) for j, s in enumerate(candidates)}
    covering = {t: tuple(s for s in candidates if minutes[t, s] <= 10) for t in towns}
    inputs = SubcentreInputs(
        towns=towns,
        population=population,
        candidates=candidates,
        count=2,
        named=("s4",),
        honour_named=True,
        covering=covering,
        travel_min=minutes,
        access_limit_min=30.0,
        upgrade_cost_cny=0.0,
        target_id="subcentres",
    )
    model = build_subcentre_model(inputs, coverage_weight=10.0, travel_weight=1.0)
    report = solve(model.problem, exact(solver_name))
    total = sum(population.values())

    def objective(sites: tuple[str, ...]) -> float:
        uncovered = sum(population[t] for t in towns if not set(covering[t]) & set(sites)) / total
        travel = sum(population[t] * min(minutes[t, s] for s in sites) for t in towns) / (total * 30.0)
        return 10.0 * uncovered + travel

    options = [c for c in itertools.combinations(candidates, 2) if "s4" in c]
    best = min(options, key=objective)
    chosen = tuple(s for s, v in model.handles.is_open.items() if round(v.varValue) == 1)
    assert report.objective == pytest.approx(objective(best), abs=1e-6)
    assert objective(chosen) == pytest.approx(objective(best), abs=1e-6)
    assert "s4" in chosen


def test_access_flows_follow_residents_to_the_nearest_capacity() -> None:
    """Two towns, two sites, 10 beds required hard; F1 holds at most 6.

    Demand follows residents: town A (30 %) needs 3 beds, town B (70 %) needs 7. F1 sits in A,
    F2 in B, 10 minutes apart. Minimum travel puts 3 beds in F1 and 7 in F2 (no travel at all); the
    cost term (equal unit costs) does not change that. Objective: cost 10 × 0.1 / budget 100 = 0.01.
    """
    allocation = beds_allocation(
        {"A": 30.0, "B": 70.0},
        {"F1": "a", "F2": "b"},
        {("A", "F1"): 0.0, ("A", "F2"): 10.0, ("B", "F1"): 10.0, ("B", "F2"): 0.0},
        required_beds=10.0,
        hard=True,
        demand_driven=True,
        limits=(LimitInputs("cap", "beds", "F1", None, 6.0, None, None, True, 1.0),),
    )
    model = build_plan_model(tiny_plan("access", allocation, budget_cny=100.0, weights=WEIGHTS))
    report = solve(model.problem, exact("highs"))
    amounts = {f: round(v.varValue) for (_, f), v in model.allocation.amount.items()}
    assert amounts == {"F1": 3, "F2": 7}
    assert pulp.value(model.allocation.access_term) == pytest.approx(0.0, abs=TOL)
    assert report.objective == pytest.approx(0.01, abs=1e-9)
