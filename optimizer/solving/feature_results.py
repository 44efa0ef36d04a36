"""The solved features as a table: one row per facility and feature it may have (`features.csv`)."""

from __future__ import annotations

import pandas as pd
import pulp

from models.planner import PlanModel
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.feature_selection import feature_facilities
from optimizer.inputs.scenario import Scenario

FEATURE_COLUMNS = (
    "facility_id",
    "name",
    "level",
    "feature_id",
    "feature_label",
    "kind",
    "existing",
    "has_feature",
    "opened",
    "cost_cny",
    "cost_estimated",
)


def feature_table(model: PlanModel, scenario: Scenario, data: Datasets) -> pd.DataFrame:
    """Every (facility, feature) pair the scenario allows: whether the facility has the feature in the base
    year, has it in the plan, opens it, and what opening it costs (CNY; estimated or cited)."""
    has = model.features.has if model.features else {}
    names = dict(zip(data.facilities["facility_id"], data.facilities["name"], strict=True))
    levels = dict(zip(data.facilities["facility_id"], data.facilities["level"], strict=True))
    rows = []
    for feature in scenario.features:
        existing = set(feature.existing_facility_ids)
        for facility in feature_facilities(feature, data.facilities):
            holds = _holds(has.get((feature.id, facility)))
            opened = holds and facility not in existing
            rows.append(
                {
                    "facility_id": facility,
                    "name": names[facility],
                    "level": levels[facility],
                    "feature_id": feature.id,
                    "feature_label": feature.label_zh,
                    "kind": feature.kind,
                    "existing": facility in existing,
                    "has_feature": holds,
                    "opened": opened,
                    "cost_cny": feature.unit_cost_cny.value if opened else 0.0,
                    "cost_estimated": feature.unit_cost_cny.source.estimated,
                }
            )
    return pd.DataFrame(rows, columns=list(FEATURE_COLUMNS))


def _holds(variable: pulp.LpVariable | None) -> bool:
    """h_kf = 1 in the solution. A variable fixed by its bounds (a base-year holder) that no row or
    objective term mentions is not sent to the solver and comes back without a value: it holds its bound."""
    if variable is None:
        return False
    if variable.varValue is None:
        return variable.lowBound is not None and variable.lowBound == variable.upBound == 1
    return round(float(variable.varValue)) == 1
