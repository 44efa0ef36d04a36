"""Every Chinese and English label of the deliverables, and the number formats a planner reads.

One source for report.html, report.docx, results.xlsx (and the maps, block at the end), so a column
or section is named the same way everywhere. Chinese is the default language; English is the
`--lang en` rendering. The CSV files keep their snake_case columns: the labels name them, never
replace them.

API:
    label(key, lang)             a section title, phrase or outcome word
    column_label(column, lang)   the header of a CSV column (resource columns through `resource_labels`)
    unit_label(unit, lang)       the counting word of a gap unit: 张, 人, 辆, 个, 分钟 …
    value_label(code, lang)      a coded cell: facility level, urban/rural, bound, site kind
    gap_noun(unit, lang)         what a gap is short of: 执业（助理）医师 (for 缺执业（助理）医师84人)
    format_money(cny, lang)      10.75亿元 / 1,250万元; CNY 1.075 bn / CNY 12.5 m
    format_count(n, unit, lang)  84人 / 84 persons: headcounts, beds and vehicles as whole numbers
    format_share(share)          95.2%
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal, get_args

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "zh"

LABELS: dict[str, tuple[str, str]] = {
    # document and section titles
    "report_title": ("医疗卫生资源配置优化方案", "Health resource allocation plan"),
    "section_summary": ("方案摘要", "Summary"),
    "section_targets": ("规划指标与约束", "Plan targets and rules"),
    "section_facilities": ("医疗机构配置", "Facilities"),
    "section_townships": ("乡镇（街道）", "Townships"),
    "section_counties": ("县域单元", "County units"),
    "section_coverage": ("服务覆盖", "Coverage by standard"),
    "section_ambulances": ("院前急救", "Ambulances"),
    "section_subcentres": ("县域医疗卫生次中心", "Sub-centres"),
    "section_estimates": ("估算值说明", "Estimated values"),
    "section_method": ("方法说明", "Method"),
    # sheet names (Excel: at most 31 characters, no []:*?/\)
    "sheet_targets": ("规划指标", "Targets"),
    "sheet_facilities": ("医疗机构", "Facilities"),
    "sheet_townships": ("乡镇", "Townships"),
    "sheet_counties": ("县域", "Counties"),
    "sheet_coverage": ("覆盖", "Coverage"),
    "sheet_ambulances": ("急救", "Ambulances"),
    "sheet_subcentres": ("次中心", "Sub-centres"),
    "sheet_estimates": ("估算值", "Estimates"),
    "sheet_rule_kinds": ("约束汇总", "Rules by kind"),
    "sheet_key_figures": ("关键数据", "Key figures"),
    "key_figure": ("项目", "item"),
    "key_value": ("数值", "value"),
    "printed_targets_note": (
        "下表列出规划指标、投资预算、救护车与次中心数量及所有未达标项；其余约束按类别汇总于后，逐条见 results.xlsx。",
        "The table lists the plan targets, budget, fleet, sub-centre count and every miss; the other rules are "
        "summarised by kind below, each row in results.xlsx.",
    ),
    # outcome words
    "outcome_optimal": ("已求得最优方案", "optimal plan found"),
    "outcome_feasible_with_gap": ("可行方案，未证明最优", "feasible plan, not proven optimal"),
    "outcome_infeasible": ("无可行方案", "no feasible plan"),
    "outcome_unbounded": ("模型无界", "model unbounded"),
    "outcome_no_solution": ("未求得方案", "no solution found"),
    "met": ("达标", "met"),
    "nearly_met": ("基本达标", "met (within one unit)"),
    "missed": ("未达标", "missed"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "short": ("缺", "short of"),
    "over": ("超出", "over by"),
    "binding": ("约束性", "binding"),
    "expected": ("预期性", "expected"),
    "hard": ("硬性", "hard"),
    "soft": ("软性", "soft"),
    # summary phrases
    "plan": ("规划", "Plan"),
    "scenario": ("方案", "Scenario"),
    "outcome": ("求解结果", "Outcome"),
    "optimality_gap": ("最优性差距", "optimality gap"),
    "population": ("常住人口", "Residents"),
    "total_cost": ("新增投资", "Investment"),
    "budget": ("投资预算", "Budget"),
    "budget_left": ("预算结余", "Budget left"),
    "cost_to_meet_targets": ("满足规划目标的最低投资", "Least investment that meets the plan targets"),
    "spend_targets_only": (
        "按“只满足目标”使用预算：结余部分未安排",
        "budget spent on the targets only: the rest is left unspent",
    ),
    "spend_improve_access": (
        "结余预算用于改善可及性（缩短就医时间）",
        "the rest of the budget buys better access (shorter travel)",
    ),
    "targets_met_count": ("规划指标与约束达标", "Targets and rules met"),
    "all_met": ("全部规划指标与约束均达标", "every plan target and rule is met"),
    "misses": ("未达标项", "Misses"),
    "totals": ("配置总量", "Totals"),
    "travel_source": ("出行时间来源", "Travel times"),
    "travel_road_network": ("道路网络最短时间", "shortest road-network times"),
    "travel_euclidean_fallback": (
        "直线距离×绕行系数估算（无道路数据）",
        "straight line × detour factor (no road data)",
    ),
    "demand_points": ("需求点", "Demand points"),
    "demand_seats": ("以乡镇驻地为需求点", "township seats as demand points"),
    "subcentres_count": ("次中心", "Sub-centres"),
    "ambulances_count": ("救护车", "Ambulances"),
    "plan_named": ("规划点名", "named by the plan"),
    "free_choice": ("自由选址结果", "free choice"),
    "fleet_required": ("按配置标准需救护车", "Fleet the standard requires"),
    "fleet_planned": ("规划救护车", "Planned fleet"),
    "fleet_bases": ("急救站点", "bases"),
    "fleet_other_reading": ("另一种口径需", "the other reading requires"),
    "subcentres_chosen": ("选定次中心", "Chosen sub-centres"),
    "subcentres_named_kept": ("规划点名的次中心均已保留", "the plan's named sub-centres are kept"),
    "subcentres_named_free": ("规划点名未强制", "the plan's names are not imposed"),
    "within_radius": ("服务半径内人口比例", "population within the radius"),
    "coverage_missing": ("本次运行未计算覆盖（无出行时间矩阵）", "coverage was not computed in this run"),
    "coverage_beyond": ("未覆盖", "beyond"),
    "counties_note": (
        "县域单元数值仅计模型内机构（规划目标按全域计算）。",
        "County-unit values count the modelled facilities only (plan targets are set for the whole area).",
    ),
    # charts
    "chart_targets": ("规划指标达成率（实际值/目标值）", "Targets: achieved / target"),
    "chart_beds_per_1000": ("每千人口床位数（县域单元）", "Beds per 1,000 residents by county unit"),
    "chart_coverage": ("各服务标准覆盖人口比例", "Population share within each standard"),
    "chart_target_line": ("目标值", "target"),
    "chart_share_axis": ("覆盖人口比例", "share of population"),
    "chart_ratio_axis": ("实际值 / 目标值", "achieved / target"),
    # estimates and method
    "estimated_what": ("估算内容", "What is estimated"),
    "estimated_how": ("估算方法", "Method"),
    "estimated_count": ("涉及条目", "Rows"),
    "estimated_population": ("乡镇人口", "Township population"),
    "estimated_location": ("机构位置", "Facility locations"),
    "estimated_stock": ("基期存量", "Base-year stock"),
    "estimated_feature_cost": ("功能建设费用", "Feature costs"),
    "estimated_demand": ("需求点人口分布", "Demand-point population"),
    "estimated_travel": ("出行时间", "Travel times"),
    "method_model": (
        "混合整数规划：在预算、机构规模与等级标准约束下，以满足规划指标的最低投资配置资源，"
        "并在该投资下尽量缩短居民就医时间；按“改善可及性”规则时，结余预算继续用于缩短就医时间。",
        "Mixed-integer programme: the least investment that meets the plan targets under the budget, "
        "facility size bands and grade standards, placed to keep residents' travel short; under "
        "improve_access the rest of the budget also buys shorter travel.",
    ),
    "method_solver": ("求解器", "Solver"),
    "method_met_rule": (
        "差距不足一个单位（1张床位、1人、1辆车）的指标视为基本达标。",
        "A gap of less than one unit (one bed, person or vehicle) counts as met.",
    ),
    "method_coverage": (
        "覆盖比例按需求点人口计算：服务半径用直线距离，时间圈用出行时间。",
        "Coverage shares are counted over demand-point population: radii as straight-line km, "
        "time circles as travel minutes.",
    ),
    "source_files": ("数据与文件", "Files"),
    "skipped": ("未计算", "skipped"),
    "none": ("无", "none"),
}
"""key → (Chinese, English)."""

COLUMN_LABELS: dict[str, tuple[str, str]] = {
    # targets.csv
    "id": ("编号", "id"),
    "rule_kind": ("类别", "kind"),
    "indicator": ("指标", "indicator"),
    "unit": ("单位", "unit"),
    "bound": ("要求", "bound"),
    "baseline": ("基期值", "baseline"),
    "target": ("目标值", "target"),
    "achieved": ("规划值", "achieved"),
    "met": ("是否达标", "met"),
    "gap": ("差距", "gap"),
    "gap_units": ("差距（单位数）", "gap (units)"),
    "gap_unit": ("差距单位", "gap unit"),
    "binding": ("约束性", "binding"),
    "hard": ("硬性", "hard"),
    "source": ("依据", "source"),
    "seed_line": ("规划原文出处", "plan line"),
    "detail": ("未达标机构或乡镇", "missed at"),
    # allocation.csv
    "facility_id": ("机构编码", "facility id"),
    "name": ("名称", "name"),
    "town_code": ("乡镇代码", "township code"),
    "level": ("机构类别", "level"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    "location_estimated": ("位置为估算", "location estimated"),
    "ambulances": ("救护车（辆）", "ambulances"),
    "is_subcentre": ("次中心", "sub-centre"),
    "town_name": ("所在乡镇", "township"),
    # towns.csv
    "code": ("区划代码", "division code"),
    "type": ("类型", "type"),
    "population": ("常住人口", "residents"),
    "settlement_class": ("城乡类别", "urban/rural"),
    "population_estimated": ("人口为估算", "population estimated"),
    "minutes_to_facility": ("至最近机构（分钟）", "minutes to nearest facility"),
    "km_to_facility": ("至最近机构（公里）", "km to nearest facility"),
    "minutes_to_subcentre": ("至最近次中心（分钟）", "minutes to nearest sub-centre"),
    "km_to_subcentre": ("至最近次中心（公里）", "km to nearest sub-centre"),
    "minutes_to_ambulance": ("至最近急救站（分钟）", "minutes to nearest ambulance base"),
    "km_to_ambulance": ("至最近急救站（公里）", "km to nearest ambulance base"),
    "seat_km_to_ambulance": ("驻地至急救站（公里）", "seat km to ambulance base"),
    "ambulances_within_standard": ("服务半径内救护车（辆）", "ambulances within standard"),
    "covered_ambulance": ("急救半径覆盖", "within ambulance radius"),
    "covered_ambulance_backup": ("两车覆盖", "within radius of two vehicles"),
    "covered_subcentre_radius": ("次中心半径覆盖", "within sub-centre radius"),
    "covered_access_limit": ("就医时间达标", "within access limit"),
    "hierarchy_node": ("上级机构", "assigned facility"),
    # counties.csv
    "county_code": ("县级区划代码", "county code"),
    "county_name": ("县（市、区）", "county unit"),
    "subcentres": ("次中心（个）", "sub-centres"),
    "ambulance_covered_share": ("急救半径覆盖人口比例", "population within ambulance radius"),
    # coverage.csv
    "standard": ("服务标准", "standard"),
    "label_zh": ("标准", "standard (zh)"),
    "label_en": ("标准（英文）", "standard"),
    "limit": ("标准值", "limit"),
    "sites": ("服务站点", "sites"),
    "towns": ("适用乡镇", "towns"),
    "preferred": ("优选档", "preferred tier"),
    "basis": ("测算口径", "measured as"),
    "skipped": ("未计算原因", "skipped because"),
    "towns_within": ("覆盖乡镇数", "towns within"),
    "towns_beyond": ("未覆盖乡镇数", "towns beyond"),
    "population_within": ("覆盖人口", "population within"),
    "population_beyond": ("未覆盖人口", "population beyond"),
    "share_within": ("覆盖人口比例", "share within"),
    "beyond": ("未覆盖乡镇", "towns beyond (names)"),
    # plan_comparison.csv
    "plan_beds": ("规划床位", "plan beds"),
    "difference": ("差值", "difference"),
    # estimates sheet
    "what": ("估算内容", "what"),
    "method": ("方法", "method"),
    "rows": ("条目数", "rows"),
    # shared money columns (written in 万元 / CNY m in the workbook)
    "cost_cny": ("投资", "cost"),
}
"""CSV column → (Chinese header, English header); resource columns come from `resource_labels`."""

RESOURCE_LABELS: dict[str, tuple[str, str]] = {
    "beds": ("床位", "beds"),
    "physicians": ("执业（助理）医师", "physicians"),
    "nurses": ("注册护士", "nurses"),
    "gps": ("全科医生", "GPs"),
    "pharmacists": ("药师（士）", "pharmacists"),
    "tcm_physicians": ("中医类别执业（助理）医师", "TCM physicians"),
    "pediatric_beds": ("儿科床位", "paediatric beds"),
    "pediatric_physicians": ("儿科执业（助理）医师", "paediatric physicians"),
    "child_health_doctors": ("儿童保健医生", "child-health doctors"),
    "ambulances": ("救护车", "ambulances"),
}
"""Resource id → (Chinese, English); a scenario's own `label_zh` is used for a resource not listed."""

UNIT_LABELS: dict[str, tuple[str, str]] = {
    "beds": ("张", "beds"),
    "physicians": ("人", "persons"),
    "nurses": ("人", "persons"),
    "GPs": ("人", "persons"),
    "pharmacists": ("人", "persons"),
    "staff": ("人", "persons"),
    "persons": ("人", "persons"),
    "vehicles": ("辆", "vehicles"),
    "towns": ("个", "towns"),
    "facilities": ("个", "facilities"),
    "sub-centres": ("个", "sub-centres"),
    "minutes": ("分钟", "min"),
    "km": ("公里", "km"),
    "CNY": ("元", "CNY"),
    "wan_cny": ("万元", "CNY 10k"),
    "yi_cny": ("亿元", "CNY 100m"),
    "residents": ("人", "residents"),
}
"""gap_unit of targets.csv (and the coverage units) → the counting word a planner writes after a number."""

GAP_NOUNS: dict[str, tuple[str, str]] = {
    "beds": ("床位", "beds"),
    "physicians": ("执业（助理）医师", "physicians"),
    "nurses": ("注册护士", "nurses"),
    "GPs": ("全科医生", "GPs"),
    "pharmacists": ("药师（士）", "pharmacists"),
    "staff": ("卫生人员", "staff"),
    "vehicles": ("救护车", "ambulances"),
    "towns": ("乡镇", "townships"),
    "facilities": ("机构", "facilities"),
    "sub-centres": ("次中心", "sub-centres"),
}
"""gap_unit → what is short, for a sentence such as 缺执业（助理）医师84人."""

LEVEL_LABELS: dict[str, tuple[str, str]] = {
    "county_general_hospital": ("县级综合医院", "county general hospital"),
    "county_tcm_hospital": ("县中医医院", "county TCM hospital"),
    "specialty_hospital": ("专科医院", "specialty hospital"),
    "mch_center": ("妇幼保健院", "maternal and child health centre"),
    "central_thc": ("中心卫生院", "central township health centre"),
    "thc": ("乡镇卫生院", "township health centre"),
    "chc": ("社区卫生服务中心", "community health centre"),
}
"""Facility level (allocation.csv `level`) → its name."""

VALUE_LABELS: dict[str, tuple[str, str]] = {
    "urban": ("城市", "urban"),
    "rural": ("农村", "rural"),
    "all": ("全部", "all"),
    ">=": ("≥", "≥"),
    "<=": ("≤", "≤"),
    "=": ("=", "="),
    "facility": ("医疗机构", "facility"),
    "ambulance_base": ("急救站点", "ambulance base"),
    "subcentre": ("次中心", "sub-centre"),
    "childcare": ("托育机构", "childcare site"),
}
"""Coded cell values (settlement class, bound, site kind) → their words."""

ESTIMATE_LABELS: dict[str, tuple[str, str]] = {
    "township resident population": ("乡镇常住人口", "township resident population"),
    "township age groups (county shares)": ("乡镇年龄结构（按全县比例）", "township age groups (county shares)"),
    "township location": ("乡镇驻地位置", "township location"),
    "facility location": ("机构位置", "facility location"),
    "base-year stock per facility": ("各机构基期存量", "base-year stock per facility"),
    "where residents live": ("居民居住分布", "where residents live"),
}
"""What an estimated data field is (`Datasets.estimated_fields`, in English there) → its name."""

COUNTED_UNITS = frozenset({"beds", "physicians", "nurses", "GPs", "pharmacists", "staff", "persons", "vehicles"})
"""Units of whole things: a gap in them is shown as an integer (beds, headcount, vehicles)."""

YUAN_PER_WAN = 1e4
YUAN_PER_YI = 1e8


def label(key: str, lang: Lang) -> str:
    """The label `key` in `lang`; a missing key raises KeyError (a typo must not print silently)."""
    zh, en = LABELS[key]
    return zh if lang == "zh" else en


def resource_label(resource: str, lang: Lang, scenario_labels: Mapping[str, str] | None = None) -> str:
    """A resource's name: the table above, else the scenario's `label_zh` (Chinese) or the id (English)."""
    if resource in RESOURCE_LABELS:
        zh, en = RESOURCE_LABELS[resource]
        return zh if lang == "zh" else en
    if lang == "zh" and scenario_labels and resource in scenario_labels:
        return scenario_labels[resource]
    return resource.replace("_", " ")


def column_label(column: str, lang: Lang, scenario_labels: Mapping[str, str] | None = None) -> str:
    """The header of CSV column `column`, resource columns included (`existing_beds`, `beds_per_1000` …).

    `scenario_labels` maps resource id → the scenario's `label_zh`, for resources the table does not know.
    An unknown column keeps its CSV name, so a new column is never dropped.
    """
    if column in COLUMN_LABELS:
        zh, en = COLUMN_LABELS[column]
        return zh if lang == "zh" else en
    known = set(RESOURCE_LABELS) | set(scenario_labels or {})
    if column in known:
        return resource_label(column, lang, scenario_labels)
    if column.startswith("existing_") and column.removeprefix("existing_") in known:
        name = resource_label(column.removeprefix("existing_"), lang, scenario_labels)
        return f"基期{name}" if lang == "zh" else f"existing {name}"
    if column.endswith("_per_1000") and column.removesuffix("_per_1000") in known:
        name = resource_label(column.removesuffix("_per_1000"), lang, scenario_labels)
        return f"每千人口{name}" if lang == "zh" else f"{name} per 1,000"
    if column.startswith("within_"):
        return f"覆盖：{column.removeprefix('within_')}" if lang == "zh" else column.replace("_", " ")
    return column


def value_label(value: str, lang: Lang) -> str:
    """The word for a coded cell value (level, settlement class, bound, site kind); unknown codes as they are."""
    pair = LEVEL_LABELS.get(value) or VALUE_LABELS.get(value)
    if pair is None:
        return value
    return pair[0] if lang == "zh" else pair[1]


def gap_noun(unit: str, lang: Lang) -> str:
    """What a gap in `unit` is short of (执业（助理）医师 for physicians); empty when the unit is no thing."""
    pair = GAP_NOUNS.get(unit)
    if pair is None:
        return ""
    return pair[0] if lang == "zh" else pair[1]


def unit_label(unit: str, lang: Lang) -> str:
    """The counting word for `unit` (a gap_unit of targets.csv); an unknown unit is returned as it is."""
    if unit in UNIT_LABELS:
        zh, en = UNIT_LABELS[unit]
        return zh if lang == "zh" else en
    return unit


def format_money(cny: float, lang: Lang) -> str:
    """Money as a planner writes it: 10.75亿元, 1,250万元, 800元; CNY 1.075 bn, CNY 12.5 m, CNY 800."""
    if not math.isfinite(cny):
        return "—"
    sign, amount = ("-" if cny < 0 else ""), abs(cny)
    if lang == "zh":
        if amount >= YUAN_PER_YI:
            return f"{sign}{amount / YUAN_PER_YI:,.2f}亿元"
        if amount >= YUAN_PER_WAN:
            digits = 0 if amount >= 100 * YUAN_PER_WAN else 1
            return f"{sign}{amount / YUAN_PER_WAN:,.{digits}f}万元"
        return f"{sign}{amount:,.0f}元"
    if amount >= 1e9:
        return f"{sign}CNY {amount / 1e9:,.3f} bn"
    if amount >= 1e6:
        return f"{sign}CNY {amount / 1e6:,.1f} m"
    return f"{sign}CNY {amount:,.0f}"


def format_count(value: float, unit: str, lang: Lang) -> str:
    """A count with its word: 84人, 12张, 3辆 / 84 persons. Whole things are whole numbers."""
    word = unit_label(unit, lang)
    number = format_number(value, whole=unit in COUNTED_UNITS or unit in ("towns", "facilities", "sub-centres"))
    if lang == "zh":
        return f"{number}{word}"
    return f"{number} {word}"


def format_number(value: float, *, whole: bool = False) -> str:
    """A number for a table cell: integers with thousands separators, else at most 4 significant digits."""
    if not math.isfinite(value):
        return "—"
    if whole or float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def format_share(share: float, digits: int = 1) -> str:
    """A share as a percentage, the same in both languages: 0.9521 → 95.2%; NaN → — (skipped is not 0%)."""
    if not math.isfinite(share):
        return "—"
    return f"{share * 100:.{digits}f}%"


# --- map labels (optimizer/outputs/map_html.py, map_png.py) ---
# Facility levels are LEVEL_LABELS and resources RESOURCE_LABELS above; the map adds its own words here.
MAP_LABELS: dict[str, tuple[str, str]] = {
    "map_title": ("卫生资源配置与服务覆盖", "health resources and service coverage"),
    "map_base_none": ("无底图（离线）", "no basemap"),
    "map_base_osm": ("OpenStreetMap 底图（需联网）", "basemap"),
    "map_boundary": ("县界", "county boundary"),
    "map_towns": ("乡镇", "towns"),
    "map_facilities": ("医疗机构", "facilities"),
    "map_subcentres": ("次中心", "sub-centres"),
    "map_ambulance_bases": ("急救站点", "ambulance bases"),
    "map_plan_changes": ("规划增减", "plan changes"),
    "map_uncovered": ("未覆盖需求点", "uncovered demand"),
    "map_service_area": ("服务范围", "service area"),
    "map_buffer": ("缓冲区", "buffer"),
    "map_isochrone": ("路网等时圈", "isochrone"),
    "map_legend": ("图例", "Legend"),
    "map_legend_facilities": ("医疗机构（按级别）", "facilities by level"),
    "map_legend_subcentre": ("县域医疗卫生次中心", "county sub-centre"),
    "map_legend_subcentre_star": ("县域医疗卫生次中心（星）", "sub-centre (star)"),
    "map_legend_ambulance": ("急救站点（数字为救护车数）", "ambulance base (number = vehicles)"),
    "map_legend_ambulance_png": ("急救站点（有救护车）", "ambulance base"),
    "map_legend_plan": ("规划较基期增减（床位/医师/护士）", "change from the base year (beds/physicians/nurses)"),
    "map_legend_towns": ("乡镇达标情况", "town status"),
    "map_town_prefix": ("乡镇：", "town: "),
    "map_status_met": ("全部达标", "all standards met"),
    "map_status_preferred_missed": ("仅优选标准未达标", "only a preferred tier missed"),
    "map_status_missed": ("有标准未达标", "a standard missed"),
    "map_other_facility": ("其他医疗机构", "other facility"),
    "map_stock_unknown": ("基期存量未公布", "base-year stock not published"),
    "map_becomes_subcentre": ("建为县域医疗卫生次中心", "becomes a county sub-centre"),
    "map_unchanged": ("与基期相同", "as in the base year"),
    "map_badge_beds": ("床", "beds"),
    "map_badge_physicians": ("医", "physicians"),
    "map_badge_nurses": ("护", "nurses"),
    "map_badge_ambulances": ("车", "ambulances"),
    "map_popup_facility": ("机构", "facility"),
    "map_popup_level": ("级别", "level"),
    "map_popup_subcentre": ("县域医疗卫生次中心", "sub-centre"),
    "map_popup_changes": ("规划较基期", "plan against the base year"),
    "map_popup_town": ("镇名", "town"),
    "map_popup_population": ("人口", "population"),
    "map_popup_minutes": ("到最近医疗机构分钟", "minutes to the nearest facility"),
    "map_popup_km": ("到最近医疗机构公里", "km to the nearest facility"),
    "map_popup_status": ("达标情况", "standards"),
    "map_popup_in_town": ("所在乡镇", "township"),
    "map_yes": ("是", "yes"),
    "map_no": ("否", "no"),
    "map_crs": ("坐标系 CRS", "CRS"),
    "map_travel_road": (
        "出行时间：路网计算；服务半径：直线距离。",
        "travel times on the road network; radii straight-line.",
    ),
    "map_travel_fallback": (
        "出行时间：无路网，按直线距离×绕行系数估算；服务半径：直线距离。等时圈未绘制。",
        "no road network: travel times are straight line × detour factor; radii straight-line; no isochrones.",
    ),
}
"""The map's own words (layer names, legend, popups); a layer is named in Chinese then English."""


def map_label(key: str, lang: Lang = "zh") -> str:
    """The map label `key` in `lang`; a missing key raises KeyError."""
    zh, en = MAP_LABELS[key]
    return zh if lang == "zh" else en


def map_layer_name(key: str) -> str:
    """A layer-control name, Chinese then English (县界 county boundary), as planners and GIS users read it."""
    zh, en = MAP_LABELS[key]
    return f"{zh} {en}"


# --- what-if labels ---
# optimizer/outputs/tradeoff.py (chart), whatif_summary.py (whatif.md), optimizer/cli/whatif.py (table)
WHATIF_LABELS: dict[str, tuple[str, str]] = {
    "whatif_title_budget": ("预算情景分析", "Budget what-if"),
    "whatif_title_param": ("参数情景分析", "Parameter what-if"),
    "whatif_own_budget": ("方案自身预算", "the scenario's own budget"),
    "whatif_own_value": ("方案自身取值", "the scenario's own value"),
    "whatif_base_beside": (
        "方案自身取值不在扫描档位中，已另行求解，作为各档比较的基准",
        "the scenario's own value is not a level: it was solved beside the sweep as the base of every comparison",
    ),
    "whatif_base_missing": (
        "方案自身取值下无可行方案，无法列出各档变化",
        "the scenario's own value has no plan, so no level can be compared with it",
    ),
    "whatif_levels": ("各档结果", "Levels"),
    "whatif_where": ("各档变化（相对方案自身取值）", "What changes where (against the scenario's own run)"),
    "whatif_marginal": ("边际价值（相邻档位之间）", "Marginal value (between consecutive levels)"),
    "whatif_level": ("档位", "level"),
    "whatif_value": ("取值", "value"),
    "whatif_targets_axis": ("达标指标与约束（项）", "targets and rules met (count)"),
    "whatif_matrix": ("各档位达标情况", "Targets met at each level"),
    "whatif_covered_every": ("全部标准覆盖人口", "residents covered by every standard"),
    "whatif_same_plan": (
        "以下档位未单独求解，采用更高档位的方案（该方案在两档之间的每个预算下都是最优方案，"
        "见 sweep.csv 的 solved_as 列）",
        "levels not solved again: they take a higher level's plan, the optimum at every budget in between "
        "(sweep.csv, column solved_as)",
    ),
    "whatif_same_as_base": ("与方案自身取值的结果相同", "the same plan as the scenario's own run"),
    "whatif_no_plan": ("无方案", "no plan"),
    "whatif_lost": ("失去达标", "lost"),
    "whatif_gained": ("新增达标", "gained"),
    "whatif_gap_changed": ("差距变化", "gap changed"),
    "whatif_townships": ("乡镇配置变化", "township changes"),
    "whatif_facilities": ("机构配置变化", "facility changes"),
    "whatif_coverage_lost": ("失去覆盖", "coverage lost"),
    "whatif_coverage_gained": ("新增覆盖", "coverage gained"),
    "whatif_longer_trips": ("就医时间增加", "longer trips to care"),
    "whatif_subcentre_dropped": ("不再设为次中心", "no longer a sub-centre"),
    "whatif_subcentre_added": ("新设为次中心", "made a sub-centre"),
    "whatif_features_dropped": ("不再建设", "not built"),
    "whatif_features_added": ("新增建设", "built"),
    "whatif_more_rows": ("其余变化见 changes.csv", "the rest in changes.csv"),
    "whatif_per_10m": ("每增加1000万元", "per extra CNY 10 m"),
    "whatif_per_unit": ("每增加1个单位", "per extra unit"),
    "whatif_nothing_bought": ("结果不变（增加的预算未被使用）", "nothing changes (the extra budget is not spent)"),
    "whatif_more_targets": ("可多满足{n}项指标", "{n} more targets met"),
    "whatif_fewer_targets": ("少满足{n}项指标", "{n} fewer targets met"),
    "whatif_covered_change": ("覆盖人口{sign}{pp}个百分点", "residents covered {sign}{pp} percentage points"),
    "whatif_files": (
        "文件：sweep.csv（每档一行）、changes.csv（各档相对方案自身取值的全部变化）、tradeoff.png",
        "Files: sweep.csv (one row per level), changes.csv (every change against the scenario's own run), tradeoff.png",
    ),
    # terminal table headers (optimizer/cli/whatif.py)
    "whatif_col_outcome": ("结果", "outcome"),
    "whatif_col_objective": ("目标函数", "objective"),
    "whatif_col_covered": ("覆盖%", "covered %"),
    "whatif_col_targets": ("达标", "targets met"),
    "whatif_col_cost": ("投资", "cost"),
    "whatif_col_gain": ("边际收益/百万元", "gain /1M CNY"),
    "whatif_col_dual": ("对偶价/百万元(近似)", "dual /1M (approx)"),
    "whatif_col_next": ("下一元投向", "next yuan to"),
    "whatif_col_greedy": ("贪心次中心差距", "greedy sub gap"),
    "whatif_col_changes": ("变化", "changes"),
}
"""What-if labels, key → (Chinese, English); `label` reads them like every other key."""
LABELS.update(WHATIF_LABELS)
