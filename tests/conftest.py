"""Shared test settings: the solver matrix, one tolerance, and paths to the bundled scenario."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from optimizer.solving.solve import SolverSettings

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


def lu_variant(tmp_path: Path, *edits: tuple[str, str], append: str = "") -> Path:
    """A copy of the Lu scenario (data paths kept valid) with text edits applied and `append` added."""
    (tmp_path / "scenarios").mkdir(parents=True)
    shutil.copytree(ROOT / "scenarios" / "defaults", tmp_path / "scenarios" / "defaults")
    text = LU_SCENARIO.read_text(encoding="utf-8").replace('"../data/', f'"{ROOT / "data"}/')
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "scenarios" / "lu_county.toml"
    text = text.replace("[data]\n", "[data]\nallow_outside_project = true\n", 1)
    path.write_text(text + append, encoding="utf-8")
    return path
