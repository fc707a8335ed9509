"""Reports as Word documents (python-docx), tables with real merged cells (gridSpan / vMerge).

Variation drawn from the report's seed: headings as bold paragraphs or Word heading styles, a line
break inside a label written as ``<w:br/>`` or as a second paragraph, labels split over several runs
(as Word does after editing), and sometimes the whole report inside a one-cell layout table, so that
the three tables are nested tables.
"""
from __future__ import annotations

import io
import random

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from ._zip import stable_zip
from extract.layout import Layout, n_cols, positioned
from .sample import CanonicalReport

def _font(run, name: str, size: float | None = None, bold: bool = False) -> None:
    run.font.name = name
    rpr = run._r.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    if bold:
        run.bold = True


def _write_cell(cell, text: str, rng: random.Random, font: str, center: bool) -> None:
    p = cell.paragraphs[0]
    pieces = text.split("\n")
    two_paras = len(pieces) > 1 and rng.random() < 0.5
    for i, piece in enumerate(pieces):
        if i and two_paras:
            p = cell.add_paragraph()
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if i and not two_paras:
            p.runs[-1].add_break()
        if len(piece) > 6 and rng.random() < 0.3:  # Word splits runs at arbitrary points
            k = rng.randint(2, len(piece) - 2)
            p.add_run(piece[:k])
            p.add_run(piece[k:])
        else:
            p.add_run(piece)


def add_table(container, grid: Layout, rng: random.Random, font: str = "宋体"):
    """Write a layout into ``container`` (a Document or a table cell) with merged cells."""
    width = n_cols(grid)
    table = container.add_table(rows=len(grid), cols=width)
    table.style = "Table Grid"
    placed = positioned(grid)
    slots = table._cells  # one _Cell per grid slot, fetched once (table.cell() rescans the table)
    for cell, r, c in placed:
        if cell.rowspan > 1 or cell.colspan > 1:
            slots[r * width + c].merge(slots[(r + cell.rowspan - 1) * width + c + cell.colspan - 1])
    for cell, r, c in placed:
        _write_cell(slots[r * width + c], cell.text, rng, font, center=cell.kind != "label")
    return table


def render_docx(report: CanonicalReport, nested: bool | None = None) -> bytes:
    """The report as .docx bytes. ``nested``: put everything inside a one-cell layout table
    (default: drawn from the seed, rarely)."""
    rng = random.Random(f"docx:{report.seed}:{report.template}")
    if nested is None:
        nested = rng.random() < 0.1
    font = rng.choice(["宋体", "仿宋_GB2312", "仿宋"])
    styled_headings = rng.random() < 0.3
    doc = docx.Document()
    normal = doc.styles["Normal"]  # table text takes the document's default font
    normal.font.name = font
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(report.title), "方正小标宋简体", 18)
    body = doc
    if nested:
        outer = doc.add_table(rows=1, cols=1)
        body = outer.cell(0, 0)
        body.paragraphs[0].text = ""
    for heading, paras, key in report.outline():
        if styled_headings and not nested:
            h = doc.add_heading(heading, level=2)
        else:
            h = body.add_paragraph()
            _font(h.add_run(heading), "黑体", 12, bold=True)
        for text in paras:
            p = body.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(21)
            _font(p.add_run(text), font, 12)
        if key:
            add_table(body, report.layout(key), rng, font)
            if rng.random() < 0.5:
                body.add_paragraph()
    out = io.BytesIO()
    doc.save(out)
    return stable_zip(out.getvalue(), report.year + 1)
