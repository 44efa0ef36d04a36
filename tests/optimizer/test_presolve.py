"""HiGHS presolve in the least-cost phase of `spend` (SolverSettings.least_cost_presolve) is shown safe here.

The phase's problem (the plan's shortfalls, coverage and cost; optimizer/solving/spend.py) is solved with
presolve on and off: on every bundled plan and on seeded random small plans both runs reach the same
optimum, and each run's bound never exceeds the other's objective (the failure presolve once had, a bound
above a feasible plan, would break that).
"""

from __future__ import annotations

import random

import pytest

from models.outcome import SolveOutcome
from models.planner import AmbulanceInputs, LimitInputs, PlanInputs, build_plan_model
from models.tolerances import FEASIBILITY_TOL
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import prepare
from optimizer.solving.solve import SolveReport, solve
from tests.support import ROOT, beds_allocation, exact, plan_weights, tiny_plan

PLANS = ("lu_county", "pingchang", "renhe", "xiushan", "mianyang")


def _least_cost(inputs: PlanInputs, settings: SolverSettings, presolve: bool) -> SolveReport:
    model = build_plan_model(inputs)
    model.problem.setObjective(model.terms.least_cost(model.cost))
    return solve(model.problem, settings.model_copy(update={"highs_presolve": presolve}))


def _agree(on: SolveReport, off: SolveReport, rel: float) -> None:
    assert on.outcome is SolveOutcome.OPTIMAL and off.outcome is SolveOutcome.OPTIMAL
    assert on.objective is not None and off.objective is not None
    assert on.bound is not None and off.bound is not None
    assert on.objective == pytest.approx(off.objective, rel=rel, abs=1e-6)
    # within the solvers' feasibility tolerance (Mianyang: presolved bound 7.8e-7 above the other objective,
    # relative), far below the 0.8 % error presolve made before the budget row was scaled
    assert on.bound <= off.objective + FEASIBILITY_TOL * max(1.0, abs(off.objective))
    assert off.bound <= on.objective + FEASIBILITY_TOL * max(1.0, abs(on.objective))


@pytest.mark.slow
@pytest.mark.parametrize("plan", PLANS)
def test_presolve_agrees_on_the_bundled_plans(plan: str) -> None:
    prepared = prepare(ROOT / "scenarios" / f"{plan}.toml")
    inputs = build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix)
    settings = prepared.scenario.solver
    on, off = _least_cost(inputs, settings, True), _least_cost(inputs, settings, False)
    _agree(on, off, rel=2 * settings.mip_rel_gap)


def _random_plan(seed: int) -> PlanInputs:
    """3–5 towns, 2–4 facilities with random size bands, a random bed target, fleet and budget."""
    rng = random.Random(seed)
    towns = [f"t{i}" for i in range(rng.randint(3, 5))]
    facilities = [f"f{j}" for j in range(rng.randint(2, 4))]
    population = {t: float(rng.randint(5, 60)) for t in towns}
    minutes = {(t, f): float(rng.randint(0, 50)) for t in towns for f in facilities}
    limits = tuple(
        LimitInputs(f"band_{f}", "beds", f, None, float(rng.randint(2, 8)), None, None, rng.random() < 0.5, 1.0)
        for f in facilities
    )
    allocation = beds_allocation(
        population,
        {f: f"site_{f}" for f in facilities},
        minutes,
        required_beds=float(rng.randint(4, 20)),
        demand_driven=rng.random() < 0.5,
        limits=limits,
        bed_cost_cny=float(rng.randint(1, 3)),
    )
    covering = {t: tuple(f for f in facilities if minutes[t, f] <= 20) for t in towns}
    ambulances = AmbulanceInputs(
        towns=tuple(towns),
        population=population,
        bases=tuple(facilities),
        covering=covering,
        fleet_required=rng.randint(1, 3),
        fleet_hard=False,
        fleet_shortfall_weight=100.0,
        existing_fleet=0,
        max_per_base=2,
        unit_cost_cny=float(rng.randint(1, 4)),
        target_id="fleet",
    )
    budget = float(rng.randint(5, 40))
    return tiny_plan(f"random_{seed}", allocation, budget_cny=budget, weights=plan_weights(), ambulances=ambulances)


@pytest.mark.parametrize("seed", range(20))
def test_presolve_agrees_on_random_small_plans(seed: int) -> None:
    inputs = _random_plan(seed)
    on, off = _least_cost(inputs, exact("highs"), True), _least_cost(inputs, exact("highs"), False)
    _agree(on, off, rel=1e-9)
