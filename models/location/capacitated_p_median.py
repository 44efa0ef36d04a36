"""Capacitated p-median: p medians, each serving at most its capacity, every demand served by one median.

The single-source model of Osman & Christofides (1994, "Capacitated clustering problems by hybrid
simulated annealing and tabu search", Int Trans Oper Res 1(3)), the one the OR-Library pmedcap
instances use. Pairs farther apart than `max_assignment_distance` are never materialised.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pulp

import models.location.location_common as common
from models.location.families import LocationFamily
from models.naming import ConstraintRegistry, ConstraintTag, name
from models.tolerances import COMPARISON_TOL

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class CapacitatedPMedianInputs(common.DistanceInputs):
    """Inputs of the capacitated p-median model (demand_ids, site_ids and distance as in `DistanceInputs`).

    Attributes
    ----------
    demand
        Load each demand puts on its median (persons, beds), shape (n_demand,).
    capacity
        Capacity of each site in the unit of `demand`, shape (n_site,).
    p
        Number of medians to open.
    weight
        Cost multiplier of each demand (default 1: cost = distance, as in pmedcap).
    max_assignment_distance
        Only pairs with d_ij ≤ this are modelled (default: all pairs).
    heuristic_start
        Set a greedy solution (`capacitated_start`) as the MIP start (default).
    """

    demand: common.FloatArray
    capacity: common.FloatArray
    p: int
    weight: common.FloatArray | None = None
    max_assignment_distance: float | None = None
    heuristic_start: bool = True

    def __post_init__(self) -> None:
        """Collect every input problem (including obvious infeasibility), then raise once."""
        n, m = len(self.demand_ids), len(self.site_ids)
        problems = common.distance_problems(self.demand_ids, self.site_ids, self.distance)
        dist = np.asarray(self.distance, dtype=float)
        demand, capacity = np.asarray(self.demand, dtype=float), np.asarray(self.capacity, dtype=float)
        if demand.shape != (n,) or np.any(demand < 0):
            problems.append(f"demand must have shape ({n},) and be ≥ 0 (got shape {demand.shape})")
        if capacity.shape != (m,) or np.any(capacity < 0):
            problems.append(f"capacity must have shape ({m},) and be ≥ 0 (got shape {capacity.shape})")
        if self.weight is not None and np.asarray(self.weight).shape != (n,):
            problems.append(f"weight must have shape ({n},)")
        if not 1 <= self.p <= m:
            problems.append(f"p was {self.p} but is expected to be in 1..{m} (the number of sites)")
        elif capacity.shape == (m,) and demand.shape == (n,):
            best = float(np.sort(capacity)[::-1][: self.p].sum())
            if demand.sum() > best:
                problems.append(
                    f"Demand greater than capacity ({demand.sum():g} > {best:g}, the {self.p} largest "
                    "capacities); raise p or the capacities"
                )
        if not problems and self.max_assignment_distance is not None:
            alone = [self.demand_ids[i] for i in np.flatnonzero(dist.min(axis=1) > self.max_assignment_distance)]
            if alone:
                problems.append(
                    f"{len(alone)} demand(s) have no site within max_assignment_distance "
                    f"(e.g. {common.sorted_ids(alone)[:5]}); enlarge it"
                )
        common.raise_if("capacitated p-median", problems)


@dataclass(frozen=True, eq=False)
class CapacitatedPMedianModel(common.SiteModel[CapacitatedPMedianInputs]):
    """The built capacitated p-median model and typed handles (the medians are the open sites)."""

    assign: dict[tuple[common.Key, common.Key], pulp.LpVariable]
    """x[demand, site] — 1 when the demand is served by the site (only modelled pairs)."""
    registry: ConstraintRegistry[LocationFamily] = field(default_factory=ConstraintRegistry)

    start: dict[common.Key, common.Key] = field(default_factory=dict)
    """The greedy assignment (demand → median), already set as the MIP start; empty when none was found."""

    def assignment(self) -> dict[common.Key, common.Key]:
        """Demand → the median serving it."""
        return {d: s for (d, s), v in self.assign.items() if common.is_on(v)}

    def set_start(self, assignment: Mapping[common.Key, common.Key]) -> None:
        """Give every variable its value in `assignment` (demand → median; a MIP start): the medians are
        the sites it uses, padded to p with the lowest other sites."""
        used = set(assignment.values())
        pad = [s for s in self.open if s not in used][: max(0, self.inputs.p - len(used))]
        for site, var in self.open.items():
            var.setInitialValue(1 if site in used or site in pad else 0)
        for (demand, site), var in self.assign.items():
            var.setInitialValue(1 if assignment.get(demand) == site else 0)


def capacitated_cost(inputs: CapacitatedPMedianInputs, assignment: Mapping[common.Key, common.Key]) -> float:
    """Σ w_i d_{i, a(i)} of an assignment (independent of any model)."""
    row_of = {d: r for r, d in enumerate(inputs.demand_ids)}
    col_of = {s: c for c, s in enumerate(inputs.site_ids)}
    weight = np.ones(len(row_of)) if inputs.weight is None else np.asarray(inputs.weight, dtype=float)
    dist = np.asarray(inputs.distance, dtype=float)
    return float(sum(weight[row_of[d]] * dist[row_of[d], col_of[s]] for d, s in assignment.items()))


def capacity_violations(
    inputs: CapacitatedPMedianInputs, assignment: Mapping[common.Key, common.Key]
) -> dict[common.Key, float]:
    """Site → load above its capacity, for an assignment (empty when feasible)."""
    row_of = {d: r for r, d in enumerate(inputs.demand_ids)}
    col_of = {s: c for c, s in enumerate(inputs.site_ids)}
    load: dict[common.Key, float] = {}
    for d, s in assignment.items():
        load[s] = load.get(s, 0.0) + float(np.asarray(inputs.demand)[row_of[d]])
    capacity = np.asarray(inputs.capacity, dtype=float)
    return {s: q - capacity[col_of[s]] for s, q in load.items() if q > capacity[col_of[s]] + COMPARISON_TOL}


def capacitated_start(
    dist: common.FloatArray,
    load: common.FloatArray,
    capacity: common.FloatArray,
    weight: common.FloatArray,
    p: int,
    limit: float,
) -> list[int] | None:
    """A feasible assignment (row → column) or None. Medians by greedy p-median adding on w_i d_ij (a row
    with no median within `limit` costs more than all others together); if the capacities then leave a
    demand with no room, by a set cover of the demand first (`_cover_first`). Demands are assigned with the
    fewest medians in reach first, then in falling regret (second-nearest − nearest), each to the nearest
    median with room; then one demand at a time moves to a cheaper median with room while any gains.
    Deterministic (ties to the lowest index)."""
    allowed = dist <= limit
    cost = np.where(allowed, weight[:, None] * dist, np.inf)
    big = (len(dist) + 1.0) * float(np.max(cost[allowed], initial=1.0))
    priced = np.where(allowed, cost, big)
    best = np.full(len(dist), np.inf)
    chosen: list[int] = []
    for _ in range(p):
        total = np.minimum(best[:, None], priced).sum(axis=0)
        total[chosen] = np.inf
        chosen.append(int(np.argmin(total)))
        best = np.minimum(best, priced[:, chosen[-1]])
    where = _assign(cost[:, chosen], load, capacity[chosen].astype(float))
    if where is None:
        covering = _cover_first(cost, p)
        if covering is None:
            return None
        chosen = covering
        where = _assign(cost[:, chosen], load, capacity[chosen].astype(float))
        if where is None:
            return None
    sub, room = (
        cost[:, chosen],
        capacity[chosen].astype(float) - np.bincount(where, weights=load, minlength=len(chosen)),
    )
    improved = True
    while improved:
        improved = False
        for row in range(len(dist)):
            here = where[row]
            fits = np.isfinite(sub[row]) & (room >= load[row] - COMPARISON_TOL) & (sub[row] < sub[row, here])
            if np.any(fits):
                k = int(np.argmin(np.where(fits, sub[row], np.inf)))
                room[here], room[k], where[row] = room[here] + load[row], room[k] - load[row], k
                improved = True
    return [chosen[k] for k in where.tolist()]


def _assign(sub: common.FloatArray, load: common.FloatArray, room: common.FloatArray) -> npt.NDArray[np.int64] | None:
    """Each row to its nearest column with room (rows with fewest columns in reach first, then by falling
    regret); None when a row finds no room. `sub` is inf out of reach; `room` is used up in place."""
    finite = np.where(np.isfinite(sub), sub, np.inf)
    ordered = np.sort(finite, axis=1)
    regret = ordered[:, 1] - ordered[:, 0] if sub.shape[1] > 1 else ordered[:, 0]
    regret = np.where(np.isfinite(regret), regret, np.finfo(float).max)
    options = np.isfinite(sub).sum(axis=1)
    where = np.full(len(sub), -1, dtype=np.int64)
    for row in np.lexsort((np.arange(len(sub)), -regret, options)).tolist():
        fits = np.flatnonzero(np.isfinite(sub[row]) & (room >= load[row] - COMPARISON_TOL))
        if len(fits) == 0:
            return None
        k = int(fits[np.argmin(sub[row, fits])])
        where[row], room[k] = k, room[k] - load[row]
    return where


def _cover_first(cost: common.FloatArray, p: int) -> list[int] | None:
    """Sites that put every row within reach (greedy set cover, most rows left first), then p-median adding
    to p; None when the cover alone needs more than p."""
    reach = np.isfinite(cost)
    chosen: list[int] = []
    left = np.ones(len(cost), dtype=bool)
    while np.any(left):
        gain = reach[left].sum(axis=0)
        gain[chosen] = -1
        chosen.append(int(np.argmax(gain)))
        left &= ~reach[:, chosen[-1]]
        if len(chosen) > p or gain[chosen[-1]] <= 0:
            return None
    best = cost[:, chosen].min(axis=1)
    while len(chosen) < p:
        total = np.minimum(best[:, None], cost).sum(axis=0)
        total[chosen] = np.inf
        chosen.append(int(np.argmin(total)))
        best = np.minimum(best, cost[:, chosen[-1]])
    return chosen


def build_capacitated_p_median_model(inputs: CapacitatedPMedianInputs) -> CapacitatedPMedianModel:
    """Build the single-source capacitated p-median model.

    Sets
        I   demands, sorted;  J   candidate medians, sorted;
        A_i = { j : d_ij ≤ max_assignment_distance }   (all of J by default).
    Parameters
        d_ij   distance (km) or time (min);  w_i  cost weight (1 in pmedcap);
        q_i    load of demand i (persons);  Q_j   capacity of median j (persons);  p  medians.
    Variables
        y_j  ∈ {0, 1}   j is a median                         ("y[j]")
        x_ij ∈ {0, 1}   i is served by j, j ∈ A_i             ("x[i,j]")

    min  Σ_i Σ_{j ∈ A_i} w_i d_ij x_ij
    (1) assign[i]:    Σ_{j ∈ A_i} x_ij = 1             ∀ i        (single source)
    (2) capacity[j]:  Σ_{i: j ∈ A_i} q_i x_ij ≤ Q_j y_j  ∀ j
    (3) link[i,j]:    x_ij ≤ y_j                        ∀ i, j ∈ A_i  (valid, tightens the LP)
    (4) count:        Σ_j y_j = p
    With `inputs.heuristic_start` the greedy solution of `capacitated_start` is the MIP start (`start`).
    """
    problem = pulp.LpProblem("capacitated_p_median", pulp.LpMinimize)
    registry = ConstraintRegistry[LocationFamily]()
    row_of = {d: r for r, d in enumerate(inputs.demand_ids)}
    col_of = {s: c for c, s in enumerate(inputs.site_ids)}
    demands, sites = common.sorted_ids(inputs.demand_ids), common.sorted_ids(inputs.site_ids)
    rows, cols = [row_of[d] for d in demands], [col_of[s] for s in sites]
    dist = np.asarray(inputs.distance, dtype=float)[np.ix_(rows, cols)]
    load = np.asarray(inputs.demand, dtype=float)[rows]
    capacity = np.asarray(inputs.capacity, dtype=float)[cols]
    weight = np.ones(len(rows)) if inputs.weight is None else np.asarray(inputs.weight, dtype=float)[rows]
    limit = np.inf if inputs.max_assignment_distance is None else inputs.max_assignment_distance
    open_vars = {s: problem.add_variable(name("y", s), lowBound=0, upBound=1, cat=pulp.LpBinary) for s in sites}
    y_list = [open_vars[s] for s in sites]
    assign: dict[tuple[common.Key, common.Key], pulp.LpVariable] = {}
    by_site: list[list[tuple[pulp.LpVariable, float]]] = [[] for _ in sites]
    objective: list[tuple[pulp.LpVariable, float]] = []
    for r, d in enumerate(demands):
        row_vars = []
        for c in np.flatnonzero(dist[r] <= limit).tolist():
            x = problem.add_variable(name("x", d, sites[c]), lowBound=0, upBound=1, cat=pulp.LpBinary)
            assign[(d, sites[c])] = x
            row_vars.append(x)
            objective.append((x, float(weight[r] * dist[r, c])))
            by_site[c].append((x, float(load[r])))
            registry.add(
                problem,
                common.constraint(common.affine([(x, 1.0), (y_list[c], -1.0)]), pulp.LpConstraintLE, 0.0),
                name("link", d, sites[c]),
                ConstraintTag(LocationFamily.LINK, None, str(d), str(sites[c]), "served only by an open median (3)"),
            )
        registry.add(
            problem,
            common.constraint(common.affine((x, 1.0) for x in row_vars), pulp.LpConstraintEQ, 1.0),
            name("assign", d),
            ConstraintTag(LocationFamily.ASSIGN, None, str(d), None, "each demand served by exactly one median (1)"),
        )
    problem += common.affine(objective)
    for c, s in enumerate(sites):
        terms = [*by_site[c], (y_list[c], -float(capacity[c]))]
        registry.add(
            problem,
            common.constraint(common.affine(terms), pulp.LpConstraintLE, 0.0),
            name("capacity", s),
            ConstraintTag(LocationFamily.CAPACITY, None, None, str(s), "load of a median within its capacity (2)"),
        )
    registry.add(
        problem,
        common.constraint(common.affine((y, 1.0) for y in y_list), pulp.LpConstraintEQ, float(inputs.p)),
        "count",
        ConstraintTag(LocationFamily.COUNT, None, None, "site", f"open exactly p = {inputs.p} medians (4)"),
    )
    found = capacitated_start(dist, load, capacity, weight, inputs.p, float(limit)) if inputs.heuristic_start else None
    start = {} if found is None else {d: sites[c] for d, c in zip(demands, found, strict=True)}
    model = CapacitatedPMedianModel(problem, inputs, open_vars, assign, registry, start)
    if start:
        model.set_start(start)
    return model
