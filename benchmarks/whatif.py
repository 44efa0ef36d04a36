"""What-if sweep benchmark: the same budget sweep sequentially (warm starts) and on a local Dask cluster.

Usage:
    python benchmarks/whatif.py [--scenario scenarios/mianyang.toml] [--budget 60%..160%] [--steps 21]
                                [--workers N] [--time-limit S] [--out benchmarks/whatif.csv]

Default scenario: the largest bundled one that prepares without error (Mianyang, else Lu County).
Measured per mode: wall time, levels proven optimal, peak memory of the driver (tracemalloc: Python
objects; ru_maxrss: the whole process, including HiGHS), and of the Dask workers (each worker's
ru_maxrss, read with `client.run` before the cluster closes). The Dask wall time excludes the cluster
start-up, which is reported on its own. Numbers that matter live here, not in unit tests.
"""

from __future__ import annotations

import argparse
import csv
import logging
import resource
import time
import tracemalloc
from pathlib import Path
from typing import Any

from optimizer.errors import PlannerError
from optimizer.pipeline import prepare
from optimizer.whatif.levels import LevelOptions, budget_levels
from optimizer.whatif.runner import available_cores
from optimizer.whatif.sweep import run_sweep
from optimizer.whatif.tables import compare_sweeps

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = ("mianyang.toml", "lu_county.toml")
COLUMNS = (
    "scenario",
    "mode",
    "workers",
    "levels",
    "optimal",
    "startup_s",
    "wall_s",
    "driver_python_peak_mb",
    "driver_rss_peak_mb",
    "worker_rss_peak_mb",
    "objective_vs_sequential",
)


def peak_rss_mb() -> float:
    """Peak resident memory of the calling process (MB); run on each Dask worker."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def pick_scenario() -> Path:
    """The first candidate scenario that prepares without error."""
    for name in CANDIDATES:
        path = ROOT / "scenarios" / name
        try:
            prepare(path)
        except (PlannerError, OSError) as error:
            logging.warning("%s does not run (%s); trying the next", name, str(error).splitlines()[0])
            continue
        return path
    raise SystemExit("no bundled scenario prepares; run `optimizer check` on one")


def main() -> None:
    """Run the benchmark and print/write its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path)
    parser.add_argument("--budget", default="60%..160%")
    parser.add_argument("--steps", type=int, default=21)
    parser.add_argument("--workers", type=int, default=available_cores())
    parser.add_argument("--time-limit", type=float, help="seconds per level (default: the scenario's)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "whatif.csv")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    path = args.scenario or pick_scenario()
    prepared = prepare(path)
    settings = prepared.scenario.solver
    if args.time_limit is not None:
        settings = settings.model_copy(update={"time_limit_s": args.time_limit})
    spec = budget_levels(args.budget, steps=args.steps, scenario_budget_cny=prepared.scenario.budget.budget_cny.value)
    options = LevelOptions(solver=settings)
    rows: list[dict[str, Any]] = []

    tracemalloc.start()
    started = time.perf_counter()
    warm = run_sweep(path, spec, mode="sequential", warm_start=True, options=options)
    wall = time.perf_counter() - started
    python_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    rows.append(_row(path, "sequential (warm)", 1, warm.table, 0.0, wall, python_peak, float("nan"), ""))

    from distributed import Client, LocalCluster

    tracemalloc.start()
    started = time.perf_counter()
    # distributed ships py.typed but leaves LocalCluster and Client untyped
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.WARNING,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        startup = time.perf_counter() - started
        started = time.perf_counter()
        dask = run_sweep(path, spec, mode="dask", scheduler=cluster.scheduler_address, options=options)
        wall = time.perf_counter() - started
        worker_peak = max(client.run(peak_rss_mb).values())
    python_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    # Dask solves every level cold; compare it with the warm sweep on objective (within the gap)
    differences = compare_sweeps(dask.table, warm.table, rel_tol=settings.mip_rel_gap)
    objective_only = [d for d in differences if " objective:" in d]
    rows.append(
        _row(
            path,
            "dask local",
            args.workers,
            dask.table,
            startup,
            wall,
            python_peak,
            worker_peak,
            "objective within gap" if not objective_only else f"{len(objective_only)} objective(s) differ",
        )
    )

    _print(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _row(
    path: Path,
    mode: str,
    workers: int,
    table: Any,
    startup: float,
    wall: float,
    python_peak: float,
    worker_peak: float,
    versus: str,
) -> dict[str, Any]:
    return {
        "scenario": path.stem,
        "mode": mode,
        "workers": workers,
        "levels": len(table),
        "optimal": int((table["outcome"] == "optimal").sum()),
        "startup_s": round(startup, 1),
        "wall_s": round(wall, 1),
        "driver_python_peak_mb": round(python_peak, 1),
        "driver_rss_peak_mb": round(peak_rss_mb(), 1),
        "worker_rss_peak_mb": round(worker_peak, 1),
        "objective_vs_sequential": versus,
    }


def _print(rows: list[dict[str, Any]]) -> None:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS}
    print("  ".join(c.ljust(widths[c]) for c in COLUMNS))  # noqa: T201 - a benchmark prints its table
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in COLUMNS))  # noqa: T201


if __name__ == "__main__":
    main()
