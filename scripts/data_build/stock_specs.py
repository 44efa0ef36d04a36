"""Read and check the hand-entered specifications of base grades and base-year stock in ``specs/``.

``base_grades.csv`` (grades a plan states), ``base_year_totals.csv`` (area totals), ``grade_beds.csv`` and
``grade_staff.csv`` (prior sizes, staffing weights and bands per grade), ``stock_eligibility.csv`` (which
grades hold which resource) and ``facility_seed_values.csv`` (values a plan gives for one facility).
``specs/README.md`` describes the columns. Every problem in every file is collected and reported at once
as ``file:row: field: message``; seed citations are checked against the seed text by ``check_stock_citations``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from data_build.config import BASE_GRADES, BASE_YEAR, PLAN_AREAS, STOCK_RESOURCES, STUDY_COUNTIES
from data_build.seeds import check_citation
from data_build.specs import SPECS_DIR, Problems, spec_rows

STOCK_METHODS = ("seed", "seed_ratio_per_1000", "planned_new_build")
"""Methods of ``facility_seed_values.csv``: a figure the plan states for the facility, a per-1,000 ratio of
the plan that concerns this one facility (× the county's census population), or a plan's new build (0)."""


@dataclass(frozen=True)
class Citation:
    """A seed line and the text that must start on it (empty seed, `Citation()`: no citation)."""

    seed: str = ""
    line: int = 0
    needle: str = ""
    """Text that must stand on that line of the seed (the build fails otherwise)."""

    def __str__(self) -> str:
        return f"{self.seed}:L{self.line}" if self.seed else ""


@dataclass(frozen=True)
class StatedGrade:
    """A base-year grade a plan states for a named facility."""

    county_code: str
    name: str
    """The facility's name as in facilities.csv (names are unique within a county)."""
    grade: str
    citation: Citation


@dataclass(frozen=True)
class AreaTotal:
    """A base-year total of one resource over one scenario area."""

    area: str
    """The scenario id (lu_county, mianyang …) whose facilities share the total."""
    county_codes: tuple[str, ...]
    resource: str
    base_year: int
    value: int
    """Units of the resource (beds, persons, vehicles) in the base year."""
    citation: Citation
    basis: str
    estimated: bool


@dataclass(frozen=True)
class GradeBeds:
    """Prior size and bed band of a grade."""

    typical: Fraction
    population_weighted: bool
    min_beds: int
    max_beds: int
    band_basis: str


@dataclass(frozen=True)
class StaffNorm:
    """Staffing weight and lower bounds of one resource at one grade."""

    weight_of: str
    weight: Fraction
    min_count: int
    min_per_bed: Fraction
    min_per_physician: Fraction
    max_per_physician: Fraction | None
    basis: str


@dataclass(frozen=True)
class SeedValue:
    """A base-year value a plan gives for one facility (``resource`` ``*``: every resource)."""

    county_code: str
    name: str
    resource: str
    method: str
    value: int | None
    citation: Citation
    basis: str


@dataclass(frozen=True)
class StockSpecs:
    """Everything the base-grade and stock steps read from ``specs/``."""

    grades: list[StatedGrade]
    totals: list[AreaTotal]
    beds: dict[str, GradeBeds]
    staff: dict[tuple[str, str], StaffNorm]
    eligible: dict[str, frozenset[str]]
    eligibility_basis: dict[str, str]
    seed_values: list[SeedValue]


def _fraction(problems: Problems, where: str, row: dict[str, str], field: str, default: str = "") -> Fraction:
    text = row[field] or default
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        problems.add(where, field, f"{row[field]!r} is not a number")
        return Fraction(0)
    if value < 0:
        problems.add(where, field, f"{row[field]!r} is negative")
    return value


def _whole(problems: Problems, where: str, row: dict[str, str], field: str, default: str = "") -> int:
    text = row[field] or default
    if not text.isdigit():
        problems.add(where, field, f"{row[field]!r} is not a whole number ≥ 0")
        return 0
    return int(text)


def _citation(problems: Problems, where: str, row: dict[str, str], *, required: bool) -> Citation:
    if not row["seed"] and not required and not row["line"] and not row["needle"]:
        return Citation()
    seed = problems.choice(where, row, "seed", PLAN_AREAS)
    if not row["line"].isdigit() or int(row["line"]) < 1:
        problems.add(where, "line", f"{row['line']!r} is not a line number")
    if not row["needle"]:
        problems.add(where, "needle", "empty; give the text the seed line must contain")
    return Citation(seed, int(row["line"]) if row["line"].isdigit() else 0, row["needle"])


def _grades(folder: Path, problems: Problems) -> list[StatedGrade]:
    columns = ("county_code", "name", "base_grade", "seed", "line", "needle")
    grades = []
    for where, row in spec_rows(folder, "base_grades.csv", columns, problems):
        grade = problems.choice(where, row, "base_grade", BASE_GRADES)
        citation = _citation(problems, where, row, required=True)
        tier = (
            "tier3"
            if "三级" in citation.needle
            else "tier2"
            if "二级" in citation.needle or "二甲" in citation.needle
            else ""
        )
        if not tier or not grade.endswith(tier):
            problems.add(where, "base_grade", f"{grade} does not match the grade stated in {citation.needle!r}")
        county = problems.choice(where, row, "county_code", STUDY_COUNTIES)
        grades.append(StatedGrade(county, row["name"], grade, citation))
    return grades


def _totals(folder: Path, problems: Problems) -> list[AreaTotal]:
    columns = (
        "area", "county_codes", "resource", "base_year", "value", "seed", "line", "needle", "basis", "estimated",
    )  # fmt: skip
    totals = []
    seen: set[tuple[str, str]] = set()
    for where, row in spec_rows(folder, "base_year_totals.csv", columns, problems):
        codes = tuple(row["county_codes"].split("|"))
        for code in codes:
            if code not in STUDY_COUNTIES:
                problems.add(where, "county_codes", f"{code!r} is not a study county")
        resource = problems.choice(where, row, "resource", STOCK_RESOURCES)
        if (row["area"], resource) in seen:
            problems.add(where, "resource", f"{row['area']} {resource} is given twice; keep one row")
        seen.add((row["area"], resource))
        year = _whole(problems, where, row, "base_year")
        if year != BASE_YEAR:
            problems.add(where, "base_year", f"{year} is not the base year {BASE_YEAR}")
        if not row["basis"]:
            problems.add(where, "basis", "empty; say how the total is found")
        totals.append(
            AreaTotal(
                area=row["area"],
                county_codes=codes,
                resource=resource,
                base_year=year,
                value=_whole(problems, where, row, "value"),
                citation=_citation(problems, where, row, required=False),
                basis=row["basis"],
                estimated=problems.flag(where, row, "estimated"),
            )
        )
    return totals


def _beds(folder: Path, problems: Problems) -> dict[str, GradeBeds]:
    columns = (
        "base_grade", "typical_beds", "population_weighted", "min_beds", "max_beds", "band_basis", "typical_basis",
    )  # fmt: skip
    beds = {}
    for where, row in spec_rows(folder, "grade_beds.csv", columns, problems):
        grade = problems.choice(where, row, "base_grade", BASE_GRADES)
        low, high = _whole(problems, where, row, "min_beds"), _whole(problems, where, row, "max_beds")
        if low > high:
            problems.add(where, "max_beds", f"{high} is below min_beds {low}")
        beds[grade] = GradeBeds(
            _fraction(problems, where, row, "typical_beds"),
            problems.flag(where, row, "population_weighted"),
            low,
            high,
            row["band_basis"],
        )
    for grade in sorted(set(BASE_GRADES) - set(beds)):
        problems.add("grade_beds.csv", "base_grade", f"no row for {grade}; add its prior size and band")
    return beds


def _staff(folder: Path, problems: Problems) -> dict[tuple[str, str], StaffNorm]:
    columns = (
        "base_grade", "resource", "weight_of", "weight", "min_count", "min_per_bed", "min_per_physician",
        "max_per_physician", "basis",
    )  # fmt: skip
    staff = {}
    for where, row in spec_rows(folder, "grade_staff.csv", columns, problems):
        key = (
            problems.choice(where, row, "base_grade", BASE_GRADES),
            problems.choice(where, row, "resource", STOCK_RESOURCES),
        )
        if key in staff:
            problems.add(where, "resource", f"{key[0]} {key[1]} is given twice")
        staff[key] = StaffNorm(
            weight_of=problems.choice(where, row, "weight_of", ("beds", "physicians")),
            weight=_fraction(problems, where, row, "weight"),
            min_count=_whole(problems, where, row, "min_count", "0"),
            min_per_bed=_fraction(problems, where, row, "min_per_bed", "0"),
            min_per_physician=_fraction(problems, where, row, "min_per_physician", "0"),
            max_per_physician=_fraction(problems, where, row, "max_per_physician")
            if row["max_per_physician"]
            else None,
            basis=row["basis"],
        )
    return staff


def _eligibility(folder: Path, problems: Problems) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    eligible, basis = {}, {}
    for where, row in spec_rows(folder, "stock_eligibility.csv", ("resource", "base_grades", "basis"), problems):
        resource = problems.choice(where, row, "resource", STOCK_RESOURCES)
        grades = BASE_GRADES if row["base_grades"] == "all" else tuple(row["base_grades"].split("|"))
        for grade in grades:
            if grade not in BASE_GRADES:
                problems.add(where, "base_grades", f"{grade!r} is not a grade")
        eligible[resource], basis[resource] = frozenset(grades), row["basis"]
    for resource in STOCK_RESOURCES:
        if resource not in eligible:
            problems.add("stock_eligibility.csv", "resource", f"no row for {resource}; say where it can be")
    return eligible, basis


def _seed_values(folder: Path, problems: Problems) -> list[SeedValue]:
    columns = ("county_code", "name", "resource", "method", "value", "seed", "line", "needle", "basis")
    values = []
    for where, row in spec_rows(folder, "facility_seed_values.csv", columns, problems):
        method = problems.choice(where, row, "method", STOCK_METHODS)
        resource = (
            row["resource"] if row["resource"] == "*" else problems.choice(where, row, "resource", STOCK_RESOURCES)
        )
        value = None
        if method != "seed_ratio_per_1000":
            value = _whole(problems, where, row, "value")
        elif row["value"]:
            problems.add(where, "value", "leave empty: the value is the ratio × the county's census population")
        citation = _citation(problems, where, row, required=True)
        if method == "seed" and value is not None and str(value) not in citation.needle:
            problems.add(where, "needle", f"the stated value {value} is not in {citation.needle!r}")
        county = problems.choice(where, row, "county_code", STUDY_COUNTIES)
        values.append(SeedValue(county, row["name"], resource, method, value, citation, row["basis"]))
    return values


def load_stock_specs(folder: Path = SPECS_DIR) -> StockSpecs:
    """Read every grade and stock spec file in ``folder``; raise ``ValueError`` listing all problems."""
    problems = Problems()
    grades = _grades(folder, problems)
    totals = _totals(folder, problems)
    beds = _beds(folder, problems)
    staff = _staff(folder, problems)
    eligible, eligibility_basis = _eligibility(folder, problems)
    seed_values = _seed_values(folder, problems)
    with_total = {t.resource for t in totals}
    for resource in sorted(with_total - {"beds"}):
        for grade in sorted(eligible.get(resource, frozenset())):
            if (grade, resource) not in staff:
                problems.add("grade_staff.csv", "resource", f"no weight for {resource} at {grade}, where it can be")
    for grade, resource in sorted(staff):
        if grade not in eligible.get(resource, frozenset()):
            problems.add("grade_staff.csv", "resource", f"{resource} has a weight at {grade}, where it cannot be")
    if problems.messages:
        raise ValueError(f"{len(problems.messages)} problem(s) in {folder}:\n" + "\n".join(problems.messages))
    return StockSpecs(grades, totals, beds, staff, eligible, eligibility_basis, seed_values)


def check_stock_citations(specs: StockSpecs, read: dict[str, list[str]]) -> None:
    """Fail unless every citation's needle starts on its seed line (``read``: seed → its lines)."""
    citations = [g.citation for g in specs.grades] + [t.citation for t in specs.totals]
    citations += [v.citation for v in specs.seed_values]
    for citation in citations:
        if citation.seed:
            check_citation(read[citation.seed], citation.line, citation.needle, citation.seed)
