"""What the page shows of finished work, read back from the files the run or sweep wrote.

A run is read from its folder (summary.json, targets.csv, allocation.csv, manifest.json), never from
the job's memory, so a run finished in an earlier session reads the same. The outcome is said in
words (Chinese), the plan targets (`rule_kind = target`) are listed met or missed with their gap and
citation, and every file of the folder is offered for download. A sweep is read from sweep.csv;
each level lists the targets it loses or gains and the totals that change against the level nearest
the scenario's own budget. Two runs are compared with `optimizer.outputs.diff` (`optimizer diff`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from models.tolerances import FEASIBILITY_TOL
from optimizer.outputs.diff import diff_runs, load_run
from optimizer.outputs.files import CSV_ENCODING

DOWNLOADS = ("report.html", "report.docx", "results.xlsx", "coverage.gpkg", "map.html", "report.md")
"""Files offered first when a run has them (every other file of the folder is listed after them)."""
OUTCOME_ZH = {
    "optimal": "已求得最优方案",
    "feasible_with_gap": "已求得可行方案，但未证明最优",
    "infeasible": "方案不可行",
    "no_solution": "求解器未找到方案",
}
ALLOCATION_COLUMNS = (
    "facility_id",
    "name",
    "level",
    "beds",
    "physicians",
    "nurses",
    "gps",
    "pharmacists",
    "ambulances",
    "is_subcentre",
)


def clean(value: Any) -> Any:
    """A table cell as JSON: NaN → None, NumPy scalars → Python numbers."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a table as JSON objects."""
    return [{str(k): clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _yi(cny: Any) -> str:
    """CNY as 亿元 (hundred millions), the unit county budgets are read in."""
    return f"{float(cny) / 1e8:,.2f} 亿元" if isinstance(cny, int | float) else "—"


def outcome_words(summary: dict[str, Any], missed: list[str]) -> str:
    """One paragraph a planner reads first: outcome, gap, targets, cost against budget."""
    outcome = str(summary.get("outcome"))
    words = OUTCOME_ZH.get(outcome, outcome)
    gap = summary.get("gap")
    if outcome == "feasible_with_gap" and isinstance(gap, int | float):
        words += f"（相对间隙 {gap:.1%}）"
    words += "，并已通过独立校验。"
    words += f"全部规则 {summary.get('targets_met')} / {summary.get('targets_total')} 项达成；"
    words += f"规划指标未达成 {len(missed)} 项" + (f"：{'、'.join(missed)}。" if missed else "。")
    words += f"新增投资 {_yi(summary.get('total_cost_cny'))}，预算 {_yi(summary.get('budget_cny'))}。"
    if summary.get("travel_time_source") == "euclidean_fallback":
        words += "出行时间按直线距离估算（无路网数据）。"
    return words


def run_view(folder: Path) -> dict[str, Any]:
    """A finished run folder as the page shows it."""
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    targets = pd.read_csv(folder / "targets.csv", encoding=CSV_ENCODING)
    plan_targets = targets[targets["rule_kind"] == "target"] if "rule_kind" in targets else targets
    missed = [str(row.indicator) for row in plan_targets.itertuples(index=False) if not bool(row.met)]
    allocation = pd.read_csv(folder / "allocation.csv", encoding=CSV_ENCODING, dtype={"facility_id": str})
    shown = [c for c in ALLOCATION_COLUMNS if c in allocation.columns]
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    ordered = [f for f in DOWNLOADS if f in files] + [f for f in files if f not in DOWNLOADS]
    return {
        "name": folder.name,
        "scenario": manifest.get("scenario_resolved") or manifest.get("scenario"),
        "scenario_id": summary.get("scenario_id"),
        "outcome": summary.get("outcome"),
        "words_zh": outcome_words(summary, missed),
        "summary": {k: clean(v) for k, v in summary.items() if not isinstance(v, dict | list)},
        "targets": records(plan_targets),
        "rules": {"met": int(targets["met"].astype(bool).sum()), "total": len(targets)},
        "facilities": records(allocation[shown]),
        "files": ordered,
        "map": "map.html" if "map.html" in files else None,
    }


def run_names(runs: Path) -> list[dict[str, Any]]:
    """Finished runs of the workspace (folders with a summary), newest first."""
    found = []
    for folder in runs.iterdir():
        summary = folder / "summary.json"
        if folder.is_dir() and not folder.name.startswith(".") and summary.is_file():
            data = json.loads(summary.read_text(encoding="utf-8"))
            found.append(
                {
                    "name": folder.name,
                    "scenario_id": data.get("scenario_id"),
                    "outcome": data.get("outcome"),
                    "modified": summary.stat().st_mtime,
                }
            )
    return sorted(found, key=lambda r: -float(r["modified"]))


def sweep_view(folder: Path, labels: dict[str, str]) -> dict[str, Any]:
    """A finished budget sweep: one point per level, and what changes at each against the scenario's budget.

    `labels` names target ids (the scenario's indicators); rules without a label keep their id.
    """
    table = pd.read_csv(folder / "sweep.csv", encoding=CSV_ENCODING)
    manifest = json.loads((folder / "sweep_manifest.json").read_text(encoding="utf-8"))
    baseline = float(manifest.get("scenario_value") or table["value"].iloc[len(table) // 2])
    rows: list[dict[str, Any]] = records(table)
    reference = int((table["value"] - baseline).abs().to_numpy().argmin())
    shortfalls = [c for c in table.columns if c.startswith("target_") and c.endswith("_shortfall")]
    totals = [c for c in table.columns if c.startswith("total_")]

    def missed(row: dict[str, Any]) -> set[str]:
        return {
            c.removeprefix("target_").removesuffix("_shortfall")
            for c in shortfalls
            if row[c] is not None and row[c] > FEASIBILITY_TOL
        }

    base_row = rows[reference]
    base_missed = missed(base_row)
    levels = []
    for index, row in enumerate(rows):
        here = missed(row) if row.get("outcome") in ("optimal", "feasible_with_gap") else set()
        changed = {
            c.removeprefix("total_"): row[c] - base_row[c]
            for c in totals
            if row[c] is not None and base_row[c] is not None and row[c] != base_row[c]
        }
        subs_here = set(str(row.get("subcentre_ids") or "").split(";")) - {"", "nan"}
        subs_base = set(str(base_row.get("subcentre_ids") or "").split(";")) - {"", "nan"}
        levels.append(
            {
                "index": index,
                "budget_cny": row["value"],
                "share_of_scenario": row["value"] / baseline if baseline else None,
                "outcome": row.get("outcome"),
                "targets_met": row.get("targets_met"),
                "targets_total": row.get("targets_total"),
                "cost_cny": row.get("cost_cny"),
                "lost": sorted(labels.get(t, t) for t in here - base_missed),
                "gained": sorted(labels.get(t, t) for t in base_missed - here),
                "missed": sorted(labels.get(t, t) for t in here),
                "total_changes": changed,
                "subcentres_added": sorted(subs_here - subs_base),
                "subcentres_dropped": sorted(subs_base - subs_here),
            }
        )
    for level, changes in zip(levels, level_changes(folder, len(levels)), strict=True):
        level["changes"] = changes
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return {
        "name": folder.name,
        "scenario": manifest.get("scenario"),
        "baseline_cny": baseline,
        "reference_level": reference,
        "levels": levels,
        "files": files,
    }


CHANGE_COLUMNS = ("scope", "id", "name", "item", "base_value", "level_value", "change", "unit")


def level_changes(folder: Path, count: int) -> list[list[dict[str, Any]]]:
    """Per level, the facility and township changes against the scenario's own budget, from the sweep's
    changes.csv when it has one (optimizer/whatif/changes.py); empty lists otherwise."""
    path = folder / "changes.csv"
    found: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    if not path.is_file():
        return found
    table = pd.read_csv(path, encoding=CSV_ENCODING, dtype={"id": str, "county_code": str})
    if "level" not in table or not set(CHANGE_COLUMNS) <= set(table.columns):
        return found
    for row in records(table):
        level = row["level"]
        if isinstance(level, int) and 0 <= level < count:
            found[level].append({key: row[key] for key in CHANGE_COLUMNS})
    return found


def compare_view(a: Path, b: Path) -> dict[str, Any]:
    """`optimizer diff A B` as JSON: totals side by side and every change, grouped by kind."""
    diff = diff_runs(load_run(a), load_run(b))
    changes = records(diff.changes)
    return {
        "a": a.name,
        "b": b.name,
        "totals": records(diff.totals),
        "empty": diff.is_empty,
        "changes": {kind: [c for c in changes if c["kind"] == kind] for kind in ("facility", "town", "target")},
    }
