"""targets.csv carries a row for every rule the model enforces, met or missed, with the gap in planner units.

Lu County with its own fleet as a county rule and a mean response limit [A2, A7]: once as planned (every
rule met), once with the vehicles confined to the two county hospitals and the radius soft (radius,
county fleet and mean response missed). Each row is recounted here from the allocation, the towns and
the travel matrix; the verifier is shown to catch a broken radius, mean or county fleet on its own, and
a town no base can reach is refused before the solve.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from models.planner import build_plan_model
from models.planner.ambulances import AmbulanceInputs
from optimizer.analysis.diagnose import explain
from optimizer.analysis.verify import check
from optimizer.cli.commands import app
from optimizer.errors import ScenarioError
from optimizer.geography.travel_times import TravelMatrix
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import PreparedScenario, ViolationPolicy, prepare, solve_plan
from optimizer.solving.results import PlanResult
from optimizer.solving.rule_rows import COLUMNS
from tests.support import LU_SCENARIO, beds_allocation, exact, lu_variant, plan_weights, run_cli, tiny_plan

pytestmark = pytest.mark.slow

LU = "510521"
RULES = ("base_multiplier = 1.0\n", f'base_multiplier = 1.0\nbase_multiplier_by_county = {{ "{LU}" = 1.0 }}\n')
MEAN_30 = ("[ambulances]\n", "[ambulances]\nresponse_mean_max_min = 30.0\n")
HOSPITALS_ONLY = (
    "[ambulances]\n",
    '[ambulances]\nresponse_mean_max_min = 1.0\nradius_hard = false\neligible_levels = ["county_general_hospital"]\n',
)
STRICT_COUNTY = ("base_multiplier = 1.0\n", f'base_multiplier = 1.0\nbase_multiplier_by_county = {{ "{LU}" = 3.0 }}\n')


def _rows(targets: pd.DataFrame) -> pd.DataFrame:
    return targets.set_index("id")


def _nearest(matrix: TravelMatrix, allocation: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Straight km and minutes from each origin (town or demand point) to its nearest base holding a vehicle."""
    pairs = zip(allocation["facility_id"], allocation["ambulances"], strict=True)
    held = [matrix.destinations.index(f) for f, n in pairs if n]
    return matrix.straight_km[:, held].min(axis=1), matrix.minutes[:, held].min(axis=1)


def _recount(prepared: PreparedScenario, plan: PlanResult) -> dict[str, tuple[float, float]]:
    """(achieved, gap in planner units) of the radius, mean response and county fleet rows."""
    settings = prepared.scenario.ambulances
    assert settings is not None
    towns = prepared.data.townships
    km, _ = _nearest(prepared.matrix, plan.allocation)  # the hard radius holds at the seats (A4)
    radius = np.where(towns["settlement_class"] == "urban", settings.urban_radius_km, settings.rural_radius_km)
    outside = float((km > radius).sum())
    people = towns["population"].to_numpy(float)
    assert prepared.matrix.demand is not None  # the mean response is over the demand points (A40)
    _, minutes = _nearest(prepared.matrix.demand.matrix, plan.allocation)
    residents = prepared.matrix.demand.points.frame["population"].to_numpy(float)
    mean = float((residents * minutes).sum() / residents.sum())
    limit = settings.response_mean_max_min or 0.0
    multiplier = settings.base_multiplier_by_county[LU]
    required = int(np.ceil(multiplier * people.sum() / settings.per_population - 1e-9))
    fleet = float(plan.allocation["ambulances"].sum())
    return {
        "ambulance_radius": (outside, outside),
        "ambulance_response_mean": (mean, max(mean - limit, 0.0)),
        f"ambulance_fleet_{LU}": (fleet, max(required - fleet, 0.0)),
    }


def test_every_rule_kind_has_a_met_row_and_the_report_labels_it(tmp_path: Path) -> None:
    scenario = lu_variant(tmp_path, RULES, MEAN_30)
    out = run_cli(scenario, tmp_path / "out")
    targets = pd.read_csv(out / "targets.csv", encoding="utf-8-sig")
    assert tuple(targets.columns) == COLUMNS
    targets = targets[targets["rule_kind"].notna()]  # rows of the kinds registered in rule_kinds.py
    kinds = set(targets["rule_kind"])
    assert {"target", "facility_limit", "grade_standard", "stock_floor", "named_station", "bed_category"} <= kinds
    assert {"ambulance_fleet", "ambulance_radius", "ambulance_response_mean", "subcentre_count", "budget"} <= kinds
    rows = _rows(targets)
    for row in targets.itertuples():  # every row: met exactly when there is no gap, in either unit
        assert (
            bool(row.met)
            == (row.gap <= 1e-6 * max(1.0, abs(row.target)))
            == (row.gap_units <= 1e-6 * max(1, row.target))
        )
    county = rows.loc[f"ambulance_fleet_{LU}"]
    assert (county["target"], county["gap_unit"], county["seed_line"]) == (
        26,
        "vehicles",
        "003_73fe565c888d90cc.txt:L477",
    )
    mean = rows.loc["ambulance_response_mean"]
    assert mean["met"] and 0 <= mean["achieved"] <= 30 and mean["gap_unit"] == "minutes"
    towns = pd.read_csv(out / "towns.csv", encoding="utf-8-sig")
    recounted = (towns["population"] * towns["minutes_to_ambulance"]).sum() / towns["population"].sum()
    assert mean["achieved"] == pytest.approx(recounted, rel=1e-6)
    budget = rows.loc["budget"]
    summary = pd.read_json(out / "summary.json", typ="series")
    assert (
        budget["met"] and budget["achieved"] == pytest.approx(summary["total_cost_cny"]) and budget["gap_unit"] == "CNY"
    )
    infectious = rows.loc["infectious"]  # Lu's 2 × 20 infectious-disease beds (003 L520)
    assert (infectious["target"], infectious["achieved"], infectious["seed_line"]) == (
        2,
        2,
        "003_73fe565c888d90cc.txt:L520",
    )
    facility_rules = pd.read_csv(out / "facility_rules.csv", encoding="utf-8-sig")
    per_facility = targets[targets["unit"].eq("facilities") & ~targets["rule_kind"].eq("bed_category")]
    assert per_facility["target"].sum() == len(facility_rules)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Plan targets and rules" in report and "| `ambulance_radius` | 急救服务半径 |" in report
    assert "达成" in report and "平均急救反应时间" in report and "救护车配置" in report


def test_missed_rules_report_their_gap_in_towns_vehicles_and_minutes(tmp_path: Path) -> None:
    """Vehicles only at the county hospitals: towns beyond 20 km, a county fleet of 77 the two hospitals
    cannot hold (6 each), and a mean response above 1 minute; each gap recounted from the plan."""
    prepared = prepare(lu_variant(tmp_path, STRICT_COUNTY, HOSPITALS_ONLY))
    plan = solve_plan(prepared, on_violation=ViolationPolicy.RECORD).plan
    rows = _rows(plan.targets)
    for row_id, (achieved, gap) in _recount(prepared, plan).items():
        row = rows.loc[row_id]
        assert row["achieved"] == pytest.approx(achieved, rel=1e-6), row_id
        assert row["gap_units"] == pytest.approx(gap, rel=1e-6, abs=1e-6), row_id
        assert not row["met"], row_id
    assert not rows.loc["ambulance_radius", "hard"] and not rows.loc["ambulance_response_mean", "hard"]
    assert rows.loc["ambulance_radius", "achieved"] >= 1 and "km >" in str(rows.loc["ambulance_radius", "detail"])
    assert rows.loc[f"ambulance_fleet_{LU}", "target"] == 77
    violations = {v.rule for v in check(plan, prepared.scenario, prepared.data, prepared.matrix)}
    assert not violations & {"ambulance_radius", "ambulance_response_mean", "ambulance_fleet", "report"}


def test_the_verifier_recounts_each_new_rule_without_the_model(tmp_path: Path) -> None:
    """A planned Lu, then its vehicles all moved to the county people's hospital: the radius, a hard mean
    response and a hard county fleet are each reported broken, in km, minutes and vehicles."""
    prepared = prepare(lu_variant(tmp_path, RULES, MEAN_30))
    plan = solve_plan(prepared, on_violation=ViolationPolicy.RAISE).plan
    assert check(plan, prepared.scenario, prepared.data, prepared.matrix) == []
    allocation = plan.allocation.copy()
    hospital = allocation.index[allocation["facility_id"] == "510521001-GH1"][0]
    allocation["ambulances"] = 0
    allocation.loc[hospital, "ambulances"] = 6
    settings = prepared.scenario.ambulances
    assert settings is not None
    strict = settings.model_copy(update={"response_mean_max_min": 1.0, "response_mean_hard": True, "fleet_hard": True})
    scenario = prepared.scenario.model_copy(update={"ambulances": strict})
    found = check(replace(plan, allocation=allocation), scenario, prepared.data, prepared.matrix)
    by_rule = {v.rule: v for v in found}
    assert "nearest base holding a vehicle" in by_rule["ambulance_radius"].message
    assert "min over" in by_rule["ambulance_response_mean"].message
    assert any(v.rule == "ambulance_fleet" and v.where == LU and "20 short" in v.message for v in found)
    assert any(v.rule == "report" and v.where == "ambulance_radius" for v in found)  # the table was not recounted


def test_a_town_no_eligible_base_reaches_is_refused_by_name(tmp_path: Path) -> None:
    path = lu_variant(tmp_path, ("[ambulances]\n", '[ambulances]\neligible_levels = ["county_general_hospital"]\n'))
    prepared = prepare(path)
    with pytest.raises(ScenarioError, match=r"ambulances\.radius_hard: 4 town\(s\) reach no facility") as caught:
        build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix)
    assert "兆雅镇 510521106 (rural: nearest eligible base 24.4 km > 20 km)" in str(caught.value)
    outcome = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 1, outcome.output
    assert "set ambulances.radius_hard = false" in " ".join(outcome.output.split())


def test_a_radius_the_budget_cannot_pay_for_is_explained() -> None:
    """Two towns 40 km apart need a vehicle each (2 CNY a vehicle) under a 3 CNY budget: the diagnosis
    names the radius and the budget, and relaxes either by one town or by 1 CNY."""
    population = {"A": 10.0, "B": 10.0}
    allocation = beds_allocation(population, {"F1": "A", "F2": "B"}, {}, required_beds=1.0, bed_cost_cny=0.0)
    ambulances = AmbulanceInputs(
        towns=("A", "B"),
        population=population,
        bases=("F1", "F2"),
        covering={"A": ("F1",), "B": ("F2",)},
        fleet_required=1,
        fleet_hard=False,
        fleet_shortfall_weight=100.0,
        existing_fleet=0,
        max_per_base=2,
        unit_cost_cny=2.0,
        target_id="ambulance_fleet",
        within_radius={"A": ("F1",), "B": ("F2",)},
    )
    model = build_plan_model(
        tiny_plan("radius", allocation, budget_cny=3.0, weights=plan_weights(), ambulances=ambulances)
    )
    lu = prepare(LU_SCENARIO)
    report = explain(lu.scenario, lu.data, model, exact("highs"))
    assert {(g.family, g.key) for g in report.conflict} == {
        ("budget", "budget"),
        ("ambulance_radius", "ambulance_radius"),
    }
    single = {r.group.family: (r.amount, r.unit) for r in report.single}
    assert single["ambulance_radius"] == (pytest.approx(1.0), "towns")
    assert single["budget"] == (pytest.approx(1.0), "CNY")
    assert "the ambulance radius" in report.text()
