"""The demand-point road matrix (one csgraph search) against hand values and a per-pair networkx Dijkstra."""

from __future__ import annotations

import logging
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pyproj import CRS, Transformer

from optimizer.errors import DataError
from optimizer.geography.network import RoadGraph, graph_from_segments, nearest_nodes
from optimizer.geography.osm import RoadSegments
from optimizer.geography.road_matrix import road_matrix
from optimizer.inputs.geography_schema import TravelSettings
from optimizer.inputs.schema_types import Citation

GK_105E = CRS.from_epsg(4544)
X0, Y0 = 500_000.0, 3_230_000.0
SETTINGS = TravelSettings(
    detour_factor=1.5,
    urban_speed_kph=20.0,
    rural_speed_kph=10.0,
    max_access_min=60.0,
    max_snap_km=1.0,
    source=Citation(basis="test"),
)
TO_WGS84 = Transformer.from_crs(GK_105E, CRS.from_epsg(4326), always_xy=True)


def _graph(start: np.ndarray, end: np.ndarray, kph: np.ndarray, forward: np.ndarray, backward: np.ndarray) -> RoadGraph:
    segments = RoadSegments.build(start, end, kph, forward, backward)
    return graph_from_segments(Path("roads/test.osm.pbf"), GK_105E, segments)


def _points(xy: np.ndarray, ids: list[str], classes: list[str] | None = None) -> pd.DataFrame:
    lon, lat = TO_WGS84.transform(xy[:, 0], xy[:, 1])
    frame = pd.DataFrame({"lon": lon, "lat": lat})
    if classes is None:
        return frame.assign(facility_id=ids)
    return frame.assign(id=ids, settlement_class=classes)


def _line() -> RoadGraph:
    """A — 6 km at 60 km/h — B — 3 km at 30 km/h — C, the second piece one-way B → C."""
    nodes = np.array([[X0, Y0], [X0 + 6_000, Y0], [X0 + 9_000, Y0]])
    return _graph(nodes[[0, 1]], nodes[[1, 2]], np.array([60.0, 30.0]), np.array([True, True]), np.array([True, False]))


def test_hand_values_with_snapping_legs_and_one_way() -> None:
    road = _line()
    # Origins 300 m north of A (urban), on B (rural), on C (rural); facilities 200 m south of A and on C.
    origins = _points(
        np.array([[X0, Y0 + 300], [X0 + 6_000, Y0], [X0 + 9_000, Y0]]), ["a", "b", "c"], ["urban", "rural", "rural"]
    )
    sites = _points(np.array([[X0, Y0 - 200], [X0 + 9_000, Y0]]), ["fa", "fc"])
    matrix = road_matrix(origins, sites, road, SETTINGS, cutoff_min=60.0)
    snap_a = 0.3 / 20 * 60  # 300 m at the urban speed
    expected = np.array(
        [
            [snap_a + 0.2 / 20 * 60, snap_a + 6.0 + 6.0 + 0.0],
            [0.2 / 10 * 60 + 6.0, 6.0],
            [0.2 / 10 * 60 + 6.0 + 6.0, 0.0],  # C → A drives back through B … but C → B is one-way B → C
        ]
    )
    expected[2, 0] = np.inf
    np.testing.assert_allclose(matrix.minutes, expected, rtol=1e-6, atol=1e-6)
    assert matrix.origins == ("a", "b", "c") and matrix.destinations == ("fa", "fc")
    assert matrix.source == "road_network"
    assert matrix.straight_km[1, 1] == pytest.approx(3.0, rel=2e-3)


def test_cutoff_bounds_the_road_time() -> None:
    road = _line()
    origins = _points(np.array([[X0, Y0], [X0 + 6_000, Y0]]), ["a", "b"], ["rural", "rural"])
    sites = _points(np.array([[X0 + 9_000, Y0]]), ["fc"])
    matrix = road_matrix(origins, sites, road, SETTINGS, cutoff_min=10.0)
    np.testing.assert_allclose(matrix.minutes[:, 0], [np.inf, 6.0], atol=1e-6)


def _random_graph(seed: int) -> tuple[RoadGraph, nx.DiGraph[int]]:
    """About 150 nodes over 20 km joined to their 3 nearest neighbours (≈ 450 pieces, some one-way)."""
    rng = np.random.default_rng(seed)
    xy = np.round(rng.uniform(0, 20_000, (150, 2)) + [X0, Y0])
    distance = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    pairs = {(min(i, j), max(i, j)) for i in range(len(xy)) for j in np.argsort(distance[i])[1:4]}
    tail, head = np.array(sorted(pairs)).T
    kph = rng.choice([20.0, 30.0, 40.0, 60.0, 80.0], len(tail))
    kind = rng.choice(3, len(tail), p=[0.8, 0.1, 0.1])  # two-way, forward only, backward only
    road = _graph(xy[tail], xy[head], kph, kind != 2, kind != 1)
    reference: nx.DiGraph[int] = nx.DiGraph()
    nodes, _ = nearest_nodes(road, xy)
    for t, h, speed, k in zip(tail, head, kph, kind, strict=True):
        minutes = distance[t, h] / 1000 / speed * 60
        if k != 2:
            reference.add_edge(int(nodes[t]), int(nodes[h]), minutes=minutes)
        if k != 1:
            reference.add_edge(int(nodes[h]), int(nodes[t]), minutes=minutes)
    return road, reference


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_a_per_pair_networkx_dijkstra_on_a_random_graph(seed: int) -> None:
    road, reference = _random_graph(seed)
    rng = np.random.default_rng(seed + 100)
    site_xy = road.node_xy[rng.choice(road.node_count, 8, replace=False)] + rng.uniform(-100, 100, (8, 2))
    origin_xy = np.vstack([site_xy, rng.uniform(0, 20_000, (40, 2)) + [X0, Y0]])  # each site has a demand point
    classes = list(rng.choice(["urban", "rural"], len(origin_xy)))
    origins = _points(origin_xy, [f"o{i}" for i in range(len(origin_xy))], classes)
    sites = _points(site_xy, [f"f{j}" for j in range(len(site_xy))])
    cutoff = 25.0
    matrix = road_matrix(origins, sites, road, SETTINGS, cutoff)
    # Independently: nearest nodes of the projected points, then one networkx Dijkstra per pair.
    to_metric = Transformer.from_crs(CRS.from_epsg(4326), GK_105E, always_xy=True)
    o_xy = np.column_stack(to_metric.transform(origins["lon"], origins["lat"]))
    s_xy = np.column_stack(to_metric.transform(sites["lon"], sites["lat"]))
    expected = np.full((len(o_xy), len(s_xy)), np.inf)
    for i, (ox, oy) in enumerate(o_xy):
        o_dist = np.hypot(road.node_xy[:, 0] - ox, road.node_xy[:, 1] - oy)
        o_node = int(np.argmin(o_dist))
        speed = SETTINGS.urban_speed_kph if classes[i] == "urban" else SETTINGS.rural_speed_kph
        for j, (sx, sy) in enumerate(s_xy):
            s_dist = np.hypot(road.node_xy[:, 0] - sx, road.node_xy[:, 1] - sy)
            s_node = int(np.argmin(s_dist))
            if o_dist[o_node] > 1000 or s_dist[s_node] > 1000:
                continue
            try:
                minutes = nx.dijkstra_path_length(reference, o_node, s_node, weight="minutes")
            except nx.NetworkXNoPath:
                continue
            if minutes <= cutoff:
                expected[i, j] = minutes + (o_dist[o_node] + s_dist[s_node]) / 1000 / speed * 60
    assert np.isinf(expected).any() and np.isfinite(expected).any()
    np.testing.assert_array_equal(np.isinf(matrix.minutes), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(matrix.minutes[finite], expected[finite], rtol=1e-9)


def test_an_origin_off_the_network_is_inf_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    road = _line()
    # 5 km north of the road: beyond max_snap_km (1 km). A demand point in the mountains, not an error.
    origins = _points(np.array([[X0, Y0 + 5_000], [X0 + 6_000, Y0]]), ["far", "b"], ["rural", "rural"])
    sites = _points(np.array([[X0, Y0]]), ["fa"])
    with caplog.at_level(logging.WARNING, logger="optimizer.geography.road_matrix"):
        matrix = road_matrix(origins, sites, road, SETTINGS, cutoff_min=60.0)
    assert np.isinf(matrix.minutes[0, 0]) and matrix.minutes[1, 0] == pytest.approx(6.0)
    assert "1 of 2 demand points reach no facility" in caplog.text
    assert "1 lie over 1 km from every road" in caplog.text


def test_a_facility_no_origin_reaches_is_a_data_error_naming_the_file() -> None:
    road = _line()
    origins = _points(np.array([[X0 + 9_000, Y0]]), ["c"], ["rural"])  # C reaches nothing: B → C is one-way
    sites = _points(np.array([[X0, Y0], [X0 + 9_000, Y0], [X0 + 20_000, Y0]]), ["fa", "fc", "off"])
    with pytest.raises(
        DataError, match=r"roads/test\.osm\.pbf: geometry: facilities fa, off are reached by no demand"
    ) as error:
        road_matrix(origins, sites, road, SETTINGS, cutoff_min=60.0)
    assert "connect them in the road file, or raise travel.max_access_min or travel.max_snap_km" in str(error.value)
