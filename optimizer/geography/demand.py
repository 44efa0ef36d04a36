"""Demand points: where the residents of each township are taken to live, below the township seat.

With one point per township at its seat (the old model), every facility at a seat is 0 minutes from
its town and every coverage standard reads 100 %. Here each township's residents are spread over
demand points, so a radius covers a share of a town:

1. Settlement points given (`data.settlement_points`): they are the township's demand points, with
   their populations (or the township's residents split evenly over them); not estimated in location.
2. Otherwise, `[demand] method = "estimated_grid"` (default): the township's area is estimated
   (`township_areas`: Voronoi cell of its seat in its county), covered with the H3 cells
   (Uber's hexagonal grid, `h3` library) whose centres lie inside it at `h3_resolution` (7: about
   5.2 km² a cell), and its residents are spread over the cells:
   - `population_raster` given: in proportion to the raster's persons per cell (real weights);
   - else `weighting = "village_units"`: the community share of the township's village-level units
     (社区居委会 / all units, NBS 2023) lives in the cell of the seat, the rest evenly over its cells;
   - else `weighting = "uniform"`: evenly over its cells.
   A township whose estimated area holds no cell centre keeps one point at its seat.
   `method = "township_seats"` keeps one point per township at its seat (for comparison only).

Populations are whole persons, rounded by largest remainder so that each township's points add up to
its resident population exactly. Every point carries `population_estimated` (its share of the town is
an estimate unless a raster or settlement populations gave it; a town's own total keeps the township's
flag) and `location_estimated`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal, cast

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
from pyproj import CRS
from shapely.geometry import Polygon

from optimizer.geography.boundaries import WGS84
from optimizer.geography.population_raster import raster_population
from optimizer.geography.township_areas import township_areas
from optimizer.inputs.geography_schema import DemandSettings

logger = logging.getLogger(__name__)

DEMAND_COLUMNS = (
    "id",
    "town_code",
    "town_name",
    "settlement_class",
    "population",
    "lon",
    "lat",
    "population_estimated",
    "location_estimated",
    "method",
)
PointMethod = Literal["h3_cell", "township_seat", "settlement_point"]
RasterWeights = dict[str, float]


@dataclass(frozen=True)
class DemandPoints:
    """The demand points of the area (`frame`, columns `DEMAND_COLUMNS`, sorted by id) and how they were made."""

    frame: pd.DataFrame
    method: str
    """Plain-language method, carried into the report's estimated values."""

    @property
    def ids(self) -> tuple[str, ...]:
        """Point ids in frame order (the origins of the demand travel matrix)."""
        return tuple(self.frame["id"])

    def population_of(self) -> dict[str, float]:
        """Persons per point id."""
        return dict(zip(self.frame["id"], self.frame["population"].astype(float), strict=True))

    @cached_property
    def town_weights(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per town code: the row positions of its points and their shares of the town's residents
        (computed once: every per-town mean of the run reads it)."""
        out = {}
        population = self.frame["population"].to_numpy(float)
        for town, positions in self.frame.groupby("town_code", sort=True).indices.items():
            rows = np.asarray(positions, dtype=np.int64)
            total = population[rows].sum()
            shares = population[rows] / total if total > 0 else np.full(len(rows), 1.0 / len(rows))
            out[str(town)] = (rows, np.asarray(shares, dtype=float))
        return out


def build_demand_points(
    townships: pd.DataFrame,
    boundary: gpd.GeoDataFrame,
    metric_crs: CRS,
    settings: DemandSettings,
    *,
    village_counts: pd.DataFrame | None = None,
    settlements: pd.DataFrame | None = None,
    raster: Path | None = None,
) -> DemandPoints:
    """The demand points of `townships` (module docstring for the method); `raster` is a population
    raster whose persons per H3 cell weight the spread."""
    given = set() if settlements is None else set(settlements["town_code"])
    seat_rows = townships[~townships["code"].isin(given)]
    parts = []
    if settlements is not None and len(settlements):
        parts.append(_settlement_points(townships[townships["code"].isin(given)], settlements))
    if settings.method == "township_seats":
        parts.append(_seat_points(seat_rows))
        method = "one point per township at its seat (trips inside a township are 0 minutes)"
    else:
        cells = h3_cells(seat_rows, boundary, metric_crs, settings.h3_resolution)
        raster_weights = None
        if raster is not None and len(cells):
            sums = raster_population(raster, cell_polygons(cells))
            raster_weights = {str(k): float(v) for k, v in sums.items()}
        parts.append(_spread(seat_rows, cells, settings, village_counts, raster_weights))
        method = _method_text(settings, raster_weights is not None)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(DEMAND_COLUMNS))
    frame = frame.sort_values("id", kind="stable").reset_index(drop=True)[list(DEMAND_COLUMNS)]
    if settlements is not None and len(settlements):
        method = f"settlement points for {len(given)} townships; {method} for the others"
    logger.info("%d demand points for %d townships: %s", len(frame), len(townships), method)
    return DemandPoints(frame, method)


def h3_cells(townships: pd.DataFrame, boundary: gpd.GeoDataFrame, metric_crs: CRS, resolution: int) -> pd.DataFrame:
    """The H3 cells whose centre lies in each township's estimated area: `town_code`, `cell`, `lon`, `lat`.

    Sorted by town and cell; a township with no cell centre inside its area has no row.
    """
    areas = township_areas(townships, boundary, metric_crs).to_crs(WGS84)
    rows = []
    for code, shape in zip(areas["code"], areas.geometry, strict=True):
        if shape.is_empty:
            continue
        for cell in sorted(h3.geo_to_cells(shape, resolution)):
            lat, lon = h3.cell_to_latlng(cell)
            rows.append((str(code), cell, lon, lat))
    return pd.DataFrame(rows, columns=["town_code", "cell", "lon", "lat"])


def cell_polygons(cells: pd.DataFrame) -> gpd.GeoDataFrame:
    """The hexagon of each cell row (WGS-84), indexed by point id `<town>-<cell>`, for raster sums and maps."""
    shapes = [Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(c)]) for c in cells["cell"]]
    ids = [f"{t}-{c}" for t, c in zip(cells["town_code"], cells["cell"], strict=True)]
    return gpd.GeoDataFrame({"id": ids}, geometry=shapes, crs=WGS84).set_index("id")


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers in proportion to `weights` that add up to `total` exactly (ties to the first)."""
    weights = np.asarray(weights, dtype=float)
    share = weights / weights.sum() if weights.sum() > 0 else np.full(len(weights), 1.0 / len(weights))
    exact = share * total
    whole = np.floor(exact).astype(np.int64)
    left = int(total - whole.sum())
    order = np.argsort(-(exact - whole), kind="stable")
    whole[order[:left]] += 1
    return np.asarray(whole, dtype=np.int64)


def _spread(
    townships: pd.DataFrame,
    cells: pd.DataFrame,
    settings: DemandSettings,
    village_counts: pd.DataFrame | None,
    raster_weights: RasterWeights | None,
) -> pd.DataFrame:
    """Each township's residents over its cells (its seat when it has none)."""
    by_town = {str(t): group for t, group in cells.groupby("town_code", sort=True)}
    units = None if village_counts is None else village_counts.set_index("town_code")
    out = []
    for _, town in townships.iterrows():
        code = str(town["code"])
        group = by_town.get(code)
        if group is None:
            out.append(_seat_points(townships[townships["code"] == code]))
            continue
        ids = [f"{code}-{c}" for c in group["cell"]]
        weights, from_raster = _weights(town, group, ids, settings, units, raster_weights)
        population = largest_remainder(int(round(float(town["population"]))), weights)
        out.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "town_code": code,
                    "town_name": town["name"],
                    "settlement_class": town["settlement_class"],
                    "population": population.astype(float),
                    "lon": group["lon"].to_numpy(float),
                    "lat": group["lat"].to_numpy(float),
                    "population_estimated": bool(town["population_estimated"]) or not from_raster,
                    "location_estimated": True,
                    "method": "h3_cell",
                }
            )
        )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=list(DEMAND_COLUMNS))


def _weights(
    town: pd.Series,
    group: pd.DataFrame,
    ids: list[str],
    settings: DemandSettings,
    units: pd.DataFrame | None,
    raster_weights: RasterWeights | None,
) -> tuple[np.ndarray, bool]:
    """The weights of a town's cells, and whether they came from the raster."""
    if raster_weights is not None:
        raster = np.array([raster_weights.get(i, 0.0) for i in ids], dtype=float)
        if raster.sum() > 0:
            return raster, True
        logger.warning("township %s: the population raster holds no persons in its cells; spread estimated", ids[0])
    weights = np.full(len(ids), 1.0 / len(ids))
    code = str(town["code"])
    if settings.weighting == "village_units" and units is not None and code in units.index:
        villages = int(cast(int, units.at[code, "village_committees"]))
        communities = int(cast(int, units.at[code, "community_committees"]))
        if villages + communities > 0:
            seat_share = communities / (villages + communities)
            seat = _nearest_row(group, float(town["lon"]), float(town["lat"]))
            weights = weights * (1.0 - seat_share)
            weights[seat] += seat_share
    return weights, False


def _nearest_row(group: pd.DataFrame, lon: float, lat: float) -> int:
    """Position of the cell centre nearest (lon, lat) in degrees scaled by latitude (cells are ~1 km)."""
    dx = (group["lon"].to_numpy(float) - lon) * np.cos(np.radians(lat))
    dy = group["lat"].to_numpy(float) - lat
    return int(np.argmin(dx * dx + dy * dy))


def _seat_points(townships: pd.DataFrame) -> pd.DataFrame:
    """One point per township at its seat, with all its residents."""
    return pd.DataFrame(
        {
            "id": [f"{c}-seat" for c in townships["code"]],
            "town_code": townships["code"].astype(str).to_numpy(),
            "town_name": townships["name"].to_numpy(),
            "settlement_class": townships["settlement_class"].to_numpy(),
            "population": townships["population"].astype(float).to_numpy(),
            "lon": townships["lon"].astype(float).to_numpy(),
            "lat": townships["lat"].astype(float).to_numpy(),
            "population_estimated": townships["population_estimated"].astype(bool).to_numpy(),
            "location_estimated": townships["location_estimated"].astype(bool).to_numpy(),
            "method": "township_seat",
        }
    )


def _settlement_points(townships: pd.DataFrame, settlements: pd.DataFrame) -> pd.DataFrame:
    """Given settlement points as demand points; populations as given, else the town's split evenly."""
    towns = townships.set_index("code")
    out = []
    for code, group in settlements.groupby("town_code", sort=True):
        town = cast(pd.Series, towns.loc[code])
        given = group["population"].notna().all()
        weights = group["population"].to_numpy(float) if given else np.ones(len(group))
        population = largest_remainder(int(round(float(town["population"]))), weights)
        out.append(
            pd.DataFrame(
                {
                    "id": group["id"].astype(str).to_numpy(),
                    "town_code": str(code),
                    "town_name": town["name"],
                    "settlement_class": town["settlement_class"],
                    "population": population.astype(float),
                    "lon": group["lon"].astype(float).to_numpy(),
                    "lat": group["lat"].astype(float).to_numpy(),
                    "population_estimated": bool(town["population_estimated"]) or not given,
                    "location_estimated": False,
                    "method": "settlement_point",
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def _method_text(settings: DemandSettings, raster: bool) -> str:
    weighting = (
        "population raster"
        if raster
        else {
            "village_units": "community share of village-level units at the seat, the rest evenly",
            "uniform": "evenly",
        }[settings.weighting]
    )
    return (
        f"H3 resolution {settings.h3_resolution} cells over the estimated township areas (Voronoi cells of "
        f"the seats clipped to the county), residents spread by {weighting}"
    )
