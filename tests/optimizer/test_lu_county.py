"""End to end on the bundled Lu County scenario: CLI, outputs, plan targets, determinism, verifier."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from models.outcome import SolveOutcome
from models.planner import build_plan_model
from optimizer.analysis.verify import check
from optimizer.instance.plan_inputs import build_plan_inputs, fleet_required
from optimizer.pipeline import PreparedScenario, plan_scenario, prepare
from optimizer.solving.results import PlanResult
from optimizer.solving.solve import solve
from tests.support import LU_SCENARIO, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prepared() -> PreparedScenario:
    return prepare(LU_SCENARIO)


@pytest.fixture(scope="module")
def result(prepared: PreparedScenario) -> PlanResult:
    return plan_scenario(prepared, compare_free_choice=False)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_cli(LU_SCENARIO, tmp_path_factory.mktemp("lu") / "out")


def test_cli_run_writes_every_output(run_dir: Path) -> None:
    names = {p.name for p in run_dir.iterdir()}
    assert {
        "allocation.csv",
        "towns.csv",
        "targets.csv",
        "summary.json",
        "report.md",
        "manifest.json",
        "plan_comparison.csv",
    } <= names
    assert not [n for n in names if n.endswith(".tmp")]
    assert (run_dir / "targets.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel


def test_summary_reports_an_optimal_verified_solve(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["outcome"] == "optimal"
    assert summary["gap"] <= summary["gap_tolerance"]
    assert summary["population"] == 764_362
    assert summary["total_cost_cny"] <= summary["budget_cny"]
    assert summary["totals"]["subcentres"] == 4
    assert summary["travel_time_source"] == "euclidean_fallback"


def test_plan_targets_are_met_or_reported_missed_with_numbers(run_dir: Path) -> None:
    targets = pd.read_csv(run_dir / "targets.csv", encoding="utf-8-sig").set_index("id")
    beds = targets.loc["beds_per_1000"]
    assert beds["target"] == pytest.approx(7.11)
    assert beds["source"] == "003_73fe565c888d90cc.txt:L204"
    for row in targets.itertuples():
        gap = row.target - row.achieved if row.bound == ">=" else row.achieved - row.target
        assert bool(row.met) == (gap <= 1e-6 * max(1.0, abs(row.target)))
        assert row.gap == pytest.approx(max(gap, 0.0), abs=1e-6)
    assert targets.loc["ambulance_fleet", "target"] == 26


def test_plan_table_is_reported_beside_the_optimum(run_dir: Path) -> None:
    comparison = pd.read_csv(run_dir / "plan_comparison.csv", encoding="utf-8-sig")
    assert len(comparison) == 25
    assert comparison["plan_beds"].sum() == 3439
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "3,439" in report and "泸县人民医院" in report and "estimated" in report.lower()


def test_named_subcentres_are_honoured(result: PlanResult) -> None:
    chosen = set(result.allocation.loc[result.allocation["is_subcentre"], "facility_id"])
    assert chosen == {"510521102-CT1", "510521106-CT1", "510521109-CT1", "510521113-CT1"}


def test_county_general_hospitals_stay_in_their_band(result: PlanResult) -> None:
    hospitals = result.allocation[result.allocation["level"] == "county_general_hospital"]
    assert hospitals["beds"].between(600, 1000).all()
    assert hospitals.set_index("facility_id").loc["510521107-GH1", "beds_infectious"] >= 20


def test_same_scenario_gives_identical_tables(prepared: PreparedScenario, result: PlanResult) -> None:
    again = plan_scenario(prepared, compare_free_choice=False)
    for table in ("allocation", "towns", "targets"):
        pd.testing.assert_frame_equal(getattr(result, table), getattr(again, table))


def test_fleet_rule_readings() -> None:
    settings = prepare(LU_SCENARIO).scenario.ambulances
    assert settings is not None
    assert fleet_required(settings, 764_362, 1.0) == 26  # ceil(764,362 / 30,000)
    assert fleet_required(settings, 764_362, 3.0) == 77  # ceil(3 × 764,362 / 30,000)
    assert fleet_required(settings, 30_000, 1.0) == 1


def test_verifier_catches_broken_solutions(prepared: PreparedScenario, result: PlanResult) -> None:
    assert check(result, prepared.scenario, prepared.data, prepared.matrix) == []

    def broken(column: str, facility: str, value: object) -> PlanResult:
        table = result.allocation.copy()
        table.loc[table["facility_id"] == facility, column] = value
        return replace(result, allocation=table)

    cases = {
        "county_general_hospital_size": broken("beds", "510521001-GH1", 1200),
        "infectious": broken("beds_infectious", "510521107-GH1", 5),
        "subset": broken("gps", "510521100-TH1", 10_000),
        "subcentre_named": broken("is_subcentre", "510521113-CT1", False),
        "budget": broken("nurses", "510521100-TH1", 5_000),
        "named_station": broken("ambulances", "510521105-CT1", 0),  # 牛滩, a named 120 station (003 L536)
        "tcm_tier3_beds": broken("beds", "510521114-TC1", 250),  # 三甲 TCM hospital: ≥ 300 beds (1994 standard)
    }
    for rule, bad in cases.items():
        rules = {v.rule for v in check(bad, prepared.scenario, prepared.data, prepared.matrix)}
        assert rule in rules, (rule, rules)


def test_highs_and_cbc_bounds_bracket_each_other(prepared: PreparedScenario) -> None:
    """Each solver's proven bound must not exceed the other's objective (minimisation), optimal or not.

    This caught HiGHS presolve returning a bound above a feasible plan (see SolverSettings.highs_presolve).
    """
    reports = {}
    for name in ("highs", "cbc"):
        settings = prepared.scenario.solver.model_copy(update={"name": name, "time_limit_s": 30.0})
        model = build_plan_model(build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix))
        reports[name] = solve(model.problem, settings)
    for name, other in (("highs", "cbc"), ("cbc", "highs")):
        assert reports[name].outcome in (SolveOutcome.OPTIMAL, SolveOutcome.FEASIBLE_GAP)
        # CBC's bound is read from its log, printed to 6 significant digits: allow that rounding, no more.
        rounding = 1e-5 * max(1.0, abs(reports[other].objective)) if name == "cbc" else 1e-7
        assert reports[name].bound <= reports[other].objective + rounding


def test_county_table_adds_up(run_dir: Path) -> None:
    counties = pd.read_csv(run_dir / "counties.csv", encoding="utf-8-sig", dtype={"county_code": str})
    allocation = pd.read_csv(run_dir / "allocation.csv", encoding="utf-8-sig")
    assert counties["county_code"].tolist() == ["510521"]
    row = counties.iloc[0]
    assert row["population"] == 764_362
    assert row["beds"] == allocation["beds"].sum()
    assert row["beds_per_1000"] == pytest.approx(allocation["beds"].sum() / 764.362, abs=1e-4)
