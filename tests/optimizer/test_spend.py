"""What a budget is spent on (optimizer/solving/spend.py, decision A41), against enumeration and on Lu.

The tiny instance: towns A (30 residents) and B (70), a facility in each, 10 minutes apart; a soft target of
4 beds, and the bed demand (4, split 1.2 / 2.8 by residents) travels to the capacity. Four beds meet the
target; only a fifth shortens trips (A's 1.2 beds of demand need 2 beds in A). With `targets_only` the
run buys 4 beds and places them where trips are shortest; with `improve_access` the budget also buys the
fifth. Both report 4 beds' cost as the least cost that meets the plan.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pulp
import pytest

from models.outcome import SolveOutcome
from models.planner import PlanInputs, build_plan_model
from models.tolerances import FEASIBILITY_TOL
from optimizer.inputs.scenario import SpendRule
from optimizer.solving.spend import (
    COST_CAP,
    LEAST_COST_BOUND,
    clear_spend_rows,
    shortfall_bounds,
    solve_with_spend_rule,
)
from tests.support import beds_allocation, bundled_solve, exact, plan_weights, tiny_plan

POPULATION = {"A": 30.0, "B": 70.0}
SITE = {"F1": "a", "F2": "b"}
MINUTES = {("A", "F1"): 0.0, ("A", "F2"): 10.0, ("B", "F1"): 10.0, ("B", "F2"): 0.0}
REQUIRED, LIMIT, BUDGET = 4.0, 60.0, 100.0
WEIGHTS = plan_weights()


def _instance() -> PlanInputs:
    allocation = beds_allocation(
        POPULATION, SITE, MINUTES, required_beds=REQUIRED, demand_driven=True, access_limit_min=LIMIT
    )
    return tiny_plan("spend", allocation, budget_cny=BUDGET, weights=WEIGHTS)


def _terms(f1: int, f2: int) -> tuple[float, float, float]:
    """(requirement, preference, cost) of beds (f1, f2) from the formulation's definitions: the shortfall
    weighted 100 per target, the demand served at home first, then across (10 min), else unserved (2τ̄)."""
    requirement = max(0.0, REQUIRED - (f1 + f2)) * 100.0 / REQUIRED
    demand = {"A": REQUIRED * 0.3, "B": REQUIRED * 0.7}
    spare = {"F1": max(f1 - demand["A"], 0.0), "F2": max(f2 - demand["B"], 0.0)}
    left = {"A": max(demand["A"] - f1, 0.0), "B": max(demand["B"] - f2, 0.0)}
    across_a, across_b = min(left["A"], spare["F2"]), min(left["B"], spare["F1"])
    unserved = left["A"] - across_a + left["B"] - across_b
    travel = 10.0 * (across_a + across_b) + 2.0 * LIMIT * unserved
    preference = WEIGHTS.access_travel * travel / (LIMIT * REQUIRED)
    return requirement, preference, float(f1 + f2)


def _enumerated(rule: SpendRule, budget: float = BUDGET) -> tuple[int, int]:
    plans = [p for p in itertools.product(range(7), repeat=2) if _terms(*p)[2] <= budget]
    cost_weight = WEIGHTS.cost / budget
    if rule == "improve_access":
        return min(plans, key=lambda p: sum(_terms(*p)[:2]) + cost_weight * _terms(*p)[2])
    least = min(_terms(*p)[0] + cost_weight * _terms(*p)[2] for p in plans)
    tied = [p for p in plans if _terms(*p)[0] + cost_weight * _terms(*p)[2] <= least + 1e-9]
    return min(tied, key=lambda p: sum(_terms(*p)[:2]) + cost_weight * _terms(*p)[2])


@pytest.mark.parametrize("rule", ["targets_only", "improve_access"])
def test_spend_rule_matches_enumeration(solver_name: str, rule: SpendRule) -> None:
    model = build_plan_model(_instance())
    spent = solve_with_spend_rule(model, exact(solver_name), rule, BUDGET, warm_start=False)
    beds = tuple(round(model.allocation.amount["beds", f].varValue) for f in SITE)
    assert spent.report.outcome is SolveOutcome.OPTIMAL
    assert len(spent.phases) == 2
    assert beds == _enumerated(rule)
    assert spent.cost_to_meet_targets_cny == pytest.approx(REQUIRED)


SHORT_BUDGET = 3.0
"""Three beds' cost: the budget binds and the target stays one bed short."""


def test_where_the_budget_binds_the_placement_holds_each_shortfall_and_matches_enumeration(solver_name: str) -> None:
    """Phase (2) holds each shortfall variable at its value in (1) (module docstring of spend.py): the plans it
    may choose are those meeting every target at least as well as (1) within (1)'s cost, by enumeration here
    the three beds placed where trips are shortest, and after the solve every held variable sits at (1)'s value
    between its bounds; `clear_spend_rows` gives back the bounds it was built with."""
    model = build_plan_model(replace(_instance(), budget_cny=SHORT_BUDGET))
    built = shortfall_bounds(model)
    spent = solve_with_spend_rule(model, exact(solver_name), "targets_only", SHORT_BUDGET, warm_start=False)
    assert spent.report.outcome is SolveOutcome.OPTIMAL
    beds = tuple(round(model.allocation.amount["beds", f].varValue) for f in SITE)
    assert beds == _enumerated("targets_only", SHORT_BUDGET) == (1, 2)
    held = [v for v, weight in model.terms.shortfall.items() if weight > 0]
    assert held
    for variable in held:
        assert variable.lowBound is not None and variable.upBound is not None
        assert variable.lowBound <= variable.varValue <= variable.upBound
        assert variable.upBound - variable.lowBound <= 2.01 * FEASIBILITY_TOL * max(1.0, variable.varValue)
    assert any(variable.varValue > 0.5 for variable in held)  # one bed short: the hold is not the trivial 0
    clear_spend_rows(model, built)
    assert {v.name: (v.lowBound, v.upBound) for v in held} == built


def test_targets_only_buys_the_target_and_improve_access_the_shorter_trip() -> None:
    """The two rules differ on this instance (else the test above could not tell them apart)."""
    assert _enumerated("targets_only") == (1, 3)
    assert _enumerated("improve_access") == (2, 3)


def test_targets_only_caps_the_cost_below_the_budget() -> None:
    model = build_plan_model(_instance())
    solve_with_spend_rule(model, exact("highs"), "targets_only", BUDGET, warm_start=False)
    cap = model.problem.get_constraint_by_name(COST_CAP)
    assert pulp.value(model.cost) == pytest.approx(REQUIRED)
    assert cap is not None and cap.valid(1e-6)


def test_a_model_solved_again_at_a_budget_of_another_power_of_ten_keeps_its_cost_cap_right() -> None:
    """A what-if worker keeps one model for its levels (optimizer/whatif/level_model.py): the cap row made at the
    first level (budget 100, row in hundreds) must bound the cost at its least value at a level of 1,000 too
    (a Lu sweep from 645 M to 1,720 M CNY crossed 10⁹ and lost its placement phase to a cap ten times too low)."""
    model = build_plan_model(_instance())
    bounds = shortfall_bounds(model)
    solve_with_spend_rule(model, exact("highs"), "targets_only", BUDGET, warm_start=False)
    clear_spend_rows(model, bounds)
    spent = solve_with_spend_rule(model, exact("highs"), "targets_only", 10 * BUDGET, warm_start=False)
    cap = model.problem.get_constraint_by_name(COST_CAP)
    assert spent.report.outcome is SolveOutcome.OPTIMAL
    assert spent.cost_to_meet_targets_cny == pytest.approx(REQUIRED)
    assert tuple(round(model.allocation.amount["beds", f].varValue) for f in SITE) == _enumerated("targets_only")
    assert cap is not None and cap.valid(1e-6)
    cost_at_cap = -cap.constant * sum(dict(model.cost.items()).values()) / sum(dict(cap.items()).values())
    assert cost_at_cap == pytest.approx(REQUIRED, abs=1e-3)


def test_the_placement_phase_is_bounded_below_by_what_the_least_cost_phase_proved() -> None:
    """Row `least_cost_bound`: phase (1)'s objective (shortfall + coverage + siting + cost weight · cost) ≥ its
    proven bound, met by the plan; set again with the new cost weight when the model is solved at another budget;
    switched off between levels."""
    model = build_plan_model(_instance())
    bounds = shortfall_bounds(model)
    spent = solve_with_spend_rule(model, exact("highs"), "targets_only", BUDGET, warm_start=False)
    least = spent.phases[0]
    row = model.problem.get_constraint_by_name(LEAST_COST_BOUND)
    assert row is not None and least.bound is not None and least.objective is not None
    assert -row.constant == pytest.approx(min(least.bound, least.objective), abs=1e-5)
    assert -row.constant <= min(least.bound, least.objective)
    assert row.valid(1e-9)
    clear_spend_rows(model, bounds)
    assert -row.constant <= -1e20  # no bound at all for HiGHS
    model = replace(model, terms=replace(model.terms, cost_weight=WEIGHTS.cost / (10 * BUDGET)))  # as a level model
    solve_with_spend_rule(model, exact("highs"), "targets_only", 10 * BUDGET, warm_start=False)
    coefficients = dict(row.items())
    for variable, cost in model.cost.items():
        expected = model.terms.cost_weight * cost + model.terms.shortfall.get(variable, 0.0)
        assert coefficients[variable] == pytest.approx(expected)
    assert row.valid(1e-9)


def test_lu_spends_what_its_plan_costs_and_meets_every_target() -> None:
    result = bundled_solve("lu_county").plan
    assert result.spend == "targets_only"
    assert result.targets["met"].all()
    assert result.cost_to_meet_targets_cny == pytest.approx(result.total_cost_cny, rel=1e-6)
    assert result.total_cost_cny < result.budget_cny
