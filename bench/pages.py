"""Benchmark: the reader pages against Datasette's plain table page, measured in the same run.

    python bench/pages.py [--db archive.db] [--rounds 15]

Serves the archive with ``nianbao serve`` (a real Datasette over HTTP on 127.0.0.1; without ``--db``
the demo archive is built first in a temporary folder) and times full page loads (request sent →
last byte read) of the report page, the agency page, the comparison and a ranked search, each beside
the plain table page of the table it reads (reports, agencies). Loads are interleaved round by round
so machine noise falls on both sides; medians and ratios are printed. The target is ≤ 2× the plain
table page. Nothing is asserted: speed is measured, not asserted.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
NIANBAO = [sys.executable, "-m", "crawler.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_loads = itertools.count()


def load(url: str) -> float:
    """Seconds to load ``url`` whole. A throw-away ``_r=<n>`` makes every URL new, so the page is
    computed each time rather than answered by the server's page cache (publish/plugins/serving.py)."""
    url += ("&" if "?" in url else "?") + f"_r={next(_loads)}"
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        r.read()
        assert r.status == 200, (url, r.status)
    return time.perf_counter() - t


def pages(db: Path) -> list[tuple[str, str, str]]:
    """(name, reader page path, plain table page path it is compared with)."""
    conn = sqlite3.connect(db)
    rid = conn.execute("select id from reports where is_current = 1 and cells > 0 order by cells desc"
                       " limit 1").fetchone()[0]
    aid = conn.execute("select agency_id from reports where is_current = 1 group by agency_id"
                       " order by count(*) desc limit 1").fetchone()[0]
    year = conn.execute("select year from reports where cells > 0 group by year order by count(*) desc"
                        " limit 1").fetchone()[0]
    conn.close()
    name = db.stem
    q = urllib.parse.quote("行政复议")
    return [
        ("report page", f"/{name}/reports/{rid}", f"/{name}/reports"),
        ("agency page", f"/{name}/agencies/{urllib.parse.quote(aid)}", f"/{name}/agencies"),
        ("comparison", f"/-/compare?year={year}&table=requests", f"/{name}/reports?year={year}"),
        ("ranked search", f"/-/search?q={q}", f"/{name}/reports"),  # where the reports search box leads
    ]


def build_demo(folder: Path) -> Path:
    db = folder / "archive.db"
    print("building the demo archive (nianbao demo --no-serve) …", flush=True)
    subprocess.run([*NIANBAO, "demo", "--no-serve", "--db", str(db)], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return db


@contextlib.contextmanager
def served(db: Path, timeout: float = 120, workers: int = 1) -> Iterator[str]:
    """``nianbao serve --db db [--workers N]`` on a free port, until the block ends: its base URL."""
    port = free_port()
    server = subprocess.Popen([*NIANBAO, "serve", "--db", str(db), "--port", str(port), "--workers", str(workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                load(base + "/-/versions.json")
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("Datasette did not start")
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, help="an archive to serve (default: build the demo archive)")
    ap.add_argument("--rounds", type=int, default=15, help="loads of each page (median reported)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db.resolve() if args.db else build_demo(Path(tmp))
        with served(db) as base:
            plan = pages(db)
            for _, page, plain in plan:  # warm caches and connections once
                load(base + page), load(base + plain)
            times: dict[str, list[float]] = {p: [] for _, p, _ in plan} | {p: [] for _, _, p in plan}
            for _ in range(args.rounds):
                for _, page, plain in plan:
                    times[page].append(load(base + page))
                    times[plain].append(load(base + plain))
            print(f"\npage loads over HTTP, median of {args.rounds} (archive: {db.name})")
            print(f"{'page':15} {'reader page':>12} {'plain table':>12} {'ratio':>7}  target ≤ 2×")
            for name, page, plain in plan:
                a, b = statistics.median(times[page]), statistics.median(times[plain])
                print(f"{name:15} {a * 1000:10.1f}ms {b * 1000:10.1f}ms {a / b:6.2f}×  {page}")


if __name__ == "__main__":
    main()
