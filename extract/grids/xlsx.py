"""XLSX / XLS → grids: every sheet, merged ranges expanded, tables found by blank-row separation.

A sheet may hold one table, or several separated by blank rows (a caption row above each). Each
maximal run of non-blank rows is one block; within it, columns separated by more than
``COL_GAP`` blank columns are separate blocks (tables side by side). A block that is one row with a
single non-empty cell is a caption: it becomes the ``context`` of the next grid instead of a grid.
``Grid.page`` is the sheet index.

Cell text: strings as stored; numbers as their shortest text (integral floats without ``.0``:
spreadsheets store every number as a double); dates ISO; booleans TRUE/FALSE. Formula cells give
their cached value (openpyxl ``data_only``).

Hostile input: the package passes :mod:`.safezip` and is handed to openpyxl re-packed from bounded
reads; before openpyxl sees it, a sheet storing more than ``MAX_CELLS`` cells or whose merged ranges
cover more than ``MAX_SLOTS`` slots is refused (openpyxl allocates an object per stored cell and
per merged slot); sheets are then read sparsely (only stored cells), merged ranges are clipped to the
used area, and a block larger than ``MAX_SLOTS`` is refused.
"""
from __future__ import annotations

import datetime as _dt
import io
import math
import re
import warnings
import zipfile

from . import Grid
from .errors import UnreadableDocument
from .safezip import open_package, read_member, repack

COL_GAP = 3
MAX_SLOTS = 4_000_000
MAX_CELLS = 1_000_000  # stored cells per sheet (openpyxl keeps an object per cell)
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\""
                    rb"\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?\"")
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _num_text(v: float | int) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if math.isnan(v) or math.isinf(v):
        return str(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return _num_text(v)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    return str(v)


def _blocks(content: dict[tuple[int, int], str], merges: list[tuple[int, int, int, int]],
            source: str, sheet: int, title: str) -> list[Grid]:
    """Split one sheet (0-based sparse content and merged ranges r0, r1, c0, c1 inclusive) into grids."""
    if not content:
        return []
    max_r = max(r for r, _ in content)
    max_c = max(c for _, c in content)
    cover: dict[tuple[int, int], tuple[int, int]] = {}
    budget = MAX_SLOTS
    for r0, r1, c0, c1 in merges:
        r1, c1 = min(r1, max_r), min(c1, max_c)
        if r0 > r1 or c0 > c1:
            continue
        budget -= (r1 - r0 + 1) * (c1 - c0 + 1)
        if budget < 0:
            raise UnreadableDocument(f"sheet {title!r}: merged ranges cover more than {MAX_SLOTS} cells: refused")
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cover[(r, c)] = (r0, c0)

    def text_at(r: int, c: int) -> str:
        org = cover.get((r, c), (r, c))
        return content.get(org, "")

    filled = {k for k, v in content.items() if v.strip()}
    filled |= {k for k, org in cover.items() if content.get(org, "").strip()}
    rows_used = sorted({r for r, _ in filled})
    # runs of consecutive non-blank rows
    runs: list[list[int]] = []
    for r in rows_used:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    grids: list[Grid] = []
    context = ""
    for run in runs:
        rset = set(run)
        cols_used = sorted({c for r, c in filled if r in rset})
        groups: list[list[int]] = []
        for c in cols_used:
            if groups and c - groups[-1][-1] <= COL_GAP + 1:
                groups[-1].append(c)
            else:
                groups.append([c])
        for cols in groups:
            r0, r1, c0, c1 = run[0], run[-1], cols[0], cols[-1]
            if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_SLOTS:
                raise UnreadableDocument(f"sheet {title!r}: a table of {(r1 - r0 + 1) * (c1 - c0 + 1)} cells: refused")
            nonempty = [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
                        if (r, c) in filled and cover.get((r, c), (r, c)) == (r, c)]
            if r0 == r1 and len(nonempty) == 1:
                context = text_at(*nonempty[0]).strip()
                continue
            cells, origin, notes = [], [], []
            clipped = 0
            for r in range(r0, r1 + 1):
                cells.append([text_at(r, c) for c in range(c0, c1 + 1)])
                orow = []
                for c in range(c0, c1 + 1):
                    org_r, org_c = cover.get((r, c), (r, c))
                    if not (r0 <= org_r <= r1 and c0 <= org_c <= c1):
                        clipped += 1
                        org_r, org_c = r, c
                    orow.append((org_r - r0, org_c - c0))
                origin.append(orow)
            if clipped:
                notes.append(f"{clipped} slot(s) of merged ranges reaching outside the block kept as own cells")
            if len(groups) > 1:
                notes.append(f"one of {len(groups)} side-by-side blocks (columns {c0 + 1}-{c1 + 1})")
            grids.append(Grid(cells=cells, origin=origin, source=source, context=context or title,
                              page=sheet, notes=notes))
            context = ""
    return grids


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _precheck(safe: bytes) -> None:
    """Refuse sheets that would make openpyxl allocate without bound before it parses them: it
    creates one object per stored cell and per slot of every merged range."""
    zf = zipfile.ZipFile(io.BytesIO(safe))
    for name in zf.namelist():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        xml = read_member(zf, name, "XLSX")
        n_cells = len(_CELL.findall(xml))
        if n_cells > MAX_CELLS:
            raise UnreadableDocument(f"{name}: {n_cells} stored cells (limit {MAX_CELLS}): refused")
        area = 0
        for a, r0, b, r1 in _MERGE.findall(xml):
            c0, c1 = _col(a), _col(b or a)
            rows = abs(int(r1 or r0) - int(r0)) + 1
            area += rows * (abs(c1 - c0) + 1)
            if area > MAX_SLOTS:
                raise UnreadableDocument(f"{name}: merged ranges cover more than {MAX_SLOTS} cells: refused")


def grids_from_xlsx(data: bytes) -> list[Grid]:
    """Every table-like block of every sheet of an .xlsx (or .xlsm) workbook."""
    if data.startswith(_OLE):
        return grids_from_xls(data)
    zf = open_package(data, "XLSX")
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        raise UnreadableDocument("not a spreadsheet (no workbook part in the package)")
    safe = repack(zf, "XLSX")
    _precheck(safe)
    try:
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(safe), data_only=True, read_only=False, keep_links=False)
    except UnreadableDocument:
        raise
    except Exception as e:  # openpyxl raises many types on malformed parts
        raise UnreadableDocument(f"corrupt XLSX workbook: {type(e).__name__}: {e}") from None
    out: list[Grid] = []
    for i, ws in enumerate(wb.worksheets):
        cells = getattr(ws, "_cells", {})
        if len(cells) > MAX_SLOTS:
            raise UnreadableDocument(f"sheet {ws.title!r} has {len(cells)} cells: refused")
        content = {}
        for (r, c), cell in cells.items():
            t = _text(cell.value)
            if t != "":
                content[(r - 1, c - 1)] = t
        merges = [(m.min_row - 1, m.max_row - 1, m.min_col - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        out += _blocks(content, merges, "xlsx", i, ws.title)
    return out


def grids_from_xls(data: bytes) -> list[Grid]:
    """Every table-like block of every sheet of a legacy .xls (BIFF) workbook, via xlrd.
    Merged cells need xlrd's ``formatting_info``; when a file cannot be read with it, it is read
    without and its grids carry a note that merges are unknown."""
    if data.startswith(b"PK"):
        return grids_from_xlsx(data)
    if not data.startswith(_OLE):
        raise UnreadableDocument("not an XLS file (no OLE2 signature)")
    import xlrd

    notes: list[str] = []
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=False)
    except Exception:
        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=False)
            notes.append("read without formatting info: merged cells unknown, not expanded")
        except Exception as e:
            raise UnreadableDocument(f"corrupt XLS workbook: {type(e).__name__}: {e}") from None
    out: list[Grid] = []
    try:
        for i in range(book.nsheets):
            sh = book.sheet_by_index(i)
            if sh.nrows * sh.ncols > MAX_SLOTS * 4:
                raise UnreadableDocument(f"sheet {sh.name!r} has {sh.nrows}x{sh.ncols} cells: refused")
            content = {}
            for r in range(sh.nrows):
                for c, cell in enumerate(sh.row(r)):
                    t = _xls_text(cell, book.datemode)
                    if t != "":
                        content[(r, c)] = t
            merges = [(r0, r1 - 1, c0, c1 - 1) for r0, r1, c0, c1 in getattr(sh, "merged_cells", [])]
            for g in _blocks(content, merges, "xls", i, sh.name):
                g.notes[:0] = notes
                out.append(g)
    except UnreadableDocument:
        raise
    except Exception as e:
        raise UnreadableDocument(f"corrupt XLS workbook: {type(e).__name__}: {e}") from None
    return out


def _xls_text(cell, datemode: int) -> str:
    import xlrd

    t = cell.ctype
    if t in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if t == xlrd.XL_CELL_TEXT:
        return cell.value
    if t == xlrd.XL_CELL_NUMBER:
        return _num_text(cell.value)
    if t == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if t == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode).isoformat()
        except Exception:
            return _num_text(cell.value)
    if t == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    return str(cell.value)
