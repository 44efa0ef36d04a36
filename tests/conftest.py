"""Shared test settings: the solver matrix, one tolerance, and paths to the bundled scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.solve import SolverSettings

TOL = 1e-6
SOLVERS = ("highs", "cbc")
ROOT = Path(__file__).resolve().parents[1]
LU_SCENARIO = ROOT / "scenarios" / "lu_county.toml"


def exact(name: str) -> SolverSettings:
    """Solver settings that prove optimality exactly (no relative gap)."""
    return SolverSettings(name=name, mip_rel_gap=0.0, time_limit_s=60.0, threads=1)  # type: ignore[arg-type]


@pytest.fixture(params=SOLVERS)
def solver_name(request: pytest.FixtureRequest) -> str:
    """Every solver the project supports; a missing solver fails the test instead of skipping."""
    return str(request.param)
