"""The archive's write rules: captures keyed by (request, answer), atomic blobs, report versions."""
import sqlite3

import pytest

from crawler.archive import Archive
from crawler.items import CaptureItem
from crawler.registry import Agency


@pytest.fixture
def archive(tmp_path):
    a = Archive(tmp_path / "a.db")
    a.upsert_agencies([Agency(id="x", name="某市民政局", province="某省", level="city",
                              platform="trs", start_url="http://x.localhost/")])
    yield a
    a.close()


def cap(**kw):
    base = dict(agency_id="x", kind="report", url="http://x.localhost/r.html", status=200,
                headers={"Content-Type": ["text/html"]}, body=b"<html>1</html>")
    base.update(kw)
    return CaptureItem(**base)


def test_same_answer_updates_one_row_and_new_answer_adds_one(archive):
    run = archive.start_run("test", ["x"])
    a, new_a = archive.store_capture(cap(), run)
    b, new_b = archive.store_capture(cap(), run)
    assert new_a and not new_b and a == b
    c, new_c = archive.store_capture(cap(body=b"<html>2</html>"), run)
    assert new_c and c != a
    e, _ = archive.store_capture(cap(status=404, body=b"", error="HTTP 404"), run)
    row = archive.db["captures"].get(e)
    assert row["ok"] == 0 and row["error"] == "HTTP 404" and row["sha256"] is None
    assert archive.db["captures"].get(a)["fetch_count"] == 2
    assert archive.blobs.get(archive.db["captures"].get(c)["sha256"]) == b"<html>2</html>"


def test_post_with_other_form_is_another_request(archive):
    run = archive.start_run("test", ["x"])
    one, _ = archive.store_capture(cap(kind="list", method="POST", request_body=b"a=1"), run)
    two, _ = archive.store_capture(cap(kind="list", method="POST", request_body=b"a=2"), run)
    assert one != two


def test_capture_item_rejects_bad_kinds_and_urls():
    with pytest.raises(ValueError):
        cap(kind="page")
    with pytest.raises(ValueError):
        cap(url="/relative")


def test_failed_transaction_leaves_no_row(archive, monkeypatch):
    run = archive.start_run("test", ["x"])
    before = archive.db["captures"].count

    class FailingInsert:
        """The archive's connection, failing the capture's INSERT inside its transaction."""

        def __init__(self, conn):
            self._conn = conn

        def execute(self, sql, *args):
            if sql.lstrip().lower().startswith("insert into captures"):
                raise RuntimeError("disk full")
            return self._conn.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self._conn, name)
    monkeypatch.setattr(archive, "conn", FailingInsert(archive.conn))
    with pytest.raises(RuntimeError):
        archive.store_capture(cap(body=b"new"), run)
    monkeypatch.undo()
    assert archive.db["captures"].count == before
    assert not archive.conn.in_transaction


def test_report_versions_keep_the_old_one(archive):
    run = archive.start_run("test", ["x"])
    c1, _ = archive.store_capture(cap(), run)
    c2, _ = archive.store_capture(cap(body=b"<html>changed</html>"), run)
    base = {"agency_id": "x", "agency": "某市民政局", "year": 2021, "title": "t",
            "url": "http://x.localhost/r.html", "text": "甲"}
    archive.save_report(dict(base, capture_id=c1, sha256="a", fetched_at="2024-01-01T00:00:00Z"))
    archive.save_report(dict(base, capture_id=c2, sha256="b", fetched_at="2024-02-01T00:00:00Z"))
    archive.save_report(dict(base, capture_id=c2, sha256="b", fetched_at="2024-02-01T00:00:00Z"))
    rows = list(archive.db.query("select sha256, version, is_current from reports order by version"))
    assert rows == [{"sha256": "a", "version": 1, "is_current": 0},
                    {"sha256": "b", "version": 2, "is_current": 1}]


def test_blob_store_is_content_addressed(tmp_path):
    from crawler.blobs import BlobStore
    s = BlobStore(tmp_path)
    h = s.put(b"abc")
    assert s.put(b"abc") == h and s.get(h) == b"abc"
    assert s.path(h).parent.parent.parent == tmp_path
    s.path(h).write_bytes(b"abd")
    with pytest.raises(IOError):
        s.get(h)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_schema_is_created_once(tmp_path):
    Archive(tmp_path / "b.db").close()
    a = Archive(tmp_path / "b.db")
    assert {"agencies", "captures", "reports", "problems", "crawl_runs", "agency_runs"} <= set(a.db.table_names())
    assert {"fetch_errors", "agency_summary"} <= set(a.db.view_names())
    a.close()
    conn = sqlite3.connect(tmp_path / "b.db")
    assert conn.execute("pragma user_version").fetchone()[0] >= 1
