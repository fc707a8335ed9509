"""Reports as legacy Excel 97–2003 workbooks (.xls, BIFF8 in an OLE2 compound file).

No XLS writer is a project dependency, so this module writes the few records a reader needs:
workbook globals (BOF, CODEPAGE, FONT, XF, BOUNDSHEET, EOF) and one worksheet with LABEL / NUMBER
cells and MERGEDCELLS, wrapped in a minimal compound document (one ``Workbook`` stream in regular
512-byte sectors). It exists to test the XLS reader; spreadsheets from agencies are read with xlrd.
"""
from __future__ import annotations

import math
import random
import struct

from extract.layout import Layout, positioned
from .sample import CanonicalReport
from .xlsx import _cell_value

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _rec(rtype: int, data: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(data)) + data


def _ustr(s: str, lenlen: int) -> bytes:
    """BIFF8 unicode string, stored as UTF-16LE (flag 1)."""
    return struct.pack("<B" if lenlen == 1 else "<H", len(s)) + b"\x01" + s.encode("utf-16-le")


def _bof(kind: int) -> bytes:
    return _rec(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))


def _font(name: str) -> bytes:
    return _rec(0x0031, struct.pack("<HHHHHBBBB", 220, 0, 0x7FFF, 400, 0, 0, 0, 134, 0) + _ustr(name, 1))


def _xf(style: bool) -> bytes:
    prot = 0xFFF5 if style else 0x0001
    return _rec(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, prot, 0x20, 0, 0, 0 if style else 0xF8, 0, 0, 0x20C0))


def _sheet(cells: list[tuple[int, int, object]], merges: list[tuple[int, int, int, int]]) -> bytes:
    rows = max((r for r, _, _ in cells), default=0) + 1
    cols = max((c for _, c, _ in cells), default=0) + 1
    out = [_bof(0x0010), _rec(0x0200, struct.pack("<IIHHH", 0, rows, 0, cols, 0))]
    for r, c, v in cells:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(_rec(0x0203, struct.pack("<HHHd", r, c, 15, float(v))))
        else:
            out.append(_rec(0x0204, struct.pack("<HHH", r, c, 15) + _ustr(str(v), 2)))
    for i in range(0, len(merges), 1000):
        chunk = merges[i:i + 1000]
        out.append(_rec(0x00E5, struct.pack("<H", len(chunk))
                        + b"".join(struct.pack("<HHHH", r0, r1, c0, c1) for r0, r1, c0, c1 in chunk)))
    out.append(_rec(0x000A, b""))
    return b"".join(out)


def workbook_stream(sheets: list[tuple[str, bytes]]) -> bytes:
    """The BIFF8 ``Workbook`` stream for already-built worksheet substreams."""
    head = [_bof(0x0005), _rec(0x0042, struct.pack("<H", 1200))]
    head += [_font("宋体")] * 5
    head += [_xf(True)] * 15 + [_xf(False)]
    globals_len = sum(map(len, head))
    sheet_recs_len = sum(len(_rec(0x0085, b"\0" * 6 + _ustr(name, 1))) for name, _ in sheets)
    offset = globals_len + sheet_recs_len + len(_rec(0x000A, b""))
    bound = []
    for name, body in sheets:
        bound.append(_rec(0x0085, struct.pack("<IBB", offset, 0, 0) + _ustr(name, 1)))
        offset += len(body)
    return b"".join(head + bound + [_rec(0x000A, b"")] + [body for _, body in sheets])


def compound_file(stream: bytes, name: str = "Workbook") -> bytes:
    """A minimal OLE2 compound document holding one stream (padded to use regular sectors)."""
    if len(stream) < 4096:
        stream += b"\0" * (4096 - len(stream))
    n_data = math.ceil(len(stream) / 512)
    data = stream + b"\0" * (n_data * 512 - len(stream))
    dir_sector = n_data
    n_fat = 1
    while n_data + 1 + n_fat > 128 * n_fat:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("stream too large for this minimal writer")
    fat = []
    for i in range(n_data):
        fat.append(i + 1 if i < n_data - 1 else ENDOFCHAIN)
    fat.append(ENDOFCHAIN)  # directory
    fat += [FATSECT] * n_fat
    fat += [FREESECT] * (128 * n_fat - len(fat))

    def entry(nm: str, typ: int, child: int, start: int, size: int) -> bytes:
        raw = nm.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), typ, 1)
                + struct.pack("<III", NOSTREAM, NOSTREAM, child) + b"\0" * 16 + struct.pack("<I", 0)
                + b"\0" * 16 + struct.pack("<IIHH", start, size, 0, 0)).ljust(128, b"\0")

    empty = (b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)
             ).ljust(128, b"\0")
    directory = entry("Root Entry", 5, 1, ENDOFCHAIN, 0) + entry(name, 2, NOSTREAM, 0, len(stream)) + empty * 2
    difat = [dir_sector + 1 + i for i in range(n_fat)] + [FREESECT] * (109 - n_fat)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, n_fat, dir_sector, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
              + struct.pack("<109I", *difat))
    assert len(header) == 512
    return header + data + directory + struct.pack(f"<{len(fat)}I", *fat)


def write_layouts(grids: list[Layout], rng: random.Random, numeric: float = 0.8,
                  captions: list[str] | None = None) -> bytes:
    """Layouts stacked on one sheet (a caption row, a blank row, the table, two blank rows)."""
    cells: list[tuple[int, int, object]] = []
    merges: list[tuple[int, int, int, int]] = []
    top = 0
    for i, grid in enumerate(grids):
        if captions:
            cells.append((top, 0, captions[i]))
            top += 2
        for cell, r, c in positioned(grid):
            v, _ = _cell_value(cell.text, rng, numeric) if cell.kind == "value" else (cell.text, None)
            if v != "":
                cells.append((top + r, c, v))
            if cell.rowspan > 1 or cell.colspan > 1:
                merges.append((top + r, top + r + cell.rowspan - 1, c, c + cell.colspan - 1))
        top += len(grid) + 2
    return compound_file(workbook_stream([("统计表", _sheet(cells, merges))]))


def render_xls(report: CanonicalReport) -> bytes:
    rng = random.Random(f"xls:{report.seed}:{report.template}")
    headings = report.captions()
    keys = ("active", "requests", "appeals")
    return write_layouts([report.layout(k) for k in keys], rng, rng.choice([0.0, 1.0]),
                         [headings.get(k, k) for k in keys])
