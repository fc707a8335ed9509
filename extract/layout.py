"""The official merged-cell layout of the three standard tables (the printed form of the schema),
independent of any output format: the reader pages rebuild tables from it, the replica renders with it.

A layout is a list of rows; each row lists the cells that START in it, in reading order, as a
:class:`LCell` (text, rowspan, colspan). This is exactly how HTML, DOCX (gridSpan/vMerge), XLSX
(merged ranges) and a drawn PDF grid express merged cells, so every renderer of ``replica.render``, the
replica web (``replica.tables_html``) and the report page of ``publish/`` write the same structure:

* ``requests``: a ten-column grid; three header rows (the 勾稽关系 note spans 3×3, 申请人情况 spans
  seven columns, 自然人 / 总计 span two rows, 法人或其他组织 spans five columns); row labels nested
  with rowspan (三、本年度办理结果 › （三）不予公开 › 1.属于国家秘密), top-level rows span three columns.
* ``appeals``: fifteen columns under three header rows, one row of values.
* ``active``: four columns, one block per 第二十条 item (a full-width section row, a header row, the
  rows); rows with fewer than three numbers let their last cell span the rest.

What is printed is given by a :class:`TableSpec`: the template, row / column label overrides (the
spelling a report uses) and the printed value texts of each row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from extract import schema


@dataclass
class LCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    kind: str = "label"  # 'head' | 'label' | 'value'
    brk: int = 0  # a natural place to break a header (after this many characters; 0: none)
    key: tuple[str, str] | None = None  # (row, col) of a value cell


# the replica web's historical name
GCell = LCell

Layout = list[list[LCell]]


@dataclass
class TableSpec:
    """What one printed table says.

    ``row_labels``: row key → printed label (default: the schema label).
    ``group_labels``: template group label (e.g. ``（三）不予公开``) → printed text.
    ``col_labels``: column key → printed header; for ``appeals`` also ``"<group>.<col>"`` for the
    header under one group (``review.pending``), which wins over the plain column key.
    ``values``: row key → printed value texts, left to right (may hold more or fewer texts than the
    row has columns: a report printing three numbers under one header). Missing rows print blank.
    """

    key: str
    template: str
    values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    row_labels: Mapping[str, str] = field(default_factory=dict)
    col_labels: Mapping[str, str] = field(default_factory=dict)
    group_labels: Mapping[str, str] = field(default_factory=dict)

    def row_label(self, row: str) -> str:
        return self.row_labels.get(row, schema.row_field(self.key, row).label)

    def group(self, text: str) -> str:
        return self.group_labels.get(text, text)

    def col_label(self, col: str, default: str, group: str | None = None) -> str:
        if group is not None and f"{group}.{col}" in self.col_labels:
            return self.col_labels[f"{group}.{col}"]
        return self.col_labels.get(col, default)

    def value_cells(self, row: str, cols: Sequence[str]) -> list[LCell]:
        texts = self.values.get(row)
        if texts is None:
            texts = [""] * len(cols)
        out = []
        for i, t in enumerate(texts):
            out.append(LCell(t, kind="value", key=(row, cols[i]) if i < len(cols) else None))
        return out


def layout_requests(spec: TableSpec) -> Layout:
    tpl = spec.template
    cols = [c.key for c in schema.cols("requests", tpl)]
    org = [c for c in schema.REQUESTS_COLS if c.group]
    grid: Layout = [
        [LCell(spec.col_label("note", schema.REQUESTS_NOTE), 3, 3, "head"),
         LCell(spec.col_label("heading", schema.REQUESTS_COLS_HEADING), 1, 7, "head")],
        [LCell(spec.col_label("natural_person", "自然人"), 2, 1, "head"),
         LCell(spec.col_label("org", "法人或其他组织"), 1, 5, "head"),
         LCell(spec.col_label("total", "总计"), 2, 1, "head")],
        [LCell(spec.col_label(c.key, c.label), kind="head", brk=2 if len(c.label) == 4 else 0) for c in org],
    ]
    rows = schema.rows("requests", tpl)
    result_rows = [f for f in rows if f.group and f.group[0] == "三、本年度办理结果"]
    seen_groups: set[str] = set()
    for f in rows:
        line: list[LCell] = []
        if not f.group:
            line.append(LCell(spec.row_label(f.key), 1, 3))
        else:
            if f is result_rows[0]:
                line.append(LCell(spec.group(f.group[0]), len(result_rows), 1))
            if len(f.group) == 2:
                if f.group[1] not in seen_groups:
                    seen_groups.add(f.group[1])
                    n = sum(1 for g in result_rows if g.group[1:] == f.group[1:])
                    line.append(LCell(spec.group(f.group[1]), n, 1))
                line.append(LCell(spec.row_label(f.key)))
            else:
                line.append(LCell(spec.row_label(f.key), 1, 2))
        line += spec.value_cells(f.key, cols)
        grid.append(line)
    return grid


def layout_appeals(spec: TableSpec) -> Layout:
    ac = schema.APPEALS_COLS
    first = [spec.col_label(c.key, c.label, "review") for c in ac]
    lit = [spec.col_label(c.key, c.label, g) for g in ("litigation_direct", "litigation_after_review") for c in ac]
    grid: Layout = [
        [LCell(spec.row_label("review"), 1, 5, "head"), LCell(spec.group("行政诉讼"), 1, 10, "head")],
        [LCell(x, 2, 1, "head", brk=2) for x in first]
        + [LCell(spec.row_label("litigation_direct"), 1, 5, "head"),
           LCell(spec.row_label("litigation_after_review"), 1, 5, "head")],
        [LCell(x, kind="head", brk=2) for x in lit],
    ]
    keys = [c.key for c in ac]
    values: list[LCell] = []
    for g in ("review", "litigation_direct", "litigation_after_review"):
        values += spec.value_cells(g, keys)
    grid.append(values)
    return grid


def layout_active(spec: TableSpec) -> Layout:
    tpl = spec.template
    grid: Layout = []
    section = None
    for f in schema.rows("active", tpl):
        cols = schema.cols("active", tpl, f.key)
        if f.group[0] != section:
            section = f.group[0]
            grid.append([LCell(spec.group(section), 1, 4, "head")])
            head = [LCell(spec.col_label("label_header", schema.ACTIVE_SECTION_LABEL_HEADER), kind="head")]
            head += [LCell(spec.col_label(c.key, c.label), kind="head") for c in cols]
            if len(cols) < 3:
                head[-1].colspan = 4 - len(cols)
            grid.append(head)
        vals = spec.value_cells(f.key, [c.key for c in cols])
        if len(vals) < 3:
            vals[-1].colspan = 4 - len(vals)
        grid.append([LCell(spec.row_label(f.key))] + vals)
    return grid


LAYOUTS = {"active": layout_active, "requests": layout_requests, "appeals": layout_appeals}


def layout(spec: TableSpec) -> Layout:
    return LAYOUTS[spec.key](spec)


def n_cols(grid: Layout) -> int:
    """Width of a layout (the widest row, counting cells carried down by rowspans)."""
    return max(len(r) for r in expand(grid))


def expand(grid: Layout) -> list[list[tuple[LCell, int, int]]]:
    """Every slot of a layout: (cell, origin row, origin col), merged cells repeated — the same
    expansion ``extract.grids.Grid.from_spans`` performs."""
    taken: dict[tuple[int, int], tuple[LCell, int, int]] = {}
    for r, row in enumerate(grid):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken[(r + dr, c + dc)] = (cell, r, c)
            c += cell.colspan
    height = max(r for r, _ in taken) + 1
    width = max(c for _, c in taken) + 1
    return [[taken[(r, c)] for c in range(width) if (r, c) in taken] for r in range(height)]


def positioned(grid: Layout) -> list[tuple[LCell, int, int]]:
    """Each cell once, with the (row, col) of its top-left slot, in reading order."""
    out = []
    seen = set()
    for row in expand(grid):
        for cell, r, c in row:
            if id(cell) not in seen:
                seen.add(id(cell))
                out.append((cell, r, c))
    return out
