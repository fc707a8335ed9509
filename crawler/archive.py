"""The database: tables, upserts, views and full-text index. The only module that writes archive.db.

Data flows one way: the crawl writes ``captures`` (and ``crawl_runs``/``agency_runs``); the extract
step reads captures and (re)writes ``reports`` and ``problems``; Datasette only reads. Every write
that belongs together happens in one transaction, so a killed process never leaves half a row.
"""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from crawler import derived_layout
from crawler.blobs import BlobStore
from crawler.portals import DISCOVERED, adopt_discovered
from extract import packed_text

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# Why the links of a run were fetched or not (crawler/revalidate.py), counted per agency in
# agency_runs: new, list entry changed (title or date, or back after removal), unsettled (the last
# fetch failed or its run never finished), due on the rotation, skipped (known, unchanged, not due);
# list pages not followed; whether it was the agency's full-pagination night.
REVALIDATION_KEYS = ("links_new", "links_changed", "links_unsettled", "links_rotation", "links_skipped",
                     "list_pages_skipped", "full_lists")


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_key(method: str, url: str, body: bytes = b"") -> str:
    """One key per distinct request: a POST to the same URL with another form is another request."""
    h = hashlib.sha256()
    h.update(method.upper().encode() + b" " + url.encode("utf-8") + b"\n")
    h.update(body or b"")
    return h.hexdigest()


#: the page size of a new archive file (an existing one keeps its own)
PAGE_SIZE = 8192

# What extract needs of a report capture, for a full extract (ReportCaptures) and an incremental
# one (Archive.changed_report_captures) alike: the capture, its agency's identity, and ``found_via``,
# the portal whose list showed it (None: the agency's own list), so own pages can be read first.
REPORT_CAPTURE_COLUMNS = (
    "c.*, a.name as agency_name, a.aliases as agency_aliases, a.province, a.city, a.county, a.level,"
    " (select l.via_agency_id from report_links l where l.agency_id = c.agency_id and l.url = c.url)"
    " as found_via")


class Archive:
    def __init__(self, db_path: str | Path = "archive.db", blobs_dir: str | Path | None = None,
                 handed_over: bool = False):
        """``handed_over``: the connection may be used from another thread than the one opening it,
        one at a time (the crawl's archive writer, crawler/write_behind.py)."""
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None,
                               check_same_thread=not handed_over)
        # A new archive gets 8 KB pages (SQLite's default is 4 KB): a report's packed text (~2 KB)
        # then shares a page with two others instead of leaving half a page empty, 1 KB a report
        # less at 10,000 reports (README, "Storage"). An existing file keeps its page size.
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        packed_text.register(conn)  # the report_texts view unpacks through it
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.blobs = BlobStore(blobs_dir or self.path.parent / "data" / "blobs")
        self.ensure_schema()

    # ------------------------------------------------------------------ schema
    def ensure_schema(self) -> None:
        db = self.db
        with self.transaction():
            if "agencies" not in db.table_names():
                db["agencies"].create({
                    "id": str, "name": str, "aliases": str, "province": str, "city": str,
                    "county": str, "level": str, "platform": str, "start_url": str,
                    "registry": str, "division_code": str,
                }, pk="id", not_null={"name", "province", "level", "platform", "start_url"})
            elif "division_code" not in db["agencies"].columns_dict:  # archives built before it existed
                db["agencies"].add_column("division_code", str)
            if "crawl_runs" not in db.table_names():
                db["crawl_runs"].create({
                    "id": int, "started_at": str, "finished_at": str, "registry": str,
                    "agencies": str, "status": str, "finish_reason": str, "requests": int,
                    "responses": int, "captures_new": int, "captures_seen": int,
                    "reports_found": int, "errors": int, "bytes_downloaded": int, "stats": str,
                }, pk="id")
            if "agency_runs" not in db.table_names():
                db["agency_runs"].create({
                    "run_id": int, "agency_id": str, "list_pages_requested": int,
                    "list_pages": int, "list_errors": int, "lists_complete": int,
                    "report_links": int, "other_links": int, "reports_fetched": int,
                    "not_modified": int, "new": int, "changed": int, "removed": int,
                    "errors": int, "blocked": int, "no_adapter": int, "refused": int,
                    "redirect_errors": int, "bounds_hit": int, "bounds": str, "status": str, "note": str,
                }, pk=("run_id", "agency_id"),
                    foreign_keys=[("run_id", "crawl_runs", "id"), ("agency_id", "agencies", "id")])
            if "captures" not in db.table_names():
                db["captures"].create({
                    "id": int, "agency_id": str, "kind": str, "url": str, "method": str,
                    "request_key": str, "request_body": str, "final_url": str, "status": int,
                    "ok": int, "error": str, "content_type": str, "headers": str, "size": int,
                    "sha256": str, "link_title": str, "link_date": str, "referer": str, "parent_url": str,
                    "page": int, "first_fetched_at": str, "last_fetched_at": str,
                    "fetch_count": int, "not_modified_count": int, "first_run_id": int,
                    "last_run_id": int, "outcome": str, "redirects": str,
                }, pk="id", foreign_keys=[("agency_id", "agencies", "id"),
                                          ("first_run_id", "crawl_runs", "id"),
                                          ("last_run_id", "crawl_runs", "id")])
                db["captures"].create_index(["request_key", "outcome"], unique=True)
                db["captures"].create_index(["agency_id", "kind"])
                db["captures"].create_index(["sha256"])
            elif "redirects" not in db["captures"].columns_dict:  # archives from before the fetch policy
                db["captures"].add_column("redirects", str)
            for column, kind in (("refused", int), ("redirect_errors", int), ("bounds_hit", int), ("bounds", str)):
                if column not in db["agency_runs"].columns_dict:
                    db["agency_runs"].add_column(column, kind)
            if "report_links" not in db.table_names():
                db["report_links"].create({
                    "agency_id": str, "url": str, "title": str, "link_date": str,
                    "list_url": str, "first_seen_at": str, "last_seen_at": str,
                    "first_run_id": int, "last_run_id": int, "removed_at": str,
                    "removed_run_id": int,
                }, pk=("agency_id", "url"), foreign_keys=[("agency_id", "agencies", "id")])
            if "reports" not in db.table_names():
                db["reports"].create({
                    "id": int, "agency_id": str, "agency": str, "province": str, "city": str,
                    "county": str, "level": str, "year": int, "title": str, "url": str,
                    "published": str, "source": str, "excerpt": str, "chars": int,
                    "encoding": str, "capture_id": int, "sha256": str, "version": int,
                    "is_current": int, "removed_at": str, "also_at": str, "template": str, "tables_from": str,
                    "tables_found": str, "cells": int, "checks_failed": int, "problems": int,
                    "fetched_at": str, "extracted_at": str,
                    "extractor": str,
                }, pk="id", foreign_keys=[("agency_id", "agencies", "id"),
                                          ("capture_id", "captures", "id")])
                db["reports"].create_index(["url", "sha256"], unique=True)
                db["reports"].create_index(["agency_id", "year"])
            # The text (a few KB a report) lives beside its row, not in it: a row holding it spills
            # into overflow pages, one report a page, so every scan of reports (a facet, a filter, a
            # count) read the whole archive's text. The row keeps the opening (``excerpt``) that the
            # list pages show.
            # Stored zlib-compressed (extract/packed_text.py: half the bytes, and rows that fit their
            # pages); the view ``report_texts`` shows them as text.
            if "report_texts_zlib" not in db.table_names():
                db.execute("create table report_texts_zlib (report_id integer primary key references reports(id),"
                           " z blob)")
            if "report_texts" in db.table_names():  # archives before: texts stored as text, packed once
                self._pack_texts()
            if "text" in db["reports"].columns_dict:  # archives before: moved once
                self._move_texts()
            if "report_texts" not in db.view_names():
                db.execute(f"create view report_texts as select report_id, {packed_text.SQL_FUNCTION}(z) as text"
                           " from report_texts_zlib")
            if "cells" not in db.table_names():
                # NUMERIC: counts stay integers, money (万元) keeps its decimals. Keyed by (report, cell
                # number), its codes generated, as checks: crawler/derived_layout.py says why
                db.execute(derived_layout.cells_create())
            elif "confidence" not in db["cells"].columns_dict:  # archives built before OCR
                db["cells"].add_column("source", str)
                db["cells"].add_column("confidence", float)
            if "checks" not in db.table_names():
                db.execute(derived_layout.checks_create())
            elif "explanation" not in {r[1] for r in self.conn.execute("pragma table_xinfo(checks)")}:  # older archives
                db["checks"].add_column("explanation", str)
            derived_layout.upgrade(self.conn)  # older archives' cells, checks, search index: rewritten once
            if "problems" not in db.table_names():
                db["problems"].create({
                    "id": int, "agency_id": str, "capture_id": int, "report_id": int,
                    "url": str, "stage": str, "code": str, "message": str, "created_at": str,
                }, pk="id", foreign_keys=[("capture_id", "captures", "id"),
                                          ("agency_id", "agencies", "id")])
                db["problems"].create_index(["capture_id", "code"], unique=True)
            # the reader pages look reports up by year (comparison, wide downloads) and agency name
            db["reports"].create_index(["year", "province"], if_not_exists=True)
            db["reports"].create_index(["province"], if_not_exists=True)
            db["reports"].create_index(["agency"], if_not_exists=True)
            # the reports page's other configured facets: counted from an index, never by reading
            # rows past their long text
            db["reports"].create_index(["level"], if_not_exists=True)
            db["reports"].create_index(["template"], if_not_exists=True)
            # its sort, newest year first, then Datasette's id tie-break (order by year desc, id desc):
            # both in the index, so a page reads 51 rows, never a whole year's sorted
            db.execute("create index if not exists reports_year_id_desc on reports(year desc, id desc)")
            db.execute("drop index if exists reports_year_desc")  # archives made before: year alone
            # the comparison page: one year's current reports by province and agency, the first 1,000
            # read in index order (not the whole year sorted)
            db.execute("create index if not exists reports_compare on reports(year, province, agency)"
                       " where is_current = 1")
            # Datasette counts a row's incoming links on its row page (an agency's problems and runs)
            db["problems"].create_index(["agency_id"], if_not_exists=True)
            db["problems"].create_index(["report_id"], if_not_exists=True)
            db["agency_runs"].create_index(["agency_id"], if_not_exists=True)
            # incremental extract: a page's captures and its attachments found by address, the
            # captures to retry by problem code, links removed since a crawl run, removed reports
            db["captures"].create_index(["url"], if_not_exists=True)
            db["captures"].create_index(["parent_url"], if_not_exists=True)
            # finish_run counts a crawl run's new and seen-again captures
            db["captures"].create_index(["first_run_id"], if_not_exists=True)
            db["captures"].create_index(["last_run_id"], if_not_exists=True)
            db["problems"].create_index(["code"], if_not_exists=True)
            db["report_links"].create_index(["removed_run_id"], if_not_exists=True)
            db.execute("create index if not exists reports_removed on reports(removed_at)"
                       " where removed_at is not null")
            db.execute("create index if not exists checks_failing on checks(report_id) where outcome = 'fail'")
            # shared portals (crawler/portals.py): agencies discovered on a portal's list, the portal
            # that listed a link, where a report was found and what its content is
            for table, column, kind in (("agencies", "discovered_via", str), ("report_links", "via_agency_id", str),
                                        ("agency_runs", "portal_links", int), ("reports", "found_via", str),
                                        ("reports", "content_hash", str)):
                if column not in db[table].columns_dict:
                    db[table].add_column(column, kind)
            db["report_links"].create_index(["via_agency_id"], if_not_exists=True)
            # revalidation (crawler/revalidate.py): the list page a link was last seen on (the
            # request_key of that list capture), and per run why links were fetched or skipped
            if "list_key" not in db["report_links"].columns_dict:
                db["report_links"].add_column("list_key", str)
            db["report_links"].create_index(["url"], if_not_exists=True)  # a link whoever owns it
            for column in (*REVALIDATION_KEYS, "links_listed"):
                if column not in db["agency_runs"].columns_dict:
                    db["agency_runs"].add_column(column, int)
            if "revalidation" not in db["crawl_runs"].columns_dict:
                db["crawl_runs"].add_column("revalidation", str)
            db["agencies"].create_index(["discovered_via"], if_not_exists=True)
            if "extract_runs" not in db.table_names():
                db["extract_runs"].create({
                    "id": int, "started_at": str, "finished_at": str, "extractor": str, "mode": str,
                    "last_capture_id": int, "last_crawl_run_id": int, "captures": int, "reports": int,
                    "problems": int, "counts": str,
                }, pk="id")
            # discovery from a home page (spiders/discover.py): what each crawl found, so a moved
            # column is seen moving, and a failed discovery keeps its reason
            if "home_url" not in db["agencies"].columns_dict:
                db["agencies"].add_column("home_url", str)
            if "discoveries" not in db.table_names():
                db["discoveries"].create({
                    "id": int, "run_id": int, "agency_id": str, "home_url": str, "found": int,
                    "start_url": str, "platform": str, "options": str, "confidence": float,
                    "evidence": str, "pages_fetched": int, "reason": str, "discovered_at": str,
                }, pk="id", foreign_keys=[("run_id", "crawl_runs", "id"), ("agency_id", "agencies", "id")])
            db["discoveries"].create_index(["agency_id", "run_id"], if_not_exists=True)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.write_labels()
        self.ensure_views()

    def write_labels(self) -> None:
        """The lookup tables readers join to see Chinese beside every key, exported from
        ``extract.schema`` (the one place that defines them) and rewritten on every open, so that an
        archive always speaks the schema of the code that serves it."""
        from extract import schema

        tables = {
            "label_tables": ({"key": str, "label": str, "title": str, "position": int}, "key", [
                {"key": k, "label": schema.TABLE_SHORT[k], "title": schema.TABLES[k].title, "position": i}
                for i, k in enumerate(schema.TABLE_KEYS)]),
            "label_templates": ({"key": str, "label": str, "basis": str, "years": str}, "key", [
                {"key": e.key, "label": schema.TEMPLATE_LABELS[e.key], "basis": e.basis,
                 "years": f"{e.years[0]}–" + ("" if e.years[1] == 9999 else str(e.years[1]))}
                for e in schema.ERAS.values()]),
            "label_cells": ({"table": str, "row": str, "col": str, "position": int, "templates": str,
                             "row_label": str, "col_label": str, "header": str}, ("table", "row", "col"), [
                {"table": c.table, "row": c.row, "col": c.col, "position": c.position,
                 "templates": ",".join(c.templates), "row_label": c.row_label, "col_label": c.col_label,
                 "header": c.header} for c in schema.cell_labels()]),
            "label_rules": ({"rule": str, "title": str, "formula": str, "explain": str, "table": str,
                             "scope": str}, "rule", [
                {"rule": r.name, "title": r.title, "formula": r.formula, "explain": r.explain,
                 "table": r.table, "scope": r.scope} for r in schema.CHECK_RULES]),
            "label_problems": ({"code": str, "name": str, "meaning": str}, "code", [
                {"code": code, "name": name, "meaning": meaning} for code, (name, meaning) in schema.PROBLEMS.items()]),
        }
        with self.transaction():
            for name, (columns, pk, rows) in tables.items():
                table = self.db[name]
                if name not in self.db.table_names():
                    table.create(columns, pk=pk)
                self.conn.execute(f"delete from [{name}]")
                table.insert_all(rows, alter=True)

    def ensure_views(self) -> None:
        views = {
            "fetch_errors": """
                select c.id as capture_id, c.agency_id, a.name as agency, c.kind, c.url,
                       c.status, c.error, c.link_title, c.last_fetched_at, c.fetch_count
                from captures c join agencies a on a.id = c.agency_id
                where c.ok = 0""",
            "agency_summary": """
                select a.id, a.name, a.province, a.level, a.platform,
                       (select count(*) from reports r where r.agency_id = a.id and r.is_current) as reports,
                       (select min(year) from reports r where r.agency_id = a.id) as first_year,
                       (select max(year) from reports r where r.agency_id = a.id) as last_year,
                       (select count(*) from captures c where c.agency_id = a.id and c.ok = 0) as fetch_errors,
                       (select count(*) from problems p where p.agency_id = a.id) as problems
                from agencies a""",
        }
        # a cell's codes from cell_keys (crawler/derived_layout.py): a filter on them finds the key once
        # and then each report's cell by primary key
        views["cell_values"] = """
                select c.report_id, r.agency_id, r.agency, r.province, r.city, r.county, r.level, r.year,
                       r.template, k."table", lt.label as table_label, k."row", l.row_label, k.col,
                       l.col_label, l.header, c.raw, c.value, c.kind, c.note, c.source, c.confidence
                from cell_keys k join cells c on c.key = k.key join reports r on r.id = c.report_id
                left join label_tables lt on lt.key = k."table"
                left join label_cells l on l."table" = k."table" and l."row" = k."row" and l.col = k.col
                where r.is_current = 1"""
        existing = {r["name"]: r["sql"] for r in self.db.query("select name, sql from sqlite_master where type = 'view'")}
        with self.transaction():
            for name, sql in views.items():
                create = f"CREATE VIEW {name} AS {sql}"
                if existing.get(name) == create:
                    continue
                if name in existing:  # the schema changed: the view follows it
                    self.conn.execute(f"drop view {name}")
                self.conn.execute(create)
        self.ensure_figures()

    # the wide table's filters and sorts (the comparison's and agency page's downloads, facets, requests_by_year)
    FIGURES_INDEXES = (("年度", "省份"), ("省份",), ("层级",), ("机构", "年度"), ("表格版本",))
    # the reports columns the wide table shows or selects on: a change to any of them changes its row
    FIGURES_FROM = ("is_current", "cells", "checks_failed", "agency", "province", "city", "county", "level",
                    "year", "template", "published", "url")

    def _fill_figures(self, width: int) -> None:
        """Every current report's row of the wide table, streamed in report order: the same values as
        :func:`report_figures_sql` (one cell per key, so its ``max`` is the cell's value) without
        evaluating 226 ``case`` expressions per cell (45 s at 10,000 reports against a few)."""
        from extract import schema

        first = len(FIGURES_REPORT_COLUMNS)
        at = {(c.table, c.row, c.col): first + k for k, c in enumerate(schema.cell_labels())}
        marks = ",".join("?" * width)
        cells = self.conn.cursor().execute('select report_id, "table", "row", col, value from cells'
                                           " order by report_id")
        pending = next(cells, None)
        batch = []
        for report in self.conn.cursor().execute(
                f"select {', '.join(c for c, _ in FIGURES_REPORT_COLUMNS)} from reports where is_current = 1"
                " order by id"):
            row = list(report) + [None] * (width - first)
            while pending is not None and pending[0] < report[0]:
                pending = next(cells, None)
            while pending is not None and pending[0] == report[0]:
                k = at.get(pending[1:4])
                if k is not None:
                    row[k] = pending[4]
                pending = next(cells, None)
            batch.append(row)
            if len(batch) >= 5000:
                self.conn.executemany(f"insert into report_figures values ({marks})", batch)
                batch = []
        self.conn.executemany(f"insert into report_figures values ({marks})", batch)

    def ensure_figures(self) -> None:
        """``report_figures`` as a table that every write keeps current, rather than a view.

        As a view it pivoted every cell of the archive on each page, count and facet: 6 s a page at
        10,000 reports (bench/scale.py), far past any time limit at a million. As a table with its
        filter columns indexed, a page reads 50 rows. Triggers keep each report's row equal to the
        pivot of its cells (:func:`report_figures_sql`): they run on the one write every path makes
        after changing a report's cells or shown columns (``cells``, ``checks_failed``,
        ``is_current`` …) and on a deleted report, whoever writes it. Made once from the archive,
        and remade when ``extract/schema.py`` changes its columns."""
        sql = report_figures_sql()
        cols = [d[0] for d in self.conn.execute(f"select * from ({sql}) limit 0").description]
        q = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
        key = q(cols[0])
        row = report_figures_sql("r.id = new.id")
        triggers = {
            "report_figures_insert": f"after insert on reports begin insert into report_figures {row}; end",
            "report_figures_update": f"after update of {', '.join(self.FIGURES_FROM)} on reports begin"
                                     f" delete from report_figures where {key} = new.id;"
                                     f" insert into report_figures {row}; end",
            "report_figures_delete": f"after delete on reports begin delete from report_figures where {key} = old.id; end",
        }
        have = {r[0]: r[1] for r in self.conn.execute(
            "select name, sql from sqlite_master where name like 'report_figures%'")}
        kind = self.conn.execute("select type from sqlite_master where name = 'report_figures'").fetchone()
        same = kind and kind[0] == "table" and [
            r[1] for r in self.conn.execute("pragma table_info(report_figures)")] == cols
        if same and all(have.get(n) == f"CREATE TRIGGER {n} {t}" for n, t in triggers.items()):
            return
        with self.transaction():
            for n in triggers:
                self.conn.execute(f"drop trigger if exists {n}")
            if not same:
                if kind:
                    self.conn.execute(f"drop {kind[0]} report_figures")
                # no declared types: each value keeps the type it has in cells (counts integers, 万元 decimals)
                self.conn.execute(f"create table report_figures ({key} integer primary key,"
                                  f" {', '.join(q(c) for c in cols[1:])})")
                self._fill_figures(len(cols))
                for k, on in enumerate(self.FIGURES_INDEXES):
                    self.conn.execute(f"create index report_figures_{k} on report_figures ({', '.join(map(q, on))})")
            for n, t in triggers.items():
                self.conn.execute(f"CREATE TRIGGER {n} {t}")

    # ------------------------------------------------------------------ helpers
    def transaction(self):
        return _Transaction(self.conn)

    def close(self) -> None:
        self.release_reserve()
        self.conn.close()

    # ------------------------------------------------------------------ room for the last word
    RESERVE_BYTES = 256 * 1024

    @property
    def reserve_path(self) -> Path:
        return self.path.with_name(self.path.name + "-reserve")

    def hold_reserve(self) -> None:
        """Keep a little disk beside the database while a crawl writes, so that when the disk fills
        (with blobs, or the WAL) the run can still be marked failed: :meth:`release_reserve` frees it
        just before that last write. Raises the OSError of a disk that is already full."""
        path = self.reserve_path
        if path.exists() and path.stat().st_size >= self.RESERVE_BYTES:
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            try:
                os.posix_fallocate(fd, 0, self.RESERVE_BYTES)
            except OSError as e:  # file systems without fallocate: write the bytes
                if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                    raise
                os.write(fd, b"\0" * self.RESERVE_BYTES)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)

    def release_reserve(self) -> None:
        try:
            self.reserve_path.unlink(missing_ok=True)
        except OSError:
            pass

    # ------------------------------------------------------------------ crawl side
    def upsert_agencies(self, agencies) -> None:
        with self.transaction():
            for a in agencies:
                row = a.as_row()
                if getattr(a, "needs_discovery", False) and self.db["agencies"].count_where("id = ?", [a.id]):
                    # a home-URL-only entry: keep the column and platform an earlier discovery found
                    row.pop("platform", None)
                    row.pop("start_url", None)
                    self.db["agencies"].update(a.id, row)
                else:
                    self.db["agencies"].upsert(row, pk="id")
                adopt_discovered(self.conn, row)  # first discovered on a portal, since added by hand

    def record_discovery(self, item, run_id: int) -> None:
        """One discovery of an agency's 年报 column (``crawler.items.DiscoveryItem``): its row in
        ``discoveries``, and, when found, the column and platform on the agency's row."""
        with self.transaction():
            self.db["discoveries"].insert({
                "run_id": run_id, "agency_id": item.agency_id, "home_url": item.home_url,
                "found": int(bool(item.start_url)), "start_url": item.start_url, "platform": item.platform,
                "options": json.dumps(item.options, ensure_ascii=False, sort_keys=True) if item.options else None,
                "confidence": item.confidence, "evidence": json.dumps(item.evidence, ensure_ascii=False),
                "pages_fetched": item.pages_fetched, "reason": item.reason, "discovered_at": utcnow(),
            })
            if item.start_url:
                self.db["agencies"].update(item.agency_id, {"platform": item.platform, "start_url": item.start_url})

    def start_run(self, registry: str, agency_ids: list[str]) -> int:
        with self.transaction():
            t = self.db["crawl_runs"].insert({
                "started_at": utcnow(), "registry": registry,
                "agencies": json.dumps(agency_ids), "status": "running",
            })
        return t.last_pk

    def previous_agency_run(self, agency_id: str, run_id: int) -> dict | None:
        rows = list(self.db.query(
            "select ar.* from agency_runs ar join crawl_runs cr on cr.id = ar.run_id"
            " where ar.agency_id = ? and ar.run_id < ? and cr.status in ('finished', 'failed')"
            " order by ar.run_id desc limit 1", [agency_id, run_id]))
        return rows[0] if rows else None

    def observe_link(self, item, run_id: int) -> None:
        now = utcnow()
        via = getattr(item, "via_agency_id", None)  # the portal that listed another agency's report
        with self.transaction():
            if getattr(item, "agency", None):  # an agency discovered on that portal's list
                self.upsert_discovered(item.agency)
            # A link the agency's own list shows is its own (via null) for good: its own list then
            # decides when it vanished, not a portal's.
            self.conn.execute(
                "insert into report_links (agency_id, url, title, link_date, list_url, first_seen_at,"
                " last_seen_at, first_run_id, last_run_id, via_agency_id, list_key)"
                " values (?,?,?,?,?,?,?,?,?,?,?)"
                " on conflict (agency_id, url) do update set last_seen_at = excluded.last_seen_at,"
                " last_run_id = excluded.last_run_id, title = excluded.title,"
                " link_date = coalesce(excluded.link_date, report_links.link_date), list_url = excluded.list_url,"
                " list_key = coalesce(excluded.list_key, report_links.list_key),"
                " removed_at = null, removed_run_id = null, via_agency_id = case when"
                " excluded.via_agency_id is null then null else report_links.via_agency_id end",
                [item.agency_id, item.url, item.title, item.date, item.list_url, now, now, run_id, run_id, via,
                 getattr(item, "list_key", None)])

    def upsert_discovered(self, row: dict) -> None:
        """The owner of a report a portal listed (crawler/portals.py): created when absent (a
        discovered agency under its stable id, or a registered one not crawled tonight); a discovered
        row gets its name and place refreshed, and keeps the portal it was first found on. A
        registered agency's row is never changed here."""
        cols = list(row)
        keep = ("id", "discovered_via")
        self.conn.execute(
            f"insert into agencies ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
            f" on conflict (id) do update set {', '.join(f'{c} = excluded.{c}' for c in cols if c not in keep)}"
            " where agencies.registry = 'discovered'", [row[c] for c in cols])
        if row.get("registry") != DISCOVERED:  # a registered owner: it may have been discovered before
            adopt_discovered(self.conn, row)

    def agency_health(self, row: dict, run_id: int) -> tuple[str, str | None]:
        """ok / failing, with the reason: zero report links, failed list pages, blocked, a crawl
        bound hit (list pages, links per page, depth, time budget: part of the site was not read), or
        fewer report links than the previous run (a redesigned site usually loses links, not all)."""
        if row.get("no_adapter"):
            return "failing", "no adapter for its platform yet"
        if row.get("blocked"):
            return "failing", "blocked by an anti-bot challenge"
        if row.get("bounds"):
            # a failed discovery or an unfollowed pager says so itself; the rest are crawl bounds
            said = row["bounds"].startswith(("discovery failed", "pager not followed"))
            return "failing", row["bounds"] if said else f"crawl bound hit: {row['bounds']}"
        # none read tonight is fine only when the list pages not re-read still hold links
        # (crawler/revalidate.py: a column whose pages show only old reports)
        if row["report_links"] + (row.get("portal_links") or 0) == 0 and not (
                row.get("list_pages_skipped") and row.get("links_listed")):
            return "failing", "no report links found"
        if row.get("list_errors"):
            return "failing", f"{row['list_errors']} list page(s) failed"
        prev = self.previous_agency_run(row["agency_id"], run_id)
        # links still listed (read tonight, or on list pages not re-read: crawler/revalidate.py)
        now_listed = row.get("links_listed", row["report_links"])
        before = prev and (prev.get("links_listed") if prev.get("links_listed") is not None else prev["report_links"])
        if prev and now_listed < (before or 0):
            return "failing", f"report links dropped from {before} to {now_listed}"
        if row.get("errors"):
            kinds = [f"{row[k]} {what}" for k, what in (("redirect_errors", "redirect loop(s) or too many redirects"),
                                                        ("refused", "refused by the fetch policy")) if row.get(k)]
            return "ok", f"{row['errors']} failed fetches" + (f" ({', '.join(kinds)})" if kinds else "")
        return "ok", None

    def finish_run(self, run_id: int, *, status: str, finish_reason: str, stats: dict,
                   agency_rows: list[dict]) -> list[dict]:
        def n(key):
            return int(stats.get(key, 0) or 0)

        now = utcnow()
        with self.transaction():
            for row in agency_rows:
                aid = row["agency_id"]
                row["new"] = self.conn.execute(
                    "select count(*) from report_links where agency_id = ? and first_run_id = ?",
                    [aid, run_id]).fetchone()[0]
                # per agency, by captures(agency_id, kind): "+" keeps SQLite off the run-id indexes,
                # which would scan the whole run's captures once per agency (quadratic in a night)
                row["changed"] = self.conn.execute(
                    "select count(*) from captures where agency_id = ? and kind = 'report' and ok = 1"
                    " and +first_run_id = ? and exists (select 1 from captures c2 where c2.request_key ="
                    " captures.request_key and c2.ok = 1 and c2.first_run_id < ?)", [aid, run_id, run_id]).fetchone()[0]
                removed = 0
                if row.get("lists_complete"):
                    # When pagination stopped early (crawl/revalidate.py), a link not seen is gone only
                    # if the list page it was last seen on was read tonight; the others are still listed.
                    partial = "" if not row.get("list_pages_skipped") else (
                        " and list_key in (select request_key from captures where agency_id = :aid"
                        " and kind = 'list' and ok = 1 and +last_run_id = :run)")
                    removed = self.conn.execute(
                        "update report_links set removed_at = :now, removed_run_id = :run where agency_id = :aid"
                        " and last_run_id < :run and removed_at is null" + partial,
                        {"now": now, "run": run_id, "aid": aid}).rowcount
                    # other agencies' reports this portal listed, and lists no more
                    removed += self.conn.execute(
                        "update report_links set removed_at = :now, removed_run_id = :run where via_agency_id = :aid"
                        " and last_run_id < :run and removed_at is null" + partial,
                        {"now": now, "run": run_id, "aid": aid}).rowcount
                # A report page that answered before and now answers 404/410 is gone too.
                removed += self.conn.execute(
                    "update report_links set removed_at = ?, removed_run_id = ? where agency_id = ?"
                    " and removed_at is null and url in (select url from captures where agency_id = ?"
                    " and kind = 'report' and status in (404, 410) and +last_run_id = ?) and exists"
                    " (select 1 from captures c2 where c2.url = report_links.url and c2.kind = 'report' and c2.ok = 1)",
                    [now, run_id, aid, aid, run_id]).rowcount
                # and so is one of another agency's reports this portal listed (its captures are the
                # owner's, which may be a discovered agency with no crawl of its own: crawler/portals.py)
                removed += self.conn.execute(
                    "update report_links set removed_at = :now, removed_run_id = :run where via_agency_id = :aid"
                    " and removed_at is null and exists (select 1 from captures c where c.url = report_links.url"
                    " and c.agency_id = report_links.agency_id and c.kind = 'report' and c.status in (404, 410)"
                    " and c.last_run_id = :run) and exists (select 1 from captures c2 where c2.url ="
                    " report_links.url and c2.kind = 'report' and c2.ok = 1)",
                    {"now": now, "run": run_id, "aid": aid}).rowcount
                row["removed"] = removed
                row["links_listed"] = self.conn.execute(
                    "select count(*) from report_links where agency_id = ? and removed_at is null"
                    " and via_agency_id is null", [aid]).fetchone()[0]
                row["status"], row["note"] = self.agency_health(row, run_id)
            new = self.conn.execute("select count(*) from captures where first_run_id = ?",
                                    [run_id]).fetchone()[0]
            seen = self.conn.execute(
                "select count(*) from captures where last_run_id = ? and first_run_id != ?",
                [run_id, run_id]).fetchone()[0]
            self.db["crawl_runs"].update(run_id, {
                "finished_at": now, "status": status, "finish_reason": finish_reason,
                "requests": n("downloader/request_count"),
                "responses": n("downloader/response_count"),
                "bytes_downloaded": n("downloader/response_bytes"),
                "captures_new": new, "captures_seen": seen,
                "reports_found": sum(r.get("report_links", 0) + r.get("portal_links", 0) for r in agency_rows),
                "errors": sum(r.get("errors", 0) for r in agency_rows),
                "revalidation": stats.get("nianbao/revalidation"),
                "stats": json.dumps(stats, default=str, ensure_ascii=False, sort_keys=True),
            })
            for row in agency_rows:
                self.db["agency_runs"].upsert(dict(row, run_id=run_id), pk=("run_id", "agency_id"))
        return agency_rows

    def mark_run_failed(self, run_id: int, reason: str) -> None:
        """The one small write left when a crawl stops because the archive cannot take more."""
        with self.transaction():
            self.conn.execute("update crawl_runs set status = 'failed', finish_reason = ?, finished_at = ?"
                              " where id = ?", [reason, utcnow(), run_id])

    def close_stale_runs(self) -> int:
        """Runs left 'running' by a killed crawl are marked so; their captures stay valid."""
        with self.transaction():
            return self.conn.execute(
                "update crawl_runs set status = 'killed', finish_reason = 'process died'"
                " where status = 'running'").rowcount

    def store_capture(self, item, run_id: int | None, sha: str | None = None) -> tuple[int, bool]:
        """Record one fetch. Returns (capture id, is_new). The same request answering the same bytes
        (or the same error) again updates the existing row; anything else is a new capture. ``sha``:
        the body already put in the blob store (the crawl does that off its one thread)."""
        if sha is None:
            sha = self.blobs.put(item.body) if item.body else None
        rkey = request_key(item.method, item.url, item.request_body)
        # kind is part of the answer's identity: a Hanweb year page is a list page and a report page.
        outcome = f"{item.kind}|{item.status or ''}|{sha or ''}|{item.error or ''}"
        now = item.fetched_at or utcnow()
        ctype = _first(item.headers.get("Content-Type")) if item.headers else None
        ok = int(item.error is None and item.status is not None and 200 <= item.status < 300)
        with self.transaction():
            row = self.conn.execute(
                "select id from captures where request_key = ? and outcome = ?",
                [rkey, outcome]).fetchone()
            if row:
                self.conn.execute(
                    "update captures set last_fetched_at = ?, last_run_id = ?, "
                    "fetch_count = fetch_count + 1, not_modified_count = not_modified_count + ?, "
                    "link_title = coalesce(link_title, ?), link_date = coalesce(link_date, ?) "
                    "where id = ?",
                    [now, run_id, int(item.not_modified), item.link_title, item.link_date, row[0]])
                return row[0], False
            row = {
                "agency_id": item.agency_id, "kind": item.kind, "url": item.url,
                "method": item.method, "request_key": rkey,
                "request_body": item.request_body.decode("utf-8", "replace") or None,
                "final_url": item.final_url, "status": item.status, "ok": ok,
                "error": item.error, "content_type": ctype,
                "headers": json.dumps(item.headers, ensure_ascii=False) if item.headers else None,
                "size": len(item.body), "sha256": sha, "link_title": item.link_title,
                "link_date": item.link_date, "referer": item.referer, "page": item.page,
                "parent_url": item.parent_url,
                "first_fetched_at": now, "last_fetched_at": now, "fetch_count": 1,
                "not_modified_count": int(item.not_modified),
                "first_run_id": run_id, "last_run_id": run_id, "outcome": outcome,
                "redirects": json.dumps(item.redirects, ensure_ascii=False) if item.redirects else None,
            }
            # a plain INSERT: sqlite-utils' insert reads the table's columns on every call
            cur = self.conn.execute(f"insert into captures ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                                    list(row.values()))
            return cur.lastrowid, True

    # ------------------------------------------------------------------ extract side
    READ_ORDER = "c.url, c.id"  # of report captures (ReportCaptures)

    def report_captures(self, upto: int | None = None) -> "ReportCaptures":
        """Successful fetches of report pages up to capture ``upto``, in the order extract reads them
        (:class:`ReportCaptures`), read from the archive in batches as they are used."""
        return ReportCaptures(self.path, upto)

    # -- incremental extract -------------------------------------------------------------

    RETRY_CODES = ("blob_missing", "blob_corrupt", "blob_unreadable", "extract_failed")

    def last_extract(self, extractor: str) -> dict | None:
        """The last finished extract run made by ``extractor`` (None: the next run is a full one)."""
        rows = list(self.db.query(
            "select * from extract_runs where finished_at is not null and extractor = ? order by id desc limit 1",
            [extractor]))
        return rows[0] if rows else None

    def start_extract(self, extractor: str, mode: str) -> dict:
        """Where this extract starts: every capture up to the newest now stored is its to read."""
        top = self.conn.execute("select coalesce(max(id), 0) from captures").fetchone()[0]
        crawl = self.conn.execute("select coalesce(max(id), 0) from crawl_runs").fetchone()[0]
        with self.transaction():
            rid = self.db["extract_runs"].insert({
                "started_at": utcnow(), "extractor": extractor, "mode": mode, "last_capture_id": top,
                "last_crawl_run_id": crawl}).last_pk
        return {"id": rid, "last_capture_id": top, "last_crawl_run_id": crawl}

    def finish_extract(self, run_id: int, counts: dict) -> None:
        with self.transaction():
            self.db["extract_runs"].update(run_id, {
                "finished_at": utcnow(), "captures": counts.get("captures"), "reports": counts.get("reports"),
                "problems": counts.get("problems"),
                "counts": json.dumps(counts, default=str, ensure_ascii=False, sort_keys=True)})

    def changed_report_captures(self, after: int, upto: int):
        """The report captures an incremental extract reads: those stored after capture ``after``
        (new pages and new versions), the latest of each page whose attachments changed, and those a
        damaged blob or a reader failure left unread last time. Every lookup is by index."""
        codes = {f"code{k}": c for k, c in enumerate(self.RETRY_CODES)}
        retry = ",".join(f":{k}" for k in codes)
        return list(self.db.query(
            f"""with pages(url) as (
                  select url from captures where id > :after and id <= :upto and kind = 'report' and ok = 1
                  union select parent_url from captures where id > :after and id <= :upto and kind = 'attachment'
                    and ok = 1 and parent_url is not null
                  union select c.url from problems p join captures c on c.id = p.capture_id
                    where p.code in ({retry}) and c.kind = 'report'
                  union select c.parent_url from problems p join captures c on c.id = p.capture_id
                    where p.code in ({retry}) and c.kind = 'attachment' and c.parent_url is not null
                ),
                retried(id) as (select capture_id from problems where code in ({retry}))
                select {REPORT_CAPTURE_COLUMNS} from pages join captures c on c.url = pages.url
                  join agencies a on a.id = c.agency_id
                where c.kind = 'report' and c.ok = 1 and c.sha256 is not null and c.id <= :upto
                  and (c.id > :after or c.id in (select id from retried)
                       or c.id = (select max(c2.id) from captures c2 where c2.url = c.url and c2.kind = 'report'
                                  and c2.ok = 1 and c2.sha256 is not null and c2.id <= :upto))
                order by {self.READ_ORDER}""", {"after": after, "upto": upto, **codes}))

    def sync_removed(self, since_crawl_run: int) -> int:
        """Reports whose link vanished from its list since crawl run ``since_crawl_run``, or came back,
        take the link's ``removed_at`` (an unchanged page is not re-read to learn it)."""
        with self.transaction():
            gone = self.conn.execute(
                "update reports set removed_at = (select l.removed_at from report_links l"
                " where l.agency_id = reports.agency_id and l.url = reports.url)"
                " where id in (select r.id from report_links l join reports r"
                " on r.agency_id = l.agency_id and r.url = l.url where l.removed_run_id > ?)",
                [since_crawl_run]).rowcount
            back = self.conn.execute(
                "update reports set removed_at = null where removed_at is not null and exists (select 1"
                " from report_links l where l.agency_id = reports.agency_id and l.url = reports.url"
                " and l.removed_at is null)").rowcount
        return gone + back

    def failing_checks(self) -> int:
        return self.conn.execute("select count(*) from checks where outcome = 'fail'").fetchone()[0]

    def _move_texts(self) -> None:
        """An archive whose reports rows hold their text: each text to ``report_texts``, the row
        keeps its excerpt (rewrites the reports table: minutes at a million reports)."""
        from extract.cjk import excerpt

        log.warning("moving report texts out of the reports table (once; minutes for a large archive)")
        self.conn.create_function("nb_excerpt", 1, excerpt, deterministic=True)
        if "excerpt" not in self.db["reports"].columns_dict:
            self.db["reports"].add_column("excerpt", str)
        self.conn.create_function("nb_pack", 1, packed_text.pack, deterministic=True)
        self.conn.execute("insert or replace into report_texts_zlib (report_id, z)"
                          " select id, nb_pack(text) from reports where text is not null")
        self.conn.execute("update reports set excerpt = nb_excerpt(text)")
        self.conn.execute("alter table reports drop column text")

    def _pack_texts(self) -> None:
        """An archive whose ``report_texts`` is a table of plain texts: packed into
        ``report_texts_zlib`` (extract/packed_text.py), the table replaced by the view."""
        log.warning("packing report texts (once; minutes for a large archive)")
        self.conn.create_function("nb_pack", 1, packed_text.pack, deterministic=True)
        self.conn.execute("insert or replace into report_texts_zlib (report_id, z)"
                          " select report_id, nb_pack(text) from report_texts")
        self.conn.execute("drop table report_texts")

    def save_report(self, row: dict) -> int:
        """Upsert one report version, keyed by (url, sha256), and renumber that URL's versions. Its
        ``text`` goes to ``report_texts``; the row keeps the opening (``excerpt``)."""
        from extract.cjk import excerpt

        row = dict(row)
        title, text = row.get("title"), row.pop("text", None)  # what the search index gets (below)
        row["excerpt"] = excerpt(text)
        with self.transaction():
            existing = self.conn.execute(
                "select id from reports where url = ? and sha256 = ?",
                [row["url"], row["sha256"]]).fetchone()
            if existing:
                # out of the contentless search index by the values it indexed, before they change
                self.unindex_report(existing[0])
                self.db["reports"].update(existing[0], row)
                rid = existing[0]
            else:
                rid = self.db["reports"].insert(row).last_pk
            versions = self.conn.execute(
                "select id from reports where url = ? order by fetched_at, id", [row["url"]]
            ).fetchall()
            for i, (vid,) in enumerate(versions, start=1):
                self.conn.execute(
                    "update reports set version = ?, is_current = ? where id = ?",
                    [i, int(i == len(versions)), vid])
            self.conn.execute("insert into report_texts_zlib (report_id, z) values (?, ?)"
                              " on conflict (report_id) do update set z = excluded.z", [rid, packed_text.pack(text)])
            # the report's search entry changes with it, in the same transaction: the index never
            # disagrees with the reports, whenever the process stops
            self.index_report(rid, title, text)
        return rid

    def save_tables(self, report_id: int, cells: list, checks: list, capture_id: int | None,
                    table_captures: dict[str, int] | None = None) -> None:
        """Replace a report's cells and checks (derived data: rebuilt on every extract). Each cell
        records the capture it was read from: ``table_captures`` for tables taken from an attachment."""
        table_captures = table_captures or {}
        with self.transaction():
            self.conn.execute("delete from cells where report_id = ?", [report_id])
            self.conn.executemany(
                f"insert into cells ({', '.join(derived_layout.CELLS_WRITTEN)})"
                f" values ({', '.join('?' * len(derived_layout.CELLS_WRITTEN))})",
                derived_layout.cell_rows(self.conn, report_id, cells, capture_id, table_captures))
            self.conn.execute("update reports set cells = ? where id = ?", [len(cells), report_id])
            self.save_checks(report_id, checks)

    def save_checks(self, report_id: int, checks: list) -> None:
        """Replace a report's check outcomes and its count of failures."""
        with self.transaction():
            derived_layout.write_checks(self.conn, report_id, checks)  # compact: crawler/derived_layout.py
            self.conn.execute("update reports set checks_failed = ? where id = ?",
                              [sum(c.outcome == "fail" for c in checks), report_id])

    def load_tables(self, report_id: int) -> dict:
        """A report's canonical tables rebuilt from its cells (table → row → col → value)."""
        out: dict = {}
        for t, r, c, v, _kind in self.conn.execute(
                'select "table", "row", col, value, kind from cells where report_id = ?', [report_id]):
            out.setdefault(t, {}).setdefault(r, {})[c] = v
        return out

    def save_problem(self, *, agency_id, capture_id, url, stage, code, message,
                     report_id=None) -> None:
        with self.transaction():
            self.conn.execute(
                "insert into problems (agency_id, capture_id, report_id, url, stage, code, message,"
                " created_at) values (?,?,?,?,?,?,?,?) on conflict (capture_id, code) do update set"
                " message = excluded.message, report_id = excluded.report_id",
                [agency_id, capture_id, report_id, url, stage, code, message, utcnow()])

    def clear_extract_problems(self, capture_id: int, *, codes: tuple[str, ...] | None = None) -> None:
        """Forget what the last extract recorded about a capture before recording what this one
        finds: every problem of the extract's stages, or only those with one of ``codes``."""
        if codes:
            where, args = f"code in ({','.join('?' * len(codes))})", list(codes)
        else:
            where, args = "stage in ('extract', 'tables', 'attachment', 'blob')", []
        with self.transaction():
            self.conn.execute(f"delete from problems where capture_id = ? and {where}", [capture_id, *args])

    FTS_CREATE = derived_layout.FTS_CREATE  # contentless: crawler/derived_layout.py

    def ensure_fts(self) -> None:
        """The full-text index exists (empty on an archive never extracted), so that every report
        saved gets its entry in the same transaction (:meth:`index_report`)."""
        with self.transaction():
            if not self._has_fts():
                self.conn.execute(self.FTS_CREATE.format(name="reports_fts"))

    def _has_fts(self) -> bool:
        return self.conn.execute(
            "select 1 from sqlite_master where name = 'reports_fts'").fetchone() is not None

    def index_report(self, report_id: int, title: str | None, text: str | None) -> None:
        """Replace one report's entry in the full-text index (when the index exists). An entry made
        from other values must have been taken out first (:meth:`unindex_report`, before the row changed)."""
        with self.transaction():
            if not self._has_fts():
                return
            derived_layout.unindex(self.conn, report_id)  # the row as it is: an entry of these same values
            derived_layout.index(self.conn, report_id, title, text)

    def unindex_report(self, report_id: int) -> None:
        """Take a report out of the search index, by its stored title and text: call it before they
        change or the row is deleted (a contentless index cannot find a row's words by itself)."""
        with self.transaction():
            if self._has_fts():
                derived_layout.unindex(self.conn, report_id)

    def rebuild_fts(self) -> int:
        """Rebuild the Chinese full-text index from reports (rowid = reports.id).

        CJK text is indexed one character per token (see extract.cjk), so that a two-character word
        such as 民政 is found as an adjacent pair; the Datasette plugin rewrites queries to match.

        Built beside the live index and swapped in by rename, all in one transaction: readers see
        the old index until the commit, and a process killed half-way leaves the old one whole.
        """
        from extract.cjk import segment

        with self.transaction():
            self.conn.execute("drop table if exists reports_fts_new")
            self.conn.execute(self.FTS_CREATE.format(name="reports_fts_new"))
            # streamed from a cursor: every text held at once would take gigabytes at a million reports
            rows = self.conn.cursor().execute("select r.id, r.title, t.text from reports r"
                                              " left join report_texts t on t.report_id = r.id")
            indexed = 0

            def segmented():
                nonlocal indexed
                for rid, title, text in rows:
                    indexed += 1
                    yield rid, segment(title or ""), segment(text or "")

            self.conn.executemany("insert into reports_fts_new (rowid, title, text) values (?, ?, ?)", segmented())
            self.conn.execute("drop table if exists reports_fts")
            self.conn.execute("alter table reports_fts_new rename to reports_fts")
        return indexed


def known_links(conn: sqlite3.Connection, agency_id: str, url: str | None = None) -> list[tuple]:
    """What the crawl knows of the report links an agency's lists showed (its own, and other
    agencies' a portal listed), for the revalidation policy (crawler/revalidate.py): (url, owner
    agency id, title, link_date, list_key, removed, settled, listed_ok: last seen in a run that
    finished, so the lists around it were read whole, or in the run in progress (the newest, still
    running: the crawl and the distributed writer mark killed runs before they start theirs), on
    another agency's list read earlier tonight, a portal's or its owner's; without that, whichever
    of a portal and its department was read second went on past its first list page). ``settled``: the page's latest fetch got an answer that
    is not transient (a page, or a 404/410 that says it is gone), in a run that finished, and none of
    its attachments failed transiently (5xx, 408, 429, no answer) in that fetch's run; an unsettled
    page is fetched again whatever the rotation says (a passing error, a killed crawl).

    One agency's links by index (report_links' primary key and via_agency_id; captures by url and
    parent_url), never a scan of the table. With ``url``: that link whoever owns it (a portal's list
    shows reports another agency's own list shows too), by report_links(url)."""
    links = ("""select url, agency_id, title, link_date, list_key, removed_at, last_run_id from report_links
               where url = :u""" if url is not None else
             """select url, agency_id, title, link_date, list_key, removed_at, last_run_id from report_links
               where agency_id = :a
             union all select url, agency_id, title, link_date, list_key, removed_at, last_run_id from report_links
               where via_agency_id = :a and agency_id != :a""")
    return conn.execute(
        f"""with links as ({links}),
           latest as (
             select l.*, (select c.id from captures c where c.url = l.url and c.kind = 'report'
                          order by c.last_run_id desc, c.id desc limit 1) as cid from links l)
           select t.url, t.agency_id, t.title, t.link_date, t.list_key, t.removed_at is not null,
             coalesce((c.ok = 1 or c.status in (404, 410)) and r.status = 'finished' and not exists (
               select 1 from captures x where x.parent_url = t.url and x.ok = 0
                 and x.last_run_id = c.last_run_id
                 and (x.status is null or x.status >= 500 or x.status in (408, 429))), 0),
             coalesce((select lr.status = 'finished'
                         or (lr.status = 'running' and lr.id = (select max(id) from crawl_runs))
                       from crawl_runs lr where lr.id = t.last_run_id), 0)
           from latest t left join captures c on c.id = t.cid left join crawl_runs r on r.id = c.last_run_id""",
        {"a": agency_id, "u": url}).fetchall()


def list_page_read(conn: sqlite3.Connection, key: str) -> bool:
    """Did a run that finished read this list page (its request key) with success? By the captures'
    request_key index."""
    return conn.execute(
        "select exists (select 1 from captures c join crawl_runs r on r.id = c.last_run_id"
        " where c.request_key = ? and c.kind = 'list' and c.ok = 1 and r.status = 'finished')",
        [key]).fetchone()[0] == 1


def describe_write_error(e: BaseException, db_path: str | Path | None = None) -> str:
    """Why the archive (database or blob store) could not be written, in one line for an operator.
    SQLite's own words are vague ("unable to open database file"), so for its errors the database's
    directory is looked at too: a read-only file system or a full disk is named as such."""

    if isinstance(e, OSError):
        where = f": {e.filename}" if e.filename else ""
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"disk full{where}"
        if e.errno == errno.EROFS:
            return f"read-only file system{where}"
        if e.errno in (errno.EACCES, errno.EPERM):
            return f"permission denied{where}"
        return f"{e.strerror or e}{where}"
    msg = str(e)
    if "full" in msg:
        return f"disk full (SQLite: {msg})"
    if db_path is not None:
        where = Path(db_path).resolve().parent
        try:
            fs = os.statvfs(where)
        except OSError:
            fs = None
        if fs is not None and fs.f_flag & os.ST_RDONLY:
            return f"read-only file system: {where} (SQLite: {msg})"
        if fs is not None and fs.f_bavail * fs.f_frsize < 1024 * 1024:
            return f"disk full: {where} (SQLite: {msg})"
        if Path(db_path).exists() and not os.access(db_path, os.W_OK):
            return f"the database file is read-only: {db_path} (SQLite: {msg})"
    if "readonly" in msg or "read-only" in msg:
        return f"the database is read-only (SQLite: {msg})"
    return f"database error (SQLite: {msg})"


# the report's own columns that open each row of the wide table, and their Chinese headers
FIGURES_REPORT_COLUMNS = (("id", "报告编号"), ("agency", "机构"), ("province", "省份"), ("city", "城市"),
                          ("county", "区县"), ("level", "层级"), ("year", "年度"), ("template", "表格版本"),
                          ("published", "发布日期"), ("checks_failed", "不符的核对项"), ("url", "原文链接"))


def report_figures_sql(only: str = "") -> str:
    """The wide table a researcher opens in Excel or pandas: one row per current report, one column
    per cell of any template, headed by its Chinese labels (``extract.schema.cell_labels``).
    ``only``: a further condition on the report ``r`` (the triggers of :meth:`Archive.ensure_figures`
    compute one report's row with it).

    One pass over each report's cells (the primary key starts with report_id), so it streams."""
    from extract import schema

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    cols = [f"r.{column} as {q(header)}" for column, header in FIGURES_REPORT_COLUMNS]
    keys = derived_layout.cell_keys()  # by the stored key, not the generated codes (20× faster)
    for c in schema.cell_labels():
        cols.append(f"max(case when c.key = {keys[c.table, c.row, c.col]} then c.value end) as {q(c.header)}")
    # Grouping by every report column shown (r.id alone decides them) lets SQLite push a filter on any
    # of them (年度, 机构, 省份 …) into the view, so a filtered download reads only those reports' cells.
    return ("select " + ",\n       ".join(cols) + "\nfrom reports r left join cells c on c.report_id = r.id"
            "\nwhere r.is_current = 1" + (f" and {only}" if only else "") +
            "\ngroup by r.id, r.agency, r.province, r.city, r.county, r.level, r.year, r.template, r.published,"
            " r.checks_failed, r.url")


class ReportCaptures:
    """Every successful report capture, in the order a full extract reads them, a batch at a time.

    The order: the agency's own pages first, then the copies portals list (so the own URL is the one
    kept, crawler/portals.py); within each, by address, and each address's versions oldest first (so
    they number in time order). Not in fetch order: when one report is at two addresses, the one read
    first keeps it and the other is remembered beside it, and fetch order differs between two crawls
    of the same web (workers of a distributed crawl, a crawl killed and resumed) where the addresses
    do not.

    Why batches: at a million reports the rows are gigabytes. Each iteration (the writer's, and the
    read-ahead thread's: :class:`crawler.extract_step.ReadAhead`) pages through the URL index with
    its own read-only connection, a short read per batch, so no read transaction stays open for the
    whole run (one would stop WAL checkpoints, and the WAL would grow by everything extract writes).
    Each row carries ``found_via``, the portal whose list showed it (None: the agency's own list)."""

    BATCH = 500
    SELECT = f"select {REPORT_CAPTURE_COLUMNS} from captures c join agencies a on a.id = c.agency_id"
    WHERE = "c.kind = 'report' and c.ok = 1 and c.sha256 is not null and c.id <= :upto"

    def __init__(self, path: Path, upto: int | None = None):
        self.path = path
        conn = self._connect()
        try:
            self.upto = upto if upto is not None else conn.execute(
                "select coalesce(max(id), 0) from captures").fetchone()[0]
            self.count = conn.execute(f"select count(*) from captures c where {self.WHERE}",
                                      {"upto": self.upto}).fetchone()[0]
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=60)
        conn.row_factory = sqlite3.Row
        return conn

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        """One pass over the URL index yields the own pages; the portal copies' (url, id) are kept
        (decided once, whatever a crawl running meanwhile changes) and read afterwards by id."""
        conn = self._connect()
        copies: list[tuple[str, int]] = []
        try:
            after: tuple = ("", 0)
            while True:
                rows = conn.execute(
                    f"{self.SELECT} where {self.WHERE} and (c.url, c.id) > (:url, :id)"
                    f" order by {Archive.READ_ORDER} limit {self.BATCH}",
                    {"upto": self.upto, "url": after[0], "id": after[1]}).fetchall()
                for r in rows:
                    if r["found_via"] is None:
                        yield dict(r)
                    else:
                        copies.append((r["url"], r["id"]))
                if len(rows) < self.BATCH:
                    break
                after = (rows[-1]["url"], rows[-1]["id"])
            copies.sort()
            for i in range(0, len(copies), self.BATCH):
                ids = [cid for _url, cid in copies[i:i + self.BATCH]]
                rows = conn.execute(f"{self.SELECT} where c.id in ({','.join('?' * len(ids))})"
                                    f" order by {Archive.READ_ORDER}", ids).fetchall()
                yield from (dict(r) for r in rows)
        finally:
            conn.close()


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, nestable (inner blocks join the outer transaction)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.owner = False

    def __enter__(self):
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.owner = True
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if not self.owner:
            return False
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except BaseException:  # e.g. the disk filled at commit: nothing of it stays
                self._rollback()
                raise
        else:
            self._rollback()
        return False

    def _rollback(self) -> None:
        # SQLite may have rolled back already (a full disk, an I/O error): the original error is the
        # one to report, not "no transaction is active".
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass


def _first(v):
    if isinstance(v, list):
        return v[0] if v else None
    return v
