"""Shared fixtures: the replica web on a real loopback server, and one real crawl of it.

The crawl runs as a child process (`nianbao crawl`), exactly as an operator would run it, because
Twisted's reactor cannot be restarted inside the test process.
"""
from __future__ import annotations

import os
import re
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

    from extract import packed_text

    conn = sqlite3.connect(db)
    packed_text.register(conn)  # the report_texts view
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


def crawl_and_extract(port: int, db) -> None:
    """The whole replica crawled by one process into ``db`` and extracted: what other ways of
    crawling are compared with."""
    run_cli("crawl", "--registry", "replica", "--port", str(port), "--db", str(db), "--log-level", "WARNING")
    run_cli("extract", "--db", str(db), "--no-progress")


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


def _default_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_server(args: list[str], ready_url: str, log: Path, timeout: float = 60, **kw) -> subprocess.Popen:
    """Start a server process (output to ``log``, never an unread pipe that could fill up) and
    wait until ``ready_url`` answers; fail with its output if it exits first or never answers."""
    with open(log, "wb") as out:
        # Ctrl-C reaches the server as from a terminal, however the tests were started: a shell
        # starts a background job (`make test &`) with SIGINT ignored, and children inherit that
        proc = subprocess.Popen(args, cwd=kw.pop("cwd", ROOT), stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=_default_sigint, **kw)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(ready_url, timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    stop_process(proc)
    raise AssertionError(f"{ready_url} never answered (server exit {proc.returncode})\n"
                         f"{log.read_text(encoding='utf-8', errors='replace')[-4000:]}")


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> int:
    """SIGTERM, as a service manager stops a server; SIGKILL only if it does not stop in time."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


@pytest.fixture(scope="session")
def datasette_url(crawled):
    """A real Datasette server (the same command line `nianbao serve` uses) over the archive."""
    from crawler.cli import datasette_command

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with datasette_command(str(crawled["db"]), "127.0.0.1", port) as args:
        proc = start_server(args, base + "/-/versions.json", crawled["dir"] / "datasette.log")
        try:
            yield base
        finally:
            stop_process(proc)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


@pytest.fixture(scope="session")
def cjk_font():
    """Pictures of the replica's tables are rasterised from PDFs whose Chinese font is not embedded:
    without a Chinese system font every character comes out blank, and OCR has nothing to read."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        out = b""
    if not out.strip():
        pytest.skip("no Chinese system font (Debian package `fonts-wqy-microhei`, `make system-deps`)")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars"]


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if not path:
        pytest.skip("headless Chromium is not installed (Debian package `chromium`, `make system-deps`)")
    return path


def dump_dom(chromium: str, url: str, tmp_path: Path, screenshot: Path | None = None,
             size: tuple[int, int] = (1280, 2400)):
    """The DOM after Chromium loaded ``url`` and ran its scripts; with ``screenshot``, also a PNG."""
    import lxml.html

    base = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    out = subprocess.run([*base, "--dump-dom", url], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")[-2000:]
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*base, f"--window-size={size[0]},{size[1]}", f"--screenshot={screenshot}", url],
                       capture_output=True, timeout=120, check=True)
    return lxml.html.fromstring(out.stdout.decode("utf-8"))


@pytest.fixture(scope="session")
def shared_dir():
    if not SHARED.is_dir():
        pytest.skip(f"../shared reference data is absent ({SHARED}); it exists only for developers and CI")
    return SHARED


os.environ.setdefault("PYTHONUTF8", "1")


# ------------------------------------------------------------------ parallel runs (pytest-xdist)
#: Session fixtures costly enough that every test file using one runs in the same worker, which
#: builds them once (a crawl and extract of the whole replica costs ~30 s of CPU).
SHARED_FIXTURES = ("crawled", "datasette_url")


def _files_sharing_the_crawl() -> frozenset[str]:
    """Test files that ask for a shared fixture (as a parameter of a test or fixture)."""
    uses = re.compile(r"def \w+\([^)]*\b(?:%s)\b" % "|".join(SHARED_FIXTURES))
    here = Path(__file__).parent
    return frozenset(f"{here.name}/{p.name}" for p in here.glob("test_*.py")
                     if uses.search(p.read_text(encoding="utf-8")))


def pytest_xdist_make_scheduler(config, log):
    """``make test`` runs ``pytest -n auto``: whole test files are the units handed to workers (so a
    module fixture is built once), and the files sharing the crawl are one unit. (pytest-xdist's own
    ``--dist loadgroup`` does not group under pytest 9.2, which no longer reads the test ids it
    rewrites.)"""
    from xdist.scheduler import LoadScopeScheduling

    crawl_files = _files_sharing_the_crawl()

    class ByFileSharingTheCrawl(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "shared crawl" if path in crawl_files else path

    return ByFileSharingTheCrawl(config, log)
