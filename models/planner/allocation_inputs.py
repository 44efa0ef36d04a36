"""Typed inputs of the allocation block (`models.planner.allocation`) and the tag its rows carry.

Units are in the field names or the docstrings: amounts in the resource's own unit (beds, persons,
vehicles), costs in CNY, times in minutes. The formulation they parameterise is in `add_allocation`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from models.naming import ConstraintTag
from models.planner.families import PlanFamily
from models.tolerances import ROUNDING_GUARD

TargetKind = Literal["per_population", "per_resource", "count"]
Sense = Literal[">=", "<=", "="]


@dataclass(frozen=True)
class ResourceInputs:
    """One allocatable resource."""

    name: str
    eligible: tuple[str, ...]
    subset_of: str | None
    baseline_modelled: float | None
    other_stock: float
    unit_cost_cny: float
    allow_reduction: bool
    demand_driven: bool
    reference_total: float
    base_stock: Mapping[str, int] = field(default_factory=dict)
    """Base-year amount per eligible facility; empty = not known per facility (pooled rules only)."""
    max_reduction_share: float = 0.0
    """Largest share of a facility's base-year stock the plan may take away (0 = none)."""

    @property
    def per_facility(self) -> bool:
        """True when the base-year stock is known facility by facility."""
        return bool(self.base_stock)

    def floor_at(self, facility: str) -> int:
        """The least amount `facility` may keep: its stock less the allowed reduction, rounded up."""
        base = self.base_stock.get(facility, 0)
        return math.ceil(base * (1.0 - self.max_reduction_share) - ROUNDING_GUARD)


@dataclass(frozen=True)
class TargetInputs:
    """One ratio target, already turned into absolute amounts by the caller."""

    id: str
    resource: str
    kind: TargetKind
    bound: Sense
    required: float
    facilities: tuple[str, ...]
    include_other_stock: bool
    denominator_resource: str | None
    denominator_facilities: tuple[str, ...]
    hard: bool
    shortfall_weight: float
    scale: float


@dataclass(frozen=True)
class LimitInputs:
    """A size band on one resource at one facility; the sub-centre values apply when it is upgraded."""

    id: str
    resource: str
    facility: str
    min_value: float | None
    max_value: float | None
    min_if_subcentre: float | None
    max_if_subcentre: float | None
    hard: bool
    violation_weight: float


@dataclass(frozen=True)
class StaffPerBedInputs:
    """Amount of one resource a facility needs per unit of another: staff per bed (staff follow beds),
    or a share such as TCM physicians among a TCM hospital's physicians (`per_resource = "physicians"`)."""

    id: str
    resource: str
    facility: str
    min_per_bed: float
    hard: bool
    violation_weight: float
    per_resource: str = "beds"


@dataclass(frozen=True)
class BedCategoryInputs:
    """Beds of one category at one facility (infectious-disease, emergency observation…)."""

    id: str
    facility: str
    min_beds: int | None
    min_share: float | None
    max_share: float | None
    hard: bool
    violation_weight: float


@dataclass(frozen=True)
class AllocationInputs:
    """Everything the allocation block needs, keyed by division code and facility id."""

    towns: tuple[str, ...]
    population: Mapping[str, float]
    facilities: tuple[str, ...]
    facility_site: Mapping[str, str]
    access_min: Mapping[tuple[str, str], float]
    access_limit_min: float
    resources: tuple[ResourceInputs, ...]
    targets: tuple[TargetInputs, ...]
    limits: tuple[LimitInputs, ...]
    staff_per_bed: tuple[StaffPerBedInputs, ...]
    bed_categories: tuple[BedCategoryInputs, ...]


def allocation_tag(
    family: PlanFamily, target: str | None, resource: str | None, description: str
) -> ConstraintTag[PlanFamily]:
    """The tag of an allocation row: no area (the block's rows are per resource, facility or target)."""
    return ConstraintTag(family, target, None, resource, description)
