"""Rule rows of targets.csv for the rules at facilities, the stock floors and the budget.

Each rule at facilities (a size band, a grade standard, a staff-per-bed norm, a stated size, the stock a
facility keeps, a named 120 station, a sub-centre's bed band, a bed category) becomes one row: how many
of the facilities it covers meet it (`target` = facilities covered, `achieved` = facilities meeting it,
`gap` = facilities missing it), and `gap_units` the units short or over summed over them, in the
resource's unit (beds, physicians …). Per-facility amounts come from `facility_rules.csv`
(`optimizer.analysis.facility_checks`) or, for bed categories, from the allocation table.
"""

from __future__ import annotations

import re
from typing import SupportsFloat, cast

import pandas as pd

from models.tolerances import FEASIBILITY_TOL
from optimizer.inputs.facility_stock import modelled_baseline
from optimizer.solving.rule_rows import KIND_ZH, Row, RuleContext, listed, rule_row, seed_line


def facility_rule_rows(context: RuleContext) -> list[Row]:
    """One row per rule (and resource) of `facility_rules.csv`, aggregated over its facilities."""
    table = context.facility_rules
    if table is None or table.empty:
        return []
    scenario = context.scenario
    citations = _seed_lines(context)
    resources_of = table.groupby("rule_id", sort=False)["resource"].nunique()
    rows = []
    for (rule_id, resource), group in table.groupby(["rule_id", "resource"], sort=False):
        rule_id, resource = str(rule_id), str(resource)
        kind = _row_kind(context, rule_id, str(group["kind"].iloc[0]))
        missed = group[~group["met"].astype(bool)]
        short = missed["shortfall"].astype(float) + missed["excess"].astype(float)
        spec = scenario.resources.get(resource)
        unit = spec.unit if spec is not None else ("vehicles" if resource == "ambulances" else resource)
        label = spec.label_zh if spec is not None else "救护车"
        sources = sorted(set(group["source"].astype(str)))
        rows.append(
            rule_row(
                rule_id=rule_id
                if int(resources_of[rule_id]) == 1 and kind != "stock_floor"
                else f"{rule_id}_{resource}",
                rule_kind=kind,
                indicator=f"{KIND_ZH.get(kind, kind)}（{label}）",
                unit="facilities",
                bound=">=",
                target=float(len(group)),
                achieved=float(len(group) - len(missed)),
                hard=bool(group["hard"].astype(bool).all()),
                source=sources[0]
                if len(sources) == 1
                else f"{len(sources)} sources, per facility in facility_rules.csv",
                gap_unit=unit,
                seed=citations.get(rule_id, ""),
                gap_units=float(short.sum()),
                detail=listed(
                    [
                        f"{name} {achieved:g} {resource} ({_band(low, high)})"
                        for name, achieved, low, high in zip(
                            missed["facility_name"],
                            missed["achieved"],
                            missed["required_min"],
                            missed["allowed_max"],
                            strict=True,
                        )
                    ]
                ),
            )
        )
    return rows


def _band(low: object, high: object) -> str:
    parts = []
    if low is not None and not pd.isna(cast(float, low)):
        parts.append(f"≥ {float(cast(SupportsFloat, low)):g}")
    if high is not None and not pd.isna(cast(float, high)):
        parts.append(f"≤ {float(cast(SupportsFloat, high)):g}")
    return ", ".join(parts)


TABLE_KINDS = {
    "limit": "facility_limit",
    "subcentre_band": "subcentre_beds",
    "plan_size": "plan_size",
    "stock_floor": "stock_floor",
    "named_station": "named_station",
}
"""Row kinds of the facility table's own kinds; the rest are the scenario's staff-per-bed rules or standards."""


def _row_kind(context: RuleContext, rule_id: str, table_kind: str) -> str:
    """The kind of row of a facility rule: by the facility table's kind, else by the block that states it."""
    if table_kind in TABLE_KINDS:
        return TABLE_KINDS[table_kind]
    if any(rule.id == rule_id for rule in context.scenario.staff_per_bed):
        return "staff_per_bed"
    standards = context.scenario.facility_standards
    if standards is not None and any(rule.id == rule_id for rule in standards.standards):
        return "grade_standard"
    return table_kind


def _seed_lines(context: RuleContext) -> dict[str, str]:
    """Rule id → the seed line (or the standard) it cites."""
    scenario = context.scenario
    lines: dict[str, str] = {}
    if scenario.facility_standards is not None:
        lines |= {rule.id: rule.source.label() for rule in scenario.facility_standards.standards}
    for rules in (scenario.facility_limits, scenario.staff_per_bed, scenario.facility_sizes):
        lines |= {rule.id: seed_line(rule.source) for rule in rules}
    if scenario.subcentres is not None:
        lines["subcentre_beds"] = seed_line(scenario.subcentres.beds_source)
    facilities = context.data.facilities
    if "named_emergency_station" in facilities.columns:
        flags = facilities["named_emergency_station"].astype(str).str.lower() == "true"
        cited = sorted(
            {int(n) for role in facilities.loc[flags, "plan_role"].astype(str) for n in re.findall(r"L(\d+)", role)}
        )
        lines["named_station"] = ", ".join(f"{scenario.scenario.plan_seed}:L{n}" for n in cited)
    return lines


def bed_category_rows(context: RuleContext) -> list[Row]:
    """One row per bed category: the facilities whose beds of the kind are inside the category's band."""
    scenario = context.scenario
    if not scenario.bed_categories or "beds" not in scenario.resources:
        return []
    table = context.allocation.set_index("facility_id")
    eligible = set(table.index[table["level"].isin(scenario.resources["beds"].eligible_levels)])
    rows = []
    for category in scenario.bed_categories:
        selected = set(table.index[table["level"].isin(category.levels)]) | set(category.facility_ids)
        missed, gap = [], 0.0
        covered = sorted(selected & eligible)
        for facility in covered:
            beds = float(cast(SupportsFloat, table.at[facility, "beds"]))
            inner = float(cast(SupportsFloat, table.at[facility, f"beds_{category.id}"]))
            low = max(float(category.min_beds or 0), (category.min_share or 0.0) * beds)
            high = category.max_share * beds if category.max_share is not None else beds
            off = max(low - inner, 0.0) + max(inner - high, 0.0)
            if off > FEASIBILITY_TOL * max(1.0, low, high):
                missed.append(f"{str(table.at[facility, 'name'])} {inner:g} of {beds:g} beds ({_band(low, high)})")
                gap += off
        rows.append(
            rule_row(
                rule_id=category.id,
                rule_kind="bed_category",
                indicator=category.label_zh,
                unit="facilities",
                bound=">=",
                target=float(len(covered)),
                achieved=float(len(covered) - len(missed)),
                hard=category.hard,
                cited=category.source,
                gap_unit="beds",
                gap_units=gap,
                detail=listed(missed),
            )
        )
    return rows


def stock_total_rows(context: RuleContext) -> list[Row]:
    """The base-year total of a resource the plan may not reduce (`allow_reduction = false`)."""
    scenario, data = context.scenario, context.data
    rows = []
    for resource, spec in sorted(scenario.resources.items()):
        floor = modelled_baseline(scenario, data.stock, resource)
        if floor is None or spec.allow_reduction:
            continue
        total = float(context.allocation[resource].sum())
        source = spec.baseline_modelled.source if spec.baseline_modelled is not None else None
        rows.append(
            rule_row(
                rule_id=f"stock_total_{resource}",
                rule_kind="stock_floor",
                indicator=f"基期总量不减（{spec.label_zh}）",
                unit=spec.unit,
                bound=">=",
                target=floor,
                achieved=total,
                hard=True,
                cited=source,
                source="base-year stock per facility",
            )
        )
    return rows


def budget_rows(context: RuleContext) -> list[Row]:
    """The capital budget: the cost of the additions at most the budget (CNY)."""
    budget = context.scenario.budget.budget_cny
    cost = float(sum(context.cost_cny.values()))
    return [
        rule_row(
            rule_id="budget",
            indicator="建设投资预算",
            unit="CNY",
            bound="<=",
            target=budget.value,
            achieved=cost,
            hard=True,
            cited=budget.source,
        )
    ]
