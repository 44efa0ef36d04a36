"""The report's "机构功能建设": each feature target met or missed in facilities, and where features open."""

from __future__ import annotations

from optimizer.inputs.feature_schema import FEATURE_KIND_ZH
from optimizer.inputs.scenario import Scenario
from optimizer.outputs.markdown import table_lines
from optimizer.solving.results import PlanResult


def features_section(result: PlanResult, scenario: Scenario) -> list[str]:
    """Targets (the `feature_target` rows of targets.csv: required, achieved, gap in facilities, source), then
    per feature the facilities that open it and the cost; base-year holders are counted, not costed."""
    features = result.features
    if features is None or not scenario.features:
        return []
    lines = ["## 机构功能建设 (facility features)", ""]
    targets = result.targets
    rows = targets[targets["rule_kind"] == "feature_target"] if "rule_kind" in targets.columns else targets.iloc[:0]
    if not rows.empty:
        lines += table_lines(
            ("条目", "指标", "统计机构数", "要求", "规划后具备", "是否达成", "差距（机构）", "来源"),
            (
                (
                    f"`{row.id}`",
                    row.indicator,
                    str(row.unit).removeprefix("facilities of "),
                    f"{row.bound} {row.target:g}",
                    f"{row.achieved:g}",
                    "达成" if row.met else "**未达成**",
                    f"{row.gap_units:g}",
                    row.source,
                )
                for row in rows.itertuples(index=False)
            ),
        )
        lines.append("")
    opened_rows = []
    for feature in scenario.features:
        rows = features[features["feature_id"] == feature.id]
        opened = rows[rows["opened"].astype(bool)]
        estimated = "（估算）" if feature.unit_cost_cny.source.estimated else ""
        opened_rows.append(
            (
                feature.label_zh,
                FEATURE_KIND_ZH[feature.kind],
                int(rows["existing"].sum()),
                len(opened),
                "、".join(opened["name"]) or "—",
                f"{opened['cost_cny'].sum() / 1e4:,.0f}{estimated}",
            )
        )
    lines += table_lines(("功能", "类别", "基期已有", "规划新建", "新建机构", "费用（万元）"), opened_rows)
    return [*lines, ""]
