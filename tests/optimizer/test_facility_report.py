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

RULE_FIELDS = (
    "facility_name", "facility_id", "rule_id", "kind", "resource", "required_min", "required_max", "allowed_max",
    "achieved", "shortfall", "met", "kept_above_band", "source",
)  # fmt: skip
# A missed soft staff rule, and beds kept above their band: two rows of `facility_rules.csv` in RULE_FIELDS order.
MISSED_NURSES = (
    "甲医院", "F1", "nurses_per_bed", "staff_per_bed", "nurses", 40.0, None, None,
    31.0, 9.0, False, False, "1994 standard",
)  # fmt: skip
KEPT_BEDS = (
    "乙中心", "F2", "chc_beds", "beds_band", "beds", None, 50.0, 81.0,
    81.0, 0.0, True, True, "2006 standard",
)  # fmt: skip


def _rules_table(*rows: tuple[object, ...]) -> pd.DataFrame:
    """A `facility_rules.csv` table of `rows` (in RULE_FIELDS order); other columns empty or at their default."""
    defaults: dict[str, object] = dict.fromkeys(COLUMNS) | {"per_resource": "beds", "hard": False, "excess": 0.0}
    return pd.DataFrame([defaults | dict(zip(RULE_FIELDS, row, strict=True)) for row in rows], columns=list(COLUMNS))


@pytest.fixture(scope="module")
def plan() -> PlanResult:
    """Lu's verified plan, solved once for the module."""
    return solve_plan(prepare(LU_SCENARIO), on_violation=ViolationPolicy.RAISE).plan


def test_missed_soft_rules_and_kept_stock_are_listed_with_their_gap_and_source(plan: PlanResult) -> None:
    table = _rules_table(MISSED_NURSES, KEPT_BEDS)
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
