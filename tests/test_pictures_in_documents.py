"""Tables pictured inside documents reach the tables through ``read_document``: pictures embedded
in a page as ``data:`` URIs, pictures pasted into a Word file, and a page's fetched pictures read as
one sequence (a table cut over two screenshots). The pictures are the project's own renderings of
random canonical reports; the expected tables are those reports, never the reader's output."""
from __future__ import annotations

import base64
import io

import pytest

from extract.document import read_document, read_pictures
from replica.render.images import render_table_images
from replica.render.sample import random_report

# the pictures are rasterised from PDFs that do not embed their Chinese font (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("cjk_font")


@pytest.fixture(scope="module")
def pictured():
    """A 2021 report and its table pictures; the requests table runs over two of them."""
    report = random_report(11, "2021")
    return report, render_table_images(report, dpi=150)


def _html(body: str) -> bytes:
    return (f"<html><head><title>某县民政局2021年政府信息公开工作年度报告</title></head><body>"
            f"<h1>某县民政局2021年政府信息公开工作年度报告</h1><p>发布时间：2022-01-20</p>{body}</body></html>"
            ).encode()


def _ocr_cells_carry_confidence(doc) -> None:
    assert doc.cells and all(c.source == "ocr" for c in doc.cells)
    assert all(c.confidence is not None and 0 <= c.confidence <= 1 for c in doc.cells)


def test_page_order_of_pictures_is_kept():
    doc = read_document(_html('<p>表</p><img src="b/2.png"><img src="/x/1.jpg"><img src="b/2.png">'
                              '<img src="data:image/png;base64,AAAA">'),
                        content_type="text/html; charset=utf-8", url="http://example.gov.cn/a/page.html")
    assert doc.meta["pictures"] == ["http://example.gov.cn/a/b/2.png", "http://example.gov.cn/x/1.jpg"]


def test_pictures_embedded_in_the_page_are_read(pictured):
    report, pics = pictured
    kinds = ["jpeg" if p.startswith(b"\xff\xd8") else "png" for p in pics]
    body = "".join(f'<p>{k}</p><img src="data:image/{kind};base64,{base64.b64encode(p).decode()}">'
                   for k, (kind, p) in enumerate(zip(kinds, pics)))
    doc = read_document(_html(body), content_type="text/html; charset=utf-8", url="http://example.gov.cn/r.html")
    assert {t: doc.tables.get(t) for t in report.tables} == report.tables
    assert doc.template == "2021"
    assert any(p.code == "tables_by_ocr" for p in doc.problems)
    assert not any(p.code == "tables_as_images" for p in doc.problems)
    _ocr_cells_carry_confidence(doc)


def test_broken_embedded_picture_is_said_not_guessed():
    doc = read_document(_html('<img src="data:image/png;base64,@@not-base64@@">'),
                        content_type="text/html; charset=utf-8", url="http://example.gov.cn/r.html")
    assert any(p.code == "pictures_skipped" for p in doc.problems)
    assert not doc.cells


@pytest.mark.slow  # OCR of a whole report (~12 s); the fast suite reads the pictures of a page
def test_word_file_with_pictured_tables(pictured):
    import docx

    report, pics = pictured
    d = docx.Document()
    d.add_paragraph("某县民政局2021年政府信息公开工作年度报告")
    for k, pic in enumerate(pics):
        d.add_paragraph(f"（表{k + 1}）")
        d.add_picture(io.BytesIO(pic))
    buf = io.BytesIO()
    d.save(buf)
    doc = read_document(buf.getvalue(), filename="年报.docx")
    assert doc.format == "docx"
    assert {t: doc.tables.get(t) for t in report.tables} == report.tables
    assert any(p.code == "tables_by_ocr" for p in doc.problems)
    _ocr_cells_carry_confidence(doc)


@pytest.mark.slow  # OCR of a whole report twice (~25 s)
def test_a_pages_pictures_read_in_sequence(pictured):
    """Each picture alone gives only part of the requests table; in page order it is whole."""
    report, pics = pictured
    alone = [read_document(p, filename=f"{k}.png") for k, p in enumerate(pics)]
    assert not any(d.tables.get("requests") == report.tables["requests"] for d in alone)
    doc = read_pictures(pics, url="http://example.gov.cn/r.html")
    assert {t: doc.tables.get(t) for t in report.tables} == report.tables
    _ocr_cells_carry_confidence(doc)
