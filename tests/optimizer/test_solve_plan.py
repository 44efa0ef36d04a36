"""`solve_plan`, the one build → solve → extract → verify sequence: its violation policy and MIP starts."""

from __future__ import annotations

from pathlib import Path

import pytest

import optimizer.pipeline
from models.outcome import SolveOutcome
from optimizer.errors import InfeasiblePlanError
from optimizer.pipeline import LP_ROUNDING, ViolationPolicy, prepare, solve_plan
from tests.support import LU_SCENARIO, TOL, lu_variant

pytestmark = pytest.mark.slow

FLEET_TOO_LARGE = (
    "base_multiplier = 1.0\n",
    'base_multiplier = 1.0\nfleet_hard = true\nmax_per_base = 6\neligible_levels = ["county_general_hospital"]\n'
    "radius_hard = false\n",  # towns 22-26 km from both hospitals: only the fleet conflicts
)


def test_record_returns_an_infeasible_solve_without_diagnosing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = prepare(lu_variant(tmp_path, FLEET_TOO_LARGE))

    def no_diagnosis(*_: object, **__: object) -> None:
        raise AssertionError("RECORD must not diagnose")

    with monkeypatch.context() as patched:
        patched.setattr(optimizer.pipeline, "explain_scenario", no_diagnosis)
        solved = solve_plan(prepared, on_violation=ViolationPolicy.RECORD)
    assert solved.report.outcome is SolveOutcome.INFEASIBLE
    assert solved.result is None and solved.violations == ()
    with pytest.raises(InfeasiblePlanError):
        solve_plan(prepared, on_violation=ViolationPolicy.RAISE)


def test_starts_change_the_incumbent_not_the_optimum() -> None:
    prepared = prepare(LU_SCENARIO)
    cold = solve_plan(prepared, on_violation=ViolationPolicy.RAISE)
    rounded = solve_plan(prepared, on_violation=ViolationPolicy.RAISE, start=LP_ROUNDING)
    values = {v.name: float(v.varValue) for v in cold.model.problem.variables() if v.varValue is not None}
    warm = solve_plan(prepared, on_violation=ViolationPolicy.RAISE, start=values)
    assert not cold.warm_started and cold.lp_start is None
    assert rounded.warm_started and rounded.lp_start is not None
    assert warm.warm_started and warm.violations == ()
    gap = prepared.scenario.solver.mip_rel_gap + TOL
    for solved in (rounded, warm):
        assert solved.plan.solve.objective == pytest.approx(cold.plan.solve.objective, rel=gap)
