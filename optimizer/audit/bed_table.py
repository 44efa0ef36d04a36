"""Read and check a planner's bed table: beds per facility, in the form of `data/facilities/plan_reference_beds.csv`.

Columns: `county_code`, `facility_id`, `plan_beds` (required); `name`, `year`, `source` (optional, kept
for the report). Rows of other counties are skipped (a shared provincial table may hold them); every
kept row must name a facility of the area that takes beds in the scenario, once, with a whole number
of beds ≥ 0. Every problem is collected and raised once as a `DataError` (file: field: message with
the fix), like the scenario's own tables (optimizer/inputs/datasets.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.errors import DataError, Problem, ScenarioError
from optimizer.inputs.dataset_checks import plan_beds_problem
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_loading import resolve
from optimizer.inputs.tables import as_number, numbered_rows, read_table

if TYPE_CHECKING:
    from pandas._typing import Scalar  # what pandas-stubs allow pd.isna to test: one cell's value

BEDS = "beds"
"""The resource a bed table fixes: the scenario's `[resources.beds]`."""
REQUIRED_COLUMNS = ("county_code", "facility_id", "plan_beds")
OPTIONAL_TEXT = ("name", "source")


@dataclass(frozen=True)
class BedTable:
    """A checked bed table: beds by facility id (facilities of the area that take beds), sorted by id."""

    path: Path
    beds: dict[str, int]
    names: dict[str, str]
    """The name each row gives (empty when the table has no `name` column)."""
    sources: dict[str, str]
    skipped_rows: int
    """Rows of counties outside the scenario's area."""

    def renamed(self, data: Datasets) -> list[tuple[str, str, str]]:
        """(id, name in the table, name in facilities.csv) where a row's name is not the facility's name."""
        names = dict(zip(data.facilities["facility_id"], data.facilities["name"], strict=True))
        return [(f, given, names[f]) for f, given in sorted(self.names.items()) if given and given != names[f]]


def table_path(scenario_path: Path, scenario: Scenario, table: Path | None) -> Path:
    """The table to audit: `--table` when given, else the scenario's `data.plan_reference_beds`.

    Raises
    ------
    ScenarioError
        When neither is given.
    """
    if table is not None:
        return Path(table)
    if scenario.data.plan_reference_beds is None:
        raise ScenarioError(
            [
                Problem(
                    Path(scenario_path),
                    "data.plan_reference_beds",
                    "the scenario names no plan bed table to audit; give one with --table FILE "
                    f"(columns {', '.join(REQUIRED_COLUMNS)}) or set data.plan_reference_beds",
                )
            ]
        )
    return resolve(scenario_path, scenario.data.plan_reference_beds)


def read_bed_table(path: Path, scenario: Scenario, data: Datasets) -> BedTable:
    """The checked bed table at `path` for the scenario's area.

    Raises
    ------
    DataError
        Listing every problem: a missing or unreadable file, a missing column, an unknown, duplicated or
        bed-less facility, a county code that contradicts the facility's, beds that are not a whole
        number ≥ 0, or no row of the area at all.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError.single(path, "(file)", "not found; give an existing bed table with --table FILE")
    if BEDS not in scenario.resources:
        raise DataError.single(
            path, "plan_beds", "the scenario has no [resources.beds] to compare the table with; add it or audit another"
        )
    problems: list[Problem] = []
    frame = read_table(path, REQUIRED_COLUMNS, {"county_code": str, "facility_id": str}, problems)
    if problems:
        raise DataError(problems)
    for column in OPTIONAL_TEXT:
        frame[column] = frame[column].map(_text) if column in frame.columns else ""
    facilities = data.facilities.set_index("facility_id")
    codes = set(scenario.area.county_codes)
    eligible = set(scenario.resources[BEDS].eligible_levels)
    beds: dict[str, int] = {}
    names: dict[str, str] = {}
    sources: dict[str, str] = {}
    skipped = 0
    for row_number, row in numbered_rows(frame):
        where = f"row {row_number}"
        facility_id, county = str(row["facility_id"]), str(row["county_code"])
        given = str(row["name"])
        known = facility_id in facilities.index
        if county not in codes:
            if known:
                problems.append(
                    Problem(
                        path,
                        f"{where}, county_code",
                        f"'{county}' is not the county of facility {facility_id} "
                        f"({facilities.at[facility_id, 'name']!s}, "
                        f"county {facilities.at[facility_id, 'county_code']!s}); "
                        "fix the county code",
                    )
                )
            skipped += 1
            continue
        if not known:
            label = f" ({given})" if given else ""
            problems.append(
                Problem(
                    path,
                    f"{where}, facility_id",
                    f"'{facility_id}'{label} is not a facility of the area in {data.paths['facilities'].name}; "
                    "use its facility_id from that table",
                )
            )
            continue
        level = str(facilities.at[facility_id, "level"])
        if level not in eligible:
            problems.append(
                Problem(
                    path,
                    f"{where}, facility_id",
                    f"{facility_id} ({facilities.at[facility_id, 'name']!s}) is a {level}, which holds no beds in the "
                    "scenario (resources.beds.eligible_levels); drop the row or add the level",
                )
            )
            continue
        if facility_id in beds:
            problems.append(
                Problem(path, f"{where}, facility_id", f"{facility_id} appears more than once; keep one row")
            )
            continue
        problem = plan_beds_problem(row["plan_beds"], path, where)
        if problem is not None:
            problems.append(problem)
            continue
        beds[facility_id] = int(as_number(row["plan_beds"]) or 0)  # a whole number ≥ 0, checked above
        names[facility_id] = given
        sources[facility_id] = str(row["source"])
    if not problems and not beds:
        problems.append(
            Problem(path, "county_code", f"no row belongs to area.county_codes {sorted(codes)}; check the codes")
        )
    if problems:
        raise DataError(problems)
    return BedTable(path, dict(sorted(beds.items())), names, sources, skipped)


def _text(value: Scalar | None) -> str:
    """A cell as stripped text; an empty cell (NaN) as ""."""
    return "" if pd.isna(value) else str(value).strip()
