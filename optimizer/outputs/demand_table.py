"""`demand.csv` and the `demand` layer of `coverage.gpkg`: one row per demand point of the run.

Columns: the point (`id`, `town_code`, `population`, `lon`, `lat`, `population_estimated`,
`location_estimated`, `method`), km and minutes to the nearest facility, sub-centre and base holding a
vehicle in the plan, and `within_<standard>` (1 within, 0 beyond, empty where the standard does not
apply), so a planner can see which part of a township a radius misses.
"""

from __future__ import annotations

import pandas as pd

from optimizer.analysis.coverage_check import CoverageAnalysis
from optimizer.geography.demand import DEMAND_COLUMNS
from optimizer.geography.travel_times import TravelMatrix
from optimizer.solving.results import NEAREST_COLUMNS, nearest_sites


def demand_table(matrix: TravelMatrix, allocation: pd.DataFrame, coverage: CoverageAnalysis) -> pd.DataFrame | None:
    """The demand points with their travel to the plan's sites and their standards; None without points."""
    if matrix.demand is None or coverage.points is None:
        return None
    points = matrix.demand.points.frame[list(DEMAND_COLUMNS)].reset_index(drop=True)
    nearest = nearest_sites(allocation, matrix.demand.matrix)
    flags = coverage.points[[c for c in coverage.points.columns if c.startswith("within_")]].reset_index(drop=True)
    return pd.concat([points, nearest[list(NEAREST_COLUMNS)], flags], axis=1)
