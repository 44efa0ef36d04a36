"""The records passed between build steps: 2016 units, counties, townships, facility specs, the log."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from data_build.geo import Point
from data_build.names import name_stem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Town2016:
    """A 2016 township-level unit of vonng-adcode-2016 with its village-level units' 城乡分类代码."""

    code: str
    name: str
    point: Point | None
    """GCJ-02 converted to WGS-84; None when the source has no point for the unit."""
    unit_codes: tuple[str, ...]


@dataclass(frozen=True)
class County:
    """County-level facts: census 2020 (leiii) and the seat point (vonng-adcode-2016)."""

    code: str
    name: str
    prefecture_code: str
    population: int
    """Census 2020 resident population (persons)."""
    urban: int
    rural: int
    share_0_14: str
    share_65_plus: str
    seat: Point


@dataclass
class Township:
    """One current (NBS 2023) township-level unit and everything derived for it."""

    code: str
    name: str
    type: str
    county_code: str
    point: Point | None = None
    location_source: str = "missing"
    location_estimated: bool = True
    urban_units: int = 0
    rural_units: int = 0
    population: int = 0
    population_estimated: bool = True
    population_source: str = ""
    settlement_class: str = "rural"
    settlement_class_source: str = ""

    @property
    def stem(self) -> str:
        """Name stem used for matching (see :func:`data_build.names.name_stem`)."""
        return name_stem(self.name)

    @property
    def units(self) -> int:
        """Number of 2016 village-level units assigned to this township."""
        return self.urban_units + self.rural_units

    @property
    def has_real_point(self) -> bool:
        """True when the point is the township's own (adcode or GeoNames), not a fallback."""
        return self.point is not None and not self.location_estimated


@dataclass(frozen=True)
class FacilitySpec:
    """A facility named in a seed plan, or a rule facility (``line`` 0); ``town_code`` None → county seat."""

    county_code: str
    name: str
    level: str
    seed: str
    line: int
    needle: str
    plan_role: str = ""
    town_code: str | None = None
    named_subcentre: bool = False
    named_emergency_station: bool = False
    town_source: str = ""
    """Where the town of a county-level hospital comes from when it is not the county seat."""


@dataclass
class BuildLog:
    """Edge cases and counts met during the build, reported in PROVENANCE.md."""

    notes: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        """Record an edge case and log it."""
        logger.info(message)
        self.notes.append(message)
