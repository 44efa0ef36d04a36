"""The five bundled plans end to end: every facility an institution.

Each plan solves to a verified optimum in which no facility falls below what it keeps of its base-year
stock, no confirmed grade band is broken (a soft rule's shortfall is reported with its headcount),
the plan's named 120 stations hold a vehicle, the plan's stated sizes hold, and role-bound resources
stay at their homes (TCM physicians mostly at the TCM hospitals, paediatric beds at the general
hospitals and the MCH centre). Amounts are recomputed here from the allocation table.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from models.outcome import SolveOutcome
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.pipeline import PlanSolve, ViolationPolicy, prepare, solve_plan
from tests.support import LU_SCENARIO, ROOT, bundled_solve, lu_variant

PLANS = ("lu_county", "pingchang", "renhe", "xiushan", "mianyang")

pytestmark = pytest.mark.slow


def _solved(plan: str) -> PlanSolve:
    return bundled_solve(plan)


@pytest.mark.parametrize("plan", PLANS)
def test_plan_is_proven_optimal_and_keeps_every_facility_s_stock(plan: str) -> None:
    solved = _solved(plan)
    assert solved.report.outcome is SolveOutcome.OPTIMAL
    allocation = solved.plan.allocation.set_index("facility_id")
    stock = prepare(ROOT / "scenarios" / f"{plan}.toml").data.stock
    assert stock.entries, "the plan reads its base-year stock per facility"
    reduction = {r.name: r.max_reduction_share for r in solved.inputs.allocation.resources}
    for (resource, facility), entry in stock.entries.items():
        if resource not in allocation.columns:
            continue
        share = reduction[resource]
        kept = math.ceil(entry.value * (1 - share) - 1e-9)
        assert allocation.at[facility, resource] >= kept, (resource, facility, entry.value)


@pytest.mark.parametrize("plan", PLANS)
def test_facility_rules_are_reported_met_or_missed_in_units(plan: str) -> None:
    table = _solved(plan).plan.facility_rules
    assert table is not None and not table.empty
    hard = table[table["hard"]]
    assert hard["met"].all(), hard.loc[~hard["met"], ["rule_id", "facility_id", "achieved"]]
    for row in table.itertuples(index=False):
        low = None if pd.isna(row.required_min) else float(row.required_min)
        high = None if pd.isna(row.allowed_max) else float(row.allowed_max)
        inside = (low is None or row.achieved >= low - 1e-6) and (high is None or row.achieved <= high + 1e-6)
        assert bool(row.met) == inside, row
        assert row.shortfall == pytest.approx(max((low or 0) - row.achieved, 0) if low is not None else 0, abs=1e-6)


@pytest.mark.parametrize("plan", PLANS)
def test_named_stations_hold_a_vehicle(plan: str) -> None:
    solved = _solved(plan)
    data = prepare(ROOT / "scenarios" / f"{plan}.toml").data
    named = data.facilities.loc[data.facilities["named_emergency_station"].astype(str).str.lower() == "true"]
    allocation = solved.plan.allocation.set_index("facility_id")
    for facility in named["facility_id"]:
        assert allocation.at[facility, "ambulances"] >= 1, facility


def test_lu_tcm_physicians_and_paediatric_beds_at_their_homes() -> None:
    allocation = _solved("lu_county").plan.allocation.set_index("name")
    tcm = allocation.loc["泸县中医医院"]
    assert tcm["tcm_physicians"] >= 0.6 * tcm["physicians"]  # 中医医院: TCM share of the tier-3 standard
    paediatric = allocation[allocation["pediatric_beds"] > 0]
    assert set(paediatric["level"]) <= {"county_general_hospital", "mch_center"}
    for station in ("泸县兆雅中心卫生院", "泸县牛滩中心卫生院"):  # named 120 stations (003 L536)
        assert allocation.at[station, "ambulances"] >= 1
    assert allocation.at["泸县人民医院", "beds"] >= 600  # 三甲 and the county band 600–1000 (L377, L581)


def test_xiushan_mch_centre_holds_its_stated_size() -> None:
    allocation = _solved("xiushan").plan.allocation.set_index("name")
    assert 270 <= allocation.at["秀山县妇幼保健院", "beds"] <= 330  # 床位规模达到300张 ± 10 % (004 L1936)


@pytest.mark.parametrize("name", ["涪城区中医医院", "绵阳市游仙区肿瘤医院", "三台县精神病院"])
def test_mianyang_specialty_hospitals_stay_inside_their_grade_band(name: str) -> None:
    """The issue's 10,191-bed TCM hospital, 4,756-bed oncology and 3,205-bed psychiatric hospitals."""
    solved = _solved("mianyang")
    rules = solved.plan.facility_rules
    assert rules is not None
    row = rules[(rules["facility_name"] == name) & (rules["kind"] == "beds_band") & rules["required_max"].notna()]
    assert not row.empty, f"{name} has a bed band of its grade"
    beds = solved.plan.allocation.set_index("name").at[name, "beds"]
    assert beds <= row["required_max"].max() + 1e-6 or not row["met"].all()
    assert beds <= 1000


def test_a_budget_cut_changes_only_what_the_cut_causes(tmp_path: Path) -> None:
    """Lu at its budget and at −20 %: the cut only takes additions away (no resource grows in total), and a
    free sub-resource with a base-year stock per facility (TCM physicians, costed under physicians) is never
    swapped between facilities: the stability tie-break of (R7) holds it at its stock except for net
    additions. (Where displaced designations go among equal plans is a tie the tie-break, which counts
    moves from the stock, does not decide.) Before facilities kept their stock, such a diff listed 59
    changes, most of them free reshuffles. (Paediatric staff have no published stock per facility, so no
    tie-break fixes where a free paediatric physician sits between equal plans.)"""
    # One point per township: the attribution of a cut is the subject here, and at −20 % the demand-point model
    # of Lu does not prove its optimum inside the limit (the sweep's margin is issue #18's work).
    seats = '\n[demand]\nmethod = "township_seats"\n'
    budget = int(load_scenario(LU_SCENARIO).budget.budget_cny.value)
    whole = lu_variant(tmp_path / "full", append=seats)
    full = solve_plan(prepare(whole), on_violation=ViolationPolicy.RAISE).plan.allocation.set_index("facility_id")
    edit = (f"budget_cny = {{ value = {budget},", f"budget_cny = {{ value = {budget * 8 // 10},")
    path = lu_variant(tmp_path / "cut", edit, append=seats)
    solved = solve_plan(prepare(path), on_violation=ViolationPolicy.RAISE)
    assert solved.report.outcome is SolveOutcome.OPTIMAL
    cut = solved.plan.allocation.set_index("facility_id")
    for spec in solved.inputs.allocation.resources:
        change = cut[spec.name] - full[spec.name]
        assert change.sum() <= 0, spec.name
        if spec.unit_cost_cny == 0 and spec.subset_of is not None and spec.base_stock:
            # a free sub-resource is held at its base-year stock by the stability tie-break alone: in both plans
            # every unit away from the stock is a net addition (or a net reduction), never a swap between two
            # facilities (TCM physicians lost with the physicians a cut removes are re-designated elsewhere)
            stock = pd.Series(spec.base_stock).reindex(full.index, fill_value=0)
            for plan in (full, cut):
                moved = plan[spec.name] - stock
                assert moved.abs().sum() == abs(moved.sum()), (spec.name, moved[moved != 0].to_dict())
