"""CRS discipline, radius buffers and network isochrones on hand-made geometry."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import Point, box

from optimizer.analysis.service_standards import NATIONAL_STANDARDS
from optimizer.geography.boundaries import (
    ProjectionError,
    area_metric_crs,
    buffer_km,
    clip_to_area,
    gauss_kruger_crs,
    isochrone,
    network_isochrones,
    service_buffers,
)
from optimizer.geography.network import RoadGraph, graph_from_segments, nearest_nodes
from optimizer.geography.osm import RoadSegments
from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.outputs.geo_report import GeoInputs, service_areas
from tests.support import LU_SCENARIO

GK_105E = CRS.from_epsg(4544)
WGS84 = CRS.from_epsg(4326)
CENTRE = (105.4, 29.2)  # Lu County


def _sites_wgs84() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"facility_id": ["F1"]}, geometry=[Point(*CENTRE)], crs=WGS84)


def test_buffer_in_a_geographic_crs_is_refused() -> None:
    with pytest.raises(ProjectionError, match=r"geographic CRS \(EPSG:4326, degrees\).*Use `to_crs\(\)`"):
        buffer_km(_sites_wgs84().geometry, 5.0)


def test_service_buffers_reproject_wgs84_sites_and_measure_in_metres() -> None:
    area = _sites_wgs84().to_crs(GK_105E).buffer(100_000).iloc[0]
    areas = service_buffers(_sites_wgs84(), 5.0, GK_105E, area)
    assert CRS(areas.crs) == GK_105E
    assert areas.geometry.iloc[0].area == pytest.approx(math.pi * 5_000.0**2, rel=1e-3)
    # The same point buffered in degrees would be ~5° wide; here it is 10 km across.
    west, _, east, _ = areas.total_bounds
    assert east - west == pytest.approx(10_000.0, rel=1e-6)


def test_service_buffers_refuse_a_geographic_target_crs() -> None:
    with pytest.raises(ProjectionError, match="geographic CRS"):
        service_buffers(_sites_wgs84(), 5.0, WGS84, box(100, 25, 110, 35))


def test_buffers_are_clipped_to_the_area() -> None:
    site = _sites_wgs84().to_crs(GK_105E)
    x, y = site.geometry.iloc[0].x, site.geometry.iloc[0].y
    half_plane = box(x, y - 50_000, x + 50_000, y + 50_000)  # the site sits on the area's western edge
    clipped = service_buffers(_sites_wgs84(), 5.0, GK_105E, half_plane)
    assert clipped.geometry.iloc[0].area == pytest.approx(math.pi * 5_000.0**2 / 2, rel=1e-3)
    assert clipped.geometry.iloc[0].within(half_plane.buffer(1e-6))
    outside = box(x + 60_000, y, x + 70_000, y + 10_000)
    assert clip_to_area(site.set_geometry(buffer_km(site.geometry, 5.0)), outside).empty


def test_gauss_kruger_zone_is_chosen_by_central_meridian() -> None:
    assert gauss_kruger_crs(105.4) == GK_105E
    assert gauss_kruger_crs(106.6) == CRS.from_epsg(4545)  # CM 108E
    assert gauss_kruger_crs(20.0) is None
    boundary = gpd.GeoDataFrame(geometry=[box(105.0, 28.9, 105.8, 29.5)], crs=WGS84)
    crs = area_metric_crs(boundary)
    assert crs == GK_105E and crs.is_projected and crs.axis_info[0].unit_name == "metre"
    outside_china = gpd.GeoDataFrame(geometry=[box(2.0, 48.0, 2.5, 48.5)], crs=WGS84)
    assert area_metric_crs(outside_china).to_epsg() == 32631  # UTM 31N from estimate_utm_crs()


def _grid_road(size: int = 5, spacing_m: float = 1000.0, speed_kph: float = 60.0) -> RoadGraph:
    """A size × size two-way street grid centred on (500 km, 3230 km) in GK metres: one minute per km."""
    offset = (size - 1) / 2
    points = [
        ((i - offset) * spacing_m + 500_000.0, (j - offset) * spacing_m + 3_230_000.0)
        for i in range(size)
        for j in range(size)
    ]
    xy = np.array(points)
    step = np.array([[spacing_m, 0.0], [0.0, spacing_m]])
    starts, ends = [], []
    for delta in step:
        inside = np.all(xy + delta <= xy.max(axis=0), axis=1)
        starts.append(xy[inside])
        ends.append(xy[inside] + delta)
    start, end = np.vstack(starts), np.vstack(ends)
    both = np.ones(len(start), dtype=bool)
    segments = RoadSegments.build(start, end, np.full(len(start), speed_kph), both, both)
    return graph_from_segments(Path("grid"), GK_105E, segments)


def _node(road: RoadGraph, x: float, y: float) -> int:
    nodes, _ = nearest_nodes(road, np.array([[x, y]]))
    return int(nodes[0])


@pytest.mark.parametrize(("limit_min", "area_km2"), [(2.0, 8.0), (1.5, 4.5)])
def test_convex_isochrone_on_a_grid_is_the_manhattan_diamond(limit_min: float, area_km2: float) -> None:
    """Reach within t minutes on a 1-min grid is |dx| + |dy| ≤ t km: a diamond of area 2·t²."""
    road = _grid_road()
    shape = isochrone(road, _node(road, 500_000.0, 3_230_000.0), limit_min, hull="convex")
    assert shape.area / 1e6 == pytest.approx(area_km2, rel=1e-9)
    assert shape.covers(Point(500_000.0 + limit_min * 1000, 3_230_000.0))  # tip of the diamond
    assert not shape.contains(Point(500_000.0 + 1_000.0, 3_230_000.0 + 1_000.0 * limit_min))


def test_concave_isochrone_holds_every_reached_node_inside_the_convex_hull() -> None:
    road = _grid_road()
    centre = _node(road, 500_000.0, 3_230_000.0)
    concave = isochrone(road, centre, 2.0)
    convex = isochrone(road, centre, 2.0, hull="convex")
    reached = road.node_xy[np.abs(road.node_xy - road.node_xy[centre]).sum(axis=1) <= 2_000.0]  # Manhattan ≤ 2 km
    assert len(reached) == 13
    assert concave.geom_type == "Polygon"
    assert all(concave.buffer(1e-6).covers(Point(*node)) for node in reached)
    assert concave.area <= convex.area + 1e-6


def test_isochrone_respects_one_way_streets() -> None:
    """A one-way street A → B: B's isochrone (who reaches B) holds A, A's does not hold B."""
    a, b = np.array([[500_000.0, 3_230_000.0]]), np.array([[501_000.0, 3_230_000.0]])
    segments = RoadSegments.build(a, b, np.array([60.0]), np.array([True]), np.array([False]))
    road = graph_from_segments(Path("one-way"), GK_105E, segments)
    into_b = isochrone(road, _node(road, *b[0]), 1.0, hull="convex")
    into_a = isochrone(road, _node(road, *a[0]), 1.0, hull="convex")
    assert into_b.covers(Point(*a[0]))
    assert not into_a.buffer(1.0).covers(Point(*b[0]))


def test_network_isochrones_take_wgs84_sites_and_clip() -> None:
    road = _grid_road()
    site = gpd.GeoDataFrame({"facility_id": ["F1"]}, geometry=[Point(500_000.0, 3_230_000.0)], crs=GK_105E)
    north_half = box(400_000, 3_230_000, 600_000, 3_300_000)
    areas = network_isochrones(road, site.to_crs(WGS84), 2.0, north_half, hull="convex")
    assert CRS(areas.crs) == GK_105E
    assert areas.geometry.iloc[0].area / 1e6 == pytest.approx(4.0, rel=1e-6)
    assert shapely.get_num_geometries(areas.geometry.iloc[0]) == 1


def test_run_service_areas_use_isochrones_when_a_road_graph_is_given() -> None:
    """Minute standards become road isochrones and km standards buffers, all inside the area boundary."""
    road = _grid_road()
    centre = gpd.GeoSeries([Point(500_000.0, 3_230_000.0)], crs=GK_105E).to_crs(WGS84).iloc[0]
    boundary = gpd.GeoDataFrame(
        {"county_code": ["510521"]},
        geometry=[box(500_000 - 3_000, 3_230_000 - 3_000, 500_000 + 3_000, 3_230_000 + 3_000)],
        crs=GK_105E,
    ).to_crs(WGS84)
    allocation = pd.DataFrame(
        {
            "facility_id": ["F1"],
            "name": ["中心卫生院"],
            "lon": [centre.x],
            "lat": [centre.y],
            "ambulances": [1],
            "is_subcentre": [True],
        }
    )
    data = Datasets(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), boundary, None, {})
    matrix = TravelMatrix((), ("F1",), np.empty((0, 1)), np.empty((0, 1)), "road_network")
    inputs = GeoInputs(load_scenario(LU_SCENARIO), data, matrix, allocation, road)
    areas = service_areas(inputs, NATIONAL_STANDARDS, GK_105E)
    methods = dict(zip(areas["standard"], areas["method"], strict=True))
    assert methods["medical_circle_15min"] == "isochrone" and methods["subcentre_radius"] == "buffer"
    assert "childcare_circle_15min" not in methods
    area = boundary.to_crs(GK_105E).union_all().buffer(1.0)
    assert areas.to_crs(GK_105E).within(area).all()
    # The whole 5 × 5 km grid is within 15 minutes; the 5 km buffer is clipped to the 6 km square.
    assert areas.to_crs(GK_105E).set_index("standard").loc["medical_circle_15min"].geometry.area / 1e6 == (
        pytest.approx(16.0, rel=1e-6)
    )
