"""Constraint and variable names of the form `family[key]`, and the registry that maps them to plan targets.

Every constraint a builder adds is registered with the plan target it enforces, so a conflict or a
binding constraint can be reported in the planner's words without parsing names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import pulp

F = TypeVar("F", bound=enum.StrEnum)
"""The family enumeration of a model kind (`PlanFamily`, `LocationFamily`)."""


def name(family: str, *keys: object) -> str:
    """Return `family[k1,k2,...]`; PuLP-safe because keys are codes or short ids."""
    return f"{family}[{','.join(str(k) for k in keys)}]" if keys else family


@dataclass(frozen=True)
class ConstraintTag(Generic[F]):
    """What a named constraint stands for in the plan; `family` is a member of the model kind's enum."""

    family: F
    target_id: str | None
    area: str | None
    resource: str | None
    description: str
    unit_scale: float = 1.0  # one unit of slack on this row, in the rule's own unit (e.g. CNY per budget share)


@dataclass
class ConstraintRegistry(Generic[F]):
    """Constraint name → `ConstraintTag`, filled while a model is built."""

    tags: dict[str, ConstraintTag[F]] = field(default_factory=dict)

    def add(
        self,
        problem: pulp.LpProblem,
        constraint: pulp.LpConstraint,
        constraint_name: str,
        tag: ConstraintTag[F],
    ) -> None:
        """Add `constraint` to `problem` under `constraint_name` and remember what it enforces.

        The registry is keyed by the name as PuLP stores it (PuLP turns `[`, `]`, `-` and spaces
        into `_`), so a key found in `problem.constraints` looks up its tag directly.
        """
        constraint.name = constraint_name
        stored = str(constraint.name)
        if stored in self.tags:
            raise ValueError(f"constraint name {constraint_name!r} is used twice")
        problem += constraint
        self.tags[stored] = tag

    def families(self) -> set[F]:
        """The constraint families present in the model."""
        return {tag.family for tag in self.tags.values()}
