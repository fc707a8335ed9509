"""Extract is incremental: a run reads what was stored since the last finished run of the same
extractor, and leaves the archive as a full run would. The archive is a copy of the session's crawl."""
from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import query, run_cli
from tests.test_nightly import archive_state


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
    assert archive_state(db) == before


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
    assert archive_state(db) == before


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
