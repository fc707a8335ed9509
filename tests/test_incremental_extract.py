"""Extract is incremental: a run reads what was stored since the last finished run of the same
extractor, and leaves the archive as a full run would. The archive is a copy of the session's crawl."""
from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import query, run_cli
from tests.test_nightly import archive_state, assert_same_state


def _copy(crawled, work):
    db = work / "archive.db"
    with sqlite3.connect(crawled["db"]) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    return db, str(crawled["dir"] / "data" / "blobs")


def _last_run(db):
    return query(db, "select mode, captures, extractor from extract_runs order by id desc limit 1")[0]


def test_nothing_new_reads_nothing_and_changes_nothing(crawled, tmp_path):
    db, blobs = _copy(crawled, tmp_path)
    before = archive_state(db)
    out = run_cli("extract", "--db", str(db), "--blobs", blobs, "--no-progress")
    assert _last_run(db)["mode"] == "incremental" and _last_run(db)["captures"] == 0
    assert "extract (incremental)" in out.stdout
    assert_same_state(archive_state(db), before, "after", "before")
    # its totals are the last run's, not counted again (that read grows with the archive), and true
    counts = json.loads(query(db, "select counts from extract_runs order by id desc limit 1")[0]["counts"])
    failing = query(db, "select count(*) n from checks where outcome = 'fail'")[0]["n"]
    indexed = query(db, "select count(*) n from reports_fts_docsize")[0]["n"]
    assert (counts["checks_failed"], counts["indexed"]) == (failing, indexed) and indexed > 0
    assert f"{failing} failed checks, {indexed} reports in the search index" in out.stdout


@pytest.mark.slow  # two full extracts of the whole replica (~40 s); test_nightly compares a full one
def test_a_new_extractor_version_or_full_reads_everything(crawled, tmp_path):
    db, blobs = _copy(crawled, tmp_path)
    pages = query(db, "select count(*) n from captures where kind = 'report' and ok = 1 and sha256 is not null")[0]["n"]
    before = archive_state(db)
    with sqlite3.connect(db) as conn:  # as if the archive had been extracted by an older extractor
        conn.execute("update extract_runs set extractor = 'tables-0'")
    run_cli("extract", "--db", str(db), "--blobs", blobs, "--no-progress")
    assert _last_run(db)["mode"] == "full" and _last_run(db)["captures"] == pages
    run_cli("extract", "--full", "--db", str(db), "--blobs", blobs, "--no-progress")
    assert _last_run(db)["mode"] == "full" and _last_run(db)["captures"] == pages
    assert_same_state(archive_state(db), before, "after", "before")


@pytest.mark.slow  # a full extract of the whole replica (~30 s)
def test_an_unfinished_run_is_not_a_starting_point(crawled, tmp_path):
    """A run killed before it finished leaves no mark to start from: the next reads from the last
    finished one, so nothing stored meanwhile is skipped."""
    db, blobs = _copy(crawled, tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("insert into extract_runs (started_at, extractor, mode, last_capture_id, last_crawl_run_id)"
                     " select '2099-01-01', extractor, 'incremental', 1 << 40, 1 << 40 from extract_runs limit 1")
        conn.execute("delete from extract_runs where finished_at is not null")
    run_cli("extract", "--db", str(db), "--blobs", blobs, "--no-progress")
    assert _last_run(db)["mode"] == "full"


def _two_reports_of_2021(tmp_path, order):
    """An archive whose agency has two current 2021 reports (its own site's and a portal's copy:
    two addresses) and one 2022 report, the 2021 ones saved in ``order``."""
    from crawler.archive import Archive
    from extract import schema
    from extract.checks import run_checks
    from extract.tables import CellRecord

    archive = Archive(tmp_path / "archive.db", blobs_dir=tmp_path / "blobs")
    archive.ensure_fts()
    archive.db["agencies"].insert({"id": "a", "name": "测试局", "province": "安徽省", "level": "county",
                                   "platform": "generic", "start_url": "http://example.invalid/"})
    # carried forward to 2022: 9 in the fuller report, 5 in the one with fewer cells
    specs = {"full": ("http://example.invalid/z.html", 2021, {"carried_forward": 9, "new_received": 1}),
             "part": ("http://example.invalid/a.html", 2021, {"carried_forward": 5}),
             "next": ("http://example.invalid/n.html", 2022, {"carried_over": 9})}
    ids = {}
    for name in [*order, "next"]:
        url, year, rows = specs[name]
        rid = archive.save_report({"agency_id": "a", "agency": "测试局", "year": year, "url": url,
                                   "sha256": url.encode().hex().ljust(64, "0")[:64], "template": schema.T2021,
                                   "title": f"测试局{year}年政府信息公开工作年度报告", "text": "",
                                   "fetched_at": "2023-01-01T00:00:00Z"})
        cells = [CellRecord("requests", row, "total", str(v), v, "number") for row, v in rows.items()]
        tables = {"requests": {row: {"total": v} for row, v in rows.items()}}
        archive.save_tables(rid, cells, run_checks(tables, schema.T2021), None)
        ids[name] = rid
    return archive, ids


@pytest.mark.parametrize("order", [("full", "part"), ("part", "full")])
def test_the_previous_year_is_chosen_by_the_reports_not_their_ids(tmp_path, order):
    """Ids follow crawl order (a distributed or resumed crawl numbers reports differently); which
    2021 report the 2022 one is compared with must not, in a full or an incremental extract."""
    from crawler.extract_step import cross_year_checks

    archive, ids = _two_reports_of_2021(tmp_path, order)

    def continuity():
        return archive.conn.execute(
            "select outcome from checks where report_id = ? and rule = 'requests.continuity' and scope = 'total'",
            [ids["next"]]).fetchone()[0]

    cross_year_checks(archive)  # a full extract's pass
    assert continuity() == "pass"  # 9 = 9: the 2021 report with more cells
    archive.conn.execute("update checks set outcome = 'unknown' where report_id = ?", [ids["next"]])
    cross_year_checks(archive, {("a", 2021)})  # an incremental one, 2021 touched
    assert continuity() == "pass"
    archive.close()


def test_a_full_extract_reads_the_captures_in_batches_in_one_order(crawled, monkeypatch, tmp_path):
    """Every report capture once, own pages before portal copies, each part by address and each
    address's versions oldest first, whatever the batch size: a full extract of a million reports
    holds one batch of rows, not all of them."""
    from crawler.archive import Archive, ReportCaptures

    db, _blobs = _copy(crawled, tmp_path)  # opening an Archive writes: never the session's shared one
    archive = Archive(db)
    try:
        whole = list(archive.report_captures())
        monkeypatch.setattr(ReportCaptures, "BATCH", 3)
        stream = archive.report_captures()
        small = list(stream)
        want = query(db, "select id from captures where kind = 'report' and ok = 1 and sha256 is not null")
    finally:
        archive.close()
    assert [c["id"] for c in small] == [c["id"] for c in whole] and len(stream) == len(small)
    assert sorted(c["id"] for c in small) == sorted(r["id"] for r in want)
    portal = [c["found_via"] is not None for c in small]
    assert any(portal) and not all(portal) and portal == sorted(portal)  # own pages (False) first
    for part in (False, True):
        keys = [(c["url"], c["id"]) for c in small if (c["found_via"] is not None) == part]
        assert keys == sorted(keys)
