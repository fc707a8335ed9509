"""A report's three standard tables rebuilt as they were printed, from its stored cells.

The merged header and label cells come from ``extract.layout`` (the official form, the same one the
replica's renderers print), the texts from ``cells.raw`` exactly as published: a blank stays blank, a
dash stays a dash, a number keeps its annotation. Nothing is filled in: a cell the extractor could not
read is shown empty and marked as not read, never given a value.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from extract import layout, schema

KIND_LABELS = {"number": "数字", "blank": "空白", "dash": "横线", "annotated": "带注释的数字", "text": "文字",
               "missing": "未读取"}


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    classes: list[str] = field(default_factory=list)
    title: str = ""  # tooltip: the cell's keys and what kind of value it holds
    key: str = ""  # row.col of a value cell (data-key in the page)


@dataclass
class Table:
    key: str
    title: str
    template: str | None
    rows: list[list[Cell]]
    read: int  # value cells read from the report
    expected: int  # value cells the official form has
    outside: list[str] = field(default_factory=list)  # cells read that the form has no place for
    ocr: int = 0  # cells read from a picture
    low: int = 0  # of those, cells the OCR was not sure of


def era(table_key: str, keys: set[tuple[str, str]], template: str | None) -> str:
    """The template whose form holds most of the cells read (eras mix in real reports)."""
    best = (schema.T2021, schema.T2019)
    if template in best:
        best = (template, *[t for t in best if t != template])
    return max(best, key=lambda tpl: len(keys & set(schema.cell_keys(table_key, tpl))))


def _cols_for(table_key: str, tpl: str, row: str) -> list[str]:
    if table_key == "appeals":
        return [c.key for c in schema.APPEALS_COLS]
    return [c.key for c in schema.cols(table_key, tpl, row if table_key == "active" else None)]


def failing_cells(checks: list[dict]) -> set[tuple[str, str, str]]:
    """(table, row, col) of every cell a failing check compares in this report."""
    out: set[tuple[str, str, str]] = set()
    for c in checks:
        spec = schema.CHECKS.get(c["rule"])
        if spec is None or c["outcome"] != schema.FAIL:
            continue
        for term in c.get("compared") or {}:
            if term.startswith("previous."):
                continue
            out.add((spec.table, term, c["scope"]) if spec.axis == "col" else (spec.table, c["scope"], term))
    return out


def rebuild(cells: list[dict], template: str | None, failing: set[tuple[str, str, str]]) -> list[Table]:
    """The three tables of one report; a table with no cell read comes back with no rows."""
    out = []
    for tkey in schema.TABLE_KEYS:
        mine = {(c["row"], c["col"]): c for c in cells if c["table"] == tkey}
        title = schema.TABLES[tkey].title
        if not mine:
            out.append(Table(tkey, title, None, [], 0, 0))
            continue
        tpl = era(tkey, set(mine), template)
        form = set(schema.cell_keys(tkey, tpl))
        values = {f.key: [((mine.get((f.key, c)) or {}).get("raw") or "").strip() for c in _cols_for(tkey, tpl, f.key)]
                  for f in schema.rows(tkey, tpl)}
        grid = layout.layout(layout.TableSpec(tkey, tpl, values=values))
        rows = []
        for line in grid:
            row = []
            for lc in line:
                cell = Cell(lc.text, lc.rowspan, lc.colspan, [lc.kind])
                if lc.kind == "value" and lc.key:
                    r, c = lc.key
                    got = mine.get((r, c))
                    kind = got["kind"] if got else "missing"
                    cell.classes.append(kind)
                    cell.key = f"{r}.{c}"
                    label = schema.label(tkey, r, c, tpl) if tkey == "active" else schema.col_field(tkey, c).label
                    cell.title = f"{schema.short_label(schema.row_field(tkey, r).label)} · {label}（{KIND_LABELS[kind]}）"
                    if got and got.get("note"):
                        cell.title += f"：{got['note']}"
                    if got and got.get("source") == "ocr":
                        conf = got.get("confidence")
                        cell.classes.append("ocr")
                        cell.title += f" — 由图片识别（OCR），置信度 {conf:.2f}" if conf is not None else " — 由图片识别（OCR）"
                        if conf is not None and conf < schema.OCR_LOW_CONFIDENCE:
                            cell.classes.append("ocr-low")
                            cell.title += "，置信度低，请对照原图核实"
                    if (tkey, r, c) in failing:
                        cell.classes.append("fail")
                        cell.title += " — 参与了未通过的核对"
                row.append(cell)
            rows.append(row)
        outside = sorted(f"{r}.{c}" for r, c in set(mine) - form)
        ocr = [c for c in mine.values() if c.get("source") == "ocr"]
        low = [c for c in ocr if c.get("confidence") is not None and c["confidence"] < schema.OCR_LOW_CONFIDENCE]
        out.append(Table(tkey, title, tpl, rows, len(set(mine) & form), len(form), outside, len(ocr), len(low)))
    return out
