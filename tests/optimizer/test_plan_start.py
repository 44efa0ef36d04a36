"""The LP-rounded MIP start keeps the plan's hard rules, lies near the LP bound, and leaves the optimum alone."""

from __future__ import annotations

import pulp
import pytest

from benchmarks.workloads.synthetic_plan import scaled_province, synthetic_plan
from models.outcome import SolveOutcome
from models.planner import build_plan_model
from optimizer.analysis.verify import check
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import prepare
from optimizer.solving.plan_start import set_lp_rounded_start
from optimizer.solving.results import extract
from optimizer.solving.solve import solve
from tests.support import LU_SCENARIO

SETTINGS = SolverSettings(mip_rel_gap=0.005, time_limit_s=60.0, threads=1, fallback=False)


def test_rounded_start_alone_is_a_verified_plan_within_half_a_percent_of_the_lp_bound() -> None:
    plan = synthetic_plan(scaled_province(3, 40))
    inputs = build_plan_inputs(plan.scenario, plan.data, plan.matrix)
    model = build_plan_model(inputs)
    start = set_lp_rounded_start(model, inputs, SETTINGS)
    assert start is not None
    assert start.cost_cny <= inputs.budget_cny
    integers = [v for v in model.problem.variables() if v.cat == pulp.LpInteger]
    assert all(v.varValue is not None for v in integers)
    for variable in integers:  # the start as the plan: only the continuous part is left to the solver
        variable.lowBound = variable.upBound = variable.varValue
    report = solve(model.problem, SETTINGS)
    assert report.outcome is SolveOutcome.OPTIMAL, report.detail
    assert report.objective is not None and start.relaxation.objective is not None
    assert start.relaxation.objective <= report.objective <= 1.005 * start.relaxation.objective
    result = extract(model, report, plan.scenario, plan.data, plan.matrix)
    assert check(result, plan.scenario, plan.data, plan.matrix) == []
    assert result.targets["met"].all()


@pytest.mark.slow
def test_warm_started_lu_county_keeps_its_optimum() -> None:
    """Lu has GP and paediatric subsets, hard bed categories and named sub-centres the rounding must respect."""
    prepared = prepare(LU_SCENARIO)
    settings = prepared.scenario.solver
    inputs = build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix)
    cold = build_plan_model(inputs)
    cold_report = solve(cold.problem, settings)
    warm = build_plan_model(inputs)
    assert set_lp_rounded_start(warm, inputs, settings) is not None
    warm_report = solve(warm.problem, settings, warm_start=True)
    assert cold_report.outcome is warm_report.outcome is SolveOutcome.OPTIMAL
    assert warm_report.objective == pytest.approx(cold_report.objective, rel=settings.mip_rel_gap)
    result = extract(warm, warm_report, prepared.scenario, prepared.data, prepared.matrix)
    assert check(result, prepared.scenario, prepared.data, prepared.matrix) == []
