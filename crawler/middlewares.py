"""Conditional requests against the archive itself.

The archive already holds the last answer to every request (captures + blobs), so it is our HTTP
cache: a request we answered before carries If-None-Match / If-Modified-Since from that capture,
and a 304 is turned back into the stored response, marked ``not_modified``. Spiders parse it as
usual (list pages still yield their links), the pipeline sees the same bytes and only touches the
existing capture row, and the night costs a few hundred bytes per unchanged page.
"""
from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from crawler.archive import request_key
from crawler.blobs import BlobStore

log = logging.getLogger(__name__)


class ConditionalRequestMiddleware:
    def __init__(self, crawler):
        s = crawler.settings
        self.enabled = s.getbool("NIANBAO_CONDITIONAL", True)
        self.db_path = Path(s.get("NIANBAO_DB"))
        self.blobs = BlobStore(s.get("NIANBAO_BLOBS") or self.db_path.parent / "data" / "blobs")
        self.stats = crawler.stats
        self._conn = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def conn(self):
        if self._conn is None and self.db_path.exists():
            self._conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        return self._conn

    def previous(self, request):
        conn = self.conn()
        if conn is None:
            return None
        try:
            return conn.execute(
                "select sha256, headers from captures where request_key = ? and ok = 1"
                " and sha256 is not null order by last_fetched_at desc, id desc limit 1",
                [request_key(request.method, request.url, request.body)]).fetchone()
        except sqlite3.OperationalError:  # archive not initialised yet
            return None

    def process_request(self, request):
        if not self.enabled or request.meta.get("dont_revalidate"):
            return None
        row = self.previous(request)
        if not row:
            return None
        sha, headers = row
        if not self.blobs.has(sha):
            return None
        stored = {k.lower(): v for k, v in json.loads(headers or "{}").items()}
        etag = (stored.get("etag") or [None])[0]
        modified = (stored.get("last-modified") or [None])[0]
        if not etag and not modified:
            return None
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if modified:
            request.headers.setdefault("If-Modified-Since", modified)
        request.meta["nianbao_previous"] = (sha, headers)
        return None

    def process_response(self, request, response):
        prev = request.meta.get("nianbao_previous")
        if response.status != 304 or not prev:
            return response
        sha, headers = prev
        body = self.blobs.get(sha)
        stored = Headers({k: v for k, v in json.loads(headers or "{}").items()})
        cls = responsetypes.from_args(headers=stored, url=response.url, body=body)
        request.meta["not_modified"] = True
        agency = request.meta.get("agency_id")
        self.stats.inc_value("nianbao/not_modified")
        if agency:
            self.stats.inc_value(f"agency/{agency}/not_modified")
        return cls(url=response.url, status=200, headers=stored, body=body, request=request)

    def close(self):
        if self._conn is not None:
            self._conn.close()


class RetryBackoffMiddleware:
    """Exponential backoff for retries: Scrapy's RetryMiddleware re-queues a failed request at
    once; a struggling government server (5xx, timeouts) deserves a pause that grows with each
    attempt. The wait happens before the request enters its download slot, so other hosts go on."""

    def __init__(self, base: float, cap: float):
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.getfloat("NIANBAO_RETRY_BACKOFF_BASE", 2.0), s.getfloat("NIANBAO_RETRY_BACKOFF_MAX", 60.0))

    def delay(self, attempt: int) -> float:
        import random

        if attempt <= 0 or self.base <= 0:
            return 0.0
        return min(self.cap, self.base * 2 ** (attempt - 1)) * random.uniform(0.75, 1.25)

    async def process_request(self, request):
        import asyncio

        wait = self.delay(int(request.meta.get("retry_times", 0)))
        if wait:
            log.debug("retry %s of %s in %.1fs", request.meta.get("retry_times"), request.url, wait)
            await asyncio.sleep(wait)
        return None
