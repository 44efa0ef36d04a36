"""Solve outcomes: PuLP's (status, sol_status) classified for HiGHS and CBC, time limits never optimal."""

from __future__ import annotations

import logging
import math
import random

import pulp
import pytest
from pydantic import ValidationError

from models.outcome import SolveOutcome
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.solve import OPTIMAL_REL_GAP, classify, classify_gap, solve
from tests.support import exact


def _knapsack(seed: int = 7, items: int = 60, rows: int = 8) -> pulp.LpProblem:
    """A multi-dimensional 0-1 knapsack: easy to find incumbents for, slow to prove optimal."""
    rng = random.Random(seed)
    problem = pulp.LpProblem("knapsack", pulp.LpMaximize)
    x = [problem.add_variable(f"x{i}", cat=pulp.LpBinary) for i in range(items)]
    weights = [[rng.randint(20, 100) for _ in range(items)] for _ in range(rows)]
    values = [sum(weights[k][i] for k in range(rows)) // rows + rng.randint(0, 10) for i in range(items)]
    problem += pulp.lpSum(values[i] * x[i] for i in range(items))
    for k in range(rows):
        problem += pulp.lpSum(weights[k][i] * x[i] for i in range(items)) <= sum(weights[k]) // 2
    return problem


@pytest.mark.parametrize(
    ("status", "sol_status", "outcome"),
    [
        (pulp.LpStatusOptimal, pulp.LpSolutionOptimal, SolveOutcome.OPTIMAL),
        # PuLP 3.3's HiGHS adapter reports a time-limit incumbent as status Optimal:
        (pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible, SolveOutcome.FEASIBLE_GAP),
        (pulp.LpStatusNotSolved, pulp.LpSolutionIntegerFeasible, SolveOutcome.FEASIBLE_GAP),
        (pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible, SolveOutcome.INFEASIBLE),
        (pulp.LpStatusNotSolved, pulp.LpSolutionInfeasible, SolveOutcome.INFEASIBLE),
        (pulp.LpStatusUndefined, pulp.LpSolutionInfeasible, SolveOutcome.INFEASIBLE),
        (pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded, SolveOutcome.UNBOUNDED),
        (pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound, SolveOutcome.NO_SOLUTION),
        (pulp.LpStatusOptimal, pulp.LpSolutionNoSolutionFound, SolveOutcome.NO_SOLUTION),
    ],
)
def test_classification_uses_sol_status(status: int, sol_status: int, outcome: SolveOutcome) -> None:
    assert classify(status, sol_status) is outcome


def test_proven_optimum_has_zero_gap(solver_name: str) -> None:
    problem = _knapsack(items=20, rows=3)
    report = solve(problem, exact(solver_name))
    assert report.outcome is SolveOutcome.OPTIMAL
    assert report.bound == pytest.approx(report.objective)
    assert report.gap == pytest.approx(0.0, abs=1e-9)
    assert report.solver == solver_name


def test_time_limit_is_never_called_optimal(solver_name: str) -> None:
    report = solve(_knapsack(), SolverSettings(name=solver_name, time_limit_s=0.5, mip_rel_gap=0.0))  # type: ignore[arg-type]
    assert report.outcome in (SolveOutcome.FEASIBLE_GAP, SolveOutcome.NO_SOLUTION)
    if report.outcome is SolveOutcome.FEASIBLE_GAP:
        assert report.gap is not None and report.gap > 0
        assert report.bound is not None and report.bound > report.objective  # maximisation: bound above


def test_infeasible_model_is_reported_infeasible(solver_name: str) -> None:
    problem = pulp.LpProblem("infeasible", pulp.LpMinimize)
    x = problem.add_variable("x", 0, 10, cat=pulp.LpInteger)
    problem += x
    problem += x >= 6, "lower"
    problem += x <= 4, "upper"
    report = solve(problem, exact(solver_name))
    assert report.outcome is SolveOutcome.INFEASIBLE
    assert report.objective is None


def test_objective_constant_is_in_the_bound() -> None:
    problem = pulp.LpProblem("offset", pulp.LpMinimize)
    x = problem.add_variable("x", 0, 10, cat=pulp.LpInteger)
    problem += 100 + 3 * x
    problem += x >= 2.5
    report = solve(problem, exact("highs"))
    assert report.objective == pytest.approx(109.0)
    assert report.bound == pytest.approx(109.0)


def test_a_loose_gap_tolerance_is_never_called_optimal(solver_name: str) -> None:
    # both solvers stop this knapsack well inside a 50 % gap but outside 0.1 %, and say "Optimal"
    report = solve(_knapsack(), SolverSettings(name=solver_name, time_limit_s=10.0, mip_rel_gap=0.5))  # type: ignore[arg-type]
    assert report.outcome is SolveOutcome.FEASIBLE_GAP, report
    assert report.gap is not None and report.gap > OPTIMAL_REL_GAP
    assert report.bound is not None and report.objective is not None and report.bound > report.objective


@pytest.mark.parametrize(
    ("said", "objective", "bound", "outcome"),
    [
        (SolveOutcome.OPTIMAL, 1.0, 1.48, SolveOutcome.FEASIBLE_GAP),  # Mianyang: "optimal" at a 48 % gap
        (SolveOutcome.OPTIMAL, 100.0, 100.0 * (1 + 2 * OPTIMAL_REL_GAP), SolveOutcome.FEASIBLE_GAP),
        (SolveOutcome.OPTIMAL, 100.0, 100.0 * (1 + OPTIMAL_REL_GAP / 2), SolveOutcome.OPTIMAL),
        (SolveOutcome.FEASIBLE_GAP, 5.0, 5.0, SolveOutcome.OPTIMAL),  # a time limit with the bound closed
        (SolveOutcome.OPTIMAL, 1e-6, 5e-5, SolveOutcome.OPTIMAL),  # within the absolute gap 1e-4
        (SolveOutcome.OPTIMAL, 1.0, None, SolveOutcome.OPTIMAL),  # no bound reported: trust the proof
        (SolveOutcome.FEASIBLE_GAP, 1.0, None, SolveOutcome.FEASIBLE_GAP),
        (SolveOutcome.OPTIMAL, 1.0, math.inf, SolveOutcome.FEASIBLE_GAP),
        (SolveOutcome.INFEASIBLE, None, None, SolveOutcome.INFEASIBLE),
        (SolveOutcome.NO_SOLUTION, None, None, SolveOutcome.NO_SOLUTION),
    ],
)
def test_optimal_is_decided_by_objective_and_bound(
    said: SolveOutcome, objective: float | None, bound: float | None, outcome: SolveOutcome
) -> None:
    assert classify_gap(said, objective, bound, abs_tol=1e-4) is outcome


def test_a_gap_tolerance_above_five_percent_is_warned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="optimizer.solving.solve"):
        solve(_knapsack(items=10, rows=2), SolverSettings(mip_rel_gap=0.0512345, fallback=False))
    assert any("solver.mip_rel_gap" in r.getMessage() for r in caplog.records), caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="optimizer.solving.solve"):
        solve(_knapsack(items=10, rows=2), SolverSettings(mip_rel_gap=0.05, fallback=False))
    assert not any("mip_rel_gap" in r.getMessage() for r in caplog.records), caplog.text


@pytest.mark.parametrize(
    "field",
    [
        {"time_limit_s": math.inf},
        {"time_limit_s": math.nan},
        {"time_limit_s": -5.0},
        {"threads": 10_000},
        {"threads": 0},
        {"mip_rel_gap": math.nan},
    ],
)
def test_solver_settings_reject_unusable_values(field: dict[str, float]) -> None:
    with pytest.raises(ValidationError) as raised:
        SolverSettings(**field)  # type: ignore[arg-type]
    assert next(iter(field)) in str(raised.value)


def test_threads_above_the_cores_are_clamped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    import os

    threads = min(len(os.sched_getaffinity(0)) + 1, 256)
    with caplog.at_level(logging.WARNING, logger="optimizer.solving.solve"):
        report = solve(_knapsack(items=10, rows=2), SolverSettings(threads=threads, fallback=False))
    assert report.outcome is SolveOutcome.OPTIMAL
    assert any("solver.threads" in r.getMessage() for r in caplog.records), caplog.text
