"""Township points and settlement class.

Name matching to 2016 units, the location fallback order, the county-seat township and the
urban/rural rule (see ``scripts/build_data.py``, Locations and Settlement class).
"""

from __future__ import annotations

from data_build.geo import Point, great_circle_km
from data_build.names import name_stem
from data_build.raw import GeoNamesPlace
from data_build.records import BuildLog, Town2016, Township

URBAN_SHARE_THRESHOLD = 0.5


def match_2016(towns: list[Township], towns_2016: list[Town2016], log: BuildLog) -> dict[str, Town2016]:
    """Map current township code → same-stem 2016 unit of the same county."""
    by_stem: dict[str, Town2016] = {}
    for old in towns_2016:
        stem = name_stem(old.name)
        if stem in by_stem:
            raise ValueError(f"two 2016 units share the stem {stem}: {by_stem[stem].name}, {old.name}")
        by_stem[stem] = old
    matches = {}
    for town in towns:
        if town.stem in by_stem:
            matches[town.code] = by_stem[town.stem]
            if by_stem[town.stem].name != town.name:
                log.note(f"name match {town.code} {town.name} ← 2016 {by_stem[town.stem].name}")
    return matches


def locate(
    towns: list[Township],
    matches: dict[str, Town2016],
    geonames: list[GeoNamesPlace],
    seat: Point,
) -> None:
    """Set each township's point and location flags by the fallback order (adcode, GeoNames, seat, none)."""
    for town in towns:
        matched = matches.get(town.code)
        places = sorted(gid for gid, names, _ in geonames if {town.name, town.stem} & names)
        if matched is not None and matched.point is not None:
            town.point, town.location_source, town.location_estimated = (
                matched.point,
                "adcode2016_gcj02_converted",
                False,
            )
        elif places:
            point = next(p for gid, _, p in geonames if gid == places[0])
            town.point, town.location_source, town.location_estimated = point, "geonames_wgs84", False
        elif town.type == "街道":
            town.point, town.location_source, town.location_estimated = seat, "county_seat_approximate", True
        else:
            town.point, town.location_source, town.location_estimated = None, "missing", True


def nearest_real(point: Point, towns: list[Township]) -> Township:
    """The township with a real point nearest to ``point`` (ties by code)."""
    candidates = [t for t in towns if t.has_real_point]
    return min(candidates, key=lambda t: (great_circle_km(point, t.point), t.code))  # type: ignore[arg-type]


def seat_township(towns: list[Township], seat: Point) -> Township:
    """The county-seat township: nearest real point to the seat among 街道 (if any) or all units.

    Without any real point among the candidates (county-seat streets placed at the seat), the
    lowest-coded candidate is taken.
    """
    streets = [t for t in towns if t.type == "街道"]
    candidates = streets or towns
    located = [t for t in candidates if t.has_real_point]
    if not located:
        return min(candidates, key=lambda t: t.code)
    return nearest_real(seat, located)


def urban_share(town: Township) -> float | None:
    """Share of the township's 2016 units coded 1xx, or None without units."""
    return town.urban_units / town.units if town.units else None


def classify(towns: list[Township], seat: Point) -> None:
    """Urban/rural class per township: 街道, else the county-seat town, else the 2016 urban share."""
    has_streets = any(t.type == "街道" for t in towns)
    seat_town = None if has_streets else seat_township(towns, seat)
    for town in towns:
        share = urban_share(town)
        if town.type == "街道":
            town.settlement_class, town.settlement_class_source = "urban", "街道 unit"
        elif town is seat_town:
            town.settlement_class = "urban"
            town.settlement_class_source = "county-seat town (point nearest the county seat)"
        elif share is None:
            town.settlement_class, town.settlement_class_source = (
                "rural",
                "no 2016 village unit: default rural",
            )
        elif share >= URBAN_SHARE_THRESHOLD:
            town.settlement_class, town.settlement_class_source = (
                "urban",
                "2016 NBS urban-rural codes: share ≥ 0.5",
            )
        else:
            town.settlement_class, town.settlement_class_source = (
                "rural",
                "2016 NBS urban-rural codes: share < 0.5",
            )
