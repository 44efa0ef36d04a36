"""results.xlsx: every table of the report as one worksheet, with headers in the report's language.

Sheets (content order): 摘要 (the summary lines), 规划指标 (targets.csv with each target's plan line),
县域, 医疗机构, 乡镇, 覆盖, 急救, 次中心, 估算值. Each sheet has a bold, frozen header row with a filter,
column widths to fit, and number formats by column kind: whole numbers `#,##0`, ratios `0.00##`,
minutes and km `0.0`, shares `0.0%`, money in 万元 (`#,##0.0`, header says 万元; English: CNY m).
Values stay numbers, so a planner can sum and sort them; yes/no flags are the words 是/否.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.outputs.labels import YUAN_PER_WAN, Lang, label
from optimizer.outputs.report_content import Cell, Column, ColumnKind, Money, ReportContent, Table, is_missing

NUMBER_FORMATS: dict[ColumnKind, str] = {
    "integer": "#,##0",
    "number": "0.00##",
    "measure": "0.0",
    "share": "0.0%",
    "money": "#,##0.0",
    "text": "General",
    "flag": "General",
}
MONEY_DIVISOR: dict[Lang, float] = {"zh": YUAN_PER_WAN, "en": 1e6}
"""Money columns are written in 万元 (Chinese) or CNY million (English)."""
MONEY_UNIT: dict[Lang, str] = {"zh": "万元", "en": "CNY m"}
MAX_WIDTH = 60
HEADER_FILL = PatternFill("solid", fgColor="E8F5E9")
TOOL = "county-health-planner"


def render_workbook(content: ReportContent) -> bytes:
    """The workbook's bytes."""
    workbook = Workbook()
    workbook.properties.creator = TOOL
    _summary_sheet(workbook.worksheets[0], content)  # a new workbook has one sheet
    for table in content.tables():
        _table_sheet(workbook.create_sheet(table.sheet), table, content.lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def money_header(column: Column, lang: Lang) -> str:
    """A money column's header with its unit: 投资（万元） / cost (CNY m)."""
    unit = MONEY_UNIT[lang]
    return f"{column.header}（{unit}）" if lang == "zh" else f"{column.header} ({unit})"


def _summary_sheet(sheet: Worksheet, content: ReportContent) -> None:
    sheet.title = label("section_summary", content.lang)
    sheet.append([content.title])
    sheet.append([content.subtitle])
    sheet["A1"].font = Font(bold=True, size=14)
    summary = content.section("summary")
    for line in [*summary.paragraphs, *summary.bullets]:
        sheet.append([line])
    sheet.column_dimensions["A"].width = 120
    for row in sheet.iter_rows(min_row=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _table_sheet(sheet: Worksheet, table: Table, lang: Lang) -> None:
    headers = [money_header(c, lang) if c.kind == "money" else c.header for c in table.columns]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        sheet.append([_value(value, column, lang) for value, column in zip(row, table.columns, strict=True)])
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        number_format = NUMBER_FORMATS[column.kind]
        for row_number, row in enumerate(table.rows, start=2):
            money_cell = isinstance(row[index - 1], Money)
            sheet.cell(row_number, index).number_format = _money_cell_format(lang) if money_cell else number_format
        sheet.column_dimensions[letter].width = _width([headers[index - 1], *table.column(column.key)])
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"


def _value(value: Cell, column: Column, lang: Lang) -> str | int | float | None:
    if value is None or is_missing(value):
        return None
    if isinstance(value, Money):
        return value.cny / MONEY_DIVISOR[lang]
    if isinstance(value, bool):
        return label("yes" if value else "no", lang)
    if column.kind == "money" and isinstance(value, int | float):
        return value / MONEY_DIVISOR[lang]
    return value


def _money_cell_format(lang: Lang) -> str:
    """A money amount in a column of other numbers carries its unit in the cell: 10,750.0万元."""
    return f'#,##0.0"{MONEY_UNIT[lang]}"' if lang == "zh" else f'#,##0.00" {MONEY_UNIT[lang]}"'


def _width(cells: list[object]) -> float:
    """A column width that fits its longest cell (a Chinese character is two columns wide), capped."""
    longest = 0
    for cell in cells:
        text = "" if cell is None else (f"{cell:,.2f}" if isinstance(cell, float) else str(cell))
        longest = max(longest, sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))
    return float(min(MAX_WIDTH, max(8, longest + 2)))
