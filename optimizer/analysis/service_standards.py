"""The service standards a plan's coverage is measured against, and their limits for one scenario.

Each standard is data (`Standard`, a frozen dataclass): towns of a settlement class must lie within a
limit (straight-line km or travel minutes) of the nearest site of a kind (any facility, ambulance
base, sub-centre, childcare site). `NATIONAL_STANDARDS` holds the national values with the rule each
encodes, and `standards_for` replaces a limit where the scenario declares its own (e.g.
`ambulances.urban_radius_km`). How a plan is measured against them is `optimizer.analysis.coverage_check`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from optimizer.inputs.scenario import Scenario

Unit = Literal["km", "minutes"]
SiteKind = Literal["facility", "ambulance_base", "subcentre", "childcare"]
TownClass = Literal["all", "urban", "rural"]

SITE_LABELS_ZH: dict[str, str] = {
    "facility": "医疗卫生机构",
    "ambulance_base": "急救站点",
    "subcentre": "县域医疗卫生次中心",
    "childcare": "托育机构",
}


@dataclass(frozen=True)
class Standard:
    """One service standard: towns of a class must lie within `limit` of the nearest site of a kind.

    Attributes
    ----------
    id
        Stable identifier, used in column names (`within_<id>`).
    label_zh, label_en
        Names for maps and reports.
    limit
        The inclusive limit, in `unit`.
    unit
        `km` (straight-line radius) or `minutes` (travel time).
    sites
        Which sites count: any modelled facility, ambulance bases, sub-centres, childcare sites.
    towns
        Which towns the standard applies to, by settlement class.
    preferred
        True for a preferred (softer) tier beside a hard maximum, e.g. rural emergency ≤ 10 km.
    source
        The national rule it encodes.
    scenario_field
        Dotted scenario field whose value replaces `limit` when the scenario has that section.
    """

    id: str
    label_zh: str
    label_en: str
    limit: float
    unit: Unit
    sites: SiteKind
    towns: TownClass
    preferred: bool
    source: str
    scenario_field: str | None = None


NATIONAL_STANDARDS: tuple[Standard, ...] = (
    Standard(
        "emergency_urban_5km",
        "城市急救服务半径",
        "urban emergency radius",
        5.0,
        "km",
        "ambulance_base",
        "urban",
        False,
        "院前医疗急救：城市地区服务半径不超过5公里",
        "ambulances.urban_radius_km",
    ),
    Standard(
        "emergency_rural_10km",
        "农村急救服务半径（优选）",
        "rural emergency radius, preferred tier",
        10.0,
        "km",
        "ambulance_base",
        "rural",
        True,
        "院前医疗急救：农村地区服务半径10—20公里（下限）",
        "ambulances.rural_preferred_radius_km",
    ),
    Standard(
        "emergency_rural_20km",
        "农村急救服务半径",
        "rural emergency radius, hard tier",
        20.0,
        "km",
        "ambulance_base",
        "rural",
        False,
        "院前医疗急救：农村地区服务半径10—20公里（上限）",
        "ambulances.rural_radius_km",
    ),
    Standard(
        "emergency_response_15min",
        "急救反应时间",
        "emergency response time",
        15.0,
        "minutes",
        "ambulance_base",
        "all",
        False,
        "急救平均反应时间",
        "ambulances.response_max_min",
    ),
    Standard(
        "medical_circle_15min",
        "15分钟就医圈",
        "15-minute medical circle",
        15.0,
        "minutes",
        "facility",
        "all",
        False,
        "15分钟就医圈：居民15分钟内到达最近的医疗卫生机构",
    ),
    Standard(
        "childcare_circle_15min",
        "15分钟托育服务圈",
        "15-minute childcare circle",
        15.0,
        "minutes",
        "childcare",
        "all",
        False,
        "15分钟托育服务圈",
    ),
    Standard(
        "rural_health_circle_30min",
        "30分钟农村健康服务圈",
        "30-minute rural health circle",
        30.0,
        "minutes",
        "facility",
        "rural",
        False,
        "农村地区30分钟健康服务圈",
    ),
    Standard(
        "subcentre_radius",
        "次中心服务半径",
        "sub-centre radius",
        20.0,
        "km",
        "subcentre",
        "all",
        False,
        "县域医疗卫生次中心服务半径（农村急救网络上限）",
        "subcentres.radius_km",
    ),
)


def standards_for(scenario: Scenario, base: Sequence[Standard] = NATIONAL_STANDARDS) -> tuple[Standard, ...]:
    """The standards with each limit the scenario declares (`scenario_field`) replacing the national value."""
    resolved = []
    for standard in base:
        value = _scenario_value(scenario, standard.scenario_field)
        resolved.append(standard if value is None else replace(standard, limit=float(value)))
    return tuple(resolved)


def _scenario_value(scenario: Scenario, field: str | None) -> float | None:
    if field is None:
        return None
    node: object = scenario
    for part in field.split("."):
        node = getattr(node, part, None)
        if node is None:
            return None
    return float(node) if isinstance(node, int | float) else None
