"""The report's section "Plan targets and rules": every row of targets.csv, labelled in Chinese.

One line per plan target and per rule the model enforces (rule kinds in `optimizer.solving.rule_kinds`):
its kind, what is required and achieved, 达成 (met) or 未达成 (missed), the gap in the unit a planner
counts (张床位, 名医师, 辆救护车, 个乡镇, 分钟, 元), whether it is 约束性/预期性 (a plan target) or a
硬性/软性 rule, and the seed line or standard it comes from. Missed rules are listed below the table
with the facilities or towns that miss them.
"""

from __future__ import annotations

import math
from typing import SupportsFloat, cast

import pandas as pd

from optimizer.inputs.scenario import Scenario
from optimizer.solving.rule_rows import KIND_ZH

UNIT_ZH = {
    "beds": "张床位",
    "physicians": "名医师",
    "nurses": "名护士",
    "GPs": "名全科医生",
    "pharmacists": "名药师",
    "staff": "人",
    "vehicles": "辆救护车",
    "towns": "个乡镇",
    "CNY": "元",
    "minutes": "分钟",
    "facilities": "个机构",
    "sub-centres": "个次中心",
}
SOURCE_CHARS = 60
"""A longer seed line or standard is cut in the table (targets.csv keeps it whole)."""


def targets_section(targets: pd.DataFrame, scenario: Scenario) -> list[str]:
    """The section's lines: a verdict, the table, and what each missed rule misses."""
    units = dict(UNIT_ZH)  # then a resource's own name for a unit no common label covers
    for _, spec in sorted(scenario.resources.items()):
        units.setdefault(spec.unit, spec.label_zh)
    header = "| id | kind | indicator | required | achieved | result | gap | binding | source |"
    lines = [header, "|" + "---|" * 9]
    missed = []
    for row in targets.to_dict("records"):
        met = bool(row["met"])
        kind = _text(row.get("rule_kind"))
        gap = "—" if met else f"{_number(row.get('gap_units', row['gap']))} {units.get(_text(row.get('gap_unit')), '')}"
        if kind == "target" or not kind:
            nature = "约束性" if bool(row.get("binding")) else "预期性"
        else:
            nature = "硬性" if bool(row.get("hard")) else "软性"
        cells = [
            f"`{row['id']}`",
            KIND_ZH.get(kind, kind),
            _text(row["indicator"]),
            f"{row['bound']} {_number(row['target'])} {_text(row['unit'])}",
            _number(row["achieved"]),
            "达成" if met else "**未达成**",
            gap.strip(),
            nature,
            _cut(_text(row.get("seed_line")) or _text(row.get("source"))),
        ]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
        if not met:
            detail = _text(row.get("detail"))
            line = f"- **未达成** {_text(row['indicator'])} (`{row['id']}`, {nature}): 差 {gap.strip()}"
            missed.append(line + (f"; {detail}" if detail else ""))
    hard_missed = sum(1 for row in targets.to_dict("records") if not bool(row["met"]) and bool(row.get("hard")))
    verdict = (
        f"All {len(targets)} targets and rules the model enforces are met (全部达成)."
        if not missed
        else f"{len(missed)} of {len(targets)} missed (未达成), {hard_missed} of them hard; gaps in the unit shown."
    )
    return ["## Plan targets and rules", "", verdict, "", *lines, "", *missed, *([""] if missed else [])]


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _number(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    number = float(cast(SupportsFloat, value))
    if number.is_integer() or abs(number) >= 1000:
        return f"{number:,.0f}"
    return f"{number:.4g}"


def _cut(text: str) -> str:
    return text if len(text) <= SOURCE_CHARS else text[: SOURCE_CHARS - 1] + "…"
