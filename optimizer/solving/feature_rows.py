"""The feature targets' rows of targets.csv: facilities with the feature against the count the plan asks
for, the gap in facilities (rule kind `feature_target`)."""

from __future__ import annotations

from optimizer.inputs.feature_selection import holders, target_class
from optimizer.solving.rule_rows import Row, RuleContext, listed, rule_row


def feature_target_rows(context: RuleContext) -> list[Row]:
    """One row per `[[feature_targets]]` block, counted from the solved feature table."""
    features = context.features
    scenario = context.scenario
    if features is None or not scenario.feature_targets:
        return []
    by_id = {f.id: f for f in scenario.features}
    held = holders(features)
    names = dict(zip(context.data.facilities["facility_id"], context.data.facilities["name"], strict=True))
    rows = []
    for target in scenario.feature_targets:
        feature = by_id[target.feature]
        members = target_class(target, feature, context.data.facilities)
        have = held.get(feature.id, set()) & set(members)
        required = target.required(len(members))
        capped = target.max_count is not None
        exact = capped and target.max_count == required
        bound = "=" if exact else (">=" if required > 0 or not capped else "<=")
        goal = float(target.max_count if bound == "<=" and target.max_count is not None else required)
        over = max(len(have) - target.max_count, 0) if target.max_count is not None else 0
        missing = [names[f] for f in members if f not in have]
        rows.append(
            rule_row(
                rule_id=target.id,
                rule_kind="feature_target",
                indicator=f"具备{feature.label_zh}的机构数",
                unit=f"facilities of {len(members)}",
                bound=bound,
                baseline=float(len(set(feature.existing_facility_ids) & set(members))),
                target=goal,
                achieved=float(len(have)),
                met=len(have) >= required and over == 0,
                gap_unit="facilities",
                gap_units=float(max(required - len(have), 0) + over),
                binding=bool(target.binding),
                hard=target.hard,
                cited=target.source,
                detail="" if len(have) >= required else "without: " + listed(missing),
            )
        )
    return rows
