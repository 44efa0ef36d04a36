"""Write an audit of a plan's bed table: `audit.csv`, `audit_targets.csv`, `audit_facility_rules.csv`,
`audit.md` and `manifest.json`, into the staging folder of `folders.output_folder`.

The CSV columns are stable English snake_case (optimizer/audit/result.py documents them); `audit.md` is
for planners, with Chinese labels (计划表核对): whether the table is feasible as it stands, the total
change in beds and CNY, every facility changed with the rule that forces it, the facilities the table
does not list, the targets, and how each solve ended. A solve that is not proven optimal is said so on
the first lines (the CLI then exits 3).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import cast

import pandas as pd

from optimizer.audit.result import COMPLIANT, MIXED_BASIS, TABLE, AuditResult
from optimizer.inputs.scenario_loading import scenario_hash
from optimizer.outputs.facility_report import KIND_LABELS
from optimizer.outputs.files import atomic_write_csv, atomic_write_json, atomic_write_text, package_versions
from optimizer.outputs.markdown import table_lines
from optimizer.solving.solve import SolveReport

AUDIT_FILES = ("audit.csv", "audit_targets.csv", "audit_facility_rules.csv", "audit.md")
STEP_LABELS = {"as_is": "计划表原样", "least": "最小改动", "nearest": "最近合规方案"}


def write_audit(result: AuditResult, scenario_path: Path, out_dir: Path) -> list[Path]:
    """Write the audit's files into `out_dir`; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_csv(out_dir / "audit.csv", result.facilities)
    atomic_write_csv(out_dir / "audit_targets.csv", result.targets)
    atomic_write_csv(out_dir / "audit_facility_rules.csv", result.facility_rules)
    atomic_write_text(out_dir / "audit.md", audit_markdown(result))
    solves = result.solves
    atomic_write_json(
        out_dir / "manifest.json",
        {
            "scenario": str(scenario_path),
            "scenario_resolved": str(Path(scenario_path).resolve()),
            "scenario_sha256": scenario_hash(scenario_path),
            "table": str(result.table.path.resolve()),
            "table_feasible": solves.table_feasible,
            "least_change_beds": solves.least_change_beds,
            "proven_optimal": not solves.not_proven(),
            "not_proven": solves.not_proven(),
            "solves": {
                step: _solve_entry(report, proven=step not in solves.not_proven()) for step, report in _steps(result)
            },
            "files": list(AUDIT_FILES),
            "versions": package_versions(),
        },
    )
    return [*(out_dir / name for name in AUDIT_FILES), out_dir / "manifest.json"]


def audit_markdown(result: AuditResult) -> str:
    """`audit.md`: the audit for planners (Chinese labels, English rule ids as in the CSV files)."""
    lines = [f"# 计划表核对：{result.scenario_name}", ""]
    not_proven = result.solves.not_proven()
    if not_proven:
        reports = dict(_steps(result))
        steps = "、".join(f"{STEP_LABELS[s]}（{_gap(reports[s].gap)}）" for s in not_proven)
        lines += [
            f"**⚠ 未证明最优（not proven optimal）：{steps}。** 以下为求解器在时限或间隙设置下停止时的方案，"
            "未必是最优；请提高 solver.time_limit_s 或降低 solver.mip_rel_gap 后重算。",
            "",
        ]
    lines += [
        f"计划表：`{result.table.path}`（{len(result.table.beds)} 所机构；"
        f"床位单价 {result.bed_unit_cost_cny:,.0f} 元/床）",
        "",
    ]
    lines += _summary(result)
    lines += _changes(result)
    lines += _broken(result)
    lines += _unlisted(result)
    lines += _targets(result)
    lines += _solves(result)
    return "\n".join(lines).rstrip() + "\n"


def _summary(result: AuditResult) -> list[str]:
    solves = result.solves
    changed = result.changed
    up = int(changed["change_beds"].clip(lower=0).sum())
    down = int(-changed["change_beds"].clip(upper=0).sum())
    cny = float(changed["change_cny"].sum())
    lines = ["## 结论", ""]
    if solves.table_feasible:
        targets = result.targets[result.targets["plan"] == TABLE]
        lines.append(
            "- 计划表原样：**可行**——按表中床位可编制满足全部硬性规则的方案"
            f"（规划目标达成 {int(targets['met'].sum())}/{len(targets)}）。"
        )
    else:
        lines.append("- 计划表原样：**不可行**——按表中床位，情景的硬性规则无法全部满足（见“计划表违反的硬性规则”）。")
    if changed.empty:
        lines.append("- 最小改动：无需改动。")
    else:
        lines.append(
            f"- 最小改动：共改动 {up + down} 张床位（增加 {up} 张，减少 {down} 张，净{_signed_words(up - down)}），"
            f"按每床 {result.bed_unit_cost_cny:,.0f} 元计净额 {cny:+,.0f} 元。"
        )
        lines.append(f"- 需改动的机构 {len(changed)} 所：")
        for row in changed.itertuples(index=False):
            lines.append(
                f"  - {row.name}（{row.facility_id}）：{row.table_beds} → {row.compliant_beds} 张"
                f"（{row.change_beds:+d} 张，{row.change_cny:+,.0f} 元）；原因：{_reason(result, str(row.facility_id))}"
            )
    if len(result.unlisted):
        lines.append(f"- 计划表未列出的机构 {len(result.unlisted)} 所：床位未固定，由模型决定（见下）。")
    proven = "全部证明最优" if not solves.not_proven() else "未全部证明最优（见上）"
    lines += [f"- 求解：{proven}。", ""]
    return lines


def _changes(result: AuditResult) -> list[str]:
    changed = result.changed
    if changed.empty:
        return []
    header = ("机构", "facility_id", "级别", "计划表床位", "最近合规床位", "改动（张）", "改动（元）", "违反的硬性规则")
    rows = (
        (
            row.name,
            row.facility_id,
            row.level,
            row.table_beds,
            row.compliant_beds,
            f"{row.change_beds:+d}",
            f"{row.change_cny:+,.0f}",
            row.rules_broken or "—",
        )
        for row in changed.itertuples(index=False)
    )
    return ["## 需改动的机构", "", *table_lines(header, rows), ""]


def _broken(result: AuditResult) -> list[str]:
    solves = result.solves
    if solves.table_feasible:
        return []
    lines = ["## 计划表违反的硬性规则", ""]
    if result.broken:
        lines += [
            "独立核对（optimizer/analysis/verify.py；计划表床位，其余资源取最近合规方案）：",
            "",
            *(f"- `{v.rule}` @ {v.where}: {v.message}" for v in result.broken),
            "",
        ]
    else:
        lines += ["独立核对未发现单项违反；冲突见下方诊断。", ""]
    if solves.explanation is not None:
        lines += [
            "诊断（optimizer/analysis/diagnose.py，按计划表固定床位后的一个最小冲突规则集及其最小放宽）：",
            "",
            *(f"> {line}" for line in solves.explanation.text().splitlines()),
            "",
        ]
    return lines


def _unlisted(result: AuditResult) -> list[str]:
    unlisted = result.unlisted
    lines = []
    if len(unlisted):
        lines += [
            "## 计划表未列出的机构",
            "",
            "以下机构可设床位但计划表未列出；各次求解中其床位不固定，由模型决定：",
            "",
        ]
        lines += [
            f"- {row.name}（{row.facility_id}，{row.level}）：{row.compliant_beds} 张" for row in unlisted.itertuples()
        ]
        lines.append("")
    if result.table.skipped_rows:
        lines += [f"计划表中 {result.table.skipped_rows} 行属于情景范围以外的县，未核对。", ""]
    if result.renamed:
        lines += ["计划表名称与 facilities.csv 不一致（按 facility_id 核对，请确认编码）：", ""]
        lines += [f"- {f}：计划表“{given}”，facilities.csv“{name}”" for f, given, name in result.renamed]
        lines.append("")
    return lines


def _targets(result: AuditResult) -> list[str]:
    targets = result.targets
    table = targets[targets["plan"] == TABLE].set_index("id")
    compliant = targets[targets["plan"] == COMPLIANT].set_index("id")
    lines = ["## 规划目标", ""]
    if result.table_basis == MIXED_BASIS:
        lines += ["计划表不可行，“计划表”一栏为表中床位、其余资源取最近合规方案时的达成值。", ""]
    lines += ["| 指标 | id | 目标 | 计划表 | 合规方案 |", "|---|---|---|---|---|"]
    for target_id, row in compliant.iterrows():
        # iterrows types a label as Hashable and .loc[label] as Series | DataFrame; target ids are unique strings
        before = cast(pd.Series, table.loc[cast(str, target_id)]) if target_id in table.index else None
        lines.append(
            f"| {row['indicator']} | {target_id} | {row['bound']} {row['target']:g} | "
            f"{_attained(before)} | {_attained(row)} |"
        )
    rules = result.facility_rules
    lines.append("")
    for plan, label in ((TABLE, "计划表"), (COMPLIANT, "合规方案")):
        rows = rules[rules["plan"] == plan]
        missed = rows[~rows["met"]]
        lines.append(
            f"机构规则（{label}）：{len(rows)} 条，未达到 {len(missed)} 条（其中硬性 {int(missed['hard'].sum())} 条）。"
        )
    return [*lines, "详见 audit_targets.csv、audit_facility_rules.csv。", ""]


def _solves(result: AuditResult) -> list[str]:
    lines = [
        "## 求解",
        "",
        "| 步骤 | 结果 | 目标值 | 界 | 相对间隙 | 秒 |",
        "|---|---|---|---|---|---|",
    ]
    for step, report in _steps(result):
        lines.append(
            f"| {STEP_LABELS[step]} | {report.outcome.value} | {_number(report.objective)} | {_number(report.bound)} | "
            f"{_number(report.gap)} | {report.seconds:.1f} |"
        )
    lines += [
        "",
        "最小改动：目标为 Σ|表中床位 − 方案床位|（每所列表机构两个非负变量，约束 audit_deviation[f]），"
        "满足情景的全部硬性规则，绝对间隙小于 1 张床位即为证明最优。"
        "最近合规方案：总改动不超过该最小值（audit_deviation_total），其余按情景原目标函数（规划目标、覆盖、"
        "出行时间，最后是费用）优化：字典序，不以权重折算。",
        "",
    ]
    return lines


def _reason(result: AuditResult, facility: str) -> str:
    """The hard rules the table breaks at `facility`, each with its band and the table's value."""
    rules = result.facility_rules
    rows = rules[
        (rules["plan"] == TABLE)
        & (rules["facility_id"] == facility)
        & rules["hard"]
        & ~rules["met"]
        & (rules["resource"] == "beds")
        & (rules["per_resource"] == "")
    ]
    if rows.empty:
        return "本机构未违反机构规则；为满足全县硬性规则（见“计划表违反的硬性规则”）而调整"
    parts = []
    for row in rows.drop_duplicates("rule_id").itertuples(index=False):
        label = KIND_LABELS.get(str(row.kind), str(row.kind))
        parts.append(
            f"{row.rule_id}（{label}：{_band(row.required_min, row.required_max)} 张，计划表 {row.achieved:g} 张）"
        )
    return "；".join(parts)


def _steps(result: AuditResult) -> list[tuple[str, SolveReport]]:
    solves = result.solves
    return [("as_is", solves.as_is.report), ("least", solves.least.report), ("nearest", solves.nearest.report)]


def _solve_entry(report: SolveReport, *, proven: bool) -> dict[str, object]:
    """One solve in the manifest; `proven` is True for a proven optimum and for a proven infeasible table."""
    return {
        "outcome": report.outcome.value,
        "proven": proven,
        "objective": report.objective,
        "bound": report.bound,
        "gap": report.gap,
        "solver": report.solver,
        "seconds": round(report.seconds, 3),
    }


def _attained(row: pd.Series | None) -> str:
    if row is None:
        return "—"
    mark = "达到" if bool(row["met"]) else f"未达到（差 {row['gap']:.4g}）"
    return f"{row['achieved']:.4g} {mark}"


def _band(low: object, high: object) -> str:
    def given(value: object) -> bool:
        return value is not None and not (isinstance(value, float) and math.isnan(value))

    if given(low) and given(high):
        return f"{low:g}–{high:g}"
    if given(low):
        return f"≥ {low:g}"
    return f"≤ {high:g}" if given(high) else "—"


def _gap(gap: float | None) -> str:
    return "间隙未知" if gap is None else f"间隙 {gap:.1%}"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


def _signed_words(change: int) -> str:
    if change > 0:
        return f"增 {change} 张"
    return f"减 {-change} 张" if change < 0 else "变 0 张"
