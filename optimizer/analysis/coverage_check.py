"""Coverage of a plan against the service standards: who lies within each radius or time circle.

The standards themselves (`Standard`, the national values, the scenario's limits) are
`optimizer.analysis.service_standards`. Measures:

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

import numpy as np
import pandas as pd

from optimizer.analysis.service_standards import SITE_LABELS_ZH, SiteKind, Standard, TownClass, Unit
from optimizer.geography.travel_times import TravelMatrix

logger = logging.getLogger(__name__)


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
    points: pd.DataFrame | None = None
    """The same values per demand point (`code` = point id), when the matrix has points."""

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
    if matrix.demand is None:
        return _analyse_units(towns, allocation, matrix, standards)
    frame = matrix.demand.points.frame
    points = frame.rename(columns={"id": "code"}).assign(name=frame["town_name"])
    by_point = _analyse_units(points, allocation, matrix.demand.matrix, standards)
    return town_shares(towns, by_point, matrix.demand.points.frame["town_code"].to_numpy(str))


def town_shares(towns: pd.DataFrame, by_point: CoverageAnalysis, town_of_point: np.ndarray) -> CoverageAnalysis:
    """The point analysis summed to townships: `within_<id>` becomes the share of the town's residents
    within the standard (NaN where it does not apply), nearest values the population-weighted means; a
    summary's `towns_within` are the towns with every resident within, `towns_beyond` those with some
    beyond. Populations within and beyond stay the points' sums."""
    points = by_point.towns.assign(town_code=town_of_point)
    table = towns[["code", "name", "population", "settlement_class"]].copy().reset_index(drop=True)
    people = points["population"].to_numpy(float)
    grouped = points.assign(_people=people)
    for column in [c for c in points.columns if c.startswith(("km_to_", "minutes_to_"))]:
        finite = np.isfinite(points[column].to_numpy(float))
        value = np.where(finite, points[column].to_numpy(float) * people, np.inf)
        weighted = grouped.assign(_v=np.where(people > 0, value, 0.0))
        sums = weighted.groupby("town_code")[["_v", "_people"]].sum()
        table[column] = table["code"].map(sums["_v"] / sums["_people"].where(sums["_people"] > 0)).to_numpy(float)
    summaries = []
    for item in by_point.summaries:
        column = f"within_{item.standard.id}"
        flag = points[column].to_numpy(float)
        applies = ~np.isnan(flag)
        frame = pd.DataFrame(
            {"town": town_of_point[applies], "p": people[applies], "w": people[applies] * flag[applies]}
        )
        sums = frame.groupby("town")[["p", "w"]].sum()
        share = (sums["w"] / sums["p"].where(sums["p"] > 0)).fillna(1.0)
        table[column] = table["code"].map(share).to_numpy(float)
        summaries.append(
            replace(
                item,
                towns_within=tuple(str(t) for t in share.index[share >= 1.0]),
                towns_beyond=tuple(str(t) for t in share.index[share < 1.0]),
            )
        )
    return CoverageAnalysis(table, tuple(summaries), points=by_point.towns)


def _analyse_units(
    towns: pd.DataFrame,
    allocation: pd.DataFrame,
    matrix: TravelMatrix,
    standards: Sequence[Standard],
) -> CoverageAnalysis:
    """`analyse_coverage` over the origins of `matrix` (towns or demand points, rows of `towns`)."""
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
        mark = "✓" if flag >= 1.0 else ("✗" if flag <= 0.0 else f"✗ 覆盖{flag:.0%}")
        parts.append(f"{standard.label_zh}≤{limit} {mark}")
    return "；".join(parts) if parts else "无适用标准"
