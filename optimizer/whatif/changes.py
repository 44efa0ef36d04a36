"""What one level of a sweep changes relative to the scenario's own run, per facility, township and target.

The base is the level at the scenario's own value (100 % of its budget, or its own parameter value); the
sweep solves it beside the levels when it is not one of them (optimizer/whatif/sweep.py). Each solved
level is reduced to a `LevelSnapshot` as it finishes — in the Dask task or the sequential loop — so the
driver never holds a level's `PlanResult`: a long table of (scope, id, item) → value that holds

    facility   every resource, bed category and ambulances at the facility, `subcentre` (1 = upgraded
               to a sub-centre) and `feature_<id>` (1 = opened by the plan) from features.csv
    township   the same resources summed over the township's facilities, the coverage flags of its
               towns row (`covered_*`, 1 = met) and its minutes to care (`minutes_to_*`, the
               population-weighted mean over its demand points)
    target     `met` (1 = met) and `gap_units` (the gap in beds, headcount, vehicles … as targets.csv)

`ChangeCollector` keeps only the base snapshot (and levels that finish before it) and turns every other
snapshot at once into its non-zero changes: the rows of `changes.csv` (`CHANGE_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.solving.results import PlanResult
from optimizer.whatif.levels import Level

SNAPSHOT_COLUMNS = ("scope", "id", "name", "county_code", "item", "value", "unit")
CHANGE_COLUMNS = (
    "level",
    "parameter",
    "value",
    "budget_cny",
    "scope",
    "id",
    "name",
    "county_code",
    "item",
    "base_value",
    "level_value",
    "change",
    "unit",
)
"""The columns of changes.csv, in order (one row per non-zero change of one level against the base)."""
TARGET_STATUS_COLUMNS = ("level", "id", "rule_kind", "indicator", "met", "gap_units", "gap_unit")
"""Per level and target: met or not and the gap in units (the trade-off chart's dot matrix, whatif.md)."""

_NOT_ITEMS = {"facility_id", "name", "town_code", "level", "lon", "lat", "location_estimated", "is_subcentre"}
_MINUTES = ("minutes_to_facility", "minutes_to_subcentre", "minutes_to_ambulance")


@dataclass(frozen=True)
class LevelSnapshot:
    """What changes.csv compares at one level (`SNAPSHOT_COLUMNS`), and the level's target table in short."""

    values: pd.DataFrame
    targets: pd.DataFrame
    """id, rule_kind, indicator, met, gap_units, gap_unit: one row per row of targets.csv."""
    budget_cny: float


def _units(scenario: Scenario, items: list[str]) -> dict[str, str]:
    """Unit of each allocation item: the resource's own unit, beds for a bed category, vehicles, sub-centres."""
    units = {name: spec.unit for name, spec in scenario.resources.items()}
    units |= {f"beds_{category.id}": "beds" for category in scenario.bed_categories}
    units |= {"ambulances": "vehicles", "subcentre": "sub-centres"}
    return {item: units.get(item, item) for item in items}


def snapshot_of(result: PlanResult, scenario: Scenario, data: Datasets) -> LevelSnapshot:
    """The long table of one solved level (see the module docstring)."""
    allocation = result.allocation.assign(subcentre=result.allocation["is_subcentre"].astype(int))
    items = [c for c in allocation.columns if c not in _NOT_ITEMS and not c.startswith("existing_")]
    units = _units(scenario, items)
    facility_county = dict(zip(data.facilities["facility_id"], data.facilities["county_code"].astype(str), strict=True))
    town_county = dict(zip(data.townships["code"], data.townships["county_code"].astype(str), strict=True))
    parts = [_long(allocation, "facility", "facility_id", items, units, facility_county)]
    if result.features is not None and not result.features.empty:
        parts.append(_feature_rows(result.features, facility_county))
    parts += _township_rows(allocation, result.towns, items, units, town_county)
    parts += _target_rows(result.targets)
    values = pd.concat(parts, ignore_index=True)[list(SNAPSHOT_COLUMNS)]
    # the labels repeat across items and rows: categories keep the snapshot a fraction of the tables' size
    values = values.astype({c: "category" for c in SNAPSHOT_COLUMNS if c != "value"})
    short = result.targets[["id", "rule_kind", "indicator", "met", "gap_units", "gap_unit"]].reset_index(drop=True)
    return LevelSnapshot(values, short, float(result.budget_cny))


def _feature_rows(features: pd.DataFrame, county: dict[Any, str]) -> pd.DataFrame:
    """`feature_<id>` per (facility, feature): 1 when the plan opens it (features.csv `opened`)."""
    return pd.DataFrame(
        {
            "scope": "facility",
            "id": features["facility_id"].astype(str),
            "name": features["name"].astype(str),
            "county_code": features["facility_id"].map(county).fillna(""),
            "item": "feature_" + features["feature_id"].astype(str),
            "value": features["opened"].astype(float),
            "unit": "feature",
        }
    )


def _township_rows(
    allocation: pd.DataFrame, towns: pd.DataFrame, items: list[str], units: dict[str, str], county: dict[Any, str]
) -> list[pd.DataFrame]:
    """Per township: the items summed over its facilities, its coverage flags and its minutes to care."""
    towns = towns.set_index("code")
    by_town = allocation.groupby("town_code")[items].sum()
    sums = by_town.reindex(towns.index, fill_value=0).assign(name=towns["name"]).reset_index(names="code")
    flags = [c for c in towns.columns if c.startswith("covered_")]
    minutes = [c for c in _MINUTES if c in towns.columns]
    town_units = {**dict.fromkeys(flags, "flag"), **dict.fromkeys(minutes, "min")}
    access = towns[flags + minutes].astype(float).assign(name=towns["name"]).reset_index(names="code")
    return [
        _long(sums, "township", "code", items, units, county),
        _long(access, "township", "code", flags + minutes, town_units, county),
    ]


def _target_rows(targets: pd.DataFrame) -> list[pd.DataFrame]:
    """Per target: `met` (1 = met) and `gap_units` in its `gap_unit`, named by its Chinese indicator."""
    common = {
        "scope": "target",
        "id": targets["id"].astype(str).to_numpy(),
        "name": targets["indicator"].astype(str).to_numpy(),
        "county_code": "",
    }
    met = {"item": "met", "value": targets["met"].astype(float).to_numpy(), "unit": "target"}
    gap = {
        "item": "gap_units",
        "value": targets["gap_units"].astype(float).to_numpy(),
        "unit": targets["gap_unit"].astype(str).to_numpy(),
    }
    return [pd.DataFrame(common | met), pd.DataFrame(common | gap)]


def _long(
    frame: pd.DataFrame,
    scope: str,
    key: str,
    items: list[str],
    units: dict[str, str],
    county: dict[Any, str],
) -> pd.DataFrame:
    """`frame` (one row per `key`) melted to one row per (key, item)."""
    melted = frame[[key, "name", *items]].melt(id_vars=[key, "name"], value_vars=items, var_name="item")
    return pd.DataFrame(
        {
            "scope": scope,
            "id": melted[key].astype(str),
            "name": melted["name"].astype(str),
            "county_code": melted[key].map(county).fillna(""),
            "item": melted["item"],
            "value": melted["value"].astype(float),
            "unit": melted["item"].map(units),
        }
    )


def level_changes(base: LevelSnapshot, at: LevelSnapshot, level: Level) -> pd.DataFrame:
    """The rows of changes.csv for one level: every (scope, id, item) whose value differs from the base.

    Two infinite minutes (no sub-centre in reach at either) are equal; an item present at only one of the
    two (a parameter that rebuilds the data) counts as 0 at the other.
    """
    keys = ["scope", "id", "item"]
    plain = {c: str for c in SNAPSHOT_COLUMNS if c != "value"}  # two levels' categories differ
    merged = base.values.astype(plain).merge(
        at.values.astype(plain), on=keys, how="outer", suffixes=("_base", "_level")
    )
    before = merged["value_base"].fillna(0.0).to_numpy(float)
    after = merged["value_level"].fillna(0.0).to_numpy(float)
    with np.errstate(invalid="ignore"):
        differs = ~((before == after) | (np.isnan(before) & np.isnan(after)))
    rows = merged[differs]
    before, after = before[differs], after[differs]
    out = pd.DataFrame(
        {
            "level": level.index,
            "parameter": level.parameter,
            "value": level.value,
            "budget_cny": at.budget_cny,
            "scope": rows["scope"].to_numpy(),
            "id": rows["id"].to_numpy(),
            "name": rows["name_level"].fillna(rows["name_base"]).to_numpy(),
            "county_code": rows["county_code_level"].fillna(rows["county_code_base"]).to_numpy(),
            "item": rows["item"].to_numpy(),
            "base_value": before,
            "level_value": after,
            "change": after - before,
            "unit": rows["unit_level"].fillna(rows["unit_base"]).to_numpy(),
        }
    )
    scope_order = out["scope"].map({"target": 0, "facility": 1, "township": 2})
    return out.assign(_order=scope_order).sort_values(["_order", "id", "item"]).drop(columns="_order")


def empty_changes() -> pd.DataFrame:
    """changes.csv with no rows (no base plan, or nothing changed)."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in CHANGE_COLUMNS})


def empty_target_status() -> pd.DataFrame:
    """The target status of a sweep with no plan at any level."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in TARGET_STATUS_COLUMNS})


@dataclass
class ChangeCollector:
    """Turns level snapshots into changes as they arrive, in any order, holding only what it must.

    `add` is called once per solved level (and for the base). The base snapshot is kept; a level that
    finishes before the base is held until the base arrives, every other is reduced to its changes and
    its target status at once and dropped.
    """

    base_index: int
    base: LevelSnapshot | None = None
    _waiting: dict[int, tuple[Level, LevelSnapshot]] = field(default_factory=dict)
    _changes: list[pd.DataFrame] = field(default_factory=list)
    _status: list[pd.DataFrame] = field(default_factory=list)

    def add(self, level: Level, snapshot: LevelSnapshot | None) -> None:
        """Record one finished level (`snapshot` None: the level has no plan)."""
        if snapshot is None:
            return
        if level.index == self.base_index:
            self.base = snapshot
            self._status.append(_status(level, snapshot))
            for waiting_level, waiting in sorted(self._waiting.values(), key=lambda pair: pair[0].index):
                self._reduce(snapshot, waiting_level, waiting)
            self._waiting.clear()
        elif self.base is None:
            self._waiting[level.index] = (level, snapshot)
        else:
            self._reduce(self.base, level, snapshot)

    def _reduce(self, base: LevelSnapshot, level: Level, snapshot: LevelSnapshot) -> None:
        self._changes.append(level_changes(base, snapshot, level))
        self._status.append(_status(level, snapshot))

    def changes(self) -> pd.DataFrame:
        """Every level's changes (`CHANGE_COLUMNS`), by level; empty without a base plan."""
        frames = [frame for frame in self._changes if not frame.empty]
        if not frames:
            return empty_changes()
        table = pd.concat(frames, ignore_index=True)
        return table.sort_values("level", kind="stable").reset_index(drop=True)[list(CHANGE_COLUMNS)]

    def target_status(self) -> pd.DataFrame:
        """Met and gap per level and target (`TARGET_STATUS_COLUMNS`), by level; the base level included.

        Without a base plan, the levels held waiting for it are included too.
        """
        frames = self._status + [_status(level, snap) for level, snap in self._waiting.values()]
        if not frames:
            return empty_target_status()
        table = pd.concat(frames, ignore_index=True)
        return table.sort_values("level", kind="stable").reset_index(drop=True)[list(TARGET_STATUS_COLUMNS)]


def _status(level: Level, snapshot: LevelSnapshot) -> pd.DataFrame:
    return snapshot.targets.assign(level=level.index)
