"""Reports as spreadsheets (openpyxl): the three tables with merged ranges.

Two arrangements occur in the wild and both are drawn: one sheet per table (a caption row, a blank
row, the table), or everything on one sheet (title, then per table a caption row, a blank row and
the table, tables separated by blank rows). Plain numbers are stored as numbers (``1,234`` as 1234
with a ``#,##0`` format), everything else as the printed text.
"""
from __future__ import annotations

import io
import random
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Side

from ._zip import stable_zip
from extract.layout import Layout, positioned
from .sample import CanonicalReport

_SHEET_NAMES = {"active": "主动公开情况", "requests": "依申请公开情况", "appeals": "复议诉讼情况"}
_INT = re.compile(r"-?\d+")
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+")
_DEC = re.compile(r"\d+\.\d+")
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _cell_value(text: str, rng: random.Random, numeric: float):
    """(value, number_format or None) to store for a printed text."""
    if rng.random() < numeric:
        if _INT.fullmatch(text):
            return int(text), None
        if _GROUPED.fullmatch(text):
            return int(text.replace(",", "")), "#,##0"
        if _DEC.fullmatch(text) and len(text) < 15:
            return float(text), None
    return text, None


def write_table(ws, grid: Layout, top: int, rng: random.Random, numeric: float = 0.8) -> int:
    """Write a layout with its top-left at row ``top`` (1-based), column A; returns the next free row."""
    for cell, r, c in positioned(grid):
        value, fmt = _cell_value(cell.text, rng, numeric) if cell.kind == "value" else (cell.text, None)
        target = ws.cell(row=top + r, column=1 + c, value=value if value != "" else None)
        target.border = _BORDER
        target.alignment = Alignment(wrap_text=True, vertical="center",
                                     horizontal="left" if cell.kind == "label" else "center")
        if fmt:
            target.number_format = fmt
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merge_cells(start_row=top + r, start_column=1 + c,
                           end_row=top + r + cell.rowspan - 1, end_column=c + cell.colspan)
    return top + len(grid)


def render_xlsx(report: CanonicalReport, one_sheet: bool | None = None) -> bytes:
    """The report's tables as .xlsx bytes (``one_sheet``: all tables on one sheet; default from the seed)."""
    rng = random.Random(f"xlsx:{report.seed}:{report.template}")
    if one_sheet is None:
        one_sheet = rng.random() < 0.5
    numeric = rng.choice([0.0, 0.9, 1.0])
    wb = Workbook()
    ws = wb.active
    headings = report.captions()
    if one_sheet:
        ws.title = "年报统计表"
        ws.cell(row=1, column=1, value=report.title)
        row = 3
        for key in ("active", "requests", "appeals"):
            ws.cell(row=row, column=1, value=headings.get(key, key))
            row = write_table(ws, report.layout(key), row + 2, rng, numeric) + rng.randint(1, 3)
    else:
        for i, key in enumerate(("active", "requests", "appeals")):
            sheet = ws if i == 0 else wb.create_sheet()
            sheet.title = _SHEET_NAMES[key]
            sheet.cell(row=1, column=1, value=headings.get(key, key))
            write_table(sheet, report.layout(key), 3, rng, numeric)
    wb.properties.creator = report.agency
    out = io.BytesIO()
    wb.save(out)
    return stable_zip(out.getvalue(), report.year + 1)
