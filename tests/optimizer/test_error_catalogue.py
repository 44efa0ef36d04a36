"""The error catalogue: every bad input gives one clear error naming file, field and fix; exit 1; no outputs.

Each case breaks a copy of the bundled Lu County project in one way and runs `optimizer run` on it.
docs/errors.md lists the same cases; a test keeps the two in step.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli.commands import app
from tests.support import LU_BUDGET_TEXT, ROOT

SCENARIO = "scenarios/lu_county.toml"
DEFAULTS = "scenarios/defaults/national.toml"
TOWNS = "data/population/townships.csv"
FACILITIES = "data/facilities/facilities.csv"
COUNTIES = "data/population/counties.csv"
BOUNDARIES = "data/boundaries/counties.geojson"
REFERENCE = "data/facilities/plan_reference_beds.csv"
RUN_ONLY = frozenset({"budget_below_mandatory"})
"""Cases only a solve can find; every other case is found by `optimizer check` with the same message."""


@dataclass(frozen=True)
class Case:
    """One bad input: how to break the project, the file the message must name, and the message."""

    id: str
    breaks: Callable[[Path], None]
    names_file: str
    message: str


def text(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / relative
        content = path.read_text(encoding="utf-8")
        assert old in content, old
        path.write_text(content.replace(old, new, 1), encoding="utf-8")

    return edit


def table(relative: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / relative
        path.write_text(
            change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(index=False), encoding="utf-8"
        )

    return edit


def cell(relative: str, key: str, key_value: str, column: str, value: str) -> Callable[[Path], None]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        assert (frame[key] == key_value).any(), key_value
        frame.loc[frame[key] == key_value, column] = value
        return frame

    return table(relative, change)


def delete(relative: str) -> Callable[[Path], None]:
    return lambda project: (project / relative).unlink()


def raw(relative: str, payload: bytes) -> Callable[[Path], None]:
    return lambda project: (project / relative).write_bytes(payload)


def swap_point(frame: pd.DataFrame) -> pd.DataFrame:
    row = frame["code"] == "510521101"
    frame.loc[row, ["lon", "lat"]] = frame.loc[row, ["lat", "lon"]].to_numpy()
    return frame


def drop_polygon(project: Path) -> None:
    path = project / BOUNDARIES
    collection = json.loads(path.read_text(encoding="utf-8"))
    collection["features"] = [f for f in collection["features"] if f["properties"]["county_code"] != "510521"]
    path.write_text(json.dumps(collection), encoding="utf-8")


def road_with_gaps(project: Path) -> None:
    (project / "data" / "roads.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"speed_kph": 40},
                        "geometry": {"type": "LineString", "coordinates": [[105.36, 29.20], [105.38, 29.15]]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    text(
        SCENARIO,
        'boundaries = "../data/boundaries/counties.geojson"',
        'boundaries = "../data/boundaries/counties.geojson"\nroad_network = "../data/roads.geojson"',
    )(project)


def duplicate_column(relative: str, column: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / relative
        lines = path.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        at = header.index(column)
        lines = [
            ",".join([*cells[: at + 1], cells[at], *cells[at + 1 :]]) for cells in (line.split(",") for line in lines)
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return edit


def truncate(relative: str, keep: int) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / relative
        path.write_bytes(path.read_bytes()[:keep])

    return edit


def reencode(relative: str, encoding: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / relative
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))

    return edit


def both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        for change in edits:
            change(project)

    return edit


TARGET_HEAD = 'id = "beds_per_1000"\n'
CASES = [
    # scenario file: syntax and schema
    Case("toml_syntax", text(SCENARIO, 'id = "lu_county"', 'id = "lu_county'), SCENARIO, "(syntax): invalid TOML"),
    Case("not_utf8", raw(SCENARIO, "name = '泸县'".encode("gbk")), SCENARIO, "is not UTF-8 text"),
    Case("scenario_missing", delete(SCENARIO), SCENARIO, "(file): not found"),
    Case(
        "unknown_top_field",
        text(SCENARIO, "[area]", "colour = 1\n\n[area]"),
        SCENARIO,
        "scenario.colour: unknown field",
    ),
    Case(
        "unknown_nested_field",
        text(SCENARIO, 'name_zh = "泸县"\n', 'name_zh = "泸县"\nradius = 5\n'),
        SCENARIO,
        "area.radius: unknown field; remove it",
    ),
    Case(
        "missing_field",
        text(SCENARIO, "target_year = 2025\n\n[area]", "\n[area]"),
        SCENARIO,
        "scenario.target_year: required field is missing; add it",
    ),
    Case(
        "wrong_type",
        text(SCENARIO, "value = 7.11", 'value = "seven"'),
        SCENARIO,
        "targets[beds_per_1000].value: Input should be a valid number",
    ),
    Case(
        "wrong_unit_text",
        text(DEFAULTS, "max_per_base = 6", 'max_per_base = "6 vehicles"'),
        SCENARIO,
        "ambulances.max_per_base: Input should be a valid integer",
    ),
    Case(
        "negative_target",
        text(SCENARIO, "value = 7.11", "value = -7.11"),
        SCENARIO,
        "targets[beds_per_1000].value: Input should be greater than or equal to 0",
    ),
    Case(
        "county_code_format",
        text(SCENARIO, 'county_codes = ["510521"]', 'county_codes = ["51052"]'),
        SCENARIO,
        "area.county_codes.0: String should match pattern",
    ),
    Case(
        "no_county",
        text(SCENARIO, 'county_codes = ["510521"]', "county_codes = []"),
        SCENARIO,
        "area.county_codes: List should have at least 1 item",
    ),
    Case(
        "unknown_resource",
        text(SCENARIO, 'resource = "pharmacists"', 'resource = "pharmacist"'),
        SCENARIO,
        "unknown resource 'pharmacist'",
    ),
    Case(
        "duplicate_target",
        text(SCENARIO, 'id = "nurses_per_1000_text"', 'id = "nurses_per_1000"'),
        SCENARIO,
        "id 'nurses_per_1000' is used twice",
    ),
    Case(
        "missing_denominator",
        text(SCENARIO, "denominator_size = 10000\n", ""),
        SCENARIO,
        "needs `denominator_size` and `denominator_population`",
    ),
    Case(
        "missing_denominator_resource",
        text(SCENARIO, 'denominator_resource = "physicians"\n', ""),
        SCENARIO,
        "needs `denominator_resource`",
    ),
    Case(
        "limit_without_selector",
        text(SCENARIO, 'levels = ["county_general_hospital"]\nmin_value = 600', "min_value = 600"),
        SCENARIO,
        "select facilities with `levels` or `facility_ids`",
    ),
    Case(
        "limit_min_above_max",
        text(SCENARIO, "max_value = 1000", "max_value = 500"),
        SCENARIO,
        "min_value 600.0 is above max_value 500.0",
    ),
    Case(
        "limit_without_bounds",
        text(SCENARIO, "min_value = 1\nhard = false", "hard = false"),
        SCENARIO,
        "give `min_value`, `max_value`",
    ),
    Case(
        "too_many_named",
        text(SCENARIO, "count = 4\n", "count = 3\n"),
        SCENARIO,
        "4 named sub-centres exceed `count` = 3",
    ),
    Case(
        "citation_without_source",
        text(SCENARIO, 'source = { seed = "003_73fe565c888d90cc.txt", line = 204, ', "source = { "),
        SCENARIO,
        "give either `seed` and `line`",
    ),
    Case("citation_without_line", text(SCENARIO, "line = 204, ", ""), SCENARIO, "a seed citation needs its `line`"),
    Case(
        "unknown_solver",
        text(SCENARIO, "[budget]", '[solver]\nname = "gurobi"\n\n[budget]'),
        SCENARIO,
        "solver.name: Input should be 'highs' or 'cbc'",
    ),
    Case(
        "gap_above_one",
        text(SCENARIO, "[budget]", "[solver]\nmip_rel_gap = 2.0\n\n[budget]"),
        SCENARIO,
        "solver.mip_rel_gap: Input should be less than or equal to 1",
    ),
    Case(
        "detour_below_one",
        text(DEFAULTS, "detour_factor = 1.5", "detour_factor = 0.9"),
        SCENARIO,
        "travel.detour_factor: Input should be greater than 1",
    ),
    Case(
        "defaults_missing",
        delete(DEFAULTS),
        DEFAULTS,
        "(file): not found",
    ),
    Case(
        "unknown_parent_resource",
        text(SCENARIO, 'subset_of = "physicians"', 'subset_of = "doctors"'),
        SCENARIO,
        "subset_of: unknown resource 'doctors'",
    ),
    Case(
        "unknown_level",
        text(
            SCENARIO,
            'levels = ["county_general_hospital"]\nmin_value = 600',
            'levels = ["county_hospital"]\nmin_value = 600',
        ),
        SCENARIO,
        "Input should be 'county_general_hospital'",
    ),
    Case(
        "missing_cost",
        text(
            SCENARIO,
            'unit_cost_cny = { value = 400000, source = { basis = "5 years × 80,000 CNY '
            'employment cost of a county nurse", estimated = true } }\n',
            "",
        ),
        SCENARIO,
        "resources.nurses.unit_cost_cny: required field is missing",
    ),
    Case(
        "unknown_named_facility",
        text(SCENARIO, '"510521113-CT1"]', '"510521999-CT1"]'),
        FACILITIES,
        "facility '510521999-CT1' is not in facilities.csv",
    ),
    # data files
    Case("towns_file_missing", delete(TOWNS), TOWNS, "not found; fix data.townships"),
    Case("towns_not_csv", raw(TOWNS, b"\xff\xfe\x00garbage\x00"), TOWNS, "cannot be read as UTF-8 CSV"),
    Case(
        "column_missing",
        table(TOWNS, lambda f: f.drop(columns=["population"])),
        TOWNS,
        "population: required column(s) missing",
    ),
    Case(
        "code_format", cell(TOWNS, "code", "510521101", "code", "5105211"), TOWNS, "is not a 9-digit NBS township code"
    ),
    Case(
        "code_duplicate",
        cell(TOWNS, "code", "510521101", "code", "510521102"),
        TOWNS,
        "township 510521102 appears more than once",
    ),
    Case(
        "population_negative",
        cell(TOWNS, "code", "510521101", "population", "-5"),
        TOWNS,
        "must be a positive number of residents",
    ),
    Case(
        "population_nan",
        cell(TOWNS, "code", "510521101", "population", "nan"),
        TOWNS,
        "must be a positive number of residents",
    ),
    Case(
        "population_zero",
        cell(TOWNS, "code", "510521101", "population", "0"),
        TOWNS,
        "must be a positive number of residents",
    ),
    Case(
        "settlement_class",
        cell(TOWNS, "code", "510521101", "settlement_class", "suburban"),
        TOWNS,
        "must be 'urban' or 'rural'",
    ),
    Case("location_missing", cell(TOWNS, "code", "510521101", "lon", ""), TOWNS, "location missing; add the WGS-84"),
    Case("lat_lon_swapped", table(TOWNS, swap_point), TOWNS, "lon and lat look swapped"),
    Case(
        "point_outside_area",
        cell(TOWNS, "code", "510521101", "lon", "106.5"),
        TOWNS,
        "lies outside the area; check the point and its CRS",
    ),
    Case(
        "facility_unknown_town",
        cell(FACILITIES, "facility_id", "510521100-TH1", "town_code", "510521999"),
        FACILITIES,
        "which is not a township of the area",
    ),
    Case(
        "facility_unknown_level",
        cell(FACILITIES, "facility_id", "510521100-TH1", "level", "clinic"),
        FACILITIES,
        "'clinic' is not one of",
    ),
    Case(
        "facility_duplicate_id",
        cell(FACILITIES, "facility_id", "510521100-TH1", "facility_id", "510521101-TH1"),
        FACILITIES,
        "510521101-TH1 appears more than once; ids must be unique",
    ),
    Case(
        "county_row_missing",
        table(COUNTIES, lambda f: f[f["county_code"] != "510521"]),
        COUNTIES,
        "area county 510521 has no row",
    ),
    Case(
        "empty_area",
        both(
            text(SCENARIO, 'county_codes = ["510521"]', 'county_codes = ["510522"]'),
            table(COUNTIES, lambda f: pd.concat([f, f[f["county_code"] == "510521"].assign(county_code="510522")])),
        ),
        TOWNS,
        "no township belongs to area.county_codes",
    ),
    Case("polygon_missing", drop_polygon, BOUNDARIES, "no polygon for area county 510521"),
    Case(
        "path_outside_project",
        text(SCENARIO, 'counties = "../data/population/counties.csv"', 'counties = "/etc/hostname"'),
        SCENARIO,
        "data.counties: /etc/hostname lies outside",
    ),
    Case("road_leaves_towns_unreachable", road_with_gaps, "data/roads.geojson", "reach no facility within"),
    # Reliability II: silent wrong results, crashes, and checks `check` used to miss
    Case(
        "facility_county_code_typo",
        cell(FACILITIES, "facility_id", "510521001-GH1", "county_code", "510512"),
        FACILITIES,
        "row 49, county_code: facility 510521001-GH1 is in town 510521001 of county 510521 but its "
        "county_code is '510512'; fix county_code",
    ),
    Case(
        "township_county_code_typo",
        cell(TOWNS, "code", "510521101", "county_code", "510512"),
        TOWNS,
        "county_code: township 510521101 is given county_code '510512' but its code belongs to county 510521",
    ),
    Case(
        "children_nan",
        cell(TOWNS, "code", "510521101", "children_0_14", "nan"),
        TOWNS,
        "children_0_14: 'nan' must be a number of persons ≥ 0; fill it in",
    ),
    Case(
        "aged_negative",
        cell(TOWNS, "code", "510521101", "aged_65_plus", "-3"),
        TOWNS,
        "aged_65_plus: '-3' must be a number of persons ≥ 0",
    ),
    Case(
        "children_above_population",
        cell(TOWNS, "code", "510521101", "children_0_14", "99999999"),
        TOWNS,
        "children_0_14: 1e+08 is more than the township's population",
    ),
    Case(
        "duplicate_column",
        duplicate_column(TOWNS, "population"),
        TOWNS,
        "population: column name(s) appear more than once; keep one column",
    ),
    Case(
        "data_flag_yes",
        cell(FACILITIES, "facility_id", "510521100-TH1", "subcentre_candidate", "yes"),
        FACILITIES,
        "subcentre_candidate: 'yes' is not a flag; write true or false",
    ),
    Case(
        "data_flag_chinese",
        cell(TOWNS, "code", "510521101", "population_estimated", "是"),
        TOWNS,
        "population_estimated: '是' is not a flag; write true or false",
    ),
    Case(
        "share_as_percent",
        text(SCENARIO, "value = 0.15\n", "value = 15\n"),
        SCENARIO,
        "value 15 is a share ('share of public-hospital beds'); give it as a fraction in [0, 1]",
    ),
    Case(
        "negative_existing_fleet",
        text(
            SCENARIO,
            "base_multiplier = 1.0\n",
            'base_multiplier = 1.0\nexisting_fleet = { value = -4, source = { basis = "x" } }\n',
        ),
        SCENARIO,
        "ambulances.existing_fleet.value: Input should be greater than or equal to 0",
    ),
    Case(
        "budget_huge",
        text(SCENARIO, LU_BUDGET_TEXT, "budget_cny = { value = 1e308,"),
        SCENARIO,
        "budget.budget_cny.value: Input should be less than or equal to 10000000000000",
    ),
    Case(
        "budget_nan",
        text(SCENARIO, LU_BUDGET_TEXT, "budget_cny = { value = nan,"),
        SCENARIO,
        "budget.budget_cny.value: Input should be a finite number: got nan; give a finite number",
    ),
    Case(
        "budget_inf",
        text(SCENARIO, LU_BUDGET_TEXT, "budget_cny = { value = inf,"),
        SCENARIO,
        "budget.budget_cny.value: Input should be a finite number",
    ),
    Case(
        "target_nan",
        text(SCENARIO, "value = 7.11", "value = nan"),
        SCENARIO,
        "targets[beds_per_1000].value: Input should be a finite number",
    ),
    Case(
        "denominator_tiny",
        text(SCENARIO, "denominator_size = 1000\n", "denominator_size = 1e-300\n"),
        SCENARIO,
        "targets[beds_per_1000].denominator_size: Input should be greater than or equal to 1",
    ),
    Case(
        "per_1000_out_of_range",
        text(SCENARIO, "value = 7.11", "value = 7110"),
        SCENARIO,
        "is 7110 per 1,000, above 100; check the unit of `value`",
    ),
    Case(
        "toml_too_deep",
        text(SCENARIO, "[area]", "deep = " + "[" * 5000 + "]" * 5000 + "\n\n[area]"),
        SCENARIO,
        "(syntax): arrays or tables are nested too deeply",
    ),
    Case(
        "flag_yes",
        text(SCENARIO, "hard = false", "hard = yes"),
        SCENARIO,
        "flags are written `true` or `false` (lower case, no quotes), not `yes`",
    ),
    Case(
        "flag_chinese",
        text(SCENARIO, "hard = false", 'hard = "否"'),
        SCENARIO,
        "targets[beds_per_1000].hard: Input should be a valid boolean: got '否'; write `true` or `false`",
    ),
    Case("boundary_truncated", truncate(BOUNDARIES, 5000), BOUNDARIES, "(file): cannot be read as a boundary file"),
    Case(
        "boundary_is_csv",
        text(
            SCENARIO,
            'boundaries = "../data/boundaries/counties.geojson"',
            'boundaries = "../data/population/counties.csv"',
        ),
        COUNTIES,
        "(file): '.csv' is not a boundary format; give a GeoJSON",
    ),
    Case(
        "reference_column_renamed",
        text(REFERENCE, "plan_beds", "beds_plan"),
        REFERENCE,
        "plan_beds: required column(s) missing",
    ),
    Case(
        "reference_text_value",
        cell(REFERENCE, "facility_id", "510521001-GH1", "plan_beds", "约800"),
        REFERENCE,
        "plan_beds: '约800' must be a whole number of beds ≥ 0",
    ),
    Case("reference_gbk", reencode(REFERENCE, "gbk"), REFERENCE, "(file): cannot be read as UTF-8 CSV"),
    Case(
        "unknown_limit_facility",
        text(
            SCENARIO,
            'levels = ["county_general_hospital"]\nmin_value = 600',
            'facility_ids = ["510521999-GH9"]\nmin_value = 600',
        ),
        FACILITIES,
        "facility_limits.county_general_hospital_size.facility_ids: facility '510521999-GH9' is not in facilities.csv",
    ),
    # plan entries and facility features
    Case(
        "plan_entry_unknown",
        text(SCENARIO, 'plan_entries = ["beds_2020"]', 'plan_entries = ["beds_2002"]'),
        SCENARIO,
        "resources.beds.plan_entries: 'beds_2002' is not an entry of 003_73fe565c888d90cc.txt",
    ),
    Case(
        "feature_unknown",
        text(SCENARIO, 'feature = "fever_room"\nmin_share = 1.0', 'feature = "fever_rooms"\nmin_share = 1.0'),
        SCENARIO,
        "feature_targets.fever_room_share.feature: unknown feature 'fever_rooms'",
    ),
    Case(
        "feature_requires_unknown_resource",
        text(
            SCENARIO,
            'id = "fever_room"\nlabel_zh = "发热诊室（门诊、哨点）"\nkind = "room"\n',
            'id = "fever_room"\nlabel_zh = "发热诊室（门诊、哨点）"\nkind = "room"\n'
            'requires = { surgeons = 1 }\nrequires_source = { basis = "test" }\n',
        ),
        SCENARIO,
        "features.fever_room.requires: unknown resource 'surgeons'",
    ),
    Case(
        "feature_target_outside_class",
        text(
            SCENARIO,
            'feature = "fever_room"\nmin_share = 1.0',
            'feature = "fever_room"\nfacility_ids = ["510521001-GH1"]\nmin_share = 1.0',
        ),
        SCENARIO,
        "feature_targets.fever_room_share: counts 510521001-GH1, which may not have 'fever_room'",
    ),
    # plans that cannot be met
    Case(
        "budget_below_mandatory",
        text(SCENARIO, LU_BUDGET_TEXT, "budget_cny = { value = 1000,"),
        SCENARIO,
        "these hard rules cannot all hold together: spend at most 1,000 CNY",
    ),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the scenarios and data, to break."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    return tmp_path


def test_catalogue_is_large_and_distinct() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


def _snapshot(project: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(project.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gives_one_clear_error_and_no_output(project: Path, case: Case) -> None:
    case.breaks(project)
    before = _snapshot(project)
    out = project / "out"
    outcome = CliRunner().invoke(app, ["run", str(project / SCENARIO), "--out", str(out)])
    printed = " ".join(outcome.output.split())
    # 1 for every input error; a plan only the solve finds infeasible has its own exit code
    assert outcome.exit_code == 1 if case.id not in RUN_ONLY else outcome.exit_code != 0, outcome.output
    assert "Traceback" not in outcome.output
    assert case.message in printed, printed
    assert str(project / case.names_file) in printed or Path(case.names_file).name in printed, printed
    assert not out.exists()
    assert _snapshot(project) == before, "inputs were changed"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.id not in RUN_ONLY], ids=[c.id for c in CASES if c.id not in RUN_ONLY]
)
def test_check_finds_what_run_finds(project: Path, case: Case) -> None:
    """`optimizer check` stops on the same problem with the same message, before any solve."""
    case.breaks(project)
    before = _snapshot(project)
    outcome = CliRunner().invoke(app, ["check", str(project / SCENARIO)])
    assert outcome.exit_code == 1, outcome.output
    assert "Traceback" not in outcome.output
    assert case.message in " ".join(outcome.output.split()), outcome.output
    assert _snapshot(project) == before


def test_every_case_is_documented() -> None:
    documented = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z0-9_]+)` \|", documented, flags=re.MULTILINE))
    assert rows == {case.id for case in CASES}
