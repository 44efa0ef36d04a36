"""Model size, build time, solve time and peak memory of the planner model per bundled scenario.

Usage: python benchmarks/planner.py [SCENARIO ...] [--out FILE.csv] [--solver highs|cbc]
Prints a table; numbers that matter live here, not in unit tests.
"""

from __future__ import annotations

import argparse
import csv
import time
import tracemalloc
from pathlib import Path

from models.planner import build_plan_model
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import prepare
from optimizer.solving.solve import solve

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
    "solve_s",
    "outcome",
    "gap",
    "peak_mb",
)


def measure(path: Path, solver: str | None) -> dict[str, object]:
    """Prepare, build and solve one scenario; return its row."""
    tracemalloc.start()
    started = time.perf_counter()
    prepared = prepare(path)
    settings = (
        prepared.scenario.solver if solver is None else prepared.scenario.solver.model_copy(update={"name": solver})
    )
    prepared_s = time.perf_counter() - started
    started = time.perf_counter()
    model = build_plan_model(build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix))
    build_s = time.perf_counter() - started
    report = solve(model.problem, settings)
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
    args = parser.parse_args()
    rows = [measure(path, args.solver) for path in args.scenarios]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS}
    print("  ".join(c.ljust(widths[c]) for c in COLUMNS))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in COLUMNS))
    if args.out:
        with args.out.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
