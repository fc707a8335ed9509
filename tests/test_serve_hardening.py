"""`nianbao serve` as a public server: bounded SQL functions, deliberate limits, an immutable archive,
a robots policy, cache headers and a CSV stream that completes.

Everything runs against a real `nianbao serve` child on the loopback over the crawled replica archive,
through HTTP. Expected values come from SQLite itself (row counts, cells) or from the configuration the
server was given (``publish.SETTINGS``), never from the pages under test.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request

import lxml.html
import pytest

from crawler.cli import datasette_argv, still_written
from extract.cjk import MAX_QUERY_CHARS, MAX_TEXT_CHARS, match_query
from publish import CACHE_TTL_IMMUTABLE, SETTINGS
from tests.conftest import NIANBAO, free_port, query, start_server, stop_process

# 4,000,000 CJK characters, built by SQLite itself (the URL stays short)
HUGE = "replace(hex(zeroblob(2000000)), '0', '行')"


@pytest.fixture(scope="module")
def served(crawled, tmp_path_factory):
    """`nianbao serve` as an operator runs it for the public (two server processes), over the
    finished crawled archive: every test below holds for each process."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(NIANBAO + ["serve", "--db", str(crawled["db"]), "--port", str(port), "--workers", "2"],
                        base + "/-/versions.json", tmp_path_factory.mktemp("serve") / "serve.log")
    try:
        yield base
    finally:
        stop_process(proc)


def fetch(url: str, headers: dict | None = None, timeout: float = 60):
    """(status, headers, body bytes); an HTTP error is an answer too."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def sql(base: str, statement: str):
    """Run arbitrary SQL as anyone may: (status, rows or error, seconds)."""
    url = f"{base}/archive.json?" + urllib.parse.urlencode({"sql": statement, "_shape": "array"})
    t = time.perf_counter()
    status, _, body = fetch(url)
    return status, json.loads(body.decode("utf-8")), time.perf_counter() - t


# ------------------------------------------------------------------------------ SQL functions

def test_search_functions_on_a_4m_character_string_answer_at_once(served):
    status, rows, _ = sql(served, f"select length({HUGE}) as n")
    assert status == 200 and rows == [{"n": 4_000_000}], "the hostile string itself can be built"

    # the same string, uncapped, in this process: what the served call would cost without the bound
    t = time.perf_counter()
    match_query("行" * 4_000_000)
    uncapped = time.perf_counter() - t

    for fn in ("cjk_match", "escape_fts"):
        status, rows, secs = sql(served, f"select length({fn}({HUGE})) as n")
        assert status == 200, rows
        # a phrase of at most MAX_QUERY_CHARS one-character tokens, spaces and two quotes
        assert 0 < rows[0]["n"] <= 2 * MAX_QUERY_CHARS + 1, rows
        assert secs < 3 and secs < uncapped, (fn, secs, uncapped)

    status, rows, secs = sql(served, f"select length(cjk_snippet({HUGE}, {HUGE})) as n")
    # the matched words (at most the query's bound) with ~120 characters of context
    assert status == 200 and 0 < rows[0]["n"] < MAX_QUERY_CHARS + 200, rows
    assert secs < 3 and secs < uncapped, secs

    status, answer, secs = sql(served, f"select length(cjk_segment({HUGE})) as n")
    assert status == 400 and answer["ok"] is False and "exception" in answer["error"], answer
    assert secs < 3, secs

    status, rows, _ = sql(served, "select length(cjk_segment(substr(" + HUGE + f", 1, {MAX_TEXT_CHARS}))) as n")
    assert status == 200 and rows[0]["n"] == 2 * MAX_TEXT_CHARS - 1, "a text up to the bound is segmented whole"


def test_a_long_query_still_searches_and_the_search_pages_work(served, crawled):
    word = "行政复议"
    expected = {r["id"] for r in query(crawled["db"], "select r.id from reports r left join report_texts t on t.report_id = r.id where r.is_current = 1"
                                                      " and (t.text like ? or r.title like ?)", [f"%{word}%"] * 2)}
    assert expected, "the replica plants reports about 行政复议"
    status, _, body = fetch(f"{served}/archive/search.json?" + urllib.parse.urlencode(
        {"q": word, "_shape": "array", "_size": "max"}))
    assert status == 200
    rows = json.loads(body)
    found = {r["report_id"] for r in rows}
    assert expected <= found  # FTS also finds the words across a line break, LIKE does not
    assert all("【" in r["摘要"] for r in rows), rows[:2]

    page = lxml.html.fromstring(fetch(f"{served}/archive/reports?_search={urllib.parse.quote(word)}")[2])
    ranked = [int(li.get("data-report")) for li in page.xpath('//ol[@class="nb-results"]/li')]
    assert set(ranked) <= found and len(ranked) == min(20, len(found))

    long = word + " " + "民" * (4 * MAX_QUERY_CHARS)  # longer than the bound: read up to it, never an error
    for path in (f"/archive/reports?_search={urllib.parse.quote(long)}",
                 "/archive/search?" + urllib.parse.urlencode({"q": long})):
        status, _, _ = fetch(served + path)
        assert status == 200, path


# ------------------------------------------------------------------------------ limits

def test_the_deliberate_settings_are_in_effect(served):
    status, _, body = fetch(served + "/-/settings.json")
    got = json.loads(body)
    for key, value in {**SETTINGS, "default_cache_ttl": CACHE_TTL_IMMUTABLE}.items():
        want = {"off": False, "on": True}.get(value, value) if isinstance(value, str) else value
        assert got[key] == want, (key, got[key], want)


def test_a_query_past_the_time_limit_is_stopped(served):
    limit = SETTINGS["sql_time_limit_ms"] / 1000
    status, answer, secs = sql(served, "with recursive c(x) as (select 1 union all select x + 1 from c)"
                                       " select count(*) from c")
    assert status == 400 and answer["ok"] is False, answer
    assert "interrupted" in answer["error"].lower() or "time limit" in answer["error"].lower(), answer
    assert secs < limit + 3, secs


def test_no_value_may_grow_past_32_mib(served):
    status, answer, secs = sql(served, "select length(randomblob(200000000)) as n")
    assert status == 400 and "too big" in answer["error"], answer
    assert secs < 3


# ------------------------------------------------------------------------------ immutable

def test_the_finished_archive_is_served_immutable_with_counts_from_start(served, crawled):
    status, _, body = fetch(served + "/-/databases.json")
    dbs = {d["name"]: d for d in json.loads(body)}
    assert dbs["archive"]["is_mutable"] is False
    for table in ("cells", "reports", "captures"):
        want = query(crawled["db"], f"select count(*) as n from {table}")[0]["n"]
        status, _, body = fetch(f"{served}/archive/{table}.json?_size=1&_r=count")
        assert status == 200 and json.loads(body)["filtered_table_rows_count"] == want, table


def test_an_archive_still_being_changed_is_served_live(tmp_path):
    db = tmp_path / "archive.db"
    writer = sqlite3.connect(db)
    writer.execute("pragma journal_mode=wal")
    writer.execute("pragma wal_autocheckpoint=0")
    writer.execute("create table t (x)")
    writer.execute("insert into t values (1)")
    writer.commit()
    try:
        assert os.path.getsize(str(db) + "-wal") > 0
        assert still_written(str(db)), "a non-empty WAL means the archive is not finished"
    finally:
        writer.close()  # the last connection checkpoints the WAL into the file
    assert still_written(str(db)) is None
    assert "-i" in datasette_argv(str(db), "127.0.0.1", 1, "m.yml")
    assert "-i" not in datasette_argv(str(db), "127.0.0.1", 1, "m.yml", immutable=False)


# ------------------------------------------------------------------------------ robots and caching

def test_robots_may_index_the_home_page_only(served):
    status, _, body = fetch(served + "/robots.txt")
    assert status == 200
    lines = body.decode("utf-8").splitlines()
    assert "User-agent: *" in lines and "Disallow: /archive" in lines


def test_pages_carry_cache_headers_and_are_computed_once(served):
    url = f"{served}/archive/reports?_r=cache-{time.time_ns()}"
    answers = [fetch(url) for _ in range(10)]
    assert {s for s, _, _ in answers} == {200}
    assert {h["Cache-Control"] for _, h, _ in answers} == {f"max-age={CACHE_TTL_IMMUTABLE}"}
    said = [h["X-Nianbao-Cache"] for _, h, _ in answers]
    # computed at most once by each of the two server processes, then answered from memory
    assert said[0] == "miss" and 1 <= said.count("miss") <= 2 and said[-1] == "hit", said
    # the same page from each process (which differ only in the query time they print)
    assert len({re.sub(rb"Queries took [0-9.]+ms", b"", b) for _, _, b in answers}) == 1
    b1 = answers[0][2]

    # a reader with a cookie (possibly signed in) is never answered from the cache
    s3, h3, _ = fetch(url, headers={"Cookie": "ds_actor=x"})
    assert s3 == 200 and h3.get("X-Nianbao-Cache") is None

    # the stylesheet is linked by its content hash and may be kept for a year
    css = lxml.html.fromstring(b1).xpath('//link[@rel="stylesheet"][contains(@href, "nianbao.css")]/@href')
    assert css and "?v=" in css[0], css
    status, headers, _ = fetch(served + css[0])
    assert status == 200 and "immutable" in headers["Cache-Control"] and "max-age=31536000" in headers["Cache-Control"]
    status, headers, _ = fetch(served + css[0].split("?")[0] + "?v=0")  # not the file's hash: a day only
    assert status == 200 and headers["Cache-Control"] == "public, max-age=86400"


def test_archived_copies_are_not_cached(served, crawled):
    cid = query(crawled["db"], "select id from captures where ok = 1 and sha256 is not null"
                               " and content_type like 'text/html%' limit 1")[0]["id"]
    for _ in range(2):
        status, headers, _ = fetch(f"{served}/-/capture/{cid}")
        assert status == 200 and headers.get("X-Nianbao-Cache") is None


# ------------------------------------------------------------------------------ CSV stream

def test_the_cells_csv_stream_completes_with_every_row(served, crawled):
    t = time.perf_counter()
    status, _, body = fetch(f"{served}/archive/cells.csv?_stream=on", timeout=120)
    secs = time.perf_counter() - t
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    stored = query(crawled["db"], 'select report_id, "table", "row", col, raw from cells')
    assert len(rows) == len(stored) > 1000, "more rows than one page of max_returned_rows"
    key = lambda r: (int(r["report_id"]), r["table"], r["row"], r["col"], r["raw"] or "")  # noqa: E731
    assert sorted(map(key, rows)) == sorted(key({k: ("" if v is None else str(v)) for k, v in r.items()})
                                            for r in stored)
    assert secs < 60, secs


def test_an_archive_changed_under_the_server_is_served_again(tmp_path):
    """An immutable server never keeps reading a file that changed: `nianbao serve` starts it again,
    immutable when the change is complete, live while a writer still holds changes in the WAL."""
    db = tmp_path / "archive.db"
    conn = sqlite3.connect(db)
    conn.execute("pragma journal_mode=wal")  # as crawler/archive.py keeps an archive
    conn.execute("create table t (x)")
    conn.execute("insert into t values (1)")
    conn.commit()
    conn.close()
    assert not (tmp_path / "archive.db-wal").exists()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(NIANBAO + ["serve", "--db", str(db), "--port", str(port)], base + "/-/versions.json",
                        tmp_path / "serve.log")

    def state():
        """(is_mutable, values of t), or None while the server is starting again."""
        try:
            dbs = json.loads(fetch(base + "/-/databases.json", timeout=5)[2])
            status, _, body = fetch(base + f"/archive/t.json?_shape=array&_r={time.time_ns()}", timeout=5)
        except OSError:
            return None
        return dbs[0]["is_mutable"], [r["x"] for r in json.loads(body)] if status == 200 else status

    def wait_for(want):
        deadline = time.time() + 60
        while time.time() < deadline:
            got = state()
            if got == want:
                return
            time.sleep(0.5)
        raise AssertionError(f"still {got}, not {want}\n{(tmp_path / 'serve.log').read_text()[-3000:]}")

    def starts() -> int:
        return (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace").count("Datasette on http")

    writer = None
    try:
        wait_for((False, [1]))
        assert starts() == 1
        for _ in range(5):  # a reader makes and removes an empty WAL: no change, no new start
            reader = sqlite3.connect(db)
            assert reader.execute("select count(*) from t").fetchone() == (1,)
            time.sleep(0.6)
            reader.close()
        time.sleep(2.5)
        assert starts() == 1, "reading the archive must not make the server start again"
        conn = sqlite3.connect(db)  # a finished change: the last connection writes it into the file
        conn.execute("insert into t values (2)")
        conn.commit()
        conn.close()
        # an immutable reader may already see the new pages; the watcher (every 2 s) must still
        # start the server again, since nothing promises an immutable reader a consistent view
        deadline = time.time() + 30
        while starts() < 2 and time.time() < deadline:
            time.sleep(0.5)
        assert starts() == 2
        wait_for((False, [1, 2]))
        writer = sqlite3.connect(db)  # a writer that keeps its changes in the WAL for now
        writer.execute("pragma journal_mode=wal")
        writer.execute("pragma wal_autocheckpoint=0")
        writer.execute("insert into t values (3)")
        writer.commit()
        wait_for((True, [1, 2, 3]))
    finally:
        if writer is not None:
            writer.close()
        stop_process(proc)


# ------------------------------------------------------------------------------ several processes

def _descendants(pid: int) -> set[int]:
    parents = {}
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                with open(f"/proc/{stat}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parents[int(stat)] = int(fields[1])
            except OSError:
                continue
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parents.items() if pp == p}
        found |= kids
        todo += kids
    return found


def test_workers_serve_one_archive_from_several_processes_and_stop_together(crawled, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(NIANBAO + ["serve", "--db", str(crawled["db"]), "--port", str(port), "--workers", "3"],
                        base + "/-/versions.json", tmp_path / "serve.log")
    try:
        # nianbao serve → the supervisor (publish.workers) → three Datasette processes (and
        # multiprocessing's resource tracker)
        deadline = time.time() + 30
        while len(_descendants(proc.pid)) < 4 and time.time() < deadline:
            time.sleep(0.2)
        def started() -> int:
            return (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace").count(
                "Started server process")

        while started() < 3 and time.time() < deadline:
            time.sleep(0.2)
        assert started() == 3
        family = _descendants(proc.pid)
        assert len(family) >= 4, family
        for n in range(12):  # new URLs: computed by whichever process takes the connection
            status, headers, body = fetch(f"{base}/archive/reports?_r={n}")
            assert status == 200 and headers["x-nianbao-cache"] == "miss" and "年报" in body.decode()
        dbs = json.loads(fetch(base + "/-/databases.json")[2])
        assert dbs[0]["is_mutable"] is False
    finally:
        assert stop_process(proc) == 0
    deadline = time.time() + 15
    while any(os.path.exists(f"/proc/{p}") for p in family) and time.time() < deadline:
        time.sleep(0.2)
    assert not [p for p in family if os.path.exists(f"/proc/{p}")], "a server process outlived the stop"
