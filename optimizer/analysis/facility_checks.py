"""Every rule at a single facility, checked from the allocation table: met or missed, and by how much.

One row per rule and facility (`facility_rules.csv`): the scenario's size bands and staff-per-bed rules,
the national standards of the facility's grade, the sizes the plan states, the base-year stock the
facility keeps, and the 120 stations the plan names. Amounts are recomputed from the plan's table with
plain arithmetic (nothing is read from the model), in the unit a planner counts: beds, physicians,
nurses, vehicles. The verifier fails a run on any hard row that is missed; soft rows are reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from models.tolerances import FEASIBILITY_TOL, ROUNDING_GUARD
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.grades import applied_standards, facility_grades, share_basis
from optimizer.inputs.scenario import Scenario

COLUMNS = (
    "rule_id",
    "kind",
    "facility_id",
    "facility_name",
    "grade",
    "resource",
    "per_resource",
    "required_min",
    "required_max",
    "allowed_max",
    "kept_above_band",
    "achieved",
    "shortfall",
    "excess",
    "met",
    "hard",
    "source",
)


@dataclass(frozen=True)
class _Rule:
    rule_id: str
    kind: str
    facility: str
    resource: str
    low: float | None
    high: float | None
    hard: bool
    source: str
    per_resource: str | None = None
    per_unit: float | None = None
    kept: int = 0
    """What the facility keeps of its base-year stock: a maximum below it is not enforced (never forced down)."""


def facility_rule_table(allocation: pd.DataFrame, scenario: Scenario, data: Datasets) -> pd.DataFrame:
    """One row per facility rule, with the required band, the amount achieved and the gap."""
    table = allocation.set_index("facility_id")
    grades = facility_grades(scenario, data.facilities)
    rules = _rules(table, scenario, data)
    # the cells the rules read, as plain dicts: a pandas cell lookup per rule was most of this table's time
    counted = {rule.resource for rule in rules} | {rule.per_resource for rule in rules if rule.per_resource}
    amounts = {column: table[column].astype(float).to_dict() for column in sorted(counted)}
    names = table["name"].to_dict()
    rows = []
    for rule in rules:
        achieved = float(amounts[rule.resource][rule.facility])
        low = rule.low
        if rule.per_unit is not None and rule.per_resource is not None:
            low = rule.per_unit * float(amounts[rule.per_resource][rule.facility])
        allowed = None if rule.high is None else max(rule.high, float(rule.kept))
        shortfall = max((low or 0.0) - achieved, 0.0) if low is not None else 0.0
        excess = max(achieved - allowed, 0.0) if allowed is not None else 0.0
        tolerance = FEASIBILITY_TOL * max(1.0, abs(low or 0.0), abs(allowed or 0.0))
        rows.append(
            {
                "rule_id": rule.rule_id,
                "kind": rule.kind,
                "facility_id": rule.facility,
                "facility_name": names[rule.facility],
                "grade": grades.get(rule.facility, ""),
                "resource": rule.resource,
                "per_resource": rule.per_resource or "",
                "required_min": None if low is None else round(low, 6),
                "required_max": rule.high,
                "allowed_max": allowed,
                "kept_above_band": rule.high is not None and rule.kept > rule.high,
                "achieved": achieved,
                "shortfall": round(shortfall, 6),
                "excess": round(excess, 6),
                "met": shortfall <= tolerance and excess <= tolerance,
                "hard": rule.hard,
                "source": rule.source,
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def kept_stock(scenario: Scenario, data: Datasets, resource: str, facility: str) -> int:
    """The least a facility keeps of its base-year stock: its stock less the reduction the scenario allows."""
    spec = scenario.resources.get(resource)
    share = spec.reduction_share if spec is not None else 0.0
    return math.ceil(data.stock.value(resource, facility) * (1.0 - share) - ROUNDING_GUARD)


def _rules(table: pd.DataFrame, scenario: Scenario, data: Datasets) -> list[_Rule]:
    rules = _stock_rules(table, scenario, data)
    rules += _scenario_limits(table, scenario, data)
    rules += [
        _Rule(r.id, "staff_per_bed", f, r.resource, None, None, r.hard, r.source.label(), "beds", r.min_per_bed)
        for r in scenario.staff_per_bed
        for f in table.index[table["level"].isin(r.levels)]
    ]
    rules += _standard_rules(table, scenario, data)
    for size in scenario.facility_sizes:
        low, high = size.band
        kept = kept_stock(scenario, data, size.resource, size.facility_id)
        rules.append(
            _Rule(
                size.id,
                "plan_size",
                size.facility_id,
                size.resource,
                low,
                high,
                size.hard,
                size.source.label(),
                kept=kept,
            )
        )
    if scenario.ambulances is not None and "named_emergency_station" in data.facilities.columns:
        flags = data.facilities["named_emergency_station"].astype(str).str.lower() == "true"
        for station in sorted(data.facilities.loc[flags, "facility_id"]):
            rules.append(
                _Rule("named_station", "named_station", station, "ambulances", 1.0, None, True, "named 120 station")
            )
    return rules


def _stock_rules(table: pd.DataFrame, scenario: Scenario, data: Datasets) -> list[_Rule]:
    """Each facility keeps its base-year stock, less what the scenario allows to be taken away."""
    rules = []
    for resource in sorted(scenario.resources):
        if not data.stock.known(resource):
            continue
        for facility in table.index:
            kept = kept_stock(scenario, data, resource, facility)
            if kept > 0:
                entry = data.stock.entries.get((resource, facility))
                source = f"base-year stock {data.stock.value(resource, facility)}"
                if entry is not None:
                    source += f" ({'estimated' if entry.estimated else 'stated'}: {entry.source})"
                rules.append(_Rule("stock_floor", "stock_floor", facility, resource, float(kept), None, True, source))
    return rules


def _scenario_limits(table: pd.DataFrame, scenario: Scenario, data: Datasets) -> list[_Rule]:
    """The scenario's `[[facility_limits]]`, with the township cap and the sub-centre band applied."""
    town_population = dict(zip(data.townships["code"], data.townships["population"], strict=True))
    upgraded = set(table.index[table["is_subcentre"]])
    sub = scenario.subcentres
    rules = []
    for rule in scenario.facility_limits:
        selected = set(table.index[table["level"].isin(rule.levels)]) | set(rule.facility_ids)
        for facility in sorted(selected):
            high = rule.max_value
            if rule.max_per_1000_town_residents is not None:
                town = table.at[facility, "town_code"]
                high = math.floor(rule.max_per_1000_town_residents * town_population[town] / 1000)
            if sub is not None and facility in upgraded and rule.resource == "beds" and high is not None:
                high = sub.max_beds
            kept = kept_stock(scenario, data, rule.resource, facility)
            label = rule.source.label()
            rules.append(
                _Rule(rule.id, "limit", facility, rule.resource, rule.min_value, high, rule.hard, label, kept=kept)
            )
    if sub is not None and "beds" in scenario.resources:
        rules += [
            _Rule(
                "subcentre_beds",
                "subcentre_band",
                f,
                "beds",
                float(sub.min_beds),
                float(sub.max_beds),
                True,
                sub.beds_source.label(),
            )
            for f in sorted(upgraded)
        ]
    return rules


def _standard_rules(table: pd.DataFrame, scenario: Scenario, data: Datasets) -> list[_Rule]:
    """The national standards of each facility's grade (bands hard unless the scenario says otherwise)."""
    standards = scenario.facility_standards
    if standards is None:
        return []
    upgraded = set(table.index[table["is_subcentre"]])
    sub = scenario.subcentres
    rules = []
    for applied in applied_standards(scenario, data.facilities):
        rule, f = applied.rule, applied.facility
        source = rule.source.label()
        if rule.kind == "beds_band":
            high = rule.max
            if high is not None and sub is not None and f in upgraded:
                high = max(float(sub.max_beds), high)
            kept = kept_stock(scenario, data, "beds", f)
            rules.append(
                _Rule(rule.id, rule.kind, f, "beds", rule.min, high, standards.is_hard(rule), source, kept=kept)
            )
        elif rule.kind in ("staff_min", "category_min"):
            rules.append(_Rule(rule.id, rule.kind, f, rule.resource, rule.min, None, standards.is_hard(rule), source))
        elif rule.min:
            rules.append(
                _Rule(
                    rule.id,
                    rule.kind,
                    f,
                    rule.resource,
                    None,
                    None,
                    standards.is_hard(rule),
                    source,
                    share_basis(rule),
                    rule.min,
                )
            )
    return rules
