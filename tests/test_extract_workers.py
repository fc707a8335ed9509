"""`nianbao extract --workers N`: documents read in parallel, written in capture order.

The archive an extract with two workers writes must equal the one a one-worker extract writes from
the same captures, row for row: the read-ahead may only change when a document is read, never what
is decided from it (versions, duplicates, attachments folded in, checks, problems)."""
from __future__ import annotations

import shutil
import sqlite3

import pytest

from tests.conftest import run_cli

# what one extract writes; the times it writes them are not compared
COMPARED = {
    "reports": "select * from reports order by id",
    "cells": 'select * from cells order by report_id, "table", "row", col',
    "checks": "select * from checks order by report_id, rule, scope",
    "problems": "select agency_id, capture_id, report_id, url, stage, code, message from problems"
                " order by capture_id, code",
    # the search index's own entries (report, column, token, position): it keeps no copy of the text
    "search": "select doc, col, term, offset from temp.fts_vocab order by doc, col, offset, term",
}
TIMES = {"extracted_at", "created_at"}


def snapshot(db) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    conn.execute("create virtual table temp.fts_vocab using fts5vocab(main, reports_fts, instance)")
    out = {}
    for name, sql in COMPARED.items():
        cur = conn.execute(sql)
        keep = [i for i, d in enumerate(cur.description) if d[0] not in TIMES]
        out[name] = [tuple(row[i] for i in keep) for row in cur]
    conn.close()
    return out


def copy_archive(crawled, dest):
    shutil.copytree(crawled["dir"], dest, ignore=shutil.ignore_patterns("*.log", "datasette*"))
    return dest / "archive.db"


@pytest.mark.slow
def test_two_workers_write_what_one_writes(crawled, tmp_path):
    one = copy_archive(crawled, tmp_path / "one")
    two = copy_archive(crawled, tmp_path / "two")
    run_cli("extract", "--db", str(one), "--full", "--no-progress", "--workers", "1")
    out = run_cli("extract", "--db", str(two), "--full", "--no-progress", "--workers", "2")
    assert "extract (full)" in out.stdout
    a, b = snapshot(one), snapshot(two)
    assert a["reports"], "the demo archive has reports"
    assert any(r for r in a["cells"]), "and cells"
    for name in COMPARED:
        assert a[name] == b[name], f"{name} differ between --workers 1 and --workers 2"


def test_pool_waits_for_a_producer_that_holds_back():
    """A job source may say "nothing yet" (None) while it stays a bounded distance ahead of its
    reader: the pool keeps collecting answers and asks again, never ending early."""
    from extract.budget import Budget, DocumentPool

    held = iter([None, ("a", b"<html><body><p>one</p></body></html>", {"content_type": "text/html"}),
                 None, None, ("b", b"<html><body><p>two</p></body></html>", {"content_type": "text/html"})])
    with DocumentPool(1, Budget(seconds=60)) as pool:
        got = dict(pool.imap(held))
    assert sorted(got) == ["a", "b"]
    assert "one" in got["a"].text and "two" in got["b"].text
