"""Crafted infeasible plans: the conflicting rules are named and the smallest relaxation is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.analysis.diagnose import InfeasibilityReport
from optimizer.analysis.facility_checks import kept_stock
from optimizer.errors import InfeasiblePlanError
from optimizer.pipeline import plan_scenario, prepare
from tests.support import LU_BUDGET_TEXT, lu_variant

pytestmark = pytest.mark.slow


BEDS_CAP = """
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
"""
"""A hard cap of 5 beds per 1,000 residents, below the 2020 stock (7.05 per 1,000)."""
TCM_CAP = """
[[facility_limits]]
id = "tcm_cap"
resource = "beds"
facility_ids = ["510521114-TC1"]
max_value = 10
hard = true
source = { basis = "crafted for a test" }
"""
"""A hard cap of 10 beds at the TCM hospital, which must hold ≥ 20 infectious-disease beds."""


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
            'eligible_levels = ["county_general_hospital"]\nradius_hard = false\n',
        ),
    )
    report = _explain(path)
    assert _keys(report) == {("ambulance_fleet", "ambulance_fleet")}
    assert report.single[0].amount == pytest.approx(14.0)
    assert "fleet of at least 26 vehicles" in report.text()


def test_hard_target_against_the_budget(tmp_path: Path) -> None:
    """Physicians ≥ 2.9 per 1,000 made hard, with a budget of 1 M CNY: needs 268 more physicians.

    Beds and vehicles are made free here and the plan's facility features left out, so the beds the grade
    bands force onto the base-year stock, the vehicles of the named 120 stations and the hard fever rooms
    cost nothing and only the physicians compete for the budget."""
    path = lu_variant(
        tmp_path,
        ("unit_cost_cny = { value = 385000,", "unit_cost_cny = { value = 0,"),
        (
            "base_multiplier = 1.0\n",
            'base_multiplier = 1.0\nunit_cost_cny = { value = 0, source = { basis = "test" } }\n',
        ),
        (
            'value = 2.9\nunit = "physicians per 1,000 residents"\ndenominator_size = 1000\n'
            'denominator_population = "residents"\nbinding = false\nhard = false',
            'value = 2.9\nunit = "physicians per 1,000 residents"\ndenominator_size = 1000\n'
            'denominator_population = "residents"\nbinding = false\nhard = true',
        ),
        (LU_BUDGET_TEXT, "budget_cny = { value = 1000000,"),
        (
            "honour_named = true\n",
            'honour_named = true\nupgrade_cost_cny = { value = 0, source = { basis = "test" } }\n',
        ),
        drop=("features", "feature_targets"),  # their hard openings would take the budget first
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
    path = lu_variant(tmp_path, append=BEDS_CAP)
    report = _explain(path)
    assert ("target", "beds_cap") in _keys(report) and ("stock_floor", "beds") in _keys(report)
    # The least the plan can hold: the beds outside the modelled facilities (1,915, 003 L127) plus, in the
    # modelled ones, the larger of their 2020 total (it may not fall) and the sum of what each facility must
    # hold: what it keeps of its stock (90 %, max_reduction_share) or the hard band's minimum (county
    # general hospitals 600–1000, the 三甲 TCM hospital ≥ 300, the four named sub-centres ≥ 100).
    prepared = prepare(path)
    data = prepared.data
    floors = {"泸县人民医院": 600, "泸县第二人民医院": 600, "泸县中医医院": 300}
    floors |= {f"泸县{town}中心卫生院": 100 for town in ("潮河", "喻寺", "云龙", "兆雅")}
    held = 0
    for facility, name in zip(data.facilities["facility_id"], data.facilities["name"], strict=True):
        held += max(kept_stock(prepared.scenario, data, "beds", facility), floors.get(name, 0))
    least = 1915 + max(sum(data.stock.of("beds").values()), held)
    single = {r.group.family: r.amount for r in report.single}
    assert single["target"] == pytest.approx(least - 5.0 * 764.362, abs=1.0)


def test_infectious_beds_against_a_facility_cap(tmp_path: Path) -> None:
    """The TCM hospital must hold ≥ 20 infectious-disease beds but is capped at 10 beds."""
    report = _explain(lu_variant(tmp_path, append=TCM_CAP))
    assert ("facility_limit", "tcm_cap") in _keys(report)
    others = {("bed_category", "infectious"), ("facility_limit", "inpatient_minimum")}
    others |= {("facility_limit", "tcm_tier3_beds"), ("stock_floor", "beds")}  # 三甲 ≥ 300 beds; its 2020 beds
    assert _keys(report) & others


def test_named_subcentres_against_a_central_bed_cap(tmp_path: Path) -> None:
    """Four named sub-centres need ≥ 100 beds each, but central THCs are capped at what they keep of their
    base-year beds plus 2, so keeping the stock fits and upgrading the four named centres does not."""
    probe = prepare(lu_variant(tmp_path / "probe"))
    central = probe.data.facilities.loc[probe.data.facilities["level"] == "central_thc", "facility_id"]
    cap = sum(kept_stock(probe.scenario, probe.data, "beds", f) for f in central) + 2  # what they keep, + 2
    path = lu_variant(
        tmp_path,
        append=f"""
[[targets]]
id = "central_cap"
indicator_zh = "中心卫生院床位上限（测试）"
resource = "beds"
kind = "count"
value = {cap}
unit = "beds"
bound = "<="
facility_levels = ["central_thc"]
include_other_stock = false
binding = true
hard = true
target_year = 2025
source = {{ basis = "crafted for a test" }}
""",
    )
    report = _explain(path)
    keys = _keys(report)
    assert ("target", "central_cap") in keys
    assert {family for family, _ in keys} & {"subcentre_named", "facility_limit"}
    assert "cannot all hold together" in report.text()
