"""Built for a million reports: every query a reader page sends looks things up through an index.

The pages are loaded in a real Datasette with ``trace_debug`` on, so Datasette itself reports every SQL
statement a page ran (its own and our plugins'); each is then planned by SQLite on the same archive.
A full scan of a table that grows with the archive fails the test.
"""
from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import urllib.parse

import lxml.html
import pytest
import yaml

from publish import PLUGINS, STATIC, STATIC_MOUNT, TEMPLATES
from tests.conftest import ROOT

GROWING = {"reports", "cells", "checks", "problems", "captures", "report_links", "agency_runs", "crawl_runs"}
TABLE_ALIAS = re.compile(r"\b(?:from|join)\s+\[?(\w+)\]?(?:\s+(?:as\s+)?(?!where|on|join|left|inner|order|group|limit)(\w+))?",
                         re.IGNORECASE)


@pytest.fixture(scope="module")
def traced(crawled):
    from datasette.app import Datasette

    meta = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    ds = Datasette([str(crawled["db"])], metadata=meta, plugins_dir=str(PLUGINS), template_dir=str(TEMPLATES),
                   static_mounts=[(STATIC_MOUNT, str(STATIC))], settings={"trace_debug": True})

    def statements(path: str) -> list[tuple[str, dict | list]]:
        sep = "&" if "?" in path else "?"
        resp = asyncio.run(ds.client.get(path + sep + "_trace=1"))
        assert resp.status_code == 200, (path, resp.status_code)
        trace = json.loads(lxml.html.fromstring(resp.text).xpath("//pre")[-1].text_content())
        return [(t["sql"], t.get("params") or []) for t in trace["traces"] if t.get("sql")]

    return statements


def full_scans(db, sql: str, params) -> list[str]:
    """Plan lines that read a growing table (or its index) from end to end."""
    import publish.plugins.cjk_search as cjk

    conn = sqlite3.connect(db)
    cjk.prepare_connection(conn)  # the SQL may call cjk_match()
    try:
        plan = [row[3] for row in conn.execute("explain query plan " + sql, params)]
    except sqlite3.Error:
        return []  # not a plannable statement (PRAGMA …)
    finally:
        conn.close()
    aliases = {}
    for table, alias in TABLE_ALIAS.findall(sql):
        aliases[table] = table
        if alias:
            aliases[alias] = table
    bad = []
    for line in plan:
        m = re.match(r"SCAN (\w+)", line)
        if m and aliases.get(m.group(1), m.group(1)) in GROWING and "VIRTUAL TABLE" not in line:
            bad.append(f"{line}  ←  {sql.strip()[:160]}")
    return bad


def _first(crawled, sql):
    conn = sqlite3.connect(crawled["db"])
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("page", ["report", "agency", "compare"])
def test_reader_pages_use_indexes(traced, crawled, page):
    if page == "report":
        path = f"/archive/reports/{_first(crawled, 'select id from reports where checks_failed > 0')}"
    elif page == "agency":
        path = "/archive/agencies/" + urllib.parse.quote(
            _first(crawled, "select agency_id from reports group by agency_id order by count(*) desc"))
    else:
        path = "/-/compare?year=2022&table=requests&province=" + urllib.parse.quote("广东省")
    statements = traced(path)
    assert len(statements) >= 3, statements  # the trace really caught the page's queries
    bad = [b for sql, params in statements for b in full_scans(crawled["db"], sql, params)]
    assert bad == []


def test_the_check_catches_a_full_scan(crawled):
    assert full_scans(crawled["db"], "select * from reports r where r.title like ?", ["%复议%"])
    assert not full_scans(crawled["db"], "select * from reports where id = ?", [1])
