"""Benchmark: a crawl of many slow hosts, one process against 3 distributed workers, in one run.

    python bench/distributed.py [--hosts 300] [--reports 3] [--latency 0.5] [--workers 3]

A loopback server (aiohttp, in its own process) answers ``h<N>.localhost`` virtual hosts, each an
agency whose 年报 column lists ``--reports`` report pages; every answer waits ``--latency`` seconds,
as a distant government server does. The same generated registry is crawled twice with the shipped
settings (politeness included): by `nianbao crawl` in one process, then by `nianbao writer` plus
``--workers`` × `nianbao crawl --redis` against a real redis-server on the loopback. Printed: requests
(the run's own count, merged over workers), wall seconds from the first process start to the run's
end, requests/s, and the ratio distributed / single (near-linear: close to the worker count).
Nothing is asserted: speed is measured, not asserted.

A many-host crawl is bound by waiting, not CPU: ``CONCURRENT_REQUESTS`` requests in flight, each
``--latency`` long, per process. Workers multiply the requests in flight; the writer's one process
must keep up with their captures.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NIANBAO = [sys.executable, "-m", "crawler.cli"]
NAME, PROVINCE, CITY = "常德市民政局", "湖南省", "常德市"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the many-host server
def serve(port: int, latency: float, reports: int) -> None:
    from aiohttp import web

    def page(title: str, body: str) -> web.Response:
        html = f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def handle(request: web.Request) -> web.Response:
        await asyncio.sleep(latency)
        path = request.path
        if path == "/robots.txt":
            return web.Response(text="User-agent: *\nAllow: /\n", content_type="text/plain")
        if path == "/list.html":
            items = "".join(f"<li><a href='/r/{2024 - k}.html'>{NAME}{2024 - k}年政府信息公开工作年度报告</a>"
                            f" <span>{2025 - k}-01-20</span></li>" for k in range(reports))
            return page("年报", f"<ul>{items}</ul>")
        if path.startswith("/r/"):
            year = path[3:].split(".")[0]
            host = request.host.split(":")[0]
            return page(f"{NAME}{year}年政府信息公开工作年度报告",
                        f"<h1>{NAME}{year}年政府信息公开工作年度报告</h1><p>{host} 本报告依据条例编制。</p>")
        return web.Response(status=404, text="not found")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, backlog=4096)


def registry(path: Path, hosts: int, port: int) -> Path:
    agencies = [{"id": f"bench-{i}", "name": NAME, "aliases": ["市民政局"], "province": PROVINCE, "city": CITY,
                 "level": "city", "platform": "generic", "start_url": f"http://h{i}.localhost:{port}/list.html"}
                for i in range(hosts)]
    path.write_text(json.dumps({"registry": "bench", "agencies": agencies}, ensure_ascii=False), encoding="utf-8")
    return path


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


def last_run(db: Path) -> dict:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("select * from crawl_runs order by id desc limit 1").fetchone())
    finally:
        conn.close()


# ---------------------------------------------------------------- the two crawls
def children_cpu() -> float:
    """CPU seconds of this process's finished children (each mode's processes end within it)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def single(reg: Path, port: int, work: Path, settings: tuple[str, ...] = ()) -> dict:
    db = work / "single.db"
    cpu = children_cpu()
    t0 = time.perf_counter()
    out = subprocess.run(NIANBAO + ["crawl", "--registry", str(reg), "--db", str(db), "--log-level", "WARNING",
                                    "-s", f"NIANBAO_ALLOW_LOOPBACK={port}", *settings],
                         cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise SystemExit(out.stderr[-3000:])
    return {"wall": wall, "cpu": children_cpu() - cpu, **last_run(db)}


def distributed(reg: Path, port: int, work: Path, workers: int, settings: tuple[str, ...] = ()) -> dict:
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("redis-server is not installed (make system-deps)")
    rport = free_port()
    redis = subprocess.Popen([exe, "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{rport}/0"
    db = work / "distributed.db"
    procs = []
    cpu = children_cpu()
    try:
        wait_port(rport)
        t0 = time.perf_counter()
        writer = subprocess.Popen(NIANBAO + ["writer", "--redis", url, "--registry", str(reg), "--port", str(port),
                                             "--db", str(db)],
                                  cwd=ROOT, stdout=open(work / "writer.log", "wb"), stderr=subprocess.STDOUT)
        for i in range(workers):
            procs.append(subprocess.Popen(
                NIANBAO + ["crawl", "--redis", url, "--log-level", "WARNING", "-s", f"NIANBAO_ALLOW_LOOPBACK={port}",
                           *settings],
                cwd=ROOT, stdout=open(work / f"worker{i}.log", "wb"), stderr=subprocess.STDOUT))
        rc = writer.wait()
        wall = time.perf_counter() - t0
        for p in procs:
            p.wait(timeout=120)
        if rc not in (0, 1):
            raise SystemExit((work / "writer.log").read_text(errors="replace")[-3000:])
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        redis.terminate()
        redis.wait()
    return {"wall": wall, "cpu": children_cpu() - cpu, **last_run(db)}


def throughput(registry: Path, port: int, work: Path, workers: int) -> dict:
    """For bench/crawl.py's ``throughput_distributed`` hook: the same crawl through ``workers``
    workers and the writer, in that hook's terms (its registry may hold ``{port}``; the writer fills
    it and hands it to the workers)."""
    r = distributed(registry, port, work, workers)
    return {"requests": r["requests"], "wall": r["wall"], "cpu": r["cpu"],
            "rps": r["requests"] / r["wall"] if r["wall"] else 0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=300)
    ap.add_argument("--reports", type=int, default=3, help="report pages per host")
    ap.add_argument("--latency", type=float, default=0.5, help="seconds per answer")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="keep archives and logs in this folder")
    ap.add_argument("--concurrency", type=int,
                    help="requests in flight per process (CONCURRENT_REQUESTS; default: the shipped 256). A "
                         "small number makes each process bound by waiting, as a machine is bound by its own "
                         "capacity: the ratio then shows whether the shared frontier and the one writer keep "
                         "up as workers are added, which the shipped setting on a 2-core machine cannot (every "
                         "process is CPU-bound and the ratio measures the cores)")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # internal: run the server on this port
    a = ap.parse_args()
    if a.serve:
        serve(a.serve, a.latency, a.reports)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--latency", str(a.latency),
                               "--reports", str(a.reports)])
    try:
        wait_port(port)
        with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
            work = a.keep or Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            reg = registry(work / "registry.json", a.hosts, port)
            settings = ("-s", f"CONCURRENT_REQUESTS={a.concurrency}") if a.concurrency else ()
            one = single(reg, port, work, settings)
            many = distributed(reg, port, work, a.workers, settings)
    finally:
        server.terminate()
        server.wait()
    print(f"{a.hosts} hosts × ({a.reports} reports + list + robots.txt), {a.latency:g} s per answer, "
          + (f"{a.concurrency} requests in flight per process" if a.concurrency else "shipped settings"))
    rows = [("1 process", one), (f"{a.workers} workers + writer", many)]
    for label, r in rows:
        print(f"  {label:20} {r['requests']:6d} requests  {r['wall']:7.1f} s  {r['requests'] / r['wall']:7.1f} requests/s"
              f"  {1000 * r['cpu'] / r['requests']:5.1f} ms CPU/request  ({r['captures_new']} captures, run {r['status']})")
    ratio = (many["requests"] / many["wall"]) / (one["requests"] / one["wall"])
    pages = (many["captures_new"] / many["wall"]) / (one["captures_new"] / one["wall"])
    print(f"  ratio distributed / single: {ratio:.2f}× requests/s, {pages:.2f}× pages/s with {a.workers} workers "
          f"(linear would be {a.workers}×; on {os.cpu_count()} cores). Requests beyond the single process's "
          f"are robots.txt asked again by a worker that met a host before another had shared it")
    print(f"  CPU per request, distributed / single: {(many['cpu'] / many['requests']) / (one['cpu'] / one['requests']):.2f}×"
          " (workers + writer + Redis against one process: the price of sharing the frontier)")


if __name__ == "__main__":
    main()
