"""The content of the deliverables as typed data: sections, tables with typed columns, chart series.

report.html, report.docx and results.xlsx are three renderings of one `ReportContent`
(`report_sections.build_report`), so a number a planner reads is the same in all three. Cells keep
their raw values (counts, shares, CNY); each renderer formats them by the column's `kind`: the
documents through `cell_text` (labels.py formats), the workbook through Excel number formats. A money
amount in a column of other numbers (the budget row of the targets) is a `Money` cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd

from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.outputs.labels import Lang, format_money, format_number, format_share, label
from optimizer.solving.results import PlanResult

ColumnKind = Literal["text", "integer", "number", "measure", "share", "money", "flag"]
"""How a column is shown: `measure` is minutes or km (one decimal), `number` a ratio (up to 4 digits)."""


@dataclass(frozen=True)
class Money:
    """An amount in CNY inside a column of other numbers (shown as 万元/亿元, or CNY m/bn)."""

    cny: float


Cell = str | int | float | bool | Money | None


@dataclass(frozen=True)
class Column:
    """One column: the CSV name it comes from (or a derived key), its header in the language, its kind.

    `printed` columns appear in report.html and report.docx; the workbook has every column.
    """

    key: str
    header: str
    kind: ColumnKind = "text"
    printed: bool = True
    cut: int | None = None
    """The documents cut a longer text here with … (the workbook keeps it whole)."""


@dataclass(frozen=True)
class Table:
    """A table of the deliverables; `sheet` is its worksheet name in results.xlsx."""

    key: str
    sheet: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    printed_rows: tuple[int, ...] | None = None
    """Rows the documents print (None: all); the workbook has every row."""

    def printed(self) -> Table:
        """The same table with only the columns (and rows) the documents print."""
        keep = [i for i, c in enumerate(self.columns) if c.printed]
        rows = self.rows if self.printed_rows is None else tuple(self.rows[i] for i in self.printed_rows)
        return replace(
            self,
            columns=tuple(self.columns[i] for i in keep),
            rows=tuple(tuple(row[i] for i in keep) for row in rows),
            printed_rows=None,
        )

    def column(self, key: str) -> list[Cell]:
        """The cells of column `key`."""
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class ChartBar:
    """One bar: its label, value and whether it meets its standard (drawn in the 'met' colour)."""

    label: str
    value: float
    ok: bool = True


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart (report_charts.py draws it); `reference` is a line such as the target (1.0)."""

    key: str
    title: str
    axis: str
    bars: tuple[ChartBar, ...]
    reference: float | None = None
    reference_label: str = ""
    percent: bool = False


@dataclass(frozen=True)
class Section:
    """A titled section: paragraphs, then bullets, then its charts and tables."""

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class ReportContent:
    """Everything the three deliverables show, in one language."""

    lang: Lang
    title: str
    subtitle: str
    sections: tuple[Section, ...]

    def tables(self) -> list[Table]:
        """Every table, in section order (the workbook's sheets)."""
        return [table for section in self.sections for table in section.tables]

    def charts(self) -> list[Chart]:
        """Every chart, in section order."""
        return [chart for section in self.sections for chart in section.charts]

    def section(self, key: str) -> Section:
        """The section named `key` (KeyError when the run has none)."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)


@dataclass(frozen=True)
class ReportInputs:
    """What `write_outputs` hands the report: the result, scenario, data and the tables written beside it.

    `coverage` is coverage.csv (per standard, over the demand points' population) when the run wrote it.
    """

    result: PlanResult
    scenario: Scenario
    data: Datasets
    counties: pd.DataFrame
    comparison: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    scenario_labels: dict[str, str] = field(default_factory=dict)


def is_missing(value: object) -> bool:
    """True for None, NaN and pandas' NA: an empty cell."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def cell_text(value: Cell, kind: ColumnKind, lang: Lang) -> str:
    """A cell as the documents print it: integers with separators, shares as %, money in 万元/亿元."""
    if value is None or is_missing(value):
        return ""
    if isinstance(value, Money):
        return format_money(value.cny, lang)
    if isinstance(value, bool):
        return label("yes" if value else "no", lang)
    if isinstance(value, str):
        return value
    number = float(value)
    if kind == "share":
        return format_share(number)
    if kind == "money":
        return format_money(number, lang)
    if kind == "measure":
        return f"{number:,.1f}"
    return format_number(number, whole=kind == "integer")


def printed_text(value: Cell, column: Column, lang: Lang) -> str:
    """A cell as the documents print it: `cell_text`, cut at the column's `cut`."""
    text = cell_text(value, column.kind, lang)
    if column.cut is not None and len(text) > column.cut:
        return text[: column.cut - 1] + "…"
    return text


HEADER_CHARS = 8
"""A header counts up to this width (a longer one wraps rather than widen its column)."""
WIDE_CHARS = 36
"""A column wider than this many Latin characters wraps (Chinese characters count two)."""


def column_shares(table: Table, texts: list[list[str]]) -> list[float]:
    """Each column's share of the page width, by its longest printed text (capped), so names get room."""
    weights = []
    for index, column in enumerate(table.columns):
        longest = max([min(display_width(column.header), HEADER_CHARS), *(display_width(row[index]) for row in texts)])
        weights.append(min(longest, WIDE_CHARS) + 2)
    total = sum(weights)
    return [w / total for w in weights]


def display_width(text: str) -> float:
    """Width in Latin characters: a Chinese character is about two."""
    return float(sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))
