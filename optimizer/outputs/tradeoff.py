"""Write a finished sweep: `sweep.parquet`, `sweep.csv`, `changes.csv`, `tradeoff.png`, `whatif.md` and
`sweep_manifest.json`.

The figure (Chinese by default, English with `--lang en`) has three panels over the swept value (budget
in 亿元 or 万元, CNY m in English, or the parameter):

1. targets and rules met (count, sweep.csv `targets_met`), the scenario's own value as a dotted line and,
   where the plan reports it, the least investment that meets the plan targets (满足规划目标的最低投资,
   `cost_to_meet_targets_cny`) as a dashed one;
2. residents covered per standard (share; bold: covered by every standard) and the greedy siting's gap
   to the optimum;
3. which targets are met at each level: a dot matrix, one row per plan target (and per rule missed at
   some level) named by its Chinese indicator, one column per level (filled: met, hollow: missed).

Chinese text uses the CJK font `optimizer.outputs.map_png.cjk_font` finds; without one the figure is drawn
in English and the rows are named by target id. Every file is written atomically
(optimizer/outputs/files.py) into the staging folder of `output_folder`; the figure is a
`matplotlib.figure.Figure`, never pyplot's global state.
"""

from __future__ import annotations

import io
import logging
import math
from pathlib import Path
from typing import Any, cast

import matplotlib as mpl
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from optimizer.inputs.scenario_loading import load_scenario, scenario_hash
from optimizer.outputs.files import atomic_write_bytes, atomic_write_csv, atomic_write_json, package_versions
from optimizer.outputs.labels import Lang, column_label, label
from optimizer.outputs.map_png import cjk_font
from optimizer.outputs.whatif_summary import whatif_markdown
from optimizer.whatif.sweep import SweepResult

logger = logging.getLogger(__name__)

SWEEP_FILES = ("sweep.parquet", "sweep.csv", "changes.csv", "tradeoff.png", "whatif.md", "sweep_manifest.json")
_STANDARDS = (
    "covered_population",
    "population_covered_ambulance",
    "population_covered_ambulance_backup",
    "population_covered_subcentre_radius",
    "population_covered_access_limit",
)
_SOLVED = ("optimal", "feasible_with_gap")


def write_sweep(result: SweepResult, scenario_path: Path, out_dir: Path, *, lang: Lang = "zh") -> list[Path]:
    """Write the sweep's files into `out_dir`; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(scenario_path)
    table = result.table
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    atomic_write_bytes(out_dir / "sweep.parquet", buffer.getvalue())
    atomic_write_csv(out_dir / "sweep.csv", table)
    atomic_write_csv(out_dir / "changes.csv", result.changes)
    atomic_write_bytes(out_dir / "tradeoff.png", tradeoff_png(result, lang=lang))
    atomic_write_bytes(out_dir / "whatif.md", whatif_markdown(result, scenario, lang).encode("utf-8"))
    atomic_write_json(
        out_dir / "sweep_manifest.json",
        {
            "scenario": str(scenario_path),
            "scenario_sha256": scenario_hash(scenario_path),
            "parameter": result.spec.parameter,
            "levels": list(result.spec.values),
            "scenario_value": result.spec.baseline,
            "scenario_value_in_sweep": result.base_in_sweep,
            "mode": result.mode,
            "workers": result.workers,
            "warm_start": result.warm_start,
            "seconds": round(result.seconds, 3),
            "lang": lang,
            "files": list(SWEEP_FILES[:-1]),
            "versions": package_versions(),
        },
    )
    return [out_dir / name for name in SWEEP_FILES]


def figure_png(figure: Figure) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def _axis_scale(result: SweepResult, lang: Lang) -> tuple[float, str]:
    """Divisor and axis label of the swept value: 亿元 (or 万元 below 1亿元), CNY m, or the parameter."""
    spec = result.spec
    if not spec.is_budget:
        return 1.0, spec.parameter
    if lang == "en":
        return 1e6, "budget (CNY m)"
    if max(spec.values) >= 1e8:
        return 1e8, "投资预算（亿元）"
    return 1e4, "投资预算（万元）"


def matrix_rows(result: SweepResult) -> list[str]:
    """Target ids shown in the dot matrix: every plan target (rule kind `target`), then every other rule
    missed at some level, in targets.csv order."""
    status = result.target_status
    if status.empty:
        return []
    first = status.drop_duplicates("id")
    missed = set(status.loc[~status["met"].astype(bool), "id"])
    keep = first["rule_kind"].eq("target") | first["id"].isin(missed)
    return [str(i) for i in first.loc[keep, "id"]]


def tradeoff_png(result: SweepResult, *, lang: Lang = "zh") -> bytes:
    """The trade-off figure as PNG bytes, drawn and saved with the CJK font."""
    with _font_context():
        return figure_png(tradeoff_figure(result, lang=lang))


def _font_context() -> Any:
    """Matplotlib settings with the CJK font first (ticks are laid out when the figure is saved)."""
    font = cjk_font()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    return mpl.rc_context({"font.family": "sans-serif", "font.sans-serif": families, "axes.unicode_minus": False})


def tradeoff_figure(result: SweepResult, *, lang: Lang = "zh") -> Figure:
    """The trade-off figure (three panels, see the module docstring)."""
    font = cjk_font()
    if font is None and lang == "zh":
        logger.warning("no CJK font installed (e.g. fonts-wqy-microhei): tradeoff.png is drawn in English")
        lang = "en"
    rows = matrix_rows(result)
    with _font_context():
        figure = Figure(figsize=(11, 8 + 0.28 * len(rows)), constrained_layout=True)
        heights = [3.0, 2.6, max(1.5, 0.3 * len(rows))]
        top, middle, bottom = figure.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": heights})
        scale, xlabel = _axis_scale(result, lang)
        _targets_panel(top, result, scale, lang)
        _coverage_panel(middle, result, scale, lang)
        _matrix_panel(bottom, result, rows, scale, lang, named=font is not None)
        bottom.set_xlabel(xlabel)
        for axis in (top, middle, bottom):
            axis.axvline(result.spec.baseline / scale, color="grey", linestyle=":", linewidth=1.5)
    return figure


def _x(result: SweepResult, scale: float) -> pd.Series:
    return result.table["value"].astype(float) / scale


def _solved(table: pd.DataFrame) -> pd.Series:
    return table["outcome"].isin(_SOLVED)


def _targets_panel(axis: Axes, result: SweepResult, scale: float, lang: Lang) -> None:
    table = result.table
    solved = _solved(table)
    x = _x(result, scale)
    if "targets_met" in table:
        met = table["targets_met"].astype(float)
        axis.plot(x[solved], met[solved], marker="o", color="tab:green", label=label("whatif_targets_axis", lang))
        total = table.loc[solved, "targets_total"]
        if not total.empty:
            axis.axhline(float(total.max()), color="tab:green", linewidth=0.8, alpha=0.4)
    own = label("whatif_own_budget" if result.spec.is_budget else "whatif_own_value", lang)
    base = result.base or {}
    if not result.base_in_sweep and "targets_met" in base:
        axis.plot([result.spec.baseline / scale], [base["targets_met"]], marker="*", markersize=12, color="black")
    axis.plot(
        [], [], color="grey", linestyle=":", label=f"{own[:1].upper()}{own[1:]}: {result.spec.baseline / scale:g}"
    )
    cost_to_meet = _number(base.get("cost_to_meet_targets_cny"))
    if result.spec.is_budget and math.isfinite(cost_to_meet):
        axis.axvline(cost_to_meet / scale, color="tab:blue", linestyle="--", linewidth=1.5)
        axis.plot(
            [],
            [],
            color="tab:blue",
            linestyle="--",
            label=f"{label('cost_to_meet_targets', lang)}: {cost_to_meet / scale:.4g}",
        )
    for index in table.index[~solved]:
        axis.annotate(
            label(f"outcome_{table.loc[index, 'outcome']}", lang),
            (x[index], 0.02),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            rotation=90,
            color="tab:red",
        )
    axis.set_ylabel(label("whatif_targets_axis", lang))
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    title = label("whatif_title_budget" if result.spec.is_budget else "whatif_title_param", lang)
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower right", fontsize=8)


def _coverage_panel(axis: Axes, result: SweepResult, scale: float, lang: Lang) -> None:
    table = result.table
    solved = _solved(table)
    x = _x(result, scale)
    population = table["population"].astype(float) if "population" in table else pd.Series(dtype=float)
    for column in _STANDARDS:
        if column not in table:
            continue
        share = table[column].astype(float) / population * 100.0
        name = (
            label("whatif_covered_every", lang)
            if column == "covered_population"
            else column_label(column.removeprefix("population_"), lang)
        )
        width = 2.5 if column == "covered_population" else 1.2
        axis.plot(x[solved], share[solved], marker="o", linewidth=width, label=name)
    for prefix, colour in (("subcentre", "tab:purple"), ("ambulance", "tab:red")):
        column = f"{prefix}_greedy_gap"
        if column in table and table[column].notna().any():
            name = f"{column_label('covered_subcentre_radius' if prefix == 'subcentre' else 'covered_ambulance', lang)}"
            gap = "：贪心选址与最优之差" if lang == "zh" else ": greedy siting's gap to the optimum"
            axis.plot(
                x[solved],
                table.loc[solved, column].astype(float) * 100.0,
                linestyle="--",
                color=colour,
                label=name + gap,
            )
    axis.set_ylabel("%")
    axis.set_title(label("chart_coverage", lang))
    axis.grid(alpha=0.3)
    axis.legend(loc="center right", fontsize=7)


def _matrix_panel(axis: Axes, result: SweepResult, rows: list[str], scale: float, lang: Lang, *, named: bool) -> None:
    """Dots: rows = targets (Chinese indicator, or id without a CJK font), columns = levels."""
    status = result.target_status
    axis.set_title(label("whatif_matrix", lang))
    if not rows:
        axis.set_yticks([])
        return
    values = {int(row["level"]): float(row["value"]) for row in _records(result.table)}
    values.setdefault(-1, result.spec.baseline)  # the base-only level, when it was solved beside the sweep
    names = status.drop_duplicates("id").set_index("id")["indicator"].astype(str)
    shown = [names[i] if named else i for i in rows]
    repeated = {n for n in shown if shown.count(n) > 1}
    ticks = [f"{n} ({i})" if n in repeated else n for n, i in zip(shown, rows, strict=True)]
    position = {target: y for y, target in enumerate(rows)}
    picked = status[status["id"].isin(position)]
    x = picked["level"].astype(int).map(values).astype(float) / scale
    y = picked["id"].map(position).astype(float)
    met = picked["met"].astype(bool).to_numpy()
    axis.scatter(x[met], y[met], s=40, color="tab:green", label=label("met", lang), zorder=3)
    axis.scatter(x[~met], y[~met], s=40, facecolors="none", edgecolors="tab:red", label=label("missed", lang), zorder=3)
    axis.set_yticks(range(len(rows)), ticks, fontsize=8)
    axis.set_ylim(len(rows) - 0.5, -0.5)
    axis.grid(alpha=0.3)
    axis.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    # to_dict types column labels as Hashable; the sweep table's are strings
    return cast(list[dict[str, Any]], table.to_dict("records"))


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan
