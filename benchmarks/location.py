"""Benchmark the location core on OR-Library pmed / pmedcap instances against their known optima.

    python benchmarks/location.py --only pmed1,pmed6,pmedcap01 --solvers highs,cbc \
        --formulations reduced,radius,assignment --time-limit 60 --out results.csv
    python benchmarks/location.py --models p_center --solvers highs --time-limit 60 \
        --p-center-baseline pmed1,pmed6,pmed11,pmed16,pmed21 --baseline-time-limit 30 --out p_center.csv

Models (`--models`): p_median and capacitated (the default), p_center.

Formulations (p-median rows):
  reduced     heuristic + Lagrangian fixing + radius MIP (`models.location.exact.solve_p_median`)
  radius      the full radius formulation of Elloumi (2010), solved as built
  assignment  the classic dense model (n² assignment variables, as spopt builds it)
pmedcap rows always use the single-source capacitated model (formulation `capacitated`).
p-center rows (the pmed graphs, known optima `PCENTER_OPTIMA`, Pullan 2008):
  covering    the exact solver over the distance levels (`models.location.exact.solve_p_center`)
  levels      the compact MIP of `models.location.p_center` with its heuristic as MIP start, only on the
              `--p-center-baseline` instances and with `--baseline-time-limit`

Each row runs in a fresh child process, so `peak_mb` is that row's peak resident memory of the
Python process (it includes HiGHS, which runs in-process; CBC runs as a separate program and is not
counted). Instance files are read from $SHARED_BENCHMARKS (default ../shared/benchmarks).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.isolation import run_isolated  # noqa: E402
from benchmarks.rows import SOLVE_COLUMNS, fmt, peak_mb, row_line, write_rows_csv  # noqa: E402

COLUMNS = [
    "instance",
    "model",
    "n",
    "p",
    "solver",
    "formulation",
    *SOLVE_COLUMNS,
    "known_optimum",
    "match",
    "root_bound",
    "root_gap",
    "tree_nodes",
    "build_seconds",
    "seconds",
    "peak_mb",
    "detail",
]
PMED_FORMULATIONS = ("reduced", "radius", "assignment")
MODELS = ("p_median", "capacitated", "p_center")
DEFAULT_ORLIB = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
"""OR-Library folder when $SHARED_BENCHMARKS is not set: ../shared/benchmarks next to the repository."""


def orlib_folder() -> Path:
    """The OR-Library data folder handed to every loader."""
    from benchmarks.workloads.orlib import benchmarks_folder

    return benchmarks_folder(DEFAULT_ORLIB)


def run_row(
    instance: str, model: str, solver: str, formulation: str, time_limit: float, threads: int
) -> dict[str, Any]:
    """Load, build and solve one (instance, model, solver, formulation); runs inside a child process."""
    from benchmarks.workloads.mip import solve_p_median_planner
    from benchmarks.workloads.orlib import (
        CapacitatedInstance,
        capacitated_inputs,
        load_pmed,
        load_pmedcap,
        p_median_inputs,
    )
    from models.location.capacitated_p_median import build_capacitated_p_median_model, capacitated_cost
    from optimizer.inputs.solver_settings import SolverSettings
    from optimizer.solving.solve import solve

    settings = SolverSettings(name=solver, time_limit_s=time_limit, mip_rel_gap=1e-6, threads=threads, fallback=False)  # type: ignore[arg-type]
    row: dict[str, Any] = {"instance": instance, "model": model, "solver": solver, "formulation": formulation}
    folder = orlib_folder()
    loaded = load_pmedcap(instance, folder) if instance.startswith("pmedcap") else load_pmed(instance, folder)
    row.update(n=loaded.n, p=loaded.p, known_optimum=loaded.known_optimum)
    if model == "p_center" and not isinstance(loaded, CapacitatedInstance):
        row.update(p_center_row(loaded, formulation, settings))
    elif isinstance(loaded, CapacitatedInstance):
        started = time.perf_counter()
        inputs = capacitated_inputs(loaded)
        built = build_capacitated_p_median_model(inputs)
        build = time.perf_counter() - started
        report = solve(built.problem, settings)
        objective = capacitated_cost(inputs, built.assignment()) if report.outcome.has_solution else None
        row.update(
            outcome=report.outcome.value,
            objective=objective,
            bound=report.bound,
            gap=report.gap,
            build_seconds=build,
            seconds=time.perf_counter() - started,
            detail=report.detail,
        )
    else:
        inputs_p = p_median_inputs(
            loaded,
            formulation="radius" if formulation == "reduced" else formulation,  # type: ignore[arg-type]
        )
        result = solve_p_median_planner(inputs_p, settings, reduce=formulation == "reduced")
        reduced = formulation == "reduced"
        detail = (
            f"heuristic {result.heuristic_value:g}, fixed {result.n_fixed_open} open / "
            f"{result.n_fixed_closed} closed, MIP {'yes' if result.mip_solved else 'no'}"
            if reduced
            else ""
        )
        if reduced:  # the Lagrangian root bound equals the LP relaxation bound
            row.update(
                root_bound=result.lagrangian_bound,
                root_gap=(result.objective - result.lagrangian_bound) / result.objective,
                tree_nodes=result.tree_nodes,
            )
        row.update(
            outcome=result.outcome.value,
            objective=result.objective,
            bound=result.bound,
            gap=result.gap,
            build_seconds=result.build_seconds,
            seconds=result.seconds,
            detail=detail,
        )
    optimum = row["known_optimum"]
    row["match"] = (
        "yes"
        if row["objective"] is not None
        and optimum is not None
        and abs(float(row["objective"]) - optimum) < 1e-6
        and row["outcome"] == "optimal"
        else "no"
    )
    row["peak_mb"] = peak_mb()
    return row


def p_center_row(loaded: Any, formulation: str, settings: Any) -> dict[str, Any]:
    """One p-center row: the exact covering solver, or the compact MIP started from its heuristic."""
    from benchmarks.workloads.mip import planner_mip_solve
    from benchmarks.workloads.orlib import PCENTER_OPTIMA
    from models.location.exact import solve_p_center
    from models.location.p_center import PCenterInputs, build_p_center_model, p_center_radius
    from optimizer.solving.solve import solve

    ids = tuple(range(1, loaded.n + 1))
    inputs = PCenterInputs(ids, ids, loaded.distance.astype(float), loaded.p)
    row: dict[str, Any] = {"known_optimum": PCENTER_OPTIMA.get(loaded.name)}
    if formulation == "covering":
        result = solve_p_center(inputs, planner_mip_solve(settings), time_limit_s=settings.time_limit_s)
        root_bound = max(float(inputs.distance.min(axis=1).max()), result.separation_bound)
        return row | {
            "outcome": result.outcome.value,
            "objective": result.radius,
            "bound": result.lower_bound,
            "gap": result.gap,
            "root_bound": root_bound,
            "root_gap": (result.radius - root_bound) / result.radius,
            "seconds": result.seconds,
            "detail": f"heuristic {result.heuristic_radius:g}, separation bound {result.separation_bound:g}, "
            f"{result.levels_tested} levels tested, {result.iterations} covering MIPs, "
            f"{result.clients_used} of {loaded.n} clients in them",
        }
    started = time.perf_counter()
    model = build_p_center_model(inputs)
    build = time.perf_counter() - started
    report = solve(model.problem, settings, warm_start=bool(model.start_sites))
    objective = p_center_radius(inputs, model.open_sites()) if report.outcome.has_solution else None
    start = p_center_radius(inputs, list(model.start_sites)) if model.start_sites else None
    return row | {
        "outcome": report.outcome.value,
        "objective": objective,
        "bound": report.bound,
        "gap": report.gap,
        "build_seconds": build,
        "seconds": time.perf_counter() - started,
        "detail": f"{len(model.levels)} levels, {len(model.problem.constraints())} rows, MIP start radius {start}; "
        f"{report.detail}",
    }


def run_row_isolated(
    instance: str, model: str, solver: str, formulation: str, time_limit: float, threads: int
) -> dict[str, Any]:
    """`run_row` in a fresh process (benchmarks/isolation.py)."""
    return run_isolated(
        run_row,
        (instance, model, solver, formulation, time_limit, threads),
        identity={"instance": instance, "model": model, "solver": solver, "formulation": formulation},
        deadline_s=5 * time_limit + 300,
    )


def print_table(rows: list[dict[str, Any]]) -> None:
    """Print every row as a table."""
    from rich.console import Console
    from rich.table import Table

    shown = [c for c in COLUMNS if c != "detail"]
    table = Table(title="Location benchmarks")
    for c in shown:
        left = ("instance", "model", "solver", "formulation", "outcome")
        table.add_column(c, justify="left" if c in left else "right")
    for r in rows:
        table.add_row(*(fmt(r.get(c)) for c in shown))
    Console(width=200).print(table)


def summarize(rows: list[dict[str, Any]], time_limit: float, baseline_time_limit: float) -> list[dict[str, Any]]:
    """Per model, solver and formulation on pmed: instances, known optima proven, rows within the limit, seconds.

    A row that did not prove its optimum counts as at least its time limit (`baseline_time_limit` for the
    p-center `levels` rows, else `time_limit`), so totals of the classic models are lower bounds whenever
    they hit the limit; `vs_reduced` divides a p-median total by the `reduced` total of the same solver on
    the same instances, and a p-center total by the `covering` one.
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if str(r["instance"]).startswith("pmed") and not str(r["instance"]).startswith("pmedcap"):
            groups.setdefault((r["model"], r["solver"], r["formulation"]), []).append(r)

    def limit(r: dict[str, Any]) -> float:
        return baseline_time_limit if r["formulation"] == "levels" else time_limit

    def seconds(r: dict[str, Any]) -> float:
        value = float(r.get("seconds") or limit(r))
        return value if r.get("match") == "yes" else max(value, limit(r))

    summary = []
    for (model, solver, formulation), members in sorted(groups.items()):
        names = {r["instance"] for r in members}
        exact = "covering" if model == "p_center" else "reduced"
        reduced = [r for r in groups.get((model, solver, exact), []) if r["instance"] in names]
        total = sum(seconds(r) for r in members)
        base = sum(seconds(r) for r in reduced)
        summary.append(
            {
                "model": model,
                "solver": solver,
                "formulation": formulation,
                "instances": len(members),
                "proven_optimal": sum(r.get("match") == "yes" for r in members),
                "within_limit": sum(r.get("match") == "yes" and float(r["seconds"]) <= limit(r) for r in members),
                "total_seconds": total,
                "vs_reduced": total / base if base and len(reduced) == len(members) else None,
            }
        )
    return summary


def print_summary(summary: list[dict[str, Any]]) -> None:
    """Print the per-solver, per-formulation totals."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="pmed totals (a row without a proven optimum counts as the time limit)")
    for column in summary[0] if summary else []:
        table.add_column(column)
    for r in summary:
        table.add_row(*(fmt(v) for v in r.values()))
    Console(width=200).print(table)


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows written by `write_rows_csv` (values stay strings; empty cells become None).

    Files written before the `model` column existed hold p-median and capacitated rows only: their model
    is read from the formulation.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]
    for row in rows:
        if not row.get("model"):
            row["model"] = "capacitated" if row.get("formulation") == "capacitated" else "p_median"
    return rows


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the sweep, print and write the results."""
    from benchmarks.workloads.orlib import pmed_names, pmedcap_names

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated instances, e.g. pmed1,pmed6,pmedcap01")
    parser.add_argument("--models", default="p_median,capacitated", help=f"comma-separated, among {','.join(MODELS)}")
    parser.add_argument("--out", type=Path, default=None, help="CSV file to write")
    parser.add_argument("--solvers", default="highs,cbc")
    parser.add_argument(
        "--formulations",
        default=",".join(PMED_FORMULATIONS),
        help="p-median formulations among reduced,radius,assignment",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve")
    parser.add_argument(
        "--p-center-baseline",
        default="pmed1,pmed6,pmed11,pmed16,pmed21",
        help="instances on which the compact p-center MIP (`levels`) also runs; empty for none",
    )
    parser.add_argument(
        "--baseline-time-limit", type=float, default=30.0, help="seconds per solve of the compact p-center MIP"
    )
    parser.add_argument("--threads", type=int, default=1, help="solver threads per row (HiGHS and CBC alike)")
    parser.add_argument(
        "--assignment-max-n",
        type=int,
        default=10_000,
        help="skip the dense assignment model above this many vertices",
    )
    parser.add_argument(
        "--from-csv",
        default="",
        help="comma-separated CSV files of earlier runs (e.g. two halves run side by side): print their rows "
        "and totals, and with --out write them as one file, without solving anything",
    )
    args = parser.parse_args(argv)
    if args.from_csv:
        rows = [row for path in args.from_csv.split(",") if path for row in read_csv(Path(path))]
        if args.out:
            write_rows_csv(rows, COLUMNS, args.out)
        print_table(rows)
        print_summary(summarize(rows, args.time_limit, args.baseline_time_limit))
        return 0
    models = [m for m in args.models.split(",") if m]
    formulations = [f for f in args.formulations.split(",") if f]
    for option, given, allowed in (("--models", models, MODELS), ("--formulations", formulations, PMED_FORMULATIONS)):
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            sys.stderr.write(f"{option} was {unknown} but is expected to be in {allowed}\n")
            return 2
    instances = [s for s in args.only.split(",") if s] or pmed_names(orlib_folder()) + pmedcap_names(orlib_folder())
    if not instances:
        sys.stderr.write("no instances found: set SHARED_BENCHMARKS to the folder holding orlib-pmed/\n")
        return 1
    baseline = {s for s in args.p_center_baseline.split(",") if s}
    rows = []
    for instance, model, formulation, time_limit in _plan(instances, models, formulations, baseline, args):
        for solver in [s for s in args.solvers.split(",") if s]:
            row = run_row_isolated(instance, model, solver, formulation, time_limit, args.threads)
            rows.append(row)
            sys.stderr.write(row_line(row, COLUMNS) + "\n")
            if args.out:
                write_rows_csv(rows, COLUMNS, args.out)
    print_table(rows)
    print_summary(summarize(rows, args.time_limit, args.baseline_time_limit))
    return 0


def _plan(
    instances: list[str], models: list[str], formulations: list[str], baseline: set[str], args: argparse.Namespace
) -> list[tuple[str, str, str, float]]:
    """(instance, model, formulation, time limit) of every row to run, in instance order."""
    plan = []
    for instance in instances:
        capacitated = instance.startswith("pmedcap")
        if capacitated and "capacitated" in models:
            plan.append((instance, "capacitated", "capacitated", args.time_limit))
        if not capacitated and "p_median" in models:
            plan += [
                (instance, "p_median", f, args.time_limit)
                for f in formulations
                if f != "assignment" or _size(instance) <= args.assignment_max_n
            ]
        if not capacitated and "p_center" in models:
            plan.append((instance, "p_center", "covering", args.time_limit))
            if instance in baseline:
                plan.append((instance, "p_center", "levels", args.baseline_time_limit))
    return plan


def _size(instance: str) -> int:
    path = orlib_folder() / "orlib-pmed" / f"{instance}.txt"
    if not path.is_file():
        return 0
    return int(path.read_text(encoding="utf-8").split()[0])


if __name__ == "__main__":
    sys.exit(main())
