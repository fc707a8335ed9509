"""Honest exits: a crawl that cannot write its archive stops at once, says why in one line, exits
non-zero, marks its run failed (when the database can still take that), and leaves an archive that the
next crawl uses as if nothing happened.

The full disk and the read-only file system are real: a small tmpfs, remounted read-only. Mounting
needs root (or CAP_SYS_ADMIN); elsewhere these tests skip and say so.
"""
from __future__ import annotations

import contextlib
import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.conftest import query, run_cli
from tests.hostile_web import HostileWeb, registry_yaml

FAST = ["-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "--log-level", "WARNING"]


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({(r.stderr or 'mount failed').strip()}); the full-disk "
                    f"and read-only cases need one (root or CAP_SYS_ADMIN)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def crawl(web, registry: Path, db: Path, *extra: str):
    return run_cli("crawl", "--registry", str(registry), "--db", str(db),
                   "-s", f"NIANBAO_ALLOW_LOOPBACK={web.port}", *FAST, *extra, check=False, timeout=120)


def assert_one_clear_error(proc, *words: str) -> str:
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "Traceback" not in out, out[-6000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    for w in words:
        assert w in errors[0], errors[0]
    return errors[0]


def assert_archive_intact(db: Path, blobs: Path) -> None:
    assert query(db, "pragma integrity_check")[0]["integrity_check"] == "ok"
    for c in query(db, "select sha256 from captures where sha256 is not null"):
        sha = c["sha256"]
        data = (blobs / sha[:2] / sha[2:4] / sha).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha  # no row points at a missing or torn blob
    assert not list(blobs.rglob(".tmp-*")) and not list(blobs.rglob(".probe-*"))


def test_a_full_disk_stops_the_crawl_with_one_message_and_a_failed_run(tmp_path):
    with tmpfs(tmp_path / "disk", "2m") as disk, HostileWeb() as web:
        reg = tmp_path / "reg.yml"
        reg.write_text(registry_yaml(web, {"good": None, "bulk": None}), encoding="utf-8")
        db = disk / "archive.db"
        proc = crawl(web, reg, db)
        assert_one_clear_error(proc, "disk full", str(db))
        assert proc.stderr.count("No space left") <= 1
        run = query(db, "select * from crawl_runs")[-1]
        assert run["status"] == "failed" and "disk full" in run["finish_reason"], run
        stored = query(db, "select count(*) n from captures")[0]["n"]
        assert 0 < stored < 62  # it stopped early: 60 bulk reports of 100 KB cannot fit in 2 MB
        assert_archive_intact(db, disk / "data" / "blobs")
        # the room kept for the last write was used for it and is not left behind
        assert not (disk / "archive.db-reserve").exists()
        # the archive is usable: with room again, the next crawl completes on top of it
        remount(disk, "size=64m")
        again = crawl(web, reg, db)
        assert again.returncode == 0, again.stderr[-3000:]
        runs = query(db, "select id, status from crawl_runs order by id")
        assert [r["status"] for r in runs] == ["failed", "finished"]
        assert query(db, "select count(*) n from captures")[0]["n"] > stored
        assert_archive_intact(db, disk / "data" / "blobs")


def test_a_read_only_database_is_one_clear_error(tmp_path):
    with tmpfs(tmp_path / "ro", "32m") as disk, HostileWeb() as web:
        reg = tmp_path / "reg.yml"
        reg.write_text(registry_yaml(web, {"good": None}), encoding="utf-8")
        db = disk / "archive.db"
        assert crawl(web, reg, db).returncode == 0
        before = query(db, "select (select count(*) from captures) c, (select count(*) from crawl_runs) r")[0]
        remount(disk, "ro")
        try:
            proc = crawl(web, reg, db)
        finally:
            remount(disk, "rw")
        assert_one_clear_error(proc, "read-only", str(db))
        # nothing could be written, not even a run row: the archive is exactly as before, and usable
        after = query(db, "select (select count(*) from captures) c, (select count(*) from crawl_runs) r")[0]
        assert after == before
        assert_archive_intact(db, disk / "data" / "blobs")
        assert crawl(web, reg, db).returncode == 0
        assert [r["status"] for r in query(db, "select status from crawl_runs order by id")] == ["finished"] * 2


def test_an_unwritable_blob_directory_fails_the_run_before_fetching(tmp_path):
    with tmpfs(tmp_path / "blobs", "8m") as blobs, HostileWeb() as web:
        reg = tmp_path / "reg.yml"
        reg.write_text(registry_yaml(web, {"good": None}), encoding="utf-8")
        remount(blobs, "ro")
        db = tmp_path / "archive.db"
        proc = crawl(web, reg, db, "--blobs", str(blobs))
        assert_one_clear_error(proc, "read-only file system", str(blobs))
        run = query(db, "select * from crawl_runs")[-1]
        assert run["status"] == "failed" and "read-only file system" in run["finish_reason"], run
        assert query(db, "select count(*) n from captures")[0]["n"] == 0
        assert not [p for _, p in web.hits if p != "/robots.txt"]  # nothing fetched that could not be kept
