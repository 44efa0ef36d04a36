"""Model size, build time, solve time and peak memory of the planner model per bundled scenario.

Usage: python benchmarks/planner.py [SCENARIO ...] [--out FILE.csv] [--solver highs|cbc] [--time-limit S] [--busy]
The solve is what a run does: the scenario's spending rule (optimizer/solving/spend.py), each phase timed.
`--busy` keeps a second job on the machine while it measures: a process spinning one core, the load
of a second solve on a 2-core machine. Prints a table; numbers that matter live here, not in unit tests.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from models.planner import build_plan_model
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import prepare
from optimizer.solving.spend import solve_with_spend_rule

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (
    "scenario",
    "solver",
    "towns",
    "facilities",
    "variables",
    "integer_variables",
    "constraints",
    "prepare_s",
    "build_s",
    "spend",
    "phase_s",
    "solve_s",
    "outcome",
    "gap",
    "peak_mb",
)


def measure(path: Path, solver: str | None, time_limit_s: float | None) -> dict[str, object]:
    """Prepare, build and solve one scenario under its spending rule; return its row."""
    tracemalloc.start()
    started = time.perf_counter()
    prepared = prepare(path)
    overrides: dict[str, object] = {"name": solver} if solver else {}
    if time_limit_s is not None:
        overrides["time_limit_s"] = time_limit_s
    settings = prepared.scenario.solver.model_copy(update=overrides)
    prepared_s = time.perf_counter() - started
    started = time.perf_counter()
    inputs = build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix)
    model = build_plan_model(inputs)
    build_s = time.perf_counter() - started
    rule = prepared.scenario.budget.spend
    spent = solve_with_spend_rule(model, settings, rule, inputs.budget_cny, warm_start=False)
    report = spent.report
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    variables = model.problem.variables()
    return {
        "scenario": prepared.scenario.scenario.id,
        "solver": report.solver,
        "towns": len(prepared.data.townships),
        "facilities": len(prepared.data.facilities),
        "variables": len(variables),
        "integer_variables": sum(v.cat == "Integer" for v in variables),
        "constraints": model.problem.numConstraints(),
        "prepare_s": round(prepared_s, 2),
        "build_s": round(build_s, 3),
        "spend": rule,
        "phase_s": "+".join(f"{phase.seconds:.1f}" for phase in spent.phases),
        "solve_s": round(report.seconds, 2),
        "outcome": report.outcome.value,
        "gap": f"{report.gap:.1e}" if report.gap is not None else "",
        "peak_mb": round(peak / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", type=Path, default=[ROOT / "scenarios" / "lu_county.toml"])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--solver", choices=("highs", "cbc"))
    parser.add_argument("--time-limit", type=float, help="seconds per solve phase (default: the scenario's)")
    parser.add_argument("--busy", action="store_true", help="keep one core busy with a second job while measuring")
    args = parser.parse_args()
    with _second_job(args.busy):
        rows = [measure(path, args.solver, args.time_limit) for path in args.scenarios]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS}
    print("  ".join(c.ljust(widths[c]) for c in COLUMNS))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in COLUMNS))
    if args.out:
        with args.out.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)


@contextmanager
def _second_job(busy: bool) -> Iterator[None]:
    """A process spinning one core for as long as the block runs (nothing when `busy` is False)."""
    if not busy:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


if __name__ == "__main__":
    main()
