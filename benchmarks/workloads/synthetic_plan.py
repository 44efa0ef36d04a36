"""A synthetic province as a plan: the full planner model at province scale, built the way real plans are.

`synthetic_plan(province)` turns a `ProvinceInstance` (benchmarks/workloads/synthetic.py) into what a real plan
becomes after loading: a checked `Scenario`, `Datasets` and a `TravelMatrix`. The province then goes
through the same `optimizer.instance.plan_inputs.build_plan_inputs`, `models.build_plan_model`, result tables and
independent verifier (`optimizer.analysis.verify.check`) as Lu County, so a benchmark on it measures the code
that plans real counties. Pure and seeded: the province fixes everything, nothing is read from disk.

Facilities
    every town      one primary facility: a CHC in urban towns, a central THC (sub-centre candidate)
                    in the 10·k largest other towns, a THC elsewhere
    county towns    also a county general hospital (county seats and towns of ≥ 50,000 residents),
                    at the same point, so one access site
The plan (targets of the bundled plans, standards of scenarios/defaults/national.toml)
    targets      beds 7.5 (Xiushan), physicians 3.2 and nurses 3.8 (Mianyang) per 1,000 residents,
                 1.15 nurses per physician (Lu); all 预期性, so soft, as in the real plans
    base year    6.4 beds (a quarter of them outside the modelled facilities, fixed), 2.9 physicians
                 and 3.4 nurses per 1,000 residents
    limits       county hospitals 300–1,500 beds, primary facilities 20–99 beds (100–499 when a
                 sub-centre), hard; 0.3 physicians per bed everywhere, 0.4 nurses per bed in hospitals, soft
    ambulances   1 vehicle per 30,000 residents (base = residents, as Lu), 80 % of it existing, bases
                 at every facility (≤ 6), 5 km urban / 20 km rural and 15 min
    sub-centres  k = one per 100 towns, 20 km radius
    budget       the cost of meeting every target, the fleet rule and the k upgrades, plus 1 %: every
                 target can be met, and the optional terms (vehicles for coverage and backup, capacity
                 nearer residents) compete for the rest, so the budget binds
Travel is the straight-line fallback of real plans without road data, on the planar km coordinates:
× 1.5 detour at 25 km/h urban and 40 km/h rural, access limit 60 min.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from benchmarks.workloads.synthetic import ProvinceInstance, generate_province, road_km
from optimizer.geography.travel_times import TravelMatrix, fallback_from_km
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario

FULL_SIZE_TOWNS = 3_000
FULL_SIZE_EXTENT_KM = 300.0
TOWNS_PER_COUNTY_SEAT = 250
COUNTY_TOWN_RESIDENTS = 50_000
TOWNS_PER_SUBCENTRE = 100
CANDIDATES_PER_SUBCENTRE = 10
BUDGET_MARGIN = 0.01
ORIGIN_LON, ORIGIN_LAT = 104.0, 29.0
KM_PER_DEGREE_LAT = 110.574

PRIMARY_LEVELS = ["central_thc", "thc", "chc"]
ALL_LEVELS = ["county_general_hospital", *PRIMARY_LEVELS]
PER_1000 = {  # (base year, target) per 1,000 residents
    "beds": (6.4, 7.5),
    "physicians": (2.9, 3.2),
    "nurses": (3.4, 3.8),
}
BEDS_OUTSIDE_SHARE = 0.25
NURSES_PER_PHYSICIAN = 1.15
UNIT_COST_CNY = {"beds": 385_000.0, "physicians": 600_000.0, "nurses": 400_000.0}
BED_BANDS = {"county_general_hospital": (300, 1500), "primary": (20, 99)}
EXISTING_FLEET_SHARE = 0.8
# National standards, the same numbers as scenarios/defaults/national.toml (a test keeps them equal).
NATIONAL: dict[str, Any] = {
    "travel": {"detour_factor": 1.5, "urban_speed_kph": 25.0, "rural_speed_kph": 40.0, "max_access_min": 60.0},
    "ambulances": {
        "per_population": 30000,
        "max_per_base": 6,
        "urban_radius_km": 5.0,
        "rural_radius_km": 20.0,
        "response_max_min": 15.0,
        "unit_cost_cny": 400000.0,
    },
    "subcentres": {"radius_km": 20.0, "min_beds": 100, "max_beds": 499, "upgrade_cost_cny": 30000000.0},
}


@dataclass(frozen=True)
class SyntheticPlan:
    """A synthetic province in the shape `build_plan_inputs` and `verify.check` take."""

    scenario: Scenario
    data: Datasets
    matrix: TravelMatrix
    target_cost_cny: float
    """Cost of meeting every target, the fleet rule and the sub-centre count; the budget adds 1 %."""


def scaled_province(seed: int, n_towns: int) -> ProvinceInstance:
    """`generate_province` at the settlement density of the full-size province (3,000 towns on 300 km).

    Smaller instances keep the towns per county seat and per km², so a 40-town test and a 1,000-town
    step look like pieces of the same province; `n_towns = 3,000` is exactly `generate_province(seed)`.
    """
    return generate_province(
        seed,
        n_towns=n_towns,
        n_demand=10 * n_towns,
        n_counties=max(1, round(n_towns / TOWNS_PER_COUNTY_SEAT)),
        extent_km=FULL_SIZE_EXTENT_KM * math.sqrt(n_towns / FULL_SIZE_TOWNS),
    )


def synthetic_plan(province: ProvinceInstance) -> SyntheticPlan:
    """The plan, data and travel matrix of `province` (see the module docstring for every rule)."""
    towns = _towns(province)
    facilities, facility_xy = _facilities(province, towns)
    km = road_km(province.town_xy, facility_xy, detour=1.0, dtype=np.float64)
    scenario, target_cost = _scenario(province, towns, facilities)
    # pandas-stubs type a grouped column's sum as a Series whatever as_index; with as_index=False it is a DataFrame
    counties = cast(pd.DataFrame, towns.groupby("county_code", as_index=False)["population"].sum())
    counties = counties.rename(columns={"population": "population_2020"})
    counties["county_name"] = "synthetic county " + counties["county_code"]
    corner = _lon_lat(np.array([[0.0, 0.0], [province.extent_km, province.extent_km]]))
    boundary = gpd.GeoDataFrame({"county_code": ["province"]}, geometry=[box(*corner[0], *corner[1])], crs="EPSG:4326")
    data = Datasets(
        townships=towns,
        facilities=facilities,
        counties=counties[["county_code", "county_name", "population_2020"]],
        boundary=boundary,
        plan_reference_beds=None,
        paths={key: Path(f"synthetic/{key}") for key in ("townships", "facilities", "counties", "boundaries")},
    )
    matrix = fallback_from_km(km, towns, facilities, scenario.travel)
    return SyntheticPlan(scenario, data, matrix, target_cost)


def _lon_lat(xy: np.ndarray) -> np.ndarray:
    """Planar km → degrees around a point in Sichuan: labels for maps and co-location keys only."""
    lon = ORIGIN_LON + xy[:, 0] / (KM_PER_DEGREE_LAT * math.cos(math.radians(ORIGIN_LAT)))
    return np.column_stack([lon, ORIGIN_LAT + xy[:, 1] / KM_PER_DEGREE_LAT])


def _towns(province: ProvinceInstance) -> pd.DataFrame:
    n = len(province.town_xy)
    seats = np.flatnonzero(province.town_is_seat)
    nearest_seat = road_km(province.town_xy, province.town_xy[seats], detour=1.0).argmin(axis=1)
    county = np.array([f"99{c + 1:04d}" for c in range(len(seats))])[nearest_seat]
    population = np.maximum(1, np.round(province.town_population)).astype(np.int64)
    urban = province.town_is_seat | (population >= COUNTY_TOWN_RESIDENTS)
    lon_lat = _lon_lat(province.town_xy)
    return pd.DataFrame(
        {
            "code": [f"9{i:08d}" for i in range(n)],
            "name": [f"town {i}" for i in range(n)],
            "type": np.where(urban, "街道", "镇"),
            "county_code": county,
            "population": population,
            "population_estimated": False,
            "population_source": f"synthetic province, seed {province.seed}",
            "children_0_14": np.round(0.16 * population).astype(np.int64),
            "aged_65_plus": np.round(0.14 * population).astype(np.int64),
            "age_estimated": True,
            "settlement_class": np.where(urban, "urban", "rural"),
            "settlement_class_source": "county seat or ≥ 50,000 residents",
            "lon": lon_lat[:, 0],
            "lat": lon_lat[:, 1],
            "location_source": "synthetic",
            "location_estimated": False,
        }
    )


def _subcentre_count(n_towns: int) -> int:
    return max(1, n_towns // TOWNS_PER_SUBCENTRE)


def _facilities(province: ProvinceInstance, towns: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Facility table sorted by id, and each facility's planar point (its town's)."""
    urban = (towns["settlement_class"] == "urban").to_numpy()
    population = towns["population"].to_numpy()
    others = np.flatnonzero(~urban)
    n_candidates = min(len(others), CANDIDATES_PER_SUBCENTRE * _subcentre_count(len(towns)))
    candidates = set(others[np.argsort(-population[others], kind="stable")[:n_candidates]].tolist())
    rows = []
    for i, (code, county) in enumerate(zip(towns["code"], towns["county_code"], strict=True)):
        level = "chc" if urban[i] else "central_thc" if i in candidates else "thc"
        rows.append((f"{code}-{level.upper()}", code, county, level, i in candidates, i))
        if urban[i]:
            rows.append((f"{code}-GH1", code, county, "county_general_hospital", False, i))
    frame = pd.DataFrame(
        rows, columns=["facility_id", "town_code", "county_code", "level", "subcentre_candidate", "town_index"]
    ).sort_values("facility_id", ignore_index=True)
    xy = province.town_xy[frame.pop("town_index").to_numpy()]
    lon_lat = _lon_lat(xy)
    frame = frame.assign(
        name=frame["facility_id"],
        named_subcentre=False,
        named_emergency_station=False,
        source="synthetic",
        lon=lon_lat[:, 0],
        lat=lon_lat[:, 1],
        location_source="town point",
        location_estimated=False,
    )
    return frame, xy


def _scenario(province: ProvinceInstance, towns: pd.DataFrame, facilities: pd.DataFrame) -> tuple[Scenario, float]:
    people = float(towns["population"].sum())
    counts = facilities["level"].value_counts()
    n_hospitals = int(counts.get("county_general_hospital", 0))
    n_primary = int(sum(counts.get(level, 0) for level in PRIMARY_LEVELS))
    k = _subcentre_count(len(towns))
    amb, sub = NATIONAL["ambulances"], NATIONAL["subcentres"]
    baseline = {r: round(base * people / 1000) for r, (base, _) in PER_1000.items()}
    beds_outside = round(BEDS_OUTSIDE_SHARE * baseline["beds"])
    baseline["beds"] -= beds_outside
    needed = {r: math.ceil(target * people / 1000 - 1e-9) for r, (_, target) in PER_1000.items()}
    needed["beds"] = max(
        needed["beds"] - beds_outside,
        BED_BANDS["county_general_hospital"][0] * n_hospitals
        + BED_BANDS["primary"][0] * n_primary
        + (sub["min_beds"] - BED_BANDS["primary"][0]) * k,
    )
    needed["nurses"] = max(needed["nurses"], math.ceil(NURSES_PER_PHYSICIAN * needed["physicians"]))
    fleet = math.ceil(people / amb["per_population"] - 1e-9)
    existing_fleet = math.floor(EXISTING_FLEET_SHARE * fleet)
    cost = sum(max(needed[r] - baseline[r], 0) * UNIT_COST_CNY[r] for r in PER_1000)
    cost += (fleet - existing_fleet) * amb["unit_cost_cny"] + k * sub["upgrade_cost_cny"]
    budget = math.ceil(cost * (1 + BUDGET_MARGIN) / 1e6) * 1e6

    def cite(basis: str) -> dict[str, Any]:
        return {"basis": f"synthetic province (seed {province.seed}): {basis}", "estimated": True}

    def amount(value: float, basis: str) -> dict[str, Any]:
        return {"value": value, "source": cite(basis)}

    resources = {
        r: {
            "label_zh": label,
            "unit": r,
            "eligible_levels": ALL_LEVELS,
            "baseline_modelled": amount(baseline[r], f"{PER_1000[r][0]} per 1,000 residents in the base year"),
            "unit_cost_cny": amount(UNIT_COST_CNY[r], "the unit cost of scenarios/lu_county.toml"),
        }
        for r, label in (("beds", "床位"), ("physicians", "执业（助理）医师"), ("nurses", "注册护士"))
    }
    resources["beds"]["other_stock"] = amount(
        beds_outside, "a quarter of the base-year beds lie outside the modelled facilities and stay fixed"
    )
    targets: list[dict[str, Any]] = [
        {
            "id": f"{r}_per_1000",
            "indicator_zh": f"每千人口{resources[r]['label_zh']}数",
            "resource": r,
            "kind": "per_population",
            "value": target,
            "unit": f"{r} per 1,000 residents",
            "denominator_size": 1000,
            "denominator_population": "residents",
            "binding": False,
            "hard": False,
            "baseline": base,
            "target_year": 2025,
            "source": cite("2025 level of the bundled plans (Xiushan beds, Mianyang staff)"),
        }
        for r, (base, target) in PER_1000.items()
    ]
    targets.append(
        {
            "id": "doctor_nurse_ratio",
            "indicator_zh": "医护比",
            "resource": "nurses",
            "kind": "per_resource",
            "value": NURSES_PER_PHYSICIAN,
            "unit": "nurses per physician",
            "denominator_resource": "physicians",
            "binding": False,
            "hard": False,
            "target_year": 2025,
            "source": cite("Lu County's 1 : 1.15"),
        }
    )
    hospital_min, hospital_max = BED_BANDS["county_general_hospital"]
    primary_min, primary_max = BED_BANDS["primary"]
    limits = [
        {
            "id": "county_general_hospital_size",
            "resource": "beds",
            "levels": ["county_general_hospital"],
            "min_value": hospital_min,
            "max_value": hospital_max,
            "hard": True,
            "source": cite("county general hospitals of 300–1,500 beds"),
        },
        {
            "id": "primary_facility_beds",
            "resource": "beds",
            "levels": PRIMARY_LEVELS,
            "max_value": primary_max,
            "hard": True,
            "source": cite("tier-1 institutions have at most 99 beds (1994 basic standard)"),
        },
        {
            "id": "inpatient_minimum",
            "resource": "beds",
            "levels": ALL_LEVELS,
            "min_value": primary_min,
            "hard": True,
            "source": cite("at least 20 inpatient beds (1994 basic standard)"),
        },
    ]
    staff_per_bed = [
        {
            "id": "nurses_per_bed",
            "resource": "nurses",
            "levels": ["county_general_hospital"],
            "min_per_bed": 0.4,
            "hard": False,
            "source": cite("0.4 nurses per hospital bed (1994 basic standard)"),
        },
        {
            "id": "physicians_per_bed",
            "resource": "physicians",
            "levels": ALL_LEVELS,
            "min_per_bed": 0.3,
            "hard": False,
            "source": cite("0.3 physicians per bed, as scenarios/lu_county.toml"),
        },
    ]
    national = cite("scenarios/defaults/national.toml")
    raw: dict[str, Any] = {
        "scenario": {
            "id": f"synthetic_province_{province.seed}_{len(towns)}",
            "name_zh": "合成省份",
            "plan_seed": "synthetic",
            "base_year": 2020,
            "target_year": 2025,
        },
        "area": {"name_zh": "合成省份", "county_codes": sorted(set(towns["county_code"]))},
        "data": {key: f"synthetic/{key}" for key in ("townships", "counties", "facilities", "boundaries")},
        "travel": {**NATIONAL["travel"], "source": national},
        "resources": resources,
        "targets": targets,
        "facility_limits": limits,
        "staff_per_bed": staff_per_bed,
        "ambulances": {
            **{key: value for key, value in amb.items() if key != "unit_cost_cny"},
            "base_multiplier": 1.0,
            "alternative_base_multiplier": 3.0,
            "existing_fleet": amount(existing_fleet, "80 % of the fleet rule exists"),
            "eligible_levels": ALL_LEVELS,
            "unit_cost_cny": amount(amb["unit_cost_cny"], "national.toml"),
            "fleet_hard": False,
            "fleet_binding": False,
            "fleet_source": national,
            "radius_source": national,
            "decision": "base = residents, as Lu County",
        },
        "subcentres": {
            **{key: value for key, value in sub.items() if key != "upgrade_cost_cny"},
            "count": k,
            "upgrade_cost_cny": amount(sub["upgrade_cost_cny"], "national.toml"),
            "beds_source": national,
            "source": cite("one sub-centre per 100 towns"),
            "decision": "free choice among the central THCs",
        },
        "budget": {"budget_cny": amount(budget, f"cost of meeting every target ({cost:,.0f} CNY) plus 1 %")},
    }
    return Scenario.model_validate(raw), float(cost)
