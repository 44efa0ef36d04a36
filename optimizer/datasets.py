"""Load and check the data tables a scenario names: townships, facilities, counties, boundaries.

Every problem in every table is collected and raised once as a `DataError` naming the file, the row
and column, and the fix. Estimated values keep their flag columns, so the report can name them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from optimizer.errors import DataError, Problem
from optimizer.scenario import Scenario, resolve

logger = logging.getLogger(__name__)

TOWNSHIP_COLUMNS = (
    "code", "name", "type", "county_code", "population", "population_estimated", "population_source",
    "children_0_14", "aged_65_plus", "age_estimated", "settlement_class", "settlement_class_source",
    "lon", "lat", "location_source", "location_estimated",
)
FACILITY_COLUMNS = (
    "facility_id", "name", "county_code", "town_code", "level", "subcentre_candidate", "named_subcentre",
    "named_emergency_station", "source", "lon", "lat", "location_source", "location_estimated",
)
COUNTY_COLUMNS = ("county_code", "county_name", "population_2020")
LEVELS = frozenset(
    {"county_general_hospital", "county_tcm_hospital", "specialty_hospital", "mch_center", "central_thc", "thc", "chc"}
)
BOUNDARY_TOLERANCE_M = 2_000.0


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
    missing = [Problem(p, "(file)", f"not found; fix data.{key} in the scenario") for key, p in paths.items()
               if not p.is_file()]
    if missing:
        raise DataError(missing)

    codes = set(scenario.area.county_codes)
    townships = _read_csv(paths["townships"], TOWNSHIP_COLUMNS, {"code": str, "county_code": str}, problems)
    facilities = _read_csv(
        paths["facilities"], FACILITY_COLUMNS, {"facility_id": str, "county_code": str, "town_code": str}, problems
    )
    counties = _read_csv(paths["counties"], COUNTY_COLUMNS, {"county_code": str}, problems)
    if problems:
        raise DataError(problems)

    townships = townships[townships["county_code"].isin(codes)].copy()
    facilities = facilities[facilities["county_code"].isin(codes)].copy()
    counties = counties[counties["county_code"].isin(codes)].copy()
    if scenario.data.missing_location == "county_seat":
        townships, facilities = _place_at_county_seat(townships, facilities, counties)
    for code in sorted(codes - set(counties["county_code"])):
        problems.append(Problem(paths["counties"], "county_code",
                                f"area county {code} has no row; add it or fix area.county_codes"))
    if townships.empty:
        problems.append(Problem(paths["townships"], "county_code",
                                f"no township belongs to area.county_codes {sorted(codes)}; check the codes"))
    _check_townships(townships, paths["townships"], problems)
    _check_facilities(facilities, set(townships["code"]), paths["facilities"], problems)
    boundary = _read_boundary(paths["boundaries"], codes, problems)
    if problems:
        raise DataError(problems)
    _check_inside(townships, boundary, paths["townships"], "code", problems)
    _check_inside(facilities, boundary, paths["facilities"], "facility_id", problems)
    if problems:
        raise DataError(problems)

    for code, settlement in scenario.settlement_class_overrides.items():
        if code not in set(townships["code"]):
            raise DataError.single(paths["townships"], "code",
                                   f"settlement_class_overrides names unknown township {code}; fix the scenario")
        townships.loc[townships["code"] == code, ["settlement_class", "settlement_class_source"]] = (
            settlement, "scenario override")

    reference = None
    if "plan_reference_beds" in paths:
        reference = pd.read_csv(paths["plan_reference_beds"], dtype={"county_code": str, "facility_id": str})
        reference = reference[reference["county_code"].isin(codes)].sort_values("facility_id").reset_index(drop=True)
    return Datasets(
        townships=townships.sort_values("code").reset_index(drop=True),
        facilities=facilities.sort_values("facility_id").reset_index(drop=True),
        counties=counties.sort_values("county_code").reset_index(drop=True),
        boundary=boundary,
        plan_reference_beds=reference,
        paths=paths,
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
        facilities["lon"].isna() | facilities["lat"].isna())
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
    outside = [Problem(Path(scenario_path), f"data.{key}",
                       f"{path} lies outside {roots[0]} and {roots[1]}; move the file there, or set "
                       "data.allow_outside_project = true if that is intended")
               for key, path in paths.items() if not any(path.is_relative_to(root) for root in roots)]
    if outside:
        raise DataError(outside)


def _read_csv(
    path: Path, columns: tuple[str, ...], dtypes: dict[str, type], problems: list[Problem]
) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=dtypes, encoding="utf-8-sig", keep_default_na=True)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems.append(Problem(path, "(file)", f"cannot be read as UTF-8 CSV ({exc}); re-export it as UTF-8 CSV"))
        return pd.DataFrame(columns=list(columns))
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        problems.append(Problem(path, ", ".join(absent), "required column(s) missing; add them (see PROVENANCE.md)"))
    return frame


def _check_townships(towns: pd.DataFrame, path: Path, problems: list[Problem]) -> None:
    for row_number, row in _rows(towns):
        where = f"row {row_number}"
        code = str(row["code"])
        if len(code) != 9 or not code.isdigit():
            problems.append(Problem(path, f"{where}, code", f"'{code}' is not a 9-digit NBS township code"))
        population = _number(row["population"])
        if population is None or population <= 0:
            problems.append(Problem(path, f"{where}, population",
                                    f"'{row['population']}' must be a positive number of residents"))
        if row["settlement_class"] not in ("urban", "rural"):
            problems.append(Problem(path, f"{where}, settlement_class",
                                    f"'{row['settlement_class']}' must be 'urban' or 'rural'"))
        _check_point(row, path, where, problems)
    duplicated = towns["code"][towns["code"].duplicated()].unique()
    for code in duplicated:
        problems.append(Problem(path, "code", f"township {code} appears more than once; keep one row"))


def _check_facilities(facilities: pd.DataFrame, towns: set[str], path: Path, problems: list[Problem]) -> None:
    for row_number, row in _rows(facilities):
        where = f"row {row_number}"
        if row["level"] not in LEVELS:
            problems.append(Problem(path, f"{where}, level",
                                    f"'{row['level']}' is not one of {', '.join(sorted(LEVELS))}"))
        if row["town_code"] not in towns:
            problems.append(Problem(path, f"{where}, town_code",
                                    f"facility {row['facility_id']} is in town '{row['town_code']}', "
                                    "which is not a township of the area; fix the code"))
        _check_point(row, path, where, problems)
    for facility_id in facilities["facility_id"][facilities["facility_id"].duplicated()].unique():
        problems.append(Problem(path, "facility_id", f"{facility_id} appears more than once; ids must be unique"))


def _check_point(row: pd.Series, path: Path, where: str, problems: list[Problem]) -> None:
    lon, lat = _number(row["lon"]), _number(row["lat"])
    if lon is None or lat is None:
        problems.append(Problem(path, f"{where}, lon/lat",
                                "location missing; add the WGS-84 point (EPSG:4326) of the seat"))
    elif not (73 <= lon <= 136 and 3 <= lat <= 54):
        hint = " (lon and lat look swapped)" if 73 <= lat <= 136 and 3 <= lon <= 54 else ""
        problems.append(Problem(path, f"{where}, lon/lat", f"({lon}, {lat}) is outside China{hint}; "
                                "give WGS-84 longitude and latitude in degrees"))


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _rows(frame: pd.DataFrame) -> list[tuple[int, pd.Series]]:
    """Rows with their 1-based line number in the file (header is line 1)."""
    return [(int(index) + 2, row) for index, row in frame.iterrows()]


def _read_boundary(path: Path, codes: set[str], problems: list[Problem]) -> gpd.GeoDataFrame:
    boundary = gpd.read_file(path)
    if "county_code" not in boundary.columns:
        problems.append(Problem(path, "county_code", "column missing; add the 6-digit county code of each polygon"))
        return boundary
    boundary["county_code"] = boundary["county_code"].astype(str)
    boundary = boundary[boundary["county_code"].isin(codes)]
    for code in sorted(codes - set(boundary["county_code"])):
        problems.append(Problem(path, "county_code", f"no polygon for area county {code}; add it"))
    if boundary.crs is None or not boundary.crs.is_geographic:
        problems.append(Problem(path, "crs", f"is {boundary.crs}; store boundaries in EPSG:4326"))
    return boundary.sort_values("county_code").reset_index(drop=True)


def _check_inside(
    frame: pd.DataFrame, boundary: gpd.GeoDataFrame, path: Path, key: str, problems: list[Problem]
) -> None:
    """Every point must lie in the area (within a tolerance for generalised polygons)."""
    metric = boundary.estimate_utm_crs()
    area = boundary.to_crs(metric).union_all().buffer(BOUNDARY_TOLERANCE_M)
    points = gpd.GeoSeries([Point(lon, lat) for lon, lat in zip(frame["lon"], frame["lat"], strict=True)],
                           crs="EPSG:4326").to_crs(metric)
    for (_, row), point in zip(frame.iterrows(), points, strict=True):
        if not area.contains(point):
            problems.append(Problem(path, f"{key} {row[key]}, lon/lat",
                                    f"({row['lon']}, {row['lat']}) lies outside the area; check the point and its "
                                    "CRS (GCJ-02 must be converted to WGS-84)"))
