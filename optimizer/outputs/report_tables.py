"""The tables of the deliverables, one builder per table, from the run's own tables.

Every number comes from a table the run also writes as CSV (targets.csv, allocation.csv, towns.csv,
counties.csv, coverage.csv), so a cell in results.xlsx or report.html can be traced to its CSV row.
Headers and coded values are labelled through `optimizer.outputs.labels`. A target's result word uses
targets.csv's own `met` column (never recomputed here): met with a gap of less than one unit is
基本达标, a miss shows its gap in the units a planner counts (缺执业（助理）医师84人).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import pandas as pd

from optimizer.outputs.labels import (
    COUNTED_UNITS,
    Lang,
    column_label,
    format_count,
    format_money,
    format_number,
    gap_noun,
    label,
    value_label,
)
from optimizer.outputs.report_content import Cell, Column, ColumnKind, Money, ReportInputs, Table, is_missing
from optimizer.solving.rule_rows import KIND_ZH

PRINTED_RESOURCES = ("beds", "physicians", "nurses", "gps", "pharmacists")
"""Resources the printed facility table shows; the workbook has every resource."""
SOURCE_CHARS = 80
"""A longer source (a budget's estimate note) is cut in print; the workbook keeps it whole."""
PRINTED_KINDS = ("target", "budget", "ambulance_fleet", "subcentre_count")
"""Rows of targets.csv the documents print (besides every miss); the workbook has every row."""
Spec = tuple[str, ColumnKind, bool]
"""(column, kind, printed) of a table taken from a CSV table."""


def frame_table(
    key: str, frame: pd.DataFrame, specs: Sequence[Spec], lang: Lang, labels: Mapping[str, str] | None = None
) -> Table:
    """A table of the columns `specs` of `frame` (those present), coded values put into words."""
    present = [spec for spec in specs if spec[0] in frame.columns]
    columns = tuple(Column(name, column_label(name, lang, labels), kind, printed) for name, kind, printed in present)
    rows = []
    for record in frame.to_dict("records"):
        rows.append(tuple(_cell(record[name], kind, lang) for name, kind, _ in present))
    return Table(key, label(f"sheet_{key}", lang), columns, tuple(rows))


def _cell(value: object, kind: ColumnKind, lang: Lang) -> Cell:
    if is_missing(value):
        return None
    if kind == "flag":
        return bool(value)
    if kind == "integer":
        return int(float(str(value)))
    if kind in ("number", "measure", "share", "money"):
        return float(str(value))
    return value_label(str(value), lang)


def gap_phrase(row: Mapping[Hashable, object], lang: Lang) -> str:
    """A target's gap as a planner says it: 缺执业（助理）医师84人, 超出预算1,250万元; empty when met."""
    if bool(row["met"]):
        return ""
    units = float(str(row.get("gap_units", row.get("gap", 0.0))))
    unit = str(row.get("gap_unit") or "")
    direction = {">=": "short", "<=": "over"}.get(str(row["bound"]), "short")
    if unit == "CNY":
        amount = format_money(units, lang)
        return f"超出预算{amount}" if lang == "zh" else f"over budget by {amount}"
    if unit == "towns":
        count = format_number(units, whole=True)
        return f"{count}个乡镇未达标" if lang == "zh" else f"{count} townships miss it"
    noun = gap_noun(unit, lang)
    if lang == "zh":
        return f"{label(direction, lang)}{noun}{format_count(units, unit, lang)}"
    amount = format_number(units, whole=unit in COUNTED_UNITS)
    return f"{label(direction, lang)} {amount} {noun or unit}"


def result_word(row: Mapping[Hashable, object], lang: Lang) -> str:
    """达标 / 基本达标 (met, with a gap of less than one unit) / 未达标, from targets.csv's `met`."""
    if not bool(row["met"]):
        return label("missed", lang)
    gap = row.get("gap_units")
    return label("nearly_met" if not is_missing(gap) and float(str(gap)) > 0 else "met", lang)


def targets_table(inputs: ReportInputs, lang: Lang) -> Table:
    """One row per row of targets.csv: indicator, target, achieved, result, gap in units, nature, source."""
    columns = (
        Column("id", column_label("id", lang), "text", printed=False),
        Column("rule_kind", column_label("rule_kind", lang), "text"),
        Column("indicator", column_label("indicator", lang), "text"),
        Column("bound", column_label("bound", lang), "text"),
        Column("target", column_label("target", lang), "number"),
        Column("achieved", column_label("achieved", lang), "number"),
        Column("unit", column_label("unit", lang), "text", printed=False),
        Column("met", column_label("met", lang), "text"),
        Column("gap_text", column_label("gap", lang), "text"),
        Column("gap_units", column_label("gap_units", lang), "number", printed=False),
        Column("gap_unit", column_label("gap_unit", lang), "text", printed=False),
        Column("nature", label("binding", lang) + "/" + label("hard", lang), "text", printed=False),
        Column("seed_line", column_label("seed_line", lang), "text", cut=SOURCE_CHARS),
        Column("source", column_label("source", lang), "text", printed=False),
        Column("detail", column_label("detail", lang), "text", printed=False),
    )
    rows, printed = [], []
    for index, row in enumerate(inputs.result.targets.to_dict("records")):
        kind = str(row.get("rule_kind") or "target")
        if kind in PRINTED_KINDS or not bool(row["met"]):
            printed.append(index)
        money = str(row.get("gap_unit")) == "CNY"
        rows.append(
            (
                str(row["id"]),
                KIND_ZH.get(kind, kind) if lang == "zh" else kind.replace("_", " "),
                str(row["indicator"]),
                value_label(str(row["bound"]), lang),
                Money(float(row["target"])) if money else float(row["target"]),
                Money(float(row["achieved"])) if money else float(row["achieved"]),
                str(row["unit"]),
                result_word(row, lang),
                gap_phrase(row, lang),
                float(row["gap_units"]),
                str(row["gap_unit"]),
                _nature(row, kind, lang),
                _text(row.get("seed_line")) or _text(row.get("source")),
                _text(row.get("source")),
                _text(row.get("detail")),
            )
        )
    return Table("targets", label("sheet_targets", lang), columns, tuple(rows), tuple(printed))


def rule_kinds_table(inputs: ReportInputs, lang: Lang) -> Table:
    """Per kind of row in targets.csv: how many rows, how many met (the documents print the other kinds so)."""
    targets = inputs.result.targets
    kinds = targets.assign(met=targets["met"].astype(bool)).groupby("rule_kind", sort=False)["met"]
    columns = (
        Column("rule_kind", column_label("rule_kind", lang)),
        Column("rows", column_label("rows", lang), "integer"),
        Column("met", label("met", lang), "integer"),
        Column("missed", label("missed", lang), "integer"),
    )
    rows = tuple(
        (
            KIND_ZH.get(str(kind), str(kind)) if lang == "zh" else str(kind).replace("_", " "),
            int(m.size),
            int(m.sum()),
            int(m.size - m.sum()),
        )
        for kind, m in kinds
    )
    return Table("rule_kinds", label("sheet_rule_kinds", lang), columns, rows)


def _nature(row: Mapping[Hashable, object], kind: str, lang: Lang) -> str:
    if kind == "target":
        return label("binding" if bool(row.get("binding")) else "expected", lang)
    return label("hard" if bool(row.get("hard")) else "soft", lang)


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value)


def facilities_table(inputs: ReportInputs, lang: Lang) -> Table:
    """allocation.csv: each facility's level, township, resources, vehicles, sub-centre flag, base-year stock."""
    allocation = inputs.result.allocation
    towns = dict(zip(inputs.data.townships["code"], inputs.data.townships["name"], strict=True))
    frame = allocation.assign(town_name=allocation["town_code"].map(towns))
    resources = sorted(inputs.scenario.resources, key=resource_order)
    specs: list[Spec] = [
        ("facility_id", "text", False),
        ("name", "text", True),
        ("level", "text", True),
        ("town_name", "text", True),
        *[(r, "integer", r in PRINTED_RESOURCES) for r in resources],
        ("ambulances", "integer", True),
        ("is_subcentre", "flag", True),
        *[(f"existing_{r}", "integer", False) for r in [*resources, "ambulances"]],
        ("location_estimated", "flag", False),
    ]
    return frame_table("facilities", frame, specs, lang, inputs.scenario_labels)


def resource_order(resource: str) -> tuple[int, str]:
    """The printed resources first, in their order; then the others by id."""
    printed = PRINTED_RESOURCES.index(resource) if resource in PRINTED_RESOURCES else len(PRINTED_RESOURCES)
    return (printed, resource)


def _renamed(table: Table, key: str, header: str) -> Table:
    columns = tuple(Column(c.key, header, c.kind, c.printed) if c.key == key else c for c in table.columns)
    return Table(table.key, table.sheet, columns, table.rows)


def counties_table(inputs: ReportInputs, lang: Lang) -> Table:
    """counties.csv: residents, each resource in total and per 1,000, vehicles, sub-centres, coverage share."""
    resources = sorted(inputs.scenario.resources, key=resource_order)
    specs: list[Spec] = [
        ("county_code", "text", False),
        ("county_name", "text", True),
        ("population", "integer", True),
        *[s for r in resources for s in ((r, "integer", r == "beds"), (f"{r}_per_1000", "number", r == "beds"))],
        ("ambulances", "integer", True),
        ("subcentres", "integer", True),
        ("ambulance_covered_share", "share", True),
    ]
    return frame_table("counties", inputs.counties, specs, lang, inputs.scenario_labels)


def townships_table(inputs: ReportInputs, lang: Lang) -> Table:
    """towns.csv: residents, travel to the nearest facility, sub-centre and ambulance base, coverage flags."""
    towns = inputs.result.towns
    flags: list[Spec] = [(c, "flag", True) for c in towns.columns if c.startswith("covered_")]
    specs: list[Spec] = [
        ("code", "text", False),
        ("name", "text", True),
        ("type", "text", False),
        ("settlement_class", "text", True),
        ("population", "integer", True),
        ("population_estimated", "flag", False),
        ("minutes_to_facility", "measure", True),
        ("km_to_facility", "measure", False),
        ("minutes_to_subcentre", "measure", True),
        ("km_to_subcentre", "measure", False),
        ("minutes_to_ambulance", "measure", False),
        ("km_to_ambulance", "measure", True),
        ("ambulances_within_standard", "integer", False),
        *flags,
    ]
    return frame_table("townships", towns, specs, lang, inputs.scenario_labels)


def coverage_table(coverage: pd.DataFrame, lang: Lang) -> Table:
    """coverage.csv: per standard, the population within and beyond it over the demand points."""
    frame = coverage.assign(
        standard_name=coverage["label_zh" if lang == "zh" else "label_en"],
        limit_text=[
            f"≤{format_number(float(limit))}{'公里' if unit == 'km' else '分钟'}"
            if lang == "zh"
            else f"≤ {format_number(float(limit))} {'km' if unit == 'km' else 'min'}"
            for limit, unit in zip(coverage["limit"], coverage["unit"], strict=True)
        ],
    )
    specs: list[Spec] = [
        ("standard", "text", False),
        ("standard_name", "text", True),
        ("limit_text", "text", True),
        ("sites", "text", False),
        ("towns", "text", True),
        ("population_within", "integer", True),
        ("population_beyond", "integer", True),
        ("share_within", "share", True),
        ("beyond", "text", False),
        ("skipped", "text", False),
        ("basis", "text", False),
        ("source", "text", False),
    ]
    table = frame_table("coverage", frame, specs, lang)
    table = _renamed(table, "standard_name", column_label("standard", lang))
    return _renamed(table, "limit_text", column_label("limit", lang))


def ambulances_table(inputs: ReportInputs, lang: Lang) -> Table:
    """The bases holding vehicles: facility, township, vehicles planned and in the base year."""
    allocation = inputs.result.allocation
    bases = allocation[allocation["ambulances"] > 0]
    towns = dict(zip(inputs.data.townships["code"], inputs.data.townships["name"], strict=True))
    frame = bases.assign(town_name=bases["town_code"].map(towns))
    specs: list[Spec] = [
        ("facility_id", "text", False),
        ("name", "text", True),
        ("town_name", "text", True),
        ("ambulances", "integer", True),
        ("existing_ambulances", "integer", True),
    ]
    return frame_table("ambulances", frame, specs, lang, inputs.scenario_labels)


def subcentres_table(inputs: ReportInputs, lang: Lang) -> Table:
    """The chosen sub-centres: facility, township, beds and staff, named by the plan or free choice."""
    allocation = inputs.result.allocation
    chosen = allocation[allocation["is_subcentre"].astype(bool)]
    settings = inputs.scenario.subcentres
    named = set(settings.named_facility_ids) if settings else set()
    free = set(inputs.result.free_choice_subcentres or ())
    towns = dict(zip(inputs.data.townships["code"], inputs.data.townships["name"], strict=True))
    frame = chosen.assign(
        town_name=chosen["town_code"].map(towns),
        named=chosen["facility_id"].isin(named),
        free_choice=chosen["facility_id"].isin(free),
    )
    specs: list[Spec] = [
        ("facility_id", "text", False),
        ("name", "text", True),
        ("town_name", "text", True),
        *[(r, "integer", True) for r in ("beds", "physicians", "nurses") if r in inputs.scenario.resources],
        ("named", "flag", True),
        ("free_choice", "flag", True),
    ]
    table = frame_table("subcentres", frame, specs, lang, inputs.scenario_labels)
    table = _renamed(table, "named", label("plan_named", lang))
    return _renamed(table, "free_choice", label("free_choice", lang))


def estimates_table(rows: Sequence[tuple[str, str]], lang: Lang) -> Table:
    """What is estimated and how (report_sections gathers the rows)."""
    columns = (Column("what", column_label("what", lang)), Column("method", column_label("method", lang)))
    return Table("estimates", label("sheet_estimates", lang), columns, tuple(tuple(r) for r in rows))
