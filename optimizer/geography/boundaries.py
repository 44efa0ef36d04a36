"""CRS choice and service areas: radius buffers and road-network isochrones, clipped to the area.

Distances are only ever measured in a projected metric CRS. The area's CRS is the CGCS2000 3-degree
Gauss-Krüger zone of its centre (China's national mapping frame, EPSG:4534–4554, metres; CGCS2000
and WGS-84 agree to centimetres), or the UTM zone from `estimate_utm_crs()` outside those zones.
`buffer_km` refuses geometry in a geographic CRS instead of buffering in degrees, as geopandas only
warns; `service_buffers` reprojects WGS-84 points itself.

Isochrones: from the site's nearest road node, one Dijkstra (scipy.sparse.csgraph) with the time limit
on the transposed road graph (times toward the site, as residents travel); the reaching nodes plus the
points part-way along the edges where the time runs out are hulled (concave hull by default, convex on
request). The snapping leg from a site to its node is not counted (sites are township seats on the network).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import dijkstra  # type: ignore[import-untyped]  # scipy ships no stubs
from shapely.geometry import MultiPoint
from shapely.geometry.base import BaseGeometry

from optimizer.errors import PlannerError
from optimizer.geography.network import RoadGraph, nearest_nodes

logger = logging.getLogger(__name__)

WGS84 = CRS.from_epsg(4326)
GK_FIRST_EPSG = 4534
"""EPSG code of CGCS2000 / 3-degree Gauss-Kruger CM 75E; CM 78E … 135E follow in steps of one."""
GK_MERIDIANS = range(75, 136, 3)
Hull = Literal["concave", "convex"]
CONCAVE_RATIO = 0.4
DEGENERATE_BUFFER_M = 250.0
"""Half-width given to an isochrone whose reachable points are collinear (a single road)."""


class ProjectionError(PlannerError, ValueError):
    """A metric operation (buffer, length, area) was asked of geometry in a geographic CRS."""


def gauss_kruger_crs(lon: float) -> CRS | None:
    """The CGCS2000 3-degree Gauss-Krüger CRS whose central meridian is nearest `lon`; None outside China."""
    meridian = 3 * round(lon / 3)
    if meridian not in GK_MERIDIANS:
        return None
    return CRS.from_epsg(GK_FIRST_EPSG + (meridian - GK_MERIDIANS.start) // 3)


def area_metric_crs(boundary: gpd.GeoDataFrame) -> CRS:
    """A projected metric CRS for the area: its Gauss-Krüger zone, else the estimated UTM zone."""
    if boundary.crs is None:
        raise ProjectionError("the area boundary has no CRS; store it in EPSG:4326")
    west, _, east, _ = boundary.to_crs(WGS84).total_bounds
    crs = gauss_kruger_crs((west + east) / 2)
    return crs if crs is not None else CRS(boundary.estimate_utm_crs())


def require_projected(crs: CRS | None, operation: str) -> None:
    """Refuse a metric operation on geometry without a projected CRS.

    Raises
    ------
    ProjectionError
        Naming the CRS and how to reproject.
    """
    if crs is None:
        raise ProjectionError(
            f"{operation}: the geometry has no CRS; set it (e.g. EPSG:4326) and reproject "
            "to a metric CRS with `to_crs(area_metric_crs(boundary))`"
        )
    if CRS(crs).is_geographic:
        raise ProjectionError(
            f"{operation}: the geometry is in a geographic CRS ({CRS(crs).to_string()}, degrees), so a "
            "distance in metres would be wrong. Use `to_crs()` to reproject to a metric CRS first, e.g. "
            "`area_metric_crs(boundary)` (CGCS2000 3-degree Gauss-Krüger) or `estimate_utm_crs()`"
        )


def buffer_km(geometry: gpd.GeoSeries, radius_km: float) -> gpd.GeoSeries:
    """Buffers of `radius_km` around geometry that is already in a projected metric CRS.

    Raises
    ------
    ProjectionError
        When `geometry` is in a geographic CRS (or has none): it is never buffered in degrees.
    """
    require_projected(geometry.crs, f"buffer of {radius_km:g} km")
    if not radius_km > 0:
        raise ValueError(f"radius_km was {radius_km} but must be positive")
    return geometry.buffer(radius_km * 1000.0, quad_segs=32)


def clip_to_area(areas: gpd.GeoDataFrame, area: BaseGeometry) -> gpd.GeoDataFrame:
    """Intersect each polygon with the area (same CRS); rows left empty are dropped."""
    clipped = areas.copy()
    clipped["geometry"] = shapely.intersection(areas.geometry.to_numpy(), area)
    return clipped[~clipped.geometry.is_empty].reset_index(drop=True)


def service_buffers(
    sites: gpd.GeoDataFrame,
    radius_km: float,
    metric_crs: CRS,
    area: BaseGeometry,
) -> gpd.GeoDataFrame:
    """Radius service areas of `sites` (any CRS), buffered in `metric_crs`, clipped to `area` (metric).

    Returned in `metric_crs` with the sites' attributes.

    Raises
    ------
    ProjectionError
        When `metric_crs` is geographic.
    """
    require_projected(metric_crs, f"buffer of {radius_km:g} km")
    projected = sites.to_crs(metric_crs)
    areas = projected.set_geometry(buffer_km(projected.geometry, radius_km))
    return clip_to_area(areas, area)


def isochrone(road: RoadGraph, node: int, limit_min: float, *, hull: Hull = "concave") -> BaseGeometry:
    """The area from which road node `node` is reached within `limit_min` minutes (inclusive), in the graph's CRS.

    Residents travel to the site, as in the travel matrix, so the search runs on the transposed graph
    (one-way streets are driven the right way). Besides the reached nodes, the points part-way along the
    edges into the reached set where the time runs out are hulled.
    """
    reverse = road.reverse
    time = np.asarray(dijkstra(reverse, directed=True, indices=node, limit=limit_min), dtype=float).ravel()
    reached = np.flatnonzero(np.isfinite(time))
    # The reversed edges u → v leaving the reached nodes u, with their times (forward: v → u).
    starts, counts = reverse.indptr[reached], np.diff(reverse.indptr)[reached]
    edge = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    tail, head, weight = np.repeat(reached, counts), reverse.indices[edge], reverse.data[edge]
    spare = limit_min - time[tail]
    # The edge is driven only part-way (from v's side) before the time runs out.
    partial = (spare < weight) & (time[head] > time[tail] + spare)
    fraction = (spare[partial] / weight[partial])[:, None]
    tips = road.node_xy[tail[partial]] + fraction * (road.node_xy[head[partial]] - road.node_xy[tail[partial]])
    cloud = cast(MultiPoint, shapely.multipoints(np.vstack([road.node_xy[reached], tips])))
    shape = shapely.convex_hull(cloud) if hull == "convex" else shapely.concave_hull(cloud, ratio=CONCAVE_RATIO)
    if shape.geom_type != "Polygon" or shape.area == 0:
        shape = shapely.buffer(shape, DEGENERATE_BUFFER_M)
    return shape


def network_isochrones(
    road: RoadGraph,
    sites: gpd.GeoDataFrame,
    limit_min: float,
    area: BaseGeometry | None = None,
    *,
    hull: Hull = "concave",
) -> gpd.GeoDataFrame:
    """Isochrones of every site (any CRS) on the road graph, in the graph's metric CRS, clipped to `area`."""
    require_projected(road.crs, f"isochrone of {limit_min:g} min")
    projected = sites.to_crs(road.crs)
    xy = np.column_stack([projected.geometry.x, projected.geometry.y]) if len(projected) else np.empty((0, 2))
    nodes, _ = nearest_nodes(road, xy)
    shapes = [isochrone(road, int(node), limit_min, hull=hull) for node in nodes]
    areas = projected.set_geometry(gpd.GeoSeries(shapes, index=projected.index, crs=road.crs))
    return areas if area is None else clip_to_area(areas, area)


def points_frame(table: pd.DataFrame, columns: Sequence[str]) -> gpd.GeoDataFrame:
    """A WGS-84 point GeoDataFrame of a table with `lon` and `lat` columns, keeping `columns`."""
    return gpd.GeoDataFrame(
        table[list(columns)].copy(),
        geometry=gpd.points_from_xy(table["lon"].astype(float), table["lat"].astype(float)),
        crs=WGS84,
    )
