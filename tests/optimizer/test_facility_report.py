"""The report's facility sections: a missed soft rule is listed with its gap and source, kept stock above a
band is named, and changes from the base-year stock are counted as additions and reductions."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from optimizer.analysis.facility_checks import COLUMNS
from optimizer.outputs.facility_report import facility_rules_section, stock_changes
from optimizer.pipeline import ViolationPolicy, prepare, solve_plan
from optimizer.solving.results import PlanResult
from tests.support import LU_SCENARIO


def _row(**values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(COLUMNS)
    row |= {"kind": "staff_per_bed", "per_resource": "beds", "hard": False, "kept_above_band": False}
    row |= {"excess": 0.0, "shortfall": 0.0, "met": True}
    return row | values


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    """Lu's verified plan, solved once for the module."""
    return solve_plan(prepare(LU_SCENARIO), on_violation=ViolationPolicy.RAISE).plan


def test_missed_soft_rules_and_kept_stock_are_listed_with_their_gap_and_source(plan: PlanResult) -> None:
    table = pd.DataFrame(
        [
            _row(
                rule_id="nurses_per_bed",
                facility_id="F1",
                facility_name="甲医院",
                resource="nurses",
                required_min=40.0,
                achieved=31.0,
                shortfall=9.0,
                met=False,
                source="1994 standard",
            ),
            _row(
                rule_id="chc_beds",
                kind="beds_band",
                facility_id="F2",
                facility_name="乙中心",
                resource="beds",
                required_max=50.0,
                allowed_max=81.0,
                achieved=81.0,
                kept_above_band=True,
                source="2006 standard",
            ),
        ],
        columns=list(COLUMNS),
    )
    text = "\n".join(facility_rules_section(replace(plan, facility_rules=table)))
    assert "| 甲医院 | F1 | nurses_per_bed | nurses | ≥ 40 | 31 | −9 | 1994 standard |" in text
    assert "| 乙中心 | F2 | chc_beds | beds | 50 | 81 |" in text
    assert "1 facility rules are missed" in text


def test_changes_from_the_stock_are_counted_per_facility(plan: PlanResult) -> None:
    changes = stock_changes(plan, ["beds"])
    allocation = plan.allocation.set_index("facility_id")
    for row in changes.itertuples(index=False):
        assert row.change == allocation.at[row.facility_id, "beds"] - allocation.at[row.facility_id, "existing_beds"]
        assert row.change != 0
    moved = (allocation["beds"] != allocation["existing_beds"]).sum()
    assert len(changes) == moved
