"""The summary section of the deliverables: what a bureau reads first.

Its first line names the plan and the outcome in words; a plan not proven optimal says so there, with
its gap. Then how many targets and rules are met, every miss in the units a planner counts
(缺执业（助理）医师84人; a gap under one unit is 基本达标, from targets.csv's `met`), what the plan
costs against the budget, 满足规划目标的最低投资 and what the rest of the budget buys or leaves, the
totals, the travel-time basis, and a small table of key figures.
"""

from __future__ import annotations

from models.outcome import SolveOutcome
from optimizer.outputs.labels import (
    Lang,
    column_label,
    format_count,
    format_money,
    format_share,
    label,
    resource_label,
    unit_label,
)
from optimizer.outputs.report_content import Cell, Column, Money, ReportInputs, Section, Table
from optimizer.outputs.report_tables import gap_phrase, resource_order

SUMMARY_MISSES = 12
"""Misses listed in the summary; the targets table lists every one."""


def outcome_line(inputs: ReportInputs, lang: Lang) -> str:
    """The summary's first line: the plan, its outcome in words and the optimality gap."""
    solve, info = inputs.result.solve, inputs.scenario.scenario
    outcome = label(f"outcome_{solve.outcome.value}", lang)
    gap = "—" if solve.gap is None else format_share(solve.gap, 2)
    if solve.outcome is not SolveOutcome.OPTIMAL:
        if lang == "zh":
            return f"注意：本方案未证明最优（{outcome}，最优性差距{gap}）。{info.name_zh}，{info.target_year}年。"
        return f"Caution: this plan is NOT proven optimal ({outcome}, gap {gap}). {info.name_zh}, {info.target_year}."
    if lang == "zh":
        return f"{info.name_zh}（{info.target_year}年）：{outcome}（最优性差距{gap}）。"
    return f"{info.name_zh} ({info.target_year}): {outcome} (optimality gap {gap})."


def summary_section(inputs: ReportInputs, lang: Lang) -> Section:
    """Outcome, targets met, misses in units, cost and budget, totals, the travel-time basis."""
    result, scenario = inputs.result, inputs.scenario
    targets = result.targets
    met = targets["met"].astype(bool)
    nearly = int((met & (targets["gap_units"] > 0)).sum())
    missed = targets[~met]
    if lang == "zh":
        verdict = f"{len(targets)}项规划指标与约束中{int(met.sum())}项达标" + (
            "，全部达标。" if missed.empty else f"，{len(missed)}项未达标："
        )
        if nearly:
            verdict += f"（其中{nearly}项差距不足一个单位，计为基本达标。）"
    else:
        verdict = f"{int(met.sum())} of {len(targets)} plan targets and rules are met" + (
            "." if missed.empty else f"; {len(missed)} missed:"
        )
        if nearly:
            verdict += f" ({nearly} within less than one unit count as met.)"
    bullets = [f"{row['indicator']}：{gap_phrase(row, lang)}" for row in missed.to_dict("records")]
    if len(bullets) > SUMMARY_MISSES:
        more = len(bullets) - SUMMARY_MISSES
        bullets = [*bullets[:SUMMARY_MISSES], f"……另有{more}项，见规划指标表" if lang == "zh" else f"… {more} more"]
    paragraphs = [outcome_line(inputs, lang), verdict, _cost_line(inputs, lang)]
    least = _least_cost_line(inputs, lang)
    if least:
        paragraphs.append(least)
    paragraphs.append(_totals_line(inputs, lang))
    if result.travel_source != "road_network":
        travel = scenario.travel
        paragraphs.append(
            f"出行时间为估算：无道路数据，按直线距离×{travel.detour_factor:g}、农村{travel.rural_speed_kph:g}公里/小时、"
            f"城市{travel.urban_speed_kph:g}公里/小时计算；服务半径为直线距离。"
            if lang == "zh"
            else f"Travel times are estimated: no road network, straight line × {travel.detour_factor:g} at "
            f"{travel.rural_speed_kph:g} km/h rural and {travel.urban_speed_kph:g} km/h urban; radii are straight-line."
        )
    return Section(
        "summary",
        label("section_summary", lang),
        tuple(paragraphs),
        tuple(bullets),
        tables=(key_figures(inputs, lang),),
    )


def key_figures(inputs: ReportInputs, lang: Lang) -> Table:
    """The summary's table: outcome, targets met, money, the main totals, the 15-minute circle's share."""
    result = inputs.result
    met = int(result.targets["met"].astype(bool).sum())
    rows: list[tuple[Cell, ...]] = [
        (label("outcome", lang), label(f"outcome_{result.solve.outcome.value}", lang), ""),
        (label("targets_met_count", lang), f"{met} / {len(result.targets)}", ""),
        (label("total_cost", lang), Money(result.total_cost_cny), ""),
        (label("budget", lang), Money(result.budget_cny), ""),
    ]
    least: float | None = getattr(result, "cost_to_meet_targets_cny", None)
    if least is not None:
        rows.append((label("cost_to_meet_targets", lang), Money(least), ""))
    rows.append((label("budget_left", lang), Money(result.budget_cny - result.total_cost_cny), ""))
    allocation = result.allocation
    for resource in sorted(inputs.scenario.resources, key=resource_order)[:3]:
        unit = inputs.scenario.resources[resource].unit
        name = resource_label(resource, lang, inputs.scenario_labels)
        rows.append((name, int(allocation[resource].sum()), unit_label(unit, lang)))
    rows.append((label("ambulances_count", lang), int(allocation["ambulances"].sum()), unit_label("vehicles", lang)))
    rows.append(
        (label("subcentres_count", lang), int(allocation["is_subcentre"].sum()), unit_label("sub-centres", lang))
    )
    coverage = inputs.coverage
    if coverage is not None:
        circle = coverage[(coverage["standard"] == "medical_circle_15min") & coverage["skipped"].isna()]
        for row in circle.to_dict("records"):
            name = row["label_zh" if lang == "zh" else "label_en"]
            rows.append((f"{name} · {label('chart_share_axis', lang)}", format_share(float(row["share_within"])), ""))
    columns = (
        Column("item", label("key_figure", lang)),
        Column("value", label("key_value", lang), "integer"),
        Column("unit", column_label("unit", lang)),
    )
    return Table("key_figures", label("sheet_key_figures", lang), columns, tuple(rows))


def _cost_line(inputs: ReportInputs, lang: Lang) -> str:
    result = inputs.result
    total, budget = result.total_cost_cny, result.budget_cny
    if lang == "zh":
        return (
            f"新增投资{format_money(total, lang)}，投资预算{format_money(budget, lang)}，"
            f"预算结余{format_money(budget - total, lang)}。"
        )
    return (
        f"Investment {format_money(total, lang)} of a {format_money(budget, lang)} budget; "
        f"{format_money(budget - total, lang)} left."
    )


def _least_cost_line(inputs: ReportInputs, lang: Lang) -> str:
    """满足规划目标的最低投资 and what the rest of the budget buys or leaves ('' before it was computed)."""
    result = inputs.result
    least: float | None = getattr(result, "cost_to_meet_targets_cny", None)
    spend: str = getattr(result, "spend", "targets_only")
    if least is None:
        return ""
    rest, unspent = result.budget_cny - least, result.budget_cny - result.total_cost_cny
    buys = result.total_cost_cny - least
    if lang == "zh":
        line = f"{label('cost_to_meet_targets', lang)}：{format_money(least, lang)}。"
        if spend == "improve_access":
            return (
                line + f"其余预算中{format_money(buys, lang)}用于缩短居民就医时间，结余{format_money(unspent, lang)}。"
            )
        return line + f"其余{format_money(rest, lang)}未安排（按规则“只满足目标”，spend = targets_only）。"
    line = f"{label('cost_to_meet_targets', lang)}: {format_money(least, lang)}. "
    if spend == "improve_access":
        return (
            line + f"Of the rest, {format_money(buys, lang)} buys shorter travel; {format_money(unspent, lang)} left."
        )
    return line + f"The other {format_money(rest, lang)} is left unspent (spend = targets_only)."


def _totals_line(inputs: ReportInputs, lang: Lang) -> str:
    allocation, scenario = inputs.result.allocation, inputs.scenario
    counts = [
        (resource_label(r, lang, inputs.scenario_labels), int(allocation[r].sum()), spec.unit)
        for r, spec in sorted(scenario.resources.items(), key=lambda item: resource_order(item[0]))
    ]
    counts.append((label("ambulances_count", lang), int(allocation["ambulances"].sum()), "vehicles"))
    counts.append((label("subcentres_count", lang), int(allocation["is_subcentre"].sum()), "sub-centres"))
    if lang == "zh":
        return "配置总量：" + "、".join(f"{name}{format_count(n, unit, lang)}" for name, n, unit in counts) + "。"
    return "Totals: " + ", ".join(f"{n:,} {name[0].lower() + name[1:]}" for name, n, _ in counts) + "."
