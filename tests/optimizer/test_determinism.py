"""Determinism: repeated runs of a bundled scenario give byte-identical data outputs.

CI repeats each scenario twice; a dedicated run repeats more: DETERMINISM_RUNS=10 python -m pytest ...
manifest.json holds run metadata (paths, timings, versions) and is excluded; the GeoPackage is compared
layer by layer because SQLite stamps its own modification time into the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from typer.testing import CliRunner

from models.outcome import SolveOutcome
from optimizer.cli.commands import app
from tests.support import ROOT

RUNS = int(os.environ.get("DETERMINISM_RUNS", "2"))
SCENARIOS = ("lu_county", "mianyang", "pingchang", "renhe", "xiushan")

pytestmark = pytest.mark.slow


def _run(scenario: str, out: Path) -> None:
    """One run, which must be proven optimal: two plans stopped at a gap may differ and prove nothing."""
    outcome = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / f"{scenario}.toml"), "--out", str(out)])
    summary = (
        json.loads((out / "summary.json").read_text(encoding="utf-8-sig")) if (out / "summary.json").is_file() else {}
    )
    assert summary.get("outcome") == SolveOutcome.OPTIMAL.value, (summary.get("outcome"), summary.get("gap"))
    assert outcome.exit_code == 0, outcome.output


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_repeated_runs_are_byte_identical(tmp_path: Path, scenario: str) -> None:
    first = tmp_path / "run0"
    _run(scenario, first)
    names = sorted(p.name for p in first.iterdir() if p.name not in ("manifest.json", "coverage.gpkg"))
    assert {"allocation.csv", "towns.csv", "targets.csv", "summary.json", "report.md"} <= set(names)
    for index in range(1, RUNS):
        again = tmp_path / f"run{index}"
        _run(scenario, again)
        assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in first.iterdir())
        for name in names:
            assert (again / name).read_bytes() == (first / name).read_bytes(), name
        for layer, _ in pyogrio.list_layers(first / "coverage.gpkg"):
            expected = gpd.read_file(first / "coverage.gpkg", layer=layer)
            actual = gpd.read_file(again / "coverage.gpkg", layer=layer)
            assert actual.equals(expected), layer
