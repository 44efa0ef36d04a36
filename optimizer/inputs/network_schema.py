"""Scenario blocks of the service network: the emergency fleet and its stations (`[ambulances]`), the
township sub-centres (`[subcentres]`) and the optional hard service hierarchy (`[hierarchy]`).

Each class is one block of a scenario file, with `extra="forbid"`, units in field names and the checks
across its fields; `optimizer.inputs.scenario.Scenario` holds them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from optimizer.inputs.schema_types import (
    MAX_COUNT,
    MAX_KM,
    MAX_MIN,
    Amount,
    Citation,
    FacilityLevel,
    Flag,
    Km,
    Minutes,
    StrictModel,
)


class AmbulanceSettings(StrictModel):
    """Fleet rule, stationing and the coverage standards of the emergency network."""

    per_population: int = Field(ge=1, le=int(MAX_COUNT), description="1 vehicle per this many people of the base")
    base_multiplier: float = Field(
        gt=0, le=100, allow_inf_nan=False, description="base = multiplier × resident population (A1/A3)"
    )
    alternative_base_multiplier: float = Field(
        gt=0, le=100, allow_inf_nan=False, description="the other reading, reported beside"
    )
    extra_special_vehicles: int = Field(default=0, ge=0, le=10_000)
    existing_fleet: Amount | None = Field(default=None, description="vehicles in service: a whole number ≥ 0")
    eligible_levels: list[FacilityLevel] = Field(min_length=1)
    max_per_base: int = Field(default=6, ge=1, le=1000)
    urban_radius_km: Km
    rural_radius_km: Km
    response_max_min: Minutes
    unit_cost_cny: Amount
    fleet_hard: Flag
    fleet_binding: Flag
    fleet_source: Citation
    radius_source: Citation
    decision: str

    @model_validator(mode="after")
    def _whole_fleet(self) -> AmbulanceSettings:
        if self.existing_fleet is not None and self.existing_fleet.value != int(self.existing_fleet.value):
            raise ValueError(f"existing_fleet.value {self.existing_fleet.value:g} must be a whole number of vehicles")
        return self


class SubcentreSettings(StrictModel):
    """Township sub-centres (县域医疗卫生次中心): how many, which the plan names, the radius."""

    count: int = Field(ge=0, le=10_000)
    named_facility_ids: list[str] = Field(default_factory=list)
    honour_named: Flag = True
    radius_km: Km
    min_beds: int = Field(
        ge=0, le=100_000, description="beds an upgraded sub-centre must have (tier-2 general hospital)"
    )
    max_beds: int = Field(
        ge=0, le=100_000, description="cap on an upgraded sub-centre's beds, replacing its township cap"
    )
    beds_source: Citation
    upgrade_cost_cny: Amount
    source: Citation
    decision: str

    @model_validator(mode="after")
    def _named_fit(self) -> SubcentreSettings:
        if len(self.named_facility_ids) > self.count:
            raise ValueError(f"{len(self.named_facility_ids)} named sub-centres exceed `count` = {self.count}")
        if self.min_beds > self.max_beds:
            raise ValueError(f"min_beds {self.min_beds} is above max_beds {self.max_beds}; make min_beds ≤ max_beds")
        return self


class HierarchySettings(StrictModel):
    """The service hierarchy as hard rules (off unless the block is given).

    Nodes are facilities: the top tier (county hospital, county emergency centre) and the middle tier
    (existing central township health centres of `middle_levels`) are always open; the sub-centres the
    model opens join the middle tier. Three rules, each on when its number is given:

    * assignment: every town assigned to one open node within `assignment_radius_km` (straight line):
      the sub-centre serves the towns around it, the county hospital its own surroundings;
    * referral: every open middle node within `referral_limit_min` of a top node (travel minutes from
      the middle node's town);
    * network: every town of `network_applies_to` within `network_radius_km` of an open node of any tier:
      the three-tier rural emergency network (county emergency centre → central THC → THC, 10–20 km).
    """

    top_levels: list[FacilityLevel] = Field(min_length=1)
    middle_levels: list[FacilityLevel] = Field(default_factory=list)
    assignment_radius_km: Amount | None = None
    referral_limit_min: Amount | None = None
    network_radius_km: Amount | None = None
    network_applies_to: Literal["rural", "all"] = "rural"
    decision: str

    @model_validator(mode="after")
    def _some_rule(self) -> HierarchySettings:
        if self.assignment_radius_km is None and self.referral_limit_min is None and self.network_radius_km is None:
            raise ValueError(
                "no rule is given: set assignment_radius_km, referral_limit_min or network_radius_km, "
                "or remove the [hierarchy] block"
            )
        for name in ("assignment_radius_km", "network_radius_km", "referral_limit_min"):
            amount = getattr(self, name)
            ceiling = MAX_MIN if name.endswith("_min") else MAX_KM
            if amount is not None and not 0 < amount.value <= ceiling:
                raise ValueError(f"{name}.value {amount.value:g} must be positive and at most {ceiling:g}")
        overlap = sorted(set(self.top_levels) & set(self.middle_levels))
        if overlap:
            raise ValueError(f"levels {overlap} are both top_levels and middle_levels; a level belongs to one tier")
        return self
