"""The four plan scenarios (Pingchang, Renhe, Mianyang, Xiushan): they validate, their numbers match the
seed lines they cite, and those whose data is complete solve to a verified optimum.

Seeds are read from `SHARED_SEEDS` (default `../shared/seeds` next to the repository); the citation
tests skip when the folder is absent.
"""

from __future__ import annotations

import math
import os
import re
from functools import cache
from pathlib import Path

import pytest

from models.outcome import SolveOutcome
from optimizer.inputs.scenario import RatioTarget, Scenario
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.instance.plan_inputs import fleet_required
from tests.support import ROOT as REPO_ROOT
from tests.support import bundled_solve

SCENARIOS = REPO_ROOT / "scenarios"
SEEDS = Path(os.environ.get("SHARED_SEEDS") or REPO_ROOT / "../shared/seeds").resolve()
PLANS = {
    "pingchang": "000_3e49466f00cd5c5c.txt",
    "renhe": "001_1753e892e2b070b6.txt",
    "mianyang": "002_2b073f0507df7b2e.txt",
    "xiushan": "004_5ccce8f58bbab022.txt",
}
MIANYANG_UNITS = ["510703", "510704", "510705", "510722", "510723", "510725", "510726", "510727", "510781"]

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed plans not found at {SEEDS}; set SHARED_SEEDS")


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.toml")


@cache
def seed_lines(seed: str) -> tuple[str, ...]:
    return tuple((SEEDS / seed).read_text(encoding="utf-8").splitlines())


def seed_line(seed: str, line: int) -> str:
    """Line `line` (1-based) of a seed, with page-wrap spaces removed."""
    lines = seed_lines(seed)
    assert 1 <= line <= len(lines), f"{seed} has {len(lines)} lines, the citation names L{line}"
    return re.sub(r"\s+", "", lines[line - 1])


def target(name: str, target_id: str) -> RatioTarget:
    return next(t for t in scenario(name).targets if t.id == target_id)


def assert_cited(seed: str, line: int | None, *numbers: str) -> None:
    """Every number (as printed in the plan) appears on the cited line."""
    assert line is not None
    text = seed_line(seed, line)
    for number in numbers:
        assert number in text, f"{seed}:L{line} does not contain {number!r}: {text[:120]}"


def printed_forms(value: float) -> set[str]:
    """How a plan may print a target value: 7.5 → 7.5 / 7.50; 0.3 → 30%; 4000 → 4000."""
    forms = {f"{value:g}", f"{value:.1f}", f"{value:.2f}"}
    if value < 1:
        forms.add(f"{value * 100:g}%")
    return forms


# ---------------------------------------------------------------- every scenario


@pytest.mark.parametrize("name", sorted(PLANS))
def test_scenario_validates_and_names_its_seed(name: str) -> None:
    loaded = scenario(name)
    assert loaded.scenario.id == name
    assert loaded.scenario.plan_seed == PLANS[name]
    assert loaded.targets, "a plan scenario needs targets"
    assert loaded.out_of_scope, "targets the model cannot act on must be listed, not dropped"
    assert loaded.ambulances is not None and loaded.subcentres is not None
    assert loaded.solver.mip_rel_gap == pytest.approx(1e-3)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_binding_targets_are_hard_and_prose_targets_soft(name: str) -> None:
    """A35 (a): 约束性 → hard, 预期性 and untagged prose → soft."""
    for t in scenario(name).targets:
        assert t.hard == t.binding, f"{name}: {t.id} has binding={t.binding} but hard={t.hard}"


@needs_seeds
@pytest.mark.parametrize("name", sorted(PLANS))
def test_every_target_value_is_printed_on_its_cited_line(name: str) -> None:
    for t in scenario(name).targets:
        assert t.source.seed == PLANS[name], f"{t.id} cites {t.source.seed}"
        assert t.source.line is not None
        # the quote may run on over the seed's wrapped lines (a blank line between)
        last = min(t.source.line + 2, len(seed_lines(t.source.seed)))
        text = "".join(seed_line(t.source.seed, n) for n in range(t.source.line, last + 1))
        # a level derived from an estimated base year (base + the plan's increment) shows its increment
        increment = t.value - t.baseline if t.source.estimated and t.baseline is not None else None
        forms = printed_forms(t.value) | (printed_forms(increment) if increment is not None else set())
        assert any(form in text for form in forms), (
            f"{name}: {t.id} = {t.value} is not printed on {t.source.seed}:L{t.source.line}: {text[:120]}"
        )


@needs_seeds
@pytest.mark.parametrize("name", sorted(PLANS))
def test_out_of_scope_quotes_start_at_their_cited_line(name: str) -> None:
    for item in scenario(name).out_of_scope:
        seed, line, quote = item.source.seed, item.source.line, item.source.quote
        assert seed is not None and line is not None and quote is not None, item.id
        window = "".join(seed_line(seed, n) for n in range(line, min(line + 4, len(seed_lines(seed))) + 1))
        head = re.sub(r"\s+", "", quote)[:8]
        assert head in window, f"{name}: out_of_scope {item.id}: {head!r} not at {seed}:L{line}"


# ---------------------------------------------------------------- per plan


@needs_seeds
def test_xiushan_binding_ratios_match_the_indicator_table() -> None:
    seed = PLANS["xiushan"]
    beds = target("xiushan", "beds_per_1000")
    assert (beds.value, beds.bound, beds.binding, beds.hard, beds.baseline) == (7.5, ">=", True, True, 6.44)
    assert beds.target_year == 2025
    assert beds.source.line is not None
    assert_cited(seed, beds.source.line, "6.44", "7.50")
    assert_cited(seed, beds.source.line + 2, "约束性")  # the table row wraps: the tag sits two lines below
    cap = target("xiushan", "beds_per_1000_cap")
    assert (cap.value, cap.bound, cap.hard) == (7.5, "<=", False)
    assert_cited(seed, cap.source.line, "控制在7.5张")
    for target_id, value, printed in [
        ("physicians_per_1000", 3.6, "3.60"),
        ("nurses_per_1000", 3.8, "3.80"),
        ("gps_per_10k", 3.5, "3.50"),
        ("tcm_physicians_per_1000", 0.7, "0.70"),
        ("public_health_staff_per_1000", 0.83, "0.83"),
    ]:
        t = target("xiushan", target_id)
        assert (t.value, t.binding, t.hard) == (value, True, True), target_id
        assert_cited(seed, t.source.line, printed)


@needs_seeds
def test_xiushan_facility_rules_and_regional_centres() -> None:
    seed, plan = PLANS["xiushan"], scenario("xiushan")
    icu = next(c for c in plan.bed_categories if c.id == "icu")
    assert (icu.min_share, icu.max_share, icu.hard) == (0.02, 0.05, False)
    assert_cited(seed, icu.source.line, "2%-5%", "重症监护")
    mch = next(size for size in plan.facility_sizes if size.id == "mch_hospital_beds")
    # "床位规模达到300张": a size to reach, exactly 300 (W fixed: neither a floor nor a ± 10 % band)
    assert (mch.value, mch.facility_id, mch.band, mch.hard) == (300, "500241001-MC1", (300, 300), True)
    assert_cited(seed, mch.source.line, "300张")
    grades = {g.facility_id: g.grade for g in plan.facility_grades}
    assert grades == {"500241001-GH1": "general_tier3", "500241001-TC1": "tcm_tier3", "500241001-MC1": "mch_tier3"}
    for grade in plan.facility_grades:
        assert_cited(seed, grade.source.line, "三级")
    paediatric = target("xiushan", "pediatric_beds_total")
    assert (paediatric.kind, paediatric.value) == ("count", 200)
    assert_cited(seed, paediatric.source.line, "200张")
    assert plan.resources["beds"].unit_cost_cny.value == 385_000
    assert_cited(seed, plan.resources["beds"].unit_cost_cny.source.line, "38.50")
    centres = plan.subcentres
    assert centres is not None and centres.honour_named
    # W fixed (A26 (a)): 7 centres, the 6 the seed names imposed and the 7th chosen among the THCs of 镇
    assert centres.count == 7 and len(centres.named_facility_ids) == 6
    assert_cited(seed, centres.source.line, "农村区域医疗卫生中心7个")


@needs_seeds
def test_renhe_ambulance_rule_and_targets() -> None:
    seed, plan = PLANS["renhe"], scenario("renhe")
    fleet = plan.ambulances
    assert fleet is not None
    assert (fleet.base_multiplier, fleet.extra_special_vehicles, fleet.per_population) == (3.0, 3, 30000)
    assert_cited(seed, fleet.fleet_source.line, "300%", "每3万人口1辆", "增配3台专用救护车")
    assert fleet_required(fleet, 265_562, fleet.base_multiplier) == 27 + 3
    assert_cited(seed, fleet.radius_source.line, "不超过5公里", "10—20公里")
    physicians = target("renhe", "physicians_per_1000")
    assert (physicians.value, physicians.baseline, physicians.binding) == (3.78, 3.63, False)
    assert_cited(seed, physicians.source.line, "3.63", "3.78", "预期性")
    assert target("renhe", "physicians_per_1000_workforce_section").value == 2.6  # A9: kept, soft
    ed = next(c for c in plan.bed_categories if c.id == "ed_observation")
    assert (ed.min_share, ed.max_share, ed.facility_ids) == (0.02, 0.03, ["510411001-GH1"])
    assert_cited(seed, ed.source.line, "按医院床位的2—3%设置急诊科观察床")
    assert plan.subcentres is not None and plan.subcentres.count == 1
    assert not plan.subcentres.named_facility_ids
    assert_cited(seed, plan.subcentres.source.line, "建成1个县域医疗卫生次中心")


@needs_seeds
def test_mianyang_city_targets_and_a2_fleet() -> None:
    seed, plan = PLANS["mianyang"], scenario("mianyang")
    assert plan.area.county_codes == MIANYANG_UNITS
    physicians = target("mianyang", "physicians_per_1000")
    assert (physicians.value, physicians.baseline, physicians.hard) == (3.2, 2.89, False)
    assert_cited(seed, physicians.source.line, "3.2人")
    assert_cited(seed, 124, "2.89")
    assert target("mianyang", "psychiatrists_per_100k").denominator_size == 100_000
    assert_cited(seed, target("mianyang", "psychiatrists_per_100k").source.line, "4名/10万")
    assert_cited(seed, target("mianyang", "gps_per_10k").source.line, "4名全科医生")
    assert plan.subcentres is not None and plan.subcentres.count == 30
    assert_cited(seed, plan.subcentres.source.line, "30个左右县域医疗卫生次中心")
    fleet = plan.ambulances
    assert fleet is not None
    # A2 (b): each district 涪城/游仙/安州 at 1 per 30,000, each county and 江油 at 3×, at its own bases
    districts = {"510703": 1_298_524, "510704": 561_379, "510705": 372_962}
    assert {c: m for c, m in fleet.base_multiplier_by_county.items() if m == 1.0} == dict.fromkeys(districts, 1.0)
    assert set(fleet.base_multiplier_by_county) == set(MIANYANG_UNITS)
    assert [fleet_required(fleet, p, 1.0) for p in districts.values()] == [44, 19, 13]
    assert fleet_required(fleet, 955_811, 3.0) == math.ceil(3 * 955_811 / 30_000) == 96  # 三台
    assert fleet_required(fleet, 4_868_243, fleet.alternative_base_multiplier) == 487
    assert_cited(seed, 820, "以市为单位")
    assert_cited(seed, fleet.fleet_source.line, "300%")


@needs_seeds
def test_pingchang_2027_paediatric_and_psychiatry_targets() -> None:
    seed, plan = PLANS["pingchang"], scenario("pingchang")
    assert plan.scenario.target_year == 2027
    beds = target("pingchang", "pediatric_beds_per_1000_children")
    assert (beds.value, beds.denominator_population, beds.denominator_size, beds.target_year) == (
        2.8,
        "children_0_14",
        1000,
        2027,
    )
    assert_cited(seed, beds.source.line, "到2027年", "床位2.8张")
    doctors = target("pingchang", "pediatric_physicians_per_1000_children")
    assert doctors.value == 0.9
    assert_cited(seed, doctors.source.line, "医师0.9名")
    psychiatry = target("pingchang", "psychiatrists_per_100k")
    assert (psychiatry.value, psychiatry.denominator_size) == (4.5, 100_000)
    assert_cited(seed, psychiatry.source.line, "4.5名")
    share = target("pingchang", "primary_rehab_nursing_bed_share")
    assert (share.kind, share.value, share.denominator_resource) == ("per_resource", 0.2, "beds")
    assert_cited(seed, share.source.line, "占比达到20%")
    # L59's 县域中医医疗次中心 is a TCM sub-centre (a feature the model sites), not a general sub-centre
    tcm_centre = next(t for t in plan.feature_targets if t.id == "tcm_sub_center")
    assert (tcm_centre.feature, tcm_centre.min_count, tcm_centre.max_count) == ("tcm_sub_centre", 1, 1)
    assert_cited(seed, tcm_centre.source.line, "县域中医医疗次中心1个")
    assert plan.subcentres is None or plan.subcentres.count == 0


# ---------------------------------------------------------------- end to end


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PLANS))
def test_plan_solves_to_a_verified_optimum(name: str) -> None:
    result = bundled_solve(name).plan  # solved with ViolationPolicy.RAISE: a violated rule raises
    assert result.solve.outcome is SolveOutcome.OPTIMAL
    assert result.total_cost_cny <= result.budget_cny + 1e-6
    hard = result.targets[result.targets["hard"].astype(bool)]
    assert hard["met"].all(), hard
