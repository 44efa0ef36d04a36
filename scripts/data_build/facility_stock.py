"""facility_stock.csv: the base-year stock of every facility, resource by resource.

A value comes from the plan where it states one for the facility (``specs/facility_seed_values.csv``: a
figure, a per-1,000 ratio that concerns this facility alone, or a new build with no stock). Otherwise it
is an estimate: the area's base-year total (``specs/base_year_totals.csv``) less the plan-given values,
shared over the area's facilities that can hold the resource (``specs/stock_eligibility.csv``) in
proportion to a weight, inside bounds (``data_build.allocation``):

- beds: the plan's own size of the facility where it states one (Lu's Table 2 of 2025 beds, whose
  total 3,439 is within 1 % of the 2020 total 3,470: the best evidence of how the beds are spread), else
  the prior size of the facility's grade (``specs/grade_beds.csv``), for THCs/CHCs times
  ``1/2 + 1/2 × township population / mean township population of the area's THCs/CHCs``; bounds: the
  grade's bed band;
- staff: the facility's beds (or physicians) times the grade's weight (``specs/grade_staff.csv``); lower
  bounds: the grade's minimum count, per bed and per physician; a physician kind (GPs, TCM physicians …)
  never exceeds the facility's physicians.

Integers by largest remainder (ties by facility id), so each area sums exactly to its total whenever the
bounds allow; otherwise the facilities sit at their bounds and the residual is reported in PROVENANCE.md.
A resource without an area total gets no rows.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from data_build.allocation import Item, Shares, share
from data_build.config import ALLOCATION_ORDER, PHYSICIAN_SUBSETS, STOCK_RESOURCES
from data_build.records import County, Township
from data_build.stock_specs import AreaTotal, SeedValue, StockSpecs
from data_build.tabular import fmt_bool

STOCK_COLUMNS = ("facility_id", "resource", "base_year", "value", "estimated", "method", "source")
ESTIMATE = "area_total_by_grade_weight"


@dataclass(frozen=True)
class StockFacility:
    """What the stock step needs of a facilities.csv row."""

    facility_id: str
    name: str
    county_code: str
    level: str
    grade: str
    population: int
    planned_beds: tuple[int, str] | None = None
    """The plan's own per-facility size and its citation (Lu's Table 2), used as the relative size."""


@dataclass(frozen=True)
class TotalUse:
    """How one area total was placed, for PROVENANCE.md."""

    total: AreaTotal
    facilities: int
    from_seed: int
    estimated: int
    residual: int
    capped: int
    floored: int
    capacity: int | None


def stock_facilities(
    rows: list[list[str]], towns: dict[str, Township], planned: dict[tuple[str, str], tuple[int, str]]
) -> list[StockFacility]:
    """The stock view of facilities.csv rows (with their grade columns); `planned[(county, name)]` is a
    plan's own size for the facility with its citation (Lu's Table 2 of 2025 beds)."""
    return [
        StockFacility(r[0], r[1], r[2], r[4], r[15], towns[r[3]].population, planned.get((r[2], r[1]))) for r in rows
    ]


def seed_value(value: SeedValue, county: County) -> int:
    """The value a plan gives for a facility; a per-1,000 ratio × the county's census population, half up."""
    if value.method != "seed_ratio_per_1000":
        return value.value or 0
    ratio = Decimal(re.findall(r"\d+(?:\.\d+)?", value.citation.needle)[-1])
    return int((ratio * county.population / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class _Area:
    """The facilities of one scenario area and the values placed so far."""

    def __init__(self, facilities: list[StockFacility], specs: StockSpecs) -> None:
        self.facilities = facilities
        self.specs = specs
        primary = [f.population for f in facilities if specs.beds[f.grade].population_weighted]
        self.mean_population = Fraction(sum(primary), len(primary)) if primary else Fraction(1)
        self.values: dict[tuple[str, str], int] = {}

    def prior_beds(self, f: StockFacility) -> Fraction:
        """Relative size: the plan's own size of the facility where it states one (the best evidence of
        how the area's beds are spread), else the grade's typical size (× the township factor)."""
        if f.planned_beds is not None:
            return Fraction(f.planned_beds[0])
        grade = self.specs.beds[f.grade]
        if not grade.population_weighted:
            return grade.typical
        return grade.typical * (Fraction(1, 2) + Fraction(f.population) / (2 * self.mean_population))

    def beds(self, f: StockFacility) -> Fraction:
        value = self.values.get(("beds", f.facility_id))
        return Fraction(value) if value is not None else self.prior_beds(f)

    def physicians(self, f: StockFacility) -> Fraction | None:
        value = self.values.get(("physicians", f.facility_id))
        return Fraction(value) if value is not None else None

    def item(self, resource: str, f: StockFacility) -> Item:
        """Weight and bounds of facility ``f`` for ``resource``."""
        if resource == "beds":
            band = self.specs.beds[f.grade]
            # A size the plan itself states outweighs the grade's band as evidence: no upper bound then
            # (Lu's 人民医院 is sized 800 for 2025; its base-year grade is not stated, see base_grades.csv).
            return Item(self.prior_beds(f), band.min_beds, None if f.planned_beds else band.max_beds)
        norm = self.specs.staff[(f.grade, resource)]
        beds, physicians = self.beds(f), self.physicians(f)
        if norm.weight_of == "beds" or physicians is None:
            basis = beds if norm.weight_of == "beds" else beds * self.specs.staff[(f.grade, "physicians")].weight
        else:
            basis = physicians
        low = max(norm.min_count, math.ceil(norm.min_per_bed * beds))
        if physicians is not None:
            low = max(low, math.ceil(norm.min_per_physician * physicians))
        high = None
        if resource in PHYSICIAN_SUBSETS and physicians is not None:
            high = math.floor(physicians * (norm.max_per_physician if norm.max_per_physician is not None else 1))
        return Item(norm.weight * basis, low if high is None else min(low, high), high)


def _describe(resource: str, f: StockFacility, specs: StockSpecs) -> str:
    if resource == "beds" and f.planned_beds is not None:
        band = specs.beds[f.grade]
        return (
            f"grade {f.grade}: prior = the plan's 2025 size {f.planned_beds[0]} beds ({f.planned_beds[1]}) as the "
            f"relative size, at least {band.min_beds} (the plan's size outweighs the grade's upper bound)"
        )
    if resource == "beds":
        band = specs.beds[f.grade]
        weighted = " × township population factor" if band.population_weighted else ""
        return f"grade {f.grade}: prior {float(band.typical):g} beds{weighted}, band {band.min_beds}–{band.max_beds}"
    norm = specs.staff[(f.grade, resource)]
    return f"grade {f.grade}: {float(norm.weight):g} per {norm.weight_of[:-1]}"


def _total_source(total: AreaTotal) -> str:
    where = str(total.citation) or "specs/base_year_totals.csv (no seed figure)"
    return f"total {where}: {total.area} {total.resource} {total.value}"


def stock_rows(
    facilities: list[StockFacility], counties: dict[str, County], specs: StockSpecs
) -> tuple[list[list[str]], list[TotalUse]]:
    """facility_stock.csv rows (sorted by facility, then resource) and how each area total was used."""
    by_area: dict[str, list[AreaTotal]] = defaultdict(list)
    for total in specs.totals:
        by_area[total.area].append(total)
    given = {(v.county_code, v.name, v.resource): v for v in specs.seed_values}
    unknown = sorted({(c, n) for c, n, _ in given} - {(f.county_code, f.name) for f in facilities})
    if unknown:
        raise ValueError(f"specs/facility_seed_values.csv names no facility: {unknown}")
    rows: list[list[str]] = []
    uses: list[TotalUse] = []
    for area_id in sorted(by_area):
        totals = {t.resource: t for t in by_area[area_id]}
        codes = set(next(iter(totals.values())).county_codes)
        area = _Area([f for f in facilities if f.county_code in codes], specs)
        for resource in [r for r in ALLOCATION_ORDER if r in totals]:
            use = _place(area, totals[resource], given, counties, rows)
            uses.append(use)
    order = {r: i for i, r in enumerate(STOCK_RESOURCES)}
    return sorted(rows, key=lambda r: (r[0], order[r[1]])), uses


def _place(
    area: _Area,
    total: AreaTotal,
    given: dict[tuple[str, str, str], SeedValue],
    counties: dict[str, County],
    rows: list[list[str]],
) -> TotalUse:
    """Place one area total: plan-given values first, the rest shared; append the rows to ``rows``."""
    specs, resource = area.specs, total.resource
    eligible = [f for f in area.facilities if f.grade in specs.eligible[resource]]
    fixed: dict[str, tuple[int, SeedValue]] = {}
    for f in eligible:
        spec = given.get((f.county_code, f.name, resource)) or given.get((f.county_code, f.name, "*"))
        if spec is not None:
            fixed[f.facility_id] = (seed_value(spec, counties[f.county_code]), spec)
    free = [f for f in eligible if f.facility_id not in fixed]
    items = {f.facility_id: area.item(resource, f) for f in free}
    placed = sum(v for v, _ in fixed.values())
    shares = share(total.value - placed, items)
    for f in eligible:
        if f.facility_id in fixed:
            value, spec = fixed[f.facility_id]
            estimated = spec.method == "seed_ratio_per_1000"
            cells = [fmt_bool(estimated), spec.method, f"{spec.citation}: {spec.basis}"]
        else:
            value = shares.values[f.facility_id]
            source = f"{_total_source(total)}; {_describe(resource, f, specs)}"
            cells = ["true", _method(f.facility_id, shares), source]
        area.values[(resource, f.facility_id)] = value
        rows.append([f.facility_id, resource, str(total.base_year), str(value), *cells])
    highs = [i.high for i in items.values()]
    return TotalUse(
        total=total,
        facilities=len(eligible),
        from_seed=len(fixed),
        estimated=len(free),
        residual=shares.residual,
        capped=len(shares.capped),
        floored=len(shares.floored),
        capacity=None if None in highs else placed + sum(h for h in highs if h is not None),
    )


def _method(facility_id: str, shares: Shares) -> str:
    if facility_id in shares.capped:
        return f"{ESTIMATE}_at_max"
    if facility_id in shares.floored:
        return f"{ESTIMATE}_at_min"
    return ESTIMATE
