"""Nightly runs against a replica that changes between nights: cheap, versioned, loud, resumable.

Each test serves its own replica (the changes must not leak into other tests) and runs the real
`nianbao nightly` / `nianbao crawl` commands in child processes.
"""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import time

import pytest

from replica import ReplicaServer, replica_web
from replica.changes import break_list, edit_report, remove_report
from tests.conftest import NIANBAO, ROOT, crawl_and_extract, query, run_cli
from tests.fts_entries import entries_by_report


q = query


def nightly(db, port, check_rc=None, *settings):
    out = run_cli("nightly", "--registry", "replica", "--port", str(port), "--db", str(db),
                  *(a for s in settings for a in ("-s", s)), check=False)
    if check_rc is not None:
        assert out.returncode == check_rc, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def failing(db, run_id):
    return {r["agency_id"] for r in q(db, "select agency_id from agency_runs where run_id = ? and status = 'failing'",
                                     [run_id])}


def trs_report(web, agency_id="xinjiang-mzt", year=None):
    return next(r for r in web.truth.reports
                if r.agency_id == agency_id and r.reachable and (year is None or r.year == year)
                and "transient" not in " ".join(getattr(r, "quirks", [])))


@pytest.fixture
def site():
    web = replica_web()
    with ReplicaServer(web, port=0) as server:
        yield web, server


def test_nightly_is_cheap_versioned_and_loud(site, tmp_path):
    web, server = site
    db = tmp_path / "archive.db"
    first = nightly(db, server.port)
    expected_failing = {b.agency_id for b in web.truth.blocked} | {
        b.agency_id for b in web.truth.bad if b.kind == "500"}
    assert failing(db, 1) == expected_failing
    assert first.returncode == 1 and "FAILING" in first.stderr  # the replica plants broken sites
    reports_before = q(db, "select count(*) n from reports")[0]["n"]

    # 2nd night, nothing changed (the default revalidation policy): only list pages and the night's
    # rotation share are asked again (tests/test_revalidation.py counts them), and they answer 304.
    nightly(db, server.port)
    b1, b2 = (r["bytes_downloaded"] for r in q(db, "select bytes_downloaded from crawl_runs order by id"))
    print(f"bytes downloaded: first run {b1}, second run {b2} ({b2 / b1:.1%})")
    assert b2 <= 0.05 * b1
    fetched = q(db, "select kind, last_run_id, not_modified_count from captures where ok = 1 and kind in ('report', 'attachment')")
    assert fetched and all(c["not_modified_count"] >= 1 for c in fetched if c["last_run_id"] == 2)
    assert q(db, "select count(*) n from reports")[0]["n"] == reports_before
    # ... and its extract read nothing: nothing new was stored
    assert q(db, "select mode, captures from extract_runs order by id desc limit 1") == [
        {"mode": "incremental", "captures": 0}]

    # 3rd night: one report edited, one removed.
    edited = trs_report(web, "xinjiang-mzt", 2022)
    removed = trs_report(web, "wusu-mzj", 2022)
    edit_report(web, edited)
    assert remove_report(web, removed)
    # Every page revalidated tonight (the rotation catching these within its period, and removals on
    # list pages a night does not re-read, are tests/test_revalidation.py's)
    nightly(db, server.port, None, "NIANBAO_REVALIDATE_DAYS=1")
    # a report count that drops is worth a look in the morning
    assert failing(db, 3) == expected_failing | {"wusu-mzj"}
    note = q(db, "select note from agency_runs where run_id = 3 and agency_id = 'wusu-mzj'")[0]["note"]
    assert "dropped from 4 to 3" in note
    v2 = q(db, "select url, version from reports where version > 1")
    assert [r["url"] for r in v2] == [server.url(edited.host, edited.path)], "exactly one new version"
    versions = q(db, "select version, is_current from reports where url = ? order by version",
                 [server.url(edited.host, edited.path)])
    assert versions == [{"version": 1, "is_current": 0}, {"version": 2, "is_current": 1}]
    gone = q(db, "select url from reports where removed_at is not null")
    assert [r["url"] for r in gone] == [server.url(removed.host, removed.path)], "exactly one removed mark"
    # the night's extract read only the edited page, and gives what reading everything again gives
    third = q(db, "select mode, captures from extract_runs order by id desc limit 1")[0]
    assert third["mode"] == "incremental" and 1 <= third["captures"] <= 2, third
    assert_same_archive(db, full_extract_of(db, tmp_path / "full"))

    # 4th night: a redesign breaks one agency's column; only that agency joins the failing.
    break_list(web, "changde-mzj")
    fourth = nightly(db, server.port, 1, "NIANBAO_REVALIDATE_DAYS=1")
    assert failing(db, 4) == expected_failing | {"changde-mzj"}
    assert "changde-mzj" in fourth.stdout and "list page" in fourth.stdout
    # its reports are still there: a broken column never deletes (or marks removed) what was archived
    assert q(db, "select count(*) n from reports where agency_id = 'changde-mzj' and removed_at is null")[0]["n"] >= 9


def full_extract_of(db, work):
    """A copy of the archive ``db`` extracted again from all its captures (``extract --full``)."""
    import sqlite3

    work.mkdir()
    copy = work / "archive.db"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    run_cli("extract", "--full", "--db", str(copy), "--blobs", str(db.parent / "data" / "blobs"), "--no-progress")
    return copy


def archive_state(db):
    """What must be identical between an interrupted-and-resumed crawl and an uninterrupted one,
    and between an incremental extract and a full one."""
    return {
        "reports": sorted((r["url"], r["sha256"], r["version"], r["is_current"], r["year"], r["title"],
                           r["removed_at"], r["checks_failed"], r["text"])
                          for r in q(db, "select r.*, t.text from reports r left join report_texts t on t.report_id = r.id")),
        "problems": sorted((r["url"], r["stage"], r["code"], r["message"]) for r in q(
            db, "select url, stage, code, message from problems")),
        # every entry of the search index (contentless: its words, not a copy of the text), by report
        "search": entries_by_report(db),
        "cells": sorted(tuple(r.values()) for r in q(
            db, 'select r.url, c."table", c."row", c.col, c.raw, c.value, c.kind from cells c'
                " join reports r on r.id = c.report_id")),
        "captures": sorted((r["url"], r["kind"], r["sha256"], r["status"]) for r in q(
            db, "select url, kind, sha256, status from captures where ok = 1")),
        "checks": sorted(tuple(r.values()) for r in q(
            db, "select r.url, k.rule, k.scope, k.outcome from checks k join reports r on r.id = k.report_id")),
    }


def assert_same_archive(got, want):
    """``archive_state(got) == archive_state(want)``, failing with what differs."""
    assert_same_state(archive_state(got), archive_state(want), str(got), str(want))


def assert_same_state(a: dict, b: dict, a_name: str = "left", b_name: str = "right", shown: int = 8):
    """Two ``archive_state`` results equal, or a failure listing for each part the rows only one side
    has (a few of each), not two whole archives' repr to tell apart by eye."""
    lines = []
    for part in b:
        if a[part] == b[part]:
            continue
        set_a, set_b = set(a[part]), set(b[part])
        only_a = [row for row in a[part] if row not in set_b]
        only_b = [row for row in b[part] if row not in set_a]
        lines.append(f"{part}: {len(a[part])} rows vs {len(b[part])}; only in {a_name}: {len(only_a)},"
                     f" only in {b_name}: {len(only_b)}" + ("" if only_a or only_b else " (the same rows, repeated differently)"))
        lines += [f"   - {_short(row)}" for row in only_a[:shown]] + [f"   + {_short(row)}" for row in only_b[:shown]]
    assert not lines, "the archives differ:\n" + "\n".join(lines)


def _short(row) -> str:
    return repr(tuple(v[:120] + "…" if isinstance(v, str) and len(v) > 120 else v for v in row))


@pytest.mark.slow  # two whole crawls and extracts (~45 s): CI runs it in `make test-all`
def test_sigkill_mid_crawl_then_rerun_equals_uninterrupted(tmp_path):
    web = replica_web()
    with ReplicaServer(web, port=0, delay=0.03) as server:
        clean = tmp_path / "clean.db"
        crawl_and_extract(server.port, clean)
        web.reset()  # the planted transient 500 fires again for the second archive

        killed = tmp_path / "killed.db"
        proc = subprocess.Popen(NIANBAO + ["crawl", "--registry", "replica", "--port", str(server.port),
                                           "--db", str(killed), "--log-level", "WARNING"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:  # kill once it has stored part of the web, not all of it
            time.sleep(0.3)
            try:
                n = q(killed, "select count(*) n from captures")[0]["n"]
            except sqlite3.OperationalError:
                continue
            if n >= 20:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = q(killed, "select count(*) n from captures")[0]["n"]
        total = q(clean, "select count(*) n from captures")[0]["n"]
        assert 0 < partial < total, (partial, total)

        run_cli("crawl", "--registry", "replica", "--port", str(server.port), "--db", str(killed),
                "--log-level", "WARNING")
        run_cli("extract", "--db", str(killed), "--no-progress")
    runs = q(killed, "select status from crawl_runs order by id")
    assert [r["status"] for r in runs] == ["killed", "finished"]
    assert_same_archive(killed, clean)
