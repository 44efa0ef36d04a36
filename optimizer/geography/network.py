"""Road graph from a line file: edges carry length (m) and travel time (minutes); points snap to nodes.

The file is any vector format GeoPandas reads (GeoJSON, GeoPackage, shapefile) of LineStrings, with
an optional `speed_kph` column (else the scenario's default speed). Lines are projected to a metric
CRS before lengths are measured; line end points become nodes (rounded to 1 m so touching lines
connect).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS
from shapely import STRtree
from shapely.geometry import LineString, MultiLineString

from optimizer.errors import DataError

logger = logging.getLogger(__name__)

NODE_PRECISION_M = 1.0


@dataclass(frozen=True)
class RoadGraph:
    """Undirected road graph in a metric CRS, with node coordinates for snapping."""

    path: Path
    graph: nx.Graph[tuple[float, float]]
    crs: CRS
    node_ids: tuple[tuple[float, float], ...]
    node_xy: np.ndarray


def load_road_graph(path: Path, metric_crs: CRS, default_speed_kph: float) -> RoadGraph:
    """Read road lines and build the graph with `length_m` and `travel_time_min` on every edge.

    Raises
    ------
    DataError
        When the file has no CRS, no line geometry, or a non-positive speed.
    """
    roads = gpd.read_file(path)
    if roads.crs is None:
        raise DataError.single(path, "crs", "the road file has no CRS; save it with EPSG:4326 or a projected CRS")
    if roads.empty:
        raise DataError.single(path, "geometry", "the road file has no lines")
    roads = roads.to_crs(metric_crs)
    speeds = roads["speed_kph"] if "speed_kph" in roads.columns else [default_speed_kph] * len(roads)
    graph: nx.Graph[tuple[float, float]] = nx.Graph()
    for row_number, (geometry, speed) in enumerate(zip(roads.geometry, speeds, strict=True), start=1):
        if not isinstance(geometry, LineString | MultiLineString):
            raise DataError.single(
                path, f"feature {row_number}, geometry", f"is {geometry.geom_type}; road features must be LineStrings"
            )
        if not float(speed) > 0:
            raise DataError.single(path, f"feature {row_number}, speed_kph", f"{speed} must be a positive speed")
        parts = geometry.geoms if isinstance(geometry, MultiLineString) else [geometry]
        for part in parts:
            _add_line(graph, part, float(speed))
    node_ids = tuple(sorted(graph.nodes))
    return RoadGraph(path, graph, metric_crs, node_ids, np.array(node_ids, dtype=float))


def _add_line(graph: nx.Graph[tuple[float, float]], line: LineString, speed_kph: float) -> None:
    coords = [_node(x, y) for x, y in line.coords]
    for start, end in zip(coords, coords[1:], strict=False):
        if start == end:
            continue
        length_m = float(np.hypot(end[0] - start[0], end[1] - start[1]))
        minutes = length_m / 1000.0 / speed_kph * 60.0
        previous = graph.get_edge_data(start, end)
        if previous is None or previous["travel_time_min"] > minutes:
            graph.add_edge(start, end, length_m=length_m, travel_time_min=minutes)


def _node(x: float, y: float) -> tuple[float, float]:
    return (round(x / NODE_PRECISION_M) * NODE_PRECISION_M, round(y / NODE_PRECISION_M) * NODE_PRECISION_M)


def nearest_nodes(road: RoadGraph, xy: np.ndarray) -> tuple[list[tuple[float, float]], np.ndarray]:
    """Nearest graph node of each projected point, and the straight snapping distance in metres."""
    # shapely.points of an (n, 2) array is an array of Points (the stubs also allow a single Point)
    tree = STRtree(cast("npt.NDArray[np.object_]", shapely.points(road.node_xy)))
    nearest = tree.nearest(cast("npt.NDArray[np.object_]", shapely.points(xy)))
    distances = np.hypot(*(xy - road.node_xy[nearest]).T)
    return [road.node_ids[i] for i in nearest], distances
