"""The one spider: walk every agency of a registry, its 年报 column and pagination, fetch each report.

Everything fetched becomes a capture (crawler.items.CaptureItem), failures included, so the
archive can say what a crawl met. Which platform parses a list page comes from the registry entry.
Stats are counted per agency (``agency/<id>/…``) so a run can say which site broke.
"""
from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timezone
from urllib.parse import urljoin

import scrapy
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError, DownloadTimeoutError
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from crawler.items import CaptureItem, FetchRefused, LinkItem, OverBudget, RedirectFailed
from crawler.portals import Owners
from crawler.registry import load_registry
from extract.decode import UndecodableError, decode_html
from extract.grids.html import read_html  # imported with the spider, not inside a crawl's first pages
from extract.schema import TABLE_KEYS
from extract.tables import parse_tables
from extract.identity import classify_title
from spiders.challenges import DESCRIPTIONS, challenge_kind
from spiders.discover import MAX_PAGE_BYTES as MAX_DISCOVERY_PAGE_BYTES
from spiders.discover import Agent, Discovery, Step, fingerprint, pager_sign
from spiders.discover_spider import failure_reason
from spiders.page_looks import PICTURE_RE, tables_print
from spiders.platforms import PLATFORMS, platform_for
from spiders.platforms.base import attachment_format

MAX_TABLE_IMAGES = 12  # a report prints three tables; a page with more pictures is mostly not tables
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# Cheap looks (spiders/page_looks.py) before the table reader (~30 ms a report page, on the crawl's
# one thread) decides whether a page's pictures are its tables: no picture at all, or every standard
# table printed as HTML (a label only its grid prints, inside <table> markup: extract/schema.py),
# needs no reading.
TABLE_MARKERS = ("规范性文件", "本年新收", "行政复议")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# Response headers kept on a capture (captures.headers is published): what says what the bytes are
# and when they changed, and what revalidation needs. Everything else (Set-Cookie, auth challenges,
# server and framework names, internal routing headers) is dropped before it is stored.
KEPT_HEADERS = frozenset({
    "content-type", "content-length", "content-encoding", "content-language", "content-disposition",
    "last-modified", "etag", "date", "expires", "cache-control", "age", "location", "retry-after",
})


def _headers(response) -> dict:
    return {k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items() if k.decode("latin-1").lower() in KEPT_HEADERS}


def _origin(request) -> tuple[str, str, bytes]:
    """(method, URL, body) of the request a redirect chain started from: the link followed."""
    o = request.meta.get("nianbao_origin")
    if o:
        return o["method"], o["url"], o["body"] or b""
    return request.method, request.url, request.body or b""


def _redirects(request) -> list[dict]:
    """The redirects that led to ``request``: every URL that answered with one, and how."""
    return [{"url": u, "status": r} for u, r in zip(request.meta.get("redirect_urls") or [],
                                                   request.meta.get("redirect_reasons") or [])]


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, registry: str | None = None, agencies: str | None = None,
                 port: str | int | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.registry_name = registry
        self.only = [a for a in (agencies or "").split(",") if a]
        self.port = int(port) if port not in (None, "") else None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.registry_name = spider.registry_name or s.get("NIANBAO_REGISTRY")
        if spider.port is None and s.get("NIANBAO_REPLICA_PORT"):
            spider.port = s.getint("NIANBAO_REPLICA_PORT")
        agencies = load_registry(spider.registry_name, port=spider.port)
        if spider.only:
            unknown = set(spider.only) - {a.id for a in agencies}
            if unknown:
                raise ValueError(f"unknown agency id(s): {', '.join(sorted(unknown))}")
            agencies = [a for a in agencies if a.id in spider.only]
        spider.agencies = {a.id: a for a in agencies}
        # whose report another agency's link on a list is: the whole registry, crawled tonight or not
        spider.owners = Owners(load_registry(spider.registry_name, port=spider.port))
        spider.portal_agencies = set()  # owners of portal links seen this run (their row goes with the first)
        spider.bounds = {}  # agency id → {bound: what happened}, for its health row
        spider.discoveries = {}  # agency id → its discovery walk (home-URL-only entries)
        spider.list_urls = {}  # agency id → distinct list pages requested
        return spider

    def limit(self, agency, option: str, setting: str) -> int:
        """A crawl bound: the registry entry's ``options`` may raise the setting's default."""
        own = (agency.options or {}).get(option)
        return int(own) if own else self.crawler.settings.getint(setting)

    def list_maxsize(self) -> int:
        """A list page is parsed in the crawl's one thread: one far bigger than any real column
        (``NIANBAO_MAX_LIST_PAGE_BYTES``) is refused as a failed list page, not parsed for minutes."""
        s = self.crawler.settings
        caps = [c for c in (s.getint("NIANBAO_MAX_LIST_PAGE_BYTES"), s.getint("DOWNLOAD_MAXSIZE")) if c]
        return min(caps) if caps else 0

    def hit(self, agency_id: str, bound: str, message: str) -> None:
        """Record that a bound stopped part of an agency's crawl (its health says so)."""
        self.bounds.setdefault(agency_id, {}).setdefault(bound, message)
        self.count(agency_id, "bounds_hit")

    # ------------------------------------------------------------------ requests
    async def start(self):
        for agency in self.agencies.values():
            if agency.needs_discovery:  # only a home page: find the 年报 column first (spiders/discover.py)
                yield self.discovery_request(agency)
                continue
            if agency.platform not in PLATFORMS:
                self.logger.error("no platform adapter %r for %s: skipped", agency.platform, agency.id)
                self.count(agency.id, "no_adapter")
                continue
            yield self.first_list_request(agency)

    def first_list_request(self, agency):
        self.count(agency.id, "list_pages_requested")
        self.list_urls.setdefault(agency.id, set()).add(("GET", agency.start_url, ()))
        return scrapy.Request(agency.start_url, callback=self.parse_list, errback=self.failed,
                              meta={"agency_id": agency.id, "kind": "list", "page": 0,
                                    "download_maxsize": self.list_maxsize(),
                                    "options": dict(agency.options)},
                              dont_filter=True)

    # ------------------------------------------------------------------ discovery
    # A home-URL-only registry entry: walk from the home page to the 年报 column (spiders/discover.py
    # decides which page next and what was found), record what was found, then crawl the column as
    # if the registry had named it. Every night again, so a column that moved is found again.
    def discovery_request(self, agency, step: Step | None = None):
        if step is None:
            self.discoveries[agency.id] = walk = Discovery(
                agency.home_url, Agent(agency.name, agency.aliases, agency.province, agency.city, agency.county),
                platform=agency.platform)
            step = walk.first()
        self.count(agency.id, "discovery_pages")
        # dont_filter: the walk never asks twice, and its pages must not hide list pages from the crawl
        return scrapy.Request(step.url, callback=self.parse_discovery, errback=self.discovery_failed,
                              dont_filter=True,
                              meta={"agency_id": agency.id, "kind": "discovery", "step": asdict(step),
                                    "download_maxsize": min(MAX_DISCOVERY_PAGE_BYTES, self.list_maxsize() or
                                                            MAX_DISCOVERY_PAGE_BYTES),
                                    # a dead link met on the way is not a broken site
                                    "optional": step.depth > 0})

    def parse_discovery(self, response):
        agency = self.agencies[response.meta["agency_id"]]
        walk, step = self.discoveries[agency.id], Step(**response.meta["step"])
        yield self.capture(response, "discovery")
        try:
            text = decode_html(response.body, response.headers.get("Content-Type", b"").decode("latin-1")).text
        except UndecodableError as e:
            walk.failed(step, f"undecodable: {e}")
        else:
            walk.feed(step, response.url, text, len(response.body))
        yield from self.discovery_next(agency)

    def discovery_failed(self, failure):
        yield from self.failed(failure)
        meta = failure.request.meta
        agency = self.agencies[meta["agency_id"]]
        self.discoveries[agency.id].failed(Step(**meta["step"]), failure_reason(failure))
        yield from self.discovery_next(agency)

    def discovery_next(self, agency):
        walk = self.discoveries[agency.id]
        step = walk.next()
        if step is not None:
            yield self.discovery_request(agency, step)
            return
        found = walk.result(agency.id)
        yield found
        if not found.found:
            self.hit(agency.id, "discovery", f"discovery failed (未找到年报栏目): {found.reason}")
            return
        self.logger.info("discovered %s: %s %s (confidence %.2f)", agency.id, found.platform, found.start_url,
                         found.confidence)
        # the registry's own options (selectors, classify ids) win over what discovery read
        self.agencies[agency.id] = agency = replace(agency, platform=found.platform, start_url=found.start_url,
                                                    options={**found.options, **agency.options})
        yield self.first_list_request(agency)

    def check_pager(self, agency, url: str, text: str) -> None:
        """A start page whose adapter scheduled no further page, though the page shows a pager: the
        registry names the wrong platform (or none fits), and only page 1 was read. Said, not hidden."""
        sign = pager_sign(url, text)
        if not sign:
            return
        fp = fingerprint(url, text)
        likely = f"; likely platform 可能的平台: {fp.platform}" if fp and fp.is_list and fp.platform != agency.platform else ""
        self.count(agency.id, "pager_not_followed")
        self.hit(agency.id, "pager_not_followed",
                 f"pager not followed (翻页未跟随，只读了第一页): {url} shows {sign}, which the {agency.platform} "
                 f"adapter did not follow{likely}")

    @staticmethod
    def counted_as(meta) -> str:
        """The agency a fetch counts for: a report a portal lists belongs to its owner when the owner
        is crawled too. Both sites may link the same page and only the first request survives the
        dupefilter, so counting by who asked would follow the crawl's order (and differ between one
        process and several)."""
        return meta.get("count_as") or meta["agency_id"]

    def count(self, agency_id: str, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"agency/{agency_id}/{key}", n)

    def capture(self, response, kind: str, **extra) -> CaptureItem:
        req = response.request
        method, url, body = _origin(req)
        fields = {"link_title": response.meta.get("link_title"), "link_date": response.meta.get("link_date")}
        fields.update({k: extra.pop(k) for k in list(extra) if k in fields})
        return CaptureItem(
            agency_id=response.meta.get("owner_id") or response.meta["agency_id"], kind=kind, url=url, method=method,
            request_body=body, final_url=response.url, status=response.status, redirects=_redirects(req),
            headers=_headers(response), body=response.body, fetched_at=_now(),
            referer=(req.headers.get("Referer") or b"").decode("latin-1") or None,
            page=response.meta.get("page"), not_modified=bool(response.meta.get("not_modified")),
            parent_url=response.meta.get("parent_url"), **fields, **extra)

    # ------------------------------------------------------------------ callbacks
    def parse_list(self, response):
        agency = self.agencies[response.meta["agency_id"]]
        self.count(agency.id, "list_pages")
        try:
            decoded = decode_html(response.body, response.headers.get("Content-Type", b"").decode("latin-1"))
        except UndecodableError as e:
            self.count(agency.id, "errors")
            self.count(agency.id, "list_errors")
            yield self.capture(response, "list", error=f"undecodable list page: {e}")
            return
        yield self.capture(response, "list")
        platform = platform_for(agency.platform)
        max_links = self.limit(agency, "max_links_per_page", "NIANBAO_MAX_LINKS_PER_PAGE")
        on_page = 0
        for link in platform.links(decoded.text, response.url, response.meta):
            verdict = classify_title(link.title, agency.name, agency.aliases, province=agency.province,
                                     city=agency.city, county=agency.county)
            # another agency's report (a portal lists its departments' and townships'): that agency's
            owner = (self.owners.resolve(verdict, agency, response.url) if verdict.kind == "other_agency_report"
                     else None)
            if verdict.kind != "report" and owner is None:
                self.count(agency.id, "other_links" if verdict.kind == "other_agency_report" else "skipped_links")
                continue
            on_page += 1
            if on_page > max_links:  # the rest of the page is not even classified
                self.hit(agency.id, "links_per_page",
                         f"a list page had more than {max_links} report links ({response.url})")
                break
            self.count(agency.id, "portal_links" if owner else "report_links")
            new_agency = owner.row if owner and owner.id not in self.portal_agencies else None
            if new_agency:
                self.portal_agencies.add(owner.id)
            yield LinkItem(agency_id=owner.id if owner else agency.id, url=link.url, title=link.title,
                           date=link.date, list_url=response.url, via_agency_id=agency.id if owner else None,
                           agency=new_agency)
            if owner and (link.inline or link.url == response.url):
                continue  # a list printing another agency's report inline: not seen on real portals
            if link.inline or link.url == response.url:
                # The list page prints the report itself (Hanweb's per-year view): this response
                # is the report page too; a new request would be dropped as a duplicate.
                self.count(agency.id, "reports_fetched")
                yield self.capture(response, "report", link_title=link.title, link_date=link.date)
                yield from self.follow_attachments(response, decoded.text, agency)
                yield from self.follow_table_images(response, decoded.text, agency)
                continue
            yield scrapy.Request(
                link.url, callback=self.parse_report, errback=self.failed,
                meta={"agency_id": agency.id, "kind": "report", "link_title": link.title,
                      "link_date": link.date, "options": dict(agency.options),
                      "owner_id": owner.id if owner else None,
                      "count_as": owner.id if owner and owner.id in self.agencies else agency.id})
        max_pages = self.limit(agency, "max_list_pages", "NIANBAO_MAX_LIST_PAGES")
        requested = self.list_urls.setdefault(agency.id, set())
        pages = platform.next_pages(decoded.text, response.url, response.meta)
        if not pages and response.meta.get("page") == 0:
            self.check_pager(agency, response.url, decoded.text)
        for page in pages:
            key = (page.method, page.url, page.formdata)
            if key not in requested and len(requested) >= max_pages:
                self.count(agency.id, "list_pages_not_followed")
                self.hit(agency.id, "list_pages", f"stopped at the limit of {max_pages} list pages")
                continue
            requested.add(key)
            self.count(agency.id, "list_pages_requested")
            meta = {**page.meta, "agency_id": agency.id, "kind": "list", "page": page.page,
                    "download_maxsize": self.list_maxsize(),
                    "hanweb_proxy": page.method == "POST", "optional": page.optional,
                    "options": dict(agency.options)}
            headers = dict(page.headers) or None
            if page.method == "POST":
                yield scrapy.FormRequest(page.url, formdata=dict(page.formdata), callback=self.parse_list,
                                         errback=self.failed, meta=meta, headers=headers)
            else:
                yield scrapy.Request(page.url, callback=self.parse_list, errback=self.failed,
                                     meta=meta, headers=headers)

    def follow_attachments(self, response, text: str, agency):
        platform = platform_for(agency.platform)
        counted = self.counted_as(response.meta)
        for link in platform.attachments(text, response.url, response.meta):
            self.count(counted, "attachments")
            yield scrapy.Request(
                link.url, callback=self.parse_attachment, errback=self.failed,
                meta={"agency_id": agency.id, "kind": "attachment", "link_title": link.title,
                      "parent_url": response.request.url, "owner_id": response.meta.get("owner_id"),
                      "count_as": counted, "format": attachment_format(link.url, link.title)})

    def follow_table_images(self, response, text: str, agency):
        """Tables published as pictures: when the page's body lacks a standard table but shows
        images, fetch those images (at most ``MAX_TABLE_IMAGES``) so extract can read them by OCR.
        Pages whose tables are HTML cost no extra request."""
        if not PICTURE_RE.search(text) or tables_print(text, TABLE_MARKERS):
            return
        rd = read_html(text)
        images = [im for im in rd.images if im.src and not im.src.startswith("data:")]
        if not images:
            return
        found = parse_tables(rd.grids).tables
        if all(found.get(t) for t in TABLE_KEYS):
            return
        seen = set()
        counted = self.counted_as(response.meta)
        for im in images:
            url = urljoin(response.url, im.src.strip())
            if not url.startswith(("http://", "https://")) or url in seen:
                continue
            seen.add(url)
            if len(seen) > MAX_TABLE_IMAGES:
                self.count(counted, "table_images_skipped")
                continue
            self.count(counted, "table_images")
            yield scrapy.Request(
                url, callback=self.parse_attachment, errback=self.failed,
                meta={"agency_id": agency.id, "kind": "attachment", "link_title": im.alt or None,
                      "parent_url": response.request.url, "format": "image",
                      "owner_id": response.meta.get("owner_id"), "count_as": counted,
                      "download_maxsize": MAX_IMAGE_BYTES})

    def parse_report(self, response):
        agency_id = response.meta["agency_id"]
        self.count(self.counted_as(response.meta), "reports_fetched")
        yield self.capture(response, "report")
        ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if "html" not in ctype and not response.body.lstrip()[:1] == b"<":
            return  # the "report page" is itself a document (PDF, DOC…): nothing to follow
        try:
            text = decode_html(response.body, ctype).text
        except UndecodableError:
            return  # recorded by extract; its links cannot be read
        yield from self.follow_attachments(response, text, self.agencies[agency_id])
        yield from self.follow_table_images(response, text, self.agencies[agency_id])

    def parse_attachment(self, response):
        self.count(self.counted_as(response.meta), "attachments_fetched")
        yield self.capture(response, "attachment")

    def failed(self, failure):
        """Every failed fetch is recorded with its reason; the crawl goes on."""
        request = failure.request
        meta = request.meta
        if failure.check(OverBudget):
            # Not fetched at all: the agency ran out of time (counted, and its health says so).
            self.hit(meta["agency_id"], "time_budget", str(failure.value))
            return
        agency_id = self.counted_as(meta)
        expected = bool(meta.get("optional")) and failure.check(HttpError) \
            and failure.value.response.status == 404
        if expected:
            # A page that may legitimately not exist (gkmlpt sites 404 past page 1): recorded, and
            # it ends the list, but the site is not broken.
            self.count(agency_id, "optional_pages_missing")
        else:
            self.count(agency_id, "errors")
            if meta.get("kind") == "list":
                self.count(agency_id, "list_errors")
        status, body, headers, final_url = None, b"", {}, None
        redirects = _redirects(request)
        if failure.check(HttpError):
            response = failure.value.response
            status, body, headers, final_url = response.status, response.body, _headers(response), response.url
            reason = f"HTTP {response.status}"
            challenge = challenge_kind(response.status, response.body)
            if challenge:
                reason = DESCRIPTIONS[challenge]
                self.count(agency_id, "blocked")
        elif failure.check(FetchRefused):
            reason = str(failure.value)
            self.count(agency_id, "refused")
        elif failure.check(RedirectFailed):
            reason = str(failure.value)
            chain = failure.value.chain
            redirects = [{"url": u, "status": None} for u in chain[:-1]]
            final_url = chain[-1]
            self.count(agency_id, "redirect_errors")
        elif failure.check(DNSLookupError, CannotResolveHostError):
            message = failure.getErrorMessage()
            reason = message if message.startswith("DNS lookup failed") else f"DNS lookup failed: {message}"
        elif failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
            reason = f"timeout: {failure.getErrorMessage()}"
        elif failure.check(DownloadCancelledError):
            cap = meta.get("download_maxsize") or self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            reason = f"body over the size cap of {cap} bytes: download stopped"
            self.count(agency_id, "too_large")
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        if expected:
            reason = f"{reason} (optional page: " + (
                "a link discovery tried)" if meta.get("kind") == "discovery" else "the list ends here)")
        self.logger.log(20 if expected else 30, "fetch failed for %s (%s): %s", agency_id, request.url, reason)
        method, url, req_body = _origin(request)
        yield CaptureItem(
            agency_id=meta.get("owner_id") or agency_id, kind=meta.get("kind", "report"), url=url,
            method=method, request_body=req_body, final_url=final_url,
            status=status, headers=headers, body=body, fetched_at=_now(), error=reason,
            link_title=meta.get("link_title"), link_date=meta.get("link_date"),
            page=meta.get("page"), parent_url=meta.get("parent_url"), redirects=redirects)


__all__ = ["ReportsSpider"]
