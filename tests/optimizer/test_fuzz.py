"""Fuzzing with hypothesis: loaders and the whole pipeline raise only the project's own errors, and every
solution found passes the independent verifier.

CI runs a few hundred loader cases, 40 corrupted data tables or scenario files through `prepare`, and a
few dozen tiny pipelines. A dedicated run takes more:
    FUZZ_EXAMPLES=10000 FUZZ_PIPELINE_EXAMPLES=500 python -m pytest tests/optimizer/test_fuzz.py
and the dedicated 10,000-case run of the data tables (townships, facilities, reference beds, counties,
boundary, scenario; mutated cells, columns, rows, encodings, bytes) through load/prepare, no solve:
    FUZZ_DATA_EXAMPLES=10000 python -m pytest tests/optimizer/test_fuzz.py -k data_tables -p no:cacheprovider
"""

from __future__ import annotations

import json
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
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.pipeline import plan_scenario, prepare
from tests.support import LU_SCENARIO, ROOT

LOADER_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
PIPELINE_EXAMPLES = int(os.environ.get("FUZZ_PIPELINE_EXAMPLES", "12"))
# CI replays the same cases every run (a red CI must mean a real regression); a dedicated run with
# FUZZ_EXAMPLES set explores new ones.
DERANDOMIZE = "FUZZ_EXAMPLES" not in os.environ
BASE = tomllib.loads(LU_SCENARIO.read_text(encoding="utf-8"))
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


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


@settings(
    max_examples=LOADER_EXAMPLES, deadline=None, derandomize=DERANDOMIZE, suppress_health_check=[HealthCheck.too_slow]
)
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
def test_scenario_file_with_any_text_raises_only_scenario_errors(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlannerError):
        load_scenario(path)


TOWNS = pd.read_csv(ROOT / "data" / "population" / "townships.csv", dtype={"code": str, "county_code": str})
LU_TOWNS = TOWNS[TOWNS["county_code"] == "510521"].reset_index(drop=True)
FACILITIES = pd.read_csv(
    ROOT / "data" / "facilities" / "facilities.csv", dtype={"facility_id": str, "county_code": str, "town_code": str}
)


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
    towns["aged_65_plus"] = (towns["population"] * 0.219).round().astype(int)  # both groups ≤ population
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
eligible_levels = [
    "county_general_hospital", "county_tcm_hospital", "specialty_hospital", "mch_center", "central_thc", "thc", "chc",
]
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
@settings(
    max_examples=PIPELINE_EXAMPLES, deadline=None, derandomize=DERANDOMIZE, suppress_health_check=[HealthCheck.too_slow]
)
@given(spec=tiny_projects())
def test_tiny_pipelines_raise_only_planner_errors_and_verify(
    tmp_path_factory: pytest.TempPathFactory, spec: dict[str, Any]
) -> None:
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


# ---------------------------------------------------------------- data tables through load/prepare
# Each example writes a small Lu project (its 20 towns, 25 facilities, the plan's reference beds and its
# polygon), corrupts one file in one way (a table's cell, column, row, encoding or bytes; a scenario
# value, BOM, encoding or truncation) and runs
# `prepare` (load + check + travel matrix, no solve). Only PlannerError subclasses may come out, and
# nothing may be written anywhere in the project. The dedicated run of 10,000 cases:
#     FUZZ_DATA_EXAMPLES=10000 python -m pytest tests/optimizer/test_fuzz.py -k data_tables -p no:cacheprovider
DATA_EXAMPLES = int(os.environ.get("FUZZ_DATA_EXAMPLES", "40"))
DATA_DERANDOMIZE = "FUZZ_DATA_EXAMPLES" not in os.environ


def _lu_table(relative: str, key: str = "county_code") -> pd.DataFrame:
    frame = pd.read_csv(ROOT / relative, dtype=str, keep_default_na=False)
    return frame[frame[key] == "510521"].reset_index(drop=True)


def _lu_boundary() -> bytes:
    collection = json.loads((ROOT / "data" / "boundaries" / "counties.geojson").read_text(encoding="utf-8"))
    collection["features"] = [f for f in collection["features"] if f["properties"]["county_code"] == "510521"]
    return json.dumps(collection).encode("utf-8")


DATA_TABLES = {
    "data/population/townships.csv": _lu_table("data/population/townships.csv"),
    "data/facilities/facilities.csv": _lu_table("data/facilities/facilities.csv"),
    "data/facilities/plan_reference_beds.csv": _lu_table("data/facilities/plan_reference_beds.csv"),
    "data/population/counties.csv": _lu_table("data/population/counties.csv"),
}
DATA_FILES = {
    **{name: frame.to_csv(index=False).encode("utf-8") for name, frame in DATA_TABLES.items()},
    "data/boundaries/counties.geojson": _lu_boundary(),
    "scenarios/lu_county.toml": LU_SCENARIO.read_bytes(),
    "scenarios/defaults/national.toml": (ROOT / "scenarios" / "defaults" / "national.toml").read_bytes(),
}
CELL_JUNK = st.one_of(
    st.sampled_from(
        [
            "",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "-1",
            "0",
            "1e308",
            "-1e308",
            "yes",
            "no",
            "是",
            "否",
            "True",
            "约800",
            "1,000",
            "510512",
            "51052100",
            "999999999",
            "county_seat",
            " ",
            '"',
            "a,b",
            "\n",
        ]
    ),
    st.text(max_size=10),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
SCENARIO_FILE = "scenarios/lu_county.toml"
SCENARIO_LINES = [
    i
    for i, line in enumerate(DATA_FILES[SCENARIO_FILE].decode("utf-8").splitlines())
    if " = " in line and not line.lstrip().startswith("#")
]
VALUE_JUNK = st.one_of(
    st.sampled_from(
        [
            "yes",
            "no",
            "是",
            "否",
            '"是"',
            "nan",
            "inf",
            "-inf",
            "1e308",
            "-1e308",
            "1e-300",
            "0",
            "-1",
            "15",
            '"15 %"',
            "[]",
            "{}",
            "[" * 3000 + "]" * 3000,
            '"../../etc/passwd"',
            "true",
            "false",
            '"/etc/hostname"',
            "9" * 40,
        ]
    ),
    st.text(max_size=12),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
TABLE_ACTIONS = (
    "cell",
    "drop_column",
    "duplicate_column",
    "rename_column",
    "drop_row",
    "duplicate_row",
    "swap_columns",
    "encoding",
    "truncate",
)


@st.composite
def data_corruptions(draw: st.DrawFn) -> dict[str, Any]:
    """One corruption of one data file of the small Lu project."""
    name = draw(st.sampled_from([*DATA_TABLES, "data/boundaries/counties.geojson", SCENARIO_FILE]))
    if name == SCENARIO_FILE:
        action = draw(st.sampled_from(["value", "value", "value", "bom", "encoding", "truncate"]))
        return {
            "name": name,
            "action": action,
            "line": draw(st.sampled_from(SCENARIO_LINES)),
            "value": draw(VALUE_JUNK),
            "keep": draw(st.integers(0, len(DATA_FILES[name]))),
        }
    if name.endswith(".geojson"):
        return {"name": name, "action": "truncate", "keep": draw(st.integers(0, len(DATA_FILES[name])))}
    frame = DATA_TABLES[name]
    action = draw(st.sampled_from(TABLE_ACTIONS))
    columns = list(frame.columns)
    spec: dict[str, Any] = {
        "name": name,
        "action": action,
        "row": draw(st.integers(0, len(frame) - 1)),
        "column": draw(st.sampled_from(columns)),
        "other": draw(st.sampled_from(columns)),
    }
    if action == "cell":
        spec["value"] = draw(CELL_JUNK)
    elif action == "rename_column":
        spec["value"] = draw(st.sampled_from(["", "x", " population", "Population"]) | st.text(max_size=6))
    elif action == "encoding":
        spec["value"] = draw(st.sampled_from(["gbk", "gb18030", "utf-16", "latin-1-replace", "utf-8-sig", "nul"]))
    elif action == "truncate":
        spec["keep"] = draw(st.integers(0, len(DATA_FILES[name])))
    return spec


def _corrupt(spec: dict[str, Any]) -> bytes:
    name, action = spec["name"], spec["action"]
    if action == "truncate":
        return DATA_FILES[name][: spec["keep"]]
    if name == SCENARIO_FILE:
        lines = DATA_FILES[name].decode("utf-8").splitlines()
        if action == "value":
            key = lines[spec["line"]].split(" = ", 1)[0]
            lines[spec["line"]] = f"{key} = {spec['value']}"
        text = "\n".join(lines) + "\n"
        if action == "bom":
            return b"\xef\xbb\xbf" + text.encode("utf-8")
        return text.encode("gb18030" if action == "encoding" else "utf-8")
    frame = DATA_TABLES[name].copy()
    column, row = spec["column"], spec["row"]
    if action == "cell":
        frame.loc[row, column] = spec["value"]
    elif action == "drop_column":
        frame = frame.drop(columns=[column])
    elif action == "duplicate_column":
        text = frame.to_csv(index=False)
        lines = text.splitlines()
        at = list(frame.columns).index(column)
        header = lines[0].split(",")
        lines[0] = ",".join([*header, header[at]])
        lines[1:] = [f"{line},{line.split(',')[min(at, len(line.split(',')) - 1)]}" for line in lines[1:]]
        return ("\n".join(lines) + "\n").encode("utf-8")
    elif action == "rename_column":
        frame = frame.rename(columns={column: spec["value"]})
    elif action == "drop_row":
        frame = frame.drop(index=row)
    elif action == "duplicate_row":
        frame = pd.concat([frame, frame.iloc[[row]]])
    elif action == "swap_columns":
        frame[[column, spec["other"]]] = frame[[spec["other"], column]].to_numpy()
    text = frame.to_csv(index=False)
    if action != "encoding":
        return text.encode("utf-8")
    encoding = spec["value"]
    if encoding == "nul":
        return text.encode("utf-8").replace(b",", b"\x00", 3)
    if encoding == "latin-1-replace":
        return text.encode("latin-1", errors="replace")
    return text.encode(encoding, errors="replace")


def _files(root: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


@settings(
    max_examples=DATA_EXAMPLES,
    deadline=None,
    derandomize=DATA_DERANDOMIZE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spec=data_corruptions())
def test_data_tables_corrupted_raise_only_planner_errors(
    tmp_path_factory: pytest.TempPathFactory, spec: dict[str, Any]
) -> None:
    """Any single corruption of a data table is accepted or refused with a PlannerError; nothing is written."""
    root = tmp_path_factory.mktemp("data_fuzz")
    for name, payload in DATA_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(_corrupt(spec) if name == spec["name"] else payload)
    before = _files(root)
    try:
        prepare(root / "scenarios" / "lu_county.toml")
    except PlannerError as error:
        assert str(error)
    assert _files(root) == before, "prepare wrote or changed files in the project"
