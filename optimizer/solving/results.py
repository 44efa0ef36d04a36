"""Read a solved plan model into tidy tables keyed by facility id and division code.

`extract` returns a frozen `PlanResult` whose shape never depends on a flag: the allocation per
facility, coverage per town, every target with baseline/target/achieved/met, and the totals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pulp

from models.planner import PlanModel
from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.facility_stock import counted_other_stock
from optimizer.inputs.scenario import RatioTarget, Scenario
from optimizer.instance.ambulance_rules import ambulance_standard, existing_fleet
from optimizer.instance.plan_inputs import population_of
from optimizer.solving.feature_results import feature_table
from optimizer.solving.rule_kinds import RULE_KINDS
from optimizer.solving.rule_rows import (
    Row,
    RuleContext,
    below_one_unit,
    gap_of,
    rule_row,
    rule_table,
    whole_units,
)
from optimizer.solving.rule_rows import is_met as is_met
from optimizer.solving.solve import SolveReport


@dataclass(frozen=True)
class PlanResult:
    """Everything a run produced, in tables a planner can open."""

    scenario_id: str
    solve: SolveReport
    allocation: pd.DataFrame
    towns: pd.DataFrame
    targets: pd.DataFrame
    cost_cny: dict[str, float]
    budget_cny: float
    travel_source: str
    demand_points: int = 0
    """Demand points the coverage, access and response terms counted (0: the township seats only)."""
    demand_method: str = ""
    """How the demand points were made (estimated spread, settlement points …), for the report."""
    free_choice_subcentres: tuple[str, ...] | None = None
    facility_rules: pd.DataFrame | None = None
    """Every rule at one facility, met or missed (`optimizer.analysis.facility_checks`), when `extract` was given
    `facility_rules_of` (the pipeline gives it)."""
    features: pd.DataFrame | None = None
    """Every (facility, feature) pair the scenario allows, with has/opened/cost (`feature_results`)."""
    plan_entries: pd.DataFrame | None = None
    """Every statement of the plan with its status (`optimizer.analysis.plan_entry_status`), set by the pipeline."""
    spend: str = "targets_only"
    """What the budget was spent on (`budget.spend`, optimizer/solving/spend.py)."""
    cost_to_meet_targets_cny: float | None = None
    """The least cost that meets every target the plan can meet within the budget (None: not solved)."""

    @property
    def total_cost_cny(self) -> float:
        """Total cost of the additions (CNY)."""
        return float(sum(self.cost_cny.values()))


def _value(variable: pulp.LpVariable | None) -> float:
    if variable is None or variable.varValue is None:
        return 0.0
    return float(variable.varValue)


def _integer(variable: pulp.LpVariable | None) -> int:
    return int(round(_value(variable)))


def extract(
    model: PlanModel,
    report: SolveReport,
    scenario: Scenario,
    data: Datasets,
    matrix: TravelMatrix,
    *,
    facility_rules_of: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> PlanResult:
    """Tables of the solution in `model` (which must have a solution).

    `facility_rules_of` (allocation → facility rule table; the pipeline passes
    `optimizer.analysis.facility_checks.facility_rule_table`) adds that table and its rows of the targets table.
    """
    allocation = _allocation(model, scenario, data)
    towns = coverage_by_town(allocation, scenario, data, matrix)
    if model.hierarchy is not None and model.hierarchy.assign:
        # the facility each town is assigned to under the hierarchy's assignment rule
        assigned = {t: str(node[1]) for (t, node), var in model.hierarchy.assign.items() if _integer(var) == 1}
        towns["hierarchy_node"] = towns["code"].map(assigned)
    cost = _cost(allocation, scenario, data)
    features = feature_table(model, scenario, data) if scenario.features else None
    if features is not None:
        cost["features"] = float(features["cost_cny"].sum())
    rules = facility_rules_of(allocation) if facility_rules_of is not None else None
    targets = target_table(
        allocation, scenario, data, towns=towns, cost_cny=cost, features=features, facility_rules=rules
    )
    return PlanResult(
        scenario_id=scenario.scenario.id,
        solve=report,
        allocation=allocation,
        towns=towns,
        targets=targets,
        cost_cny=cost,
        budget_cny=scenario.budget.budget_cny.value,
        travel_source=matrix.source,
        demand_points=0 if matrix.demand is None else len(matrix.demand.points.frame),
        demand_method="" if matrix.demand is None else matrix.demand.points.method,
        features=features,
        facility_rules=rules,
    )


def _allocation(model: PlanModel, scenario: Scenario, data: Datasets) -> pd.DataFrame:
    frame = data.facilities[["facility_id", "name", "town_code", "level", "lon", "lat", "location_estimated"]].copy()
    ids = list(frame["facility_id"])
    for resource in sorted(scenario.resources):
        frame[resource] = [_integer(model.allocation.amount.get((resource, f))) for f in ids]
    for category in scenario.bed_categories:
        frame[f"beds_{category.id}"] = [_integer(model.allocation.category_beds.get((category.id, f))) for f in ids]
    vehicles = model.ambulances.vehicles if model.ambulances else {}
    frame["ambulances"] = [_integer(vehicles.get(f)) for f in ids]
    is_open = model.subcentres.is_open if model.subcentres else {}
    frame["is_subcentre"] = [_integer(is_open.get(f)) == 1 for f in ids]
    for resource in [*sorted(scenario.resources), "ambulances"]:
        known = data.stock.known(resource)
        frame[f"existing_{resource}"] = [data.stock.value(resource, f) if known else pd.NA for f in ids]
    return frame.reset_index(drop=True)


NEAREST_COLUMNS = (
    "minutes_to_facility",
    "km_to_facility",
    "minutes_to_subcentre",
    "km_to_subcentre",
    "minutes_to_ambulance",
    "km_to_ambulance",
)
"""Travel to the nearest site of each kind; per town the population-weighted mean over its demand points."""


def nearest_sites(allocation: pd.DataFrame, matrix: TravelMatrix) -> pd.DataFrame:
    """Per origin of `matrix` (towns or demand points): minutes and straight km to the nearest facility,
    sub-centre and base holding a vehicle in `allocation` (inf when there is none)."""
    order = {f: j for j, f in enumerate(matrix.destinations)}
    columns = np.array([order[f] for f in allocation["facility_id"]])
    minutes, km = matrix.minutes[:, columns], matrix.straight_km[:, columns]
    masks = (
        np.ones(len(allocation), dtype=bool),
        allocation["is_subcentre"].to_numpy(bool),
        allocation["ambulances"].to_numpy() > 0,
    )
    table: dict[str, np.ndarray] = {}
    for kind, mask in zip(("facility", "subcentre", "ambulance"), masks, strict=True):
        table[f"minutes_to_{kind}"], table[f"km_to_{kind}"] = _nearest(minutes, km, mask)
    return pd.DataFrame(table)[list(NEAREST_COLUMNS)]


def _nearest(minutes: np.ndarray, km: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minutes and straight km from each town to its nearest facility among `mask` (inf when none)."""
    masked_minutes = np.where(mask[None, :], minutes, np.inf)
    masked_km = np.where(mask[None, :], km, np.inf)
    return masked_minutes.min(axis=1), masked_km.min(axis=1)


def coverage_by_town(
    allocation: pd.DataFrame, scenario: Scenario, data: Datasets, matrix: TravelMatrix
) -> pd.DataFrame:
    """Per town: minutes and km to the nearest facility, sub-centre and ambulance base; coverage flags.

    Boundaries are inclusive and unrounded: a town at exactly the standard is covered.
    """
    order = {f: j for j, f in enumerate(matrix.destinations)}
    columns = np.array([order[f] for f in allocation["facility_id"]])
    towns = data.townships[
        ["code", "name", "type", "population", "settlement_class", "population_estimated", "lon", "lat"]
    ].copy()
    nearest = nearest_sites(allocation, matrix if matrix.demand is None else matrix.demand.matrix)
    if matrix.demand is not None:
        means = matrix.demand.town_mean(nearest.to_numpy(float))
        nearest = pd.DataFrame(np.vstack([means[t] for t in towns["code"]]), columns=nearest.columns)
    for column in NEAREST_COLUMNS:
        towns[column] = nearest[column].to_numpy(float)
    towns["seat_km_to_ambulance"] = nearest_sites(allocation, matrix)["km_to_ambulance"].to_numpy(float)
    if scenario.ambulances is not None:
        meets = ambulance_standard(data.townships["settlement_class"].to_numpy(), matrix, scenario.ambulances)[
            :, columns
        ]
        reachable = (meets * allocation["ambulances"].to_numpy()[None, :]).sum(axis=1)
        towns["ambulances_within_standard"] = reachable
        towns["covered_ambulance"] = reachable >= 1
        towns["covered_ambulance_backup"] = reachable >= 2
    if scenario.subcentres is not None:
        towns["covered_subcentre_radius"] = towns["km_to_subcentre"] <= scenario.subcentres.radius_km
    towns["covered_access_limit"] = towns["minutes_to_facility"] <= scenario.travel.max_access_min
    return towns.reset_index(drop=True)


def achieved_amount(
    allocation: pd.DataFrame,
    scenario: Scenario,
    data: Datasets,
    resource: str,
    levels: Sequence[str] | None,
    include_other: bool,
) -> float:
    """Target-year amount of `resource` counted by a target (facilities of `levels`, plus other stock)."""
    spec = scenario.resources[resource]
    rows = allocation["level"].isin(list(levels or spec.eligible_levels)) & allocation["level"].isin(
        spec.eligible_levels
    )
    amount = float(allocation.loc[rows, resource].sum())
    if include_other:
        amount += counted_other_stock(scenario, data.stock, resource)
    return amount


def achieved_value(allocation: pd.DataFrame, scenario: Scenario, data: Datasets, target: RatioTarget) -> float:
    """The target's indicator as the plan states it (per 1,000, nurses per physician, count)."""
    amount = achieved_amount(
        allocation, scenario, data, target.resource, target.facility_levels, target.include_other_stock
    )
    if target.kind == "per_population" and target.denominator_population and target.denominator_size:
        return amount / population_of(data, target.denominator_population) * target.denominator_size
    if target.kind == "per_resource" and target.denominator_resource:
        levels = target.denominator_facility_levels or target.facility_levels
        denominator = achieved_amount(
            allocation, scenario, data, target.denominator_resource, levels, target.include_other_stock
        )
        return amount / denominator if denominator > 0 else math.inf
    return amount


def target_table(
    allocation: pd.DataFrame,
    scenario: Scenario,
    data: Datasets,
    *,
    towns: pd.DataFrame | None = None,
    facility_rules: pd.DataFrame | None = None,
    cost_cny: Mapping[str, float] | None = None,
    features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per plan target, then one per rule the model enforces (`optimizer.solving.rule_kinds`).

    `towns` (coverage per town) gives the radius and response rows, `facility_rules` the rows of the
    rules at facilities, `features` the feature targets' rows; without them those rows are left out.
    `cost_cny` is the cost by item (default: recomputed from the allocation).
    """
    rows = [_target_row(allocation, scenario, data, target) for target in scenario.targets]
    cost = dict(cost_cny) if cost_cny is not None else _cost(allocation, scenario, data)
    context = RuleContext(
        allocation, scenario, data, cost, towns=towns, facility_rules=facility_rules, features=features
    )
    return rule_table(rows, RULE_KINDS, context)


def _target_row(allocation: pd.DataFrame, scenario: Scenario, data: Datasets, target: RatioTarget) -> Row:
    """A ratio target, its gap also in whole units of its resource (through the population denominator
    of a per-1,000 target, the achieved denominator of a per-resource one)."""
    achieved = achieved_value(allocation, scenario, data, target)
    gap = gap_of(achieved, target.value, target.bound)
    if target.kind == "per_population" and target.denominator_population and target.denominator_size:
        units = gap * population_of(data, target.denominator_population) / target.denominator_size
    elif target.kind == "per_resource" and target.denominator_resource:
        levels = target.denominator_facility_levels or target.facility_levels
        units = gap * achieved_amount(
            allocation, scenario, data, target.denominator_resource, levels, target.include_other_stock
        )
    else:
        units = gap
    exact = is_met(achieved, target.value, target.bound)
    met = exact or below_one_unit(units)
    return rule_row(
        rule_id=target.id,
        rule_kind="target",
        indicator=target.indicator_zh,
        unit=target.unit,
        bound=target.bound,
        baseline=target.baseline,
        target=target.value,
        achieved=achieved,
        binding=target.binding,
        hard=target.hard,
        cited=target.source,
        gap_unit=scenario.resources[target.resource].unit,
        gap_units=0.0 if met else (whole_units(units) if math.isfinite(units) else units),
        met=met,
        detail="" if exact or not met else f"off the exact value by {units:.2g} units: less than one, counted met",
    )


def added_units(allocation: pd.DataFrame, scenario: Scenario, data: Datasets, resource: str) -> float:
    """Units of `resource` added over the base year: facility by facility where the stock is known per
    facility (a unit moved between hospitals is an addition), else over the pooled base-year total."""
    if data.stock.known(resource):
        existing = allocation["facility_id"].map(lambda f: data.stock.value(resource, f)).to_numpy(float)
        return float(np.maximum(allocation[resource].to_numpy(float) - existing, 0.0).sum())
    spec = scenario.resources[resource]
    baseline = spec.baseline_modelled.value if spec.baseline_modelled else 0.0
    return max(float(allocation[resource].sum()) - baseline, 0.0)


def _cost(allocation: pd.DataFrame, scenario: Scenario, data: Datasets) -> dict[str, float]:
    """Cost of additions by item: resources over their base-year stock, vehicles, sub-centre upgrades."""
    cost: dict[str, float] = {}
    for resource, spec in sorted(scenario.resources.items()):
        cost[resource] = added_units(allocation, scenario, data, resource) * spec.unit_cost_cny.value
    if scenario.ambulances is not None:
        existing = existing_fleet(scenario.ambulances, data)
        cost["ambulances"] = max(float(allocation["ambulances"].sum()) - existing, 0.0) * (
            scenario.ambulances.unit_cost_cny.value
        )
    if scenario.subcentres is not None:
        cost["subcentres"] = float(allocation["is_subcentre"].sum()) * scenario.subcentres.upgrade_cost_cny.value
    return cost
