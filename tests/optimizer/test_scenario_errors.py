"""Bad scenario and data files: one clear line per problem naming file, field and fix; exit code 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli.commands import app
from optimizer.errors import DataError, ScenarioError
from optimizer.inputs.datasets import load_datasets
from optimizer.inputs.scenario_loading import load_scenario
from tests.support import LU_SCENARIO, ROOT


@pytest.fixture
def scenario_copy(tmp_path: Path) -> Path:
    """The Lu scenario copied next to a copy of the data, so both can be broken safely."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "scenarios").mkdir()
    shutil.copytree(ROOT / "scenarios" / "defaults", tmp_path / "scenarios" / "defaults")
    target = tmp_path / "scenarios" / "lu_county.toml"
    shutil.copy(LU_SCENARIO, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_unknown_and_missing_fields_are_all_reported(scenario_copy: Path) -> None:
    _edit(scenario_copy, 'name_zh = "泸县"\n', 'name_zh = "泸县"\nradius = 5\n')
    _edit(scenario_copy, "target_year = 2025\n\n[area]", "\n[area]")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario_copy)
    lines = str(caught.value).splitlines()
    unknown = "unknown field; remove it or check its spelling against docs/scenario.md"
    assert f"{scenario_copy}: area.radius: {unknown}" in lines
    assert f"{scenario_copy}: scenario.target_year: required field is missing; add it" in lines


def test_malformed_toml_names_the_problem(scenario_copy: Path) -> None:
    _edit(scenario_copy, 'id = "lu_county"', 'id = "lu_county')
    with pytest.raises(ScenarioError, match=r"\(syntax\): invalid TOML"):
        load_scenario(scenario_copy)


def test_unknown_resource_in_a_target(scenario_copy: Path) -> None:
    _edit(scenario_copy, 'resource = "pharmacists"', 'resource = "pharmacist"')
    with pytest.raises(ScenarioError, match="unknown resource 'pharmacist'"):
        load_scenario(scenario_copy)


def test_cli_check_prints_each_problem_and_exits_1(scenario_copy: Path) -> None:
    _edit(scenario_copy, "value = 7.11", "value = -7.11")
    outcome = CliRunner().invoke(app, ["check", str(scenario_copy)])
    assert outcome.exit_code == 1
    expected = "targets[beds_per_1000].value: Input should be greater than or equal to 0"
    assert expected in outcome.output.replace("\n", "")


def test_facility_in_unknown_town_is_a_data_error(scenario_copy: Path) -> None:
    facilities = scenario_copy.parents[1] / "data" / "facilities" / "facilities.csv"
    table = pd.read_csv(facilities, dtype=str)
    table.loc[table["facility_id"] == "510521100-TH1", "town_code"] = "510521999"
    table.to_csv(facilities, index=False)
    with pytest.raises(DataError) as caught:
        load_datasets(load_scenario(scenario_copy), scenario_copy)
    assert any(p.field.endswith("town_code") and "510521999" in p.message for p in caught.value.problems)


def test_swapped_coordinates_are_named(scenario_copy: Path) -> None:
    towns = scenario_copy.parents[1] / "data" / "population" / "townships.csv"
    table = pd.read_csv(towns, dtype=str)
    row = table["code"] == "510521101"
    table.loc[row, ["lon", "lat"]] = table.loc[row, ["lat", "lon"]].to_numpy()
    table.to_csv(towns, index=False)
    with pytest.raises(DataError, match="lon and lat look swapped"):
        load_datasets(load_scenario(scenario_copy), scenario_copy)


def test_negative_population_is_refused(scenario_copy: Path) -> None:
    towns = scenario_copy.parents[1] / "data" / "population" / "townships.csv"
    table = pd.read_csv(towns, dtype=str)
    table.loc[table["code"] == "510521101", "population"] = "-5"
    table.to_csv(towns, index=False)
    with pytest.raises(DataError, match="must be a positive number of residents"):
        load_datasets(load_scenario(scenario_copy), scenario_copy)


def test_output_folder_inside_the_data_is_refused(scenario_copy: Path) -> None:
    out = scenario_copy.parents[1] / "data" / "results"
    outcome = CliRunner().invoke(app, ["run", str(scenario_copy), "--out", str(out)])
    assert outcome.exit_code == 1
    assert "is the input folder" in outcome.output
    assert not out.exists()


def test_data_paths_may_not_escape_the_project(scenario_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path.parent / "elsewhere.csv"
    _edit(scenario_copy, 'townships = "../data/population/townships.csv"', f'townships = "{outside}"')
    with pytest.raises(DataError, match=r"data.townships: .* lies outside .*allow_outside_project = true"):
        load_datasets(load_scenario(scenario_copy), scenario_copy)


def test_county_seat_fallback_places_and_flags_unlocated_towns(scenario_copy: Path) -> None:
    towns = scenario_copy.parents[1] / "data" / "population" / "townships.csv"
    table = pd.read_csv(towns, dtype=str)
    table.loc[table["code"] == "510521101", ["lon", "lat"]] = ""
    table.to_csv(towns, index=False)
    facilities = scenario_copy.parents[1] / "data" / "facilities" / "facilities.csv"
    sites = pd.read_csv(facilities, dtype=str)
    sites.loc[sites["town_code"] == "510521101", ["lon", "lat"]] = ""
    sites.to_csv(facilities, index=False)
    _edit(scenario_copy, "[data]\n", '[data]\nmissing_location = "county_seat"\n')
    data = load_datasets(load_scenario(scenario_copy), scenario_copy)
    town = data.townships.set_index("code").loc["510521101"]
    seat = data.counties.set_index("county_code").loc["510521"]
    assert (town["lon"], town["lat"]) == (seat["seat_lon"], seat["seat_lat"])
    assert town["location_source"] == "county_seat_fallback" and bool(town["location_estimated"])
    facility = data.facilities.set_index("facility_id").loc["510521101-TH1"]
    assert (facility["lon"], facility["lat"]) == (seat["seat_lon"], seat["seat_lat"])
