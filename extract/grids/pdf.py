"""PDF → grids: ruled tables found by pdfplumber, merged cells rebuilt from cell boxes, tables that
run over a page break stitched back into one grid.

Merged cells. pdfplumber's table finder returns one box per drawn cell; ``Table.extract()`` then
reports a merged cell once and ``None`` for the slots it covers, which shifts values if read naively.
This reader ignores ``extract()``: it clusters the x edges and y edges of all cell boxes into the
table's column and row boundaries (tolerance ``EDGE_TOL``), so a box from boundary i to j spans
columns i..j-1, and every slot it covers repeats its text with the box's top-left slot as origin.
Text is assigned per character (by its centre) to the box containing it. Slots no box covers (a
rule missing in the drawing) stay empty with their own origin and are counted in ``Grid.notes``.

Unreadable input raises :class:`UnreadableDocument`: no ``%PDF-`` header, no ``%%EOF`` in the last
``EOF_WINDOW`` bytes (a truncated download: pdfminer would otherwise recover the objects it finds
and silently drop the rest), anything pdfminer cannot parse, no pages, more than ``MAX_PAGES``.

Page breaks. A table is a *continuation* of the previous one when it is the first table on page
n+1 with no body text above it, the previous is the last table on page n with no body text below it
(text in the top / bottom ``MARGIN_ZONE`` of a page — running headers, page numbers — is ignored),
and their column boundaries agree within ``STITCH_TOL``: the same columns, or the boundaries of one
part are a subset of the other's (a continuation whose rows all merge some columns draws fewer
rules; it is then laid out on the finer set of columns, noted). The parts are concatenated into one
Grid (``page`` = first page, 1-based) and the join is noted. At the join:

* header rows repeated at the top of the continuation (identical text to the first rows of the
  table) are dropped;
* a merged cell cut by the break (a box that, in the same columns, ends the first part and starts
  the second, one of the two halves empty, at least one of them spanning several rows) is one cell
  again: both halves take the text and the origin of the whole (this is a guess, noted).
"""
from __future__ import annotations

import io
import logging
from bisect import bisect_right
from dataclasses import dataclass, field

from . import Grid
from .errors import UnreadableDocument

EDGE_TOL = 2.0
STITCH_TOL = 3.0
MARGIN_ZONE = 0.07  # share of the page height at the top and bottom holding headers/footers
MAX_PAGES = 400
EOF_WINDOW = 16 * 1024  # a complete PDF ends with %%EOF (junk may follow it, but not this much)

for _name in ("pdfminer", "pdfplumber"):
    logging.getLogger(_name).setLevel(logging.ERROR)


@dataclass
class _Box:
    x0: float
    x1: float
    r0: int
    r1: int  # rows r0..r1-1
    text: str


@dataclass
class _Part:
    page: int
    bbox: tuple[float, float, float, float]
    xs: list[float]
    n_rows: int
    boxes: list[_Box]
    at_top: bool
    at_bottom: bool
    context: str
    notes: list[str] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    origin: list[list[tuple[int, int]]] = field(default_factory=list)
    rowspan: dict[tuple[int, int], int] = field(default_factory=dict)  # origin -> rows spanned
    end_page: int = -1  # last page the table reaches (after stitching)

    def __post_init__(self) -> None:
        if self.end_page < 0:
            self.end_page = self.page
        if not self.cells and self.boxes:
            self.build(self.xs)

    def build(self, xs: list[float]) -> None:
        """Lay the boxes out on column boundaries ``xs`` (this part's own, or a finer set when a
        continuation part uses fewer columns than the part it continues)."""
        self.xs = xs
        n_cols = len(xs) - 1
        cells = [["" for _ in range(n_cols)] for _ in range(self.n_rows)]
        origin = [[(r, c) for c in range(n_cols)] for r in range(self.n_rows)]
        owner: dict[tuple[int, int], int] = {}
        rowspan: dict[tuple[int, int], int] = {}
        for k, b in enumerate(self.boxes):
            c0, c1 = _index(xs, b.x0), _index(xs, b.x1)
            if c1 <= c0:
                continue
            for r in range(b.r0, b.r1):
                for c in range(c0, c1):
                    if (r, c) in owner:
                        continue
                    owner[(r, c)] = k
                    cells[r][c] = b.text
                    origin[r][c] = (b.r0, c0)
            rowspan[(b.r0, c0)] = b.r1 - b.r0
        self.cells, self.origin, self.rowspan = cells, origin, rowspan
        holes = self.n_rows * n_cols - len(owner)
        self.notes = [n for n in self.notes if "belong to no drawn cell" not in n]
        if holes:
            self.notes.append(f"page {self.page + 1}: {holes} slot(s) inside the table belong to no drawn cell; "
                              "left empty")


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def _index(bounds: list[float], v: float) -> int:
    """Index of the boundary nearest to ``v``."""
    i = bisect_right(bounds, v)
    if i == 0:
        return 0
    if i == len(bounds):
        return len(bounds) - 1
    return i if bounds[i] - v < v - bounds[i - 1] else i - 1


def _text(chars: list[dict]) -> str:
    if not chars:
        return ""
    from pdfplumber.utils import extract_text

    return extract_text(chars, x_tolerance=1.5, y_tolerance=3).strip()


def _line_text(chars: list[dict]) -> str:
    return _text(sorted(chars, key=lambda ch: ch["x0"]))


def _part(page, pageno: int, table, body_chars: list[dict]) -> _Part | None:
    raw = [tuple(b) for b in table.cells]
    if not raw:
        return None
    xs = _cluster([b[0] for b in raw] + [b[2] for b in raw], EDGE_TOL)
    ys = _cluster([b[1] for b in raw] + [b[3] for b in raw], EDGE_TOL)
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_rows < 1 or n_cols < 1:
        return None
    slot_box: dict[tuple[int, int], int] = {}
    spans: list[tuple[int, int, int, int] | None] = []
    for k, (x0, top, x1, bottom) in enumerate(raw):
        c0, c1 = _index(xs, x0), _index(xs, x1)
        r0, r1 = _index(ys, top), _index(ys, bottom)
        if c1 <= c0 or r1 <= r0:
            spans.append(None)
            continue
        spans.append((r0, r1, c0, c1))
        for r in range(r0, r1):
            for c in range(c0, c1):
                slot_box.setdefault((r, c), k)
    texts: dict[int, list[dict]] = {}
    x0t, topt, x1t, bottomt = table.bbox
    for ch in page.chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        if not (x0t <= cx <= x1t and topt <= cy <= bottomt):
            continue
        k = slot_box.get((bisect_right(ys, cy) - 1, bisect_right(xs, cx) - 1))
        if k is not None:
            texts.setdefault(k, []).append(ch)
    boxes = [_Box(xs[sp[2]], xs[sp[3]], sp[0], sp[1], _text(texts.get(k, [])))
             for k, sp in enumerate(spans) if sp is not None]
    H = float(page.height)
    top_zone, bottom_zone = H * MARGIN_ZONE, H * (1 - MARGIN_ZONE)
    above = [ch for ch in body_chars if ch["bottom"] <= topt + 1 and ch["top"] >= top_zone]
    below = [ch for ch in body_chars if ch["top"] >= bottomt - 1 and ch["bottom"] <= bottom_zone]
    context = ""
    if above:
        last = max(ch["bottom"] for ch in above)
        context = _line_text([ch for ch in above if abs(ch["bottom"] - last) < 3])
    return _Part(pageno, (x0t, topt, x1t, bottomt), xs, n_rows, boxes,
                 at_top=not above, at_bottom=not below, context=context)


def _covers(fine: list[float], coarse: list[float]) -> bool:
    """Every boundary of ``coarse`` is one of ``fine``'s, and the outer edges agree."""
    if abs(fine[0] - coarse[0]) > STITCH_TOL or abs(fine[-1] - coarse[-1]) > STITCH_TOL:
        return False
    return all(min(abs(x - y) for y in fine) <= STITCH_TOL for x in coarse)


def _inside(ch: dict, bbox) -> bool:
    x, y = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def _continues(a: _Part, b: _Part) -> bool:
    """``b`` carries on table ``a`` after a page break (see the module docstring)."""
    if b.page != a.end_page + 1 or not (a.at_bottom and b.at_top):
        return False
    if len(a.xs) == len(b.xs):
        return _covers(a.xs, b.xs)
    if len(a.xs) > len(b.xs):
        return _covers(a.xs, b.xs)
    return bool(a.boxes) and _covers(b.xs, a.xs)  # a part already stitched is not re-laid out


def _stitch(a: _Part, b: _Part) -> _Part:
    """Append part ``b`` (next page) to ``a``."""
    notes: list[str] = []
    if len(a.xs) != len(b.xs):
        fine = a.xs if len(a.xs) > len(b.xs) else b.xs
        short = b if fine is a.xs else a
        short.build(fine)
        notes.append(f"page {short.page + 1}: part laid out on the {len(fine) - 1} columns of the other part")
    notes = list(a.notes) + list(b.notes) + notes
    # a repeated header: b's first rows equal a's first rows
    drop = 0
    for k in range(1, min(len(a.cells), len(b.cells))):
        if b.cells[k - 1] != a.cells[k - 1] or not any(ch.isalpha() for ch in "".join(b.cells[k - 1])):
            break
        drop = k
    if drop:
        notes.append(f"page {b.page + 1}: {drop} repeated header row(s) dropped")
    b_cells = b.cells[drop:]
    b_origin = [[(r - drop, c) for r, c in row] for row in b.origin[drop:]]
    b_rowspan = {(r - drop, c): n for (r, c), n in b.rowspan.items() if r >= drop}
    off = len(a.cells)
    cells = [row[:] for row in a.cells] + [row[:] for row in b_cells]
    origin = [row[:] for row in a.origin] + [[(r + off, c) for r, c in row] for row in b_origin]
    rowspan = dict(a.rowspan)
    rowspan.update({(r + off, c): n for (r, c), n in b_rowspan.items()})
    if b_cells and a.cells:
        last = off - 1
        width = len(cells[0])
        joined = []
        c = 0
        while c < width:
            oa, ob = origin[last][c], origin[off][c]
            cols_a = [k for k in range(width) if origin[last][k] == oa]
            cols_b = [k for k in range(width) if origin[off][k] == ob]
            if cols_a == cols_b and ob == (off, cols_b[0]):
                ta, tb = cells[last][c], cells[off][c]
                multi = rowspan.get(oa, 1) > 1 or rowspan.get(ob, 1) > 1
                if multi and (ta == "") != (tb == ""):
                    text = ta or tb
                    for r in range(len(cells)):
                        for k in cols_a:
                            if origin[r][k] in (oa, ob):
                                cells[r][k] = text
                                origin[r][k] = oa
                    joined.append(cols_a[0])
                c = cols_a[-1] + 1
            else:
                c += 1
        if joined:
            notes.append(f"page {b.page}/{b.page + 1}: merged cell(s) in column(s) "
                         f"{', '.join(str(k) for k in joined)} cut by the page break rejoined (guessed)")
        for k in joined:
            rowspan[origin[last][k]] = rowspan.get(origin[last][k], 1) + rowspan.pop((off, k), 1)
    notes.append(f"table continued from page {b.page} on page {b.page + 1} (stitched)")
    return _Part(a.page, a.bbox, a.xs, len(cells), [], a.at_top, b.at_bottom, a.context, notes,
                 cells=cells, origin=origin, rowspan=rowspan, end_page=b.page)


def grids_from_pdf(data: bytes) -> list[Grid]:
    """Every ruled table of a PDF, merged cells expanded, page-split tables stitched."""
    head = data[:1024]
    if b"%PDF-" not in head:
        raise UnreadableDocument("not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise UnreadableDocument("truncated PDF (no %%EOF marker near the end)")
    try:
        import pdfplumber

        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as e:  # pdfminer raises a zoo of types on broken files
        raise UnreadableDocument(f"unreadable PDF: {type(e).__name__}: {e}") from None
    parts: list[_Part] = []
    prev_tail = ""
    try:
        with pdf:
            pages = pdf.pages
            if not pages:
                raise UnreadableDocument("PDF has no pages")
            if len(pages) > MAX_PAGES:
                raise UnreadableDocument(f"PDF has {len(pages)} pages (limit {MAX_PAGES})")
            for n, page in enumerate(pages):
                tables = sorted(page.find_tables(), key=lambda t: (t.bbox[1], t.bbox[0]))
                boxes = [t.bbox for t in tables]
                body = [ch for ch in page.chars if not any(_inside(ch, b) for b in boxes)]
                for t in tables:
                    p = _part(page, n, t, body)
                    if p is None:
                        continue
                    if not p.context:
                        p.context = prev_tail
                    parts.append(p)
                H = float(page.height)
                tail = [ch for ch in body if MARGIN_ZONE * H <= ch["top"] and ch["bottom"] <= (1 - MARGIN_ZONE) * H]
                if tail:
                    last = max(ch["bottom"] for ch in tail)
                    prev_tail = _line_text([ch for ch in tail if abs(ch["bottom"] - last) < 3])
                page.flush_cache()
    except UnreadableDocument:
        raise
    except Exception as e:
        raise UnreadableDocument(f"unreadable PDF content: {type(e).__name__}: {e}") from None
    merged: list[_Part] = []
    for p in parts:
        if merged and _continues(merged[-1], p):
            merged[-1] = _stitch(merged[-1], p)
        else:
            merged.append(p)
    return [Grid(cells=p.cells, origin=p.origin, source="pdf", context=p.context, page=p.page + 1,
                 notes=p.notes) for p in merged]
