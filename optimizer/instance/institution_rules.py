"""Facility rules that come from what a facility is: its grade's national standards and the sizes its
plan states, turned into the allocation block's limits (L1)–(L2) and per-unit rules (P1).

* `beds_band` → a bed band (hard when `bands_hard` and the value is confirmed); `staff_min` /
  `category_min` → a minimum;
  `staff_per_bed` / `category_min_share` → an amount per bed; `share_of_resource` → an amount per unit
  of another resource (TCM physicians ≥ 60 % of a TCM hospital's physicians). Staff norms are soft
  unless `norms_hard`: a shortfall is reported in headcount, never hidden.
* `[[facility_sizes]]` → a hard band value × (1 ± tolerance) at the named facility.
* No band forces existing stock down: a band's maximum is raised to the least the facility keeps of its
  base-year stock (its stock less the allowed reduction), and the report names the facility.
"""

from __future__ import annotations

from models.planner import LimitInputs, StaffPerBedInputs
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.grades import applied_standards, share_basis
from optimizer.inputs.scenario import Scenario


def standard_limits(scenario: Scenario, data: Datasets, floor: dict[tuple[str, str], int]) -> list[LimitInputs]:
    """Bands and minimums of the grade standards and the plan's stated sizes, per facility.

    `floor[(resource, facility)]` is the least the facility keeps of its base-year stock.
    """
    standards = scenario.facility_standards
    weight = scenario.objective.expected_shortfall
    limits: list[LimitInputs] = []
    for applied in applied_standards(scenario, data.facilities):
        rule, f = applied.rule, applied.facility
        if standards is None or rule.kind not in ("beds_band", "staff_min", "category_min"):
            continue
        upper = rule.max if rule.kind == "beds_band" else None
        limits.append(_limit(rule.id, rule.resource, f, rule.min, upper, standards.is_hard(rule), weight, floor))
    for size in scenario.facility_sizes:
        low, high = size.band
        limits.append(_limit(size.id, size.resource, size.facility_id, low, high, size.hard, weight, floor))
    return limits


def standard_ratios(scenario: Scenario, data: Datasets) -> list[StaffPerBedInputs]:
    """Per-bed norms and shares of another resource, per facility (soft unless `norms_hard`)."""
    standards = scenario.facility_standards
    if standards is None:
        return []
    weight = scenario.objective.expected_shortfall
    return [
        StaffPerBedInputs(
            a.rule.id,
            a.rule.resource,
            a.facility,
            float(a.rule.min),
            standards.is_hard(a.rule),
            weight,
            per_resource=share_basis(a.rule),
        )
        for a in applied_standards(scenario, data.facilities)
        if a.rule.kind in ("staff_per_bed", "category_min_share", "share_of_resource") and a.rule.min
    ]


def kept_maximum(high: float | None, kept: int) -> float | None:
    """A band's maximum, raised to what the facility keeps of its base-year stock (never forced down)."""
    if high is None:
        return None
    return max(float(high), float(kept))


def _limit(
    rule_id: str,
    resource: str,
    facility: str,
    low: float | None,
    high: float | None,
    hard: bool,
    weight: float,
    floor: dict[tuple[str, str], int],
) -> LimitInputs:
    return LimitInputs(
        id=rule_id,
        resource=resource,
        facility=facility,
        min_value=low,
        max_value=kept_maximum(high, floor.get((resource, facility), 0)),
        min_if_subcentre=None,
        max_if_subcentre=None,
        hard=hard,
        violation_weight=weight,
    )
