"""report.html: the report as one self-contained page that prints well on A4.

Everything is inline (CSS in a <style>, charts as base64 PNG), so the file opens offline and can be
mailed as it is. Print rules: A4 pages with margins, each section from a new page, table header rows
repeated on every page and rows never split across pages. Text is escaped; nothing is fetched.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape

from optimizer.outputs.labels import Lang
from optimizer.outputs.report_content import Chart, ReportContent, Section, Table, column_shares, printed_text

CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "SimHei", sans-serif;
       font-size: 10.5pt; line-height: 1.5; color: #222; max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 20pt; margin: 0 0 2mm 0; }
.subtitle { color: #555; margin: 0 0 6mm 0; }
h2 { font-size: 14pt; border-bottom: 2px solid #2e7d32; padding-bottom: 1mm; margin-top: 8mm; }
section.break { break-before: page; page-break-before: always; }
p.lead { font-size: 11.5pt; font-weight: bold; }
p.caution { color: #b71c1c; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 8.5pt; margin: 3mm 0 5mm 0; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; vertical-align: top; overflow-wrap: anywhere; }
th { background: #e8f5e9; text-align: left; }
td.num { text-align: right; white-space: nowrap; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.missed { color: #b71c1c; font-weight: bold; }
figure { margin: 3mm 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; max-width: 170mm; }
ul { margin: 1mm 0 3mm 0; }
@media print { body { padding: 0; max-width: none; } }
"""
NUMERIC_KINDS = ("integer", "number", "measure", "share", "money")
MISSED_WORDS = ("未达标", "missed")


def render_report_html(content: ReportContent, charts: Mapping[str, bytes]) -> str:
    """The whole page; `charts` maps each chart's key to its PNG (report_charts.render_chart)."""
    body = [f"<h1>{escape(content.title)}</h1>", f'<p class="subtitle">{escape(content.subtitle)}</p>']
    for index, section in enumerate(content.sections):
        body.append(_section(section, charts, content.lang, first=index == 0))
    lang = "zh-CN" if content.lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(content.title)} — {escape(content.subtitle)}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _section(section: Section, charts: Mapping[str, bytes], lang: Lang, *, first: bool) -> str:
    css = "" if first else ' class="break"'
    parts = [f'<section id="{escape(section.key)}"{css}>']
    parts.append(f"<h2>{escape(section.title)}</h2>")
    for index, paragraph in enumerate(section.paragraphs):
        css = "lead" if first and index == 0 else ""
        if paragraph.startswith(("注意", "Caution")):
            css += " caution"
        parts.append(f'<p class="{css.strip()}">{escape(paragraph)}</p>' if css else f"<p>{escape(paragraph)}</p>")
    if section.bullets:
        parts.append("<ul>" + "".join(f"<li>{escape(b)}</li>" for b in section.bullets) + "</ul>")
    parts += [_chart(chart, charts[chart.key]) for chart in section.charts if chart.key in charts]
    parts += [_table(table.printed(), lang) for table in section.tables]
    parts.append("</section>")
    return "\n".join(parts)


def _chart(chart: Chart, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{escape(chart.title)}" src="data:image/png;base64,{data}"></figure>'


def _table(table: Table, lang: Lang) -> str:
    texts = [[printed_text(v, c, lang) for v, c in zip(row, table.columns, strict=True)] for row in table.rows]
    head = "".join(f"<th>{escape(c.header)}</th>" for c in table.columns)
    rows = []
    for row in texts:
        cells = []
        for text, column in zip(row, table.columns, strict=True):
            css = "num" if column.kind in NUMERIC_KINDS else ("missed" if text in MISSED_WORDS else "")
            cells.append(f'<td class="{css}">{escape(text)}</td>' if css else f"<td>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = "".join(rows)
    widths = column_shares(table, texts)
    columns = "".join(f'<col style="width:{100 * w:.1f}%">' for w in widths)
    return (
        f'<table data-table="{escape(table.key)}"><colgroup>{columns}</colgroup>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
