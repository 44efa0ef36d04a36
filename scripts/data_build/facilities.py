"""facilities.csv rows: each plan's named facilities plus rule-based THCs/CHCs.

Every township a plan leaves without a THC/CHC gets one by rule. Facilities are numbered per town
and level and placed at their township (or county) seat. A county-level hospital whose published
address (data-raw fever-clinic list) names a township of its county is placed in that township.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from data_build.config import LEVEL_CODES, PLAN_AREAS, PLANS_NAMING_EVERY_SUBCENTRE, STUDY_COUNTIES
from data_build.geo import Point
from data_build.raw import FEVER_CLINICS
from data_build.records import County, FacilitySpec, Township
from data_build.tabular import fmt_bool, fmt_coord

FACILITY_COLUMNS = (
    "facility_id", "name", "county_code", "town_code", "level", "ownership", "plan_role",
    "subcentre_candidate", "named_subcentre", "named_emergency_station", "source",
    "lon", "lat", "location_source", "location_estimated", "base_grade", "base_grade_source",
)  # fmt: skip


def address_town(address: str, towns: list[Township]) -> Township | None:
    """The one township of the county whose full name the address contains; None when none does."""
    named = [t for t in towns if t.name in address]
    if len(named) > 1:
        raise ValueError(f"address {address!r} names several townships: {', '.join(t.name for t in named)}")
    return named[0] if named else None


def place_by_address(
    specs_by_seed: dict[str, list[FacilitySpec]],
    clinics: list[dict[str, str]],
    towns: list[Township],
) -> tuple[dict[str, list[FacilitySpec]], list[str]]:
    """Specs with county-level hospitals moved from the county seat to the township their address names,
    and one note per move."""
    by_county: dict[str, list[Township]] = {}
    for town in towns:
        by_county.setdefault(town.county_code, []).append(town)
    moves: dict[tuple[str, str], tuple[Township, str]] = {}
    for clinic in clinics:
        named = address_town(clinic["address"], by_county.get(clinic["county_code"], []))
        if clinic["address"] and named is not None:
            moves[(clinic["county_code"], clinic["name"])] = (named, clinic["address"])
    moved: dict[str, list[FacilitySpec]] = {}
    notes: list[str] = []
    used = set()
    for seed, specs in specs_by_seed.items():
        moved[seed] = []
        for spec in specs:
            move = moves.get((spec.county_code, spec.name))
            if move is not None and spec.town_code is None:
                town, address = move
                used.add((spec.county_code, spec.name))
                notes.append(
                    f"{spec.name}: {town.code} {town.name}, by its address {address} (data-raw/{FEVER_CLINICS})"
                )
                spec = replace(spec, town_code=town.code, town_source=f"data-raw/{FEVER_CLINICS} ({address})")
            moved[seed].append(spec)
    unused = sorted(f"{c} {n}" for c, n in set(moves) - used)
    if unused:
        raise ValueError(f"{FEVER_CLINICS}: addressed hospitals match no county-seat facility: {', '.join(unused)}")
    return moved, notes


def rule_spec(town: Township, citation: str) -> FacilitySpec | None:
    """The rule-based government THC (镇/乡) or CHC (街道) of a township; None for 其他 units."""
    short = STUDY_COUNTIES[town.county_code]
    source = f"rule: one THC/CHC per township seat ({citation})"
    if town.type == "街道":
        return FacilitySpec(
            town.county_code, f"{short}{town.name}社区卫生服务中心", "chc", source, 0, "", town_code=town.code
        )
    if town.type in ("镇", "乡"):
        return FacilitySpec(town.county_code, f"{short}{town.name}卫生院", "thc", source, 0, "", town_code=town.code)
    return None


def facility_rows(
    specs_by_seed: dict[str, list[FacilitySpec]],
    rule_citations: dict[str, str],
    towns: dict[str, Township],
    counties: dict[str, County],
    seat_towns: dict[str, Township],
) -> list[list[str]]:
    """facilities.csv rows: named facilities plus one rule THC/CHC for every township without one."""
    rows: list[list[str]] = []
    counter: Counter[tuple[str, str]] = Counter()
    for seed, specs in specs_by_seed.items():
        covered = {s.town_code for s in specs if s.level in ("central_thc", "thc", "chc")}
        rule_specs = [
            spec
            for town in sorted(towns.values(), key=lambda t: t.code)
            if town.county_code in PLAN_AREAS[seed] and town.code not in covered
            and (spec := rule_spec(town, rule_citations[seed])) is not None
        ]  # fmt: skip
        for spec in specs + rule_specs:
            rows.append(facility_row(spec, seed, towns, counties, seat_towns, counter))
    return sorted(rows, key=lambda r: r[0])


def facility_row(
    spec: FacilitySpec,
    seed: str,
    towns: dict[str, Township],
    counties: dict[str, County],
    seat_towns: dict[str, Township],
    counter: Counter[tuple[str, str]],
) -> list[str]:
    """One facilities.csv row; ``counter`` numbers facilities per (town, level code)."""
    at_seat = spec.town_code is None
    town = seat_towns[spec.county_code] if at_seat else towns[spec.town_code]  # type: ignore[index]
    code = LEVEL_CODES[spec.level]
    counter[(town.code, code)] += 1
    point: Point | None
    if at_seat:
        point, location_source = counties[spec.county_code].seat, "county_seat_approximate"
    else:
        point = town.point
        location_source = {
            "adcode2016_gcj02_converted": "township_seat_approximate",
            "geonames_wgs84": "township_seat_approximate",
            "county_seat_approximate": "county_seat_approximate",
        }.get(town.location_source, "missing")
    candidate = spec.level == "central_thc" or (
        seed not in PLANS_NAMING_EVERY_SUBCENTRE and spec.level == "thc" and town.type == "镇"
    )
    source = spec.seed if spec.line == 0 else f"{spec.seed}:L{spec.line}"
    if spec.town_source:
        source += f"; town: {spec.town_source}"
    return [
        f"{town.code}-{code}{counter[(town.code, code)]}",
        spec.name,
        spec.county_code,
        town.code,
        spec.level,
        "public",
        spec.plan_role,
        fmt_bool(candidate),
        fmt_bool(spec.named_subcentre),
        fmt_bool(spec.named_emergency_station),
        source,
        fmt_coord(point.lon if point else None),
        fmt_coord(point.lat if point else None),
        location_source,
        "true",
    ]
