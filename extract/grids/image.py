"""Images of ruled tables → grids, read by OCR: PNG/JPEG/GIF/BMP files, pages of scanned PDFs, and
pictures embedded in Word documents.

Many agencies publish the three standard tables as a picture (a screenshot of the Word table, a
scan). This reader finds the table from its ruling lines and reads every cell by OCR, so that
extract.tables reads the result exactly like a DOCX grid.

How a table is found (OpenCV; the image is first reduced to grey, transparency on white):

1. *binarise* with a local (adaptive) threshold, which keeps thin, blurred or greyed rules and
   copes with the uneven lighting of scans;
2. *deskew*: the horizontal strokes (rules, long character strokes) are projected on the vertical
   axis at trial angles; the sharpest projection is the tilt (0.01° steps, up to ``DESKEW_MAX``).
   A picture tilted by ``DESKEW_MIN`` or more is turned back before anything is measured, so rows
   and columns are axis-aligned;
3. *rules*: a morphological opening with a long horizontal (vertical) kernel keeps only strokes
   longer than any character stroke; pieces broken by JPEG blocks or blur are closed again; each
   connected set of rules is a table;
4. *slots*: inside a table, a rule position is a y (x) where enough rule pixels line up; adjacent
   positions form the grid of slots. The vertical kernel is derived from the smallest row height, so
   a rule that separates two cells of one row only is still found;
5. *merged cells*: between two neighbouring slots the separating rule is looked for along that
   slot's edge only: an unbroken run over ``WALL_COVERAGE`` of the edge (character strokes stacked
   in a wrapped label leave gaps between lines, a rule does not). Where it is absent the slots
   belong to one cell (union-find), whose top-left slot is the origin, as in every other reader;
   a rule position that separates nothing anywhere (aligned strokes) is dropped;
6. *cells*: each cell's inside (rules excluded) is cut into text lines by its ink profile, each line
   is cropped with a margin (never past the cell's inside) onto white and recognised
   (extract.ocr.recognize, batched over the whole table); the lines of a cell are joined with
   ``\\n``, as Word cells are. Gaps the recogniser reads between digits are dropped (an image
   cannot tell full-width "１２" from "1 2"); a cell made of one stroke is settled by its shape
   (``_reconcile``: the recogniser takes a lone '/' for '1').

What is read is never completed by guessing: a cell with no ink is empty (confidence 1); a cell
whose ink the recogniser cannot read, whose one stroke is neither clearly upright nor clearly
slanted, or that was not reached before the time limit, is empty with confidence 0; every slot
carries its confidence in ``Grid.confidence`` (merged copies repeat their cell's), and the cells
under ``extract.ocr.LOW_CONFIDENCE`` are listed in ``Grid.notes``. Grids from this module have
``source == "ocr"``.

``context`` is the last text line above the table that is not a page number (its section heading
or the sentence introducing it), read by OCR, as the PDF reader takes the line above a table. In a
sequence (the pages of a scanned PDF, the pictures of one web page or Word file: a screenshot per
page), a table with nothing above it takes the previous page's last body line instead, as the PDF
reader does at a page break, so that extract.tables reads it as the same table continued.

Bounds: ``extract.ocr.MAX_PIXELS`` per image (refused before decoding), ``MAX_PAGES`` rasterised
pages of a scanned PDF, ``MAX_IMAGES`` pictures of one document, ``MAX_CELLS`` slots and
``MAX_LINES`` recognised lines per image, and ``extract.ocr.MAX_SECONDS`` per image (lines not
read in time stay empty, confidence 0, noted).
"""
from __future__ import annotations

import math
import posixpath
import re
import time
from dataclasses import dataclass

import numpy as np

from . import Grid
from .errors import UnreadableDocument

DESKEW_MIN = 0.1  # degrees: a smaller tilt moves a rule by under 2 px across a page; not worth resampling
DESKEW_MAX = 5.0
WALL_COVERAGE = 0.85  # share of a slot edge (between the rules crossing it) that must be rule pixels
MIN_RULE_SHARE = 0.08  # a rule position needs rule pixels along this share of the table width/height
MAX_CELLS = 4000
MAX_LINES = 6000
MAX_PAGES = 60  # rasterised pages of one scanned PDF
MAX_IMAGES = 40  # pictures of one DOCX
SCAN_DPI = 170
MARGIN_ZONE = 0.07  # top / bottom share of a scanned page with running headers and page numbers
MIN_PICTURE_BYTES = 2_000  # smaller pictures in a DOCX are icons and bullets
_PAGE_NUMBER = re.compile(r"[-—–\s]*(?:第\s*)?[0-9０-９]{1,4}\s*(?:页|/\s*[0-9]+)?[-—–\s]*")
# A gap the recogniser reads between two digits is spacing, not text (full-width digits, letter
# spacing): an image cannot tell "１２" from "1 2", and a cell holds one number.
_DIGIT_GAP = re.compile(r"(?<=[0-9０-９,，.．])[ \u3000]+(?=[0-9０-９,，.．])")
# one-stroke cells (see _shape and _reconcile)
SLASH_SLANT, UPRIGHT_SLANT = -0.18, -0.08
SHAPE_CONFIDENCE = 0.95  # a stroke whose slant is this far from the boundary leaves no doubt
SHAPE_DISAGREES = 0.6  # the shape decides, but the recogniser read something else: shown unverified
_STROKES = {"1", "/", "／", "l", "I", "|", "丨", "i", "！", "!", "】", "」"}
_BARS = {"一", "_", "~", "ー", "－", "-", "—", "–", "―", "─"}
# "1,404" and "1.404": the comma's tail is two or three pixels at 150 dpi and blur erases it, and
# the recogniser then reads a decimal point with confidence. A number read with a point and exactly
# three digits after it is therefore never trusted (counts are integers; money rarely has three
# decimals); its confidence is capped here, so it is shown as unverified.
_POINT_OR_COMMA = re.compile(r"[0-9０-９][.．][0-9０-９]{3}(?![0-9０-９])")
SEPARATOR_CONFIDENCE = 0.5


# ---------------------------------------------------------------------------------------------
# geometry


@dataclass
class _Rule:
    lo: int  # first and last pixel row (column) of the rule's band
    hi: int

    @property
    def mid(self) -> float:
        return (self.lo + self.hi) / 2


@dataclass
class _Table:
    x0: int
    y0: int
    x1: int
    y1: int
    rows: list[_Rule]  # horizontal rules, top to bottom
    cols: list[_Rule]  # vertical rules, left to right


def _binarise(gray: np.ndarray) -> np.ndarray:
    import cv2

    h, w = gray.shape
    block = max(15, (min(h, w) // 40) | 1)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12)


def _skew(binary: np.ndarray) -> float:
    """Rotation of the picture in degrees (positive: counter-clockwise), found as the angle at which
    the horizontal strokes (rules, long character strokes) line up best: the row histogram of their
    pixels, sheared by the angle, is sharpest. Coarse (0.1°) then fine (0.01°) search."""
    import cv2

    h, w = binary.shape
    k = max(15, w // 80)
    strokes = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    ys, xs = np.nonzero(strokes)
    if len(ys) < 50:
        return 0.0
    if len(ys) > 200_000:
        pick = np.random.default_rng(0).choice(len(ys), 200_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    ys, xs = ys.astype(np.float64), xs.astype(np.float64) - w / 2

    def sharpness(deg: float) -> float:
        t = math.tan(math.radians(deg))
        rows = np.round(ys + xs * t).astype(np.int64)
        rows -= rows.min()
        hist = np.bincount(rows)
        return float((hist.astype(np.float64) ** 2).sum())

    coarse = np.arange(-DESKEW_MAX, DESKEW_MAX + 1e-9, 0.1)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - 0.1, best + 0.1 + 1e-9, 0.01)
    best = max(fine, key=sharpness)
    return float(round(best, 2))


def _rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    import cv2

    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def _rule_masks(binary: np.ndarray, kh: int, kv: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    hor = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (kh, 1)))
    hor = cv2.morphologyEx(hor, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1)))
    ver = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, kv)))
    # a short vertical closing only: a longer one would join the strokes of characters stacked in
    # the lines of a wrapped label into something as tall as the row
    ver = cv2.morphologyEx(ver, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 4)))
    return hor, ver


def _positions(profile: np.ndarray, need: float) -> list[_Rule]:
    """Bands of consecutive indices whose profile reaches ``need`` (one band per rule)."""
    on = np.flatnonzero(profile >= need)
    out: list[_Rule] = []
    for i in on:
        if out and i - out[-1].hi <= 2:
            out[-1].hi = int(i)
        else:
            out.append(_Rule(int(i), int(i)))
    return out


def _tables(binary: np.ndarray) -> list[tuple[_Table, np.ndarray, np.ndarray]]:
    """Every ruled table of a (deskewed) binary image, with its rule masks."""
    import cv2

    h, w = binary.shape
    kh = max(20, min(w, h) // 40)
    hor, ver = _rule_masks(binary, kh, kh)
    both = cv2.dilate(hor | ver, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(both, connectivity=8)
    found = []
    for k in range(1, n):
        x, y, bw, bh, _ = stats[k]
        if bw < 3 * kh or bh < kh:
            continue
        found.append((int(x), int(y), int(x + bw), int(y + bh)))
    found.sort(key=lambda b: (b[1], b[0]))
    out = []
    for x0, y0, x1, y1 in found:
        x0, y0, x1, y1 = max(0, x0 - 2), max(0, y0 - 2), min(w, x1 + 2), min(h, y1 + 2)
        sub = binary[y0:y1, x0:x1]
        sh, sw = sub.shape
        hsub = hor[y0:y1, x0:x1]
        rows = _positions((hsub > 0).sum(axis=1), max(3 * kh, MIN_RULE_SHARE * sw))
        if len(rows) < 2:
            continue
        gaps = [b.lo - a.hi for a, b in zip(rows, rows[1:])]
        row_h = max(6, min(gaps))
        kv = max(6, int(row_h * 0.5))
        _, vsub = _rule_masks(sub, kh, kv)
        cols = _positions((vsub > 0).sum(axis=0), max(0.6 * row_h, min(MIN_RULE_SHARE * sh, 3 * kh)))
        if len(cols) < 2:
            continue
        rows = [_Rule(r.lo + y0, r.hi + y0) for r in rows]
        cols = [_Rule(c.lo + x0, c.hi + x0) for c in cols]
        out.append((_Table(x0, y0, x1, y1, rows, cols), hsub, vsub))
    return out


def _coverage(mask: np.ndarray, axis: int) -> float:
    """Longest unbroken run of rule pixels along a slot edge, as a share of the edge: a rule runs
    from one crossing rule to the next; aligned character strokes leave gaps between text lines."""
    if mask.size == 0:
        return 0.0
    on = (mask > 0).any(axis=axis).astype(np.int8)
    if not on.any():
        return 0.0
    edges = np.diff(np.concatenate(([0], on, [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return float((ends - starts).max() / len(on))


def _walls(t: _Table, hmask: np.ndarray, vmask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which slot edges carry a rule: ``hw[r, c]`` the rule above slot (r, c) (r ≥ 1), ``vw[r, c]``
    the rule left of slot (r, c) (c ≥ 1). An edge is measured between the rules that cross it, so
    a character stroke (which never touches the rules: cells have padding) does not count."""
    nr, nc = len(t.rows) - 1, len(t.cols) - 1
    hw = np.ones((nr, nc), dtype=bool)
    vw = np.ones((nr, nc), dtype=bool)
    ox, oy = t.x0, t.y0
    tol = 3
    for r in range(1, nr):
        rule = t.rows[r]
        for c in range(nc):
            a, b = t.cols[c].hi + tol - ox, t.cols[c + 1].lo - tol - ox
            band = hmask[max(0, rule.lo - tol - oy):rule.hi + tol + 1 - oy, max(0, a):max(0, b)]
            hw[r, c] = _coverage(band, 0) >= WALL_COVERAGE
    for c in range(1, nc):
        rule = t.cols[c]
        for r in range(nr):
            a, b = t.rows[r].hi + tol - oy, t.rows[r + 1].lo - tol - oy
            band = vmask[max(0, a):max(0, b), max(0, rule.lo - tol - ox):rule.hi + tol + 1 - ox]
            vw[r, c] = _coverage(band, 1) >= WALL_COVERAGE
    return hw, vw


def _prune(t: _Table, hmask: np.ndarray, vmask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop rule positions that separate no two slots anywhere (aligned character strokes that
    passed the position test), then measure the walls again on the remaining grid."""
    for _ in range(3):
        hw, vw = _walls(t, hmask, vmask)
        dead_rows = [r for r in range(1, len(t.rows) - 1) if not hw[r].any()]
        dead_cols = [c for c in range(1, len(t.cols) - 1) if not vw[:, c].any()]
        if not dead_rows and not dead_cols:
            return hw, vw
        t.rows = [x for k, x in enumerate(t.rows) if k not in dead_rows]
        t.cols = [x for k, x in enumerate(t.cols) if k not in dead_cols]
    return _walls(t, hmask, vmask)


def _cells(t: _Table, hmask: np.ndarray, vmask: np.ndarray) -> tuple[list[list[tuple[int, int]]], list[str]]:
    """Origin of every slot: slots not separated by a rule are one cell."""
    hw, vw = _prune(t, hmask, vmask)
    nr, nc = len(t.rows) - 1, len(t.cols) - 1
    parent = list(range(nr * nc))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for r in range(nr):
        for c in range(nc):
            if r and not hw[r, c]:
                union((r - 1) * nc + c, r * nc + c)
            if c and not vw[r, c]:
                union(r * nc + c - 1, r * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    origin = [[(r, c) for c in range(nc)] for r in range(nr)]
    notes = []
    for slots in groups.values():
        r0, c0 = min(s[0] for s in slots), min(s[1] for s in slots)
        r1, c1 = max(s[0] for s in slots), max(s[1] for s in slots)
        if len(slots) != (r1 - r0 + 1) * (c1 - c0 + 1):
            notes.append(f"cell at row {r0} col {c0}: its rules do not close a rectangle; read as one cell")
        for r, c in slots:
            origin[r][c] = (r0, c0)
    return origin, notes


# ---------------------------------------------------------------------------------------------
# text inside a box


@dataclass
class _Line:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the ink
    clip: tuple[int, int, int, int]  # the box it may be padded within (the cell's inside)
    glyph: str = ""  # the shape of a line made of one stroke: 'slash', 'bar', 'upright' or ''


def _shape(ys: np.ndarray, xs: np.ndarray, w: int, h: int, room: int) -> str:
    """What one isolated stroke looks like (``room``: the table's smallest row height). A bar is
    wider than high and much lower than text (digits run together by blur are flat too, but as
    tall as text; a lone mark that small is no digit, and '.' or '•' is no value either). Slant is
    measured from the stroke's second moments (dx per dy): on rendered and degraded tables a '1'
    measures 0 to +0.15 and a '/' -0.25 to -0.35, with nothing in between."""
    if w >= 4 and w > h and h <= 0.25 * room:
        return "bar"  # wider than high and well under a digit's height: a dash, even a blurred hyphen
    if h <= 0.35 * w:
        return ""
    if h < 6 or w > 0.8 * h:
        return ""
    cy, cx = ys - ys.mean(), xs - xs.mean()
    slant = float((cx * cy).sum() / max(1e-9, (cy * cy).sum()))
    if slant <= SLASH_SLANT:
        return "slash"
    if slant >= UPRIGHT_SLANT:
        return "upright"
    return "unsure"


def _lines(binary: np.ndarray, x0: int, y0: int, x1: int, y1: int, speck: int,
           unit: int = 0) -> list[_Line] | None:
    """The text lines inside (x0, y0, x1, y1); None when there is no ink at all. ``unit`` is the
    table's smallest row height, the scale of its text (0: do not look for dashes)."""
    import cv2

    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    sub = binary[y0:y1, x0:x1]
    sh, sw = sub.shape
    n, lab, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    for k in range(1, n):
        x, y, w, h, area = stats[k]
        if area < speck or max(w, h) < 2:
            continue
        edge = x == 0 or y == 0 or x + w >= sw or y + h >= sh
        if edge and ((h <= 4 and w >= 3 * h) or (w <= 4 and h >= 3 * w)):
            continue  # a sliver of the rule around the cell (blur, a tilt not fully undone)
        keep[k] = True
    if not keep.any():
        return None
    ink = keep[lab]
    rows = np.flatnonzero(ink.any(axis=1))
    bands: list[list[int]] = []
    for y in rows:
        if bands and y - bands[-1][1] <= 1:
            bands[-1][1] = int(y)
        else:
            bands.append([int(y), int(y)])
    if bands[-1][1] - bands[0][0] + 1 <= 0.25 * unit:
        bands = [[bands[0][0], bands[-1][1]]]  # all of it flat: one mark (a dash that blur split)
    tallest = max(b[1] - b[0] + 1 for b in bands)
    # fragments much lower than the tallest band (the two strokes of 二, a dot) join their neighbour
    merged: list[list[int]] = []
    for b in bands:
        if merged and ((b[1] - b[0] + 1) < 0.45 * tallest or (merged[-1][1] - merged[-1][0] + 1) < 0.45 * tallest) \
                and b[0] - merged[-1][1] < 0.35 * tallest:
            merged[-1][1] = b[1]
        else:
            merged.append(b)
    out = []
    for a, b in merged:
        cols = np.flatnonzero(ink[a:b + 1].any(axis=0))
        line = _Line((x0 + int(cols[0]), y0 + a, x0 + int(cols[-1]) + 1, y0 + b + 1), (x0, y0, x1, y1))
        labels = set(np.unique(lab[a:b + 1][ink[a:b + 1]]).tolist())
        if len(merged) == 1 and len(labels) == 1:
            k = labels.pop()
            ys, xs = np.nonzero(lab == k)
            line.glyph = _shape(ys.astype(float), xs.astype(float), int(stats[k][2]), int(stats[k][3]), unit)
        elif len(merged) == 1 and 1 < len(labels) <= 3 and all(stats[k][3] <= 0.5 * stats[k][2] for k in labels):
            x0b, y0b, x1b, y1b = line.box
            if y1b - y0b <= min(0.5 * (x1b - x0b), 0.25 * unit):
                line.glyph = "bar"  # a blurred dash whose two edges binarised apart
        out.append(line)
    return out


def _crop(gray: np.ndarray, line: _Line) -> np.ndarray:
    """The line's picture for the recogniser: the ink box widened by a margin but never past the
    cell's inside (a rule at the edge would read as '1' or '|'), on a white border."""
    x0, y0, x1, y1 = line.box
    cx0, cy0, cx1, cy1 = line.clip
    h = y1 - y0
    mx, my = max(4, int(round(0.5 * h))), max(2, int(round(0.2 * h)))
    sub = gray[max(cy0, y0 - my):min(cy1, y1 + my), max(cx0, x0 - mx):min(cx1, x1 + mx)]
    pad = max(3, int(round(0.25 * h)))
    out = np.full((sub.shape[0] + 2 * pad, sub.shape[1] + 2 * pad), 255, dtype=np.uint8)
    out[pad:pad + sub.shape[0], pad:pad + sub.shape[1]] = sub
    return out


def _reconcile(text: str, conf: float, glyph: str) -> tuple[str, float]:
    """A one-stroke cell: the recogniser confuses '/' with '1' (both a lone thin stroke, '/' seldom
    seen alone in its training text) and reads a dash as 一; the stroke's shape settles it. A stroke
    whose slant is between the two shapes stays unread. A thousands separator that may have been
    read as a decimal point lowers the confidence (see ``_POINT_OR_COMMA``)."""
    t = text.strip()
    if glyph == "slash" and t in _STROKES:
        return "/", max(conf, SHAPE_CONFIDENCE) if t == "/" else SHAPE_CONFIDENCE
    if glyph == "upright" and t in ("/", "／"):
        return "", 0.0
    if glyph == "unsure" and t in _STROKES:
        return "", 0.0
    if glyph == "bar":  # one flat stroke is a dash whatever the recogniser says (it has said 1 and 三)
        return "—", max(conf, SHAPE_CONFIDENCE) if t in _BARS else SHAPE_DISAGREES
    if _POINT_OR_COMMA.search(t):
        return text, min(conf, SEPARATOR_CONFIDENCE)
    return text, conf


# ---------------------------------------------------------------------------------------------
# one image


@dataclass
class _Page:
    grids: list[Grid]
    tables: list[_Table]
    tail: str  # last body text line below every table (for a table continued on the next page)
    bare_top: bool = False  # no text above the first table: it may continue the previous page's


def _context(gray: np.ndarray, binary: np.ndarray, top: int, bottom: int, x0: int, x1: int,
             speck: int, deadline: float) -> tuple[str, float, bool]:
    """The last text line between ``top`` and ``bottom`` that is not a page number (its text,
    confidence, and whether the band held any such text at all)."""
    from extract.ocr import recognize

    if bottom - top < 6:
        return "", 1.0, False
    lines = _lines(binary, x0, top, x1, bottom, speck)
    for line in reversed((lines or [])[-3:]):
        (text, conf), = recognize([_crop(gray, line)], deadline)
        text = text.strip()
        if text and not _PAGE_NUMBER.fullmatch(text):
            return text, conf, True
    return "", 1.0, False


def _read_page(gray: np.ndarray, page: int | None, deadline: float, notes: list[str],
               with_tail: bool = False) -> _Page:
    from extract.ocr import LOW_CONFIDENCE, recognize

    binary = _binarise(gray)
    angle = _skew(binary)
    if abs(angle) >= DESKEW_MIN:
        gray = _rotate(gray, angle)
        binary = _binarise(gray)
        notes = notes + [f"image turned back by {angle:.2f}°"]
    h, w = gray.shape
    speck = 3  # pixels: JPEG and scan specks are smaller; a blurred hyphen at 100 dpi is not
    found = _tables(binary)
    grids: list[Grid] = []
    tables: list[_Table] = []
    prev_bottom = int(h * MARGIN_ZONE) if page is not None else 0
    bare_top = False
    n_lines = 0
    for t, hmask, vmask in found:
        nr, nc = len(t.rows) - 1, len(t.cols) - 1
        if nr < 1 or nc < 1 or (nr < 2 and nc < 2):
            continue
        if nr * nc > MAX_CELLS:
            raise UnreadableDocument(f"image table of {nr}×{nc} slots exceeds {MAX_CELLS}: refused")
        gnotes = list(notes)
        origin, more = _cells(t, hmask, vmask)
        gnotes += more
        nr, nc = len(t.rows) - 1, len(t.cols) - 1
        if nr < 1 or nc < 1 or (nr < 2 and nc < 2):
            continue
        unit = min(b.lo - a.hi for a, b in zip(t.rows, t.rows[1:]))
        # every cell's lines
        cell_lines: dict[tuple[int, int], list[_Line] | None] = {}
        for r in range(nr):
            for c in range(nc):
                o = origin[r][c]
                if o in cell_lines:
                    continue
                r1 = max(rr for rr in range(nr) if origin[rr][c] == o)
                c1 = max(cc for cc in range(nc) if origin[r][cc] == o)
                cx0, cx1 = t.cols[c].hi + 3, t.cols[c1 + 1].lo - 2
                cy0, cy1 = t.rows[r].hi + 3, t.rows[r1 + 1].lo - 2
                cell_lines[o] = _lines(binary, cx0, cy0, cx1, cy1, speck, unit)
        crops, owners = [], []
        for o, lines in cell_lines.items():
            for ln in lines or []:
                crops.append(_crop(gray, ln))
                owners.append((o, ln))
        n_lines += len(crops)
        if n_lines > MAX_LINES:
            raise UnreadableDocument(f"image holds more than {MAX_LINES} text lines in tables: refused")
        read = recognize(crops, deadline)
        texts: dict[tuple[int, int], list[str]] = {}
        confs: dict[tuple[int, int], float] = {}
        late = 0
        for (o, ln), (text, conf) in zip(owners, read):
            if conf == 0.0 and not text:
                late += 1
            text, conf = _reconcile(_DIGIT_GAP.sub("", text).strip(), conf, ln.glyph)
            texts.setdefault(o, []).append(text)
            confs[o] = min(confs.get(o, 1.0), conf)
        cells = [["" for _ in range(nc)] for _ in range(nr)]
        conf_grid = [[1.0 for _ in range(nc)] for _ in range(nr)]
        low = []
        for r in range(nr):
            for c in range(nc):
                o = origin[r][c]
                parts = texts.get(o, [])
                conf = confs.get(o, 1.0)
                if parts and not all(parts):
                    conf, parts = 0.0, []  # ink the recogniser could not read: unread, not empty
                cells[r][c] = "\n".join(parts)
                conf_grid[r][c] = round(conf, 4)
                if o == (r, c) and conf < LOW_CONFIDENCE:
                    low.append(f"{r}.{c} ({conf:.2f}: {cells[r][c] or 'unread'!r})")
        if late:
            gnotes.append(f"{late} text line(s) not read (time limit of the image reached, or a line too wide)")
        if low:
            gnotes.append(f"low OCR confidence (< {LOW_CONFIDENCE}) at row.col " + ", ".join(low))
        ctx, _, above = _context(gray, binary, prev_bottom, t.rows[0].lo - 2, 0, w, speck, deadline)
        if not tables:
            bare_top = not above
        prev_bottom = t.y1
        grids.append(Grid(cells=cells, origin=origin, source="ocr", context=ctx, page=page, notes=gnotes,
                          confidence=conf_grid))
        tables.append(t)
    tail = ""
    if with_tail and (tables or page is not None):
        bottom = int(h * (1 - MARGIN_ZONE)) if page is not None else h
        start = tables[-1].y1 if tables else prev_bottom
        tail, _, _ = _context(gray, binary, start, bottom, 0, w, speck, deadline)
        if not tail and tables:
            tail = grids[-1].context
    return _Page(grids, tables, tail, bare_top)


def _sequence(pages, what: str) -> list[Grid]:
    """Grids of consecutive pages or pictures (``(number, grey image)`` pairs): a table with no
    text above it takes the previous one's last body line as context, as the PDF reader does for
    a table broken by a page break, so that extract.tables reads it as the same table."""
    from extract.ocr import MAX_SECONDS

    out: list[Grid] = []
    tail = ""
    for number, gray in pages:
        got = _read_page(gray, number if what == "page" else None, time.monotonic() + MAX_SECONDS, [],
                         with_tail=True)
        if got.grids and got.bare_top and tail:
            g = got.grids[0]
            g.context = tail
            g.notes.append(f"{what} {number}: nothing above the table; context taken from {what} {number - 1}")
        for g in got.grids:
            if what != "page":
                g.notes.insert(0, f"picture {number}")
            out.append(g)
        if got.tail:
            tail = got.tail
    return out


def grids_from_image(data: bytes, max_seconds: float | None = None) -> list[Grid]:
    """Every ruled table of one picture (PNG, JPEG, GIF, BMP), cells read by OCR. Cells not read
    within ``max_seconds`` (default extract.ocr.MAX_SECONDS) stay empty with confidence 0."""
    from extract.ocr import MAX_SECONDS, decode_image

    gray = decode_image(data)
    limit = MAX_SECONDS if max_seconds is None else max_seconds
    return _read_page(gray, None, time.monotonic() + limit, []).grids


def grids_from_array(gray: np.ndarray, page: int | None = None) -> list[Grid]:
    """The same from an already decoded grey image (tests, rasterised pages)."""
    from extract.ocr import MAX_SECONDS

    return _read_page(gray, page, time.monotonic() + MAX_SECONDS, []).grids


# ---------------------------------------------------------------------------------------------
# scanned PDFs and Word pictures


def _pages_of(data: bytes):
    if b"%PDF-" not in data[:1024]:
        raise UnreadableDocument("not a PDF (no %PDF- header)")
    try:
        import pypdfium2 as pdfium

        return pdfium.PdfDocument(data)
    except Exception as e:  # pdfium raises its own PdfiumError and a few others
        raise UnreadableDocument(f"unreadable PDF: {type(e).__name__}: {e}") from None


def grids_from_scanned_pdf(data: bytes, dpi: int = SCAN_DPI, max_pages: int = MAX_PAGES) -> list[Grid]:
    """Tables of a PDF whose pages are pictures (no text layer): each page rasterised at ``dpi`` and
    read like an image. A table with no text above it on its page takes the previous page's last
    body line as context, so a table broken by a page break reads as one."""
    from extract.ocr import MAX_PIXELS

    pdf = _pages_of(data)
    try:
        n = len(pdf)
        if n == 0:
            raise UnreadableDocument("PDF has no pages")
        if n > max_pages:
            raise UnreadableDocument(f"scanned PDF has {n} pages (limit {max_pages})")

        def pages():
            for i in range(n):
                page = pdf[i]
                w, h = page.get_size()
                scale = dpi / 72
                if w * h * scale * scale > MAX_PIXELS:
                    scale = math.sqrt(MAX_PIXELS / max(1.0, w * h))
                gray = np.array(page.render(scale=scale, grayscale=True).to_numpy(), dtype=np.uint8)
                yield i + 1, (gray[..., 0] if gray.ndim == 3 else gray)

        return _sequence(pages(), "page")
    finally:
        pdf.close()


def _docx_pictures(data: bytes) -> list[tuple[str, bytes]]:
    """Pictures of a DOCX in document order (by their first reference in the main part), then any
    other pictures of word/media."""
    import re

    from .safezip import open_package, read_member

    zf = open_package(data, "DOCX")
    names = [n for n in zf.namelist() if n.startswith("word/media/")
             and n.rsplit(".", 1)[-1].lower() in ("png", "jpg", "jpeg", "gif", "bmp")]
    order: dict[str, int] = {}
    try:
        rels = read_member(zf, "word/_rels/document.xml.rels", "DOCX").decode("utf-8", "replace")
        doc = read_member(zf, "word/document.xml", "DOCX").decode("utf-8", "replace")
        targets = {m.group(1): posixpath.normpath(posixpath.join("word", m.group(2)))
                   for m in re.finditer(r'Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
        targets.update({m.group(2): posixpath.normpath(posixpath.join("word", m.group(1)))
                        for m in re.finditer(r'Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
        for m in re.finditer(r'r:embed="([^"]+)"', doc):
            t = targets.get(m.group(1))
            if t and t not in order:
                order[t] = m.start()
    except UnreadableDocument:
        pass
    names.sort(key=lambda n: (order.get(n, float("inf")), n))
    out = []
    for n in names[:MAX_IMAGES]:
        b = read_member(zf, n, "DOCX")
        if len(b) >= MIN_PICTURE_BYTES:
            out.append((n, b))
    return out


def grids_from_images(pictures: list[bytes]) -> list[Grid]:
    """Tables of consecutive pictures of one document (the images of a web page or of a Word
    file, in order): a table at the top of a picture with no text above it continues the previous
    picture's table (a screenshot per page). A picture that is not a readable image is skipped and
    noted on the next grid."""
    from extract.ocr import decode_image

    skipped: list[str] = []
    decoded = []
    for k, blob in enumerate(pictures[:MAX_IMAGES], 1):
        try:
            decoded.append((k, decode_image(blob)))
        except UnreadableDocument as e:
            skipped.append(f"picture {k} skipped: {e.reason}")
    out = _sequence(decoded, "picture")
    if skipped and out:
        out[0].notes += skipped
    return out


def grids_from_docx_images(data: bytes) -> list[Grid]:
    """Tables pictured in a Word document (word/media/*), in document order."""
    return grids_from_images([blob for _, blob in _docx_pictures(data)])


__all__ = ["grids_from_image", "grids_from_images", "grids_from_array", "grids_from_scanned_pdf",
           "grids_from_docx_images",
           "MAX_PAGES", "MAX_IMAGES", "SCAN_DPI"]
