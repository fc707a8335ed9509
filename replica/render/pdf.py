"""Reports as PDF (reportlab canvas, CID font STSong-Light), tables drawn as ruled grids or, as many real
reports print them, without rules.

The tables are laid out here rather than with platypus so that page breaks behave like a word
processor's export: a table that does not fit continues on the next page without repeating its
header (unless ``repeat_header``), a merged label cell cut by the break is drawn as two boxes (its text in the part that holds
it, the other part empty), header rows are kept with the first row below them, and a row is never
cut. Every merged cell is one box (no inner rules), which is how PDF table finders (pdfplumber)
see merged cells. A page number sits in the bottom margin.

``render_pdf(report, split_requests=True)`` pads the text before the ``requests`` table so that the
table starts mid-page and must break; ``False`` starts it on a fresh page; ``None`` lets the
report's own prose decide.

Many real reports print their tables without cell borders, which ruling-line table finders cannot
see; ``ruled`` reproduces them: ``True`` (default) draws every cell box, ``False`` draws no line at
all, ``"three_line"`` draws the 三线表 seen in typeset reports (a rule above and below each page
part of a table and one under its header rows), ``"horizontal"`` Word's "no inside vertical
borders" (rules between rows and around the table, none between columns: a line-following table
finder sees a one-column table). The text is placed exactly as in a ruled table
(merged labels centred in their span, long labels wrapped inside their column), so only the rules
differ. ``value_align`` (``"center"``, default, or ``"right"``) places numbers as Word tables
centre them or as spreadsheet exports right-align them; ``valign`` (``"middle"``, default, or
``"top"``, Word's own default) sets every cell's text at the middle or the top of its cell, so a
wrapped label runs on below its numbers and a merged label sits on the first row it spans.
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from extract.layout import Layout, LCell, n_cols, positioned
from .sample import CanonicalReport

FONT = "STSong-Light"
PAGE_W, PAGE_H = A4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 62.0, 72.0, 72.0
CONTENT_W = PAGE_W - 2 * MARGIN_X
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


_widths: dict[tuple[str, float], float] = {}


def _w(ch: str, size: float) -> float:
    k = (ch, size)
    w = _widths.get(k)
    if w is None:
        w = _widths[k] = pdfmetrics.stringWidth(ch, _font(), size)
    return w


def text_width(s: str, size: float) -> float:
    return sum(_w(ch, size) for ch in s)


def wrap(text: str, width: float, size: float, indent: float = 0.0) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (character by character, as CJK text
    wraps; explicit newlines kept)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line, used, avail = "", 0.0, width - indent
        for ch in para:
            cw = _w(ch, size)
            if line and used + cw > avail:
                lines.append(line)
                line, used, avail = "", 0.0, width
            line += ch
            used += cw
        lines.append(line)
    return lines


# ---------------------------------------------------------------------------------------------
# tables

TABLE_SIZE, TABLE_LEADING, PAD = 9.0, 11.0, 2.5
MIN_ROW = 16.0


def column_widths(key: str, ncols: int) -> list[float]:
    if key == "requests" and ncols == 10:
        label = [40.0, 58.0, 140.0]
        rest = (CONTENT_W - sum(label)) / 7
        return label + [rest] * 7
    if key == "active" and ncols == 4:
        return [141.0] + [(CONTENT_W - 141.0) / 3] * 3
    return [CONTENT_W / ncols] * ncols


@dataclass
class _Placed:
    cell: LCell
    r: int
    c: int
    lines: list[str]
    size: float

    @property
    def height(self) -> float:
        return len(self.lines) * (self.size + 2) + 2 * PAD + 1


def _prepare(grid: Layout, widths: list[float]) -> tuple[list[_Placed], list[float]]:
    placed = []
    for cell, r, c in positioned(grid):
        w = sum(widths[c:c + cell.colspan]) - 2 * PAD
        size = TABLE_SIZE
        if cell.kind == "value" and "\n" not in cell.text:
            tw = text_width(cell.text, size)
            if tw > w:  # a number is shrunk to fit, never wrapped
                size = max(5.0, size * w / tw - 0.1)
        placed.append(_Placed(cell, r, c, wrap(cell.text, w, size), size))
    heights = [MIN_ROW] * len(grid)
    for p in sorted(placed, key=lambda p: p.cell.rowspan):
        span = range(p.r, p.r + p.cell.rowspan)
        have = sum(heights[i] for i in span)
        if p.height > have:
            heights[span[-1]] += p.height - have
    return placed, heights


RULES = (True, False, "three_line", "horizontal")
VALUE_ALIGN = ("center", "right")
VALIGN = ("middle", "top")


class _Pdf:
    def __init__(self, rng: random.Random, repeat_header: bool = False, ruled: bool | str = True,
                 value_align: str = "center", valign: str = "middle"):
        if ruled not in RULES:
            raise ValueError(f"ruled must be one of {RULES}, not {ruled!r}")
        if value_align not in VALUE_ALIGN:
            raise ValueError(f"value_align must be one of {VALUE_ALIGN}, not {value_align!r}")
        if valign not in VALIGN:
            raise ValueError(f"valign must be one of {VALIGN}, not {valign!r}")
        self.repeat_header = repeat_header
        self.ruled = ruled
        self.value_align = value_align
        self.valign = valign
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, pagesize=A4, invariant=1)
        self.c.setLineWidth(0.6)
        self.rng = rng
        self.page = 1  # the page being laid out
        self.cpage = 1  # the page the canvas is drawing (behind self.page while a table is laid out)
        self.y = MARGIN_TOP  # distance from the top of the page
        self.footer = rng.choice(["- {n} -", "第{n}页", "{n}"])

    @property
    def room(self) -> float:
        return PAGE_H - MARGIN_BOTTOM - self.y

    def new_page(self) -> None:
        self.page += 1
        self._canvas_to(self.page)
        self.y = MARGIN_TOP

    def _canvas_to(self, page: int) -> None:
        while self.cpage < page:
            self._footer()
            self.c.showPage()
            self.c.setLineWidth(0.6)
            self.cpage += 1

    def _footer(self) -> None:
        s = self.footer.format(n=self.cpage)
        self.c.setFont(_font(), 9)
        self.c.drawString((PAGE_W - text_width(s, 9)) / 2, 40, s)

    def text(self, s: str, size: float = 12.0, align: str = "left", indent: float = 0.0,
             space_after: float = 4.0) -> None:
        self._canvas_to(self.page)
        lead = size * 1.55
        for i, line in enumerate(wrap(s, CONTENT_W, size, indent)):
            if self.room < lead:
                self.new_page()
            self.c.setFont(_font(), size)
            x = MARGIN_X + (indent if i == 0 else 0.0)
            if align == "center":
                x = (PAGE_W - text_width(line, size)) / 2
            self.c.drawString(x, PAGE_H - self.y - size, line)
            self.y += lead
        self.y += space_after

    def table_height(self, grid: Layout, key: str) -> float:
        return sum(_prepare(grid, column_widths(key, n_cols(grid)))[1])

    def table(self, grid: Layout, key: str) -> None:
        widths = column_widths(key, n_cols(grid))
        xs = [MARGIN_X]
        for w in widths:
            xs.append(xs[-1] + w)
        placed, heights = _prepare(grid, widths)
        starts = {p.r: [] for p in placed}
        for p in placed:
            starts[p.r].append(p)
        keep = [all(p.cell.kind == "head" for p in starts.get(r, [])) and r < len(grid) - 1
                for r in range(len(grid))]
        n_head = 0
        while n_head < len(grid) - 1 and keep[n_head]:
            n_head += 1
        head_h = sum(heights[:n_head])
        # page and top of each row; where repeated header rows go
        where: list[tuple[int, float]] = []
        copies: list[tuple[int, float]] = []

        def page_break(row: int) -> None:
            self.new_page_pending()
            if self.repeat_header and n_head and row >= n_head:
                copies.append((self.page, self.y))
                self.y += head_h

        r = 0
        while r < len(grid):
            j = r
            while keep[j] and j < len(grid) - 1:
                j += 1
            group_h = sum(heights[r:j + 1])
            if group_h > self.room and self.y > MARGIN_TOP + 1:
                page_break(r)
            for i in range(r, j + 1):
                if heights[i] > self.room and self.y > MARGIN_TOP + 1:
                    page_break(i)
                where.append((self.page, self.y))
                self.y += heights[i]
            r = j + 1
        self._draw_table(placed, heights, where, xs, copies, n_head)
        self.y += 8

    def new_page_pending(self) -> None:
        """A page break inside a table being laid out (pages are drawn once the layout is known)."""
        self.page += 1
        self.y = MARGIN_TOP

    def _draw_table(self, placed: list[_Placed], heights: list[float], where: list[tuple[int, float]],
                    xs: list[float], copies: list[tuple[int, float]], n_head: int) -> None:
        for pg in range(where[0][0], where[-1][0] + 1):
            self._canvas_to(pg)
            for cpg, y0 in copies:  # header rows repeated at the top of a continuation page
                if cpg != pg:
                    continue
                for p in placed:
                    if p.r + p.cell.rowspan <= n_head:
                        top = y0 + sum(heights[:p.r])
                        bottom = top + sum(heights[p.r:p.r + p.cell.rowspan])
                        x0, x1 = xs[p.c], xs[p.c + p.cell.colspan]
                        self._box(x0, x1, top, bottom)
                        self._cell_text(p, x0, x1, top, bottom)
            for p in placed:
                rows = [i for i in range(p.r, p.r + p.cell.rowspan) if where[i][0] == pg]
                if not rows:
                    continue
                top = where[rows[0]][1]
                bottom = where[rows[-1]][1] + heights[rows[-1]]
                x0, x1 = xs[p.c], xs[p.c + p.cell.colspan]
                self._box(x0, x1, top, bottom)
                if rows[0] == self._text_part(p, heights, where):
                    self._cell_text(p, x0, x1, top, bottom)
            if self.ruled == "three_line":
                self._three_rules(pg, heights, where, xs, copies, n_head)
        self.page = where[-1][0]
        self.y = where[-1][1] + heights[-1]

    def _box(self, x0: float, x1: float, top: float, bottom: float) -> None:
        """The rules of one cell box: all four sides; or (``horizontal``) its top and bottom, and its
        side only where it is the table's outer edge."""
        if self.ruled is True:
            self.c.rect(x0, PAGE_H - bottom, x1 - x0, bottom - top, stroke=1, fill=0)
        elif self.ruled == "horizontal":
            self.c.line(x0, PAGE_H - top, x1, PAGE_H - top)
            self.c.line(x0, PAGE_H - bottom, x1, PAGE_H - bottom)
            for x in (x0, x1):
                if abs(x - MARGIN_X) < 0.01 or abs(x - MARGIN_X - CONTENT_W) < 0.01:
                    self.c.line(x, PAGE_H - top, x, PAGE_H - bottom)

    def _three_rules(self, pg: int, heights: list[float], where: list[tuple[int, float]], xs: list[float],
                     copies: list[tuple[int, float]], n_head: int) -> None:
        """A 三线表 part: a rule on top, one under the header rows (where they are printed on this
        page), one at the bottom; rows cut by the page break get their own top and bottom rules."""
        rows = [i for i in range(len(where)) if where[i][0] == pg]
        top = min([where[rows[0]][1]] + [y0 for cpg, y0 in copies if cpg == pg])
        bottom = where[rows[-1]][1] + heights[rows[-1]]
        ys = [top, bottom]
        if n_head and rows[0] < n_head <= rows[-1]:
            ys.append(where[n_head][1])
        ys += [y0 + sum(heights[:n_head]) for cpg, y0 in copies if cpg == pg]
        for y in ys:
            self.c.line(xs[0], PAGE_H - y, xs[-1], PAGE_H - y)

    @staticmethod
    def _text_part(p: _Placed, heights: list[float], where: list[tuple[int, float]]) -> int:
        """First row of the page part of a merged cell that carries its text: the first part the
        text fits in, else the tallest part."""
        parts: dict[int, list[int]] = {}
        for i in range(p.r, p.r + p.cell.rowspan):
            parts.setdefault(where[i][0], []).append(i)
        best, best_h = p.r, -1.0
        for rows in parts.values():
            h = sum(heights[i] for i in rows)
            if h >= p.height:
                return rows[0]
            if h > best_h:
                best, best_h = rows[0], h
        return best

    def _cell_text(self, p: _Placed, x0: float, x1: float, top: float, bottom: float) -> None:
        lead = p.size + 2
        block = len(p.lines) * lead
        y = top + PAD if self.valign == "top" else top + (bottom - top - block) / 2
        self.c.setFont(_font(), p.size)
        for line in p.lines:
            if p.cell.kind == "label":
                x = x0 + PAD
            elif p.cell.kind == "value" and self.value_align == "right":
                x = x1 - PAD - text_width(line, p.size)
            else:
                x = x0 + (x1 - x0 - text_width(line, p.size)) / 2
            self.c.drawString(x, PAGE_H - y - p.size, line)
            y += lead

    def finish(self) -> bytes:
        self._footer()
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


_FILLER = (
    "为便于社会公众查阅，本报告中的统计数据均以表格形式列示，表中未发生的事项以“0”或空白表示。",
    "表中数据由办公室会同各业务科室逐项核对，统计口径与上级政务公开主管部门的要求保持一致。",
    "申请人情况按自然人、法人或其他组织分列，法人或其他组织再按商业企业、科研机构等细分。",
    "办理结果按予以公开、部分公开、不予公开、无法提供、不予处理和其他处理分类统计。",
    "对于同一申请涉及多项内容的，按照主要内容归类，只统计一次，不重复计算。",
)


def render_pdf(report: CanonicalReport, split_requests: bool | None = None, repeat_header: bool = False,
               ruled: bool | str = True, value_align: str = "center", valign: str = "middle") -> bytes:
    """The report as PDF bytes (see the module docstring for ``split_requests``, ``ruled``,
    ``value_align`` and ``valign``; ``repeat_header`` repeats a table's header rows at the top of each
    continuation page, as Word's 标题行重复 does)."""
    rng = random.Random(f"pdf:{report.seed}:{report.template}")
    doc = _Pdf(rng, repeat_header, ruled, value_align, valign)
    doc.text(report.title, size=16, align="center", space_after=14)
    for heading, paras, key in report.outline():
        if key == "requests" and split_requests is False and doc.y > MARGIN_TOP + 1:
            doc.new_page()
        doc.text(heading, size=12.5)
        for para in paras:
            doc.text(para, size=11, indent=22)
        if key == "requests" and split_requests:
            grid = report.layout(key)
            h = doc.table_height(grid, key)
            k = 0
            while not (0.35 * h < doc.room < 0.65 * h):
                doc.text(_FILLER[k % len(_FILLER)], size=11, indent=22)
                k += 1
        elif key == "requests" and split_requests is None:
            for k in range(rng.choice([0, 0, 1, 3, 6])):
                doc.text(_FILLER[k % len(_FILLER)], size=11, indent=22)
        if key:
            doc.table(report.layout(key), key)
    return doc.finish()
