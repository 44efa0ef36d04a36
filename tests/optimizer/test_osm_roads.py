"""OpenStreetMap road files: speeds, one-way rules, clipping and the graph cache, on files the tests write.

Expected times are computed by hand from the WGS-84 geodesic length of each road piece and its speed;
the metric CRS is a transverse Mercator centred on the grid (scale 1 there), so projected lengths agree
with the geodesic to far better than the tolerance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest
from pyproj import CRS, Geod, Transformer
from scipy.sparse.csgraph import dijkstra  # type: ignore[import-untyped]
from shapely.geometry import box

import optimizer.geography.network
from optimizer.errors import DataError
from optimizer.geography.network import RoadGraph, load_road_graph, nearest_nodes
from optimizer.geography.osm import parse_maxspeed, way_directions
from optimizer.geography.road_matrix import road_matrix
from optimizer.inputs.geography_schema import TravelSettings
from optimizer.inputs.road_speeds import DEFAULT_HIGHWAY_SPEEDS_KPH
from optimizer.inputs.schema_types import Citation

LON0, LAT0, STEP = 105.0, 31.0, 0.01
METRIC = CRS.from_proj4(f"+proj=tmerc +lon_0={LON0 + STEP} +lat_0={LAT0 + STEP} +k=1 +x_0=0 +y_0=0 +ellps=WGS84")
GEOD = Geod(ellps="WGS84")
REL = 1e-4
SETTINGS = TravelSettings(
    detour_factor=1.5,
    urban_speed_kph=20.0,
    rural_speed_kph=10.0,
    max_access_min=60.0,
    source=Citation(basis="test"),
)
MPH_30 = 30 * 1.609344


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))


@dataclass
class OsmData:
    """Nodes (id → lon, lat) and ways (id, node ids, tags), written as .osm XML or .osm.pbf."""

    nodes: dict[int, tuple[float, float]] = field(default_factory=dict)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)

    def write_xml(self, path: Path) -> Path:
        lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="tests">']
        lines += [f'  <node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in self.nodes.items()]
        for way_id, refs, tags in self.ways:
            lines.append(f'  <way id="{way_id}" version="1">')
            lines += [f'    <nd ref="{r}"/>' for r in refs]
            lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
            lines.append("  </way>")
        lines.append("</osm>")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def write_pbf(self, path: Path) -> Path:
        with osmium.SimpleWriter(str(path), overwrite=True) as writer:
            for i, location in self.nodes.items():
                writer.add_node(osmium.osm.mutable.Node(id=i, location=location, tags={}))
            for way_id, refs, tags in self.ways:
                writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))
        return path


def _grid_node(row: int, col: int) -> int:
    return 1 + row * 3 + col


def _grid() -> OsmData:
    """3 × 3 nodes, 0.01° apart. Rows run west → east, columns south → north:
    row 0 primary maxspeed=50, row 1 residential, row 2 tertiary oneway=yes;
    col 0 secondary, col 1 unclassified oneway=-1, col 2 secondary maxspeed="30 mph"."""
    data = OsmData()
    for row in range(3):
        for col in range(3):
            data.nodes[_grid_node(row, col)] = (LON0 + col * STEP, LAT0 + row * STEP)
    rows = [
        {"highway": "primary", "maxspeed": "50"},
        {"highway": "residential"},
        {"highway": "tertiary", "oneway": "yes"},
    ]
    cols = [
        {"highway": "secondary"},
        {"highway": "unclassified", "oneway": "-1"},
        {"highway": "secondary", "maxspeed": "30 mph"},
    ]
    for row, tags in enumerate(rows):
        data.ways.append((100 + row, [_grid_node(row, c) for c in range(3)], tags))
    for col, tags in enumerate(cols):
        data.ways.append((200 + col, [_grid_node(r, col) for r in range(3)], tags))
    return data


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2]) / 1000.0


def _leg_min(data: OsmData, a: int, b: int, speed_kph: float) -> float:
    return _km(data.nodes[a], data.nodes[b]) / speed_kph * 60.0


def _index(road: RoadGraph, data: OsmData, node_id: int) -> int:
    to_metric = Transformer.from_crs(CRS.from_epsg(4326), road.crs, always_xy=True)
    xy = np.array([to_metric.transform(*data.nodes[node_id])])
    nodes, distances = nearest_nodes(road, xy)
    assert distances[0] < 1.0
    return int(nodes[0])


def _edge(road: RoadGraph, data: OsmData, a: int, b: int) -> float:
    """The stored minutes of the edge a → b (0 when there is none)."""
    return float(road.minutes[_index(road, data, a), _index(road, data, b)])


def _trip(road: RoadGraph, data: OsmData, a: int, b: int) -> float:
    times = dijkstra(road.minutes, directed=True, indices=_index(road, data, a))
    return float(times[_index(road, data, b)])


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_grid_edges_carry_the_hand_computed_minutes(tmp_path: Path, suffix: str) -> None:
    data = _grid()
    path = data.write_xml(tmp_path / "grid.osm") if suffix == ".osm" else data.write_pbf(tmp_path / "grid.osm.pbf")
    road = load_road_graph(path, METRIC, SETTINGS)
    n = _grid_node
    assert road.node_count == 9
    # 4 two-way pieces on rows 0–1, 2 one-way on row 2, 4 two-way on cols 0 and 2, 2 one-way on col 1.
    assert road.edge_count == 4 * 2 + 2 + 4 * 2 + 2
    # maxspeed beats the class default (primary: 60), also in mph.
    assert _edge(road, data, n(0, 0), n(0, 1)) == pytest.approx(_leg_min(data, n(0, 0), n(0, 1), 50.0), rel=REL)
    assert _edge(road, data, n(1, 2), n(2, 2)) == pytest.approx(_leg_min(data, n(1, 2), n(2, 2), MPH_30), rel=REL)
    # The class defaults for Chinese roads where no maxspeed is given.
    residential = DEFAULT_HIGHWAY_SPEEDS_KPH["residential"]
    assert _edge(road, data, n(1, 1), n(1, 0)) == pytest.approx(_leg_min(data, n(1, 1), n(1, 0), residential), rel=REL)
    secondary = DEFAULT_HIGHWAY_SPEEDS_KPH["secondary"]
    assert _edge(road, data, n(2, 0), n(1, 0)) == pytest.approx(_leg_min(data, n(2, 0), n(1, 0), secondary), rel=REL)


def test_xml_and_pbf_give_the_same_graph(tmp_path: Path) -> None:
    xml = load_road_graph(_grid().write_xml(tmp_path / "grid.osm"), METRIC, SETTINGS)
    pbf = load_road_graph(_grid().write_pbf(tmp_path / "grid.osm.pbf"), METRIC, SETTINGS)
    np.testing.assert_allclose(xml.node_xy, pbf.node_xy)
    assert (xml.minutes != pbf.minutes).nnz == 0


def test_one_way_streets_are_driven_one_way(tmp_path: Path) -> None:
    data = _grid()
    road = load_road_graph(data.write_xml(tmp_path / "grid.osm"), METRIC, SETTINGS)
    n = _grid_node
    tertiary = DEFAULT_HIGHWAY_SPEEDS_KPH["tertiary"]
    # Row 2 is oneway=yes (west → east): forward is the direct piece …
    assert _edge(road, data, n(2, 0), n(2, 1)) > 0 and _edge(road, data, n(2, 1), n(2, 0)) == 0
    assert _trip(road, data, n(2, 0), n(2, 1)) == pytest.approx(_leg_min(data, n(2, 0), n(2, 1), tertiary), rel=REL)
    # … backward the fastest legal detour: down col 1 is oneway=-1 (north → south only, allowed), then
    # west along residential row 1 and up secondary col 0.
    unclassified = DEFAULT_HIGHWAY_SPEEDS_KPH["unclassified"]
    back = (
        _leg_min(data, n(2, 1), n(1, 1), unclassified)
        + _leg_min(data, n(1, 1), n(1, 0), DEFAULT_HIGHWAY_SPEEDS_KPH["residential"])
        + _leg_min(data, n(1, 0), n(2, 0), DEFAULT_HIGHWAY_SPEEDS_KPH["secondary"])
    )
    assert _trip(road, data, n(2, 1), n(2, 0)) == pytest.approx(back, rel=REL)
    # Col 1 (oneway=-1) runs against its drawing direction: north → south only.
    assert _edge(road, data, n(1, 1), n(0, 1)) > 0 and _edge(road, data, n(0, 1), n(1, 1)) == 0


def test_scenario_override_beats_the_class_default_but_not_maxspeed(tmp_path: Path) -> None:
    data = _grid()
    settings = SETTINGS.model_copy(update={"highway_speeds_kph": {"residential": 35.0, "primary": 90.0}})
    road = load_road_graph(data.write_xml(tmp_path / "grid.osm"), METRIC, settings)
    n = _grid_node
    assert _edge(road, data, n(1, 0), n(1, 1)) == pytest.approx(_leg_min(data, n(1, 0), n(1, 1), 35.0), rel=REL)
    assert _edge(road, data, n(0, 0), n(0, 1)) == pytest.approx(_leg_min(data, n(0, 0), n(0, 1), 50.0), rel=REL)


def test_tracks_are_roads_only_when_the_scenario_gives_them_a_speed(tmp_path: Path) -> None:
    data = OsmData({1: (LON0, LAT0), 2: (LON0 + STEP, LAT0)}, [(1, [1, 2], {"highway": "track"})])
    path = data.write_xml(tmp_path / "track.osm")
    with pytest.raises(DataError, match="holds no drivable way"):
        load_road_graph(path, METRIC, SETTINGS)
    settings = SETTINGS.model_copy(update={"highway_speeds_kph": {"track": 15.0}})
    road = load_road_graph(path, METRIC, settings)
    assert _edge(road, data, 1, 2) == pytest.approx(_leg_min(data, 1, 2, 15.0), rel=REL)


def _real_shaped() -> OsmData:
    """A small town: national road G108 (trunk) north–south through the seat, a county road (secondary,
    maxspeed 50) crossing it east–west, a one-way residential street, a motorway with a link, a footpath
    and a road closed to cars.

        11 ──────── 12 (secondary X123, maxspeed 50) ──────── 13
                     │
        21 ◄── 22 ◄─ 1 (trunk G108) … 2 … 3                    motorway 31 → 32 (one-way)
    """
    data = OsmData()
    data.nodes.update({1: (LON0, LAT0), 2: (LON0, LAT0 + STEP), 3: (LON0, LAT0 + 2 * STEP)})
    data.nodes.update({11: (LON0 - 2 * STEP, LAT0 + STEP), 13: (LON0 + 2 * STEP, LAT0 + STEP)})
    data.nodes.update({21: (LON0 - 2 * STEP, LAT0), 22: (LON0 - STEP, LAT0)})
    data.nodes.update({31: (LON0 + STEP, LAT0 + 2 * STEP), 32: (LON0 + 3 * STEP, LAT0 + 2 * STEP)})
    data.nodes.update({41: (LON0 + STEP, LAT0), 42: (LON0 + 2 * STEP, LAT0)})
    data.ways = [
        (1, [1, 2, 3], {"highway": "trunk", "ref": "G108"}),
        (2, [11, 2, 13], {"highway": "secondary", "ref": "X123", "maxspeed": "50"}),
        (3, [1, 22, 21], {"highway": "residential", "oneway": "yes", "name": "Oneway St"}),
        (4, [3, 31, 32], {"highway": "motorway"}),
        (5, [1, 41], {"highway": "footway"}),
        (6, [41, 42], {"highway": "residential", "access": "no"}),
    ]
    return data


def test_a_real_shaped_town_by_hand(tmp_path: Path) -> None:
    data = _real_shaped()
    road = load_road_graph(data.write_pbf(tmp_path / "town.osm.pbf"), METRIC, SETTINGS)
    trunk, residential = DEFAULT_HIGHWAY_SPEEDS_KPH["trunk"], DEFAULT_HIGHWAY_SPEEDS_KPH["residential"]
    # Footway and the closed road are dropped: nodes 41, 42 are not on the network.
    assert road.node_count == 9
    # From the west end of the county road to the one-way street's end: via G108 south, then the
    # one-way street west (its direction), at the two speeds.
    there = _leg_min(data, 11, 2, 50.0) + _leg_min(data, 2, 1, trunk) + _leg_min(data, 1, 21, residential)
    assert _trip(road, data, 11, 21) == pytest.approx(there, rel=REL)
    assert np.isinf(_trip(road, data, 21, 11))  # 21 is a dead end of a one-way street: nothing leaves it
    # The motorway implies one-way: 3 → 32 but not back.
    assert np.isfinite(_trip(road, data, 3, 32)) and np.isinf(_trip(road, data, 32, 3))
    # Through the demand-point matrix: a rural point on node 13 to a facility on node 1, with the two
    # snapping legs (each under 1 m: nodes are rounded to 1 m) at the rural speed.
    origins = pd.DataFrame(
        {"id": ["p"], "lon": [data.nodes[13][0]], "lat": [data.nodes[13][1]], "settlement_class": ["rural"]}
    )
    sites = pd.DataFrame({"facility_id": ["f"], "lon": [data.nodes[1][0]], "lat": [data.nodes[1][1]]})
    matrix = road_matrix(origins, sites, road, SETTINGS, cutoff_min=60.0)
    expected = _leg_min(data, 13, 2, 50.0) + _leg_min(data, 2, 1, trunk)
    assert matrix.minutes[0, 0] == pytest.approx(expected, abs=0.02)


def test_clipping_drops_roads_far_from_the_area(tmp_path: Path) -> None:
    data = _grid()
    far = (LON0 + 1.0, LAT0)  # about 95 km east
    data.nodes.update({90: far, 91: (far[0] + STEP, far[1])})
    data.ways.append((900, [90, 91], {"highway": "primary"}))
    path = data.write_xml(tmp_path / "grid.osm")
    assert load_road_graph(path, METRIC, SETTINGS).node_count == 11
    to_metric = Transformer.from_crs(CRS.from_epsg(4326), METRIC, always_xy=True)
    west, south = to_metric.transform(LON0, LAT0)
    east, north = to_metric.transform(LON0 + 2 * STEP, LAT0 + 2 * STEP)
    area = box(west, south, east, north)
    settings = SETTINGS.model_copy(update={"road_margin_km": 5.0})
    clipped = load_road_graph(path, METRIC, settings, area)
    assert clipped.node_count == 9
    with pytest.raises(DataError, match="no road within 5 km of the area"):
        load_road_graph(path, METRIC, settings, box(west - 50_000, south - 50_000, west - 40_000, south - 40_000))


def test_the_cache_is_reused_and_invalidated_when_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _grid()
    path = data.write_pbf(tmp_path / "grid.osm.pbf")
    first = load_road_graph(path, METRIC, SETTINGS)
    assert list((tmp_path / "cache").glob("*.npz"))

    def no_parsing(*_: object) -> None:
        raise AssertionError("the file was parsed again")

    monkeypatch.setattr(optimizer.geography.network, "read_osm_segments", no_parsing)
    second = load_road_graph(path, METRIC, SETTINGS)
    np.testing.assert_array_equal(first.node_xy, second.node_xy)
    assert (first.minutes != second.minutes).nnz == 0
    assert second.path == path
    # A changed file, or a changed speed setting, is a new key: the file is read again.
    with pytest.raises(AssertionError, match="parsed again"):
        load_road_graph(path, METRIC, SETTINGS.model_copy(update={"highway_speeds_kph": {"primary": 70.0}}))
    data.ways[0][2]["maxspeed"] = "40"
    data.write_pbf(path)
    with pytest.raises(AssertionError, match="parsed again"):
        load_road_graph(path, METRIC, SETTINGS)


def test_an_unwritable_cache_folder_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(blocker / "cache"))
    with caplog.at_level(logging.INFO, logger="optimizer.geography.road_cache"):
        road = load_road_graph(_grid().write_xml(tmp_path / "grid.osm"), METRIC, SETTINGS)
    assert road.node_count == 9
    assert "not cached" in caplog.text


def test_a_damaged_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    path = _grid().write_xml(tmp_path / "grid.osm")
    load_road_graph(path, METRIC, SETTINGS)
    (entry,) = (tmp_path / "cache").glob("*.npz")
    entry.write_bytes(b"truncated")
    assert load_road_graph(path, METRIC, SETTINGS).node_count == 9


def test_bad_files_are_data_errors_with_a_fix(tmp_path: Path) -> None:
    garbage = tmp_path / "roads.osm.pbf"
    garbage.write_bytes(b"\x00\x01 not a pbf")
    with pytest.raises(DataError, match="not a readable OpenStreetMap extract.*download it again"):
        load_road_graph(garbage, METRIC, SETTINGS)
    buildings = OsmData({1: (LON0, LAT0), 2: (LON0 + STEP, LAT0)}, [(1, [1, 2, 1], {"building": "yes"})])
    with pytest.raises(DataError, match="holds no drivable way.*export the roads"):
        load_road_graph(buildings.write_xml(tmp_path / "buildings.osm"), METRIC, SETTINGS)
    with pytest.raises(DataError, match=r"unknown road file type; give an OpenStreetMap extract \(.osm.pbf"):
        load_road_graph(tmp_path / "roads.csv", METRIC, SETTINGS)
    with pytest.raises(DataError, match="cannot be read"):
        load_road_graph(tmp_path / "missing.osm.pbf", METRIC, SETTINGS)


@pytest.mark.parametrize(
    ("tag", "kph"),
    [("50", 50.0), ("50 km/h", 50.0), ("30 mph", MPH_30), ("60;80", 60.0), ("CN:urban", None), ("none", None)],
)
def test_maxspeed_values(tag: str, kph: float | None) -> None:
    assert parse_maxspeed(tag) == (pytest.approx(kph) if kph is not None else None)


@pytest.mark.parametrize(
    ("tags", "directions"),
    [
        ({"highway": "primary"}, (True, True)),
        ({"highway": "primary", "oneway": "true"}, (True, False)),
        ({"highway": "primary", "oneway": "-1"}, (False, True)),
        ({"highway": "primary", "junction": "roundabout"}, (True, False)),
        ({"highway": "motorway"}, (True, False)),
        ({"highway": "motorway", "oneway": "no"}, (True, True)),
    ],
)
def test_one_way_rules(tags: dict[str, str], directions: tuple[bool, bool]) -> None:
    assert way_directions(tags) == directions
