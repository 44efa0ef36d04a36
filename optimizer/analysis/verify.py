"""Check a plan result against every plan rule, independently of the model.

Nothing here reads the `LpProblem` or reuses the model's arithmetic: ratios, limits, fleet rule,
coverage and budget are recomputed from the result tables, the scenario and the raw data with plain
formulas, so a modelling bug shows up as a violation instead of a silently wrong plan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import SupportsFloat, cast

import numpy as np
import pandas as pd

from models.tolerances import FEASIBILITY_TOL, INTEGRALITY_TOL, ROUNDING_GUARD
from optimizer.analysis.facility_checks import facility_rule_table
from optimizer.analysis.feature_checks import feature_cost, feature_issues, feature_target_table
from optimizer.analysis.network_checks import (
    fleet_issues,
    radius_issues,
    reported_row,
    response_mean_issues,
    within_standard,
)
from optimizer.analysis.violations import Violation
from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.facility_stock import counted_other_stock, modelled_baseline
from optimizer.inputs.scenario import RatioTarget, Scenario
from optimizer.solving.results import PlanResult


def check(
    result: PlanResult, scenario: Scenario, data: Datasets, matrix: TravelMatrix, *, honour_named: bool | None = None
) -> list[Violation]:
    """Every violation of the plan's hard rules and every inconsistency in the reported tables."""
    violations: list[Violation] = []
    violations += _amounts(result, scenario, data)
    violations += _targets(result, scenario, data)
    rules = facility_rule_table(result.allocation, scenario, data)  # recounted once, from the allocation table
    violations += _facility_rules(rules)
    violations += _rule_rows(result, rules, scenario, data)
    violations += _bed_categories(result, scenario)
    violations += _ambulances(result, scenario, data, matrix)
    violations += _subcentres(result, scenario, data, honour_named)
    violations += _hierarchy(result, scenario, data, matrix)
    violations += _features(result, scenario, data)
    violations += _budget(result, scenario, data)
    return violations


def _level_mask(result: PlanResult, levels: Sequence[str]) -> np.ndarray:
    return np.asarray(result.allocation["level"].isin(list(levels)).to_numpy(), dtype=bool)


def _amounts(result: PlanResult, scenario: Scenario, data: Datasets) -> list[Violation]:
    found = []
    table = result.allocation
    for resource, spec in scenario.resources.items():
        values = table[resource].to_numpy(float)
        for facility, value in zip(table["facility_id"], values, strict=True):
            if value < 0 or abs(value - round(value)) > INTEGRALITY_TOL:
                found.append(Violation("integrality", facility, f"{resource} = {value} is not a whole number ≥ 0"))
        outside = values[~_level_mask(result, list(spec.eligible_levels))]
        if (outside != 0).any():
            found.append(
                Violation("eligibility", resource, f"{resource} placed at levels not in {spec.eligible_levels}")
            )
        total = values.sum()
        floor = modelled_baseline(scenario, data.stock, resource)
        if floor is not None and not spec.allow_reduction and total < floor - FEASIBILITY_TOL:
            found.append(Violation("stock_floor", resource, f"total {total:g} is below the base-year stock {floor:g}"))
        if spec.subset_of is not None:
            parent = table[spec.subset_of].to_numpy(float)
            for facility, child, whole in zip(table["facility_id"], values, parent, strict=True):
                if child > whole + FEASIBILITY_TOL:
                    found.append(
                        Violation("subset", facility, f"{resource} {child:g} exceed {spec.subset_of} {whole:g}")
                    )
    return found


def _counted(result: PlanResult, scenario: Scenario, data: Datasets, target: RatioTarget, *, of: str) -> float:
    """The amount a target counts in its numerator (`of="numerator"`) or its denominator resource: the
    allocation summed over the levels it names (the resource's eligible levels when it names none), plus
    the stock outside the modelled facilities when the target includes it."""
    if of == "numerator":
        resource, levels = target.resource, target.facility_levels
    else:
        resource, levels = (
            str(target.denominator_resource),
            target.denominator_facility_levels or target.facility_levels,
        )
    mask = _level_mask(result, list(levels or scenario.resources[resource].eligible_levels))
    total = float(result.allocation.loc[mask, resource].sum())
    return total + (counted_other_stock(scenario, data.stock, resource) if target.include_other_stock else 0.0)


def _indicator(result: PlanResult, scenario: Scenario, data: Datasets, target: RatioTarget) -> float:
    numerator = _counted(result, scenario, data, target, of="numerator")
    if target.kind == "per_population":
        return numerator * float(target.denominator_size or 1) / _people(data, target)
    if target.kind == "per_resource":
        denominator = _counted(result, scenario, data, target, of="denominator")
        return numerator / denominator if denominator else math.inf
    return numerator


def _people(data: Datasets, target: RatioTarget) -> float:
    column = {"residents": "population", "children_0_14": "children_0_14", "aged_65_plus": "aged_65_plus"}[
        str(target.denominator_population)
    ]
    return float(data.townships[column].sum())


def _units_off(result: PlanResult, scenario: Scenario, data: Datasets, target: RatioTarget, value: float) -> float:
    """How many beds, people or vehicles `value` is from the target (0 when it holds): the ratio's gap
    times its denominator (residents per `denominator_size`, or the denominator resource's amount)."""
    off = max(target.value - value, 0.0) if target.bound == ">=" else max(value - target.value, 0.0)
    if target.bound == "=":
        off = abs(value - target.value)
    if target.kind == "per_population":
        return off * _people(data, target) / float(target.denominator_size or 1)
    if target.kind == "per_resource":
        return off * _counted(result, scenario, data, target, of="denominator")
    return off


def _holds(value: float, goal: float, bound: str) -> bool:
    slack = FEASIBILITY_TOL * max(1.0, abs(goal))
    return {">=": value >= goal - slack, "<=": value <= goal + slack, "=": abs(value - goal) <= slack}[bound]


def _targets(result: PlanResult, scenario: Scenario, data: Datasets) -> list[Violation]:
    found = []
    reported = result.targets.set_index("id")
    for target in scenario.targets:
        value = _indicator(result, scenario, data, target)
        exact = _holds(value, target.value, target.bound)
        if target.hard and not exact:
            found.append(
                Violation("hard_target", target.id, f"{value:.4f} does not satisfy {target.bound} {target.value}")
            )
        # a miss of less than one bed, person or vehicle is reported as met (decision A42)
        units = _units_off(result, scenario, data, target, value)
        holds = exact or (math.isfinite(units) and units < 1.0 - ROUNDING_GUARD)
        if target.id not in reported.index:
            found.append(Violation("report", target.id, "target missing from the targets table"))
            continue
        row = reported.loc[target.id]
        # .loc[label] is typed Series | DataFrame; target ids are unique (scenario check), so this is one row's number
        achieved = cast(SupportsFloat, row["achieved"])
        if abs(float(achieved) - value) > 1e-4 * max(1.0, abs(value)) or bool(row["met"]) != holds:
            found.append(
                Violation(
                    "report",
                    target.id,
                    f"reported achieved {row['achieved']} / met {row['met']}, recomputed {value:.6f} / {holds}",
                )
            )
    return found


def _facility_rules(table: pd.DataFrame) -> list[Violation]:
    """Hard rules at single facilities (bands, standards, stated sizes, kept stock, named stations), from the
    recounted `facility_rule_table`."""
    missed = table[table["hard"] & ~table["met"]]
    found = []
    for row in missed.itertuples(index=False):
        # itertuples types a field as any scalar (dates, None, ...); shortfall and excess are float columns
        if cast(float, row.shortfall) > 0:
            found.append(
                Violation(
                    str(row.rule_id), str(row.facility_id), f"{row.resource} {row.achieved:g} < {row.required_min:g}"
                )
            )
        if cast(float, row.excess) > 0:
            found.append(
                Violation(
                    str(row.rule_id), str(row.facility_id), f"{row.resource} {row.achieved:g} > {row.required_max:g}"
                )
            )
    return found


def _bed_categories(result: PlanResult, scenario: Scenario) -> list[Violation]:
    found = []
    table = result.allocation.set_index("facility_id")
    for category in scenario.bed_categories:
        if not category.hard:
            continue
        selected = set(table.index[table["level"].isin(category.levels)]) | set(category.facility_ids)
        for facility in sorted(selected):
            # .loc[row, column] types a cell as any scalar (dates, None, ...); bed columns hold numbers
            beds = float(cast(SupportsFloat, table.loc[facility, "beds"]))
            inner = float(cast(SupportsFloat, table.loc[facility, f"beds_{category.id}"]))
            checks = [
                (inner <= beds + FEASIBILITY_TOL, f"{inner:g} exceed the facility's {beds:g} beds"),
                (
                    category.min_beds is None or inner >= category.min_beds - FEASIBILITY_TOL,
                    f"{inner:g} < {category.min_beds}",
                ),
                (
                    category.min_share is None or inner >= category.min_share * beds - FEASIBILITY_TOL,
                    f"{inner:g} < {category.min_share} × {beds:g}",
                ),
                (
                    category.max_share is None or inner <= category.max_share * beds + FEASIBILITY_TOL,
                    f"{inner:g} > {category.max_share} × {beds:g}",
                ),
            ]
            found += [Violation(category.id, facility, message) for ok, message in checks if not ok]
    return found


FACILITY_ROW_KINDS = frozenset(
    {"facility_limit", "grade_standard", "staff_per_bed", "plan_size", "stock_floor", "named_station", "subcentre_beds"}
)
"""Rows of targets.csv aggregated from facility_rules.csv (unit `facilities`)."""


def _rule_rows(result: PlanResult, table: pd.DataFrame, scenario: Scenario, data: Datasets) -> list[Violation]:
    """The targets rows of the rules at facilities (against `table`, the recounted `facility_rule_table`), the bed
    categories and the kept totals, recounted."""
    issues: list[Violation] = []
    targets = result.targets
    rows = targets[targets["rule_kind"].isin(FACILITY_ROW_KINDS) & (targets["unit"] == "facilities")]
    missed = table[~table["met"].astype(bool)]
    counted = (len(table), len(missed), float((missed["shortfall"] + missed["excess"]).sum()))
    reported = (int(rows["target"].sum()), int(rows["gap"].sum()), float(rows["gap_units"].sum()))
    differs = reported[:2] != counted[:2] or abs(reported[2] - counted[2]) > 1e-4 * max(1.0, counted[2])
    if result.facility_rules is not None and differs:  # without the facility table the rows are not built
        issues.append(
            Violation(
                "report",
                "facility rules",
                f"rows count (rules × facilities, missed, units) {reported}, recounted {counted}",
            )
        )
    allocation = result.allocation.set_index("facility_id")
    for category in scenario.bed_categories:
        eligible = allocation.index[allocation["level"].isin(scenario.resources["beds"].eligible_levels)]
        selected = (
            set(allocation.index[allocation["level"].isin(category.levels)]) | set(category.facility_ids)
        ) & set(eligible)
        gaps = []
        for facility in sorted(selected):
            beds = float(cast(SupportsFloat, allocation.at[facility, "beds"]))
            inner = float(cast(SupportsFloat, allocation.at[facility, f"beds_{category.id}"]))
            low = max(float(category.min_beds or 0), (category.min_share or 0.0) * beds)
            high = beds if category.max_share is None else category.max_share * beds
            gap = max(low - inner, 0.0) + max(inner - high, 0.0)
            if gap > FEASIBILITY_TOL * max(1.0, low, high):
                gaps.append(gap)
        issues += reported_row(result, category.id, float(len(selected) - len(gaps)), not gaps, float(sum(gaps)))
    for resource, spec in sorted(scenario.resources.items()):
        floor = modelled_baseline(scenario, data.stock, resource)
        if floor is not None and not spec.allow_reduction:
            total = float(result.allocation[resource].sum())
            met = total >= floor - FEASIBILITY_TOL * max(1.0, floor)
            issues += reported_row(result, f"stock_total_{resource}", total, met, max(floor - total, 0.0))
    return issues


def _ambulances(result: PlanResult, scenario: Scenario, data: Datasets, matrix: TravelMatrix) -> list[Violation]:
    """Fleet rules (area, counties), bases, the radius, the mean response and the coverage per town
    (recounted in `optimizer.analysis.network_checks`)."""
    settings = scenario.ambulances
    if settings is None:
        return []
    found = []
    table = result.allocation
    if (table["ambulances"] > settings.max_per_base).any():
        found.append(Violation("ambulance_base", "area", f"a base holds more than {settings.max_per_base} vehicles"))
    bases = table.loc[~table["level"].isin(settings.eligible_levels), "ambulances"]
    if (bases != 0).any():
        found.append(Violation("ambulance_base", "area", "vehicles at a facility level that may not station them"))
    issues = fleet_issues(result, scenario, data)
    issues += radius_issues(result, scenario, data, matrix)
    issues += response_mean_issues(result, scenario, data, matrix)
    issues += within_standard(result, scenario, data, matrix)
    return found + issues


def _subcentres(result: PlanResult, scenario: Scenario, data: Datasets, honour_named: bool | None) -> list[Violation]:
    settings = scenario.subcentres
    if settings is None:
        return []
    found = []
    chosen = set(result.allocation.loc[result.allocation["is_subcentre"], "facility_id"])
    if len(chosen) != settings.count:
        found.append(Violation("subcentre_count", "area", f"{len(chosen)} sub-centres, the plan asks {settings.count}"))
    candidates = set(
        data.facilities.loc[data.facilities["subcentre_candidate"].astype(str).str.lower() == "true", "facility_id"]
    ) | set(settings.named_facility_ids)
    if chosen - candidates:
        found.append(Violation("subcentre_candidate", ", ".join(sorted(chosen - candidates)), "not a candidate"))
    honour = settings.honour_named if honour_named is None else honour_named
    missing = set(settings.named_facility_ids) - chosen
    if honour and missing:
        found.append(Violation("subcentre_named", ", ".join(sorted(missing)), "named by the plan but not chosen"))
    return found


def _hierarchy(result: PlanResult, scenario: Scenario, data: Datasets, matrix: TravelMatrix) -> list[Violation]:
    """Assignment radius, emergency network radius and referral limit, from the open facilities."""
    settings = scenario.hierarchy
    if settings is None:
        return []
    facilities = data.facilities.set_index("facility_id")
    chosen = set(result.allocation.loc[result.allocation["is_subcentre"], "facility_id"])
    top = set(facilities.index[facilities["level"].isin(settings.top_levels)])
    middle = set(facilities.index[facilities["level"].isin(settings.middle_levels)]) | (chosen - top)
    column = {f: j for j, f in enumerate(matrix.destinations)}
    open_km = matrix.straight_km[:, [column[f] for f in sorted(top | middle)]].min(axis=1)
    classes = dict(zip(data.townships["code"], data.townships["settlement_class"], strict=True))
    found = []
    radius_rules = [("hierarchy_assignment", settings.assignment_radius_km, "all")]
    radius_rules.append(("hierarchy_network", settings.network_radius_km, settings.network_applies_to))
    for rule, radius, applies_to in radius_rules:
        if radius is None:
            continue
        for town, km in zip(matrix.origins, open_km, strict=True):
            if (applies_to == "all" or classes[town] == "rural") and km > radius.value + FEASIBILITY_TOL:
                found.append(Violation(rule, town, f"nearest open node {km:.1f} km > {radius.value:g} km"))
    if settings.referral_limit_min is not None:
        row = {t: i for i, t in enumerate(matrix.origins)}
        top_columns = [column[f] for f in sorted(top)]
        limit = settings.referral_limit_min.value
        for facility in sorted(middle):
            minutes = float(matrix.minutes[row[str(facilities.at[facility, "town_code"])], top_columns].min())
            if minutes > limit + FEASIBILITY_TOL:
                found.append(
                    Violation("hierarchy_referral", facility, f"nearest top facility {minutes:.1f} min > {limit:g} min")
                )
    return found


def _features(result: PlanResult, scenario: Scenario, data: Datasets) -> list[Violation]:
    """Feature holders hold what the feature needs, hard feature targets are met, and each target's row of
    targets.csv says what the recount says (all recounted from the tables)."""
    if not scenario.features:
        return []
    if result.features is None:
        return [Violation("report", "features", "the scenario has features but the result has no feature table")]
    found = feature_issues(result.features, result.allocation, scenario, data)
    ids = set(result.targets["id"].astype(str))
    for row in feature_target_table(result.features, scenario, data).to_dict("records"):
        # a feature target named like an earlier rule carries its kind in its row id (rule_table)
        renamed = f"{row['id']}__feature_target"
        row_id = renamed if renamed in ids else str(row["id"])
        found += reported_row(result, row_id, float(row["achieved"]), bool(row["met"]), float(row["gap_facilities"]))
    return found


def _budget(result: PlanResult, scenario: Scenario, data: Datasets) -> list[Violation]:
    """Cost recomputed: additions facility by facility where the stock is known per facility, else over
    the pooled base-year total; vehicles over the existing fleet; sub-centre upgrades."""
    table = result.allocation
    cost = 0.0
    for resource, spec in scenario.resources.items():
        values = table[resource].to_numpy(float)
        if data.stock.known(resource):
            base = np.array([data.stock.value(resource, f) for f in table["facility_id"]], dtype=float)
            added = float(np.clip(values - base, 0.0, None).sum())
        else:
            baseline = spec.baseline_modelled.value if spec.baseline_modelled else 0.0
            added = max(float(values.sum()) - baseline, 0.0)
        cost += added * spec.unit_cost_cny.value
    if scenario.ambulances is not None:
        if scenario.ambulances.existing_fleet is not None:
            existing = scenario.ambulances.existing_fleet.value
        else:
            existing = float(sum(data.stock.of("ambulances").values()))
        cost += max(float(table["ambulances"].sum()) - existing, 0.0) * scenario.ambulances.unit_cost_cny.value
    if scenario.subcentres is not None:
        cost += float(table["is_subcentre"].sum()) * scenario.subcentres.upgrade_cost_cny.value
    if scenario.features and result.features is not None:
        cost += feature_cost(result.features, scenario)
    found = []
    budget = scenario.budget.budget_cny.value
    over = cost > budget * (1 + FEASIBILITY_TOL) + FEASIBILITY_TOL
    if over:
        found.append(
            Violation(
                "budget", "area", f"cost {cost:,.0f} CNY exceeds the budget {budget:,.0f} CNY by {cost - budget:,.0f}"
            )
        )
    found += reported_row(result, "budget", cost, not over, max(cost - budget, 0.0))
    if abs(cost - result.total_cost_cny) > FEASIBILITY_TOL * max(cost, 1.0):
        found.append(Violation("report", "cost", f"reported {result.total_cost_cny:,.0f}, recomputed {cost:,.0f}"))
    return found
