"""The report's facility sections: rules at single facilities met or missed, and changes from the
base-year stock, in the units a planner counts (beds, physicians, nurses, vehicles).

A missed soft rule is shown with its shortfall in headcount or beds and its source (a national
standard's document and article, or a plan line); a hard rule is never missed in a verified plan.
"""

from __future__ import annotations

from typing import cast

import pandas as pd

from optimizer.solving.results import PlanResult

KIND_LABELS = {
    "stock_floor": "保留基期存量",
    "limit": "规划规模限制",
    "subcentre_band": "次中心床位",
    "staff_per_bed": "床均人员",
    "beds_band": "等级床位区间",
    "staff_min": "最低人员配置",
    "category_min": "最低科室床位",
    "category_min_share": "科室床位占比",
    "share_of_resource": "人员构成占比",
    "plan_size": "规划明确规模",
    "named_station": "规划急救站点",
}


def facility_rules_section(result: PlanResult) -> list[str]:
    """'机构规则核对': counts per rule kind, then every missed rule with its gap and source."""
    table = result.facility_rules
    if table is None or table.empty:
        return []
    lines = ["## 机构规则核对 (facility rules)", ""]
    counts = table.groupby("kind").agg(rules=("met", "size"), met=("met", "sum")).reset_index()
    lines += ["| 规则类别 | kind | 条数 | 达到 | 未达到 |", "|---|---|---|---|---|"]
    for row in counts.itertuples(index=False):
        label = KIND_LABELS.get(str(row.kind), str(row.kind))
        # itertuples types a field as any scalar (dates, None, ...); rules and met are counts
        rules, met = cast(int, row.rules), cast(int, row.met)
        lines.append(f"| {label} | {row.kind} | {rules} | {int(met)} | {rules - int(met)} |")
    above = table[table["kept_above_band"]]
    if not above.empty:
        lines += [
            "",
            f"{len(above)} facility row(s) hold more base-year stock than the grade band or size limit allows; the "
            "plan keeps that stock (no facility is forced below it) but adds none there:",
            "",
            "| 机构 | facility_id | rule | 资源 | 上限 | 保留存量 |",
            "|---|---|---|---|---|---|",
        ]
        for r in above.itertuples(index=False):
            where = f"| {r.facility_name} | {r.facility_id} | {r.rule_id} | {r.resource}"
            lines.append(f"{where} | {r.required_max:g} | {r.allowed_max:g} |")
    missed = table[~table["met"]]
    lines.append("")
    if missed.empty:
        lines += ["Every facility rule is met.", ""]
        return lines
    lines += [
        f"{len(missed)} facility rules are missed (soft rules: the shortfall is reported, not hidden):",
        "",
        "| 机构 | facility_id | rule | 资源 | 要求 | 实际 | 缺口 | 来源 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in missed.itertuples(index=False):
        # itertuples types a field as any scalar (dates, None, ...); the bands and gaps are numbers or missing
        required = _band(cast(float | None, row.required_min), cast(float | None, row.required_max))
        gap = f"−{row.shortfall:g}" if cast(float, row.shortfall) > 0 else f"+{row.excess:g}"
        lines.append(
            f"| {row.facility_name} | {row.facility_id} | {row.rule_id} | {row.resource} | {required} | "
            f"{row.achieved:g} | {gap} | {row.source} |"
        )
    return [*lines, ""]


def stock_changes(result: PlanResult, resources: list[str]) -> pd.DataFrame:
    """Per facility and resource with a known base-year stock: base, plan, change (added or reduced)."""
    allocation = result.allocation
    rows = []
    for resource in [*resources, "ambulances"]:
        column = f"existing_{resource}"
        if column not in allocation.columns or allocation[column].isna().all():
            continue
        for row in allocation.itertuples(index=False):
            base = getattr(row, column)
            plan = getattr(row, resource)
            if pd.isna(base) or int(plan) == int(base):
                continue
            rows.append(
                {
                    "facility_id": row.facility_id,
                    "name": row.name,
                    "resource": resource,
                    "base_year": int(base),
                    "plan": int(plan),
                    "change": int(plan) - int(base),
                }
            )
    return pd.DataFrame(rows, columns=["facility_id", "name", "resource", "base_year", "plan", "change"])


def stock_changes_section(result: PlanResult, resources: list[str]) -> list[str]:
    """'与基期存量相比的变化': additions and reductions per resource, then the largest changes."""
    changes = stock_changes(result, resources)
    if changes.empty:
        return []
    lines = ["## 与基期存量相比的变化 (changes from the base-year stock)", ""]
    lines += ["| 资源 | 增加 | 减少 | 变动机构数 |", "|---|---|---|---|"]
    for resource, group in changes.groupby("resource", sort=True):
        added = int(group.loc[group["change"] > 0, "change"].sum())
        reduced = int(-group.loc[group["change"] < 0, "change"].sum())
        lines.append(f"| {resource} | {added} | {reduced} | {len(group)} |")
    lines.append("")
    return lines


def _band(low: float | None, high: float | None) -> str:
    if low is not None and not pd.isna(low) and high is not None and not pd.isna(high):
        return f"{low:g}–{high:g}"
    if low is not None and not pd.isna(low):
        return f"≥ {low:g}"
    return f"≤ {high:g}" if high is not None and not pd.isna(high) else ""
