"""PDF → grids: ruled tables found by pdfplumber, merged cells rebuilt from cell boxes, tables that
run over a page break stitched back into one grid; tables printed without ruling lines rebuilt from
the positions of their text.

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

Borderless tables. Many reports print their tables with no cell borders, or only the three rules of
a 三线表, or rules between rows and none between columns; a table finder that follows ruling lines
sees nothing there, or one column. The ruled reader runs first and keeps every table it finds with
more than one column; the text outside those and outside the page margins is then read from its
positions, so a ruled table is never read twice (a one-column "table" read again this way is
replaced, noted):

* characters become *fragments*, one line of one cell each: CJK text has no spaces between words,
  so a gap wider than ``STACK_GAP`` × the font size is a gap between cells. A fragment that reads
  as a value (number, dash, annotated number) is a value.
* The text is cut into sections at their headings (三、收到和处理政府信息公开申请情况 …). Under a
  standard table's heading one header word of a standard table (header_table) is evidence enough;
  elsewhere (no numbered headings, tables moved after 六、…) it takes two, or three rows of two or
  more numbers: a page of prose with figures in it is no table.
* Rows are anchored on their values: values that overlap vertically are one row. A line where text
  follows a number is a sentence (or a row with a word where a number belongs) and is left out
  whole rather than read in part. Text in another size than the table's, or wider than
  ``PROSE_WIDTH`` of the table, is running text and ends the table.
* Fragments stacked closely and aligned (left, centre or right) are one cell: a wrapped label or
  header (商业/企业). Label cells (those starting left of where the row labels end) belong to the
  rows whose values they span vertically, whatever the vertical alignment (a centred label wraps
  above and below its numbers); a merged group label (三、本年度办理结果) to every row it spans; a
  label with nothing beside it is a row printed with no values.
* Header cells standing between rows over the values form header blocks (the active table has one
  per 第二十条 item). A block's lowest cells anchor the value columns: each row's values go, in
  order, to the anchor whose stretch (halfway to the next) holds them, which copes with centred and
  right-aligned numbers and with a value centred under a merged header. A row whose values cannot
  be placed so is left out and noted, and the parser reports the row missing: values are never
  shifted into a neighbouring column. A merged header's extent is not printed; it is taken to be
  centred over the columns it heads, as merged headers are. A header block repeated at the top of a
  page (标题行重复) is dropped. A table runs on over page breaks.

The grid holds the label columns (one per left edge of labels) and then the value columns; each
header block becomes header rows with merged cells where a header spans columns or header lines, so
extract.tables reads it as it reads a ruled grid. What had to be guessed is in ``Grid.notes``.
"""
from __future__ import annotations

import io
import logging
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from extract.schema import SECTION_VARIANTS, SECTIONS, TABLE_KEYS, fold, header_table, section_table
from extract.values import ANNOTATED, DASH, NUMBER, parse_value

from . import Grid
from .errors import UnreadableDocument

EDGE_TOL = 2.0
STITCH_TOL = 3.0
MARGIN_ZONE = 0.07  # share of the page height at the top and bottom holding headers/footers
MAX_PAGES = 400
MAX_TABLE_PAGES = 60  # pages searched for tables (the text is read from every page)
EOF_WINDOW = 16 * 1024  # a complete PDF ends with %%EOF (junk may follow it, but not this much)

for _name in ("pdfminer", "pdfplumber"):
    logging.getLogger(_name).setLevel(logging.ERROR)

# ---------------------------------------------------------------- hostile PDFs: bombs, passwords
#
# pdfminer and pdfium inflate a FlateDecode stream whole, in memory: a stream of 1 MB that inflates
# to 1 GB costs gigabytes. :func:`check_streams` inflates every Flate stream once first, with an
# output bound per call (``zlib.decompressobj().decompress(…, max_length)``), counting the bytes
# that really come out and discarding them, and refuses the file past ``MAX_STREAM_BYTES`` for one
# stream or ``MAX_INFLATED_BYTES`` in all. The worker's memory limit (extract.budget) stays the
# backstop for what this scan does not see (a bomb in an inline image, another filter).

MAX_STREAM_BYTES = 128 * 1024 * 1024  # one decoded stream: a 600-dpi A4 page in RGB is ~100 MB
MAX_INFLATED_BYTES = 2 * 1024 * 1024 * 1024  # all streams of one file
_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_FLATE = re.compile(rb"/Fl(?:ateDecode)?(?![A-Za-z])")
_checked: tuple[int, int] | None = None  # (len, hash) of the last bytes found safe: read twice per document


def check_streams(data: bytes) -> None:
    """Raise UnreadableDocument when a Flate stream of the PDF inflates past the bounds."""
    global _checked
    key = (len(data), hash(data))
    if key == _checked:
        return
    import zlib

    view = memoryview(data)
    total = 0
    for m in _STREAM.finditer(data):
        head = data[max(0, m.start() - 2048):m.start()]
        dict_start = head.rfind(b"obj")
        if not _FLATE.search(head[dict_start + 3 if dict_start >= 0 else 0:]):
            continue
        end = data.find(b"endstream", m.end())
        end = len(data) if end < 0 else end
        d = zlib.decompressobj()
        out = 0
        pos = m.end()
        try:
            while pos < end and not d.eof:
                piece = d.decompress(view[pos:min(end, pos + 65536)], 1 << 20)
                pos += 65536
                out += len(piece)
                while d.unconsumed_tail and not d.eof and out <= MAX_STREAM_BYTES:
                    out += len(d.decompress(d.unconsumed_tail, 1 << 20))
                if out > MAX_STREAM_BYTES:
                    raise UnreadableDocument(
                        f"PDF stream at byte {m.start()} inflates past {MAX_STREAM_BYTES >> 20} MB from"
                        f" {pos - m.end()} bytes (a decompression bomb?): refused")
        except zlib.error:
            pass  # not Flate after all, or damaged (or encrypted): the parser decides
        total += out
        if total > MAX_INFLATED_BYTES:
            raise UnreadableDocument(f"PDF streams inflate past {MAX_INFLATED_BYTES >> 20} MB in all: refused")
    _checked = key


def pdf_error(e: BaseException, what: str = "unreadable PDF") -> UnreadableDocument:
    """The UnreadableDocument for an exception of pdfplumber/pdfminer, saying plainly when the file
    is encrypted (pdfplumber wraps pdfminer's errors in a PdfminerException with an empty text)."""
    inner = [e, *(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))]
    if e.__cause__ is not None:
        inner.append(e.__cause__)
    names = {type(x).__name__ for x in inner}
    if names & {"PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning", "PDFKeyError"} \
            or (names & {"PDFSyntaxError"} and "encrypt" in str(e).lower()):
        return UnreadableDocument("PDF is encrypted: it opens only with a password, so its text cannot be read"
                                  f" ({', '.join(sorted(names - {type(e).__name__})) or type(e).__name__})")
    shown = inner[-1] if len(inner) > 1 and not str(e) else e
    return UnreadableDocument(f"{what}: {type(shown).__name__}: {shown}".rstrip(": "))


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
    pieces: list[tuple[int, tuple[float, float, float, float]]] = field(default_factory=list)  # (page, bbox)

    def __post_init__(self) -> None:
        if self.end_page < 0:
            self.end_page = self.page
        if not self.pieces:
            self.pieces = [(self.page, self.bbox)]
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
                 cells=cells, origin=origin, rowspan=rowspan, end_page=b.page, pieces=a.pieces + b.pieces)


# ---------------------------------------------------------------------------------------------
# tables printed without ruling lines (see "Borderless tables" in the module docstring)

STACK_GAP = 0.45  # × font size: the most white space between two lines of one cell
ALIGN_TOL = 2.0  # pt: lines of one cell share a left edge, a centre or a right edge this closely
SIZE_DRIFT = 0.15  # running text differs from the table's text size by more than this share
PROSE_WIDTH = 0.75  # a line this share of the table's width or wider is running text
ANCHOR_TOL = 4.0  # pt: column headers whose centres are this close head the same column
MAX_VALUE_LEN = 24  # a longer fragment is text even when it starts with a number

_NUMBERING = re.compile(r"^[\s\u3000]*(?:[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[、.．)）])")
_TOP_NUMBERING = re.compile(r"^[\s\u3000]*[一二三四五六七八九十]+[、.．]")
# report sections that hold no table: they end a table's section (first words after the numbering)
_OTHER_SECTIONS = tuple(sorted({re.sub(r"^[一二三四五六七八九十]+、", "", s)[:4]
                                for s in (SECTIONS[0], SECTIONS[4], SECTIONS[5], *SECTION_VARIANTS[SECTIONS[4]])}))
_VALUE_KINDS = (NUMBER, ANNOTATED, DASH)


@dataclass(eq=False)
class _Frag:
    """A run of characters on one line with no wider gap than a word space: a cell's line of text."""

    page: int
    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    size: float
    value: bool  # reads as a table value (number, dash, annotated number)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def key(self) -> tuple[int, float]:
        return (self.page, self.top)


@dataclass(eq=False)
class _Stack:
    """The lines of one cell: fragments stacked closely and aligned (left, centre or right)."""

    frags: list[_Frag]

    @property
    def page(self) -> int:
        return self.frags[0].page

    @property
    def x0(self) -> float:
        return min(f.x0 for f in self.frags)

    @property
    def x1(self) -> float:
        return max(f.x1 for f in self.frags)

    @property
    def top(self) -> float:
        return self.frags[0].top

    @property
    def bottom(self) -> float:
        return max(f.bottom for f in self.frags)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def size(self) -> float:
        return self.frags[0].size

    @property
    def text(self) -> str:
        return "\n".join(f.text for f in self.frags)

    @property
    def key(self) -> tuple[int, float]:
        return (self.page, self.top)


def _is_value(text: str) -> bool:
    return len(text) <= MAX_VALUE_LEN and parse_value(text).kind in _VALUE_KINDS


def _fragments(chars: list[dict], page: int) -> list[_Frag]:
    """Characters → fragments. Lines are clustered by vertical centre; a line is cut wherever the
    white space between two inked characters is wider than ``STACK_GAP`` × the font size (CJK
    text has no spaces between words, so a cell's line is one fragment and the gap between two
    cells is what separates them)."""
    ordered = sorted(chars, key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"]))
    lines: list[list[dict]] = []
    anchor = size = 0.0
    for ch in ordered:
        cy = (ch["top"] + ch["bottom"]) / 2
        sz = float(ch.get("size") or (ch["bottom"] - ch["top"]) or 1.0)
        if lines and abs(cy - anchor) <= 0.3 * max(sz, size):
            lines[-1].append(ch)
            continue
        if not ch["text"].strip():
            continue  # white space alone starts no line
        lines.append([ch])
        anchor, size = cy, sz
    out: list[_Frag] = []
    for line in lines:
        line.sort(key=lambda c: c["x0"])
        run: list[dict] = []
        pending: list[dict] = []  # white space after the last inked character of the run
        for ch in line:
            blank = not ch["text"].strip()
            if blank:
                if run:
                    pending.append(ch)
                continue
            if run:
                sz = float(ch.get("size") or 1.0)
                if ch["x0"] - run[-1]["x1"] > STACK_GAP * max(sz, float(run[-1].get("size") or 1.0)):
                    out.append(_frag(run, page))
                    run, pending = [], []
            run += pending
            pending = []
            run.append(ch)
        if run:
            out.append(_frag(run, page))
    return out


def _frag(run: list[dict], page: int) -> _Frag:
    text = "".join(c["text"] for c in run).strip()
    inked = [c for c in run if c["text"].strip()]
    sizes = sorted(float(c.get("size") or (c["bottom"] - c["top"])) for c in inked)
    return _Frag(page, min(c["x0"] for c in inked), max(c["x1"] for c in inked), min(c["top"] for c in inked),
                 max(c["bottom"] for c in inked), text, sizes[len(sizes) // 2], _is_value(text))


def _v_overlap(a, top: float, bottom: float) -> float:
    return min(a.bottom, bottom) - max(a.top, top)


def _heading(f: _Frag, same_page: list[_Frag]) -> str | None:
    """The table key a section heading introduces, "" for a section with no table, None for a line
    that is no heading (it must stand alone on its line: table labels such as 三、本年度办理结果
    share theirs with numbers or sit inside the table's columns)."""
    t = f.text
    if not _TOP_NUMBERING.match(t) or len(fold(t)) > 40:
        return None
    key = section_table(t)
    if key is None and not any(w in t for w in _OTHER_SECTIONS):
        return None
    h = f.bottom - f.top
    if any(g is not f and _v_overlap(g, f.top, f.bottom) > 0.5 * min(h, g.bottom - g.top) for g in same_page):
        return None
    return key or ""


_Found = tuple[tuple[int, float], Grid, list[tuple[int, float, float]]]


def _borderless(pages: list[list[_Frag]]) -> list[_Found]:
    """Tables printed without rules, from the fragments of each page outside ruled tables and page
    margins. Returns (position, grid, (page, top, bottom) of each page part) so the caller can put
    them in reading order among the ruled grids and tell which ruled grid they read again."""
    frags = sorted((f for fs in pages for f in fs), key=lambda f: (f.page, f.top, f.x0))
    if not any(f.value for f in frags):
        return []
    by_page: dict[int, list[_Frag]] = {}
    for f in frags:
        by_page.setdefault(f.page, []).append(f)
    regions: list[tuple[str, str | None, list[_Frag]]] = []
    context, hint, cur = "", None, []
    for f in frags:
        h = _heading(f, by_page[f.page])
        if h is not None:
            regions.append((context, hint, cur))
            context, hint, cur = f.text, h, []
        else:
            cur.append(f)
    regions.append((context, hint, cur))
    out: list[_Found] = []
    for context, hint, fs in regions:
        out += _region_tables(fs, context, hint)
    return out


def _value_lines(values: list[_Frag]) -> list[list[_Frag]]:
    """Values → rows: values of one row overlap vertically (centred or top-aligned, whatever their
    size); two rows never do."""
    lines: list[list[_Frag]] = []
    for v in sorted(values, key=lambda f: (f.page, f.cy)):
        if lines:
            ln = lines[-1]
            top, bottom = min(f.top for f in ln), max(f.bottom for f in ln)
            if ln[0].page == v.page and _v_overlap(v, top, bottom) >= 0.4 * min(v.bottom - v.top, bottom - top):
                ln.append(v)
                continue
        lines.append([v])
    for ln in lines:
        ln.sort(key=lambda f: f.x0)
    return lines


def _region_tables(frags: list[_Frag], context: str, hint: str | None) -> list[_Found]:
    values = [f for f in frags if f.value]
    if not values:
        return []
    texts_by_page: dict[int, list[_Frag]] = {}
    for f in frags:
        if not f.value:
            texts_by_page.setdefault(f.page, []).append(f)
    data: list[list[_Frag]] = []
    labels: dict[int, list[_Frag]] = {}  # id(line) → text fragments left of its values
    sentences: set[int] = set()  # fragments of lines where text follows a number
    for ln in _value_lines(values):
        top, bottom = min(f.top for f in ln), max(f.bottom for f in ln)
        first = ln[0].x0
        beside = [t for t in texts_by_page.get(ln[0].page, ())
                  if _v_overlap(t, top, bottom) >= 0.5 * (t.bottom - t.top)]
        if any(t.cx > first for t in beside):
            # text after a number: a sentence set with wide spaces, or a row holding a word where a
            # number belongs; either way not a row of values, and no part of it may pass for a
            # label or a header
            sentences.update(id(f) for f in ln + beside)
            continue
        data.append(ln)
        labels[id(ln)] = beside
    if not data:
        return []
    frags = [f for f in frags if id(f) not in sentences]
    row_frags = [f for ln in data for f in ln + labels[id(ln)]]
    text_sizes = sorted(f.size for ln in data for f in labels[id(ln)]) or sorted(f.size for f in row_frags)
    size = text_sizes[len(text_sizes) // 2]
    width = max(f.x1 for f in row_frags) - min(f.x0 for f in row_frags)

    def prose(f: _Frag) -> bool:  # a header word of a standard table is never prose, even in bold or larger
        return not f.value and (abs(f.size - size) > SIZE_DRIFT * size or f.x1 - f.x0 > PROSE_WIDTH * width) \
            and header_table(f.text) is None

    on_line = {id(f): id(ln) for ln in data for f in ln}
    segments: list[list[_Frag]] = []
    seg: list[_Frag] = []
    for f in frags:  # already in reading order
        if prose(f):
            if seg:
                segments.append(seg)
            seg = []
        else:
            seg.append(f)
    if seg:
        segments.append(seg)
    out = []
    for seg in segments:
        ids = {on_line[id(f)] for f in seg if id(f) in on_line}
        lines = [ln for ln in data if id(ln) in ids]
        if not lines:
            continue
        t = _Table(seg, lines, labels, context, hint)
        g = t.grid()
        if g is not None:
            out.append((t.key, g, t.extent()))
    return out


def _h_overlap(a, b) -> float:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


def _aligned(a: _Frag, b: _Frag) -> bool:
    return (abs(a.x0 - b.x0) <= ALIGN_TOL or abs(a.cx - b.cx) <= ALIGN_TOL or abs(a.x1 - b.x1) <= ALIGN_TOL) \
        and _h_overlap(a, b) > 0


def _stacks(frags: list[_Frag]) -> list[_Stack]:
    """Fragments → cells. A fragment continues the cell above when it is on the same page, starts
    within ``STACK_GAP`` × its size below that cell's last line, shares its left edge, centre or right
    edge, and does not open a new numbered label (1. / （二） / 三、); two complete header words
    (申请人情况 above 法人或其他组织) are two cells however close they sit."""
    stacks: list[_Stack] = []
    live: list[_Stack] = []  # cells of the current page whose last line is near enough to grow
    page = -1
    for f in sorted(frags, key=lambda f: (f.page, f.top, f.x0)):
        if f.page != page:
            page, live = f.page, []
        live = [s for s in live if f.top - s.frags[-1].bottom <= 2 * max(f.size, s.frags[-1].size)]
        home = None
        if not _NUMBERING.match(f.text):
            for s in reversed(live):
                last = s.frags[-1]
                gap = f.top - last.bottom
                if -0.25 * (f.bottom - f.top) <= gap <= STACK_GAP * max(f.size, last.size) and _aligned(last, f):
                    if header_table(last.text) in TABLE_KEYS and header_table(f.text) in TABLE_KEYS:
                        continue
                    home = s
                    break
        if home is None:
            home = _Stack([f])
            stacks.append(home)
            live.append(home)
        else:
            home.frags.append(f)
    return stacks


@dataclass(eq=False)
class _Row:
    line: list[_Frag] | None  # the row's values (None: a label printed with no value)
    key: tuple[int, float]
    top: float
    bottom: float
    labels: list[_Stack] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)  # the table's value column of each value

    @property
    def page(self) -> int:
        return self.key[0]


@dataclass(eq=False)
class _Block:
    page: int
    gap: int  # the block stands before data row ``gap`` (counting data rows only)
    values: list[_Stack]  # header cells over the value columns
    labels: list[_Stack] = field(default_factory=list)  # header cells over the label columns (信息内容)

    @property
    def top(self) -> float:
        return min(s.top for s in self.values + self.labels)

    @property
    def bottom(self) -> float:
        return max(s.bottom for s in self.values + self.labels)

    def leaves(self) -> list[_Stack]:
        """The lowest header cells, one per value column: those with no header cell standing below
        them (starting under their last line) over the same columns. "Over the same columns" is
        the cell's ink overlapping theirs; but a merged header is often narrower than the columns
        it heads, so a header cell alone on its line (a section row such as 第二十条第（六）项 broken
        over two short lines, 申请人情况) heads whatever stands below it."""
        vs = self.values
        out = []
        for s in vs:
            alone = not any(o is not s and _v_overlap(o, s.top, s.bottom) > 0 for o in vs)
            lo, hi = (-1e9, 1e9) if alone else (s.x0, s.x1)
            if not any(o.top > s.bottom - 0.2 * s.size and min(o.x1, hi) - max(o.x0, lo) > 1.0 for o in vs):
                out.append(s)
        return sorted(out, key=lambda s: s.cx)


class _Table:
    """One table printed without rules: its rows, header blocks and columns (see the module doc)."""

    def __init__(self, frags: list[_Frag], lines: list[list[_Frag]], labels: dict[int, list[_Frag]],
                 context: str, hint: str | None):
        self.context, self.hint = context, hint
        self.notes: list[str] = []
        # the label columns end where the row labels end: a cell that starts left of that is a
        # label or a header over the labels (信息内容, the 勾稽关系 note), one that starts right of
        # it heads values (even a column blank on every row); a table with no row labels has none
        label_right = max((t.x1 for ln in lines for t in labels[id(ln)]), default=None)
        self.boundary = -1e9 if label_right is None else label_right
        self.by_page: dict[int, list[_Frag]] = {}
        for f in frags:
            self.by_page.setdefault(f.page, []).append(f)
        texts = [f for f in frags if not f.value]
        self.rows = [_Row(ln, (ln[0].page, min(f.top for f in ln)), min(f.top for f in ln), max(f.bottom for f in ln))
                     for ln in lines]
        self.text = {id(v): v.text for ln in lines for v in ln}
        stacks = _stacks(self._continue_values(texts))
        label_stacks = [s for s in stacks if s.x0 < self.boundary]
        self.blocks = self._blocks([s for s in stacks if s.x0 >= self.boundary], label_stacks)
        self._attach(label_stacks)
        self._drop_repeated_headers()

    # -- cells ----------------------------------------------------------------------------------
    def _continue_values(self, frags: list[_Frag]) -> list[_Frag]:
        """An annotated value wrapped in its cell (``22（其中修`` over ``订16件）``) is one value."""
        values: dict[int, list[_Frag]] = {}
        for row in self.rows:
            values.setdefault(row.page, []).extend(row.line)
        rest = []
        for f in frags:
            v = next((v for v in values.get(f.page, ()) if 0 <= f.top - v.bottom <= STACK_GAP * v.size
                      and _aligned(v, f) and parse_value(self.text[id(v)]).kind == ANNOTATED
                      and parse_value(self.text[id(v)] + f.text).kind == ANNOTATED), None)
            if v is None:
                rest.append(f)
            else:
                self.text[id(v)] += "\n" + f.text
        return rest

    def _blocks(self, stacks: list[_Stack], labels: list[_Stack]) -> list[_Block]:
        """Header cells over the value columns, grouped by the gap between rows they stand in; a
        row label standing alone between two header cells (a row printed with no values between two
        headed sections) splits the gap in two blocks."""
        keys = [r.key for r in self.rows]
        groups: dict[tuple[int, int], list[_Stack]] = {}
        for s in stacks:
            groups.setdefault((bisect_right(keys, s.key), s.page), []).append(s)
        blocks: list[_Block] = []
        for (gap, page), ss in sorted(groups.items(), key=lambda kv: kv[0]):
            ss.sort(key=lambda s: s.top)
            cur = [ss[0]]
            for s in ss[1:]:
                top, bottom = max(t.bottom for t in cur), s.top
                if any(lab.page == page and lab.top >= top and lab.bottom <= bottom
                       and not any(_v_overlap(v, lab.top, lab.bottom) > 0 for v in ss) for lab in labels):
                    blocks.append(_Block(page, gap, cur))
                    cur = []
                cur.append(s)
            blocks.append(_Block(page, gap, cur))
        return blocks

    def _attach(self, stacks: list[_Stack]) -> None:
        """Label cells → rows. A label belongs to every row whose values' centre line it spans (a
        merged group label such as 三、本年度办理结果 spans several); a label between rows joins
        the header block beside it, or the row it touches (unless that row has its own label in the
        same column); labels standing alone make a row printed with no values; a label with
        something beside it that is not a row is left out (never read as a blank row)."""
        rest: list[_Stack] = []
        for s in stacks:
            hit = [r for r in self.rows if r.page == s.page and s.top - 0.5 <= (r.top + r.bottom) / 2 <= s.bottom + 0.5]
            for r in hit:
                r.labels.append(s)
            if not hit:
                rest.append(s)
        extent = {id(r): (min([r.top] + [s.top for s in r.labels]), max([r.bottom] + [s.bottom for s in r.labels]))
                  for r in self.rows}
        loose: list[_Stack] = []
        for s in rest:
            block = next((b for b in self.blocks if b.page == s.page and _v_overlap(s, b.top, b.bottom) > 0), None)
            if block is not None:
                block.labels.append(s)
                continue
            near = [r for r in self.rows if r.page == s.page and _v_overlap(s, *extent[id(r)]) > 0
                    and not any(abs(o.x0 - s.x0) <= 2 * ALIGN_TOL for o in r.labels)]
            if near:
                min(near, key=lambda r: abs((r.top + r.bottom) / 2 - s.cy)).labels.append(s)
            else:
                loose.append(s)
        mine = {id(f) for s in loose for f in s.frags}
        blank: list[_Row] = []
        for s in sorted(loose, key=lambda s: s.key):
            h = s.bottom - s.top
            if any(id(f) not in mine and f.x0 > s.x1 and _v_overlap(f, s.top, s.bottom) > 0.3 * min(h, f.bottom - f.top)
                   for f in self.by_page[s.page]):
                self.notes.append(f"page {s.page + 1}: label {_show(s.text)!r} left out: what stands beside it "
                                  "is not a row of values")
                continue
            row = next((r for r in blank if r.page == s.page and _v_overlap(s, r.top, r.bottom) > 0), None)
            if row is None:
                blank.append(_Row(None, s.key, s.top, s.bottom, [s]))
            else:
                row.labels.append(s)
                row.top, row.bottom = min(row.top, s.top), max(row.bottom, s.bottom)
        self.rows = sorted(self.rows + blank, key=lambda r: r.key)
        for r in self.rows:
            r.labels.sort(key=lambda s: s.x0)

    def _drop_repeated_headers(self) -> None:
        """Word repeats a table's first header rows at the top of each page it runs over (标题行重复):
        such a copy heads nothing new (in the active table it would even name the wrong columns for
        the rows below it), so header cells at the top of a later page that repeat the first header
        block cell for cell are dropped, as the ruled reader drops repeated header rows; header cells
        printed right under the copy (the next section's own header) stay."""
        if not self.blocks:
            return

        def sig(s: _Stack) -> tuple[str, int]:
            return (fold(s.text), round(s.cx))

        first = self.blocks[0]
        want = sorted(sig(s) for s in first.values)
        keep = [first]
        for b in self.blocks[1:]:
            at_top = not any(r.page == b.page and r.key < (b.page, b.top) for r in self.rows)
            head = sorted(b.values, key=lambda s: s.top)[:len(want)]
            if b.page > first.page and at_top and sorted(sig(s) for s in head) == want:
                self.notes.append(f"page {b.page + 1}: repeated header rows dropped")
                rest = [s for s in b.values if all(s is not h for h in head)]
                if not rest:
                    continue
                if any(s.top < max(h.bottom for h in head) for s in rest):
                    keep.append(b)  # the copy and the rest interleave: not a plain copy after all
                    self.notes.pop()
                    continue
                top = min(s.top for s in rest)
                b = _Block(b.page, b.gap, rest, [lab for lab in b.labels if lab.bottom > top])
            keep.append(b)
        self.blocks = keep

    # -- columns --------------------------------------------------------------------------------
    def _governing(self) -> list[int]:
        """For each data row (in order), the index of the header block above it (-1: none)."""
        out, j = [], -1
        n = 0
        for r in self.rows:
            if r.line is None:
                continue
            while j + 1 < len(self.blocks) and self.blocks[j + 1].gap <= n:
                j += 1
            out.append(j)
            n += 1
        return out

    def _columns(self) -> tuple[int, dict[int, list[int]]]:
        """Column anchors → the table's value columns. A header block's anchors are its lowest
        header cells; rows with no header above them are anchored on the columns their numbers
        form (x ranges that overlap from row to row). Anchors of all blocks are pooled: centres
        within ``ANCHOR_TOL`` are one column. Each row's values go to the anchor whose stretch
        (halfway to the next anchor) holds their centre; a row with two values under one anchor is
        left out and noted, never shifted to a free column. Returns (number of value columns,
        unit → column of each anchor)."""
        data = [r for r in self.rows if r.line is not None]
        gov = self._governing()
        anchors: dict[int, list[float]] = {j: [s.cx for s in b.leaves()] for j, b in enumerate(self.blocks)}
        free = [r for r, g in zip(data, gov) if g < 0]
        if free:
            anchors[-1] = _slots([v for r in free for v in r.line])
        pool = sorted(x for xs in anchors.values() for x in xs)
        centres: list[list[float]] = []
        for x in pool:
            if centres and x - centres[-1][-1] <= ANCHOR_TOL:
                centres[-1].append(x)
            else:
                centres.append([x])
        mids = [sum(c) / len(c) for c in centres]
        colmap = {j: [min(range(len(mids)), key=lambda k: abs(mids[k] - x)) for x in xs] for j, xs in anchors.items()}
        drop: set[int] = set()
        for r, g in zip(data, gov):
            xs = anchors[g]
            cuts = [(a + b) / 2 for a, b in zip(xs, xs[1:])]
            idx = [bisect_right(cuts, v.cx) for v in r.line]
            if any(a >= b for a, b in zip(idx, idx[1:])):  # two values under one anchor
                self.notes.append(f"page {r.page + 1}: row {_show(self._label(r))!r} left out: {len(r.line)} "
                                  f"values cannot be aligned to the {len(xs)} column anchors")
                drop.add(id(r))
                continue
            r.cols = [colmap[g][i] for i in idx]
        self.rows = [r for r in self.rows if id(r) not in drop]
        return len(mids), colmap

    def extent(self) -> list[tuple[int, float, float]]:
        """(page, top, bottom) of the table on each page it covers."""
        out: dict[int, tuple[float, float]] = {}
        for page, top, bottom in ([(r.page, min([r.top] + [s.top for s in r.labels]),
                                    max([r.bottom] + [s.bottom for s in r.labels])) for r in self.rows]
                                  + [(b.page, b.top, b.bottom) for b in self.blocks]):
            a, z = out.get(page, (top, bottom))
            out[page] = (min(a, top), max(z, bottom))
        return [(page, a, z) for page, (a, z) in sorted(out.items())]

    @staticmethod
    def _label(r: _Row) -> str:
        return r.labels[-1].text if r.labels else ""

    # -- header blocks --------------------------------------------------------------------------
    def _spans(self, b: _Block) -> dict[int, tuple[int, int]]:
        """Header cells above others (申请人情况, 行政复议, 未经复议直接起诉) → the leaves they head.
        Without rules the extent of a merged header is not printed; it is taken to be centred on its
        text, as merged headers are: each grows one leaf to each side at a time while both sides
        exist and no header cell of its own line (a sibling) holds the leaf; two siblings reaching
        for the same leaf leave it to the one whose centre is nearer."""
        leaves = b.leaves()
        lid = {id(s) for s in leaves}
        lc = [s.cx for s in leaves]
        n = len(lc)
        non = [s for s in b.values if id(s) not in lid]
        spans: dict[int, list[int]] = {}
        for s in non:
            inside = [i for i, x in enumerate(lc) if s.x0 - 0.5 <= x <= s.x1 + 0.5]
            if inside:
                spans[id(s)] = [inside[0], inside[-1]]
            else:
                k = min(range(n), key=lambda i: abs(lc[i] - s.cx))
                spans[id(s)] = [k, k]

        def siblings(s: _Stack, t: _Stack) -> bool:
            return t is not s and _v_overlap(t, s.top, s.bottom) > 0

        changed = True
        while changed:
            changed = False
            want: dict[int, tuple[int, int]] = {}
            for s in non:
                a, z = spans[id(s)]
                if a == 0 or z == n - 1:
                    continue
                if any(_v_overlap(leaves[i], s.top, s.bottom) > 0 for i in (a - 1, z + 1)):
                    continue
                if any(siblings(s, t) and (spans[id(t)][0] <= a - 1 <= spans[id(t)][1]
                                           or spans[id(t)][0] <= z + 1 <= spans[id(t)][1]) for t in non):
                    continue
                want[id(s)] = (a - 1, z + 1)
            for s in non:
                if id(s) not in want:
                    continue
                a, z = want[id(s)]
                lost = False
                for t in non:
                    if id(t) not in want or not siblings(s, t):
                        continue
                    a2, z2 = want[id(t)]
                    for i in range(max(a, a2), min(z, z2) + 1):
                        if abs(lc[i] - t.cx) < abs(lc[i] - s.cx):
                            lost = True
                if not lost:
                    spans[id(s)] = [a, z]
                    changed = True
        out = {id(s): (i, i) for i, s in enumerate(leaves)}
        out.update({k: (v[0], v[1]) for k, v in spans.items()})
        return out

    def _header(self, b: _Block, j: int, colmap: dict[int, list[int]], lab_col, n_lab: int
                ) -> list[tuple[_Stack, list[int], int]]:
        """(cell, grid columns, level) of each header cell of a block; a cell's level is one below
        the lowest cell above it over any of its columns, so a header cell printed across two header
        lines (自然人, 结果维持) keeps its place and covers both."""
        spans = self._spans(b)
        cover: list[tuple[_Stack, list[int]]] = []
        for s in b.values:
            a, z = spans[id(s)]
            c0, c1 = colmap[j][a], colmap[j][z]
            cover.append((s, list(range(n_lab + min(c0, c1), n_lab + max(c0, c1) + 1))))
        for s in b.labels:
            cover.append((s, lab_col(s)))
        level: dict[int, int] = {}
        out = []
        for s, cols in sorted(cover, key=lambda sc: sc[0].top):
            above = [level[id(t)] for t, tc in cover if id(t) in level and t.top < s.top - 0.3 * s.size
                     and set(tc) & set(cols)]
            level[id(s)] = 1 + max(above) if above else 0
            out.append((s, cols, level[id(s)]))
        return out

    # -- the grid -------------------------------------------------------------------------------
    def accepted(self) -> bool:
        """A table, not a list of figures in running text: at least two numbers on one row or two
        rows, and column headers of a standard table (one is enough under a standard table's
        section heading; without one, two). Without any such header: at least three rows of two or
        more numbers each."""
        data = [r for r in self.rows if r.line is not None]
        if not data:
            return False
        most = max(len(r.line) for r in data)
        if len(data) < 2 and most < 2:
            return False
        vocab = sum(1 for b in self.blocks for s in b.values if header_table(s.text) is not None)
        if vocab >= (1 if self.hint else 2):
            return True
        return sum(1 for r in data if len(r.line) >= 2) >= 3

    def grid(self) -> Grid | None:
        if not self.accepted():
            return None
        n_val, colmap = self._columns()
        if not any(r.line is not None for r in self.rows):
            return None
        row_labels = [s for r in self.rows for s in r.labels]
        xs: list[float] = []
        for x in sorted(s.x0 for s in row_labels):
            if not xs or x - xs[-1] > 2 * ALIGN_TOL:
                xs.append(x)
        if not xs and any(b.labels for b in self.blocks):
            xs = [min(s.x0 for b in self.blocks for s in b.labels)]
        n_lab = len(xs)
        cuts = [x - 2 * ALIGN_TOL for x in xs[1:]]

        def lab_index(s: _Stack) -> int:
            return bisect_right(cuts, s.x0)

        def lab_cols(s: _Stack) -> list[int]:
            bounds = [-1e9] + cuts + [1e9]
            cols = [k for k in range(n_lab) if min(s.x1, bounds[k + 1]) - max(s.x0, bounds[k]) > 0]
            return cols or [lab_index(s)]

        width = n_lab + n_val
        entries: list[tuple[tuple[int, float], int, object]] = []
        for j, b in enumerate(self.blocks):
            entries.append(((b.page, b.top), 0, j))
        for r in self.rows:
            entries.append((r.key, 1, r))
        entries.sort(key=lambda e: (e[0], e[1]))
        cells: list[list[str]] = []
        origin: list[list[tuple[int, int]]] = []

        def new_rows(k: int) -> int:
            r0 = len(cells)
            for i in range(k):
                cells.append([""] * width)
                origin.append([(r0 + i, c) for c in range(width)])
            return r0

        first_row: dict[int, int] = {}  # label cell → the grid row it starts on
        for _, kind, obj in entries:
            if kind == 0:
                placed = self._header(self.blocks[obj], obj, colmap, lab_cols, n_lab)
                depth = 1 + max(lv for _, _, lv in placed)
                r0 = new_rows(depth)
                by_col: dict[int, list[tuple[int, _Stack]]] = {}
                home: dict[int, int] = {}  # header cell → its first column
                for s, cols, lv in placed:
                    home[id(s)] = min(cols)
                    for c in cols:
                        by_col.setdefault(c, []).append((lv, s))
                filled: set[tuple[int, int]] = set()
                for c, items in by_col.items():
                    items.sort(key=lambda it: it[0])
                    for k, (lv, s) in enumerate(items):
                        end = items[k + 1][0] if k + 1 < len(items) else depth
                        for rr in range(r0 + lv, r0 + max(end, lv + 1)):
                            if (rr, c) in filled:  # two header cells on one level of a column: keep both texts
                                cells[rr][c] += "\n" + s.text
                                continue
                            filled.add((rr, c))
                            cells[rr][c] = s.text
                            origin[rr][c] = (r0 + lv, home[id(s)])
                continue
            r = obj
            ri = new_rows(1)
            for s in r.labels:
                c = lab_index(s)
                o = (first_row.setdefault(id(s), ri), c)
                if cells[ri][c]:
                    cells[ri][c] += "\n" + s.text
                else:
                    cells[ri][c] = s.text
                    origin[ri][c] = o
            if r.line is not None:
                for v, c in zip(r.line, r.cols):
                    cells[ri][n_lab + c] = self.text[id(v)]
        pages = sorted({r.page for r in self.rows} | {b.page for b in self.blocks})
        notes = [f"no column rules: rows and columns read from the positions of the text "
                 f"({len(cells)} rows, {width} columns)"]
        if len(pages) > 1:
            notes.append(f"table runs over pages {pages[0] + 1}-{pages[-1] + 1}")
        self.key = min([(b.page, b.top) for b in self.blocks] + [r.key for r in self.rows])
        return Grid(cells=cells, origin=origin, source="pdf", context=self.context, page=pages[0] + 1,
                    notes=notes + self.notes)


def _slots(values: list[_Frag]) -> list[float]:
    """Centres of the columns numbers form on rows with no header: x ranges that overlap."""
    spans: list[list[float]] = []
    for v in sorted(values, key=lambda v: v.x0):
        if spans and v.x0 <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], v.x1)
        else:
            spans.append([v.x0, v.x1])
    return [(a + b) / 2 for a, b in spans]


def _show(s: str) -> str:
    return re.sub(r"\s+", "", s)[:40]


def grids_from_pdf(data: bytes) -> list[Grid]:
    """Every table of a PDF in reading order: ruled tables (merged cells expanded, page-split tables
    stitched), then tables printed without rules found in the text outside them."""
    head = data[:1024]
    if b"%PDF-" not in head:
        raise UnreadableDocument("not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise UnreadableDocument("truncated PDF (no %%EOF marker near the end)")
    check_streams(data)
    try:
        import pdfplumber

        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as e:  # pdfminer raises a zoo of types on broken files
        raise pdf_error(e) from None
    parts: list[_Part] = []
    skipped = 0
    frags: list[list[_Frag]] = []  # per page: the text outside ruled tables and page margins
    prev_tail = ""
    try:
        with pdf:
            pages = pdf.pages
            if not pages:
                raise UnreadableDocument("PDF has no pages")
            if len(pages) > MAX_PAGES:
                raise UnreadableDocument(f"PDF has {len(pages)} pages (limit {MAX_PAGES})")
            for n, page in enumerate(pages):
                if n == MAX_TABLE_PAGES:  # ~0.3 s a page: a report's tables sit in its first pages
                    skipped = len(pages) - n
                    break
                tables = sorted(page.find_tables(), key=lambda t: (t.bbox[1], t.bbox[0]))
                boxes = [t.bbox for t in tables]
                body = [ch for ch in page.chars if not any(_inside(ch, b) for b in boxes)]
                loose = []  # tables ruled between rows only (one column): their text is read again
                for t in tables:
                    p = _part(page, n, t, body)
                    if p is None or len(p.xs) == 2:
                        loose.append(t.bbox)
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
                if loose:
                    tail = tail + [ch for ch in page.chars if MARGIN_ZONE * H <= ch["top"]
                                   and ch["bottom"] <= (1 - MARGIN_ZONE) * H and any(_inside(ch, b) for b in loose)]
                frags.append(_fragments(tail, n))
                page.flush_cache()
    except UnreadableDocument:
        raise
    except Exception as e:
        raise pdf_error(e, "unreadable PDF content") from None
    merged: list[_Part] = []
    for p in parts:
        if merged and _continues(merged[-1], p):
            merged[-1] = _stitch(merged[-1], p)
        else:
            merged.append(p)
    plain = _borderless(frags)
    found = [(key, g) for key, g, _ in plain]
    for p in merged:
        g = Grid(cells=p.cells, origin=p.origin, source="pdf", context=p.context, page=p.page + 1, notes=p.notes)
        if len(p.xs) == 2:  # one column: a table ruled between rows only, read again from its text
            over = [bg for _, bg, spans in plain if any(pg == page and top < bbox[3] and bbox[1] < bottom
                                                        for pg, top, bottom in spans for page, bbox in p.pieces)]
            if over:
                over[0].notes.append(f"page {p.page + 1}: ruled between rows only (the ruled reader saw one "
                                     "column); read from the positions of the text instead")
                continue
        found.append(((p.page, p.bbox[1]), g))
    found.sort(key=lambda kg: kg[0])
    if skipped and found:
        found[0][1].notes.append(f"tables read from the first {MAX_TABLE_PAGES} pages only; {skipped} later pages not read")
    return [g for _, g in found]
