"""Load and check the data tables a scenario names: townships, facilities, counties, boundaries.

This module owns what the tables must hold and how they agree: the required columns of each table,
the codes that tie townships, facilities and counties to the area, the row checks, the scenario's
references to facility ids and levels, and the opt-in county-seat placement. It returns the checked
`Datasets` record. Reading a CSV file and checking single cells is `optimizer.inputs.tables`; the
county polygons are `optimizer.inputs.boundaries`.

Every problem in every table is collected and raised once as a `DataError` naming the file, the row
and column, and the fix. Estimated values keep their flag columns, so the report can name them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from optimizer.errors import DataError, Problem
from optimizer.inputs.boundaries import check_inside, read_boundary
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_loading import resolve
from optimizer.inputs.tables import as_number, check_point, numbered_rows, read_flags, read_table

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
REFERENCE_COLUMNS = ("county_code", "facility_id", "plan_beds")
TOWNSHIP_FLAGS = ("population_estimated", "age_estimated", "location_estimated")
FACILITY_FLAGS = ("subcentre_candidate", "named_subcentre", "named_emergency_station", "location_estimated")
LEVELS = frozenset(
    {"county_general_hospital", "county_tcm_hospital", "specialty_hospital", "mch_center", "central_thc", "thc", "chc"}
)


@dataclass(frozen=True)
class Datasets:
    """The checked tables of one scenario's area, sorted by code and id."""

    townships: pd.DataFrame
    facilities: pd.DataFrame
    counties: pd.DataFrame
    boundary: gpd.GeoDataFrame
    plan_reference_beds: pd.DataFrame | None
    paths: dict[str, Path]

    @property
    def total_population(self) -> float:
        """Resident population of the whole area."""
        return float(self.townships["population"].sum())

    def estimated_fields(self) -> list[str]:
        """Plain-language list of the estimated values in these tables, for the report."""
        notes = []
        towns = self.townships
        for flag, what in (
            ("population_estimated", "township resident population"),
            ("age_estimated", "township age groups (county shares)"),
            ("location_estimated", "township location"),
        ):
            count = int(towns[flag].sum())
            if count:
                notes.append(f"{what}: {count} of {len(towns)} townships estimated")
        count = int(self.facilities["location_estimated"].sum())
        if count:
            notes.append(f"facility location: {count} of {len(self.facilities)} placed at their township seat")
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
    if scenario.data.plan_reference_beds is not None:
        paths["plan_reference_beds"] = resolve(scenario_path, scenario.data.plan_reference_beds)
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
    _check_township_codes(townships, codes, paths["townships"], problems)
    _check_facility_codes(facilities, townships, codes, paths["facilities"], problems)
    _check_counties(counties, codes, paths["counties"], problems)
    if problems:
        raise DataError(problems)
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
    _check_townships(townships, paths["townships"], problems)
    _check_facilities(facilities, set(townships["code"]), paths["facilities"], problems)
    townships = read_flags(townships, TOWNSHIP_FLAGS, paths["townships"], problems)
    facilities = read_flags(facilities, FACILITY_FLAGS, paths["facilities"], problems)
    boundary = read_boundary(paths["boundaries"], codes, problems)
    if problems:
        raise DataError(problems)
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
        reference = _read_reference(paths["plan_reference_beds"], codes, problems)
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
    if problems:
        raise DataError(problems)
    return Datasets(
        townships=townships.sort_values("code").reset_index(drop=True),
        facilities=facilities.sort_values("facility_id").reset_index(drop=True),
        counties=counties.sort_values("county_code").reset_index(drop=True),
        boundary=boundary,
        plan_reference_beds=reference,
        paths=paths,
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
    if scenario.subcentres is not None:
        references.append(("subcentres.named_facility_ids", scenario.subcentres.named_facility_ids))
    for field, ids in references:
        for facility_id in ids:
            if facility_id not in known:
                problems.append(
                    Problem(
                        path,
                        field,
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


def _check_township_codes(towns: pd.DataFrame, codes: set[str], path: Path, problems: list[Problem]) -> None:
    """A township's code starts with its county's code; rows touching the area must agree."""
    for row_number, row in numbered_rows(towns):
        code, county = row["code"], row["county_code"]
        if (county in codes or code[:6] in codes) and code[:6] != county:
            problems.append(
                Problem(
                    path,
                    f"row {row_number}, county_code",
                    f"township {code} is given county_code '{county}' but its code belongs to county "
                    f"{code[:6]}; fix county_code or code",
                )
            )


def _check_facility_codes(
    facilities: pd.DataFrame, towns: pd.DataFrame, codes: set[str], path: Path, problems: list[Problem]
) -> None:
    """A facility's county_code is its township's county, both by code prefix and by the township table."""
    county_of = dict(zip(towns["code"], towns["county_code"], strict=True))
    for row_number, row in numbered_rows(facilities):
        county, town = row["county_code"], row["town_code"]
        if not (county in codes or town[:6] in codes or county_of.get(town) in codes):
            continue
        expected = county_of.get(town, town[:6])
        if county != expected:
            problems.append(
                Problem(
                    path,
                    f"row {row_number}, county_code",
                    f"facility {row['facility_id']} is in town {town} of county {expected} but its "
                    f"county_code is '{county}'; fix county_code or town_code",
                )
            )


def _check_counties(counties: pd.DataFrame, codes: set[str], path: Path, problems: list[Problem]) -> None:
    area = counties[counties["county_code"].isin(codes)]
    for code in sorted(set(area["county_code"][area["county_code"].duplicated()])):
        problems.append(Problem(path, "county_code", f"county {code} appears more than once; keep one row"))
    for row_number, row in numbered_rows(area):
        population = as_number(row["population_2020"])
        if population is None or population <= 0:
            problems.append(
                Problem(
                    path,
                    f"row {row_number}, population_2020",
                    f"'{row['population_2020']}' must be a positive number of residents",
                )
            )
        for column in ("seat_lon", "seat_lat"):
            if column in area.columns and not pd.isna(row[column]) and as_number(row[column]) is None:
                problems.append(
                    Problem(
                        path,
                        f"row {row_number}, {column}",
                        f"'{row[column]}' is not a number; give degrees (WGS-84) or leave it empty",
                    )
                )


def _read_reference(path: Path, codes: set[str], problems: list[Problem]) -> pd.DataFrame | None:
    """The plan's own per-facility beds: county_code, facility_id, plan_beds (a whole number ≥ 0)."""
    frame = read_table(path, REFERENCE_COLUMNS, {"county_code": str, "facility_id": str}, problems)
    if frame.empty and any(p.path == path for p in problems):
        return None
    frame = frame[frame["county_code"].isin(codes)].copy()
    for row_number, row in numbered_rows(frame):
        beds = as_number(row["plan_beds"])
        if beds is None or beds < 0 or beds != int(beds):
            problems.append(
                Problem(
                    path,
                    f"row {row_number}, plan_beds",
                    f"'{row['plan_beds']}' must be a whole number of beds ≥ 0 (digits only, no text such as 约 or 张)",
                )
            )
    for facility_id in sorted(set(frame["facility_id"][frame["facility_id"].duplicated()])):
        problems.append(Problem(path, "facility_id", f"{facility_id} appears more than once; keep one row"))
    if "source" not in frame.columns:
        frame["source"] = ""
    frame["plan_beds"] = pd.to_numeric(frame["plan_beds"], errors="coerce")
    return frame.sort_values("facility_id").reset_index(drop=True)


def _check_townships(towns: pd.DataFrame, path: Path, problems: list[Problem]) -> None:
    for row_number, row in numbered_rows(towns):
        where = f"row {row_number}"
        code = str(row["code"])
        if len(code) != 9 or not code.isdigit():
            problems.append(Problem(path, f"{where}, code", f"'{code}' is not a 9-digit NBS township code"))
        if pd.isna(row["name"]) or not str(row["name"]).strip():
            problems.append(Problem(path, f"{where}, name", f"township {code} has no name; give its Chinese name"))
        population = as_number(row["population"])
        if population is None or population <= 0:
            problems.append(
                Problem(path, f"{where}, population", f"'{row['population']}' must be a positive number of residents")
            )
        for column in ("children_0_14", "aged_65_plus"):
            group = as_number(row[column])
            if group is None or group < 0:
                problems.append(
                    Problem(
                        path,
                        f"{where}, {column}",
                        f"'{row[column]}' must be a number of persons ≥ 0; fill it in (county share "
                        "× population if estimated, and set age_estimated = true)",
                    )
                )
            elif population is not None and group > population:
                problems.append(
                    Problem(
                        path,
                        f"{where}, {column}",
                        f"{group:g} is more than the township's population {population:g}; "
                        "give persons, not a share or a per-mille figure",
                    )
                )
        if row["settlement_class"] not in ("urban", "rural"):
            problems.append(
                Problem(path, f"{where}, settlement_class", f"'{row['settlement_class']}' must be 'urban' or 'rural'")
            )
        check_point(row, path, where, problems)
    duplicated = towns["code"][towns["code"].duplicated()].unique()
    for code in duplicated:
        problems.append(Problem(path, "code", f"township {code} appears more than once; keep one row"))


def _check_facilities(facilities: pd.DataFrame, towns: set[str], path: Path, problems: list[Problem]) -> None:
    for row_number, row in numbered_rows(facilities):
        where = f"row {row_number}"
        if not row["facility_id"]:
            problems.append(Problem(path, f"{where}, facility_id", "is empty; give each facility a unique id"))
        if pd.isna(row["name"]) or not str(row["name"]).strip():
            problems.append(
                Problem(path, f"{where}, name", f"facility {row['facility_id']} has no name; give its Chinese name")
            )
        if row["level"] not in LEVELS:
            problems.append(
                Problem(path, f"{where}, level", f"'{row['level']}' is not one of {', '.join(sorted(LEVELS))}")
            )
        if row["town_code"] not in towns:
            problems.append(
                Problem(
                    path,
                    f"{where}, town_code",
                    f"facility {row['facility_id']} is in town '{row['town_code']}', "
                    "which is not a township of the area; fix the code",
                )
            )
        check_point(row, path, where, problems)
    for facility_id in facilities["facility_id"][facilities["facility_id"].duplicated()].unique():
        problems.append(Problem(path, "facility_id", f"{facility_id} appears more than once; ids must be unique"))
