"""Shared test constants and helpers: paths to the bundled data, the solver matrix, one tolerance.

Test modules import from here (`from tests.support import ...`); `tests/conftest.py` keeps only fixtures.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimizer.inputs.solver_settings import SolverSettings

ROOT = Path(__file__).resolve().parents[1]
"""The repository root."""
DATA = ROOT / "data"
LU_SCENARIO = ROOT / "scenarios" / "lu_county.toml"

SOLVERS = ("highs", "cbc")
"""Every solver the project supports; tests run against each."""
TOL = 1e-6
"""The one tolerance for objective and value comparisons."""


def exact(name: str) -> SolverSettings:
    """Solver settings that prove optimality exactly (no relative gap)."""
    from optimizer.inputs.solver_settings import SolverSettings  # here, so the constants import without the package

    return SolverSettings(name=name, mip_rel_gap=0.0, time_limit_s=60.0, threads=1)  # type: ignore[arg-type]


def lu_variant(tmp_path: Path, *edits: tuple[str, str], append: str = "") -> Path:
    """A copy of the Lu scenario (data paths kept valid) with text edits applied and `append` added."""
    (tmp_path / "scenarios").mkdir(parents=True)
    shutil.copytree(ROOT / "scenarios" / "defaults", tmp_path / "scenarios" / "defaults")
    text = LU_SCENARIO.read_text(encoding="utf-8").replace('"../data/', f'"{DATA}/')
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "scenarios" / "lu_county.toml"
    text = text.replace("[data]\n", "[data]\nallow_outside_project = true\n", 1)
    path.write_text(text + append, encoding="utf-8")
    return path
