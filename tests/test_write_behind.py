"""The crawl's archive writer (crawler/write_behind.py) on a real archive: every item handed over is
written, in order, blob before row; a write error stops all later writes and is reported once; a
fault in one item's rows loses that item only; the crawl waits when the writer is far behind.

The reactor is not started here: what the writer would hand the reactor (``call_soon``) is run by
the test, the way the reactor would run it, on the test's thread."""
from __future__ import annotations

import sqlite3
import threading

from crawler.archive import Archive
from crawler.items import CaptureItem, LinkItem
from crawler.pipelines import store_item
from crawler.write_behind import WriteBehind


def capture(k: int, body: bytes | None = None) -> CaptureItem:
    body = body if body is not None else f"<html>第{k}页</html>".encode()
    return CaptureItem(agency_id="a", kind="report", url=f"http://x.localhost/r{k}.html", method="GET",
                       request_body=b"", final_url=f"http://x.localhost/r{k}.html", status=200,
                       headers={"Content-Type": ["text/html"]}, body=body, fetched_at="2026-12-03T00:00:00Z")


def link(k: int) -> LinkItem:
    return LinkItem(agency_id="a", url=f"http://x.localhost/r{k}.html", title=f"某局{2000 + k}年政府信息公开工作年度报告",
                    date=None, list_url="http://x.localhost/index.html")


class Calls:
    """What the writer asked the reactor to run, run when the test says so."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []

    def __call__(self, f, *a):
        with self.lock:
            self.calls.append((f, a))

    def run(self):
        with self.lock:
            calls, self.calls = self.calls, []
        for f, a in calls:
            f(*a)


def archive(tmp_path) -> tuple[Archive, int]:
    a = Archive(tmp_path / "archive.db", handed_over=True)
    a.conn.execute("insert into agencies (id, name, province, level, platform, start_url) values"
                   " ('a', '某局', '某省', 'city', 'generic', 'http://x.localhost/index.html')")
    return a, a.start_run("test", ["a"])


def writer(a: Archive, run_id: int, store=None, put_blob=None, **kw):
    done, errors, calls = [], [], Calls()
    w = WriteBehind(store or (lambda item, sha: store_item(a, item, run_id, sha)), put_blob or a.blobs.put,
                    a.transaction, done.append, lambda e, n: errors.append((e, n)), call_soon=calls, **kw)
    return w, done, errors, calls


def test_every_item_is_written_in_order_blob_before_row(tmp_path):
    a, run_id = archive(tmp_path)
    w, done, errors, calls = writer(a, run_id)
    items = [x for k in range(300) for x in (link(k), capture(k))]
    for item in items:
        w.put(item)
    w.close()
    calls.run()
    assert errors == []
    results = [r for batch in done for r in batch]
    assert results == [None, True] * 300  # a link has no "new"; every capture is new
    rows = a.conn.execute("select url, sha256 from captures order by id").fetchall()
    assert [u for u, _ in rows] == [f"http://x.localhost/r{k}.html" for k in range(300)]
    assert all(a.blobs.get(sha) == items[2 * k + 1].body for k, (_, sha) in enumerate(rows))
    assert a.conn.execute("select count(*) from report_links").fetchone()[0] == 300
    a.close()


def test_a_write_error_is_reported_once_and_nothing_after_it_is_written(tmp_path):
    a, run_id = archive(tmp_path)
    gate = threading.Event()

    def put_blob(body):
        gate.wait(10)  # hold the writer until every item is queued: batches are then predictable
        if b"13" in body:
            raise OSError(28, "No space left on device")
        return a.blobs.put(body)

    w, done, errors, calls = writer(a, run_id, put_blob=put_blob)
    for k in range(600):
        w.put(capture(k))
    gate.set()
    w.close()
    calls.run()
    assert len([e for e, _ in errors if e is not None]) == 1 and errors[0][0].errno == 28
    written = sum(len(b) for b in done)
    lost = sum(n for _, n in errors)
    assert written + lost == 600
    # the failed batch left no row, and nothing was written after it
    assert a.conn.execute("select count(*) from captures").fetchone()[0] == written
    assert not a.conn.execute("select 1 from captures where url like '%r13.html'").fetchone()
    a.close()


def test_a_fault_in_one_items_rows_loses_that_item_only(tmp_path):
    a, run_id = archive(tmp_path)

    def store(item, sha):
        if item.url.endswith("/r7.html"):
            raise ValueError("a bug, not the disk")
        return store_item(a, item, run_id, sha)

    w, done, errors, calls = writer(a, run_id, store=store)
    for k in range(20):
        w.put(capture(k))
    w.close()
    calls.run()
    assert errors == []
    urls = {u for (u,) in a.conn.execute("select url from captures")}
    assert len(urls) == 19 and "http://x.localhost/r7.html" not in urls
    a.close()


def test_the_crawl_waits_when_the_writer_is_far_behind(tmp_path):
    a, run_id = archive(tmp_path)
    gate = threading.Event()

    def put_blob(body):
        gate.wait(10)
        return a.blobs.put(body)

    w, done, errors, calls = writer(a, run_id, put_blob=put_blob, max_items=8, max_bytes=1 << 30)
    for k in range(8):
        assert not w.full()
        w.put(capture(k))
    assert w.full()
    room = w.room()
    assert not room.called, "a full queue makes the crawl wait"
    gate.set()
    deadline = threading.Event()
    for _ in range(200):  # the writer reports each batch through call_soon; the reactor would run it
        calls.run()
        if room.called:
            break
        deadline.wait(0.05)
    assert room.called, "room again once the writer caught up"
    w.close()
    calls.run()
    assert sum(len(b) for b in done) == 8
    a.close()


def test_an_archive_handed_to_the_writer_thread_is_usable_there(tmp_path):
    a, run_id = archive(tmp_path)
    errors = []

    def use():
        try:
            a.conn.execute("select count(*) from captures").fetchone()
        except sqlite3.ProgrammingError as e:  # "objects created in a thread can only be used in that same thread"
            errors.append(e)

    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert errors == []
    a.close()
