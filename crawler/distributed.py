"""A crawl spread over machines: scrapy-redis's shared frontier, plus what it lacks for us.

Used from scrapy-redis 0.9.1 as released: ``scrapy_redis.scheduler.Scheduler`` (the Scrapy scheduler
that keeps the frontier in Redis), ``scrapy_redis.queue.PriorityQueue`` (the sorted-set queue) and
``scrapy_redis.dupefilter.RFPDupeFilter`` (request fingerprints in one Redis set, shared by every
worker). Not used: ``scrapy_redis.spiders.RedisMixin`` / ``RedisSpider``, which feed a spider through
``start_requests`` (Scrapy 2.16+ calls ``start()`` instead; scrapy-redis issue #305, PR #316), and
its pickle serializer. Adapted here, each in one small class:

- ``LeasedPriorityQueue``: scrapy-redis pops a request by deleting it from the queue, so a worker
  killed mid-fetch loses what it held. Here a pop moves the request, in one Lua script, into the
  worker's own processing hash (a lease); the lease is dropped only once the request is done (its
  follow-up requests queued, its items sent). Every worker heartbeats a key with a TTL; any worker,
  or the writer, puts the leases of a worker whose heartbeat expired back into the queue, straight
  into the sorted set, so the dupefilter never sees them again and never drops them.
- ``WorkerScheduler``: scrapy-redis's Scheduler, told when a request is done. Scrapy has no public
  hook for "a request and everything its callback produced are handled"; the engine's slot knows
  (``_Slot.remove_request``), and the scheduler wraps that one method, checked at open so another
  Scrapy fails loudly, not silently.
- ``WorkerStats``: each worker's counter increments are added into one Redis hash at every lease
  release (atomically with it), so the writer closes the run with the merged counts of all workers.
- ``RedisItemPipeline``: items go to a Redis list for the one writer (``crawler.distributed_writer``)
  instead of into archive.db; a worker stops taking requests while the writer is behind.
- ``SharedHostDelayMiddleware``: ``DOWNLOAD_DELAY`` between request starts to one host holds over
  all workers together, not per worker.
- ``SharedRobotsTxtMiddleware``: each host's robots.txt is fetched by the first worker that meets the
  host and shared with the others through Redis, not fetched again by every worker (each fetch also
  took one of the host's paced slots).
- ``DistributedReportsSpider``: the one spider; the first worker seeds the start requests once per
  run, and crawl bounds it hits are shared.

Only the distributed commands import this module: the single-machine crawl needs neither Redis nor
the ``redis`` package.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.statscollectors import MemoryStatsCollector
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.distributed_codec import encode_item
from spiders.reports import ReportsSpider

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "nianbao"
HEARTBEAT_TTL = 30.0  # seconds without a heartbeat before a worker's leases go back to the queue
MAX_PENDING_ITEMS = 2000  # items waiting for the writer before workers pause (bounds Redis memory)
#: requests a worker holds beyond what it can start at once (every host it fetches from busy): it
#: takes the shared frontier as it fetches, not up to the engine's 256 at once
PREFETCH = 16


class Keys:
    """Every Redis key of one distributed crawl, under one prefix (several crawls can share a
    server with different prefixes)."""

    def __init__(self, prefix: str = DEFAULT_PREFIX):
        if not prefix or "%" in prefix or any(c.isspace() for c in prefix):
            raise ValueError(f"bad Redis key prefix {prefix!r}")
        self.prefix = prefix
        self.requests = f"{prefix}:requests"  # scrapy-redis PriorityQueue (sorted set)
        self.dupefilter = f"{prefix}:dupefilter"  # scrapy-redis RFPDupeFilter (set)
        self.lease_seq = f"{prefix}:lease_seq"
        # every leased request: "<worker>|<lease>" → "<score>:<request>" (one hash, so "queued +
        # leased" is read in one atomic step; it holds at most the workers' concurrency)
        self.processing = f"{prefix}:processing"
        self.workers = f"{prefix}:workers"  # worker ids that may hold leases
        self.all_workers = f"{prefix}:all_workers"  # every worker of the run (for their values)
        self.items = f"{prefix}:items"  # encoded items for the writer (list)
        self.writing = f"{prefix}:items:writing"  # items the writer took but has not committed
        self.stats = f"{prefix}:stats"  # merged counters (hash)
        self.bounds = f"{prefix}:bounds"  # "agency\tbound" → message (hash)
        self.run = f"{prefix}:run"  # the run the writer opened (JSON)
        self.seeded = f"{prefix}:seeded"  # set once the start requests are queued
        self.done = f"{prefix}:done"  # set by the writer: the frontier is drained, workers may stop

    def alive(self, worker: str) -> str:
        return f"{self.prefix}:alive:{worker}"

    def values(self, worker: str) -> str:
        return f"{self.prefix}:values:{worker}"

    def robots(self, netloc: str) -> str:
        return f"{self.prefix}:robots:{netloc}"  # a host's robots.txt, shared by the workers

    def all_of_run(self) -> list[str]:
        return [self.requests, self.dupefilter, self.lease_seq, self.processing, self.workers,
                self.all_workers, self.items, self.writing, self.stats, self.bounds, self.run,
                self.seeded, self.done]

    def patterns_of_run(self) -> list[str]:
        """The run's keys named per worker or per host (``values``, ``robots``), to SCAN for."""
        return [self.values("*"), self.robots("*")]


# KEYS: queue, processing hash, lease counter; ARGV: worker id. Moves the best request into the
# processing hash as "<score>:<data>" under "<worker>|<lease>" and returns {field, data}.
POP_LEASED = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local field = ARGV[1] .. '|' .. redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], field, r[2] .. ':' .. r[1])
return {field, r[1]}
"""

# KEYS: processing hash, queue, workers set, alive key; ARGV: worker id, force (1: even if alive).
# Puts every lease of a worker back into the queue and forgets the worker; nothing if it is alive.
REQUEUE = """
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
local e = redis.call('HGETALL', KEYS[1])
local mine = ARGV[1] .. '|'
local n = 0
for i = 1, #e, 2 do
  if string.sub(e[i], 1, #mine) == mine then
    local v = e[i + 1]
    local sep = string.find(v, ':', 1, true)
    redis.call('ZADD', KEYS[2], tonumber(string.sub(v, 1, sep - 1)), string.sub(v, sep + 1))
    redis.call('HDEL', KEYS[1], e[i])
    n = n + 1
  end
end
redis.call('SREM', KEYS[3], ARGV[1])
return n
"""


# KEYS: the host's key; ARGV: delay in ms. 0 when a request to the host may start now (and the next
# one not before the delay), else how many ms to wait. Redis's clock, so workers' clocks do not matter.
HOST_GATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > now then return nxt - now end
redis.call('SET', KEYS[1], now + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 1000)
return 0
"""


def connect(url: str):
    """A Redis client for ``url`` (redis://host:port/db), checked with a PING."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10,
                                  retry_on_timeout=True)
    client.ping()
    return client


def reap(server, keys: Keys) -> int:
    """Return the leases of every worker whose heartbeat expired to the queue; how many."""
    script = server.register_script(REQUEUE)
    moved = 0
    for raw in server.smembers(keys.workers):
        worker = raw.decode() if isinstance(raw, bytes) else raw
        n = script(keys=[keys.processing, keys.requests, keys.workers, keys.alive(worker)],
                   args=[worker, 0])
        if n and n > 0:
            log.warning("worker %s stopped answering: %d in-flight request(s) back in the queue", worker, n)
            moved += n
    return moved


def frontier_state(server, keys: Keys) -> dict:
    """One atomic look at the frontier: seeded?, queued, leased (dead workers' too, until reaped),
    items not yet taken by the writer. A worker releases a lease only after the request's follow-ups
    are queued and its items sent, so seeded with all three at zero means the crawl is over."""
    pipe = server.pipeline(transaction=True)
    pipe.exists(keys.seeded)
    pipe.zcard(keys.requests)
    pipe.hlen(keys.processing)
    pipe.llen(keys.items)
    seeded, queued, leased, items = pipe.execute()
    return {"seeded": bool(seeded), "queued": queued, "leased": leased, "items": items}


def worker_settings(url: str, prefix: str, worker_id: str | None = None) -> dict:
    """The Scrapy settings that turn the one spider into a worker of a shared frontier."""
    from crawler import settings as project

    return {
        "REDIS_URL": url,
        "SCHEDULER": "crawler.distributed.WorkerScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.LeasedPriorityQueue",
        "SCHEDULER_QUEUE_KEY": Keys(prefix).requests,
        "SCHEDULER_DUPEFILTER_KEY": Keys(prefix).dupefilter,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_SERIALIZER": "crawler.distributed_codec",
        # Never flush the shared frontier when one worker stops: the writer clears it after the run.
        "SCHEDULER_PERSIST": True,
        "STATS_CLASS": "crawler.distributed.WorkerStats",
        "ITEM_PIPELINES": {"crawler.distributed.RedisItemPipeline": 300},
        "DOWNLOADER_MIDDLEWARES": {**project.DOWNLOADER_MIDDLEWARES,
                                   "crawler.middlewares.RobotsTxtMiddleware": None,
                                   "crawler.distributed.SharedRobotsTxtMiddleware": 100,
                                   "crawler.distributed.SharedHostDelayMiddleware": 545},
        "NIANBAO_REDIS_PREFIX": prefix,
        "NIANBAO_WORKER_ID": worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
    }


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop leases instead of deleting (see the module doc)."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        s = spider.crawler.settings
        self.keys = Keys(s.get("NIANBAO_REDIS_PREFIX"))
        self.worker = s.get("NIANBAO_WORKER_ID")
        self._pop = server.register_script(POP_LEASED)
        self.last_lease: str | None = None

    def pop(self, timeout=0):
        got = self._pop(keys=[self.key, self.keys.processing, self.keys.lease_seq], args=[self.worker])
        if not got:
            return None
        lease, data = got
        self.last_lease = lease.decode() if isinstance(lease, bytes) else str(lease)
        try:
            return self._decode_request(data)
        except Exception as e:  # a message no worker can read: dropped from the lease, said once
            log.error("unreadable request in the shared queue dropped: %s", e)
            self.server.hdel(self.keys.processing, self.last_lease)
            self.last_lease = None
            return None


class WorkerScheduler(Scheduler):
    """scrapy-redis's Scheduler with leases, heartbeat, reaping and back-pressure."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.crawler = None
        self.leases: dict = {}  # Request object → lease id, while the engine works on it
        self._loop = None

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        s = crawler.settings
        scheduler.keys = Keys(s.get("NIANBAO_REDIS_PREFIX"))
        scheduler.worker = s.get("NIANBAO_WORKER_ID")
        scheduler.ttl = s.getfloat("NIANBAO_REDIS_HEARTBEAT_TTL", HEARTBEAT_TTL)
        scheduler.max_pending = s.getint("NIANBAO_REDIS_MAX_PENDING_ITEMS", MAX_PENDING_ITEMS)
        scheduler.prefetch = s.getint("NIANBAO_REDIS_PREFETCH", PREFETCH)
        scheduler.per_host = max(1, s.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2))
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider):
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is None or not callable(getattr(slot, "remove_request", None)):
            raise RuntimeError("this Scrapy's engine has no _Slot.remove_request: a distributed worker "
                               "could not tell when a request is done (tested with Scrapy 2.19)")
        remove = slot.remove_request

        def remove_request(request):
            remove(request)
            self.request_done(request)

        slot.remove_request = remove_request
        self._slot = slot
        super().open(spider)
        self.beat()
        from twisted.internet import task

        self._loop = task.LoopingCall(self.tick)
        self._loop.start(max(0.5, min(5.0, self.ttl / 6)), now=False)

    def beat(self) -> None:
        pipe = self.server.pipeline(transaction=True)
        pipe.sadd(self.keys.workers, self.worker)
        pipe.sadd(self.keys.all_workers, self.worker)
        pipe.set(self.keys.alive(self.worker), str(time.time()), px=int(self.ttl * 1000))
        pipe.execute()

    def tick(self) -> None:
        """Heartbeat, reap dead workers, and wake the engine: Scrapy asks an empty scheduler again
        only every 5 s on its own, too slow when other workers are filling the queue."""
        try:
            self.beat()
            reap(self.server, self.keys)
        except Exception as e:  # Redis briefly away: the next tick tries again
            log.warning("shared frontier unreachable: %s", e)
            return
        if len(self.queue) or self.server.exists(self.keys.done):
            self._slot.nextcall.schedule()

    def enqueue_request(self, request):
        request.meta.pop("nianbao_lease", None)
        return super().enqueue_request(request)

    def holding_enough(self) -> bool:
        """Whether this worker already holds more than it can start: every host it fetches from
        busy (``CONCURRENT_REQUESTS_PER_DOMAIN`` each) and ``prefetch`` more waiting. Politeness
        keeps a host's requests in the downloader's queue; taking the frontier up to the engine's
        256 would leave a small one to a single worker while the others wait."""
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        if not self.prefetch or downloader is None:
            return False
        return len(downloader.active) >= self.per_host * len(downloader.slots) + self.prefetch

    def next_request(self):
        if self.holding_enough():
            return None  # the engine asks again when a download ends
        if self.max_pending and self.server.llen(self.keys.items) >= self.max_pending:
            return None  # the writer is behind: fetch nothing more until it catches up
        request = super().next_request()
        if request is not None and self.queue.last_lease:
            self.leases[request] = self.queue.last_lease
        return request

    def request_done(self, request) -> None:
        """Everything the request led to is in Redis: release its lease, with the counts it made."""
        lease = self.leases.pop(request, None)
        if lease is None:  # robots.txt and other engine-internal downloads hold no lease
            return
        pipe = self.server.pipeline(transaction=True)
        pipe.hdel(self.keys.processing, lease)
        self.crawler.stats.flush(pipe)
        pipe.execute()

    def has_pending_requests(self):
        return len(self) > 0

    def spider_idle(self, spider):
        """A worker stays until the writer says the whole frontier is drained."""
        if not self.server.exists(self.keys.done):
            raise DontCloseSpider

    def close(self, reason):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        try:
            pipe = self.server.pipeline(transaction=True)
            self.crawler.stats.flush(pipe)
            pipe.execute()
            # Whatever this worker still held goes back for the others (a stop mid-crawl).
            n = self.server.register_script(REQUEUE)(
                keys=[self.keys.processing, self.keys.requests, self.keys.workers,
                      self.keys.alive(self.worker)], args=[self.worker, 1])
            if n:
                log.info("%d unfinished request(s) handed back to the shared queue", n)
            self.server.delete(self.keys.alive(self.worker))
        except Exception as e:
            log.error("could not hand this worker's state back to Redis (%s); its leases return "
                      "when its heartbeat expires", e)
        return super().close(reason)


class WorkerStats(MemoryStatsCollector):
    """Scrapy's stats, plus the increments since the last flush, for the merged run stats."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.delta: dict = {}
        self.changed: dict = {}

    def inc_value(self, key, count=1, start=0, spider=None):
        super().inc_value(key, count, start)
        if isinstance(count, (int, float)):
            self.delta[key] = self.delta.get(key, 0) + count

    def set_value(self, key, value, spider=None):
        super().set_value(key, value)
        self.changed[key] = value

    def max_value(self, key, value, spider=None):
        super().max_value(key, value)
        self.changed[key] = self._stats[key]

    def min_value(self, key, value, spider=None):
        super().min_value(key, value)
        self.changed[key] = self._stats[key]

    def flush(self, pipe) -> None:
        """Add the pending increments to the shared counters (in the caller's transaction)."""
        s = self._crawler.settings
        keys = Keys(s.get("NIANBAO_REDIS_PREFIX"))
        for key, n in self.delta.items():
            if isinstance(n, float) and not n.is_integer():
                pipe.hincrbyfloat(keys.stats, key, n)
            else:
                pipe.hincrby(keys.stats, key, int(n))
        if self.changed:
            pipe.hset(keys.values(s.get("NIANBAO_WORKER_ID")),
                      mapping={k: json.dumps(v, default=str) for k, v in self.changed.items()})
        self.delta, self.changed = {}, {}


class RedisItemPipeline:
    """A worker's only pipeline: each item to the writer's list (the writer alone touches the
    archive)."""

    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.keys = Keys(s.get("NIANBAO_REDIS_PREFIX"))
        self.server = connect(s.get("REDIS_URL"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        self.server.rpush(self.keys.items, encode_item(item))
        self.crawler.stats.inc_value("nianbao/items_sent")
        return item


class SharedHostDelayMiddleware:
    """Politeness per host across all workers, not per worker: request starts to one host are at
    least ``DOWNLOAD_DELAY`` apart over the whole crawl (one Redis key per host, Redis's clock), as
    in a single-process crawl. Each worker's own per-host concurrency, delay and AutoThrottle still
    apply on top. The wait happens before the request enters its download slot, so other hosts go on."""

    def __init__(self, crawler):
        s = crawler.settings
        self.delay_ms = int(s.getfloat("DOWNLOAD_DELAY") * 1000)
        self.prefix = Keys(s.get("NIANBAO_REDIS_PREFIX")).prefix
        self.server = connect(s.get("REDIS_URL")) if self.delay_ms > 0 else None
        self.gate = self.server.register_script(HOST_GATE) if self.server else None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request):
        if self.gate is None:
            return None
        import asyncio

        from scrapy.utils.httpobj import urlparse_cached

        key = f"{self.prefix}:host:{urlparse_cached(request).netloc}"
        while (wait := self.gate(keys=[key], args=[self.delay_ms])) > 0:
            await asyncio.sleep(wait / 1000)
        return None


def _robots_base():
    from crawler.middlewares import RobotsTxtMiddleware

    return RobotsTxtMiddleware


class SharedRobotsTxtMiddleware(_robots_base()):
    """Our robots.txt middleware (crawler/middlewares.py), with each host's robots.txt shared by the
    workers of a crawl: the bytes one worker fetched are kept in Redis (``<prefix>:robots:<host>``,
    at most ``MAX_BYTES`` of them, as Google reads at most 500 KiB; for a day, the longest RFC 9309
    lets a crawler cache them; the writer removes them when the run ends) and every other worker
    parses those instead of asking the host again. Two workers meeting a new host at once may both
    fetch it; a fetch that failed is not shared, so the next worker tries for itself."""

    MAX_BYTES = 500 * 1024
    TTL = 24 * 3600

    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        self.keys = Keys(s.get("NIANBAO_REDIS_PREFIX"))
        self.server = connect(s.get("REDIS_URL"))

    async def robot_parser(self, request):
        from scrapy.utils.httpobj import urlparse_cached
        from scrapy.utils.misc import build_from_crawler

        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            body = self.server.get(self.keys.robots(netloc))
            if body is not None:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
                self._stats.inc_value("robotstxt/shared")
        return await super().robot_parser(request)

    async def _parse_robots(self, response, netloc, request):
        self.server.set(self.keys.robots(netloc), response.body[:self.MAX_BYTES], ex=self.TTL)
        await super()._parse_robots(response, netloc, request)


class DistributedReportsSpider(ReportsSpider):
    """The one spider, as a worker: seeds once per run, shares the bounds it hits."""

    name = "reports"

    def server(self):
        return self.crawler.engine.scheduler.server

    async def start(self):
        scheduler = self.crawler.engine.scheduler
        server, keys = scheduler.server, scheduler.keys
        if False:  # an async generator that yields nothing: workers take requests from Redis
            yield
        if server.exists(keys.seeded):
            return
        # Build every start request first, then queue them and mark the run seeded in one
        # transaction: two workers starting together seed once, a worker killed while seeding seeds
        # nothing (the next one does).
        requests = [r async for r in super().start()]
        queue = scheduler.queue
        with server.pipeline(transaction=True) as pipe:
            pipe.watch(keys.seeded)
            if pipe.exists(keys.seeded):
                self.crawler.stats.delta.clear()  # another worker seeded: not our counts
                return
            pipe.multi()
            for r in requests:
                pipe.execute_command("ZADD", keys.requests, -r.priority, queue._encode_request(r))
            pipe.set(keys.seeded, str(len(requests)))
            self.crawler.stats.flush(pipe)
            try:
                pipe.execute()
            except Exception as e:  # WatchError: another worker won the race
                log.info("start requests seeded by another worker (%s)", type(e).__name__)
                return
        self.logger.info("seeded %d start requests into the shared frontier", len(requests))

    def hit(self, agency_id: str, bound: str, message: str) -> None:
        super().hit(agency_id, bound, message)
        self.server().hsetnx(Keys(self.settings.get("NIANBAO_REDIS_PREFIX")).bounds,
                             f"{agency_id}\t{bound}", message)
