"""Captures → archive. Bytes go to the blob store, the capture row to archive.db, per fetch.

At the end of a crawl the per-agency counters become ``agency_runs`` rows and the run is closed
with a status: a run in which no agency yielded a single report link is ``failed`` (an empty crawl
is a broken crawl, not a quiet night), agencies with zero report links or with errors are flagged.

Writes happen behind the crawl, on one thread, a batch at a time (crawler/write_behind.py): handing
each item to a thread pool and back, with a transaction each, cost as much CPU as the writing.

When the archive cannot be written (disk full, read-only database, unwritable blob directory) the
crawl stops at once with one clear message (``nianbao/fatal`` in the stats, for the CLI), the run is
marked ``failed`` with that reason when the database still takes the update, and nothing half-written
stays: a capture's blob is written before its row, and its row in one transaction.
"""
from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import CloseSpider

from crawler.archive import REVALIDATION_KEYS, Archive, describe_write_error
from crawler.items import DiscoveryItem, LinkItem
from crawler.write_behind import WRITE_ERRORS, WriteBehind

log = logging.getLogger(__name__)

AGENCY_KEYS = ("list_pages_requested", "list_pages", "list_errors", "report_links", "portal_links", "other_links",
               "reports_fetched", "not_modified", "errors", "blocked", "no_adapter", "refused",
               "redirect_errors", "bounds_hit", *REVALIDATION_KEYS)
STOP_REASON = "archive_unwritable"


def bound_notes(spider, stats: dict, agency_id: str) -> list[str]:
    """What stopped part of an agency's crawl, in words (its health note)."""
    notes = list((getattr(spider, "bounds", {}) or {}).get(agency_id, {}).values())
    if stats.get(f"agency/{agency_id}/depth_limited"):
        notes.append(f"depth limit of {stats.get(f'agency/{agency_id}/depth_limit')} reached "
                     f"({stats[f'agency/{agency_id}/depth_limited']} requests not made)")
    over = stats.get(f"agency/{agency_id}/over_time")
    if over:
        notes = [n for n in notes if not n.startswith("time budget")]
        notes.append(f"time budget of {stats.get(f'agency/{agency_id}/time_budget'):g} s used up "
                     f"({over} requests not made)")
    return notes


def store_item(archive: Archive, item, run_id: int, sha: str | None = None) -> bool | None:
    """One item into the archive (also the distributed writer's); for a capture, whether it is new.
    ``sha``: the capture's body already in the blob store."""
    if isinstance(item, LinkItem):
        archive.observe_link(item, run_id)
        return None
    if isinstance(item, DiscoveryItem):
        archive.record_discovery(item, run_id)
        return None
    return archive.store_capture(item, run_id, sha)[1]


def agency_rows(spider, stats: dict, reason: str) -> list[dict]:
    """Each agency's ``agency_runs`` row from the run's counters (also the distributed writer's,
    from the counters merged over its workers)."""
    rows = []
    for agency_id in spider.agencies:
        row = {"agency_id": agency_id}
        for key in AGENCY_KEYS:
            row[key] = int(stats.get(f"agency/{agency_id}/{key}", 0))
        notes = bound_notes(spider, stats, agency_id)
        row["bounds"] = "; ".join(notes) or None
        row["bounds_hit"] = max(row["bounds_hit"], len(notes))
        # A vanished link only means "removed" when every list page of the agency was read.
        row["lists_complete"] = int(reason == "finished" and row["list_pages"] > 0
                                    and row["list_errors"] == 0 and not notes)
        rows.append(row)
    return rows


def run_status(rows: list[dict], reason: str, fatal: str | None) -> tuple[str, str]:
    """(status, finish reason) of a run: an empty crawl is a failed crawl, not a quiet night."""
    if fatal:
        return "failed", fatal
    if reason != "finished":
        return "interrupted", reason
    if rows and all(r["report_links"] + r["portal_links"] == 0 for r in rows):
        return "failed", reason
    return "finished", reason


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive: Archive | None = None
        self.writer: WriteBehind | None = None
        self.run_id: int | None = None
        self.fatal: str | None = None
        self.closing = False
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        s = self.crawler.settings
        spider = self.crawler.spider
        try:
            self.archive = Archive(s.get("NIANBAO_DB"), s.get("NIANBAO_BLOBS"), handed_over=True)
            stale = self.archive.close_stale_runs()
            if stale:
                log.warning("%d earlier crawl run(s) never finished (killed); marked as such", stale)
            self.archive.upsert_agencies(spider.agencies.values())
            self.run_id = self.archive.start_run(spider.registry_name, list(spider.agencies))
            spider.run_id = self.run_id
            self.crawler.stats.set_value("nianbao/run_id", self.run_id)
            self.archive.blobs.check_writable()
            self.archive.hold_reserve()
        except WRITE_ERRORS as e:
            self.stop(e)
            raise CloseSpider(STOP_REASON) from None
        archive, run_id = self.archive, self.run_id
        self.writer = WriteBehind(lambda item, sha: store_item(archive, item, run_id, sha), archive.blobs.put,
                                  archive.transaction, self.written, self.write_failed)
        log.info("crawl run %s: %d agencies → %s", self.run_id, len(spider.agencies), self.archive.path)

    def stop(self, error: BaseException, close_spider: bool = True) -> None:
        """The archive cannot be written: say so once, and stop the crawl (every further fetch would
        be lost)."""
        if self.fatal:
            return
        s = self.crawler.settings
        db = s.get("NIANBAO_DB")
        self.fatal = f"cannot write the archive ({db}): {describe_write_error(error, db)}"
        self.crawler.stats.set_value("nianbao/fatal", self.fatal)
        log.error("%s; stopping the crawl", self.fatal)
        engine = getattr(self.crawler, "engine", None)
        if close_spider and engine is not None and getattr(engine, "spider", None) is not None \
                and self.archive is not None and self.run_id is not None:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason=STOP_REASON))

    async def process_item(self, item):
        if self.fatal or self.writer is None:
            self.crawler.stats.inc_value("nianbao/unstored")
            return item
        if self.writer.full():  # the writer is behind: wait for room rather than hold every body
            from scrapy.utils.defer import maybe_deferred_to_future

            await maybe_deferred_to_future(self.writer.room())
            if self.fatal:
                self.crawler.stats.inc_value("nianbao/unstored")
                return item
        self.writer.put(item)
        return item

    def written(self, results: list) -> None:
        """A batch is in the archive (on the reactor's thread)."""
        stats = self.crawler.stats
        for new in results:
            if new is not None:
                stats.inc_value("nianbao/captures_new" if new else "nianbao/captures_seen")

    def write_failed(self, error: BaseException | None, lost: int) -> None:
        """A batch could not be written (on the reactor's thread): its items are not stored, and the
        crawl stops (``error`` None: a batch after the failure)."""
        self.crawler.stats.inc_value("nianbao/unstored", lost)
        if error is not None:
            self.stop(error, close_spider=not self.closing)

    def spider_closed(self, spider, reason):
        self.closing = True
        if self.writer is not None:
            self.writer.close()  # everything handed over is written (or counted unstored) first
            self.writer = None
        if self.fatal:
            self.crawler.stats.set_value("nianbao/run_status", "failed")
        if self.archive is None:
            return
        if self.run_id is None:  # the archive opened but the run could not be recorded
            self.archive.close()
            self.archive = None
            return
        # Every item in flight is done by now: the room kept for this last write can be used.
        self.archive.release_reserve()
        stats = self.crawler.stats.get_stats()
        rows = agency_rows(spider, stats, reason)
        status, reason = run_status(rows, reason, self.fatal)
        self.crawler.stats.set_value("nianbao/run_status", status)
        self.crawler.stats.set_value("nianbao/run_id", self.run_id)
        try:
            rows = self.archive.finish_run(self.run_id, status=status, finish_reason=reason,
                                           stats=stats, agency_rows=rows)
        except WRITE_ERRORS as e:
            self.stop(e, close_spider=False)
            self.crawler.stats.set_value("nianbao/run_status", "failed")
            try:  # the smallest write that still says what happened
                self.archive.mark_run_failed(self.run_id, self.fatal)
            except WRITE_ERRORS:
                log.error("crawl run %s could not be marked failed either (the next crawl marks it "
                          "as never finished)", self.run_id)
            self.archive.close()
            self.archive = None
            return
        failing = [r["agency_id"] for r in rows if r["status"] != "ok"]
        self.crawler.stats.set_value("nianbao/failing_agencies", ",".join(failing))
        for r in rows:
            level = logging.INFO if r["status"] == "ok" else logging.WARNING
            log.log(level, "agency %-16s %-8s list pages %3d, report links %3d, reports %3d, errors %d%s",
                    r["agency_id"], r["status"], r["list_pages"], r["report_links"],
                    r["reports_fetched"], r["errors"], f" ({r['note']})" if r["note"] else "")
        self.archive.close()
        self.archive = None
