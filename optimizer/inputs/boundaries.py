"""The county polygons of the area, and the check that every point lies inside them.

`read_boundary` reads the boundary file a scenario names (GeoJSON, GeoPackage or shapefile), keeps
the area's counties and records a problem for a missing, empty or non-polygon county or a projected
CRS; `check_inside` flags township and facility points outside the area, with a tolerance for
generalised polygons. Kept apart from the CSV tables because it is the only input read with GDAL.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from optimizer.errors import Problem

BOUNDARY_SUFFIXES = frozenset({".geojson", ".json", ".gpkg", ".shp"})
BOUNDARY_TOLERANCE_M = 2_000.0


def read_boundary(path: Path, codes: set[str], problems: list[Problem]) -> gpd.GeoDataFrame:
    """The polygons of the area counties `codes`, sorted by code; an empty frame when they are unusable."""
    empty = gpd.GeoDataFrame({"county_code": []}, geometry=[], crs="EPSG:4326")
    if path.suffix.lower() not in BOUNDARY_SUFFIXES:
        problems.append(
            Problem(
                path,
                "(file)",
                f"'{path.suffix}' is not a boundary format; give a GeoJSON, "
                "GeoPackage or shapefile of the county polygons in data.boundaries",
            )
        )
        return empty
    try:
        boundary = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - GDAL/pyogrio raise many types for a broken file
        reason = " ".join(str(exc).split())[:200]
        problems.append(
            Problem(
                path,
                "(file)",
                f"cannot be read as a boundary file ({reason}); re-export the county polygons as GeoJSON (EPSG:4326)",
            )
        )
        return empty
    if "geometry" not in boundary.columns or not isinstance(boundary, gpd.GeoDataFrame) or boundary.empty:
        problems.append(Problem(path, "geometry", "holds no polygons; give the county polygons"))
        return empty
    if "county_code" not in boundary.columns:
        problems.append(Problem(path, "county_code", "column missing; add the 6-digit county code of each polygon"))
        return boundary
    boundary["county_code"] = boundary["county_code"].astype(str)
    boundary = boundary[boundary["county_code"].isin(codes)]
    for code in sorted(codes - set(boundary["county_code"])):
        problems.append(Problem(path, "county_code", f"no polygon for area county {code}; add it"))
    bad = (
        boundary.geometry.isna()
        | boundary.geometry.is_empty
        | ~boundary.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    )
    for code in sorted(set(boundary.loc[bad, "county_code"])):
        problems.append(
            Problem(path, f"county_code {code}, geometry", "is empty or not a polygon; give the county polygon")
        )
    if bad.any():
        return empty
    if boundary.crs is None or not boundary.crs.is_geographic:
        problems.append(Problem(path, "crs", f"is {boundary.crs}; store boundaries in EPSG:4326"))
    return boundary.sort_values("county_code").reset_index(drop=True)


def check_inside(
    frame: pd.DataFrame, boundary: gpd.GeoDataFrame, path: Path, key: str, problems: list[Problem]
) -> None:
    """Every point must lie in the area (within a tolerance for generalised polygons)."""
    metric = boundary.estimate_utm_crs()
    area = boundary.to_crs(metric).union_all().buffer(BOUNDARY_TOLERANCE_M)
    points = gpd.GeoSeries(
        [Point(lon, lat) for lon, lat in zip(frame["lon"], frame["lat"], strict=True)], crs="EPSG:4326"
    ).to_crs(metric)
    for (_, row), point in zip(frame.iterrows(), points, strict=True):
        if not area.contains(point):
            problems.append(
                Problem(
                    path,
                    f"{key} {row[key]}, lon/lat",
                    f"({row['lon']}, {row['lat']}) lies outside the area; check the point and its "
                    "CRS (GCJ-02 must be converted to WGS-84)",
                )
            )
