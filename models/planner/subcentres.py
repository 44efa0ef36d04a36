"""Township sub-centre siting (县域医疗卫生次中心): pick k central towns for population coverage and access.

Formulation (added to the plan model by `add_subcentres`)
---------------------------------------------------------
Sets
    T             towns (township-level units), sorted by division code
    S             candidate facilities (central township health centres), sorted by id
    U             demand units the coverage counts: the demand points below the towns (or T itself)
    N_r(u) ⊆ S    candidates within the sub-centre radius r of unit u (km)
    A(t) ⊆ S      candidates reachable from t within the access limit (minutes)
Parameters
    p_t, p_u      resident population of town t, of unit u (persons)
    τ_ts          travel time from t to s (minutes)
    k             number of sub-centres the plan asks for
    F ⊆ S         candidates the plan names (fixed open when honoured)
Variables
    o_s ∈ {0,1}   s is a sub-centre
    v_u ∈ [0,1]   u lies OUTSIDE radius r of every open sub-centre
    a_ts ∈ [0,1]  share of t's population assigned to sub-centre s (s ∈ A(t))
    w_t ∈ [0,1]   share of t with no reachable sub-centre
Constraints
    (S1) subcentre_count:        Σ_s o_s = k
    (S2) subcentre_named[s]:     o_s = 1                 for s ∈ F (when honoured)
    (S3) subcentre_cover[u]:     Σ_{s ∈ N_r(u)} o_s + v_u ≥ 1
    (S4) subcentre_assign[t]:    Σ_{s ∈ A(t)} a_ts + w_t = 1
    (S5) subcentre_open[t,s]:    a_ts ≤ o_s
Objective terms (minimised by the plan model, weights from the scenario)
    W_cov · Σ_u p_u v_u / P        (maximal covering, Church & ReVelle 1974, as uncovered population)
    + W_tr  · Σ_t p_t (Σ_s τ_ts a_ts + τ̄ w_t) / (P τ̄)   (p-median, Hakimi 1964; τ̄ = access limit)
With o fixed, (S4)–(S5) assign each town to its nearest open sub-centre, so a needs no integrality.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulp

from models.naming import ConstraintRegistry, ConstraintTag, name
from models.planner.families import PlanFamily
from models.planner.town_terms import population_shares, share_term, town_fractions


@dataclass(frozen=True)
class SubcentreInputs:
    """Everything the sub-centre block needs, keyed by division code and facility id."""

    towns: tuple[str, ...]
    population: Mapping[str, float]
    candidates: tuple[str, ...]
    count: int
    named: tuple[str, ...]
    honour_named: bool
    covering: Mapping[str, tuple[str, ...]]
    travel_min: Mapping[tuple[str, str], float]
    access_limit_min: float
    upgrade_cost_cny: float
    target_id: str
    cover_units: tuple[str, ...] | None = None
    """U: the demand units the coverage term (S3) counts (demand points below the towns); None = the towns."""
    cover_population: Mapping[str, float] | None = None
    """p_u of each cover unit (persons); with `cover_units`, `covering` is keyed by the units."""

    def coverage_units(self) -> tuple[tuple[str, ...], Mapping[str, float]]:
        """The units (S3) counts and their persons: the demand points when given, else the towns."""
        if self.cover_units is None or self.cover_population is None:
            return self.towns, self.population
        return self.cover_units, self.cover_population


@dataclass(frozen=True)
class SubcentreHandles:
    """Typed handles to the sub-centre variables and the block's objective and cost parts."""

    is_open: dict[str, pulp.LpVariable]
    uncovered: dict[str, pulp.LpVariable]
    assigned: dict[tuple[str, str], pulp.LpVariable]
    unreachable: dict[str, pulp.LpVariable]
    uncovered_term: pulp.LpAffineExpression
    travel_term: pulp.LpAffineExpression
    cost: pulp.LpAffineExpression


def add_subcentres(
    problem: pulp.LpProblem, inputs: SubcentreInputs, registry: ConstraintRegistry[PlanFamily]
) -> SubcentreHandles:
    """Add variables and constraints (S1)–(S5) to `problem`; return handles and objective terms."""
    shares = population_shares(inputs.towns, inputs.population)
    units, unit_population = inputs.coverage_units()
    unit_shares = population_shares(units, unit_population)
    is_open = {s: problem.add_variable(name("subcentre", s), cat=pulp.LpBinary) for s in inputs.candidates}
    uncovered = town_fractions(problem, "subcentre_uncovered", units)
    unreachable = town_fractions(problem, "subcentre_unreachable", inputs.towns)
    reachable = _reachable(inputs)
    assigned = {
        (t, s): problem.add_variable(name("subcentre_assigned", t, s), 0, 1) for t in inputs.towns for s in reachable[t]
    }
    tag = ConstraintTag(PlanFamily.SUBCENTRE, inputs.target_id, None, "subcentres", "")

    registry.add(
        problem,
        pulp.LpAffineExpression([(v, 1.0) for v in is_open.values()]) == inputs.count,
        name(PlanFamily.SUBCENTRE_COUNT),
        _with(tag, f"exactly {inputs.count} sub-centres", PlanFamily.SUBCENTRE_COUNT),
    )
    if inputs.honour_named:
        for s in inputs.named:
            registry.add(
                problem,
                is_open[s] == 1,
                name("subcentre_named", s),
                _with(tag, f"the plan names {s}", PlanFamily.SUBCENTRE_NAMED),
            )
    for u in units:
        registry.add(
            problem,
            pulp.LpAffineExpression([(is_open[s], 1.0) for s in inputs.covering.get(u, ())] + [(uncovered[u], 1.0)])
            >= 1,
            name("subcentre_cover", u),
            _with(tag, f"{u} within the sub-centre radius"),
        )
    for t in inputs.towns:
        options = [(assigned[t, s], 1.0) for s in reachable[t]] + [(unreachable[t], 1.0)]
        registry.add(
            problem,
            pulp.LpAffineExpression(options) == 1,
            name("subcentre_assign", t),
            _with(tag, f"town {t} assigned to one sub-centre"),
        )
    for (t, s), variable in assigned.items():
        registry.add(problem, variable <= is_open[s], name("subcentre_open", t, s), _with(tag, "assign to open"))

    uncovered_term = share_term(uncovered, unit_shares)
    limit = inputs.access_limit_min
    travel_term = share_term(unreachable, shares) + pulp.LpAffineExpression(
        [(var, shares[t] * inputs.travel_min[t, s] / limit) for (t, s), var in assigned.items()]
    )
    cost = pulp.LpAffineExpression([(is_open[s], inputs.upgrade_cost_cny) for s in inputs.candidates])
    return SubcentreHandles(is_open, uncovered, assigned, unreachable, uncovered_term, travel_term, cost)


def _reachable(inputs: SubcentreInputs) -> dict[str, list[str]]:
    """Candidates each town can reach, in candidate order, read off the sparse `travel_min` table
    instead of testing every town against every candidate."""
    order = {s: i for i, s in enumerate(inputs.candidates)}
    reachable: dict[str, list[str]] = {t: [] for t in inputs.towns}
    for t, s in inputs.travel_min:
        if t in reachable and s in order:
            reachable[t].append(s)
    for sites in reachable.values():
        sites.sort(key=order.__getitem__)
    return reachable


def _with(
    tag: ConstraintTag[PlanFamily], description: str, family: PlanFamily | None = None
) -> ConstraintTag[PlanFamily]:
    return ConstraintTag(family or tag.family, tag.target_id, tag.area, tag.resource, description)


@dataclass(frozen=True)
class SubcentreModel:
    """The sub-centre block solved on its own (e.g. to report the plan-free choice of sites)."""

    problem: pulp.LpProblem
    registry: ConstraintRegistry[PlanFamily]
    handles: SubcentreHandles


def build_subcentre_model(inputs: SubcentreInputs, *, coverage_weight: float, travel_weight: float) -> SubcentreModel:
    """Sites only: minimise W_cov · uncovered population share + W_tr · normalised travel, (S1)–(S5)."""
    problem = pulp.LpProblem(f"subcentres_{inputs.target_id}", pulp.LpMinimize)
    registry = ConstraintRegistry[PlanFamily]()
    handles = add_subcentres(problem, inputs, registry)
    problem += coverage_weight * handles.uncovered_term + travel_weight * handles.travel_term
    return SubcentreModel(problem, registry, handles)
