"""The report's "计划条目对照": every statement of the plan, line by line, with its status in this run."""

from __future__ import annotations

import pandas as pd

from optimizer.analysis.plan_entry_status import ENCODED, NOT_REFERENCED, OUT_OF_SCOPE, STATUS_ZH
from optimizer.inputs.plan_entries import REQUIRED_CATEGORIES
from optimizer.outputs.markdown import table_lines


def plan_entries_section(table: pd.DataFrame | None) -> list[str]:
    """Counts by status, then one row per entry: line, indicator, status (达成/未达成/已编码/不纳入 + reason)."""
    if table is None or table.empty:
        return []
    required = table[table["category"].isin(REQUIRED_CATEGORIES)]
    counts = required["status"].value_counts()
    lines = [
        "## 计划条目对照 (plan entries)",
        "",
        f"规划文本共提取 {len(table)} 条条目，其中资源、机构、急救和服务半径类 {len(required)} 条："
        f"已编码 {counts.get(ENCODED, 0)} 条，不纳入模型 {counts.get(OUT_OF_SCOPE, 0)} 条（各有理由），"
        f"未引用 {counts.get(NOT_REFERENCED, 0)} 条；其余 {len(table) - len(required)} 条为人口、预算和结果类条目，"
        "已编码的标明，其余仅列出。逐条状态见 plan_entries.csv。",
        "",
    ]
    lines += table_lines(
        ("行", "条目", "指标", "状态", "规则 / 理由"),
        (
            (
                str(row.seed_line).rsplit(":", 1)[-1],
                f"`{row.entry_id}`",
                row.indicator,
                _status(str(row.status), row.met),
                _detail(str(row.status), str(row.rules), str(row.reason)),
            )
            for row in table.itertuples(index=False)
        ),
    )
    return [*lines, ""]


def _status(status: str, met: object) -> str:
    if status == ENCODED and met is True:
        return "已编码 · 达成"
    if status == ENCODED and met is False:
        return "已编码 · **未达成**"
    return STATUS_ZH[status]


def _detail(status: str, rules: str, reason: str) -> str:
    """The encoding blocks, or the out-of-scope reason (as the scenario states it)."""
    if status == ENCODED:
        text = rules + ("（定义性条目：基期存量、适用范围或成本，无单独达成判定）" if reason else "")
    elif status == NOT_REFERENCED:
        text = "人口、预算或结果类条目，仅列出" if reason else "**未引用**"
    else:
        text = reason
    return text
