"""Grids → the three standard tables in canonical form, with what could not be read.

``parse_tables(grids, text)`` takes the grids of one document (any format; see extract.grids) and
returns a :class:`TablesResult`: the era (``template``), the canonical ``tables`` dict
(table → row → column → value, as in the project's schema documentation; absent tables omitted),
one :class:`CellRecord` per cell read (raw text kept), the ``problems`` met (plain strings that
start with the table key or a fixed phrase, so they can be counted and faceted), and ``found``.

How a grid is read:

* rows are classified as *header* rows (column labels, merged group headings, section titles such
  as 第二十条第（一）项), *data* rows (a row label and values) or neither;
* a block of header rows maps each column to a canonical column by the header texts above it
  (leaf first, then its merged groups): 自然人 / 商业企业 / … / 总计, 本年制发件数 …, and for
  ``appeals`` the group (行政复议 / 未经复议直接起诉 / 复议后起诉) × outcome;
* a data row's label is its last text cell outside the value columns (merged row-label cells such
  as 三、本年度办理结果 are labels, never values: they are text, and ``Grid.origin`` tells a merged
  copy from a cell of the row); it is matched by meaning (extract.schema.match_row), never guessed;
* values are read through extract.values; money columns are normalised to 万元;
* a grid with no header block continues the table before it (a table Word split at a page
  break): the same columns by position if the width is the same, else the same column order;
  with no header at all, values are read in the template's column order and that is reported;
* text-dump grids (``source == "text"``, rows anchored on labels) are read in template order.

The era is decided from header texts and row labels, per table (a 2023 report may print the 2019
single （六）其他处理 row), never from the year.

Problems (``{t}`` is a table key; the text before the first '(' or quote is stable, for faceting):

* whole document: ``pre-2019 report: no standard tables`` · ``tables published as images: none
  extracted`` · ``tables not on the page: see linked documents (N linked: pdf, …)`` ·
  ``mixed templates: active 2021, requests 2019``
* a table: ``{t}: table not found`` · ``{t}: table published as an image`` · ``{t}: table not found
  (its section is empty: published as an image?)`` · ``{t}: template undetermined (…)`` ·
  ``{t}: headers or rows of both templates; read as …`` · ``{t}: N rows matched, template T expects
  M (missing: …)`` · ``{t}: columns mapped by position (no header)`` · ``{t}: columns mapped by
  position (header not recognised: …)`` · ``{t}: column headers not (all) recognised; values read
  in template order`` (text dumps) · ``appeals: group headers not found in order; …``
* a row: ``{t}: unmatched row label '…'`` · ``{t}: values without a row label (…)`` ·
  ``{t}: row R printed twice; kept …`` · ``{t}: row R ('…') is not in the T template; kept`` ·
  ``{t}: row R has k values, expected n; not read (…)`` · ``{t}: row R has k values (a | b | c)
  under one column header '…'; kept the first`` · ``{t}: row R: no value for …`` ·
  ``{t}: row R not read (template undetermined)`` · ``appeals: k values, expected 15; not read``
* a cell: ``{t}: unreadable value '…' at row.col`` · ``{t}: value '…' in a column whose header is
  not recognised (…); not read`` · ``{t}: column C is not expected for row R; not read``
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from extract import schema
from extract.grids import Grid
from extract.schema import (GENERIC_LABELS, T2019, T2021, TABLE_KEYS, fold, header_table, match_col, match_row,
                            norm_label, section_table)
from extract.values import ANNOTATED, BLANK, DASH, NUMBER, TEXT, CellValue, parse_value

# problem phrases that do not start with a table key
IMAGES_NONE = "tables published as images: none extracted"
PRE2019_NONE = "pre-2019 report: no standard tables"
DOCUMENTS_NONE = "tables not on the page: see linked documents"
_DOC_EXT = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|ofd)(?:$|[?#&])", re.I)


@dataclass
class CellRecord:
    table: str
    row: str
    col: str
    raw: str
    value: int | float | None
    kind: str
    note: str = ""
    source: str | None = None  # 'ocr' when read from a picture; None: the document's own text
    confidence: float | None = None  # OCR confidence of the cell (0..1)


@dataclass
class TablesResult:
    template: str | None
    tables: dict
    cells: list[CellRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    found: dict[str, bool] = field(default_factory=dict)
    templates: dict[str, str | None] = field(default_factory=dict)  # era per table, as printed

    def to_json(self) -> dict:
        """The tables part of the one-document JSON shape (template, tables, problems)."""
        return {"template": self.template, "tables": self.tables, "problems": list(self.problems)}


# ---------------------------------------------------------------------------------------------
# internal structures


@dataclass
class _Cell:
    c: int
    origin: tuple[int, int]
    text: str
    cv: CellValue
    own: bool  # the cell belongs to this row (not a rowspan copy from above)
    span: int  # how many columns of this row it covers


@dataclass
class _ColMap:
    group: str | None  # appeals: the group (row) the column belongs to
    key: str
    header: str  # the header text that named it
    origin_col: int  # column of that header cell's origin


@dataclass
class _Map:
    table: str | None
    cols: dict[int, _ColMap]
    width: int
    unmapped: dict[int, str]  # value-area columns whose header was not recognised

    def order(self) -> list[_ColMap]:
        seen, out = set(), []
        for c in sorted(self.cols):
            cm = self.cols[c]
            if (cm.group, cm.key) not in seen:
                seen.add((cm.group, cm.key))
                out.append(cm)
        return out


@dataclass
class _Reading:
    table: str
    row: str
    label: str
    mapped: list[tuple[str, str, bool, str]] | None = None  # (col, raw, under the header's own column, header)
    run: list[str] = field(default_factory=list)  # the row's values in order (positional reading)
    order: list[str] | None = None  # column keys for a positional reading (None: the template's)
    reason: str = ""  # why positional: 'no header' | 'text' | 'stitched' | ''
    quality: int = 0  # 2: columns named by header cells, 1: stitched or text dump, 0: no header
    unmapped: list[tuple[str, str]] = field(default_factory=list)  # (header, raw) of values in unknown columns


@dataclass
class _Acc:
    readings: list[_Reading] = field(default_factory=list)
    eras: Counter = field(default_factory=Counter)
    header_cols: set[str] = field(default_factory=set)  # column keys named by header text (text dumps)
    header_groups: list[str] = field(default_factory=list)  # appeals group order seen in text dumps


class _Reader:
    def __init__(self) -> None:
        self.acc: dict[str, _Acc] = {t: _Acc() for t in TABLE_KEYS}
        self.problems: list[str] = []
        self.table: str | None = None
        self.mapping: _Map | None = None
        self.order_only = False
        self.prev_context: str | None = None
        self._cv: dict[str, CellValue] = {}
        self._row_label: dict[tuple[str | None, str], bool] = {}
        self.buf: list[_Reading] = []  # readings of the grid being read

    def add(self, rd: _Reading) -> None:
        rd.quality = 2 if rd.mapped is not None else (0 if rd.reason == "no header" else 1)
        self.buf.append(rd)

    def commit(self, anchored: bool) -> bool:
        """Keep the grid's readings. A grid with no header, no section heading and no table before
        it in the same section must show at least two rows of a table (one stray label such as
        行政许可 in a summary table is not the standard table)."""
        n = Counter(rd.table for rd in self.buf)
        kept = False
        for rd in self.buf:
            if anchored or n[rd.table] >= 2:
                self.acc[rd.table].readings.append(rd)
                kept = True
        self.buf = []
        return kept

    # -- helpers --------------------------------------------------------------------------------
    def cv(self, raw: str) -> CellValue:
        v = self._cv.get(raw)
        if v is None:
            v = self._cv[raw] = parse_value(raw)
        return v

    def problem(self, msg: str) -> None:
        if msg not in self.problems:
            self.problems.append(msg)

    def is_row_label(self, text: str) -> bool:
        key = (self.table, text)
        hit = self._row_label.get(key)
        if hit is None:
            hit = _strong_table(text) is not None or (
                self.table is not None and match_row(self.table, text) is not None)
            self._row_label[key] = hit
        return hit

    # -- structured grids -----------------------------------------------------------------------
    def row_cells(self, g: Grid, r: int) -> list[_Cell]:
        out: list[_Cell] = []
        seen: dict[tuple[int, int], _Cell] = {}
        for c in range(g.n_cols):
            o = g.origin[r][c]
            prev = seen.get(o)
            if prev is not None:
                prev.span += 1
                continue
            text = g.cells[r][c]
            cell = _Cell(c, o, text, self.cv(text), o[0] == r, 1)
            seen[o] = cell
            out.append(cell)
        return out

    def classify(self, cells: list[_Cell], width: int) -> str:
        """'data' (a row label and/or values), 'header' (column labels, group or section titles),
        'empty' or 'other'."""
        if all(x.cv.kind == BLANK for x in cells):
            return "empty"
        if any(x.own and x.cv.kind in (NUMBER, ANNOTATED) for x in cells):
            return "data"
        own_text = [x for x in cells if x.own and x.cv.kind == TEXT]
        if not own_text:  # dashes (or nothing) of its own: a row of values printed as '/'
            return "data" if any(x.own and x.cv.kind == DASH for x in cells) else "empty"
        if len(own_text) == 1 and self.is_row_label(own_text[0].text):
            return "data"
        if any(header_table(x.text) is not None for x in own_text):
            return "header"
        if self.is_row_label(own_text[-1].text):
            return "data"
        if len(own_text) >= 2 or own_text[0].span >= max(2, 0.6 * width):
            return "header"
        return "other"

    def build_map(self, g: Grid, rows: list[int], hint: str | None) -> _Map:
        paths: dict[int, list[tuple[str, tuple[int, int]]]] = {c: [] for c in range(g.n_cols)}
        texts: dict[tuple[int, int], str] = {}
        for r in rows:
            for c in range(g.n_cols):
                t = g.cells[r][c]
                if not t.strip() or self.cv(t).kind == BLANK:
                    continue
                o = g.origin[r][c]
                texts[o] = t
                if not paths[c] or paths[c][-1][1] != o:
                    paths[c].append((t, o))
        votes: Counter = Counter()
        for t in texts.values():
            ht = header_table(t)
            if ht in TABLE_KEYS:
                votes[ht] += 1
        table = votes.most_common(1)[0][0] if votes else hint
        m = _Map(table, {}, g.n_cols, {})
        if table is None:
            return m
        acc = self.acc[table]
        for c, path in paths.items():
            if not path:
                continue
            if table == "appeals":
                group = outcome = None
                for t, o in reversed(path):
                    if outcome is None:
                        mc = match_col("appeals", t)
                        if mc is not None:
                            outcome = _ColMap(None, mc.key, t, o[1])
                            continue
                    if group is None:
                        mg = match_row("appeals", t, fuzzy=False)
                        if mg is not None:
                            group = mg.key
                if outcome is not None:
                    outcome.group = group
                    m.cols[c] = outcome
                else:
                    m.unmapped[c] = path[-1][0]
                continue
            for t, o in reversed(path):
                mc = match_col(table, t)
                if mc is not None:
                    m.cols[c] = _ColMap(None, mc.key, t, o[1])
                    if mc.era:
                        acc.eras[mc.era] += 1
                    break
            else:
                m.unmapped[c] = path[-1][0]
        if not m.cols:  # no column recognised: not a header of a standard table
            m.table = None
        return m

    def read_grid(self, g: Grid) -> None:
        ctx_table = _context_table(g.context)
        anchored = ctx_table is not None
        if g.context and g.context == self.prev_context and self.table is not None:
            anchored = True  # the same section: a continuation (Word split the table), keep the state
        elif ctx_table is not None and ctx_table == self.table:
            pass
        else:
            self.table, self.mapping = ctx_table, None
        self.prev_context = g.context
        self.order_only = self.mapping is not None and self.mapping.width != g.n_cols
        pending: list[str] = []
        header: list[int] = []
        for r in range(g.n_rows):
            cells = self.row_cells(g, r)
            kind = self.classify(cells, g.n_cols)
            if kind == "header":
                header.append(r)
                continue
            after_header = bool(header)
            if header:
                self.set_map(self.build_map(g, header, self.table or ctx_table))
                anchored = anchored or self.mapping.table is not None
                header = []
            if kind == "empty" and after_header and self.mapping.table == "appeals" and any(
                    cm.group for cm in self.mapping.cols.values()):
                kind = "data"  # the appeals values row printed all blank
            if kind == "data":
                self.data_row(g, r, cells, pending)
        if header:  # a header block with its values in the next grid
            self.set_map(self.build_map(g, header, self.table or ctx_table))
        contributed = self.commit(anchored)
        if contributed:
            for p in pending:
                self.problem(p)

    def set_map(self, m: _Map) -> None:
        self.mapping = m
        self.order_only = False
        if m.table is not None:
            self.table = m.table

    def match_leaf(self, labels: list[str]) -> tuple[str | None, str | None]:
        """(table, row) for a row's labels: the current table first, then a strong match elsewhere."""
        if not labels:
            return None, None
        leaf = labels[-1]
        tries = [leaf] + ([labels[-2] + leaf] if len(labels) > 1 else [])
        if self.table is not None:
            for t in tries:
                mr = match_row(self.table, t)
                if mr is not None:
                    return self.table, mr.key
        st = _strong_table(leaf)
        if st is not None:
            return st
        return None, None

    def data_row(self, g: Grid, r: int, cells: list[_Cell], pending: list[str]) -> bool:
        m = self.mapping if self.mapping is not None and self.mapping.table is not None else None
        by_col = m is not None and not self.order_only and m.table == self.table
        mapped_cols = m.cols if by_col else {}
        labels = [x.text for x in cells if x.cv.kind == TEXT and x.c not in mapped_cols]
        last_text = max((i for i, x in enumerate(cells) if x.cv.kind == TEXT), default=-1)
        run = [x.text for x in cells[last_text + 1:] if x.own]
        has_value = any(x.own and x.cv.kind not in (TEXT, BLANK) for x in cells)
        table, row = self.match_leaf(labels)
        if table is not None and table != self.table:
            self.table = table
            by_col = m is not None and m.table == table and not self.order_only
            mapped_cols = m.cols if by_col else {}
        if row is None:
            if m is not None and m.table == "appeals" and self.table == "appeals" and any(
                    cm.group for cm in m.cols.values()):
                return self.appeals_row(cells, m, by_col)
            if has_value and self.table is not None:
                if labels:
                    pending.append(f"{self.table}: unmatched row label {_show(labels[-1])!r}")
                else:
                    pending.append(f"{self.table}: values without a row label (row {r + 1} of a table)")
            return False
        rd = _Reading(self.table, row, labels[-1] if labels else "")
        if by_col:
            rd.mapped = []
            for x in cells:
                if not x.own:
                    continue
                cm = mapped_cols.get(x.c)
                if cm is not None:
                    rd.mapped.append((cm.key, x.text, x.c == cm.origin_col, cm.header))
                elif x.cv.kind not in (TEXT, BLANK):
                    rd.unmapped.append((m.unmapped.get(x.c, ""), x.text))
            rd.run = run
        else:
            rd.run = run
            if m is not None and m.table == self.table and self.order_only:
                rd.order, rd.reason = [cm.key for cm in m.order()], "stitched"
            else:
                rd.reason = "no header"
        self.add(rd)
        return True

    def appeals_row(self, cells: list[_Cell], m: _Map, by_col: bool) -> bool:
        if by_col:
            per: dict[str, list[tuple[str, str, bool, str]]] = {}
            for x in cells:
                cm = m.cols.get(x.c)
                if x.own and cm is not None and cm.group:
                    per.setdefault(cm.group, []).append((cm.key, x.text, x.c == cm.origin_col, cm.header))
            for grp, vals in per.items():
                self.add(_Reading("appeals", grp, "", mapped=vals))
            return bool(per)
        order = m.order()
        run = [x.text for x in cells if x.own and x.cv.kind != TEXT]
        run = _trim(run, len(order))
        if len(run) != len(order):
            self.problem(f"appeals: {len(run)} values under a {len(order)}-column header; not read")
            return False
        per2: dict[str, list[tuple[str, str, bool, str]]] = {}
        for cm, raw in zip(order, run):
            per2.setdefault(cm.group or "", []).append((cm.key, raw, True, cm.header))
        for grp, vals in per2.items():
            if grp:
                self.add(_Reading("appeals", grp, "", mapped=vals))
        return True

    # -- text dumps -----------------------------------------------------------------------------
    def read_text_grid(self, g: Grid) -> None:
        ctx_table = _context_table(g.context)
        rows: list[tuple[list[str], list[str]]] = []
        for r in range(g.n_rows):
            labels, values = [], []
            for c in range(g.n_cols):
                if g.is_merged_copy(r, c):
                    continue
                t = g.cells[r][c]
                (labels if self.cv(t).kind == TEXT and not values else values).append(t)
            rows.append((labels, values))
        votes: Counter = Counter()
        for labels, _ in rows:
            for t in labels:
                ht = header_table(t)
                if ht in TABLE_KEYS:
                    votes[ht] += 1
        if ctx_table is not None:
            self.table = ctx_table
        elif votes:
            self.table = votes.most_common(1)[0][0]
        pending: list[str] = []
        for labels, values in rows:
            heads = [t for t in labels if header_table(t) in TABLE_KEYS]
            if self.table is not None:
                for t in labels:
                    if header_table(t) is not None:
                        self.note_text_header(self.table, t)
            row_labels = [t for t in labels if t not in heads]
            table, row = self.match_leaf(labels)
            if row is None and row_labels and row_labels[-1] != (labels[-1] if labels else None):
                table, row = self.match_leaf(row_labels)
            row_labels = row_labels or labels
            if table is not None and table != self.table:
                self.table = table
            has_value = any(self.cv(v).kind != BLANK for v in values)
            if (row is not None and not has_value and header_table(labels[-1]) is not None
                    and not _NUMBERED.match(labels[-1])):
                continue  # blank slots after a header word (总计, 复议后起诉 …), not a row printed blank
            if row is None:
                if self.table == "appeals" and values:
                    self.text_appeals(values)
                    continue
                if has_value and self.table is not None and row_labels:
                    pending.append(f"{self.table}: unmatched row label {_show(row_labels[-1])!r}")
                continue
            self.add(_Reading(self.table, row, labels[-1] if labels else "", run=values, reason="text"))
        contributed = self.commit(ctx_table is not None or bool(votes))
        if contributed:
            for p in pending:
                self.problem(p)

    def note_text_header(self, table: str, text: str) -> None:
        acc = self.acc[table]
        if table == "appeals":
            mg = match_row("appeals", text, fuzzy=False)
            if mg is not None:
                acc.header_groups.append(mg.key)
                return
        mc = match_col(table, text)
        if mc is not None:
            acc.header_cols.add(mc.key)
            if mc.era:
                acc.eras[mc.era] += 1

    def text_appeals(self, values: list[str]) -> bool:
        acc = self.acc["appeals"]
        outcomes = [c.key for c in schema.APPEALS_COLS]
        groups = [f.key for f in schema.APPEALS_ROWS]
        vals = _trim(values, len(groups) * len(outcomes))
        if len(vals) == len(outcomes):  # one group's five numbers
            return False
        if len(vals) != len(groups) * len(outcomes):
            self.problem(f"appeals: {len(vals)} values, expected {len(groups) * len(outcomes)}; not read")
            return False
        seen = [g for i, g in enumerate(acc.header_groups) if g not in acc.header_groups[:i]]
        if seen != groups:
            self.problem("appeals: group headers not found in order; values read in template order")
        for i, grp in enumerate(groups):
            self.add(_Reading("appeals", grp, "", run=vals[i * 5:(i + 1) * 5], reason="text"))
        return True


# ---------------------------------------------------------------------------------------------
# module helpers


_NUMBERED = re.compile(r"^[\s\u3000]*(?:[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[、.．)）])")


def _show(s: str) -> str:
    return re.sub(r"\s+", "", s)[:60]


def _strong_table(text: str) -> tuple[str, str] | None:
    """(table, row) when a label names a row of exactly one table without fuzziness."""
    n = norm_label(text)
    if not n or n in GENERIC_LABELS:
        return None
    hits = []
    for t in TABLE_KEYS:
        mr = match_row(t, text, fuzzy=False)
        if mr is not None:
            hits.append((t, mr.key))
    return hits[0] if len(hits) == 1 else None


def _context_table(context: str) -> str | None:
    for line in reversed((context or "").split("\n")):
        t = section_table(line)
        if t is not None:
            return t
    return None


def _trim(vals: list[str], n: int) -> list[str]:
    """Drop blank cells at the end, then at the start, while there are more than ``n`` values:
    the slots of merged cells around a row, never its values."""
    out = list(vals)
    while len(out) > n and out and not _nonblank(out[-1]):
        out.pop()
    while len(out) > n and out and not _nonblank(out[0]):
        out.pop(0)
    return out


def _nonblank(raw: str) -> bool:
    return parse_value(raw).kind != BLANK


_PRE2019_MARKS = ("依申请公开政府信息情况", "政府信息公开咨询处理情况", "咨询处理情况", "政府信息公开支出",
                  "收费及减免情况", "不予公开政府信息情况")
_POST2019_MARKS = ("收到和处理政府信息公开申请",)
_SECTION_LINE = re.compile(r"^[\s\u3000\u00a0]*[一二三四五六七八九十]+[、.．]")


def _sections_empty(text: str) -> dict[str, bool]:
    """For a text with line structure: table → True when its section heading is followed directly by
    the next section heading (or the end): the table is not in the text (e.g. an image)."""
    lines = [ln for ln in (text or "").splitlines() if re.search(r"[^\s\u3000\u00a0]", ln)]
    out: dict[str, bool] = {}
    for i, ln in enumerate(lines):
        if not _SECTION_LINE.match(ln):
            continue
        t = section_table(ln)
        if t is None or t in out:
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        out[t] = not nxt or bool(_SECTION_LINE.match(nxt) and len(fold(nxt)) <= 40)
    return out


def _image_tables(images) -> set[str]:
    out: set[str] = set()
    for im in images or ():
        t = section_table(getattr(im, "alt", "") or "")
        if t is None:
            ctx = getattr(im, "context", "") or ""
            last = ctx.split("\n")[-1] if ctx else ""
            t = section_table(last) if _SECTION_LINE.match(last) or len(fold(last)) <= 30 else None
        if t is not None:
            out.add(t)
    return out


# ---------------------------------------------------------------------------------------------
# finalisation: eras, values, coverage


def _eras(reader: _Reader) -> dict[str, str | None]:
    eras: dict[str, str | None] = {}
    act = reader.acc["active"]
    rows_active = {rd.row for rd in act.readings}
    if rows_active & {"other_services", "procurement"}:
        act.eras[T2019] += 2
    req = reader.acc["requests"]
    rows_req = {rd.row for rd in req.readings}
    if rows_req & {"other_no_correction", "other_fee_unpaid", "other_misc"}:
        req.eras[T2021] += 2
    if "other_total" in rows_req:
        req.eras[T2019] += 2
    for t in TABLE_KEYS:
        votes = reader.acc[t].eras
        if not votes:
            eras[t] = None
            continue
        (top, n), *rest = votes.most_common()
        if rest and rest[0][1] == n:
            reader.problem(f"{t}: headers or rows of both templates; read as {T2021}")
            top = T2021
        elif rest:
            reader.problem(f"{t}: headers or rows of both templates; read as {top}")
        eras[t] = top
    return eras


def _assign(res: TablesResult, table: str, row: str, col: str, raw: str) -> None:
    cv = parse_value(raw, money=(col == "amount"))
    res.tables.setdefault(table, {}).setdefault(row, {})[col] = cv.value
    res.cells.append(CellRecord(table, row, col, raw, cv.value, cv.kind, cv.note))
    if cv.kind == TEXT:
        res.problems.append(f"{table}: unreadable value {_show(raw)!r} at {row}.{col}")


def _finish(reader: _Reader, text, images, documents=None) -> TablesResult:
    eras = _eras(reader)
    overall = eras["active"] or eras["requests"]
    if eras["active"] and eras["requests"] and eras["active"] != eras["requests"]:
        reader.problem(f"mixed templates: active {eras['active']}, requests {eras['requests']}")
    res = TablesResult(template=overall, tables={}, problems=reader.problems)
    positional_noted: set[str] = set()
    for t in TABLE_KEYS:
        acc = reader.acc[t]
        tpl = eras[t] or overall or (T2021 if t == "appeals" else None)
        res.templates[t] = eras[t] or (overall if acc.readings else None)
        if acc.readings and tpl is None and t != "appeals":
            reader.problem(f"{t}: template undetermined (no era-specific header or row)")
        valid_rows = {f.key for f in schema.rows(t, tpl)} if tpl else None
        done: dict[str, int] = {}
        for rd in sorted(acc.readings, key=lambda x: -x.quality):
            expected = _expected_cols(t, tpl, rd.row)
            if rd.row in done:
                how = "the first" if done[rd.row] == rd.quality else "the one read under its column headers"
                reader.problem(f"{t}: row {rd.row} printed twice; kept {how}")
                continue
            if valid_rows is not None and rd.row not in valid_rows:
                reader.problem(f"{t}: row {rd.row} ({_show(rd.label)!r}) is not in the {tpl} template; kept")
                expected = _expected_cols(t, T2019 if tpl == T2021 else T2021, rd.row)
            if _read_row(res, reader, t, rd, expected, positional_noted):
                done[rd.row] = rd.quality
        res.found[t] = t in res.tables
        if t in res.tables and tpl is not None:
            _coverage(reader, res, t, tpl)
    _missing(reader, res, text, images, documents)
    return res


def _expected_cols(table: str, tpl: str | None, row: str) -> list[str] | None:
    if table != "active":
        return [c.key for c in schema.cols(table, tpl or T2021)]
    if tpl is None:
        return None
    try:
        return [c.key for c in schema.cols("active", tpl, row)]
    except KeyError:
        return None


def _read_row(res: TablesResult, reader: _Reader, t: str, rd: _Reading, expected: list[str] | None,
              positional_noted: set[str]) -> bool:
    if rd.mapped is not None:
        by: dict[str, list[tuple[str, bool, str]]] = {}
        for col, raw, pref, head in rd.mapped:
            by.setdefault(col, []).append((raw, pref, head))
        complete = expected is None or all(k in by for k in expected)
        if not complete and rd.unmapped:
            vals = _trim(rd.run, len(expected))
            if len(vals) == len(expected):
                heads = ", ".join(sorted({_show(h) for h, _ in rd.unmapped if h}))
                reader.problem(f"{t}: columns mapped by position (header not recognised: {heads or '-'})")
                for col, raw in zip(expected, vals):
                    _assign(res, t, rd.row, col, raw)
                return True
        wrote = False
        for col, cands in by.items():
            if expected is not None and col not in expected:
                if any(_nonblank(raw) for raw, _, _ in cands):
                    reader.problem(f"{t}: column {col} is not expected for row {rd.row}; not read")
                continue
            keep = next((c for c in cands if c[1]), cands[0])
            if len(cands) > 1:
                nonblank = [c for c in cands if _nonblank(c[0])]
                same = len({parse_value(c[0]).value for c in cands}) == 1  # a merged cell copied to each slot
                if not same and (len(nonblank) > 1 or (nonblank and nonblank[0] is not keep)):
                    shown = " | ".join(_show(c[0]) for c in cands)
                    reader.problem(f"{t}: row {rd.row} has {len(cands)} values ({shown}) under one column header "
                                   f"{_show(keep[2])!r}; kept the first")
            _assign(res, t, rd.row, col, keep[0])
            wrote = True
        for head, raw in rd.unmapped:
            reader.problem(f"{t}: value {_show(raw)!r} in a column whose header is not recognised "
                           f"({_show(head) or 'no header'}); not read")
        if expected is not None and wrote:
            missing = [k for k in expected if k not in by]
            if missing:
                reader.problem(f"{t}: row {rd.row}: no value for {', '.join(missing)}")
        return wrote
    keys = rd.order or expected
    if keys is None:
        reader.problem(f"{t}: row {rd.row} not read (template undetermined)")
        return False
    vals = _trim(rd.run, len(keys))
    if rd.reason == "no header" and t not in positional_noted:
        positional_noted.add(t)
        reader.problem(f"{t}: columns mapped by position (no header)")
    if rd.reason == "text" and t not in positional_noted:
        acc = reader.acc[t]
        need = set(expected or []) if t != "appeals" else set()
        if need and not need <= acc.header_cols:
            positional_noted.add(t)
            reader.problem(f"{t}: column headers not (all) recognised; values read in template order")
    if len(vals) == len(keys):
        for col, raw in zip(keys, vals):
            _assign(res, t, rd.row, col, raw)
        return True
    if len(vals) > len(keys) == 1:
        shown = " | ".join(_show(v) for v in vals)
        head = _col_label(t, keys[0], res.templates.get(t))
        if len({parse_value(v).value for v in vals}) > 1:
            reader.problem(f"{t}: row {rd.row} has {len(vals)} values ({shown}) under one column header "
                           f"{head!r}; kept the first")
        _assign(res, t, rd.row, keys[0], vals[0])
        return True
    shown = " | ".join(_show(v) or "(blank)" for v in vals)
    reader.problem(f"{t}: row {rd.row} has {len(vals)} values, expected {len(keys)}; not read ({shown})")
    return False


def _col_label(table: str, col: str, tpl: str | None) -> str:
    for era in ([tpl] if tpl else []) + [T2021, T2019]:
        try:
            return schema.col_field(table, col, era).label
        except KeyError:
            continue
    return col


def _coverage(reader: _Reader, res: TablesResult, t: str, tpl: str) -> None:
    expected = [f.key for f in schema.rows(t, tpl)]
    got = res.tables.get(t, {})
    missing = [k for k in expected if k not in got]
    if missing:
        n = len(expected) - len(missing)
        reader.problem(f"{t}: {n} rows matched, template {tpl} expects {len(expected)} (missing: {', '.join(missing)})")


def _missing(reader: _Reader, res: TablesResult, text: str | None, images, documents=None) -> None:
    missing = [t for t in TABLE_KEYS if not res.found.get(t)]
    if not missing:
        return
    if callable(text):  # computed only when needed (the page's text content)
        text = text()
    if len(missing) == len(TABLE_KEYS):
        body = text or ""
        if not any(m in body for m in _POST2019_MARKS) and any(m in body for m in _PRE2019_MARKS):
            res.template = "pre2019"
            reader.problem(PRE2019_NONE)
            return
    as_images = _image_tables(images)
    empty = _sections_empty(text) if text and text.count("\n") >= 4 else {}
    pictured = [t for t in missing if t in as_images or empty.get(t)]
    if len(missing) == len(TABLE_KEYS) and len(pictured) == len(TABLE_KEYS):
        reader.problem(IMAGES_NONE)
        return
    if len(missing) == len(TABLE_KEYS) and not pictured and documents:
        kinds = sorted({m.group(1).lower() for d in documents if (m := _DOC_EXT.search(d))})
        reader.problem(f"{DOCUMENTS_NONE} ({len(documents)} linked: {', '.join(kinds)})")
        return
    for t in missing:
        if t in as_images:
            reader.problem(f"{t}: table published as an image")
        elif empty.get(t):
            reader.problem(f"{t}: table not found (its section is empty: published as an image?)")
        else:
            reader.problem(f"{t}: table not found")


class _Problems:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, msg: str) -> None:
        if msg not in self.problems:
            self.problems.append(msg)


def explain_missing(res: TablesResult, text: str | None, images=None, documents=None) -> list[str]:
    """Why the tables ``res`` lacks are missing (pre-2019 narrative, pictures, linked documents, not
    found), for a result assembled from several readers; may set ``res.template`` to pre2019."""
    sink = _Problems()
    _missing(sink, res, text, images, documents)
    return sink.problems


# ---------------------------------------------------------------------------------------------
# entry points


def parse_tables(grids: list[Grid], text: str | None = None, *, images=None, documents=None) -> TablesResult:
    """Read the standard tables from a document's grids (see the module doc).

    ``text`` (the document's text, optional) is used to tell a pre-2019 narrative or tables
    published as pictures from tables that are simply missing; ``images`` and ``documents``
    (from extract.grids.html.read_html) add the pictures' positions and the linked PDF/Word/Excel
    files that may hold the tables of a page that has none."""
    reader = _Reader()
    for g in grids:
        if g.n_rows == 0 or g.n_cols == 0:
            continue
        if g.source == "text":
            reader.read_text_grid(g)
        else:
            reader.read_grid(g)
    return _finish(reader, text, images, documents)


def parse_html_tables(html, text: str | None = None) -> TablesResult:
    """HTML page (str, bytes or a parsed lxml element) → tables; the DOM is parsed once."""
    from extract.grids.html import read_html

    rd = read_html(html)
    reader = _Reader()
    for g in rd.grids:
        reader.read_grid(g)
    return _finish(reader, text if text is not None else (lambda: rd.text), rd.images, rd.documents)


def parse_text_tables(text: str) -> TablesResult:
    """A text dump (cells ending in ' |', tab-separated cells, '| a | b |' rows) → tables."""
    from extract.grids.textdump import grids_from_text

    return parse_tables(grids_from_text(text), text)


__all__ = ["parse_tables", "parse_html_tables", "parse_text_tables", "explain_missing", "TablesResult",
           "CellRecord", "IMAGES_NONE", "PRE2019_NONE", "DOCUMENTS_NONE"]
