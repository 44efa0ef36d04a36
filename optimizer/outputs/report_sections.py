"""Build the deliverables' `ReportContent` from a finished run: the sections, in the order a bureau reads.

Summary first: the plan and its outcome in words (a plan not proven optimal says so in the first line,
with its gap), what it costs, the least investment that meets the plan targets and what the rest of
the budget buys or leaves, and every miss in units (缺执业（助理）医师84人). Then targets (with a chart
of achieved/target), facilities and county units (beds per 1,000), townships, coverage by standard
(coverage.csv: shares of the demand points' population), ambulances, sub-centres, estimated values
and the method. Nothing here writes a file.
"""

from __future__ import annotations

import pandas as pd

from optimizer.instance.ambulance_rules import area_fleet_required, fleet_required
from optimizer.outputs.labels import (
    ESTIMATE_LABELS,
    Lang,
    format_count,
    format_share,
    label,
)
from optimizer.outputs.report_content import (
    Chart,
    ChartBar,
    ReportContent,
    ReportInputs,
    Section,
)
from optimizer.outputs.report_markdown import estimated_inputs
from optimizer.outputs.report_summary import summary_section
from optimizer.outputs.report_tables import (
    ambulances_table,
    counties_table,
    coverage_table,
    estimates_table,
    facilities_table,
    rule_kinds_table,
    subcentres_table,
    targets_table,
    townships_table,
)

CHART_LABEL_CHARS = 18
"""A longer indicator name is cut on a chart axis (the table keeps it whole)."""


def build_report(inputs: ReportInputs, lang: Lang = "zh") -> ReportContent:
    """Every section of the deliverables, in `lang`."""
    info, area = inputs.scenario.scenario, inputs.scenario.area
    sections = [
        summary_section(inputs, lang),
        targets_section(inputs, lang),
        facilities_section(inputs, lang),
        townships_section(inputs, lang),
        coverage_section(inputs, lang),
        ambulances_section(inputs, lang),
        subcentres_section(inputs, lang),
        estimates_section(inputs, lang),
        method_section(inputs, lang),
    ]
    subtitle = f"{info.name_zh} · {area.name_zh} · {info.base_year}—{info.target_year}"
    return ReportContent(lang, label("report_title", lang), subtitle, tuple(s for s in sections if s is not None))


def targets_section(inputs: ReportInputs, lang: Lang) -> Section:
    """Every row of targets.csv, with a chart of achieved/target for the plan's own targets."""
    targets = inputs.result.targets
    plan_targets = targets[(targets["rule_kind"] == "target") & (targets["target"] != 0)]
    bars = tuple(
        ChartBar(
            _short(str(row["indicator"])) + ("（≤）" if row["bound"] == "<=" else ""),
            float(row["achieved"]) / float(row["target"]),
            bool(row["met"]),
        )
        for row in plan_targets.to_dict("records")
    )
    chart = Chart(
        "targets",
        label("chart_targets", lang),
        label("chart_ratio_axis", lang),
        bars,
        reference=1.0,
        reference_label=label("chart_target_line", lang),
    )
    return Section(
        "targets",
        label("section_targets", lang),
        (label("method_met_rule", lang), label("printed_targets_note", lang)),
        charts=(chart,) if bars else (),
        tables=(targets_table(inputs, lang), rule_kinds_table(inputs, lang)),
    )


def _short(text: str) -> str:
    return text if len(text) <= CHART_LABEL_CHARS else text[: CHART_LABEL_CHARS - 1] + "…"


def facilities_section(inputs: ReportInputs, lang: Lang) -> Section:
    """County units (with beds per 1,000) and every facility's allocation."""
    counties = inputs.counties
    bars = tuple(
        ChartBar(str(row["county_name"]), float(row["beds_per_1000"]))
        for row in counties.to_dict("records")
        if "beds_per_1000" in row and not pd.isna(row["beds_per_1000"])
    )
    chart = Chart("beds_per_1000", label("chart_beds_per_1000", lang), label("chart_beds_per_1000", lang), bars)
    return Section(
        "facilities",
        label("section_facilities", lang),
        (label("counties_note", lang),),
        charts=(chart,) if bars else (),
        tables=(counties_table(inputs, lang), facilities_table(inputs, lang)),
    )


def townships_section(inputs: ReportInputs, lang: Lang) -> Section:
    """Per township: residents, travel to care, coverage flags at the seat."""
    towns = inputs.result.towns
    worst = towns.sort_values("minutes_to_facility").iloc[-1]
    minutes = f"{float(worst['minutes_to_facility']):.1f}"
    line = (
        f"{len(towns)}个乡镇（街道），常住人口{format_count(int(towns['population'].sum()), 'residents', lang)}；"
        f"居民到最近医疗机构用时最长的是{worst['name']}，平均{minutes}分钟（按需求点人口加权）。"
        if lang == "zh"
        else f"{len(towns)} townships, {int(towns['population'].sum()):,} residents; farthest from care: "
        f"{worst['name']}, {minutes} min on average over its demand points."
    )
    return Section("townships", label("section_townships", lang), (line,), tables=(townships_table(inputs, lang),))


def coverage_section(inputs: ReportInputs, lang: Lang) -> Section:
    """Coverage by standard from coverage.csv (population shares over the demand points)."""
    coverage = inputs.coverage
    if coverage is None:
        return Section("coverage", label("section_coverage", lang), (label("coverage_missing", lang),))
    name = "label_zh" if lang == "zh" else "label_en"
    evaluated = coverage[coverage["skipped"].isna()]
    bars = tuple(
        ChartBar(str(row[name]), float(row["share_within"]), float(row["share_within"]) >= 1.0)
        for row in evaluated.to_dict("records")
    )
    chart = Chart(
        "coverage", label("chart_coverage", lang), label("chart_share_axis", lang), bars, reference=1.0, percent=True
    )
    colon = "：" if lang == "zh" else ": "
    bullets = [
        f"{row[name]} {label('coverage_beyond', lang)}{colon}{row['beyond']}"
        for row in evaluated.to_dict("records")
        if isinstance(row["beyond"], str) and row["beyond"]
    ]
    bullets += [
        f"{row[name]}{colon}{label('skipped', lang)} ({row['skipped']})"
        for row in coverage.to_dict("records")
        if isinstance(row["skipped"], str)
    ]
    return Section(
        "coverage",
        label("section_coverage", lang),
        (label("method_coverage", lang),),
        tuple(bullets),
        charts=(chart,) if bars else (),
        tables=(coverage_table(coverage, lang),),
    )


def ambulances_section(inputs: ReportInputs, lang: Lang) -> Section | None:
    """The fleet the standard requires beside the planned one, and the bases holding vehicles."""
    settings = inputs.scenario.ambulances
    if settings is None:
        return None
    allocation = inputs.result.allocation
    required = area_fleet_required(settings, inputs.data)
    other = fleet_required(settings, inputs.data.total_population, settings.alternative_base_multiplier)
    fleet, bases = int(allocation["ambulances"].sum()), int((allocation["ambulances"] > 0).sum())
    if lang == "zh":
        line = (
            f"按配置标准（每{settings.per_population:,}人1辆）需救护车{required}辆（另一种口径需{other}辆）；"
            f"规划救护车{fleet}辆，分布于{bases}个急救站点。急救服务半径：城市≤{settings.urban_radius_km:g}公里，"
            f"农村≤{settings.rural_radius_km:g}公里。"
        )
    else:
        line = (
            f"The standard (1 vehicle per {settings.per_population:,} residents) requires {required} vehicles "
            f"(the other reading {other}); planned: {fleet} at {bases} bases. Radius: urban ≤ "
            f"{settings.urban_radius_km:g} km, rural ≤ {settings.rural_radius_km:g} km."
        )
    return Section(
        "ambulances",
        label("section_ambulances", lang),
        (line, *_shares(inputs, "ambulance_base", lang)),
        tables=(ambulances_table(inputs, lang),),
    )


def _shares(inputs: ReportInputs, sites: str, lang: Lang) -> list[str]:
    """One line per coverage standard of `sites`: its population share (coverage.csv)."""
    if inputs.coverage is None:
        return []
    rows = inputs.coverage[(inputs.coverage["sites"] == sites) & inputs.coverage["skipped"].isna()]
    name = "label_zh" if lang == "zh" else "label_en"
    colon = "：" if lang == "zh" else ": "
    return [f"{row[name]}{colon}{format_share(float(row['share_within']))}" for row in rows.to_dict("records")]


def subcentres_section(inputs: ReportInputs, lang: Lang) -> Section | None:
    """The chosen sub-centres, the plan's named ones, the free choice, the radius coverage."""
    settings = inputs.scenario.subcentres
    if settings is None:
        return None
    chosen = int(inputs.result.allocation["is_subcentre"].sum())
    if lang == "zh":
        line = f"选定次中心{chosen}个（规划要求{settings.count}个），服务半径{settings.radius_km:g}公里。"
    else:
        line = f"{chosen} sub-centres chosen (the plan asks for {settings.count}); radius {settings.radius_km:g} km."
    if settings.named_facility_ids:
        named = label("subcentres_named_kept" if settings.honour_named else "subcentres_named_free", lang)
        line += f"{named}。" if lang == "zh" else f" {named.capitalize()}."
    return Section(
        "subcentres",
        label("section_subcentres", lang),
        (line, *_shares(inputs, "subcentre", lang)),
        tables=(subcentres_table(inputs, lang),),
    )


def estimates_section(inputs: ReportInputs, lang: Lang) -> Section:
    """What is estimated and how: the data's estimated fields, scenario estimates, demand points, travel."""
    rows: list[tuple[str, str]] = []
    for note in inputs.data.estimated_fields():
        what, _, how = note.partition(": ")
        named = ESTIMATE_LABELS.get(what)
        rows.append(((named[0] if lang == "zh" else named[1]) if named else what, how or note))
    rows += [(path, basis) for path, basis in estimated_inputs(inputs.scenario)]
    result = inputs.result
    if result.demand_points:
        rows.append((label("estimated_demand", lang), f"{result.demand_points} · {result.demand_method}"))
    if result.travel_source != "road_network":
        rows.append((label("estimated_travel", lang), label("travel_euclidean_fallback", lang)))
    line = (
        f"共{len(rows)}项估算值；各项估算方法见下表与 results.xlsx。"
        if lang == "zh"
        else f"{len(rows)} estimated values; the method of each below and in results.xlsx."
    )
    return Section("estimates", label("section_estimates", lang), (line,), tables=(estimates_table(rows, lang),))


def method_section(inputs: ReportInputs, lang: Lang) -> Section:
    """How the plan was computed and checked."""
    solve = inputs.result.solve
    gap = "—" if solve.gap is None else format_share(solve.gap, 3)
    tolerance = format_share(inputs.scenario.solver.mip_rel_gap, 2)
    solver = (
        f"{label('method_solver', lang)}：{solve.solver} {solve.solver_version}，最优性差距{gap}（容差{tolerance}）；"
        "每项规则均由独立核验程序复核。"
        if lang == "zh"
        else f"{label('method_solver', lang)}: {solve.solver} {solve.solver_version}, gap {gap} (tolerance "
        f"{tolerance}); every rule re-checked independently of the model."
    )
    travel = (
        label(f"travel_{inputs.result.travel_source}", lang)
        if inputs.result.travel_source in ("road_network", "euclidean_fallback")
        else inputs.result.travel_source
    )
    paragraphs = (
        label("method_model", lang),
        solver,
        label("method_met_rule", lang),
        label("method_coverage", lang),
        f"{label('travel_source', lang)}：{travel}" if lang == "zh" else f"{label('travel_source', lang)}: {travel}",
    )
    return Section("method", label("section_method", lang), paragraphs)
