"""Demand point → facility travel times (minutes) over the directed road graph, in one sparse search.

Times toward a facility are distances *to* a node, so the search runs on the transposed graph from the
facility nodes: `scipy.sparse.csgraph.dijkstra(reverse, indices=facility_nodes, limit=cutoff)` gives, for
every facility, the time from every road node to it (one-way streets are driven the right way). That
is one compiled multi-source call instead of a Python Dijkstra per origin; the row of facilities ×
nodes is float64, so facilities are searched in batches that keep it under `MATRIX_BUDGET_BYTES`
(one batch for a county: 200 sites × 500,000 nodes is 800 MB, the budget).

A trip is: straight snapping leg from the origin to its nearest road node, the road time, and the
straight leg from the facility's node to the facility, both legs at the origin's class speed
(`urban_speed_kph` / `rural_speed_kph`). The cutoff bounds the road time; pairs beyond it, points
farther than `max_snap_km` from every road, and facilities off the network are `inf` (not reached).
A demand point that reaches nothing is not an error (villages in the mountains, far from any mapped
road): the count is logged and the point keeps `inf`. A facility that no demand point reaches is a
`DataError`, since the plan could not place anything there.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from scipy.sparse.csgraph import dijkstra  # type: ignore[import-untyped]  # scipy ships no stubs

from optimizer.errors import DataError
from optimizer.geography.network import RoadGraph, nearest_nodes
from optimizer.geography.travel_times import TravelMatrix, straight_line_km
from optimizer.inputs.geography_schema import TravelSettings

logger = logging.getLogger(__name__)

MATRIX_BUDGET_BYTES = 800 * 2**20
"""Largest facilities × nodes float64 block searched at once (bytes)."""
_WGS84 = CRS.from_epsg(4326)


def road_matrix(
    origins: pd.DataFrame,
    facilities: pd.DataFrame,
    road: RoadGraph,
    settings: TravelSettings,
    cutoff_min: float,
) -> TravelMatrix:
    """Travel minutes from every origin to every facility over `road`; unreachable pairs are `inf`.

    Parameters
    ----------
    origins
        Demand points: `id`, `lon`, `lat` (WGS-84) and `settlement_class` ("urban" or "rural").
    facilities
        Candidate and existing sites: `facility_id`, `lon`, `lat` (WGS-84).
    road
        The directed road graph (optimizer/geography/network.py).
    settings
        The scenario's `[travel]` block: snapping speeds and `max_snap_km`.
    cutoff_min
        Road time beyond which a pair is not reached (minutes).

    Raises
    ------
    DataError
        When a facility is reached by no origin within the cutoff, naming the road file and the fix.
    """
    origin_lon, origin_lat = origins["lon"].to_numpy(float), origins["lat"].to_numpy(float)
    site_lon, site_lat = facilities["lon"].to_numpy(float), facilities["lat"].to_numpy(float)
    km = straight_line_km(origin_lon, origin_lat, site_lon, site_lat)
    to_metric = Transformer.from_crs(_WGS84, road.crs, always_xy=True)
    origin_nodes, origin_snap_m = nearest_nodes(road, np.column_stack(to_metric.transform(origin_lon, origin_lat)))
    site_nodes, site_snap_m = nearest_nodes(road, np.column_stack(to_metric.transform(site_lon, site_lat)))
    max_snap_m = settings.max_snap_km * 1000.0
    road_min = _times_to_sites(road, origin_nodes, site_nodes, cutoff_min)  # origins × sites
    road_min[origin_snap_m > max_snap_m, :] = np.inf
    road_min[:, site_snap_m > max_snap_m] = np.inf
    urban = origins["settlement_class"].to_numpy() == "urban"
    snap_kph = np.where(urban, settings.urban_speed_kph, settings.rural_speed_kph)
    snap_min = (origin_snap_m[:, None] + site_snap_m[None, :]) / 1000.0 / snap_kph[:, None] * 60.0
    minutes = road_min + snap_min
    _report_unreached(origins, facilities, road, settings, cutoff_min, minutes, origin_snap_m > max_snap_m)
    return TravelMatrix(tuple(origins["id"]), tuple(facilities["facility_id"]), km, minutes, "road_network")


def _times_to_sites(road: RoadGraph, origin_nodes: np.ndarray, site_nodes: np.ndarray, cutoff_min: float) -> np.ndarray:
    """Road minutes from each origin node to each site node (origins × sites), `inf` beyond the cutoff."""
    sources, site_of_source = np.unique(site_nodes, return_inverse=True)
    batch = max(1, MATRIX_BUDGET_BYTES // (8 * max(road.node_count, 1)))
    to_source = np.empty((len(origin_nodes), len(sources)))
    for first in range(0, len(sources), batch):
        chunk = sources[first : first + batch]
        # Row s: time from every node to source s (a search on the transposed graph).
        times = np.asarray(dijkstra(road.reverse, directed=True, indices=chunk, limit=cutoff_min), dtype=float)
        to_source[:, first : first + len(chunk)] = times.reshape(len(chunk), -1)[:, origin_nodes].T
    return to_source[:, site_of_source.ravel()]


def _report_unreached(
    origins: pd.DataFrame,
    facilities: pd.DataFrame,
    road: RoadGraph,
    settings: TravelSettings,
    cutoff_min: float,
    minutes: np.ndarray,
    off_network: np.ndarray,
) -> None:
    """Log the origins that reach nothing; raise for the facilities no origin reaches."""
    stranded = ~np.isfinite(minutes).any(axis=1)
    if stranded.any():
        logger.warning(
            "%d of %d demand points reach no facility within %g min on %s (%d lie over %g km from every road); "
            "they count as not served",
            stranded.sum(),
            len(origins),
            cutoff_min,
            road.path.name,
            (stranded & off_network).sum(),
            settings.max_snap_km,
        )
    unreached = ~np.isfinite(minutes).any(axis=0)
    if unreached.any():
        names = ", ".join(str(f) for f in facilities["facility_id"].to_numpy()[unreached])
        raise DataError.single(
            road.path,
            "geometry",
            f"facilities {names} are reached by no demand point within {cutoff_min:g} min (or lie over "
            f"{settings.max_snap_km:g} km from the nearest road); connect them in the road file, or raise "
            "travel.max_access_min or travel.max_snap_km",
        )
