"""Fixed facts of the study area: counties, seed plans and the codes the build relies on.

These are structural constants (which counties, which seed file covers which counties); the
facility specifications themselves live in ``specs/*.csv``.
"""

from __future__ import annotations

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
"""Seed plan file → the county codes it plans for."""

PLANS_NAMING_EVERY_SUBCENTRE = frozenset({SEED_LU})
"""Plans that name every sub-centre they announce (Lu: 4 of 4, 003 L558); elsewhere every THC of a 镇 is a
sub-centre candidate too, so the model can choose the ones the plan does not name (decision A26 (a);
Xiushan announces 7 rural regional centres, 004 L1272, and names 6, L1286–L1290)."""

LEVEL_CODES = {
    "county_general_hospital": "GH",
    "county_tcm_hospital": "TC",
    "specialty_hospital": "SH",
    "mch_center": "MC",
    "central_thc": "CT",
    "thc": "TH",
    "chc": "CH",
}
"""Facility level → the two-letter code used in facility ids (order is the provenance table's)."""

BASE_YEAR = 2020
"""Base year of the facility stock: the year every scenario's `baseline_modelled` describes."""

STOCK_RESOURCES = (
    "beds", "physicians", "nurses", "gps", "pharmacists", "tcm_physicians", "pediatric_beds",
    "pediatric_physicians", "psychiatrists", "nursing_beds", "hospice_beds", "rehab_nursing_beds",
    "public_health_staff", "ambulances",
)  # fmt: skip
"""Resources of facility_stock.csv, in the order rows are written for a facility."""

ALLOCATION_ORDER = ("beds", "physicians", "nurses", "pharmacists", "gps", "tcm_physicians", "public_health_staff")
"""Order in which area totals are allocated: staff weights read a facility's beds and physicians."""

PHYSICIAN_SUBSETS = frozenset({"gps", "tcm_physicians", "pediatric_physicians", "psychiatrists"})
"""Physician kinds: at a facility they never exceed its physicians."""

BASE_GRADES = (
    "general_tier1", "general_tier2", "general_tier3", "tcm_tier2", "tcm_tier3", "mch_tier2", "mch_tier3",
    "specialty_tier2", "oncology_tier2", "psychiatric_tier2", "central_thc", "thc", "chc",
)  # fmt: skip
"""Base-year grade ids (facilities.csv `base_grade`)."""

DEFAULT_GRADES = {
    "county_general_hospital": "general_tier2",
    "county_tcm_hospital": "tcm_tier2",
    "mch_center": "mch_tier2",
    "specialty_hospital": "specialty_tier2",
    "central_thc": "central_thc",
    "thc": "thc",
    "chc": "chc",
}
"""Grade of a level when no plan states one; a specialty hospital named 精神 is psychiatric_tier2."""
