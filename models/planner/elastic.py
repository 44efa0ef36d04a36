"""Named, non-negative slack on chosen constraints: the elastic model behind infeasibility diagnosis.

For a row  a·x ≥ b  the slack s ≥ 0 enters as  a·x + s ≥ b;  for  a·x ≤ b  as  a·x − s ≤ b;  for an
equality both  a·x + s⁺ − s⁻ = b.  A slack of value v therefore relaxes the rule by exactly v in the
row's own unit (beds, vehicles, budget share …). The builders stay untouched: this edits a built
problem in place and returns the slack variables per constraint name.
"""

from __future__ import annotations

from collections.abc import Iterable

import pulp

from models.naming import name


def add_elastic_slacks(problem: pulp.LpProblem, constraint_names: Iterable[str]) -> dict[str, list[pulp.LpVariable]]:
    """Give every named constraint its slack variable(s); returns `{constraint name: [slack, …]}`."""
    slacks: dict[str, list[pulp.LpVariable]] = {}
    for constraint_name in sorted(constraint_names):
        constraint = problem.get_constraint_by_name(constraint_name)
        if constraint is None:
            raise KeyError(f"no constraint named {constraint_name!r} in problem {problem.name!r}")
        if constraint.sense == pulp.LpConstraintEQ:
            up = problem.add_variable(name("elastic_up", constraint_name), 0)
            down = problem.add_variable(name("elastic_down", constraint_name), 0)
            constraint.addInPlace(up)
            constraint.subInPlace(down)
            slacks[constraint_name] = [up, down]
        else:
            slack = problem.add_variable(name("elastic", constraint_name), 0)
            if constraint.sense == pulp.LpConstraintGE:
                constraint.addInPlace(slack)
            else:
                constraint.subInPlace(slack)
            slacks[constraint_name] = [slack]
    return slacks
