"""One table across plans: rows are plan indicators, columns are plans, each cell target → achieved.

Indicators are matched by target id (the scenarios use the same id for the same indicator, e.g.
`physicians_per_1000`); a plan without an indicator leaves its cell empty, and a plan that could not
run shows why in its column. The first row, `outcome`, says whether each plan is proven optimal
(`optimal`) or only `feasible_with_gap` with its relative gap.
"""

from __future__ import annotations

import pandas as pd

from optimizer.solving.results import PlanResult

RULE_ROWS = ("ambulance_fleet", "subcentres")
OUTCOME_ROW = "outcome"


def compare_plans(results: dict[str, PlanResult | str]) -> pd.DataFrame:
    """`{plan id: result or the error that stopped it}` → the comparison table (rows sorted by id)."""
    labels: dict[str, tuple[str, str]] = {}
    cells: dict[str, dict[str, str]] = {}
    for plan, result in results.items():
        if isinstance(result, str):
            continue
        for row in result.targets.itertuples(index=False):
            labels.setdefault(str(row.id), (str(row.indicator), str(row.unit)))
            status = "met" if row.met else f"missed by {row.gap:.4g}"
            cells.setdefault(str(row.id), {})[plan] = f"{row.bound} {row.target:g} → {row.achieved:.4g} ({status})"
        gap = "" if result.solve.gap is None else f" (gap {result.solve.gap:.2e})"
        cells.setdefault(OUTCOME_ROW, {})[plan] = f"{result.solve.outcome.value}{gap}"
    labels[OUTCOME_ROW] = ("solve outcome", "")
    order = sorted(labels, key=lambda target: (target != OUTCOME_ROW, target in RULE_ROWS, target))
    table = pd.DataFrame(
        {
            "id": order,
            "indicator": [labels[t][0] for t in order],
            "unit": [labels[t][1] for t in order],
        }
    )
    for plan, result in results.items():
        if isinstance(result, str):
            table[plan] = f"not run: {result}"
        else:
            table[plan] = [cells.get(t, {}).get(plan, "") for t in order]
    return table


def markdown(table: pd.DataFrame) -> str:
    """The comparison as a Markdown table."""
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = [
        "| " + " | ".join(str(v).replace("|", "/").replace("\n", " ") for v in row) + " |"
        for row in table.itertuples(index=False)
    ]
    return "\n".join(["# Plan targets across plans", "", header, rule, *rows]) + "\n"
