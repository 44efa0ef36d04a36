"""Load and check the data tables a scenario names: townships, facilities, counties, boundaries.

This module owns the order of loading and what ties the tables to the area: the required columns of
each table, the area filter by county code, the scenario's references to facility ids and levels, and
the opt-in county-seat placement. It returns the checked `Datasets` record. The row and code checks
of each table are `optimizer.inputs.dataset_checks`; reading a CSV file and checking single cells is
`optimizer.inputs.tables`; the county polygons are `optimizer.inputs.boundaries`. Real data that replace
estimates (census table, facility registry, settlement points, population raster; docs/data.md) are read
by their own modules and applied here before the tables are checked against the area.

Every problem in every table is collected and raised once as a `DataError` naming the file, the row
and column, and the fix. Estimated values keep their flag columns, so the report can name them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from optimizer.errors import DataError, Problem
from optimizer.inputs.boundaries import check_inside, read_boundary
from optimizer.inputs.census_table import SOURCE_PREFIX as CENSUS_SOURCE
from optimizer.inputs.census_table import apply_census, read_census_table
from optimizer.inputs.dataset_checks import (
    check_counties,
    check_facilities,
    check_facility_codes,
    check_township_codes,
    check_townships,
    read_plan_reference,
)
from optimizer.inputs.facility_registry import SOURCE_PREFIX as REGISTRY_SOURCE
from optimizer.inputs.facility_registry import apply_registry, read_facility_registry
from optimizer.inputs.facility_stock import FacilityStock, check_stock_eligibility, read_facility_stock
from optimizer.inputs.feature_selection import check_feature_targets
from optimizer.inputs.plan_entries import PlanEntry, check_entry_references, read_plan_entries
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_loading import resolve
from optimizer.inputs.settlement_points import check_population_raster, read_settlement_points
from optimizer.inputs.tables import read_flags, read_table, replaced_note
from optimizer.inputs.village_counts import read_village_counts

logger = logging.getLogger(__name__)

TOWNSHIP_COLUMNS = (
    "code",
    "name",
    "type",
    "county_code",
    "population",
    "population_estimated",
    "population_source",
    "children_0_14",
    "aged_65_plus",
    "age_estimated",
    "settlement_class",
    "settlement_class_source",
    "lon",
    "lat",
    "location_source",
    "location_estimated",
)
FACILITY_COLUMNS = (
    "facility_id",
    "name",
    "county_code",
    "town_code",
    "level",
    "subcentre_candidate",
    "named_subcentre",
    "named_emergency_station",
    "source",
    "lon",
    "lat",
    "location_source",
    "location_estimated",
)
COUNTY_COLUMNS = ("county_code", "county_name", "population_2020")
TOWNSHIP_FLAGS = ("population_estimated", "age_estimated", "location_estimated")
FACILITY_FLAGS = ("subcentre_candidate", "named_subcentre", "named_emergency_station", "location_estimated")


OPTIONAL_TABLES = (
    "plan_reference_beds",
    "facility_stock",
    "plan_entries",
    "village_counts",
    "census_table",
    "facility_registry",
    "settlement_points",
    "population_raster",
)
"""The optional `[data]` files: read when the scenario names them (paths checked like the required ones)."""


@dataclass(frozen=True)
class Datasets:
    """The checked tables of one scenario's area, sorted by code and id."""

    townships: pd.DataFrame
    facilities: pd.DataFrame
    counties: pd.DataFrame
    boundary: gpd.GeoDataFrame
    plan_reference_beds: pd.DataFrame | None
    paths: dict[str, Path]
    stock: FacilityStock = field(default_factory=FacilityStock)
    plan_entries: tuple[PlanEntry, ...] = ()
    village_counts: pd.DataFrame | None = None
    """Village and community committees per township (`data.village_counts`), or None."""
    settlement_points: pd.DataFrame | None = None
    """Checked settlement points (`data.settlement_points`; columns of `SETTLEMENT_COLUMNS`), or None."""
    population_raster: Path | None = None
    """The population raster (`data.population_raster`), checked to open; summed per demand cell later."""

    @property
    def total_population(self) -> float:
        """Resident population of the whole area."""
        return float(self.townships["population"].sum())

    def estimated_fields(self) -> list[str]:
        """Plain-language list of the estimated values in these tables, for the report."""
        notes = []
        towns = self.townships
        notes += replaced_note(towns["population_source"], CENSUS_SOURCE, "township resident population", "townships")
        for flag, what in (
            ("population_estimated", "township resident population"),
            ("age_estimated", "township age groups (county shares)"),
            ("location_estimated", "township location"),
        ):
            count = int(towns[flag].sum())
            if count:
                notes.append(f"{what}: {count} of {len(towns)} townships estimated")
        notes += replaced_note(self.facilities["location_source"], REGISTRY_SOURCE, "facility location", "facilities")
        count = int(self.facilities["location_estimated"].sum())
        if count:
            notes.append(f"facility location: {count} of {len(self.facilities)} placed at their township seat")
        if self.settlement_points is not None:
            given = self.settlement_points["town_code"].nunique()
            notes.append(
                f"where residents live: settlement_points {self.paths['settlement_points'].name} for {given} of "
                f"{len(towns)} townships"
            )
        if self.population_raster is not None:
            notes.append(f"residents within townships weighted by population_raster {self.population_raster.name}")
        entries = self.stock.entries.values()
        estimated = sum(1 for e in entries if e.estimated)
        if estimated:
            notes.append(
                f"base-year stock per facility: {estimated} of {len(entries)} values estimated from the area's "
                "published totals by grade weights (method per value in facility_stock.csv; "
                "data/facilities/PROVENANCE.md)"
            )
        return notes


def load_datasets(scenario: Scenario, scenario_path: Path) -> Datasets:
    """Read every table the scenario names, keep the scenario's area, and check them together.

    Raises
    ------
    DataError
        Listing every problem found (missing file or column, bad code, bad number, unknown town,
        point outside the area).
    """
    paths = {
        "townships": resolve(scenario_path, scenario.data.townships),
        "facilities": resolve(scenario_path, scenario.data.facilities),
        "counties": resolve(scenario_path, scenario.data.counties),
        "boundaries": resolve(scenario_path, scenario.data.boundaries),
    }
    for key in OPTIONAL_TABLES:
        given = getattr(scenario.data, key)
        if given is not None:
            paths[key] = resolve(scenario_path, given)
    problems: list[Problem] = []
    if not scenario.data.allow_outside_project:
        _check_inside_project(scenario_path, paths)
    missing = [
        Problem(p, "(file)", f"not found; fix data.{key} in the scenario")
        for key, p in paths.items()
        if not p.is_file()
    ]
    if missing:
        raise DataError(missing)

    codes = set(scenario.area.county_codes)
    townships = read_table(paths["townships"], TOWNSHIP_COLUMNS, {"code": str, "county_code": str}, problems)
    facilities = read_table(
        paths["facilities"], FACILITY_COLUMNS, {"facility_id": str, "county_code": str, "town_code": str}, problems
    )
    counties = read_table(paths["counties"], COUNTY_COLUMNS, {"county_code": str}, problems)
    if problems:
        raise DataError(problems)

    # Code consistency is checked before the area filter: a typo in a county_code would otherwise drop
    # the row silently (a county hospital lost, and the plan still "optimal").
    check_township_codes(townships, codes, paths["townships"], problems)
    check_facility_codes(facilities, townships, codes, paths["facilities"], problems)
    check_counties(counties, codes, paths["counties"], problems)
    if problems:
        raise DataError(problems)
    every_facility = tuple(facilities["facility_id"])
    townships = townships[townships["county_code"].isin(codes)].copy()
    facilities = facilities[facilities["county_code"].isin(codes)].copy()
    counties = counties[counties["county_code"].isin(codes)].copy()
    if scenario.data.missing_location == "county_seat":
        townships, facilities = _place_at_county_seat(townships, facilities, counties)
    for code in sorted(codes - set(counties["county_code"])):
        problems.append(
            Problem(paths["counties"], "county_code", f"area county {code} has no row; add it or fix area.county_codes")
        )
    if townships.empty:
        problems.append(
            Problem(
                paths["townships"],
                "county_code",
                f"no township belongs to area.county_codes {sorted(codes)}; check the codes",
            )
        )
    check_townships(townships, paths["townships"], problems)
    check_facilities(facilities, set(townships["code"]), paths["facilities"], problems)
    townships = read_flags(townships, TOWNSHIP_FLAGS, paths["townships"], problems)
    facilities = read_flags(facilities, FACILITY_FLAGS, paths["facilities"], problems)
    boundary = read_boundary(paths["boundaries"], codes, problems)
    if problems:
        raise DataError(problems)
    if "census_table" in paths:
        census = read_census_table(paths["census_table"], townships)
        townships = apply_census(townships, census, paths["census_table"], counties)
    if "facility_registry" in paths:
        registry = read_facility_registry(paths["facility_registry"], facilities, boundary)
        facilities = apply_registry(facilities, registry, paths["facility_registry"])
    check_inside(townships, boundary, paths["townships"], "code", problems)
    check_inside(facilities, boundary, paths["facilities"], "facility_id", problems)
    if problems:
        raise DataError(problems)

    for code, settlement in scenario.settlement_class_overrides.items():
        if code not in set(townships["code"]):
            raise DataError.single(
                paths["townships"],
                "code",
                f"settlement_class_overrides names unknown township {code}; fix the scenario",
            )
        townships.loc[townships["code"] == code, ["settlement_class", "settlement_class_source"]] = (
            settlement,
            "scenario override",
        )

    reference = None
    if "plan_reference_beds" in paths:
        reference = read_plan_reference(paths["plan_reference_beds"], codes, problems)
    check_references(scenario, facilities, paths["facilities"], problems)
    if reference is not None:
        for facility_id in sorted(set(reference["facility_id"]) - set(facilities["facility_id"])):
            logger.warning(
                "%s: facility_id: %s is not a facility of the area in %s; its plan beds are shown "
                "without an optimized value (fix the id if that is a typo)",
                paths["plan_reference_beds"],
                facility_id,
                paths["facilities"].name,
            )
    entries: tuple[PlanEntry, ...] = ()
    if "plan_entries" in paths:
        entries = read_plan_entries(paths["plan_entries"], scenario.scenario.plan_seed, problems)
        check_entry_references(scenario, entries, scenario_path, problems)
    check_feature_targets(scenario, facilities, scenario_path, problems)
    if problems:
        raise DataError(problems)
    stock = FacilityStock()
    if "facility_stock" in paths:
        resources = (*scenario.resources, *(["ambulances"] if scenario.ambulances else []))
        stock = read_facility_stock(paths["facility_stock"], every_facility, facilities["facility_id"], resources)
        check_stock_eligibility(scenario, facilities, stock, paths["facility_stock"])
    villages = None
    if "village_counts" in paths:
        villages = read_village_counts(paths["village_counts"], townships)
    settlements = None
    if "settlement_points" in paths:
        settlements = read_settlement_points(paths["settlement_points"], townships, boundary)
    if "population_raster" in paths:
        check_population_raster(paths["population_raster"])
    return Datasets(
        village_counts=villages,
        settlement_points=settlements,
        population_raster=paths.get("population_raster"),
        townships=townships.sort_values("code").reset_index(drop=True),
        facilities=facilities.sort_values("facility_id").reset_index(drop=True),
        counties=counties.sort_values("county_code").reset_index(drop=True),
        boundary=boundary,
        plan_reference_beds=reference,
        paths=paths,
        stock=stock,
        plan_entries=entries,
    )


def check_references(scenario: Scenario, facilities: pd.DataFrame, path: Path, problems: list[Problem]) -> None:
    """Facility ids and levels the scenario names must exist in the area's facility table.

    Run by `load_datasets`, so `optimizer check` reports them exactly as `optimizer run` would.
    """
    known = set(facilities["facility_id"])
    references: list[tuple[str, Iterable[str]]] = [
        (f"facility_limits.{rule.id}.facility_ids", rule.facility_ids) for rule in scenario.facility_limits
    ]
    references += [(f"bed_categories.{rule.id}.facility_ids", rule.facility_ids) for rule in scenario.bed_categories]
    references += [(f"facility_grades.{g.grade}", [g.facility_id]) for g in scenario.facility_grades]
    references += [(f"facility_sizes.{size.id}.facility_id", [size.facility_id]) for size in scenario.facility_sizes]
    references += [(f"features.{f.id}.facility_ids", f.facility_ids) for f in scenario.features]
    references += [(f"features.{f.id}.existing_facility_ids", f.existing_facility_ids) for f in scenario.features]
    references += [(f"feature_targets.{t.id}.facility_ids", t.facility_ids) for t in scenario.feature_targets]
    if scenario.subcentres is not None:
        references.append(("subcentres.named_facility_ids", scenario.subcentres.named_facility_ids))
    levels = dict(zip(facilities["facility_id"], facilities["level"], strict=True))
    for size in scenario.facility_sizes:
        spec = scenario.resources.get(size.resource)
        level = levels.get(size.facility_id)
        if spec is not None and level is not None and level not in spec.eligible_levels:
            problems.append(
                Problem(
                    path,
                    f"facility_sizes.{size.id}",
                    f"{size.facility_id} is a {level}, where the scenario allocates no {size.resource}; "
                    f"add '{level}' to resources.{size.resource}.eligible_levels or fix the facility id",
                )
            )
    for where, ids in references:
        for facility_id in ids:
            if facility_id not in known:
                problems.append(
                    Problem(
                        path,
                        where,
                        f"facility '{facility_id}' is not in {path.name} for the area's counties; fix the id",
                    )
                )
    if scenario.hierarchy is not None and not set(scenario.hierarchy.top_levels) & set(facilities["level"]):
        problems.append(
            Problem(
                path,
                "level",
                f"no facility has a level in hierarchy.top_levels "
                f"{scenario.hierarchy.top_levels}; add the county hospital or emergency centre, "
                "or change hierarchy.top_levels in the scenario",
            )
        )


def _place_at_county_seat(
    towns: pd.DataFrame, facilities: pd.DataFrame, counties: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give towns without a point their county seat's point (flagged), and move their facilities with them.

    The opt-in fallback for townships created after the 2016 point source (data/population/PROVENANCE.md):
    coverage for them is then measured from the county seat, which the report names as an estimate.
    """
    if not {"seat_lon", "seat_lat"} <= set(counties.columns):
        return towns, facilities
    seats = counties.set_index("county_code")[["seat_lon", "seat_lat"]]
    missing = towns["lon"].isna() | towns["lat"].isna()
    if not missing.any():
        return towns, facilities
    towns = towns.copy()
    towns.loc[missing, "lon"] = towns.loc[missing, "county_code"].map(seats["seat_lon"])
    towns.loc[missing, "lat"] = towns.loc[missing, "county_code"].map(seats["seat_lat"])
    towns.loc[missing, "location_source"] = "county_seat_fallback"
    towns.loc[missing, "location_estimated"] = True
    moved = facilities["town_code"].isin(set(towns.loc[missing, "code"])) & (
        facilities["lon"].isna() | facilities["lat"].isna()
    )
    if not moved.any():
        return towns, facilities
    points = towns.set_index("code")[["lon", "lat"]]
    facilities = facilities.copy()
    facilities.loc[moved, "lon"] = facilities.loc[moved, "town_code"].map(points["lon"])
    facilities.loc[moved, "lat"] = facilities.loc[moved, "town_code"].map(points["lat"])
    facilities.loc[moved, "location_source"] = "county_seat_fallback"
    facilities.loc[moved, "location_estimated"] = True
    logger.warning("%d townships without a point placed at their county seat (estimated)", int(missing.sum()))
    return towns, facilities


def _check_inside_project(scenario_path: Path, paths: dict[str, Path]) -> None:
    """Data paths must stay in the project's data/ folder or the scenario's own folder."""
    folder = Path(scenario_path).resolve().parent
    roots = (folder.parent / "data", folder)
    outside = [
        Problem(
            Path(scenario_path),
            f"data.{key}",
            f"{path} lies outside {roots[0]} and {roots[1]}; move the file there, or set "
            "data.allow_outside_project = true if that is intended",
        )
        for key, path in paths.items()
        if not any(path.is_relative_to(root) for root in roots)
    ]
    if outside:
        raise DataError(outside)
