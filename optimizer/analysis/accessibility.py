"""Spatial accessibility and its equity: E2SFCA per town and a population-weighted Gini index.

Enhanced two-step floating catchment area (E2SFCA; Luo & Qi 2009, Health & Place 15:1100–1107),
over demand origins i (the demand points below the townships when the travel matrix has them,
else the towns; demand P_i, residents) and facilities j (supply S_j, e.g. beds), with travel time
d_ij (minutes) and catchment d0 (minutes, the scenario's `travel.max_access_min`):

    (1)  R_j = S_j / Σ_{i : d_ij ≤ d0} P_i · W(d_ij)        supply per weighted resident in j's catchment
    (2)  A_i = Σ_{j : d_ij ≤ d0} R_j · W(d_ij)              supply reachable per resident of town i

Weights W, both 0 beyond d0 (boundaries inclusive):
    stepped   Luo & Qi's three travel-time zones, scaled to d0: 1.00 on [0, d0/3], 0.68 on
              (d0/3, 2·d0/3], 0.22 on (2·d0/3, d0] (their Gaussian-derived weights for 10/20/30 min);
    gaussian  the continuous Gaussian of Dai (2010): (exp(-½(d/d0)²) − exp(-½)) / (1 − exp(-½)).

Facilities with no weighted demand in their catchment supply nobody (R_j = 0). With the same W in
both steps, supply is conserved: Σ_i P_i·A_i = Σ_j S_j over facilities that reach someone. With
constant W and every pair inside the catchment, A_i = Σ S / Σ P for every town.

Gini of access (population-weighted):  G = Σ_i Σ_k P_i P_k |A_i − A_k| / (2 (Σ P)² Ā),
Ā = Σ P_i A_i / Σ P. 0 is perfect equality.

A town's access is the population-weighted mean of its points' A_i. Pure NumPy on the travel matrix
(the `access` package is not used).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, SupportsFloat, cast

import numpy as np
import pandas as pd

from optimizer.geography.travel_times import TravelMatrix

WeightKind = Literal["stepped", "gaussian"]
LUO_QI_STEPS: tuple[tuple[float, float], ...] = ((1 / 3, 1.00), (2 / 3, 0.68), (1.0, 0.22))
"""(upper bound as a fraction of the catchment, weight) for each zone."""
PER_1000 = 1000.0


def stepped_weights(
    minutes: np.ndarray, catchment_min: float, steps: Sequence[tuple[float, float]] = LUO_QI_STEPS
) -> np.ndarray:
    """Zone weights of E2SFCA: each zone's weight up to its inclusive upper bound; 0 beyond the catchment."""
    weights = np.zeros(minutes.shape, dtype=float)
    assigned = np.zeros(minutes.shape, dtype=bool)
    for fraction, weight in steps:
        zone = ~assigned & (minutes <= fraction * catchment_min)
        weights[zone] = weight
        assigned |= zone
    return weights


def gaussian_weights(minutes: np.ndarray, catchment_min: float) -> np.ndarray:
    """Dai's (2010) Gaussian weight: 1 at 0 minutes, falling to 0 at the catchment; 0 beyond."""
    floor = math.exp(-0.5)
    with np.errstate(invalid="ignore"):
        weights = (np.exp(-0.5 * (minutes / catchment_min) ** 2) - floor) / (1 - floor)
    return np.where(minutes <= catchment_min, weights, 0.0)


def weights_for(minutes: np.ndarray, catchment_min: float, kind: WeightKind) -> np.ndarray:
    """The weight matrix for `kind`."""
    if kind == "stepped":
        return stepped_weights(minutes, catchment_min)
    if kind == "gaussian":
        return gaussian_weights(minutes, catchment_min)
    raise ValueError(f"weights was {kind!r} but is expected to be in {{'stepped', 'gaussian'}}")


@dataclass(frozen=True)
class E2SFCAResult:
    """Access per resident of each town (A_i) and supply-to-demand ratio of each facility (R_j)."""

    access: np.ndarray
    ratio: np.ndarray
    unreached_supply: float


def e2sfca(supply: np.ndarray, demand: np.ndarray, weights: np.ndarray) -> E2SFCAResult:
    """Two steps of E2SFCA (formulas (1) and (2) in the module docstring).

    Parameters
    ----------
    supply
        S_j per facility (shape: facilities).
    demand
        P_i per town (shape: towns).
    weights
        W(d_ij), towns × facilities, 0 outside the catchment.

    Returns
    -------
    E2SFCAResult
        `access` per resident (multiply by 1,000 for per-1,000 figures), `ratio` per facility, and the
        supply of facilities with no demand in their catchment.
    """
    supply = np.asarray(supply, dtype=float)
    demand = np.asarray(demand, dtype=float)
    if weights.shape != (demand.size, supply.size):
        raise ValueError(
            f"weights have shape {weights.shape}; expected (towns, facilities) = ({demand.size}, {supply.size})"
        )
    weighted_demand = demand @ weights
    reaches = weighted_demand > 0
    ratio = np.divide(supply, weighted_demand, out=np.zeros_like(supply), where=reaches)
    return E2SFCAResult(access=weights @ ratio, ratio=ratio, unreached_supply=float(supply[~reaches].sum()))


def gini(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Population-weighted Gini index of `values` (0 = equal); 0.0 when every value is 0."""
    values = np.asarray(values, dtype=float)
    weights = np.ones_like(values) if weights is None else np.asarray(weights, dtype=float)
    if values.shape != weights.shape or values.size == 0:
        raise ValueError(f"values {values.shape} and weights {weights.shape} must be non-empty and of one shape")
    if (weights < 0).any() or (values < 0).any():
        raise ValueError("the Gini index needs non-negative values and weights")
    total = weights.sum()
    mean = float(weights @ values) / total
    if mean == 0:
        return 0.0
    spread = float(weights @ np.abs(values[:, None] - values[None, :]) @ weights)
    return float(spread / (2 * total**2 * mean))


def accessibility_table(
    towns: pd.DataFrame,
    allocation: pd.DataFrame,
    matrix: TravelMatrix,
    *,
    catchment_min: float,
    resources: Sequence[str] = ("beds", "physicians"),
    weights: WeightKind = "stepped",
) -> pd.DataFrame:
    """Per town: E2SFCA access per 1,000 residents for each resource, its ratio to the area mean, and rank.

    `<r>_rank` is 1 for the worst-served town. Resources absent from `allocation` are left out.
    """
    if tuple(towns["code"].astype(str)) != matrix.origins:
        raise ValueError("towns must be in the travel matrix's origin order (sorted codes)")
    units = matrix if matrix.demand is None else matrix.demand.matrix
    order = {f: j for j, f in enumerate(units.destinations)}
    columns = np.array([order[f] for f in allocation["facility_id"]], dtype=int)
    minutes = units.minutes[:, columns]
    weight = weights_for(minutes, catchment_min, weights)
    demand = towns["population"].to_numpy(float)
    if matrix.demand is not None:  # demand from each point; a town's access is the mean over its residents
        demand = matrix.demand.points.frame["population"].to_numpy(float)
    population = towns["population"].to_numpy(float)
    table = towns[["code", "name", "population", "settlement_class"]].copy().reset_index(drop=True)
    table["minutes_to_facility"] = _per_town(matrix, minutes.min(axis=1))
    for resource in (r for r in resources if r in allocation.columns):
        supply = allocation[resource].to_numpy(float)
        result = e2sfca(supply, demand, weight)
        access = _per_town(matrix, result.access) * PER_1000
        area = supply.sum() / population.sum() * PER_1000
        table[f"{resource}_access_per_1000"] = access
        table[f"{resource}_vs_area"] = access / area if area > 0 else np.nan
        table[f"{resource}_rank"] = pd.Series(access).rank(method="first").astype(int).to_numpy()
    return table


def _per_town(matrix: TravelMatrix, values: np.ndarray) -> np.ndarray:
    """Values per origin of the access matrix as values per town (the population-weighted mean over a
    town's demand points; the values themselves without points)."""
    if matrix.demand is None:
        return values
    means = matrix.demand.town_mean(values[:, None])
    return np.array([float(means[t][0]) for t in matrix.origins])


def equity_summary(table: pd.DataFrame, resources: Sequence[str], *, worst: int = 5) -> dict[str, object]:
    """Gini of access and the worst-served towns for each resource in an accessibility table."""
    population = table["population"].to_numpy(float)
    summary: dict[str, object] = {}
    for resource in resources:
        column = f"{resource}_access_per_1000"
        if column not in table.columns:
            continue
        worst_rows = table.nsmallest(worst, column)
        summary[resource] = {
            "gini": gini(table[column].to_numpy(float), population),
            "area_per_1000": float((table[column] * population).sum() / population.sum()),
            "worst_served": [
                {
                    "code": str(r.code),
                    "name": str(r.name),
                    # itertuples types a field as any scalar (dates, None, ...); population is a number
                    "population": float(cast(SupportsFloat, r.population)),
                    "access_per_1000": float(getattr(r, column)),
                }
                for r in worst_rows.itertuples(index=False)
            ],
        }
    return summary
