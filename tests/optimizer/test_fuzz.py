"""Fuzzing with hypothesis: loaders and the whole pipeline raise only the project's own errors, and every
solution found passes the independent verifier.

CI runs a few hundred loader cases and a few dozen tiny pipelines. A dedicated run takes more:
    FUZZ_EXAMPLES=10000 FUZZ_PIPELINE_EXAMPLES=500 python -m pytest tests/optimizer/test_fuzz.py
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.errors import PlannerError, VerificationError
from optimizer.pipeline import plan_scenario, prepare
from optimizer.scenario import Scenario, load_scenario
from tests.conftest import LU_SCENARIO, ROOT

LOADER_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
PIPELINE_EXAMPLES = int(os.environ.get("FUZZ_PIPELINE_EXAMPLES", "12"))
# CI replays the same cases every run (a red CI must mean a real regression); a dedicated run with
# FUZZ_EXAMPLES set explores new ones.
DERANDOMIZE = "FUZZ_EXAMPLES" not in os.environ
BASE = tomllib.loads(LU_SCENARIO.read_text(encoding="utf-8"))
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                 st.text(max_size=12), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                                            st.integers(), max_size=2))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a nested dict/list."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(BASE)


def _mutate(tree: Any, path: tuple[Any, ...], action: str, junk: Any) -> Any:
    if not path:
        return junk
    head, *rest = path
    copy = dict(tree) if isinstance(tree, dict) else list(tree)
    if rest:
        copy[head] = _mutate(copy[head], tuple(rest), action, junk)
    elif action == "delete":
        del copy[head]
    else:
        copy[head] = junk
    return copy


@settings(max_examples=LOADER_EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), action=st.sampled_from(["delete", "replace"]), junk=JUNK)
def test_scenario_schema_accepts_or_explains(path: tuple[Any, ...], action: str, junk: Any) -> None:
    """Any single corruption of the Lu scenario is either valid or a ValidationError turned ScenarioError."""
    tree = _mutate(BASE, path, action, junk)
    try:
        Scenario.model_validate(tree)
    except ValueError as error:  # pydantic's ValidationError; load_scenario turns it into ScenarioError
        assert str(error)


@settings(max_examples=LOADER_EXAMPLES // 3, deadline=None, derandomize=DERANDOMIZE)
@given(text=st.text(max_size=200))
def test_scenario_file_with_any_text_raises_only_scenario_errors(tmp_path_factory: pytest.TempPathFactory,
                                                               text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlannerError):
        load_scenario(path)


TOWNS = pd.read_csv(ROOT / "data" / "population" / "townships.csv", dtype={"code": str, "county_code": str})
LU_TOWNS = TOWNS[TOWNS["county_code"] == "510521"].reset_index(drop=True)
FACILITIES = pd.read_csv(ROOT / "data" / "facilities" / "facilities.csv",
                         dtype={"facility_id": str, "county_code": str, "town_code": str})


@st.composite
def tiny_projects(draw: st.DrawFn) -> dict[str, Any]:
    """3–6 real Lu towns with random populations, their facilities, and random targets and rules."""
    count = draw(st.integers(3, 6))
    rows = draw(st.lists(st.integers(0, len(LU_TOWNS) - 1), min_size=count, max_size=count, unique=True))
    populations = draw(st.lists(st.integers(1, 120_000), min_size=count, max_size=count))
    return {
        "rows": sorted(rows),
        "populations": populations,
        "beds_per_1000": draw(st.floats(0.0, 12.0)),
        "beds_hard": draw(st.booleans()),
        "baseline_beds": draw(st.integers(0, 800)),
        "budget": draw(st.sampled_from([0.0, 1e6, 5e7, 3e8, 1e10])),
        "fleet_multiplier": draw(st.sampled_from([1.0, 3.0])),
        "fleet_hard": draw(st.booleans()),
        "subcentres": draw(st.integers(0, 2)),
        "general_max": draw(st.integers(20, 1200)),
    }


def _write_project(root: Path, spec: dict[str, Any]) -> Path:
    (root / "data" / "population").mkdir(parents=True)
    (root / "data" / "facilities").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "boundaries", root / "data" / "boundaries")
    shutil.copy(ROOT / "data" / "population" / "counties.csv", root / "data" / "population")
    towns = LU_TOWNS.iloc[spec["rows"]].copy()
    towns["population"] = spec["populations"]
    towns["children_0_14"] = (towns["population"] * 0.167).round().astype(int)
    towns.to_csv(root / "data" / "population" / "townships.csv", index=False)
    facilities = FACILITIES[FACILITIES["town_code"].isin(set(towns["code"]))]
    facilities.to_csv(root / "data" / "facilities" / "facilities.csv", index=False)
    candidates = int(facilities["subcentre_candidate"].astype(str).str.lower().eq("true").sum())
    (root / "scenarios").mkdir()
    shutil.copytree(ROOT / "scenarios" / "defaults", root / "scenarios" / "defaults")
    text = f"""extends = "defaults/national.toml"
[scenario]
id = "fuzz"
name_zh = "模糊测试"
plan_seed = "003_73fe565c888d90cc.txt"
base_year = 2020
target_year = 2025
[area]
name_zh = "泸县"
county_codes = ["510521"]
[data]
townships = "../data/population/townships.csv"
counties = "../data/population/counties.csv"
facilities = "../data/facilities/facilities.csv"
boundaries = "../data/boundaries/counties.geojson"
[resources.beds]
label_zh = "床位"
unit = "beds"
eligible_levels = ["county_general_hospital", "county_tcm_hospital", "specialty_hospital", "mch_center", "central_thc", "thc", "chc"]
baseline_modelled = {{ value = {spec["baseline_beds"]}, source = {{ basis = "fuzz" }} }}
unit_cost_cny = {{ value = 385000, source = {{ basis = "fuzz" }} }}
[resources.nurses]
label_zh = "护士"
unit = "nurses"
eligible_levels = ["county_general_hospital", "central_thc", "thc", "chc"]
unit_cost_cny = {{ value = 400000, source = {{ basis = "fuzz" }} }}
[[targets]]
id = "beds_per_1000"
indicator_zh = "床位"
resource = "beds"
kind = "per_population"
value = {spec["beds_per_1000"]}
unit = "beds per 1,000"
denominator_size = 1000
denominator_population = "residents"
binding = {str(spec["beds_hard"]).lower()}
hard = {str(spec["beds_hard"]).lower()}
target_year = 2025
source = {{ basis = "fuzz" }}
[[targets]]
id = "nurse_ratio"
indicator_zh = "医护"
resource = "nurses"
kind = "per_resource"
value = 0.4
unit = "nurses per bed"
denominator_resource = "beds"
binding = false
hard = false
target_year = 2025
source = {{ basis = "fuzz" }}
[[facility_limits]]
id = "general"
resource = "beds"
levels = ["county_general_hospital"]
max_value = {spec["general_max"]}
hard = true
source = {{ basis = "fuzz" }}
[ambulances]
base_multiplier = {spec["fleet_multiplier"]}
fleet_hard = {str(spec["fleet_hard"]).lower()}
fleet_source = {{ basis = "fuzz" }}
radius_source = {{ basis = "fuzz" }}
decision = "fuzz"
[budget]
budget_cny = {{ value = {spec["budget"]}, source = {{ basis = "fuzz" }} }}
[solver]
time_limit_s = 10
"""
    if spec["subcentres"] and candidates:
        text += f"""[subcentres]
count = {min(spec["subcentres"], candidates)}
source = {{ basis = "fuzz" }}
decision = "fuzz"
"""
    path = root / "scenarios" / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
@settings(max_examples=PIPELINE_EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.too_slow])
@given(spec=tiny_projects())
def test_tiny_pipelines_raise_only_planner_errors_and_verify(tmp_path_factory: pytest.TempPathFactory,
                                                             spec: dict[str, Any]) -> None:
    path = _write_project(tmp_path_factory.mktemp("project"), spec)
    try:
        result = plan_scenario(prepare(path), compare_free_choice=False)
    except VerificationError:  # the independent verifier rejected a solution: always a defect
        raise
    except PlannerError as error:
        assert str(error)
        return
    assert result.solve.outcome.has_solution
    assert len(result.allocation) > 0
