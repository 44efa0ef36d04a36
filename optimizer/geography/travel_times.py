"""Town → facility distance (km) and travel time (minutes) matrices.

Two sources, always named in the outputs:
- `road_network`: one Dijkstra per origin over the road graph with a cutoff (networkx), plus the
  straight snapping legs to and from the network at the origin's speed;
- `euclidean_fallback`: ellipsoidal great-circle distance × a detour factor at the average of the
  two end points' class speeds (urban/rural). Used when no road file is given, and flagged.
Radius standards (服务半径) are always measured as straight-line km (decision A4 in docs/decisions.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import networkx as nx
import numpy as np
import pandas as pd
from pyproj import CRS, Geod, Transformer

from optimizer.errors import DataError, Problem
from optimizer.geography.network import RoadGraph, nearest_nodes
from optimizer.inputs.geography_schema import TravelSettings

logger = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")
TravelSource = Literal["euclidean_fallback", "road_network"]


@dataclass(frozen=True)
class TravelMatrix:
    """Origins (town codes) × destinations (facility ids): straight km and travel minutes."""

    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    straight_km: np.ndarray
    minutes: np.ndarray
    source: TravelSource

    def pairs_within(self, max_minutes: float) -> dict[tuple[str, str], float]:
        """Sparse `{(town, facility): minutes}` for pairs reachable within `max_minutes` (inclusive)."""
        rows, cols = np.nonzero(self.minutes <= max_minutes)
        return {
            (self.origins[i], self.destinations[j]): float(self.minutes[i, j]) for i, j in zip(rows, cols, strict=True)
        }

    def frame(self) -> pd.DataFrame:
        """Long table: origin, destination, straight_km, minutes (for outputs and checks)."""
        origin, destination = np.meshgrid(self.origins, self.destinations, indexing="ij")
        return pd.DataFrame(
            {
                "origin": origin.ravel(),
                "destination": destination.ravel(),
                "straight_km": self.straight_km.ravel(),
                "minutes": self.minutes.ravel(),
            }
        )


def straight_line_km(lon_a: np.ndarray, lat_a: np.ndarray, lon_b: np.ndarray, lat_b: np.ndarray) -> np.ndarray:
    """Ellipsoidal (WGS-84) distance in km between every a and every b: shape (len(a), len(b))."""
    grid_lon_a, grid_lon_b = np.meshgrid(lon_a, lon_b, indexing="ij")
    grid_lat_a, grid_lat_b = np.meshgrid(lat_a, lat_b, indexing="ij")
    _, _, metres = _GEOD.inv(grid_lon_a.ravel(), grid_lat_a.ravel(), grid_lon_b.ravel(), grid_lat_b.ravel())
    return np.asarray(metres, dtype=float).reshape(grid_lon_a.shape) / 1000.0


def fallback_matrix(towns: pd.DataFrame, facilities: pd.DataFrame, settings: TravelSettings) -> TravelMatrix:
    """Great-circle × detour factor at class speeds; `towns` and `facilities` are sorted frames."""
    km = straight_line_km(
        towns["lon"].to_numpy(float),
        towns["lat"].to_numpy(float),
        facilities["lon"].to_numpy(float),
        facilities["lat"].to_numpy(float),
    )
    return fallback_from_km(km, towns, facilities, settings)


def fallback_from_km(
    km: np.ndarray, towns: pd.DataFrame, facilities: pd.DataFrame, settings: TravelSettings
) -> TravelMatrix:
    """The fallback matrix from straight-line km already known (towns × facilities, same order as the
    frames); synthetic instances use it with planar distances instead of great circles."""
    town_class = dict(zip(towns["code"], towns["settlement_class"], strict=True))
    origin_speed = np.array([_speed(town_class[t], settings) for t in towns["code"]])
    destination_speed = np.array([_speed(town_class[t], settings) for t in facilities["town_code"]])
    # Half the road distance at each end point's speed: a trip from a rural town to the county seat
    # is neither all urban nor all rural.
    road_km = km * settings.detour_factor
    minutes = road_km / 2 * 60 * (1 / origin_speed[:, None] + 1 / destination_speed[None, :])
    return TravelMatrix(tuple(towns["code"]), tuple(facilities["facility_id"]), km, minutes, "euclidean_fallback")


def road_matrix(
    towns: pd.DataFrame,
    facilities: pd.DataFrame,
    road: RoadGraph,
    settings: TravelSettings,
    cutoff_min: float,
) -> TravelMatrix:
    """One Dijkstra per origin town with a cutoff; unreachable pairs get `inf` minutes.

    Raises
    ------
    DataError
        When a town cannot reach any facility on the network within the cutoff.
    """
    km = straight_line_km(
        towns["lon"].to_numpy(float),
        towns["lat"].to_numpy(float),
        facilities["lon"].to_numpy(float),
        facilities["lat"].to_numpy(float),
    )
    to_metric = Transformer.from_crs(CRS.from_epsg(4326), road.crs, always_xy=True)
    town_xy = np.column_stack(to_metric.transform(towns["lon"].to_numpy(float), towns["lat"].to_numpy(float)))
    site_xy = np.column_stack(to_metric.transform(facilities["lon"].to_numpy(float), facilities["lat"].to_numpy(float)))
    town_nodes, town_snap_m = nearest_nodes(road, town_xy)
    site_nodes, site_snap_m = nearest_nodes(road, site_xy)
    town_class = dict(zip(towns["code"], towns["settlement_class"], strict=True))
    snap_speed = np.array([_speed(town_class[t], settings) for t in towns["code"]])
    minutes = np.full(km.shape, np.inf)
    on_network = site_snap_m <= settings.max_snap_km * 1000.0
    for i, source in enumerate(town_nodes):
        if town_snap_m[i] > settings.max_snap_km * 1000.0:
            continue  # the town is not on the network: it reaches nothing
        reached = nx.single_source_dijkstra_path_length(road.graph, source, cutoff=cutoff_min, weight="travel_time_min")
        for j, target in enumerate(site_nodes):
            if on_network[j] and target in reached:
                snap_min = (town_snap_m[i] + site_snap_m[j]) / 1000.0 / snap_speed[i] * 60.0
                minutes[i, j] = reached[target] + snap_min
    reach = f"within {cutoff_min:g} min (or lie over {settings.max_snap_km:g} km from the nearest road)"
    fix = "connect them in the road file, or raise travel.max_access_min or travel.max_snap_km"
    problems = []
    unreachable = [t for t, row in zip(towns["code"], minutes, strict=True) if not np.isfinite(row).any()]
    if unreachable:
        problems.append(
            Problem(road.path, "geometry", f"towns {', '.join(unreachable)} reach no facility {reach}; {fix}")
        )
    unreached = [
        f for f, column in zip(facilities["facility_id"], minutes.T, strict=True) if not np.isfinite(column).any()
    ]
    if unreached:
        problems.append(
            Problem(road.path, "geometry", f"facilities {', '.join(unreached)} are reached by no town {reach}; {fix}")
        )
    if problems:
        raise DataError(problems)
    return TravelMatrix(tuple(towns["code"]), tuple(facilities["facility_id"]), km, minutes, "road_network")


def _speed(settlement_class: str, settings: TravelSettings) -> float:
    return settings.urban_speed_kph if settlement_class == "urban" else settings.rural_speed_kph
