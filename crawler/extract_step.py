"""Captures → reports and problems. Re-runnable: it reads only stored captures, never the network,
and upserts by (url, content hash), so running it twice changes nothing and a later extractor can
rebuild every derived row from the same captures.
"""
from __future__ import annotations

import json
import logging

from tqdm import tqdm

from crawler.archive import Archive, utcnow
from extract.document import EXTRACTOR_VERSION, document_from_html
from extract.identity import classify_title, report_year

log = logging.getLogger(__name__)


def run_extract(archive: Archive, progress: bool = True) -> dict:
    captures = archive.report_captures()
    counts = {"captures": len(captures), "reports": 0, "problems": 0, "not_reports": 0}
    for cap in tqdm(captures, desc="extract", unit="page", disable=not progress):
        body = archive.blobs.get(cap["sha256"])
        doc = document_from_html(body, cap["content_type"], cap["final_url"] or cap["url"])
        archive.clear_extract_problems(cap["id"])
        base = {"agency_id": cap["agency_id"], "capture_id": cap["id"], "url": cap["url"],
                "stage": "extract"}
        if not doc.readable:
            for p in doc.problems:
                archive.save_problem(**base, code=p.code, message=p.message)
                counts["problems"] += 1
            continue
        title = doc.title or cap["link_title"] or ""
        aliases = tuple(json.loads(cap["agency_aliases"] or "[]"))
        verdict = classify_title(title, cap["agency_name"], aliases)
        if verdict.kind != "report":
            # The list promised a report, the page says otherwise: keep the capture, say why.
            archive.save_problem(**base, code="not_a_report",
                                 message=f"page title {title!r}: {verdict.reason}")
            counts["not_reports"] += 1
            continue
        published = doc.published or cap["link_date"]
        gone = archive.conn.execute(
            "select removed_at from report_links where agency_id = ? and url = ?",
            [cap["agency_id"], cap["url"]]).fetchone()
        rid = archive.save_report({
            "agency_id": cap["agency_id"], "agency": cap["agency_name"],
            "province": cap["province"], "city": cap["city"], "county": cap["county"],
            "level": cap["level"], "year": report_year(title, published), "title": title,
            "url": cap["url"], "published": published, "source": doc.source, "text": doc.text,
            "chars": len(doc.text), "encoding": doc.encoding, "capture_id": cap["id"],
            "sha256": cap["sha256"], "fetched_at": cap["first_fetched_at"],
            "removed_at": gone[0] if gone else None,
            "extracted_at": utcnow(), "extractor": EXTRACTOR_VERSION,
        })
        counts["reports"] += 1
        for p in doc.problems:
            archive.save_problem(**base, report_id=rid, code=p.code, message=p.message)
            counts["problems"] += 1
    counts["indexed"] = archive.rebuild_fts()
    log.info("extract: %s", counts)
    return counts
