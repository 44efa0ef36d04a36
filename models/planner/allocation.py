"""Allocation of beds and staff to facilities under the plan's ratio targets, facility limits and access.

Formulation (added to the plan model by `add_allocation`)
---------------------------------------------------------
Sets
    T               towns, sorted by division code
    F               modelled facilities, sorted by id
    R               resources (beds, physicians, nurses, GPs, …)
    F_r ⊆ F         facilities eligible for resource r
    G               sites: facilities at the same point form one site g(f)
    P_r ⊆ T × G     town–site pairs within the access limit
    K               ratio targets; L facility limits; C bed categories
Parameters
    p_t             resident population of t (persons); P = Σ p_t
    τ_tg            travel time t → site g (minutes); τ̄ the access limit (minutes)
    B_r             base-year stock of r in the modelled facilities (None = not published)
    b_rf            base-year stock of r at facility f, where known per facility (R ⊇ R_f, the resources so known)
    ρ_r             largest share of b_rf the plan may take away (0 unless the scenario allows reductions)
    O_r             stock of r outside the modelled facilities, kept fixed
    c_r             cost of one added unit of r (CNY)
    D_r             the area's demand for r: the largest plan requirement on r, or its base-year stock
    ρ_k             target k's requirement (absolute amount, or a coefficient for per-resource targets)
Variables
    x_rf ∈ Z≥0      target-year amount of r at facility f
    y_rtg ≥ 0       amount of r at site g serving residents of t (access flow)
    u_rt ≥ 0        r-demand of t left without a facility within τ̄
    s_k, e_k ≥ 0    shortfall below / excess above target k (absent when k is hard)
    g_r ≥ 0         units of r added over the base year (r ∉ R_f)
    a_rf, d_rf ≥ 0  units of r added at / taken from facility f (r ∈ R_f)
    z_cf ∈ Z≥0      beds of category c at f
Constraints
    (R1) access_demand[r,t]:   Σ_g y_rtg + u_rt = (p_t / P) D_r                 (demand follows residents)
    (R2) access_capacity[r,g]: Σ_t y_rtg ≤ Σ_{f: g(f) = g} x_rf
    (R3) stock_floor[r]:       Σ_f x_rf ≥ B_r              (unless the scenario allows reductions)
    (R4) added[r]:             g_r ≥ Σ_f x_rf − B_r        (B_r = 0 when not published; r ∉ R_f)
    (R5) subset[r,f]:          x_rf ≤ x_{parent(r),f}      (e.g. GPs are physicians)
    (R6) stock_floor[r,f]:     x_rf ≥ ⌈(1 − ρ_r) b_rf⌉      (r ∈ R_f: no facility is emptied into another)
    (R7) added[r,f]:           a_rf ≥ x_rf − b_rf ;  reduced[r,f]: d_rf ≥ b_rf − x_rf      (r ∈ R_f)
    (T1) target[k]:            N_k + s_k ≥ ρ_k  and/or  N_k − e_k ≤ ρ_k,
                               N_k = Σ_{f ∈ F_k} x_{r_k f} + [O_{r_k}] ;
                               per-resource targets compare N_k with ρ_k · D_k (D_k built like N_k)
    (L1) limit_min[l,f]:       x_rf (+ slack) ≥ min_l  (or ≥ min_l^sub · o_f at sub-centres)
    (L2) limit_max[l,f]:       x_rf (− slack) ≤ max_l + (max_l^sub − max_l) · o_f
    (P1) staff_per_bed[q,f]:   x_rf (+ slack) ≥ κ_q x_{r'(q),f}      (staff follow beds, r' = beds; or a
                               share of another resource, e.g. TCM physicians among physicians)
    (C1) category_within[c,f]: z_cf ≤ x_beds,f
    (C2) category_min[c,f]:    z_cf ≥ m_c ;  (C3) z_cf ≥ α_c x_beds,f ;  (C4) z_cf ≤ β_c x_beds,f
Objective terms (minimised; weights from the scenario)
    Σ_k w_k (s_k + e_k) / scale_k                          shortfalls, binding ≫ expected
    Σ_r Σ (τ_tg y_rtg + 2 τ̄ u_rt) / (τ̄ · ref_r) / |R_d|  mean access time of demand-driven resources
    Σ_{r ∈ R_f} ε Σ_f (a_rf + d_rf) / ref_r   stability: ties break toward the base-year stock, so a
                                              changed budget changes only what the budget changes
    Σ_{r ∉ R_f} ε Σ_f x_rf / ref_r   for free (zero-cost), non-demand-driven resources: no more than needed
Cost: Σ_{r ∉ R_f} c_r g_r + Σ_{r ∈ R_f} c_r Σ_f a_rf (additions are costed where they happen).
The demand D_r is fixed by the plan, not by the stock: stock beyond what residents need within reach
lowers no travel time, so a loose budget never buys staff for their own sake (an earlier version tied
demand to the stock and, with a large budget, hired far beyond the targets to shorten trips).
(R1)–(R2) are a transportation problem (Hitchcock 1941) that places capacity where residents are;
o_f are the sub-centre variables of models/planner/subcentres.py, linking upgrades to beds.
The inputs are in `allocation_inputs`; (L1)–(L2), (P1) and (C1)–(C4) are added by `facility_rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulp

from models.naming import ConstraintRegistry, name
from models.planner.allocation_inputs import (
    AllocationInputs,
    BedCategoryInputs,
    LimitInputs,
    ResourceInputs,
    Sense,
    StaffPerBedInputs,
    TargetInputs,
    TargetKind,
    allocation_tag,
)
from models.planner.allocation_rows import AllocationRows, Side, WeightedTerms
from models.planner.facility_rules import add_bed_categories, add_limits, add_staff_per_bed
from models.planner.families import PlanFamily
from models.tolerances import DIVISION_FLOOR

__all__ = [
    "PARSIMONY",
    "AllocationHandles",
    "AllocationInputs",
    "BedCategoryInputs",
    "LimitInputs",
    "ResourceInputs",
    "Sense",
    "StaffPerBedInputs",
    "TargetInputs",
    "TargetKind",
    "add_allocation",
]

PARSIMONY = 1e-3


@dataclass(frozen=True)
class AllocationHandles:
    """Typed handles to the allocation variables and the block's objective and cost parts."""

    amount: dict[tuple[str, str], pulp.LpVariable]
    flow: dict[tuple[str, str, str], pulp.LpVariable]
    unserved: dict[tuple[str, str], pulp.LpVariable]
    shortfall: dict[str, pulp.LpVariable]
    excess: dict[str, pulp.LpVariable]
    added: dict[str, pulp.LpAffineExpression]
    added_at: dict[tuple[str, str], pulp.LpVariable]
    reduced_at: dict[tuple[str, str], pulp.LpVariable]
    category_beds: dict[tuple[str, str], pulp.LpVariable]
    limit_slack: dict[str, pulp.LpVariable]
    shortfall_term: pulp.LpAffineExpression
    access_term: pulp.LpAffineExpression
    cost: pulp.LpAffineExpression


@dataclass(frozen=True)
class StockHandles:
    """Additions (total per resource, and per facility where the stock is known per facility),
    reductions per facility, and the stability tie-break pairs ε·(added + reduced)."""

    added: dict[str, pulp.LpAffineExpression]
    added_at: dict[tuple[str, str], pulp.LpVariable]
    reduced_at: dict[tuple[str, str], pulp.LpVariable]
    stability: WeightedTerms


def add_allocation(
    problem: pulp.LpProblem,
    inputs: AllocationInputs,
    registry: ConstraintRegistry[PlanFamily],
    subcentre_open: Mapping[str, pulp.LpVariable],
) -> AllocationHandles:
    """Add (R1)–(R7), (T1), (L1)–(L2) and (C1)–(C4) to `problem`; return handles and objective terms."""
    resources = {r.name: r for r in inputs.resources}
    amount = {
        (r.name, f): problem.add_variable(name("amount", r.name, f), 0, cat=pulp.LpInteger)
        for r in inputs.resources
        for f in r.eligible
    }
    rows = AllocationRows(problem, registry, amount)
    stock = {r.name: pulp.LpAffineExpression([(amount[r.name, f], 1.0) for f in r.eligible]) for r in inputs.resources}
    flow, unserved, access_pairs = _add_access(rows, inputs)
    stock_handles = _add_stock_rules(rows, inputs, stock)
    shortfall, excess = _add_targets(rows, inputs, resources)
    limit_slack = add_limits(rows, inputs.limits, subcentre_open)
    limit_slack |= add_staff_per_bed(rows, inputs.staff_per_bed)
    category_beds, category_slack = add_bed_categories(rows, inputs.bed_categories)
    limit_slack |= category_slack
    cost = pulp.LpAffineExpression()
    for r in inputs.resources:
        cost.addInPlace(stock_handles.added[r.name] * r.unit_cost_cny)
    parsimony = stock_handles.stability + [
        (amount[r.name, f], PARSIMONY / max(r.reference_total, 1.0))
        for r in inputs.resources
        if r.unit_cost_cny == 0 and not r.demand_driven and not r.per_facility
        for f in r.eligible
    ]
    return AllocationHandles(
        amount=amount,
        flow=flow,
        unserved=unserved,
        shortfall=shortfall,
        excess=excess,
        added=stock_handles.added,
        added_at=stock_handles.added_at,
        reduced_at=stock_handles.reduced_at,
        category_beds=category_beds,
        limit_slack=limit_slack,
        shortfall_term=pulp.LpAffineExpression(rows.penalties),
        access_term=pulp.LpAffineExpression(access_pairs + parsimony),
        cost=cost,
    )


def _add_access(
    rows: AllocationRows, inputs: AllocationInputs
) -> tuple[dict[tuple[str, str, str], pulp.LpVariable], dict[tuple[str, str], pulp.LpVariable], WeightedTerms]:
    """Flows per (resource, town, site): co-located facilities share one site, which removes the
    symmetry between, say, two hospitals in the county seat without changing the optimum.

    Only the pairs in `access_min` get a flow, and they are found from that sparse table, not by
    testing every town against every site: at province scale (3,000 towns × 3,000 sites) the dense
    scan, not the model, was the cost. Rows are built as affine expressions from lists. Returns the
    flows, the unserved demand and the access-time pairs of the objective."""
    total_population = sum(inputs.population[t] for t in inputs.towns) or 1.0
    driven = [r for r in inputs.resources if r.demand_driven]
    reaching: dict[str, list[tuple[str, float]]] = {}
    for (t, f), minutes in inputs.access_min.items():
        reaching.setdefault(f, []).append((t, minutes))
    flow: dict[tuple[str, str, str], pulp.LpVariable] = {}
    unserved: dict[tuple[str, str], pulp.LpVariable] = {}
    pairs: WeightedTerms = []
    limit = inputs.access_limit_min
    for resource in driven:
        r = resource.name
        scale = limit * max(resource.reference_total, 1.0) * len(driven)
        sites: dict[str, list[str]] = {}
        for f in resource.eligible:
            sites.setdefault(inputs.facility_site[f], []).append(f)
        sites = dict(sorted(sites.items()))
        reach: dict[str, list[tuple[str, float]]] = {t: [] for t in inputs.towns}
        for site, members in sites.items():
            for t, minutes in reaching.get(members[0], ()):
                if t in reach:
                    reach[t].append((site, minutes))
        by_site: dict[str, list[tuple[pulp.LpVariable, float]]] = {site: [] for site in sites}
        for t in inputs.towns:
            options = []
            for site, minutes in reach[t]:
                var = rows.variable(name("flow", r, t, site))
                flow[r, t, site] = var
                options.append((var, 1.0))
                by_site[site].append((var, 1.0))
                pairs.append((var, minutes / scale))
            unserved[r, t] = rows.variable(name("unserved", r, t))
            options.append((unserved[r, t], 1.0))
            pairs.append((unserved[r, t], 2.0 * limit / scale))
            share = inputs.population[t] / total_population
            rows.add(
                pulp.LpAffineExpression(options) == share * resource.reference_total,
                name("access_demand", r, t),
                allocation_tag(PlanFamily.ACCESS, None, r, f"{r} demand of town {t} follows its residents"),
            )
        for site, members in sites.items():
            served = by_site[site] + [(rows.amount[r, f], -1.0) for f in members]
            rows.add(
                pulp.LpAffineExpression(served) <= 0,
                name("access_capacity", r, site),
                allocation_tag(PlanFamily.ACCESS, None, r, f"{r} at site {site} serves residents within reach"),
            )
    return flow, unserved, pairs


def _add_stock_rules(
    rows: AllocationRows, inputs: AllocationInputs, stock: Mapping[str, pulp.LpAffineExpression]
) -> StockHandles:
    """(R3)–(R7): what the base year leaves, what is added (and costed), what is taken away."""
    handles = StockHandles({}, {}, {}, [])
    for resource in inputs.resources:
        r = resource.name
        baseline = resource.baseline_modelled
        if baseline is not None and not resource.allow_reduction:
            rows.add(
                stock[r] >= baseline,
                name("stock_floor", r),
                allocation_tag(PlanFamily.STOCK_FLOOR, None, r, f"keep the base-year {r} ({baseline:g})"),
            )
        if resource.per_facility:
            _add_facility_stock(rows, resource, handles)
        else:
            added = _positive_part(
                rows, name("added", r), stock[r] - (baseline or 0.0), r, f"{r} added over the base year"
            )
            handles.added[r] = pulp.LpAffineExpression([(added, 1.0)])
        if resource.subset_of is not None:
            for f in resource.eligible:
                if (resource.subset_of, f) in rows.amount:
                    rows.add(
                        rows.amount[r, f] <= rows.amount[resource.subset_of, f],
                        name("subset", r, f),
                        allocation_tag(PlanFamily.SUBSET, None, r, f"{r} are counted among {resource.subset_of}"),
                    )
    return handles


def _add_facility_stock(rows: AllocationRows, resource: ResourceInputs, handles: StockHandles) -> None:
    """(R6)–(R7) for a resource whose base-year stock is known per facility: each facility keeps at
    least its stock less the allowed reduction; additions are costed where they happen, so moving a
    unit from one hospital to another is an addition (costed) plus a reduction, never free."""
    r = resource.name
    weight = PARSIMONY / max(resource.reference_total, 1.0)
    total: list[tuple[pulp.LpVariable, float]] = []
    for f in resource.eligible:
        base = resource.base_stock.get(f, 0)
        floor = resource.floor_at(f)
        x = rows.amount[r, f]
        if floor > 0:
            rows.add(
                x >= floor,
                name("stock_floor", r, f),
                allocation_tag(PlanFamily.STOCK_FLOOR, None, r, f"{f} keeps at least {floor} of its {base} {r}"),
            )
        added = _positive_part(rows, name("added", r, f), x - base, r, f"{r} added at {f}")
        handles.added_at[r, f] = added
        total.append((added, 1.0))
        handles.stability.append((added, weight))
        if base > 0:
            reduced = _positive_part(rows, name("reduced", r, f), base - x, r, f"{r} taken from {f}")
            handles.reduced_at[r, f] = reduced
            handles.stability.append((reduced, weight))
    handles.added[r] = pulp.LpAffineExpression(total)


def _positive_part(
    rows: AllocationRows, key: str, difference: pulp.LpAffineExpression, resource: str, description: str
) -> pulp.LpVariable:
    """A variable v ≥ max(difference, 0) named `key`, with its cost-accounting row `key`."""
    variable = rows.variable(key)
    rows.add(variable >= difference, key, allocation_tag(PlanFamily.COST, None, resource, description))
    return variable


_TARGET_SIDES: tuple[tuple[Side, tuple[str, ...], str], ...] = (
    ("min", (">=", "="), "shortfall"),
    ("max", ("<=", "="), "excess"),
)
"""A target's rows: its side, the target bounds that give that row, and the name of its slack."""


def _add_targets(
    rows: AllocationRows, inputs: AllocationInputs, resources: Mapping[str, ResourceInputs]
) -> tuple[dict[str, pulp.LpVariable], dict[str, pulp.LpVariable]]:
    """(T1): each target's minimum and/or maximum row; a soft target's shortfall / excess variables
    (by target id) are penalised in `rows.penalties`."""
    slacks: dict[Side, dict[str, pulp.LpVariable]] = {"min": {}, "max": {}}
    for target in inputs.targets:
        numerator = _counted(rows.amount, resources[target.resource], target.facilities, target.include_other_stock)
        if target.kind == "per_resource":
            if target.denominator_resource is None:
                raise ValueError(f"per-resource target {target.id} has no denominator resource")
            denominator = _counted(
                rows.amount,
                resources[target.denominator_resource],
                target.denominator_facilities,
                target.include_other_stock,
            )
            requirement: pulp.LpAffineExpression | float = target.required * denominator
        else:
            requirement = target.required
        description = f"target {target.id}: {target.resource} {target.bound} {target.required:g}"
        tag = allocation_tag(PlanFamily.TARGET, target.id, target.resource, description)
        weight = None if target.hard else target.shortfall_weight / max(target.scale, DIVISION_FLOOR)
        for side, bounds, slack_family in _TARGET_SIDES:
            if target.bound in bounds:
                key, slack_key = name(f"target_{side}", target.id), name(slack_family, target.id)
                slack = rows.bounded(numerator, side, requirement, key, tag, soft_weight=weight, slack_key=slack_key)
                if slack is not None:
                    slacks[side][target.id] = slack
    return slacks["min"], slacks["max"]


def _counted(
    amount: Mapping[tuple[str, str], pulp.LpVariable],
    resource: ResourceInputs,
    facilities: tuple[str, ...],
    include_other_stock: bool,
) -> pulp.LpAffineExpression:
    expression = pulp.LpAffineExpression([(amount[resource.name, f], 1.0) for f in facilities])
    if include_other_stock:
        expression += resource.other_stock
    return expression
