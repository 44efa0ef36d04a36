"""Which grade each facility has, and which national standards apply to it there.

A facility's grade is the one its plan names (`[[facility_grades]]`, e.g. 人民医院 创建三甲 ⇒
`general_tier3`), else its base-year grade from the facility table (`base_grade`), else the grade the
standards file makes the default for its level. A standard applies at a facility when it belongs to
the facility's grade and the scenario allocates the standard's resources there. The model builder and
the verifier both ask this module where a rule applies; each does its own arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.inputs.facility_schema import StandardRule
from optimizer.inputs.scenario import Scenario

SUBCENTRE_GRADE = "subcentre"
"""The sub-centre grade's bed band is the `[subcentres]` block's (applied when the model upgrades)."""


@dataclass(frozen=True)
class AppliedStandard:
    """One standard at one facility."""

    rule: StandardRule
    facility: str
    grade: str


def facility_grades(scenario: Scenario, facilities: pd.DataFrame) -> dict[str, str]:
    """Facility id → grade id for every facility with a known grade (none without standards)."""
    standards = scenario.facility_standards
    if standards is None:
        return {}
    default = {level: grade for grade, spec in standards.grades.items() for level in spec.default_for_levels}
    named = {g.facility_id: g.grade for g in scenario.facility_grades}
    base = (
        dict(zip(facilities["facility_id"], facilities["base_grade"].astype(str), strict=True))
        if "base_grade" in facilities.columns
        else {}
    )
    grades: dict[str, str] = {}
    for facility, level in zip(facilities["facility_id"], facilities["level"], strict=True):
        grade = named.get(facility) or base.get(facility) or default.get(level)
        if grade and grade in standards.grades:
            grades[facility] = grade
    return grades


def applied_standards(scenario: Scenario, facilities: pd.DataFrame) -> list[AppliedStandard]:
    """Every (standard, facility) pair that applies, in standards-file then facility-id order."""
    standards = scenario.facility_standards
    if standards is None:
        return []
    grades = facility_grades(scenario, facilities)
    levels = dict(zip(facilities["facility_id"], facilities["level"], strict=True))
    by_grade: dict[str, list[str]] = {}
    for facility, grade in sorted(grades.items()):
        by_grade.setdefault(grade, []).append(facility)
    applied = []
    for rule in standards.applicable():
        if rule.grade == SUBCENTRE_GRADE and rule.kind == "beds_band":
            continue
        needed = [rule.resource] + ([rule.of] if rule.of else []) + (["beds"] if _per_bed(rule) else [])
        for facility in by_grade.get(rule.grade, []):
            if all(_eligible(scenario, r, levels[facility]) for r in needed):
                applied.append(AppliedStandard(rule, facility, rule.grade))
    return applied


def _per_bed(rule: StandardRule) -> bool:
    return rule.kind in ("staff_per_bed", "category_min_share")


def _eligible(scenario: Scenario, resource: str, level: str) -> bool:
    spec = scenario.resources.get(resource)
    return spec is not None and level in spec.eligible_levels


def share_basis(rule: StandardRule) -> str:
    """The resource a per-unit rule is counted against: beds, or the `of` of a share rule."""
    return rule.of if rule.kind == "share_of_resource" and rule.of else "beds"
