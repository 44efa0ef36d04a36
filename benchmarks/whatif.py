"""What-if sweep benchmark: a budget sweep solved level by level (the previous way) and with plan reuse, side by side.

Usage:
    python benchmarks/whatif.py [--scenario scenarios/lu_county.toml] [--budget 60%..160%] [--steps 21]
                                [--workers N] [--time-limit S] [--strategies independent,reuse]
                                [--single-runs 3] [--seeds 20250101,1,2] [--out benchmarks/whatif.csv]

Default scenario: Lu County. Per strategy, on one local Dask cluster (its start-up is reported, not counted):
    independent   one Dask task per level, each a full `solve_plan` on its own model (the way before #18)
    reuse         the tasks of optimizer/whatif/reuse.py: levels above a solved plan's least cost take it
                  once the lowest of them returns it, the budget-binding levels in contiguous runs on one
                  model per task, each started from the plan below
    reuse seq.    the same tasks in turn in this process (must give the same plans as `reuse`)
Measured: wall time, the levels the solver solved (`solved_as = solved`; the scenario's own value counted when it
is not a level), the wall time of one plan run at the scenario's own budget (`solve_plan` after `prepare`, this
process; `single_run_s` is the median of `--single-runs` runs, since one run varied by 10 % between runs of the
same code), their ratio, the levels proven optimal and the largest gap; the objective of each level against the
independent sweep within `mip_rel_gap`, and whether the two reuse runs give the same plans (allocation totals).
`--seeds` repeats all of it (single runs included) per HiGHS random seed, one row per seed and strategy: on Lu
County one budget-binding level takes 7 s at the scenario's seed and runs to its limit at others, so one seed's
ratio says little about the next.
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.rows import write_rows_csv  # noqa: E402
from optimizer.pipeline import PreparedScenario, ViolationPolicy, prepare, solve_plan  # noqa: E402
from optimizer.whatif.levels import LevelOptions, SweepSpec, budget_levels  # noqa: E402
from optimizer.whatif.runner import available_cores  # noqa: E402
from optimizer.whatif.sweep import SweepResult, run_sweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (
    "scenario",
    "seed",
    "strategy",
    "workers",
    "levels",
    "solves",
    "wall_s",
    "single_run_s",
    "ratio",
    "levels_proven",
    "worst_gap",
    "objective_vs_independent",
    "startup_s",
)
STRATEGIES = ("independent", "reuse", "reuse_sequential")


def main() -> None:
    """Run the benchmark and print/write its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "lu_county.toml")
    parser.add_argument("--budget", default="60%..160%")
    parser.add_argument("--steps", type=int, default=21)
    parser.add_argument("--workers", type=int, default=available_cores())
    parser.add_argument("--time-limit", type=float, help="seconds per solve (default: the scenario's)")
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help=f"comma-separated, of {STRATEGIES}")
    parser.add_argument("--single-runs", type=int, default=3, help="single runs timed; their median is reported")
    parser.add_argument("--seeds", help="comma-separated HiGHS random seeds (default: the scenario's own)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "whatif.csv")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    path = args.scenario
    prepared = prepare(path)
    settings = prepared.scenario.solver
    if args.time_limit is not None:
        settings = settings.model_copy(update={"time_limit_s": args.time_limit})
    seeds = [int(seed) for seed in args.seeds.split(",")] if args.seeds else [settings.random_seed]
    spec = budget_levels(args.budget, steps=args.steps, scenario_budget_cny=prepared.scenario.budget.budget_cny.value)
    chosen = [s.strip() for s in args.strategies.split(",") if s.strip()]

    from distributed import Client, LocalCluster

    rows = []
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
        Client(cluster),  # type: ignore[no-untyped-call]
    ):
        startup = time.perf_counter() - started
        for seed in seeds:
            seeded = settings.model_copy(update={"random_seed": seed})
            single_prepared = prepare(path, solver=seeded)
            single = statistics.median(_single_run(single_prepared) for _ in range(max(1, args.single_runs)))
            results = _sweeps(path, spec, chosen, cluster.scheduler_address, args.workers, LevelOptions(solver=seeded))
            reference = results.get("independent", (None, 0.0))[0]
            for strategy, (result, wall) in results.items():
                workers = 1 if strategy == "reuse_sequential" else args.workers
                versus = _versus(result, reference, settings.mip_rel_gap) if reference is not None else ""
                if strategy == "reuse_sequential" and "reuse" in results:
                    versus += "; " + _same_plans(result.table, results["reuse"][0].table)
                rows.append(_row(path, seed, strategy, workers, result, wall, single, startup, versus))
    _print(rows)
    _append(args.out, rows)


def _sweeps(
    path: Path, spec: SweepSpec, chosen: list[str], scheduler: str, workers: int, options: LevelOptions
) -> dict[str, tuple[SweepResult, float]]:
    """Each chosen strategy's sweep and wall seconds, one after the other on the cluster at `scheduler`."""
    results: dict[str, tuple[SweepResult, float]] = {}
    for strategy in chosen:
        began = time.perf_counter()
        if strategy == "reuse_sequential":
            result = run_sweep(path, spec, mode="sequential", chunks=workers, options=options)
        else:
            result = run_sweep(
                path,
                spec,
                mode="dask",
                scheduler=scheduler,
                strategy="reuse" if strategy == "reuse" else "independent",
                chunks=workers,
                options=options,
            )
        results[strategy] = (result, time.perf_counter() - began)
    return results


def _append(out: Path, rows: list[dict[str, Any]]) -> None:
    """Append `rows` to `out`, written atomically; rows written under an older header are kept, their new columns
    left empty."""
    kept: list[dict[str, Any]] = []
    if out.exists():
        with out.open(newline="", encoding="utf-8") as stream:
            kept = list(csv.DictReader(stream))
    write_rows_csv([*kept, *rows], COLUMNS, out)


def _single_run(prepared: PreparedScenario) -> float:
    """Seconds of one plan run at the scenario's own budget: build, solve, extract and verify."""
    started = time.perf_counter()
    solve_plan(prepared, on_violation=ViolationPolicy.RECORD)
    return time.perf_counter() - started


def _solves(result: SweepResult) -> int:
    solved = int((result.table["solved_as"] == "solved").sum())
    base_solved = not result.base_in_sweep and result.base is not None and result.base.get("solved_as") == "solved"
    return solved + int(base_solved)


def _versus(result: SweepResult, reference: SweepResult, rel_tol: float) -> str:
    """How many levels' objectives differ from the independent sweep's by more than the gap."""
    ours, theirs = result.table["objective"].astype(float), reference.table["objective"].astype(float)
    worse = [
        i
        for i, (x, y) in enumerate(zip(ours, theirs, strict=True))
        if not math.isclose(x, y, rel_tol=2 * rel_tol, abs_tol=1e-9)
    ]
    return "objective within gap" if not worse else f"{len(worse)} objective(s) differ (levels {worse})"


def _same_plans(a: pd.DataFrame, b: pd.DataFrame) -> str:
    totals = [c for c in a.columns if c.startswith("total_") or c in ("cost_cny", "subcentre_ids", "solved_as")]
    same = a[totals].reset_index(drop=True).equals(b[totals].reset_index(drop=True))
    return "same plans as reuse (dask)" if same else "plans differ from reuse (dask)"


def _row(
    path: Path,
    seed: int,
    strategy: str,
    workers: int,
    result: SweepResult,
    wall: float,
    single: float,
    startup: float,
    versus: str,
) -> dict[str, Any]:
    table = result.table
    gaps = pd.to_numeric(table["gap"], errors="coerce")
    return {
        "scenario": path.stem,
        "seed": seed,
        "strategy": strategy,
        "workers": workers,
        "levels": len(table),
        "solves": _solves(result),
        "wall_s": round(wall, 1),
        "single_run_s": round(single, 1),
        "ratio": round(wall / single, 1),
        "levels_proven": int((table["outcome"] == "optimal").sum()),
        "worst_gap": f"{gaps.max():.2g}" if gaps.notna().any() else "",
        "objective_vs_independent": versus,
        "startup_s": round(startup, 1),
    }


def _print(rows: list[dict[str, Any]]) -> None:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS}
    print("  ".join(c.ljust(widths[c]) for c in COLUMNS))  # noqa: T201 - a benchmark prints its table
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in COLUMNS))  # noqa: T201


if __name__ == "__main__":
    main()
