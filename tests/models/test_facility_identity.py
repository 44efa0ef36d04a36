"""Facility identity in the plan model, against brute force on tiny instances with both solvers.

(R6)–(R7): a facility keeps its base-year stock (less the allowed reduction) and additions are costed
where they happen, so emptying one hospital into another is never free; the stability tie-break
keeps free sub-resources where they are; (P1) with another resource as the basis (TCM physicians per
physician); (A5) named 120 stations hold a vehicle. Each optimum is enumerated in Python from the
formulation in the builders' docstrings.
"""

from __future__ import annotations

import itertools

import pytest

from models.outcome import SolveOutcome
from models.planner import (
    AllocationInputs,
    AmbulanceInputs,
    LimitInputs,
    PlanInputs,
    StaffPerBedInputs,
    TargetInputs,
    build_plan_model,
)
from models.planner.allocation import PARSIMONY
from models.planner.ambulances import STABILITY
from optimizer.solving.solve import solve
from tests.support import TOL, count_target, exact, plan_weights, resource, tiny_plan

FACILITIES = ("F1", "F2")
WEIGHTS = plan_weights()
BUDGET = 100.0
SHORTFALL_WEIGHT = 100.0


def _resource(name: str, base: dict[str, int], *, cost: float, reduction: float = 0.0, subset_of: str | None = None):
    return resource(
        name,
        FACILITIES,
        unit_cost_cny=cost,
        reference=10.0,
        base_stock=base,
        max_reduction_share=reduction,
        subset_of=subset_of,
    )


def _target(resource: str, required: float) -> TargetInputs:
    return count_target(resource, required, FACILITIES)


def _plan(resources, targets, limits=(), ratios=(), ambulances=None, budget=BUDGET) -> PlanInputs:
    allocation = AllocationInputs(
        towns=("A",),
        population={"A": 1.0},
        facilities=FACILITIES,
        facility_site={"F1": "s1", "F2": "s2"},
        access_min={("A", "F1"): 0.0, ("A", "F2"): 0.0},
        access_limit_min=60.0,
        resources=tuple(resources),
        targets=tuple(targets),
        limits=tuple(limits),
        staff_per_bed=tuple(ratios),
        bed_categories=(),
    )
    return tiny_plan("identity", allocation, budget_cny=budget, weights=WEIGHTS, ambulances=ambulances)


def _solved(inputs: PlanInputs, solver: str):
    model = build_plan_model(inputs)
    report = solve(model.problem, exact(solver))
    assert report.outcome is SolveOutcome.OPTIMAL
    return model, report


def _stock_objective(x: dict[str, int], base: dict[str, int], required: float, unit_cost: float) -> float | None:
    """Objective of the one-resource instance from the formulation; None when over budget."""
    added = sum(max(x[f] - base.get(f, 0), 0) for f in FACILITIES)
    reduced = sum(max(base.get(f, 0) - x[f], 0) for f in FACILITIES)
    cost = added * unit_cost
    if cost > BUDGET:
        return None
    shortfall = max(required - sum(x.values()), 0.0)
    return SHORTFALL_WEIGHT * shortfall / required + WEIGHTS.cost * cost / BUDGET + PARSIMONY / 10.0 * (added + reduced)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("reduction", [0.0, 0.5])
def test_stock_is_kept_and_additions_are_costed_where_they_happen(solver: str, reduction: float) -> None:
    """F1 holds 6 beds and may hold at most 3 more; F2 none. Moving beds from F1 to F2 is an addition
    at F2 (costed), so it never happens for free; with a 50 % reduction allowed F1 may drop to 3."""
    base = {"F1": 6, "F2": 0}
    required, unit_cost = 10.0, 2.0
    cap = LimitInputs("f2_band", "beds", "F2", 2.0, None, None, None, True, 1.0)
    inputs = _plan([_resource("beds", base, cost=unit_cost, reduction=reduction)], [_target("beds", required)], [cap])
    model, report = _solved(inputs, solver)
    floor_f1 = 3 if reduction else 6
    best = min(
        (value, (x1, x2))
        for x1 in range(0, 15)
        for x2 in range(2, 15)
        if x1 >= floor_f1
        for value in [_stock_objective({"F1": x1, "F2": x2}, base, required, unit_cost)]
        if value is not None
    )
    assert report.objective == pytest.approx(best[0], abs=TOL)
    x1, x2 = (int(round(model.allocation.amount["beds", f].varValue)) for f in FACILITIES)
    assert x1 >= floor_f1
    assert _stock_objective({"F1": x1, "F2": x2}, base, required, unit_cost) == pytest.approx(best[0], abs=TOL)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_free_sub_resource_stays_at_its_home_whatever_the_budget(solver: str) -> None:
    """TCM physicians cost nothing (they are costed as physicians): the stability term keeps the four
    of F1 at F1 under any budget, where a free pool would let them drift to F2."""
    physicians = _resource("physicians", {"F1": 5, "F2": 5}, cost=1.0)
    tcm = _resource("tcm_physicians", {"F1": 4, "F2": 0}, cost=0.0, reduction=1.0, subset_of="physicians")
    for budget in (5.0, 50.0):
        inputs = _plan([physicians, tcm], [_target("physicians", 12.0), _target("tcm_physicians", 4.0)], budget=budget)
        model, _ = _solved(inputs, solver)
        placed = {f: int(round(model.allocation.amount["tcm_physicians", f].varValue)) for f in FACILITIES}
        assert placed == {"F1": 4, "F2": 0}


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_share_of_another_resource_is_enforced(solver: str) -> None:
    """(P1) with basis physicians: TCM physicians ≥ 0.6 × physicians at F1 (hard). Brute force over the
    physicians and TCM physicians at F1 (F2 holds none), with the physician target 5 and no TCM target;
    no stock is known per facility, so the free TCM physicians carry the parsimony term ε·x / ref."""
    physicians = _resource("physicians", {}, cost=1.0, reduction=1.0)
    tcm = _resource("tcm_physicians", {}, cost=0.0, reduction=1.0, subset_of="physicians")
    share = StaffPerBedInputs("tcm_share", "tcm_physicians", "F1", 0.6, True, 1.0, per_resource="physicians")
    f2_none = [
        LimitInputs(f"no_{r}", r, "F2", None, 0.0, None, None, True, 1.0) for r in ("physicians", "tcm_physicians")
    ]
    inputs = _plan([physicians, tcm], [_target("physicians", 5.0)], f2_none, [share])
    model, report = _solved(inputs, solver)
    best = min(
        (
            SHORTFALL_WEIGHT * max(5 - p, 0) / 5 + WEIGHTS.cost * p / BUDGET + PARSIMONY / 10 * t,
            (p, t),
        )
        for p in range(0, 10)
        for t in range(0, p + 1)
        if t >= 0.6 * p - 1e-9
    )
    assert report.objective == pytest.approx(best[0], abs=TOL)
    x = model.allocation.amount
    assert (int(round(x["physicians", "F1"].varValue)), int(round(x["tcm_physicians", "F1"].varValue))) == best[1]


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_named_station_holds_a_vehicle_and_existing_vehicles_are_not_bought_again(solver: str) -> None:
    """Fleet rule 2 over bases F1, F2; F2 is a named station; F1 already has 2 vehicles. Brute force
    over (n1, n2): coverage terms, the shortfall, the purchase cost over the existing fleet and the
    re-stationing tie-break."""
    ambulances = AmbulanceInputs(
        towns=("A",),
        population={"A": 1.0},
        bases=FACILITIES,
        covering={"A": ("F1",)},
        fleet_required=2,
        fleet_hard=False,
        fleet_shortfall_weight=SHORTFALL_WEIGHT,
        existing_fleet=2,
        max_per_base=3,
        unit_cost_cny=10.0,
        target_id="fleet",
        existing_at={"F1": 2},
        named_stations=("F2",),
    )
    beds = _resource("beds", {}, cost=0.0, reduction=1.0)
    inputs = _plan([beds], [], ambulances=ambulances)
    model, report = _solved(inputs, solver)

    def value(n1: int, n2: int) -> float:
        cover = min(n1, 2)
        uncovered, no_backup = (1 if cover < 1 else 0), (1 if cover < 2 else 0)
        bought = max(n1 + n2 - 2, 0)
        return (
            WEIGHTS.ambulance_coverage * uncovered
            + WEIGHTS.ambulance_backup * no_backup
            + SHORTFALL_WEIGHT * max(2 - n1 - n2, 0) / 2
            + WEIGHTS.cost * bought * 10.0 / BUDGET
            + STABILITY / 2 * abs(n1 - 2)
        )

    best = min((value(n1, n2), (n1, n2)) for n1, n2 in itertools.product(range(4), range(1, 4)))
    assert report.objective == pytest.approx(best[0], abs=TOL)
    assert model.ambulances is not None
    chosen = tuple(int(round(model.ambulances.vehicles[f].varValue)) for f in FACILITIES)
    assert chosen == best[1] and chosen[1] >= 1
