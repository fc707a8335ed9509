"""`nianbao extract` against damage: missing and corrupt blobs, a killed process, a read-only
database, a full disk. Real archives (a copy of the session's crawl of the replica), real child
processes, real SQLite; nothing mocked. Expected rows are those of an undamaged extract of the
same captures, never values written here.

To stay fast, the destructive tests work on a copy of the crawl restricted to the agencies whose
documents need neither OCR nor LibreOffice (HTML pages, PDF/DOCX/XLSX attachments): the same code
path, a few seconds per extract.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import NIANBAO, ROOT, query, run_cli
from tests.fts_entries import expected_entries, index_entries

# content types that send a document through OCR or LibreOffice (seconds each): left out of the copy
SLOW_TYPES = ("image/%", "application/msword", "application/octet-stream", "application/wps%")

DERIVED = ("cells", "checks", "problems", "reports", "extract_runs")


# ---------------------------------------------------------------------------------------- helpers


def copy_archive(src_db: Path, src_blobs: Path, dest: Path) -> tuple[Path, Path]:
    """A copy of an archive (database through SQLite's backup API, so a server reading the original
    cannot leave us half a WAL; blobs as files)."""
    dest.mkdir(parents=True, exist_ok=True)
    db = dest / "archive.db"
    backup(src_db, db)
    blobs = dest / "data" / "blobs"
    shutil.copytree(src_blobs, blobs)
    return db, blobs


def backup(src_db: Path, db: Path) -> None:
    src, out = sqlite3.connect(src_db), sqlite3.connect(db)
    try:
        src.backup(out)
    finally:
        src.close()
        out.close()


def execute(db: Path, *statements: tuple[str, list]) -> None:
    conn = sqlite3.connect(db)
    try:
        with conn:
            for sql, args in statements:
                conn.execute(sql, args)
    finally:
        conn.close()


def unindex(db: Path, report_ids: list[int]) -> None:
    """Take reports out of the (contentless) search index by their stored words, as the archive does."""
    from crawler.archive import Archive

    archive = Archive(db, blobs_dir=db.parent / "data" / "blobs")
    with archive.transaction():
        for rid in report_ids:
            archive.unindex_report(rid)
    archive.close()


def clear_derived(db: Path) -> None:
    """Forget every extract: the archive as a crawl alone leaves it."""
    execute(db, *[(f"delete from {t}", []) for t in DERIVED],
            ("insert into reports_fts (reports_fts) values ('delete-all')", []))  # contentless: no DELETE


def extract(db: Path, blobs: Path, *extra, check=True, **kw):
    return run_cli("extract", "--db", str(db), "--blobs", str(blobs), "--no-progress", *extra,
                   check=check, timeout=300, **kw)


def snapshot(db: Path) -> dict:
    """Everything an extract derives, keyed by what identifies it across extracts: a report by
    (url, content hash), never by its row id."""
    key = "r.url || ' ' || r.sha256"
    skip = {"id", "extracted_at"}
    reports = {f"{r['url']} {r['sha256']}": {k: v for k, v in r.items() if k not in skip}
               for r in query(db, "select * from reports r")}
    cells = sorted(tuple(r.values()) for r in query(
        db, f'select {key} as k, c."table", c."row", c.col, c.raw, c.value, c.kind, c.note, c.capture_id,'
            " c.source, c.confidence from cells c join reports r on r.id = c.report_id"))
    checks = sorted(tuple(r.values()) for r in query(
        db, f"select {key} as k, c.rule, c.scope, c.outcome, c.detail, c.compared, c.explanation"
            " from checks c join reports r on r.id = c.report_id"))
    problems = sorted(tuple(map(str, r.values())) for r in query(
        db, f"select p.capture_id, p.stage, p.code, p.message, {key} as k from problems p"
            " left join reports r on r.id = p.report_id"))
    return {"reports": reports, "cells": cells, "checks": checks, "problems": problems}


def assert_consistent(db: Path) -> int:
    """Reports, cells, checks and the search index agree, row by row. Returns the report count."""
    from extract.cjk import match_query

    reports = query(db, "select r.id, r.title, t.text, r.cells, r.checks_failed from reports r left join report_texts t on t.report_id = r.id order by r.id")
    fts = sorted(r["rowid"] for r in query(db, "select rowid from reports_fts"))
    assert fts == [r["id"] for r in reports], "the search index disagrees with reports"
    # every report's indexed words are those of its stored title and text, and no others
    assert index_entries(db) == expected_entries(db), "the search index disagrees with reports' text"
    cells = {r["report_id"]: r["n"] for r in query(db, "select report_id, count(*) n from cells group by 1")}
    fails = {r["report_id"]: r["n"] for r in query(
        db, "select report_id, count(*) n from checks where outcome = 'fail' group by 1")}
    ids = {r["id"] for r in reports}
    assert set(cells) <= ids, "cells of a report that does not exist"
    assert {r["report_id"] for r in query(db, "select distinct report_id from checks")} <= ids
    for r in reports:
        assert (r["cells"] or 0) == cells.get(r["id"], 0), r["id"]
        assert (r["checks_failed"] or 0) == fails.get(r["id"], 0), r["id"]
    if reports:  # the index answers a search for a word of a report's title
        words = re.findall(r"[\u4e00-\u9fff]{2}", reports[-1]["title"] or "")
        assert words
        hits = query(db, "select rowid from reports_fts where reports_fts match ?", [match_query(words[0])])
        assert reports[-1]["id"] in {h["rowid"] for h in hits}
    return len(reports)


def damage(blobs: Path, sha: str, how: str) -> None:
    path = blobs / sha[:2] / sha[2:4] / sha
    if how == "delete":
        path.unlink()
    else:  # flip bytes in the middle: same size, wrong hash
        data = bytearray(path.read_bytes())
        mid = len(data) // 2
        data[mid:mid + 8] = bytes(b ^ 0xFF for b in data[mid:mid + 8])
        path.write_bytes(bytes(data))


def unique_blob_captures(db: Path, where: str, args=()) -> list[dict]:
    """Captures matching ``where`` whose blob no other capture shares (damaging it hits only them)."""
    return query(db, "select c.* from captures c where " + where +
                 " and (select count(*) from captures c2 where c2.sha256 = c.sha256) = 1 order by c.id", args)


# ---------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def small(crawled, tmp_path_factory):
    """The session's crawl restricted to the fast agencies, extracted once undamaged: the baseline."""
    work = tmp_path_factory.mktemp("damage-base")
    db, blobs = copy_archive(crawled["db"], crawled["dir"] / "data" / "blobs", work)
    slow = "(" + " or ".join("content_type like ?" for _ in SLOW_TYPES) + ")"
    keep = [r["agency_id"] for r in query(
        db, f"select agency_id from captures where ok = 1 and kind in ('report', 'attachment')"
            f" group by agency_id having sum({slow}) = 0", list(SLOW_TYPES))]
    assert len(keep) >= 4, keep
    marks = ",".join("?" * len(keep))
    other = f"select id from reports where agency_id not in ({marks})"
    unindex(db, [r["id"] for r in query(db, other, keep)])
    execute(db, (f"delete from cells where report_id in ({other})", keep),
            (f"delete from checks where report_id in ({other})", keep),
            (f"delete from problems where agency_id not in ({marks})", keep),
            (f"delete from reports where agency_id not in ({marks})", keep),
            (f"delete from captures where agency_id not in ({marks})", keep))
    before = snapshot(db)
    extract(db, blobs, "--full")
    base = snapshot(db)
    # re-extracting what the session's extract built changes nothing
    assert base == before
    assert base["reports"] and base["cells"] and base["checks"]
    return {"db": db, "blobs": blobs, "snap": base, "keep": keep}


@pytest.fixture
def work(small, tmp_path):
    db, blobs = copy_archive(small["db"], small["blobs"], tmp_path / "archive")
    return db, blobs


# ---------------------------------------------------------------------------------------- tests


def test_missing_and_corrupt_blobs_are_problems_of_their_captures(small, work):
    db, blobs = work
    base = small["snap"]
    # a report page, a second report page, and an attachment a third report took its tables from
    pages = unique_blob_captures(db, "c.kind = 'report' and c.id in (select capture_id from reports where cells > 0)")
    att = unique_blob_captures(db, "c.kind = 'attachment' and c.id in (select capture_id from cells)"
                                   " and c.id not in (select capture_id from reports)")
    assert len(pages) >= 2 and att, "the replica plants reports with tables on the page and in attachments"
    att_report = query(db, "select distinct r.capture_id from cells c join reports r on r.id = c.report_id"
                           " where c.capture_id = ?", [att[0]["id"]])[0]["capture_id"]
    pages = [p for p in pages if p["id"] != att_report]
    targets = {pages[0]["id"]: ("delete", "blob_missing"), pages[1]["id"]: ("flip", "blob_corrupt"),
               att[0]["id"]: ("flip", "blob_corrupt")}
    by_id = {c["id"]: c for c in pages + att}
    for cid, (how, _code) in targets.items():
        damage(blobs, by_id[cid]["sha256"], how)

    # damage to what was already extracted is found when it is read again (--full); then it is
    # data: the run finishes, exit 0
    out = extract(db, blobs, "--full")
    got = snapshot(db)
    # every report, its cells, checks and search entry are what the undamaged extract made; the
    # damaged ones keep what the earlier extract read
    assert got["reports"] == base["reports"]
    assert got["cells"] == base["cells"]
    assert got["checks"] == base["checks"]
    assert_consistent(db)
    # the problems are those of the undamaged extract plus one per damaged capture, on that capture,
    # linked to the report it belongs to
    new = sorted(set(got["problems"]) - set(base["problems"]))
    assert set(base["problems"]) <= set(got["problems"])
    assert sorted((int(p[0]), p[2]) for p in new) == sorted((cid, code) for cid, (_h, code) in targets.items())
    for p in query(db, "select * from problems where code like 'blob_%'"):
        assert p["stage"] == "blob" and p["report_id"] is not None, p
        assert by_id[p["capture_id"]]["sha256"][:12] in p["message"], p
    # the summary says so
    assert re.search(rf"damaged captures: {len(targets)}\b", out.stdout), out.stdout
    for cid, (_h, code) in targets.items():
        assert f"capture {cid} {code}" in out.stdout, out.stdout
    assert "Traceback" not in out.stderr

    # the bytes come back (restored from a copy): the next extract reads them again
    for cid in targets:
        sha = by_id[cid]["sha256"]
        target = blobs / sha[:2] / sha[2:4] / sha
        shutil.copyfile(small["blobs"] / sha[:2] / sha[2:4] / sha, target)
    out = extract(db, blobs)
    assert snapshot(db) == base
    assert re.search(r"damaged captures: 0\b", out.stdout), out.stdout


def test_damaged_blob_never_extracted_before_is_marked(small, work):
    """No earlier extract to fall back on: a page whose bytes are gone is a problem and no report;
    a report whose attachment is damaged is saved from what could be read, and marked (a shell page
    whose text was all in that attachment has nothing to save: its empty text is said too)."""
    db, blobs = work
    base = small["snap"]
    # chosen on the extracted baseline (capture ids are the same in the copy): every attachment that
    # gave a report its tables, and a page that is its URL's only version and no other page's twin
    atts = unique_blob_captures(small["db"], "c.kind = 'attachment' and c.id in (select capture_id from cells)"
                                             " and c.id not in (select capture_id from reports)")
    parents = sorted({a["parent_url"] for a in atts})
    assert atts
    page = unique_blob_captures(small["db"], f"c.kind = 'report' and c.url not in ({','.join('?' * len(parents))})"
                                             " and c.id in (select capture_id from reports where also_at is null"
                                             " and version = 1 and is_current = 1)", parents)[0]
    clear_derived(db)
    damage(blobs, page["sha256"], "delete")
    for att in atts:
        damage(blobs, att["sha256"], "flip")
    extract(db, blobs)
    assert_consistent(db)
    got = snapshot(db)
    lost = f"{page['url']} {page['sha256']}"
    assert lost in base["reports"] and lost not in got["reports"]
    assert [(p["code"], p["report_id"]) for p in query(db, "select * from problems where capture_id = ?",
                                                       [page["id"]])] == [("blob_missing", None)]
    marked = 0
    for att in atts:
        problems = query(db, "select p.code, r.url from problems p left join reports r on r.id = p.report_id"
                             " where p.capture_id = ?", [att["id"]])
        assert [p["code"] for p in problems] == ["blob_corrupt"], (att["id"], problems)
        if problems[0]["url"] is not None:  # the report was saved without it, and points to it
            assert problems[0]["url"] == att["parent_url"]
            marked += 1
        else:  # a shell page: nothing but its attachment had text
            shell = query(db, "select p.code from problems p join captures c on c.id = p.capture_id"
                              " where c.url = ? and c.kind = 'report'", [att["parent_url"]])
            assert "empty_text" in {p["code"] for p in shell}, (att["id"], shell)
    assert marked, "the replica plants reports whose page has text and whose tables are in an attachment"
    # the rest is what the undamaged extract made (the year after a lost or tableless report keeps
    # its own rows and cells; only its continuity checks lack the year before)
    affected = {lost} | {k for k in base["reports"] if k.split(" ")[0] in parents}
    before = {(base["reports"][k]["agency_id"], base["reports"][k]["year"]) for k in affected}
    following = {k for k, r in base["reports"].items() if r["year"] and (r["agency_id"], r["year"] - 1) in before}

    def rest(snap):
        return {k: {c: v for c, v in r.items() if k not in following or c != "checks_failed"}
                for k, r in snap["reports"].items() if k not in affected}

    assert rest(got) == rest(base)
    assert [c for c in got["cells"] if c[0] not in affected] == [c for c in base["cells"] if c[0] not in affected]
    assert [c for c in got["checks"] if c[0] not in affected | following] == \
        [c for c in base["checks"] if c[0] not in affected | following]


def test_a_capture_whose_extraction_fails_is_a_problem_and_the_run_goes_on(small, work):
    """A damaged row (an agency's aliases no longer JSON) breaks the extraction of that agency's
    pages: each is a problem saying why, its reports keep their rows, every other report is as
    the undamaged extract made it, and the run finishes."""
    db, blobs = work
    base = small["snap"]
    agency = small["keep"][0]
    execute(db, ("update agencies set aliases = '[broken' where id = ?", [agency]))
    out = extract(db, blobs, "--full")
    got = snapshot(db)
    assert (got["reports"], got["cells"], got["checks"]) == (base["reports"], base["cells"], base["checks"])
    pages = {r["id"] for r in query(db, "select id from captures where agency_id = ? and kind = 'report'"
                                        " and ok = 1", [agency])}
    failed = query(db, "select * from problems where code = 'extract_failed'")
    assert pages and {p["capture_id"] for p in failed} == pages
    assert all("JSONDecodeError" in p["message"] for p in failed), failed
    assert f"extract_failed {len(pages)}" in out.stdout, out.stdout
    assert_consistent(db)


def test_killed_extract_leaves_every_report_whole(small, work):
    """kill -9 in the middle of an extract of a never-extracted archive: what was saved agrees
    with itself (reports, cells, checks, search index), and the next extract completes it."""
    db, blobs = work
    clear_derived(db)
    total = len(query(db, "select id from captures where kind = 'report' and ok = 1"))
    proc = subprocess.Popen([*NIANBAO, "extract", "--db", str(db), "--blobs", str(blobs), "--progress"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen, buf = 0, b""
    deadline = time.time() + 120
    try:
        while time.time() < deadline and proc.poll() is None:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            buf = (buf + chunk)[-4096:]
            counts = [int(n) for n in re.findall(rb"extract:.*?\| *(\d+)/\d+", buf)]
            seen = max(counts, default=0)
            if seen >= 4:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        if proc.poll() is None and seen < 4:
            proc.kill()
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"not killed mid-run ({seen}/{total}): {buf[-2000:]!r}"
    saved = assert_consistent(db)
    assert 0 < saved < len(small["snap"]["reports"]), (saved, total)
    # each report saved whole: its cells are those of the complete extract
    got, base = snapshot(db), small["snap"]
    keys = set(got["reports"])
    assert [c for c in got["cells"] if c[0] in keys] == [c for c in base["cells"] if c[0] in keys]
    extract(db, blobs)
    assert assert_consistent(db) == len(base["reports"])
    got = snapshot(db)
    assert (got["reports"], got["cells"], got["checks"]) == (base["reports"], base["cells"], base["checks"])


def _mount(*args) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def test_read_only_database_is_one_clear_error(small, tmp_path):
    src = tmp_path / "src"
    db, blobs = copy_archive(small["db"], small["blobs"], src)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    if os.geteuid() != 0:
        os.chmod(db, 0o444)
        os.chmod(src, 0o555)
        where, cleanup = db, lambda: (os.chmod(src, 0o755), os.chmod(db, 0o644))
    else:  # root writes through permissions: a read-only bind mount instead
        mnt = tmp_path / "ro"
        mnt.mkdir()
        if not _mount("--bind", str(src), str(mnt)):
            pytest.skip("running as root and cannot bind-mount a read-only copy")
        if not _mount("-o", "remount,ro,bind", str(mnt)):
            _mount_off(mnt)
            pytest.skip("running as root and cannot remount read-only")
        where, cleanup = mnt / "archive.db", lambda: _mount_off(mnt)
    try:
        out = extract(where, blobs, check=False)
    finally:
        cleanup()
    assert out.returncode == 1, out.stdout + out.stderr
    errors = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "did not finish" in errors[0] and "read-only" in errors[0], out.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert snapshot(db) == small["snap"]


def _mount_off(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True)


def test_full_disk_stops_with_one_clear_error_and_a_usable_archive(small, tmp_path):
    """The database on a tmpfs with a little room past its size: the extract fills it, says so,
    exits 1; the archive is consistent, and once there is room the next extract completes."""
    prepared = tmp_path / "prepared.db"  # never extracted, compacted: the extract must write
    backup(small["db"], prepared)
    clear_derived(prepared)
    execute(prepared, ("vacuum", []))
    mnt = tmp_path / "full"
    mnt.mkdir()
    blobs = tmp_path / "blobs"
    shutil.copytree(small["blobs"], blobs)
    size = prepared.stat().st_size
    if not _mount("-t", "tmpfs", "-o", f"size={size + 160 * 1024}", "tmpfs", str(mnt)):
        pytest.skip("cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN)")
    try:
        db = mnt / "archive.db"
        shutil.copyfile(prepared, db)
        out = extract(db, blobs, check=False)
        assert out.returncode == 1, out.stdout + out.stderr
        errors = [line for line in out.stderr.splitlines() if line.strip()]
        assert len(errors) == 1 and "did not finish" in errors[0] and "full" in errors[0], out.stderr
        assert_consistent(db)
        assert _mount("-o", f"remount,size={size * 4 + (16 << 20)}", str(mnt))
        extract(db, blobs)
        assert assert_consistent(db) == len(small["snap"]["reports"])
        got = snapshot(db)
        assert (got["reports"], got["cells"], got["checks"]) == \
            (small["snap"]["reports"], small["snap"]["cells"], small["snap"]["checks"])
    finally:
        _mount_off(mnt)


def test_blob_store_names_what_is_wrong_with_a_blob(tmp_path):
    from crawler.blobs import BlobCorrupt, BlobMissing, BlobStore

    store = BlobStore(tmp_path)
    data = "民政局 2023 年度报告".encode() * 50
    sha = store.put(data)
    assert store.get(sha) == data and store.verify(sha) is None
    damage(tmp_path, sha, "flip")
    with pytest.raises(BlobCorrupt) as e:
        store.get(sha)
    assert e.value.code == "blob_corrupt" and sha[:12] in str(e.value)
    assert isinstance(store.verify(sha), BlobCorrupt)
    assert store.put(data) == sha and store.get(sha) == data  # the same bytes fetched again repair it
    damage(tmp_path, sha, "delete")
    with pytest.raises(BlobMissing) as e:
        store.get(sha)
    assert e.value.code == "blob_missing" and isinstance(e.value, OSError)
    assert store.put(data) == sha and store.get(sha) == data  # stored again, whole
