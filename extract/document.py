"""One document (a captured page or attachment, or a local file) → a Document: text, title, dates,
the standard tables in canonical form, their checks, and the problems met on the way.

Pure: no database, no network, so ``nianbao parse FILE`` and the archive's extract step share it.
Problems are collected, not raised: an unreadable page is a fact about the source to record.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from extract.checks import Check, run_checks
from extract.decode import UndecodableError, binary_reason, decode_html
from extract.formats import (NeedsConverter, convert_office, doc_text_antiword, docx_text, grid_text,
                             pdf_layout_text, pdf_text, sniff, spreadsheet_grids)
from extract.grids.errors import UnreadableDocument
from extract.grids.html import refusal as html_refusal
from extract.identity import issuer_of, report_year
from extract.tables import CellRecord, TablesResult, parse_tables
from extract.textlayout import tables_from_text
from extract.text import extract_page

EXTRACTOR_VERSION = "tables-1"

# Problem strings from extract.tables, sorted into codes a user can facet on.
PROBLEM_CODES = [
    (re.compile(r"tables not on the page"), "tables_in_attachment"),
    (re.compile(r"image"), "tables_as_images"),
    (re.compile(r"pre-2019|pre2019"), "pre2019_no_tables"),
    (re.compile(r"unmatched row label"), "unmatched_row"),
    (re.compile(r"table not found"), "table_missing"),
    (re.compile(r"rows matched, template"), "rows_missing"),
    (re.compile(r"mapped by position|not \(all\) recognised|header is not recognised"), "columns_by_position"),
    (re.compile(r"unreadable value"), "unreadable_value"),
    (re.compile(r"mixed templates|both templates|not in the .* template|template undetermined"), "template_mixed"),
    (re.compile(r"values, expected|values under|under one column header|no value for|numbers for row"
                r"|numbers, expected|no numbers for row|readings fit"), "row_shape"),
]


def problem_code(message: str) -> str:
    for rx, code in PROBLEM_CODES:
        if rx.search(message):
            return code
    return "table_shape"


@dataclass
class Problem:
    code: str
    message: str


@dataclass
class Document:
    url: str | None = None
    filename: str | None = None
    format: str | None = None
    title: str | None = None
    agency: str | None = None
    year: int | None = None
    published: str | None = None
    source: str | None = None
    text: str = ""
    encoding: str | None = None
    meta: dict = field(default_factory=dict)
    template: str | None = None
    tables: dict = field(default_factory=dict)
    cells: list[CellRecord] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(p.code in ("undecodable", "unreadable", "needs_converter", "empty_text", "over_budget")
                       for p in self.problems)

    def add(self, code: str, message: str) -> None:
        if not any(p.code == code and p.message == message for p in self.problems):
            self.problems.append(Problem(code, message))

    def to_json(self) -> dict:
        """The JSON shape of one parsed document (report-schema.md); absent tables omitted."""
        out = {"title": self.title, "agency": self.agency, "year": self.year,
               "published": self.published, "template": self.template,
               "tables": {k: v for k, v in self.tables.items() if v},
               "checks": [{"rule": c.rule, "scope": c.scope, "outcome": c.outcome, "detail": c.detail}
                          for c in self.checks],
               "problems": [p.message for p in self.problems]}
        return out

    def to_full_json(self) -> dict:
        d = self.to_json()
        d.update({"url": self.url, "format": self.format, "source": self.source,
                  "encoding": self.encoding, "text": self.text,
                  "cells": [asdict(c) for c in self.cells],
                  "checks": [asdict(c) for c in self.checks],
                  "problems": [asdict(p) for p in self.problems]})
        return d


def guess_title(text: str) -> str | None:
    """A file has no <title>: take the first short line among the first ones that names a report
    (titles broken over two lines, 乌苏市民政局2021年政府信息公开 / 工作年度报告, are joined)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:15]
    for i, ln in enumerate(lines):
        if len(ln) <= 60 and "报告" in ln and re.search(r"(19|20)\d{2}|[〇一二]{4}", ln + (lines[i - 1] if i else "")):
            if i and len(lines[i - 1]) <= 40 and "公开" in lines[i - 1] and "报告" not in lines[i - 1]:
                return lines[i - 1] + ln
            return ln
    return None


DATE_LINE_RE = re.compile(r"(?:发布|发文|成文|印发)?(?:时间|日期)\s*[:：]\s*([0-9０-９年月日/.\- :]{8,25})")
SIGNED_RE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")


def text_date(text: str) -> str | None:
    """Publication date of a file: a 发布时间 line near the top, else the signature date at the end."""
    from extract.text import parse_date

    m = DATE_LINE_RE.search(text[:3000])
    if m and parse_date(m.group(1)):
        return parse_date(m.group(1))
    tail = [ln.strip() for ln in text.splitlines() if ln.strip()][-4:]
    for ln in reversed(tail):
        m = SIGNED_RE.search(ln)
        if m:
            return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def apply_tables(doc: Document, result: TablesResult, previous_tables: dict | None = None) -> None:
    doc.template = result.template
    doc.tables = result.tables
    doc.cells = result.cells
    for msg in result.problems:
        doc.add(problem_code(msg), msg)
    if result.template and result.template != "pre2019" and result.tables:
        doc.checks = run_checks(result.tables, result.template, previous_tables)


def mark_ocr_cells(doc: Document, grids) -> None:
    """Give each cell read from a picture its source and OCR confidence.

    The tables reader keeps a cell's raw text, not the slot it came from, so the OCR grids are read
    a second time with every value slot replaced by a number naming it (a number, so that the row
    still reads as a row of values): the number a cell reads back is its slot, and the slot has the
    confidence. Labels and headers are left as read, so rows and columns match the same."""
    import dataclasses

    from extract.values import parse_value

    ocr = [g for g in grids if g.source == "ocr" and g.confidence is not None]
    if not ocr or not doc.cells:
        return
    confidence: dict[str, float] = {}
    names: dict[tuple, str] = {}
    marked = []
    for gi, g in enumerate(ocr):
        cells = [list(row) for row in g.cells]
        for r in range(g.n_rows):
            for c in range(g.n_cols):
                o = g.origin[r][c]
                if parse_value(g.cells[o[0]][o[1]]).kind == "text":
                    continue  # a label or a header: left as read
                name = names.setdefault((gi, o), str(900_000 + len(names)))
                cells[r][c] = name
                confidence[name] = g.confidence[o[0]][o[1]]
        marked.append(dataclasses.replace(g, cells=cells))
    again = {(c.table, c.row, c.col): c.raw for c in parse_tables(marked).cells}
    doc.cells = [dataclasses.replace(c, source="ocr", confidence=confidence.get(again.get((c.table, c.row, c.col))))
                 for c in doc.cells]


def _finish(doc: Document) -> Document:
    if doc.title:
        doc.year = report_year(doc.title, doc.published)
        doc.agency = doc.agency or issuer_of(doc.title) or None
    if doc.readable and not doc.text.strip():
        doc.add("empty_text", "no text found in the document")
    return doc


def read_html(data: bytes, content_type: str | None, doc: Document) -> None:
    from extract.grids.html import read_html as read_html_grids

    try:
        decoded = decode_html(data, content_type)
    except UndecodableError as e:
        doc.add("undecodable", str(e))
        return
    doc.encoding = decoded.encoding
    page = extract_page(decoded.text, doc.url)
    doc.title, doc.published, doc.source = page.title, page.published, page.source
    doc.text, doc.meta = page.text or "", page.meta
    if not doc.published:
        doc.add("no_date", "no publication date on the page")
    rd = read_html_grids(decoded.text)
    result = parse_tables(rd.grids, doc.text, images=rd.images, documents=rd.documents)
    doc.meta = {**doc.meta, "pictures": _picture_urls(rd.images, doc.url)}
    inline = _inline_pictures(rd.images, doc) if not all(result.found.values()) else []
    if inline:
        _read_inline_pictures(doc, rd, result, inline)
        return
    apply_tables(doc, result)


MAX_INLINE_PICTURES = 12  # as many pictures as the crawler fetches for one page
MAX_INLINE_BYTES = 20 * 1024 * 1024  # decoded bytes of all data: pictures of one page


def _picture_urls(images, base: str | None) -> list[str]:
    """The page's pictures in the order they stand, as absolute addresses: the crawler fetches
    them separately, and a table pictured over two screenshots is read in this order."""
    from urllib.parse import urljoin

    out: list[str] = []
    for im in images:
        src = (im.src or "").strip()
        if not src or src.startswith("data:"):
            continue
        url = urljoin(base or "", src)
        if url not in out:
            out.append(url)
    return out


def _inline_pictures(images, doc: Document) -> list[bytes]:
    """Pictures embedded in the page itself (``data:image/...;base64,...``): nothing to fetch, so
    they are read here, bounded in number and decoded size."""
    import base64
    import binascii

    out: list[bytes] = []
    total = 0
    for im in images:
        src = (im.src or "").strip()
        m = re.match(r"data:image/[\w.+-]+;base64,", src[:100], re.I)
        if not m:
            continue
        if len(out) == MAX_INLINE_PICTURES:
            doc.add("pictures_skipped", f"more than {MAX_INLINE_PICTURES} pictures embedded in the page:"
                                        " the rest not read")
            break
        payload = src[m.end():]
        if (len(payload) * 3) // 4 + total > MAX_INLINE_BYTES:
            doc.add("pictures_skipped", f"pictures embedded in the page exceed {MAX_INLINE_BYTES >> 20} MiB:"
                                        " the rest not read")
            break
        try:
            blob = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
        except (binascii.Error, ValueError):
            doc.add("pictures_skipped", "a picture embedded in the page is not valid base64")
            continue
        total += len(blob)
        out.append(blob)
    return out


def _read_inline_pictures(doc: Document, rd, result: TablesResult, pictures: list[bytes]) -> None:
    """Tables the page's HTML lacks, read by OCR from the pictures embedded in it, in order."""
    from extract.grids.image import grids_from_images

    grids = grids_from_images(pictures)
    combined = parse_tables([*rd.grids, *grids], doc.text, images=rd.images, documents=rd.documents)
    if grids and sum(map(bool, combined.found.values())) > sum(map(bool, result.found.values())):
        doc.add("tables_by_ocr", f"{len(grids)} table(s) read by OCR from {len(pictures)} picture(s)"
                                 " embedded in the page; low-confidence cells are marked")
        apply_tables(doc, combined)
        mark_ocr_cells(doc, grids)
    else:
        apply_tables(doc, result)


def read_binary(data: bytes, fmt: str, doc: Document) -> None:
    from extract.grids.docx import grids_from_docx
    from extract.grids.pdf import grids_from_pdf
    from extract.grids.xlsx import grids_from_xlsx

    try:
        if fmt == "doc":
            tool, converted, new_fmt = convert_office(data, "doc", filename=doc.filename or doc.url)
            if converted is None:  # antiword: text only, tables as text dump lines
                doc.text = doc_text_antiword(data)
                doc.add("tables_from_text", "DOC read with antiword: tables read from text, not cells")
                apply_tables(doc, tables_from_text(doc.text))
                return
            data, fmt = converted, new_fmt
        if fmt == "pdf":
            doc.text, pages = pdf_text(data)
            grids = grids_from_pdf(data)
            if any("positions of the text" in n for g in grids for n in g.notes):
                doc.add("tables_from_positions", "PDF tables without cell borders: rows and columns read"
                                                 " from where the text stands")
            if pages and not doc.text.strip():
                from extract.grids.image import grids_from_scanned_pdf

                grids = grids_from_scanned_pdf(data)  # a scan: its tables read by OCR
                doc.text = grid_text(grids)
                if grids:
                    doc.add("tables_by_ocr", f"PDF of {pages} page(s) has no text layer: {len(grids)} table(s)"
                                             " read by OCR; low-confidence cells are marked")
                else:
                    doc.add("no_text_layer", f"PDF of {pages} page(s) has no text layer and no ruled table"
                                             " was found on its pages")
        elif fmt == "docx":
            doc.text = docx_text(data)
            grids = _with_docx_pictures(data, grids_from_docx(data), doc)
        elif fmt == "xlsx":
            grids = grids_from_xlsx(data)
            doc.text = grid_text(grids)
        elif fmt == "image":
            from extract.grids.image import grids_from_image

            grids = grids_from_image(data)
            doc.text = grid_text(grids)
            if grids:
                doc.add("tables_by_ocr", f"{len(grids)} table(s) read from a picture by OCR;"
                                         " low-confidence cells are marked")
        elif fmt == "xls":
            grids = spreadsheet_grids(data, doc.filename or doc.url)
            doc.text = grid_text(grids)
        else:
            raise UnreadableDocument(f"unsupported format {fmt}")
    except NeedsConverter as e:
        doc.add("needs_converter", str(e))
        return
    except UnreadableDocument as e:
        doc.add("unreadable", str(e))
        return
    doc.title = guess_title(doc.text)
    doc.published = text_date(doc.text)
    result = parse_tables(grids, doc.text)
    if fmt == "pdf" and doc.text.strip() and not all(result.found.values()):
        # Tables the cells did not give (no grid at all, or a grid that lost its structure): the
        # text layer laid out as printed, read against the template (extract.textlayout).
        result = tables_from_text(pdf_layout_text(data), structured=result)
    apply_tables(doc, result)
    mark_ocr_cells(doc, grids)


def _with_docx_pictures(data: bytes, grids: list, doc: Document) -> list:
    """A Word file whose tables are pasted as pictures (screenshots of a spreadsheet, scanned
    pages): the pictures are read by OCR in document order, a table continued across pictures
    joined. Kept only when they give a standard table the cells did not."""
    from extract.grids.image import grids_from_docx_images

    found = parse_tables(grids).found
    if all(found.values()):
        return grids
    pictured = grids_from_docx_images(data)
    if not pictured:
        return grids
    before = sum(map(bool, found.values()))
    if sum(map(bool, parse_tables([*grids, *pictured]).found.values())) <= before:
        return grids
    doc.add("tables_by_ocr", f"{len(pictured)} table(s) read by OCR from pictures in the Word file;"
                             " low-confidence cells are marked")
    return [*grids, *pictured]


def read_pictures(pictures: list[bytes], *, url: str | None = None) -> Document:
    """Tables of a page's pictures read as one sequence, in the order the page shows them: a table
    cut over two screenshots comes back whole (each picture read alone gives its halves)."""
    from extract.grids.image import grids_from_images

    doc = Document(url=url, format="image")
    try:
        grids = grids_from_images(pictures)
    except UnreadableDocument as e:
        doc.add("unreadable", str(e))
        return doc
    doc.text = grid_text(grids)
    if grids:
        doc.add("tables_by_ocr", f"{len(grids)} table(s) read by OCR from {len(pictures)} picture(s)"
                                 " in page order; low-confidence cells are marked")
    apply_tables(doc, parse_tables(grids, doc.text))
    mark_ocr_cells(doc, grids)
    # which picture each table starts in (0-based), so its cells can name the capture they came from
    starts: dict[str, int] = {}
    for g in grids:
        number = next((int(n.split()[1]) for n in g.notes if re.fullmatch(r"picture \d+", n)), None)
        if number is None:
            continue
        for t, found in parse_tables([g]).found.items():
            if found and doc.tables.get(t):
                starts.setdefault(t, number - 1)
    doc.meta = {**doc.meta, "table_pictures": starts}
    return _finish(doc)


def read_document(data: bytes, *, content_type: str | None = None, url: str | None = None,
                  filename: str | None = None) -> Document:
    fmt = sniff(data, content_type, filename or url)
    doc = Document(url=url, filename=filename, format=fmt)
    if not data:
        doc.add("unreadable", "empty file")
        return doc
    if fmt in ("html", "text") and (refused := html_refusal(data)):  # bounds before any parser runs
        doc.add("unreadable", refused if fmt == "html" else refused.replace("HTML page", "text file"))
        return doc
    if fmt == "binary":
        doc.add("unreadable", f"not a document: {binary_reason(data)}")
        return doc
    if fmt == "html":
        try:
            read_html(data, content_type, doc)
        except UnreadableDocument as e:  # tables past every bound (extract.grids.html.MAX_PAGE_SLOTS)
            doc.add("unreadable", str(e))
            return doc
    elif fmt == "text":
        try:
            decoded = decode_html(data, content_type)
        except UndecodableError as e:
            doc.add("undecodable", str(e))
            return doc
        doc.text, doc.encoding = decoded.text, decoded.encoding
        doc.title = guess_title(doc.text)
        doc.published = text_date(doc.text)
        apply_tables(doc, tables_from_text(doc.text))
    elif fmt == "zip":
        doc.add("unreadable", "a zip archive that is neither DOCX nor XLSX")
    else:
        read_binary(data, fmt, doc)
    return _finish(doc)

