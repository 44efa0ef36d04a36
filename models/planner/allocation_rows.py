"""Where the allocation block's rows go: the plan problem, its registry and the penalties of soft rows.

Every builder in `allocation` and `facility_rules` adds non-negative variables and named, tagged rows
to one problem, written in the amount variables x_rf; a soft row also gets a named slack, penalised
per unit in the block's shortfall term. `AllocationRows` carries these together, so a builder takes
one argument for where its rows go, and a bounded row with its optional slack is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulp

from models.naming import ConstraintRegistry, ConstraintTag
from models.planner.families import PlanFamily

Side = Literal["min", "max"]
"""Which way a bounded row points: "min" is `lhs ≥ bound`, "max" is `lhs ≤ bound`."""

WeightedTerms = list[tuple[pulp.LpVariable, float]]
"""(variable, weight per unit) pairs that make up an objective term."""


@dataclass(frozen=True)
class AllocationRows:
    """The problem and registry the allocation rows go to, the amount variables x_rf by (resource,
    facility), and the penalty pairs of every soft row's slack, in the order the rows were added."""

    problem: pulp.LpProblem
    registry: ConstraintRegistry[PlanFamily]
    amount: Mapping[tuple[str, str], pulp.LpVariable]
    penalties: WeightedTerms = field(default_factory=list)

    def variable(self, key: str, *, integer: bool = False) -> pulp.LpVariable:
        """A new variable ≥ 0 named `key`; integer for whole units such as beds of a category."""
        return self.problem.add_variable(key, 0, cat=pulp.LpInteger if integer else pulp.LpContinuous)

    def add(self, constraint: pulp.LpConstraint, key: str, tag: ConstraintTag[PlanFamily]) -> None:
        """Add `constraint` as row `key` and register the rule it enforces."""
        self.registry.add(self.problem, constraint, key, tag)

    def bounded(
        self,
        lhs: pulp.LpAffineExpression | pulp.LpVariable,
        side: Side,
        bound: pulp.LpAffineExpression | float,
        key: str,
        tag: ConstraintTag[PlanFamily],
        *,
        soft_weight: float | None,
        slack_key: str,
    ) -> pulp.LpVariable | None:
        """Add `lhs ≥ bound` (side "min") or `lhs ≤ bound` ("max") as row `key`.

        A soft row (a weight given) gets a slack named `slack_key`, added to `lhs` on a "min" row and
        taken from it on a "max" row, and penalised per unit by the weight. Returns that slack, or
        None for a hard row.
        """
        slack = None
        if soft_weight is not None:
            slack = self.variable(slack_key)
            self.penalties.append((slack, soft_weight))
            lhs = lhs + slack if side == "min" else lhs - slack
        self.add(lhs >= bound if side == "min" else lhs <= bound, key, tag)
        return slack
