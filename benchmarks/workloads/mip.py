"""The planner's solver adapter (`optimizer.solving.solve.solve`) bound to the exact solvers' `MipSolve` contract."""

from __future__ import annotations

from typing import Any

import pulp

from models.location.exact import MipReport, MipSolve, PMedianInputs, PMedianResult, solve_p_median
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.solve import solve


def planner_mip_solve(settings: SolverSettings) -> MipSolve:
    """A `MipSolve` that runs `optimizer.solving.solve.solve` with `settings`, time limit and gap replaced per call."""

    def run(problem: pulp.LpProblem, *, time_limit_s: float, mip_rel_gap: float, warm_start: bool = False) -> MipReport:
        update = {"time_limit_s": time_limit_s, "mip_rel_gap": mip_rel_gap}
        report = solve(problem, settings.model_copy(update=update), warm_start=warm_start)
        return MipReport(report.outcome, report.bound)

    return run


def solve_p_median_planner(inputs: PMedianInputs, settings: SolverSettings, **options: Any) -> PMedianResult:
    """`solve_p_median` with the planner's solver, time limit and gap taken from `settings`."""
    return solve_p_median(
        inputs,
        planner_mip_solve(settings),
        time_limit_s=settings.time_limit_s,
        mip_rel_gap=settings.mip_rel_gap,
        **options,
    )
