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
import re
import sqlite3
from pathlib import Path

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.depth import DepthMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from crawler.archive import request_key
from crawler.blobs import BlobStore
from crawler.items import FetchRefused, OverBudget, RedirectFailed
from crawler.resolver import address_refusal, allowed_ports, refusals

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
        agency = request.meta.get("count_as") or request.meta.get("agency_id")  # spiders/reports.py counted_as
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


def _port(request) -> int:
    p = urlparse_cached(request)
    return p.port or (443 if p.scheme == "https" else 80)


class FetchPolicyMiddleware:
    """The request half of the fetch policy (the address half is ``crawler.resolver``).

    - Only http and https are fetched; anything else is refused before it reaches a handler.
    - A connection the resolver refused (loopback, private, link-local, reserved address) fails as a
      DNS error; here it becomes :class:`FetchRefused` with the resolver's reason, never retried.
    - The peer a response really came from (``response.ip_address``) is checked again.
    - Each agency has a time budget (``NIANBAO_AGENCY_TIME_BUDGET`` seconds from its first request,
      registry ``options.time_budget`` to raise it): once used up, its remaining requests are dropped
      (counted as ``over_time``) and the agency is failing, so one slow site cannot eat the night."""

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.allow = allowed_ports(s.get("NIANBAO_ALLOW_LOOPBACK"))
        self.budget = s.getfloat("NIANBAO_AGENCY_TIME_BUDGET", 3600.0)
        self.started: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def budget_of(self, agency_id: str) -> float:
        agency = (getattr(self.crawler.spider, "agencies", None) or {}).get(agency_id)
        own = (agency.options or {}).get("time_budget") if agency is not None else None
        return float(own) if own else self.budget

    def process_request(self, request):
        import time

        scheme = urlparse_cached(request).scheme
        if scheme not in ("http", "https"):
            raise FetchRefused(f"refused by the fetch policy: {scheme or 'relative'}: URLs are not fetched")
        agency = request.meta.get("agency_id")
        if agency:
            start = self.started.setdefault(agency, time.monotonic())
            budget = self.budget_of(agency)
            if budget and time.monotonic() - start > budget:
                self.stats.inc_value(f"agency/{agency}/over_time")
                self.stats.set_value(f"agency/{agency}/time_budget", budget)
                raise OverBudget(f"time budget of {budget:g} s used up")
        return None

    def process_response(self, request, response):
        ip = getattr(response, "ip_address", None)
        if ip is not None:
            why = address_refusal(str(ip), _port(request), self.allow)
            if why:
                raise FetchRefused(f"refused by the fetch policy: answered from {why}")
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, (DNSLookupError, CannotResolveHostError)):
            host = (urlparse_cached(request).hostname or "").lower()
            why = refusals.get((host, _port(request)))
            if why:
                raise FetchRefused(why) from None
        return None


class _RecordedRedirects:
    """Redirects as the archive needs them: the request that started the chain is remembered
    (``nianbao_origin``: the capture's URL is the link followed, not where it led), a redirect back
    to a URL already in the chain is a :class:`RedirectFailed` loop at once, more than
    ``REDIRECT_MAX_TIMES`` redirects is one too, and every hop is fetched even when another link led
    to the same target before (so no followed link is dropped as a duplicate)."""

    def _redirect(self, redirected, request, reason):
        chain = [*request.meta.get("redirect_urls", []), request.url]
        target = redirected.url.split("#", 1)[0]
        if target in {u.split("#", 1)[0] for u in chain}:
            hops = [*chain, redirected.url]
            raise RedirectFailed(f"redirect loop: {' → '.join(hops)}", hops)
        redirected.meta.setdefault("nianbao_origin", {
            "method": request.method, "url": request.url, "body": request.body})
        try:
            out = super()._redirect(redirected, request, reason)
        except IgnoreRequest:
            hops = [*chain, redirected.url]
            raise RedirectFailed(f"too many redirects (more than {self.max_redirect_times}): "
                                 f"{' → '.join(hops[:3])} → … → {hops[-1]}", hops) from None
        out.dont_filter = True
        return out


class RecordedRedirectMiddleware(_RecordedRedirects, RedirectMiddleware):
    """Scrapy's RedirectMiddleware, recorded (above); a redirect to a non-http(s) URL is refused."""

    def process_response(self, request, response, spider=None):
        from urllib.parse import urljoin

        from w3lib.url import safe_url_string

        out = super().process_response(request, response)
        if (out is response and response.status in (301, 302, 303, 307, 308)
                and response.headers.get("Location") and not request.meta.get("dont_redirect")):
            target = urljoin(request.url, safe_url_string(response.headers["Location"]))
            scheme = target.split(":", 1)[0].lower()
            if scheme not in ("http", "https"):
                raise FetchRefused(f"refused by the fetch policy: redirect to a {scheme}: URL")
        return out


# Scrapy looks for <meta http-equiv="refresh"> in the first 4096 characters of the page, after
# decoding all of it (with charset detection when nothing declares one: ~1 ms a page, more for the
# pages that declare nothing). Those characters fit in 4 bytes each.
_REFRESH_WINDOW = 4096 * 4


def may_refresh(body: bytes) -> bool:
    """Whether a page can hold a meta refresh, from its bytes alone: a superset of what Scrapy's
    get_meta_refresh finds. It wants the word ``refresh`` (any case; entities are not decoded) in a
    <meta> tag, which markup in an ASCII-compatible encoding shows in ASCII; anything else (the NUL
    bytes of UTF-16/32, no ASCII ``<`` at all) is decoded and looked at as before."""
    head = body[:_REFRESH_WINDOW]
    # bytes.lower() changes ASCII letters only: a sixth of the time of a regex spelling both cases
    # (which has no literal to skip to, so it tries every position)
    return b"\0" in head or b"<" not in head or b"refresh" in head.lower()


class RecordedMetaRefreshMiddleware(_RecordedRedirects, MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware with the same loop detection and origin; a page that cannot
    hold a meta refresh (:func:`may_refresh`) is not decoded for it."""

    def process_response(self, request, response, spider=None):
        if not may_refresh(response.body):
            return response
        return super().process_response(request, response)


class RecordedDepthMiddleware(DepthMiddleware):
    """Scrapy's DEPTH_LIMIT, counted per agency (``depth_limited``) so the agency is failing with
    the reason instead of silently losing pages. A registry entry that raises ``max_list_pages``
    lifts the depth limit with it."""

    def get_processed_request(self, request, response):
        limit = self.maxdepth
        pages = (request.meta.get("options") or {}).get("max_list_pages")
        if limit and pages:
            self.maxdepth = max(limit, int(pages) + 10)
        effective = self.maxdepth
        try:
            out = super().get_processed_request(request, response)
        finally:
            self.maxdepth = limit
        agency = request.meta.get("agency_id")
        if out is None and agency:
            self.stats.inc_value(f"agency/{agency}/depth_limited")
            self.stats.set_value(f"agency/{agency}/depth_limit", effective)
        return out


def _network_errors() -> tuple[type[BaseException], ...]:
    """What an unreachable host raises: not a bug in the crawl, so no traceback is worth printing."""
    from scrapy import exceptions as se
    from twisted.internet import error as te
    from twisted.web._newclient import RequestTransmissionFailed, ResponseFailed

    return (se.CannotResolveHostError, se.DownloadConnectionRefusedError, se.DownloadTimeoutError,
            se.DownloadFailedError, se.ResponseDataLossError, te.ConnectError, te.TimeoutError,
            te.ConnectionLost, ResponseFailed, RequestTransmissionFailed, FetchRefused)


class RobotsTxtNetworkErrorFilter(logging.Filter):
    """Scrapy's RobotsTxtMiddleware logs a robots.txt that could not be fetched with a full
    traceback, though a host that does not resolve, refuses or times out is an everyday event of
    a night over thousands of sites (its pages then fail too, and are recorded). Such a record
    becomes one line naming the host and the error; any other error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not isinstance(exc, _network_errors()):
            return True
        request = record.args.get("request") if isinstance(record.args, dict) else None
        host = urlparse_cached(request).netloc if request is not None else "?"
        record.msg = "robots.txt of %(host)s not fetched (%(error)s): its pages are fetched without rules"
        record.args = {"host": host, "error": f"{type(exc).__name__}: {exc}".strip()}
        record.exc_info, record.exc_text = None, None
        return True


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, unchanged but for how it logs a network error (above)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        robots_log = logging.getLogger(ScrapyRobotsTxtMiddleware.__module__)
        if not any(isinstance(f, RobotsTxtNetworkErrorFilter) for f in robots_log.filters):
            robots_log.addFilter(RobotsTxtNetworkErrorFilter())
