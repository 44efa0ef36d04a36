"""Which facilities a feature may be at, which a feature target counts and which have it in a solved
features table, and the load-time check that the first two agree. Shared by the model inputs
(`optimizer.instance.feature_rules`), the verifier and the report, so all three count the same facilities."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.errors import Problem
from optimizer.inputs.feature_schema import FacilityFeature, FeatureTarget
from optimizer.inputs.scenario import Scenario


def feature_facilities(feature: FacilityFeature, facilities: pd.DataFrame) -> tuple[str, ...]:
    """Facilities that may have the feature (its levels, named and base-year holders), sorted."""
    return _chosen(facilities, set(feature.levels), set(feature.facility_ids) | set(feature.existing_facility_ids))


def target_class(target: FeatureTarget, feature: FacilityFeature, facilities: pd.DataFrame) -> tuple[str, ...]:
    """The facilities a feature target counts: its levels and named ids, else all that may have the feature."""
    if not target.levels and not target.facility_ids:
        return feature_facilities(feature, facilities)
    return _chosen(facilities, set(target.levels), set(target.facility_ids))


def _chosen(facilities: pd.DataFrame, levels: set[str], ids: set[str]) -> tuple[str, ...]:
    """Facility ids at one of `levels` or in `ids`, sorted. Plain Python over the two columns: a sweep asks
    this for every feature target at every level, and pandas' per-call overhead was most of a level's checks."""
    pairs = zip(facilities["facility_id"].tolist(), facilities["level"].tolist(), strict=True)
    return tuple(sorted(facility for facility, level in pairs if level in levels or facility in ids))


def holders(features: pd.DataFrame) -> dict[str, set[str]]:
    """Per feature id, the facilities that have the feature in the plan (features without holders absent)."""
    held: dict[str, set[str]] = {}
    columns = (features[c].tolist() for c in ("feature_id", "facility_id", "has_feature"))
    for feature_id, facility, has in zip(*columns, strict=True):
        if bool(has):
            held.setdefault(feature_id, set()).add(facility)
    return held


def check_feature_targets(
    scenario: Scenario, facilities: pd.DataFrame, scenario_path: Path, problems: list[Problem]
) -> None:
    """Every target counts only facilities that may have its feature, and asks for no more than it counts."""
    by_id = {f.id: f for f in scenario.features}
    for target in scenario.feature_targets:
        feature = by_id[target.feature]
        members = target_class(target, feature, facilities)
        outside = sorted(set(members) - set(feature_facilities(feature, facilities)))
        where = f"feature_targets.{target.id}"
        if outside:
            problems.append(
                Problem(
                    scenario_path,
                    where,
                    f"counts {', '.join(outside)}, which may not have '{feature.id}'; add their level to "
                    f"features.{feature.id}.levels or narrow the target's levels/facility_ids",
                )
            )
        elif not members:
            problems.append(Problem(scenario_path, where, "counts no facility of the area; fix levels/facility_ids"))
        elif target.required(len(members)) > len(members):
            problems.append(
                Problem(
                    scenario_path,
                    where,
                    f"asks for {target.required(len(members))} facilities with '{feature.id}' but the class has "
                    f"only {len(members)}; fix min_count or the class",
                )
            )
