"""Facets of a whole table, computed once per process for an immutable archive.

The expected counts are computed here with ``collections.Counter`` over the rows the test wrote,
never taken from Datasette or the plugin.
"""
from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest
import sqlite_utils

from publish import PLUGINS

PROVINCES = ("广东省", "江苏省", "四川省", "湖南省")
LEVELS = ("province", "city", "county")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    rng = random.Random(3)
    rows = [{"id": i, "title": f"报告{i}", "province": rng.choice(PROVINCES), "level": rng.choice(LEVELS),
             "year": rng.choice((2021, 2022, 2023))} for i in range(1, 301)]
    path = tmp_path_factory.mktemp("facets") / "archive.db"
    sqlite_utils.Database(path)["reports"].insert_all(rows, pk="id")
    from datasette.app import Datasette

    meta = {"databases": {"archive": {"tables": {"reports": {"facets": ["province", "level"]}}}}}
    ds = Datasette(immutables=[str(path)], metadata=meta, plugins_dir=str(PLUGINS))
    asyncio.run(ds.invoke_startup())
    return rows, ds


def facets(ds, path: str) -> dict:
    r = asyncio.run(ds.client.get(path))
    assert r.status_code == 200, r.text
    data = r.json()
    assert not data.get("facets_timed_out")
    return {name: {f["value"]: f["count"] for f in facet["results"]}
            for name, facet in data["facet_results"].items()}


def spy_on(ds) -> list[str]:
    """The SQL Datasette runs from now on, past the facet memo."""
    memo = ds.get_database("archive").execute.__self__
    assert type(memo).__name__ == "WholeTableFacets"  # plugins load from --plugins-dir: another module object
    seen, run = [], memo.execute

    async def spy(sql, *args, **kw):
        seen.append(sql)
        return await run(sql, *args, **kw)

    memo.execute = spy
    return seen


def test_whole_table_facets_come_from_start_up(served):
    rows, ds = served
    seen = spy_on(ds)
    got = facets(ds, "/archive/reports.json?_facet=year")
    assert got["province"] == Counter(r["province"] for r in rows)
    assert got["level"] == Counter(r["level"] for r in rows)
    assert got["year"] == Counter(r["year"] for r in rows)
    # the configured ones were computed at start-up; year, asked for now, once
    assert sum("count(*) as count" in sql for sql in seen) == 1
    again = facets(ds, "/archive/reports.json?_facet=year&_r=2")
    assert again == got and sum("count(*) as count" in sql for sql in seen) == 1


def test_a_filtered_page_counts_its_own_rows(served):
    rows, ds = served
    seen = spy_on(ds)
    got = facets(ds, "/archive/reports.json?province=" + "江苏省")
    mine = [r for r in rows if r["province"] == "江苏省"]
    assert got["level"] == Counter(r["level"] for r in mine)
    assert got["province"] == {"江苏省": len(mine)}
    assert sum("count(*) as count" in sql for sql in seen) == 2  # computed for this page, not remembered
