"""A run reads its road file once: the travel matrix and the service-area isochrones share one graph."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest

import optimizer.geography.network
from optimizer.geography.network import RoadGraph
from tests.support import DATA, lu_variant, run_cli

pytestmark = pytest.mark.slow

LU = "510521"
ROAD_SPEED_KPH = 80.0  # faster than every fallback speed, so each time standard the fallback meets still holds


def _lu_roads(path: Path) -> Path:
    """A road straight from every Lu township seat to every Lu facility (end points exactly on the points)."""
    towns = pd.read_csv(DATA / "population" / "townships.csv", dtype={"county_code": str})
    sites = pd.read_csv(DATA / "facilities" / "facilities.csv", dtype={"county_code": str})
    towns, sites = towns[towns["county_code"] == LU], sites[sites["county_code"] == LU]
    features = [
        {
            "type": "Feature",
            "properties": {"speed_kph": ROAD_SPEED_KPH},
            "geometry": {"type": "LineString", "coordinates": [[t.lon, t.lat], [s.lon, s.lat]]},
        }
        for t in towns.itertuples()
        for s in sites.itertuples()
        if (t.lon, t.lat) != (s.lon, s.lat)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_a_run_loads_the_road_graph_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "roads").mkdir()
    roads = _lu_roads(tmp_path / "roads" / "roads.geojson")
    scenario = lu_variant(tmp_path / "project", ("[data]\n", f'[data]\nroad_network = "{roads}"\n'))
    loads: list[Path] = []
    original: Callable[..., RoadGraph] = optimizer.geography.network.load_road_graph

    def counting(path: Path, *args: Any, **kwargs: Any) -> RoadGraph:
        loads.append(Path(path))
        return original(path, *args, **kwargs)

    # Every module that imported the function by name, so no second loader can hide.
    for module in list(sys.modules.values()):
        if getattr(module, "load_road_graph", None) is original:
            monkeypatch.setattr(module, "load_road_graph", counting)
    out = run_cli(scenario, tmp_path / "out")
    assert loads == [roads]
    methods = set(pyogrio.read_dataframe(out / "coverage.gpkg", layer="service_areas")["method"])
    assert "isochrone" in methods  # the minute standards were drawn on the one road graph
