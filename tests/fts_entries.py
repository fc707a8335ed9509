"""What the search index holds, read from the index itself.

``reports_fts`` is contentless (crawler/derived_layout.py): it keeps no copy of the segmented text to
compare, so tests compare its entries, every (report, column, token, position), read through SQLite's
``fts5vocab``, with the entries that indexing every report's stored title and text afresh gives. Equal
entries mean the index finds each report by its current words and by no word it no longer has."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def _entries(conn: sqlite3.Connection, schema: str, table: str) -> list[tuple]:
    conn.execute(f"create virtual table temp.fts_vocab using fts5vocab({schema}, {table}, instance)")
    try:
        return sorted(conn.execute("select doc, col, term, offset from temp.fts_vocab"))
    finally:
        conn.execute("drop table temp.fts_vocab")


def _read(db: Path | str, read):
    from extract import packed_text

    conn = sqlite3.connect(db)
    packed_text.register(conn)  # the report_texts view
    try:
        return read(conn)
    finally:
        conn.close()


def index_entries(db: Path | str) -> list[tuple]:
    """(report id, column, token, position) of every entry of the archive's search index."""
    return _read(db, lambda conn: _entries(conn, "main", "reports_fts"))


def expected_entries(db: Path | str) -> list[tuple]:
    """The same, for an index made now from every report's stored title and text."""
    from crawler.derived_layout import FTS_CREATE
    from extract.cjk import segment

    def fresh(conn):
        conn.execute(FTS_CREATE.format(name="temp.fts_fresh"))
        conn.executemany("insert into temp.fts_fresh (rowid, title, text) values (?, ?, ?)", [
            (rid, segment(title or ""), segment(text or ""))
            for rid, title, text in conn.execute("select r.id, r.title, t.text from reports r left join report_texts t on t.report_id = r.id").fetchall()])
        return _entries(conn, "temp", "fts_fresh")
    return _read(db, fresh)


def entries_by_report(db: Path | str) -> list[tuple]:
    """The index's entries keyed by what identifies a report across archives (url, sha256), not its id."""
    ids = _read(db, lambda conn: {rid: (url, sha) for rid, url, sha in conn.execute("select id, url, sha256 from reports")})
    return sorted((*ids.get(doc, ("", "")), col, term, offset) for doc, col, term, offset in index_entries(db))
