"""Estimated township areas: the Voronoi cell of each township seat among its county's seats, clipped to
the county polygon.

No township polygon is published for the five plan areas, so the area of a township is estimated as
the part of its county nearer its seat than any other seat of the county (a Voronoi partition, the
usual first approximation of a catchment; e.g. Okabe et al., *Spatial Tessellations*, 2000). Towns that
share one seat point (街道 placed at the county seat) share its cell. Computed in the area's metric CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from optimizer.geography.boundaries import WGS84


def township_areas(townships: pd.DataFrame, boundary: gpd.GeoDataFrame, metric_crs: CRS) -> gpd.GeoDataFrame:
    """One estimated polygon per township (`code`, `county_code`, geometry in `metric_crs`).

    `townships` has `code`, `county_code`, `lon`, `lat` (WGS-84); `boundary` the county polygons with
    `county_code` (any CRS). Townships of a county with one seat get the whole county.
    """
    projected = boundary.to_crs(metric_crs)
    counties = dict(zip(projected["county_code"].astype(str), projected.geometry, strict=True))
    seats = gpd.GeoSeries(
        gpd.points_from_xy(townships["lon"].astype(float), townships["lat"].astype(float)), crs=WGS84
    ).to_crs(metric_crs)
    xy = np.column_stack([seats.x, seats.y])
    shapes: list[BaseGeometry] = [shapely.Point()] * len(townships)
    for county, rows in townships.groupby("county_code").indices.items():
        county_shape = counties[str(county)]
        cells = _voronoi_cells(xy[rows], county_shape)
        for row, cell in zip(rows, cells, strict=True):
            shapes[row] = cell
    return gpd.GeoDataFrame(
        {"code": townships["code"].to_numpy(), "county_code": townships["county_code"].to_numpy()},
        geometry=shapes,
        crs=metric_crs,
    )


def _voronoi_cells(xy: np.ndarray, county: BaseGeometry) -> list[BaseGeometry]:
    """The clipped cell of each point (rows of `xy`); coincident points get the same cell."""
    unique, inverse = np.unique(np.round(xy, 1), axis=0, return_inverse=True)
    if len(unique) == 1:
        return [county] * len(xy)
    regions = shapely.voronoi_polygons(shapely.multipoints(unique), extend_to=county, ordered=True)
    cells = [shapely.intersection(region, county) for region in shapely.get_parts(regions)]
    return [cells[i] for i in inverse.ravel()]
