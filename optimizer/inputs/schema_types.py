"""Building blocks of the scenario schema: the bounded number types, the level and group names, citations.

Every number a scenario may hold is bounded here once (finite, and in a range a county plan can
mean), so the blocks in `optimizer.inputs.scenario` declare units and bounds by type (`Km`, `Count`,
`FiniteNonNeg`) instead of repeating `Field(...)` limits. `Citation` and `Amount` tie a number to the
plan line or the estimate it comes from; `StrictModel` is the base of every block (`extra="forbid"`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

FacilityLevel = Literal[
    "county_general_hospital",
    "county_tcm_hospital",
    "specialty_hospital",
    "mch_center",
    "central_thc",
    "thc",
    "chc",
]
PopulationGroup = Literal["residents", "children_0_14", "aged_65_plus"]
Bound = Literal[">=", "<=", "="]

# Bounds shared by every number of the schema: finite, and in a range a county plan can mean. A budget of
# 1e308 CNY or a denominator of 1e-300 reaches the solver as an overflow (HiGHS crashed on both).
MAX_CNY = 1e13
"""Ceiling of every amount (CNY, counts of staff or beds): ten trillion, far above any county budget."""
MAX_COUNT = 1e7
MAX_KM = 500.0
MAX_MIN = 24 * 60.0
MAX_KPH = 200.0
MAX_PER_1000 = 100.0
"""A per-population target above 100 per 1,000 (10 % of the people) is a unit slip, not a plan."""
Flag = StrictBool
"""`true` / `false` only: TOML's own booleans, never "yes", "是" or 1."""
FiniteNonNeg = Annotated[float, Field(ge=0, le=MAX_CNY, allow_inf_nan=False)]
Count = Annotated[float, Field(ge=0, le=MAX_COUNT, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Km = Annotated[float, Field(gt=0, le=MAX_KM, allow_inf_nan=False)]
Minutes = Annotated[float, Field(gt=0, le=MAX_MIN, allow_inf_nan=False)]
Kph = Annotated[float, Field(gt=0, le=MAX_KPH, allow_inf_nan=False)]
Weight = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1949, le=2100)]


class StrictModel(BaseModel):
    """Base of every scenario block: unknown fields are errors, and a loaded scenario is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(StrictModel):
    """Where a number comes from: a seed plan line, a national rule, or an estimate with its basis."""

    seed: str | None = Field(default=None, description="seed file name, e.g. 003_73fe565c888d90cc.txt")
    line: int | None = Field(default=None, ge=1)
    quote: str | None = None
    basis: str | None = Field(default=None, description="for estimates and derived numbers: how it was obtained")
    estimated: Flag = False

    @model_validator(mode="after")
    def _cited(self) -> Citation:
        if self.seed is None and self.basis is None:
            raise ValueError("give either `seed` and `line` (a plan quote) or `basis` (how the number was obtained)")
        if self.seed is not None and self.line is None:
            raise ValueError("a seed citation needs its `line` number")
        return self

    def label(self) -> str:
        """Short citation for tables: `003_…txt:L204` or the basis."""
        if self.seed is not None:
            return f"{self.seed}:L{self.line}"
        return f"{'estimate' if self.estimated else 'derived'}: {self.basis}"


class Amount(StrictModel):
    """A number with its citation."""

    value: FiniteNonNeg = Field(description="non-negative, finite, at most 1e13 (CNY, persons, km, minutes …)")
    source: Citation


EntryId = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
"""The id of a plan entry in data/plans/plan_entries.csv (unique within its seed)."""


class PlanReferenced(StrictModel):
    """A scenario block that encodes statements of the plan: besides its own `id` (which is a plan entry's
    id when the block encodes exactly one), `plan_entries` lists the further entries it encodes, so the
    report can account for every statement of the plan (`optimizer.analysis.plan_entry_status`)."""

    plan_entries: list[EntryId] = Field(
        default_factory=list, description="ids of the plan entries (data/plans/plan_entries.csv) this block encodes"
    )
