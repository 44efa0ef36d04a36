"""report.docx: the same report as a Word document (python-docx), for a bureau to edit and print.

A4 portrait with the report's margins; headings per section, each section from a new page; tables
with Chinese headers (the header row repeats on every page, rows do not split); charts as pictures.
Every style names an East Asian font (`w:eastAsia`), so Word shows Chinese in 宋体/微软雅黑 rather
than falling back to a Latin font.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table as DocxTable
from docx.table import _Cell, _Row

from optimizer.outputs.labels import Lang
from optimizer.outputs.report_content import ReportContent, Section, Table, column_shares, printed_text

BODY_FONT_ZH = "宋体"
HEADING_FONT_ZH = "Microsoft YaHei"
LATIN_FONT = "Times New Roman"
TABLE_PT = 8
NUMERIC_KINDS = ("integer", "number", "measure", "share", "money")
CHART_WIDTH_CM = 16.0
TEXT_WIDTH_CM = 18.2
"""A4 width less the margins."""
HEADER_FILL = "E8F5E9"
TOOL = "county-health-planner"


def render_report_docx(content: ReportContent, charts: Mapping[str, bytes]) -> bytes:
    """The document's bytes; `charts` maps each chart's key to its PNG (report_charts.render_chart)."""
    document = Document()
    _page_setup(document)
    _fonts(document)
    document.core_properties.title = content.title
    document.core_properties.subject = content.subtitle
    document.core_properties.author = TOOL
    document.core_properties.comments = ""
    document.add_heading(content.title, level=0)
    document.add_paragraph(content.subtitle)
    for index, section in enumerate(content.sections):
        _section(document, section, charts, content.lang, first=index == 0)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_setup(document: DocumentObject) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(1.6), Cm(1.8)
    section.left_margin = section.right_margin = Cm(1.4)


def _fonts(document: DocumentObject) -> None:
    """Body in 宋体, headings in 微软雅黑; both name the East Asian font explicitly (w:eastAsia)."""
    for name, east_asian in (("Normal", BODY_FONT_ZH), ("Title", HEADING_FONT_ZH)):
        _font(document.styles[name], east_asian)
    for level in (1, 2):
        _font(document.styles[f"Heading {level}"], HEADING_FONT_ZH)
    normal = document.styles["Normal"]
    if isinstance(normal, ParagraphStyle):
        normal.font.size = Pt(10.5)


def _font(style: object, east_asian: str) -> None:
    if not isinstance(style, ParagraphStyle):
        return
    style.font.name = LATIN_FONT
    properties = style.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asian)


def _section(
    document: DocumentObject, section: Section, charts: Mapping[str, bytes], lang: Lang, *, first: bool
) -> None:
    if not first:
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading(section.title, level=1)
    for index, text in enumerate(section.paragraphs):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        if first and index == 0:
            run.bold = True
        if text.startswith(("注意", "Caution")):
            run.font.color.rgb = RGBColor(0xB7, 0x1C, 0x1C)
    for bullet in section.bullets:
        document.add_paragraph(bullet, style="List Bullet")
    for chart in section.charts:
        if chart.key in charts:
            document.add_picture(io.BytesIO(charts[chart.key]), width=Cm(CHART_WIDTH_CM))
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for table in section.tables:
        _table(document, table.printed(), lang)
        document.add_paragraph()


def _table(document: DocumentObject, table: Table, lang: Lang) -> None:
    grid: DocxTable = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, column in zip(grid.rows[0].cells, table.columns, strict=True):
        _write(cell, column.header, bold=True)
        _shade(cell, HEADER_FILL)
    _repeat_header(grid)
    texts = [[printed_text(v, c, lang) for v, c in zip(row, table.columns, strict=True)] for row in table.rows]
    for values, row in zip(texts, grid.rows[1:], strict=True):
        _keep_together(row)
        for text, column, cell in zip(values, table.columns, row.cells, strict=True):
            _write(cell, text, right=column.kind in NUMERIC_KINDS)
    grid.autofit = False
    for share, column_cells in zip(column_shares(table, texts), grid.columns, strict=True):
        for cell in column_cells.cells:  # Word reads each cell's width, LibreOffice the grid's
            cell.width = Cm(TEXT_WIDTH_CM * share)
        column_cells.width = Cm(TEXT_WIDTH_CM * share)


def _write(cell: _Cell, text: str, *, bold: bool = False, right: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.font.size = Pt(TABLE_PT)
    run.bold = bold
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_header(grid: DocxTable) -> None:
    """The header row repeats at the top of every page the table runs onto."""
    properties = grid.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _keep_together(row: _Row) -> None:
    """A row never splits across pages."""
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
