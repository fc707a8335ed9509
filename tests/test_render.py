"""Canonical report generator and format renderers: valid files, official layout, reproducible."""
from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings

from extract import schema
from replica.render import RENDERERS, random_report, render, reports
from extract.layout import TableSpec, expand, layout, n_cols, positioned
from replica.render.sample import BLANKS, DASHES
from replica.render.textdump import dump_table


# ---------------------------------------------------------------------------------------------
# the generator

def test_same_seed_same_report_and_seeds_differ():
    a, b = random_report(42, "2021"), random_report(42, "2021")
    assert a == b
    assert random_report(43, "2021") != a
    assert random_report(42, "2019").template == "2019"
    with pytest.raises(ValueError):
        random_report(1, "pre2019")


@settings(max_examples=60, deadline=None, database=None)
@given(reports())
def test_report_is_complete_and_consistent(report):
    for table in schema.TABLE_KEYS:
        expected = schema.cell_keys(table, report.template)
        got = [(r, c) for r, cols in report.tables[table].items() for c in cols]
        assert sorted(got) == sorted(expected)
        for r, c in expected:
            raw, value = report.raw[table][r][c], report.tables[table][r][c]
            empty = raw.strip(" \u3000") == "" or raw in DASHES
            assert (value is None) == empty, (table, r, c, raw, value)
            assert value is None or isinstance(value, (int, float))
        assert set(report.row_labels[table]) == {f.key for f in schema.rows(table, report.template)}
    assert report.title and report.agency in report.title and str(report.year) in report.title
    assert [h[:2] for h, _ in report.sections] == [s[:2] for s in schema.SECTIONS]


def test_generator_covers_the_spellings_it_promises():
    raws, labels = set(), set()
    for seed in range(120):
        r = random_report(seed, "2021" if seed % 2 else "2019")
        raws |= {v for t in r.raw.values() for cols in t.values() for v in cols.values()}
        labels |= {v for t in r.row_labels.values() for v in t.values()}
    assert any("," in x for x in raws)  # 1,234
    assert any(x and x[0] in "０１２３４５６７８９" for x in raws)  # full-width digits
    assert any(x.endswith("万元") for x in raws) and any(x.endswith("元") and not x.endswith("万元") for x in raws)
    assert any("." in x and x.replace(".", "").isdigit() for x in raws)  # decimals
    assert any(x.startswith("-") and x[1:].isdigit() for x in raws)  # 本年增/减
    assert set(DASHES) <= raws and set(BLANKS) <= raws
    assert any("\n" in x for x in labels) and any(" " in x for x in labels)
    assert any(x.startswith("1、") for x in labels) and any(x.startswith("(") for x in labels)
    assert any(x.startswith("１") for x in labels)
    assert any(x in f.variants for t in schema.TABLE_KEYS for f in schema.table(t).rows for x in labels)


# ---------------------------------------------------------------------------------------------
# the layout

@pytest.mark.parametrize("tpl", ["2019", "2021"])
def test_layout_is_the_official_structure(tpl):
    spans = {k: layout(TableSpec(k, tpl)) for k in schema.TABLE_KEYS}
    assert n_cols(spans["requests"]) == 10 and n_cols(spans["appeals"]) == 15 and n_cols(spans["active"]) == 4
    for grid in spans.values():
        slots = expand(grid)
        assert len({len(row) for row in slots}) == 1  # rectangular
        assert sum(c.rowspan * c.colspan for c, _, _ in positioned(grid)) == len(slots) * len(slots[0])
    req = expand(spans["requests"])
    assert len(req) == 3 + len(schema.rows("requests", tpl))
    note = req[0][0][0]
    assert (note.text, note.rowspan, note.colspan) == (schema.REQUESTS_NOTE, 3, 3)
    assert req[5][0][0].text == "三、本年度办理结果" and req[5][0][0].rowspan == len(schema.rows("requests", tpl)) - 3
    app = expand(spans["appeals"])
    assert [c.text for c, _, _ in app[2][5:10]] == [c.label for c in schema.APPEALS_COLS]


def test_replica_tables_use_the_shared_layout():
    from replica import numbers, tables_html

    t = numbers.xinjiang_2021()
    grid = tables_html.layout_requests(t)
    assert n_cols(grid) == 10
    assert any(c.text == "3.补正后申请内容仍部明确" for row in grid for c in row)
    app = tables_html.layout_appeals(t)
    assert [c.text for c in app[1][:5]][3] == "尚未结果"  # the review group's own header spelling
    assert [c.text for c in app[2]][3] == "尚未审结"
    assert [c.text for c in tables_html.layout_active(t)[6][1:]] == ["9", "342", "12"]


# ---------------------------------------------------------------------------------------------
# the renderers

FORMATS = sorted(RENDERERS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_is_deterministic(fmt):
    a = render(random_report(5, "2021"), fmt)
    b = render(random_report(5, "2021"), fmt)
    assert isinstance(a, bytes) and a == b
    assert render(random_report(6, "2021"), fmt) != a


def test_docx_reopens_with_three_merged_tables():
    import docx

    r = random_report(12, "2021")
    d = docx.Document(io.BytesIO(render(r, "docx", nested=False)))
    assert [(len(t.rows), len(t.columns)) for t in d.tables] == [(14, 4), (28, 10), (4, 15)]
    xml = d.tables[1]._tbl.xml
    assert 'w:gridSpan w:val="7"' in xml and 'w:vMerge w:val="restart"' in xml
    text = "\n".join(p.text for p in d.paragraphs)
    assert r.title in text and "六、其他需要报告的事项" in text


def test_xlsx_reopens_with_merged_ranges():
    import openpyxl

    r = random_report(12, "2019")
    wb = openpyxl.load_workbook(io.BytesIO(render(r, "xlsx", one_sheet=False)))
    assert len(wb.worksheets) == 3
    ranges = {str(m) for m in wb.worksheets[1].merged_cells.ranges}
    assert "A3:C5" in ranges and "D3:J3" in ranges  # the 3×3 note and 申请人情况
    wb1 = openpyxl.load_workbook(io.BytesIO(render(r, "xlsx", one_sheet=True)))
    assert len(wb1.worksheets) == 1 and wb1.worksheets[0]["A1"].value == r.title


def test_xls_is_an_ole2_workbook_xlrd_reads():
    import xlrd

    r = random_report(12, "2021")
    book = xlrd.open_workbook(file_contents=render(r, "xls"), formatting_info=True)
    sh = book.sheet_by_index(0)
    assert sh.cell_value(0, 0) == "二、主动公开政府信息情况"
    assert len(sh.merged_cells) > 20


def test_pdf_opens_and_text_is_chinese():
    import pdfplumber

    r = random_report(12, "2021")
    with pdfplumber.open(io.BytesIO(render(r, "pdf"))) as pdf:
        assert len(pdf.pages) >= 2
        text = "".join(p.extract_text() for p in pdf.pages)
        tables = [t for p in pdf.pages for t in p.find_tables()]
    flat = text.replace("\n", "")
    assert r.title in flat
    for heading, _ in r.sections:
        assert heading in flat
    assert {len(t.extract()[0]) for t in tables} >= {4, 10, 15}


@pytest.mark.parametrize("split,parts", [(True, 2), (False, 1)])
def test_pdf_requests_table_split_control(split, parts):
    import pdfplumber

    r = random_report(21, "2021")
    with pdfplumber.open(io.BytesIO(render(r, "pdf", split_requests=split))) as pdf:
        tens = [n for n, p in enumerate(pdf.pages) for t in p.find_tables() if len(t.extract()[0]) == 10]
    assert len(tens) == parts
    if parts == 2:
        assert tens[1] == tens[0] + 1


def test_some_reports_split_the_requests_table_on_their_own():
    import pdfplumber

    def pages_of(data: bytes, *needles: str) -> list[int]:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            texts = [p.extract_text().replace("\n", "") for p in pdf.pages]
        return [next(n for n, t in enumerate(texts) if needle in t) for needle in needles]

    split = 0
    for seed in range(4):
        r = random_report(seed, "2021")
        first, last = pages_of(render(r, "pdf"), "申请人情况", "继续办理")
        split += last > first
    assert split >= 1


def test_html_has_three_tables_with_spans():
    from lxml import html as lhtml

    r = random_report(12, "2021")
    for style in ("clean", "word", "legacy"):
        root = lhtml.fromstring(render(r, "html", style=style))
        tables = root.findall(".//table")
        assert len(tables) == 3
        assert root.xpath("string(//title)") == r.title
        assert any(td.get("rowspan") == "3" and td.get("colspan") == "3" for td in tables[1].iter("td"))


def test_text_dump_shape():
    r = random_report(12, "2021")
    text = render(r, "text", halfwidth=False).decode("utf-8")
    lines = text.splitlines()
    i = lines.index(schema.SECTIONS[2])
    assert any(line.endswith(" |") for line in lines[i:])
    grid = r.layout("requests")
    dumped = dump_table(grid)
    # first row: note and 申请人情况, then eight padding bars (ten columns, two cells)
    assert dumped[0].endswith(" |") and dumped[2] == "|" * 8
    assert "\n".join(dumped) in text


def test_render_unknown_format():
    with pytest.raises(ValueError):
        render(random_report(1), "odt")


def test_zip_members_have_fixed_dates():
    r = random_report(3, "2021")
    for fmt in ("docx", "xlsx"):
        z = zipfile.ZipFile(io.BytesIO(render(r, fmt)))
        assert {i.date_time for i in z.infolist()} == {(r.year + 1, 1, 15, 8, 0, 0)}
