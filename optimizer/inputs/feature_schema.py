"""Scenario blocks for facility features: departments, rooms, centres, grades, equipment and projects that a
plan funds at facilities, and the plan's count and share targets over them.

* `[[features]]` is one kind of feature (发热门诊, 感染性疾病科, 胸痛中心, 中医馆, 二级甲等 …): which facilities may
  have it, which have it already (a plan line or the data), what opening it costs, and what a facility that
  has it must hold (beds, physicians, nurses…; the national standard or the plan line that says so).
* `[[feature_targets]]` is a plan statement over a feature: at least a share or a count of a class of
  facilities have it (100 % of THCs and CHCs have a fever room; 2 TCM halls), or a named facility has it
  (县人民医院 建成胸痛中心). Hard or soft like every target (decision A35).

The model decides which facilities open a feature (models/planner/features.py); the verifier recounts
the holders and their resources from the output tables (optimizer/analysis/feature_checks.py).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from models.tolerances import ROUNDING_GUARD
from optimizer.inputs.schema_types import Amount, Citation, Count, FacilityLevel, Flag, PlanReferenced, Share, Year

FeatureId = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
FacilityCount = Annotated[int, Field(ge=0, le=100_000)]
"""A number of facilities: an area holds hundreds, never a hundred thousand."""
FeatureKind = Literal["department", "room", "centre", "grade", "equipment", "project", "designation"]
FEATURE_KIND_ZH: dict[str, str] = {
    "department": "科室",
    "room": "诊室",
    "centre": "中心",
    "grade": "等级",
    "equipment": "设备",
    "project": "建设项目",
    "designation": "功能定位",
}


class FacilityFeature(PlanReferenced):
    """One kind of feature a facility may have, open or be upgraded to."""

    id: FeatureId
    label_zh: str
    kind: FeatureKind
    levels: list[FacilityLevel] = Field(default_factory=list, description="facilities of these levels may have it")
    facility_ids: list[str] = Field(default_factory=list, description="these named facilities may have it")
    existing_facility_ids: list[str] = Field(
        default_factory=list, description="facilities that have it in the base year (cite in `existing_source`)"
    )
    existing_source: Citation | None = None
    requires: dict[str, Count] = Field(
        default_factory=dict, description="resource → least amount a facility with the feature holds"
    )
    requires_source: Citation | None = None
    unit_cost_cny: Amount = Field(description="capital cost of opening it at one facility (CNY)")
    source: Citation

    @model_validator(mode="after")
    def _consistent(self) -> FacilityFeature:
        if not self.levels and not self.facility_ids:
            raise ValueError("say which facilities may have the feature: `levels`, `facility_ids` or both")
        if self.existing_facility_ids and self.existing_source is None:
            raise ValueError("`existing_facility_ids` needs `existing_source`: the plan line or data naming them")
        if self.requires and self.requires_source is None:
            raise ValueError("`requires` needs `requires_source`: the standard or plan line that sets it")
        return self


class FeatureTarget(PlanReferenced):
    """A plan statement over a feature: a share or a count of a class of facilities have it."""

    id: FeatureId
    feature: FeatureId
    levels: list[FacilityLevel] = Field(
        default_factory=list, description="the class counted; none given = every facility that may have it"
    )
    facility_ids: list[str] = Field(default_factory=list)
    min_share: Share | None = None
    min_count: FacilityCount | None = None
    max_count: FacilityCount | None = None
    binding: Flag | None = Field(default=None, description="约束性 (true), 预期性 (false), not stated (none)")
    hard: Flag
    target_year: Year
    source: Citation
    decision: str | None = None

    @model_validator(mode="after")
    def _bounded(self) -> FeatureTarget:
        if self.min_share is None and self.min_count is None and self.max_count is None:
            raise ValueError("give `min_share`, `min_count`, `max_count` or a combination")
        if self.min_count is not None and self.max_count is not None and self.min_count > self.max_count:
            raise ValueError(f"min_count {self.min_count} is above max_count {self.max_count}")
        return self

    def required(self, class_size: int) -> int:
        """Facilities of the class that must have the feature: the larger of the count and the share
        (rounded up: 80 % of 11 centres is 9)."""
        by_share = math.ceil(self.min_share * class_size - ROUNDING_GUARD) if self.min_share is not None else 0
        return max(by_share, self.min_count or 0)

    @property
    def count_value(self) -> Count:
        """The target as the plan states it, for tables: the share (0–1) or the count."""
        if self.min_share is not None:
            return self.min_share
        return float(self.min_count if self.min_count is not None else self.max_count or 0)
