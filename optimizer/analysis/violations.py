"""What a check of a plan result finds: one `Violation` per broken rule or inconsistent table.

Its own module so that every check module (`verify`, `feature_checks`, `network_checks`) reports in the
same type without importing the verifier that gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, where, and by how much."""

    rule: str
    """The rule's id: a scenario rule, a standard or a check family (budget, stock_floor …)."""
    where: str
    """The facility id, town code, county code or "area" the rule is broken at."""
    message: str
    """By how much, in the rule's own unit (beds, physicians, vehicles, km, minutes, CNY)."""

    def __str__(self) -> str:
        return f"{self.rule} at {self.where}: {self.message}"
