"""A scenario's [ambulances] block as the inputs of `models.planner.ambulances`.

The plan wording becomes sets and numbers (docs/decisions.md):
    [A1/A3] the area's fleet: ceil(multiplier × residents / persons per vehicle) + special vehicles;
    [A2]    a county with its own multiplier (`base_multiplier_by_county`) holds its own fleet at the
            bases inside it; the area's fleet is then the sum of the county rules (+ special vehicles);
    [A4]    R(t): eligible bases within the town's class radius (urban 5 km / rural 20 km, straight
            line), a hard rule unless `radius_hard = false`; N(t): within the preferred radius
            (urban 5 km / rural 10 km) and the per-town response time, for the coverage term;
    [A7]    travel minutes from every town to every eligible base, for the population-weighted mean.
A town no eligible base can reach within its radius is refused before the solve, by name, with the fix.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from models.planner.ambulances import AmbulanceInputs, CountyFleet, ResponseMean
from models.tolerances import ROUNDING_GUARD
from optimizer.errors import Problem, ScenarioError
from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.network_schema import AmbulanceSettings
from optimizer.inputs.scenario import Scenario

FLEET_TARGET_ID = "ambulance_fleet"


def fleet_required(settings: AmbulanceSettings, population: float, multiplier: float) -> int:
    """Vehicles the fleet rule asks for: ceil(multiplier × population / persons per vehicle) + extras."""
    return _vehicles(settings, population, multiplier) + settings.extra_special_vehicles


def _vehicles(settings: AmbulanceSettings, population: float, multiplier: float) -> int:
    return math.ceil(multiplier * population / settings.per_population - ROUNDING_GUARD)


def county_residents(data: Datasets) -> dict[str, float]:
    """Resident population per county of the area (the townships' sum), by county code."""
    totals = data.townships.groupby("county_code")["population"].sum()
    return {str(code): float(people) for code, people in totals.items()}


def county_fleet_required(settings: AmbulanceSettings, data: Datasets) -> dict[str, int]:
    """[A2] Each county with its own multiplier: ceil(m_c × its residents / persons per vehicle)."""
    residents = county_residents(data)
    return {
        county: _vehicles(settings, residents.get(county, 0.0), multiplier)
        for county, multiplier in sorted(settings.base_multiplier_by_county.items())
    }


def area_fleet_required(settings: AmbulanceSettings, data: Datasets) -> int:
    """The area's fleet: the county rules plus `base_multiplier` over the other counties, plus extras."""
    if not settings.base_multiplier_by_county:
        return fleet_required(settings, data.total_population, settings.base_multiplier)
    others = sum(p for c, p in county_residents(data).items() if c not in settings.base_multiplier_by_county)
    county_total = sum(county_fleet_required(settings, data).values())
    return county_total + fleet_required(settings, others, settings.base_multiplier)


def class_radius_km(
    settings: AmbulanceSettings, settlement_class: np.ndarray, *, preferred: bool = False
) -> np.ndarray:
    """Per origin (of the given township classes): its class radius (urban / rural km), or the preferred
    one ([A4] rural 10 km)."""
    rural = settings.rural_preferred_radius_km if preferred else settings.rural_radius_km
    return np.where(np.asarray(settlement_class) == "urban", settings.urban_radius_km, rural)


def within_class_radius(settlement_class: np.ndarray, matrix: TravelMatrix, settings: AmbulanceSettings) -> np.ndarray:
    """Boolean origins × facilities: the facility lies within the origin's class radius (straight km) [A4]."""
    return matrix.straight_km <= class_radius_km(settings, settlement_class)[:, None]


def ambulance_standard(settlement_class: np.ndarray, matrix: TravelMatrix, settings: AmbulanceSettings) -> np.ndarray:
    """Boolean origins × facilities: within the origin's preferred radius and the response-time limit.

    This is the standard the coverage term counts (N(t), over demand points); the hard maximum is
    `within_class_radius` at the township seats.
    """
    preferred = matrix.straight_km <= class_radius_km(settings, settlement_class, preferred=True)[:, None]
    return preferred & (matrix.minutes <= settings.response_max_min)


def demand_units(data: Datasets, matrix: TravelMatrix) -> tuple[TravelMatrix, np.ndarray, dict[str, float]]:
    """What the coverage terms count: the demand points (their matrix, township classes and persons), or
    the towns themselves when the matrix has no points."""
    if matrix.demand is None:
        population = dict(zip(data.townships["code"], data.townships["population"].astype(float), strict=True))
        return matrix, data.townships["settlement_class"].to_numpy(), population
    points = matrix.demand.points
    return matrix.demand.matrix, points.frame["settlement_class"].to_numpy(), points.population_of()


def ambulance_inputs(
    scenario: Scenario, settings: AmbulanceSettings, data: Datasets, matrix: TravelMatrix
) -> AmbulanceInputs:
    """The ambulance block's inputs (module docstring).

    Raises
    ------
    ScenarioError
        When the radius is hard and a town has no eligible base within its class radius.
    """
    bases = set(facilities_of(data, settings))
    is_base = np.array([f in bases for f in matrix.destinations], dtype=bool)
    units, unit_class, population = demand_units(data, matrix)
    covering = _sets(units, ambulance_standard(unit_class, units, settings) & is_base[None, :])
    seat_class = data.townships["settlement_class"].to_numpy()
    radius = _sets(matrix, within_class_radius(seat_class, matrix, settings) & is_base[None, :])
    if settings.radius_hard:
        _refuse_unreachable(settings, data, matrix, is_base, radius)
    weights = scenario.objective
    return AmbulanceInputs(
        towns=units.origins,
        population=population,
        bases=tuple(sorted(bases)),
        covering=covering,
        fleet_required=area_fleet_required(settings, data),
        fleet_hard=settings.fleet_hard,
        fleet_shortfall_weight=weights.binding_shortfall if settings.fleet_binding else weights.expected_shortfall,
        existing_fleet=existing_fleet(settings, data),
        max_per_base=settings.max_per_base,
        unit_cost_cny=settings.unit_cost_cny.value,
        target_id=FLEET_TARGET_ID,
        existing_at={f: n for f, n in data.stock.of("ambulances").items() if f in bases},
        named_stations=named_stations(data, bases),
        within_radius=radius if settings.radius_hard else None,
        county_fleet=_county_fleets(settings, data, bases),
        response_mean=_response_mean(scenario, settings, units, is_base),
    )


def facilities_of(data: Datasets, settings: AmbulanceSettings) -> tuple[str, ...]:
    """The facilities that may station vehicles (`eligible_levels`), sorted."""
    facilities = data.facilities
    return tuple(sorted(facilities.loc[facilities["level"].isin(settings.eligible_levels), "facility_id"]))


def _sets(matrix: TravelMatrix, mask: np.ndarray) -> dict[str, tuple[str, ...]]:
    return {
        town: tuple(matrix.destinations[j] for j in np.flatnonzero(row))
        for town, row in zip(matrix.origins, mask, strict=True)
    }


def _refuse_unreachable(
    settings: AmbulanceSettings,
    data: Datasets,
    matrix: TravelMatrix,
    is_base: np.ndarray,
    radius: dict[str, tuple[str, ...]],
) -> None:
    towns = data.townships.set_index("code")
    nearest = np.where(is_base[None, :], matrix.straight_km, np.inf).min(axis=1)
    limits = class_radius_km(settings, data.townships["settlement_class"].to_numpy())
    lost = [
        f"{str(towns.at[t, 'name'])} {t} ({str(towns.at[t, 'settlement_class'])}: "
        f"nearest eligible base {km:.1f} km > {limit:g} km)"
        for t, km, limit in zip(matrix.origins, nearest, limits, strict=True)
        if not radius[t]
    ]
    if lost:
        raise ScenarioError(
            [
                Problem(
                    data.paths.get("facilities", Path("facilities.csv")),
                    "ambulances.radius_hard",
                    f"{len(lost)} town(s) reach no facility that may station a vehicle within their class radius "
                    f"(A4 hard maximum): {'; '.join(lost[:10])}. Add an eligible facility near them, add its level "
                    "to ambulances.eligible_levels, widen ambulances.rural_radius_km / urban_radius_km, or set "
                    "ambulances.radius_hard = false (the radius then only shapes coverage in the objective)",
                )
            ]
        )


def _county_fleets(settings: AmbulanceSettings, data: Datasets, bases: set[str]) -> tuple[CountyFleet, ...]:
    facilities = data.facilities
    county_of = dict(zip(facilities["facility_id"], facilities["county_code"].astype(str), strict=True))
    return tuple(
        CountyFleet(
            county=county,
            bases=tuple(sorted(b for b in bases if county_of.get(b) == county)),
            required=required,
            target_id=f"{FLEET_TARGET_ID}_{county}",
        )
        for county, required in county_fleet_required(settings, data).items()
    )


def _response_mean(
    scenario: Scenario, settings: AmbulanceSettings, matrix: TravelMatrix, is_base: np.ndarray
) -> ResponseMean | None:
    if settings.response_mean_max_min is None:
        return None
    rows, cols = np.nonzero(np.isfinite(matrix.minutes) & is_base[None, :])
    travel = {
        (matrix.origins[i], matrix.destinations[j]): float(matrix.minutes[i, j])
        for i, j in zip(rows, cols, strict=True)
    }
    weights = scenario.objective
    return ResponseMean(
        max_min=settings.response_mean_max_min,
        hard=settings.response_mean_hard,
        shortfall_weight=weights.binding_shortfall if settings.fleet_binding else weights.expected_shortfall,
        travel_min=travel,
    )


def existing_fleet(settings: AmbulanceSettings, data: Datasets) -> int:
    """Vehicles in service: the scenario's figure, else the sum of the facility stock, else 0."""
    if settings.existing_fleet is not None:
        return int(settings.existing_fleet.value)
    return sum(data.stock.of("ambulances").values())


def named_stations(data: Datasets, bases: set[str]) -> tuple[str, ...]:
    """The 120 stations the plan names (`named_emergency_station`) that may station vehicles, sorted."""
    flags = data.facilities["named_emergency_station"].astype(str).str.lower() == "true"
    return tuple(sorted(set(data.facilities.loc[flags, "facility_id"]) & bases))
