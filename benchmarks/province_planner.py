"""The full planner model (allocation, ambulances, sub-centres, budget) on the synthetic province.

    python benchmarks/province_planner.py [--seed 7] [--towns 1000,3000] [--time-limit 600] [--gap 0.005]
        [--threads 1] [--no-start] [--out planner_province.csv]

Each row turns a seeded province of `--towns` towns (`benchmarks.workloads.synthetic_plan.scaled_province`,
the density of the 3,000-town province) into a plan with
`benchmarks.workloads.synthetic_plan.synthetic_plan`, builds its inputs and model, solves it with HiGHS to a
relative gap of `--gap` within `--time-limit`, and checks the plan with the independent verifier, all
through the same `optimizer.pipeline.solve_plan` as a real scenario (violations recorded, not raised). It
runs in its own child process (benchmarks/isolation.py), so `peak_mb` is that row's peak resident memory,
HiGHS included. `prepare_s` is the instance (plan, data, travel matrix, model inputs); `build_s` is
`build_plan_model` alone. Unless `--no-start`, the MIP gets a start rounded from its LP relaxation
(optimizer/solving/plan_start.py): `start_s` is that LP and the rounding, `lp_bound` its value (a valid
lower bound), `lp_gap` the plan's gap to it, and `solve_s` the MIP after it; `total_s` is everything from
the province to the verified plan. HiGHS's own `bound` is what it reports: when the start is within `--gap`
of the root LP it prunes the root and reports the plan's value as its bound.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.isolation import run_isolated  # noqa: E402
from benchmarks.rows import SOLVE_COLUMNS, add_solve_options, peak_mb, stream_rows  # noqa: E402

COLUMNS = [
    "towns",
    "facilities",
    "variables",
    "integer_variables",
    "rows",
    "prepare_s",
    "build_s",
    "start",
    "start_s",
    "lp_bound",
    "lp_gap",
    "solve_s",
    "total_s",
    *SOLVE_COLUMNS,
    "violations",
    "peak_mb",
    "detail",
]


def planner_row(seed: int, n_towns: int, settings: Any, *, start: bool = True) -> dict[str, Any]:
    """Prepare, build, solve and verify the synthetic plan of `n_towns` towns; one row (no peak memory)."""
    from benchmarks.workloads.synthetic_plan import scaled_province, synthetic_plan
    from optimizer.pipeline import LP_ROUNDING, PreparedScenario, ViolationPolicy, solve_plan

    started = time.perf_counter()
    plan = synthetic_plan(scaled_province(seed, n_towns))
    province = PreparedScenario(
        Path(f"synthetic-province-{seed}-{n_towns}"),
        plan.scenario.model_copy(update={"solver": settings}),
        plan.data,
        plan.matrix,
    )
    generated = time.perf_counter()
    solved = solve_plan(province, on_violation=ViolationPolicy.RECORD, start=LP_ROUNDING if start else None)
    report, variables = solved.report, solved.model.problem.variables()
    rounded = solved.lp_start
    lp_bound = rounded.relaxation.objective if rounded is not None else None
    violations: int | str = len(solved.violations) if solved.result is not None else ""
    return {
        "towns": n_towns,
        "facilities": len(plan.data.facilities),
        "variables": len(variables),
        "integer_variables": sum(v.cat == "Integer" for v in variables),
        "rows": solved.model.problem.numConstraints(),
        "prepare_s": generated - started + solved.seconds.inputs,
        "build_s": solved.seconds.build,
        "start": "lp_rounding" if rounded is not None else "none",
        "start_s": solved.seconds.start,
        "lp_bound": lp_bound,
        "lp_gap": (report.objective - lp_bound) / abs(report.objective)
        if lp_bound is not None and report.objective
        else None,
        "solve_s": report.seconds,
        "total_s": time.perf_counter() - started,
        "outcome": report.outcome.value,
        "objective": report.objective,
        "bound": report.bound,
        "gap": report.gap,
        "violations": violations,
        "detail": report.detail,
    }


def _row_with_memory(seed: int, n_towns: int, settings: Any, start: bool) -> dict[str, Any]:
    row = planner_row(seed, n_towns, settings, start=start)
    row["peak_mb"] = peak_mb()
    return row


def run_planner_isolated(seed: int, n_towns: int, settings: Any, *, start: bool = True) -> dict[str, Any]:
    """One planner row in a fresh process (benchmarks/isolation.py)."""
    return run_isolated(
        _row_with_memory,
        (seed, n_towns, settings, start),
        identity={"towns": n_towns},
        deadline_s=4 * settings.time_limit_s + 900,
    )


def main(argv: list[str] | None = None) -> int:
    """Run one row per town count, print them and optionally write a CSV atomically."""
    from optimizer.inputs.solver_settings import SolverSettings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--towns", default="1000,3000", help="comma-separated town counts, one row each")
    add_solve_options(parser, time_limit_s=600.0, threads=1)
    parser.add_argument("--no-start", action="store_true", help="solve without the LP-rounded MIP start")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = SolverSettings(
        name="highs", time_limit_s=args.time_limit, mip_rel_gap=args.gap, threads=args.threads, fallback=False
    )
    sizes = [int(n) for n in args.towns.split(",") if n]
    rows = (run_planner_isolated(args.seed, n, settings, start=not args.no_start) for n in sizes)
    stream_rows(rows, COLUMNS, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
