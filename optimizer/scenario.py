"""The scenario file: one plan's targets, rules, costs, data sources and solver options, validated.

A scenario is TOML read with `tomllib` and checked with pydantic (`extra="forbid"`, units in field
names). `load_scenario` reports every problem at once as `file: field.path: message`, so a planner
fixes a file in one pass. Paths inside a scenario are relative to the scenario file.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from optimizer.errors import Problem, ScenarioError
from optimizer.solve import SolverSettings

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(_Strict):
    """Where a number comes from: a seed plan line, a national rule, or an estimate with its basis."""

    seed: str | None = Field(default=None, description="seed file name, e.g. 003_73fe565c888d90cc.txt")
    line: int | None = Field(default=None, ge=1)
    quote: str | None = None
    basis: str | None = Field(default=None, description="for estimates and derived numbers: how it was obtained")
    estimated: bool = False

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


class Amount(_Strict):
    """A number with its citation."""

    value: float
    source: Citation


class ScenarioInfo(_Strict):
    """What plan this scenario encodes."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    name_zh: str
    plan_seed: str
    base_year: int
    target_year: int


class AreaSettings(_Strict):
    """The county-level units the plan covers."""

    name_zh: str
    county_codes: list[Annotated[str, Field(pattern=r"^\d{6}$")]] = Field(min_length=1)


class DataSources(_Strict):
    """Data tables, relative to the scenario file."""

    townships: Path
    counties: Path
    facilities: Path
    boundaries: Path
    plan_reference_beds: Path | None = None
    road_network: Path | None = Field(
        default=None, description="optional GeoJSON/GPKG road lines with a speed; else the distance fallback"
    )
    missing_location: Literal["error", "county_seat"] = Field(
        default="error",
        description="townships without a point: refuse (default) or place them at their county seat, flagged",
    )
    allow_outside_project: bool = Field(
        default=False,
        description="allow data paths outside the project's data/ folder and the scenario's own folder",
    )


class TravelSettings(_Strict):
    """The straight-line fallback used when no road network is given (flagged in every output)."""

    detour_factor: float = Field(gt=1.0, le=3.0)
    urban_speed_kph: float = Field(gt=0)
    rural_speed_kph: float = Field(gt=0)
    road_default_speed_kph: float = Field(default=40.0, gt=0)
    max_snap_km: float = Field(
        default=2.0, gt=0, description="a point farther than this from every road is off the network"
    )
    max_access_min: float = Field(gt=0, description="beyond this, a town is not served by a facility at all")
    source: Citation


class ResourceSpec(_Strict):
    """One allocatable resource (beds, physicians, …): where it may go, what exists, what it costs."""

    label_zh: str
    unit: str
    eligible_levels: list[FacilityLevel] = Field(min_length=1)
    subset_of: str | None = Field(default=None, description="e.g. GPs are physicians: x[gps,f] ≤ x[physicians,f]")
    baseline_modelled: Amount | None = Field(
        default=None, description="base-year stock in the modelled facilities; None = not published"
    )
    other_stock: Amount | None = Field(
        default=None, description="base-year stock outside the modelled facilities, kept fixed"
    )
    unit_cost_cny: Amount
    allow_reduction: bool = False
    demand_driven: bool = Field(
        default=True, description="place the resource near the population it serves (access term of the objective)"
    )


class RatioTarget(_Strict):
    """A plan target on a resource: per population, per other resource, or an absolute count."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    indicator_zh: str
    resource: str
    kind: Literal["per_population", "per_resource", "count"]
    value: float = Field(ge=0)
    unit: str
    bound: Bound = ">="
    denominator_size: float | None = Field(default=None, gt=0, description="1000 for ‰, 10000 for per 万")
    denominator_population: PopulationGroup | None = None
    denominator_resource: str | None = None
    facility_levels: list[FacilityLevel] | None = Field(
        default=None, description="count only these levels; None = every modelled facility"
    )
    denominator_facility_levels: list[FacilityLevel] | None = Field(
        default=None, description="per_resource targets: levels counted in the denominator; None = as the numerator"
    )
    include_other_stock: bool = Field(default=True, description="count stock outside the modelled facilities")
    binding: bool = Field(description="约束性 (true) or 预期性 (false)")
    hard: bool = Field(description="decision: enforce as a constraint (true) or allow a penalised shortfall")
    baseline: float | None = None
    target_year: int
    source: Citation
    decision: str | None = Field(default=None, description="how an ambiguity was decided (docs/decisions.md)")

    @model_validator(mode="after")
    def _denominator(self) -> RatioTarget:
        if self.kind == "per_population" and (self.denominator_size is None or self.denominator_population is None):
            raise ValueError("a per_population target needs `denominator_size` and `denominator_population`")
        if self.kind == "per_resource" and self.denominator_resource is None:
            raise ValueError("a per_resource target needs `denominator_resource`")
        return self


class FacilityLimit(_Strict):
    """A size band on a resource at facilities of some levels or named facilities."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    resource: str
    levels: list[FacilityLevel] = Field(default_factory=list)
    facility_ids: list[str] = Field(default_factory=list)
    min_value: float | None = Field(default=None, ge=0)
    max_value: float | None = Field(default=None, ge=0)
    max_per_1000_town_residents: float | None = Field(
        default=None, gt=0, description="cap scaled by the resident population of the facility's township"
    )
    hard: bool
    source: Citation
    decision: str | None = None

    @model_validator(mode="after")
    def _selects(self) -> FacilityLimit:
        if not self.levels and not self.facility_ids:
            raise ValueError("select facilities with `levels` or `facility_ids`")
        if self.min_value is None and self.max_value is None and self.max_per_1000_town_residents is None:
            raise ValueError("give `min_value`, `max_value`, `max_per_1000_town_residents` or a combination")
        if self.max_value is not None and self.max_per_1000_town_residents is not None:
            raise ValueError("give either `max_value` or `max_per_1000_town_residents`, not both")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError(f"min_value {self.min_value} is above max_value {self.max_value}")
        return self


class StaffPerBed(_Strict):
    """Staff a facility needs for each of its beds, so staff follow beds as well as residents."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    resource: str
    levels: list[FacilityLevel] = Field(min_length=1)
    min_per_bed: float = Field(gt=0)
    hard: bool
    source: Citation


class BedCategory(_Strict):
    """Beds of a kind inside a facility's beds (infectious-disease, emergency observation…)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    label_zh: str
    levels: list[FacilityLevel] = Field(default_factory=list)
    facility_ids: list[str] = Field(default_factory=list)
    min_beds: int | None = Field(default=None, ge=0)
    min_share: float | None = Field(default=None, ge=0, le=1)
    max_share: float | None = Field(default=None, ge=0, le=1)
    hard: bool
    source: Citation


class AmbulanceSettings(_Strict):
    """Fleet rule, stationing and the coverage standards of the emergency network."""

    per_population: int = Field(gt=0, description="1 vehicle per this many people of the base")
    base_multiplier: float = Field(gt=0, description="base = multiplier × resident population (A1/A3)")
    alternative_base_multiplier: float = Field(gt=0, description="the other reading, reported beside")
    extra_special_vehicles: int = Field(default=0, ge=0)
    existing_fleet: Amount | None = None
    eligible_levels: list[FacilityLevel] = Field(min_length=1)
    max_per_base: int = Field(default=6, ge=1)
    urban_radius_km: float = Field(gt=0)
    rural_radius_km: float = Field(gt=0)
    response_max_min: float = Field(gt=0)
    unit_cost_cny: Amount
    fleet_hard: bool
    fleet_binding: bool
    fleet_source: Citation
    radius_source: Citation
    decision: str


class SubcentreSettings(_Strict):
    """Township sub-centres (县域医疗卫生次中心): how many, which the plan names, the radius."""

    count: int = Field(ge=0)
    named_facility_ids: list[str] = Field(default_factory=list)
    honour_named: bool = True
    radius_km: float = Field(gt=0)
    min_beds: int = Field(ge=0, description="beds an upgraded sub-centre must have (tier-2 general hospital)")
    max_beds: int = Field(ge=0, description="cap on an upgraded sub-centre's beds, replacing its township cap")
    beds_source: Citation
    upgrade_cost_cny: Amount
    source: Citation
    decision: str

    @model_validator(mode="after")
    def _named_fit(self) -> SubcentreSettings:
        if len(self.named_facility_ids) > self.count:
            raise ValueError(f"{len(self.named_facility_ids)} named sub-centres exceed `count` = {self.count}")
        return self


class HierarchySettings(_Strict):
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
        overlap = sorted(set(self.top_levels) & set(self.middle_levels))
        if overlap:
            raise ValueError(f"levels {overlap} are both top_levels and middle_levels; a level belongs to one tier")
        return self


class BudgetSettings(_Strict):
    """Capital budget for additions over the base year (no plan states one: an estimate)."""

    budget_cny: Amount


class ObjectiveWeights(_Strict):
    """Weights of the normalised objective terms (see models/plan.py for the formulation)."""

    binding_shortfall: float = Field(default=1000.0, ge=0)
    expected_shortfall: float = Field(default=100.0, ge=0)
    ambulance_coverage: float = Field(default=10.0, ge=0)
    ambulance_backup: float = Field(default=2.0, ge=0)
    subcentre_coverage: float = Field(default=10.0, ge=0)
    subcentre_travel: float = Field(default=1.0, ge=0)
    access_travel: float = Field(default=1.0, ge=0)
    cost: float = Field(default=0.1, ge=0)


class OutOfScopeTarget(_Strict):
    """A plan target the model cannot act on, listed so the report shows it was read, not dropped."""

    id: str
    indicator_zh: str
    value: str
    reason: str
    source: Citation


class Scenario(_Strict):
    """A whole scenario file."""

    scenario: ScenarioInfo
    area: AreaSettings
    data: DataSources
    travel: TravelSettings
    resources: dict[str, ResourceSpec]
    targets: list[RatioTarget]
    facility_limits: list[FacilityLimit] = Field(default_factory=list)
    staff_per_bed: list[StaffPerBed] = Field(default_factory=list)
    bed_categories: list[BedCategory] = Field(default_factory=list)
    ambulances: AmbulanceSettings | None = None
    subcentres: SubcentreSettings | None = None
    hierarchy: HierarchySettings | None = None
    budget: BudgetSettings
    objective: ObjectiveWeights = Field(default_factory=ObjectiveWeights)
    solver: SolverSettings = Field(default_factory=SolverSettings)
    settlement_class_overrides: dict[str, Literal["urban", "rural"]] = Field(default_factory=dict)
    out_of_scope: list[OutOfScopeTarget] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems: list[str] = []
        names = set(self.resources)
        for key, spec in self.resources.items():
            if spec.subset_of is not None and spec.subset_of not in names:
                problems.append(f"resources.{key}.subset_of: unknown resource '{spec.subset_of}'")
        seen: set[str] = set()
        for target in self.targets:
            if target.id in seen:
                problems.append(f"targets: id '{target.id}' is used twice")
            seen.add(target.id)
            for ref in (target.resource, target.denominator_resource):
                if ref is not None and ref not in names:
                    problems.append(
                        f"targets.{target.id}: unknown resource '{ref}' (declared: {', '.join(sorted(names))})"
                    )
        rule_resources = [(r.id, r.resource) for r in self.facility_limits]
        rule_resources += [(r.id, r.resource) for r in self.staff_per_bed]
        for rule_id, resource in rule_resources:
            if resource not in names:
                problems.append(f"{rule_id}: unknown resource '{resource}'")
        if self.staff_per_bed and "beds" not in names:
            problems.append("staff_per_bed: declare a `beds` resource first")
        if self.bed_categories and "beds" not in names:
            problems.append("bed_categories: declare a `beds` resource first")
        if problems:
            raise ValueError("; ".join(problems))
        return self


STANDALONE_DEFAULTS = frozenset({"travel", "solver", "objective"})


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file, merged over the defaults file it `extends`, if any.

    A scenario may start with `extends = "defaults/national.toml"` (relative to the scenario): the
    national rules the plans quote live there once, and the scenario overrides what its plan says
    differently. Tables merge key by key; arrays and values in the scenario replace the defaults.

    Raises
    ------
    ScenarioError
        With every problem found, each naming the file, the field and what to change.
    """
    path = Path(path)
    raw = _read_toml(path)
    base_name = raw.pop("extends", None)
    if base_name is not None:
        if not isinstance(base_name, str):
            raise ScenarioError([Problem(path, "extends", "must be the path of a defaults .toml file")])
        base_path = resolve(path, Path(base_name))
        defaults = _read_toml(base_path)
        # An optional block (ambulances, sub-centres) takes defaults only when the scenario declares it.
        defaults = {k: v for k, v in defaults.items() if k in raw or k in STANDALONE_DEFAULTS}
        raw = _merge(defaults, raw)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([_problem(path, error) for error in exc.errors()]) from None


def _read_toml(path: Path) -> dict[str, object]:
    if not path.is_file():
        raise ScenarioError([Problem(path, "(file)", "not found; pass the path of a scenario .toml file")])
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(path, "(file)", f"is not UTF-8 text ({exc.reason}); save it as UTF-8")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(path, "(syntax)", f"invalid TOML: {exc}; fix the line shown")]) from None


def _merge(base: dict[str, object], override: dict[str, object]) -> dict[str, object]:
    """`override` over `base`: nested tables merge, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = _merge(current, value)
        else:
            merged[key] = value
    return merged


def _problem(path: Path, error: object) -> Problem:
    details = error if isinstance(error, dict) else {}
    location = ".".join(str(part) for part in details.get("loc", ())) or "(top level)"
    message = str(details.get("msg", "invalid value"))
    if details.get("type") == "extra_forbidden":
        message = "unknown field; remove it or check its spelling against docs/scenario.md"
    elif details.get("type") == "missing":
        message = "required field is missing; add it"
    return Problem(path, location, message)


def scenario_hash(path: Path) -> str:
    """SHA-256 of the scenario file's bytes, for manifests and caches."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def resolve(scenario_path: Path, relative: Path) -> Path:
    """A data path from the scenario, resolved against the scenario file's folder."""
    return (Path(scenario_path).parent / relative).resolve()
