"""Rule rows of targets.csv for the emergency network and the sub-centres.

    ambulance_fleet            the area's fleet rule [A1/A3], vehicles
    ambulance_fleet_<county>   a county's own fleet at its own bases [A2], vehicles
    ambulance_radius           towns farther than their class radius from every base holding a vehicle [A4]
    ambulance_response_mean    the population-weighted mean minutes to the nearest stationed base [A7]
    subcentres                 the number of sub-centres; subcentre_named: the ones the plan names
Counts are read from the allocation table and the coverage per town (`towns.csv`), never from the model.
"""

from __future__ import annotations

import numpy as np

from optimizer.instance.ambulance_rules import (
    area_fleet_required,
    county_fleet_required,
    existing_fleet,
)
from optimizer.solving.rule_rows import Row, RuleContext, listed, rule_row


def fleet_rows(context: RuleContext) -> list[Row]:
    """The area's fleet, then one row per county with its own multiplier."""
    settings, data, allocation = context.scenario.ambulances, context.data, context.allocation
    if settings is None:
        return []
    fleet = float(allocation["ambulances"].sum())
    known = settings.existing_fleet is not None or data.stock.known("ambulances")
    source = settings.fleet_source
    rows = [
        rule_row(
            rule_id="ambulance_fleet",
            indicator="救护车数量",
            unit="vehicles",
            bound=">=",
            baseline=existing_fleet(settings, data) if known else None,
            target=float(area_fleet_required(settings, data)),
            achieved=fleet,
            binding=settings.fleet_binding,
            hard=settings.fleet_hard,
            cited=source,
        )
    ]
    county_of = allocation["facility_id"].map(
        dict(zip(data.facilities["facility_id"], data.facilities["county_code"].astype(str), strict=True))
    )
    names = dict(zip(data.counties["county_code"].astype(str), data.counties["county_name"], strict=True))
    for county, required in county_fleet_required(settings, data).items():
        multiplier = settings.base_multiplier_by_county[county]
        rows.append(
            rule_row(
                rule_id=f"ambulance_fleet_{county}",
                rule_kind="ambulance_fleet",
                indicator=f"救护车数量（{names.get(county, county)}，{multiplier:g}倍人口基数）",
                unit="vehicles",
                bound=">=",
                target=float(required),
                achieved=float(allocation.loc[county_of == county, "ambulances"].sum()),
                binding=settings.fleet_binding,
                hard=settings.fleet_hard,
                cited=source,
            )
        )
    return rows


def radius_rows(context: RuleContext) -> list[Row]:
    """[A4] Township seats outside their class radius (urban / rural km) of every base holding a vehicle."""
    settings, towns = context.scenario.ambulances, context.towns
    if settings is None or towns is None:
        return []
    urban = towns["settlement_class"].to_numpy() == "urban"
    radius = np.where(urban, settings.urban_radius_km, settings.rural_radius_km)
    km = towns["seat_km_to_ambulance"].to_numpy(float)
    outside = km > radius
    people = float(towns.loc[outside, "population"].sum())
    names = [
        f"{name} {distance:.1f} km > {limit:g} km"
        for name, distance, limit in zip(towns.loc[outside, "name"], km[outside], radius[outside], strict=True)
    ]
    return [
        rule_row(
            rule_id="ambulance_radius",
            indicator=f"急救服务半径（城市≤{settings.urban_radius_km:g}公里，农村≤{settings.rural_radius_km:g}公里）",
            unit="towns",
            bound="<=",
            target=0.0,
            achieved=float(outside.sum()),
            hard=settings.radius_hard,
            cited=settings.radius_source,
            detail=f"{int(outside.sum())} towns, {people:,.0f} residents: {listed(names)}" if names else "",
        )
    ]


def response_mean_rows(context: RuleContext) -> list[Row]:
    """[A7] The population-weighted mean travel minutes from each town to its nearest stationed base."""
    settings, towns = context.scenario.ambulances, context.towns
    if settings is None or towns is None or settings.response_mean_max_min is None:
        return []
    population = towns["population"].to_numpy(float)
    mean = float((population * towns["minutes_to_ambulance"].to_numpy(float)).sum() / max(population.sum(), 1.0))
    source = settings.response_source or settings.radius_source
    return [
        rule_row(
            rule_id="ambulance_response_mean",
            indicator="120平均急救反应时间",
            unit="minutes",
            bound="<=",
            target=settings.response_mean_max_min,
            achieved=mean,
            hard=settings.response_mean_hard,
            cited=source,
            detail=f"mean {mean:.2f} min over {len(towns)} towns (travel to the nearest base holding a vehicle)",
        )
    ]


def subcentre_rows(context: RuleContext) -> list[Row]:
    """The number of sub-centres, and (when honoured) the sub-centres the plan names."""
    settings, allocation = context.scenario.subcentres, context.allocation
    if settings is None:
        return []
    chosen = set(allocation.loc[allocation["is_subcentre"].astype(bool), "facility_id"])
    rows = [
        rule_row(
            rule_id="subcentres",
            rule_kind="subcentre_count",
            indicator="县域医疗卫生次中心",
            unit="sub-centres",
            bound="=",
            target=float(settings.count),
            achieved=float(len(chosen)),
            hard=True,
            cited=settings.source,
        )
    ]
    if settings.named_facility_ids and settings.honour_named:
        names = dict(zip(allocation["facility_id"], allocation["name"], strict=True))
        missing = [names.get(f, f) for f in settings.named_facility_ids if f not in chosen]
        rows.append(
            rule_row(
                rule_id="subcentre_named",
                indicator="规划点名的次中心",
                unit="sub-centres",
                bound=">=",
                target=float(len(settings.named_facility_ids)),
                achieved=float(len(settings.named_facility_ids) - len(missing)),
                hard=True,
                cited=settings.source,
                detail=listed(missing),
            )
        )
    return rows
