"""p-center: open p sites so that the largest distance from a demand to its nearest open site is least.

Built on the sorted distinct distances (Elloumi, Labbé & Pochet 2004, "A new formulation and
resolution method for the p-center problem", INFORMS J Comput 16(1); Çalık & Tansel 2013, "Double
bound method for solving the p-center location problem", Comput Oper Res 40(12)). Only the levels
between a lower bound (the farthest demand from its nearest site) and an upper bound (a
farthest-first heuristic solution) are modelled, which keeps the level set short.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pulp

import models.location.location_common as common
from models.location.families import LocationFamily
from models.naming import ConstraintRegistry, ConstraintTag, name

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class PCenterInputs(common.DistanceInputs):
    """Inputs of the p-center model (demand_ids, site_ids and distance as in `DistanceInputs`).

    Round `distance` (e.g. to 0.1 km or 1 min) when its values are continuous: the model has one
    variable per distinct value in the search window.

    Attributes
    ----------
    p
        Number of sites to open.
    upper_bound
        A known achievable radius; default: the farthest-first heuristic's radius.
    """

    p: int
    upper_bound: float | None = None

    def __post_init__(self) -> None:
        """Collect every input problem, then raise once."""
        problems = common.distance_problems(self.demand_ids, self.site_ids, self.distance)
        m = len(self.site_ids)
        if not 1 <= self.p <= m:
            problems.append(f"p was {self.p} but is expected to be in 1..{m} (the number of sites)")
        common.raise_if("p-center", problems)


@dataclass(frozen=True, eq=False)
class PCenterModel(common.SiteModel[PCenterInputs]):
    """The built p-center model and typed handles."""

    radius: pulp.LpVariable
    """r — the radius (km or min)."""
    step: dict[int, pulp.LpVariable]
    """z[k] — 1 when the radius is at least levels[k]."""
    levels: tuple[float, ...]
    """D^0 < D^1 < … < D^K, the distinct distances in the search window."""
    registry: ConstraintRegistry[LocationFamily] = field(default_factory=ConstraintRegistry)


def p_center_radius(inputs: PCenterInputs, open_sites: Sequence[common.Key]) -> float:
    """Largest distance from a demand to its nearest site in `open_sites` (independent of any model)."""
    col_of = {s: c for c, s in enumerate(inputs.site_ids)}
    sub = np.asarray(inputs.distance, dtype=float)[:, [col_of[s] for s in open_sites]]
    return float(sub.min(axis=1).max())


def farthest_first(distance: common.FloatArray, p: int) -> list[int]:
    """Column indices of a farthest-first p-center heuristic (Gonzalez 1985 style), deterministic."""
    nearest = np.full(distance.shape[0], np.inf)
    chosen: list[int] = []
    for _ in range(p):
        if chosen:
            worst = int(np.argmax(nearest))
            row = distance[worst].copy()
        else:
            row = distance.max(axis=0)  # first site: the best single centre
        row[chosen] = np.inf
        j = int(np.argmin(row))
        chosen.append(j)
        nearest = np.minimum(nearest, distance[:, j])
    return chosen


def build_p_center_model(inputs: PCenterInputs) -> PCenterModel:
    """Build the p-center model on sorted distinct distances.

    Sets
        I   demands, sorted;  J   sites, sorted;
        D^0 < D^1 < … < D^K   the distinct d_ij in [LB, UB], where LB = max_i min_j d_ij (no radius
        can be smaller) and UB = the radius of a heuristic solution (or `upper_bound`).
    Parameters
        d_ij   distance (km) or travel time (min);  p   number of sites to open.
    Variables
        y_j ∈ {0, 1}   site j is opened                                  ("y[j]")
        z_k ∈ {0, 1}   the radius is at least D^k, k = 1..K               ("z[k]")
        r ≥ 0          the radius (km or min)                             ("radius")

    min  r                                              (the radius, km or min)
    (0) radius_def:   r = D^0 + Σ_{k=1}^{K} (D^k − D^{k−1}) z_k
    (1) count:        Σ_j y_j = p
    (2) radius[i,k]:  z_k + Σ_{j: d_ij < D^k} y_j ≥ 1     ∀ i, k — kept only where D^k is a distance of
                      row i or k = K (otherwise row (i, k+1) implies it through (3))
    (3) order[k]:     z_k ≥ z_{k+1}                        k = 1..K−1
    (4) reach[i]:     Σ_{j: d_ij ≤ D^K} y_j ≥ 1           ∀ i (the radius never exceeds UB)
    """
    problem = pulp.LpProblem("p_center", pulp.LpMinimize)
    registry = ConstraintRegistry[LocationFamily]()
    row_of = {d: r for r, d in enumerate(inputs.demand_ids)}
    col_of = {s: c for c, s in enumerate(inputs.site_ids)}
    demands, sites = common.sorted_ids(inputs.demand_ids), common.sorted_ids(inputs.site_ids)
    dist = np.asarray(inputs.distance, dtype=float)[np.ix_([row_of[d] for d in demands], [col_of[s] for s in sites])]
    lower = float(dist.min(axis=1).max())
    upper = inputs.upper_bound
    if upper is None:
        upper = float(dist[:, farthest_first(dist, inputs.p)].min(axis=1).max())
    upper = max(upper, lower)
    window = dist[(dist >= lower) & (dist <= upper)]
    levels = np.unique(window)
    open_vars = {s: problem.add_variable(name("y", s), lowBound=0, upBound=1, cat=pulp.LpBinary) for s in sites}
    y_list = [open_vars[s] for s in sites]
    step = {
        k: problem.add_variable(name("z", k), lowBound=0, upBound=1, cat=pulp.LpBinary) for k in range(1, len(levels))
    }
    radius = problem.add_variable("radius", lowBound=0)
    problem += common.affine([(radius, 1.0)])
    definition = [(radius, 1.0), *((step[k], -float(levels[k] - levels[k - 1])) for k in step)]
    registry.add(
        problem,
        common.constraint(common.affine(definition), pulp.LpConstraintEQ, float(levels[0])),
        "radius_def",
        ConstraintTag(LocationFamily.RADIUS_DEF, None, None, None, "the radius is D^0 plus the steps taken (0)"),
    )
    registry.add(
        problem,
        common.constraint(common.affine((y, 1.0) for y in y_list), pulp.LpConstraintEQ, float(inputs.p)),
        "count",
        ConstraintTag(LocationFamily.COUNT, None, None, "site", f"open exactly p = {inputs.p} sites (1)"),
    )
    last = len(levels) - 1
    for r, d in enumerate(demands):
        row = dist[r]
        order = np.argsort(row, kind="stable")
        ordered = row[order]
        present = set(np.intersect1d(ordered, levels).tolist())
        for k in range(1, last + 1):
            if k != last and float(levels[k]) not in present:
                continue
            inside = order[: int(np.searchsorted(ordered, levels[k], side="left"))].tolist()
            terms = [(y_list[j], 1.0) for j in inside]
            terms.append((step[k], 1.0))
            registry.add(
                problem,
                common.constraint(common.affine(terms), pulp.LpConstraintGE, 1.0),
                name("radius", d, k),
                ConstraintTag(
                    LocationFamily.RADIUS, None, str(d), None, f"radius ≥ level {k} unless a site is nearer (2)"
                ),
            )
        reach = order[: int(np.searchsorted(ordered, levels[last], side="right"))].tolist()
        registry.add(
            problem,
            common.constraint(common.affine((y_list[j], 1.0) for j in reach), pulp.LpConstraintGE, 1.0),
            name("reach", d),
            ConstraintTag(LocationFamily.REACH, None, str(d), None, "a site within the heuristic radius (4)"),
        )
    for k in range(1, last):
        registry.add(
            problem,
            common.constraint(common.affine([(step[k], 1.0), (step[k + 1], -1.0)]), pulp.LpConstraintGE, 0.0),
            name("order", k),
            ConstraintTag(LocationFamily.ORDER, None, None, None, "radius levels are nested (3)"),
        )
    return PCenterModel(problem, inputs, open_vars, radius, step, tuple(float(v) for v in levels), registry)
