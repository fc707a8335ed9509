"""Benchmark: full extraction against the one library call it builds on, measured in the same run.

    python bench/extract.py [--rounds 5] [--pdfs 6]

HTML: median time of ``extract.document.read_document`` (decode + main text + tables + checks) on
every replica report page, against ``trafilatura.extract`` alone on the same pages.
PDF:  median time of ``read_document`` on rendered report PDFs, against pdfplumber's
``extract_tables`` alone over all pages of the same PDFs.
TEXT: the layout reader (``extract.textlayout``) on each text layout, beside the old ``|`` dump reader.
OCR:  seconds per table picture and per scanned page. DOC: seconds per LibreOffice conversion.
BUDGET: a whole ``run_extract`` of a crawled replica archive with every document read in a worker
      under its budget (extract.budget), against the same extract in-process (``--budget-only`` runs
      just this; target ≤ 1.3×).
Ratios are printed; nothing is asserted (speed is measured, not asserted).
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def median_time(fn, items, rounds: int) -> float:
    """Median over items of the best-of-rounds time of fn(item); interleaving rounds keeps
    machine noise from favouring one side."""
    best = [float("inf")] * len(items)
    for _ in range(rounds):
        for i, item in enumerate(items):
            t = time.perf_counter()
            fn(item)
            best[i] = min(best[i], time.perf_counter() - t)
    return statistics.median(best)


def html_pages():
    from replica import replica_web

    web = replica_web()
    pages = []
    for r in web.truth.reports:
        if not r.reachable:
            continue
        status, headers, body = web.handle("GET", r.host, r.path, b"", {})
        ctype = dict(headers).get("Content-Type")
        if status == 200 and b"<" in body[:200]:
            pages.append((body, ctype))
    return pages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pdfs", type=int, default=6)
    ap.add_argument("--budget-only", action="store_true", help="only the budgeted extract against in-process")
    args = ap.parse_args()
    if args.budget_only:
        budgeted(args)
        return

    import pdfplumber
    import trafilatura

    from extract.decode import decode_html
    from extract.document import read_document
    from replica.render import random_report, render

    pages = html_pages()
    texts = [decode_html(b, c).text for b, c in pages]
    base = median_time(lambda t: trafilatura.extract(t), texts, args.rounds)
    full = median_time(lambda p: read_document(p[0], content_type=p[1]), pages, args.rounds)
    print(f"HTML  {len(pages)} replica report pages, median of best-of-{args.rounds}")
    print(f"      trafilatura.extract alone        {base * 1000:8.1f} ms")
    print(f"      full extraction (text+tables+checks) {full * 1000:4.1f} ms")
    print(f"      ratio full / trafilatura         {full / base:8.2f}x   (target ≤ 1.5x)")

    pdfs = [render(random_report(seed, "2021" if seed % 2 else "2019"), "pdf") for seed in range(args.pdfs)]

    def tables_only(data: bytes):
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                page.extract_tables()

    rounds = max(1, args.rounds // 2)
    base = median_time(tables_only, pdfs, rounds)
    full = median_time(lambda d: read_document(d, content_type="application/pdf"), pdfs, rounds)
    print(f"PDF   {len(pdfs)} rendered report PDFs, median of best-of-{rounds}")
    print(f"      pdfplumber extract_tables alone  {base * 1000:8.1f} ms")
    print(f"      full extraction                  {full * 1000:8.1f} ms")
    print(f"      ratio full / extract_tables      {full / base:8.2f}x")

    layouts(args)
    pictures(args)
    conversions(args)
    budgeted(args)


def budgeted(args) -> None:
    """A whole extract of the demo archive (crawled from the replica once, into a temporary
    directory), every document in a budgeted worker against all in this process; rounds alternate
    so that machine noise does not favour one side, and the best of each is compared."""
    import subprocess
    import tempfile

    from crawler.archive import Archive
    from crawler.extract_step import run_extract
    from extract.budget import Budget

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "archive.db"
        subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--registry", "replica", "--db", str(db),
                        "--log-level", "WARNING"], cwd=root, check=True, capture_output=True, timeout=900)
        archive = Archive(db)
        n = len(archive.report_captures())
        times: dict[str, list[float]] = {"in-process": [], "budget": []}
        for _ in range(max(1, args.rounds // 2)):
            for name, budget in (("in-process", None), ("budget", Budget())):
                t = time.perf_counter()
                run_extract(archive, progress=False, budget=budget, full=True)
                times[name].append(time.perf_counter() - t)
        base, bounded = min(times["in-process"]), min(times["budget"])
        print(f"BUDGET whole extract of the demo archive ({n} report captures), best of {len(times['budget'])}")
        print(f"      in this process                  {base:8.1f} s")
        print(f"      in a worker under {Budget().seconds:g} s / {Budget().memory_mb} MB {bounded:6.1f} s")
        print(f"      ratio budget / in-process        {bounded / base:8.2f}x   (target ≤ 1.3x)")
        print(f"      every round: in-process {', '.join(f'{t:.1f}' for t in times['in-process'])} s;"
              f" budget {', '.join(f'{t:.1f}' for t in times['budget'])} s (the first in-process round also"
              " loads the OCR engine, which a budgeted run loads in its worker every time)")


def layouts(args) -> None:
    """Text that lost its grid, read against the template: time per document beside the old
    ``|``-dump reader on the same reports."""
    from extract.tables import parse_text_tables
    from extract.textlayout import tables_from_text
    from replica.render import random_report, render
    from replica.render.textlayouts import LAYOUTS, render_layout

    reports = [random_report(seed, "2021" if seed % 2 else "2019") for seed in range(max(args.pdfs, 4))]
    dumps = [render(r, "text").decode("utf-8") for r in reports]
    base = median_time(parse_text_tables, dumps, args.rounds)
    print(f"TEXT  {len(reports)} reports × {len(LAYOUTS)} layouts, median of best-of-{args.rounds}")
    print(f"      '|' text dump (old reader)       {base * 1000:8.1f} ms")
    for name in LAYOUTS:
        texts = [render_layout(r, name) for r in reports]
        took = median_time(tables_from_text, texts, args.rounds)
        print(f"      {name:32} {took * 1000:8.1f} ms   {took / base:6.2f}x")


def pictures(args) -> None:
    """OCR: seconds per table picture (150 dpi, mildly degraded) and per scanned page."""
    from extract.grids.image import grids_from_image, grids_from_scanned_pdf
    from replica.render import random_report
    from replica.render.images import render_scanned_pdf, render_table_images

    reports = [random_report(seed, "2021" if seed % 2 else "2019") for seed in range(2)]
    images = [im for i, r in enumerate(reports) for im in render_table_images(r, dpi=150, seed=i)]
    grids_from_image(images[0])  # the engine loads once per process: not counted
    t = time.perf_counter()
    for im in images:
        grids_from_image(im)
    per_image = (time.perf_counter() - t) / len(images)
    scans = [render_scanned_pdf(r, dpi=150, seed=7) for r in reports]
    pages = sum(len(pypdfium_pages(s)) for s in scans)
    t = time.perf_counter()
    for s in scans:
        grids_from_scanned_pdf(s)
    per_page = (time.perf_counter() - t) / pages
    print(f"OCR   {len(images)} table pictures at 150 dpi, {pages} scanned pages")
    print(f"      seconds per table picture        {per_image:8.2f} s   (one report's tables: {per_image * 3:.1f} s,"
          " target < 10 s)")
    print(f"      seconds per scanned page         {per_page:8.2f} s")


def pypdfium_pages(data: bytes) -> list:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return list(range(len(doc)))
    finally:
        doc.close()


def conversions(args) -> None:
    """DOC → DOCX through LibreOffice, seconds per file (skipped where soffice is not installed)."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    from extract.formats import convert_office
    from replica.render import random_report, render

    if not shutil.which("soffice"):
        print("DOC   soffice not installed: conversion not measured (make system-deps installs it)")
        return
    docs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(3):
            src = Path(tmp) / f"r{seed}.docx"
            src.write_bytes(render(random_report(seed, "2021"), "docx"))
            subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile",
                            "--convert-to", "doc", "--outdir", tmp, str(src)], capture_output=True, timeout=120)
            docs.append((Path(tmp) / f"r{seed}.doc").read_bytes())
    t = time.perf_counter()
    for d in docs:
        convert_office(d, "doc")
    print(f"DOC   {len(docs)} DOC files through LibreOffice")
    print(f"      seconds per conversion           {(time.perf_counter() - t) / len(docs):8.2f} s")


if __name__ == "__main__":
    main()
