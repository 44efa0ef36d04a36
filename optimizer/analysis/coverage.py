"""Coverage of a plan against the service standards: who lies within each radius or time circle.

Each standard is data (`Standard`, a frozen dataclass); `NATIONAL_STANDARDS` holds the national
values and `standards_for` replaces a limit where the scenario declares its own (e.g.
`ambulances.urban_radius_km`). Measures:

- radius standards (km) use the straight-line distance of the travel matrix (decision A4 in
  docs/decisions.md: 服务半径 is a straight-line radius, as the model and verifier read it);
- time standards (minutes) use the travel matrix's minutes: road-network times when the scenario
  gives a road file, else the straight-line × detour fallback, which every output flags.

Boundaries are inclusive and unrounded: a town at exactly 15.0 minutes is within a 15-minute circle,
a town at 15.000001 minutes is not. Towns with no site of the standard's kind, or none reachable,
are beyond it. A standard whose sites do not exist in the plan (no childcare sites, no ambulance
bases) is reported as skipped with the reason, never as zero coverage.

Everything here is a pure function of tables and arrays: no files, no logging configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.scenario import Scenario

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class StandardCoverage:
    """Population and towns within and beyond one standard (or why it was skipped)."""

    standard: Standard
    basis: str
    skipped: str | None
    towns_within: tuple[str, ...]
    towns_beyond: tuple[str, ...]
    population_within: float
    population_beyond: float

    @property
    def share_within(self) -> float:
        """Share of the applicable population within the standard (NaN when skipped or empty)."""
        total = self.population_within + self.population_beyond
        return self.population_within / total if total > 0 else float("nan")


@dataclass(frozen=True)
class CoverageAnalysis:
    """Per-town values and flags for every standard, and the per-standard summaries."""

    towns: pd.DataFrame
    summaries: tuple[StandardCoverage, ...]

    def summary_table(self) -> pd.DataFrame:
        """One row per standard: limit, basis, towns and population within/beyond, share, skipped reason."""
        names = dict(zip(self.towns["code"], self.towns["name"], strict=True))
        rows = []
        for item in self.summaries:
            standard = item.standard
            rows.append(
                {
                    "standard": standard.id,
                    "label_zh": standard.label_zh,
                    "label_en": standard.label_en,
                    "limit": standard.limit,
                    "unit": standard.unit,
                    "sites": standard.sites,
                    "towns": standard.towns,
                    "preferred": standard.preferred,
                    "basis": item.basis,
                    "skipped": item.skipped or "",
                    "towns_within": len(item.towns_within),
                    "towns_beyond": len(item.towns_beyond),
                    "population_within": item.population_within,
                    "population_beyond": item.population_beyond,
                    "share_within": item.share_within,
                    "beyond": "、".join(names[c] for c in item.towns_beyond),
                    "source": standard.source,
                }
            )
        return pd.DataFrame(rows)


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


def site_masks(allocation: pd.DataFrame) -> dict[SiteKind, np.ndarray | None]:
    """Boolean masks over the allocation rows for each site kind; None when the plan has no such sites.

    Childcare sites are rows with `childcare_places > 0` when the allocation carries that column; the
    health plans modelled so far have none, so the childcare circle is skipped.
    """
    masks: dict[SiteKind, np.ndarray | None] = {
        "facility": np.ones(len(allocation), dtype=bool),
        "ambulance_base": allocation["ambulances"].to_numpy(float) > 0,
        "subcentre": allocation["is_subcentre"].to_numpy(bool),
        "childcare": (
            allocation["childcare_places"].to_numpy(float) > 0 if "childcare_places" in allocation.columns else None
        ),
    }
    return {kind: (mask if mask is not None and mask.any() else None) for kind, mask in masks.items()}


def nearest_value(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per row of `values` (towns × sites), the smallest value among the masked sites (inf when none)."""
    if values.shape[1] != mask.shape[0]:
        raise ValueError(f"values have {values.shape[1]} site columns but the mask has {mask.shape[0]} entries")
    if not mask.any():
        return np.full(values.shape[0], np.inf)
    nearest: np.ndarray = np.where(mask[None, :], values, np.inf).min(axis=1)
    return nearest


def applicable(settlement_class: np.ndarray, towns: TownClass) -> np.ndarray:
    """Which towns a standard applies to."""
    if towns == "all":
        return np.ones(len(settlement_class), dtype=bool)
    return np.asarray(settlement_class == towns, dtype=bool)


def evaluate_standard(
    standard: Standard,
    codes: np.ndarray,
    population: np.ndarray,
    settlement_class: np.ndarray,
    nearest: np.ndarray | None,
    *,
    basis: str,
    skipped: str | None = None,
) -> tuple[np.ndarray, StandardCoverage]:
    """Within/beyond one standard: the per-town flag (NaN where not applicable) and the summary.

    `nearest` is the distance (km) or time (minutes) from each town to its nearest site of the
    standard's kind; `value <= standard.limit` is within (inclusive, unrounded).
    """
    flags = np.full(len(codes), np.nan)
    if skipped is not None or nearest is None:
        reason = skipped or f"no {standard.sites} sites in the plan"
        return flags, StandardCoverage(standard, basis, reason, (), (), 0.0, 0.0)
    applies = applicable(settlement_class, standard.towns)
    within = nearest <= standard.limit
    flags[applies] = within[applies].astype(float)
    inside = applies & within
    outside = applies & ~within
    return flags, StandardCoverage(
        standard=standard,
        basis=basis,
        skipped=None if applies.any() else f"no {standard.towns} towns in the area",
        towns_within=tuple(str(c) for c in codes[inside]),
        towns_beyond=tuple(str(c) for c in codes[outside]),
        population_within=float(population[inside].sum()),
        population_beyond=float(population[outside].sum()),
    )


def measure_basis(unit: Unit, travel_source: str) -> str:
    """Plain-language basis of a measure, carried into every output."""
    if unit == "km":
        return "straight-line km (decision A4)"
    if travel_source == "road_network":
        return "road-network minutes"
    return "straight-line x detour minutes (estimated fallback, no road network)"


def analyse_coverage(
    towns: pd.DataFrame,
    allocation: pd.DataFrame,
    matrix: TravelMatrix,
    standards: Sequence[Standard],
) -> CoverageAnalysis:
    """Evaluate every standard for the plan in `allocation`.

    Parameters
    ----------
    towns
        One row per township with `code`, `name`, `population`, `settlement_class`, in matrix origin order.
    allocation
        The plan per facility (`facility_id`, `ambulances`, `is_subcentre`, …).
    matrix
        Town × facility straight km and minutes.
    standards
        The standards to check (usually `standards_for(scenario)`).

    Returns
    -------
    CoverageAnalysis
        `towns` gains `<unit>_to_<sites>` nearest values and `within_<id>` flags (1.0 within, 0.0
        beyond, NaN not applicable or skipped); one summary per standard.
    """
    if tuple(towns["code"].astype(str)) != matrix.origins:
        raise ValueError("towns must be in the travel matrix's origin order (sorted codes)")
    order = {f: j for j, f in enumerate(matrix.destinations)}
    columns = np.array([order[f] for f in allocation["facility_id"]], dtype=int)
    values: Mapping[Unit, np.ndarray] = {"km": matrix.straight_km[:, columns], "minutes": matrix.minutes[:, columns]}
    masks = site_masks(allocation)
    table = towns[["code", "name", "population", "settlement_class"]].copy().reset_index(drop=True)
    codes = table["code"].to_numpy(str)
    population = table["population"].to_numpy(float)
    settlement = table["settlement_class"].to_numpy(str)
    summaries = []
    for standard in standards:
        mask = masks[standard.sites]
        nearest = None if mask is None else nearest_value(values[standard.unit], mask)
        if nearest is not None:
            table[f"{standard.unit}_to_{standard.sites}"] = nearest
        skipped = None if mask is not None else (f"the plan has no {SITE_LABELS_ZH[standard.sites]} ({standard.sites})")
        flags, summary = evaluate_standard(
            standard,
            codes,
            population,
            settlement,
            nearest,
            basis=measure_basis(standard.unit, matrix.source),
            skipped=skipped,
        )
        table[f"within_{standard.id}"] = flags
        summaries.append(summary)
        if summary.skipped:
            logger.info("standard %s skipped: %s", standard.id, summary.skipped)
    return CoverageAnalysis(table, tuple(summaries))


def status_zh(row: pd.Series, standards: Sequence[Standard]) -> str:
    """Which standards a town meets (✓) or misses (✗), in Chinese, for map popups."""
    parts = []
    for standard in standards:
        flag = row.get(f"within_{standard.id}")
        if flag is None or pd.isna(flag):
            continue
        limit = f"{standard.limit:g}{'公里' if standard.unit == 'km' else '分钟'}"
        parts.append(f"{standard.label_zh}≤{limit} {'✓' if flag == 1.0 else '✗'}")
    return "；".join(parts) if parts else "无适用标准"
