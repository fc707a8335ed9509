"""The crawl's own cost and a night's size, measured beside a baseline in the same run (issue 14).

    python bench/crawl.py                     # all three parts, small sizes
    python bench/crawl.py --only overhead     # (a) nianbao's spider vs a plain Scrapy spider
    python bench/crawl.py --only nights       # (b) an unchanged night's requests vs the first night's
    python bench/crawl.py --only hosts --hosts 10000   # (c) many hosts at 0.5 s latency, full size

(a) The nianbao crawl of the replica (served by another process) against a plain ``scrapy.Spider``
    that fetches exactly the requests nianbao made (from its captures), with the same settings
    (politeness, resolver, timeouts, robots.txt) but none of nianbao's middlewares, pipeline or
    parsing. CPU seconds of the crawling process from spider open to close, per response, and wall
    time; the ratio is printed (target ≤ 1.3× CPU). ``--parts``: also nianbao's crawl with nothing
    written to the archive (no blobs, no rows), which splits what nianbao adds into writing the
    archive and everything else (parsing, revalidation, its middlewares); and the plain spider
    keeping every body as plainly as possible (hashed, written and fsynced under its hash, a row in
    SQLite): the floor of any crawler that keeps raw captures. Every round writes every body, into a
    blob store whose folders the first round made (as an archive's are after its first nights).
(b) First night on an empty archive, then an unchanged night under the default policy
    (crawler/revalidate.py) and under a plain 1/30 rotation: requests, the ratio (target ≤ 15 % at
    1/30), and what they were (robots.txt, list pages, reports, attachments).
(c) A purpose-built asyncio server in its own process answers any ``*.localhost`` host after an
    injected latency (0.5 s): every host is a small 年报 column (robots.txt, one list page, a few
    report pages). nianbao crawls them with the shipped politeness settings (2 per host, delay,
    AutoThrottle, robots.txt): requests/s with one process (several workers: bench/distributed.py).
(b') (b) again on ``--hosts`` simulated columns of ``--reports`` reports each (one a year since
    2008 is ~16; the replica's columns hold ~7, which makes list pages and robots.txt a larger share).

Nothing here asserts a time: it prints what it measured.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# child processes: one crawl each (Twisted's reactor runs once per process)
def _timed(crawler) -> dict:
    from scrapy import signals

    t: dict = {}
    crawler.signals.connect(lambda spider: t.update(cpu0=time.process_time(), wall0=time.monotonic()),
                            signal=signals.spider_opened, weak=False)
    crawler.signals.connect(lambda spider, reason: t.update(cpu1=time.process_time(), wall1=time.monotonic()),
                            signal=signals.spider_closed, weak=False)
    return t


def child_nianbao(args) -> dict:
    """nianbao's own crawl (the settings of `nianbao crawl`), timed from spider open to close."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler.cli import replica_overrides

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    overrides = {"NIANBAO_DB": args.db, "NIANBAO_BLOBS": args.blobs, "NIANBAO_REGISTRY": args.registry,
                 "NIANBAO_REPLICA_PORT": args.port, "LOG_LEVEL": "ERROR"}
    overrides.update(replica_overrides(args.port) if args.replica_settings else
                     {"NIANBAO_ALLOW_LOOPBACK": [args.port]})
    overrides.update(json.loads(args.settings or "{}"))
    settings.setdict(overrides, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("reports")
    t = _timed(crawler)
    process.crawl(crawler, registry=args.registry, port=args.port)
    process.start()
    return {"stats": {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, (int, float, str))},
            "cpu": t["cpu1"] - t["cpu0"], "wall": t["wall1"] - t["wall0"]}


def child_plain(args) -> dict:
    """A plain Scrapy spider fetching the given requests with the same settings, and nothing else."""
    import scrapy
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler.cli import replica_overrides

    requests = json.loads(Path(args.requests).read_text())
    keep = PlainKeeper(Path(args.keep)) if args.keep else None

    class Plain(scrapy.Spider):
        name = "plain"

        async def start(self):
            for method, url, body in requests:
                yield scrapy.Request(url, method=method, body=body.encode("utf-8") if body else None,
                                     callback=self.parse, errback=self.failed, dont_filter=True,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"} if body else None)

        def parse(self, response):
            if keep is not None:
                keep.put(response)
            return None

        def failed(self, failure):
            return None

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    overrides = {"LOG_LEVEL": "ERROR", "ITEM_PIPELINES": {}, "SPIDER_MIDDLEWARES": {},
                 "DOWNLOADER_MIDDLEWARES": {}}
    overrides.update(replica_overrides(args.port))
    settings.setdict(overrides, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Plain)
    t = _timed(crawler)
    if keep is not None:
        crawler.signals.connect(lambda spider: keep.close(), signal=signals.spider_closed, weak=False)
    process.crawl(crawler)
    process.start()
    return {"stats": {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, (int, float, str))},
            "cpu": t["cpu1"] - t["cpu0"], "wall": t["wall1"] - t["wall0"]}


class PlainKeeper:
    """The least an archive of raw captures must do with a response, written as plainly as possible
    in the spider's callback: its body hashed and written durably under its hash (fsync, rename),
    one row (URL, status, time, hash, headers) in SQLite, a commit every 256 rows. No parsing, no
    links, no revalidation: what keeping the bytes alone costs, to compare nianbao with."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.conn = sqlite3.connect(root / "plain.db")  # a new one each round (empty_files)
        self.conn.execute("pragma journal_mode=wal")
        self.conn.execute("create table captures (url text, status int, fetched_at real, sha256 text, headers text)")
        self.pending = 0

    def put(self, response) -> None:
        import hashlib
        import os

        body = response.body
        sha = hashlib.sha256(body).hexdigest()
        folder = self.root / sha[:2] / sha[2:4]
        target = folder / sha
        if not target.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{sha}.tmp"
            with open(tmp, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        headers = json.dumps({k.decode("latin-1"): [v.decode("latin-1") for v in vs]
                              for k, vs in response.headers.items()})
        self.conn.execute("insert into captures values (?, ?, ?, ?, ?)",
                          (response.url, response.status, time.time(), sha, headers))
        self.pending += 1
        if self.pending >= 256:
            self.conn.commit()
            self.pending = 0

    def close(self) -> None:
        self.conn.commit()
        self.conn.close()


def run_child(kind: str, **kw) -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    cmd = [PY, __file__, "--child", kind, "--out", str(out)]
    for k, v in kw.items():
        if v is None or v is False:
            continue
        cmd += [f"--{k.replace('_', '-')}"] + ([] if v is True else [str(v)])
    subprocess.run(cmd, check=True, cwd=ROOT)
    try:
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# (a) + (b): the replica
class Replica:
    """The replica web served by a child process (its CPU is not the crawl's)."""

    def __enter__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([PY, "-m", "crawler.cli", "replica", "--port", str(self.port)], cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the replica server did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)


def nianbao_night(port: int, db: Path, night: int, settings: dict | None = None, blobs: Path | None = None) -> dict:
    """A crawl of the replica into ``db``; the blob store beside it is shared by the copies of a
    night's archive (b) unless ``blobs`` names another."""
    return run_child("nianbao", port=port, db=db, blobs=blobs or db.parent / "blobs", registry="replica",
                     night=night, replica_settings=True,
                     settings=json.dumps({"NIANBAO_NIGHT": night, **(settings or {})}))


def empty_files(root: Path) -> None:
    """Remove every file under ``root``, keeping its folders."""
    for path in root.rglob("*"):
        if not path.is_dir():
            path.unlink()


def overhead(rounds: int, parts: bool = False) -> None:
    print("(a) nianbao's spider vs a plain Scrapy spider on the same requests, same settings")
    with Replica() as replica, tempfile.TemporaryDirectory() as tmp:
        ours, plain, unwritten, kept = [], [], [], []
        for r in range(rounds):
            db = Path(tmp) / f"a{r}.db"
            # every round writes every body (a store holding them already would only read and hash
            # them) into a store whose folders exist after the first round, as after an archive's
            # first nights (creating a folder cost ~1 ms of CPU here): the keeping spider alike
            empty_files(Path(tmp) / "a-blobs")
            ours.append(nianbao_night(replica.port, db, 20_000, blobs=Path(tmp) / "a-blobs"))
            if parts:  # the same crawl with nothing written: what the archive's writes cost
                unwritten.append(nianbao_night(replica.port, Path(tmp) / f"u{r}.db", 20_000, {"ITEM_PIPELINES": {}}))
            conn = sqlite3.connect(db)
            # each distinct request once: a Hanweb year page is captured as a list and a report
            # page from one fetch, and nianbao fetched it once
            reqs = [list(row) for row in conn.execute(
                "select method, url, request_body from captures group by request_key order by min(id)")]
            conn.close()
            path = Path(tmp) / "requests.json"
            path.write_text(json.dumps(reqs))
            plain.append(run_child("plain", port=replica.port, requests=path))
            if parts:  # the plain spider keeping every body durably, and a row for it: the floor of any archive
                empty_files(Path(tmp) / "kept")
                kept.append(run_child("plain", port=replica.port, requests=path, keep=Path(tmp) / "kept"))
        named = [("nianbao", ours), ("plain", plain)]
        if parts:
            named += [("nianbao, archive not written", unwritten), ("plain, keeping every body", kept)]

        def each(run, what="cpu") -> float:
            """Seconds per response of one crawl."""
            return run[what] / run["stats"]["downloader/response_count"]

        def median(values) -> float:
            return sorted(values)[len(values) // 2]

        def per_page(runs, what="cpu", pick=min):
            """Seconds per response: the best run (CPU time only grows with the machine's noise) or
            the median one (``pick=median``)."""
            return pick([each(r, what) for r in runs])

        for name, runs in named:
            print(f"    {name:28s} {runs[0]['stats'].get('downloader/response_count', 0):4d} responses"
                  f"   CPU {per_page(runs) * 1000:4.1f} ms/page (median of {len(runs)}:"
                  f" {per_page(runs, pick=median) * 1000:4.1f})   wall {per_page(runs, 'wall') * 1000:4.1f} ms/page")

        def ratios(a, b) -> str:
            """Best run to best run, and the median of the rounds' own ratios (each round runs every
            crawl back to back, so a slow spell of a shared machine falls on both sides)."""
            rounds = sorted(each(x) / each(y) for x, y in zip(a, b))
            return (f"{per_page(a) / per_page(b):.2f}× (median of the rounds' ratios {median(rounds):.2f}×,"
                    f" {rounds[0]:.2f}–{rounds[-1]:.2f})")

        print(f"    ratio per page: CPU {ratios(ours, plain)}; target ≤ 1.3×;"
              f" wall {per_page(ours, 'wall') / per_page(plain, 'wall'):.2f}×")
        if parts:
            print(f"    ratio per page to the plain spider keeping every body: CPU {ratios(ours, kept)}:"
                  f" what nianbao adds beyond keeping the bytes")


def nights() -> None:
    print("(b) an unchanged night vs the first night (the replica)")
    with Replica() as replica, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "n.db"
        first = nianbao_night(replica.port, db, 20_000)
        variants = [("default policy (30 nights; recent years 7)", {}),
                    ("plain 1/30 rotation", {"NIANBAO_REVALIDATE_RECENT_DAYS": 30}),
                    ("every page every night (before)", {"NIANBAO_REVALIDATE_DAYS": 1})]
        n1 = first["stats"]["downloader/request_count"]
        print(f"    first night: {n1} requests")
        for label, settings in variants:
            second_night(db, label, n1, lambda copy: nianbao_night(replica.port, copy, 20_001, settings)["stats"])


def second_night(db: Path, label: str, n1: int, crawl) -> None:
    """``crawl`` a copy of the first night's archive ``db`` and print what it asked for."""
    copy = db.parent / "copy.db"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    st = crawl(copy)
    n2 = st["downloader/request_count"]
    count = lambda suffix: sum(v for k, v in st.items() if k.startswith("agency/") and k.endswith(suffix))  # noqa: E731
    print(f"    {label:44s} {n2:5d} requests = {n2 / n1:5.1%} of the first"
          f"  (robots.txt {st.get('robotstxt/request_count', 0)}, list pages {count('/list_pages')}"
          f" [{count('/list_pages_skipped')} not followed], reports {count('/reports_fetched')}"
          f" [{count('/links_skipped')} known skipped], attachments {count('/attachments_fetched')})")
    copy.unlink()


# ---------------------------------------------------------------------------------------------
# (c): many hosts on the loopback
REPORTS_PER_HOST = 3
PER_LIST_PAGE = 10  # report links per list page, as a TRS column prints them
FIRST_YEAR = 2024  # the newest report's year; older ones count down from it


def _page(host: str, path: str, reports: int = REPORTS_PER_HOST) -> tuple[int, bytes, str]:
    """A small 年报 column: ``reports`` reports (one a year, newest first) over list pages of
    ``PER_LIST_PAGE`` linked by 下一页, every third report with a PDF attachment."""
    n = host.split(".", 1)[0]
    if path == "/robots.txt":
        return 200, b"User-agent: *\nAllow: /\n", "text/plain"
    pages = max(1, -(-reports // PER_LIST_PAGE))
    if path == "/nb/index.html" or (path.startswith("/nb/index_") and path.endswith(".html")):
        p = 0 if path == "/nb/index.html" else int(path[len("/nb/index_"):-len(".html")] or -1)
        if not 0 <= p < pages:
            return 404, b"not found", "text/plain"
        items = "".join(
            f'<li><a href="/nb/r{k}.html" title="常德市民政局{FIRST_YEAR - k}年政府信息公开工作年度报告">'
            f"常德市民政局{FIRST_YEAR - k}年政府信息公开工作年度报告</a><span>{FIRST_YEAR + 1 - k}-01-15</span></li>"
            for k in range(p * PER_LIST_PAGE, min(reports, (p + 1) * PER_LIST_PAGE)))
        pager = f'<a href="/nb/index_{p + 1}.html">下一页</a>' if p + 1 < pages else ""
        return (200, f"<html><body><h1>{n}</h1><ul>{items}</ul>{pager}</body></html>".encode(),
                "text/html; charset=utf-8")
    if path.startswith("/nb/r") and path.endswith(".pdf"):
        return 200, b"%PDF-1.4\n% a stand-in attachment\n%%EOF\n", "application/pdf"
    if path.startswith("/nb/r") and path.endswith(".html"):
        k = path[len("/nb/r"):-len(".html")]
        attachment = (f'<p><a href="/nb/r{k}.pdf">附件：统计表.pdf</a></p>'
                      if k.isdigit() and int(k) % 3 == 0 else "")
        body = ("<html><head><title>常德市民政局政府信息公开工作年度报告</title></head><body><div id='zoom'>"
                + "<p>根据《中华人民共和国政府信息公开条例》规定，现公布本机关年度报告。</p>" * 30 + attachment
                + "</div></body></html>")
        return 200, body.encode(), "text/html; charset=utf-8"
    return 404, b"not found", "text/plain"


async def _serve(port: int, latency: float, ready, reports: int = REPORTS_PER_HOST) -> None:
    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                if int(headers.get("content-length") or 0):
                    await reader.readexactly(int(headers["content-length"]))
                await asyncio.sleep(latency)
                status, body, ctype = _page(headers.get("host", "").split(":")[0], path.split("?")[0], reports)
                writer.write(f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\nContent-Type: {ctype}"
                             f"\r\nContent-Length: {len(body)}\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT"
                             f"\r\n\r\n".encode() + (body if method != "HEAD" else b""))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    ready.set()
    async with server:
        await server.serve_forever()


def _most_open_files() -> None:
    """Thousands of hosts mean thousands of sockets: the soft limit raised to the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _server_main(port: int, latency: float, ready, reports: int = REPORTS_PER_HOST) -> None:
    _most_open_files()
    asyncio.run(_serve(port, latency, ready, reports))


class SimulatedHosts:
    """The many-host server in its own process (its CPU is not the crawl's)."""

    def __init__(self, latency: float, reports: int = REPORTS_PER_HOST):
        self.latency, self.reports = latency, reports

    def __enter__(self):
        _most_open_files()  # the crawls started beside the server inherit it
        self.port = free_port()
        ready = multiprocessing.Event()
        self.proc = multiprocessing.Process(target=_server_main, args=(self.port, self.latency, ready, self.reports),
                                            daemon=True)
        self.proc.start()
        ready.wait(30)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.join(10)


def many_hosts_registry(path: Path, hosts: int) -> None:
    import yaml

    agencies = [{"id": f"sim-{i}", "name": "常德市民政局", "province": "湖南省", "city": "常德市", "level": "city",
                 "platform": "generic", "start_url": f"http://h{i}.sim.localhost:{{port}}/nb/index.html"}
                for i in range(hosts)]
    path.write_text(yaml.safe_dump({"agencies": agencies}, allow_unicode=True), encoding="utf-8")


def throughput_single(registry: Path, port: int, work: Path, settings: dict | None = None) -> dict:
    """One crawl process over the simulated hosts, with the shipped politeness settings."""
    res = run_child("nianbao", port=port, db=work / "hosts.db", blobs=work / "blobs", registry=registry,
                    settings=json.dumps(settings or {}))
    n = res["stats"].get("downloader/request_count", 0)
    return {"requests": n, "wall": res["wall"], "cpu": res["cpu"], "rps": n / res["wall"] if res["wall"] else 0}


def many_hosts(hosts: int, latency: float, baseline: bool) -> None:
    print(f"(c) {hosts} hosts on the loopback, {latency:g} s latency, shipped politeness settings")
    work = Path(tempfile.mkdtemp())
    try:
        with SimulatedHosts(latency) as sim:
            registry = work / "hosts.yml"
            many_hosts_registry(registry, hosts)
            runs = [("1 process", throughput_single(registry, sim.port, work))]
            if baseline:  # the global cap before issue 14
                shutil.rmtree(work / "blobs", ignore_errors=True)
                (work / "hosts.db").unlink(missing_ok=True)
                runs.append(("1 process, CONCURRENT_REQUESTS=16", throughput_single(
                    registry, sim.port, work, {"CONCURRENT_REQUESTS": 16})))
        for label, r in runs:
            print(f"    {label:36s} {r['requests']:6d} requests in {r['wall']:6.1f} s = {r['rps']:6.1f} requests/s"
                  f"  (crawl CPU {r['cpu']:.1f} s)")
        if len(runs) > 1 and runs[1][1]["rps"]:
            print(f"    ratio 256 vs 16 at once: {runs[0][1]['rps'] / runs[1][1]['rps']:.1f}×")
        print("    (several distributed workers: python bench/distributed.py)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def simulated_nights(hosts: int, reports: int) -> None:
    """(b) on columns shaped like a national agency's: one report a year for ``reports`` years over
    list pages of ten, every third with an attachment (the replica's columns hold ~7 reports)."""
    print(f"(b') an unchanged night vs the first night, {hosts} simulated columns of {reports} reports"
          f" ({PER_LIST_PAGE} a list page, every third with an attachment)")
    work = Path(tempfile.mkdtemp())
    try:
        with SimulatedHosts(0.0, reports) as sim:
            registry = work / "hosts.yml"
            many_hosts_registry(registry, hosts)
            common = {"port": sim.port, "blobs": work / "blobs", "registry": registry}
            first = run_child("nianbao", db=work / "n.db", settings=json.dumps({"NIANBAO_NIGHT": 20_000}), **common)
            n1 = first["stats"]["downloader/request_count"]
            print(f"    first night: {n1} requests")
            for label, settings in (("default policy (30 nights; recent years 7)", {}),
                                    ("plain 1/30 rotation", {"NIANBAO_REVALIDATE_RECENT_DAYS": 30})):
                second_night(work / "n.db", label, n1, lambda copy, settings=settings: run_child(
                    "nianbao", db=copy, settings=json.dumps({"NIANBAO_NIGHT": 20_001, **settings}), **common)["stats"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("overhead", "nights", "hosts"))
    ap.add_argument("--rounds", type=int, default=2, help="(a): best of this many crawls each")
    ap.add_argument("--parts", action="store_true",
                    help="(a): also nianbao's crawl with the archive not written (what writing costs)")
    ap.add_argument("--hosts", type=int, default=300, help="(c): simulated hosts (10000 at full size)")
    ap.add_argument("--latency", type=float, default=0.5, help="(c): seconds per answer")
    ap.add_argument("--reports", type=int, default=16,
                    help="(b'): reports a simulated column holds (one a year since 2008 is ~16)")
    ap.add_argument("--baseline", action="store_true", help="(c): also with the old CONCURRENT_REQUESTS=16")
    # child mode (internal)
    ap.add_argument("--child", choices=("nianbao", "plain"), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--blobs", help=argparse.SUPPRESS)
    ap.add_argument("--registry", help=argparse.SUPPRESS)
    ap.add_argument("--night", help=argparse.SUPPRESS)
    ap.add_argument("--settings", help=argparse.SUPPRESS)
    ap.add_argument("--requests", help=argparse.SUPPRESS)
    ap.add_argument("--keep", help=argparse.SUPPRESS)
    ap.add_argument("--replica-settings", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        result = child_nianbao(args) if args.child == "nianbao" else child_plain(args)
        Path(args.out).write_text(json.dumps(result, default=str))
        return
    if args.only in (None, "overhead"):
        overhead(args.rounds, args.parts)
    if args.only in (None, "nights"):
        nights()
        simulated_nights(args.hosts, args.reports)
    if args.only in (None, "hosts"):
        many_hosts(args.hosts, args.latency, args.baseline)


if __name__ == "__main__":
    main()
