"""A miss of less than one bed, person or vehicle is not a miss (decision A42), in targets.csv and the verifier.

Lu's physicians-per-1,000 target asks for a fractional number of physicians (value × residents / 1,000, less the
stock outside the modelled facilities). Its
planned physicians are moved down to the whole number just below that requirement (short by less than one
physician: met, gap 0) and one further (short by more than one: missed, gap 2 physicians, the shortfall
rounded up). The verifier recounts the rule on its own: it accepts the first table, and a table that
reports the first case as missed is caught.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from optimizer.analysis.verify import check
from optimizer.pipeline import PreparedScenario, prepare
from optimizer.solving.results import PlanResult, target_table
from tests.support import LU_SCENARIO, bundled_solve

pytestmark = pytest.mark.slow

TARGET = "physicians_per_1000"


@pytest.fixture(scope="module")
def prepared() -> PreparedScenario:
    return prepare(LU_SCENARIO)


def _with_physicians(result: PlanResult, prepared: PreparedScenario, total: int) -> PlanResult:
    """The plan with its physician total set to `total`, the change taken at the facility with the most."""
    allocation = result.allocation.copy()
    largest = allocation["physicians"].idxmax()
    allocation.loc[largest, "physicians"] -= int(allocation["physicians"].sum()) - total
    targets = target_table(
        allocation,
        prepared.scenario,
        prepared.data,
        towns=result.towns,
        facility_rules=result.facility_rules,
        cost_cny=result.cost_cny,
        features=result.features,
    )
    return replace(result, allocation=allocation, targets=targets)


def _required(result: PlanResult, prepared: PreparedScenario) -> float:
    """Physicians the modelled facilities need for the target: value × residents / 1,000, less the stock
    outside them that the target counts (read off the solved row: achieved × residents / 1,000 − planned)."""
    target = next(t for t in prepared.scenario.targets if t.id == TARGET)
    assert target.kind == "per_population" and target.bound == ">=" and not target.hard
    per = float(prepared.data.townships["population"].sum()) / float(target.denominator_size or 1)
    outside = float(_row(result)["achieved"]) * per - float(result.allocation["physicians"].sum())
    return target.value * per - outside


def _row(result: PlanResult) -> pd.Series:
    return result.targets.set_index("id").loc[TARGET]


def test_a_shortfall_below_one_physician_is_met_and_one_above_is_missed(prepared: PreparedScenario) -> None:
    result = bundled_solve("lu_county").plan
    required = _required(result, prepared)
    assert required - math.floor(required) > 1e-3  # a fractional requirement, else no case below one unit
    near = _row(_with_physicians(result, prepared, math.floor(required)))
    assert bool(near["met"]) and near["gap_units"] == 0.0 and near["gap"] > 0.0
    assert "less than one" in str(near["detail"])
    far = _row(_with_physicians(result, prepared, math.floor(required) - 1))
    assert not bool(far["met"]) and far["gap_units"] == 2.0 and far["gap_unit"] == "physicians"


def test_the_verifier_recounts_the_one_unit_rule(prepared: PreparedScenario) -> None:
    solved = bundled_solve("lu_county").plan
    result = _with_physicians(solved, prepared, math.floor(_required(solved, prepared)))
    scenario, data, matrix = prepared.scenario, prepared.data, prepared.matrix

    def reported(plan: PlanResult) -> list[str]:
        return [v.message for v in check(plan, scenario, data, matrix) if v.rule == "report" and v.where == TARGET]

    assert reported(result) == []
    targets = result.targets.copy()
    targets.loc[targets["id"] == TARGET, "met"] = False
    assert reported(replace(result, targets=targets))
