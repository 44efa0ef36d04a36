"""The village-level units of each township (data/population/village_counts.csv), checked.

The counts weight the estimated spread of a township's residents over its demand points
(`[demand] weighting = "village_units"`, optimizer/geography/demand.py): the community (社区居委会) share
of its units lives at the seat, the village (村民委员会) share over its area.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.errors import DataError, Problem
from optimizer.inputs.tables import as_number, numbered_rows, read_table

VILLAGE_COLUMNS = ("town_code", "village_committees", "community_committees")


def read_village_counts(path: Path, townships: pd.DataFrame) -> pd.DataFrame:
    """Counts per township of the area (`town_code`, `village_committees`, `community_committees`, integers).

    Rows of townships outside the area are dropped; a township of the area without a row counts as
    having no units (its residents are then spread evenly, as under `weighting = "uniform"`).

    Raises
    ------
    DataError
        A missing column, a count that is not a whole number ≥ 0, or a town code given twice.
    """
    problems: list[Problem] = []
    table = read_table(path, VILLAGE_COLUMNS, {"town_code": str}, problems)
    if problems:
        raise DataError(problems)
    for line, row in numbered_rows(table):
        for column in VILLAGE_COLUMNS[1:]:
            number = as_number(row[column])
            if number is None or number < 0 or number != int(number):
                problems.append(
                    Problem(path, f"row {line}, {column}", f"{row[column]!r} must be a whole number of units ≥ 0")
                )
    repeated = sorted(set(table.loc[table["town_code"].duplicated(), "town_code"]))
    if repeated:
        problems.append(Problem(path, "town_code", f"towns {', '.join(repeated[:5])} appear twice; keep one row each"))
    if problems:
        raise DataError(problems)
    table = table[table["town_code"].isin(set(townships["code"]))]
    counts = table[list(VILLAGE_COLUMNS)].astype(dict.fromkeys(VILLAGE_COLUMNS[1:], int))
    return counts.sort_values("town_code").reset_index(drop=True)
