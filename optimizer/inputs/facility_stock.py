"""The base-year stock of each facility (beds, each staff kind, ambulances), read from a long CSV.

Columns: `facility_id, resource, base_year, value, estimated, method, source` — one row per facility
and resource (`data/facilities/facility_stock.csv`, built by `scripts/build_data.py`, with the method of
every estimated value in `data/facilities/PROVENANCE.md`). The plan is then made of changes from this
stock: additions are costed at the facility, reductions only where the scenario allows them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from optimizer.errors import DataError, Problem
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.tables import as_number

STOCK_COLUMNS = ("facility_id", "resource", "base_year", "value", "estimated", "method", "source")


@dataclass(frozen=True)
class StockEntry:
    """One facility's base-year amount of one resource, and how it is known."""

    value: int
    estimated: bool
    method: str
    source: str


@dataclass(frozen=True)
class FacilityStock:
    """Base-year stock keyed by (resource, facility id); empty when the scenario names no stock file."""

    entries: dict[tuple[str, str], StockEntry] = field(default_factory=dict)
    base_year: int | None = None

    @cached_property
    def _by_resource(self) -> dict[str, dict[str, int]]:
        """Resource → facility id → amount, built once: the model, results and verifier ask per resource."""
        index: dict[str, dict[str, int]] = {}
        for (resource, facility), entry in self.entries.items():
            index.setdefault(resource, {})[facility] = entry.value
        return index

    def of(self, resource: str) -> dict[str, int]:
        """Facility id → base-year amount of `resource` (only facilities with a row)."""
        return dict(self._by_resource.get(resource, {}))

    def value(self, resource: str, facility: str) -> int:
        """The base-year amount, 0 when the facility has no row for the resource."""
        entry = self.entries.get((resource, facility))
        return entry.value if entry else 0

    def known(self, resource: str) -> bool:
        """True when any facility has a row for `resource` (the stock is then known per facility)."""
        return resource in self._by_resource


def read_facility_stock(
    path: Path, known: Iterable[str], area: Iterable[str], resources: Iterable[str]
) -> FacilityStock:
    """Rows of the `area`'s facilities for the scenario's resources (other areas' rows are skipped);
    every facility id must be in `known` (the whole facility table).

    Raises
    ------
    DataError
        A missing column, a value that is not a whole number ≥ 0, a flag that is not true/false, a
        facility id that is in no facility table, or the same facility and resource twice.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(
            [Problem(path, "(file)", f"cannot be read as CSV ({exc}); check the path and format")]
        ) from None
    missing = [c for c in STOCK_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            [Problem(path, ", ".join(missing), f"missing column(s); the file needs {', '.join(STOCK_COLUMNS)}")]
        )
    every_id, wanted, kinds = set(known), set(area), set(resources)
    problems: list[Problem] = []
    entries: dict[tuple[str, str], StockEntry] = {}
    years: set[int] = set()
    for line, row in enumerate(frame.itertuples(index=False), start=2):
        facility, resource = str(row.facility_id), str(row.resource)
        where = f"line {line} ({facility}, {resource})"
        if facility not in every_id:
            problems.append(
                Problem(path, f"facility_id, {where}", "no such facility in the facility table; fix the id")
            )
        if facility not in wanted or resource not in kinds:
            continue
        value = _whole(str(row.value))
        flag = str(row.estimated).strip().lower()
        if value is None:
            problems.append(Problem(path, f"value, {where}", f"{row.value!r} is not a whole number ≥ 0; give a count"))
        if flag not in ("true", "false"):
            problems.append(Problem(path, f"estimated, {where}", f"{row.estimated!r}: write true or false"))
        if (resource, facility) in entries:
            problems.append(
                Problem(path, f"facility_id, {where}", "this facility and resource appear twice; keep one row")
            )
        if value is not None and flag in ("true", "false"):
            entries[resource, facility] = StockEntry(value, flag == "true", str(row.method), str(row.source))
            year = _whole(str(row.base_year))
            if year is not None:
                years.add(year)
    if problems:
        raise DataError(problems)
    return FacilityStock(dict(sorted(entries.items())), min(years) if years else None)


def _whole(text: str) -> int | None:
    """A cell as a whole number ≥ 0 (at most 1e7), else None."""
    number = as_number(text)
    if number is None or number < 0 or number != int(number) or number > 1e7:
        return None
    return int(number)


def check_stock_eligibility(scenario: Scenario, facilities: pd.DataFrame, stock: FacilityStock, path: Path) -> None:
    """Stock the scenario could not count is an error: a resource held at a level the scenario does not
    allocate it to (or vehicles at a facility that may not station them) would silently vanish.

    Raises
    ------
    DataError
        Naming each row, with the fix (add the level to `eligible_levels`, or correct the row).
    """
    levels = dict(zip(facilities["facility_id"], facilities["level"], strict=True))
    allowed = {key: set(spec.eligible_levels) for key, spec in scenario.resources.items()}
    if scenario.ambulances is not None:
        allowed["ambulances"] = set(scenario.ambulances.eligible_levels)
    problems = [
        Problem(
            path,
            f"resource, ({facility}, {resource})",
            f"{entry.value} {resource} at a {levels[facility]}, a level the scenario does not allocate "
            f"{resource} to; add '{levels[facility]}' to its eligible_levels or correct the row",
        )
        for (resource, facility), entry in stock.entries.items()
        if entry.value > 0 and levels[facility] not in allowed.get(resource, set())
    ]
    if problems:
        raise DataError(problems)


def modelled_baseline(scenario: Scenario, stock: FacilityStock, resource: str) -> float | None:
    """The base-year total of the modelled facilities, which the pooled floor keeps unless reductions are
    allowed: the sum of the facility stock where it is known per facility (a facility may then give up
    to `max_reduction_share` of its own to another, but the total does not fall), else the scenario's
    `baseline_modelled` (None when not published)."""
    spec = scenario.resources[resource]
    if stock.known(resource):
        return float(sum(stock.of(resource).values()))
    return spec.baseline_modelled.value if spec.baseline_modelled is not None else None


def counted_other_stock(scenario: Scenario, stock: FacilityStock, resource: str) -> float:
    """Stock outside the modelled facilities, kept fixed and counted by targets that include it.

    Where the stock is known per facility, the part of the published base-year total that the facility
    table does not hold (`baseline_modelled` − Σ facility stock, e.g. beds of a county hospital the data
    lack, or beyond every facility's grade band) is counted here too, so no base-year bed is lost; the
    report names it."""
    spec = scenario.resources[resource]
    other = spec.other_stock.value if spec.other_stock else 0.0
    return other + unplaced_stock(scenario, stock, resource)


def unplaced_stock(scenario: Scenario, stock: FacilityStock, resource: str) -> float:
    """Published base-year stock the per-facility table does not place (0 when not known per facility)."""
    spec = scenario.resources[resource]
    if not stock.known(resource) or spec.baseline_modelled is None:
        return 0.0
    return max(spec.baseline_modelled.value - sum(stock.of(resource).values()), 0.0)
