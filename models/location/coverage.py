"""Set covering (LSCP) and maximal covering (MCLP) on sparse coverage sets.

Coverage is given as site → demand ids within the radius (build it with
`models.location.location_common.coverage_from_distance`), so only covering pairs are ever materialised: a
province with 30,000 demand points and 3,000 sites needs the pairs within, say, 15 km, not 90 million.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulp

import models.location.covering_heuristics as heuristics
import models.location.covering_reductions as reductions
import models.location.location_common as common
from models.location.families import LocationFamily
from models.naming import ConstraintRegistry, ConstraintTag, name

logger = logging.getLogger(__name__)

CoverageKind = Literal["lscp", "mclp"]


@dataclass(frozen=True, eq=False)
class CoverageInputs:
    """Inputs of the covering models.

    Attributes
    ----------
    demand_ids, site_ids
        Demand points (towns, villages) and candidate sites.
    coverage
        Site → demand ids within the coverage radius (km) or time (min); sites not listed cover nothing.
    kind
        ``lscp``: cover every demand at least cost. ``mclp``: cover the most demand with p sites.
    weight
        MCLP: demand of each id (persons), aligned with `demand_ids`. Ignored by LSCP.
    p
        MCLP: number of sites to open (exactly). Ignored by LSCP.
    site_cost
        LSCP: cost of opening each site (CNY, or 1 to count sites), aligned with `site_ids`; default 1.
    fixed_open
        Sites that must be open (existing facilities).
    reduce
        Apply the exact reductions of `models.location.covering_reductions` (default; False builds the
        plain model, kept for comparison).
    heuristic_start
        Compute a greedy solution (`models.location.covering_heuristics`) and set it as the MIP start.
    """

    demand_ids: tuple[common.Key, ...]
    site_ids: tuple[common.Key, ...]
    coverage: Mapping[common.Key, tuple[common.Key, ...]]
    kind: CoverageKind = "lscp"
    weight: tuple[float, ...] | None = None
    p: int | None = None
    site_cost: tuple[float, ...] | None = None
    fixed_open: tuple[common.Key, ...] = ()
    reduce: bool = True
    heuristic_start: bool = True

    def __post_init__(self) -> None:
        """Collect every input problem (including uncoverable demand for LSCP), then raise once."""
        problems = common.id_problems("demand_ids", self.demand_ids) + common.id_problems("site_ids", self.site_ids)
        problems += common.coverage_problems("coverage", self.coverage, self.demand_ids, self.site_ids)
        sites, demands = set(self.site_ids), set(self.demand_ids)
        if self.kind not in ("lscp", "mclp"):
            problems.append(f"kind was {self.kind!r} but is expected to be in {{'lscp', 'mclp'}}")
        if self.kind == "lscp":
            covered = {d for ds in self.coverage.values() for d in ds}
            uncovered = common.sorted_ids(demands - covered)
            if uncovered:
                problems.append(
                    f"{len(uncovered)} demand point(s) have no candidate site within the radius "
                    f"(e.g. {uncovered[:5]}); add candidate sites near them or enlarge the radius"
                )
            if self.site_cost is not None and len(self.site_cost) != len(self.site_ids):
                problems.append(f"site_cost has {len(self.site_cost)} entries but there are {len(self.site_ids)} sites")
        if self.kind == "mclp":
            if self.weight is None or len(self.weight) != len(self.demand_ids):
                problems.append("MCLP needs weight with one entry per demand id")
            elif any(w < 0 for w in self.weight):
                problems.append("weight has negative entries; demand must be ≥ 0")
            if self.p is None or not 1 <= self.p <= len(self.site_ids):
                problems.append(f"p was {self.p} but MCLP needs 1 ≤ p ≤ {len(self.site_ids)}")
            elif len(set(self.fixed_open)) > self.p:
                problems.append(f"{len(set(self.fixed_open))} sites are fixed open but p is only {self.p}")
        missing_fixed = common.sorted_ids(set(self.fixed_open) - sites)
        if missing_fixed:
            problems.append(f"fixed_open names sites {missing_fixed[:5]} that are not in site_ids")
        common.raise_if(f"covering ({self.kind})", problems)


@dataclass(frozen=True, eq=False)
class CoverageModel(common.SiteModel[CoverageInputs]):
    """The built covering model and typed handles."""

    covered: dict[common.Key, pulp.LpVariable] = field(default_factory=dict)
    """MCLP: demand → u — 1 when covered; points with the same sites in reach share one variable
    (demand with no covering site has none)."""
    registry: ConstraintRegistry[LocationFamily] = field(default_factory=ConstraintRegistry)
    start_sites: tuple[common.Key, ...] = ()
    """The greedy solution (sorted), already set as the MIP start; empty when none was computed."""
    reduction: str = ""
    """What the exact reductions removed, in words (empty without them)."""

    def set_start(self, open_sites: Sequence[common.Key]) -> None:
        """Give every variable its value in the solution that opens `open_sites` (a MIP start, used with
        `optimizer.solving.solve.solve(..., warm_start=True)`): y by the sites, u by the demand covered."""
        chosen = set(open_sites)
        for site, var in self.open.items():
            var.setInitialValue(1 if site in chosen else 0)
        reached = covered_demand(self.inputs, list(open_sites))
        values: dict[str, int] = {}
        for demand, u in self.covered.items():
            values[u.name] = max(values.get(u.name, 0), 1 if demand in reached else 0)
        for u in {u.name: u for u in self.covered.values()}.values():
            u.setInitialValue(values[u.name])


def covered_demand(inputs: CoverageInputs, open_sites: list[common.Key]) -> set[common.Key]:
    """The demand ids covered by `open_sites` (independent of any model)."""
    return {d for s in open_sites for d in inputs.coverage.get(s, ())}


def _group_tag(
    family: LocationFamily, members: Sequence[common.Key], rule: str, number: int
) -> ConstraintTag[LocationFamily]:
    """The tag of the row a group of demand points with the same reach shares, keyed by its first point."""
    return ConstraintTag(family, None, str(members[0]), None, f"{rule}; {len(members)} point(s) share it ({number})")


def build_coverage_model(inputs: CoverageInputs) -> CoverageModel:
    """Build the location set covering (LSCP) or maximal covering (MCLP) model.

    Sets
        I   demand points, sorted;  J   candidate sites, sorted;
        N_i ⊆ J   sites within the radius of i (sparse; from `inputs.coverage`);  F ⊆ J  fixed open.
    Parameters
        c_j   cost of opening j (CNY, or 1);  w_i   demand of i (persons);  p   sites to open.
    Variables
        y_j ∈ {0, 1}   site j is opened                                          ("y[j]")
        u_i ∈ [0, 1]   MCLP: i is covered (integral at the optimum, since y is)   ("u[i]")

    LSCP — Toregas, Swain, ReVelle & Bergman (1971)
        min  Σ_j c_j y_j
        (1) cover[i]:    Σ_{j ∈ N_i} y_j ≥ 1             ∀ i
        (3) fixed[j]:    y_j = 1                          ∀ j ∈ F

    MCLP — Church & ReVelle (1974)
        max  Σ_i w_i u_i
        (2) covered[i]:  u_i ≤ Σ_{j ∈ N_i} y_j            ∀ i with N_i ≠ ∅
        (3) fixed[j]:    y_j = 1                          ∀ j ∈ F
        (4) count:       Σ_j y_j = p

    Demand with N_i = ∅ cannot be covered: LSCP refuses it before the solve, MCLP leaves u_i out.
    Points with the same N_i share one row (LSCP) or one u variable with their summed demand (MCLP),
    named after the first point of the group: an exact reduction that shrinks dense clusters of
    villages around one town to a single row. With `inputs.reduce` (default) the exact reductions of
    `models.location.covering_reductions` follow: LSCP drops rows implied by another row, forces
    essential sites open (lower bound 1) and closes dominated sites (upper bound 0); MCLP closes sites
    dominated on the rows of positive weight (keeping at least p), drops rows of zero weight and counts
    a row with one site j in reach on y_j (u_i = y_j at every optimum) instead of giving it a u and a row.
    Every site keeps its variable. With `inputs.heuristic_start` a greedy solution is set as the MIP
    start (`start_sites`).
    """
    kind = inputs.kind
    sense = pulp.LpMinimize if kind == "lscp" else pulp.LpMaximize
    problem = pulp.LpProblem(f"coverage_{kind}", sense)
    registry = ConstraintRegistry[LocationFamily]()
    sites = common.sorted_ids(inputs.site_ids)
    open_vars = {s: problem.add_variable(name("y", s), lowBound=0, upBound=1, cat=pulp.LpBinary) for s in sites}
    weight = dict(zip(inputs.demand_ids, inputs.weight or (0.0,) * len(inputs.demand_ids), strict=True))
    rows = reductions.aggregate_rows(common.invert(inputs.coverage, inputs.demand_ids), weight)
    covered: dict[common.Key, pulp.LpVariable] = {}
    if kind == "lscp":
        start, summary = _lscp(problem, registry, inputs, open_vars, rows)
    else:
        start, summary = _mclp(problem, registry, inputs, open_vars, rows, covered)
    for s in common.sorted_ids(set(inputs.fixed_open)):
        registry.add(
            problem,
            common.constraint(common.affine([(open_vars[s], 1.0)]), pulp.LpConstraintEQ, 1.0),
            name("fixed", s),
            ConstraintTag(LocationFamily.FIXED, None, None, str(s), "existing facility stays open (3)"),
        )
    model = CoverageModel(problem, inputs, open_vars, covered, registry, tuple(start), summary)
    if start:
        model.set_start(start)
    return model


def _lscp(
    problem: pulp.LpProblem,
    registry: ConstraintRegistry[LocationFamily],
    inputs: CoverageInputs,
    open_vars: dict[common.Key, pulp.LpVariable],
    rows: reductions.CoverRows,
) -> tuple[list[common.Key], str]:
    """Objective and cover rows (1) of the LSCP, reduced when asked; returns the start and the summary."""
    cost = dict(zip(inputs.site_ids, inputs.site_cost or (1.0,) * len(inputs.site_ids), strict=True))
    problem += common.affine((var, float(cost[s])) for s, var in open_vars.items())
    kept: Sequence[int] = range(len(rows.reach))
    reach, forced, summary = rows.reach, frozenset(inputs.fixed_open), ""
    if inputs.reduce:
        cut = reductions.reduce_set_cover(rows.reach, cost, inputs.fixed_open)
        kept, reach, forced = cut.rows, cut.reach, cut.forced
        for s in cut.removed:
            open_vars[s].upBound = 0
        for s in cut.forced - set(inputs.fixed_open):
            open_vars[s].lowBound = 1
        summary = (
            f"{len(rows.reach)} reach sets → {len(kept)} rows; {len(cut.forced)} sites forced open, "
            f"{len(cut.removed)} dominated sites closed ({cut.rounds} rounds)"
        )
    for i, near in zip(kept, reach, strict=True):
        registry.add(
            problem,
            common.constraint(common.affine((open_vars[s], 1.0) for s in near), pulp.LpConstraintGE, 1.0),
            name("cover", rows.members[i][0]),
            _group_tag(LocationFamily.COVER, rows.members[i], "every demand point within the radius of a site", 1),
        )
    if not inputs.heuristic_start:
        return [], summary
    free = [s for s in open_vars if open_vars[s].upBound != 0 and s not in forced]
    greedy = heuristics.greedy_set_cover(reach, free, [float(cost[s]) for s in free])
    return ([] if greedy is None else common.sorted_ids(set(greedy) | forced)), summary


def _mclp(
    problem: pulp.LpProblem,
    registry: ConstraintRegistry[LocationFamily],
    inputs: CoverageInputs,
    open_vars: dict[common.Key, pulp.LpVariable],
    rows: reductions.CoverRows,
    covered: dict[common.Key, pulp.LpVariable],
) -> tuple[list[common.Key], str]:
    """Objective, covered rows (2) and count (4) of the MCLP, reduced when asked; returns start and summary."""
    groups = list(zip(rows.reach, rows.members, rows.weight, strict=True))
    summary = ""
    if inputs.reduce:
        removed = set(
            reductions.max_cover_dominated(rows.reach, rows.weight, list(open_vars), inputs.p or 0, inputs.fixed_open)
        )
        for s in removed:
            open_vars[s].upBound = 0
        merged: dict[reductions.Reach, tuple[list[common.Key], float]] = {}
        for near, members, w in groups:
            if w > 0 and near:
                key = tuple(s for s in near if s not in removed)
                old_members, old_w = merged.get(key, ([], 0.0))
                merged[key] = ([*old_members, *members], old_w + w)
        groups = [(near, tuple(common.sorted_ids(m)), w) for near, (m, w) in merged.items()]
        single = sum(1 for near, _, _ in groups if len(near) == 1)
        summary = (
            f"{len(rows.reach)} reach sets → {len(groups) - single} rows of positive weight "
            f"(+ {single} with one site, counted on its y); {len(removed)} dominated sites closed"
        )
    objective = []
    own: dict[common.Key, float] = {}
    for near, members, w in groups:
        if not near:
            continue
        if inputs.reduce and len(near) == 1:  # u = y_j at every optimum: count w on y_j, no row
            own[near[0]] = own.get(near[0], 0.0) + float(w)
            continue
        u = problem.add_variable(name("u", members[0]), lowBound=0, upBound=1)
        covered.update((d, u) for d in members)
        objective.append((u, float(w)))
        terms = [(open_vars[s], -1.0) for s in near]
        terms.append((u, 1.0))
        registry.add(
            problem,
            common.constraint(common.affine(terms), pulp.LpConstraintLE, 0.0),
            name("covered", members[0]),
            _group_tag(LocationFamily.COVERED, members, "covered only by an open site in reach", 2),
        )
    objective.extend((open_vars[s], w) for s, w in own.items())
    problem += common.affine(objective)
    registry.add(
        problem,
        common.constraint(
            common.affine((var, 1.0) for var in open_vars.values()), pulp.LpConstraintEQ, float(inputs.p or 0)
        ),
        "count",
        ConstraintTag(LocationFamily.COUNT, None, None, "site", f"open exactly p = {inputs.p} sites (4)"),
    )
    if not inputs.heuristic_start:
        return [], summary
    free = [s for s, var in open_vars.items() if var.upBound != 0]
    start = heuristics.greedy_max_cover(
        [g[0] for g in groups], [g[2] for g in groups], free, inputs.p or 0, inputs.fixed_open
    )
    return start, summary
