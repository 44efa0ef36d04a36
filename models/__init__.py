"""Pure mathematical programs: typed inputs in, a PuLP problem with typed handles out; no I/O."""

from models.allocation import (
    AllocationHandles,
    AllocationInputs,
    BedCategoryInputs,
    LimitInputs,
    ResourceInputs,
    StaffPerBedInputs,
    TargetInputs,
)
from models.ambulances import AmbulanceHandles, AmbulanceInputs
from models.naming import ConstraintRegistry, ConstraintTag
from models.plan import PlanInputs, PlanModel, PlanWeights, build_plan_model
from models.subcentres import SubcentreHandles, SubcentreInputs

__all__ = [
    "AllocationHandles",
    "AllocationInputs",
    "AmbulanceHandles",
    "AmbulanceInputs",
    "BedCategoryInputs",
    "ConstraintRegistry",
    "ConstraintTag",
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
