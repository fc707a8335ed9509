"""Hostile files: every one is generated here, read as the archive reads captures, and must come back
with a clear recorded reason, within time, within memory, and without stopping the next document.

Bombs are scaled so that they are well past the bound that stops them (or past the budget of the
pool reading them) while the test stays quick; the worker's peak resident size is measured from
/proc (``DocumentPool.peak_rss_mb``)."""
from __future__ import annotations

import functools
import io
import os
import stat
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from extract.budget import Budget, DocumentPool
from extract.document import read_document
from extract.grids import html as html_grids
from extract.grids.pdf import MAX_STREAM_BYTES, MAX_TABLE_PAGES
from extract.grids.safezip import MAX_MEMBER_BYTES
from replica.render import random_report, render

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


# ---------------------------------------------------------------- makers


def _patch_sizes(data: bytes, name: bytes, declared: int) -> bytes:
    """The zip with ``name``'s uncompressed size rewritten to ``declared`` in its local header and in
    the central directory: headers that lie about how much the member inflates to."""
    out = bytearray(data)
    for sig, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        pos = 0
        while (j := out.find(sig, pos)) >= 0:
            n = struct.unpack_from("<H", out, j + name_len_at)[0]
            if out[j + name_at:j + name_at + n] == name:
                struct.pack_into("<I", out, j + size_at, declared)
            pos = j + 4
    return bytes(out)


@functools.lru_cache(maxsize=None)
def lying_package(kind: str, method: int, real: int, declared: int = 1000) -> bytes:
    """A DOCX or XLSX whose main part inflates to ``real`` bytes but declares ``declared``."""
    part = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        info = zipfile.ZipInfo(part)
        info.compress_type = method
        with z.open(info, "w") as f:
            chunk = b"\0" * MB
            for _ in range(real // MB):
                f.write(chunk)
    return _patch_sizes(buf.getvalue(), part.encode(), declared)


def flate_bomb_pdf(inflated: int) -> bytes:
    """A one-page PDF whose content stream is ``inflated`` bytes of spaces, deflated."""
    z = zlib.compressobj(9)
    block = b" " * MB
    payload = b"".join(z.compress(block) for _ in range(inflated // MB)) + z.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(payload) + payload + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def ruled_pdf(pages: int, rows: int = 30, cols: int = 8) -> bytes:
    """``pages`` pages, each a ruled table of numbers."""
    from reportlab.pdfgen import canvas

    b = io.BytesIO()
    c = canvas.Canvas(b)
    for p in range(pages):
        x0, y0, w, h = 50, 780, 60, 22
        for r in range(rows + 1):
            c.line(x0, y0 - r * h, x0 + cols * w, y0 - r * h)
        for k in range(cols + 1):
            c.line(x0 + k * w, y0, x0 + k * w, y0 - rows * h)
        for r in range(rows):
            for k in range(cols):
                c.drawString(x0 + k * w + 4, y0 - r * h - 15, str(p * 7 + r * k))
        c.showPage()
    c.save()
    return b.getvalue()


def encrypted_pdf() -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    b = io.BytesIO()
    c = canvas.Canvas(b, encrypt=pdfencrypt.StandardEncryption("secret", "owner"))
    c.drawString(100, 700, "2021年政府信息公开工作年度报告")
    c.showPage()
    c.save()
    return b.getvalue()


def span_bomb_html(rows: int = 2000) -> bytes:
    """~100 KB of table whose every row sweeps right with a huge rowspan and colspan."""
    body = "".join(f'<tr><td rowspan="{rows}" colspan="1000">{i}</td><td>申请</td></tr>' for i in range(rows))
    return (f"<html><head><title>2021年政府信息公开工作年度报告</title></head><body><p>正文</p>"
            f"<table>{body}</table></body></html>").encode()


def report_page() -> bytes:
    return render(random_report(3, "2021"), "html")


def problem(doc, code: str) -> str:
    found = [p.message for p in doc.problems if p.code == code]
    assert found, f"no {code} problem in {doc.problems}"
    return found[0]


def read_bounded(data: bytes, budget: Budget = Budget(seconds=60, memory_mb=600), **kw):
    """The document read in a worker, with the seconds it took and the worker's peak RSS (MB)."""
    with DocumentPool(1, budget) as pool:
        pool.read(b"<html><body><p>warm</p></body></html>")  # imports are not the case's cost
        t = time.monotonic()
        doc = pool.read(data, **kw)
        return doc, time.monotonic() - t, pool.peak_rss_mb()


# ---------------------------------------------------------------- zip bombs


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_lying_bzip2_package_is_refused_unread(kind):
    data = lying_package(kind, zipfile.ZIP_BZIP2, real=48 * MB)
    assert len(data) < 10_000  # a few hundred bytes that would inflate to 48 MB (and GBs at scale)
    doc, took, peak = read_bounded(data, filename=f"report.{kind}")
    assert doc.format == kind and not doc.readable
    assert "bzip2" in problem(doc, "unreadable") and "refused" in problem(doc, "unreadable")
    assert took < 5 and peak < 150, (took, peak)


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_deflate_member_whose_declared_size_lies_stops_at_it(kind):
    real = MAX_MEMBER_BYTES + 20 * MB  # past the member cap, declared as 1000 bytes
    data = lying_package(kind, zipfile.ZIP_DEFLATED, real=real)
    doc, took, peak = read_bounded(data, filename=f"report.{kind}")
    assert not doc.readable
    msg = problem(doc, "unreadable")
    assert "CRC" in msg or "declared size" in msg, msg
    assert took < 10 and peak < 150, (took, peak)


def test_docx_pictures_go_through_the_bounded_reader():
    from extract.grids.errors import UnreadableDocument
    from extract.grids.image import grids_from_docx_images

    data = lying_package("docx", zipfile.ZIP_LZMA, real=8 * MB)
    with pytest.raises(UnreadableDocument, match="LZMA"):
        grids_from_docx_images(data)


# ---------------------------------------------------------------- PDF


def test_flate_bomb_pdf_is_refused_before_parsing():
    inflated = MAX_STREAM_BYTES + 172 * MB  # 300 MB of content stream from ~300 KB
    data = flate_bomb_pdf(inflated)
    assert len(data) < inflated // 500
    doc, took, peak = read_bounded(data)
    msg = problem(doc, "unreadable")
    assert "decompression bomb" in msg and "inflates past" in msg, msg
    assert took < 20 and peak < 200, (took, peak)


def test_encrypted_pdf_says_it_is_encrypted():
    doc = read_document(encrypted_pdf(), filename="report.pdf")
    msg = problem(doc, "unreadable")
    assert msg.startswith("PDF is encrypted"), msg


def test_many_page_ruled_pdf_reads_tables_from_the_first_pages_only():
    from extract.grids.pdf import grids_from_pdf

    data = ruled_pdf(MAX_TABLE_PAGES + 4, rows=3, cols=3)
    t = time.monotonic()
    grids = grids_from_pdf(data)
    assert time.monotonic() - t < 30
    assert grids and any(f"first {MAX_TABLE_PAGES} pages only; 4 later pages" in n for g in grids for n in g.notes)
    assert max(g.page for g in grids) <= MAX_TABLE_PAGES


@pytest.mark.slow
def test_399_page_ruled_pdf_ends_within_its_budget():
    data = ruled_pdf(399)
    budget = Budget(seconds=120, memory_mb=1536)
    doc, took, peak = read_bounded(data, budget)
    assert took < budget.seconds + 5 and peak < budget.memory_mb
    assert doc.problems  # read with its tables bounded, or stopped by the budget: either way said
    if not doc.readable:
        assert "s budget" in problem(doc, "over_budget")


# ---------------------------------------------------------------- HTML


def test_span_bomb_html_is_refused_before_parsing():
    data = span_bomb_html()
    assert len(data) < 150_000
    doc, took, peak = read_bounded(data, content_type="text/html")
    assert "span bomb" in problem(doc, "unreadable")
    assert took < 5 and peak < 200, (took, peak)


def test_span_bomb_grid_is_bounded_in_the_grid_reader_itself():
    # past the refusal: the grid reader alone must stay bounded too
    t = time.monotonic()
    grids = html_grids.grids_from_html(span_bomb_html(rows=300).decode())
    assert time.monotonic() - t < 10
    assert grids and all(g.n_cols <= html_grids.MAX_WIDTH for g in grids)
    assert any("cells past column" in n or "single cells" in n for g in grids for n in g.notes)


def test_page_of_tables_past_the_page_bound_is_unreadable():
    rows = html_grids.MAX_ROWS
    table = "<table>" + '<tr><td colspan="64">1</td><td colspan="64">2</td></tr>' * rows + "</table>"
    tables = table * (html_grids.MAX_PAGE_SLOTS // (rows * html_grids.MAX_WIDTH) + 1)
    with pytest.raises(html_grids.UnreadableDocument, match="more than"):
        html_grids.read_html(f"<html><body>{tables}</body></html>")


def test_13_mb_html_page_is_refused_by_size():
    page = report_page()
    filler = "".join(f"<p>第{i}段 本机关依法公开政府信息，做好政务公开工作。</p>\n" for i in range(200_000)).encode()
    data = page.replace(b"</body>", filler + b"</body>")
    assert len(data) > 13 * MB
    doc, took, peak = read_bounded(data, content_type="text/html")
    msg = problem(doc, "unreadable")
    assert "MB of markup" in msg and "limit" in msg, msg
    assert took < 5 and peak < 300, (took, peak)


def test_inline_pictures_do_not_count_as_markup():
    import base64

    pic = base64.b64encode(os.urandom(5 * MB)).decode()
    data = report_page().replace(b"</body>", f'<img src="data:image/png;base64,{pic}"></body>'.encode())
    assert html_grids.refusal(data) is None
    assert html_grids.refusal(data + b"<p>x</p>" * (html_grids.MAX_HTML_MARKUP // 8)) is not None


# ---------------------------------------------------------------- binary, parse


def test_binary_garbage_is_unreadable_not_text():
    garbage = bytes(b % 31 + 1 for b in os.urandom(4000))  # control bytes, no NUL
    doc = read_document(garbage, filename="x.bin")
    assert doc.format == "binary" and not doc.readable
    assert "binary content" in problem(doc, "unreadable")
    doc = read_document(os.urandom(4000))
    assert not doc.readable


def parse(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "crawler.cli", "parse", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_parse_refuses_what_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(b % 31 + 1 for b in os.urandom(4000)))
    cases = {fifo: "FIFO", Path("/dev/zero"): "character device", tmp_path / "missing.pdf": "no such file",
             garbage: "binary content"}
    for path, said in cases.items():
        t = time.monotonic()
        out = parse(path)
        assert out.returncode == 2, (path, out.returncode, out.stderr)
        assert said in out.stderr, (path, out.stderr)
        assert time.monotonic() - t < 30
    out = parse(tmp_path)  # a directory
    assert out.returncode == 2 and "directory" in out.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # nothing replaced the pipe


def test_parse_reads_a_report_and_exits_0(tmp_path):
    f = tmp_path / "report.html"
    f.write_bytes(report_page())
    out = parse(f, "--json")
    assert out.returncode == 0, out.stderr
    assert '"requests"' in out.stdout


# ---------------------------------------------------------------- the pool


def test_over_time_and_over_memory_jobs_are_stopped_and_the_next_goes_on():
    page = report_page()
    slow = ruled_pdf(120, rows=20, cols=6)  # seconds of table finding: past a 2 s budget
    greedy = flate_bomb_pdf(100 * MB)  # under the stream bound, over a 250 MB memory budget
    cells = None
    for budget, job, said in ((Budget(seconds=2, memory_mb=1536), slow, "2 s budget"),
                              (Budget(seconds=60, memory_mb=250), greedy, "250 MB memory budget")):
        with DocumentPool(1, budget) as pool:
            ok = pool.read(page, content_type="text/html")
            cells = cells or [(c.table, c.row, c.col, c.raw) for c in ok.cells]
            assert cells and [(c.table, c.row, c.col, c.raw) for c in ok.cells] == cells
            t = time.monotonic()
            doc = pool.read(job)
            took = time.monotonic() - t
            assert said in problem(doc, "over_budget") and not doc.readable
            assert took < budget.seconds + 3
            after = pool.read(page, content_type="text/html")  # a fresh worker takes the next job
            assert [(c.table, c.row, c.col, c.raw) for c in after.cells] == cells
            assert pool.replaced == 1
            assert pool.peak_rss_mb() < budget.memory_mb + 32  # the RSS poll may see a little past it


def test_imap_runs_jobs_on_every_worker_and_returns_each_once():
    page = report_page()
    jobs = [("a", page, {"content_type": "text/html"}), ("slow", ruled_pdf(120, rows=20, cols=6), {}),
            ("b", page, {"content_type": "text/html"}), ("c", b"\x01\x02" * 100, {})]
    with DocumentPool(2, Budget(seconds=2, memory_mb=600)) as pool:
        got = dict(pool.imap(jobs))
    assert set(got) == {"a", "slow", "b", "c"}
    assert got["a"].cells and got["b"].cells
    assert got["slow"].problems[0].code == "over_budget"
    assert got["c"].problems[0].code == "unreadable"


def test_a_reader_bug_is_recorded_not_raised():
    pool = DocumentPool(1, Budget(seconds=20, memory_mb=600))
    with pool:
        doc = pool.read(b"<html></html>", content_type=object())  # not a str: a bug of the caller's kind
        assert "the extractor failed" in problem(doc, "unreadable")
        assert pool.read(report_page(), content_type="text/html").cells
