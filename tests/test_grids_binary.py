"""Binary format readers (DOCX, PDF, XLSX, XLS): merged cells expanded, page-split tables stitched,
hostile input refused quickly.

Each rendered report's grids are compared slot by slot with the expansion of the layout it was
rendered from (``replica.render.layout.expand``): the same text in every slot a merged cell covers,
the same origin, values under the right headers.
"""
from __future__ import annotations

import io
import re
import time
import unicodedata
import zipfile
from decimal import Decimal, InvalidOperation

import pytest

from extract import schema
from extract.grids import Grid
from extract.grids.docx import grids_from_docx
from extract.grids.errors import UnreadableDocument
from extract.grids.pdf import grids_from_pdf
from extract.grids.xlsx import grids_from_xls, grids_from_xlsx
from replica.render.docx import render_docx
from extract.layout import expand
from replica.render.pdf import render_pdf
from replica.render.sample import random_report
from replica.render.xls import render_xls
from replica.render.xlsx import render_xlsx

TABLES = ("active", "requests", "appeals")
SHAPES = {("active", "2021"): (14, 4), ("active", "2019"): (18, 4), ("requests", "2021"): (28, 10),
          ("requests", "2019"): (26, 10), ("appeals", "2021"): (4, 15), ("appeals", "2019"): (4, 15)}


def expected(report, key: str) -> tuple[list[list[str]], list[list[tuple[int, int]]], list[list[str]]]:
    """Cells, origins and slot kinds of a table as rendered (the layout expanded)."""
    slots = expand(report.layout(key))
    cells = [[cell.text for cell, _, _ in row] for row in slots]
    origin = [[(r, c) for _, r, c in row] for row in slots]
    kinds = [[cell.kind for cell, _, _ in row] for row in slots]
    return cells, origin, kinds


def _num(s: str):
    t = unicodedata.normalize("NFKC", s).replace(",", "").strip()
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def same_text(a: str, b: str, kind: str, loose: bool) -> bool:
    """Equal as printed; ``loose``: ignoring whitespace (PDF wraps lines); numbers compare by value
    (a spreadsheet stores ``1,234`` as 1234)."""
    if loose:
        a, b = re.sub(r"\s", "", a), re.sub(r"\s", "", b)
    if a == b:
        return True
    if kind == "value":
        na, nb = _num(a), _num(b)
        return na is not None and na == nb
    return False


def assert_grid_matches(grid: Grid, report, key: str, loose: bool = False) -> None:
    cells, origin, kinds = expected(report, key)
    assert (grid.n_rows, grid.n_cols) == (len(cells), len(cells[0])), (key, grid.n_rows, grid.n_cols)
    assert grid.origin == origin, f"{key}: origins differ"
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            assert same_text(grid.cells[r][c], text, kinds[r][c], loose), \
                f"{key} slot ({r},{c}): read {grid.cells[r][c]!r}, rendered {text!r}"


def test_shapes_match_the_template():
    for tpl in ("2019", "2021"):
        r = random_report(0, tpl)
        for key in TABLES:
            cells, _, _ = expected(r, key)
            assert (len(cells), len(cells[0])) == SHAPES[(key, tpl)]


# ---------------------------------------------------------------------------------------------
# DOCX

@pytest.mark.parametrize("seed,tpl", [(1, "2021"), (2, "2019"), (3, "2021"), (11, "2019")])
def test_docx_grids_expand_grid_span_and_vmerge(seed, tpl):
    report = random_report(seed, tpl)
    grids = grids_from_docx(render_docx(report, nested=False))
    assert len(grids) == 3
    for g, key in zip(grids, TABLES):
        assert g.source == "docx"
        assert_grid_matches(g, report, key)
        assert g.context == dict(report.sections)[schema.table(key).title][-1].strip()


def test_docx_merged_label_repeated_with_origin():
    report = random_report(5, "2021")
    g = grids_from_docx(render_docx(report, nested=False))[1]
    # 三、本年度办理结果 covers column 0 of every result row, origin at its first row
    first = 5
    rows = [r for r in range(g.n_rows) if g.origin[r][0] == (first, 0)]
    assert len(rows) == len(schema.rows("requests", "2021")) - 3
    assert all(g.cells[r][0] == g.cells[first][0] for r in rows)
    assert all(g.is_merged_copy(r, 0) for r in rows[1:])
    # the 3×3 note in the header corner
    assert {g.origin[r][c] for r in range(3) for c in range(3)} == {(0, 0)}
    # values sit under the header of their column
    assert g.cells[2][3:10][1:6] == [report.col_labels["requests"][k] for k in
                                      ("business", "research", "nonprofit", "legal_services", "other_org")]
    assert g.cells[3][3] == report.raw["requests"]["new_received"]["natural_person"]
    assert g.cells[3][9] == report.raw["requests"]["new_received"]["total"]


def test_docx_nested_tables_inside_a_layout_table():
    report = random_report(3, "2021")
    grids = grids_from_docx(render_docx(report, nested=True))
    assert [(g.n_rows, g.n_cols) for g in grids] == [SHAPES[(k, "2021")] for k in TABLES]
    for g, key in zip(grids, TABLES):
        assert_grid_matches(g, report, key)
        assert g.context  # the paragraph before it inside the wrapper cell


def test_docx_official_blank_template(shared_dir):
    data = (shared_dir / "samples" / "template-2021-blank.docx").read_bytes()
    grids = grids_from_docx(data)
    assert [(g.n_rows, g.n_cols) for g in grids] == [(14, 4), (28, 10), (4, 15)]
    req = grids[1]
    assert req.origin[27][2] == (27, 0) and req.cells[27][0].startswith("四、")
    assert req.origin[12][1] == (7, 1)  # （三）不予公开 spans the eight withheld rows
    assert grids[0].context.startswith("二、") and grids[2].context.startswith("四、")


# ---------------------------------------------------------------------------------------------
# PDF

@pytest.fixture(scope="module")
def split_pdf():
    report = random_report(3, "2021")
    return report, render_pdf(report, split_requests=True)


def _table_widths(data: bytes) -> list[list[int]]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [[len(t.extract()[0]) for t in p.find_tables()] for p in pdf.pages]


def test_pdf_page_split_table_is_stitched(split_pdf):
    report, data = split_pdf
    widths = _table_widths(data)
    # the requests table really is cut: a 10-column table ends one page and one starts the next
    cut = [n for n in range(len(widths) - 1) if widths[n] and widths[n][-1] == 10 and widths[n + 1][:1] == [10]]
    assert cut, widths
    grids = grids_from_pdf(data)
    assert len(grids) == 3
    req = grids[1]
    assert any("stitched" in n for n in req.notes)
    assert req.page == cut[0] + 1
    assert_grid_matches(req, report, "requests", loose=True)
    # the 三、本年度办理结果 cell cut by the break is one cell again, on both pages
    assert {req.origin[r][0] for r in range(5, 27)} == {(5, 0)}
    assert any("rejoined" in n for n in req.notes)


def test_pdf_continuation_with_fewer_ruled_columns_is_stitched(split_pdf):
    """The active table's tail (行政事业性收费 | one value spanning three columns) draws only two
    columns on its page: it is laid out on the four columns of the part it continues."""
    report, data = split_pdf
    widths = _table_widths(data)
    assert widths[0] == [4] and widths[1][0] == 2, widths
    g = grids_from_pdf(data)[0]
    assert any("laid out on the 4 columns" in n for n in g.notes)
    assert_grid_matches(g, report, "active", loose=True)


def test_pdf_repeated_header_rows_are_dropped_when_stitching():
    report = random_report(3, "2021")
    grids = grids_from_pdf(render_pdf(report, split_requests=True, repeat_header=True))
    assert len(grids) == 3
    req = grids[1]
    assert any("3 repeated header row(s) dropped" in n for n in req.notes)
    assert_grid_matches(req, report, "requests", loose=True)
    assert_grid_matches(grids[0], report, "active", loose=True)


def test_pdf_grids_match_layout(split_pdf):
    report, data = split_pdf
    grids = grids_from_pdf(data)
    for g, key in zip(grids, TABLES):
        assert g.source == "pdf"
        assert_grid_matches(g, report, key, loose=True)
    assert grids[0].context.endswith("。")  # the sentence before the table


def test_pdf_unsplit_table_and_2019_template():
    report = random_report(8, "2019")
    data = render_pdf(report, split_requests=False)
    grids = grids_from_pdf(data)
    assert len(grids) == 3
    assert not any("stitched" in n for n in grids[1].notes)  # requests starts on a fresh page
    for g, key in zip(grids, TABLES):
        assert_grid_matches(g, report, key, loose=True)


def test_pdf_chinese_text_extracts_exactly(split_pdf):
    report, data = split_pdf
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        text = pdf.pages[0].extract_text()
    assert report.title.replace("\n", "") in text.replace("\n", "") or report.title[:20] in text
    assert "一、总体情况" in text


# ---------------------------------------------------------------------------------------------
# XLSX / XLS

@pytest.mark.parametrize("one_sheet", [True, False])
@pytest.mark.parametrize("seed,tpl", [(1, "2021"), (4, "2019")])
def test_xlsx_merged_ranges_and_blocks(seed, tpl, one_sheet):
    report = random_report(seed, tpl)
    grids = grids_from_xlsx(render_xlsx(report, one_sheet=one_sheet))
    assert len(grids) == 3
    for g, key in zip(grids, TABLES):
        assert g.source == "xlsx"
        assert_grid_matches(g, report, key)
        assert g.context == schema.table(key).title  # the caption row above the table
    assert [g.page for g in grids] == ([0, 0, 0] if one_sheet else [0, 1, 2])


def test_xls_merged_cells():
    report = random_report(6, "2019")
    grids = grids_from_xls(render_xls(report))
    assert len(grids) == 3
    for g, key in zip(grids, TABLES):
        assert g.source == "xls"
        assert_grid_matches(g, report, key)


def test_xlsx_reader_accepts_xls_and_back():
    report = random_report(6, "2021")
    assert len(grids_from_xlsx(render_xls(report))) == 3
    assert len(grids_from_xls(render_xlsx(report))) == 3


def _patched_xlsx(edit) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["A2"], ws["B2"] = "规章", 3, "规范性文件", 4
    ws["D10"] = "huge"
    ws.merge_cells("D10:E11")
    out = io.BytesIO()
    wb.save(out)
    members = _members(out.getvalue())
    members["xl/worksheets/sheet1.xml"] = edit(members["xl/worksheets/sheet1.xml"])
    return _zip_with(members)


def test_xlsx_far_away_cell_stays_a_separate_small_block():
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    data = _patched_xlsx(lambda xml: xml.replace(b"</sheetData>", far))
    t = time.time()
    grids = grids_from_xlsx(data)
    assert time.time() - t < 5
    assert grids[0].cells == [["规章", "3"], ["规范性文件", "4"]]
    assert [g.n_rows * g.n_cols for g in grids] == [4, 4]  # the lone far cell is a caption, not a grid


def test_xlsx_huge_merged_range_is_refused_before_openpyxl_allocates_it():
    data = _patched_xlsx(lambda xml: xml.replace(b'ref="D10:E11"', b'ref="D10:XFD1048575"'))
    assert "merged" in _refused(grids_from_xlsx, data)


def test_xlsx_with_millions_of_stored_cells_is_refused():
    row = b"".join(b'<c r="A%d"/>' % i for i in range(1, 1_100_001))
    data = _patched_xlsx(lambda xml: xml.replace(b"</sheetData>", b'<row r="99">' + row + b"</row></sheetData>"))
    assert "stored cells" in _refused(grids_from_xlsx, data, limit=10)


# ---------------------------------------------------------------------------------------------
# unreadable and hostile input

def _zip_with(members: dict[str, bytes], level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, blob in members.items():
            z.writestr(name, blob)
    return out.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n) for n in z.namelist()}


@pytest.fixture(scope="module")
def samples():
    report = random_report(9, "2021")
    return {"pdf": render_pdf(report), "docx": render_docx(report), "xlsx": render_xlsx(report),
            "xls": render_xls(report)}


READERS = {"pdf": grids_from_pdf, "docx": grids_from_docx, "xlsx": grids_from_xlsx, "xls": grids_from_xls}


def _refused(fn, data: bytes, limit: float = 3.0) -> str:
    t = time.time()
    with pytest.raises(UnreadableDocument) as e:
        fn(data)
    assert time.time() - t < limit
    assert isinstance(e.value, ValueError) and e.value.reason
    return e.value.reason


@pytest.mark.parametrize("fmt", ["pdf", "docx", "xlsx", "xls"])
def test_truncated_input_is_unreadable(samples, fmt):
    data = samples[fmt]
    for frac in (0.0, 0.05, 0.5, 0.95):
        _refused(READERS[fmt], data[: int(len(data) * frac)])


@pytest.mark.parametrize("fmt", ["pdf", "docx", "xlsx", "xls"])
def test_wrong_format_is_unreadable(samples, fmt):
    for other, data in samples.items():
        if other == fmt or {fmt, other} <= {"xlsx", "xls"}:
            continue
        _refused(READERS[fmt], data)
    _refused(READERS[fmt], b"<html><body>not a document</body></html>")


def test_pdf_garbage_with_trailer_is_unreadable(samples):
    pdf = samples["pdf"]
    assert "PDF" in _refused(grids_from_pdf, pdf[: len(pdf) // 2] + b"\n%%EOF\n")
    _refused(grids_from_pdf, b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n")


@pytest.mark.parametrize("fmt,member", [("docx", "word/document.xml"), ("xlsx", "xl/worksheets/sheet1.xml")])
def test_zip_bomb_is_refused(samples, fmt, member):
    members = _members(samples[fmt])
    members[member] = b"<a>" + b"\0" * (48 << 20)  # 48 MB that deflates ~1000:1
    bomb = _zip_with(members, level=1)
    assert len(bomb) < 1 << 20
    assert "refused" in _refused(READERS[fmt], bomb)


@pytest.mark.parametrize("fmt,member", [("docx", "word/document.xml"), ("xlsx", "xl/worksheets/sheet1.xml")])
def test_zip_member_declaring_a_huge_size_is_refused(samples, fmt, member):
    data = bytearray(samples[fmt])
    name = member.encode()
    i = 0
    while (i := data.find(b"PK\x01\x02", i)) >= 0:  # central directory: declare 4 GB uncompressed
        n = int.from_bytes(data[i + 28:i + 30], "little")
        if bytes(data[i + 46:i + 46 + n]) == name:
            data[i + 24:i + 28] = (0xFFFFFFF0).to_bytes(4, "little")
        i += 4
    assert "refused" in _refused(READERS[fmt], bytes(data))


@pytest.mark.parametrize("fmt,member", [("docx", "word/document.xml"), ("xlsx", "xl/worksheets/sheet1.xml")])
def test_zip_member_lying_about_a_small_size_is_unreadable(samples, fmt, member):
    """A member that inflates far beyond its declared size: read in bounded chunks, then refused."""
    members = _members(samples[fmt])
    members[member] = b"<a>" + b" " * (32 << 20)
    data = bytearray(_zip_with(members, level=1))
    name = member.encode()
    for sig, size_at, name_at, len_at in ((b"PK\x01\x02", 24, 46, 28), (b"PK\x03\x04", 22, 30, 26)):
        i = 0
        while (i := data.find(sig, i)) >= 0:
            n = int.from_bytes(data[i + len_at:i + len_at + 2], "little")
            if bytes(data[i + name_at:i + name_at + n]) == name:
                data[i + size_at:i + size_at + 4] = (4096).to_bytes(4, "little")
            i += 4
    _refused(READERS[fmt], bytes(data))


def test_zip_with_too_many_members_is_refused():
    data = _zip_with({f"x/{i}": b"" for i in range(12_000)}, level=1)
    assert "members" in _refused(grids_from_docx, data)
    assert "members" in _refused(grids_from_xlsx, data)


def test_entity_expansion_is_refused_or_harmless(samples):
    lol = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l0 "lollollollollollol">'
           + "".join(f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">' for i in range(1, 10)) + "]>")
    members = _members(samples["docx"])
    members["word/document.xml"] = (lol + '<w:document xmlns:w="http://schemas.openxmlformats.org/'
                                    'wordprocessingml/2006/main"><w:body><w:tbl><w:tr><w:tc><w:p><w:r>'
                                    "<w:t>&l9;</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>").encode()
    t = time.time()
    try:
        grids = grids_from_docx(_zip_with(members))
        assert sum(len(c) for g in grids for row in g.cells for c in row) < 10_000
    except UnreadableDocument:
        pass
    assert time.time() - t < 3
