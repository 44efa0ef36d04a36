"""Read and check the hand-entered specifications in ``specs/*.csv``.

The facilities the seed plans name, the roles Lu County's plan gives its towns, the citation of the
one-facility-per-township rule in each plan, and the 2019 盐亭 merger crosswalk are data, not code:
each row carries its seed line or official notice, and ``specs/README.md`` describes the columns.
Every problem in every file is collected and reported at once as ``file:row: field: message``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from data_build.config import LEVEL_CODES, PLAN_AREAS, STUDY_COUNTIES
from data_build.records import FacilitySpec
from data_build.tabular import read_csv

SPECS_DIR = Path(__file__).resolve().parent / "specs"

Mergers = dict[str, tuple[str, str]]
"""2016 township name → (current township name, citation), for one county."""


@dataclass(frozen=True)
class TownRole:
    """What Lu County's plan (003) says of the THC of one town, found by name stem (`TownRole()`: nothing)."""

    plan_role: str = ""
    named_subcentre: bool = False
    named_emergency_station: bool = False


@dataclass(frozen=True)
class Specs:
    """Everything read from ``specs/``."""

    named_facilities: list[FacilitySpec]
    """Facilities named in seeds 000, 001, 002 and 004, in seed order (ids are numbered in this order)."""
    lu_county_hospitals: dict[str, tuple[str, str]]
    """Lu Table-2 county-level name → (level, plan_role)."""
    lu_town_roles: dict[str, TownRole]
    """Lu town stem → role of its THC."""
    rule_citations: dict[str, str]
    """Seed → where the plan states one THC/CHC per township seat."""
    mergers: dict[str, Mergers]
    """County code → its 2016 → current merger crosswalk."""


class Problems:
    """Problems found across all spec files, raised together."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, where: str, field: str, message: str) -> None:
        """Record one problem at ``where`` (``file:row``) in ``field``."""
        self.messages.append(f"{where}: {field}: {message}")

    def flag(self, where: str, row: dict[str, str], field: str) -> bool:
        """The boolean in ``row[field]``; a problem unless it is ``true`` or ``false``."""
        value = row[field]
        if value not in ("true", "false"):
            self.add(where, field, f"{value!r} is not true or false")
        return value == "true"

    def choice(self, where: str, row: dict[str, str], field: str, allowed: Collection[str]) -> str:
        """``row[field]``; a problem unless it is in ``allowed``."""
        value = row[field]
        if value not in allowed:
            self.add(where, field, f"{value!r} is not one of {', '.join(sorted(allowed))}")
        return value


def spec_rows(
    folder: Path, name: str, columns: tuple[str, ...], problems: Problems
) -> list[tuple[str, dict[str, str]]]:
    """Rows of ``folder/name`` with their ``file:row`` label; a problem if the header differs."""
    rows = read_csv(folder / name)
    header = tuple(rows[0]) if rows else ()
    if header != columns:
        problems.add(name, "header", f"expected {','.join(columns)}, got {','.join(header)}")
        return []
    return [(f"{name}:{index}", row) for index, row in enumerate(rows, start=2)]


def _named_facilities(folder: Path, problems: Problems) -> list[FacilitySpec]:
    columns = (
        "county_code", "name", "level", "seed", "line", "needle", "plan_role", "town_code",
        "named_subcentre", "named_emergency_station",
    )  # fmt: skip
    specs = []
    for where, row in spec_rows(folder, "named_facilities.csv", columns, problems):
        county = problems.choice(where, row, "county_code", STUDY_COUNTIES)
        town = row["town_code"] or None
        if town is not None and not town.startswith(county):
            problems.add(where, "town_code", f"{town} is not in county {county}")
        if not row["line"].isdigit() or int(row["line"]) < 1:
            problems.add(where, "line", f"{row['line']!r} is not a line number")
        if not row["needle"]:
            problems.add(where, "needle", "empty; give the text the seed line must contain")
        specs.append(
            FacilitySpec(
                county_code=county,
                name=row["name"],
                level=problems.choice(where, row, "level", LEVEL_CODES),
                seed=problems.choice(where, row, "seed", PLAN_AREAS),
                line=int(row["line"]) if row["line"].isdigit() else 0,
                needle=row["needle"],
                plan_role=row["plan_role"],
                town_code=town,
                named_subcentre=problems.flag(where, row, "named_subcentre"),
                named_emergency_station=problems.flag(where, row, "named_emergency_station"),
            )
        )
    return specs


def load_specs(folder: Path = SPECS_DIR) -> Specs:
    """Read every spec file in ``folder``; raise ``ValueError`` listing all problems found."""
    problems = Problems()
    named = _named_facilities(folder, problems)
    hospitals = {
        row["name"]: (problems.choice(where, row, "level", LEVEL_CODES), row["plan_role"])
        for where, row in spec_rows(
            folder, "lu_county_hospitals.csv", ("name", "level", "plan_role", "source"), problems
        )
    }
    roles_columns = ("stem", "plan_role", "named_subcentre", "named_emergency_station", "source")
    roles = {
        row["stem"]: TownRole(
            plan_role=row["plan_role"],
            named_subcentre=problems.flag(where, row, "named_subcentre"),
            named_emergency_station=problems.flag(where, row, "named_emergency_station"),
        )
        for where, row in spec_rows(folder, "lu_town_roles.csv", roles_columns, problems)
    }
    citations = {
        problems.choice(where, row, "seed", PLAN_AREAS): row["citation"]
        for where, row in spec_rows(folder, "rule_facilities.csv", ("seed", "citation"), problems)
    }
    for seed in sorted(set(PLAN_AREAS) - set(citations)):
        problems.add("rule_facilities.csv", "seed", f"no row for {seed}; add its rule citation")
    mergers: dict[str, Mergers] = {}
    merger_columns = ("county_code", "name_2016", "name_current", "citation")
    for where, row in spec_rows(folder, "mergers_2019.csv", merger_columns, problems):
        county = problems.choice(where, row, "county_code", STUDY_COUNTIES)
        mergers.setdefault(county, {})[row["name_2016"]] = (row["name_current"], row["citation"])
    if problems.messages:
        raise ValueError(f"{len(problems.messages)} problem(s) in {folder}:\n" + "\n".join(problems.messages))
    return Specs(named, hospitals, roles, citations, mergers)
