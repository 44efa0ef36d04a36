"""The facility_stock.csv section of data/facilities/PROVENANCE.md, filled from one build's rows and totals."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from data_build.config import STOCK_RESOURCES
from data_build.facility_stock import TotalUse
from data_build.provenance_text import (
    AREA_GAP_NOTES,
    METHOD_DOCS,
    NO_TOTAL_NOTES,
    RESIDUAL_REASONS,
    STOCK_COLUMN_DOCS,
    STOCK_PROVENANCE,
)
from data_build.stock_specs import StockSpecs

SEED_METHODS = ("seed", "seed_ratio_per_1000", "planned_new_build")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _area_of(uses: list[TotalUse]) -> dict[str, str]:
    """County code → area id."""
    return {code: use.total.area for use in uses for code in use.total.county_codes}


def _totals_table(uses: list[TotalUse]) -> str:
    rows = []
    for use in uses:
        t = use.total
        source = f"{t.citation}: {t.basis}" if t.citation.seed else t.basis
        capacity = "" if use.capacity is None else f"{use.capacity:,}"
        rows.append(
            [
                t.area, t.resource, f"{t.value:,}", "yes" if t.estimated else "no", source, str(use.facilities),
                str(use.from_seed), capacity, f"{t.value - max(use.residual, 0):,}", f"{max(use.residual, 0):,}",
                str(use.capped),
            ]
        )  # fmt: skip
    header = (
        "area", "resource", "total", "total estimated", "source", "facilities", "from plan", "capacity",
        "placed", "not placed", "at max",
    )  # fmt: skip
    return _table(header, rows)


def _counts_table(rows: list[list[str]], area_of: dict[str, str], county_of: dict[str, str]) -> str:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        area = area_of[county_of[row[0]]]
        kind = row[5] if row[5] in SEED_METHODS else "estimated"
        counts[area][kind] += 1
    kinds = ("seed", "seed_ratio_per_1000", "planned_new_build", "estimated")
    table = [[area, *(str(counts[area][k]) for k in kinds), str(sum(counts[area].values()))] for area in sorted(counts)]
    total = [sum(counts[a][k] for a in counts) for k in kinds]
    table.append(["all", *map(str, total), str(sum(total))])
    return _table(("area", "seed figure", "seed ratio", "planned new build", "estimated", "rows"), table)


def _warnings(uses: list[TotalUse]) -> str:
    lines = []
    for use in uses:
        if use.total.resource != "beds" or use.capacity is None:
            continue
        t = use.total
        share = t.value / use.capacity
        if use.residual > 0:
            lines.append(
                f"- **{t.area}**: the total {t.value:,} exceeds what the {use.facilities} facilities can hold "
                f"inside their bands ({use.capacity:,}): all sit at their maximum and {use.residual:,} beds are "
                f"not placed: they stand for {RESIDUAL_REASONS.get(t.area, 'facilities not listed')}."
            )
        elif share >= 0.9:
            lines.append(
                f"- **{t.area}**: the total {t.value:,} is {share:.0%} of what the {use.facilities} facilities can "
                f"hold inside their bands ({use.capacity:,}); {use.capped} of them sit at their maximum."
            )
    lines.append(
        "- So the bed estimates are pinned near the band maxima, and a facility at its maximum cannot "
        "grow in a plan whose bands are hard. The scenario totals (`baseline_modelled`) count the whole "
        "area's beds in the listed facilities; only Lu's (003 L211) is scoped to them. Before a scenario "
        "uses this file, move the stock of facilities that are not listed into `other_stock` and lower "
        "`baseline_modelled` to the placed sum (the `placed` column). In Lu the facilities are the plan's "
        "own scope, and the pinning comes from 泸县人民医院's default tier 2 (≤ 499 beds): the plan sizes it "
        "at 800 for 2025 (003 L384) and sends it to 三级甲等 (003 L581)."
    )
    lines.append(
        "- Staff totals have no upper bounds and are all placed; they too count the whole area's staff "
        "(city-level and private hospitals, clinics) in the listed facilities, so per-facility staff are high."
    )
    return "\n".join(lines)


def _gaps(uses: list[TotalUse]) -> str:
    with_total = {(u.total.area, u.total.resource) for u in uses}
    areas = sorted({u.total.area for u in uses})
    lines = []
    for resource in STOCK_RESOURCES:
        if resource in NO_TOTAL_NOTES:
            continue
        missing = [a for a in areas if (a, resource) not in with_total]
        for area in missing:
            note = AREA_GAP_NOTES.get((area, resource), "the plan and the scenario give no base-year total")
            lines.append(f"- {area} {resource}: {note}.")
    return "\n".join(lines)


def stock_provenance(
    rows: list[list[str]], uses: list[TotalUse], specs: StockSpecs, county_of: dict[str, str], names: dict[str, str]
) -> str:
    """The facility_stock.csv section of data/facilities/PROVENANCE.md."""
    area_of = _area_of(uses)
    methods = Counter(row[5] for row in rows)
    real = [
        f"{names[row[0]]} ({row[0]}) {row[1]} {row[3]} — {row[5]}, {row[6].split(':')[0]}:{row[6].split(':')[1]}"
        for row in rows
        if row[5] in SEED_METHODS
    ]
    with_total = {u.total.resource for u in uses}
    no_total = [
        f"- {resource}: {NO_TOTAL_NOTES[resource]}. Could be held by the grades "
        f"{', '.join(sorted(specs.eligible[resource]))} ({specs.eligibility_basis[resource]})."
        for resource in STOCK_RESOURCES
        if resource not in with_total and resource in NO_TOTAL_NOTES
    ]
    return STOCK_PROVENANCE.format(
        count=len(rows),
        columns=_table(STOCK_COLUMN_DOCS[0], STOCK_COLUMN_DOCS[1:]),
        methods=_table(
            ("method", "meaning", "rows"), [(m, METHOD_DOCS[m], str(methods[m])) for m in METHOD_DOCS if methods[m]]
        ),
        real="; ".join(real) or "nothing",
        totals=_totals_table(uses),
        counts=_counts_table(rows, area_of, county_of),
        warnings=_warnings(uses),
        no_total="\n".join(no_total),
        gaps=_gaps(uses),
    )
