"""Solver faults: a missing solver falls back with a warning; a crashing solver is a clear error."""

from __future__ import annotations

import logging

import pulp
import pytest

from models.outcome import SolveOutcome
from optimizer.errors import SolverError
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving import solve as solve_module
from optimizer.solving.solve import solve


def _small() -> pulp.LpProblem:
    problem = pulp.LpProblem("small", pulp.LpMinimize)
    x = problem.add_variable("x", 0, 10, cat=pulp.LpInteger)
    problem += x
    problem += x >= 2.5
    return problem


def test_missing_solver_falls_back_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(solve_module, "available_solvers", lambda: ["cbc"])
    with caplog.at_level(logging.WARNING, logger="optimizer.solving.solve"):
        report = solve(_small(), SolverSettings(name="highs"))
    assert report.solver == "cbc"
    assert report.outcome is SolveOutcome.OPTIMAL and report.objective == pytest.approx(3.0)
    assert "solver 'highs' is not installed; falling back to 'cbc'" in caplog.text


def test_missing_solver_without_fallback_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_module, "available_solvers", lambda: ["cbc"])
    with pytest.raises(SolverError, match="solver 'highs' is not installed"):
        solve(_small(), SolverSettings(name="highs", fallback=False))


def test_crashing_solver_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_module, "_cbc_path", lambda: "/bin/false")
    with pytest.raises(SolverError, match=r"the cbc solver failed on problem 'small'.*--solver highs"):
        solve(_small(), SolverSettings(name="cbc", fallback=False))


def test_changing_the_highs_thread_count_between_solves() -> None:
    """HiGHS's process-wide thread pool must be reset when a solve asks for another size."""
    outcomes = [solve(_small(), SolverSettings(name="highs", threads=threads)).outcome for threads in (1, 2, 1)]
    assert outcomes == [SolveOutcome.OPTIMAL] * 3
