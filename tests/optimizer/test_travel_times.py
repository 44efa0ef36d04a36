"""Travel matrices: the straight-line fallback by hand, and Dijkstra on a hand-made road graph."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import CRS

from optimizer.errors import DataError
from optimizer.geography.network import load_road_graph
from optimizer.geography.road_matrix import road_matrix
from optimizer.geography.travel_times import fallback_matrix, straight_line_km
from optimizer.inputs.geography_schema import TravelSettings
from optimizer.inputs.schema_types import Citation

SETTINGS = TravelSettings(
    detour_factor=1.5, urban_speed_kph=20.0, rural_speed_kph=40.0, max_access_min=60.0, source=Citation(basis="test")
)
UTM_48N = CRS.from_epsg(32648)


def _towns() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["t1", "t2", "t3"],
            "lon": [105.0, 105.1, 105.2],
            "lat": [29.0, 29.0, 29.0],
            "settlement_class": ["urban", "rural", "rural"],
        }
    )


def _facilities() -> pd.DataFrame:
    return pd.DataFrame({"facility_id": ["f1"], "town_code": ["t1"], "lon": [105.0], "lat": [29.0]})


def test_great_circle_distance_matches_a_known_value() -> None:
    # One degree of longitude on the equator of the WGS-84 ellipsoid is 111.319 km.
    km = straight_line_km(np.array([0.0]), np.array([0.0]), np.array([1.0]), np.array([0.0]))
    assert km[0, 0] == pytest.approx(111.319, abs=0.001)


def test_fallback_uses_detour_and_both_end_speeds() -> None:
    matrix = fallback_matrix(_towns(), _facilities(), SETTINGS)
    km = matrix.straight_km[1, 0]
    # t2 (rural, 40 km/h) → f1 in t1 (urban, 20 km/h): half the road distance at each speed.
    expected = km * 1.5 / 2 * 60 * (1 / 40 + 1 / 20)
    assert matrix.minutes[1, 0] == pytest.approx(expected)
    assert matrix.minutes[0, 0] == 0.0
    assert matrix.source == "euclidean_fallback"


def test_pairs_within_is_inclusive_at_the_boundary() -> None:
    matrix = fallback_matrix(_towns(), _facilities(), SETTINGS)
    exact_minutes = float(matrix.minutes[1, 0])
    assert ("t2", "f1") in matrix.pairs_within(exact_minutes)
    assert ("t2", "f1") not in matrix.pairs_within(np.nextafter(exact_minutes, 0))


def _road_file(tmp_path: Path, segments: list[tuple[list[list[float]], float]]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"speed_kph": speed},
            "geometry": {"type": "LineString", "coordinates": coords},
        }
        for coords, speed in segments
    ]
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _origins() -> pd.DataFrame:
    return _towns().rename(columns={"code": "id"})


def test_dijkstra_on_a_hand_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    roads = _road_file(tmp_path, [([[105.0, 29.0], [105.1, 29.0]], 60.0), ([[105.1, 29.0], [105.2, 29.0]], 30.0)])
    graph = load_road_graph(roads, UTM_48N, SETTINGS)
    matrix = road_matrix(_origins(), _facilities(), graph, SETTINGS, cutoff_min=120.0)
    leg = straight_line_km(np.array([105.0]), np.array([29.0]), np.array([105.1]), np.array([29.0]))[0, 0]
    assert matrix.minutes[1, 0] == pytest.approx(leg / 60 * 60, rel=2e-3)
    assert matrix.minutes[2, 0] == pytest.approx(leg / 60 * 60 + leg / 30 * 60, rel=2e-3)
    assert matrix.source == "road_network"


def test_cutoff_and_unreachable_towns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    roads = _road_file(tmp_path, [([[105.0, 29.0], [105.1, 29.0]], 60.0), ([[105.19, 29.0], [105.2, 29.0]], 30.0)])
    graph = load_road_graph(roads, UTM_48N, SETTINGS)
    # t3 sits on a road piece that does not touch the others: it reaches nothing, which is not an error.
    matrix = road_matrix(_origins(), _facilities(), graph, SETTINGS, cutoff_min=120.0)
    assert np.isinf(matrix.minutes[2, 0]) and np.isfinite(matrix.minutes[:2, 0]).all()
    # A facility that no town reaches is.
    lone = pd.DataFrame({"facility_id": ["f3"], "town_code": ["t3"], "lon": [105.2], "lat": [29.0]})
    with pytest.raises(DataError, match="facilities f3 are reached by no demand point"):
        road_matrix(_origins().iloc[:2], lone, graph, SETTINGS, cutoff_min=120.0)
