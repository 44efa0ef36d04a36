"""Scenario blocks of the service network: the emergency fleet and its stations (`[ambulances]`), the
township sub-centres (`[subcentres]`) and the optional hard service hierarchy (`[hierarchy]`).

Each class is one block of a scenario file, with `extra="forbid"`, units in field names and the checks
across its fields; `optimizer.inputs.scenario.Scenario` holds them.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

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
    PlanReferenced,
)

Multiplier = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]
"""The population base of a fleet rule as a multiple of the residents (3.0 for the 300 % county base)."""
CountyCode = Annotated[str, Field(pattern=r"^\d{6}$")]


class NetworkBlock(PlanReferenced):
    """A block of the service network: the decision it records, and its checks across fields, all
    reported in one error (each block lists its own in `problems`)."""

    decision: str

    def problems(self) -> list[str]:
        """What is inconsistent across the block's fields, each with its fix (nothing by default)."""
        return []

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        found = self.problems()
        if found:
            raise ValueError("; ".join(found))
        return self


class AmbulanceSettings(NetworkBlock):
    """Fleet rule, stationing and the coverage standards of the emergency network."""

    per_population: int = Field(ge=1, le=int(MAX_COUNT), description="1 vehicle per this many people of the base")
    base_multiplier: Multiplier = Field(description="base = multiplier × resident population (A1/A3)")
    alternative_base_multiplier: Multiplier = Field(description="the other reading, reported beside")
    base_multiplier_by_county: dict[CountyCode, Multiplier] = Field(
        default_factory=dict,
        description="A2: a county's own multiplier; its bases hold ceil(m × its residents / per_population)",
    )
    extra_special_vehicles: int = Field(default=0, ge=0, le=10_000)
    existing_fleet: Amount | None = Field(default=None, description="vehicles in service: a whole number ≥ 0")
    eligible_levels: list[FacilityLevel] = Field(min_length=1)
    max_per_base: int = Field(default=6, ge=1, le=1000)
    urban_radius_km: Km
    rural_radius_km: Km
    rural_preferred_radius_km: Km = Field(
        default=10.0, description="A4: the preferred rural radius; only the coverage term of the objective uses it"
    )
    radius_hard: Flag = Field(
        default=True, description="A4: every town within its class radius of a base holding a vehicle, as a rule"
    )
    response_max_min: Minutes
    response_mean_max_min: Minutes | None = Field(
        default=None, description="A7: population-weighted mean minutes to the nearest stationed base"
    )
    response_mean_hard: Flag = False
    response_source: Citation | None = Field(
        default=None, description="where the response-time rule comes from; None = radius_source"
    )
    unit_cost_cny: Amount
    fleet_hard: Flag
    fleet_binding: Flag
    fleet_source: Citation
    radius_source: Citation

    def problems(self) -> list[str]:
        """A whole existing fleet; the preferred radius inside the hard one."""
        found = []
        fleet = self.existing_fleet
        if fleet is not None and fleet.value != int(fleet.value):
            found.append(f"existing_fleet.value {fleet.value:g} must be a whole number of vehicles")
        if self.rural_preferred_radius_km > self.rural_radius_km:
            found.append(
                f"rural_preferred_radius_km {self.rural_preferred_radius_km:g} is above rural_radius_km "
                f"{self.rural_radius_km:g}; the preferred radius lies inside the hard one"
            )
        return found


class SubcentreSettings(NetworkBlock):
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

    def problems(self) -> list[str]:
        """The named sub-centres fit the count; the bed band is not empty."""
        found = []
        if len(self.named_facility_ids) > self.count:
            found.append(f"{len(self.named_facility_ids)} named sub-centres exceed `count` = {self.count}")
        if self.min_beds > self.max_beds:
            found.append(f"min_beds {self.min_beds} is above max_beds {self.max_beds}; make min_beds ≤ max_beds")
        return found


class HierarchySettings(NetworkBlock):
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

    def problems(self) -> list[str]:
        """At least one rule; every limit positive and bounded; a level in one tier only."""
        given = {
            key: amount
            for key, amount in [
                ("assignment_radius_km", self.assignment_radius_km),
                ("network_radius_km", self.network_radius_km),
                ("referral_limit_min", self.referral_limit_min),
            ]
            if amount is not None
        }
        found = []
        if not given:
            found.append(
                "no rule is given: set assignment_radius_km, referral_limit_min or network_radius_km, "
                "or remove the [hierarchy] block"
            )
        for key, amount in given.items():
            ceiling = MAX_MIN if key.endswith("_min") else MAX_KM
            if not 0 < amount.value <= ceiling:
                found.append(f"{key}.value {amount.value:g} must be positive and at most {ceiling:g}")
        overlap = sorted(set(self.top_levels) & set(self.middle_levels))
        if overlap:
            found.append(f"levels {overlap} are both top_levels and middle_levels; a level belongs to one tier")
        return found
