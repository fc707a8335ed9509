"""Reports as the text that real sources make of them once the table grid is gone.

Each layout copies one way real reports reach us as text (``extract.textlayout`` reads them back):

* ``spaced`` — a PDF text layer as ``pdftotext -layout`` prints it: a row is its label and its numbers
  on one line, each number under its column (``aligned=False``: single spaces, as pdfplumber's
  ``extract_text`` prints it, where blank cells leave no trace);
* ``cell_per_line`` / ``cell_per_paragraph`` — a CMS or flipbook page: one cell per line, or per
  paragraph with blank lines between; an empty cell is an empty line / paragraph;
* ``vertical_group`` — a PDF whose narrow merged cells (三、本年度办理结果, （三）不予公开 …) print one
  character per line, interleaved with the rows they span;
* ``wrapped_labels`` — long row labels wrapped onto following lines, the numbers on the last;
* ``split_headers`` — column headers broken over two lines (本年制发 / 件数);
* ``appeals_flat`` — table 4 as header words and one flat row of 15 cells (an empty cell is &nbsp;);
* ``appeals_split`` — table 4 as three sub-tables of five, each under its group heading;
* ``markdown`` — a PDF converter's markdown: ``|---|`` rules, merged cells left empty, and now and
  then two table rows run together on one line;
* ``ocr_noise`` — OCR of a scanned table: 0 read as O or 〇, 1 as l or I inside numbers.

Everything varies with the report's seed (a dedicated RNG per layout), and labels are printed as the
report spells them (its variants, numbering, line breaks inside labels).
"""
from __future__ import annotations

import random
import unicodedata

from extract.layout import LCell, Layout, positioned
from .sample import CanonicalReport

LAYOUTS: tuple[str, ...] = ("spaced", "cell_per_line", "cell_per_paragraph", "vertical_group", "wrapped_labels",
                            "split_headers", "appeals_flat", "appeals_split", "markdown", "ocr_noise")


def _dw(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _wrap(text: str, width: int) -> list[str]:
    out = []
    for part in text.split("\n"):
        part = part.strip()
        while len(part) > width:
            out.append(part[:width])
            part = part[width:]
        out.append(part)
    return [p for p in out if p] or [""]


# ---------------------------------------------------------------------------------------------
# a laid-out table (pdftotext -layout): texts placed at columns on lines


class _Canvas:
    def __init__(self) -> None:
        self.items: dict[int, list[tuple[int, str]]] = {}

    def put(self, line: int, x: float, text: str) -> None:
        if text.strip():
            self.items.setdefault(line, []).append((max(0, round(x)), text))

    def lines(self, aligned: bool) -> list[str]:
        out = []
        for n in range(max(self.items, default=-1) + 1):
            row = sorted(self.items.get(n, []))
            if not aligned:
                out.append(" ".join(t for _, t in row))
                continue
            s, vis = "", 0
            for x, t in row:
                if s and x < vis + 1:
                    x = vis + 1
                s += " " * (x - len(s)) + t
                vis = x + _dw(t)
            out.append(s)
        return out


def _paint(grid: Layout, rng: random.Random, *, aligned: bool = True, wrap: int | None = None,
           vertical: bool = False, split_heads: bool = False) -> list[str]:
    cells = positioned(grid)
    fv = min((c for cell, _, c in cells if cell.kind == "value"), default=0)
    nrows = len(grid)

    def label_area(cell: LCell, c: int) -> bool:
        return c < fv

    def is_group(cell: LCell, c: int) -> bool:
        return label_area(cell, c) and cell.kind == "label" and cell.rowspan > 1

    # pieces: what each cell prints, line by line
    pieces: dict[int, list[str]] = {}
    leaf: dict[int, tuple[LCell, int]] = {}  # row → its own label cell (the rightmost label starting there)
    for cell, r, c in cells:
        if cell.kind == "label" and not is_group(cell, c) and label_area(cell, c):
            if r not in leaf or c > leaf[r][1]:
                leaf[r] = (cell, c)
    label_width = 0
    for cell, r, c in cells:
        if cell.kind == "value":
            pieces[id(cell)] = [cell.text]
        elif label_area(cell, c) and (cell.kind == "label" or cell.colspan < 4 or fv == 0):
            ps = _wrap(cell.text, wrap) if wrap and cell.kind == "label" else _wrap(cell.text, 10 ** 6)
            if vertical and is_group(cell, c):
                ps = [ch for ch in cell.text if not ch.isspace()]
            pieces[id(cell)] = ps
            if cell.colspan == 1 and not (vertical and is_group(cell, c)):
                label_width = max(label_width, max(_dw(p) for p in ps))
        else:
            ps = _wrap(cell.text, 10 ** 6)
            if split_heads and cell.kind == "head" and len(ps) == 1 and len(ps[0]) >= 4 and (
                    cell.colspan == 1 or label_area(cell, c)):
                cut = cell.brk if 0 < cell.brk < len(ps[0]) else len(ps[0]) // 2
                ps = [ps[0][:cut], ps[0][cut:]]
            pieces[id(cell)] = ps
    note_width = max(8, (label_width or 24) // 2)
    for cell, r, c in cells:  # a header cell over the label columns (the 勾稽关系 note) wraps in its cell
        if label_area(cell, c) and cell.kind == "head" and cell.rowspan > 1:
            pieces[id(cell)] = _wrap(cell.text.replace("\n", ""), note_width)

    # label columns: x positions
    lcols = sorted({c for cell, _, c in cells if label_area(cell, c)})
    widths = {c: 2 for c in lcols}
    for cell, r, c in cells:
        if label_area(cell, c) and cell.colspan == 1:
            widths[c] = max(widths[c], max((_dw(p) for p in pieces[id(cell)]), default=0))
    xs, x = {}, 0
    for c in lcols:
        xs[c] = x
        x += widths[c] + 2

    # vertical group labels: which characters fall on which row
    due: dict[int, list[tuple[int, str]]] = {}
    own_lines: dict[int, bool] = {}
    if vertical:
        for cell, r, c in cells:
            if is_group(cell, c):
                chars = pieces[id(cell)]
                for j, ch in enumerate(chars):
                    due.setdefault(r + (j * cell.rowspan) // len(chars), []).append((c, ch))
        for r in due:
            own_lines[r] = rng.random() < 0.5

    # line heights per row
    lead: dict[int, int] = {}
    height: dict[int, int] = {}
    for r in range(nrows):
        lanes: dict[int, int] = {}
        for c, _ in due.get(r, []):
            lanes[c] = lanes.get(c, 0) + 1
        k = max(lanes.values(), default=0)
        lead[r] = k if own_lines.get(r) else max(0, k - 1)
        tall = 1
        for cell, rr, c in cells:
            if rr == r and cell.rowspan == 1 and not (vertical and is_group(cell, c)):
                tall = max(tall, len(pieces[id(cell)]))
        height[r] = lead[r] + tall
    for cell, r, c in cells:  # a merged cell's text may need more lines than the rows it spans
        if cell.rowspan > 1 and not (vertical and is_group(cell, c)):
            span = sum(height[rr] for rr in range(r, min(nrows, r + cell.rowspan)))
            need = len(pieces[id(cell)])
            if need > span:
                height[min(nrows, r + cell.rowspan) - 1] += need - span
    start, at = {}, 0
    for r in range(nrows):
        start[r] = at
        at += height[r]

    # value columns
    ncols = max(c + cell.colspan for cell, _, c in cells)
    vw = 6
    for cell, r, c in cells:
        if not label_area(cell, c) and cell.colspan == 1:
            vw = max(vw, max((_dw(p) for p in pieces[id(cell)]), default=0) + 3)
    v0 = 0
    for cell, r, c in cells:
        if label_area(cell, c):
            v0 = max(v0, xs[c] + max((_dw(p) for p in pieces[id(cell)]), default=0))
    v0 += 3 if lcols else 0

    def centre(c: int, span: int) -> float:
        return v0 + (c - fv) * vw + span * vw / 2

    canvas = _Canvas()
    for r, chars in due.items():
        lane_line: dict[int, int] = {}
        for c, ch in chars:
            k = lane_line.get(c, 0)
            lane_line[c] = k + 1
            canvas.put(start[r] + k, xs[c], ch)
    for cell, r, c in cells:
        ps = pieces[id(cell)]
        if vertical and is_group(cell, c):
            continue
        if cell.kind == "value":
            line = start[r] + lead[r]
            if r in leaf:
                line += len(pieces[id(leaf[r][0])]) - 1
            p = ps[0]
            canvas.put(line, centre(c, cell.colspan) - _dw(p) / 2, p)
        elif label_area(cell, c):
            first = start[r] + (lead[r] if cell.rowspan == 1 else 0)
            for i, p in enumerate(ps):
                canvas.put(first + i, xs[c], p)
        else:
            for i, p in enumerate(ps):
                canvas.put(start[r] + i, centre(c, min(cell.colspan, ncols - c)) - _dw(p) / 2, p)
    return canvas.lines(aligned)


# ---------------------------------------------------------------------------------------------
# other table shapes


def _cells_in_order(grid: Layout) -> list[str]:
    return [cell.text for cell, _, _ in positioned(grid)]


def _markdown(grid: Layout, rng: random.Random) -> list[str]:
    """A converter's markdown: a merged cell's text in its first slot, the other slots empty."""
    width = max(c + cell.colspan for cell, _, c in positioned(grid))
    rows: list[list[str]] = [[""] * width for _ in grid]
    for cell, r, c in positioned(grid):
        rows[r][c] = cell.text.replace("\n", "<br>" if rng.random() < 0.5 else "")
    lines = []
    pending: list[str] | None = None
    for i, row in enumerate(rows):
        md = "| " + " | ".join(row) + " |"
        if i > 1 and pending is None and rng.random() < 0.12:
            pending = row  # two table pieces on one line
            continue
        if pending is not None:
            md = "| " + " | ".join(pending + row) + " |"
            pending = None
        lines.append(md)
        if i == 0:
            lines.append("|" + "|".join(rng.choice(["---", ":---:", "----"]) for _ in row) + "|")
    if pending is not None:
        lines.append("| " + " | ".join(pending) + " |")
    return lines


def _appeals_flat(report: CanonicalReport, rng: random.Random) -> list[str]:
    """Header words a line per header row, then the fifteen cells single-spaced; an empty cell is the
    &nbsp; (or U+3000) the page put in it."""
    grid = report.layout("appeals")
    lines = []
    for row in grid[:-1]:
        lines.append(" ".join(cell.text.replace("\n", "") for cell in row))
    vals = []
    for cell in grid[-1]:
        t = cell.text
        vals.append(t if t.strip() else (t if t == "\u3000" else "\xa0"))
    lines.append(" ".join(vals))
    return lines


def _appeals_split(report: CanonicalReport, rng: random.Random, aligned: bool) -> list[str]:
    grid = report.layout("appeals")
    values = grid[-1]
    lit = report.group_labels.get("行政诉讼", "行政诉讼").replace("\n", "")
    out = []
    for g, group in enumerate(("review", "litigation_direct", "litigation_after_review")):
        name = report.row_labels["appeals"][group].replace("\n", "")
        out.append(name if group == "review" else f"{lit}（{name}）")
        heads = [report.col_labels["appeals"].get(f"{group}.{k}", report.col_labels["appeals"][k])
                 for k in ("upheld", "corrected", "other", "pending", "total")]
        sub: Layout = [[LCell(h, kind="head") for h in heads],
                       [LCell(v.text, kind="value", key=v.key) for v in values[g * 5:(g + 1) * 5]]]
        out += _paint(sub, rng, aligned=aligned)
    return out


_O = {"0": ("O", "O", "O", "〇"), "1": ("l", "l", "I")}


def _ocr_digits(raw: str, rng: random.Random) -> str:
    if not raw or any(ch in "０１２３４５６７８９" for ch in raw):
        return raw
    chars = list(raw)
    digits = [i for i, ch in enumerate(chars) if ch.isdigit()]
    for i in digits:
        if chars[i] in _O and rng.random() < 0.4:
            chars[i] = rng.choice(_O[chars[i]])
    body = "".join(ch for ch in chars if ch.isdigit() or ch in "OlI〇")
    if len(body) > 3 and not any(ch.isdigit() for ch in chars):
        chars[digits[-1]] = raw[digits[-1]]  # a long token keeps one true digit: never a word
    return "".join(chars)


def _ocr_report(report: CanonicalReport, rng: random.Random) -> CanonicalReport:
    """The same report as an OCR engine misreads it (the canonical values stay the truth)."""
    from dataclasses import replace

    raw = {t: {r: {c: _ocr_digits(v, rng) for c, v in cols.items()} for r, cols in rows.items()}
           for t, rows in report.raw.items()}
    labels = {t: {r: (("l" + v[1:]) if v[:1] == "1" and v[1:2] in ".、．" and rng.random() < 0.4 else v)
                  for r, v in rows.items()} for t, rows in report.row_labels.items()}
    return replace(report, raw=raw, row_labels=labels)


# ---------------------------------------------------------------------------------------------
# the document


_PDF_LIKE = ("spaced", "vertical_group", "wrapped_labels", "split_headers", "appeals_flat", "appeals_split",
             "ocr_noise")


def render_layout(report: CanonicalReport, layout: str, **options) -> str:
    """``report`` as text in ``layout`` (one of ``LAYOUTS``). Options: ``aligned`` (PDF-like layouts:
    keep the columns' positions, default True), ``wrap`` (wrapped_labels: characters per label line)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; layouts are {', '.join(LAYOUTS)}")
    rng = random.Random(f"textlayout:{layout}:{report.seed}:{report.template}")
    aligned = options.get("aligned", True)
    if layout == "ocr_noise":
        report = _ocr_report(report, rng)
    pdf = layout in _PDF_LIKE
    width = rng.randint(30, 42)
    wrap = options.get("wrap") or rng.randint(8, 14)
    lines: list[str] = []
    sep = layout == "cell_per_paragraph" or (layout == "markdown" and rng.random() < 0.7)

    def para(text: str) -> None:
        if pdf:
            lines.extend(_wrap(text, width))
        else:
            lines.append(text)
        if sep:
            lines.append("")

    if rng.random() < 0.8:
        para(report.title)
    for heading, paras, key in report.outline():
        para(("## " + heading) if layout == "markdown" and rng.random() < 0.5 else heading)
        for p in paras:
            para(p)
        if not key:
            continue
        grid = report.layout(key)
        if layout in ("cell_per_line", "cell_per_paragraph"):
            cells = _cells_in_order(grid)
            if layout == "cell_per_line":
                for t in cells:
                    lines += t.split("\n")
            else:
                lines.append("\n\n".join(cells))
                lines.append("")
        elif layout == "markdown":
            lines += _markdown(grid, rng)
            if sep:
                lines.append("")
        elif key == "appeals" and layout == "appeals_flat":
            lines += _appeals_flat(report, rng)
        elif key == "appeals" and layout == "appeals_split":
            lines += _appeals_split(report, rng, aligned)
        else:
            lines += _paint(grid, rng, aligned=aligned,
                            wrap=wrap if layout == "wrapped_labels" else None,
                            vertical=layout == "vertical_group" and key == "requests",
                            split_heads=layout == "split_headers")
    return "\n".join(lines) + "\n"


__all__ = ["LAYOUTS", "render_layout"]
