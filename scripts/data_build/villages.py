"""Village-level units per township (NBS 2023): the weights of the estimated spread of residents.

Read from ``nbs-2023-villages-china-division-npm/village_counts_per_township_2023.csv`` (村民委员会 and
社区居委会 per current township, classified by name in data-raw). The planner uses the community share
of a township's units as the share of its residents living at the seat when it spreads them over
demand points (optimizer/geography/demand.py); the counts themselves are real, that use is an estimate.
"""

from __future__ import annotations

from pathlib import Path

from data_build.records import Township
from data_build.tabular import read_csv

VILLAGE_FOLDER = "nbs-2023-villages-china-division-npm"
VILLAGE_FILE = "village_counts_per_township_2023.csv"
VILLAGE_COLUMNS = ("town_code", "town_name", "county_code", "village_committees", "community_committees", "source")
SOURCE = "nbs_2023_china_division_2.7.0"
VILLAGE_PROVENANCE = """
## village_counts.csv (259 rows, one per township)

| column | source / method |
|---|---|
| town_code, town_name, county_code | the township frame above (names checked equal to the village file's) |
| village_committees, community_committees | 村民委员会 and 社区居委会 per township, real counts (source below) |
| source | `nbs_2023_china_division_2.7.0` |

Source: `nbs-2023-villages-china-division-npm/village_counts_per_township_2023.csv` in data-raw, the NBS 2023
division codes of the npm package `china-division` 2.7.0 (WTFPL; NBS public data), each unit classified by its
name there.

Use: the planner's estimated demand points (optimizer/geography/demand.py, `[demand] weighting =
"village_units"`) put the community share of a township's units at its seat and spread the rest of its
residents evenly over its estimated area. The counts are real; that placement is an **estimate** (no
sub-township population or coordinates are published for these areas).
"""


def village_count_rows(raw: Path, townships: list[Township]) -> list[list[str]]:
    """One row per study township, sorted by code.

    Raises
    ------
    ValueError
        When the file does not hold exactly the study townships, or a name differs from the township frame.
    """
    rows = {r["street_code"]: r for r in read_csv(raw / VILLAGE_FOLDER / VILLAGE_FILE)}
    frame = {t.code: t for t in townships}
    if set(rows) != set(frame):
        missing, extra = sorted(set(frame) - set(rows)), sorted(set(rows) - set(frame))
        raise ValueError(f"{VILLAGE_FILE}: townships missing {missing[:5]}, extra {extra[:5]}")
    out = []
    for code in sorted(frame):
        row, town = rows[code], frame[code]
        if row["street_name"] != town.name or int(row["n_other"]) != 0:
            raise ValueError(f"{VILLAGE_FILE}: {code} is {row['street_name']!r} with {row['n_other']} other units")
        villages, communities = int(row["n_village_committees"]), int(row["n_community_committees"])
        out.append([code, town.name, town.county_code, str(villages), str(communities), SOURCE])
    return out
