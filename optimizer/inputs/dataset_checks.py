"""The row and code checks of the input tables a scenario names: townships, facilities, counties and the
plan's own bed table.

What each row must hold (a 9-digit township code, a name, a positive population, age groups within
it, a known facility level, a facility in a township of the area, a point in degrees) and how the
codes agree across tables (a township's code starts with its county's code; a facility's county is its
township's). Each check appends every problem it finds to `problems`, naming the file, the row and
column, and the fix; `optimizer.inputs.datasets.load_datasets` runs them in order and raises once.
Reading a CSV file and checking single cells is `optimizer.inputs.tables`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.errors import Problem
from optimizer.inputs.tables import as_number, check_point, numbered_rows, read_table

REFERENCE_COLUMNS = ("county_code", "facility_id", "plan_beds")
LEVELS = frozenset(
    {"county_general_hospital", "county_tcm_hospital", "specialty_hospital", "mch_center", "central_thc", "thc", "chc"}
)


def check_township_codes(towns: pd.DataFrame, codes: set[str], path: Path, problems: list[Problem]) -> None:
    """A township's code starts with its county's code; rows touching the area must agree."""
    for row_number, row in numbered_rows(towns):
        code, county = row["code"], row["county_code"]
        if (county in codes or code[:6] in codes) and code[:6] != county:
            problems.append(
                Problem(
                    path,
                    f"row {row_number}, county_code",
                    f"township {code} is given county_code '{county}' but its code belongs to county "
                    f"{code[:6]}; fix county_code or code",
                )
            )


def check_facility_codes(
    facilities: pd.DataFrame, towns: pd.DataFrame, codes: set[str], path: Path, problems: list[Problem]
) -> None:
    """A facility's county_code is its township's county, both by code prefix and by the township table."""
    county_of = dict(zip(towns["code"], towns["county_code"], strict=True))
    for row_number, row in numbered_rows(facilities):
        county, town = row["county_code"], row["town_code"]
        if not (county in codes or town[:6] in codes or county_of.get(town) in codes):
            continue
        expected = county_of.get(town, town[:6])
        if county != expected:
            problems.append(
                Problem(
                    path,
                    f"row {row_number}, county_code",
                    f"facility {row['facility_id']} is in town {town} of county {expected} but its "
                    f"county_code is '{county}'; fix county_code or town_code",
                )
            )


def check_counties(counties: pd.DataFrame, codes: set[str], path: Path, problems: list[Problem]) -> None:
    """Each area county once, with a positive 2020 population and, when given, numeric seat coordinates."""
    area = counties[counties["county_code"].isin(codes)]
    for code in sorted(set(area["county_code"][area["county_code"].duplicated()])):
        problems.append(Problem(path, "county_code", f"county {code} appears more than once; keep one row"))
    for row_number, row in numbered_rows(area):
        population = as_number(row["population_2020"])
        if population is None or population <= 0:
            problems.append(
                Problem(
                    path,
                    f"row {row_number}, population_2020",
                    f"'{row['population_2020']}' must be a positive number of residents",
                )
            )
        for column in ("seat_lon", "seat_lat"):
            if column in area.columns and not pd.isna(row[column]) and as_number(row[column]) is None:
                problems.append(
                    Problem(
                        path,
                        f"row {row_number}, {column}",
                        f"'{row[column]}' is not a number; give degrees (WGS-84) or leave it empty",
                    )
                )


def read_plan_reference(path: Path, codes: set[str], problems: list[Problem]) -> pd.DataFrame | None:
    """The plan's own per-facility beds: county_code, facility_id, plan_beds (a whole number ≥ 0)."""
    frame = read_table(path, REFERENCE_COLUMNS, {"county_code": str, "facility_id": str}, problems)
    if frame.empty and any(p.path == path for p in problems):
        return None
    frame = frame[frame["county_code"].isin(codes)].copy()
    for row_number, row in numbered_rows(frame):
        problem = plan_beds_problem(row["plan_beds"], path, f"row {row_number}")
        if problem is not None:
            problems.append(problem)
    for facility_id in sorted(set(frame["facility_id"][frame["facility_id"].duplicated()])):
        problems.append(Problem(path, "facility_id", f"{facility_id} appears more than once; keep one row"))
    if "source" not in frame.columns:
        frame["source"] = ""
    frame["plan_beds"] = pd.to_numeric(frame["plan_beds"], errors="coerce")
    return frame.sort_values("facility_id").reset_index(drop=True)


def check_townships(towns: pd.DataFrame, path: Path, problems: list[Problem]) -> None:
    """Each township: a 9-digit code, a name, residents > 0, age groups within them, urban or rural, a point."""
    for row_number, row in numbered_rows(towns):
        where = f"row {row_number}"
        code = str(row["code"])
        if len(code) != 9 or not code.isdigit():
            problems.append(Problem(path, f"{where}, code", f"'{code}' is not a 9-digit NBS township code"))
        if pd.isna(row["name"]) or not str(row["name"]).strip():
            problems.append(Problem(path, f"{where}, name", f"township {code} has no name; give its Chinese name"))
        population = as_number(row["population"])
        if population is None or population <= 0:
            problems.append(
                Problem(path, f"{where}, population", f"'{row['population']}' must be a positive number of residents")
            )
        for column in ("children_0_14", "aged_65_plus"):
            group = as_number(row[column])
            if group is None or group < 0:
                problems.append(
                    Problem(
                        path,
                        f"{where}, {column}",
                        f"'{row[column]}' must be a number of persons ≥ 0; fill it in (county share "
                        "× population if estimated, and set age_estimated = true)",
                    )
                )
            elif population is not None and group > population:
                problems.append(
                    Problem(
                        path,
                        f"{where}, {column}",
                        f"{group:g} is more than the township's population {population:g}; "
                        "give persons, not a share or a per-mille figure",
                    )
                )
        if row["settlement_class"] not in ("urban", "rural"):
            problems.append(
                Problem(path, f"{where}, settlement_class", f"'{row['settlement_class']}' must be 'urban' or 'rural'")
            )
        check_point(row, path, where, problems)
    duplicated = towns["code"][towns["code"].duplicated()].unique()
    for code in duplicated:
        problems.append(Problem(path, "code", f"township {code} appears more than once; keep one row"))


def check_facilities(facilities: pd.DataFrame, towns: set[str], path: Path, problems: list[Problem]) -> None:
    """Each facility: an id (unique), a name, a known level, a township of the area, a point."""
    for row_number, row in numbered_rows(facilities):
        where = f"row {row_number}"
        if not row["facility_id"]:
            problems.append(Problem(path, f"{where}, facility_id", "is empty; give each facility a unique id"))
        if pd.isna(row["name"]) or not str(row["name"]).strip():
            problems.append(
                Problem(path, f"{where}, name", f"facility {row['facility_id']} has no name; give its Chinese name")
            )
        if row["level"] not in LEVELS:
            problems.append(
                Problem(path, f"{where}, level", f"'{row['level']}' is not one of {', '.join(sorted(LEVELS))}")
            )
        if row["town_code"] not in towns:
            problems.append(
                Problem(
                    path,
                    f"{where}, town_code",
                    f"facility {row['facility_id']} is in town '{row['town_code']}', "
                    "which is not a township of the area; fix the code",
                )
            )
        check_point(row, path, where, problems)
    for facility_id in facilities["facility_id"][facilities["facility_id"].duplicated()].unique():
        problems.append(Problem(path, "facility_id", f"{facility_id} appears more than once; ids must be unique"))


def plan_beds_problem(cell: object, path: Path, where: str) -> Problem | None:
    """The problem with a `plan_beds` cell, or None: it must be a whole number of beds ≥ 0."""
    beds = as_number(cell)
    if beds is not None and beds >= 0 and beds == int(beds):
        return None
    fix = "must be a whole number of beds ≥ 0 (digits only, no text such as 约 or 张)"
    return Problem(path, f"{where}, plan_beds", f"'{cell}' {fix}")
