"""The report's "机构功能建设": each feature target met or missed in facilities, and where features open."""

from __future__ import annotations

import pandas as pd

from optimizer.inputs.feature_schema import FEATURE_KIND_ZH
from optimizer.inputs.scenario import Scenario
from optimizer.outputs.markdown import table_lines
from optimizer.solving.results import PlanResult


def features_section(result: PlanResult, scenario: Scenario, target_rows: pd.DataFrame) -> list[str]:
    """Targets (required, achieved, gap in facilities, source), then per feature the facilities that open it
    and the cost; base-year holders are counted, not costed."""
    features = result.features
    if features is None or not scenario.features:
        return []
    labels = {f.id: f.label_zh for f in scenario.features}
    lines = ["## 机构功能建设 (facility features)", ""]
    if not target_rows.empty:
        lines += table_lines(
            ("条目", "功能", "统计机构数", "要求", "规划后具备", "是否达成", "差距（机构）", "来源"),
            (
                (
                    f"`{row.id}`",
                    labels[str(row.feature_id)],
                    row.class_size,
                    row.required,
                    row.achieved,
                    "达成" if row.met else "**未达成**",
                    row.gap_facilities,
                    row.source,
                )
                for row in target_rows.itertuples(index=False)
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
