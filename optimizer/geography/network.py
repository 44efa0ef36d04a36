"""Directed road graph from a road file: a sparse matrix of travel minutes between road nodes.

Two kinds of road file are read:
- an OpenStreetMap extract (`.osm.pbf`, `.osm`): drivable ways, speeds and one-way rules as in
  optimizer/geography/osm.py;
- a line file GeoPandas reads (`.geojson`, `.json`, `.gpkg`, `.shp`, `.fgb`) of LineStrings, with an
  optional `speed_kph` column (empty or missing: the scenario's `road_default_speed_kph`) and an optional
  `oneway` column (`yes`/`true`/`1` along the line's drawing direction, `-1` against it, else both).

Lines are projected to the metric CRS before anything is measured. Segment end points become nodes,
rounded to 1 m so touching lines connect (crossing lines without a shared vertex, such as bridges, do
not). With an `area`, only segments with an end within `road_margin_km` of it are kept (trips may leave
the county and come back). Of parallel edges between two nodes the faster is kept.

The graph is `minutes`, an n × n CSR matrix whose entry [u, v] is the time in minutes of the road from
node u to node v (absent: no such road), with `node_xy` the nodes' coordinates in metres. That is the
form `scipy.sparse.csgraph` searches directly. Built graphs are cached (optimizer/geography/road_cache.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from scipy.sparse import csr_array  # type: ignore[import-untyped]  # scipy ships no stubs (scipy-stubs)
from scipy.spatial import KDTree  # type: ignore[import-untyped]
from shapely.geometry.base import BaseGeometry

from optimizer.errors import DataError
from optimizer.geography.osm import RoadSegments, is_osm_file, read_osm_segments, way_directions
from optimizer.geography.road_cache import graph_key, read_cached, write_cached
from optimizer.inputs.geography_schema import TravelSettings

logger = logging.getLogger(__name__)

NODE_PRECISION_M = 1.0
LINE_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb")
"""File name endings read as line files by GeoPandas."""
_CACHED_ARRAYS = ("node_xy", "indptr", "indices", "minutes")


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Directed road graph in a metric CRS: `minutes[u, v]` is the travel time (min) of the road u → v.

    Compared by identity (a sparse matrix has no single truth value); `reverse` and `node_tree` are
    computed once, when first used.
    """

    path: Path
    crs: CRS
    node_xy: np.ndarray
    minutes: csr_array

    @property
    def node_count(self) -> int:
        """Number of road nodes."""
        return len(self.node_xy)

    @property
    def edge_count(self) -> int:
        """Number of directed edges (a two-way road counts twice)."""
        return int(self.minutes.nnz)

    @cached_property
    def reverse(self) -> csr_array:
        """The transposed graph: entry [v, u] is the time of the road u → v (searches toward a node)."""
        return csr_array(self.minutes.T)

    @cached_property
    def node_tree(self) -> KDTree:
        """k-d tree of the nodes, for snapping points to the network."""
        return KDTree(self.node_xy)


def load_road_graph(
    path: Path, metric_crs: CRS, settings: TravelSettings, area: BaseGeometry | None = None
) -> RoadGraph:
    """Read a road file (OSM extract or line file) into the directed graph, reusing a cached build.

    Parameters
    ----------
    path
        The road file named by the scenario's `data.road_network`.
    metric_crs
        Projected CRS in metres in which lengths are measured and the graph is stored.
    settings
        The scenario's `[travel]` block: class speeds, the default speed and the margin around `area`.
    area
        The area boundary in `metric_crs`; roads farther than `settings.road_margin_km` from it are
        dropped. None keeps every road.

    Raises
    ------
    DataError
        When the file cannot be read, has an unknown extension, holds no roads (near the area), or a
        line file has no CRS, a non-line feature or a non-positive speed.
    """
    if not (is_osm_file(path) or path.name.lower().endswith(LINE_SUFFIXES)):
        raise DataError.single(
            path,
            "file",
            f"has an unknown road file type; give an OpenStreetMap extract (.osm.pbf or .osm) or lines in "
            f"{', '.join(LINE_SUFFIXES)}",
        )
    try:
        key = graph_key(path, metric_crs, settings, area)
    except OSError as exc:
        raise DataError.single(path, "file", f"cannot be read ({exc.strerror}); check data.road_network") from exc
    cached = read_cached(key)
    if cached is not None and _valid(cached):
        logger.info("road graph of %s from the cache", path.name)
        return _from_arrays(path, metric_crs, cached)
    segments = (
        read_osm_segments(path, metric_crs, settings)
        if is_osm_file(path)
        else _line_segments(path, metric_crs, settings)
    )
    if area is not None:
        segments = _near_area(path, segments, area, settings.road_margin_km)
    road = graph_from_segments(path, metric_crs, segments)
    logger.info("road graph of %s: %d nodes, %d directed edges", path.name, road.node_count, road.edge_count)
    write_cached(key, _to_arrays(road))
    return road


def graph_from_segments(path: Path, crs: CRS, segments: RoadSegments) -> RoadGraph:
    """The directed graph of road segments: end points rounded to 1 m become nodes, the faster of
    parallel edges is kept and zero-length pieces are dropped."""
    ends = np.vstack([segments.start_xy, segments.end_xy])
    rounded = np.round(ends / NODE_PRECISION_M) * NODE_PRECISION_M
    node_xy, node_of_end = np.unique(rounded, axis=0, return_inverse=True)
    node_of_end = node_of_end.ravel()
    start, end = node_of_end[: len(segments)], node_of_end[len(segments) :]
    tail = np.concatenate([start[segments.forward], end[segments.backward]])
    head = np.concatenate([end[segments.forward], start[segments.backward]])
    minutes = np.concatenate([segments.minutes[segments.forward], segments.minutes[segments.backward]])
    keep = tail != head
    tail, head, minutes = tail[keep], head[keep], minutes[keep]
    order = np.lexsort((minutes, head, tail))
    tail, head, minutes = tail[order], head[order], minutes[order]
    first = np.ones(len(tail), dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    n = len(node_xy)
    matrix = csr_array((minutes[first], (tail[first], head[first])), shape=(n, n))
    return RoadGraph(path, crs, node_xy, matrix)


def nearest_nodes(road: RoadGraph, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest road node of each projected point (m), and the straight distance to it in metres."""
    points = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(points) == 0:
        return np.empty(0, dtype=np.intp), np.empty(0)
    distances, nodes = road.node_tree.query(points)
    return np.asarray(nodes, dtype=np.intp), np.asarray(distances, dtype=float)


def _line_segments(path: Path, metric_crs: CRS, settings: TravelSettings) -> RoadSegments:
    """Segments of a line file: every pair of consecutive vertices of every LineString part."""
    try:
        roads = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise DataError.single(path, "file", f"cannot be read as a line file ({exc}); check the file") from exc
    if roads.crs is None:
        raise DataError.single(path, "crs", "the road file has no CRS; save it with EPSG:4326 or a projected CRS")
    if roads.empty:
        raise DataError.single(path, "geometry", "the road file has no lines")
    kinds = roads.geometry.geom_type
    for row_number, kind in enumerate(kinds, start=1):
        if kind not in {"LineString", "MultiLineString"}:
            raise DataError.single(
                path, f"feature {row_number}, geometry", f"is {kind}; road features must be LineStrings"
            )
    speeds = _line_speeds(path, roads, settings.road_default_speed_kph)
    directions = [way_directions({"oneway": _oneway_text(v)}) for v in roads.get("oneway", [None] * len(roads))]
    projected = roads.geometry.to_crs(metric_crs).to_numpy()
    parts, feature_of_part = shapely.get_parts(projected, return_index=True)
    coords, part_of_vertex = shapely.get_coordinates(parts, return_index=True)
    # A segment joins two consecutive vertices of the same part.
    starts = np.flatnonzero(part_of_vertex[:-1] == part_of_vertex[1:])
    feature = feature_of_part[part_of_vertex[starts]]
    direction = np.asarray(directions, dtype=bool).reshape(-1, 2)[feature]
    return RoadSegments.build(coords[starts], coords[starts + 1], speeds[feature], direction[:, 0], direction[:, 1])


def _line_speeds(path: Path, roads: gpd.GeoDataFrame, default_kph: float) -> np.ndarray:
    """Speed (km/h) of each feature: its `speed_kph`, the default where empty; non-positive is refused."""
    if "speed_kph" not in roads.columns:
        return np.full(len(roads), default_kph)
    speeds = pd.to_numeric(roads["speed_kph"], errors="coerce").to_numpy(float)
    given = roads["speed_kph"].notna().to_numpy()
    bad = given & ~(speeds > 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = roads["speed_kph"].iloc[row]
        raise DataError.single(path, f"feature {row + 1}, speed_kph", f"{value} must be a positive speed in km/h")
    return np.where(given, speeds, default_kph)


def _oneway_text(value: object) -> str:
    """A `oneway` cell as OSM-style text: booleans and numbers (1, -1, 0) as their tag values."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | float | np.integer | np.floating):
        return str(int(value))
    return str(value)


def _near_area(path: Path, segments: RoadSegments, area: BaseGeometry, margin_km: float) -> RoadSegments:
    """The segments with an end point within `margin_km` of the area."""
    zone = shapely.buffer(area, margin_km * 1000.0)
    shapely.prepare(zone)
    keep = shapely.contains_xy(zone, segments.start_xy[:, 0], segments.start_xy[:, 1]) | shapely.contains_xy(
        zone, segments.end_xy[:, 0], segments.end_xy[:, 1]
    )
    if not keep.any():
        raise DataError.single(
            path,
            "geometry",
            f"has no road within {margin_km:g} km of the area; the file covers another place "
            "(download the extract of the area's province or prefecture)",
        )
    logger.info("%s: %d of %d segments within %g km of the area", path.name, keep.sum(), len(segments), margin_km)
    return RoadSegments(
        segments.start_xy[keep],
        segments.end_xy[keep],
        segments.length_m[keep],
        segments.minutes[keep],
        segments.forward[keep],
        segments.backward[keep],
    )


def _to_arrays(road: RoadGraph) -> dict[str, np.ndarray]:
    return {
        "node_xy": road.node_xy,
        "indptr": road.minutes.indptr,
        "indices": road.minutes.indices,
        "minutes": road.minutes.data,
    }


def _valid(arrays: dict[str, np.ndarray]) -> bool:
    """Whether cached arrays form a graph (a foreign or damaged entry is rebuilt, not trusted)."""
    if not all(name in arrays for name in _CACHED_ARRAYS):
        return False
    n = len(arrays["node_xy"])
    indptr, indices = arrays["indptr"], arrays["indices"]
    return bool(
        arrays["node_xy"].shape == (n, 2)
        and len(indptr) == n + 1
        and indptr[-1] == len(indices) == len(arrays["minutes"])
        and (len(indices) == 0 or (indices.min() >= 0 and indices.max() < n))
    )


def _from_arrays(path: Path, crs: CRS, arrays: dict[str, np.ndarray]) -> RoadGraph:
    n = len(arrays["node_xy"])
    matrix = csr_array((arrays["minutes"], arrays["indices"], arrays["indptr"]), shape=(n, n))
    return RoadGraph(path, crs, arrays["node_xy"], matrix)
