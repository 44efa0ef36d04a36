"""Facility features end to end on the Lu scenario: the model opens what a target asks for where the staff
for it are, the outputs say so in facilities and CNY, and the verifier catches a tampered table.

The scenario is Lu's with two added features: a room every THC and CHC must have (hard), which needs three
nurses there, at 10,000 CNY an opening; and a department the county people's hospital has in the base year,
which no target counts (it is kept and never costed).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from optimizer.analysis.verify import check
from optimizer.pipeline import PlanSolve, PreparedScenario, ViolationPolicy, prepare, solve_plan
from optimizer.solving.feature_results import FEATURE_COLUMNS
from tests.support import lu_variant, run_cli

PRIMARY = ("central_thc", "thc", "chc")
ADDED_FEATURES = Path(__file__).with_name("feature_fixture.toml")
"""A room every THC and CHC must have (hard) and a department one hospital has in the base year."""


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[PreparedScenario, PlanSolve]:
    path = lu_variant(tmp_path_factory.mktemp("features"), append=ADDED_FEATURES.read_text(encoding="utf-8"))
    prepared = prepare(path)
    return prepared, solve_plan(prepared, on_violation=ViolationPolicy.RECORD)


def test_the_target_is_met_at_every_primary_facility_with_its_nurses(solved) -> None:
    prepared, plan = solved
    result = plan.result
    assert result is not None and not plan.violations
    rows = result.features[result.features["feature_id"] == "test_room"]
    primary = prepared.data.facilities[prepared.data.facilities["level"].isin(PRIMARY)]
    assert set(rows["facility_id"]) == set(primary["facility_id"])
    assert rows["has_feature"].all() and rows["opened"].all()
    nurses = result.allocation.set_index("facility_id")["nurses"]
    assert (nurses[list(rows["facility_id"])] >= 3).all()
    assert rows["cost_cny"].sum() == pytest.approx(10_000 * len(rows))
    assert result.cost_cny["features"] == pytest.approx(result.features["cost_cny"].sum())
    target = result.targets.set_index("id").loc["test_room_everywhere"]
    assert bool(target["met"]) and target["achieved"] == len(rows) == target["target"]


def test_a_base_year_holder_no_target_counts_keeps_its_feature_at_no_cost(solved) -> None:
    _, plan = solved
    assert plan.result is not None
    kept = plan.result.features[plan.result.features["feature_id"] == "test_kept"].set_index("facility_id")
    assert bool(kept.loc["510521001-GH1", "has_feature"]) and not bool(kept.loc["510521001-GH1", "opened"])
    assert kept["cost_cny"].sum() == 0
    assert not kept.drop(index="510521001-GH1")["has_feature"].any()


def test_the_verifier_catches_a_missing_holder_and_a_short_holder(solved) -> None:
    prepared, plan = solved
    result = plan.result
    assert result is not None
    features = result.features.copy()
    first = features.index[features["feature_id"] == "test_room"][0]
    features.loc[first, "has_feature"] = False
    allocation = result.allocation.copy()
    holder = features.loc[features.index[features["feature_id"] == "test_room"][1], "facility_id"]
    allocation.loc[allocation["facility_id"] == holder, "nurses"] = 1
    tampered = replace(result, features=features, allocation=allocation)
    found = {(v.rule, v.where) for v in check(tampered, prepared.scenario, prepared.data, prepared.matrix)}
    assert ("test_room_everywhere", "area") in found
    assert ("test_room", holder) in found


def test_outputs_carry_the_feature_table_and_report_sections(solved, tmp_path: Path) -> None:
    prepared, _ = solved
    out = run_cli(prepared.path, tmp_path / "out")
    header = (out / "features.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == list(FEATURE_COLUMNS)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## 机构功能建设" in report and "测试诊室" in report
    assert "## 计划条目对照" in report
    assert (out / "plan_entries.csv").is_file()


def test_the_verifier_catches_a_feature_row_that_misreports(solved) -> None:
    prepared, plan = solved
    assert plan.result is not None
    targets = plan.result.targets.copy()
    targets.loc[targets["id"] == "test_room_everywhere", "achieved"] -= 1
    found = check(replace(plan.result, targets=targets), prepared.scenario, prepared.data, prepared.matrix)
    assert ("report", "test_room_everywhere") in {(v.rule, v.where) for v in found}
