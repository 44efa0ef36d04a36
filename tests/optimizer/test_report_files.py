"""The deliverables of a Lu County run: report.html, report.docx and results.xlsx, read back.

Lu is prepared and solved once for the module and its outputs written by `write_outputs`, as the
`run` command does. The files are read back with python-docx and openpyxl and compared with the CSVs
of the same run (targets.csv, coverage.csv): Chinese headers, each target's achieved value and met
flag, frozen header rows, money in 万元/亿元, a self-contained page that names every plan target.
The English rendering is checked on the content model of the same plan. The page is printed by
Debian's Chromium through Playwright (as tests/optimizer/test_maps.py drives it): one PDF page per
section at least, and a first page with text on it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import docx
import numpy as np
import openpyxl
import pandas as pd
import pytest
from docx.oxml.ns import qn
from matplotlib import image
from typer.testing import CliRunner

from models.outcome import SolveOutcome
from optimizer.cli.commands import app
from optimizer.outputs.deliverables import DELIVERABLES, coverage_of
from optimizer.outputs.geo_report import GeoInputs
from optimizer.outputs.labels import (
    YUAN_PER_WAN,
    column_label,
    format_count,
    format_money,
    format_number,
    format_share,
    label,
)
from optimizer.outputs.report import county_table, plan_comparison, write_outputs
from optimizer.outputs.report_content import ReportInputs
from optimizer.outputs.report_sections import build_report
from optimizer.outputs.report_tables import gap_phrase, result_word
from optimizer.outputs.stable_zip import FIXED_DATE
from optimizer.pipeline import plan_scenario, prepare
from optimizer.solving.results import PlanResult
from optimizer.solving.rule_rows import COLUMNS
from tests.browser import headless_chromium
from tests.support import LU_SCENARIO, TOL

pytestmark = pytest.mark.slow

A4_VIEWPORT = {"width": 794, "height": 1123}
"""A4 at 96 px per inch: the first printed page."""
TARGET_HEADERS = ("指标", "目标值", "规划值", "是否达标", "规划原文出处")
SHEETS = ("规划指标", "医疗机构", "乡镇", "覆盖", "急救", "次中心", "估算值")


@dataclass(frozen=True)
class Run:
    """The run folder and what write_outputs was handed."""

    out: Path
    inputs: ReportInputs


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    prepared = prepare(LU_SCENARIO)
    result: PlanResult = plan_scenario(prepared)
    out = tmp_path_factory.mktemp("lu_report") / "out"
    out.mkdir()
    geography = GeoInputs(prepared.scenario, prepared.data, prepared.matrix, result.allocation, prepared.road)
    write_outputs(result, geography, LU_SCENARIO, out)
    scenario, data = prepared.scenario, prepared.data
    labels = {r: spec.label_zh for r, spec in scenario.resources.items()}
    inputs = ReportInputs(
        result,
        scenario,
        data,
        county_table(result, scenario, data),
        plan_comparison(result, data),
        coverage_of(out),
        labels,
    )
    return Run(out, inputs)


@pytest.fixture(scope="module")
def targets(run: Run) -> pd.DataFrame:
    return pd.read_csv(run.out / "targets.csv", encoding="utf-8-sig")


def test_run_writes_the_deliverables_and_lists_them(run: Run) -> None:
    import json

    manifest = json.loads((run.out / "manifest.json").read_text(encoding="utf-8"))
    assert set(DELIVERABLES) <= set(manifest["files"])
    assert all((run.out / name).stat().st_size > 10_000 for name in DELIVERABLES)
    assert tuple(pd.read_csv(run.out / "targets.csv", encoding="utf-8-sig").columns) == COLUMNS  # CSV unchanged


@pytest.mark.parametrize("name", ["report.docx", "results.xlsx"])
def test_office_files_carry_no_timestamps(run: Run, name: str) -> None:
    package = zipfile.ZipFile(run.out / name)
    assert {entry.date_time for entry in package.infolist()} == {FIXED_DATE}
    core = package.read("docProps/core.xml")
    assert b"dcterms:created" not in core and b"dcterms:modified" not in core


def test_workbook_targets_match_targets_csv(run: Run, targets: pd.DataFrame) -> None:
    book = openpyxl.load_workbook(run.out / "results.xlsx")
    assert set(SHEETS) <= set(book.sheetnames)
    sheet = book["规划指标"]
    headers = [cell.value for cell in sheet[1]]
    assert set(TARGET_HEADERS) <= set(headers)
    column = {name: headers.index(name) for name in ("编号", "规划值", "是否达标", "规划原文出处")}
    rows = list(sheet.iter_rows(min_row=2, values_only=False))
    assert len(rows) == len(targets)
    for cells, expected in zip(rows, targets.to_dict("records"), strict=True):
        assert cells[column["编号"]].value == expected["id"]
        achieved = cells[column["规划值"]]
        if expected["gap_unit"] == "CNY":  # money in 万元, the unit in the cell's format
            assert achieved.value == pytest.approx(expected["achieved"] / YUAN_PER_WAN, abs=TOL)
            assert "万元" in achieved.number_format
        else:
            assert achieved.value == pytest.approx(expected["achieved"], abs=TOL)
        met_word = cells[column["是否达标"]].value
        assert (met_word != label("missed", "zh")) == bool(expected["met"]), expected["id"]
        line = expected["seed_line"] if isinstance(expected["seed_line"], str) else expected["source"]
        assert cells[column["规划原文出处"]].value == line  # the plan line, else the standard cited


def test_workbook_sheets_have_frozen_headers_and_number_formats(run: Run) -> None:
    book = openpyxl.load_workbook(run.out / "results.xlsx")
    for name in SHEETS:
        assert book[name].freeze_panes == "A2", name
        assert book[name].column_dimensions["A"].width >= 8
    towns = book["乡镇"]
    headers = [cell.value for cell in towns[1]]
    population = headers.index("常住人口")
    assert all(row[population].number_format == "#,##0" for row in towns.iter_rows(min_row=2))
    coverage = book["覆盖"]
    headers = [cell.value for cell in coverage[1]]
    share = headers.index("覆盖人口比例")
    expected = pd.read_csv(run.out / "coverage.csv", encoding="utf-8-sig")["share_within"]
    cells = [row[share] for row in coverage.iter_rows(min_row=2)]
    assert all(cell.number_format == "0.0%" for cell in cells)
    for cell, value in zip(cells, expected, strict=True):  # the demand points' shares, not the seat flags
        assert (cell.value is None) if np.isnan(value) else cell.value == pytest.approx(value, abs=TOL)
    money = book["关键数据"]
    amounts = {row[0].value: row[1] for row in money.iter_rows(min_row=2)}
    invested = amounts[label("total_cost", "zh")]
    assert invested.value == pytest.approx(run.inputs.result.total_cost_cny / YUAN_PER_WAN)
    assert invested.number_format == '#,##0.0"万元"'


def test_docx_has_chinese_headings_tables_charts_and_east_asian_font(run: Run, targets: pd.DataFrame) -> None:
    document = docx.Document(str(run.out / "report.docx"))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    for key in ("section_summary", "section_targets", "section_coverage", "section_estimates", "section_method"):
        assert label(key, "zh") in headings
    fonts = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts is not None and fonts.get(qn("w:eastAsia")) == "宋体"
    assert len(document.inline_shapes) == 3  # targets, beds per 1,000, coverage
    text = "\n".join(p.text for p in document.paragraphs)
    assert format_money(run.inputs.result.total_cost_cny, "zh") in text and "亿元" in text
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:3] == ["类别", "指标", "要求"])
    headers = [c.text for c in table.rows[0].cells]
    assert {"指标", "目标值", "规划值", "是否达标"} <= set(headers)
    printed = {row.cells[1].text: row for row in table.rows[1:]}
    plan_targets = targets[targets["rule_kind"] == "target"]
    for expected in plan_targets.to_dict("records"):
        row = printed[expected["indicator"]]
        assert row.cells[headers.index("规划值")].text == format_number(float(expected["achieved"]))
        assert (row.cells[headers.index("是否达标")].text != "未达标") == bool(expected["met"])


def test_html_is_self_contained_and_names_every_target(run: Run, targets: pd.DataFrame) -> None:
    html = (run.out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, flags=re.IGNORECASE)
    assert "<link" not in html and "<script" not in html
    assert html.count("data:image/png;base64,") == 3
    assert "@page" in html and "break-inside: avoid" in html
    for indicator in targets.loc[targets["rule_kind"] == "target", "indicator"]:
        assert indicator in html
    assert format_money(run.inputs.result.budget_cny, "zh") in html


def test_summary_states_outcome_cost_and_least_cost_first(run: Run) -> None:
    summary = build_report(run.inputs, "zh").section("summary")
    first = summary.paragraphs[0]
    assert run.inputs.scenario.scenario.name_zh in first and "最优" in first
    result = run.inputs.result
    assert result.cost_to_meet_targets_cny is not None
    assert any(
        "满足规划目标的最低投资" in p and format_money(result.cost_to_meet_targets_cny, "zh") in p
        for p in summary.paragraphs
    )


def test_a_plan_not_proven_optimal_says_so_in_its_first_line(run: Run) -> None:
    result = run.inputs.result
    stopped = replace(result, solve=replace(result.solve, outcome=SolveOutcome.FEASIBLE_GAP, gap=0.048))
    first = build_report(replace(run.inputs, result=stopped), "zh").sections[0].paragraphs[0]
    assert first.startswith("注意：本方案未证明最优") and "4.80%" in first
    first_en = build_report(replace(run.inputs, result=stopped), "en").sections[0].paragraphs[0]
    assert first_en.startswith("Caution: this plan is NOT proven optimal") and "4.80%" in first_en


def test_english_content_has_english_headers(run: Run) -> None:
    content = build_report(run.inputs, "en")
    targets = content.section("targets").tables[0]
    headers = [c.header for c in targets.columns]
    assert {"indicator", "target", "achieved", "met"} <= set(headers)
    assert not any(
        re.search(r"[\u4e00-\u9fff]", h) for table in content.tables() for h in (c.header for c in table.columns)
    )
    assert content.sections[0].title == "Summary"
    assert "CNY" in " ".join(content.sections[0].paragraphs) and "亿元" not in " ".join(content.sections[0].paragraphs)


def test_run_rejects_an_unknown_language() -> None:
    outcome = CliRunner().invoke(app, ["run", str(LU_SCENARIO), "--out", "unused", "--lang", "fr"])
    assert outcome.exit_code == 2, outcome.output
    assert "zh" in outcome.output and "en" in outcome.output


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with headless_chromium() as chromium:
        yield chromium


def test_html_prints_one_section_per_page_and_a_first_page_with_text(run: Run, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport=A4_VIEWPORT)  # type: ignore[attr-defined]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto((run.out / "report.html").as_uri())
    page.emulate_media(media="print")
    assert [url for url in requested if not url.startswith(("file:", "data:"))] == []
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    sections = len(build_report(run.inputs, "zh").sections)
    assert pages >= sections  # every section starts on a new page
    shot = tmp_path / "report_page1.png"
    page.screenshot(path=str(shot))
    page.close()
    pixels = image.imread(io.BytesIO(shot.read_bytes()))[..., :3]
    assert pixels.shape[:2] == (A4_VIEWPORT["height"], A4_VIEWPORT["width"])
    ink = (pixels.mean(axis=2) < 0.5).mean()
    assert 0.01 < ink < 0.5, ink  # text on the page, not a blank or a black page


@pytest.mark.parametrize(
    ("row", "zh", "en"),
    [
        (
            {"met": False, "gap_units": 84.0, "gap_unit": "physicians", "bound": ">="},
            "缺执业（助理）医师84人",
            "short of 84 physicians",
        ),
        ({"met": False, "gap_units": 12.0, "gap_unit": "beds", "bound": ">="}, "缺床位12张", "short of 12 beds"),
        (
            {"met": False, "gap_units": 3.0, "gap_unit": "vehicles", "bound": ">="},
            "缺救护车3辆",
            "short of 3 ambulances",
        ),
        (
            {"met": False, "gap_units": 12_500_000.0, "gap_unit": "CNY", "bound": "<="},
            "超出预算1,250万元",
            "over budget by CNY 12.5 m",
        ),
        ({"met": True, "gap_units": 0.4, "gap_unit": "beds", "bound": ">="}, "", ""),
    ],
)
def test_a_gap_is_said_in_the_units_a_planner_counts(row: dict[str, object], zh: str, en: str) -> None:
    assert gap_phrase(row, "zh") == zh
    assert gap_phrase(row, "en") == en


def test_met_under_one_unit_is_basically_met_and_missed_follows_the_table() -> None:
    # the word follows targets.csv's `met`; a met row with a gap (under one unit) is 基本达标
    assert result_word({"met": True, "gap_units": 0.4}, "zh") == "基本达标"
    assert result_word({"met": True, "gap_units": 0.0}, "zh") == "达标"
    assert result_word({"met": False, "gap_units": 0.4}, "zh") == "未达标"
    assert result_word({"met": True, "gap_units": 0.4}, "en") == "met (within one unit)"


def test_money_counts_and_shares_are_formatted_for_planners() -> None:
    assert format_money(1_075_000_000, "zh") == "10.75亿元"
    assert format_money(12_500_000, "zh") == "1,250万元"
    assert format_money(53_415_000, "zh") == "5,342万元"
    assert format_money(-119_840_000, "zh") == "-1.20亿元"
    assert format_money(1_075_000_000, "en") == "CNY 1.075 bn"
    assert format_money(12_500_000, "en") == "CNY 12.5 m"
    assert format_count(84, "physicians", "zh") == "84人"
    assert format_share(0.94859) == "94.9%"
    assert column_label("existing_beds", "zh") == "基期床位"
    assert column_label("beds_per_1000", "en") == "beds per 1,000"
