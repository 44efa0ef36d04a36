"""Rules at single facilities: size bands (L1)–(L2), staff per bed (P1) and bed categories (C1)–(C4).

Each adds its rows to the plan model with a `PlanFamily` tag; a soft rule gets a named slack
(`slack[key]`) penalised in the block's shortfall term. Numbers refer to `add_allocation`'s formulation.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulp

from models.naming import name
from models.planner.allocation_inputs import BedCategoryInputs, LimitInputs, StaffPerBedInputs, allocation_tag
from models.planner.allocation_rows import AllocationRows, Side
from models.planner.families import PlanFamily

RuleSlack = dict[str, pulp.LpVariable]
"""The slack of each soft facility rule, by the name of its row."""


def add_limits(
    rows: AllocationRows, limits: tuple[LimitInputs, ...], subcentre_open: Mapping[str, pulp.LpVariable]
) -> RuleSlack:
    """(L1)–(L2): each size band on one resource at one facility; sub-centre values apply when o_f = 1."""
    slack: RuleSlack = {}
    for limit in limits:
        x = rows.amount[limit.resource, limit.facility]
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
        weight = None if limit.hard else limit.violation_weight / max(limit.max_value or limit.min_value or 1.0, 1.0)
        sides: tuple[tuple[Side, pulp.LpAffineExpression | float | None], ...] = (("min", lower), ("max", upper))
        for side, bound in sides:
            if bound is not None:
                key = name(f"limit_{side}", limit.id, limit.facility)
                variable = rows.bounded(x, side, bound, key, tag, soft_weight=weight, slack_key=name("slack", key))
                if variable is not None:
                    slack[key] = variable
    return slack


def add_staff_per_bed(rows: AllocationRows, rules: tuple[StaffPerBedInputs, ...]) -> RuleSlack:
    """(P1): a resource at a facility follows another there (staff per bed, or a share of physicians)."""
    slack: RuleSlack = {}
    for rule in rules:
        staff, beds = rows.amount[rule.resource, rule.facility], rows.amount[rule.per_resource, rule.facility]
        tag = allocation_tag(
            PlanFamily.STAFF_PER_BED,
            rule.id,
            rule.resource,
            f"{rule.resource} ≥ {rule.min_per_bed:g} per {rule.per_resource} at {rule.facility}",
        )
        key = name("staff_per_bed", rule.id, rule.facility)
        weight = None if rule.hard else rule.violation_weight / 100.0
        bound = rule.min_per_bed * beds
        variable = rows.bounded(staff, "min", bound, key, tag, soft_weight=weight, slack_key=name("slack", key))
        if variable is not None:
            slack[key] = variable
    return slack


def add_bed_categories(
    rows: AllocationRows, categories: tuple[BedCategoryInputs, ...]
) -> tuple[dict[tuple[str, str], pulp.LpVariable], RuleSlack]:
    """(C1)–(C4): beds of each category within, and at least / at most a share of, the facility's beds.

    Returns the category beds z_cf by (category, facility) and the slack of the soft minimums."""
    beds: dict[tuple[str, str], pulp.LpVariable] = {}
    slack: RuleSlack = {}
    for category in categories:
        c, f = category.id, category.facility
        total = rows.amount["beds", f]
        z = rows.variable(name("category_beds", c, f), integer=True)
        beds[c, f] = z
        tag = allocation_tag(PlanFamily.BED_CATEGORY, c, "beds", f"{c} beds at {f}")
        rows.add(z <= total, name("category_within", c, f), tag)
        minimums: list[tuple[str, pulp.LpAffineExpression | float]] = []
        if category.min_beds is not None:
            minimums.append(("category_min", float(category.min_beds)))
        if category.min_share is not None:
            minimums.append(("category_share_min", category.min_share * total))
        weight = None if category.hard else category.violation_weight / max(category.min_beds or 1, 1)
        for family, bound in minimums:
            key = name(family, c, f)
            variable = rows.bounded(z, "min", bound, key, tag, soft_weight=weight, slack_key=name("slack", key))
            if variable is not None:
                slack[key] = variable
        if category.max_share is not None:
            rows.add(z <= category.max_share * total, name("category_share_max", c, f), tag)
    return beds, slack
