"""The nightly revalidation policy: what a night fetches again, and what it trusts the archive for.

Re-requesting every known report and attachment every night makes the night as long as the first
one (a 304 saves bytes, not a round trip). So a night fetches:

- every agency's first list page, and further list pages only as deep as needed: pagination stops at
  a list page whose report links are all known with their title and date unchanged, unless a new or
  changed link was met earlier in the agency's lists that night (then everything may have shifted);
- new report links, and report pages whose list entry changed (title or date, or back after removal);
- known pages not settled: their last fetch failed, a run killed mid-way touched them last, or one of
  their attachments failed in that fetch's run;
- known, unchanged pages on a rotation: each once per ``NIANBAO_REVALIDATE_DAYS`` nights (reports of
  the last ``NIANBAO_REVALIDATE_RECENT_YEARS`` years once per ``NIANBAO_REVALIDATE_RECENT_DAYS``), by a
  hash of the URL and the night number, so consecutive nights cover every page exactly once per
  period. A fetched report page brings its attachments and pictures, conditionally (ETag /
  Last-Modified from the archive, crawler/middlewares.py), so a silent edit is caught one period
  later at most;
- list pages holding only settled reports older than the agency's newest one (or no longer recent),
  and per-year views of a year before it that listed nothing, linked from a page that showed
  nothing new, wait as deep pages do;
- the whole pagination of each agency once per ``NIANBAO_REVALIDATE_LIST_DAYS`` nights (by a hash of
  the agency id), so a link removed from a deep page is marked then at the latest.

Removal stays correct on nights that stop early: a link not seen is marked removed only when the list
page it was last seen on was read that night (``report_links.list_key``, crawler/archive.py); the
others are still listed. A page 404/410 on revalidation is removed as before.

``NIANBAO_REVALIDATE_DAYS=1`` restores the old behaviour (every page, every night, whole lists).
Each run records its policy (``crawl_runs.revalidation``) and each agency why its links were fetched
or skipped (``agency_runs.links_*``, ``list_pages_skipped``, ``full_lists``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawler.archive import known_links, list_page_read, request_key
from crawler.items import LinkItem
from extract.identity import report_year

log = logging.getLogger(__name__)
EPOCH = date(1970, 1, 1)


def tonight() -> int:
    """The night number: days since 1970-01-01 (UTC). Two runs the same night share a rotation slot."""
    return (datetime.now(timezone.utc).date() - EPOCH).days


def slot(key: str) -> int:
    """A stable 64-bit hash (Python's hash() changes per process)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class Policy:
    night: int
    days: int = 30
    recent_days: int = 7
    recent_years: int = 2
    list_days: int = 7

    @classmethod
    def from_settings(cls, s) -> "Policy":
        night = s.get("NIANBAO_NIGHT")
        return cls(night=int(night) if night not in (None, "") else tonight(),
                   days=max(1, s.getint("NIANBAO_REVALIDATE_DAYS", 30)),
                   recent_days=max(1, s.getint("NIANBAO_REVALIDATE_RECENT_DAYS", 7)),
                   recent_years=s.getint("NIANBAO_REVALIDATE_RECENT_YEARS", 2),
                   list_days=max(1, s.getint("NIANBAO_REVALIDATE_LIST_DAYS", 7)))

    @property
    def year(self) -> int:
        return (EPOCH + timedelta(days=self.night)).year

    def recent(self, year: int | None) -> bool:
        """A report of the years still being published, corrected and re-published."""
        return year is not None and year >= self.year - self.recent_years

    def period(self, year: int | None) -> int:
        """Nights between two revalidations of a report of ``year``: recent reports sooner."""
        return min(self.days, self.recent_days) if self.recent(year) else self.days

    def due(self, url: str, year: int | None) -> bool:
        """Is this known, unchanged page revalidated tonight? Exactly once per period of
        consecutive nights, on the night its hash points at."""
        period = self.period(year)
        return period <= 1 or (slot(url) + self.night) % period == 0

    def full_lists(self, agency_id: str) -> bool:
        """Does tonight read the agency's whole pagination (where removals on deep pages show)?"""
        period = min(self.list_days, self.days)
        return period <= 1 or (slot("lists " + agency_id) + self.night) % period == 0


def same_title(a: str | None, b: str | None) -> bool:
    """The same list entry title, allowing for one list truncating it (…, ...) where another prints it
    whole: a report listed on two pages must not look changed every night."""
    a, b = (a or "").strip(), (b or "").strip()
    if a == b:
        return True
    cut_a, cut_b = a.rstrip(".…。 "), b.rstrip(".…。 ")
    return (cut_a != a and b.startswith(cut_a)) or (cut_b != b and a.startswith(cut_b))


@dataclass(frozen=True)
class Known:
    owner: str  # the agency whose report it is (another one's, on a portal's list)
    title: str | None
    date: str | None
    list_key: str | None
    removed: bool
    settled: bool
    listed_ok: bool  # last seen in a run that finished, or tonight's (a killed run's lists may be half read)


class KnownLinks:
    """The archive's report links, read per agency when its first list page arrives (an indexed
    query, crawler.archive.known_links) through a read-only connection of its own."""

    def __init__(self, db_path: str | Path | None):
        self.path = Path(db_path) if db_path else None
        self._conn: sqlite3.Connection | None = None

    def conn(self) -> sqlite3.Connection | None:
        if self._conn is None and self.path is not None and self.path.exists():
            self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        return self._conn

    def of(self, agency_id: str, url: str | None = None) -> dict[str, Known]:
        """An agency's known links; with ``url``, that one link under whichever agency owns it."""
        conn = self.conn()
        if conn is None:
            return {}
        try:
            rows = known_links(conn, agency_id, url)
        except sqlite3.OperationalError as e:  # an archive from before these columns
            log.warning("revalidation: known links of %s unreadable (%s); fetching all", agency_id, e)
            return {}
        return {u: Known(owner, title, link_date, list_key, bool(removed), bool(settled), bool(listed))
                for u, owner, title, link_date, list_key, removed, settled, listed in rows}

    def read_whole(self, key: str) -> bool:
        """Was this list page (request key) read by a run that finished? A page a killed run read, or
        none did, may hold links nobody has seen."""
        conn = self.conn()
        if conn is None:
            return False
        try:
            return list_page_read(conn, key)
        except sqlite3.OperationalError:
            return False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class AgencyNight:
    """One agency's night so far: its known links, which were decided, whether its lists changed."""

    def __init__(self, known: dict[str, Known], full: bool):
        self.known = known
        self.full = full
        self.decided: set[str] = set()  # links whose report request was let through, or skipped
        self.disturbed = False  # a new or changed link was met: the pagination may have shifted
        self.carried = False  # the known links of list pages not read were handled
        self.read: set[str] = set()  # list pages read tonight (request keys)
        self.old_pages: dict[str, bool] | None = None  # list page → holds only old, settled reports
        self.newest: int | None = None  # the year of the agency's newest known report (with old_pages)


class RevalidationMiddleware(BaseSpiderMiddleware):
    """Applies the :class:`Policy` to what the spider's list pages yield: report requests of known,
    unchanged, not-due links are dropped, and further list pages are not followed where the list
    already holds only known links; the due links of list pages not read are asked for directly.
    Every decision is counted per agency (``agency/<id>/links_*``)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        s = crawler.settings
        self.stats = crawler.stats
        self.policy = Policy.from_settings(s)
        self.known = KnownLinks(s.get("NIANBAO_DB"))
        self.nights: dict[str, AgencyNight] = {}
        self.extra: list = []  # requests to add after the output element being processed
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    def opened(self, spider):
        self.stats.set_value("nianbao/revalidation", json.dumps(asdict(self.policy), sort_keys=True))

    def closed(self, spider, reason):
        self.known.close()

    def count(self, agency_id: str, key: str, n: int = 1) -> None:
        self.stats.inc_value(f"agency/{agency_id}/{key}", n)

    def night(self, agency_id: str) -> AgencyNight:
        night = self.nights.get(agency_id)
        if night is None:
            night = self.nights[agency_id] = AgencyNight(self.known.of(agency_id),
                                                         self.policy.full_lists(agency_id))
            if night.full:
                self.stats.set_value(f"agency/{agency_id}/full_lists", 1)
        return night

    # -- output of the spider's callbacks ------------------------------------------------------
    def process_spider_output(self, response, result, spider=None):
        for o in result:
            yield from self._expand(o, response)

    async def process_spider_output_async(self, response, result, spider=None):
        async for o in result:
            for x in self._expand(o, response):
                yield x

    def _expand(self, o, response):
        o = self._get_processed(o, response)
        if o is not None:
            yield o
        if self.extra:
            extra, self.extra = self.extra, []
            yield from extra

    @staticmethod
    def page_key(response) -> str:
        origin = response.request.meta.get("nianbao_origin")
        if origin:
            return request_key(origin["method"], origin["url"], origin["body"] or b"")
        return request_key(response.request.method, response.request.url, response.request.body)

    def page_state(self, response) -> dict:
        """What this list page showed so far: its report links, whether all were known and
        unchanged, and why each link's report request goes or not."""
        state = response.meta.get("nianbao_revalidate")
        if state is None:
            state = {"links": 0, "all_known": True, "reasons": {}, "key": self.page_key(response)}
            response.meta["nianbao_revalidate"] = state
            self.night(response.meta["agency_id"]).read.add(state["key"])
        return state

    def reason(self, url: str, title: str | None, date: str | None, known: Known | None) -> str:
        if known is None:
            return "new"
        if known.removed or not same_title(known.title, title) or (known.date and date and known.date != date):
            return "changed"
        if not known.settled:
            return "unsettled"
        if self.policy.due(url, report_year(title or "", date)):
            return "rotation"
        return "skipped"

    def get_processed_item(self, item, response):
        if not isinstance(item, LinkItem) or response is None or response.meta.get("kind") != "list":
            return item
        night = self.night(response.meta["agency_id"])
        state = self.page_state(response)
        item.list_key = state["key"]
        known = night.known.get(item.url)
        if known is None and item.agency_id != response.meta["agency_id"]:
            # another agency's report on this list, known under its owner's own list
            known = self.known.of(item.agency_id, item.url).get(item.url)
            if known is not None:
                night.known[item.url] = known
        why = self.reason(item.url, item.title, item.date, known)
        state["links"] += 1
        if why in ("new", "changed"):
            state["all_known"] = False
            night.disturbed = True
        elif not known.listed_ok:  # seen last by a run that did not finish: read on
            state["all_known"] = False
        state["reasons"][item.url] = why
        return item

    def get_processed_request(self, request, response):
        if response is None or response.meta.get("kind") != "list":
            return request
        agency = response.meta["agency_id"]
        night = self.night(agency)
        kind = request.meta.get("kind")
        state = self.page_state(response)
        if kind == "report":
            why = state["reasons"].pop(request.url, None)
            if why is None:
                return request
            return self.decide(agency, night, request, why)
        if kind != "list" or night.full:
            return request
        if state["links"] and state["all_known"] and not night.disturbed:
            return self.skip_list(agency, night, request, response)
        # A list page that is itself a known report (Hanweb's per-year views): on the rotation.
        key = request_key(request.method, request.url, request.body)
        known = night.known.get(request.url)
        if known is not None and known.settled and known.listed_ok and not known.removed and known.list_key == key:
            if self.policy.due(request.url, report_year(known.title or "", known.date)):
                return request  # due tonight, however old its year (not left to the full-list night)
            return self.skip_list(agency, night, request, response)
        # A list page of old reports only (a per-year view of a past year, linked from a page that
        # showed nothing new): new reports appear beside the newest ones, so it waits for the
        # agency's full-list night, as a deep page of a pagination does.
        if state["all_known"] and not night.disturbed and self.old_page(night, key, request.meta.get("list_year")):
            return self.skip_list(agency, night, request, response)
        return request

    def old_page(self, night: AgencyNight, key: str, list_year: int | None = None) -> bool:
        """Does this list page hold only old reports? Its known links are all settled reports older
        than the agency's newest one or of a year no longer recent; a page that listed nothing
        (a year without a report) is old when the adapter says its year (``list_year``, a
        per-year view), that year is before the newest report's, and a run that finished read the
        page. Any other page is read."""
        pages = night.old_pages
        if pages is None:
            pages = night.old_pages = {}
            years = {u: report_year(k.title or "", k.date) for u, k in night.known.items()}
            night.newest = max((y for u, y in years.items() if y is not None and not night.known[u].removed),
                               default=None)
            for url, k in night.known.items():
                if k.list_key:
                    year = years[url]
                    old = (k.settled and k.listed_ok and not k.removed and year is not None
                           and (not self.policy.recent(year) or year < night.newest))
                    pages[k.list_key] = pages.get(k.list_key, True) and old
        if key in pages:
            return pages[key]
        return (list_year is not None and night.newest is not None and int(list_year) < night.newest
                and self.known.read_whole(key))

    def decide(self, agency: str, night: AgencyNight, request, why: str):
        """Count the link's reason once a night, and let its request go unless it is skipped."""
        if request.url not in night.decided:
            night.decided.add(request.url)
            self.count(agency, f"links_{why}")
        elif why == "skipped":
            return None
        else:
            return request  # asked already tonight: Scrapy's duplicate filter drops it
        if why == "skipped":
            return None
        request.meta["revalidate"] = why
        return request

    def skip_list(self, agency: str, night: AgencyNight, request, response):
        """Do not follow this list page; the first time, ask for the known links of unread list
        pages that are due tonight (or unsettled) directly, as their list would have."""
        self.count(agency, "list_pages_skipped")
        self.count(agency, "list_pages_requested", -1)
        if not night.carried:
            night.carried = True
            seen = set(night.decided) | set(self.page_state(response)["reasons"])
            for url, k in night.known.items():
                if url in seen or k.removed or k.list_key in night.read or k.list_key == request_key("GET", url, b""):
                    continue  # read tonight; gone; last listed on a page read tonight (so gone
                    # from it: removed at the end of the run); or a list page of its own (above)
                why = self.reason(url, k.title, k.date, k)
                req = self.decide(agency, night, scrapy.Request(
                    url, callback=self.crawler.spider.parse_report, errback=self.crawler.spider.failed,
                    meta={"agency_id": agency, "kind": "report", "link_title": k.title,
                          "link_date": k.date, "options": dict(response.meta.get("options") or {}),
                          "owner_id": k.owner if k.owner != agency else None}), why)
                if req is not None:
                    self.extra.append(req)
        return None
