"""One exception hierarchy for everything a planner can get wrong or the tool can refuse.

Every message says what is wrong, where (file and field, or row and column) and how to fix it, so
the CLI can print it as one line and exit non-zero without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class PlannerError(Exception):
    """Base class of every error the tool reports to a planner."""


@dataclass(frozen=True)
class Problem:
    """One input problem: the file, the field (dotted path, or row/column) and the message with its fix."""

    path: Path
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class InputError(PlannerError):
    """One or more problems in a scenario or data file, all reported at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ScenarioError(InputError):
    """The scenario file is malformed or inconsistent."""


class DataError(InputError):
    """A data table referenced by the scenario is missing, malformed or inconsistent."""

    @classmethod
    def single(cls, path: Path, field: str, message: str) -> DataError:
        """Build an error carrying one problem."""
        return cls([Problem(path, field, message)])


class SolverError(PlannerError):
    """The solver is unavailable, crashed or returned no usable answer."""


class InfeasiblePlanError(PlannerError):
    """The hard rules of the plan cannot all hold at once; `explanation` says which and how to relax them."""

    def __init__(self, message: str, explanation: object | None = None) -> None:
        super().__init__(message)
        self.explanation = explanation


class VerificationError(PlannerError):
    """The solution violates a plan rule when checked independently of the model."""

    def __init__(self, violations: Sequence[object]) -> None:
        self.violations = tuple(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(f"the solution fails {len(self.violations)} independent check(s):\n{lines}")


class OutputError(PlannerError):
    """The output folder cannot be used (e.g. it is an input folder)."""
