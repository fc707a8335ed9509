"""Shared fixtures: the replica web on a real loopback server, and one real crawl of it.

The crawl runs as a child process (`nianbao crawl`), exactly as an operator would run it, because
Twisted's reactor cannot be restarted inside the test process.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
NIANBAO = [sys.executable, "-m", "crawler.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(db, sql, params=()) -> list[dict]:
    """Rows of a read-only query on an archive file, as dicts."""
    import sqlite3

    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def run_cli(*args, check=True, timeout=600, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(NIANBAO + list(args), capture_output=True, text=True, timeout=timeout,
                          cwd=kw.pop("cwd", ROOT), **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"nianbao {' '.join(args)} exited {proc.returncode}\n"
                             f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-8000:]}")
    return proc


@pytest.fixture(scope="session")
def replica():
    """The replica web served on 127.0.0.1 for the whole session."""
    from replica import ReplicaServer, replica_web

    web = replica_web()
    with ReplicaServer(web, port=0) as server:
        yield server


@pytest.fixture(scope="session")
def truth(replica):
    return replica.web.truth


@pytest.fixture(scope="session")
def crawled(replica, tmp_path_factory):
    """One crawl + extract of the whole replica into a fresh archive."""
    work = tmp_path_factory.mktemp("archive")
    db = work / "archive.db"
    crawl = run_cli("crawl", "--registry", "replica", "--port", str(replica.port), "--db", str(db),
                    "--log-level", "INFO")
    extract = run_cli("extract", "--db", str(db), "--no-progress")
    return {"db": db, "dir": work, "crawl": crawl, "extract": extract}


@pytest.fixture(scope="session")
def datasette_url(crawled):
    """A real Datasette server (the same command line `nianbao serve` uses) over the archive."""
    from crawler.cli import datasette_args

    port = free_port()
    proc = subprocess.Popen(datasette_args(str(crawled["db"]), "127.0.0.1", port), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read().decode("utf-8", "replace"))
            time.sleep(0.3)
    else:
        proc.kill()
        raise AssertionError("Datasette did not start")
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


@pytest.fixture(scope="session")
def shared_dir():
    if not SHARED.is_dir():
        pytest.skip(f"../shared reference data is absent ({SHARED}); it exists only for developers and CI")
    return SHARED


os.environ.setdefault("PYTHONUTF8", "1")
