"""The base-year stock step of the data build (`scripts/data_build/facility_stock.py`) and its output.

Checks the committed `data/facilities/facility_stock.csv` and the `base_grade` columns of facilities.csv
against the spec files, the scenario files and the seed plans: area sums equal the totals, values keep
the national bands, plan-given values equal the seed text, stock sits only where the scenario can count
it, and the step gives the same rows from the committed inputs in any input order. The bounded-share
arithmetic is tested on small hand-made cases with known answers.
"""

from __future__ import annotations

import csv
import math
import os
import random
import re
import sys
import tomllib
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from tests.support import DATA, ROOT

sys.path.insert(0, str(ROOT / "scripts"))

from data_build.allocation import Item, share  # noqa: E402
from data_build.config import BASE_GRADES  # noqa: E402
from data_build.facility_stock import STOCK_COLUMNS, StockFacility, stock_rows  # noqa: E402
from data_build.geo import Point  # noqa: E402
from data_build.records import County  # noqa: E402
from data_build.stock_specs import load_stock_specs  # noqa: E402

SEEDS = Path(os.environ.get("SHARED_SEEDS") or ROOT / "../shared/seeds").resolve()
SCENARIOS = ROOT / "scenarios"
SPECS = load_stock_specs()
HOSPITAL_LEVELS = {"county_general_hospital", "county_tcm_hospital", "specialty_hospital", "mch_center"}
GRADES = set(BASE_GRADES)
PLAN_GIVEN = {"seed", "seed_ratio_per_1000", "planned_new_build"}
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed plans not found at {SEEDS}; set SHARED_SEEDS")


def read_rows(relative: str) -> list[dict[str, str]]:
    with (DATA / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


FACILITIES = {r["facility_id"]: r for r in read_rows("facilities/facilities.csv")}
PLANNED = {
    r["facility_id"]: (int(r["plan_beds"]), r["source"]) for r in read_rows("facilities/plan_reference_beds.csv")
}
STOCK = read_rows("facilities/facility_stock.csv")
VALUES = {(r["facility_id"], r["resource"]): int(r["value"]) for r in STOCK}


def scenario(area: str) -> dict[str, Any]:
    with (SCENARIOS / f"{area}.toml").open("rb") as handle:
        return tomllib.load(handle)


def seed_text(seed: str, line: int) -> str:
    """The cited line joined with the next non-empty one, whitespace removed (as the build reads it)."""
    lines = (SEEDS / seed).read_text(encoding="utf-8").splitlines()
    following = next((t for t in lines[line:] if t.strip()), "")
    return re.sub(r"\s+", "", lines[line - 1] + following)


def area_facilities(codes: tuple[str, ...]) -> set[str]:
    return {f for f, r in FACILITIES.items() if r["county_code"] in codes}


# ---------------------------------------------------------------- bounded shares (known answers)


def test_share_is_proportional_when_no_bound_binds() -> None:
    result = share(12, {"a": Item(Fraction(1)), "b": Item(Fraction(2)), "c": Item(Fraction(3))})
    assert result.values == {"a": 2, "b": 4, "c": 6}
    assert result.residual == 0
    assert not result.capped


def test_share_redistributes_above_a_cap_and_keeps_the_sum() -> None:
    # a would get 80 of 100 unbounded; capped at 30, the other 70 split 1:1
    result = share(100, {"a": Item(Fraction(8), 0, 30), "b": Item(Fraction(1)), "c": Item(Fraction(1))})
    assert result.values == {"a": 30, "b": 35, "c": 35}
    assert result.capped == {"a"}


def test_share_lifts_to_a_floor() -> None:
    result = share(10, {"a": Item(Fraction(1), 6), "b": Item(Fraction(1)), "c": Item(Fraction(1))})
    assert result.values == {"a": 6, "b": 2, "c": 2}
    assert result.floored == {"a"}


def test_share_reports_the_residual_the_bounds_leave() -> None:
    result = share(100, {"a": Item(Fraction(1), 0, 30), "b": Item(Fraction(1), 0, 20)})
    assert result.values == {"a": 30, "b": 20}
    assert result.residual == 50
    below = share(3, {"a": Item(Fraction(1), 2, 9), "b": Item(Fraction(1), 2, 9)})
    assert below.values == {"a": 2, "b": 2}
    assert below.residual == -1


def test_share_breaks_remainder_ties_by_key() -> None:
    result = share(10, {"c": Item(Fraction(1)), "a": Item(Fraction(1)), "b": Item(Fraction(1))})
    assert result.values == {"a": 4, "b": 3, "c": 3}


@pytest.mark.parametrize("seed", range(20))
def test_share_random_cases_sum_and_stay_in_bounds(seed: int) -> None:
    rng = random.Random(seed)
    items = {}
    for key in range(rng.randint(1, 12)):
        low = rng.randint(0, 5)
        high = None if rng.random() < 0.3 else low + rng.randint(0, 40)
        items[f"f{key:02d}"] = Item(Fraction(rng.randint(0, 9), rng.randint(1, 4)), low, high)
    total = rng.randint(0, 300)
    result = share(total, items)
    assert sum(result.values.values()) + result.residual == total
    for key, item in items.items():
        assert item.low <= result.values[key], key
        assert item.high is None or result.values[key] <= item.high, key
    if result.residual > 0:
        assert all(item.high is not None or item.weight == 0 for item in items.values())


# ---------------------------------------------------------------- the committed table


def test_stock_columns_rows_and_ids() -> None:
    with (DATA / "facilities" / "facility_stock.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert tuple(header) == STOCK_COLUMNS
    assert STOCK, "facility_stock.csv is empty"
    keys = [(r["facility_id"], r["resource"]) for r in STOCK]
    assert len(keys) == len(set(keys)), "a facility and resource appear twice"
    for r in STOCK:
        assert r["facility_id"] in FACILITIES, r["facility_id"]
        assert r["base_year"] == "2020"
        assert r["value"].isdigit(), r
        assert r["estimated"] == ("false" if r["method"] in ("seed", "planned_new_build") else "true"), r
        assert r["method"] and r["source"], r
    assert {r["resource"] for r in STOCK} <= {t.resource for t in SPECS.totals}


def test_area_sums_equal_the_totals_unless_every_bed_band_is_full() -> None:
    for total in SPECS.totals:
        ids = area_facilities(total.county_codes)
        placed = sum(v for (f, r), v in VALUES.items() if r == total.resource and f in ids)
        if total.resource != "beds":
            assert placed == total.value, (total.area, total.resource)
            continue
        assert placed <= total.value, total.area
        if placed < total.value:  # only when every estimated facility sits at its band maximum
            for f in ids:
                if (f, "beds") in VALUES and FACILITIES[f]["base_grade"]:
                    row = next(r for r in STOCK if r["facility_id"] == f and r["resource"] == "beds")
                    if row["method"] not in PLAN_GIVEN:
                        assert VALUES[f, "beds"] == SPECS.beds[FACILITIES[f]["base_grade"]].max_beds, f


def test_totals_are_the_scenarios_baselines() -> None:
    for total in SPECS.totals:
        data = scenario(total.area)
        assert tuple(data["area"]["county_codes"]) == total.county_codes, total.area
        baseline = data["resources"][total.resource]["baseline_modelled"]["value"]
        assert baseline == total.value, (total.area, total.resource)


def test_every_eligible_facility_of_an_area_with_a_total_has_a_row() -> None:
    for total in SPECS.totals:
        for f in area_facilities(total.county_codes):
            eligible = FACILITIES[f]["base_grade"] in SPECS.eligible[total.resource]
            assert ((f, total.resource) in VALUES) == eligible, (f, total.resource)


def test_national_bands_and_staff_norms_hold() -> None:
    for f, r in FACILITIES.items():
        beds = VALUES.get((f, "beds"))
        if beds is None or beds == 0:
            continue
        grade, level = r["base_grade"], r["level"]
        assert SPECS.beds[grade].min_beds <= beds, f
        if f in PLANNED:  # the plan's own size outweighs the band's upper end (Lu's Table 2)
            continue
        assert beds <= SPECS.beds[grade].max_beds, f
        if level in ("central_thc", "thc", "chc"):
            assert beds <= 99, f
        if grade == "general_tier2":
            assert 100 <= beds <= 499, f
        if grade == "general_tier3":
            assert beds >= 500, f
        if level in HOSPITAL_LEVELS and (f, "nurses") in VALUES:
            assert VALUES[f, "nurses"] >= 0.4 * beds, f
        physicians = VALUES.get((f, "physicians"))
        for kind in ("gps", "tcm_physicians"):
            if physicians is not None and (f, kind) in VALUES:
                assert VALUES[f, kind] <= physicians, (f, kind)
        if level == "county_tcm_hospital" and physicians and (f, "tcm_physicians") in VALUES:
            assert VALUES[f, "tcm_physicians"] >= 0.6 * physicians, f


def _levels(value: Any) -> list[str]:
    return list(value) if isinstance(value, list) else []


@pytest.mark.parametrize("area", sorted({t.area for t in SPECS.totals}))
def test_stock_sits_only_where_the_scenario_allocates_it(area: str) -> None:
    data = scenario(area)
    ids = area_facilities(tuple(data["area"]["county_codes"]))
    for (f, resource), value in VALUES.items():
        if f in ids and value > 0 and resource in data["resources"]:
            levels = _levels(data["resources"][resource].get("eligible_levels"))
            assert FACILITIES[f]["level"] in levels, (area, f, resource)


def _facility_ids(node: Any) -> list[str]:
    """Every value of a facility_id / facility_ids / named_facility_ids key in a parsed TOML tree."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("facility_id", "facility_ids", "named_facility_ids"):
                found += value if isinstance(value, list) else [value]
            else:
                found += _facility_ids(value)
    elif isinstance(node, list):
        for value in node:
            found += _facility_ids(value)
    return found


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_scenario_facility_ids_exist(path: Path) -> None:
    with path.open("rb") as handle:
        ids = _facility_ids(tomllib.load(handle))
    missing = sorted(set(ids) - set(FACILITIES))
    assert not missing, f"{path.name} names facilities not in facilities.csv: {missing}"


def test_lu_hospitals_sit_in_their_real_towns() -> None:
    towns = {r["code"]: r for r in read_rows("population/townships.csv")}
    for facility_id, name, town in (
        ("510521107-GH1", "泸县第二人民医院", "510521107"),
        ("510521114-TC1", "泸县中医医院", "510521114"),
    ):
        row = FACILITIES[facility_id]
        assert row["name"] == name
        assert row["town_code"] == town
        assert (row["lon"], row["lat"]) == (towns[town]["lon"], towns[town]["lat"])
        assert row["location_source"] == "township_seat_approximate"
        assert "data-raw/wuhan2020map-fever-clinics-2020/" in row["source"]
        assert towns[town]["name"] in row["source"]  # the published address names the town
    assert FACILITIES["510521001-GH1"]["location_source"] == "county_seat_approximate"


# ---------------------------------------------------------------- against the seed text


@needs_seeds
def test_plan_given_values_equal_the_seed_text() -> None:
    counties = {r["county_code"]: int(r["population_2020"]) for r in read_rows("population/counties.csv")}
    given = [r for r in STOCK if r["method"] in PLAN_GIVEN]
    assert given, "no value from a plan"
    for r in given:
        seed, line = re.match(r"(\d{3}_\w+\.txt):L(\d+)", r["source"]).groups()  # type: ignore[union-attr]
        text = seed_text(seed, int(line))
        value = int(r["value"])
        if r["method"] == "seed":
            assert str(value) in text, r
        elif r["method"] == "planned_new_build":
            assert "新建" in text and FACILITIES[r["facility_id"]]["name"][:2] in text and value == 0, r
        else:
            ratio = Fraction(re.findall(r"（张）(\d+\.\d+)", text)[0])
            county = FACILITIES[r["facility_id"]]["county_code"]
            assert value == math.floor(ratio * counties[county] / 1000 + Fraction(1, 2)), r


@needs_seeds
def test_stated_base_grades_are_on_their_seed_lines() -> None:
    for f, r in FACILITIES.items():
        assert r["base_grade"] in GRADES, f
        source = r["base_grade_source"]
        if source.startswith("rule: default for level"):
            continue
        seed, line = re.fullmatch(r"(\d{3}_\w+\.txt):L(\d+)", source).groups()  # type: ignore[union-attr]
        text = seed_text(seed, int(line))
        words = ("三级",) if r["base_grade"].endswith("tier3") else ("二级", "二甲")
        assert any(w in text for w in words), (f, source)
        short = r["name"].removeprefix("秀山").removeprefix("泸县")
        assert short in text or short.replace("计划生育服务中心", "") in text or "妇幼保健机构" in text, (f, source)


@needs_seeds
def test_total_citations_are_on_their_seed_lines() -> None:
    for total in SPECS.totals:
        if total.citation.seed:
            assert total.citation.needle in seed_text(total.citation.seed, total.citation.line), total


# ---------------------------------------------------------------- the step itself


def _inputs() -> tuple[list[StockFacility], dict[str, County]]:
    towns = {r["code"]: int(r["population"]) for r in read_rows("population/townships.csv")}
    facilities = [
        StockFacility(
            f, r["name"], r["county_code"], r["level"], r["base_grade"], towns[r["town_code"]], PLANNED.get(f)
        )
        for f, r in FACILITIES.items()
    ]
    counties = {
        r["county_code"]: County(
            r["county_code"], r["county_name"], "", int(r["population_2020"]), 0, 0, "", "", Point(0, 0)
        )
        for r in read_rows("population/counties.csv")
    }
    return facilities, counties


def test_step_reproduces_the_committed_table_in_any_input_order() -> None:
    facilities, counties = _inputs()
    committed = [[r[c] for c in STOCK_COLUMNS] for r in STOCK]
    rows, uses = stock_rows(facilities, counties, SPECS)
    assert rows == committed
    shuffled = facilities[:]
    random.Random(7).shuffle(shuffled)
    assert stock_rows(shuffled, counties, SPECS)[0] == committed
    by_total = defaultdict(int)
    for use in uses:
        by_total[use.total.area, use.total.resource] += use.residual
        assert use.residual >= 0, use.total
    assert all(v == 0 for (area, resource), v in by_total.items() if resource != "beds")
