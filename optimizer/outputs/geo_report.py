"""Coverage, accessibility and map outputs of a run, from what the run hands over (`GeoInputs`).

Files (each written atomically into the run folder):
    coverage.csv       one row per standard: limit, basis, towns and population within/beyond, skipped reason
    demand.csv         one row per demand point: travel to the nearest sites and each standard (demand_table.py)
    accessibility.csv  one row per township: E2SFCA beds/physicians per 1,000, ratio to the area,
                       rank (1 = worst)
    equity.json        Gini of access per resource, worst-served towns, catchment and weights used
    coverage.gpkg      layers towns, facilities, subcentres, ambulance_bases, service_areas, boundary, demand
                       (all EPSG:4326)
    map.html           interactive offline Leaflet map (map_html.py)
    map.png            static map with township names, legend, scale bar and north arrow (map_png.py)

The road graph for the isochrones is the one the run's travel matrix used (`PreparedScenario.road`),
never loaded again here. `optimizer map RESULT_DIR` re-renders these files from a finished run folder
(optimizer/rerender.py).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from optimizer.analysis.accessibility import WeightKind, accessibility_table, equity_summary
from optimizer.analysis.coverage_check import CoverageAnalysis, analyse_coverage, site_masks, status_zh
from optimizer.analysis.service_standards import Standard, standards_for
from optimizer.geography.boundaries import (
    WGS84,
    area_metric_crs,
    network_isochrones,
    points_frame,
    service_buffers,
)
from optimizer.geography.network import RoadGraph
from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.outputs.demand_table import demand_table
from optimizer.outputs.files import (
    atomic_write_bytes,
    atomic_write_csv,
    atomic_write_json,
    atomic_write_text,
)
from optimizer.outputs.labels import map_label, resource_label
from optimizer.outputs.maps import MapLayers, plan_changes, town_status, uncovered_layers

logger = logging.getLogger(__name__)

GEO_FILES = ("coverage.csv", "accessibility.csv", "equity.json", "coverage.gpkg", "map.html", "map.png")
ACCESS_RESOURCES = ("beds", "physicians")
ACCESS_WEIGHTS: WeightKind = "stepped"
WORST_SERVED = 5
SQLITE_SYNC_OPTION = "OGR_SQLITE_SYNCHRONOUS"
FACILITY_COLUMNS = ("facility_id", "name", "town_code", "level", "location_estimated")


@dataclass(frozen=True)
class GeoInputs:
    """A finished plan and what its geography needs: scenario, data, travel matrix, optional road graph."""

    scenario: Scenario
    data: Datasets
    matrix: TravelMatrix
    allocation: pd.DataFrame
    road: RoadGraph | None = None


@dataclass(frozen=True)
class GeoAnalysis:
    """Coverage per standard, accessibility per town, equity, and the map layers."""

    coverage: CoverageAnalysis
    accessibility: pd.DataFrame
    equity: dict[str, Any]
    layers: MapLayers


def analyse(inputs: GeoInputs) -> GeoAnalysis:
    """Coverage, accessibility and equity of the plan, and the layers to map them."""
    scenario, data, matrix, allocation = inputs.scenario, inputs.data, inputs.matrix, inputs.allocation
    standards = standards_for(scenario)
    coverage = analyse_coverage(data.townships, allocation, matrix, standards)
    catchment = scenario.travel.max_access_min
    access = accessibility_table(
        data.townships, allocation, matrix, catchment_min=catchment, resources=ACCESS_RESOURCES, weights=ACCESS_WEIGHTS
    )
    equity = {
        "catchment_min": catchment,
        "weights": ACCESS_WEIGHTS,
        "method": "E2SFCA (Luo & Qi 2009), supply = optimized allocation, demand = resident population",
        "travel_time_source": matrix.source,
        "resources": equity_summary(access, ACCESS_RESOURCES, worst=WORST_SERVED),
    }
    return GeoAnalysis(coverage, access, equity, map_layers(inputs, coverage, access, standards))


def map_layers(
    inputs: GeoInputs, coverage: CoverageAnalysis, access: pd.DataFrame, standards: tuple[Standard, ...]
) -> MapLayers:
    """The layers of the maps and the GeoPackage, all in EPSG:4326."""
    data, allocation = inputs.data, inputs.allocation
    boundary = data.boundary.to_crs(WGS84)
    metric = area_metric_crs(boundary)
    towns = coverage.towns.merge(
        access.drop(columns=["name", "population", "settlement_class", "minutes_to_facility"]), on="code"
    )
    towns = towns.merge(data.townships[["code", "lon", "lat"]], on="code")
    active = [s for s in coverage.summaries if s.skipped is None]
    towns["status"] = town_status(
        towns,
        [s.standard.id for s in active if not s.standard.preferred],
        [s.standard.id for s in active if s.standard.preferred],
    )
    towns["status_zh"] = [status_zh(row, [s.standard for s in active]) for _, row in towns.iterrows()]
    skip = {*FACILITY_COLUMNS, "lon", "lat"}
    resource_columns = [c for c in allocation.columns if c not in skip and not c.startswith("existing_")]
    facilities = points_frame(allocation, [*FACILITY_COLUMNS, *resource_columns])
    facilities["is_subcentre"] = facilities["is_subcentre"].astype(bool)
    labels = {r: spec.label_zh for r, spec in sorted(inputs.scenario.resources.items()) if r in allocation.columns}
    facilities = facilities.join(plan_changes(allocation, {**labels, "ambulances": resource_label("ambulances", "zh")}))
    demand = _demand_points(demand_table(inputs.matrix, allocation, coverage))
    hard = [(s.standard.id, s.standard.label_zh, s.standard.label_en) for s in active if not s.standard.preferred]
    return MapLayers(
        title=f"{inputs.scenario.scenario.name_zh}：{map_label('map_title')}",
        note=_travel_note(inputs.matrix.source),
        boundary=boundary,
        towns=points_frame(towns, [c for c in towns.columns if c not in ("lon", "lat")]),
        facilities=facilities,
        subcentres=facilities[facilities["is_subcentre"]].reset_index(drop=True),
        ambulance_bases=facilities[facilities["ambulances"] > 0].reset_index(drop=True),
        service_areas=service_areas(inputs, standards, metric),
        metric_crs=metric,
        demand=demand,
        uncovered=uncovered_layers(demand, hard),
    )


def _demand_points(table: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """demand.csv's rows as points (keeping `lon`, `lat` for the CSV); empty when the run has none."""
    if table is None:
        return points_frame(pd.DataFrame({"lon": [], "lat": []}), [])
    return points_frame(table, list(table.columns))


def _travel_note(source: str) -> str:
    if source == "road_network":
        return map_label("map_travel_road")
    return map_label("map_travel_fallback")


def service_areas(inputs: GeoInputs, standards: tuple[Standard, ...], metric: Any) -> gpd.GeoDataFrame:
    """Radius buffers (km standards) and road isochrones (minute standards, with a road graph), clipped."""
    boundary = inputs.data.boundary
    area_metric = boundary.to_crs(metric).union_all()
    sites = points_frame(inputs.allocation, ["facility_id", "name"])
    masks = site_masks(inputs.allocation)
    frames = []
    for standard in standards:
        mask = masks[standard.sites]
        if mask is None:
            continue
        chosen = sites[mask].reset_index(drop=True)
        if standard.unit == "km":
            areas, method = service_buffers(chosen, standard.limit, metric, area_metric), "buffer"
        elif inputs.road is not None:
            area_road = boundary.to_crs(inputs.road.crs).union_all()
            areas, method = network_isochrones(inputs.road, chosen, standard.limit, area_road), "isochrone"
        else:
            continue
        areas = areas.to_crs(WGS84)
        areas.insert(0, "standard", standard.id)
        areas.insert(1, "label_zh", standard.label_zh)
        areas.insert(2, "label_en", standard.label_en)
        areas.insert(3, "limit", standard.limit)
        areas.insert(4, "unit", standard.unit)
        areas.insert(5, "method", method)
        frames.append(areas.rename(columns={"facility_id": "site_id", "name": "site_name"}))
    columns = ["standard", "label_zh", "label_en", "limit", "unit", "method", "site_id", "site_name"]
    if not frames:
        return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=WGS84)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)


def write_gpkg(path: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Write every layer into one GeoPackage via a temporary file in the same folder, then `os.replace`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".gpkg", dir=path.parent)
    os.close(handle)
    Path(temporary).unlink()  # GDAL creates the GeoPackage itself; an empty file is not one
    # SQLite's per-layer syncs cost ~0.2 s a layer; the temporary file is synced once before the rename.
    previous = pyogrio.get_gdal_config_option(SQLITE_SYNC_OPTION)
    pyogrio.set_gdal_config_options({SQLITE_SYNC_OPTION: "OFF"})
    try:
        for name, frame in layers.items():
            polygons = bool(frame.geom_type.isin(["Polygon", "MultiPolygon"]).any())
            frame.to_crs(WGS84).to_file(
                temporary, layer=name, driver="GPKG", engine="pyogrio", promote_to_multi=polygons
            )
        with Path(temporary).open("rb") as stream:
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        pyogrio.set_gdal_config_options({SQLITE_SYNC_OPTION: previous})


def gpkg_layers(layers: MapLayers) -> dict[str, gpd.GeoDataFrame]:
    """The GeoPackage's layers, named as in the issue, with plain column types (no map-only text)."""
    map_only = ["plan_badge", "plan_changes_zh"]
    frames = {
        "towns": layers.towns,
        "facilities": layers.facilities.drop(columns=map_only),
        "subcentres": layers.subcentres.drop(columns=map_only),
        "ambulance_bases": layers.ambulance_bases.drop(columns=map_only),
        "service_areas": layers.service_areas,
        "boundary": layers.boundary,
    }
    if not layers.demand.empty:
        frames["demand"] = layers.demand.drop(columns=["lon", "lat"])
    return frames


def write_geo_outputs(inputs: GeoInputs, out_dir: Path) -> list[Path]:
    """Analyse the plan and write every geographic output into `out_dir`; returns the paths written."""
    # The renderers pull in folium and matplotlib: imported when a map is drawn, not at CLI start.
    from optimizer.outputs.map_html import render_html
    from optimizer.outputs.map_png import render_png

    analysis = analyse(inputs)
    atomic_write_csv(out_dir / "coverage.csv", analysis.coverage.summary_table())
    atomic_write_csv(out_dir / "accessibility.csv", analysis.accessibility)
    atomic_write_json(out_dir / "equity.json", analysis.equity)
    layers = gpkg_layers(analysis.layers)
    written = [out_dir / name for name in GEO_FILES]
    demand = analysis.layers.demand
    if not demand.empty:
        atomic_write_csv(out_dir / "demand.csv", pd.DataFrame(demand.drop(columns="geometry")))
        written.append(out_dir / "demand.csv")
    write_gpkg(out_dir / "coverage.gpkg", layers)
    atomic_write_text(out_dir / "map.html", render_html(analysis.layers))
    atomic_write_bytes(out_dir / "map.png", render_png(analysis.layers))
    return written
