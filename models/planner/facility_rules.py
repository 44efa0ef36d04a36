"""Rules at single facilities: size bands (L1)–(L2), staff per bed (P1) and bed categories (C1)–(C4).

Each adds its rows to the plan model with a `PlanFamily` tag; a soft rule gets a named slack
(`slack[key]`) penalised in the block's shortfall term. Numbers refer to `add_allocation`'s formulation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pulp

from models.naming import ConstraintRegistry, ConstraintTag, name
from models.planner.allocation_inputs import AllocationInputs, allocation_tag
from models.planner.families import PlanFamily


def add_limits(
    problem: pulp.LpProblem,
    inputs: AllocationInputs,
    registry: ConstraintRegistry[PlanFamily],
    amount: Mapping[tuple[str, str], pulp.LpVariable],
    subcentre_open: Mapping[str, pulp.LpVariable],
) -> tuple[dict[str, pulp.LpVariable], list[tuple[pulp.LpVariable, float]]]:
    """(L1)–(L2): each size band on one resource at one facility; sub-centre values apply when o_f = 1."""
    slack: dict[str, pulp.LpVariable] = {}
    pairs: list[tuple[pulp.LpVariable, float]] = []
    for limit in inputs.limits:
        x = amount[limit.resource, limit.facility]
        upgrade = subcentre_open.get(limit.facility)
        tag = allocation_tag(
            PlanFamily.FACILITY_LIMIT, limit.id, limit.resource, f"{limit.resource} band at {limit.facility}"
        )
        lower: pulp.LpAffineExpression | float | None = limit.min_value
        if upgrade is not None and limit.min_if_subcentre is not None:
            lower = (limit.min_value or 0.0) + (limit.min_if_subcentre - (limit.min_value or 0.0)) * upgrade
        upper: pulp.LpAffineExpression | float | None = limit.max_value
        if upgrade is not None and limit.max_if_subcentre is not None and limit.max_value is not None:
            upper = limit.max_value + (limit.max_if_subcentre - limit.max_value) * upgrade
        weight = limit.violation_weight / max(limit.max_value or limit.min_value or 1.0, 1.0)
        sides: tuple[tuple[Literal["min", "max"], pulp.LpAffineExpression | float | None], ...] = (
            ("min", lower),
            ("max", upper),
        )
        for side, bound in sides:
            if bound is not None:
                _add_rule(
                    problem,
                    registry,
                    x,
                    side,
                    bound,
                    name(f"limit_{side}", limit.id, limit.facility),
                    tag,
                    soft_weight=None if limit.hard else weight,
                    slack=slack,
                    pairs=pairs,
                )
    return slack, pairs


def _add_rule(
    problem: pulp.LpProblem,
    registry: ConstraintRegistry[PlanFamily],
    lhs: pulp.LpAffineExpression | pulp.LpVariable,
    side: Literal["min", "max"],
    bound: pulp.LpAffineExpression | float,
    key: str,
    tag: ConstraintTag[PlanFamily],
    *,
    soft_weight: float | None,
    slack: dict[str, pulp.LpVariable],
    pairs: list[tuple[pulp.LpVariable, float]],
) -> None:
    """Add `lhs ≥ bound` (side "min") or `lhs ≤ bound` ("max") as `key`; a soft rule (a weight given)
    gets a named slack, recorded in `slack` and penalised per unit in `pairs`."""
    if soft_weight is not None:
        slack[key] = problem.add_variable(name("slack", key), 0)
        pairs.append((slack[key], soft_weight))
        lhs = lhs + slack[key] if side == "min" else lhs - slack[key]
    registry.add(problem, lhs >= bound if side == "min" else lhs <= bound, key, tag)


def add_staff_per_bed(
    problem: pulp.LpProblem,
    inputs: AllocationInputs,
    registry: ConstraintRegistry[PlanFamily],
    amount: Mapping[tuple[str, str], pulp.LpVariable],
    slack: dict[str, pulp.LpVariable],
) -> list[tuple[pulp.LpVariable, float]]:
    """(P1): a resource at a facility follows another there (staff per bed, or a share of physicians);
    soft slacks go into `slack`."""
    pairs: list[tuple[pulp.LpVariable, float]] = []
    for rule in inputs.staff_per_bed:
        staff, beds = amount[rule.resource, rule.facility], amount[rule.per_resource, rule.facility]
        tag = allocation_tag(
            PlanFamily.STAFF_PER_BED,
            rule.id,
            rule.resource,
            f"{rule.resource} ≥ {rule.min_per_bed:g} per {rule.per_resource} at {rule.facility}",
        )
        _add_rule(
            problem,
            registry,
            staff,
            "min",
            rule.min_per_bed * beds,
            name("staff_per_bed", rule.id, rule.facility),
            tag,
            soft_weight=None if rule.hard else rule.violation_weight / 100.0,
            slack=slack,
            pairs=pairs,
        )
    return pairs


def add_bed_categories(
    problem: pulp.LpProblem,
    inputs: AllocationInputs,
    registry: ConstraintRegistry[PlanFamily],
    amount: Mapping[tuple[str, str], pulp.LpVariable],
    slack: dict[str, pulp.LpVariable],
) -> tuple[dict[tuple[str, str], pulp.LpVariable], list[tuple[pulp.LpVariable, float]]]:
    """(C1)–(C4): beds of each category within, and at least / at most a share of, the facility's beds."""
    beds: dict[tuple[str, str], pulp.LpVariable] = {}
    pairs: list[tuple[pulp.LpVariable, float]] = []
    for category in inputs.bed_categories:
        c, f = category.id, category.facility
        total = amount["beds", f]
        z = problem.add_variable(name("category_beds", c, f), 0, cat=pulp.LpInteger)
        beds[c, f] = z
        tag = allocation_tag(PlanFamily.BED_CATEGORY, c, "beds", f"{c} beds at {f}")
        registry.add(problem, z <= total, name("category_within", c, f), tag)
        minimums: list[tuple[str, pulp.LpAffineExpression | float]] = []
        if category.min_beds is not None:
            minimums.append(("category_min", float(category.min_beds)))
        if category.min_share is not None:
            minimums.append(("category_share_min", category.min_share * total))
        weight = category.violation_weight / max(category.min_beds or 1, 1)
        for family, bound in minimums:
            _add_rule(
                problem,
                registry,
                z,
                "min",
                bound,
                name(family, c, f),
                tag,
                soft_weight=None if category.hard else weight,
                slack=slack,
                pairs=pairs,
            )
        if category.max_share is not None:
            registry.add(problem, z <= category.max_share * total, name("category_share_max", c, f), tag)
    return beds, pairs
