"""Township population from the 2020 census.

2016 village units are assigned to current townships, county census totals are allocated by them,
Xiushan keeps its bulletin values, and rounding is exact (largest remainder, half up).
"""

from __future__ import annotations

import math
from fractions import Fraction

from data_build.config import XIUSHAN_SHARED, XIUSHAN_SHARED_POP
from data_build.geo import great_circle_km
from data_build.names import name_stem
from data_build.records import BuildLog, County, Town2016, Township
from data_build.specs import Mergers
from data_build.townships import nearest_real


def largest_remainder(weights: dict[str, Fraction], total: int) -> dict[str, int]:
    """Round ``weights`` (summing to ``total``) to integers summing to ``total``; ties by key."""
    floors = {key: math.floor(w) for key, w in weights.items()}
    shortfall = total - sum(floors.values())
    order = sorted(weights, key=lambda key: (-(weights[key] - floors[key]), key))
    for key in order[:shortfall]:
        floors[key] += 1
    return floors


def share_of(population: int, share_pct: str) -> int:
    """``population × share_pct / 100`` rounded half up, computed exactly from the printed share."""
    return math.floor(population * Fraction(share_pct) / 100 + Fraction(1, 2))


def assign_units(towns: list[Township], towns_2016: list[Town2016], mergers: Mergers, log: BuildLog) -> None:
    """Count 2016 village-level units (urban 1xx / rural other) per current township of one county.

    ``mergers`` maps a 2016 township name to (current township name, citation) for this county.
    """
    by_stem = {t.stem: t for t in towns}
    by_name = {t.name: t for t in towns}
    for old in towns_2016:
        target = by_stem.get(name_stem(old.name))
        if target is None and old.name in mergers:
            new_name, citation = mergers[old.name]
            target = by_name[new_name]
            units = len(old.unit_codes)
            log.note(f"2016 {old.code} {old.name} ({units} units) → {target.code} {new_name} ({citation})")
        if target is None and old.point is not None:
            target = nearest_real(old.point, towns)
            km = great_circle_km(old.point, target.point)  # type: ignore[arg-type]
            log.note(
                f"2016 {old.code} {old.name} ({len(old.unit_codes)} units) → nearest {target.code} "
                f"{target.name} ({km:.1f} km)"
            )
        if target is None:
            log.note(f"2016 {old.code} {old.name}: no name match, no point → {len(old.unit_codes)} units left out")
            continue
        urban = sum(code.startswith("1") for code in old.unit_codes)
        target.urban_units += urban
        target.rural_units += len(old.unit_codes) - urban
        uncoded = sum(code == "" for code in old.unit_codes)
        if uncoded:
            log.note(f"2016 {old.code} {old.name}: {uncoded} units without 城乡分类代码, counted rural")


def allocate_county(towns: list[Township], county: County, log: BuildLog) -> None:
    """Allocate the county census total to townships by 2016 urban/rural village units."""
    urban_units = sum(t.urban_units for t in towns)
    rural_units = sum(t.rural_units for t in towns)
    if urban_units == 0 or rural_units == 0:
        raise ValueError(f"{county.code}: needs both urban and rural 2016 units ({urban_units}, {rural_units})")
    mean = Fraction(county.population, urban_units + rural_units)
    empty = [t for t in towns if t.units == 0]
    scale = Fraction(county.population - len(empty) * mean, county.population)
    per_urban = county.urban * scale / urban_units
    per_rural = county.rural * scale / rural_units
    weights = {t.code: (mean if t.units == 0 else t.urban_units * per_urban + t.rural_units * per_rural) for t in towns}
    rounded = largest_remainder(weights, county.population)
    for town in towns:
        town.population = rounded[town.code]
        town.population_estimated = True
        if town.units == 0:
            town.population_source = "estimated: no 2016 unit assigned, county mean per unit (census 2020 total)"
            log.note(f"{town.code} {town.name}: no 2016 unit → county mean per unit ({town.population})")
        else:
            town.population_source = "estimated: census 2020 county total by 2016 urban/rural village units"
        if town.type == "其他":
            town.population_source += "; non-administrative unit (劳动教育管理所)"


def allocate_xiushan(towns: list[Township], bulletin: dict[str, int], log: BuildLog) -> None:
    """Real bulletin values; split the shared 51,816 by 2016 unit counts (≥ 1 each)."""
    for town in towns:
        if town.code in XIUSHAN_SHARED:
            continue
        town.population = bulletin[town.code]
        town.population_estimated = False
        town.population_source = "census 2020 township bulletin (秀山县七普公报 表1-1)"
    pair = [t for t in towns if t.code in XIUSHAN_SHARED]
    weights_units = {t.code: max(t.units, 1) for t in pair}
    total_units = sum(weights_units.values())
    weights = {code: Fraction(XIUSHAN_SHARED_POP * n, total_units) for code, n in weights_units.items()}
    rounded = largest_remainder(weights, XIUSHAN_SHARED_POP)
    for town in pair:
        town.population = rounded[town.code]
        town.population_estimated = True
        town.population_source = (
            f"estimated: census 2020 value {XIUSHAN_SHARED_POP} shared with "
            f"{'龙凤坝镇' if town.code == XIUSHAN_SHARED[0] else '清溪场街道'}, split by 2016 village units "
            f"({weights_units[town.code]} of {total_units})"
        )
        if town.units == 0:
            town.population_source += "; no 2016 unit assigned, counted as 1"
        log.note(f"Xiushan shared value: {town.code} {town.name} gets {town.population} ({town.units} units)")
