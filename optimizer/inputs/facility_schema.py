"""Scenario blocks that make a facility an institution: its grade, the standards of that grade, and the
sizes and grades the plan names for it.

* `[facility_standards]` points at the national grade standards (`defaults/facility_standards.toml`:
  bed bands, staff per bed, minimum headcounts, TCM and paediatric shares per grade, each with its
  document and article) and says which of them to leave out and whether bands and norms are hard.
* `[[facility_grades]]` is a grade the plan names for a facility (人民医院 创建三甲 ⇒ `general_tier3`);
  a facility the plan does not name keeps its base-year grade from the facility table.
* `[[facility_sizes]]` is a size the plan states for a facility (妇幼保健院 床位规模达到300张): a band of
  ± `tolerance_share` around the value, not a floor.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from models.tolerances import ROUNDING_GUARD
from optimizer.inputs.schema_types import (
    MAX_COUNT,
    Citation,
    Count,
    FacilityLevel,
    Flag,
    PlanReferenced,
    Share,
    StrictModel,
    Year,
)

GradeId = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
StandardKind = Literal[
    "beds_band", "staff_per_bed", "staff_min", "share_of_resource", "category_min_share", "category_min"
]


class StandardSource(StrictModel):
    """Where a national standard's value comes from: document, year, article and the quote retrieved."""

    document: str
    year: Year | None = None
    article: str | None = None
    quote: str | None = None
    url: str | None = None
    confirmed: Flag = Field(description="true when the quote was read in a retrieved copy of the document")
    estimated: Flag = False
    basis: str | None = Field(default=None, description="what an unconfirmed or estimated value relies on")

    def label(self) -> str:
        """Short citation for tables: the document, year and article, and whether it is confirmed."""
        parts = [self.document + (f" ({self.year})" if self.year else "")]
        if self.article:
            parts.append(self.article)
        if not self.confirmed:
            parts.append("unconfirmed" + (f": {self.basis}" if self.basis else ""))
        return ", ".join(parts)


class GradeSpec(StrictModel):
    """A facility grade (二级综合医院, 中心乡镇卫生院 …) and the data levels it is the default for."""

    label_zh: str
    default_for_levels: list[FacilityLevel] = Field(default_factory=list)
    description: str | None = None


class StandardRule(StrictModel):
    """One value of a national standard for one grade (a band, a per-bed norm, a minimum, a share)."""

    id: GradeId
    grade: GradeId
    kind: StandardKind
    resource: str
    of: str | None = Field(default=None, description="share_of_resource: the resource the share is of")
    min: float | None = Field(default=None, ge=0, le=MAX_COUNT, allow_inf_nan=False)
    max: float | None = Field(default=None, ge=0, le=MAX_COUNT, allow_inf_nan=False)
    source: StandardSource
    note: str | None = None

    @model_validator(mode="after")
    def _values(self) -> StandardRule:
        if self.min is None and self.max is None:
            raise ValueError(f"standard {self.id}: give `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"standard {self.id}: min {self.min:g} is above max {self.max:g}")
        if self.kind == "share_of_resource" and self.of is None:
            raise ValueError(f"standard {self.id}: a share_of_resource rule needs `of` (the resource it is a share of)")
        if self.kind in ("share_of_resource", "category_min_share") and (self.min or 0) > 1:
            raise ValueError(f"standard {self.id}: a share is a fraction in [0, 1]")
        return self


class ExcludedStandard(StrictModel):
    """A standard the scenario leaves out, with the reason a planner reads in the report."""

    id: str
    reason: str


class FacilityStandards(StrictModel):
    """The national grade standards a scenario applies (loaded from `file`)."""

    file: Path = Field(description="the standards TOML, relative to the file that names it")
    grades: dict[GradeId, GradeSpec] = Field(default_factory=dict)
    standards: list[StandardRule] = Field(default_factory=list)
    exclude: list[ExcludedStandard] = Field(default_factory=list)
    bands_hard: Flag = Field(default=True, description="grade bed bands as hard rules (existing stock above stays)")
    norms_hard: Flag = Field(default=False, description="staff norms as hard rules; soft = shortfall reported")

    @model_validator(mode="after")
    def _known_grades(self) -> FacilityStandards:
        unknown = sorted({rule.grade for rule in self.standards} - set(self.grades))
        if unknown:
            raise ValueError(f"standards name grades {unknown} that `grades` does not define")
        ids = [rule.id for rule in self.standards]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"standard ids {twice} are used twice")
        missing = sorted({e.id for e in self.exclude} - set(ids))
        if missing:
            raise ValueError(f"exclude names standards {missing} that the standards file does not have")
        return self

    def is_hard(self, rule: StandardRule) -> bool:
        """A band is hard when `bands_hard`, a norm when `norms_hard`, and only if its value is confirmed:
        a value no retrieved text confirms is reported against, never allowed to bind a plan."""
        chosen = self.bands_hard if rule.kind == "beds_band" else self.norms_hard
        return chosen and rule.source.confirmed

    def applicable(self) -> list[StandardRule]:
        """The standards not excluded, in file order."""
        skipped = {e.id for e in self.exclude}
        return [rule for rule in self.standards if rule.id not in skipped]


class FacilityGrade(PlanReferenced):
    """The grade a plan names for a facility (an upgrade, or the grade it is to keep)."""

    facility_id: str
    grade: GradeId
    source: Citation
    decision: str | None = None


class FacilitySize(PlanReferenced):
    """A size the plan states for one facility: value ± tolerance_share, on beds or another resource."""

    id: GradeId
    facility_id: str
    resource: str = "beds"
    value: Count
    tolerance_share: Share = Field(default=0.1, description="the band is value × (1 ± tolerance_share)")
    hard: Flag = True
    source: Citation
    decision: str | None = None

    @property
    def band(self) -> tuple[int, int]:
        """Whole-unit band (low rounded up, high rounded down, so the band never exceeds the tolerance)."""
        low = math.ceil(self.value * (1 - self.tolerance_share) - ROUNDING_GUARD)
        high = math.floor(self.value * (1 + self.tolerance_share) + ROUNDING_GUARD)
        return low, max(high, low)
