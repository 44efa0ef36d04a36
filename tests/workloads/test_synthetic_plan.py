"""The synthetic province as a plan: seeded, built like a real scenario, solved and independently verified."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from benchmarks.workloads.synthetic_plan import NATIONAL, scaled_province, synthetic_plan
from models.planner import build_plan_model
from optimizer.analysis.verify import check
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.solving.results import extract
from optimizer.solving.solve import solve
from tests.support import ROOT

TINY_TOWNS = 40


def test_same_seed_same_plan_and_other_seed_differs() -> None:
    a, b, c = (synthetic_plan(scaled_province(seed, TINY_TOWNS)) for seed in (3, 3, 4))
    pd.testing.assert_frame_equal(a.data.townships, b.data.townships)
    pd.testing.assert_frame_equal(a.data.facilities, b.data.facilities)
    assert np.array_equal(a.matrix.minutes, b.matrix.minutes)
    assert a.scenario == b.scenario
    assert a.target_cost_cny == b.target_cost_cny
    assert not a.data.townships["population"].equals(c.data.townships["population"])


def test_every_town_has_one_primary_facility_and_hospitals_share_its_site() -> None:
    plan = synthetic_plan(scaled_province(3, TINY_TOWNS))
    facilities = plan.data.facilities
    primary = facilities[facilities["level"] != "county_general_hospital"]
    assert sorted(primary["town_code"]) == sorted(plan.data.townships["code"])
    hospitals = facilities[facilities["level"] == "county_general_hospital"]
    urban = plan.data.townships.loc[plan.data.townships["settlement_class"] == "urban", "code"]
    assert sorted(hospitals["town_code"]) == sorted(urban)
    sites = plan.data.facilities[["lon", "lat"]].drop_duplicates()
    assert len(sites) == TINY_TOWNS
    assert int(facilities["subcentre_candidate"].sum()) == 10


def test_national_standards_are_those_of_the_defaults_file() -> None:
    defaults = tomllib.loads((ROOT / "scenarios" / "defaults" / "national.toml").read_text(encoding="utf-8"))
    for block, values in NATIONAL.items():
        for key, value in values.items():
            stated = defaults[block][key]
            assert (stated["value"] if isinstance(stated, dict) else stated) == value, f"{block}.{key}"


def test_tiny_province_meets_every_target_within_budget_and_verifies() -> None:
    plan = synthetic_plan(scaled_province(3, TINY_TOWNS))
    model = build_plan_model(build_plan_inputs(plan.scenario, plan.data, plan.matrix))
    report = solve(model.problem, SolverSettings(mip_rel_gap=0.005, time_limit_s=60.0, threads=1, fallback=False))
    assert report.outcome.has_solution, report.detail
    assert report.gap is not None and report.gap <= 0.005
    result = extract(model, report, plan.scenario, plan.data, plan.matrix)
    assert check(result, plan.scenario, plan.data, plan.matrix) == []
    assert result.targets["met"].all(), result.targets[["id", "target", "achieved"]].to_string()
    # The budget binds on the optional terms: most of the margin above the cost of the targets is spent.
    budget = plan.scenario.budget.budget_cny.value
    assert plan.target_cost_cny < budget
    assert result.total_cost_cny <= budget
    assert result.total_cost_cny - plan.target_cost_cny > 0.5 * (budget - plan.target_cost_cny)
    assert int(result.allocation["is_subcentre"].sum()) == plan.scenario.subcentres.count  # type: ignore[union-attr]


@pytest.mark.parametrize("n_towns", [40, 300])
def test_scaled_province_keeps_the_density(n_towns: int) -> None:
    province = scaled_province(5, n_towns)
    assert len(province.town_xy) == n_towns
    assert province.extent_km**2 / n_towns == pytest.approx(300.0**2 / 3000)
