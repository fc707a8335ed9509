"""Captures → archive. Bytes go to the blob store, the capture row to archive.db, per fetch.

At the end of a crawl the per-agency counters become ``agency_runs`` rows and the run is closed
with a status: a run in which no agency yielded a single report link is ``failed`` (an empty crawl
is a broken crawl, not a quiet night), agencies with zero report links or with errors are flagged.
"""
from __future__ import annotations

import logging

from scrapy import signals

from crawler.archive import Archive
from crawler.items import LinkItem

log = logging.getLogger(__name__)

AGENCY_KEYS = ("list_pages_requested", "list_pages", "list_errors", "report_links", "other_links",
               "reports_fetched", "not_modified", "errors", "blocked", "no_adapter")


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive: Archive | None = None
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        s = self.crawler.settings
        spider = self.crawler.spider
        self.archive = Archive(s.get("NIANBAO_DB"), s.get("NIANBAO_BLOBS"))
        stale = self.archive.close_stale_runs()
        if stale:
            log.warning("%d earlier crawl run(s) never finished (killed); marked as such", stale)
        self.archive.upsert_agencies(spider.agencies.values())
        self.run_id = self.archive.start_run(spider.registry_name, list(spider.agencies))
        spider.run_id = self.run_id
        log.info("crawl run %s: %d agencies → %s", self.run_id, len(spider.agencies), self.archive.path)

    def process_item(self, item):
        if isinstance(item, LinkItem):
            self.archive.observe_link(item, self.run_id)
            return item
        _, new = self.archive.store_capture(item, self.run_id)
        self.crawler.stats.inc_value("nianbao/captures_new" if new else "nianbao/captures_seen")
        return item

    def spider_closed(self, spider, reason):
        if self.archive is None:
            return
        stats = self.crawler.stats.get_stats()
        rows = []
        for agency_id in spider.agencies:
            row = {"agency_id": agency_id}
            for key in AGENCY_KEYS:
                row[key] = int(stats.get(f"agency/{agency_id}/{key}", 0))
            # A vanished link only means "removed" when every list page of the agency was read.
            row["lists_complete"] = int(reason == "finished" and row["list_pages"] > 0
                                        and row["list_errors"] == 0)
            rows.append(row)
        if reason != "finished":
            status = "interrupted"
        elif rows and all(r["report_links"] == 0 for r in rows):
            status = "failed"
        else:
            status = "finished"
        self.crawler.stats.set_value("nianbao/run_status", status)
        self.crawler.stats.set_value("nianbao/run_id", self.run_id)
        rows = self.archive.finish_run(self.run_id, status=status, finish_reason=reason,
                                       stats=stats, agency_rows=rows)
        failing = [r["agency_id"] for r in rows if r["status"] != "ok"]
        self.crawler.stats.set_value("nianbao/failing_agencies", ",".join(failing))
        for r in rows:
            level = logging.INFO if r["status"] == "ok" else logging.WARNING
            log.log(level, "agency %-16s %-8s list pages %3d, report links %3d, reports %3d, errors %d%s",
                    r["agency_id"], r["status"], r["list_pages"], r["report_links"],
                    r["reports_fetched"], r["errors"], f" ({r['note']})" if r["note"] else "")
        self.archive.close()
        self.archive = None
