"""The integrated planning MIP: allocation, ambulances and sub-centres in one problem under one budget.

Formulation
-----------
The blocks and their constraints are documented in their own modules:
    models/planner/allocation.py   (R1)–(R7), (T1), (L1)–(L2), (C1)–(C4)  beds and staff
                                   (inputs in allocation_inputs.py; (L), (P), (C) rows in facility_rules.py)
    models/planner/ambulances.py   (E1)–(E11)                               fleet, radius, stationing, response
    models/planner/subcentres.py   (S1)–(S5)                                sub-centre siting
    models/planner/hierarchy.py    (1)–(5)                                  service hierarchy (optional, hard)
    models/planner/features.py     (F1)–(F3)                                departments, rooms, centres, grades
This module adds the coupling:
    (B1) budget:  Σ_r c_r g_r + Σ_r c_r Σ_f a_rf + c_amb δ + c_sub Σ_s o_s + Σ_k c_k Σ_f h_kf ≤ budget (CNY)
                  (stated in units of the budget's power of ten, so its coefficients are O(1))
    (H)  hierarchy nodes: a sub-centre candidate's node is open exactly when o_s = 1; existing
         facilities' nodes are constants 1 (variables fixed at 1)
and the objective, a weighted sum of normalised terms (each term lies in about [0, 1] per unit weight):
    min   Σ_k w_k (s_k + e_k) / scale_k      (w_k = the binding or the expected weight; fleet and feature
                                          shortfalls too)                                   shortfall
        + W_amb  · (population share NOT covered by an ambulance within its standard)        coverage
        + W_bak  · (population share without a second, backup vehicle)                      coverage
        + W_subc · (population share outside the sub-centre radius)                         coverage
        + W_subt · (mean travel to the assigned sub-centre / access limit)                  preference
        + W_acc  · (mean travel of resource demand to its facility / access limit)          preference
        + ε      · (units moved away from the base-year stock; tie-break, see (R7) and (E8)) preference
        + W_cost · (cost / budget)
Every term is non-negative, so the objective is 0 for a plan that meets everything at no travel
and no cost, and the relative gap the solver reports is meaningful. The default weights put any
shortfall of a plan target far above coverage and coverage above travel. The model is built with
the whole objective and hands its parts over (`ObjectiveTerms`): whether money may buy the
preference part alone is the scenario's spending rule, applied by optimizer/solving/spend.py.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pulp

from models.naming import ConstraintRegistry, ConstraintTag, name
from models.planner.allocation import AllocationHandles, AllocationInputs, add_allocation
from models.planner.ambulances import AmbulanceHandles, AmbulanceInputs, add_ambulances
from models.planner.families import PlanFamily
from models.planner.features import FeatureHandles, FeatureInputs, add_features
from models.planner.hierarchy import HierarchyHandles, HierarchyInputs, Node, add_hierarchy_constraints
from models.planner.subcentres import SubcentreHandles, SubcentreInputs, add_subcentres


@dataclass(frozen=True)
class PlanWeights:
    """Weights of the normalised objective terms."""

    ambulance_coverage: float
    ambulance_backup: float
    subcentre_coverage: float
    subcentre_travel: float
    access_travel: float
    cost: float


@dataclass(frozen=True)
class PlanHierarchy:
    """The hierarchy rules on facility nodes, and which nodes exist already (always open).

    Every other node must be a sub-centre candidate: it is open when the model opens that sub-centre.
    """

    rules: HierarchyInputs
    existing: frozenset[Node]
    target_id: str


@dataclass(frozen=True)
class PlanInputs:
    """The whole plan: each block's inputs (None = block switched off), the budget and the weights."""

    name: str
    allocation: AllocationInputs
    budget_cny: float
    budget_target_id: str
    weights: PlanWeights
    ambulances: AmbulanceInputs | None = None
    subcentres: SubcentreInputs | None = None
    hierarchy: PlanHierarchy | None = None
    features: FeatureInputs | None = None


@dataclass(frozen=True)
class ObjectiveTerms:
    """The objective in the parts the spending rule separates (optimizer/solving/spend.py).

    shortfall     the plan's targets: target, fleet and feature shortfalls (weighted)
    coverage      the plan's service standards: population shares outside the ambulance, backup and
                  sub-centre standards (weighted)
    preference    what only makes a plan nicer: access travel, travel to the sub-centre, and the
                  ε tie-breaks toward the base-year stock (weighted)
    siting        the features' siting tie-break (models/planner/features.py): in both phases of the
                  spend rule, so the least-cost plan opens a feature where the plan would, but not a
                  shortfall (the spend rule holds every shortfall variable at its least-cost value; capping
                  the has-feature variables it weighs froze the least-cost phase's siting)
    cost_weight   weight of one CNY (W_cost / budget)
    The objective of (B1)'s model is `shortfall + coverage + preference + siting + cost_weight · cost`.
    """

    shortfall: pulp.LpAffineExpression
    coverage: pulp.LpAffineExpression
    preference: pulp.LpAffineExpression
    siting: pulp.LpAffineExpression
    cost_weight: float

    def full(self, cost: pulp.LpAffineExpression) -> pulp.LpAffineExpression:
        """The whole objective."""
        return self.shortfall + self.coverage + self.preference + self.siting + self.cost_weight * cost

    def least_cost(self, cost: pulp.LpAffineExpression) -> pulp.LpAffineExpression:
        """What the plan asks for, then cost: no money is spent on travel alone."""
        return self.shortfall + self.coverage + self.siting + self.cost_weight * cost


@dataclass(frozen=True)
class PlanModel:
    """The built problem with typed handles to every block."""

    problem: pulp.LpProblem
    registry: ConstraintRegistry[PlanFamily]
    allocation: AllocationHandles
    ambulances: AmbulanceHandles | None
    subcentres: SubcentreHandles | None
    cost: pulp.LpAffineExpression
    terms: ObjectiveTerms
    hierarchy: HierarchyHandles | None = None
    features: FeatureHandles | None = None


def build_plan_model(inputs: PlanInputs) -> PlanModel:
    """Build the integrated MIP; pure: reads only `inputs`, never files or solvers.

    Python's cyclic garbage collector is paused while the model is built. A province-scale plan
    (3,000 towns) creates about a million PuLP objects that all stay alive, and every automatic
    collection re-scans them: that was a third of the build time. Nothing built here becomes
    garbage, so the pause frees nothing late; the collector's previous state is restored.
    """
    with _cyclic_gc_paused():
        return _build(inputs)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(inputs: PlanInputs) -> PlanModel:
    problem = pulp.LpProblem(inputs.name, pulp.LpMinimize)
    registry = ConstraintRegistry[PlanFamily]()
    weights = inputs.weights

    subcentres = add_subcentres(problem, inputs.subcentres, registry) if inputs.subcentres else None
    allocation = add_allocation(problem, inputs.allocation, registry, subcentres.is_open if subcentres else {})
    ambulances = add_ambulances(problem, inputs.ambulances, registry) if inputs.ambulances else None
    hierarchy = _add_hierarchy(problem, registry, inputs.hierarchy, subcentres) if inputs.hierarchy else None
    features = add_features(problem, inputs.features, registry, allocation.amount) if inputs.features else None

    cost = allocation.cost.copy()
    shortfall = allocation.shortfall_term.copy()
    coverage = pulp.LpAffineExpression()
    siting = pulp.LpAffineExpression()
    preference = weights.access_travel * allocation.access_term
    if ambulances is not None:
        cost += ambulances.cost
        shortfall += ambulances.shortfall_term
        coverage += (
            weights.ambulance_coverage * ambulances.uncovered_term
            + weights.ambulance_backup * ambulances.no_backup_term
        )
        preference += ambulances.stability_term
    if subcentres is not None:
        cost += subcentres.cost
        coverage += weights.subcentre_coverage * subcentres.uncovered_term
        preference += weights.subcentre_travel * subcentres.travel_term
    if features is not None:
        cost += features.cost
        shortfall += features.shortfall_term
        siting += features.siting_term
    budget_scale = max(inputs.budget_cny, 1.0)
    # (B1) is stated in units of the budget's power of ten (1e8 CNY for 600 M) so its coefficients are
    # O(1). Written in CNY (coefficients up to 3e7, right-hand side near 1e9), HiGHS 1.13's presolve
    # returned a wrong dual bound on lu_county and called a plan 0.8 % above the optimum optimal. A
    # power of ten keeps every coefficient and the right-hand side exact in the decimal LP/MPS files
    # CBC reads (dividing by the budget itself let CBC round x ≤ B down to B − 1 unit). Its dual is per
    # `unit_scale` CNY.
    row_scale = budget_row_scale(budget_scale)
    registry.add(
        problem,
        (1.0 / row_scale) * cost <= inputs.budget_cny / row_scale,
        name("budget"),
        ConstraintTag(
            PlanFamily.BUDGET,
            inputs.budget_target_id,
            None,
            None,
            f"spend at most {inputs.budget_cny:,.0f} CNY",
            unit_scale=row_scale,
        ),
    )
    terms = ObjectiveTerms(shortfall, coverage, preference, siting, weights.cost / budget_scale)
    problem += terms.full(cost)
    return PlanModel(problem, registry, allocation, ambulances, subcentres, cost, terms, hierarchy, features)


def budget_row_scale(budget_cny: float) -> float:
    """The power of ten (B1) is stated in: its coefficients O(1), exact in decimal LP/MPS files."""
    return float(10.0 ** math.floor(math.log10(max(budget_cny, 1.0))))


def _add_hierarchy(
    problem: pulp.LpProblem,
    registry: ConstraintRegistry[PlanFamily],
    hierarchy: PlanHierarchy,
    subcentres: SubcentreHandles | None,
) -> HierarchyHandles:
    """(H): give every node its open variable, then add the hierarchy rules."""
    candidates = subcentres.is_open if subcentres else {}
    open_vars: dict[Node, pulp.LpVariable] = {}
    for node in hierarchy.rules.nodes():
        if node in hierarchy.existing:
            open_vars[node] = problem.add_variable(name("hierarchy_existing", *node), lowBound=1, upBound=1)
        elif node[1] in candidates:
            open_vars[node] = candidates[str(node[1])]
        else:
            raise ValueError(
                f"hierarchy node {node} is neither an existing facility nor a sub-centre candidate; "
                "add it to the [subcentres] candidates or to the existing tiers"
            )
    return add_hierarchy_constraints(
        problem, open_vars, hierarchy.rules, registry, target_id=hierarchy.target_id, refuse_unreachable=False
    )
