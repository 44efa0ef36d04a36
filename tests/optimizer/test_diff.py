"""Scenario diff on hand-made run folders: a run against itself is empty; each change is costed and counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli.commands import app
from optimizer.errors import DataError
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.outputs.diff import diff_runs, load_run
from optimizer.outputs.files import atomic_write_csv, atomic_write_json
from tests.support import LU_SCENARIO

ALLOCATION = pd.DataFrame(
    {
        "facility_id": ["F1", "F2"],
        "name": ["县人民医院", "甲镇卫生院"],
        "town_code": ["T1", "T2"],
        "level": ["county_general_hospital", "central_thc"],
        "lon": [105.0, 105.1],
        "lat": [29.0, 29.1],
        "location_estimated": [True, True],
        "beds": [600, 80],
        "nurses": [240, 30],
        "ambulances": [3, 1],
        "is_subcentre": [False, True],
        "existing_beds": [None, None],
    }
)
TOWNS = pd.DataFrame(
    {
        "code": ["T1", "T2"],
        "name": ["城关街道", "甲镇"],
        "population": [50_000, 20_000],
        "covered_ambulance": [True, True],
        "covered_subcentre_radius": [True, False],
        "ambulances_within_standard": [3, 1],
    }
)
TARGETS = pd.DataFrame(
    {
        "id": ["beds_per_1000"],
        "indicator": ["每千人口床位数"],
        "achieved": [7.1],
        "met": [True],
    }
)


def _run_folder(path: Path, allocation: pd.DataFrame, towns: pd.DataFrame) -> Path:
    atomic_write_csv(path / "allocation.csv", allocation)
    atomic_write_csv(path / "towns.csv", towns)
    atomic_write_csv(path / "targets.csv", TARGETS)
    atomic_write_json(
        path / "summary.json", {"objective": 1.5, "total_cost_cny": 1e8, "budget_cny": 6e8, "targets_met": 1}
    )
    atomic_write_json(path / "manifest.json", {"scenario": str(LU_SCENARIO)})
    return path


@pytest.fixture
def run_a(tmp_path: Path) -> Path:
    return _run_folder(tmp_path / "a", ALLOCATION, TOWNS)


def test_diff_of_a_run_with_itself_is_empty(run_a: Path) -> None:
    result = diff_runs(load_run(run_a), load_run(run_a))
    assert result.is_empty
    assert (result.totals["change"] == 0).all()


def test_each_change_carries_its_cost_and_coverage(run_a: Path, tmp_path: Path) -> None:
    allocation = ALLOCATION.copy()
    allocation.loc[1, "beds"] = 90  # +10 beds at F2
    allocation.loc[0, "ambulances"] = 2  # −1 vehicle at F1
    towns = TOWNS.copy()
    towns.loc[1, "covered_subcentre_radius"] = True
    run_b = _run_folder(tmp_path / "b", allocation, towns)
    scenario = load_scenario(LU_SCENARIO)
    changes = diff_runs(load_run(run_a), load_run(run_b)).changes.set_index(["kind", "id", "item"])
    assert len(changes) == 3
    beds = changes.loc[("facility", "F2", "beds")]
    assert beds["change"] == 10
    assert beds["cost_change_cny"] == pytest.approx(10 * scenario.resources["beds"].unit_cost_cny.value)
    vehicle = changes.loc[("facility", "F1", "ambulances")]
    assert scenario.ambulances is not None
    assert vehicle["cost_change_cny"] == pytest.approx(-scenario.ambulances.unit_cost_cny.value)
    town = changes.loc[("town", "T2", "covered_subcentre_radius")]
    assert (town["a"], town["b"], town["population_change"]) == (0.0, 1.0, 20_000)


def test_cli_diff_prints_no_differences_and_writes_the_csv(run_a: Path, tmp_path: Path) -> None:
    out = tmp_path / "diff.csv"
    result = CliRunner().invoke(app, ["diff", str(run_a), str(run_a), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no differences" in result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(out, encoding="utf-8-sig").empty


def test_missing_run_files_are_named_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError) as error:
        load_run(tmp_path / "empty")
    assert len(error.value.problems) == 5
    assert "allocation.csv: (file): not found; pass a folder written by `optimizer run --out`" in str(error.value)


def test_a_run_without_a_beds_column_is_a_data_error_not_no_differences(tmp_path: Path) -> None:
    foreign = _run_folder(tmp_path / "foreign", ALLOCATION.drop(columns=["beds"]), TOWNS)
    with pytest.raises(DataError) as raised:
        load_run(foreign)
    assert [(p.path.name, p.field) for p in raised.value.problems] == [("allocation.csv", "beds")]


def test_a_truncated_run_file_is_a_data_error(run_a: Path) -> None:
    (run_a / "targets.csv").write_bytes(b"")
    with pytest.raises(DataError, match="targets.csv"):
        load_run(run_a)
