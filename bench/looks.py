"""The crawl's cheap looks at a page, each against the parse it spares, on the replica's own pages.

    python bench/looks.py [--rounds 7]

The crawl reads every page on its one thread (bench/crawl.py splits its CPU). Before it parses a
report page for attachment links, for a meta refresh or for table pictures, a look at the text or
bytes decides whether the parse can find anything (spiders/page_looks.py, spiders/platforms/base.py,
crawler/middlewares.py; tests/test_crawl_overhead.py checks that each is a superset of its parse).
Here each look is timed against its parse, and against the spelling it replaced where it was made
cheaper, on every HTML page of the replica (rendered in-process, no server). Best of ``--rounds``
per page set; ratios printed, nothing asserted.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best(fn, items, rounds: int) -> float:
    """Seconds per item, best of ``rounds`` passes over ``items``."""
    out = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for it in items:
            fn(it)
        out = min(out, time.perf_counter() - t0)
    return out / max(len(items), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7, help="passes over the pages; the best counts")
    args = ap.parse_args()

    from scrapy.http import HtmlResponse
    from scrapy.utils.response import get_meta_refresh

    from crawler.middlewares import may_refresh
    from extract.decode import UndecodableError, decode_html
    from extract.grids.html import read_html
    from replica import replica_web
    from spiders.page_looks import PICTURE_RE, anycase, tables_print
    from spiders.platforms.base import _ENTITY_RE, may_link_documents, parsed_attachment_links
    from spiders.reports import TABLE_MARKERS

    web = replica_web()
    # the report pages (what the attachment and picture looks run on), and every other page
    reports = {(r.host, r.path) for r in web.truth.reports}
    pages, others = [], []  # (url, content type, body, text)
    for host, path, res in web.resources():
        if "html" not in (res.ctype or "") or res.status != 200:
            continue
        try:
            text = decode_html(res.body, res.ctype).text
        except UndecodableError:
            continue
        (pages if (host, path) in reports else others).append((f"http://{host}{path}", res.ctype, res.body, text))
    n = len(pages)
    size = sum(len(p[2]) for p in pages) / max(n, 1)
    print(f"{n} report pages of the replica, {size / 1024:.0f} KB on average, and"
          f" {len(others)} other HTML pages; µs a page, best of {args.rounds}")

    def row(name: str, ours: float, base: float | None = None, base_name: str = "") -> None:
        tail = f"   vs {base_name} {base * 1e6:8.1f} µs: {base / ours:5.1f}× cheaper" if base else ""
        print(f"  {name:44s} {ours * 1e6:8.1f} µs{tail}")

    row("decode_html (bytes → str, charset checked)", best(lambda p: decode_html(p[2], p[1]), pages, args.rounds))

    # attachment links
    look = best(lambda p: may_link_documents(p[3], p[0]), pages, args.rounds)
    parse = best(lambda p: parsed_attachment_links(p[3], p[0]), pages, args.rounds)
    row("attachment look (may_link_documents)", look, parse, "the parse")
    row("  its entity look", best(lambda p: _ENTITY_RE.search(p[3]), pages, args.rounds),
        best(lambda p: "&#" in p[3] or "&period" in p[3], pages, args.rounds), "'&#' in text (before)")
    parsed = sum(1 for p in pages if may_link_documents(p[3], p[0]))
    print(f"  {'':44s} {parsed} of {n} pages parsed after the look")

    # meta refresh
    # meta refresh: every page the crawl fetches
    every = pages + others
    two_case = re.compile(anycase("refresh").encode())
    row("meta-refresh look (may_refresh), every page", best(lambda p: may_refresh(p[2]), every, args.rounds),
        best(lambda p: get_meta_refresh(HtmlResponse(p[0], body=p[2], headers={"Content-Type": p[1]})), every,
             args.rounds), "Scrapy's get_meta_refresh")
    row("  its word look", best(lambda p: b"refresh" in p[2][:16384].lower(), every, args.rounds),
        best(lambda p: two_case.search(p[2][:16384]), every, args.rounds), "a two-case regex (before)")

    # table pictures
    row("table-picture looks (PICTURE_RE, tables_print)",
        best(lambda p: PICTURE_RE.search(p[3]) and not tables_print(p[3], TABLE_MARKERS), pages, args.rounds),
        best(lambda p: read_html(p[3]), pages, args.rounds), "read_html")
    read = sum(1 for p in pages if PICTURE_RE.search(p[3]) and not tables_print(p[3], TABLE_MARKERS))
    print(f"  {'':44s} {read} of {n} pages read after the looks")


if __name__ == "__main__":
    main()
