"""Facility features: departments, rooms, centres, grades, equipment and projects the plan funds at facilities.

Formulation
-----------
Sets and data
    K            features (发热门诊, 感染性疾病科, 胸痛中心, 中医馆, 二级甲等 …)
    F_k          facilities that may have feature k;  E_k ⊆ F_k those that have it in the base year
    q_kr         least amount of resource r a facility with k holds (beds, physicians, nurses…)
    c_k          cost of opening k at one facility (CNY)
    T            feature targets: a class C_t ⊆ F_k of facilities, at least n_t and at most m_t of them have k
Variables
    h_kf ∈ {0,1}  facility f has feature k (fixed at 1 for f ∈ E_k)
    u_t ≥ 0       shortfall of a soft target t (absent when t is hard)
Constraints
    (F1) requirement:  x_rf ≥ q_kr · h_kf                 for k, f ∈ F_k, r with q_kr > 0
                       (a facility that cannot hold r at all cannot have k: h_kf = 0)
    (F2) target:       Σ_{f ∈ C_t} h_kf + u_t ≥ n_t        (n_t = max(count, ⌈share · |C_t|⌉))
    (F3) at most:      Σ_{f ∈ C_t} h_kf ≤ m_t              where the plan caps the count
Cost and objective parts
    cost    Σ_k c_k Σ_{f ∈ F_k \\ E_k} h_kf                 (enters the budget (B1))
    term    Σ_t w_t u_t / n_t                             (w_t = binding or expected weight; a shortfall)
    siting  ε Σ_k Σ_{f ∈ F_k \\ E_k} (1 − p_f / max p) h_kf / |F_k|
                                                          (siting tie-break, ε = SITING; p_f = residents
                                                          of f's township)
A feature no target asks for is never opened: it costs money and earns nothing, so the model opens
exactly what the plan's statements need, where the resources for it are cheapest to provide; where two
sites cost the same, the tie-break opens it where more residents live (a TCM sub-centre in the larger
town), so the choice is the plan's, not the solver's. It is a tie-break only: it never outweighs a
yuan of cost (ε per feature is far below the cost term of the cheapest opening).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulp

from models.naming import ConstraintRegistry, ConstraintTag, name
from models.planner.families import PlanFamily

SITING = 1e-5
"""Weight of the siting tie-break per feature: where openings cost the same, prefer the facility whose
township has more residents."""


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: where it may be, where it is already, what it needs and what opening it costs."""

    id: str
    facilities: tuple[str, ...]
    """F_k: the facilities that may have it, sorted."""
    existing: frozenset[str]
    """E_k: the facilities that have it in the base year (never costed, never dropped)."""
    requires: tuple[tuple[str, float], ...]
    """(resource, q_kr): the least amount of each resource a facility with the feature holds."""
    unit_cost_cny: float
    residents: tuple[float, ...] = ()
    """Residents of each facility's township, in the order of `facilities` (the siting tie-break);
    empty = no preference."""


@dataclass(frozen=True)
class FeatureTargetSpec:
    """A count over a class of facilities: at least `required` (and at most `maximum`) have the feature."""

    id: str
    feature: str
    facilities: tuple[str, ...]
    """C_t: the class counted, a subset of the feature's F_k."""
    required: int
    """n_t: at least this many of the class have the feature (0 = no lower bound)."""
    maximum: int | None
    """m_t: at most this many (None = no cap)."""
    hard: bool
    shortfall_weight: float
    """w_t: the weight of a whole shortfall of a soft target (per n_t facilities)."""


@dataclass(frozen=True)
class FeatureInputs:
    """Every feature and feature target of the plan."""

    features: tuple[FeatureSpec, ...]
    targets: tuple[FeatureTargetSpec, ...]


@dataclass(frozen=True)
class FeatureHandles:
    """The has-feature variables h_kf by (feature, facility), the target shortfalls, cost and objective parts."""

    has: dict[tuple[str, str], pulp.LpVariable]
    shortfall: dict[str, pulp.LpVariable]
    cost: pulp.LpAffineExpression
    shortfall_term: pulp.LpAffineExpression
    """Σ_t w_t u_t / n_t: the plan's feature targets."""
    siting_term: pulp.LpAffineExpression
    """The siting tie-break: it asks for nothing, so it is no shortfall (`ObjectiveTerms.siting`)."""


def add_features(
    problem: pulp.LpProblem,
    inputs: FeatureInputs,
    registry: ConstraintRegistry[PlanFamily],
    amount: Mapping[tuple[str, str], pulp.LpVariable],
) -> FeatureHandles:
    """Add (F1)–(F3) for every feature and target; `amount` is the allocation's x_rf."""
    has: dict[tuple[str, str], pulp.LpVariable] = {}
    cost = pulp.LpAffineExpression()
    siting = pulp.LpAffineExpression()
    for feature in inputs.features:
        largest = max(feature.residents, default=0.0)
        for index, facility in enumerate(feature.facilities):
            existing = facility in feature.existing
            possible = all((r, facility) in amount for r, q in feature.requires if q > 0)
            # an integer in [0, 1], not LpBinary: PuLP resets a binary's bounds to [0, 1], which would
            # drop the fixing of base-year holders at 1 and of impossible facilities at 0
            variable = problem.add_variable(
                name("has_feature", feature.id, facility),
                lowBound=1 if existing else 0,
                upBound=1 if possible or existing else 0,
                cat=pulp.LpInteger,
            )
            has[feature.id, facility] = variable
            if not existing:
                cost += feature.unit_cost_cny * variable
                if largest > 0:
                    remoteness = 1.0 - feature.residents[index] / largest
                    siting += (SITING * remoteness / len(feature.facilities)) * variable
            for resource, least in feature.requires:
                if least > 0 and (resource, facility) in amount:
                    registry.add(
                        problem,
                        amount[resource, facility] >= least * variable,
                        name("feature_requirement", feature.id, facility, resource),
                        ConstraintTag(
                            PlanFamily.FEATURE_REQUIREMENT,
                            feature.id,
                            None,
                            resource,
                            f"{facility} with {feature.id} holds at least {least:g} {resource}",
                        ),
                    )
    shortfall: dict[str, pulp.LpVariable] = {}
    term = pulp.LpAffineExpression()
    for target in inputs.targets:
        count = pulp.lpSum(has[target.feature, f] for f in target.facilities)
        if target.required > 0:
            lower = count
            if not target.hard:
                slack = problem.add_variable(name("feature_shortfall", target.id), lowBound=0)
                shortfall[target.id] = slack
                term += (target.shortfall_weight / target.required) * slack
                lower = count + slack
            registry.add(
                problem,
                lower >= target.required,
                name("feature_target", target.id),
                ConstraintTag(
                    PlanFamily.FEATURE_TARGET,
                    target.id,
                    None,
                    None,
                    f"at least {target.required} of {len(target.facilities)} facilities have {target.feature}",
                ),
            )
        if target.maximum is not None:
            registry.add(
                problem,
                count <= target.maximum,
                name("feature_target_max", target.id),
                ConstraintTag(
                    PlanFamily.FEATURE_TARGET,
                    target.id,
                    None,
                    None,
                    f"at most {target.maximum} of {len(target.facilities)} facilities have {target.feature}",
                ),
            )
    return FeatureHandles(has, shortfall, cost, term, siting)
