"""Town → facility distance (km) and travel time (minutes) matrices.

Two sources, always named in the outputs:
- `road_network`: one Dijkstra per origin over the road graph with a cutoff (networkx), plus the
  straight snapping legs to and from the network at the origin's speed;
- `euclidean_fallback`: ellipsoidal great-circle distance × a detour factor at the average of the
  two end points' class speeds (urban/rural). Used when no road file is given, and flagged.
Radius standards (服务半径) are always measured as straight-line km (decision A4 in docs/decisions.md).

Two levels of origin: the township seats (rows of `TravelMatrix` itself: the seat-level rules such as
the hard ambulance radius and the referral network), and the demand points below them
(`TravelMatrix.demand`, optimizer/geography/demand.py): coverage shares, the mean response, access times
and accessibility are measured over the points, so a trip inside a township is no longer 0 minutes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from pyproj import Geod

from optimizer.geography.demand import DemandPoints
from optimizer.inputs.geography_schema import TravelSettings

logger = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")
TravelSource = Literal["euclidean_fallback", "road_network"]


@dataclass(frozen=True)
class TravelMatrix:
    """Origins (town codes, or demand point ids) × destinations (facility ids): straight km and minutes."""

    origins: tuple[str, ...]
    destinations: tuple[str, ...]
    straight_km: np.ndarray
    minutes: np.ndarray
    source: TravelSource
    demand: DemandTravel | None = None
    """The demand points below the seats and their own matrix; None = the seats are the only origins."""

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


@dataclass(frozen=True)
class DemandTravel:
    """Demand points and their point × facility matrix (same destinations as the seat matrix)."""

    points: DemandPoints
    matrix: TravelMatrix

    def town_mean(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """Per town code, the population-weighted mean over its points of `values` (points × facilities);
        a facility some of whose points cannot reach it (inf) is inf for the town."""
        out = {}
        for town, (rows, shares) in self.points.town_weights.items():
            # a point of no residents counts for nothing, even where it reaches nothing (0 × inf)
            out[town] = shares @ np.where(shares[:, None] > 0, values[rows], 0.0)
        return out


def with_demand(seats: TravelMatrix, points: DemandPoints, matrix: TravelMatrix) -> TravelMatrix:
    """The seat matrix carrying its demand points."""
    if matrix.destinations != seats.destinations or matrix.origins != points.ids:
        raise ValueError("the demand matrix must run from the points, in order, to the seat matrix's facilities")
    return replace(seats, demand=DemandTravel(points, matrix))


def access_minutes(matrix: TravelMatrix) -> TravelMatrix:
    """Town × facility minutes for the access term: the mean over the town's demand points (the seat's own
    minutes without points). Straight km stay the seats'."""
    if matrix.demand is None:
        return matrix
    means = matrix.demand.town_mean(matrix.demand.matrix.minutes)
    minutes = np.vstack([means[t] for t in matrix.origins])
    return replace(matrix, minutes=minutes, demand=None)


def straight_line_km(lon_a: np.ndarray, lat_a: np.ndarray, lon_b: np.ndarray, lat_b: np.ndarray) -> np.ndarray:
    """Ellipsoidal (WGS-84) distance in km between every a and every b: shape (len(a), len(b))."""
    grid_lon_a, grid_lon_b = np.meshgrid(lon_a, lon_b, indexing="ij")
    grid_lat_a, grid_lat_b = np.meshgrid(lat_a, lat_b, indexing="ij")
    _, _, metres = _GEOD.inv(grid_lon_a.ravel(), grid_lat_a.ravel(), grid_lon_b.ravel(), grid_lat_b.ravel())
    return np.asarray(metres, dtype=float).reshape(grid_lon_a.shape) / 1000.0


def fallback_matrix(towns: pd.DataFrame, facilities: pd.DataFrame, settings: TravelSettings) -> TravelMatrix:
    """Great-circle × detour factor at class speeds from the seats; `towns` and `facilities` are sorted frames."""
    return point_fallback_matrix(towns.rename(columns={"code": "id"}), facilities, towns, settings)


def fallback_from_km(
    km: np.ndarray, towns: pd.DataFrame, facilities: pd.DataFrame, settings: TravelSettings
) -> TravelMatrix:
    """The fallback matrix from straight-line km already known (towns × facilities, same order as the
    frames); synthetic instances use it with planar distances instead of great circles."""
    town_class = dict(zip(towns["code"], towns["settlement_class"], strict=True))
    return _fallback(km, tuple(towns["code"]), towns["settlement_class"], facilities, town_class, settings)


def point_fallback_matrix(
    points: pd.DataFrame, facilities: pd.DataFrame, towns: pd.DataFrame, settings: TravelSettings
) -> TravelMatrix:
    """The fallback from demand points (`id`, `lon`, `lat`, `settlement_class` of their township) to the
    facilities; a facility's end of the trip runs at the speed of its township's class."""
    km = straight_line_km(
        points["lon"].to_numpy(float),
        points["lat"].to_numpy(float),
        facilities["lon"].to_numpy(float),
        facilities["lat"].to_numpy(float),
    )
    town_class = dict(zip(towns["code"], towns["settlement_class"], strict=True))
    return _fallback(km, tuple(points["id"]), points["settlement_class"], facilities, town_class, settings)


def _fallback(
    km: np.ndarray,
    origins: tuple[str, ...],
    origin_class: pd.Series,
    facilities: pd.DataFrame,
    town_class: dict[str, str],
    settings: TravelSettings,
) -> TravelMatrix:
    origin_speed = np.array([_speed(c, settings) for c in origin_class])
    destination_speed = np.array([_speed(town_class[t], settings) for t in facilities["town_code"]])
    # Half the road distance at each end point's speed: a trip from a rural town to the county seat
    # is neither all urban nor all rural.
    road_km = km * settings.detour_factor
    minutes = road_km / 2 * 60 * (1 / origin_speed[:, None] + 1 / destination_speed[None, :])
    return TravelMatrix(origins, tuple(facilities["facility_id"]), km, minutes, "euclidean_fallback")


def _speed(settlement_class: str, settings: TravelSettings) -> float:
    return settings.urban_speed_kph if settlement_class == "urban" else settings.rural_speed_kph
