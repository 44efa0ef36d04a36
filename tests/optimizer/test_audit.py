"""`optimizer audit`: a plan's own bed table as it stands, and the smallest change that meets every hard rule.

The deviation rows (models/planner/deviation.py) against brute-force enumeration on a three-facility plan
with both solvers; the bed table's input errors; Lu County end to end through the CLI (its Table 2
breaks the 20-bed inpatient minimum at 玄滩 and the 600–1000 band at 第二人民医院); a table one
facility above its hard maximum (the change is exactly the excess there, nothing else moves); a
compliant table (feasible, no change); and a solve that is not proven optimal (exit 3, said in audit.md).
Facility ids are read from the data, looked up by name.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pulp
import pytest
from typer.testing import CliRunner, Result

from models.outcome import SolveOutcome
from models.planner import LimitInputs, TargetInputs, build_plan_model
from models.planner.deviation import add_deviation, fix_amounts
from optimizer.audit import read_bed_table
from optimizer.cli.commands import app
from optimizer.cli.exit_codes import ExitCode
from optimizer.errors import DataError
from optimizer.pipeline import PreparedScenario, prepare
from optimizer.solving.solve import solve
from tests.support import DATA, LU_SCENARIO, ROOT, TOL, beds_allocation, exact, lu_variant, plan_weights, tiny_plan

FILES = {"audit.csv", "audit_targets.csv", "audit_facility_rules.csv", "audit.md", "manifest.json"}
REFERENCE = DATA / "facilities" / "plan_reference_beds.csv"
SECOND_HOSPITAL, XUANTAN = "泸县第二人民医院", "泸县玄滩镇卫生院"

# ---------------------------------------------------------------- the deviation rows, by brute force

FACILITIES = ("F1", "F2", "F3")
SITE = {"F1": "A", "F2": "B", "F3": "C"}
POPULATION = {"A": 50.0, "B": 30.0, "C": 20.0}
MINUTES = {(t, f): 0.0 if SITE[f] == t else 20.0 for t in POPULATION for f in FACILITIES}
TABLE = {"F1": 10, "F2": 3, "F3": 2}
MAX_F1, MIN_F3, TOTAL = 8, 4, 18
SEARCH = range(0, 16)


def _tiny_model() -> tuple[pulp.LpProblem, dict[tuple[str, str], pulp.LpVariable]]:
    """Beds at three facilities: F1 ≤ 8 and F3 ≥ 4 (hard bands), at least 18 beds in all (hard)."""
    limits = (
        LimitInputs("f1_max", "beds", "F1", None, float(MAX_F1), None, None, True, 1.0),
        LimitInputs("f3_min", "beds", "F3", float(MIN_F3), None, None, None, True, 1.0),
    )
    allocation = beds_allocation(POPULATION, SITE, MINUTES, required_beds=TOTAL, hard=True, limits=limits)
    target: TargetInputs = allocation.targets[0]
    assert target.hard
    model = build_plan_model(tiny_plan("audit", allocation, budget_cny=1e6, weights=plan_weights()))
    return model.problem, model.allocation.amount


def _meets_rules(x: tuple[int, ...]) -> bool:
    return x[0] <= MAX_F1 and x[2] >= MIN_F3 and sum(x) >= TOTAL


def test_least_deviation_equals_the_brute_force_minimum(solver_name: str) -> None:
    least = min(
        sum(abs(v - TABLE[f]) for f, v in zip(FACILITIES, x, strict=True))
        for x in itertools.product(SEARCH, repeat=3)
        if _meets_rules(x)
    )
    assert least == 7  # by hand: F1 10 → 8 (2), F3 2 → 4 (2), then 3 more beds anywhere but F1 (3)
    problem, amount = _tiny_model()
    handles = add_deviation(problem, amount, "beds", TABLE)
    problem.setObjective(handles.total)
    report = solve(problem, exact(solver_name))
    assert report.outcome is SolveOutcome.OPTIMAL
    assert report.objective == pytest.approx(least, abs=TOL)
    x = tuple(round(amount["beds", f].varValue) for f in FACILITIES)
    assert _meets_rules(x) and x[0] == MAX_F1 and x[1] >= TABLE["F2"] and x[2] >= MIN_F3
    for f in FACILITIES:  # u + v is |x − p| at the optimum
        gap = (handles.above[f].varValue or 0.0) + (handles.below[f].varValue or 0.0)
        assert gap == pytest.approx(abs(amount["beds", f].varValue - TABLE[f]), abs=TOL)
    assert {str(n) for n in handles.registry.tags} == {
        "audit_deviation_F1_",
        "audit_deviation_F2_",
        "audit_deviation_F3_",
    }


def test_the_deviation_cap_keeps_the_plan_within_the_least_change(solver_name: str) -> None:
    problem, amount = _tiny_model()
    add_deviation(problem, amount, "beds", TABLE, cap=7)
    report = solve(problem, exact(solver_name))
    assert report.outcome is SolveOutcome.OPTIMAL
    x = tuple(round(amount["beds", f].varValue) for f in FACILITIES)
    assert _meets_rules(x) and sum(abs(v - TABLE[f]) for f, v in zip(FACILITIES, x, strict=True)) <= 7


def test_fixed_amounts_are_infeasible_exactly_when_the_table_breaks_a_hard_rule(solver_name: str) -> None:
    problem, amount = _tiny_model()
    fix_amounts(amount, "beds", TABLE)
    assert solve(problem, exact(solver_name)).outcome is SolveOutcome.INFEASIBLE
    problem, amount = _tiny_model()
    fix_amounts(amount, "beds", {"F1": 8, "F2": 6, "F3": 4})
    assert solve(problem, exact(solver_name)).outcome is SolveOutcome.OPTIMAL
    assert [round(amount["beds", f].varValue) for f in FACILITIES] == [8, 6, 4]


def test_a_facility_without_the_resource_is_refused() -> None:
    problem, amount = _tiny_model()
    with pytest.raises(KeyError, match="not eligible for beds"):
        add_deviation(problem, amount, "beds", {"F9": 3})
    with pytest.raises(ValueError, match="whole numbers"):
        fix_amounts(amount, "beds", {"F1": -1})


# ---------------------------------------------------------------- the bed table's input errors


@pytest.fixture(scope="module")
def lu() -> PreparedScenario:
    return prepare(LU_SCENARIO)


def _facility_id(lu: PreparedScenario, name: str) -> str:
    facilities = lu.data.facilities
    return str(facilities.loc[facilities["name"] == name, "facility_id"].item())


def _reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _row(frame: pd.DataFrame, name: str) -> int:
    return int(frame.index[frame["name"] == name][0])


def _set(name: str, column: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[_row(frame, name), column] = value
        return frame

    return edit


@dataclass(frozen=True)
class TableCase:
    """One bad bed table (docs/errors.md, "Audit tables"): how to break Lu's table, the field and message."""

    id: str
    breaks: Callable[[pd.DataFrame], pd.DataFrame] | None
    field: str
    message: str
    levels: tuple[str, ...] | None = None
    """The scenario's `resources.beds.eligible_levels` for this case (None: Lu's own)."""


TABLE_CASES = (
    TableCase("audit.table_missing", None, "(file)", "not found; give an existing bed table"),
    TableCase(
        "audit.column_missing", lambda f: f.drop(columns=["plan_beds"]), "plan_beds", "required column(s) missing"
    ),
    TableCase(
        "audit.unknown_facility",
        _set(XUANTAN, "facility_id", "510521999-TH9"),
        "row {row}, facility_id",
        f"'510521999-TH9' ({XUANTAN}) is not a facility of the area",
    ),
    TableCase(
        "audit.no_beds_level",
        lambda f: f,
        "row {row}, facility_id",
        "which holds no beds in the scenario",
        levels=("county_general_hospital", "county_tcm_hospital", "specialty_hospital", "mch_center", "central_thc"),
    ),
    TableCase("audit.not_whole", _set(XUANTAN, "plan_beds", "19.5"), "row {row}, plan_beds", "must be a whole number"),
    TableCase("audit.negative", _set(XUANTAN, "plan_beds", "-3"), "row {row}, plan_beds", "must be a whole number"),
    TableCase("audit.duplicate", lambda f: pd.concat([f, f[f["name"] == XUANTAN]]), "row 27, facility_id", "keep one"),
    TableCase(
        "audit.county_mismatch",
        _set(XUANTAN, "county_code", "510522"),
        "row {row}, county_code",
        "'510522' is not the county of facility",
    ),
    TableCase(
        "audit.no_area_rows", lambda f: f.assign(county_code="510522").iloc[0:0], "county_code", "no row belongs to"
    ),
)
"""`audit.no_table` (a scenario without a table, no --table) is `test_a_scenario_without_a_table_needs_table`."""


def test_every_audit_case_is_documented() -> None:
    documented = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(audit\.[a-z0-9_]+)` \|", documented, flags=re.MULTILINE))
    assert rows == {case.id for case in TABLE_CASES} | {"audit.no_table"}


@pytest.mark.parametrize("case", TABLE_CASES, ids=[case.id for case in TABLE_CASES])
def test_a_bad_table_names_file_field_and_fix(lu: PreparedScenario, tmp_path: Path, case: TableCase) -> None:
    path = tmp_path / "table.csv"
    if case.breaks is not None:
        _write(case.breaks(_reference()), path)
    scenario = lu.scenario
    if case.levels is not None:
        beds = scenario.resources["beds"].model_copy(update={"eligible_levels": list(case.levels)})
        scenario = scenario.model_copy(update={"resources": {**scenario.resources, "beds": beds}})
    with pytest.raises(DataError) as caught:
        read_bed_table(path, scenario, lu.data)
    field = case.field.format(row=_row(_reference(), XUANTAN) + 2)
    named = [p for p in caught.value.problems if p.field == field]
    assert named, caught.value.problems
    assert named[0].path == path and case.message in named[0].message, named[0].message
    levels = dict(zip(lu.data.facilities["facility_id"], lu.data.facilities["level"], strict=True))
    bedless = sum(levels[f] not in case.levels for f in _reference()["facility_id"]) if case.levels else 1
    assert len(caught.value.problems) == bedless


def test_the_default_table_reads_lu_table_2(lu: PreparedScenario) -> None:
    table = read_bed_table(REFERENCE, lu.scenario, lu.data)
    assert table.beds[_facility_id(lu, XUANTAN)] == 19
    assert table.beds[_facility_id(lu, SECOND_HOSPITAL)] == 560
    assert table.skipped_rows == 0 and not table.renamed(lu.data)


def _audit(*args: str) -> Result:
    return CliRunner().invoke(app, ["audit", *args])


def test_a_scenario_without_a_table_needs_table(tmp_path: Path) -> None:
    scenario = lu_variant(tmp_path / "project", (f'plan_reference_beds = "{REFERENCE}"\n', ""))
    result = _audit(str(scenario), "--out", str(tmp_path / "out"))
    assert result.exit_code == ExitCode.INPUT, result.output
    printed = " ".join(result.output.split())
    assert "data.plan_reference_beds" in printed and "--table FILE" in printed and "Traceback" not in printed
    assert not (tmp_path / "out").exists()


def test_a_bad_table_exits_1_naming_the_file_and_writes_nothing(tmp_path: Path) -> None:
    frame = _reference()
    frame.loc[0, "facility_id"] = "510521999-XX1"
    path = _write(frame, tmp_path / "table.csv")
    result = _audit(str(LU_SCENARIO), "--table", str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == ExitCode.INPUT, result.output
    printed = " ".join(result.output.split())
    assert str(path) in printed and "row 2, facility_id" in printed and "510521999-XX1" in printed
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- Lu County end to end


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, encoding="utf-8-sig", dtype={"facility_id": str}, keep_default_na=False)


@pytest.fixture(scope="module")
def lu_audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit") / "lu"
    result = _audit(str(LU_SCENARIO), "--out", str(out))
    assert result.exit_code == ExitCode.OK, result.output
    return out


def _changes(folder: Path) -> pd.DataFrame:
    frame = _read(folder, "audit.csv")
    for column in ("table_beds", "compliant_beds", "change_beds", "change_cny"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame.set_index("name")


@pytest.mark.slow
def test_lu_audit_writes_every_file_with_stable_columns(lu_audit: Path) -> None:
    assert {p.name for p in lu_audit.iterdir()} == FILES
    header = "facility_id,name,level,table_beds,compliant_beds,change_beds,change_cny,rules_broken"
    assert ",".join(_read(lu_audit, "audit.csv").columns) == header  # the stable interface, as the CSV states it
    manifest = json.loads((lu_audit / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"] == "county-health-planner" and manifest["command"] == "audit"
    assert str(REFERENCE.resolve()) in manifest["inputs"]
    assert manifest["table_feasible"] is False and manifest["proven_optimal"] is True
    assert {_read(lu_audit, n)["plan"].unique().tolist() == ["table", "compliant"] for n in FILES if "_" in n} == {True}


@pytest.mark.slow
def test_every_change_is_compliant_minus_table_at_the_bed_cost(lu_audit: Path, lu: PreparedScenario) -> None:
    rows = _changes(lu_audit)
    listed = rows[rows["table_beds"].notna()]
    assert len(listed) == len(_reference())
    assert (listed["change_beds"] == listed["compliant_beds"] - listed["table_beds"]).all()
    cost = lu.scenario.resources["beds"].unit_cost_cny.value
    assert (listed["change_cny"] == listed["change_beds"] * cost).all()
    manifest = json.loads((lu_audit / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["least_change_beds"] == int(listed["change_beds"].abs().sum())
    rules = _read(lu_audit, "audit_facility_rules.csv")
    compliant = rules[rules["plan"] == "compliant"]
    assert compliant.loc[compliant["hard"].astype(str) == "True", "met"].astype(str).eq("True").all()


@pytest.mark.slow
def test_the_facilities_the_table_breaks_are_changed_with_their_rules(lu_audit: Path) -> None:
    rows = _changes(lu_audit)
    xuantan, hospital = rows.loc[XUANTAN], rows.loc[SECOND_HOSPITAL]
    assert xuantan["table_beds"] == 19 and xuantan["compliant_beds"] >= 20 and xuantan["change_beds"] > 0
    assert "inpatient_minimum" in xuantan["rules_broken"].split("; ")
    assert hospital["table_beds"] == 560 and 600 <= hospital["compliant_beds"] <= 1000
    assert "county_general_hospital_size" in hospital["rules_broken"].split("; ")
    broken = rows[rows["rules_broken"] != ""]
    assert (broken["change_beds"] != 0).all()  # a broken rule on a facility's beds always moves them
    report = (lu_audit / "audit.md").read_text(encoding="utf-8")
    assert report.startswith("# 计划表核对") and "**不可行**" in report
    for name, rule in ((XUANTAN, "inpatient_minimum"), (SECOND_HOSPITAL, "county_general_hospital_size")):
        line = next(line for line in report.splitlines() if line.startswith(f"  - {name}"))
        assert rule in line and "原因" in line
    assert "全部证明最优" in report and "these hard rules cannot all hold together" in report


# ---------------------------------------------------------------- hand-worked smallest change; feasible table


def _compliant_table(lu_audit: Path, tmp_path: Path, edit: dict[str, int] | None = None) -> Path:
    """Lu's table with every facility at its nearest compliant beds, then `edit` applied (by facility id)."""
    rows = _read(lu_audit, "audit.csv").set_index("facility_id")
    frame = _reference()
    frame["plan_beds"] = [str((edit or {}).get(f, rows.at[f, "compliant_beds"])) for f in frame["facility_id"]]
    return _write(frame, tmp_path / "table.csv")


@pytest.mark.slow
def test_one_facility_above_its_hard_maximum_moves_exactly_its_excess(lu_audit: Path, tmp_path: Path) -> None:
    """By hand: the facility's hard maximum M forces |x − (M + 5)| ≥ 5, and the compliant table (every
    other facility unchanged, this one at M) is a verified plan, so the least change is 5 there, 0 elsewhere."""
    rules = _read(lu_audit, "audit_facility_rules.csv")
    compliant = rules[(rules["plan"] == "compliant") & (rules["hard"].astype(str) == "True")]
    compliant = compliant[(compliant["resource"] == "beds") & (compliant["required_max"] != "")]
    at_max = compliant[pd.to_numeric(compliant["achieved"]) == pd.to_numeric(compliant["required_max"])]
    row = at_max.iloc[0]
    facility, ceiling = str(row["facility_id"]), int(float(row["required_max"]))
    table = _compliant_table(lu_audit, tmp_path, {facility: ceiling + 5})
    out = tmp_path / "out"
    result = _audit(str(LU_SCENARIO), "--table", str(table), "--out", str(out))
    assert result.exit_code == ExitCode.OK, result.output
    rows = _changes(out).set_index("facility_id")
    assert rows.at[facility, "change_beds"] == -5 and rows.at[facility, "compliant_beds"] == ceiling
    assert str(row["rule_id"]) in rows.at[facility, "rules_broken"].split("; ")
    others = rows.drop(index=facility)
    assert (others["change_beds"].fillna(0) == 0).all() and (others["rules_broken"] == "").all()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["least_change_beds"] == 5 and manifest["table_feasible"] is False


@pytest.mark.slow
def test_a_compliant_table_is_feasible_as_it_stands_and_needs_no_change(lu_audit: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _audit(str(LU_SCENARIO), "--table", str(_compliant_table(lu_audit, tmp_path)), "--out", str(out))
    assert result.exit_code == ExitCode.OK, result.output
    rows = _changes(out)
    assert (rows["change_beds"].fillna(0) == 0).all() and (rows["rules_broken"] == "").all()
    report = (out / "audit.md").read_text(encoding="utf-8")
    assert "**可行**" in report and "无需改动" in report
    targets = _read(out, "audit_targets.csv")
    assert set(targets["plan"]) == {"table", "compliant"}


@pytest.mark.slow
def test_a_solve_not_proven_optimal_is_said_and_exits_3(lu_audit: Path, tmp_path: Path) -> None:
    scenario = lu_variant(tmp_path / "project", append="\n[solver]\nmip_rel_gap = 0.5\n")
    out = tmp_path / "out"
    result = _audit(str(scenario), "--table", str(_compliant_table(lu_audit, tmp_path)), "--out", str(out))
    assert result.exit_code == ExitCode.FEASIBLE_GAP, result.output
    assert "not proven optimal" in " ".join(result.output.split())
    report = (out / "audit.md").read_text(encoding="utf-8")
    assert "未证明最优" in report.splitlines()[2]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["proven_optimal"] is False and manifest["not_proven"]
