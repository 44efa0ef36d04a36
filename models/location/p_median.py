"""p-median: open p sites so that the demand-weighted distance to the nearest open site is least.

Two exact formulations of the same problem:

* ``assignment`` — the classic dense model of ReVelle & Swain (1970), the one spopt builds: one
  assignment variable per (demand, site) pair. Simple, but n × m variables and n × m linking rows.
* ``radius`` — the radius formulation of Elloumi (2010, "A tighter formulation of the p-median
  problem", J Comb Optim 19:69–83), as used at scale by García, Labbé & Marín (2011, "Solving large
  p-median problems with a radius formulation", INFORMS J Comput 23(4)). Each demand has one
  continuous variable per *distinct* distance level, and each site variable appears once per demand
  row, so the model has far fewer nonzeros when distances repeat (integer road distances, minutes).
  Its LP relaxation equals the classic one (Elloumi 2010, Theorem 1).

``formulation="auto"`` picks ``assignment`` for tiny instances (≤ `AUTO_ASSIGNMENT_MAX_PAIRS` pairs),
where it is the easiest to read, and ``radius`` otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pulp

import models.location.location_common as common
from models.location.families import LocationFamily
from models.naming import ConstraintRegistry, ConstraintTag, name

logger = logging.getLogger(__name__)

Formulation = Literal["auto", "assignment", "radius"]
AUTO_ASSIGNMENT_MAX_PAIRS = 2_500
"""`auto` uses the dense assignment model up to this many (demand, site) pairs."""


@dataclass(frozen=True, eq=False)
class PMedianInputs:
    """Inputs of the p-median model (builders never change them).

    Attributes
    ----------
    demand_ids, site_ids
        Ids of the rows and columns of `distance`.
    weight
        Demand of each row (persons, visits), shape (n_demand,), ≥ 0.
    distance
        Demand × site distance (km) or travel time (min), ≥ 0.
    p
        Number of sites to open, 1 ≤ p ≤ n_site.
    formulation
        ``assignment``, ``radius`` or ``auto`` (by size).
    relax
        Build the LP relaxation (site variables continuous in [0, 1]) to read its bound.
    level_cutoff
        Radius formulation only: per-demand distance beyond which levels are merged into one
        (García, Labbé & Marín 2011's reduced radius set). The model is then a relaxation whose
        value is a lower bound; it is exact whenever every demand is served within its cutoff
        (`PMedianModel.cutoff_violations`). ``None`` keeps every level.
    fixed_open
        Sites that must be open (existing facilities, or sites fixed by a Lagrangian reduction). In
        the radius formulation they also cap every demand's levels at its nearest fixed site.
    """

    demand_ids: tuple[common.Key, ...]
    site_ids: tuple[common.Key, ...]
    weight: common.FloatArray
    distance: common.FloatArray
    p: int
    formulation: Formulation = "auto"
    relax: bool = False
    level_cutoff: common.FloatArray | None = None
    fixed_open: tuple[common.Key, ...] = ()

    def __post_init__(self) -> None:
        """Collect every input problem, then raise once."""
        n, m = len(self.demand_ids), len(self.site_ids)
        problems = common.distance_problems(self.demand_ids, self.site_ids, self.distance)
        weight = np.asarray(self.weight, dtype=float)
        if weight.shape != (n,):
            problems.append(f"weight has shape {weight.shape} but is expected to be ({n},)")
        elif not np.all(np.isfinite(weight)) or np.any(weight < 0):
            problems.append("weight has negative or non-finite entries; demand must be ≥ 0")
        if not 1 <= self.p <= m:
            problems.append(f"p was {self.p} but is expected to be in 1..{m} (the number of sites)")
        if self.formulation not in ("auto", "assignment", "radius"):
            problems.append(
                f"formulation was {self.formulation!r} but is expected to be in {{'auto', 'assignment', 'radius'}}"
            )
        if self.level_cutoff is not None:
            if np.asarray(self.level_cutoff).shape != (n,):
                problems.append(f"level_cutoff has shape {np.asarray(self.level_cutoff).shape}, expected ({n},)")
            if self.formulation == "assignment":
                problems.append("level_cutoff applies to the radius formulation; use formulation='radius'")
        unknown = common.sorted_ids(set(self.fixed_open) - set(self.site_ids))
        if unknown:
            problems.append(f"fixed_open names sites {unknown[:5]} that are not in site_ids")
        if len(set(self.fixed_open)) > self.p:
            problems.append(f"{len(set(self.fixed_open))} sites are fixed open but p is only {self.p}")
        common.raise_if("p-median", problems)

    def chosen_formulation(self) -> Literal["assignment", "radius"]:
        """The formulation `auto` resolves to for this size."""
        if self.formulation != "auto":
            return self.formulation
        if self.level_cutoff is not None:
            return "radius"
        pairs = len(self.demand_ids) * len(self.site_ids)
        return "assignment" if pairs <= AUTO_ASSIGNMENT_MAX_PAIRS else "radius"


@dataclass(frozen=True, eq=False)
class PMedianModel:
    """The built p-median model and typed handles to its variables."""

    problem: pulp.LpProblem
    inputs: PMedianInputs
    formulation: Literal["assignment", "radius"]
    open: dict[common.Key, pulp.LpVariable]
    """y[site] — 1 when the site is opened."""
    assign: dict[tuple[common.Key, common.Key], pulp.LpVariable] = field(default_factory=dict)
    """x[demand, site] (assignment formulation only)."""
    level: dict[tuple[common.Key, int], pulp.LpVariable] = field(default_factory=dict)
    """z[demand, k] (radius formulation only): 1 when no open site is within level k of the demand."""
    cutoff: dict[common.Key, float] = field(default_factory=dict)
    """Radius formulation: the largest exactly-priced distance of each demand."""
    level_radius: dict[tuple[common.Key, int], float] = field(default_factory=dict)
    """Radius formulation: D_i^k of each level variable z[i,k]."""
    registry: ConstraintRegistry[LocationFamily] = field(default_factory=ConstraintRegistry)

    def open_sites(self) -> list[common.Key]:
        """The opened sites (sorted), read from the site variables."""
        return common.opened(self.open)

    def set_start(self, open_sites: Sequence[common.Key]) -> None:
        """Give every variable its value in the solution that opens `open_sites` (a MIP start).

        Used with `optimizer.solving.solve.solve(..., warm_start=True)`: the solver then starts with this
        incumbent and can prune from the first node.
        """
        chosen = set(open_sites)
        for site, var in self.open.items():
            var.setInitialValue(1 if site in chosen else 0)
        if self.formulation == "assignment":
            nearest = nearest_open(self.inputs, open_sites)
            for (d, s), var in self.assign.items():
                var.setInitialValue(1 if nearest[d] == s else 0)
            return
        served = served_distance(self.inputs, open_sites)
        row_of = {d: r for r, d in enumerate(self.inputs.demand_ids)}
        for (d, k), var in self.level.items():
            var.setInitialValue(1 if served[row_of[d]] > self.level_radius[(d, k)] else 0)

    def assignment(self) -> dict[common.Key, common.Key]:
        """Each demand's nearest opened site (ties → first in sorted order)."""
        return nearest_open(self.inputs, self.open_sites())

    def cutoff_violations(self) -> dict[common.Key, float]:
        """Demands served beyond their level cutoff (so priced too low), with the true distance."""
        open_sites = self.open_sites()
        served = served_distance(self.inputs, open_sites)
        rows = {d: r for r, d in enumerate(self.inputs.demand_ids)}
        weight = np.asarray(self.inputs.weight, dtype=float)
        return {
            d: float(served[rows[d]]) for d, cut in self.cutoff.items() if weight[rows[d]] > 0 and served[rows[d]] > cut
        }


def _columns(inputs: PMedianInputs) -> tuple[list[common.Key], list[common.Key], np.ndarray, np.ndarray]:
    demands = common.sorted_ids(inputs.demand_ids)
    sites = common.sorted_ids(inputs.site_ids)
    row_of = {d: r for r, d in enumerate(inputs.demand_ids)}
    col_of = {s: c for c, s in enumerate(inputs.site_ids)}
    return demands, sites, np.array([row_of[d] for d in demands]), np.array([col_of[s] for s in sites])


def served_distance(inputs: PMedianInputs, open_sites: Sequence[common.Key]) -> common.FloatArray:
    """Distance of each demand (input row order) to its nearest site in `open_sites`."""
    col_of = {s: c for c, s in enumerate(inputs.site_ids)}
    cols = [col_of[s] for s in open_sites]
    if not cols:
        raise ValueError("open_sites is empty; a p-median solution opens at least one site")
    return np.asarray(np.asarray(inputs.distance, dtype=float)[:, cols].min(axis=1), dtype=float)


def p_median_cost(inputs: PMedianInputs, open_sites: Sequence[common.Key]) -> float:
    """Demand-weighted distance to the nearest of `open_sites` (independent of any model)."""
    return float(np.dot(np.asarray(inputs.weight, dtype=float), served_distance(inputs, open_sites)))


def nearest_open(inputs: PMedianInputs, open_sites: Sequence[common.Key]) -> dict[common.Key, common.Key]:
    """Demand → nearest site of `open_sites` (ties broken by sorted site order)."""
    ordered = common.sorted_ids(open_sites)
    col_of = {s: c for c, s in enumerate(inputs.site_ids)}
    sub = np.asarray(inputs.distance, dtype=float)[:, [col_of[s] for s in ordered]]
    best = sub.argmin(axis=1)
    return {d: ordered[int(best[r])] for r, d in enumerate(inputs.demand_ids)}


def build_p_median_model(inputs: PMedianInputs) -> PMedianModel:
    r"""Build the p-median model in the chosen formulation.

    Sets
        I   demands (rows), i ∈ I, sorted;  J   candidate sites (columns), j ∈ J, sorted.
    Parameters
        w_i    demand of i (persons);  d_ij   distance (km) or travel time (min), ≥ 0;
        p      number of sites to open.
    Variables
        y_j ∈ {0, 1}   site j is opened                                   (``open``, "y[j]")

    Assignment formulation (ReVelle & Swain 1970)
        x_ij ∈ [0, 1]  share of i served by j (integral at the optimum)  (``assign``, "x[i,j]")

        min  Σ_i Σ_j w_i d_ij x_ij
        (1) assign[i]:   Σ_j x_ij = 1                ∀ i
        (2) link[i,j]:   x_ij ≤ y_j                  ∀ i, j
        (3) count:       Σ_j y_j = p
        y_j = 1 for fixed-open sites (variable bounds).

    Radius formulation (Elloumi 2010; García, Labbé & Marín 2011)
        For demand i let D_i^1 < D_i^2 < … < D_i^{K_i} be the distinct distances d_ij up to the
        distance of its (|J| − p + 1)-th nearest site (at least one of those is always open, so farther
        levels are never used) and up to its nearest fixed-open site.
        z_i^k ∈ [0, 1]  1 when no open site is within D_i^k, k = 1..K_i − 1  (``level``, "z[i,k]");
        z_i^0 ≡ 1 and z_i^{K_i} ≡ 0 are constants.

        min  Σ_i w_i ( D_i^1 + Σ_{k=1}^{K_i−1} (D_i^{k+1} − D_i^k) z_i^k )
        (3) count:       Σ_j y_j = p
        (4) level[i,k]:  z_i^k + Σ_{j: d_ij = D_i^k} y_j ≥ z_i^{k−1}     ∀ i, k = 1..K_i

        Each y_j appears once per demand row, so the model has Σ_i K_i + |I|·|J| nonzeros instead of
        3 |I|·|J|. With `level_cutoff` c_i, levels above c_i are dropped and z_i^{K_i} (K_i = last
        level ≤ c_i) becomes a variable priced at T_i − D_i^{K_i}, T_i the next distance above c_i:
        a relaxation (distances beyond c_i are charged T_i), exact when every demand is served within
        c_i — the reduced radius set that GLM (2011) grows until no demand lies beyond it.

    Demands with w_i = 0 are left out (they change neither objective nor feasibility).
    """
    formulation = inputs.chosen_formulation()
    problem = pulp.LpProblem(f"p_median_{formulation}", pulp.LpMinimize)
    registry = ConstraintRegistry[LocationFamily]()
    demands, sites, rows, cols = _columns(inputs)
    distance = np.asarray(inputs.distance, dtype=float)[np.ix_(rows, cols)]
    weight = np.asarray(inputs.weight, dtype=float)[rows]
    category = pulp.LpContinuous if inputs.relax else pulp.LpBinary
    fixed = set(inputs.fixed_open)
    open_vars = {
        s: problem.add_variable(name("y", s), lowBound=1 if s in fixed else 0, upBound=1, cat=category) for s in sites
    }
    y_list = [open_vars[s] for s in sites]
    registry.add(
        problem,
        common.constraint(common.affine((v, 1.0) for v in y_list), pulp.LpConstraintEQ, inputs.p),
        "count",
        ConstraintTag(LocationFamily.COUNT, None, None, "site", f"open exactly p = {inputs.p} sites (3)"),
    )
    if formulation == "assignment":
        assign = _add_assignment(problem, registry, demands, sites, weight, distance, y_list)
        return PMedianModel(problem, inputs, formulation, open_vars, assign=assign, registry=registry)
    level, cutoff, level_radius = _add_radius(problem, registry, inputs, demands, weight, distance, y_list)
    return PMedianModel(
        problem,
        inputs,
        formulation,
        open_vars,
        level=level,
        cutoff=cutoff,
        level_radius=level_radius,
        registry=registry,
    )


def _add_assignment(
    problem: pulp.LpProblem,
    registry: ConstraintRegistry[LocationFamily],
    demands: list[common.Key],
    sites: list[common.Key],
    weight: common.FloatArray,
    distance: common.FloatArray,
    y_list: list[pulp.LpVariable],
) -> dict[tuple[common.Key, common.Key], pulp.LpVariable]:
    assign: dict[tuple[common.Key, common.Key], pulp.LpVariable] = {}
    objective: list[tuple[pulp.LpVariable, float]] = []
    for r, d in enumerate(demands):
        if weight[r] == 0:
            continue
        row = [problem.add_variable(name("x", d, s), lowBound=0, upBound=1) for s in sites]
        assign.update(zip(((d, s) for s in sites), row, strict=True))
        objective.extend(zip(row, (weight[r] * distance[r]).tolist(), strict=True))
        registry.add(
            problem,
            common.constraint(common.affine((x, 1.0) for x in row), pulp.LpConstraintEQ, 1.0),
            name("assign", d),
            ConstraintTag(LocationFamily.ASSIGN, None, str(d), None, "each demand is served once (1)"),
        )
        for s, x, y in zip(sites, row, y_list, strict=True):
            registry.add(
                problem,
                common.constraint(common.affine([(x, 1.0), (y, -1.0)]), pulp.LpConstraintLE, 0.0),
                name("link", d, s),
                ConstraintTag(LocationFamily.LINK, None, str(d), str(s), "serve only from open sites (2)"),
            )
    problem += common.affine(objective)
    return assign


def _add_radius(
    problem: pulp.LpProblem,
    registry: ConstraintRegistry[LocationFamily],
    inputs: PMedianInputs,
    demands: list[common.Key],
    weight: common.FloatArray,
    distance: common.FloatArray,
    y_list: list[pulp.LpVariable],
) -> tuple[dict[tuple[common.Key, int], pulp.LpVariable], dict[common.Key, float], dict[tuple[common.Key, int], float]]:
    n_sites = len(y_list)
    rank_bound = n_sites - inputs.p  # 0-based rank of the (m − p + 1)-th nearest site
    fixed_cols = [c for c, s in enumerate(common.sorted_ids(inputs.site_ids)) if s in set(inputs.fixed_open)]
    nearest_fixed = distance[:, fixed_cols].min(axis=1) if fixed_cols else np.full(len(demands), np.inf)
    user_cutoff = None
    if inputs.level_cutoff is not None:
        rows_of = {d: r for r, d in enumerate(inputs.demand_ids)}
        user_cutoff = np.asarray(inputs.level_cutoff, dtype=float)[[rows_of[d] for d in demands]]
    level: dict[tuple[common.Key, int], pulp.LpVariable] = {}
    cutoff: dict[common.Key, float] = {}
    level_radius: dict[tuple[common.Key, int], float] = {}
    objective: list[tuple[pulp.LpVariable, float]] = []
    constant = 0.0
    for r, d in enumerate(demands):
        w = float(weight[r])
        if w == 0:
            continue
        row = distance[r]
        order = np.argsort(row, kind="stable")
        ordered = row[order]
        limit = min(float(ordered[rank_bound]), float(nearest_fixed[r]))
        tail: float | None = None
        if user_cutoff is not None and user_cutoff[r] < limit:
            limit = max(float(user_cutoff[r]), float(ordered[0]))
            beyond = ordered[ordered > limit]
            tail = float(beyond[0]) if len(beyond) else None
        count = int(np.searchsorted(ordered, limit, side="right"))
        values, starts = np.unique(ordered[:count], return_index=True)
        ends = np.append(starts[1:], count)
        n_levels = len(values)
        n_vars = n_levels - 1 + (1 if tail is not None else 0)
        z = [problem.add_variable(name("z", d, k), lowBound=0, upBound=1) for k in range(1, n_vars + 1)]
        level.update(((d, k), var) for k, var in enumerate(z, start=1))
        level_radius.update(((d, k), float(values[k - 1])) for k in range(1, n_vars + 1))
        cutoff[d] = float(values[-1])
        constant += w * float(values[0])
        steps = np.diff(values).tolist() + ([tail - float(values[-1])] if tail is not None else [])
        objective.extend(zip(z, (w * s for s in steps), strict=True))
        for k in range(1, n_levels + 1):
            terms = [(y_list[j], 1.0) for j in order[starts[k - 1] : ends[k - 1]].tolist()]
            if k <= n_vars:
                terms.append((z[k - 1], 1.0))
            rhs = 1.0
            if k >= 2:
                terms.append((z[k - 2], -1.0))
                rhs = 0.0
            registry.add(
                problem,
                common.constraint(common.affine(terms), pulp.LpConstraintGE, rhs),
                name("level", d, k),
                ConstraintTag(
                    LocationFamily.LEVEL, None, str(d), None, f"no open site within level {k} ⇒ pay next step (4)"
                ),
            )
    problem += common.affine(objective, constant=constant)
    return level, cutoff, level_radius
