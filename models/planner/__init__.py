"""Planner model blocks: beds and staff per facility (allocation), the ambulance fleet, township sub-centres,
facility features (departments, rooms, centres, grades, projects), the service hierarchy and the budget, joined
into one MIP by `build_plan_model`; `elastic` adds the slacks the infeasibility diagnosis relaxes. Typed inputs
in, a PuLP problem with typed handles out; no I/O.
"""

from models.naming import ConstraintRegistry, ConstraintTag
from models.planner.allocation import (
    AllocationHandles,
    AllocationInputs,
    BedCategoryInputs,
    LimitInputs,
    ResourceInputs,
    StaffPerBedInputs,
    TargetInputs,
)
from models.planner.ambulances import AmbulanceHandles, AmbulanceInputs
from models.planner.features import FeatureHandles, FeatureInputs, FeatureSpec, FeatureTargetSpec
from models.planner.plan import PlanInputs, PlanModel, PlanWeights, build_plan_model
from models.planner.subcentres import SubcentreHandles, SubcentreInputs

__all__ = [
    "AllocationHandles",
    "AllocationInputs",
    "AmbulanceHandles",
    "AmbulanceInputs",
    "BedCategoryInputs",
    "ConstraintRegistry",
    "ConstraintTag",
    "FeatureHandles",
    "FeatureInputs",
    "FeatureSpec",
    "FeatureTargetSpec",
    "LimitInputs",
    "PlanInputs",
    "PlanModel",
    "PlanWeights",
    "ResourceInputs",
    "StaffPerBedInputs",
    "SubcentreHandles",
    "SubcentreInputs",
    "TargetInputs",
    "build_plan_model",
]
