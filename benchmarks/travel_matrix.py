"""Road travel matrix over Mianyang: one csgraph multi-source Dijkstra against one networkx Dijkstra per origin.

    python benchmarks/travel_matrix.py [--seed 7] [--spacing-m 700] [--nx-origins 300] [--cutoff-min 60]
        [--out benchmarks/travel_matrix.csv]

The workload is synthetic roads on real places. Roads: a grid of `--spacing-m` over the extent of
Mianyang's nine counties, every node shifted at random by up to a fifth of the spacing, a seeded share
of the pieces removed (dead ends and detours), classes by line (every 20th line trunk, every 10th
primary, every 5th secondary, every 3rd a one-way tertiary, the rest unclassified or residential).
It is written as a real `.osm.pbf` with pyosmium, so the `osm_load` row times the loader people
use (parse, clip to the area + 10 km, build, cache). Origins: the centres of the H3 resolution-7 cells
over the area (the planner's default demand points, ≈4,000). Sites: Mianyang's 188 facilities in
data/facilities/facilities.csv.

Rows, each in its own child process (so `peak_mb`, the child's peak resident memory, is its own; it
includes the imports and the loaded graph, which `cache_load` shows alone):
- `osm_load`: the .osm.pbf read into the graph with an empty cache;
- `cache_load`: the same graph read back from the cache;
- `csgraph`: `optimizer.geography.road_matrix.road_matrix` for every origin and site;
- `networkx`: the previous approach, one `single_source_dijkstra_path_length` with the cutoff per origin
  on an `nx.DiGraph` of the same graph, on `--nx-origins` origins, extrapolated to all; `detail` gives
  the DiGraph build time and the largest difference from the csgraph minutes on those origins.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd  # noqa: E402
import h3  # noqa: E402
import numpy as np  # noqa: E402
import osmium  # noqa: E402
import pandas as pd  # noqa: E402
from pyproj import CRS, Transformer  # noqa: E402

from benchmarks.isolation import run_isolated  # noqa: E402
from benchmarks.rows import peak_mb, stream_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MIANYANG = ("510703", "510704", "510705", "510722", "510723", "510725", "510726", "510727", "510781")
SIZE_COLUMNS = ("edges", "nodes", "origins", "sites")
"""The size of the problem: directed road edges and nodes, demand origins and facility sites."""
TIME_COLUMNS = ("origins_timed", "seconds", "extrapolated", "peak_mb", "detail")
"""What a method cost: origins actually timed, seconds (extrapolated to all origins when fewer), peak memory."""
COLUMNS = ["method", *SIZE_COLUMNS, *TIME_COLUMNS]
Row = dict[str, Any]


def _boundary() -> gpd.GeoDataFrame:
    counties = gpd.read_file(ROOT / "data" / "boundaries" / "counties.geojson")
    return counties[counties["county_code"].isin(MIANYANG)]


def _settings() -> Any:
    """Mianyang's own travel settings (speeds, snapping, access limit) from its bundled scenario."""
    from optimizer.inputs.scenario_loading import load_scenario

    return load_scenario(ROOT / "scenarios" / "mianyang.toml").travel


def write_roads(path: Path, boundary: gpd.GeoDataFrame, spacing_m: float, seed: int) -> None:
    """The perturbed-grid road network over the boundary's extent, as an .osm.pbf (rules in the module doc)."""
    from optimizer.geography.boundaries import area_metric_crs

    rng = np.random.default_rng(seed)
    metric = area_metric_crs(boundary)
    west, south, east, north = boundary.to_crs(metric).total_bounds
    columns, rows = np.arange(west, east + spacing_m, spacing_m), np.arange(south, north + spacing_m, spacing_m)
    gx, gy = np.meshgrid(columns, rows)
    shift = rng.uniform(-spacing_m / 5, spacing_m / 5, (2, *gx.shape))
    lon, lat = Transformer.from_crs(metric, CRS.from_epsg(4326), always_xy=True).transform(gx + shift[0], gy + shift[1])
    node_id = np.arange(1, gx.size + 1).reshape(gx.shape)
    way = 1
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for i, j in np.ndindex(gx.shape):
            location = (float(lon[i, j]), float(lat[i, j]))
            writer.add_node(osmium.osm.mutable.Node(id=int(node_id[i, j]), location=location, tags={}))
        for along_rows in (True, False):
            lines = gx.shape[0] if along_rows else gx.shape[1]
            for line in range(lines):
                ids = node_id[line, :] if along_rows else node_id[:, line]
                tags = _line_tags(line)
                keep = rng.random(len(ids) - 1) > 0.12 if tags["highway"] in {"unclassified", "residential"} else None
                for k in range(len(ids) - 1):
                    if keep is None or keep[k]:
                        writer.add_way(osmium.osm.mutable.Way(id=way, nodes=[int(ids[k]), int(ids[k + 1])], tags=tags))
                        way += 1


def _line_tags(line: int) -> dict[str, str]:
    if line % 20 == 0:
        return {"highway": "trunk"}
    if line % 10 == 0:
        return {"highway": "primary", "maxspeed": "70"}
    if line % 5 == 0:
        return {"highway": "secondary"}
    if line % 3 == 0:
        return {"highway": "tertiary", "oneway": "yes" if line % 2 else "-1"}
    return {"highway": "unclassified" if line % 2 else "residential"}


def demand_points(boundary: gpd.GeoDataFrame, seed: int) -> pd.DataFrame:
    """H3 resolution-7 cell centres over the area; a seeded fifth of them urban."""
    area = boundary.union_all()
    cells = sorted(h3.geo_to_cells(area, 7))
    lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
    rng = np.random.default_rng(seed)
    classes = np.where(rng.random(len(cells)) < 0.2, "urban", "rural")
    return pd.DataFrame({"id": cells, "lon": lon, "lat": lat, "settlement_class": classes})


def facilities() -> pd.DataFrame:
    """Mianyang's facilities; the 19 without a point at their county seat, as `missing_location = "county_seat"`."""
    table = pd.read_csv(ROOT / "data" / "facilities" / "facilities.csv", dtype={"county_code": str})
    counties = pd.read_csv(ROOT / "data" / "population" / "counties.csv", dtype={"county_code": str})
    seats = counties.set_index("county_code")
    table = table[table["county_code"].isin(MIANYANG)].reset_index(drop=True)
    for axis in ("lon", "lat"):
        table[axis] = table[axis].fillna(table["county_code"].map(seats[f"seat_{axis}"]))
    return table[["facility_id", "lon", "lat"]]


def _load(roads: Path, cache: Path) -> Any:
    from optimizer.geography.boundaries import area_metric_crs
    from optimizer.geography.network import load_road_graph

    os.environ["PLANNER_CACHE_DIR"] = str(cache)
    boundary = _boundary()
    metric = area_metric_crs(boundary)
    return load_road_graph(roads, metric, _settings(), boundary.to_crs(metric).union_all())


def _row(method: str, road: Any, origins: pd.DataFrame, sites: pd.DataFrame, seconds: float, **extra: Any) -> Row:
    return {
        "method": method,
        "edges": road.edge_count,
        "nodes": road.node_count,
        "origins": len(origins),
        "sites": len(sites),
        "seconds": round(seconds, 2),
        "peak_mb": round(peak_mb(), 1),
        **extra,
    }


def run_method(
    method: str, roads: Path, cache: Path, origins: pd.DataFrame, sites: pd.DataFrame, nx_origins: int
) -> Row:
    """One row (in a child process): load, or one of the two matrix methods on the cached graph."""
    from optimizer.geography.road_matrix import road_matrix

    started = time.perf_counter()
    road = _load(roads, cache)
    if method in {"osm_load", "cache_load"}:
        return _row(method, road, origins, sites, time.perf_counter() - started, origins_timed="")
    settings = _settings()
    started = time.perf_counter()
    matrix = road_matrix(origins, sites, road, settings, settings.max_access_min)
    csgraph_s = time.perf_counter() - started
    if method == "csgraph":
        return _row(method, road, origins, sites, csgraph_s, origins_timed=len(origins))
    return _networkx_row(road, origins, sites, matrix.minutes, nx_origins)


def _networkx_row(road: Any, origins: pd.DataFrame, sites: pd.DataFrame, reference: np.ndarray, count: int) -> Row:
    """The previous approach on `count` origins: a DiGraph, then one cutoff Dijkstra per origin."""
    import networkx as nx

    from optimizer.geography.network import nearest_nodes

    settings = _settings()
    started = time.perf_counter()
    graph: nx.DiGraph[int] = nx.DiGraph()
    coo = road.minutes.tocoo()
    graph.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True), "minutes")
    build_s = time.perf_counter() - started
    to_metric = Transformer.from_crs(CRS.from_epsg(4326), road.crs, always_xy=True)
    chosen = np.linspace(0, len(origins) - 1, count).astype(int)
    o_nodes, o_snap = nearest_nodes(road, np.column_stack(to_metric.transform(origins["lon"], origins["lat"])))
    s_nodes, s_snap = nearest_nodes(road, np.column_stack(to_metric.transform(sites["lon"], sites["lat"])))
    speed = np.where(origins["settlement_class"] == "urban", settings.urban_speed_kph, settings.rural_speed_kph)
    minutes = np.full((count, len(sites)), np.inf)
    started = time.perf_counter()
    for row, i in enumerate(chosen):
        if o_snap[i] > settings.max_snap_km * 1000:
            continue
        reached = nx.single_source_dijkstra_path_length(
            graph, int(o_nodes[i]), cutoff=settings.max_access_min, weight="minutes"
        )
        for j, node in enumerate(s_nodes):
            if node in reached and s_snap[j] <= settings.max_snap_km * 1000:
                minutes[row, j] = reached[node] + (o_snap[i] + s_snap[j]) / 1000 / speed[i] * 60
    loop_s = time.perf_counter() - started
    both = np.isfinite(minutes) & np.isfinite(reference[chosen])
    agree = bool((np.isfinite(minutes) == np.isfinite(reference[chosen])).all())
    diff = float(np.abs(minutes[both] - reference[chosen][both]).max()) if both.any() else 0.0
    detail = f"DiGraph build {build_s:.1f} s; same reach: {agree}; max |Δ| {diff:.1e} min"
    return _row(
        "networkx",
        road,
        origins,
        sites,
        loop_s * len(origins) / count,
        origins_timed=count,
        extrapolated=True,
        detail=detail,
    )


def main(argv: list[str] | None = None) -> int:
    """Write the roads and the workload, run the rows, print them and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--spacing-m", type=float, default=700.0)
    parser.add_argument("--nx-origins", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "travel_matrix.csv")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        roads = work / "mianyang-synthetic.osm.pbf"
        boundary = _boundary()
        write_roads(roads, boundary, args.spacing_m, args.seed)
        origins, sites = demand_points(boundary, args.seed), facilities()
        methods = [("osm_load", work / "cold"), ("cache_load", work / "warm"), ("csgraph", work / "warm")]
        methods.append(("networkx", work / "warm"))
        # Fill the warm cache first, so the cache_load, csgraph and networkx rows read the graph from it.
        run_isolated(run_method, ("osm_load", roads, work / "warm", origins, sites, 0), identity={}, deadline_s=1800)
        rows = (
            run_isolated(
                run_method,
                (method, roads, cache, origins, sites, args.nx_origins),
                identity={"method": method},
                deadline_s=3600,
            )
            for method, cache in methods
        )
        stream_rows(rows, COLUMNS, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
