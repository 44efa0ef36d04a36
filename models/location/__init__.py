"""Location-science models: p-median, p-center, capacitated p-median, MCLP/LSCP coverage and backup
coverage (DSM, MEXCLP), each a pure builder from a frozen inputs dataclass to a PuLP problem with typed
handles, plus the shared id/matrix checks and coverage sets (`location_common`), the exact covering
reductions (`covering_reductions`), greedy MIP starts (`covering_heuristics`) and the LSCP split by
component (`coverage_components`). The exact p-median solver lives in `models.location.exact`. Imports
only the standard library, NumPy, PuLP and `models.naming`.
"""

from models.location.backup_coverage import (
    DSMInputs,
    DSMModel,
    MEXCLPInputs,
    MEXCLPModel,
    build_dsm_model,
    build_mexclp_model,
    expected_coverage,
)
from models.location.capacitated_p_median import (
    CapacitatedPMedianInputs,
    CapacitatedPMedianModel,
    build_capacitated_p_median_model,
    capacitated_cost,
    capacity_violations,
)
from models.location.coverage import CoverageInputs, CoverageModel, build_coverage_model, covered_demand
from models.location.coverage_components import ComponentCoverResult, solve_set_cover_by_component
from models.location.covering_reductions import aggregate_rows, reduce_set_cover
from models.location.location_common import LocationInputError, coverage_from_distance, invert
from models.location.p_center import (
    PCenterInputs,
    PCenterModel,
    build_p_center_model,
    p_center_heuristic,
    p_center_radius,
)
from models.location.p_median import (
    PMedianInputs,
    PMedianModel,
    build_p_median_model,
    nearest_open,
    p_median_cost,
    served_distance,
)

__all__ = [
    "CapacitatedPMedianInputs",
    "CapacitatedPMedianModel",
    "ComponentCoverResult",
    "CoverageInputs",
    "CoverageModel",
    "DSMInputs",
    "DSMModel",
    "LocationInputError",
    "MEXCLPInputs",
    "MEXCLPModel",
    "PCenterInputs",
    "PCenterModel",
    "PMedianInputs",
    "PMedianModel",
    "aggregate_rows",
    "build_capacitated_p_median_model",
    "build_coverage_model",
    "build_dsm_model",
    "build_mexclp_model",
    "build_p_center_model",
    "build_p_median_model",
    "capacitated_cost",
    "capacity_violations",
    "coverage_from_distance",
    "covered_demand",
    "expected_coverage",
    "invert",
    "nearest_open",
    "p_center_heuristic",
    "p_center_radius",
    "p_median_cost",
    "reduce_set_cover",
    "served_distance",
    "solve_set_cover_by_component",
]
