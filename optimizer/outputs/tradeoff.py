"""Write a finished sweep: `sweep.parquet`, `sweep.csv`, `tradeoff.png` and `sweep_manifest.json`.

The figure has two panels over the swept value (budget in M CNY, or the parameter): population
covered per standard (share of residents; bold: covered by every standard), and target attainment
(share of plan targets met, plus the greedy siting's gap to the optimum). The scenario's own value
is marked with a dashed line. Every file is written atomically (optimizer/outputs/files.py) into the staging
folder of `safe_output.output_folder`, which adds the tool's `manifest.json`; the figure is drawn on a
`matplotlib.figure.Figure`, never through pyplot's global state.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from optimizer.inputs.scenario_loading import scenario_hash
from optimizer.outputs.files import atomic_write_bytes, atomic_write_csv, atomic_write_json, package_versions
from optimizer.whatif.sweep import SweepResult

logger = logging.getLogger(__name__)

SWEEP_FILES = ("sweep.parquet", "sweep.csv", "tradeoff.png", "sweep_manifest.json")
_STANDARD_LABELS = {
    "covered_population": "every standard",
    "population_covered_ambulance": "ambulance within radius and response time",
    "population_covered_ambulance_backup": "second ambulance (backup)",
    "population_covered_subcentre_radius": "sub-centre within radius",
    "population_covered_access_limit": "facility within the access limit",
}


def write_sweep(result: SweepResult, scenario_path: Path, out_dir: Path) -> list[Path]:
    """Write the sweep's files into `out_dir`; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = result.table
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    atomic_write_bytes(out_dir / "sweep.parquet", buffer.getvalue())
    atomic_write_csv(out_dir / "sweep.csv", table)
    atomic_write_bytes(out_dir / "tradeoff.png", tradeoff_png(result))
    atomic_write_json(
        out_dir / "sweep_manifest.json",
        {
            "scenario": str(scenario_path),
            "scenario_sha256": scenario_hash(scenario_path),
            "parameter": result.spec.parameter,
            "levels": list(result.spec.values),
            "scenario_value": result.spec.baseline,
            "mode": result.mode,
            "workers": result.workers,
            "warm_start": result.warm_start,
            "seconds": round(result.seconds, 3),
            "files": list(SWEEP_FILES[:3]),
            "versions": package_versions(),
        },
    )
    return [out_dir / name for name in SWEEP_FILES]


def tradeoff_png(result: SweepResult) -> bytes:
    """The trade-off figure as PNG bytes."""
    table = result.table
    spec = result.spec
    scale = 1e6 if spec.is_budget else 1.0
    x = table["value"].astype(float) / scale
    marker = spec.baseline / scale
    xlabel = "budget (M CNY)" if spec.is_budget else spec.parameter
    figure = Figure(figsize=(9, 7), constrained_layout=True)
    top, bottom = figure.subplots(2, 1, sharex=True)
    solved = table["outcome"].isin(["optimal", "feasible_with_gap"])
    population = table["population"].astype(float) if "population" in table else pd.Series(dtype=float)
    for column, label in _STANDARD_LABELS.items():
        if column not in table:
            continue
        share = table[column].astype(float) / population * 100.0
        top.plot(
            x[solved], share[solved], marker="o", linewidth=2.5 if column == "covered_population" else 1.2, label=label
        )
    top.set_ylabel("residents covered (%)")
    top.set_title(f"{table.get('parameter', pd.Series([spec.parameter])).iloc[0]} sweep: coverage")
    top.legend(loc="lower right", fontsize=8)
    if "targets_met" in table:
        met = table["targets_met"].astype(float) / table["targets_total"].astype(float) * 100.0
        bottom.plot(x[solved], met[solved], marker="s", color="tab:green", label="plan targets met (%)")
    for prefix, colour in (("subcentre", "tab:purple"), ("ambulance", "tab:red")):
        column = f"{prefix}_greedy_gap"
        if column in table and table[column].notna().any():
            bottom.plot(
                x[solved],
                table.loc[solved, column].astype(float) * 100.0,
                linestyle="--",
                color=colour,
                label=f"greedy {prefix} siting: gap to optimum (%)",
            )
    bottom.set_ylabel("%")
    bottom.set_xlabel(xlabel)
    bottom.set_title("target attainment")
    bottom.legend(loc="center right", fontsize=8)
    for axis in (top, bottom):
        axis.axvline(marker, color="grey", linestyle=":", linewidth=1.5)
        axis.grid(alpha=0.3)
    top.annotate(
        f"plan: {marker:g}",
        (marker, 0.02),
        xycoords=("data", "axes fraction"),
        fontsize=8,
        color="grey",
        rotation=90,
        ha="right",
        va="bottom",
    )
    for index in table.index[~solved]:
        bottom.annotate(str(table.loc[index, "outcome"]), (x[index], 0), fontsize=7, rotation=90, color="tab:red")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()
