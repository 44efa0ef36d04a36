"""Invariants of the committed data tables under ``data/`` (built by ``scripts/build_data.py``).

The last test rebuilds everything from the shared raw data into a temporary folder and compares bytes; it
is skipped when the raw data or the seed plans are not available on this machine.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, shape

from tests.support import DATA
from tests.support import ROOT as REPO_ROOT

RAW = Path(os.environ.get("SHARED_DATA_RAW") or REPO_ROOT / "../shared/data-raw").resolve()
SEEDS = Path(os.environ.get("SHARED_SEEDS") or REPO_ROOT / "../shared/seeds").resolve()
PLAN_TARGETS = Path(
    os.environ.get("SHARED_PLAN_TARGETS") or REPO_ROOT / "../shared/plan-targets/targets.yaml"
).resolve()

XIUSHAN = "500241"
LU = "510521"
XIUSHAN_SHARED = {"500241005", "500241120"}
XIUSHAN_SHARED_POP = 51_816
# 秀山县第七次全国人口普查主要数据公报, 表1-1 (2020-11-01 resident population), keyed by NBS 2023 code.
XIUSHAN_BULLETIN = {
    "500241001": 103387, "500241002": 48205, "500241003": 45552, "500241004": 25978, "500241103": 12055,
    "500241104": 13793, "500241106": 24139, "500241107": 10305, "500241108": 14307, "500241109": 16416,
    "500241110": 10185, "500241111": 8046, "500241112": 30127, "500241113": 11784, "500241114": 6819,
    "500241115": 9314, "500241116": 5355, "500241117": 4370, "500241118": 7176, "500241119": 13946,
    "500241207": 4158, "500241208": 4025, "500241121": 4580, "500241214": 5491, "500241215": 4865,
}  # fmt: skip
LOCATION_SOURCES = {
    "adcode2016_gcj02_converted",
    "geonames_wgs84",
    "county_seat_approximate",
    "predecessor_town_point",
    "missing",
}
PRIMARY_LEVELS = {"thc", "central_thc", "chc"}
CONTAINMENT_TOLERANCE_M = 2_000.0
GCJ_SHIFT_RANGE_M = (250.0, 700.0)


def read_rows(relative: str) -> list[dict[str, str]]:
    """Rows of a committed CSV under data/."""
    with (DATA / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def townships() -> list[dict[str, str]]:
    """townships.csv rows."""
    return read_rows("population/townships.csv")


@pytest.fixture(scope="module")
def counties() -> dict[str, dict[str, str]]:
    """counties.csv rows by county code."""
    return {r["county_code"]: r for r in read_rows("population/counties.csv")}


@pytest.fixture(scope="module")
def facilities() -> list[dict[str, str]]:
    """facilities.csv rows."""
    return read_rows("facilities/facilities.csv")


def test_259_unique_nine_digit_codes(townships: list[dict[str, str]]) -> None:
    codes = [r["code"] for r in townships]
    assert len(codes) == 259
    assert len(set(codes)) == 259
    assert all(len(c) == 9 and c.isdigit() for c in codes)
    assert codes == sorted(codes)


def test_counties_are_the_13_study_units(townships: list[dict[str, str]], counties: dict[str, dict[str, str]]) -> None:
    assert len(counties) == 13
    assert {r["county_code"] for r in townships} == set(counties)


def test_allocated_counties_sum_exactly_to_census(
    townships: list[dict[str, str]], counties: dict[str, dict[str, str]]
) -> None:
    totals: Counter[str] = Counter()
    for r in townships:
        totals[r["county_code"]] += int(r["population"])
    for code, county in counties.items():
        if code != XIUSHAN:
            assert totals[code] == int(county["population_2020"]), code


def test_xiushan_equals_bulletin(townships: list[dict[str, str]], counties: dict[str, dict[str, str]]) -> None:
    xiushan = {r["code"]: r for r in townships if r["county_code"] == XIUSHAN}
    assert set(xiushan) == set(XIUSHAN_BULLETIN) | XIUSHAN_SHARED
    for code, value in XIUSHAN_BULLETIN.items():
        assert int(xiushan[code]["population"]) == value, code
        assert xiushan[code]["population_estimated"] == "false"
    assert sum(int(xiushan[c]["population"]) for c in XIUSHAN_SHARED) == XIUSHAN_SHARED_POP
    assert all(xiushan[c]["population_estimated"] == "true" for c in XIUSHAN_SHARED)
    assert sum(int(r["population"]) for r in xiushan.values()) == int(counties[XIUSHAN]["population_2020"])


def test_estimate_flags_and_age_columns(townships: list[dict[str, str]]) -> None:
    for r in townships:
        if r["county_code"] != XIUSHAN:
            assert r["population_estimated"] == "true", r["code"]
        pop = int(r["population"])
        assert pop > 0
        assert 0 <= int(r["children_0_14"]) + int(r["aged_65_plus"]) <= pop
        assert r["age_estimated"] == "true"


def test_location_vocabulary_and_flags(townships: list[dict[str, str]]) -> None:
    for r in townships:
        assert r["location_source"] in LOCATION_SOURCES, r["code"]
        assert (r["lon"] == "") == (r["location_source"] == "missing"), r["code"]
        real = r["location_source"] in {"adcode2016_gcj02_converted", "geonames_wgs84"}
        assert r["location_estimated"] == ("false" if real else "true"), r["code"]


def test_located_townships_lie_in_their_county(townships: list[dict[str, str]]) -> None:
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True).transform
    collection = json.loads((DATA / "boundaries" / "counties.geojson").read_text(encoding="utf-8"))
    assert "4326" in collection["crs"]["properties"]["name"]
    polygons = {
        f["properties"]["county_code"]: shapely.transform(shape(f["geometry"]), to_utm, interleaved=False)
        for f in collection["features"]
    }
    assert len(polygons) == 13
    located = [r for r in townships if r["lon"]]
    assert len(located) >= 200
    for r in located:
        point = shapely.transform(Point(float(r["lon"]), float(r["lat"])), to_utm, interleaved=False)
        assert polygons[r["county_code"]].distance(point) <= CONTAINMENT_TOLERANCE_M, r["code"]


def test_gcj_to_wgs_shift_is_plausible(townships: list[dict[str, str]]) -> None:
    converted = [r for r in townships if r["location_source"] == "adcode2016_gcj02_converted"]
    assert len(converted) >= 200
    low, high = GCJ_SHIFT_RANGE_M
    for r in converted:
        shift = haversine_m(float(r["lon"]), float(r["lat"]), float(r["lon_gcj02"]), float(r["lat_gcj02"]))
        assert low <= shift <= high, (r["code"], shift)


def test_facility_ids_unique_and_towns_known(facilities: list[dict[str, str]], townships: list[dict[str, str]]) -> None:
    codes = {r["code"] for r in townships}
    ids = [r["facility_id"] for r in facilities]
    assert len(ids) == len(set(ids))
    for r in facilities:
        assert r["town_code"] in codes, r["facility_id"]
        assert r["facility_id"].startswith(r["town_code"] + "-")
        assert r["location_estimated"] == "true"


def test_every_township_in_plans_has_one_primary_facility(
    facilities: list[dict[str, str]], townships: list[dict[str, str]]
) -> None:
    primary = Counter(r["town_code"] for r in facilities if r["level"] in PRIMARY_LEVELS)
    for r in townships:
        expected = 0 if r["type"] == "其他" else 1
        assert primary[r["code"]] == expected, r["code"]


def test_lu_county_facilities(facilities: list[dict[str, str]], townships: list[dict[str, str]]) -> None:
    lu = [r for r in facilities if r["county_code"] == LU]
    assert len(lu) == 25
    lu_towns = {r["code"] for r in townships if r["county_code"] == LU}
    per_town = Counter(r["town_code"] for r in lu if r["level"] in PRIMARY_LEVELS)
    assert set(per_town) == lu_towns
    assert all(n == 1 for n in per_town.values())
    by_name = {r["name"]: r for r in lu}
    subcentres = {n for n, r in by_name.items() if r["named_subcentre"] == "true"}
    stations = {n for n, r in by_name.items() if r["named_emergency_station"] == "true"}
    assert subcentres == {f"泸县{t}中心卫生院" for t in ("潮河", "喻寺", "云龙", "兆雅")}
    assert stations == subcentres | {"泸县牛滩中心卫生院"}
    assert by_name["泸县人民医院"]["level"] == "county_general_hospital"
    assert by_name["泸县中医医院"]["level"] == "county_tcm_hospital"


def test_lu_plan_reference_beds(facilities: list[dict[str, str]]) -> None:
    beds = read_rows("facilities/plan_reference_beds.csv")
    assert len(beds) == 25
    assert sum(int(r["plan_beds"]) for r in beds) == 3_439
    ids = {r["facility_id"]: r["name"] for r in facilities}
    for r in beds:
        assert ids.get(r["facility_id"]) == r["name"], r["facility_id"]


def test_settlement_class_rule(townships: list[dict[str, str]]) -> None:
    by_county: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in townships:
        by_county[r["county_code"]].append(r)
        if r["type"] == "街道":
            assert r["settlement_class"] == "urban", r["code"]
    for rows in by_county.values():
        assert any(r["settlement_class"] == "urban" for r in rows)


@pytest.mark.skipif(
    not (RAW.is_dir() and SEEDS.is_dir() and PLAN_TARGETS.is_file()),
    reason=f"shared raw data ({RAW}), seeds ({SEEDS}) or plan entries ({PLAN_TARGETS}) not available; "
    "set SHARED_DATA_RAW / SHARED_SEEDS / SHARED_PLAN_TARGETS",
)
def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "build_data.py"),
         "--raw", str(RAW), "--seeds", str(SEEDS), "--plan-targets", str(PLAN_TARGETS), "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(built) == 12
    for relative in built:
        assert (tmp_path / relative).read_bytes() == (DATA / relative).read_bytes(), relative
