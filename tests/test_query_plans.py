"""Built for a million reports: no per-item query of the crawl's writer or the extract scans a large table.

The statements are not copied here: SQLite itself reports every statement the archive runs (a trace
callback on the archive's connection, with its parameters bound) while a real night happens on a copy
of the crawled archive: a crawl run stores a new report page, an attachment, an unchanged page again
and their links, ``finish_run`` closes it, and an incremental extract reads what changed. A query added
to ``crawler/archive.py`` or ``crawler/extract_step.py`` on those paths is therefore planned here
without anyone listing it. Each statement is planned by ``EXPLAIN QUERY PLAN`` on the same archive,
with SQLite's default estimates (the copy's statistics are dropped: every table is taken to hold about
a million rows, as at full size, where the demo's own statistics would make a scan of a tiny table look
cheapest), and a
``SCAN`` of a large table, or of one of its indexes from end to end, fails. A scan of a partial index
is allowed: it reads only the rows the index keeps (failing checks, removed reports), not the table.
The reader pages' statements are planned the same way, through Datasette's own trace, in
``tests/test_page_queries.py``.
"""
from __future__ import annotations

import re
import shutil
import sqlite3

import pytest

from tests.test_page_queries import TABLE_ALIAS

# tables that grow with the archive (per report, per cell, per fetch, per agency and night)
LARGE = {"captures", "reports", "cells", "checks", "problems", "report_links", "agency_runs"}


def scans(conn: sqlite3.Connection, sql: str) -> list[str]:
    """Plan lines of ``sql`` that read a large table from end to end."""
    try:
        plan = [row[3] for row in conn.execute("explain query plan " + sql)]
    except sqlite3.Error:
        return []  # not a plannable statement (BEGIN, PRAGMA, CREATE …)
    aliases = {}
    for table, alias in TABLE_ALIAS.findall(sql):
        aliases[table.lower()] = table.lower()
        if alias:
            aliases[alias.lower()] = table.lower()
    partial = {name.lower() for name, ddl in conn.execute("select name, sql from sqlite_master where type = 'index'")
               if ddl and re.search(r"\)\s*where\s", ddl, re.IGNORECASE)}
    bad = []
    for line in plan:
        m = re.match(r"SCAN (\w+)", line)
        if not m or "VIRTUAL TABLE" in line:
            continue
        index = re.search(r"USING (?:COVERING )?INDEX (\w+)", line)
        if index and index.group(1).lower() in partial:
            continue
        table = aliases.get(m.group(1).lower(), m.group(1).lower())
        if table in LARGE:
            bad.append(f"{line}  ←  {' '.join(sql.split())[:300]}")
    return bad


@pytest.fixture(scope="module")
def night(crawled, tmp_path_factory):
    """Every statement a crawl night and the extract after it run on a copy of the crawled archive."""
    from crawler.archive import Archive
    from crawler.extract_step import run_extract
    from crawler.items import CaptureItem, LinkItem

    work = tmp_path_factory.mktemp("plans")
    shutil.copytree(crawled["dir"], work / "a", ignore=shutil.ignore_patterns("*.log", "datasette*"))
    db = work / "a" / "archive.db"
    plain = sqlite3.connect(db)  # the demo's own statistics describe tables of a hundred rows
    plain.execute("drop table if exists sqlite_stat1")
    plain.close()
    archive = Archive(db)
    cur = archive.conn.execute(
        "select c.agency_id, c.url, c.content_type, c.sha256, c.link_title, c.link_date from captures c"
        " join reports r on r.capture_id = c.id where r.cells > 0 order by c.id limit 1")
    page = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    body = archive.blobs.get(page["sha256"])
    statements: list[str] = []
    archive.conn.set_trace_callback(statements.append)
    agency = page["agency_id"]
    run_id = archive.start_run("replica", [agency])
    # an unchanged page answered again, a new version of it, a new attachment of it, their links
    same = CaptureItem(agency_id=agency, kind="report", url=page["url"], status=200, body=body,
                       headers={"Content-Type": [page["content_type"]]}, link_title=page["link_title"])
    archive.store_capture(same, run_id)
    changed = CaptureItem(agency_id=agency, kind="report", url=page["url"], status=200,
                          body=body + b"\n<!-- a new version -->\n",
                          headers={"Content-Type": [page["content_type"]]}, link_title=page["link_title"],
                          link_date=page["link_date"])
    archive.store_capture(changed, run_id)
    attachment = CaptureItem(agency_id=agency, kind="attachment", url=page["url"] + ".txt", status=200,
                             body="附件".encode(), headers={"Content-Type": ["text/plain"]}, parent_url=page["url"])
    archive.store_capture(attachment, run_id)
    archive.observe_link(LinkItem(agency_id=agency, url=page["url"], title=page["link_title"] or "",
                                  date=page["link_date"]), run_id)
    # what the next night's revalidation reads (crawler/revalidate.py)
    from crawler.archive import known_links, list_page_read, request_key

    known_links(archive.conn, agency)
    known_links(archive.conn, agency, page["url"])
    list_page_read(archive.conn, request_key("GET", page["url"], b""))
    archive.finish_run(run_id, status="finished", finish_reason="finished", stats={}, agency_rows=[
        {"agency_id": agency, "list_pages_requested": 1, "list_pages": 1, "list_errors": 0, "lists_complete": 1,
         "report_links": 1, "reports_fetched": 2, "not_modified": 0, "errors": 0}])
    counts = run_extract(archive, progress=False, budget=None)
    archive.conn.set_trace_callback(None)
    archive.conn.execute("drop table if exists sqlite_stat1")  # the extract's ANALYZE: planned as at full size
    archive.close()
    archive = Archive(db)  # a connection that never loaded those statistics
    yield {"archive": archive, "statements": statements, "counts": counts}
    archive.close()


def test_a_night_really_ran(night):
    """The trace holds the night's writes and the extract's reads, so the plans below mean something."""
    sql = "\n".join(night["statements"]).lower()
    assert night["counts"]["mode"] == "incremental" and night["counts"]["reports"] >= 1
    for seen in (r"insert into \W?captures", r"update report_links", r"\W?agency_runs", r"from cells",
                 r"insert into checks", r"reports_fts"):
        assert re.search(seen, sql), seen


def test_no_statement_of_a_night_scans_a_large_table(night):
    conn = night["archive"].conn
    bad = sorted({line for sql in dict.fromkeys(night["statements"]) for line in scans(conn, sql)})
    assert bad == [], "full scans:\n" + "\n".join(bad)


def test_the_check_catches_a_full_scan(night):
    conn = night["archive"].conn
    assert scans(conn, "select count(*) from captures c where c.link_title like '%年报%'")
    assert scans(conn, "select * from cells where value > 3")
    assert not scans(conn, "select * from captures where url = 'http://x/'")
    assert not scans(conn, "select * from cells where report_id = 1")


def test_the_wide_table_stays_the_pivot_of_the_cells(night):
    """report_figures is a table the archive keeps by trigger (so pages never pivot every cell): after
    a night that made a new version of a report (the old one no longer current), it still equals the
    pivot of the current reports' cells, row for row."""
    from crawler.archive import report_figures_sql

    conn = night["archive"].conn
    kind = conn.execute("select type from sqlite_master where name = 'report_figures'").fetchone()[0]
    assert kind == "table"
    kept = conn.execute('select * from report_figures order by "报告编号"').fetchall()
    pivot = conn.execute(f"select * from ({report_figures_sql()}) order by 1").fetchall()
    assert kept and kept == pivot
    versions = conn.execute("select count(*) from reports where is_current = 0").fetchone()[0]
    assert versions >= 1  # the night's new version replaced one: its old row left the table
