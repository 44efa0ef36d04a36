"""A planner's own table of amounts per facility, as rows of a built plan model: fixed, or as a deviation.

`optimizer audit` asks two questions of a plan's bed table (its Table 2 of beds per facility): is the
table, as it stands, feasible under the scenario's hard rules, and, if not, what is the smallest change
that makes it so. The first fixes the amounts (`fix_amounts`); the second measures how far the plan
moves from the table (`add_deviation`), an L1 distance made linear with two non-negative variables per
facility. Both edit a built `PlanModel` problem in place (after `build_plan_model`, before the solve);
the plan's own rows are untouched, so every hard rule of the scenario still holds.

Formulation (`add_deviation`)
-----------------------------
Sets
    F_p ⊆ F_r       facilities the table gives a value for (all eligible for resource r)
Parameters
    p_f ∈ Z≥0       the table's amount of r at f (beds)
    D ≥ 0           optional cap on the total deviation (beds), e.g. the least one found before
Variables
    x_rf ∈ Z≥0      the plan model's amount of r at f (`PlanModel.allocation.amount[r, f]`)
    u_f, v_f ≥ 0    units above / below the table at f
Constraints
    (D1) audit_deviation[f]:      x_rf − u_f + v_f = p_f                  f ∈ F_p
    (D2) audit_deviation_total:   Σ_{f ∈ F_p} (u_f + v_f) ≤ D              (only when D is given)
Objective term
    Δ = Σ_{f ∈ F_p} (u_f + v_f)    (units of r)
Minimising Δ gives u_f + v_f = |x_rf − p_f| at every f (a pair with both u_f, v_f > 0 could lower
both by min(u_f, v_f)), so min Δ is the L1 distance from the table to the nearest plan that satisfies
every hard rule; Δ is a whole number because x_rf and p_f are. Facilities outside F_p are free.

`fix_amounts` sets lowBound = upBound = p_f on x_rf instead: bounds, not rows, so the infeasibility
diagnosis (which relaxes plan rules only, models/planner/elastic.py) names the hard rules the fixed
table breaks, never the fixing itself. The deviation rows are bookkeeping, not plan rules: they carry
their own family and registry and never enter the plan's `ConstraintRegistry`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

import pulp

from models.naming import ConstraintRegistry, ConstraintTag, name


class DeviationFamily(enum.StrEnum):
    """Constraint families of the deviation rows (prefixes of their names)."""

    DEVIATION = "audit_deviation"
    TOTAL = "audit_deviation_total"


@dataclass(frozen=True)
class DeviationHandles:
    """Units above and below the table per facility, the total Δ, and the rows' registry."""

    above: dict[str, pulp.LpVariable]
    below: dict[str, pulp.LpVariable]
    total: pulp.LpAffineExpression
    registry: ConstraintRegistry[DeviationFamily]


def _variables(
    amount: Mapping[tuple[str, str], pulp.LpVariable], resource: str, table: Mapping[str, int]
) -> dict[str, pulp.LpVariable]:
    """The model's x_rf of every facility in `table`; a facility not eligible for `resource` is refused."""
    missing = sorted(f for f in table if (resource, f) not in amount)
    if missing:
        raise KeyError(f"no {resource} variable at {missing}: those facilities are not eligible for {resource}")
    negative = sorted(f for f, value in table.items() if value < 0 or value != int(value))
    if negative:
        raise ValueError(f"table values of {resource} at {negative} must be whole numbers ≥ 0")
    return {f: amount[resource, f] for f in sorted(table)}


def fix_amounts(amount: Mapping[tuple[str, str], pulp.LpVariable], resource: str, table: Mapping[str, int]) -> None:
    """Fix x_rf = p_f for every facility in `table` (both bounds); other facilities stay free.

    Raises
    ------
    KeyError
        When a facility of `table` has no `resource` variable (it is not eligible for it).
    ValueError
        When a table value is not a whole number ≥ 0.
    """
    for f, x in _variables(amount, resource, table).items():
        x.lowBound = int(table[f])
        x.upBound = int(table[f])


def add_deviation(
    problem: pulp.LpProblem,
    amount: Mapping[tuple[str, str], pulp.LpVariable],
    resource: str,
    table: Mapping[str, int],
    *,
    cap: float | None = None,
) -> DeviationHandles:
    """Add (D1) for every facility of `table` and, with `cap`, (D2); return u, v and Δ.

    The objective is not changed: the caller minimises `total` or keeps the plan's objective.

    Raises
    ------
    KeyError, ValueError
        As `fix_amounts`.
    """
    registry = ConstraintRegistry[DeviationFamily]()
    above: dict[str, pulp.LpVariable] = {}
    below: dict[str, pulp.LpVariable] = {}
    for f, x in _variables(amount, resource, table).items():
        above[f] = problem.add_variable(name("audit_above", resource, f), 0)
        below[f] = problem.add_variable(name("audit_below", resource, f), 0)
        registry.add(
            problem,
            x - above[f] + below[f] == int(table[f]),
            name(DeviationFamily.DEVIATION, f),
            ConstraintTag(
                DeviationFamily.DEVIATION, None, f, resource, f"{resource} at {f} against the table's {table[f]}"
            ),
        )
    total = pulp.LpAffineExpression([(v, 1.0) for f in above for v in (above[f], below[f])])
    if cap is not None:
        registry.add(
            problem,
            total <= cap,
            name(DeviationFamily.TOTAL),
            ConstraintTag(
                DeviationFamily.TOTAL, None, None, resource, f"{resource} at most {cap:g} units away from the table"
            ),
        )
    return DeviationHandles(above, below, total, registry)
