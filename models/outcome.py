"""How a MIP solve ended, in the planner's terms: shared by the solver adapter and the exact solvers.

`optimizer.solving.solve` classifies PuLP's answer into it; `models.location.exact` receives it from
the solve it is injected with. One enumeration, so a benchmark row and a planner run name an outcome
the same way.
"""

from __future__ import annotations

import enum


class SolveOutcome(enum.Enum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    FEASIBLE_GAP = "feasible_with_gap"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"

    @property
    def has_solution(self) -> bool:
        """True when variable values can be read."""
        return self in (SolveOutcome.OPTIMAL, SolveOutcome.FEASIBLE_GAP)
