"""Write the three files a county health bureau takes to a meeting: report.html, report.docx, results.xlsx.

One `ReportContent` (report_sections.build_report) in the chosen language, three renderings: the
self-contained page (report_html.py), the Word document (report_docx.py) and the workbook
(workbook.py); the charts are drawn once (report_charts.py) and used by both documents. Coverage
comes from the coverage.csv the run has just written into the same folder (geo_report.py), so the
shares in the report are the ones in that file. The Office files are written without timestamps
(stable_zip.py), so repeated runs give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.outputs.files import CSV_ENCODING, atomic_write_bytes, atomic_write_text
from optimizer.outputs.labels import Lang
from optimizer.outputs.report_content import ReportContent, ReportInputs
from optimizer.outputs.report_sections import build_report
from optimizer.outputs.stable_zip import stable_package

DELIVERABLES = ("report.html", "report.docx", "results.xlsx")


def coverage_of(out_dir: Path) -> pd.DataFrame | None:
    """coverage.csv of the run folder (one row per standard), None when the run wrote none."""
    path = out_dir / "coverage.csv"
    return pd.read_csv(path, encoding=CSV_ENCODING) if path.is_file() else None


def write_deliverables(inputs: ReportInputs, out_dir: Path, lang: Lang = "zh") -> list[Path]:
    """Build the report content in `lang` and write the three files into `out_dir`; returns their paths."""
    # The renderers pull in matplotlib, python-docx and openpyxl: imported when a report is written.
    from optimizer.outputs.report_charts import render_chart
    from optimizer.outputs.report_docx import render_report_docx
    from optimizer.outputs.report_html import render_report_html
    from optimizer.outputs.workbook import render_workbook

    content: ReportContent = build_report(inputs, lang)
    charts = {chart.key: render_chart(chart) for chart in content.charts()}
    atomic_write_text(out_dir / "report.html", render_report_html(content, charts))
    atomic_write_bytes(out_dir / "report.docx", stable_package(render_report_docx(content, charts)))
    atomic_write_bytes(out_dir / "results.xlsx", stable_package(render_workbook(content)))
    return [out_dir / name for name in DELIVERABLES]
