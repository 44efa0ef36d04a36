"""The report's charts as PNG bytes: one horizontal bar chart per `Chart` of the content model.

Bars that meet their standard are green, the others orange; a dashed line marks the reference (the
target, 1.0 = achieved equals target; 100 % coverage). Chinese labels use the CJK font the map finds
(`optimizer.outputs.map_png.cjk_font`, WenQuanYi Micro Hei / Noto CJK …), so the map and the charts
print the same characters. The same PNG goes into report.html (base64) and report.docx (a picture).
"""

from __future__ import annotations

import io

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from optimizer.outputs.map_png import cjk_font
from optimizer.outputs.report_content import Chart

MET_COLOUR = "#2e7d32"
MISSED_COLOUR = "#ef6c00"
REFERENCE_COLOUR = "#555555"
WIDTH_IN = 7.0
"""Printed width (A4 text width is about 16 cm)."""
ROW_IN = 0.32
"""Height per bar."""
DPI = 200
"""Sharp in print without making report.html large."""


def render_chart(chart: Chart) -> bytes:
    """`chart` as a PNG (PNG metadata carries no timestamp, so the bytes repeat across runs)."""
    font = cjk_font()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    labels = [bar.label for bar in chart.bars]
    values = [bar.value for bar in chart.bars]
    colours = [MET_COLOUR if bar.ok else MISSED_COLOUR for bar in chart.bars]
    height = max(1.6, 0.9 + ROW_IN * len(chart.bars))
    with rc_context({"font.family": families, "axes.unicode_minus": False}):
        figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI)  # no pyplot: no global figure state
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        positions = list(range(len(values)))
        axes.barh(positions, values, color=colours, height=0.62)
        axes.set_yticks(positions, labels, fontsize=8)
        axes.invert_yaxis()  # first bar on top, as the table reads
        if chart.reference is not None:
            axes.axvline(chart.reference, color=REFERENCE_COLOUR, linestyle="--", linewidth=1)
            if chart.reference_label:
                axes.text(chart.reference, -0.7, chart.reference_label, fontsize=7, ha="center", va="bottom")
        top = max([*values, chart.reference or 0.0]) if values else 1.0
        axes.set_xlim(0, top * 1.12 if top > 0 else 1.0)
        for position, value in zip(positions, values, strict=True):
            shown = f"{value:.1%}" if chart.percent else f"{value:.2f}"
            axes.text(value, position, f" {shown}", va="center", fontsize=7)
        if chart.percent:
            axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axes.set_xlabel(chart.axis, fontsize=8)
        axes.tick_params(axis="x", labelsize=7)
        axes.set_title(chart.title, fontsize=10)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
