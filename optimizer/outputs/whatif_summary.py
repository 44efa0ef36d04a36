"""`whatif.md`: the summary of a sweep a planner reads, in Chinese (default) or English (`--lang en`).

Three sections, every number taken from the sweep's own tables:

* each level's outcome, targets met, investment and residents covered by every standard (sweep.csv);
* what each level changes against the scenario's own run, and where (changes.csv): the targets lost or
  gained with their gap in units, the townships whose resources change most, coverage flags lost or
  gained, the longest new trips, sub-centres and features dropped or added;
* the marginal value between consecutive levels: per extra 1000万元 of budget (per unit of another
  parameter), how many more targets are met, how many more of each resource are placed, and how many
  percentage points more residents are covered — the forward differences of `optimizer.whatif.marginal`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

import pandas as pd

from optimizer.inputs.scenario import Scenario
from optimizer.outputs.labels import (
    Lang,
    column_label,
    format_count,
    format_money,
    format_number,
    format_share,
    gap_noun,
    label,
    resource_label,
    unit_label,
)
from optimizer.outputs.markdown import table_lines
from optimizer.whatif.marginal import forward_rates
from optimizer.whatif.sweep import SweepResult

TOP_TOWNSHIPS = 8
"""Townships listed per level (largest total change first); changes.csv has them all."""
TOP_TRIPS = 5
"""Longest new trips listed per level."""
PER_BUDGET_STEP_CNY = 10e6
"""The marginal sentences are per 1000万元 (10 M CNY) of budget."""
_SOLVED = ("optimal", "feasible_with_gap")


def whatif_markdown(result: SweepResult, scenario: Scenario, lang: Lang) -> str:
    """The whole of whatif.md."""
    spec = result.spec
    title = label("whatif_title_budget" if spec.is_budget else "whatif_title_param", lang)
    own = label("whatif_own_budget" if spec.is_budget else "whatif_own_value", lang)
    table = result.table
    lines = [f"# {title}：{scenario.scenario.name_zh}" if lang == "zh" else f"# {title}: {scenario.scenario.id}", ""]
    span = f"{value_text(result, spec.values[0], lang)} – {value_text(result, spec.values[-1], lang)}"
    lines.append(
        f"{own}：{value_text(result, spec.baseline, lang)}；{len(table)} 档：{span}。"
        if lang == "zh"
        else f"{_capital(own)}: {value_text(result, spec.baseline, lang)}; {len(table)} levels: {span}."
    )
    if not result.base_in_sweep and result.base is not None:
        lines += ["", _sentence(label("whatif_base_beside", lang), lang)]
    cost_to_meet = (result.base or {}).get("cost_to_meet_targets_cny")
    if isinstance(cost_to_meet, float) and math.isfinite(cost_to_meet):
        colon = "：" if lang == "zh" else ": "
        lines += ["", f"{label('cost_to_meet_targets', lang)}{colon}{format_money(cost_to_meet, lang)}"]
    lines += ["", f"## {label('whatif_levels', lang)}", "", *_levels_table(result, lang), ""]
    lines += _same_plan_lines(table, lang)
    lines += [f"## {label('whatif_where', lang)}", ""]
    if result.base is None:
        lines += [_sentence(label("whatif_base_missing", lang), lang), ""]
    else:
        for row in _rows(table):
            lines += _level_section(result, row, scenario, lang)
    lines += [f"## {label('whatif_marginal', lang)}", "", *marginal_sentences(result, scenario, lang), ""]
    lines += [label("whatif_files", lang), ""]
    return "\n".join(lines)


def _same_plan_lines(table: pd.DataFrame, lang: Lang) -> list[str]:
    """Which levels took a higher level's plan without a solve (optimizer/whatif/reuse.py), by that level."""
    if "solved_as" not in table.columns:
        return []
    shared = table[table["solved_as"].astype(str).str.startswith("same_plan_as_level_")]
    if shared.empty:
        return []
    groups = shared.groupby(shared["solved_as"].str.removeprefix("same_plan_as_level_"), sort=False)["level"]
    word, sep, between, colon = ("档位 ", "、", "；", "：") if lang == "zh" else ("level ", ", ", "; ", ": ")
    cells = [f"{word}{sep.join(str(v) for v in levels)} → {word}{source}" for source, levels in groups]
    return [f"{_capital(label('whatif_same_plan', lang))}{colon}{between.join(cells)}", ""]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str, lang: Lang) -> str:
    """A label as a sentence: 。 in Chinese; capital and full stop in English."""
    return f"{text}。" if lang == "zh" else f"{_capital(text)}."


def value_text(result: SweepResult, value: float, lang: Lang) -> str:
    """A level's value: money and its share of the scenario's budget, or the parameter's value."""
    spec = result.spec
    if not spec.is_budget:
        return f"{spec.parameter} = {value:g}"
    share = f" ({value / spec.baseline:.0%})" if spec.baseline > 0 else ""
    return format_money(value, lang) + share


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    # to_dict types column labels as Hashable; the sweep table's are strings
    return cast(list[dict[str, Any]], table.to_dict("records"))


def _solved(row: Mapping[str, Any]) -> bool:
    return str(row.get("outcome")) in _SOLVED


def _covered_share(row: Mapping[str, Any]) -> float:
    population = float(row.get("population", math.nan))
    return float(row.get("covered_population", math.nan)) / population if population > 0 else math.nan


def _levels_table(result: SweepResult, lang: Lang) -> list[str]:
    header = [
        label("whatif_level", lang),
        label("budget", lang) if result.spec.is_budget else label("whatif_value", lang),
        label("outcome", lang),
        label("targets_met_count", lang),
        label("total_cost", lang),
        label("whatif_covered_every", lang),
        label("whatif_lost", lang),
        label("whatif_gained", lang),
    ]
    changes = result.changes
    met = changes[(changes["scope"] == "target") & (changes["item"] == "met")]
    rows = []
    for row in _rows(result.table):
        solved = _solved(row)
        at = met[met["level"] == row["level"]]
        rows.append(
            [
                str(row["level"]),
                value_text(result, float(row["value"]), lang),
                label(f"outcome_{row['outcome']}", lang),
                f"{int(row['targets_met'])}/{int(row['targets_total'])}" if solved else "—",
                format_money(float(row["cost_cny"]), lang) if solved else "—",
                format_share(_covered_share(row)) if solved else "—",
                str(int((at["change"] < 0).sum())) if solved and result.base is not None else "—",
                str(int((at["change"] > 0).sum())) if solved and result.base is not None else "—",
            ]
        )
    return table_lines(header, rows)


def _level_section(result: SweepResult, row: Mapping[str, Any], scenario: Scenario, lang: Lang) -> list[str]:
    """One level's heading and what it changes, or why there is nothing to say."""
    lines = [f"### {label('whatif_level', lang)} {row['level']}: {value_text(result, float(row['value']), lang)}", ""]
    if not _solved(row):
        outcome = label(f"outcome_{row['outcome']}", lang)
        return [*lines, f"{label('whatif_no_plan', lang)} ({outcome})", ""]
    changes = result.changes[result.changes["level"] == row["level"]]
    if changes.empty:
        return [*lines, _sentence(label("whatif_same_as_base", lang), lang), ""]
    lines += _target_lines(changes, lang)
    lines += _township_lines(changes, scenario, lang)
    lines += _facility_lines(changes, scenario, lang)
    more = f"{len(changes)} {'项变化' if lang == 'zh' else 'changes'}; {label('whatif_more_rows', lang)}"
    return [*lines, f"- {more}", ""]


def _target_lines(changes: pd.DataFrame, lang: Lang) -> list[str]:
    targets = changes[changes["scope"] == "target"]
    gaps = {str(r["id"]): r for r in _rows(targets[targets["item"] == "gap_units"])}
    met = {str(r["id"]): r for r in _rows(targets[targets["item"] == "met"])}
    lines = []
    for key, sign in (("whatif_lost", -1), ("whatif_gained", 1)):
        ids = [i for i, r in met.items() if float(r["change"]) * sign > 0]
        if ids:
            cells = [_target_text(met[i], gaps.get(i), lang) for i in ids]
            lines.append(f"- **{label(key, lang)}** ({len(ids)}): " + "; ".join(cells))
    still = [i for i in gaps if i not in met]
    if still:
        cells = [_target_text(gaps[i], gaps[i], lang, before=True) for i in still]
        lines.append(f"- {label('whatif_gap_changed', lang)}: " + "; ".join(cells))
    return lines


def _target_text(row: Mapping[str, Any], gap: Mapping[str, Any] | None, lang: Lang, *, before: bool = False) -> str:
    """`indicator (id)`, with the level's gap in units (and the base's, for a target missed at both)."""
    text = f"{row['name']} (`{row['id']}`)"
    if gap is None or float(gap["level_value"]) <= 0:
        return text
    unit = str(gap["unit"])
    amount, base = float(gap["level_value"]), float(gap["base_value"])
    if lang == "zh":
        text += f"：{label('short', lang)}{gap_noun(unit, lang)}{format_count(amount, unit, lang)}"
        return text + (f"（原{format_count(base, unit, lang)}）" if before else "")
    noun = gap_noun(unit, lang) or unit_label(unit, lang)
    text += f": {label('short', lang)} {format_number(amount, whole=True)} {noun}"
    return text + (f" (was {format_number(base, whole=True)})" if before else "")


def _resource_cell(item: str, change: float, unit: str, scenario: Scenario, lang: Lang) -> str:
    labels = {name: spec.label_zh for name, spec in scenario.resources.items()}
    name = resource_label(item, lang, labels) if item != "subcentre" else label("subcentres_count", lang)
    amount = format_count(change, unit, lang)
    return f"{name}{'+' if change > 0 else ''}{amount}" if lang == "zh" else f"{name} {change:+,.0f}"


def _township_lines(changes: pd.DataFrame, scenario: Scenario, lang: Lang) -> list[str]:
    towns = changes[changes["scope"] == "township"]
    resources = towns[~towns["unit"].isin(("flag", "min"))]
    lines = []
    if not resources.empty:
        size = resources.assign(size=resources["change"].abs()).groupby("id")["size"].sum()
        order = size.sort_values(ascending=False, kind="stable").index[:TOP_TOWNSHIPS]
        cells = []
        for code in order:
            rows = _rows(resources[resources["id"] == code].sort_values("change", key=abs, ascending=False))
            items = ("、" if lang == "zh" else ", ").join(
                _resource_cell(str(r["item"]), float(r["change"]), str(r["unit"]), scenario, lang) for r in rows
            )
            cells.append(f"{rows[0]['name']} {items}")
        extra = f" … (+{size.size - len(order)})" if size.size > len(order) else ""
        lines.append(f"- {label('whatif_townships', lang)}: " + "; ".join(cells) + extra)
    flags = towns[towns["unit"] == "flag"]
    for key, sign in (("whatif_coverage_lost", -1), ("whatif_coverage_gained", 1)):
        picked = flags[flags["change"] * sign > 0]
        if not picked.empty:
            cells = [f"{r['name']} ({column_label(str(r['item']), lang)})" for r in _rows(picked)]
            lines.append(f"- {label(key, lang)}: " + "; ".join(cells))
    minutes = towns[(towns["unit"] == "min") & (towns["change"] > 0)].sort_values("change", ascending=False)
    if not minutes.empty:
        cells = [
            f"{r['name']} {column_label(str(r['item']), lang)} +{_minutes(float(r['change']))}"
            for r in _rows(minutes.head(TOP_TRIPS))
        ]
        lines.append(f"- {label('whatif_longer_trips', lang)}: " + "; ".join(cells))
    return lines


def _minutes(change: float) -> str:
    return "∞" if math.isinf(change) else format_number(round(change, 1))


def _facility_lines(changes: pd.DataFrame, scenario: Scenario, lang: Lang) -> list[str]:
    facilities = changes[changes["scope"] == "facility"]
    lines = []
    subcentres = facilities[facilities["item"] == "subcentre"]
    for key, sign in (("whatif_subcentre_dropped", -1), ("whatif_subcentre_added", 1)):
        names = subcentres.loc[subcentres["change"] * sign > 0, "name"].tolist()
        if names:
            lines.append(f"- {label(key, lang)}: " + "、".join(map(str, names)))
    features = facilities[facilities["unit"] == "feature"]
    titles = {f"feature_{feature.id}": feature.label_zh for feature in scenario.features}
    for key, sign in (("whatif_features_dropped", -1), ("whatif_features_added", 1)):
        picked = features[features["change"] * sign > 0]
        if not picked.empty:
            cells = [f"{r['name']} {titles.get(str(r['item']), str(r['item']))}" for r in _rows(picked)]
            lines.append(f"- {label(key, lang)} ({len(cells)}): " + "; ".join(cells))
    return lines


def marginal_sentences(result: SweepResult, scenario: Scenario, lang: Lang) -> list[str]:
    """One line per pair of consecutive solved levels: what an extra 1000万元 (or unit) buys."""
    rows = [row for row in _rows(result.table) if _solved(row)]
    if len(rows) < 2:
        return [label("none", lang)]
    per = PER_BUDGET_STEP_CNY if result.spec.is_budget else 1.0
    values = [float(row["value"]) for row in rows]
    resources = [r for r in [*sorted(scenario.resources), "ambulances"] if f"total_{r}" in rows[0]]
    rates = {
        "targets": forward_rates(values, [float(row["targets_met"]) for row in rows], per=per),
        "covered": forward_rates(values, [_covered_share(row) * 100 for row in rows], per=per),
        **{r: forward_rates(values, [float(row[f"total_{r}"]) for row in rows], per=per) for r in resources},
    }
    units = {name: spec.unit for name, spec in scenario.resources.items()} | {"ambulances": "vehicles"}
    labels = {name: spec.label_zh for name, spec in scenario.resources.items()}
    step = label("whatif_per_10m" if result.spec.is_budget else "whatif_per_unit", lang)
    lines = []
    for i in range(len(rows) - 1):
        head = f"{value_text(result, values[i], lang)} → {value_text(result, values[i + 1], lang)}"
        parts = []
        targets = rates["targets"][i]
        if targets != 0:
            key = "whatif_more_targets" if targets > 0 else "whatif_fewer_targets"
            parts.append(label(key, lang).format(n=_rate(abs(targets))))
        for resource in resources:
            rate = rates[resource][i]
            if rate != 0:
                name = resource_label(resource, lang, labels)
                word = unit_label(units[resource], lang)
                more = ("多配置" if rate > 0 else "少配置") if lang == "zh" else ("more" if rate > 0 else "fewer")
                parts.append(
                    f"{more}{name}{_rate(abs(rate))}{word}" if lang == "zh" else f"{_rate(abs(rate))} {more} {name}"
                )
        covered = rates["covered"][i]
        if covered != 0 and math.isfinite(covered):
            sign = ("增加" if covered > 0 else "减少") if lang == "zh" else ("+" if covered > 0 else "−")
            parts.append(label("whatif_covered_change", lang).format(sign=sign, pp=_rate(abs(covered))))
        body = ("，" if lang == "zh" else ", ").join(parts) if parts else label("whatif_nothing_bought", lang)
        lines.append(f"- {head}：{step}：{body}" if lang == "zh" else f"- {head}: {step}: {body}")
    return lines


def _rate(value: float) -> str:
    """A marginal rate to three significant digits (0.0921 项 → 0.0921, 8.7 人), whole from 100 up."""
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"
