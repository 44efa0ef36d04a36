"""Facility features (F1)–(F3) against brute force on tiny instances, with both solvers.

Three facilities hold base-year beds; a feature (a ward, say) needs at least `least` beds at a facility
that has it and costs `opening` there; a target asks that `required` of the three have it. The model
must pick the holders that make the plan cheapest: opening the feature where the beds already are, or
adding beds where that is cheaper. The optimum is enumerated from the formulation in
models/planner/features.py (cost of openings + cost of the beds each holder lacks, the cost weight and
the stability tie-break of (R7)); base-year holders are never costed and never dropped.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from models.outcome import SolveOutcome
from models.planner import (
    AllocationInputs,
    FeatureInputs,
    FeatureSpec,
    FeatureTargetSpec,
    PlanInputs,
    build_plan_model,
)
from models.planner.allocation import PARSIMONY
from optimizer.solving.solve import solve
from optimizer.solving.spend import solve_with_spend_rule
from tests.support import TOL, exact, plan_weights, resource, tiny_plan

FACILITIES = ("F1", "F2", "F3")
WEIGHTS = plan_weights()
BUDGET = 1000.0
REFERENCE = 10.0
SHORTFALL_WEIGHT = 100.0


def _plan(
    stock: dict[str, int], *, bed_cost: float, opening: float, least: int, required: int, existing=(), hard=True
) -> PlanInputs:
    beds = resource("beds", FACILITIES, unit_cost_cny=bed_cost, reference=REFERENCE, base_stock=stock)
    allocation = AllocationInputs(
        towns=("A",),
        population={"A": 1.0},
        facilities=FACILITIES,
        facility_site={f: f"s{f}" for f in FACILITIES},
        access_min={("A", f): 0.0 for f in FACILITIES},
        access_limit_min=60.0,
        resources=(beds,),
        targets=(),
        limits=(),
        staff_per_bed=(),
        bed_categories=(),
    )
    features = FeatureInputs(
        (FeatureSpec("ward", FACILITIES, frozenset(existing), (("beds", float(least)),), opening),),
        (FeatureTargetSpec("wards", "ward", FACILITIES, required, None, hard, SHORTFALL_WEIGHT),),
    )
    return tiny_plan("features", allocation, budget_cny=BUDGET, weights=WEIGHTS, features=features)


def _objective(holders, stock, *, bed_cost, opening, least, required, existing=(), hard=True) -> float | None:
    """The objective of the plan in which exactly `holders` have the feature; None when it breaks a rule."""
    shortfall = max(required - len(holders), 0)
    if not set(existing) <= set(holders) or (hard and shortfall):
        return None
    added = sum(max(least - stock[f], 0) for f in holders)
    cost = added * bed_cost + opening * len(set(holders) - set(existing))
    if cost > BUDGET:
        return None
    return SHORTFALL_WEIGHT * shortfall / required + WEIGHTS.cost * cost / BUDGET + PARSIMONY / REFERENCE * added


def _brute_force(stock, **kwargs) -> float:
    """The best objective over every set of holders."""
    values = [
        _objective(holders, stock, **kwargs)
        for size in range(len(FACILITIES) + 1)
        for holders in itertools.combinations(FACILITIES, size)
    ]
    return min(v for v in values if v is not None)


CASES = [
    # stock, bed cost, opening cost, beds needed, holders required, base-year holders
    ({"F1": 30, "F2": 10, "F3": 0}, 10.0, 50.0, 25, 2, ()),
    ({"F1": 30, "F2": 10, "F3": 0}, 1.0, 50.0, 25, 3, ()),
    ({"F1": 5, "F2": 22, "F3": 24}, 10.0, 20.0, 25, 2, ("F1",)),
    ({"F1": 0, "F2": 0, "F3": 0}, 5.0, 10.0, 10, 1, ()),
]


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize(("stock", "bed_cost", "opening", "least", "required", "existing"), CASES)
def test_features_open_where_the_plan_is_cheapest(solver, stock, bed_cost, opening, least, required, existing):
    kwargs = {"bed_cost": bed_cost, "opening": opening, "least": least, "required": required, "existing": existing}
    model = build_plan_model(_plan(stock, **kwargs))
    report = solve(model.problem, exact(solver))
    assert report.outcome is SolveOutcome.OPTIMAL
    best = _brute_force(stock, **kwargs)
    assert report.objective == pytest.approx(best, abs=TOL)
    assert model.features is not None
    chosen = tuple(f for f in FACILITIES if round(model.features.has["ward", f].varValue) == 1)
    assert _objective(chosen, stock, **kwargs) == pytest.approx(best, abs=TOL)
    for facility in chosen:  # (F1): every holder holds what the feature needs
        assert model.allocation.amount["beds", facility].varValue >= least - TOL


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_a_soft_target_the_budget_cannot_buy_is_short_by_whole_facilities(solver: str) -> None:
    """Opening costs 400 and the budget is 1,000: two of three wards at most; the shortfall is one facility."""
    kwargs = {"bed_cost": 1.0, "opening": 400.0, "least": 0, "required": 3, "existing": (), "hard": False}
    model = build_plan_model(_plan({"F1": 0, "F2": 0, "F3": 0}, **kwargs))
    report = solve(model.problem, exact(solver))
    assert report.outcome is SolveOutcome.OPTIMAL
    assert model.features is not None
    assert sum(round(v.varValue) for v in model.features.has.values()) == 2
    assert model.features.shortfall["wards"].varValue == pytest.approx(1.0, abs=TOL)
    assert report.objective == pytest.approx(_brute_force({"F1": 0, "F2": 0, "F3": 0}, **kwargs), abs=TOL)


def test_a_hard_target_the_budget_cannot_buy_is_infeasible() -> None:
    model = build_plan_model(_plan({"F1": 0, "F2": 0, "F3": 0}, bed_cost=1.0, opening=400.0, least=0, required=3))
    assert solve(model.problem, exact("highs")).outcome is SolveOutcome.INFEASIBLE


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_between_equal_sites_the_feature_opens_where_more_residents_live(solver: str) -> None:
    """Same stock and cost everywhere: the siting tie-break puts the one opening in F2's larger township."""
    plan = _plan({"F1": 0, "F2": 0, "F3": 0}, bed_cost=1.0, opening=10.0, least=0, required=1)
    assert plan.features is not None
    spec = plan.features.features[0]
    features = FeatureInputs((replace(spec, residents=(100.0, 300.0, 200.0)),), plan.features.targets)
    model = build_plan_model(replace(plan, features=features))
    assert solve(model.problem, exact(solver)).outcome is SolveOutcome.OPTIMAL
    assert model.features is not None
    assert [f for f in FACILITIES if round(model.features.has["ward", f].varValue) == 1] == ["F2"]


def test_the_spend_rule_places_the_opening_by_the_siting_tie_break_too() -> None:
    """The tie-break is no shortfall: the spend rule holds every shortfall variable at its least-cost value, and
    the has-feature variables it weighs were capped with them (a Lu budget sweep could not share a plan between
    levels whose least-cost plans differed only in where a PET-CT opened, and the placement phase could not
    move an opening). Both phases weigh it, so the ward still opens in F2. HiGHS only: CBC, started from a plan
    at F3, may call it optimal although F2 is 1.1e-6 better (its stopping rule is coarser than a millionth)."""
    plan = _plan({"F1": 0, "F2": 0, "F3": 0}, bed_cost=1.0, opening=10.0, least=0, required=1)
    assert plan.features is not None
    spec = plan.features.features[0]
    features = FeatureInputs((replace(spec, residents=(100.0, 300.0, 200.0)),), plan.features.targets)
    model = build_plan_model(replace(plan, features=features))
    assert model.features is not None
    has = set(model.features.has.values())
    assert not has & set(model.terms.shortfall.keys())
    assert {model.features.has["ward", f] for f in ("F1", "F3")} <= set(model.terms.siting.keys())
    settings = exact("highs").model_copy(update={"mip_abs_gap": 1e-9})  # the tie-break is worth about 1e-6
    spent = solve_with_spend_rule(model, settings, "targets_only", plan.budget_cny, warm_start=False)
    assert spent.report.outcome is SolveOutcome.OPTIMAL
    assert [f for f in FACILITIES if round(model.features.has["ward", f].varValue) == 1] == ["F2"]
