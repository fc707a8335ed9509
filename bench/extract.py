"""Benchmark: full extraction against the one library call it builds on, measured in the same run.

    python bench/extract.py [--rounds 5] [--pdfs 6]

HTML: median time of ``extract.document.read_document`` (decode + main text + tables + checks) on
every replica report page, against ``trafilatura.extract`` alone on the same pages.
PDF:  median time of ``read_document`` on rendered report PDFs, against pdfplumber's
``extract_tables`` alone over all pages of the same PDFs.
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
    args = ap.parse_args()

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


if __name__ == "__main__":
    main()
