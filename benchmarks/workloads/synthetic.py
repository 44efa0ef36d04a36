"""Seeded generator of realistic large location instances (a synthetic province). Pure NumPy.

Settlements cluster: a few county seats hold big, dense clusters of towns, and many small market
towns are scattered in between, each with a heavy-tailed (log-normal) population. Demand points
(villages, neighbourhoods) sit around their town, more of them for bigger towns. Coordinates are in
km on a square province; the caller turns them into distances (e.g. `road_km`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class ProvinceInstance:
    """A synthetic province: candidate towns and demand points, coordinates in km."""

    seed: int
    extent_km: float
    town_xy: FloatArray
    """Candidate towns, shape (n_towns, 2), km."""
    town_population: FloatArray
    """Persons per town (heavy-tailed), shape (n_towns,)."""
    town_is_seat: npt.NDArray[np.bool_]
    """True for the county seats (one per county)."""
    demand_xy: FloatArray
    """Demand points, shape (n_demand, 2), km."""
    demand_population: FloatArray
    """Persons per demand point, shape (n_demand,); sums to the town populations."""
    demand_town: IntArray
    """Index of the town each demand point belongs to."""


def generate_province(
    seed: int,
    *,
    n_towns: int = 3_000,
    n_demand: int = 30_000,
    n_counties: int = 12,
    extent_km: float = 300.0,
    seat_share: float = 0.25,
) -> ProvinceInstance:
    """Generate a province with `n_towns` candidate towns and about `n_demand` demand points.

    Parameters
    ----------
    seed
        Seed of `numpy.random.default_rng`; the same seed gives the same province.
    n_towns, n_demand
        Candidate towns and demand points.
    n_counties
        County seats, each the centre of a big cluster holding `seat_share` of the towns together.
    extent_km
        Side of the square province.
    seat_share
        Share of towns packed around county seats (σ ≈ 8 km); the rest form many small clusters.
    """
    rng = np.random.default_rng(seed)
    margin = 0.1 * extent_km
    seats = rng.uniform(margin, extent_km - margin, size=(n_counties, 2))
    n_near = int(round(seat_share * (n_towns - n_counties)))
    owner = rng.integers(0, n_counties, size=n_near)
    near = seats[owner] + rng.normal(0.0, 8.0, size=(n_near, 2))
    n_far = n_towns - n_counties - n_near
    n_small = max(1, n_far // 6)  # many small clusters of ~6 towns (a valley, a market area)
    centres = rng.uniform(0.0, extent_km, size=(n_small, 2))
    far = centres[rng.integers(0, n_small, size=n_far)] + rng.normal(0.0, 4.0, size=(n_far, 2))
    town_xy = np.clip(np.vstack([seats, near, far]), 0.0, extent_km)
    population = rng.lognormal(mean=np.log(8_000.0), sigma=0.9, size=n_towns)
    population[:n_counties] = rng.lognormal(mean=np.log(150_000.0), sigma=0.5, size=n_counties)
    population[n_counties : n_counties + n_near] *= 1.8  # towns near seats are larger
    is_seat = np.zeros(n_towns, dtype=bool)
    is_seat[:n_counties] = True
    share = population**0.7
    points = np.maximum(1, np.floor(n_demand * share / share.sum())).astype(np.int64)
    points[np.argsort(-share)[: max(0, n_demand - int(points.sum()))]] += 1
    demand_town = np.repeat(np.arange(n_towns, dtype=np.int64), points)
    spread = np.where(is_seat, 4.0, 2.5)[demand_town]
    demand_xy = np.clip(
        town_xy[demand_town] + rng.normal(0.0, 1.0, size=(len(demand_town), 2)) * spread[:, None],
        0.0,
        extent_km,
    )
    raw = rng.pareto(1.5, size=len(demand_town)) + 1.0
    totals = np.bincount(demand_town, weights=raw, minlength=n_towns)
    demand_population = population[demand_town] * raw / totals[demand_town]
    order = np.lexsort((demand_xy[:, 1], demand_xy[:, 0], demand_town))
    return ProvinceInstance(
        seed,
        extent_km,
        town_xy,
        population,
        is_seat,
        demand_xy[order],
        demand_population[order],
        demand_town[order],
    )


@overload
def road_km(  # type: ignore[overload-overlap]  # float32 and float64 share no subclass
    origins: FloatArray,
    destinations: FloatArray,
    *,
    detour: float = ...,
    round_to_km: float | None = ...,
    dtype: type[np.float64],
) -> npt.NDArray[np.float64]: ...
@overload
def road_km(
    origins: FloatArray,
    destinations: FloatArray,
    *,
    detour: float = ...,
    round_to_km: float | None = ...,
    dtype: type[np.float32] = ...,
) -> npt.NDArray[np.float32]: ...
def road_km(
    origins: FloatArray,
    destinations: FloatArray,
    *,
    detour: float = 1.3,
    round_to_km: float | None = None,
    dtype: type[np.float32] | type[np.float64] = np.float32,
) -> npt.NDArray[np.float32] | npt.NDArray[np.float64]:
    """Straight-line distance × a road detour factor, computed in row blocks to bound memory.

    `round_to_km` rounds to a grid (e.g. 1.0), which makes distance levels repeat (smaller radius
    and p-center models).
    """
    out: npt.NDArray[np.floating] = np.empty((len(origins), len(destinations)), dtype=dtype)
    block = max(1, 4_000_000 // max(1, len(destinations)))
    for start in range(0, len(origins), block):
        chunk = origins[start : start + block]
        d = np.sqrt(((chunk[:, None, :] - destinations[None, :, :]) ** 2).sum(axis=2)) * detour
        if round_to_km:
            d = np.round(d / round_to_km) * round_to_km
        out[start : start + block] = d
    return out
