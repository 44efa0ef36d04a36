"""The scenario schema: one plan's targets, rules, costs, data sources and solver options, as pydantic models.

`Scenario` is a whole scenario file; each class here is one of its blocks (`[travel]`, `[[targets]]`,
`[[facility_limits]]` …), with `extra="forbid"`, units in field names and the checks that span the
fields of a block or the blocks of the file. The bounded number types and citations come from
`optimizer.inputs.schema_types`, the `[solver]` block from `optimizer.inputs.solver_settings`, the
network blocks (`[ambulances]`, `[subcentres]`, `[hierarchy]`) from `optimizer.inputs.network_schema`
and the facility-identity blocks (standards, grades, sizes) from `optimizer.inputs.facility_schema`;
reading a file into a `Scenario` is `optimizer.inputs.scenario_loading`. Docs: docs/scenario.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from optimizer.inputs.facility_schema import FacilityGrade, FacilitySize, FacilityStandards
from optimizer.inputs.feature_schema import FacilityFeature, FeatureTarget
from optimizer.inputs.geography_schema import DataSources, DemandSettings, TravelSettings
from optimizer.inputs.network_schema import AmbulanceSettings, HierarchySettings, SubcentreSettings
from optimizer.inputs.schema_types import (
    MAX_COUNT,
    MAX_PER_1000,
    Amount,
    Bound,
    Citation,
    Count,
    FacilityLevel,
    Flag,
    PlanReferenced,
    PopulationGroup,
    Share,
    StrictModel,
    Weight,
    Year,
)
from optimizer.inputs.solver_settings import SolverSettings


class ScenarioInfo(StrictModel):
    """What plan this scenario encodes."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    name_zh: str
    plan_seed: str
    base_year: Year
    target_year: Year


class AreaSettings(PlanReferenced):
    """The county-level units the plan covers."""

    name_zh: str
    county_codes: list[Annotated[str, Field(pattern=r"^\d{6}$")]] = Field(min_length=1)


class ResourceSpec(PlanReferenced):
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
    allow_reduction: Flag = False
    max_reduction_share: Share | None = Field(
        default=None,
        description="largest share of a facility's base-year stock the plan may take away; "
        "default 0, or 1 when allow_reduction is true (the plan states no amount)",
    )
    demand_driven: Flag = Field(
        default=True, description="place the resource near the population it serves (access term of the objective)"
    )

    @property
    def reduction_share(self) -> float:
        """The share of a facility's stock the plan may take away: as stated, else all (reductions
        allowed) or none."""
        if self.max_reduction_share is not None:
            return self.max_reduction_share
        return 1.0 if self.allow_reduction else 0.0


class RatioTarget(PlanReferenced):
    """A plan target on a resource: per population, per other resource, or an absolute count."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    indicator_zh: str
    resource: str
    kind: Literal["per_population", "per_resource", "count"]
    value: Count = Field(description="per_resource shares (unit 'share …', or a resource over itself) in [0, 1]")
    unit: str
    bound: Bound = ">="
    denominator_size: float | None = Field(
        default=None, ge=1, le=MAX_COUNT, allow_inf_nan=False, description="1000 for ‰, 10000 for per 万"
    )
    denominator_population: PopulationGroup | None = None
    denominator_resource: str | None = None
    facility_levels: list[FacilityLevel] | None = Field(
        default=None, description="count only these levels; None = every modelled facility"
    )
    denominator_facility_levels: list[FacilityLevel] | None = Field(
        default=None, description="per_resource targets: levels counted in the denominator; None = as the numerator"
    )
    include_other_stock: Flag = Field(default=True, description="count stock outside the modelled facilities")
    binding: Flag = Field(description="约束性 (true) or 预期性 (false)")
    hard: Flag = Field(description="decision: enforce as a constraint (true) or allow a penalised shortfall")
    baseline: Count | None = None
    target_year: Year
    source: Citation
    decision: str | None = Field(default=None, description="how an ambiguity was decided (docs/decisions.md)")

    @model_validator(mode="after")
    def _denominator(self) -> RatioTarget:
        if self.kind == "per_population" and (self.denominator_size is None or self.denominator_population is None):
            raise ValueError("a per_population target needs `denominator_size` and `denominator_population`")
        if self.kind == "per_resource" and self.denominator_resource is None:
            raise ValueError("a per_resource target needs `denominator_resource`")
        if self.kind == "per_population" and self.denominator_size is not None:
            per_1000 = self.value * 1000 / self.denominator_size
            if per_1000 > MAX_PER_1000:
                raise ValueError(
                    f"value {self.value:g} per {self.denominator_size:g} is {per_1000:g} per 1,000, above "
                    f"{MAX_PER_1000:g}; check the unit of `value` against `denominator_size` "
                    "(1000 for ‰, 10000 for per 万)"
                )
        if self.kind == "per_resource" and self.unit.strip().lower().startswith("share") and self.value > 1:
            raise ValueError(
                f"value {self.value:g} is a share ({self.unit!r}); give it as a fraction in [0, 1] "
                f"({self.value / 100:g} for {self.value:g} %)"
            )
        return self


class FacilityLimit(PlanReferenced):
    """A size band on a resource at facilities of some levels or named facilities."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    resource: str
    levels: list[FacilityLevel] = Field(default_factory=list)
    facility_ids: list[str] = Field(default_factory=list)
    min_value: Count | None = None
    max_value: Count | None = None
    max_per_1000_town_residents: float | None = Field(
        default=None,
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="cap scaled by the resident population of the facility's township",
    )
    hard: Flag
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


class StaffPerBed(PlanReferenced):
    """Staff a facility needs for each of its beds, so staff follow beds as well as residents."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    resource: str
    levels: list[FacilityLevel] = Field(min_length=1)
    min_per_bed: float = Field(gt=0, le=100, allow_inf_nan=False)
    hard: Flag
    source: Citation


class BedCategory(PlanReferenced):
    """Beds of a kind inside a facility's beds (infectious-disease, emergency observation…)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    label_zh: str
    levels: list[FacilityLevel] = Field(default_factory=list)
    facility_ids: list[str] = Field(default_factory=list)
    min_beds: int | None = Field(default=None, ge=0, le=int(MAX_COUNT))
    min_share: Share | None = None
    max_share: Share | None = None
    hard: Flag
    source: Citation


SpendRule = Literal["targets_only", "improve_access"]
"""What a budget is spent on (`BudgetSettings.spend`)."""


class BudgetSettings(PlanReferenced):
    """Capital budget for additions over the base year (no plan states one: an estimate).

    `spend` says what the money is for (optimizer/solving/spend.py, decision A41): "targets_only" (the
    default) spends the least that meets the plan — its targets, fleet, features and coverage standards —
    and places it as close to residents as that money allows; "improve_access" also spends the rest of
    the budget on shorter trips. Either way the run reports `cost_to_meet_targets_cny`.
    """

    budget_cny: Amount
    spend: SpendRule = "targets_only"


class ObjectiveWeights(StrictModel):
    """Weights of the normalised objective terms (see models/planner/plan.py for the formulation)."""

    binding_shortfall: Weight = 1000.0
    expected_shortfall: Weight = 100.0
    ambulance_coverage: Weight = 10.0
    ambulance_backup: Weight = 2.0
    subcentre_coverage: Weight = 10.0
    subcentre_travel: Weight = 1.0
    access_travel: Weight = 1.0
    cost: Weight = 0.1


class OutOfScopeTarget(PlanReferenced):
    """A plan target the model cannot act on, listed so the report shows it was read, not dropped."""

    id: str
    indicator_zh: str
    value: str
    reason: str
    source: Citation


class Scenario(StrictModel):
    """A whole scenario file."""

    scenario: ScenarioInfo
    area: AreaSettings
    data: DataSources
    travel: TravelSettings
    demand: DemandSettings = Field(default_factory=DemandSettings)
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
    facility_standards: FacilityStandards | None = None
    facility_grades: list[FacilityGrade] = Field(default_factory=list)
    facility_sizes: list[FacilitySize] = Field(default_factory=list)
    features: list[FacilityFeature] = Field(default_factory=list)
    feature_targets: list[FeatureTarget] = Field(default_factory=list)

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
            if _is_share(self, target) and target.value > 1:
                problems.append(
                    f"targets.{target.id}.value: {target.value:g} is a share of "
                    f"{target.denominator_resource}; give it as a fraction in [0, 1] "
                    f"({target.value / 100:g} for {target.value:g} %)"
                )
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
        rule_resources += [(r.id, r.resource) for r in self.facility_sizes]
        graded = [g.facility_id for g in self.facility_grades]
        problems += [f"facility_grades: {f} is named twice" for f in sorted(set(graded)) if graded.count(f) > 1]
        known_grades = set(self.facility_standards.grades) if self.facility_standards else set()
        problems += [
            f"facility_grades.{g.facility_id}: unknown grade '{g.grade}' (known: {', '.join(sorted(known_grades))})"
            for g in self.facility_grades
            if g.grade not in known_grades
        ]
        problems += _feature_problems(self.features, self.feature_targets, names)
        if self.staff_per_bed and "beds" not in names:
            problems.append("staff_per_bed: declare a `beds` resource first")
        if self.bed_categories and "beds" not in names:
            problems.append("bed_categories: declare a `beds` resource first")
        by_county = self.ambulances.base_multiplier_by_county if self.ambulances is not None else {}
        outside = sorted(set(by_county) - set(self.area.county_codes))
        if outside:
            problems.append(
                f"ambulances.base_multiplier_by_county: counties {outside} are not in area.county_codes "
                f"{self.area.county_codes}; give a multiplier only to a county of the area"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _feature_problems(features: list[FacilityFeature], targets: list[FeatureTarget], resources: set[str]) -> list[str]:
    """Feature ids unique, targets on declared features, requirements on declared resources."""
    problems: list[str] = []
    ids = [f.id for f in features]
    problems += [f"features: id '{i}' is used twice" for i in sorted(set(ids)) if ids.count(i) > 1]
    for feature in features:
        problems += [
            f"features.{feature.id}.requires: unknown resource '{r}' (declared: {', '.join(sorted(resources))})"
            for r in feature.requires
            if r not in resources
        ]
    target_ids = [t.id for t in targets]
    problems += [f"feature_targets: id '{i}' is used twice" for i in sorted(set(target_ids)) if target_ids.count(i) > 1]
    problems += [
        f"feature_targets.{t.id}.feature: unknown feature '{t.feature}' (declared: {', '.join(sorted(ids))})"
        for t in targets
        if t.feature not in ids
    ]
    return problems


def _is_share(scenario: Scenario, target: RatioTarget) -> bool:
    """A per-resource target on a resource over itself or over its parent (GPs over physicians) is a share."""
    if target.kind != "per_resource" or target.denominator_resource is None:
        return False
    spec = scenario.resources.get(target.resource)
    return target.resource == target.denominator_resource or (
        spec is not None and spec.subset_of == target.denominator_resource
    )
