"""A crawl spread over processes through a real redis-server equals a single-process crawl.

Each test starts its own Debian `redis-server` on a free loopback port (no persistence, a temp
dir) and skips with the reason when it is not installed (`make system-deps` installs it). The
crawls are the real commands (`nianbao crawl --redis`, `nianbao writer --redis`) in child processes
against the replica on a real loopback server.
"""
from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time

import pytest

from tests.conftest import NIANBAO, ROOT, crawl_and_extract, free_port, query, run_cli, stop_process
from tests.test_nightly import assert_same_archive

redis = pytest.importorskip("redis", reason="the redis client package is not installed (requirements.txt)")


@pytest.fixture
def redis_url(tmp_path):
    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("redis-server is not installed (Debian package redis-server; `make system-deps`)")
    port = free_port()
    log = open(tmp_path / "redis.log", "wb")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)], stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.time() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.time() > deadline:
                stop_process(proc)
                pytest.fail(f"redis-server did not start: {(tmp_path / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.05)
    try:
        yield url
    finally:
        client.close()
        stop_process(proc)
        log.close()


# ---------------------------------------------------------------- fast: the pieces, on a real Redis
def test_requests_survive_the_json_codec():
    """Requests cross machines as tagged JSON, never pickle, and come back whole."""
    from scrapy import FormRequest
    from scrapy.utils.request import request_from_dict

    from crawler import distributed_codec
    from spiders.reports import ReportsSpider

    spider = ReportsSpider()
    req = FormRequest("http://a.example/list", formdata={"page": "2", "栏目": "年报"},
                      callback=spider.parse_list, errback=spider.failed, priority=3,
                      meta={"agency_id": "x", "options": {"n": 1}, "nianbao_origin": {"body": b"\x00\xff"},
                            "key": ("GET", "u", ()), "__b": "not a tag"},
                      headers={"X-Requested-With": "XMLHttpRequest"})
    back = request_from_dict(distributed_codec.loads(distributed_codec.dumps(req.to_dict(spider=spider))),
                             spider=spider)
    assert type(back) is FormRequest and back.callback == spider.parse_list and back.errback == spider.failed
    assert (back.url, back.method, back.body, back.priority) == (req.url, req.method, req.body, 3)
    assert back.meta == req.meta and back.headers == req.headers
    with pytest.raises(TypeError):
        distributed_codec.dumps({"meta": {"obj": object()}})


def test_a_dead_workers_leases_return_to_the_queue_and_pass_the_dupefilter(redis_url):
    """The reliable-queue half: a pop leases, an expired heartbeat returns the lease, a live one
    keeps it, and the returned request is not filtered as a duplicate."""
    from crawler.distributed import POP_LEASED, Keys, frontier_state, reap

    server = redis.Redis.from_url(redis_url)
    keys = Keys("t")
    pop = server.register_script(POP_LEASED)
    server.sadd(keys.dupefilter, "fp-of-a", "fp-of-b")  # both were seen when they were queued
    server.zadd(keys.requests, {b"a": -1, b"b": 0})
    server.set(keys.seeded, 1)
    for worker in ("dead", "alive"):
        server.sadd(keys.workers, worker)
    server.set(keys.alive("alive"), 1, ex=60)
    field_a, data_a = pop(keys=[keys.requests, keys.processing, keys.lease_seq], args=["dead"])
    field_b, data_b = pop(keys=[keys.requests, keys.processing, keys.lease_seq], args=["alive"])
    assert (data_a, data_b) == (b"a", b"b")  # best priority first
    assert frontier_state(server, keys) == {"seeded": True, "queued": 0, "leased": 2, "items": 0}
    assert reap(server, keys) == 1
    assert server.zrange(keys.requests, 0, -1, withscores=True) == [(b"a", -1.0)]  # its priority kept
    assert server.hkeys(keys.processing) == [field_b]
    assert server.smembers(keys.workers) == {b"alive"}
    # back in the queue without passing the dupefilter: the next pop gets it
    assert pop(keys=[keys.requests, keys.processing, keys.lease_seq], args=["alive"])[1] == b"a"
    server.close()


def test_one_host_is_paced_across_workers(redis_url):
    """Politeness holds over all workers: the second start to a host waits out DOWNLOAD_DELAY, on
    Redis's clock; another host is not held up."""
    from crawler.distributed import HOST_GATE

    server = redis.Redis.from_url(redis_url)
    gate = server.register_script(HOST_GATE)
    assert gate(keys=["t:host:a"], args=[1000]) == 0
    assert 900 <= gate(keys=["t:host:a"], args=[1000]) <= 1000  # a second worker must wait
    assert gate(keys=["t:host:b"], args=[1000]) == 0
    server.set("t:host:a", 0)  # the delay has passed
    assert gate(keys=["t:host:a"], args=[1000]) == 0
    server.close()


def test_robots_txt_is_fetched_by_one_worker_and_read_by_all(redis_url):
    """A host's robots.txt another worker fetched is parsed from Redis, with no request (this
    crawler has no engine: a download would fail), and what a worker fetches is shared."""
    import asyncio

    from scrapy import Request
    from scrapy.http import TextResponse
    from scrapy.utils.test import get_crawler

    from crawler.distributed import SharedRobotsTxtMiddleware

    server = redis.Redis.from_url(redis_url)
    server.set("t:robots:a.example", b"User-agent: *\nDisallow: /private/\n")
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True, "REDIS_URL": redis_url,
                                         "NIANBAO_REDIS_PREFIX": "t"})
    mw = SharedRobotsTxtMiddleware(crawler)
    rp = asyncio.run(mw.robot_parser(Request("http://a.example/list.html")))
    assert not rp.allowed("http://a.example/private/x.html", "nianbao") and rp.allowed("http://a.example/x", "nianbao")
    assert crawler.stats.get_value("robotstxt/shared") == 1
    assert not crawler.stats.get_value("robotstxt/request_count")
    # what this worker fetches for another host is there for the others, for a day at most
    from twisted.internet.defer import Deferred

    mw._parsers["b.example"] = Deferred()
    body = b"User-agent: *\nDisallow: /\n"
    asyncio.run(mw._parse_robots(TextResponse("http://b.example/robots.txt", body=body), "b.example",
                                 Request("http://b.example/")))
    assert server.get("t:robots:b.example") == body and 0 < server.ttl("t:robots:b.example") <= 24 * 3600
    server.close()


# ---------------------------------------------------------------- slow: whole crawls
@pytest.fixture(scope="module")
def site_and_baseline(tmp_path_factory):
    """A slow replica (long enough to kill a worker mid-crawl) and one single-process crawl of it."""
    from replica import ReplicaServer, replica_web

    work = tmp_path_factory.mktemp("single")
    web = replica_web()
    with ReplicaServer(web, port=0, delay=0.03) as server:
        db = work / "archive.db"
        crawl_and_extract(server.port, db)
        yield web, server, db


def distributed_crawl(url, port, db, work, kill: str | None = None) -> dict:
    """3 workers + the writer; ``kill="worker"``: one worker is SIGKILLed while it holds requests;
    ``kill="writer"``: the writer is SIGKILLed mid-crawl and started again."""
    ttl = ["-s", "NIANBAO_REDIS_HEARTBEAT_TTL=3"]
    workers = []
    for i in range(3):
        with open(work / f"worker{i}.log", "wb") as out:
            workers.append(subprocess.Popen(
                NIANBAO + ["crawl", "--redis", url, "--log-level", "INFO", "-s", f"NIANBAO_WORKER_ID=w{i}", *ttl],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT))
    def start_writer(log):
        with open(work / log, "wb") as out:
            return subprocess.Popen(NIANBAO + ["writer", "--redis", url, "--registry", "replica", "--port", str(port),
                                               "--db", str(db)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    writer = start_writer("writer.log")
    killed_leases, killed = 0, None
    try:
        if kill == "writer":
            deadline = time.time() + 120
            while time.time() < deadline:
                time.sleep(0.1)
                try:
                    if query(db, "select count(*) n from captures")[0]["n"] >= 40:
                        break
                except Exception:
                    continue
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            writer = start_writer("writer2.log")
        if kill == "worker":
            # whichever worker holds requests once part of the web is stored: one worker may drain
            # a small frontier before a slow-starting other one asks for any
            server = redis.Redis.from_url(url)
            deadline = time.time() + 120
            while time.time() < deadline:
                time.sleep(0.05)
                try:
                    stored = query(db, "select count(*) n from captures")[0]["n"]
                except Exception:
                    continue
                held = [f.split(b"|")[0].decode() for f in server.hkeys("nianbao:processing")]
                if stored >= 20 and held:
                    killed = int(held[0].lstrip("w"))
                    workers[killed].send_signal(signal.SIGKILL)
                    killed_leases = held.count(held[0])
                    break
            server.close()
            assert killed_leases, "no worker held a request while the crawl ran"
        rc = writer.wait(timeout=300)
        codes = [w.wait(timeout=120) for w in workers]
    finally:
        for p in (writer, *workers):
            if p.poll() is None:
                p.kill()
                p.wait()
    writer_log = (work / ("writer2.log" if kill == "writer" else "writer.log")).read_text(encoding="utf-8", errors="replace")
    assert rc == 0, writer_log[-4000:]
    assert codes == [-signal.SIGKILL if i == killed else 0 for i in range(3)], codes
    run_cli("extract", "--db", str(db), "--no-progress")
    return {"writer_log": writer_log, "killed_leases": killed_leases, "killed": killed}


def duplicates(db) -> list:
    return query(db, "select request_key, outcome, count(*) n from captures group by request_key, outcome"
                     " having n > 1")


def run_rows(db) -> list:
    return query(db, "select agency_id, status, list_pages, report_links, reports_fetched, errors, blocked,"
                     " lists_complete, note from agency_runs order by agency_id")


@pytest.mark.slow  # a crawl + extract of the replica in 4 processes (~30 s)
def test_three_workers_and_a_writer_equal_one_process(site_and_baseline, redis_url, tmp_path):
    web, server, single = site_and_baseline
    web.reset()  # the planted transient 500 fires again
    db = tmp_path / "archive.db"
    distributed_crawl(redis_url, server.port, db, tmp_path)
    assert_same_archive(db, single)
    assert not duplicates(db)
    assert query(db, "select count(*) n from captures") == query(single, "select count(*) n from captures")
    # the run is opened and closed once, with the counts of all workers merged
    assert [r["status"] for r in query(db, "select status from crawl_runs")] == ["finished"]
    assert run_rows(db) == run_rows(single)
    # the frontier was shared: more than one worker fetched
    sent = [int(re.search(r"(\d+) items sent to the writer", (tmp_path / f"worker{i}.log").read_text()).group(1))
            for i in range(3)]
    assert sum(1 for n in sent if n) >= 2, sent


@pytest.mark.slow  # a crawl + extract in 4 processes, one of them killed (~40 s)
def test_a_worker_killed_mid_crawl_loses_nothing(site_and_baseline, redis_url, tmp_path):
    web, server, single = site_and_baseline
    web.reset()
    db = tmp_path / "archive.db"
    out = distributed_crawl(redis_url, server.port, db, tmp_path, kill="worker")
    assert "back in the queue" in out["writer_log"] or any(
        "back in the queue" in (tmp_path / f"worker{i}.log").read_text(errors="replace")
        for i in range(3) if i != out["killed"])
    assert_same_archive(db, single)
    assert not duplicates(db)
    assert [r["status"] for r in query(db, "select status from crawl_runs")] == ["finished"]
    # a page the killed worker fetched but never handed over is fetched again: the same capture row
    assert {r["agency_id"]: r["status"] for r in run_rows(db)} == {r["agency_id"]: r["status"] for r in run_rows(single)}


@pytest.mark.slow  # a crawl + extract in 4 processes, the writer killed and restarted (~40 s)
def test_a_writer_killed_mid_crawl_resumes_its_run(site_and_baseline, redis_url, tmp_path):
    web, server, single = site_and_baseline
    web.reset()
    db = tmp_path / "archive.db"
    out = distributed_crawl(redis_url, server.port, db, tmp_path, kill="writer")
    assert "crawl run 1 resumed" in out["writer_log"]
    assert_same_archive(db, single)
    assert not duplicates(db)
    # one run, opened by the first writer, closed by the second
    assert [r["status"] for r in query(db, "select status from crawl_runs")] == ["finished"]
