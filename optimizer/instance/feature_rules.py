"""`[[features]]` and `[[feature_targets]]` → `models.planner.FeatureInputs`: which facilities may have each
feature, which have it already, what it needs, and how many of each target's class must have it.
(The scenario was checked at load: `optimizer.inputs.feature_selection.check_feature_targets`.)"""

from __future__ import annotations

from models.planner import FeatureInputs, FeatureSpec, FeatureTargetSpec
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.feature_selection import feature_facilities, target_class
from optimizer.inputs.scenario import Scenario


def feature_inputs(scenario: Scenario, data: Datasets) -> FeatureInputs | None:
    """The model inputs of every feature and target, or None when the scenario has no features."""
    if not scenario.features:
        return None
    by_id = {f.id: f for f in scenario.features}
    town_residents = dict(zip(data.townships["code"], data.townships["population"].astype(float), strict=True))
    residents = {
        f: town_residents.get(t, 0.0)
        for f, t in zip(data.facilities["facility_id"], data.facilities["town_code"], strict=True)
    }
    specs = []
    for feature in scenario.features:
        facilities = feature_facilities(feature, data.facilities)
        specs.append(
            FeatureSpec(
                feature.id,
                facilities,
                frozenset(feature.existing_facility_ids),
                tuple(sorted(feature.requires.items())),
                feature.unit_cost_cny.value,
                tuple(residents[f] for f in facilities),
            )
        )
    weights = scenario.objective
    targets = []
    for target in scenario.feature_targets:
        members = target_class(target, by_id[target.feature], data.facilities)
        targets.append(
            FeatureTargetSpec(
                target.id,
                target.feature,
                members,
                target.required(len(members)),
                target.max_count,
                target.hard,
                weights.binding_shortfall if target.binding else weights.expected_shortfall,
            )
        )
    return FeatureInputs(tuple(specs), tuple(targets))
