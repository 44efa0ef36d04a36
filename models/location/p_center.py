"""p-center: open p sites so that the largest distance from a demand to its nearest open site is least.

Built on the sorted distinct distances (Elloumi, Labbé & Pochet 2004, "A new formulation and
resolution method for the p-center problem", INFORMS J Comput 16(1); Çalık & Tansel 2013, "Double
bound method for solving the p-center location problem", Comput Oper Res 40(12)). Only the levels
between a lower bound (the farthest demand from its nearest site) and an upper bound (a
farthest-first + interchange heuristic solution, `p_center_heuristic`) are modelled, which keeps the
level set short; the heuristic solution is kept on the model (`start_sites`) and set as its MIP start.
The exact solver over covering subproblems is `models.location.exact.p_center_solver`.
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
        A known achievable radius; default: the radius of `p_center_heuristic` (farthest-first + interchange).
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
    start_sites: tuple[common.Key, ...] = ()
    """The heuristic solution (sorted), already set as the MIP start; empty when a given `upper_bound` is
    below its radius (it is then infeasible for the model)."""
    registry: ConstraintRegistry[LocationFamily] = field(default_factory=ConstraintRegistry)

    def set_start(self, open_sites: Sequence[common.Key]) -> None:
        """Give every variable its value in the solution that opens `open_sites` (a MIP start).

        Used with `optimizer.solving.solve.solve(..., warm_start=True)`. z_k is 1 up to the level equal to
        the solution's radius R, so r = R; the start is feasible when R ≤ D^K (the window's top).
        """
        chosen = set(open_sites)
        for site, var in self.open.items():
            var.setInitialValue(1 if site in chosen else 0)
        radius = p_center_radius(self.inputs, list(open_sites))
        for k, var in self.step.items():
            var.setInitialValue(1 if self.levels[k] <= radius else 0)
        self.radius.setInitialValue(radius)


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


def radius_interchange(distance: common.FloatArray, start: Sequence[int], *, max_passes: int = 10) -> list[int]:
    """Vertex substitution for the p-center from the columns `start`: returns the improved columns, sorted.

    For each open column in turn, every closed column is tried in its place (one vectorised n × m
    minimum) and the best swap is kept when it lowers (radius, number of demands at the radius)
    lexicographically: the second key lets the search cross plateaus of equal radius. Deterministic:
    ties go to the lowest column index. At most `max_passes` passes over the open columns.
    """
    chosen = list(start)
    n = distance.shape[0]

    def score(served: common.FloatArray) -> tuple[float, int]:
        worst = float(served.max())
        return worst, int(np.count_nonzero(served >= worst))

    best = score(distance[:, chosen].min(axis=1))
    for _ in range(max_passes):
        improved = False
        for slot in range(len(chosen)):
            others = [c for k, c in enumerate(chosen) if k != slot]
            base = distance[:, others].min(axis=1) if others else np.full(n, np.inf)
            served = np.minimum(base[:, None], distance)
            worst = served.max(axis=0)
            count = np.count_nonzero(served >= worst[None, :], axis=0)
            worst[chosen] = np.inf
            order = np.lexsort((np.arange(len(worst)), count, worst))
            j = int(order[0])
            candidate = (float(worst[j]), int(count[j]))
            if candidate < best:
                chosen[slot], best, improved = j, candidate, True
        if not improved:
            break
    return sorted(chosen)


def p_center_heuristic(distance: common.FloatArray, p: int, *, max_passes: int = 10) -> list[int]:
    """Farthest-first, then `radius_interchange`: the columns (sorted) of a good p-center solution."""
    return radius_interchange(distance, farthest_first(distance, p), max_passes=max_passes)


def build_p_center_model(inputs: PCenterInputs) -> PCenterModel:
    """Build the p-center model on sorted distinct distances.

    Sets
        I   demands, sorted;  J   sites, sorted;
        D^0 < D^1 < … < D^K   the distinct d_ij in [LB, UB], where LB = max_i min_j d_ij (no radius
        can be smaller) and UB = the radius of the heuristic solution (or `upper_bound`), which is
        also set as the MIP start (`start_sites`).
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
    heuristic = p_center_heuristic(dist, inputs.p)
    heuristic_radius = float(dist[:, heuristic].min(axis=1).max())
    upper = heuristic_radius if inputs.upper_bound is None else inputs.upper_bound
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
    start = tuple(sites[c] for c in heuristic) if heuristic_radius <= upper else ()
    model = PCenterModel(
        problem, inputs, open_vars, radius, step, tuple(float(v) for v in levels), start_sites=start, registry=registry
    )
    if start:
        model.set_start(start)
    return model
