"""One benchmark row per location model on a synthetic province (≈3,000 towns, ≈30,000 demand points).

    python benchmarks/province.py [--seed 7] [--only lscp,mclp,...] [--time-limit 120] [--gap 0.005]
        [--solver highs] [--threads 2] [--no-reductions | --compare] [--out province.csv]

Each row builds the model from a freshly generated province (`benchmarks.workloads.synthetic`, seeded), solves
it to a relative gap of `--gap` (default 0.5 %) within `--time-limit`, and reports build and solve time
and the row's peak resident memory (each row runs in its own child process). Distances are
straight-line km × 1.3 road detour. Sizes per model are in the `size` column; where a model runs on
towns instead of the 30,000 demand points (dense p-median / p-center / capacitated / MEXCLP), the
town population is the demand. The `planner` row is the full planner model (allocation, ambulances,
sub-centres, budget) on the province's towns; benchmarks/province_planner.py runs it at other sizes.

`variant` (LSCP, MCLP, capacitated p-median, DSM; issue #18): `reduced` (default) builds with the exact
covering reductions and a greedy MIP start, and solves LSCP one component at a time
(`models.location.coverage_components`); `plain` (`--no-reductions`) is the model as first built, no
start. `--compare` runs both, one row each.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.isolation import run_isolated  # noqa: E402
from benchmarks.rows import add_solve_options, peak_mb, stream_rows  # noqa: E402

MODELS = ("lscp", "mclp", "p_median", "p_center", "capacitated", "dsm", "mexclp", "hierarchy", "planner")
VARIANT_MODELS = ("lscp", "mclp", "capacitated", "dsm")
"""The models with a `plain` and a `reduced` variant."""
COLUMNS = [
    "model",
    "variant",
    "size",
    "solver",
    "outcome",
    "objective",
    "bound",
    "gap",
    "build_seconds",
    "solve_seconds",
    "seconds",
    "peak_mb",
    "detail",
]


def _run(  # noqa: C901, PLR0912, PLR0915
    model: str, seed: int, solver: str, time_limit: float, gap: float, threads: int = 2, reduced: bool = True
) -> dict[str, Any]:
    from benchmarks.workloads.mip import planner_mip_solve, solve_p_median_planner
    from benchmarks.workloads.synthetic import generate_province, road_km
    from models.location.backup_coverage import DSMInputs, MEXCLPInputs, build_dsm_model, build_mexclp_model
    from models.location.capacitated_p_median import CapacitatedPMedianInputs, build_capacitated_p_median_model
    from models.location.coverage import CoverageInputs, build_coverage_model
    from models.location.coverage_components import solve_set_cover_by_component
    from models.location.location_common import coverage_from_distance, invert
    from models.location.p_center import PCenterInputs, build_p_center_model
    from models.location.p_median import PMedianInputs
    from models.planner.hierarchy import HierarchyModelInputs, build_hierarchy_model, emergency_network_inputs
    from optimizer.inputs.solver_settings import SolverSettings
    from optimizer.solving.solve import solve

    settings = SolverSettings(name=solver, time_limit_s=time_limit, mip_rel_gap=gap, threads=threads, fallback=False)  # type: ignore[arg-type]
    if model == "planner":
        return _planner(seed, settings)
    prov = generate_province(seed)
    n_towns = len(prov.town_xy)
    towns = tuple(range(n_towns))
    biggest = np.sort(np.argsort(-prov.town_population, kind="stable")[:1000])
    started = time.perf_counter()
    detail = ""

    def points_and_sites(sites_idx: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...], np.ndarray]:
        dist = road_km(prov.demand_xy, prov.town_xy[sites_idx])
        return tuple(range(len(prov.demand_xy))), tuple(int(s) for s in sites_idx), dist

    if model == "p_median":
        dist = road_km(prov.town_xy, prov.town_xy, round_to_km=1.0, dtype=np.float64)
        inputs = PMedianInputs(towns, towns, prov.town_population / 1000.0, dist, 100)
        result = solve_p_median_planner(inputs, settings)
        return {
            "model": model,
            "size": f"{n_towns} towns × {n_towns} sites, p=100, 1-km levels",
            "outcome": result.outcome.value,
            "objective": result.objective,
            "bound": result.bound,
            "gap": result.gap,
            "build_seconds": result.build_seconds,
            "solve_seconds": result.seconds - result.build_seconds,
            "seconds": time.perf_counter() - started,
            "detail": f"heuristic {result.heuristic_value:.6g}, Lagrangian {result.lagrangian_bound:.6g}, "
            f"fixed {result.n_fixed_open} open / {result.n_fixed_closed} closed",
        }
    if model in ("lscp", "mclp"):
        ids, sites, dist = points_and_sites(np.arange(n_towns))
        radius = 15.0 if model == "lscp" else 10.0
        coverage = coverage_from_distance(dist, radius, ids, sites)
        reach = invert(coverage, ids)
        if model == "lscp":
            kept = tuple(d for d in ids if reach[d])
            keep = set(kept)
            coverage = {s: tuple(d for d in ds if d in keep) for s, ds in coverage.items()}
            inputs_c = CoverageInputs(kept, sites, coverage, kind="lscp", reduce=reduced, heuristic_start=reduced)
            size = (
                f"{len(kept)} points (of {len(ids)}; rest beyond {radius:g} km) × {len(sites)} sites, r={radius:g} km"
            )
        else:
            inputs_c = CoverageInputs(
                ids,
                sites,
                coverage,
                kind="mclp",
                weight=tuple(float(w) for w in prov.demand_population),
                p=150,
                reduce=reduced,
                heuristic_start=reduced,
            )
            size = f"{len(ids)} points × {len(sites)} sites, r={radius:g} km, p=150"
        pairs = sum(len(v) for v in coverage.values())
        if model == "lscp" and reduced:
            split = solve_set_cover_by_component(
                inputs_c, planner_mip_solve(settings), time_limit_s=time_limit, mip_rel_gap=gap
            )
            return {
                "model": model,
                "variant": "reduced",
                "size": size,
                "outcome": split.outcome.value,
                "objective": split.objective,
                "bound": split.bound,
                "gap": split.gap,
                "build_seconds": None,
                "solve_seconds": None,
                "seconds": time.perf_counter() - started,
                "detail": f"{pairs} covering pairs; {split.reduction}",
            }
        built = build_coverage_model(inputs_c)
        problem = built.problem
        detail = f"{pairs} covering pairs, {len(problem.constraints())} rows after grouping equal reach sets"
        if reduced:
            detail += f"; {built.reduction}; greedy start {_start_value(problem, bool(built.start_sites))}"
    elif model == "p_center":
        sites_idx = np.sort(np.argsort(-prov.town_population, kind="stable")[:500])
        dist = road_km(prov.town_xy, prov.town_xy[sites_idx], round_to_km=1.0, dtype=np.float64)
        built_pc = build_p_center_model(PCenterInputs(towns, tuple(int(s) for s in sites_idx), dist, 40))
        problem = built_pc.problem
        size = f"{n_towns} towns × {len(sites_idx)} sites, p=40, 1-km levels"
        detail = f"{len(built_pc.levels)} distance levels"
    elif model == "capacitated":
        sites_idx = np.sort(np.argsort(-prov.town_population, kind="stable")[:300])
        dist = road_km(prov.town_xy, prov.town_xy[sites_idx], dtype=np.float64)
        demand = prov.town_population / 1000.0
        p = 30
        capacity = np.full(len(sites_idx), 1.5 * demand.sum() / p)
        built_cap = build_capacitated_p_median_model(
            CapacitatedPMedianInputs(
                towns,
                tuple(int(s) for s in sites_idx),
                dist,
                demand,
                capacity,
                p,
                max_assignment_distance=60.0,
                heuristic_start=reduced,
            )
        )
        problem = built_cap.problem
        if reduced:
            detail = f"greedy start {_start_value(problem, bool(built_cap.start))}"

        size = f"{n_towns} towns × {len(sites_idx)} sites, p={p}, pairs ≤ 60 km ({len(built_cap.assign)})"
    elif model == "dsm":
        ids, sites, dist = points_and_sites(biggest)
        r1 = coverage_from_distance(dist, 12.0, ids, sites)
        r2 = coverage_from_distance(dist, 30.0, ids, sites)
        reach2 = invert(r2, ids)
        keep = {d for d in ids if reach2[d]}
        kept = tuple(d for d in ids if d in keep)
        r1 = {s: tuple(d for d in ds if d in keep) for s, ds in r1.items()}
        r2 = {s: tuple(d for d in ds if d in keep) for s, ds in r2.items()}
        weight = tuple(float(prov.demand_population[d]) for d in kept)
        built_d = build_dsm_model(
            DSMInputs(
                kept,
                sites,
                weight,
                r1,
                r2,
                p=120,
                alpha=0.5,
                site_capacity=(2,) * len(sites),
                reduce=reduced,
                heuristic_start=reduced,
            )
        )
        problem = built_d.problem
        if reduced:
            detail = f"greedy start {_start_value(problem, bool(built_d.start))}"

        size = f"{len(kept)} points × {len(sites)} stations, r1=12, r2=30 km, p=120, α=0.5"
    elif model == "mexclp":
        sites_idx = biggest
        # float32 on purpose (half the memory); coverage_from_distance only compares it with the radius
        dist = road_km(prov.town_xy, prov.town_xy[sites_idx])  # type: ignore[assignment]
        sites = tuple(int(s) for s in sites_idx)
        coverage = coverage_from_distance(dist, 15.0, towns, sites)
        built_m = build_mexclp_model(
            MEXCLPInputs(
                towns,
                sites,
                tuple(float(w) for w in prov.town_population),
                coverage,
                p=120,
                busy_fraction=0.3,
                site_capacity=(3,) * len(sites),
            )
        )
        problem = built_m.problem
        size = f"{n_towns} towns × {len(sites)} stations, r=15 km, p=120, q=0.3 ({len(built_m.kth)} x vars)"
    elif model == "hierarchy":
        seats = np.flatnonzero(prov.town_is_seat)
        cthc = np.sort(np.setdiff1d(biggest, seats)[:600])
        nodes = (
            [("cec", int(s)) for s in seats]
            + [("cthc", int(s)) for s in cthc]
            + [("thc", int(s)) for s in range(n_towns)]
        )
        node_xy = prov.town_xy[[n[1] for n in nodes]]
        town_node = road_km(prov.town_xy, node_xy, dtype=np.float64)
        node_node = road_km(node_xy, node_xy, dtype=np.float64)
        rules = emergency_network_inputs(towns, nodes, town_node, node_node, link_limit_km={"cthc": 150.0, "thc": 40.0})
        cost: dict[tuple[str, Hashable], float] = {n: {"cec": 0.0, "cthc": 5.0, "thc": 2.0}[n[0]] for n in nodes}
        orphans = {n for n, parents in rules.parents.items() if not parents}
        cost.update(dict.fromkeys(orphans, 1000000.0))  # nodes with no parent in reach cannot open; keep them in
        built_h = build_hierarchy_model(HierarchyModelInputs(rules, cost, existing=tuple(nodes[: len(seats)])))
        problem = built_h.problem
        size = f"{n_towns} towns, {len(nodes)} nodes (cec/cthc/thc), 20 km / 10 km tiers"
    else:
        raise ValueError(f"model was {model!r} but is expected to be in {MODELS}")
    build = time.perf_counter() - started
    report = solve(problem, settings, warm_start=reduced)
    if report.detail and detail:
        detail += f"; {report.detail}"
    return {
        "model": model,
        "variant": ("reduced" if reduced else "plain") if model in VARIANT_MODELS else "",
        "size": size,
        "outcome": report.outcome.value,
        "objective": report.objective,
        "bound": report.bound,
        "gap": report.gap,
        "build_seconds": build,
        "solve_seconds": report.seconds,
        "seconds": time.perf_counter() - started,
        "detail": detail or report.detail,
    }


def _start_value(problem: Any, has_start: bool) -> str:
    """The objective of a model's MIP start, from its variables' initial values (read before the solve)."""
    if not has_start:
        return "none found"
    return f"{sum(coef * (var.varValue or 0.0) for var, coef in problem.objective.items()):.6g}"


def _planner(seed: int, settings: Any) -> dict[str, Any]:
    """The full planner model on the 3,000-town province (benchmarks/province_planner.py), in this table's columns."""
    from benchmarks.province_planner import planner_row

    row = planner_row(seed, 3_000, settings)
    return {
        **row,
        "model": "planner",
        "size": f"{row['towns']} towns, {row['facilities']} facilities: {row['variables']} variables "
        f"({row['integer_variables']} integer), {row['rows']} rows",
        "build_seconds": row["prepare_s"] + row["build_s"],
        "solve_seconds": row["start_s"] + row["solve_s"],
        "seconds": row["total_s"],
        "detail": f"model build {row['build_s']:.1f} s, LP-rounded start {row['start_s']:.1f} s (LP bound "
        f"{row['lp_bound']:.6g}), MIP {row['solve_s']:.1f} s; {row['violations']} verifier violations; {row['detail']}",
    }


def _run_with_memory(
    model: str, seed: int, solver: str, time_limit: float, gap: float, threads: int, reduced: bool = True
) -> dict[str, Any]:
    row = _run(model, seed, solver, time_limit, gap, threads, reduced)
    row["solver"] = solver
    row["peak_mb"] = peak_mb()
    return row


def run_model_isolated(
    model: str, seed: int, solver: str, time_limit: float, gap: float, threads: int = 2, reduced: bool = True
) -> dict[str, Any]:
    """One model in a fresh process, so its peak memory is its own (benchmarks/isolation.py)."""
    return run_isolated(
        _run_with_memory,
        (model, seed, solver, time_limit, gap, threads, reduced),
        identity={"model": model, "solver": solver, "variant": "reduced" if reduced else "plain"},
        deadline_s=4 * time_limit + 600,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the province rows, print them and optionally write a CSV atomically."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default=",".join(MODELS))
    parser.add_argument("--solver", default="highs")
    add_solve_options(parser, time_limit_s=120.0, threads=2)
    parser.add_argument("--out", type=Path, default=None)
    variant = parser.add_mutually_exclusive_group()
    variant.add_argument("--no-reductions", action="store_true", help="plain models: no reductions, no start")
    variant.add_argument("--compare", action="store_true", help="plain and reduced rows side by side")
    args = parser.parse_args(argv)
    models = [m for m in args.only.split(",") if m]
    runs = [
        (m, reduced)
        for m in models
        for reduced in ((False, True) if args.compare and m in VARIANT_MODELS else (not args.no_reductions,))
    ]
    rows = (
        run_model_isolated(m, args.seed, args.solver, args.time_limit, args.gap, args.threads, reduced)
        for m, reduced in runs
    )
    stream_rows(rows, COLUMNS, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
