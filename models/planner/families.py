"""The constraint families of the planner model, and what the infeasibility diagnosis may do with each.

Every row a planner block adds is tagged with a `PlanFamily`; its name is `family[key]` (STYLE rules
3–4), so the enum's values are the prefixes of the constraint names and stay plain strings in names and
CSV files (`StrEnum`). Each family is either a plan RULE (a target, a limit, the budget…), which the
diagnosis groups, relaxes and reports in the rule's unit, or DEFINITIONAL bookkeeping (access flows,
cost accounting, coverage links) that is never relaxed. A family without a classification fails at
import, so a new or renamed family cannot silently drop out of the explanation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class PlanFamily(enum.StrEnum):
    """Constraint families of `models.planner`; rules first, in the order the diagnosis tries them."""

    # Plan rules (relaxable by the diagnosis), in diagnosis order.
    BUDGET = "budget"
    TARGET = "target"
    FACILITY_LIMIT = "facility_limit"
    BED_CATEGORY = "bed_category"
    STAFF_PER_BED = "staff_per_bed"
    STOCK_FLOOR = "stock_floor"
    AMBULANCE_FLEET = "ambulance_fleet"
    NAMED_STATION = "named_station"
    AMBULANCE_RADIUS = "ambulance_radius"
    AMBULANCE_RESPONSE_MEAN = "ambulance_response_mean"
    SUBCENTRE_COUNT = "subcentre_count"
    SUBCENTRE_NAMED = "subcentre_named"
    ASSIGN = "assign"
    COVER_NETWORK = "cover_network"
    COVER_PRIMARY = "cover_primary"
    LINK = "link"
    FEATURE_TARGET = "feature_target"
    FEATURE_REQUIREMENT = "feature_requirement"
    # Definitional rows (never relaxed).
    ACCESS = "access"
    COST = "cost"
    SUBSET = "subset"
    AMBULANCE = "ambulance"
    SUBCENTRE = "subcentre"
    ASSIGN_OPEN = "assign_open"
    LINK_OPEN = "link_open"

    @classmethod
    def cover(cls, rule: str) -> PlanFamily:
        """The family of the hierarchy's cover rule `rule` (rows `cover_<rule>[town]`).

        Raises
        ------
        ValueError
            When `rule` is not a cover rule the planner knows.
        """
        try:
            return cls(f"cover_{rule}")
        except ValueError:
            known = sorted(f.value.removeprefix("cover_") for f in cls if f.value.startswith("cover_"))
            raise ValueError(
                f"hierarchy cover rule {rule!r} is not a planner family; use one of {known} "
                "or add PlanFamily.COVER_<RULE> with its classification in models/planner/families.py"
            ) from None

    @property
    def rule(self) -> PlanRule | None:
        """How the diagnosis reports this family, or None when it is definitional."""
        return _RULES.get(self)

    @property
    def is_rule(self) -> bool:
        """True when the diagnosis may relax this family."""
        return self in _RULES

    @classmethod
    def rules(cls) -> tuple[PlanFamily, ...]:
        """The rule families, in the order the diagnosis groups and tries them."""
        return tuple(f for f in cls if f.is_rule)


@dataclass(frozen=True)
class PlanRule:
    """What the diagnosis says about a rule family.

    `unit` is the unit of one unit of relaxation ("" for targets: the diagnosis takes the target
    resource's unit from the scenario); `label` names the rule in the report, with `{key}` for the
    group key, or is None to use the first row's description.
    """

    unit: str
    label: str | None = None


FACILITY_UNITS = "units at the facilities concerned"

_RULES: dict[PlanFamily, PlanRule] = {
    PlanFamily.BUDGET: PlanRule("CNY"),
    PlanFamily.TARGET: PlanRule(""),
    PlanFamily.FACILITY_LIMIT: PlanRule(FACILITY_UNITS, "facility limit '{key}'"),
    PlanFamily.BED_CATEGORY: PlanRule(FACILITY_UNITS, "bed category '{key}'"),
    PlanFamily.STAFF_PER_BED: PlanRule(FACILITY_UNITS, "staffing rule '{key}'"),
    PlanFamily.STOCK_FLOOR: PlanRule(FACILITY_UNITS),
    PlanFamily.AMBULANCE_FLEET: PlanRule("vehicles"),
    PlanFamily.NAMED_STATION: PlanRule("vehicles", "the 120 stations the plan names (one vehicle each)"),
    PlanFamily.AMBULANCE_RADIUS: PlanRule(
        "towns", "the ambulance radius (every town within its class radius of a base holding a vehicle)"
    ),
    PlanFamily.AMBULANCE_RESPONSE_MEAN: PlanRule("minutes", "the mean 120 response time"),
    PlanFamily.SUBCENTRE_COUNT: PlanRule("sub-centres"),
    PlanFamily.SUBCENTRE_NAMED: PlanRule("named sub-centres", "the sub-centres the plan names"),
    PlanFamily.ASSIGN: PlanRule(
        "towns", "the hierarchy's assignment radius (every town assigned to an open node in reach)"
    ),
    PlanFamily.COVER_NETWORK: PlanRule(
        "towns", "the emergency network radius (every town within reach of an open node)"
    ),
    PlanFamily.COVER_PRIMARY: PlanRule(
        "towns", "the primary-care radius (every town within reach of an open township-level node)"
    ),
    PlanFamily.LINK: PlanRule(
        "middle-tier facilities", "the referral limit (every open middle-tier facility near a top-tier one)"
    ),
    PlanFamily.FEATURE_TARGET: PlanRule("facilities", "feature target '{key}' (facilities that must have it)"),
    PlanFamily.FEATURE_REQUIREMENT: PlanRule(
        FACILITY_UNITS, "what a facility with feature '{key}' must hold (beds, staff)"
    ),
}

DEFINITIONAL: frozenset[PlanFamily] = frozenset(f for f in PlanFamily if f not in _RULES)
"""Bookkeeping families: access flows, cost accounting, subset links, coverage and assignment links."""

_EXPECTED_DEFINITIONAL = {
    PlanFamily.ACCESS,
    PlanFamily.COST,
    PlanFamily.SUBSET,
    PlanFamily.AMBULANCE,
    PlanFamily.SUBCENTRE,
    PlanFamily.ASSIGN_OPEN,
    PlanFamily.LINK_OPEN,
}
if DEFINITIONAL != _EXPECTED_DEFINITIONAL:  # a member added without deciding whether it is a rule
    raise RuntimeError(
        f"PlanFamily members {sorted(DEFINITIONAL ^ _EXPECTED_DEFINITIONAL)} are not classified; add each to "
        "_RULES (with unit and label) or to _EXPECTED_DEFINITIONAL in models/planner/families.py"
    )
