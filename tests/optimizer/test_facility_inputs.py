"""Facility identity inputs: the national standards file, the base-year stock table and their errors.

Bad input must name the file, the field and the fix; an unconfirmed standard must never bind a plan.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from optimizer.errors import DataError, ScenarioError
from optimizer.inputs.facility_stock import STOCK_COLUMNS, read_facility_stock
from optimizer.inputs.grades import applied_standards, facility_grades
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.pipeline import prepare
from tests.support import LU_SCENARIO, lu_variant


def test_standards_load_with_a_source_for_every_value_and_unconfirmed_values_never_hard() -> None:
    standards = load_scenario(LU_SCENARIO).facility_standards
    assert standards is not None and standards.standards
    for rule in standards.standards:
        assert rule.source.document and (rule.source.confirmed or rule.source.basis), rule.id
        if not rule.source.confirmed:
            assert not standards.is_hard(rule), rule.id
    confirmed_band = next(r for r in standards.standards if r.id == "general_tier3_beds")
    assert confirmed_band.source.confirmed and standards.is_hard(confirmed_band)
    assert "mch_tier2_beds" not in {r.id for r in standards.applicable()}


def test_a_plan_named_grade_replaces_the_level_default() -> None:
    prepared = prepare(LU_SCENARIO)
    grades = facility_grades(prepared.scenario, prepared.data.facilities)
    by_name = dict(zip(prepared.data.facilities["name"], prepared.data.facilities["facility_id"], strict=True))
    assert grades[by_name["泸县人民医院"]] == "general_tier3"  # 创建成三级甲等医院 (003 L581)
    assert grades[by_name["泸县中医医院"]] == "tcm_tier3"
    assert grades[by_name["泸县福集镇卫生院"]] == "thc"  # the level's default
    applied = {(a.rule.id, a.facility) for a in applied_standards(prepared.scenario, prepared.data.facilities)}
    assert ("general_tier3_beds", by_name["泸县人民医院"]) in applied
    assert ("general_tier2_beds", by_name["泸县人民医院"]) not in applied


def test_unknown_grade_is_a_scenario_error(tmp_path: Path) -> None:
    path = lu_variant(tmp_path, ('grade = "mch_tier2"', 'grade = "mch_tier9"'))
    with pytest.raises(ScenarioError, match="unknown grade 'mch_tier9'"):
        load_scenario(path)


def _stock_file(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "facility_stock.csv"
    pd.DataFrame(rows, columns=list(STOCK_COLUMNS)).to_csv(path, index=False)
    return path


def _row(facility: str = "F1", resource: str = "beds", value: object = 10, estimated: object = "true"):
    return {
        "facility_id": facility,
        "resource": resource,
        "base_year": 2020,
        "value": value,
        "estimated": estimated,
        "method": "test",
        "source": "test",
    }


@pytest.mark.parametrize(
    ("rows", "field", "fix"),
    [
        ([_row(value=-3)], "value, line 2 (F1, beds)", "whole number"),
        ([_row(value=2.5)], "value, line 2 (F1, beds)", "whole number"),
        ([_row(estimated="yes")], "estimated, line 2 (F1, beds)", "true or false"),
        ([_row(), _row()], "facility_id, line 3 (F1, beds)", "twice"),
        ([_row(facility="F9")], "facility_id, line 2 (F9, beds)", "no such facility"),
    ],
)
def test_bad_stock_rows_name_the_file_field_and_fix(tmp_path: Path, rows, field: str, fix: str) -> None:
    path = _stock_file(tmp_path, rows)
    with pytest.raises(DataError) as caught:
        read_facility_stock(path, ["F1", "F2"], ["F1", "F2"], ["beds"])
    problem = caught.value.problems[0]
    assert problem.path == path and problem.field == field and fix in problem.message


def test_stock_of_other_areas_and_resources_is_skipped(tmp_path: Path) -> None:
    path = _stock_file(tmp_path, [_row(), _row(facility="F2", value=7), _row(resource="nurses", value=4)])
    stock = read_facility_stock(path, ["F1", "F2"], ["F1"], ["beds"])
    assert stock.of("beds") == {"F1": 10} and not stock.known("nurses") and stock.base_year == 2020


def test_missing_stock_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "facility_stock.csv"
    path.write_text("facility_id,resource,value\nF1,beds,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="base_year"):
        read_facility_stock(path, ["F1"], ["F1"], ["beds"])


def test_a_stated_size_at_a_facility_without_the_resource_is_refused(tmp_path: Path) -> None:
    size = """
[[facility_sizes]]
id = "thc_pediatric"
facility_id = "510521100-TH1"
resource = "pediatric_beds"
value = 10
source = { basis = "crafted for a test" }
"""
    with pytest.raises(DataError, match="facility_sizes.thc_pediatric.*eligible_levels"):
        prepare(lu_variant(tmp_path, append=size))
