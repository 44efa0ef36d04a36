"""Road files in a run: it reads its road file once (the travel matrix and the isochrones share one graph),
and an OpenStreetMap extract gives road times that the outputs name."""

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


def _lu_osm_grid(path: Path, step: float = 0.01) -> Path:
    """An OpenStreetMap XML extract as a planner downloads it: a grid of two-way `primary` roads tagged
    `maxspeed=60`, every `step` degrees over Lu County plus a margin."""
    lon = [round(105.15 + i * step, 6) for i in range(int(0.55 / step) + 1)]
    lat = [round(28.85 + j * step, 6) for j in range(int(0.6 / step) + 1)]
    ids = {(i, j): 1 + i * len(lat) + j for i in range(len(lon)) for j in range(len(lat))}
    nodes = [f'<node id="{n}" version="1" lat="{lat[j]}" lon="{lon[i]}"/>' for (i, j), n in ids.items()]
    lines = [[ids[i, j] for j in range(len(lat))] for i in range(len(lon))]
    lines += [[ids[i, j] for i in range(len(lon))] for j in range(len(lat))]
    tags = '<tag k="highway" v="primary"/><tag k="maxspeed" v="60"/>'
    ways = [
        f'<way id="{w}" version="1">{"".join(f"<nd ref={chr(34)}{n}{chr(34)}/>" for n in line)}{tags}</way>'
        for w, line in enumerate(lines, start=1)
    ]
    body = "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">', *nodes, *ways, "</osm>"])
    path.write_text(body, encoding="utf-8")
    return path


def test_an_osm_extract_gives_road_times_no_faster_than_the_straight_line_at_road_speed(tmp_path: Path) -> None:
    """Lu on an OSM grid: the run says `road_network`, every demand point's trip takes at least its
    straight-line km at 60 km/h (no road is faster, the grid adds detours, the snapping legs are slower),
    and the times differ from the straight-line fallback's."""
    (tmp_path / "roads").mkdir()
    roads = _lu_osm_grid(tmp_path / "roads" / "lu.osm")
    scenario = lu_variant(tmp_path / "project", ("[data]\n", f'[data]\nroad_network = "{roads}"\n'))
    out = run_cli(scenario, tmp_path / "out")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["travel_time_source"] == "road_network"
    points = pd.read_csv(out / "demand.csv", encoding="utf-8-sig")
    reached = points[points["minutes_to_facility"].notna() & (points["minutes_to_facility"] < float("inf"))]
    assert len(reached) > 0.9 * len(points)
    assert (reached["minutes_to_facility"] >= reached["km_to_facility"] - 1e-9).all()  # ≥ km at 60 km/h
    fallback = pd.read_csv(run_cli(lu_variant(tmp_path / "plain"), tmp_path / "plain_out") / "demand.csv")
    assert not points["minutes_to_facility"].equals(fallback["minutes_to_facility"])
