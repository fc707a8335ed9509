"""Render a report's three tables as HTML with the official templates' merged-cell structure.

Parsers of real reports meet the template as agencies pasted it: a ten-column ``requests`` grid
whose row labels are nested with rowspan (三、本年度办理结果 › （三）不予公开 › 1.属于国家秘密), a
fifteen-column ``appeals`` grid under two header rows, an ``active`` table split into 第二十条 sections.
The layout is built once as a grid of :class:`GCell` (``layout_*``), then written out in one of three
markup styles: ``clean`` (plain ``<td>``), ``word`` (a Word paste: MsoNormalTable, per-cell mso
styles with raw newlines, nested spans, ``&nbsp;`` padding, ``<br>`` in header cells) and ``legacy``
(upper-case IE-era tags).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from html import escape

from extract import schema

from .numbers import Tables


@dataclass
class GCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    kind: str = "label"  # 'head' | 'label' | 'value'
    brk: int = 0  # word style: put a <br> after this many characters (0: none)


def _label(tables: Tables, table: str, row: str) -> str:
    return tables.row_labels.get((table, row), schema.row_field(table, row).label)


def _values(tables: Tables, table: str, row: str, keys: list[str]) -> list[GCell]:
    raw = tables.row_raw.get((table, row))
    if raw is not None:
        return [GCell(x, kind="value") for x in raw]
    cells = tables.cells[table][row]
    return [GCell(cells[k].raw, kind="value") for k in keys]


def layout_requests(tables: Tables) -> list[list[GCell]]:
    tpl = tables.layout["requests"]
    cols = [c.key for c in schema.cols("requests", tpl)]
    org = [c for c in schema.REQUESTS_COLS if c.group]
    grid: list[list[GCell]] = [
        [GCell(schema.REQUESTS_NOTE, 3, 3, "head"), GCell(schema.REQUESTS_COLS_HEADING, 1, 7, "head")],
        [GCell("自然人", 2, 1, "head"), GCell("法人或其他组织", 1, 5, "head"), GCell("总计", 2, 1, "head")],
        [GCell(c.label, kind="head", brk=2 if len(c.label) == 4 else 0) for c in org],
    ]
    rows = schema.rows("requests", tpl)
    result_rows = [f for f in rows if f.group and f.group[0] == "三、本年度办理结果"]
    seen_groups: set[str] = set()
    for f in rows:
        line: list[GCell] = []
        if not f.group:
            line.append(GCell(_label(tables, "requests", f.key), 1, 3))
        else:
            if f is result_rows[0]:
                line.append(GCell(f.group[0], len(result_rows), 1))
            if len(f.group) == 2:
                if f.group[1] not in seen_groups:
                    seen_groups.add(f.group[1])
                    n = sum(1 for g in result_rows if g.group[1:] == f.group[1:])
                    line.append(GCell(f.group[1], n, 1))
                line.append(GCell(_label(tables, "requests", f.key)))
            else:
                line.append(GCell(_label(tables, "requests", f.key), 1, 2))
        line += _values(tables, "requests", f.key, cols)
        grid.append(line)
    return grid


def layout_appeals(tables: Tables) -> list[list[GCell]]:
    labels = [c.label for c in schema.APPEALS_COLS]
    first = [tables.col_labels.get(("appeals", f"review.{c.key}"), c.label) for c in schema.APPEALS_COLS]
    grid = [
        [GCell("行政复议", 1, 5, "head"), GCell("行政诉讼", 1, 10, "head")],
        [GCell(x, 2, 1, "head", brk=2) for x in first]
        + [GCell("未经复议直接起诉", 1, 5, "head"), GCell("复议后起诉", 1, 5, "head")],
        [GCell(x, kind="head", brk=2) for x in labels * 2],
    ]
    keys = [c.key for c in schema.APPEALS_COLS]
    values: list[GCell] = []
    for g in ("review", "litigation_direct", "litigation_after_review"):
        values += _values(tables, "appeals", g, keys)
    grid.append(values)
    return grid


def layout_active(tables: Tables) -> list[list[GCell]]:
    tpl = tables.layout["active"]
    grid: list[list[GCell]] = []
    section = None
    for f in schema.rows("active", tpl):
        cols = schema.cols("active", tpl, f.key)
        if f.group[0] != section:
            section = f.group[0]
            grid.append([GCell(section, 1, 4, "head")])
            head = [GCell(schema.ACTIVE_SECTION_LABEL_HEADER, kind="head")]
            head += [GCell(c.label, kind="head") for c in cols]
            if len(cols) < 3:
                head[-1].colspan = 4 - len(cols)
            grid.append(head)
        vals = _values(tables, "active", f.key, [c.key for c in cols])
        if len(vals) < 3:
            vals[-1].colspan = 4 - len(vals)
        grid.append([GCell(_label(tables, "active", f.key))] + vals)
    return grid


LAYOUTS = {"active": layout_active, "requests": layout_requests, "appeals": layout_appeals}


# ---------------------------------------------------------------------------------------------
# markup styles

def _span_attrs(c: GCell, upper: bool = False) -> str:
    out = ""
    if c.colspan > 1:
        out += f" colSpan={c.colspan}" if upper else f' colspan="{c.colspan}"'
    if c.rowspan > 1:
        out += f" rowSpan={c.rowspan}" if upper else f' rowspan="{c.rowspan}"'
    return out


def clean(grid: list[list[GCell]], rng: random.Random) -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="4" style="border-collapse:collapse;width:100%;">', "<tbody>"]
    for row in grid:
        out.append("<tr>")
        for c in row:
            align = ' style="text-align:center;"' if c.kind != "label" else ""
            out.append(f"<td{_span_attrs(c)}{align}>{escape(c.text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def legacy(grid: list[list[GCell]], rng: random.Random) -> str:
    out = ["<TABLE style=\"BORDER-COLLAPSE: collapse\" border=1 cellSpacing=0 cellPadding=0 width=\"100%\">", "<TBODY>"]
    for row in grid:
        out.append("<TR>")
        for c in row:
            txt = escape(c.text) if c.text else "&nbsp;"
            out.append(f"<TD{_span_attrs(c, upper=True)} align=center><FONT size=2>{txt}</FONT></TD>")
        out.append("</TR>")
    out.append("</TBODY></TABLE>")
    return "".join(out)


_WORD_TABLE_STYLE = (
    "border-collapse:collapse;width:{w}pt;border:none;\n"
    "mso-border-left-alt:0.5000pt solid windowtext;mso-border-top-alt:0.5000pt solid windowtext;"
    "mso-border-right-alt:0.5000pt solid windowtext;\nmso-border-bottom-alt:0.5000pt solid windowtext;"
    "mso-border-insideh:0.5000pt solid windowtext;mso-border-insidev:0.5000pt solid windowtext;\n"
    "mso-padding-alt:0.0000pt 5.4000pt 0.0000pt 5.4000pt ;"
)
_WORD_TD_STYLE = (
    "width:{w}pt;padding:0.0000pt 5.4000pt 0.0000pt 5.4000pt ;border-left:1.0000pt solid windowtext;\n"
    "mso-border-left-alt:0.5000pt solid windowtext;border-right:1.0000pt solid windowtext;"
    "mso-border-right-alt:0.5000pt solid windowtext;\nborder-top:{top};mso-border-top-alt:0.5000pt solid windowtext;"
    "border-bottom:1.0000pt solid windowtext;\nmso-border-bottom-alt:0.5000pt solid windowtext;"
)
_FONT = "font-family:仿宋_GB2312;mso-hansi-font-family:'Times New Roman';font-size:{fs}pt;"


def _word_text(c: GCell, rng: random.Random) -> str:
    t = c.text
    if c.kind == "value":
        if not t:
            return "&nbsp;"
        pad = rng.choice(["", "", "&nbsp;", "\u3000", "&nbsp;\u3000"])
        return (pad + escape(t)) if rng.random() < 0.5 else (escape(t) + pad)
    if c.brk and len(t) > c.brk and c.kind == "head" and rng.random() < 0.8:
        return escape(t[: c.brk]) + "<br>" + escape(t[c.brk:])
    if len(t) > 6 and rng.random() < 0.3:  # Word splits runs at arbitrary points
        k = rng.randint(2, len(t) - 2)
        return (f'<span style="font-family:仿宋_GB2312;">{escape(t[:k])}</span>'
                f'<span style="font-family:仿宋_GB2312;">{escape(t[k:])}</span>')
    return escape(t)


def word(grid: list[list[GCell]], rng: random.Random) -> str:
    width = round(rng.uniform(420, 470), 4)
    ncols = sum(c.colspan for c in grid[-1])
    out = [f'<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" align="center" '
           f'style="{_WORD_TABLE_STYLE.format(w=f"{width:.4f}")}"><tbody>']
    for i, row in enumerate(grid):
        h = round(rng.uniform(18, 32), 4)
        first = ' class="firstRow"' if i == 0 else ""
        out.append(f'<tr style="height:{h:.4f}pt;"{first}>')
        for c in row:
            w = round(width / ncols * c.colspan, 4)
            style = _WORD_TD_STYLE.format(w=f"{w:.4f}", top="1.0000pt solid windowtext" if i == 0 else "none")
            fs = "10.5000" if c.kind != "head" else "10.0000"
            inner = _word_text(c, rng)
            align = ' align="center" style="text-align:center;"' if c.kind != "label" else ' style="text-align:left;"'
            out.append(
                f'<td width="{int(w * 1.33)}" valign="center"{_span_attrs(c)} style="{style}">'
                f'<p class="MsoNormal"{align}><span style="{_FONT.format(fs=fs)}">{inner}</span>'
                f'<span style="font-family:仿宋_GB2312;font-size:{fs}pt;"><o:p></o:p></span></p></td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


STYLES = {"clean": clean, "word": word, "legacy": legacy}


def render_table(tables: Tables, key: str, style: str, rng: random.Random) -> str:
    return STYLES[style](LAYOUTS[key](tables), rng)
