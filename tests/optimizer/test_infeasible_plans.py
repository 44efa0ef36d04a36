"""Crafted infeasible plans: the conflicting rules are named and the smallest relaxation is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.analysis.diagnose import InfeasibilityReport
from optimizer.errors import InfeasiblePlanError
from optimizer.pipeline import plan_scenario, prepare
from tests.support import lu_variant

pytestmark = pytest.mark.slow


def _explain(path: Path) -> InfeasibilityReport:
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_scenario(prepare(path), compare_free_choice=False)
    report = caught.value.explanation
    assert isinstance(report, InfeasibilityReport)
    assert str(path) in str(caught.value)
    return report


def _keys(report: InfeasibilityReport) -> set[tuple[str, str]]:
    return {(g.family, g.key) for g in report.conflict}


def test_fleet_rule_against_base_capacity(tmp_path: Path) -> None:
    """26 vehicles required, hard, but only the two county general hospitals may hold 6 each: short by 14."""
    path = lu_variant(
        tmp_path,
        (
            "base_multiplier = 1.0\n",
            "base_multiplier = 1.0\nfleet_hard = true\nmax_per_base = 6\n"
            'eligible_levels = ["county_general_hospital"]\n',
        ),
    )
    report = _explain(path)
    assert _keys(report) == {("ambulance_fleet", "ambulance_fleet")}
    assert report.single[0].amount == pytest.approx(14.0)
    assert "fleet of at least 26 vehicles" in report.text()


def test_hard_target_against_the_budget(tmp_path: Path) -> None:
    """Physicians ≥ 2.9 per 1,000 made hard, with a budget of 1 M CNY: needs 268 more physicians."""
    path = lu_variant(
        tmp_path,
        (
            'value = 2.9\nunit = "physicians per 1,000 residents"\ndenominator_size = 1000\n'
            'denominator_population = "residents"\nbinding = false\nhard = false',
            'value = 2.9\nunit = "physicians per 1,000 residents"\ndenominator_size = 1000\n'
            'denominator_population = "residents"\nbinding = false\nhard = true',
        ),
        ("budget_cny = { value = 600000000,", "budget_cny = { value = 1000000,"),
        (
            "honour_named = true\n",
            'honour_named = true\nupgrade_cost_cny = { value = 0, source = { basis = "test" } }\n',
        ),
    )
    report = _explain(path)
    assert ("budget", "budget") in _keys(report)
    assert ("target", "physicians_per_1000") in _keys(report)
    by_family = {r.group.family: r for r in report.single}
    # 2.9 × 764,362 / 1,000 = 2,216.6 → 268 physicians over the 1,949 of 2020 at 600,000 CNY each.
    assert by_family["budget"].amount >= 268 * 600_000 - 1_000_000 - 1
    assert by_family["target"].amount == pytest.approx(2216.65 - 1949 - 1_000_000 / 600_000, abs=1.0)


def test_upper_target_below_the_existing_stock(tmp_path: Path) -> None:
    """Beds ≤ 5 per 1,000 (hard) cannot hold while the 2020 stock (7.05 per 1,000) must be kept."""
    path = lu_variant(
        tmp_path,
        append="""
[[targets]]
id = "beds_cap"
indicator_zh = "床位上限（测试）"
resource = "beds"
kind = "per_population"
value = 5.0
unit = "beds per 1,000 residents"
bound = "<="
denominator_size = 1000
denominator_population = "residents"
binding = true
hard = true
target_year = 2025
source = { basis = "crafted for a test" }
""",
    )
    report = _explain(path)
    assert _keys(report) == {("target", "beds_cap"), ("stock_floor", "beds")}
    single = {r.group.family: r.amount for r in report.single}
    assert single["target"] == pytest.approx(5385 - 5.0 * 764.362, abs=1.0)


def test_infectious_beds_against_a_facility_cap(tmp_path: Path) -> None:
    """The TCM hospital must hold ≥ 20 infectious-disease beds but is capped at 10 beds."""
    path = lu_variant(
        tmp_path,
        append="""
[[facility_limits]]
id = "tcm_cap"
resource = "beds"
facility_ids = ["510521001-TC1"]
max_value = 10
hard = true
source = { basis = "crafted for a test" }
""",
    )
    report = _explain(path)
    assert ("facility_limit", "tcm_cap") in _keys(report)
    assert ("bed_category", "infectious") in _keys(report) or ("facility_limit", "inpatient_minimum") in _keys(report)


def test_named_subcentres_against_a_central_bed_cap(tmp_path: Path) -> None:
    """Four named sub-centres need ≥ 100 beds each, but central THCs are capped at 300 beds in total."""
    path = lu_variant(
        tmp_path,
        append="""
[[targets]]
id = "central_cap"
indicator_zh = "中心卫生院床位上限（测试）"
resource = "beds"
kind = "count"
value = 300
unit = "beds"
bound = "<="
facility_levels = ["central_thc"]
include_other_stock = false
binding = true
hard = true
target_year = 2025
source = { basis = "crafted for a test" }
""",
    )
    report = _explain(path)
    keys = _keys(report)
    assert ("target", "central_cap") in keys
    assert {family for family, _ in keys} & {"subcentre_named", "facility_limit"}
    assert "cannot all hold together" in report.text()
