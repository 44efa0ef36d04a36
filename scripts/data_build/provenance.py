"""PROVENANCE.md of data/population and data/facilities.

The counts and edge cases measured in this build are filled into the fixed text of
``provenance_text``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from data_build.config import LEVEL_CODES, STUDY_COUNTIES
from data_build.facility_stock import TotalUse
from data_build.geo import Point, great_circle_km
from data_build.provenance_text import (
    COUNTY_COLUMN_DOCS,
    FACILITIES_PROVENANCE,
    FACILITY_COLUMN_DOCS,
    POPULATION_PROVENANCE,
    SOURCES_TABLE,
    TOWNSHIP_COLUMN_DOCS,
)
from data_build.records import BuildLog, Township
from data_build.stock_provenance import stock_provenance
from data_build.stock_specs import StockSpecs

LOCATION_KEYS = ("adcode2016_gcj02_converted", "geonames_wgs84", "county_seat_approximate", "missing")


def location_counts(towns: list[Township]) -> list[list[str]]:
    """Per county: total, adcode, GeoNames, county-seat fallback, missing."""
    rows = []
    for code in sorted(STUDY_COUNTIES):
        sources = Counter(t.location_source for t in towns if t.county_code == code)
        counts = [sum(sources.values())] + [sources[key] for key in LOCATION_KEYS]
        rows.append([code, STUDY_COUNTIES[code], *map(str, counts)])
    return rows


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def population_provenance(towns: list[Township], log: BuildLog) -> str:
    """PROVENANCE.md of data/population, with the measured counts and edge cases."""
    located = location_counts(towns)
    missing = [f"{t.code} {t.name}" for t in towns if t.location_source == "missing"]
    seat_approx = [f"{t.code} {t.name}" for t in towns if t.location_source == "county_seat_approximate"]
    unitless = [f"{t.code} {t.name}" for t in towns if t.units == 0]
    classes = Counter(t.settlement_class for t in towns)
    shifts = [
        great_circle_km(t.point, Point(t.point.lon_gcj02, t.point.lat_gcj02)) * 1000
        for t in towns
        if t.point is not None and t.point.lon_gcj02 is not None and t.point.lat_gcj02 is not None
    ]
    return POPULATION_PROVENANCE.format(
        sources_table=markdown_table(SOURCES_TABLE[0], SOURCES_TABLE[1:]),
        county_columns=markdown_table(COUNTY_COLUMN_DOCS[0], COUNTY_COLUMN_DOCS[1:]),
        township_columns=markdown_table(TOWNSHIP_COLUMN_DOCS[0], TOWNSHIP_COLUMN_DOCS[1:]),
        gcj_range=f"{min(shifts):.0f}–{max(shifts):.0f} m",
        location_table=markdown_table(
            (
                "county",
                "name",
                "units",
                "adcode (real)",
                "GeoNames (real)",
                "county seat (approx.)",
                "missing",
            ),
            located,
        ),
        real=sum(1 for t in towns if t.has_real_point),
        seat_approx=", ".join(seat_approx),
        missing=", ".join(missing),
        unitless=", ".join(unitless) or "none",
        urban=classes["urban"],
        rural=classes["rural"],
        estimated=sum(t.population_estimated for t in towns),
        notes="\n".join(f"- {n}" for n in log.notes),
    )


def facilities_provenance(
    rows: list[list[str]], moves: list[str], stock: list[list[str]], uses: list[TotalUse], specs: StockSpecs
) -> str:
    """PROVENANCE.md of data/facilities: counts per county and level, base grades, moves, base-year stock."""
    per_county: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        per_county[row[2]][row[4]] += 1
    levels = list(LEVEL_CODES)
    table = markdown_table(
        ("county", *levels, "total"),
        [
            [code, *(str(per_county[code][lv]) for lv in levels), str(sum(per_county[code].values()))]
            for code in sorted(per_county)
        ],
    )
    unplaced = [f"{r[0]} {r[1]}" for r in rows if r[13] == "missing"]
    grades: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        grades[row[4]][row[15]] += 1
    grade_table = markdown_table(
        ("level", "base grades (facilities)"),
        [[lv, ", ".join(f"{g} {n}" for g, n in sorted(grades[lv].items()))] for lv in levels if grades[lv]],
    )
    stated = sum(not r[16].startswith("rule") for r in rows)
    return FACILITIES_PROVENANCE.format(
        count=len(rows),
        columns=markdown_table(FACILITY_COLUMN_DOCS[0], FACILITY_COLUMN_DOCS[1:]),
        table=table,
        rule=sum(r[10].startswith("rule") for r in rows),
        unplaced=", ".join(unplaced) or "none",
        moves="\n".join(f"  - {m}" for m in moves) or "  - none",
        stated=stated,
        default=len(rows) - stated,
        grade_table=grade_table,
        stock=stock_provenance(stock, uses, specs, {r[0]: r[2] for r in rows}, {r[0]: r[1] for r in rows}),
    )
