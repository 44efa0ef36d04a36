"""The scenario blocks that say where people and roads are: `[data]` (the tables and the real data that
replace estimates), `[travel]` (speeds, the road file's classes, the fallback) and `[demand]` (how each
township's residents are spread over demand points when no settlement data is given).

Each real-data path is optional; where it is set, the estimate it replaces is dropped and its flag with it
(docs/data.md describes every format with an example file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from optimizer.inputs.schema_types import Citation, Flag, Km, Kph, Minutes, StrictModel

H3_FINEST = 9
"""Finest H3 resolution accepted for demand points (about 0.1 km² a cell)."""
H3_COARSEST = 5
"""Coarsest H3 resolution accepted (about 250 km² a cell: coarser than a township)."""


def optional_file(description: str) -> Any:
    """An optional `[data]` path (None = not given) with its description for the schema and the docs."""
    return Field(default=None, description=description)


class DataSources(StrictModel):
    """Data tables, relative to the scenario file."""

    townships: Path
    counties: Path
    facilities: Path
    boundaries: Path
    plan_reference_beds: Path | None = None
    plan_entries: Path | None = Field(
        default=None, description="the plan's statements (data/plans/plan_entries.csv), to account for each one"
    )
    facility_stock: Path | None = Field(
        default=None, description="base-year stock per facility (long CSV); None = pooled base-year totals only"
    )
    road_network: Path | None = optional_file(
        "roads: an OpenStreetMap extract (.osm.pbf or .osm) or GeoJSON/GPKG lines with a speed; "
        "else the flagged straight-line fallback"
    )
    village_counts: Path | None = optional_file(
        "villages and communities per township (data/population/village_counts.csv): weights of the "
        "estimated spread of residents over a township"
    )
    census_table: Path | None = optional_file(
        "township census table (CSV or the statistics bureau's .xlsx): replaces estimated populations"
    )
    settlement_points: Path | None = optional_file(
        "village or settlement points (CSV with lon/lat, or GeoJSON/GPKG): become the demand points"
    )
    population_raster: Path | None = optional_file(
        "population raster (GeoTIFF such as WorldPop): weights of the residents over demand points"
    )
    facility_registry: Path | None = optional_file(
        "facility registry with coordinates: overrides the township-seat placement of facilities"
    )
    missing_location: Literal["error", "county_seat"] = Field(
        default="error",
        description="townships without a point: refuse (default) or place them at their county seat, flagged",
    )
    allow_outside_project: Flag = Field(
        default=False,
        description="allow data paths outside the project's data/ folder and the scenario's own folder",
    )


class TravelSettings(StrictModel):
    """Speeds on roads and the straight-line fallback used when no road network is given (flagged)."""

    detour_factor: float = Field(gt=1.0, le=3.0, allow_inf_nan=False)
    urban_speed_kph: Kph
    rural_speed_kph: Kph
    road_default_speed_kph: Kph = 40.0
    highway_speeds_kph: dict[str, Kph] = Field(
        default_factory=dict,
        description="speed per OpenStreetMap highway class (motorway, trunk, primary …), replacing the documented "
        "defaults for Chinese roads (optimizer/inputs/road_speeds.py); maxspeed tags still win",
    )
    road_margin_km: Km = Field(
        default=10.0, description="roads kept beyond the area boundary (trips that leave the county and come back)"
    )
    max_snap_km: Km = Field(default=2.0, description="a point farther than this from every road is off the network")
    max_access_min: Minutes = Field(description="beyond this, a town is not served by a facility at all")
    source: Citation


class DemandSettings(StrictModel):
    """Where each township's residents are taken to live when no settlement points are given.

    `estimated_grid` (default): the township's area is estimated (Voronoi cell of its seat among the
    county's seats, clipped to the county boundary), covered with H3 cells at `h3_resolution`, and its
    residents spread over the cells by `weighting`; every point is flagged as estimated.
    `township_seats`: one point per township at its seat (trips inside a township count as 0 minutes;
    kept for comparison with earlier runs, never the default).
    """

    method: Literal["estimated_grid", "township_seats"] = "estimated_grid"
    h3_resolution: int = Field(
        default=7, ge=H3_COARSEST, le=H3_FINEST, description="H3 resolution of the demand cells (7: about 5 km²)"
    )
    weighting: Literal["village_units", "uniform"] = Field(
        default="village_units",
        description="village_units: the township's community (社区) share of its village-level units lives at the "
        "seat, the rest spread evenly; uniform: evenly over the township's area",
    )
