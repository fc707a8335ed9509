"""Reports as HTML pages, and the three HTML markup styles of a table layout.

``clean`` (plain ``<td>``), ``word`` (a Word paste: MsoNormalTable, per-cell mso styles with raw
newlines, nested spans, ``&nbsp;`` padding, ``<br>`` in header cells) and ``legacy`` (upper-case
IE-era tags) write a :mod:`replica.render.layout` grid; the replica web uses the same functions.
A line break inside a cell's text is written as ``<br>``.
"""
from __future__ import annotations

import random
from html import escape

from extract.layout import Layout, LCell
from .sample import CanonicalReport


def _esc(t: str) -> str:
    return escape(t).replace("\n", "<br>")


def _span_attrs(c: LCell, upper: bool = False) -> str:
    out = ""
    if c.colspan > 1:
        out += f" colSpan={c.colspan}" if upper else f' colspan="{c.colspan}"'
    if c.rowspan > 1:
        out += f" rowSpan={c.rowspan}" if upper else f' rowspan="{c.rowspan}"'
    return out


def clean(grid: list[list[LCell]], rng: random.Random) -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="4" style="border-collapse:collapse;width:100%;">', "<tbody>"]
    for row in grid:
        out.append("<tr>")
        for c in row:
            align = ' style="text-align:center;"' if c.kind != "label" else ""
            out.append(f"<td{_span_attrs(c)}{align}>{_esc(c.text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def legacy(grid: list[list[LCell]], rng: random.Random) -> str:
    out = ["<TABLE style=\"BORDER-COLLAPSE: collapse\" border=1 cellSpacing=0 cellPadding=0 width=\"100%\">", "<TBODY>"]
    for row in grid:
        out.append("<TR>")
        for c in row:
            txt = _esc(c.text) if c.text else "&nbsp;"
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


def _word_text(c: LCell, rng: random.Random) -> str:
    t = c.text
    if c.kind == "value":
        if not t:
            return "&nbsp;"
        pad = rng.choice(["", "", "&nbsp;", "\u3000", "&nbsp;\u3000"])
        return (pad + _esc(t)) if rng.random() < 0.5 else (_esc(t) + pad)
    if c.brk and len(t) > c.brk and c.kind == "head" and rng.random() < 0.8:
        return _esc(t[: c.brk]) + "<br>" + _esc(t[c.brk:])
    if len(t) > 6 and rng.random() < 0.3:  # Word splits runs at arbitrary points
        k = rng.randint(2, len(t) - 2)
        return (f'<span style="font-family:仿宋_GB2312;">{_esc(t[:k])}</span>'
                f'<span style="font-family:仿宋_GB2312;">{_esc(t[k:])}</span>')
    return _esc(t)


def word(grid: list[list[LCell]], rng: random.Random) -> str:
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


def render_table_html(grid: Layout, style: str, rng: random.Random) -> str:
    return STYLES[style](grid, rng)


def render_html(report: CanonicalReport, style: str | None = None, encoding: str = "utf-8") -> bytes:
    """A whole report page: title, the six sections with prose, the three tables in ``style``
    (default: drawn from the report's seed)."""
    rng = random.Random(f"html:{report.seed}:{report.template}")
    style = style or rng.choice(sorted(STYLES))
    charset = "gb2312" if encoding.lower() in ("gbk", "gb2312", "gb18030") else encoding
    out = [f'<!DOCTYPE html>\n<html><head><meta charset="{charset}"><title>{escape(report.title)}</title></head>',
           '<body><div class="article">', f'<h1 style="text-align:center">{escape(report.title)}</h1>']
    for heading, paras, key in report.outline():
        if style == "legacy":
            out.append(f"<P><STRONG>{escape(heading)}</STRONG></P>")
        else:
            out.append(f'<p style="text-indent:2em"><strong>{escape(heading)}</strong></p>')
        for p in paras:
            out.append(f'<p style="text-indent:2em">{escape(p)}</p>')
        if key:
            out.append(render_table_html(report.layout(key), style, rng))
    out.append("</div></body></html>")
    return "\n".join(out).encode(encoding, "xmlcharrefreplace")
