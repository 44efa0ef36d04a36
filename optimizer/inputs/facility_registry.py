"""A facility registry with coordinates (`data.facility_registry`): real facility points in place of the seats.

The bundled facility table places every facility at its township seat (`location_estimated = true`).
A registry gives the point of each facility it names, as a CSV (`facility_id`, `lon`, `lat`, WGS-84
degrees; optional `name`, `source`) or GeoJSON/GeoPackage points with a `facility_id` property (any CRS,
reprojected to WGS-84). A facility it names then stands at that point with `location_estimated = false`;
the others keep the seat.

The point-file reading and the county check here are shared with the settlement points
(`optimizer.inputs.settlement_points`): both are point lists a planner exports from a GIS or a
spreadsheet, and both must lie in their own county.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import Point

from optimizer.errors import DataError, Problem
from optimizer.inputs.boundaries import BOUNDARY_TOLERANCE_M
from optimizer.inputs.tables import as_number, read_table

logger = logging.getLogger(__name__)

POINT_SUFFIXES = frozenset({".geojson", ".json", ".gpkg"})
"""Point files read with GDAL; anything else is read as a UTF-8 CSV with `lon` / `lat` columns."""
REGISTRY_COLUMNS = ("facility_id", "lon", "lat")
SOURCE_PREFIX = "facility_registry:"
"""`location_source` of a facility placed by a registry (then the file name)."""


def read_facility_registry(path: Path, facilities: pd.DataFrame, boundary: gpd.GeoDataFrame) -> pd.DataFrame:
    """The registry points of the area's `facilities`: `facility_id`, `lon`, `lat` (WGS-84 degrees).

    `boundary` holds the area's county polygons (EPSG:4326, `county_code`); a facility's point must lie
    in its own county, within `BOUNDARY_TOLERANCE_M` for the generalised polygons.

    Raises
    ------
    DataError
        An unreadable file or a missing column, a facility id the area's facility table does not have
        or one given twice, a lon/lat that is not a number, or a point outside the facility's county.
    """
    table = read_point_file(path, REGISTRY_COLUMNS, ("facility_id", "name", "source"))
    problems: list[Problem] = []
    county_of = dict(zip(facilities["facility_id"], facilities["county_code"], strict=True))
    known = unknown_ids(
        table,
        "facility_id",
        county_of,
        path,
        "is not a facility of the area in data.facilities; fix the id or remove the row",
        problems,
    )
    for facility_id in sorted(set(table.loc[table["facility_id"].duplicated(), "facility_id"])):
        problems.append(Problem(path, "facility_id", f"{facility_id} is given in more than one row; keep one"))
    table = table[known]
    check_points(table, [county_of[f] for f in table["facility_id"]], boundary, path, problems)
    if problems:
        raise DataError(problems)
    return table[list(REGISTRY_COLUMNS)].astype({"lon": float, "lat": float}).reset_index(drop=True)


def apply_registry(facilities: pd.DataFrame, registry: pd.DataFrame, path: Path) -> pd.DataFrame:
    """`facilities` with the registry points put in (a copy): `lon`, `lat`, `location_estimated`, `location_source`."""
    out = facilities.copy()
    points = registry.set_index("facility_id")
    hit = out["facility_id"].isin(points.index)
    out["lon"] = out["lon"].astype(float)
    out["lat"] = out["lat"].astype(float)
    out.loc[hit, "lon"] = out.loc[hit, "facility_id"].map(points["lon"])
    out.loc[hit, "lat"] = out.loc[hit, "facility_id"].map(points["lat"])
    out.loc[hit, "location_estimated"] = False
    out.loc[hit, "location_source"] = f"{SOURCE_PREFIX}{path.name}"
    logger.info(
        "%s: %d of %d facilities placed by the registry; the others stay at their township seat",
        path.name,
        int(hit.sum()),
        len(out),
    )
    return out


def read_point_file(path: Path, required: tuple[str, ...], text_columns: tuple[str, ...]) -> pd.DataFrame:
    """The rows of a point CSV or GeoJSON/GeoPackage file, with `lon`, `lat` and a `where` label per row.

    A CSV must have the `required` columns (lon/lat in WGS-84 degrees) and is labelled by line
    ("row 2" is the first data row); a GIS file must hold points carrying the `required` properties
    other than lon/lat, which come from the geometry after reprojection to EPSG:4326 (a file without a
    CRS is taken as WGS-84, as GeoJSON specifies), labelled "feature 1" …. The `text_columns` that are
    present are read as stripped text.

    Raises
    ------
    DataError
        The file cannot be read, lacks a required column or holds geometries other than points.
    """
    if path.suffix.lower() in POINT_SUFFIXES:
        frame = _read_gis_points(path, required)
        where = [f"feature {n}" for n in range(1, len(frame) + 1)]
    else:
        problems: list[Problem] = []
        frame = read_table(path, required, {}, problems)
        if problems:
            raise DataError(problems)
        present: dict[str, type] = {column: str for column in text_columns if column in frame.columns}
        frame = read_table(path, required, present, problems)  # again, so ids keep their leading zeros
        where = [f"row {n}" for n in range(2, len(frame) + 2)]
    frame = frame.reset_index(drop=True)
    for column in text_columns:
        if column in frame.columns:
            frame[column] = frame[column].fillna("").astype(str).str.strip()
    frame["where"] = where
    return frame


def unknown_ids(
    table: pd.DataFrame, column: str, known: Mapping[str, str], path: Path, fix: str, problems: list[Problem]
) -> pd.Series:
    """Which rows of a point file name a known id in `column`; one problem (row, field, `fix`) per other row."""
    found = table[column].isin(known)
    for where, value in zip(table.loc[~found, "where"], table.loc[~found, column], strict=True):
        problems.append(Problem(path, f"{where}, {column}", f"'{value}' {fix}"))
    return found


def check_points(
    table: pd.DataFrame, counties: Sequence[str], boundary: gpd.GeoDataFrame, path: Path, problems: list[Problem]
) -> None:
    """Each row's `lon` / `lat` must be numbers inside its county polygon (`counties`, one code per row)."""
    metric = boundary.estimate_utm_crs()
    polygons = boundary.to_crs(metric).set_index("county_code").geometry.buffer(BOUNDARY_TOLERANCE_M)
    to_metric = Transformer.from_crs("EPSG:4326", metric, always_xy=True)
    for where, lon_cell, lat_cell, code in zip(table["where"], table["lon"], table["lat"], counties, strict=True):
        lon, lat = as_number(lon_cell), as_number(lat_cell)
        if lon is None or lat is None:
            problems.append(
                Problem(
                    path, f"{where}, lon/lat", f"({lon_cell}, {lat_cell}) is not a pair of numbers; give WGS-84 degrees"
                )
            )
        elif not polygons[code].contains(Point(to_metric.transform(lon, lat))):
            problems.append(
                Problem(
                    path,
                    f"{where}, lon/lat",
                    f"({lon}, {lat}) lies outside county {code} (by more than {BOUNDARY_TOLERANCE_M / 1000:g} km); "
                    "check the point, lon/lat order and its CRS (GCJ-02 or BD-09 must be converted to WGS-84)",
                )
            )


def _read_gis_points(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """A GeoJSON/GeoPackage point layer as a frame of its properties plus `lon`, `lat` in WGS-84."""
    try:
        layer = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - GDAL/pyogrio raise many types for a broken file
        reason = " ".join(str(exc).split())[:200]
        raise DataError.single(
            path, "(file)", f"cannot be read as a point file ({reason}); re-export the points as GeoJSON (EPSG:4326)"
        ) from None
    if layer.crs is None:
        layer = layer.set_crs("EPSG:4326")
    bad = layer.geometry.isna() | (layer.geometry.geom_type != "Point")
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise DataError.single(
            path,
            f"feature {first}, geometry",
            f"{int(bad.sum())} features are not points; give one point per row (centroids for polygons)",
        )
    absent = [c for c in required if c not in ("lon", "lat") and c not in layer.columns]
    if absent:
        raise DataError.single(path, ", ".join(absent), "required properties missing; add them to every feature")
    points = layer.to_crs("EPSG:4326")
    frame = pd.DataFrame(points.drop(columns="geometry"))
    frame["lon"] = points.geometry.x.to_numpy()
    frame["lat"] = points.geometry.y.to_numpy()
    return frame
