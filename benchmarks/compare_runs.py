"""Compare the bundled plans' results between two folders of runs: objective, outcome and the CSV tables.

Shows that a refactoring changed no result: run every bundled scenario with the previous version into
one folder and with this one into another (`optimizer run scenarios/NAME.toml --out ROOT/NAME`), then

    python benchmarks/compare_runs.py BEFORE_ROOT AFTER_ROOT

prints one Markdown row per plan. Tables are compared cell by cell (floats to a relative 1e-9).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

PLANS = ("lu_county", "pingchang", "renhe", "xiushan", "mianyang")
TABLES = ("allocation.csv", "targets.csv", "towns.csv")


def same_table(before: Path, after: Path) -> bool:
    """True when both CSV files hold the same columns and values."""
    try:
        pd.testing.assert_frame_equal(pd.read_csv(before), pd.read_csv(after), check_exact=False, rtol=1e-9)
    except AssertionError:
        return False
    return True


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    print("| plan | objective before | objective after | outcome before | outcome after | " + " | ".join(TABLES) + " |")
    print("|---" * (5 + len(TABLES)) + "|")
    for plan in PLANS:
        before = json.loads((args.before / plan / "summary.json").read_text(encoding="utf-8"))
        after = json.loads((args.after / plan / "summary.json").read_text(encoding="utf-8"))
        tables = [
            "identical" if same_table(args.before / plan / t, args.after / plan / t) else "DIFFERS" for t in TABLES
        ]
        print(
            f"| {plan} | {before['objective']:.10g} | {after['objective']:.10g} | {before['outcome']} | "
            f"{after['outcome']} | " + " | ".join(tables) + " |"
        )


if __name__ == "__main__":
    main()
