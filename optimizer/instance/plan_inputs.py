"""Scenario + Datasets + TravelMatrix → `models.PlanInputs`: the last step that knows about files.

Pure translation: plan ratios become absolute requirements for the area's population, facility
rules are expanded to the facilities they select, and coverage sets are read off the matrix. Every
index set is sorted, so the same scenario always builds the same model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np

from models.planner import (
    AllocationInputs,
    BedCategoryInputs,
    LimitInputs,
    PlanInputs,
    PlanWeights,
    ResourceInputs,
    StaffPerBedInputs,
    SubcentreInputs,
    TargetInputs,
)
from optimizer.errors import Problem, ScenarioError
from optimizer.geography.travel_times import TravelMatrix, access_minutes
from optimizer.inputs.datasets import Datasets, check_references
from optimizer.inputs.facility_stock import counted_other_stock, modelled_baseline, unplaced_stock
from optimizer.inputs.network_schema import SubcentreSettings
from optimizer.inputs.scenario import RatioTarget, Scenario
from optimizer.instance.ambulance_rules import ambulance_inputs, demand_units
from optimizer.instance.ambulance_rules import fleet_required as fleet_required
from optimizer.instance.feature_rules import feature_inputs
from optimizer.instance.hierarchy_rules import hierarchy_rules
from optimizer.instance.institution_rules import kept_maximum, standard_limits, standard_ratios

POPULATION_COLUMNS = {"residents": "population", "children_0_14": "children_0_14", "aged_65_plus": "aged_65_plus"}
BUDGET_TARGET_ID = "budget"
SUBCENTRE_TARGET_ID = "subcentres"


def population_of(data: Datasets, group: str) -> float:
    """Total of a population group over the area's townships (persons)."""
    return float(data.townships[POPULATION_COLUMNS[group]].sum())


def facilities_of_levels(data: Datasets, levels: Iterable[str]) -> tuple[str, ...]:
    """Facility ids of the given levels, sorted."""
    wanted = set(levels)
    return tuple(data.facilities.loc[data.facilities["level"].isin(wanted), "facility_id"])


def build_plan_inputs(
    scenario: Scenario, data: Datasets, matrix: TravelMatrix, *, honour_named: bool | None = None
) -> PlanInputs:
    """Translate a checked scenario into model inputs; `honour_named` overrides the scenario's choice.

    Raises
    ------
    ScenarioError
        When a rule names a facility that is not in the data.
    """
    _check_facility_references(scenario, data)
    towns = tuple(data.townships["code"])
    population = dict(zip(towns, data.townships["population"].astype(float), strict=True))
    access = access_minutes(matrix).pairs_within(scenario.travel.max_access_min)
    resources = _resources(scenario, data)
    allocation = AllocationInputs(
        towns=towns,
        population=population,
        facilities=tuple(data.facilities["facility_id"]),
        facility_site={
            f: f"{lon:.6f},{lat:.6f}"
            for f, lon, lat in zip(
                data.facilities["facility_id"], data.facilities["lon"], data.facilities["lat"], strict=True
            )
        },
        access_min=access,
        access_limit_min=scenario.travel.max_access_min,
        resources=resources,
        targets=tuple(_target(scenario, data, t) for t in scenario.targets),
        limits=_limits(scenario, data, resources),
        staff_per_bed=tuple(
            StaffPerBedInputs(
                rule.id, rule.resource, facility, rule.min_per_bed, rule.hard, scenario.objective.expected_shortfall
            )
            for rule in scenario.staff_per_bed
            for facility in facilities_of_levels(data, rule.levels)
        )
        + tuple(standard_ratios(scenario, data)),
        bed_categories=_bed_categories(scenario, data),
    )
    weights = scenario.objective
    return PlanInputs(
        name=scenario.scenario.id,
        allocation=allocation,
        ambulances=ambulance_inputs(scenario, scenario.ambulances, data, matrix) if scenario.ambulances else None,
        subcentres=_subcentres(scenario.subcentres, data, matrix, access, scenario.travel.max_access_min, honour_named)
        if scenario.subcentres
        else None,
        budget_cny=scenario.budget.budget_cny.value,
        budget_target_id=BUDGET_TARGET_ID,
        hierarchy=hierarchy_rules(scenario.hierarchy, data, matrix, _subcentre_candidates(scenario, data))
        if scenario.hierarchy
        else None,
        features=feature_inputs(scenario, data),
        weights=PlanWeights(
            ambulance_coverage=weights.ambulance_coverage,
            ambulance_backup=weights.ambulance_backup,
            subcentre_coverage=weights.subcentre_coverage,
            subcentre_travel=weights.subcentre_travel,
            access_travel=weights.access_travel,
            cost=weights.cost,
        ),
    )


def _check_facility_references(scenario: Scenario, data: Datasets) -> None:
    """The same check `load_datasets` runs, for callers that build inputs from hand-made `Datasets`."""
    problems: list[Problem] = []
    check_references(scenario, data.facilities, data.paths.get("facilities", Path("facilities.csv")), problems)
    if problems:
        raise ScenarioError(problems)


def _resources(scenario: Scenario, data: Datasets) -> tuple[ResourceInputs, ...]:
    resources = []
    for key in sorted(scenario.resources):
        spec = scenario.resources[key]
        reference = max(
            (_required(data, t) for t in scenario.targets if t.resource == key and t.kind != "per_resource"),
            default=0.0,
        )
        baseline = spec.baseline_modelled.value if spec.baseline_modelled else None
        eligible = facilities_of_levels(data, spec.eligible_levels)
        stock = data.stock.of(key)
        resources.append(
            ResourceInputs(
                name=key,
                eligible=eligible,
                subset_of=spec.subset_of,
                baseline_modelled=modelled_baseline(scenario, data.stock, key),
                other_stock=counted_other_stock(scenario, data.stock, key),
                unit_cost_cny=spec.unit_cost_cny.value,
                allow_reduction=spec.allow_reduction,
                demand_driven=spec.demand_driven,
                reference_total=max(reference, baseline or 0.0, 1.0),
                base_stock={f: stock.get(f, 0) for f in eligible} if stock else {},
                max_reduction_share=spec.reduction_share,
            )
        )
    return tuple(resources)


def _required(data: Datasets, target: RatioTarget) -> float:
    """Absolute amount a per-population or count target asks for (per-resource: the coefficient)."""
    if target.kind == "per_population" and target.denominator_population and target.denominator_size:
        return target.value * population_of(data, target.denominator_population) / target.denominator_size
    return target.value


def _target(scenario: Scenario, data: Datasets, target: RatioTarget) -> TargetInputs:
    eligible = set(facilities_of_levels(data, scenario.resources[target.resource].eligible_levels))
    counted = facilities_of_levels(data, target.facility_levels) if target.facility_levels else tuple(sorted(eligible))
    denominator_facilities: tuple[str, ...] = ()
    scale = _required(data, target)
    if target.denominator_resource is not None:
        spec = scenario.resources[target.denominator_resource]
        levels = target.denominator_facility_levels or target.facility_levels or spec.eligible_levels
        denominator_eligible = set(facilities_of_levels(data, spec.eligible_levels))
        denominator_facilities = tuple(f for f in facilities_of_levels(data, levels) if f in denominator_eligible)
        base = (spec.baseline_modelled.value if spec.baseline_modelled else 0.0) + (
            counted_other_stock(scenario, data.stock, target.denominator_resource)
            - unplaced_stock(scenario, data.stock, target.denominator_resource)
        )
        scale = target.value * max(base, 1.0)
    weights = scenario.objective
    return TargetInputs(
        id=target.id,
        resource=target.resource,
        kind=target.kind,
        bound=target.bound,
        required=_required(data, target),
        facilities=tuple(f for f in counted if f in eligible),
        include_other_stock=target.include_other_stock,
        denominator_resource=target.denominator_resource,
        denominator_facilities=denominator_facilities,
        hard=target.hard,
        shortfall_weight=weights.binding_shortfall if target.binding else weights.expected_shortfall,
        scale=max(scale, 1.0),
    )


def _selected(data: Datasets, levels: Iterable[str], facility_ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(facilities_of_levels(data, levels)) | set(facility_ids)))


def _limits(scenario: Scenario, data: Datasets, resources: tuple[ResourceInputs, ...]) -> tuple[LimitInputs, ...]:
    town_population = dict(zip(data.townships["code"], data.townships["population"], strict=True))
    facility_town = dict(zip(data.facilities["facility_id"], data.facilities["town_code"], strict=True))
    # Named sub-centres are candidates even when the table does not flag them (a plain THC the plan names):
    # they get the sub-centre's bed band like every other candidate (same set as `_subcentres`).
    candidates = set(_subcentre_candidates(scenario, data))
    subcentre = scenario.subcentres
    weights = scenario.objective
    kept = {(r.name, f): r.floor_at(f) for r in resources if r.per_facility for f in r.eligible}
    limits: list[LimitInputs] = []
    for rule in scenario.facility_limits:
        for facility in _selected(data, rule.levels, rule.facility_ids):
            upper = rule.max_value
            if rule.max_per_1000_town_residents is not None:
                upper = math.floor(rule.max_per_1000_town_residents * town_population[facility_town[facility]] / 1000)
            upgraded = subcentre is not None and facility in candidates and rule.resource == "beds"
            limits.append(
                LimitInputs(
                    id=rule.id,
                    resource=rule.resource,
                    facility=facility,
                    min_value=rule.min_value,
                    max_value=kept_maximum(upper, kept.get((rule.resource, facility), 0)),
                    min_if_subcentre=None,
                    max_if_subcentre=float(subcentre.max_beds)
                    if upgraded and subcentre and upper is not None
                    else None,
                    hard=rule.hard,
                    violation_weight=weights.expected_shortfall,
                )
            )
    for limit in standard_limits(scenario, data, kept):
        upgraded = subcentre is not None and limit.facility in candidates and limit.resource == "beds"
        if upgraded and subcentre is not None and limit.max_value is not None:
            limit = replace(limit, max_if_subcentre=float(max(subcentre.max_beds, limit.max_value)))
        limits.append(limit)
    if subcentre is not None and "beds" in scenario.resources:
        limits.extend(
            LimitInputs(
                id="subcentre_beds",
                resource="beds",
                facility=facility,
                min_value=None,
                max_value=None,
                min_if_subcentre=float(subcentre.min_beds),
                max_if_subcentre=None,
                hard=True,
                violation_weight=weights.expected_shortfall,
            )
            for facility in sorted(candidates)
        )
    return tuple(limits)


def _bed_categories(scenario: Scenario, data: Datasets) -> tuple[BedCategoryInputs, ...]:
    eligible = (
        set(facilities_of_levels(data, scenario.resources["beds"].eligible_levels))
        if scenario.bed_categories
        else set()
    )
    return tuple(
        BedCategoryInputs(
            id=rule.id,
            facility=facility,
            min_beds=rule.min_beds,
            min_share=rule.min_share,
            max_share=rule.max_share,
            hard=rule.hard,
            violation_weight=scenario.objective.expected_shortfall,
        )
        for rule in scenario.bed_categories
        for facility in _selected(data, rule.levels, rule.facility_ids)
        if facility in eligible
    )


def _subcentre_candidates(scenario: Scenario, data: Datasets) -> tuple[str, ...]:
    """The facilities the model may open as sub-centres (none without a [subcentres] block)."""
    if scenario.subcentres is None:
        return ()
    return tuple(sorted(set(_candidates(data)) | set(scenario.subcentres.named_facility_ids)))


def _candidates(data: Datasets) -> tuple[str, ...]:
    flags = data.facilities["subcentre_candidate"].astype(str).str.lower() == "true"
    return tuple(data.facilities.loc[flags, "facility_id"])


def _subcentres(
    settings: SubcentreSettings,
    data: Datasets,
    matrix: TravelMatrix,
    access: dict[tuple[str, str], float],
    access_limit_min: float,
    honour_named: bool | None,
) -> SubcentreInputs:
    candidates = tuple(sorted(set(_candidates(data)) | set(settings.named_facility_ids)))
    units, _, unit_population = demand_units(data, matrix)
    column = {f: j for j, f in enumerate(units.destinations)}
    within = units.straight_km[:, [column[s] for s in candidates]] <= settings.radius_km
    covering = {
        unit: tuple(candidates[j] for j in np.flatnonzero(row)) for unit, row in zip(units.origins, within, strict=True)
    }
    is_candidate = set(candidates)
    population = dict(zip(data.townships["code"], data.townships["population"].astype(float), strict=True))
    return SubcentreInputs(
        cover_units=units.origins if matrix.demand is not None else None,
        cover_population=unit_population if matrix.demand is not None else None,
        towns=matrix.origins,
        population=population,
        candidates=candidates,
        count=settings.count,
        named=tuple(sorted(settings.named_facility_ids)),
        honour_named=settings.honour_named if honour_named is None else honour_named,
        covering=covering,
        travel_min={(t, s): m for (t, s), m in access.items() if s in is_candidate},
        access_limit_min=access_limit_min,
        upgrade_cost_cny=settings.upgrade_cost_cny.value,
        target_id=SUBCENTRE_TARGET_ID,
    )
