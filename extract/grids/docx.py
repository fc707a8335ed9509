"""DOCX → grids: Word tables with gridSpan / vMerge (and legacy hMerge) expanded.

python-docx's ``table.rows[i].cells`` repeats a merged cell in every slot it covers but cannot say
which slots belong to one cell; this reader walks the ``w:tr`` / ``w:tc`` elements of
``word/document.xml`` itself (parsed with entity resolution and network access off, after the
package passed :mod:`.safezip`'s size checks):

* ``w:gridBefore`` / ``w:gridAfter`` leave empty slots at a row's start / end;
* ``w:gridSpan`` = n covers n grid columns;
* ``w:vMerge val="restart"`` starts a vertical merge; ``w:vMerge`` without a value (or
  ``continue``) continues the cell above in the same grid column: the slot repeats that cell's text
  and origin;
* a table whose cells hold other tables is a layout wrapper (whole reports pasted into a one-cell
  table): like the HTML reader, only the innermost tables become grids, in document order, and the
  wrapper's paragraphs serve as their context.

Cell text: paragraphs joined with ``\\n``, ``w:br``/``w:cr`` → ``\\n``, ``w:tab`` → ``\\t``; deleted
revisions (``w:del``) and field codes are skipped. ``context`` is the last non-empty paragraph before
the table (inside a wrapper cell, or before the wrapper).
"""
from __future__ import annotations

import posixpath

from lxml import etree

from . import Grid
from .errors import UnreadableDocument
from .safezip import open_package, read_member

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
MAX_TABLE_SLOTS = 2_000_000


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, TBL, TR, TC, TCPR, TRPR, R, T = (_q(x) for x in ("p", "tbl", "tr", "tc", "tcPr", "trPr", "r", "t"))
_SKIP = {_q(x) for x in ("del", "moveFrom", "instrText", "delText", "rPr", "pPr", "fldData")}
_VAL = _q("val")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           remove_comments=True, remove_pis=True)


def _main_part(zf) -> str:
    """The main document part named by the package relationships (usually word/document.xml)."""
    try:
        rels = etree.fromstring(read_member(zf, "_rels/.rels", "DOCX"), _parser())
    except (UnreadableDocument, etree.XMLSyntaxError):
        return "word/document.xml"
    for rel in rels:
        if rel.get("Type") == R_OFFICE and rel.get("Target"):
            return posixpath.normpath(rel.get("Target").lstrip("/"))
    return "word/document.xml"


def _int(el, default: int = 1) -> int:
    if el is None:
        return default
    try:
        return max(0, int(el.get(_VAL, default)))
    except (TypeError, ValueError):
        return default


def _para_text(p) -> str:
    out: list[str] = []

    def walk(el) -> None:
        for ch in el:
            tag = ch.tag
            if not isinstance(tag, str) or tag in _SKIP or tag == TBL:
                continue
            if tag == T:
                out.append(ch.text or "")
            elif tag in (_q("br"), _q("cr")):
                out.append("\n")
            elif tag == _q("tab"):
                out.append("\t")
            elif tag == _q("noBreakHyphen"):
                out.append("-")
            elif tag in (_q("drawing"), _q("pict"), _q("object")):
                continue  # text boxes are not the cell's text
            else:
                walk(ch)

    walk(p)
    return "".join(out)


def _block_text(el) -> str:
    """Text of a cell (or any block container): its paragraphs, not those of nested tables."""
    paras: list[str] = []

    def walk(node) -> None:
        for ch in node:
            if ch.tag == P:
                paras.append(_para_text(ch))
            elif ch.tag == TBL or ch.tag in _SKIP or not isinstance(ch.tag, str):
                continue
            elif ch.tag != TCPR:
                walk(ch)

    walk(el)
    return "\n".join(paras).strip("\n") if any(paras) else ""


def _rows(tbl):
    """w:tr elements of a table, including rows wrapped in content controls / customXml."""
    for ch in tbl:
        if ch.tag == TR:
            yield ch
        elif isinstance(ch.tag, str) and ch.tag not in (_q("tblPr"), _q("tblGrid")):
            yield from _rows(ch)


def _cells(tr):
    for ch in tr:
        if ch.tag == TC:
            yield ch
        elif isinstance(ch.tag, str) and ch.tag not in (TRPR, _q("tblPrEx")):
            yield from _cells(ch)


def table_grid(tbl, context: str = "") -> Grid:
    """One ``w:tbl`` element → Grid (merged cells expanded)."""
    notes: list[str] = []
    rows: list[list[tuple[str, tuple[int, int]] | None]] = []
    grid_cols = tbl.find(_q("tblGrid"))
    width = len(grid_cols) if grid_cols is not None else 0
    for r, tr in enumerate(_rows(tbl)):
        line: list[tuple[str, tuple[int, int]] | None] = []
        trpr = tr.find(TRPR)
        before = _int(trpr.find(_q("gridBefore")), 0) if trpr is not None else 0
        line += [None] * before
        for tc in _cells(tr):
            pr = tc.find(TCPR)
            span = _int(pr.find(_q("gridSpan"))) if pr is not None else 1
            span = max(1, span)
            vm = pr.find(_q("vMerge")) if pr is not None else None
            hm = pr.find(_q("hMerge")) if pr is not None else None
            c = len(line)
            if vm is not None and vm.get(_VAL, "continue") != "restart":
                prev = rows[r - 1] if r > 0 else []
                above = prev[c] if c < len(prev) else None
                if above is not None:
                    line += [prev[c + k] if c + k < len(prev) and prev[c + k] is not None else above
                             for k in range(span)]
                    continue
                notes.append(f"row {r} col {c}: vMerge continues a cell that is not there; kept as its own cell")
            if hm is not None and hm.get(_VAL, "continue") != "restart" and line and line[-1] is not None:
                line += [line[-1]] * span
                continue
            text = _block_text(tc)
            line += [(text, (r, c))] * span
            if len(line) * (r + 1) > MAX_TABLE_SLOTS:
                raise UnreadableDocument(f"DOCX table larger than {MAX_TABLE_SLOTS} slots: refused")
        rows.append(line)
        width = max(width, len(line))
    short = sum(1 for line in rows if len(line) < width)
    if short:
        notes.append(f"{short} row(s) shorter than the table ({width} columns): padded with empty slots")
    cells, origin = [], []
    for r, line in enumerate(rows):
        line = line + [None] * (width - len(line))
        cells.append([s[0] if s else "" for s in line])
        origin.append([s[1] if s else (r, c) for c, s in enumerate(line)])
    return Grid(cells=cells, origin=origin, source="docx", context=context, notes=notes)


def _walk(container, context: str, out: list[Grid]) -> str:
    """Grids of the tables in ``container`` in document order; returns the running context."""
    for ch in container:
        tag = ch.tag
        if not isinstance(tag, str):
            continue
        if tag == P:
            t = _para_text(ch).strip()
            if t:
                context = t
        elif tag == TBL:
            if ch.find(".//" + TBL) is None:
                g = table_grid(ch, context)
                if g.n_rows:
                    out.append(g)
                continue
            # a layout wrapper: its cells hold other tables; read those (and their paragraphs)
            for tr in _rows(ch):
                for tc in _cells(tr):
                    context = _walk(tc, context, out)
        elif tag not in _SKIP and tag not in (_q("sectPr"),):
            context = _walk(ch, context, out)
    return context


def grids_from_docx(data: bytes) -> list[Grid]:
    """Every table of a .docx (nested tables too), merged cells expanded."""
    zf = open_package(data, "DOCX")
    name = _main_part(zf)
    if name not in zf.namelist():
        if "word/document.xml" in zf.namelist():
            name = "word/document.xml"
        else:
            raise UnreadableDocument("not a Word document (no word/document.xml in the package)")
    xml = read_member(zf, name, "DOCX")
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as e:
        raise UnreadableDocument(f"corrupt DOCX document part: {e}") from None
    if root.tag != _q("document"):
        raise UnreadableDocument(f"not a Word document (root element {etree.QName(root).localname!r})")
    body = root.find(_q("body"))
    out: list[Grid] = []
    if body is not None:
        _walk(body, "", out)
    return out

