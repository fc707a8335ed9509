"""Load test: the public pages under 50 concurrent connections, on the loopback.

    python bench/load.py [--db archive.db] [--connections 50] [--seconds 8] [--workers 1 2]

Serves the archive with a real ``nianbao serve`` child (without ``--db`` the demo archive is built first
in a temporary folder, as ``bench/pages.py`` does) and, page by page, keeps ``--connections`` HTTP/1.1
keep-alive connections busy for ``--seconds``: each sends its next request as soon as the last answer
was read. Printed per page: requests, requests/s, p50 and p99 of the time from request sent to last
byte read, and answers that were not 200. Pages:

* the reports page (``/archive/reports``), a facet over the largest table (``cells``), a ranked search;
* the same three "uncached": a throw-away ``_r=<n>`` argument makes every URL new, so each request is
  computed (the server's page cache never answers): the cost of a page nobody asked for before;
* the CSV stream of every cell (``cells.csv?_stream=on``) alone, then while the connections load the
  reports page: whether it completes, its time, and its rows against ``select count(*) from cells``.

With ``--workers 1 2`` the whole run is repeated with ``nianbao serve --workers 2`` (two server
processes): what a page nobody asked for costs scales with the cores the server may use.

Target (issue 11): at 50 connections, p99 of the reports page and the search under 1 s; the CSV stream
completes. The client is a minimal asyncio HTTP/1.1 client (no dependency, little CPU of its own), but
it shares the machine with the server: on 2 cores the figures are a lower bound. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pages import build_demo, served  # noqa: E402


class Connection:
    """One keep-alive HTTP/1.1 connection: GET a path, read the whole answer."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, bytes, dict]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode("latin-1"))
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body, headers

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(host: str, port: int, paths, connections: int, seconds: float) -> dict:
    """``connections`` loops requesting ``paths(n)`` (n counts requests) until ``seconds`` have passed."""
    times: list[float] = []
    errors = 0
    cached = 0
    counter = 0
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal errors, counter, cached
        conn = Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                counter += 1
                path = paths(counter)
                t = time.perf_counter()
                try:
                    status, _, headers = await conn.get(path)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    conn.close()
                    status, headers = 0, {}
                times.append(time.perf_counter() - t)
                errors += status != 200
                cached += headers.get("x-nianbao-cache") == "hit"
        finally:
            conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    times.sort()
    return {"n": len(times), "rps": len(times) / elapsed, "p50": statistics.median(times) if times else None,
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))] if times else None,
            "errors": errors, "hits": cached}


async def csv_stream(host: str, port: int, path: str, timeout: float) -> dict:
    conn = Connection(host, port)
    t = time.perf_counter()
    try:
        status, body, _ = await asyncio.wait_for(conn.get(path), timeout)
    except asyncio.TimeoutError:
        return {"done": False, "secs": time.perf_counter() - t, "rows": None, "status": None}
    finally:
        conn.close()
    text = body.decode("utf-8")
    import csv
    import io

    rows = sum(1 for _ in csv.reader(io.StringIO(text))) - 1  # minus the header
    return {"done": status == 200, "secs": time.perf_counter() - t, "rows": rows, "status": status, "bytes": len(body)}


def row(name: str, r: dict) -> str:
    ms = lambda v: f"{v * 1000:8.0f} ms" if v is not None else "       -"  # noqa: E731
    return f"{name:34} {r['n']:7d} {r['rps']:8.1f} {ms(r['p50'])} {ms(r['p99'])} {r['errors']:6d} {r['hits']:6d}"


async def run(host: str, port: int, db: Path, connections: int, seconds: float, csv_timeout: float) -> None:
    name = db.stem
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    cells = conn.execute("select count(*) from cells").fetchone()[0]
    reports = conn.execute("select count(*) from reports").fetchone()[0]
    conn.close()
    search = urllib.parse.quote("行政复议")
    pages = [
        ("reports page", f"/{name}/reports"),
        ("facet (cells by row)", f"/{name}/cells?_facet=row&table=requests"),
        ("search (ranked)", f"/-/search?q={search}"),  # where the reports search box leads
    ]
    csv_path = f"/{name}/cells.csv?_stream=on"
    warm = Connection(host, port)
    for _, path in pages:  # each page once, as a reader before the crowd would
        await warm.get(path)
    warm.close()
    print(f"\n{connections} connections, {seconds:g} s a page, on 127.0.0.1 "
          f"(archive: {db.name}, {reports} reports, {cells} cells)")
    print(f"{'page':34} {'requests':>7} {'req/s':>8} {'p50':>11} {'p99':>11} {'not 200':>6} {'cached':>6}")
    for label, path in pages:
        print(row(label, await load(host, port, lambda n, p=path: p, connections, seconds)), flush=True)
    for label, path in pages:
        sep = "&" if "?" in path else "?"
        r = await load(host, port, lambda n, p=path, s=sep: f"{p}{s}_r={n}", connections, seconds)
        print(row(label + ", uncached", r), flush=True)

    alone = await csv_stream(host, port, csv_path, csv_timeout)
    loaded_task = asyncio.create_task(load(host, port, lambda n: pages[0][1], connections, seconds))
    await asyncio.sleep(0.5)
    during = await csv_stream(host, port, csv_path, csv_timeout)
    under = await loaded_task
    print(f"\nCSV stream {csv_path} ({cells} rows in SQLite):")
    for label, r in (("alone", alone), (f"while {connections} connections load the reports page", during)):
        state = (f"completed in {r['secs']:.2f} s, {r['rows']} rows, {r['bytes'] / 1e6:.1f} MB"
                 + ("" if r["rows"] == cells else "  ROWS DIFFER FROM SQLITE") if r["done"]
                 else f"did NOT complete in {csv_timeout:g} s (status {r['status']})")
        print(f"  {label:55} {state}")
    print(row("  reports page meanwhile", under))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, help="an archive to serve (default: build the demo archive)")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=8, help="load per page")
    ap.add_argument("--csv-timeout", type=float, default=60)
    ap.add_argument("--workers", type=int, nargs="+", default=[1],
                    help="server processes (nianbao serve --workers); several values: one run each")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db.resolve() if args.db else build_demo(Path(tmp))
        for workers in args.workers:
            print(f"\n=== nianbao serve --workers {workers}")
            with served(db, workers=workers) as base:
                port = int(base.rsplit(":", 1)[1])
                asyncio.run(run("127.0.0.1", port, db, args.connections, args.seconds, args.csv_timeout))

if __name__ == "__main__":
    main()
