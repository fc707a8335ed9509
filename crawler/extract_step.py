"""Captures → reports, cells, checks and problems. Re-runnable: it reads only stored captures, never
the network, and upserts by (url, content hash), so running it twice changes nothing and a later
extractor can rebuild every derived row from the same captures.

A report is its page plus the attachments that page links (PDF, DOCX, XLS…). The page gives the
title and date; the tables come from the page when it has them, else from the attachment that
does; a page that is only a shell around a document takes its text from the document.
"""
from __future__ import annotations

import json
import logging

from tqdm import tqdm

from crawler.archive import Archive, utcnow
from extract.checks import run_checks
from extract.document import EXTRACTOR_VERSION, Document, read_document
from extract.identity import classify_title, normalize, report_year
from extract.schema import T2019, T2021, TABLE_KEYS

log = logging.getLogger(__name__)

SHELL_CHARS = 300  # a page with less main text than this is a shell around its attachment


def _attachments(archive: Archive, url: str) -> list[dict]:
    """The latest successful capture of each attachment linked from the report page ``url``."""
    return list(archive.db.query(
        "select * from captures c where kind = 'attachment' and ok = 1 and sha256 is not null"
        " and parent_url = ? and id = (select max(id) from captures c2 where c2.request_key ="
        " c.request_key and c2.ok = 1) order by id", [url]))


def _read(archive: Archive, cap: dict) -> Document:
    body = archive.blobs.get(cap["sha256"])
    return read_document(body, content_type=cap["content_type"], url=cap["final_url"] or cap["url"],
                         filename=cap["link_title"])


TABLE_PROBLEMS = ("table_missing", "tables_as_images", "rows_missing", "pre2019_no_tables", "tables_in_attachment")


def _merge(doc: Document, atts: list[tuple[dict, Document]]) -> tuple[str, dict[str, int]]:
    """Fold attachments into the page's document, table by table: each standard table the page
    lacks comes from the first attachment that has it (a PDF with all three, or one picture per
    table). Returns (where the tables came from, capture id per table taken from an attachment)."""
    taken: dict[str, int] = {}
    formats: list[str] = []
    for cap, adoc in atts:
        new = [t for t in TABLE_KEYS if not doc.tables.get(t) and adoc.tables.get(t)]
        if new:
            doc.tables = {**doc.tables, **{t: adoc.tables[t] for t in new}}
            doc.cells = [*doc.cells, *(c for c in adoc.cells if c.table in new)]
            if doc.template not in (T2019, T2021):
                doc.template = adoc.template
            taken.update({t: cap["id"] for t in new})
            formats.append(adoc.format)
            for p in adoc.problems:
                if p.code in TABLE_PROBLEMS and not p.message.startswith(tuple(f"{t}:" for t in new)):
                    continue  # about a table this attachment does not hold (another picture does)
                doc.add(p.code, f"attachment: {p.message}")
        if len(doc.text.strip()) < SHELL_CHARS and adoc.text.strip():
            doc.text = (doc.text.strip() + "\n" + adoc.text).strip()
    if taken:
        complete = all(doc.tables.get(t) for t in TABLE_KEYS)
        doc.problems = [p for p in doc.problems if p.code not in TABLE_PROBLEMS or not (
            complete or p.message.startswith(tuple(f"{t}:" for t in taken)))]
        doc.checks = run_checks(doc.tables, doc.template) if doc.template in (T2019, T2021) else []
    on_page = any(doc.tables.get(t) and t not in taken for t in TABLE_KEYS)
    if not taken:
        return ("page" if on_page else "none"), taken
    where = f"attachment ({', '.join(dict.fromkeys(formats))})"
    return (f"page + {where}" if on_page else where), taken


def run_extract(archive: Archive, progress: bool = True) -> dict:
    captures = archive.report_captures()
    counts = {"captures": len(captures), "reports": 0, "problems": 0, "not_reports": 0,
              "attachments": 0, "cells": 0, "checks_failed": 0, "duplicates": 0}
    for cap in tqdm(captures, desc="extract", unit="report", disable=not progress):
        doc = _read(archive, cap)
        archive.clear_extract_problems(cap["id"])
        base = {"agency_id": cap["agency_id"], "capture_id": cap["id"], "url": cap["url"]}
        atts_caps = _attachments(archive, cap["url"])
        if atts_caps and all(p.code != "undecodable" for p in doc.problems):
            # A shell page (a viewer around its PDF) has no text of its own: its document has.
            doc.problems = [p for p in doc.problems if p.code != "empty_text"]
        if not doc.readable:
            for p in doc.problems:
                archive.save_problem(**base, stage="extract", code=p.code, message=p.message)
                counts["problems"] += 1
            continue
        title = doc.title or cap["link_title"] or ""
        aliases = tuple(json.loads(cap["agency_aliases"] or "[]"))
        verdict = classify_title(title, cap["agency_name"], aliases)
        if verdict.kind != "report" and cap["link_title"]:
            # Pages titled with the site's name (a per-year view, a viewer shell): the list's link
            # named the report, and that is what the agency calls it.
            by_link = classify_title(cap["link_title"], cap["agency_name"], aliases)
            if by_link.kind == "report" and verdict.reason.startswith(("no year", "no 年度报告")):
                title, verdict = cap["link_title"], by_link
        if verdict.kind != "report":
            # The list promised a report, the page says otherwise: keep the capture, say why.
            archive.save_problem(**base, stage="extract", code="not_a_report",
                                 message=f"page title {title!r}: {verdict.reason}")
            counts["not_reports"] += 1
            continue
        published = doc.published or cap["link_date"]
        year = report_year(title, published)
        twin = archive.conn.execute(
            "select id, also_at from reports where agency_id = ? and year is ? and url != ?"
            " and replace(replace(title, ' ', ''), '　', '') = ? limit 1",
            [cap["agency_id"], year, cap["url"], normalize(title)]).fetchone()
        if twin:
            # The same report reached under another URL (a second column, a module view): one
            # report, the other address remembered.
            also = json.loads(twin[1] or "[]")
            if cap["url"] not in also:
                with archive.transaction():
                    archive.conn.execute("update reports set also_at = ? where id = ?",
                                         [json.dumps(also + [cap["url"]], ensure_ascii=False), twin[0]])
            counts["duplicates"] += 1
            continue
        atts = []
        for acap in atts_caps:
            archive.clear_extract_problems(acap["id"])
            atts.append((acap, _read(archive, acap)))
            counts["attachments"] += 1
        tables_from, table_captures = _merge(doc, atts)
        if not doc.text.strip():
            archive.save_problem(**base, stage="extract", code="empty_text",
                                 message="no text on the page nor in its attachments")
            counts["problems"] += 1
            continue
        gone = archive.conn.execute(
            "select removed_at from report_links where agency_id = ? and url = ?",
            [cap["agency_id"], cap["url"]]).fetchone()
        rid = archive.save_report({
            "agency_id": cap["agency_id"], "agency": cap["agency_name"],
            "province": cap["province"], "city": cap["city"], "county": cap["county"],
            "level": cap["level"], "year": year, "title": title,
            "url": cap["url"], "published": published, "source": doc.source, "text": doc.text,
            "chars": len(doc.text), "encoding": doc.encoding, "capture_id": cap["id"],
            "sha256": cap["sha256"], "fetched_at": cap["first_fetched_at"],
            "removed_at": gone[0] if gone else None, "template": doc.template,
            "tables_from": tables_from,
            "tables_found": ",".join(t for t in ("active", "requests", "appeals") if doc.tables.get(t)) or None,
            "problems": len(doc.problems),
            "extracted_at": utcnow(), "extractor": EXTRACTOR_VERSION,
        })
        archive.save_tables(rid, doc.cells, doc.checks, cap["id"], table_captures)
        counts["reports"] += 1
        counts["cells"] += len(doc.cells)
        for p in doc.problems:
            stage = "extract" if p.code in ("no_date", "empty_text") else "tables"
            archive.save_problem(**base, report_id=rid, stage=stage, code=p.code, message=p.message)
            counts["problems"] += 1
        for acap, adoc in atts:
            for p in adoc.problems:
                if p.code in ("needs_converter", "unreadable", "undecodable", "no_text_layer"):
                    archive.save_problem(agency_id=acap["agency_id"], capture_id=acap["id"],
                                         url=acap["url"], report_id=rid, stage="attachment",
                                         code=p.code, message=p.message)
                    counts["problems"] += 1
    counts["checks_failed"] = cross_year_checks(archive)
    counts["indexed"] = archive.rebuild_fts()
    log.info("extract: %s", counts)
    return counts


def cross_year_checks(archive: Archive) -> int:
    """Re-run every current report's checks with the same agency's previous-year report, so the
    continuity rules (carried_forward(y−1) = carried_over(y), in_force chains) are assessed."""
    current = list(archive.db.query(
        "select id, agency_id, year, template from reports where is_current = 1 and cells > 0"
        " and year is not null order by agency_id, year"))
    by_key = {(r["agency_id"], r["year"]): r for r in current}
    failed = 0
    for r in current:
        prev = by_key.get((r["agency_id"], r["year"] - 1))
        tables = archive.load_tables(r["id"])
        checks = run_checks(tables, r["template"], archive.load_tables(prev["id"]) if prev else None)
        archive.save_checks(r["id"], checks)
        failed += sum(c.outcome == "fail" for c in checks)
    return failed
