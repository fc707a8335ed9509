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
import sqlite3
from collections import Counter, deque

from tqdm import tqdm

from crawler import derived_layout
from crawler.archive import Archive, ReportCaptures, utcnow
from crawler.blobs import BlobError
from crawler.portals import absorb_portal_copy, add_url, content_hash, content_twin, own_site_first
from extract.budget import Budget, DocumentPool
from extract.checks import run_checks
from extract.document import EXTRACTOR_VERSION, Document, read_document, read_pictures
from extract.identity import classify_title, normalize, report_year
from extract.schema import T2019, T2021, TABLE_KEYS

log = logging.getLogger(__name__)

SHELL_CHARS = 300  # a page with less main text than this is a shell around its attachment


ATTACHMENTS_SQL = ("select * from captures c where kind = 'attachment' and ok = 1 and sha256 is not null"
                   " and parent_url = ? and id = (select max(id) from captures c2 where c2.request_key ="
                   " c.request_key and c2.ok = 1) order by id")


def _attachments(archive: Archive | sqlite3.Connection, url: str) -> list[dict]:
    """The latest successful capture of each attachment linked from the report page ``url``."""
    if isinstance(archive, sqlite3.Connection):
        return [dict(r) for r in archive.execute(ATTACHMENTS_SQL, [url])]
    return list(archive.db.query(ATTACHMENTS_SQL, [url]))


def _read_kwargs(cap: dict) -> dict:
    return {"content_type": cap["content_type"], "url": cap["final_url"] or cap["url"],
            "filename": cap["link_title"]}


def _read(archive: Archive, cap: dict) -> Document:
    kwargs = _read_kwargs(cap)
    if _ahead is not None:  # read ahead by the run's parallel workers (extract --workers N)
        doc = _ahead.take(_doc_key(cap))
        if doc is not None:
            return doc
    body = archive.blobs.get(cap["sha256"])
    # in a worker under the run's budget (extract.budget), or in this process when there is none
    return _pool.read(body, **kwargs) if _pool is not None else read_document(body, **kwargs)


_pool: DocumentPool | None = None  # the workers of the run in progress (run_extract)


def _doc_key(cap: dict) -> tuple:
    """What a document read depends on: its bytes and how they are read."""
    return (cap["sha256"], *_read_kwargs(cap).values())


def _sequence_key(pictures: list[dict], url: str) -> tuple:
    """What reading a page's pictures as one sequence depends on: their bytes in page order."""
    return ("pictures", url, *(c["sha256"] for c in pictures))


class ReadAhead:
    """Documents read by ``workers`` processes at once, ahead of the one writer.

    Why: reading (parsing PDFs, Office files, OCR) is nearly all of an extract's time and each
    document is independent, while the archive has one writer and every decision about a report
    (versions, duplicates, attachments folded in, checks) must happen in capture order for the
    result to equal a serial run. So a thread feeds the pool (extract.budget.DocumentPool, the same
    budgets) the page and attachment documents of the next captures, at most ``window`` captures
    ahead, and :func:`_read` takes each finished document by key; the order of the writes is the
    serial order and only the reads overlap. A document the reader did not plan (or whose bytes it
    could not load) is read by the caller as before, so damage is met and recorded on the same path.
    The thread reads the archive through its own connection (WAL: readers never block the writer)."""

    def __init__(self, archive: Archive, captures: list[dict] | ReportCaptures, workers: int, budget: Budget | None,
                 window: int | None = None):
        import threading

        self.pool = DocumentPool(workers, budget or Budget())
        self.archive, self.captures = archive, captures
        self.window = window or 4 * workers
        self.cond = threading.Condition()
        self.planned: set = set()
        self.claimed: set = set()
        self.results: dict = {}
        self.position = 0
        self.done = False
        self.error: BaseException | None = None
        # pages with two or more pictures: their sequence is read once the page says their order
        self.sequences: dict = {}  # page key -> (capture index, page capture, its pictures)
        self.ready: deque = deque()  # sequence jobs to submit
        self.thread = threading.Thread(target=self._run, name="extract-read-ahead", daemon=True)
        self.thread.start()

    def at(self, index: int) -> None:
        """The writer is on capture ``index``: documents of captures before it are not wanted any more."""
        with self.cond:
            self.position = index
            for key in [k for k, (i, _doc) in self.results.items() if i < index]:
                del self.results[key]
                self.planned.discard(key)
            self.cond.notify_all()

    def take(self, key) -> Document | None:
        """The document for ``key`` once read, or None when the caller should read it itself."""
        with self.cond:
            if key not in self.planned:
                self.claimed.add(key)
                return None
            while key not in self.results and key in self.planned and not self.done:
                self.cond.wait(1)
            self.planned.discard(key)
            got = self.results.pop(key, None)
            return got[1] if got else None

    def _jobs(self):
        conn = sqlite3.connect(f"file:{self.archive.path}?mode=ro", uri=True, timeout=60)
        conn.row_factory = sqlite3.Row
        try:
            for i, cap in enumerate(self.captures):
                while i > self.position + self.window and not self.done:
                    yield from self._ready()
                    yield None  # far enough ahead of the writer: the pool collects answers meanwhile
                if self.done:
                    return
                yield from self._ready()
                atts = _attachments(conn, cap["url"])
                pictures = [a for a in atts if _is_picture(a)]
                # two or more pictures are read as one sequence in page order, by the writer's path
                for c in [cap, *(a for a in atts if len(pictures) < 2 or not _is_picture(a))]:
                    key = _doc_key(c)
                    with self.cond:
                        if key in self.planned or key in self.claimed:
                            continue
                        self.planned.add(key)
                    try:
                        body = self.archive.blobs.get(c["sha256"])
                    except BlobError:
                        with self.cond:
                            self.planned.discard(key)
                            self.cond.notify_all()
                        continue
                    if c is cap and len(pictures) > 1:
                        self.sequences[key] = (i, cap, pictures)
                    yield (i, key), body, _read_kwargs(c)
            while (self.sequences or self.ready) and not self.done:
                yield from self._ready()
                yield None
        finally:
            conn.close()

    def _ready(self):
        while self.ready:
            yield self.ready.popleft()

    def _plan_sequence(self, key, doc: Document) -> None:
        """The page ``key`` was read: its pictures, in the order it shows them, become one job (as
        :func:`_read_picture_sequence` reads them; pictures whose bytes cannot be loaded left out)."""
        i, cap, pictures = self.sequences.pop(key)
        if not doc.readable or _not_read(doc):
            return
        blobs, kept = [], []
        for acap in _pictures_in_page_order(pictures, doc):
            try:
                blobs.append(self.archive.blobs.get(acap["sha256"]))
                kept.append(acap)
            except BlobError:
                continue
        url = cap["final_url"] or cap["url"]
        seq = _sequence_key(kept, url)
        with self.cond:
            if not kept or seq in self.planned or seq in self.claimed:
                return
            self.planned.add(seq)
        self.ready.append(((i, seq), blobs, {"url": url}))

    def _run(self) -> None:
        try:
            for (i, key), doc in self.pool.imap(self._jobs()):
                if key in self.sequences:
                    self._plan_sequence(key, doc)
                with self.cond:
                    if key in self.planned:
                        self.results[key] = (i, doc)
                    self.cond.notify_all()
        except BaseException as e:  # noqa: BLE001 - the writer reads what is missing itself
            self.error = e
            log.warning("read-ahead stopped: %s: %s", type(e).__name__, e)
        finally:
            with self.cond:
                self.done = True
                self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.done = True
            self.cond.notify_all()
        self.thread.join(timeout=30)
        self.pool.close()


_ahead: ReadAhead | None = None  # the read-ahead of the run in progress (run_extract, workers > 1)


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


# The codes of a document not read this time (its stored bytes are damaged, or reading it ran past its
# budget): the report keeps what an earlier extract read from it, and the next capture goes on.
BLOB_CODES = ("blob_missing", "blob_corrupt", "blob_unreadable")
NOT_READ_CODES = (*BLOB_CODES, "over_budget")
# Problems of an attachment recorded on the attachment's own capture.
ATTACHMENT_PROBLEMS = ("needs_converter", "unreadable", "undecodable", "no_text_layer", "over_budget")


class ExtractRun:
    """What one extract did, counted for its summary (:func:`summary`)."""

    def __init__(self, archive: Archive, captures: int):
        self.archive = archive
        self.counts = {"captures": captures, "reports": 0, "problems": 0, "not_reports": 0,
                       "attachments": 0, "cells": 0, "checks_failed": 0, "duplicates": 0, "kept": 0}
        self.codes: Counter = Counter()
        self.damaged: list[dict] = []  # captures whose stored bytes are missing, corrupt or unreadable
        self.touched: set[tuple[str, int]] = set()  # (agency, year) of every report saved

    def problem(self, *, code: str, **kw) -> None:
        self.archive.save_problem(code=code, **kw)
        self.counts["problems"] += 1
        self.codes[code] += 1

    def result(self) -> dict:
        return {**self.counts, "problem_codes": dict(self.codes.most_common()), "damaged": self.damaged,
                "over_budget": self.codes.get("over_budget", 0)}


def run_extract(archive: Archive, progress: bool = True, budget: Budget | None = Budget(),
                full: bool = False, workers: int = 1) -> dict:
    """Every stored report capture → its report, cells, checks, problems and search entry.

    Each capture is one transaction (the report row, its cells, checks, problems and search entry
    replaced together); the cross-year checks are one more; the search index is rebuilt beside the
    old one and swapped in. A process killed or failing anywhere therefore leaves every report
    agreeing with its cells, checks and search entry. A capture whose stored bytes are missing or
    corrupt (checked against their SHA-256 before parsing), or whose document ran past its budget,
    is a problem on that capture: its report keeps what an earlier extract read, and the run goes
    on. A database that cannot be written raises (the run did not finish). Returns the counts
    :func:`summary` prints.

    Every document is read in a worker process under ``budget`` (extract.budget: seconds and
    memory; ``None`` reads in this process, for benchmarks), one at a time; with ``workers`` > 1
    that many read the next captures' documents at once (:class:`ReadAhead`) while this process
    writes in capture order, so the archive equals a one-worker run's.

    Incremental: only what changed since the last finished run of this extractor is read (new
    captures, pages whose attachments changed, captures left unread by damage), the cross-year
    checks re-run only for the agency-years touched, and the search index is kept row by row. A
    new ``EXTRACTOR_VERSION``, an archive never extracted, or ``full`` reads everything."""
    global _pool, _ahead
    archive.ensure_fts()
    previous = None if full else archive.last_extract(EXTRACTOR_VERSION)
    mark = archive.start_extract(EXTRACTOR_VERSION, "incremental" if previous else "full")
    if previous:  # what changed: a night's worth, a list
        captures = own_site_first(archive.changed_report_captures(previous["last_capture_id"],
                                                                  mark["last_capture_id"]))
    else:  # everything, read in batches (in the same order: own pages first, then by address)
        captures = archive.report_captures(mark["last_capture_id"])
    run = ExtractRun(archive, len(captures))
    run.counts["mode"] = "incremental" if previous else "full"
    if _pool is not None:  # left by a run that raised
        _pool.close()
    _pool = DocumentPool(1, budget) if budget is not None else None
    if _ahead is not None:
        _ahead.close()
    _ahead = ReadAhead(archive, captures, workers, budget) if workers > 1 and captures else None
    try:
        _extract_all(archive, run, captures, progress)
    finally:
        if _ahead is not None:
            _ahead.close()
            _ahead = None
    if _pool is not None:
        _pool.close()
        _pool = None
    return _finish(archive, run, previous, mark)


def _extract_all(archive: Archive, run: ExtractRun, captures: list[dict] | ReportCaptures, progress: bool) -> None:
    """Each capture in order, one transaction each; an error on one capture's path is recorded on it."""
    for i, cap in enumerate(tqdm(captures, desc="extract", unit="report", disable=not progress)):
        if _ahead is not None:
            _ahead.at(i)
        try:
            _extract_capture(archive, run, cap)
        except (sqlite3.Error, OSError, MemoryError):
            raise  # the archive or the machine failed, not this capture: the run does not finish
        except Exception as e:  # noqa: BLE001 - a bug on one capture's path must not stop the night
            log.warning("capture %s (%s): %s: %s", cap["id"], cap["url"], type(e).__name__, e)
            log.debug("capture %s", cap["id"], exc_info=True)
            with archive.transaction():
                run.problem(agency_id=cap["agency_id"], capture_id=cap["id"], url=cap["url"],
                            report_id=_previous_report(archive, cap), stage="extract", code="extract_failed",
                            message=f"{type(e).__name__}: {e}"[:500])


def _finish(archive: Archive, run: ExtractRun, previous: dict | None, mark: dict) -> dict:
    changed = True
    if previous:
        run.counts["removals_synced"] = archive.sync_removed(previous["last_crawl_run_id"])
        cross_year_checks(archive, run.touched)
        last = json.loads(previous.get("counts") or "{}")
        # a night that read nothing and marked nothing changed nothing: the archive's totals are the
        # last run's, and counting them again would read every failing check and index entry
        changed = bool(run.counts["captures"] or run.touched or run.counts["removals_synced"]
                       or not {"checks_failed", "indexed"} <= last.keys())
        if changed:
            run.counts["checks_failed"] = archive.failing_checks()
            run.counts["indexed"] = derived_layout.indexed_count(archive.conn)
        else:
            run.counts["checks_failed"], run.counts["indexed"] = last["checks_failed"], last["indexed"]
    else:
        run.counts["checks_failed"] = cross_year_checks(archive)
        run.counts["indexed"] = archive.rebuild_fts()
    counts = run.result()
    archive.finish_extract(mark["id"], {k: v for k, v in counts.items() if k != "damaged"})
    if changed:
        # statistics for the query planner, sampled (a bounded cost at any size): without them it
        # picks indexes by guesswork, e.g. the reports page's sort read a whole year and sorted it
        archive.conn.execute("pragma analysis_limit = 1000")
        archive.conn.execute("analyze")
    log.debug("extract: %s", counts)
    return counts


def _is_picture(cap: dict) -> bool:
    return (cap.get("content_type") or "").lower().startswith("image/")


def _pictures_in_page_order(atts_caps: list[dict], doc: Document) -> list[dict]:
    """The page's fetched pictures (tables published as images), in the order the page shows them:
    a table cut over two screenshots is read whole only in that order."""
    order = {u: k for k, u in enumerate(doc.meta.get("pictures") or [])}
    pics = [c for c in atts_caps if _is_picture(c)]
    return sorted(pics, key=lambda c: (order.get(c["url"], order.get(c.get("final_url"), len(order))), c["id"]))


def _read_picture_sequence(archive: Archive, cap: dict, pictures: list[dict], atts: list, not_read: list) -> None:
    """Read the page's pictures as one document (extract.document.read_pictures). It joins the
    attachments as if it were the first picture's, each table naming the picture it starts in."""
    blobs, kept = [], []
    for acap in pictures:
        try:
            blobs.append(archive.blobs.get(acap["sha256"]))
            kept.append(acap)
        except BlobError as e:
            not_read.append((acap, [(e.code, str(e))]))
    if not kept:
        return
    url = cap["final_url"] or cap["url"]
    pdoc = _ahead.take(_sequence_key(kept, url)) if _ahead is not None else None
    if pdoc is None:
        pdoc = _pool.read_pictures(blobs, url=url) if _pool is not None else read_pictures(blobs, url=url)
    if _not_read(pdoc):
        not_read.append((kept[0], [(p.code, p.message) for p in _not_read(pdoc)]))
        return
    starts = pdoc.meta.get("table_pictures") or {}
    if not pdoc.tables or not starts:
        atts.append((kept[0], pdoc))
        return
    # one entry per picture that starts a table, so each table's cells name their own capture
    # (_merge keeps only the table problems about the tables each entry holds)
    first = min(starts.values())
    for k in sorted(set(starts.values())):
        mine = [t for t, i in starts.items() if i == k]
        part = Document(url=pdoc.url, format=pdoc.format, text=pdoc.text if k == first else "",
                        template=pdoc.template, tables={t: pdoc.tables[t] for t in mine},
                        cells=[c for c in pdoc.cells if c.table in mine], problems=list(pdoc.problems))
        atts.append((kept[k], part))


def _previous_report(archive: Archive, cap: dict) -> int | None:
    """The report an earlier extract read from this page capture, if any."""
    row = archive.conn.execute("select id from reports where url = ? and sha256 = ?",
                               [cap["url"], cap["sha256"]]).fetchone()
    return row[0] if row else None


def _not_read(doc: Document) -> list:
    return [p for p in doc.problems if p.code in NOT_READ_CODES]


def _record_not_read(run: ExtractRun, cap: dict, problems: list[tuple[str, str]], report_id: int | None,
                     stage: str) -> None:
    """A capture not read this time: its problems replace those of the same kind, and the rest of
    what an earlier extract recorded about it (and the report it read) stays."""
    with run.archive.transaction():
        run.archive.clear_extract_problems(cap["id"], codes=NOT_READ_CODES)
        for code, message in problems:
            if code in BLOB_CODES:
                run.damaged.append({"capture_id": cap["id"], "url": cap["url"], "code": code})
            run.problem(agency_id=cap["agency_id"], capture_id=cap["id"], url=cap["url"], report_id=report_id,
                        stage="blob" if code in BLOB_CODES else stage, code=code, message=message)


def _kept(report_id: int | None) -> str:
    return ("; the report keeps what an earlier extract read" if report_id
            else "; nothing was read from this capture")


def _extract_capture(archive: Archive, run: ExtractRun, cap: dict) -> None:
    counts = run.counts
    base = {"agency_id": cap["agency_id"], "capture_id": cap["id"], "url": cap["url"]}
    try:
        doc = _read(archive, cap)
    except BlobError as e:
        previous = _previous_report(archive, cap)
        _record_not_read(run, cap, [(e.code, f"{e}{_kept(previous)}")], previous, "extract")
        counts["kept"] += previous is not None
        return
    if _not_read(doc):
        previous = _previous_report(archive, cap)
        _record_not_read(run, cap, [(p.code, p.message + _kept(previous)) for p in _not_read(doc)],
                         previous, "extract")
        counts["kept"] += previous is not None
        return
    atts_caps = _attachments(archive, cap["url"])
    if atts_caps and all(p.code != "undecodable" for p in doc.problems):
        # A shell page (a viewer around its PDF) has no text of its own: its document has.
        doc.problems = [p for p in doc.problems if p.code != "empty_text"]
    if not doc.readable:
        with archive.transaction():
            archive.clear_extract_problems(cap["id"])
            for p in doc.problems:
                run.problem(**base, stage="extract", code=p.code, message=p.message)
        return
    title = doc.title or cap["link_title"] or ""
    aliases = tuple(json.loads(cap["agency_aliases"] or "[]"))
    place = {"province": cap["province"], "city": cap["city"], "county": cap["county"]}
    verdict = classify_title(title, cap["agency_name"], aliases, **place)
    if verdict.kind != "report" and cap["link_title"]:
        # Pages titled with the site's name (a per-year view, a viewer shell): the list's link
        # named the report, and that is what the agency calls it.
        by_link = classify_title(cap["link_title"], cap["agency_name"], aliases, **place)
        if by_link.kind == "report" and verdict.reason.startswith(("no year", "no 年度报告")):
            title, verdict = cap["link_title"], by_link
    if verdict.kind != "report":
        # The list promised a report, the page says otherwise: keep the capture, say why.
        with archive.transaction():
            archive.clear_extract_problems(cap["id"])
            run.problem(**base, stage="extract", code="not_a_report",
                        message=f"page title {title!r}: {verdict.reason}")
        counts["not_reports"] += 1
        return
    published = doc.published or cap["link_date"]
    year = report_year(title, published)
    via = cap.get("found_via")
    twin = archive.conn.execute(
        "select id, also_at from reports where agency_id = ? and year is ? and url != ?"
        " and replace(replace(title, ' ', ''), '　', '') = ? and found_via is ? limit 1",
        [cap["agency_id"], year, cap["url"], normalize(title), via]).fetchone()
    if twin:
        # The same report reached under another URL (a second column, a module view): one
        # report, the other address remembered.
        also = json.loads(twin[1] or "[]")
        with archive.transaction():
            archive.clear_extract_problems(cap["id"])
            if cap["url"] not in also:
                archive.conn.execute("update reports set also_at = ? where id = ?",
                                     [json.dumps(also + [cap["url"]], ensure_ascii=False), twin[0]])
        counts["duplicates"] += 1
        return
    atts, not_read = [], []
    pictures = _pictures_in_page_order(atts_caps, doc)
    for acap in atts_caps:
        if len(pictures) > 1 and acap in pictures:
            continue  # read below, with the page's other pictures
        try:
            adoc = _read(archive, acap)
        except BlobError as e:
            not_read.append((acap, [(e.code, str(e))]))
            continue
        counts["attachments"] += 1
        if _not_read(adoc):
            not_read.append((acap, [(p.code, p.message) for p in _not_read(adoc)]))
        else:
            atts.append((acap, adoc))
    if len(pictures) > 1:
        _read_picture_sequence(archive, cap, pictures, atts, not_read)
        counts["attachments"] += len(pictures)
    previous = _previous_report(archive, cap) if not_read else None
    if previous is not None:
        # An attachment could not be read this time: the report an earlier extract read from the
        # page and all its attachments stays as it was, rather than lose the tables it took there.
        for acap, problems in not_read:
            _record_not_read(run, acap, [(c, m + _kept(previous)) for c, m in problems], previous, "attachment")
        counts["kept"] += 1
        return
    tables_from, table_captures = _merge(doc, atts)
    digest = content_hash(doc)
    same = content_twin(archive, cap["agency_id"], year, cap["url"], digest)
    if same and (via is not None or same[2] is None):
        # the same report under another URL (its own site's and a portal's): one report, both URLs
        with archive.transaction():
            archive.clear_extract_problems(cap["id"])
            add_url(archive, same[0], same[1], cap["url"])
        counts["duplicates"] += 1
        return
    if not doc.text.strip():
        with archive.transaction():
            for c in (cap, *(acap for acap, _adoc in atts)):
                archive.clear_extract_problems(c["id"])
            run.problem(**base, stage="extract", code="empty_text",
                        message="no text on the page nor in its attachments")
            for acap, problems in not_read:
                _record_not_read(run, acap, problems, None, "attachment")
        return
    gone = archive.conn.execute(
        "select removed_at from report_links where agency_id = ? and url = ?",
        [cap["agency_id"], cap["url"]]).fetchone()
    with archive.transaction():
        archive.clear_extract_problems(cap["id"])
        for acap, _adoc in atts:
            archive.clear_extract_problems(acap["id"])
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
            "problems": len(doc.problems) + len(not_read),
            "extracted_at": utcnow(), "extractor": EXTRACTOR_VERSION,
            "found_via": via, "content_hash": digest,
        })
        if same:  # a portal's copy read before the agency's own page: folded into this report
            absorb_portal_copy(archive, rid, same[0])
        archive.save_tables(rid, doc.cells, doc.checks, cap["id"], table_captures)
        if year is not None:
            run.touched.add((cap["agency_id"], year))
        counts["reports"] += 1
        counts["cells"] += len(doc.cells)
        for p in doc.problems:
            stage = "extract" if p.code in ("no_date", "empty_text") else "tables"
            run.problem(**base, report_id=rid, stage=stage, code=p.code, message=p.message)
        for acap, adoc in atts:
            for p in adoc.problems:
                if p.code in ATTACHMENT_PROBLEMS:
                    run.problem(agency_id=acap["agency_id"], capture_id=acap["id"], url=acap["url"],
                                report_id=rid, stage="attachment", code=p.code, message=p.message)
        for acap, problems in not_read:  # read for the first time without it: the report is marked
            _record_not_read(run, acap, problems, rid, "attachment")


def summary(counts: dict) -> list[str]:
    """The lines `nianbao extract` ends with: what was built, what could not be read and why."""
    mode = counts.get("mode", "full")
    read = "report pages" if mode == "full" else "report pages new or changed since the last extract"
    lines = [f"extract ({mode}): {counts['reports']} reports from {counts['captures']} {read}"
             f" ({counts['attachments']} attachments read, {counts['duplicates']} pages duplicating"
             f" another report, {counts['not_reports']} pages that were not reports); {counts['cells']} cells,"
             f" {counts['checks_failed']} failed checks, {counts.get('indexed', 0)} reports in the search index"]
    codes = counts.get("problem_codes") or {}
    lines.append(f"problems: {counts['problems']}" + (
        " (" + ", ".join(f"{code} {n}" for code, n in codes.items()) + ")" if codes else ""))
    damaged = counts.get("damaged") or []
    lines.append(f"damaged captures: {len(damaged)}" + (" (stored bytes missing or corrupt: see problems"
                                                        " with stage 'blob')" if damaged else ""))
    for d in damaged[:20]:
        lines.append(f"  capture {d['capture_id']} {d['code']}: {d['url']}")
    if len(damaged) > 20:
        lines.append(f"  … and {len(damaged) - 20} more")
    lines.append(f"over budget: {counts.get('over_budget', 0)} documents")
    if counts.get("kept"):
        lines.append(f"kept from an earlier extract: {counts['kept']} reports whose bytes could not be read"
                     " this time")
    return lines


# When an agency has two current reports for one year (two addresses, e.g. its own site and a
# portal's copy), the one its next year is compared with is chosen by what the reports say, never by
# their ids: ids follow crawl order, so a distributed or resumed crawl would compare with another one,
# and the incremental and full extracts must choose alike. The most cells, then the first address.
PREVIOUS_FIRST = "cells desc, url"
PREVIOUS_LAST = "cells, url desc"  # the same preference for a scan where the last row of a key wins


def cross_year_checks(archive: Archive, touched: set[tuple[str, int]] | None = None) -> int:
    """Re-run current reports' checks with the same agency's previous-year report, so the
    continuity rules (carried_forward(y−1) = carried_over(y), in_force chains) are assessed: every
    report, or (incremental) those of the ``touched`` agency-years and the years after them."""
    if touched is None:
        current = list(archive.db.query(
            "select id, agency_id, year, template from reports where is_current = 1 and cells > 0"
            f" and year is not null order by agency_id, year, {PREVIOUS_LAST}"))
        by_key = {(r["agency_id"], r["year"]): r for r in current}
    else:
        keys = {k for a, y in touched for k in ((a, y - 1), (a, y), (a, y + 1))}
        by_key = {}
        for a, y in sorted(keys):
            row = archive.conn.execute(
                "select id, agency_id, year, template from reports where agency_id = ? and year = ?"
                f" and is_current = 1 and cells > 0 order by {PREVIOUS_FIRST} limit 1", [a, y]).fetchone()
            if row:
                by_key[(a, y)] = dict(zip(("id", "agency_id", "year", "template"), row))
        current = list({by_key[(a, y)]["id"]: by_key[(a, y)] for a, y0 in sorted(touched)
                        for y in (y0, y0 + 1) if (a, y) in by_key}.values())
        # versions superseded tonight keep only their own checks, as a full extract gives them
        for a, y in sorted(touched):
            for rid, template in archive.conn.execute(
                    "select id, template from reports where agency_id = ? and year = ? and is_current = 0"
                    " and cells > 0", [a, y]).fetchall():
                current.append({"id": rid, "agency_id": a, "year": None, "template": template})
    failed = 0
    with archive.transaction():  # one step: every report's checks change together, or none
        for r in current:
            prev = by_key.get((r["agency_id"], r["year"] - 1)) if r["year"] is not None else None
            tables = archive.load_tables(r["id"])
            checks = run_checks(tables, r["template"], archive.load_tables(prev["id"]) if prev else None)
            archive.save_checks(r["id"], checks)
            failed += sum(c.outcome == "fail" for c in checks)
    return failed
