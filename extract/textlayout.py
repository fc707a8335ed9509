"""Tables whose grid was lost in text, read against the template instead of the layout.

Why this exists: real reports very often reach us as text in which the table structure is gone. A
PDF text layer prints a row as its label and seven numbers on one line (pdftotext -layout and
pdfplumber's ``layout=True`` keep the columns' positions, plain ``extract_text`` does not); a CMS or
flipbook page gives one cell per line or per paragraph; a narrow merged cell comes out one character
per line between the rows it spans; a long label wraps, with its numbers on its last line or on its
first; a PDF converter writes markdown; OCR reads 0 as O. No grid reader recovers columns from these.
What does not change is the template: which rows exist, in which order, how many numbers each row
holds, and which sums must hold. So the reading is anchored on that:

* the text is cut at the section headings (二、主动公开政府信息情况 …) into one region per table, and a
  region into *segments*: a run of label text followed by a run of cells (numbers, dashes, and blank
  cells where the layout shows them: an empty line or paragraph, a cell of only U+3000/NBSP);
  page numbers at form feeds are dropped;
* a segment's row is found from the end of its label text (``schema.match_row`` on the last
  numbered part, restricted to the template's rows; in laid-out text the pieces in the label's own
  column first), so text that is no row label (header words, a group label printed one character
  per line, the tail of the label above) is passed over. A label this template has no row for (a
  group label, the other era's row) ends the search. A row label in that text that falls between the
  previous row and this one in template order is a row printed without numbers (laid-out text only);
  a line between two rows' numbers goes to the label above when only that reading names both rows;
* a row takes its numbers when their count is the row's. Where a layout drops blank cells, the
  columns' positions place the numbers when the text is laid out: complete rows of the same block, or
  its header words, give each column's centre; a markdown cell's position is its column. A word under
  a value column is an unreadable cell, never a blank. Digits split by a space ("1 2") may be one
  number: every way of joining them that gives the row's count is a reading;
* the template is read both ways (2019, 2021); the reading that explains more rows wins, and where
  readings tie the checks decide (``extract.checks``; most passing checks). A real report may carry
  a real arithmetic error, so checks only choose among readings that fit: they never move or invent
  a number. Where no reading fits, or two fit equally, the cells stay empty and a problem says why.

``tables_from_text`` runs the existing text-dump reader (``|`` and tab dumps) first and uses this
reader for each table that one did not read completely, keeping whichever reads more cells (for
markdown this reader, which knows the cells' columns).
"""
from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from dataclasses import dataclass, field

from extract import schema
from extract.checks import run_checks
from extract.grids.textdump import grids_from_text
from extract.schema import PASS, T2019, T2021, TABLE_KEYS, fold, header_table, match_col, match_row, section_table
from extract.tables import CellRecord, TablesResult, explain_missing, parse_tables
from extract.values import ANNOTATED, DASH, NUMBER, parse_value

# ---------------------------------------------------------------------------------------------
# lines and tokens

_TOKEN = re.compile(r"[^ \t]+")
_INVISIBLE = " \t\u3000\xa0\u200b\u200c\u200d\ufeff"
_MD_RULE = re.compile(r"^:?-{3,}:?$")
_MD_BREAK = re.compile(r"<br\s*/?>", re.I)
_PAGE_NO = re.compile(r"^(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?)$")
_PROSE = re.compile(r"[。；！？]")
_OCR = re.compile(r"^([+\-−－]?)([0-9OoIl〇][0-9OoIl〇,，]*(?:[.．][0-9OoIl〇]+)?)(万元|亿元|千元|元|件|个|项|次|条)?$")
_CONFUSABLE = "OoIl〇"
_CONFUSED = str.maketrans({"O": "0", "o": "0", "〇": "0", "I": "1", "l": "1"})
_CJK_DASH = frozenset({"无", "無", "一"})
_PLAIN_DIGITS = re.compile(r"^[0-9]+$")
_NUMBERED = re.compile(r"^[\s\u3000]*(?:[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[、.．)）])")
_HEAD_NUM = re.compile(r"^[一二三四五六七八九十]+[、.．]")
_END_WORDS = ("情况", "问题", "事项", "概述", "措施", "改进")
_MAX_LABEL_PARTS = 8
_MD_COL = 100  # the position a markdown cell stands for, per column


def _dw(s: str) -> int:
    """Display width: a CJK or full-width character takes two columns (as in pdftotext -layout)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


@dataclass
class _Tok:
    kind: str  # 'text' | 'value' | 'blank'
    raw: str  # as printed
    line: float  # line number (a markdown line holding two rows: one number per piece)
    x: int | None = None  # column (character index) where a laid-out token starts
    w: int = 0  # display width
    read: str | None = None  # what the value is read from when that is not ``raw`` (OCR, joined digits)
    note: str = ""

    @property
    def centre(self) -> float:
        return (self.x or 0) + self.w / 2

    @property
    def end(self) -> int:
        return (self.x or 0) + self.w


@dataclass
class _Line:
    no: float
    kind: str  # 'empty' | 'plain' | 'md' | 'rule' (a markdown rule) | 'skip'
    toks: list[_Tok]
    text: str
    width: int = 0  # markdown: cells on the line


def _ocr(tok: str) -> str | None:
    """The number an OCR'd token stands for, where the confusion is unambiguous (1O, l2, O, 〇):
    only digits and the letters OCR takes for them, never a word."""
    m = _OCR.match(tok)
    if not m:
        return None
    body = m.group(2)
    if not any(ch in _CONFUSABLE for ch in body):
        return None
    core = [ch for ch in body if ch not in ",，.．"]
    if not any(ch in "0123456789" for ch in core) and len(core) > 3:
        return None
    read = m.group(1) + body.translate(_CONFUSED) + (m.group(3) or "")
    return read if parse_value(read).kind == NUMBER else None


def _token(raw: str, line: int, x: int | None) -> _Tok:
    w = _dw(raw)
    if not raw.strip(_INVISIBLE):
        return _Tok("blank", raw, line, x, w)
    kind = parse_value(raw).kind
    if kind in (NUMBER, DASH, ANNOTATED):
        return _Tok("value", raw, line, x, w)
    read = _ocr(raw.strip())
    if read is not None:
        return _Tok("value", raw, line, x, w, read, f"OCR: {raw.strip()!r} read as {read}")
    return _Tok("text", raw, line, x, w)


def _read_line(no: int, line: str) -> _Line:
    s = line.rstrip("\r\n")
    st = s.strip()
    if not s.strip(_INVISIBLE):
        return _Line(no, "empty", [], "")
    if _PAGE_NO.match(st):
        return _Line(no, "skip", [], st)
    if st.startswith("|") and st.count("|") >= 2:  # markdown (or a '| a | b |' dump row)
        body = st[1:-1] if st.endswith("|") else st[1:]
        cells = [_MD_BREAK.sub("", c).strip().strip("*").strip() for c in body.split("|")]
        if all(not c or _MD_RULE.match(c) for c in cells):
            return _Line(no, "rule" if any(cells) else "skip", [], st)
        # a cell's position is its column: an empty cell is implied by the gap, as in a laid-out row
        toks = [_token(c, no, i * _MD_COL) for i, c in enumerate(cells) if c]
        for t in toks:
            t.w = 0
        return _Line(no, "md", toks, st, len(cells))
    if st.endswith("|"):  # a ' |' dump cell
        body = st.rstrip("|").strip()
        if not body and st.count("|") > 1:
            return _Line(no, "skip", [], st)
        return _Line(no, "plain", [_token(body, no, None)], st)
    laid_out = "\t" not in s
    toks = [_token(m.group(), no, m.start() if laid_out else None) for m in _TOKEN.finditer(s)]
    text = "".join(t.raw for t in toks if t.kind == "text")
    if _PROSE.search(text):
        return _Line(no, "skip", [], st)
    if ("，" in text or "," in text) and any(
            a.kind == "value" and b.kind == "text" for a, b in zip(toks, toks[1:])):
        return _Line(no, "skip", [], st)  # a sentence with numbers in it
    return _Line(no, "plain", toks, st)


def _heading(line: _Line) -> str | None:
    """The table a section heading introduces, 'end' for another section's heading, else None."""
    if line.kind not in ("plain", "md", "skip") or not line.text:
        return None
    if any(t.kind == "value" for t in line.toks):
        return None
    s = line.text.lstrip("#").strip().strip("*").strip()
    if not s or len(s) > 60:
        return None
    t = section_table(s)
    if t is not None:
        return t
    f = fold(s)
    if _HEAD_NUM.match(f) and len(f) <= 40 and any(w in f for w in _END_WORDS):
        return "end"
    return None


def _regions(lines: list[_Line]) -> dict[str, list[tuple[int, int]]]:
    """Line ranges under each table's section heading (a sub-heading naming the same table, such as
    行政诉讼（复议后起诉） above a split appeals table, stays inside)."""
    out: dict[str, list[tuple[int, int]]] = {}
    cur, start = None, 0
    for i, ln in enumerate(lines):
        h = _heading(ln)
        if h is None or h == cur:
            continue
        if cur is not None:
            out.setdefault(cur, []).append((start, i))
        cur, start = (h if h in TABLE_KEYS else None), i + 1
    if cur is not None:
        out.setdefault(cur, []).append((start, len(lines)))
    return out


# ---------------------------------------------------------------------------------------------
# a region: its mode, items, segments, and the columns' positions


@dataclass
class _Seg:
    texts: list[_Tok]
    cells: list[_Tok]  # values and blanks

    @property
    def has_value(self) -> bool:
        return any(c.kind == "value" for c in self.cells)


def _show(s: str) -> str:
    return re.sub(r"\s+", "", s)[:60]


def _shown(cells) -> str:
    return " | ".join((_show(c.raw) or "(blank)") if c is not None else "(blank)" for c in cells)


class _Region:
    def __init__(self, table: str, lines: list[_Line]):
        self.table = table
        self.markdown = any(ln.kind == "rule" for ln in lines)
        self.lines = [ln for ln in lines if ln.kind not in ("skip", "rule")]
        self._fold_markdown_pieces()
        content = [ln for ln in self.lines if ln.kind in ("plain", "md")]
        self.spaced = any(
            ln.kind in ("plain", "md") and (sum(t.kind == "value" for t in ln.toks) >= 2 or any(
                a.kind == "text" and b.kind == "value" for a, b in zip(ln.toks, ln.toks[1:])))
            for ln in content)
        gaps = []
        for ln in content:
            vals = [t for t in ln.toks if t.kind != "text" and t.x is not None]
            gaps += [b.x - (a.x + len(a.raw)) for a, b in zip(vals, vals[1:])]
        self.aligned = self.spaced and bool(gaps) and sum(g >= 2 for g in gaps) >= 0.7 * len(gaps)
        self.paragraphs = False
        if not self.spaced:
            seen, gap, para_gaps = False, 0, []
            for ln in self.lines:
                if ln.kind == "empty":
                    gap += 1
                    continue
                if seen:
                    para_gaps.append(gap)
                seen, gap = True, 0
            self.paragraphs = bool(para_gaps) and sum(g >= 1 for g in para_gaps) >= 0.6 * len(para_gaps)
        xs = []  # where the value columns begin: the first number after a full row's label text
        for ln in content:
            last_text = max((k for k, t in enumerate(ln.toks) if t.kind == "text"), default=-1)
            vals = [t for t in ln.toks[last_text + 1:] if t.kind == "value" and t.x is not None]
            if len(vals) >= 3:
                xs.append(vals[0].x)
        self.value_start = min(xs) if xs else None
        self._fix_label_area_values(content)
        ends = []
        for ln in content:
            for a, b in zip(ln.toks, ln.toks[1:]):
                if a.kind == "text" and b.kind == "value" and a.x is not None:
                    ends.append(a.end)
        self.label_end = max(ends) if ends else -1
        self.header_lines = {ln.no for ln in content if self._is_header_line(ln)}

    def _fold_markdown_pieces(self) -> None:
        """A converter may run two rows of a table together on one line: cut such a line at the
        table's width, so that each cell keeps its column."""
        widths = [ln.width for ln in self.lines if ln.kind == "md"]
        if not widths:
            return
        width = statistics.mode(widths)
        out: list[_Line] = []
        for ln in self.lines:
            if not (ln.kind == "md" and width and ln.width > width and ln.width % width == 0):
                out.append(ln)
                continue
            pieces = ln.width // width
            for k in range(pieces):
                no = ln.no + k / pieces  # the pieces keep the line's place, in order
                toks = [t for t in ln.toks if t.x // (width * _MD_COL) == k]
                for t in toks:
                    t.x, t.line = t.x % (width * _MD_COL), no
                out.append(_Line(no, "md", toks, ln.text, width))
        self.lines = out

    def _fix_label_area_values(self, content: list[_Line]) -> None:
        """A dash-like character in the label area is label text: 无 of a group label （四）无法提供
        printed one character per line is not a cell printed 无."""
        if not self.spaced:
            return
        for ln in content:
            if ln.kind != "plain":
                continue
            for i, t in enumerate(ln.toks):
                if t.kind != "value":
                    continue
                if self.aligned and self.value_start is not None and t.x is not None:
                    if t.end < self.value_start - 1 and parse_value(t.raw).kind == DASH:
                        t.kind = "text"
                    continue
                nxt = ln.toks[i + 1] if i + 1 < len(ln.toks) else None
                if t.raw in _CJK_DASH and (len(ln.toks) == 1 or (nxt is not None and nxt.kind == "text")):
                    t.kind = "text"

    def stray_text(self, cells: list[_Tok], *texts: list[_Tok]) -> list[_Tok]:
        """Text standing under the value columns on a row's own lines: a cell that is not a number
        (a word, an unreadable OCR token). Its slot is no blank, so the row cannot be placed."""
        if not self.aligned or self.value_start is None:
            return []
        lines = {c.line for c in cells if c.kind == "value"}
        return [t for group in texts for t in group
                if t.line in lines and t.x is not None and t.x >= self.value_start - 1]

    def _is_header_line(self, ln: _Line) -> bool:
        if any(t.kind == "value" for t in ln.toks):
            return False
        for t in ln.toks:
            if t.kind != "text" or _NUMBERED.match(t.raw):
                continue
            if match_row(self.table, t.raw, fuzzy=False) is not None:
                continue
            if match_col(self.table, t.raw) is not None or header_table(t.raw) == self.table:
                return True
        return False

    # -- items and segments ---------------------------------------------------------------------
    def items(self) -> list[_Tok]:
        out: list[_Tok] = []
        seen, gap = False, 0
        for ln in self.lines:
            if ln.kind == "empty":
                gap += 1
                continue
            if seen and gap and not self.spaced:
                n = gap if not self.paragraphs else (gap - 1) // 2
                out += [_Tok("blank", "", ln.no) for _ in range(n)]
            seen, gap = True, 0
            out += ln.toks
        if seen and gap and not self.spaced:  # empty cells at the end of the table
            n = gap if not self.paragraphs else (gap - 1) // 2
            out += [_Tok("blank", "", self.lines[-1].no) for _ in range(n)]
        return out

    def segments(self) -> list[_Seg]:
        segs: list[_Seg] = []
        texts: list[_Tok] = []
        cells: list[_Tok] = []
        for it in self.items():
            if it.kind == "text":
                if cells:
                    segs.append(_Seg(texts, cells))
                    texts, cells = [], []
                texts.append(it)
            elif it.kind == "blank" and not texts and not cells:
                continue  # blanks before any label: spacing or merged slots
            else:
                cells.append(it)
        if texts or cells:
            segs.append(_Seg(texts, cells))
        return segs

    # -- columns --------------------------------------------------------------------------------
    def centres(self, line_no: int, n: int) -> list[float] | None:
        """Column centres for a row on ``line_no`` that needs ``n`` cells: from the complete rows of
        its block (between header lines), else from the header words above it."""
        if not self.aligned:
            return None
        heads = sorted(self.header_lines)
        lo = max((h for h in heads if h < line_no), default=-1)
        hi = min((h for h in heads if h > line_no), default=10 ** 9)
        samples = []
        for ln in self.lines:
            if ln.no == line_no or not lo < ln.no < hi or ln.kind not in ("plain", "md"):
                continue
            vals = [t for t in ln.toks if t.kind == "value" and t.x is not None]
            if len(vals) == n:
                samples.append([t.centre for t in vals])
        if samples:
            out = []
            for k in range(n):
                col = [s[k] for s in samples]
                if max(col) - min(col) > 2.5:
                    return None  # not laid out in columns after all
                out.append(statistics.median(col))
            return out
        return self._header_centres(lo, n) if lo >= 0 else None

    def _header_centres(self, top: float, n: int) -> list[float] | None:
        """Centres of the header words in the run of header lines ending at line ``top`` (the header
        of the row's block: 信息内容 本年新制作数量 …, split over lines or not)."""
        at = next(k for k, ln in enumerate(self.lines) if ln.no == top)
        above: list[_Line] = []
        for ln in reversed(self.lines[:at + 1]):
            if any(t.kind == "value" for t in ln.toks):
                break
            if ln.no in self.header_lines:
                above.append(ln)
        for ln in self.lines[at + 1:]:  # the header's second lines (本年制 / 发件数), down to the first row
            if any(t.kind == "value" for t in ln.toks):
                break
            above.append(ln)
        words: list[tuple[str, float]] = []
        for ln in above:
            run: list[_Tok] = []
            for t in ln.toks + [None]:
                if t is not None and t.kind == "text" and t.x is not None and (
                        not run or (ln.kind == "plain" and t.x == run[-1].x + len(run[-1].raw) + 1)):
                    run.append(t)
                    continue
                if run:
                    text = "".join(r.raw for r in run)
                    x0, x1 = run[0].x, run[-1].end
                    words.append((text, (x0 + x1) / 2))
                run = [t] if t is not None and t.kind == "text" and t.x is not None else []
        centres = sorted(c for text, c in words if c > self.label_end and not self._group_word(text))
        clusters: list[list[float]] = []
        for c in centres:
            if clusters and c - clusters[-1][-1] <= 1.6:
                clusters[-1].append(c)
            else:
                clusters.append([c])
        if len(clusters) != n:
            return None
        return [sum(c) / len(c) for c in clusters]

    def _group_word(self, text: str) -> bool:
        """A merged heading over several columns (申请人情况, 行政诉讼, 复议后起诉): no column's centre."""
        if match_col(self.table, text) is not None:
            return self.table == "appeals" and match_row("appeals", text, fuzzy=False) is not None
        return header_table(text) is not None


def _align(toks: list[_Tok], centres: list[float]) -> list[_Tok | None] | None:
    """Each token into the column whose centre it sits under; None when any is off-column."""
    if len(centres) == 1:
        tol = 4.0
    else:
        tol = min(b - a for a, b in zip(centres, centres[1:])) / 2
    out: list[_Tok | None] = [None] * len(centres)
    last = -1
    for t in toks:
        if t.x is None:
            return None
        k = min(range(len(centres)), key=lambda i: abs(centres[i] - t.centre))
        if abs(centres[k] - t.centre) >= tol or k <= last:
            return None
        out[k] = t
        last = k
    return out


def _joined(group: list[_Tok]) -> _Tok:
    if len(group) == 1:
        return group[0]
    a, b = group[0], group[-1]
    raw = " ".join(t.raw for t in group)
    read = "".join(t.raw for t in group)
    return _Tok("value", raw, a.line, a.x, (b.x or 0) + b.w - (a.x or 0), read,
                f"digits separated by spaces read as one number ({read})")


def _joinable(a: _Tok, b: _Tok) -> bool:
    return (a.line == b.line and a.x is not None and b.x is not None and a.read is None and b.read is None
            and bool(_PLAIN_DIGITS.match(a.raw)) and bool(_PLAIN_DIGITS.match(b.raw))
            and b.x == a.x + len(a.raw) + 1)


_MAX_SPLITS = 2  # numbers per row printed split in two ('1 2'): more is another layout, not a split


def _joinings(toks: list[_Tok], n: int, limit: int = 256) -> list[list[_Tok]]:
    """Every way of reading ``toks`` as ``n`` numbers by joining pairs of digit runs split by one
    space (a number never starts with 0; a row has at most ``_MAX_SPLITS`` such numbers)."""
    out: list[list[_Tok]] = []
    if not 0 < len(toks) - n <= _MAX_SPLITS:
        return out

    def rec(i: int, groups: list[list[_Tok]]) -> None:
        if len(out) > limit:
            return
        left, need = len(toks) - i, n - len(groups)
        if need == 0:
            if left == 0:
                out.append([_joined(g) for g in groups])
            return
        if left < need:
            return
        for size in range(1, min(2, left - need + 1) + 1):
            if size > 1 and (not _joinable(toks[i + size - 2], toks[i + size - 1]) or toks[i].raw.startswith("0")):
                break
            groups.append(toks[i:i + size])
            rec(i + size, groups)
            groups.pop()

    rec(0, [])
    return out


def _trim(cells: list[_Tok], n: int) -> list[_Tok]:
    """Blank cells beyond ``n`` at the end, then at the start, are merged-cell slots or spacing."""
    out = list(cells)
    while len(out) > n and out and out[-1].kind == "blank":
        out.pop()
    while len(out) > n and out and out[0].kind == "blank":
        out.pop(0)
    return out


# ---------------------------------------------------------------------------------------------
# one table under one template


Cells = list  # list[_Tok | None]: one per column, None for a blank cell the layout does not show


@dataclass
class _Reading:
    table: str
    template: str | None
    rows: dict[str, list[Cells]] = field(default_factory=dict)  # row → readings that fit
    problems: list[str] = field(default_factory=list)
    unexplained: int = 0  # segments with numbers that no row took
    named: set[str] = field(default_factory=set)  # rows whose label was found, read or not

    def problem(self, msg: str) -> None:
        if msg not in self.problems:
            self.problems.append(msg)


def _cols(table: str, template: str | None, row: str) -> list[str]:
    tpl = template or T2021
    return [c.key for c in schema.cols(table, tpl, row if table == "active" else None)]


def _value(col: str, tok: _Tok | None):
    if tok is None:
        return None
    return parse_value(tok.read if tok.read is not None else tok.raw, money=(col == "amount")).value


def _values(table: str, template: str | None, row: str, cells: Cells) -> dict:
    return {c: _value(c, t) for c, t in zip(_cols(table, template, row), cells)}


def _find_row(table: str, texts: list[_Tok], allowed: frozenset[str]) -> tuple[str | None, int]:
    """The row a segment's label text names, and where that label starts. Read from the end: the
    label sits right before the numbers; earlier text is header words, group labels, the tail of the
    previous label. In laid-out text a label's lines share its column, while a merged group label
    beside it wraps in its own column and interleaves with it line by line: the pieces in the last
    piece's column are tried first."""
    if texts and texts[-1].x is not None:
        col = [i for i, t in enumerate(texts) if t.x is not None and abs(t.x - texts[-1].x) <= 1]
        if len(col) > 1 and len(col) < len(texts):
            key, start = _find_in(table, [texts[i] for i in col], allowed)
            if key is not None:
                return key, col[start] if start < len(col) else len(texts)
    return _find_in(table, texts, allowed)


def _find_in(table: str, texts: list[_Tok], allowed: frozenset[str]) -> tuple[str | None, int]:
    """Suffixes of the label text, shortest first; a strong match (exact, variant, keyword) wins over
    a fuzzy one of a fragment, and the first conflicting reading ends the label."""
    k = len(texts)
    key, start, strong = None, k, False
    if _ends_with_foreign_label(table, texts, allowed):
        return None, k  # the text right before the numbers is a label this template has no row for
    for j in range(k - 1, max(-1, k - 1 - _MAX_LABEL_PARTS), -1):
        m = _match_label(table, "".join(t.raw for t in texts[j:]), allowed)
        if m is None:
            continue
        is_strong = m.method != "fuzzy"
        if key is None or (not strong and is_strong and m.key != key):
            key, start, strong = m.key, j, is_strong
        elif m.key == key:
            if is_strong and not strong:
                start, strong = j, True
        else:
            break
    return key, start


def _match_label(table: str, text: str, allowed: frozenset[str]):
    """``match_row`` on the last numbered part of joined label text: the parts before it are group
    labels or another row's words (the tail of the label above), never this row's label."""
    parts = schema.split_numbered(fold(text))
    return match_row(table, parts[-1] if len(parts) > 1 else text, allowed)


_GROUP_LABELS = {t: frozenset(schema.norm_label(g) for f in schema.table(t).rows for g in f.group)
                 for t in TABLE_KEYS}


def _ends_with_foreign_label(table: str, texts: list[_Tok], allowed: frozenset[str]) -> bool:
    """The label text ends in a group label (（三）不予公开) or a row of the other template, whole or
    broken over lines: text that names something, so earlier text joined to it (the tail of the
    label above) cannot make it a row of this template."""
    for j in range(len(texts) - 1, max(-1, len(texts) - 4), -1):
        text = "".join(t.raw for t in texts[j:])
        if match_row(table, text, allowed) is not None:
            return False
        m = match_row(table, text, fuzzy=False)
        if (m is not None and m.key not in allowed) or schema.norm_label(text) in _GROUP_LABELS[table]:
            return True
    return False


def _take_tail(table: str, seg: _Seg, nxt: _Seg, allowed: frozenset[str],
               expected: str | None) -> tuple[str | None, int]:
    """A label whose numbers sit on its first line (pdfplumber puts a row's numbers at the height of
    its first label line) continues after them: the line between two rows' numbers is either the
    tail of the label above or the head of the label below. It is the tail when the label above
    reads only with it, as the row the template expects next, and the row below still reads
    without it."""
    if expected is None:
        return None, 0
    head = seg.texts[-1]
    for k in (1, 2):
        tail = nxt.texts[:k]
        if len(tail) < k or (len(nxt.texts) == k and nxt.cells):
            break
        if head.x is not None and any(t.x is None or abs(t.x - head.x) > 1 for t in tail):
            break
        key, start = _find_row(table, seg.texts + tail, allowed)
        below = _find_row(table, nxt.texts[k:], allowed)[0]
        # the row below reads the same without it, or has no numbers (the table ends with the tail)
        if key == expected and below != key and (below == _find_row(table, nxt.texts, allowed)[0]
                                                 or not nxt.has_value):
            nxt.texts = nxt.texts[k:]
            return key, start
    return None, 0


def _earlier_rows(table: str, texts: list[_Tok], between: list[str]) -> list[str]:
    """Row labels inside text before a segment's own label, of rows that must come between the
    previous row and this one: rows printed with no numbers (their line is a label alone)."""
    if not texts or not between:
        return []
    allowed = frozenset(between)
    out: list[str] = []
    a = 0
    while a < len(texts):
        hit = None
        for b in range(min(len(texts), a + 3), a, -1):
            m = match_row(table, "".join(t.raw for t in texts[a:b]), allowed, fuzzy=False)
            if m is not None and m.key not in out and (not out or between.index(m.key) > between.index(out[-1])):
                hit = (m.key, b)
                break
        if hit:
            out.append(hit[0])
            a = hit[1]
        else:
            a += 1
    return out


def _solve_rows(table: str, template: str, region: _Region, segs: list[_Seg]) -> _Reading:
    rows = [f.key for f in schema.rows(table, template)]
    pos = {k: i for i, k in enumerate(rows)}
    need = {k: len(_cols(table, template, k)) for k in rows}
    allowed = frozenset(rows)
    rd = _Reading(table, template)
    prev = -1
    after_unlabelled = False  # numbers before this segment that no row took
    i = 0
    while i < len(segs):
        seg = segs[i]
        i += 1
        key, start = _find_row(table, seg.texts, allowed) if seg.texts else (None, 0)
        nonblank = [c for c in seg.cells if c.kind == "value"]
        if key is None and nonblank and seg.texts and i < len(segs):
            expected = next((r for r in rows[prev + 1:] if r not in rd.rows), None)
            key, start = _take_tail(table, seg, segs[i], allowed, expected)
        if key is None:
            if nonblank:
                rd.unexplained += 1
                if seg.texts:
                    label = "".join(t.raw for t in seg.texts[-3:])
                    rd.problem(f"{table}: unmatched row label {_show(label)!r}; {len(nonblank)} numbers not read")
                else:
                    rd.problem(f"{table}: numbers without a row label ({_shown(seg.cells)}); not read")
                after_unlabelled = True
            continue
        n = need[key]
        if not nonblank and len(seg.cells) < n and (seg.cells or i < len(segs)):
            continue  # a label followed by merged-slot blanks, not a row
        rd.named.add(key)
        if key in rd.rows:
            if nonblank:
                rd.problem(f"{table}: row {key} printed twice; kept the first")
                after_unlabelled = True
            continue
        if pos[key] < prev:
            if nonblank:
                rd.problem(f"{table}: row {key} printed out of the template's order; not read")
                after_unlabelled = True
            continue
        between = [r for r in rows[prev + 1:pos[key]] if r not in rd.rows]
        unlabelled_before, after_unlabelled = after_unlabelled, False
        # after numbers no row could take, a label with none is more likely their label's tail
        earlier = [] if unlabelled_before else _earlier_rows(table, seg.texts[:start], between)
        cells = seg.cells
        if earlier:
            total = n + sum(need[e] for e in earlier)
            both = _trim(cells, total)
            if len(both) == total and len(_trim(cells, n)) != n:
                at = 0
                for r in earlier + [key]:
                    rd.rows[r] = [both[at:at + need[r]]]
                    at += need[r]
                prev = pos[key]
                continue
            for e in earlier:
                if region.spaced:
                    rd.rows[e] = [[None] * need[e]]  # a label alone on its line: the row printed blank
                else:
                    rd.problem(f"{table}: no numbers for row {e}; not read")
        prev = pos[key]
        c = _trim(cells, n)
        stray = region.stray_text(c, seg.texts, segs[i].texts if i < len(segs) else [])
        if stray:
            rd.problem(f"{table}: unreadable value {_show(stray[0].raw)!r} in row {key}; not read ({_shown(c)})")
            after_unlabelled = True
            continue
        if len(c) == n:
            rd.rows[key] = [c]
            continue
        if len(c) > n and i < len(segs):  # the next row's numbers printed before its label
            nxt = segs[i]
            k2, start2 = _find_row(table, nxt.texts, allowed) if nxt.texts else (None, 0)
            after = next((r for r in rows[pos[key] + 1:] if r not in rd.rows), None)
            labelled = [k2] if k2 is not None and not nxt.has_value else (
                _earlier_rows(table, nxt.texts[:start2], [r for r in rows[pos[key] + 1:pos[k2]] if r not in rd.rows])
                if k2 is not None else [])
            if after is not None and labelled[:1] == [after] and len(c) - n == need[after]:
                rd.rows[key] = [c[:n]]
                rd.rows[after] = [c[n:]]
                prev = pos[after]
                if not nxt.has_value:
                    i += 1
                continue
        toks = [t for t in c if t.kind == "value"]
        if region.spaced and not toks and not unlabelled_before:
            rd.rows[key] = [[None] * n]  # a label alone on its line: the row printed blank
            continue
        if not toks:
            rd.problem(f"{table}: no numbers for row {key}; not read")
            continue
        if region.spaced and len(c) < n and len(toks) == len(c):
            centres = region.centres(toks[0].line, n)
            placed = _align(toks, centres) if centres else None
            if placed is not None:
                rd.rows[key] = [placed]
                continue
        if region.spaced and len(c) > n and len(toks) == len(c):
            alts = _joinings(toks, n)
            centres = region.centres(toks[0].line, n) if alts else None
            if centres:
                alts = [a for a in alts if _align(a, centres) is not None]
            if alts:
                rd.rows[key] = alts
                continue
        rd.problem(f"{table}: {len(c)} numbers for row {key}, expected {n}; not read ({_shown(c)})")
        after_unlabelled = True  # numbers left over: a label alone after them may be theirs
    return rd


_GROUPS = tuple(f.key for f in schema.APPEALS_ROWS)
_OUTCOMES = tuple(c.key for c in schema.APPEALS_COLS)


def _solve_appeals(region: _Region, segs: list[_Seg]) -> _Reading:
    """Fifteen numbers in three groups of five: one flat run in template order, or runs of five
    (ten) under their group labels (行政复议 / 未经复议直接起诉 / 复议后起诉)."""
    rd = _Reading("appeals", None)
    per = len(_OUTCOMES)
    for i, seg in enumerate(segs):
        if not seg.has_value:
            continue
        stray = region.stray_text(seg.cells, seg.texts, segs[i + 1].texts if i + 1 < len(segs) else [])
        if stray:
            rd.unexplained += 1
            rd.problem(f"appeals: unreadable value {_show(stray[0].raw)!r}; {_shown(seg.cells)} not read")
            continue
        named: list[str] = []
        texts = [t.raw for t in seg.texts]
        for j in range(len(texts)):  # a group heading may be broken over two lines
            for text in (texts[j], "".join(texts[j:j + 2])):
                m = match_row("appeals", text, fuzzy=False)
                if m is not None and m.key not in named:
                    named.append(m.key)
        unread = [g for g in _GROUPS if g not in rd.rows]
        options = [o for o in ([g for g in named if g in unread], unread) if o]
        if not options:
            rd.unexplained += 1
            rd.problem(f"appeals: numbers for a group already read ({_shown(seg.cells)}); not read")
            continue
        placed: Cells | None = None
        for todo in dict.fromkeys(tuple(o) for o in options):
            n = per * len(todo)
            c = _trim(seg.cells, n)
            toks = [t for t in c if t.kind == "value"]
            if len(c) == n:
                placed = c
            elif region.spaced and len(c) < n and len(toks) == len(c):
                centres = region.centres(toks[0].line, n)
                placed = _align(toks, centres) if centres else None
            if placed is not None:
                break
        rd.named.update(named or options[-1])
        if placed is None:
            n = per * len(options[0])
            c = _trim(seg.cells, n)
            rd.unexplained += 1
            rd.problem(f"appeals: {len(c)} numbers, expected {n}; not read ({_shown(c)})")
            continue
        if len(todo) == len(_GROUPS) and len(named) == len(_GROUPS) and named != list(_GROUPS):
            rd.problem("appeals: group headers not found in order; values read in template order")
        for k, g in enumerate(sorted(todo, key=_GROUPS.index)):
            rd.rows[g] = [placed[k * per:(k + 1) * per]]
    return rd


# ---------------------------------------------------------------------------------------------
# choosing among readings


def _tables_of(rd: _Reading, pick: dict[str, int] | None = None) -> dict:
    out = {}
    for row, alts in rd.rows.items():
        cells = alts[(pick or {}).get(row, 0)]
        out[row] = _values(rd.table, rd.template, row, cells)
    return out


def _passes(table: str, template: str | None, rows: dict) -> int:
    checks = run_checks({table: rows}, template or T2021)
    return sum(c.outcome == PASS for c in checks if c.rule.startswith(table + "."))


def _resolve(rd: _Reading) -> int:
    """Settle rows that several readings fit: the combination with the most passing checks, where it
    is the only one; else those rows are not read. Returns the passing checks of the result."""
    amb = {r: alts for r, alts in rd.rows.items() if len(alts) > 1}
    if amb:
        keys = list(amb)
        combos = list(itertools.islice(itertools.product(*(range(len(amb[k])) for k in keys)), 4097))
        if len(combos) > 4096:
            combos = []
        scored = []
        for combo in combos:
            pick = dict(zip(keys, combo))
            scored.append((_passes(rd.table, rd.template, _tables_of(rd, pick)), pick))
        best = max((s for s, _ in scored), default=None)
        winners = [p for s, p in scored if s == best]
        for k in keys:
            shown = " / ".join("(" + ", ".join("" if v is None else str(v)
                                               for v in _values(rd.table, rd.template, k, a).values()) + ")"
                               for a in amb[k])
            vals = {tuple(_values(rd.table, rd.template, k, amb[k][p[k]]).values()) for p in winners}
            if winners and len(vals) == 1:
                rd.rows[k] = [amb[k][winners[0][k]]]
                rd.problem(f"{rd.table}: row {k}: {len(amb[k])} readings fit ({shown}); kept the one with the "
                           f"most passing checks")
            else:
                del rd.rows[k]
                rd.problem(f"{rd.table}: row {k}: {len(amb[k])} readings fit ({shown}) and the checks do not "
                           f"decide; not read")
    if rd.table == "active":
        return 0
    return _passes(rd.table, rd.template, _tables_of(rd))


def _era_votes(region: _Region, template: str) -> int:
    votes = 0
    for ln in region.lines:
        for t in ln.toks:
            if t.kind == "text":
                m = match_col(region.table, t.raw, fuzzy=False)
                if m is not None and m.era == template:
                    votes += 1
    return votes


def _score(rd: _Reading, passes: int, votes: int) -> tuple:
    expected = len(schema.rows(rd.table, rd.template)) if rd.template else len(_GROUPS)
    read = len(rd.rows)
    return (read - (expected - read) - rd.unexplained, votes, passes, -len(rd.problems))


_MIN_ROWS = {"active": 2, "requests": 2, "appeals": 1}


def _read_region(table: str, region: _Region, hint: str | None) -> _Reading | None:
    """The best reading of one table's region, or None where the region holds no table: fewer rows
    than a table shows (a line such as 行政许可 5 件 in a paragraph is no table)."""
    rd = _read_region_once(table, region, hint)
    if rd is not None and len(rd.named | set(rd.rows)) < _MIN_ROWS[table]:
        return None
    return rd


def _read_region_once(table: str, region: _Region, hint: str | None) -> _Reading | None:
    segs = region.segments()
    if not any(s.has_value for s in segs) and not (region.spaced and any(s.texts for s in segs)):
        return None
    if table == "appeals":
        rd = _solve_appeals(region, segs)
        _resolve(rd)
        return rd if rd.rows or rd.problems else None
    options = []
    for tpl in (T2021, T2019):  # each reading on its own copy: a reading may move a label's tail
        rd = _solve_rows(table, tpl, region, [_Seg(list(s.texts), list(s.cells)) for s in segs])
        passes = _resolve(rd)
        if rd.rows or rd.problems:
            options.append((_score(rd, passes, _era_votes(region, tpl)), tpl, rd))
    if not options:
        return None
    options.sort(key=lambda o: o[0], reverse=True)
    if len(options) > 1 and options[0][0] == options[1][0]:
        a, b = options[0][2], options[1][2]
        same = table != "active" and _tables_of(a) == _tables_of(b)
        if hint in (T2019, T2021):
            return next(o[2] for o in options if o[1] == hint)
        if same:
            return next(o[2] for o in options if o[1] == T2021)
        rd = _Reading(table, None)
        rd.problem(f"{table}: template undetermined (the text fits the 2019 and the 2021 template equally); "
                   f"not read")
        return rd
    return options[0][2]


# ---------------------------------------------------------------------------------------------
# the whole text


@dataclass
class _TableOut:
    table: str
    template: str | None
    tables: dict
    cells: list[CellRecord]
    problems: list[str]
    markdown: bool = False  # read from markdown cells (whose columns the '|' dump reader ignores)


def _finish_table(rd: _Reading) -> _TableOut:
    tables: dict = {}
    cells: list[CellRecord] = []
    tpl = rd.template
    order = [f.key for f in schema.rows(rd.table, tpl or T2021)] if rd.table != "appeals" else list(_GROUPS)
    for row in sorted(rd.rows, key=lambda r: order.index(r) if r in order else 99):
        for col, tok in zip(_cols(rd.table, tpl, row), rd.rows[row][0]):
            raw = "" if tok is None else tok.raw
            cv = parse_value(tok.read if tok is not None and tok.read is not None else raw, money=(col == "amount"))
            note = "; ".join(x for x in ((tok.note if tok is not None else ""), cv.note) if x)
            tables.setdefault(row, {})[col] = cv.value
            cells.append(CellRecord(rd.table, row, col, raw, cv.value, cv.kind, note))
    problems = list(rd.problems)
    if tables and rd.table != "appeals" and tpl is not None:
        expected = [f.key for f in schema.rows(rd.table, tpl)]
        missing = [k for k in expected if k not in tables]
        if missing:
            problems.append(f"{rd.table}: {len(expected) - len(missing)} rows matched, template {tpl} expects "
                            f"{len(expected)} (missing: {', '.join(missing)})")
    elif tables and rd.table == "appeals":
        missing = [g for g in _GROUPS if g not in tables]
        if missing:
            problems.append(f"appeals: groups not read: {', '.join(missing)}")
    return _TableOut(rd.table, tpl, tables, cells, problems)


_PAGE_NUMBER = re.compile(r"^\s*(?:\d{1,3}|[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页.*)\s*$")


def _without_page_numbers(text: str) -> list[str]:
    """The text's lines; where pages are marked (form feeds, as pdftotext and a page-joined PDF text
    layer have them), a page's first or last line that is only its number is dropped: a page number
    between two rows of a table is no cell."""
    pages = text.split("\f")
    if len(pages) == 1:
        return text.splitlines()
    out: list[str] = []
    for page in pages:
        lines = page.splitlines()
        filled = [k for k, ln in enumerate(lines) if ln.strip()]
        for k in {filled[0], filled[-1]} if filled else ():
            if _PAGE_NUMBER.match(lines[k]):
                lines[k] = ""
        out += lines
    return out


def read_text_layout(text: str, hint: str | None = None) -> dict[str, _TableOut]:
    """Each table this reader finds in ``text`` (see the module doc)."""
    lines = [_read_line(i, ln) for i, ln in enumerate(_without_page_numbers(text or ""))]
    out: dict[str, _TableOut] = {}
    regions = _regions(lines)
    for table in ("requests", "active", "appeals"):  # requests first: its era is the best hint for active
        best = None
        for a, b in regions.get(table, []):
            region = _Region(table, lines[a:b])
            rd = _read_region(table, region, hint)
            if rd is None:
                continue
            got = _finish_table(rd)
            got.markdown = region.markdown
            if best is None or len(got.cells) > len(best.cells) or (
                    len(got.cells) == len(best.cells) and len(got.problems) < len(best.problems)):
                best = got
        if best is not None:
            out[table] = best
            if table == "requests" and best.template:
                hint = hint or best.template
    return out


def _complete(res: TablesResult, table: str) -> bool:
    tpl = res.templates.get(table) or res.template
    if not res.found.get(table) or tpl not in (T2019, T2021):
        return False
    have = {(c.row, c.col) for c in res.cells if c.table == table}
    return all(k in have for k in schema.cell_keys(table, tpl))


_MD_RULE_LINE = re.compile(r"^[ \t]*\|(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*$", re.M)
_DOC_LEVEL = ("mixed templates:", "tables published as images", "pre-2019 report", "tables not on the page")
_ABSENCE = re.compile(r"^(?:active|requests|appeals): table (?:not found|published as an image)")


def tables_from_text(text: str, structured: TablesResult | None = None) -> TablesResult:
    """The standard tables of a document known only as text: a text dump, a PDF text layer, a page
    whose tables were flattened, OCR output.

    ``structured`` is what a structure-aware reader already made of the same document (for a PDF, the
    result of its grids); by default the text-dump reader (``|`` and tab cells). Each table it did not
    read completely is read again here, and the reading with more cells is kept."""
    text = text or ""
    base = structured if structured is not None else parse_tables(grids_from_text(text), text)
    markdown = structured is None and _MD_RULE_LINE.search(text) is not None
    if all(_complete(base, t) for t in TABLE_KEYS) and not markdown:
        return base
    hint = base.templates.get("requests") or base.template
    layout = read_text_layout(text, hint if hint in (T2019, T2021) else None)
    base_count = {t: sum(1 for c in base.cells if c.table == t) for t in TABLE_KEYS}
    taken = {t for t, got in layout.items()
             if len(got.cells) > base_count[t] or (got.markdown and len(got.cells) >= base_count[t])}
    # a table found here but not read (a row that fits no reading) says why, instead of 'not found'
    explained = {t for t, got in layout.items() if t not in taken and not base_count[t] and got.problems}
    if not taken and not explained:
        return base
    res = TablesResult(template=None, tables={}, cells=[], problems=[])
    for p in base.problems:
        if p.startswith(_DOC_LEVEL) or _ABSENCE.match(p) or any(p.startswith(f"{t}:") for t in taken | explained):
            continue
        res.problems.append(p)
    eras: dict[str, str | None] = {}
    for t in TABLE_KEYS:
        if t in taken:
            got = layout[t]
            if got.tables:
                res.tables[t] = got.tables
            res.cells += got.cells
            res.problems += got.problems
            eras[t] = got.template
        else:
            if t in base.tables:
                res.tables[t] = base.tables[t]
            res.cells += [c for c in base.cells if c.table == t]
            eras[t] = base.templates.get(t) if base.found.get(t) else None
            if t in explained:
                res.problems += layout[t].problems
    era_a = eras["active"] if eras["active"] in (T2019, T2021) else None
    era_r = eras["requests"] if eras["requests"] in (T2019, T2021) else None
    res.template = era_a or era_r
    if era_a and era_r and era_a != era_r:
        res.problems.append(f"mixed templates: active {era_a}, requests {era_r}")
    for t in TABLE_KEYS:
        res.found[t] = t in res.tables
        res.templates[t] = (eras[t] or res.template) if res.found[t] else None
    res.problems += [p for p in explain_missing(res, text) if not any(p.startswith(f"{t}:") for t in explained)]
    return res


__all__ = ["tables_from_text", "read_text_layout"]
