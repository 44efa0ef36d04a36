"""Feature rules recounted from the output tables: who has each feature, whether each holder holds what the
feature requires, and whether each feature target is met, in facilities a planner counts.

Independent of the model: holders are read from `features.csv` (the `has_feature` column), resources
from `allocation.csv`, base-year holders and requirements from the scenario.
"""

from __future__ import annotations

import pandas as pd

from models.tolerances import FEASIBILITY_TOL
from optimizer.analysis.violations import Violation
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.feature_selection import holders, target_class
from optimizer.inputs.scenario import Scenario


def feature_target_table(features: pd.DataFrame, scenario: Scenario, data: Datasets) -> pd.DataFrame:
    """One row per feature target: the class counted, how many must and how many do have the feature."""
    by_id = {f.id: f for f in scenario.features}
    held = holders(features)
    rows = []
    for target in scenario.feature_targets:
        members = target_class(target, by_id[target.feature], data.facilities)
        have = len(held.get(target.feature, set()) & set(members))
        required = target.required(len(members))
        over = max(have - target.max_count, 0) if target.max_count is not None else 0
        rows.append(
            {
                "id": target.id,
                "feature_id": target.feature,
                "class_size": len(members),
                "required": required,
                "maximum": target.max_count,
                "achieved": have,
                "met": have >= required and over == 0,
                "gap_facilities": max(required - have, 0) + over,
                "hard": target.hard,
                "binding": target.binding,
                "source": target.source.label(),
            }
        )
    return pd.DataFrame(rows)


def feature_issues(
    features: pd.DataFrame, allocation: pd.DataFrame, scenario: Scenario, data: Datasets
) -> list[Violation]:
    """Holders short of a requirement, base-year holders dropped, hard targets missed, caps exceeded."""
    issues: list[Violation] = []
    amounts = allocation.set_index("facility_id").to_dict()  # resource -> facility -> amount
    held = holders(features)
    for feature in scenario.features:
        have = held.get(feature.id, set())
        for facility in sorted(set(feature.existing_facility_ids) - have):
            issues.append(Violation(feature.id, facility, "has the feature in the base year but not in the plan"))
        for facility in sorted(have):
            for resource, least in sorted(feature.requires.items()):
                amount = float(amounts.get(resource, {}).get(facility, 0.0))
                if amount < least - FEASIBILITY_TOL:
                    issues.append(
                        Violation(feature.id, facility, f"has the feature with {amount:g} {resource}, below {least:g}")
                    )
    for row in feature_target_table(features, scenario, data).to_dict("records"):
        if row["maximum"] is not None and not pd.isna(row["maximum"]) and row["achieved"] > row["maximum"]:
            issues.append(Violation(str(row["id"]), "area", f"{row['achieved']} facilities, above {row['maximum']}"))
        elif row["hard"] and not row["met"]:
            issues.append(
                Violation(
                    str(row["id"]),
                    "area",
                    f"{row['achieved']} of {row['class_size']} facilities have {row['feature_id']}, "
                    f"below {row['required']}",
                )
            )
    return issues


def feature_cost(features: pd.DataFrame, scenario: Scenario) -> float:
    """Cost of the features opened: holders that are not base-year holders, at the feature's unit cost."""
    total = 0.0
    held = holders(features)
    for feature in scenario.features:
        opened = held.get(feature.id, set()) - set(feature.existing_facility_ids)
        total += len(opened) * feature.unit_cost_cny.value
    return total
