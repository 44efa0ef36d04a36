"""Scenario diff: what changed between two run folders, per facility, per town and per target.

Reads the files `optimizer run --out` writes (UTF-8 with BOM): allocation.csv, towns.csv,
targets.csv, summary.json and manifest.json. Every change is one row of a tidy table

    kind       facility | town | target
    id, name   facility id / division code / target id, and its name
    item       the column that changed (beds, nurses, ambulances, is_subcentre, covered_…, achieved, met)
    a, b       the value in run A and in run B (flags as 0/1)
    change     b − a
    unit_cost_cny, cost_change_cny
               facilities: the scenario's unit cost of the item and change × unit cost (CNY), before
               netting against the base-year stock (the run's cost counts only stock added over it)
    population, population_change
               towns: residents, and +residents when the town gained the standard, − when it lost it

Unit costs come from the scenario named in run A's manifest.json (or `scenario` when given).
`diff --out FILE` may not touch the runs, their scenarios or data (`diff_inputs`), and replaces only
a file that is itself a diff table (`is_diff_table`: its header is exactly `DIFF_COLUMNS`).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from models.tolerances import COMPARISON_TOL
from optimizer.errors import DataError, Problem
from optimizer.inputs.run_inputs import Inputs, folder_inputs, recorded_inputs, scenario_inputs
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_loading import load_scenario, scenario_hash
from optimizer.outputs.files import CSV_ENCODING

logger = logging.getLogger(__name__)

RUN_FILES = ("allocation.csv", "towns.csv", "targets.csv", "summary.json", "manifest.json")
_NOT_ITEMS = {"facility_id", "name", "town_code", "level", "lon", "lat", "location_estimated"}
_TOWN_ITEMS = ("ambulances_within_standard",)
DIFF_COLUMNS = (
    "kind",
    "id",
    "name",
    "item",
    "a",
    "b",
    "change",
    "unit_cost_cny",
    "cost_change_cny",
    "population",
    "population_change",
)


@dataclass(frozen=True)
class RunFolder:
    """The tables of one finished run."""

    path: Path
    allocation: pd.DataFrame
    towns: pd.DataFrame
    targets: pd.DataFrame
    summary: dict[str, Any]
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RunDiff:
    """Every change between run A and run B, and the totals beside each other."""

    changes: pd.DataFrame
    totals: pd.DataFrame

    @property
    def is_empty(self) -> bool:
        """True when nothing changed."""
        return bool(self.changes.empty)


def load_run(path: Path) -> RunFolder:
    """Read a run folder.

    Raises
    ------
    DataError
        Naming every missing file, unreadable (truncated) JSON or CSV file, and missing column, and
        how to produce the folder. Required allocation columns are the items of summary.json `totals`
        (beds, ambulances and is_subcentre when it has none).
    """
    path = Path(path)
    missing = [name for name in RUN_FILES if not (path / name).is_file()]
    if missing:
        raise DataError(
            [
                DataError.single(
                    path / name, "(file)", "not found; pass a folder written by `optimizer run --out`"
                ).problems[0]
                for name in missing
            ]
        )

    summary, manifest = _document(path / "summary.json"), _document(path / "manifest.json")
    totals = summary.get("totals")
    if totals is not None and not isinstance(totals, dict):
        raise DataError.single(path / "summary.json", "totals", f"is not an object; {_RERUN.format(path=path)}")
    # the items the run allocated (summary totals); without totals at least the beds and vehicles
    items = {"is_subcentre" if key == "subcentres" else str(key) for key in (totals or _BASE_ITEMS)}
    allocation = _table(path / "allocation.csv", "facility_id", {"facility_id", "name", *items})
    towns = _table(path / "towns.csv", "code", {"code", "name", "population"})
    targets = _table(path / "targets.csv", "id", {"id", "indicator", "achieved", "met"})
    return RunFolder(path, allocation, towns, targets, summary, manifest)


_BASE_ITEMS = ("beds", "ambulances", "subcentres")
_RERUN = "the run folder is damaged or not written by `optimizer run`; re-run `optimizer run --out {path}`"


def _document(file: Path) -> dict[str, Any]:
    """A run's JSON document; a truncated, foreign or non-object file is a DataError naming it."""
    try:
        document = json.loads(file.read_text(encoding=CSV_ENCODING))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError.single(
            file, "(file)", f"cannot be read as JSON ({exc}); {_RERUN.format(path=file.parent)}"
        ) from None
    if not isinstance(document, dict):
        raise DataError.single(file, "(file)", f"is not a JSON object; {_RERUN.format(path=file.parent)}")
    return document


def _table(file: Path, key: str, required: set[str]) -> pd.DataFrame:
    """A run's CSV table with its `required` columns and a unique, non-empty `key` column.

    Raises
    ------
    DataError
        Naming the file and every missing column (a damaged or foreign CSV must not read as "no differences").
    """
    try:
        table = pd.read_csv(file, encoding=CSV_ENCODING, dtype={key: str})
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise DataError.single(
            file, "(file)", f"cannot be read as CSV ({reason}); {_RERUN.format(path=file.parent)}"
        ) from None
    missing = sorted(required - set(table.columns))
    if missing:
        raise DataError(
            [Problem(file, column, f"column missing; {_RERUN.format(path=file.parent)}") for column in missing]
        )
    keys = table[key]
    if keys.isna().any() or keys.duplicated().any():
        bad = sorted(set(keys[keys.isna() | keys.duplicated()].astype(str)))[:5]
        raise DataError.single(
            file, key, f"empty or repeated ids ({', '.join(bad)}); {_RERUN.format(path=file.parent)}"
        )
    return table


def is_diff_table(path: Path) -> bool:
    """True when the file's first line is the diff table's header, i.e. an earlier `diff --out` wrote it."""
    header = (",".join(DIFF_COLUMNS) + "\n").encode(CSV_ENCODING)
    try:
        with Path(path).open("rb") as stream:
            return stream.readline() == header
    except OSError:
        return False


def diff_inputs(a: RunFolder, b: RunFolder, scenario: Path | None = None) -> Inputs:
    """What `diff` reads: both run folders, the scenarios they name (and `scenario`), their data files."""
    inputs = folder_inputs([a.path, b.path]) | recorded_inputs(a.manifest) | recorded_inputs(b.manifest)
    for path in [*_named_scenarios(a), *_named_scenarios(b), *([scenario] if scenario else [])]:
        inputs |= scenario_inputs(path)
    return inputs


def _named_scenarios(run: RunFolder) -> list[Path]:
    named = [Path(str(run.manifest[key])) for key in ("scenario_resolved", "scenario") if run.manifest.get(key)]
    candidates = [c for n in named for c in ([n] if n.is_absolute() else [n, run.path / n, run.path.parent / n])]
    return [c for c in candidates if c.is_file()]


def scenario_of(run: RunFolder) -> Scenario:
    """The scenario a run used, from its manifest (absolute, else relative to here or to the run folder).

    Raises
    ------
    DataError
        When the scenario file cannot be found; pass `--scenario`.
    """
    named = Path(str(run.manifest.get("scenario", "")))
    candidates = [named] if named.is_absolute() else [named, run.path / named, run.path.parent / named]
    for candidate in candidates:
        if candidate.is_file():
            if run.manifest.get("scenario_sha256") not in (None, scenario_hash(candidate)):
                logger.warning(
                    "%s changed since run %s; unit costs are read from its current text", candidate, run.path
                )
            return load_scenario(candidate)
    raise DataError.single(
        run.path / "manifest.json", "scenario", f"scenario file '{named}' not found; pass it with --scenario"
    )


def unit_costs(scenario: Scenario) -> dict[str, float]:
    """CNY per unit of each allocation column: resources, vehicles and a sub-centre upgrade."""
    costs = {name: spec.unit_cost_cny.value for name, spec in scenario.resources.items()}
    if scenario.ambulances is not None:
        costs["ambulances"] = scenario.ambulances.unit_cost_cny.value
    if scenario.subcentres is not None:
        costs["is_subcentre"] = scenario.subcentres.upgrade_cost_cny.value
    return costs


def diff_runs(a: RunFolder, b: RunFolder, *, scenario: Scenario | None = None) -> RunDiff:
    """Every change from run A to run B, with its cost and coverage trade-off."""
    costs = unit_costs(scenario if scenario is not None else scenario_of(a))
    rows = _facility_changes(a.allocation, b.allocation, costs)
    rows += _town_changes(a.towns, b.towns)
    rows += _target_changes(a.targets, b.targets)
    changes = pd.DataFrame(rows, columns=list(DIFF_COLUMNS))
    return RunDiff(changes, _totals(a, b))


def _as_number(value: object) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return {"true": 1.0, "false": 0.0}.get(value.strip().lower(), math.nan)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _differs(x: float, y: float) -> bool:
    if math.isnan(x) and math.isnan(y):
        return False
    return math.isnan(x) or math.isnan(y) or not math.isclose(x, y, rel_tol=COMPARISON_TOL, abs_tol=COMPARISON_TOL)


def _facility_changes(a: pd.DataFrame, b: pd.DataFrame, costs: dict[str, float]) -> list[dict[str, Any]]:
    items = [c for c in a.columns if c not in _NOT_ITEMS and not c.startswith("existing_") and c in b.columns]
    left, right = a.set_index("facility_id"), b.set_index("facility_id")
    rows: list[dict[str, Any]] = []
    for facility in sorted(set(left.index) | set(right.index)):
        in_a, in_b = facility in left.index, facility in right.index
        label = str((left if in_a else right).loc[facility, "name"])
        if not (in_a and in_b):
            rows.append(_row("facility", facility, label, "(present)", float(in_a), float(in_b)))
            continue
        for item in items:
            x, y = _as_number(left.loc[facility, item]), _as_number(right.loc[facility, item])
            if _differs(x, y):
                unit = costs.get(item, 0.0)
                rows.append(_row("facility", facility, label, item, x, y, unit_cost=unit, cost_change=(y - x) * unit))
    return rows


def _town_changes(a: pd.DataFrame, b: pd.DataFrame) -> list[dict[str, Any]]:
    items = [c for c in a.columns if (c.startswith("covered_") or c in _TOWN_ITEMS) and c in b.columns]
    left, right = a.set_index("code"), b.set_index("code")
    rows: list[dict[str, Any]] = []
    for town in sorted(set(left.index) & set(right.index)):
        population = float(left.loc[town, "population"])
        for item in items:
            x, y = _as_number(left.loc[town, item]), _as_number(right.loc[town, item])
            if _differs(x, y):
                gained = (y - x) * population if item.startswith("covered_") else 0.0
                rows.append(
                    _row(
                        "town",
                        town,
                        str(left.loc[town, "name"]),
                        item,
                        x,
                        y,
                        population=population,
                        population_change=gained,
                    )
                )
    return rows


def _target_changes(a: pd.DataFrame, b: pd.DataFrame) -> list[dict[str, Any]]:
    left, right = a.set_index("id"), b.set_index("id")
    rows: list[dict[str, Any]] = []
    for target in sorted(set(left.index) & set(right.index)):
        for item in ("achieved", "met"):
            x, y = _as_number(left.loc[target, item]), _as_number(right.loc[target, item])
            if _differs(x, y):
                rows.append(_row("target", target, str(left.loc[target, "indicator"]), item, x, y))
    return rows


def _row(
    kind: str,
    key: str,
    label: str,
    item: str,
    a: float,
    b: float,
    *,
    unit_cost: float = math.nan,
    cost_change: float = math.nan,
    population: float = math.nan,
    population_change: float = math.nan,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": key,
        "name": label,
        "item": item,
        "a": a,
        "b": b,
        "change": b - a,
        "unit_cost_cny": unit_cost,
        "cost_change_cny": cost_change,
        "population": population,
        "population_change": population_change,
    }


def _totals(a: RunFolder, b: RunFolder) -> pd.DataFrame:
    """Objective, cost, targets met and population covered per standard, for A and B."""
    rows: list[tuple[str, float, float]] = []
    for key in ("objective", "total_cost_cny", "budget_cny", "targets_met"):
        rows.append((key, _as_number(a.summary.get(key)), _as_number(b.summary.get(key))))
    flags = [c for c in a.towns.columns if c.startswith("covered_") and c in b.towns.columns]
    for flag in flags:
        covered = []
        for run in (a, b):
            mask = run.towns[flag].map(_as_number).fillna(0.0).astype(bool)
            covered.append(float(run.towns.loc[mask, "population"].sum()))
        rows.append((f"population_{flag}", covered[0], covered[1]))
    frame = pd.DataFrame(rows, columns=["quantity", "a", "b"])
    frame["change"] = frame["b"] - frame["a"]
    return frame
