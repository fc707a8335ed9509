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


def test_a_view_is_not_counted_a_table_is(tmp_path):
    """A view's count evaluates the whole view; its pages come without it. A table keeps its count."""
    path = tmp_path / "archive.db"
    db = sqlite_utils.Database(path)
    db["reports"].insert_all([{"id": i, "year": 2020 + i % 3} for i in range(1, 41)], pk="id")
    db.create_view("recent", "select * from reports where year >= 2021")
    db.close()
    from datasette.app import Datasette

    ds = Datasette(immutables=[str(path)], plugins_dir=str(PLUGINS))
    asyncio.run(ds.invoke_startup())
    view = asyncio.run(ds.client.get("/archive/recent.json?_shape=objects")).json()
    assert view["filtered_table_rows_count"] is None
    assert len(view["rows"]) == sum(1 for i in range(1, 41) if 2020 + i % 3 >= 2021)
    table = asyncio.run(ds.client.get("/archive/reports.json?_shape=objects&year=2021")).json()
    assert table["filtered_table_rows_count"] == sum(1 for i in range(1, 41) if 2020 + i % 3 == 2021)
    # a mutable database (nianbao serve --live) is left as Datasette makes it
    live = Datasette([str(path)], plugins_dir=str(PLUGINS))
    asyncio.run(live.invoke_startup())
    assert asyncio.run(live.client.get("/archive/recent.json")).json()["filtered_table_rows_count"] == len(view["rows"])


def test_a_configured_facet_slower_than_the_time_limit_is_computed_at_start_up(tmp_path):
    """At a million reports a whole-table facet without an index (captures by status: millions of
    rows) takes seconds, past Datasette's time limit. Start-up computes it anyway; before, it was
    interrupted and the server did not start. The limit is made tiny here with a SQL function that
    sleeps, so the facet query is slower than the limit on any machine."""
    import time

    from datasette.app import Datasette
    from datasette import hookimpl
    from datasette.plugins import pm

    def sleep(v):
        time.sleep(0.002)
        return v

    rows = [{"id": i, "status": random.Random(i).choice((200, 404, 500))} for i in range(1, 41)]
    path = tmp_path / "archive.db"
    db = sqlite_utils.Database(path)
    db.conn.create_function("nb_sleep", 1, sleep, deterministic=True)
    # the facet's column is computed by the sleeping function: each row read costs 2 ms
    db.execute("create table captures (id integer primary key, status integer, s integer as (nb_sleep(status)))")
    db["captures"].insert_all(rows, pk="id")
    db.close()

    class Sleep:
        __name__ = "nb_test_sleep"  # Datasette lists plugins by name

        @hookimpl
        def prepare_connection(self, conn):
            conn.create_function("nb_sleep", 1, sleep, deterministic=True)

    meta = {"databases": {"archive": {"tables": {"captures": {"facets": ["s"]}}}}}
    pm.register(Sleep(), name="nb-test-sleep")
    try:
        ds = Datasette(immutables=[str(path)], metadata=meta, plugins_dir=str(PLUGINS),
                       settings={"sql_time_limit_ms": 20, "facet_time_limit_ms": 20})
        asyncio.run(ds.invoke_startup())  # 40 rows x 2 ms: past the 20 ms limit, and no exception
        got = facets(ds, "/archive/captures.json?_nocount=1&_size=1")
    finally:
        pm.unregister(name="nb-test-sleep")
    assert got == {"s": dict(Counter(r["status"] for r in rows))}
