"""The compact layout of the tables extract derives (crawler/derived_layout.py).

An archive written in the older layout (rowid tables, a search index with its own copy of the text)
upgrades in place when opened, keeping every cell, check and index entry; the contentless search
index forgets a report's old words when the report changes or goes, so no search finds it by them."""
from __future__ import annotations

import json
import random
import sqlite3

from crawler.archive import Archive
from extract import schema
from extract.checks import run_checks
from extract import packed_text
from extract.cjk import match_query, segment
from extract.tables import CellRecord
from tests.fts_entries import expected_entries, index_entries

# the layout archives had before (issue 13): what an archive in the field still holds
OLD_LAYOUT = {
    "cells": 'create table cells (report_id integer references reports(id), "table" text, "row" text, col text,'
             ' raw text, value numeric, kind text, note text, capture_id integer references captures(id),'
             ' source text, confidence real, primary key (report_id, "table", "row", col))',
    "checks": "create table checks (report_id integer references reports(id), rule text, scope text,"
              " outcome text, detail text, compared text, explanation text, primary key (report_id, rule, scope))",
}
OLD_COLUMNS = {"cells": ("report_id", '"table"', '"row"', "col", "raw", "value", "kind", "note", "capture_id",
                         "source", "confidence"),
               "checks": ("report_id", "rule", "scope", "outcome", "detail", "compared", "explanation")}
OLD_FTS = "create virtual table reports_fts using fts5(title, text, tokenize = 'unicode61 remove_diacritics 2')"


def _report(archive: Archive, k: int, text: str, rng: random.Random) -> int:
    url = f"http://example.invalid/{k}.html"
    rid = archive.save_report({
        "agency_id": "test-agency", "agency": "测试局", "province": "安徽省", "level": "county", "year": 2022,
        "title": f"测试局2022年政府信息公开工作年度报告（{k}）", "url": url, "sha256": f"{k:064x}",
        "text": text, "template": schema.T2021, "fetched_at": f"2023-01-{k + 1:02d}T00:00:00Z"})
    cells, tables = [], {}
    for c in schema.cell_labels():
        if schema.T2021 not in c.templates:
            continue
        v = rng.choice((None, 0, rng.randint(1, 500), round(rng.uniform(0, 99), 2)))
        cells.append(CellRecord(c.table, c.row, c.col, "" if v is None else str(v), v,
                                "blank" if v is None else "number"))
        tables.setdefault(c.table, {}).setdefault(c.row, {})[c.col] = v
    if k == 0:  # a cell the schema has no place for is kept too, under its own codes
        cells.append(CellRecord("requests", "not_in_schema", "total", "7", 7, "number"))
    archive.save_tables(rid, cells, run_checks(tables, schema.T2021), None)
    return rid


def _archive(tmp_path) -> Archive:
    archive = Archive(tmp_path / "archive.db", blobs_dir=tmp_path / "blobs")
    archive.ensure_fts()
    archive.db["agencies"].insert({"id": "test-agency", "name": "测试局", "province": "安徽省", "level": "county",
                                   "platform": "generic", "start_url": "http://example.invalid/"})
    return archive


def _rows(conn, table: str) -> list[tuple]:
    return sorted(conn.execute(f"select * from {table}").fetchall(), key=repr)


def _to_old_layout(db) -> None:
    """Rewrite an archive as the older code left it: rowid tables, spaced JSON, an index with content."""
    conn = sqlite3.connect(db, isolation_level=None)
    packed_text.register(conn)
    conn.execute("pragma legacy_alter_table = on")
    conn.execute("begin")
    for table, create in OLD_LAYOUT.items():
        conn.execute(f"alter table {table} rename to {table}_x")
        conn.execute(create)
        cols = ", ".join(OLD_COLUMNS[table])
        conn.execute(f"insert into {table} ({cols}) select {cols} from {table}_x")
        conn.execute(f"drop table {table}_x")
    conn.executemany("update checks set compared = ? where report_id = ? and rule = ? and scope = ?", [
        (json.dumps(json.loads(c), ensure_ascii=False), *k) for *k, c in
        conn.execute("select report_id, rule, scope, compared from checks").fetchall()])
    conn.execute("drop table reports_fts")
    conn.execute(OLD_FTS)
    conn.executemany("insert into reports_fts (rowid, title, text) values (?, ?, ?)", [
        (rid, segment(t), segment(x)) for rid, t, x in conn.execute("select r.id, r.title, t.text from reports r left join report_texts t on t.report_id = r.id").fetchall()])
    conn.execute("create index checks_failing on checks(report_id) where outcome = 'fail'")
    conn.execute("commit")
    conn.close()


def test_an_older_archive_upgrades_in_place_keeping_every_cell_check_and_search_entry(tmp_path):
    rng = random.Random(13)
    archive = _archive(tmp_path)
    for k in range(6):
        _report(archive, k, f"本机关办理殡葬管理和婚姻登记事项{k}。行政复议案件{k}件。", rng)
    db = archive.path
    conn = archive.conn
    cells, checks = _rows(conn, "cells"), _rows(conn, "checks")
    figures = _rows(conn, "report_figures")
    assert len(cells) > 500 and len(checks) > 100 and any(c[3] == "fail" for c in checks)
    archive.close()
    _to_old_layout(db)
    old = sqlite3.connect(db)
    assert "without rowid" not in old.execute("select sql from sqlite_master where name = 'cells'").fetchone()[0]
    assert all(", " in c[5] or c[5] == "{}" for c in _rows(old, "checks"))
    old.close()

    archive = Archive(db, blobs_dir=tmp_path / "blobs")  # the upgrade
    conn = archive.conn
    layout = dict(conn.execute("select name, lower(sql) from sqlite_master where name in"
                               " ('cells', 'checks', 'reports_fts')"))
    assert layout["cells"].endswith("without rowid") and layout["checks"].endswith("without rowid")
    assert "content = ''" in layout["reports_fts"]
    assert _rows(conn, "cells") == cells
    assert conn.execute('select raw from cells where "table" = ? and "row" = ? and col = ?',
                        ["requests", "not_in_schema", "total"]).fetchall() == [("7",)]
    assert _rows(conn, "checks") == checks, "every check, its compared numbers in the compact JSON written today"
    assert index_entries(db) == expected_entries(db)
    assert conn.execute("select count(*) from cell_values").fetchone()[0] == len(cells)
    assert conn.execute("select count(*) from checks where outcome = 'fail'").fetchone()[0] == sum(
        c[3] == "fail" for c in checks)
    assert "checks_failing" in {r[0] for r in conn.execute("select name from sqlite_master where type = 'index'")}
    # the wide table's triggers still read the cells: a report re-extracted keeps its row equal
    assert _rows(conn, "report_figures") == figures
    rid = cells[0][0]
    _report(archive, rid - 1, "重新提取", random.Random(14))
    row = conn.execute("select * from report_figures where 报告编号 = ?", [rid]).fetchone()
    assert row is not None and row != next(f for f in figures if f[0] == rid)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    archive.close()
    again = Archive(db, blobs_dir=tmp_path / "blobs")  # upgraded once: opening again rewrites nothing
    assert again.conn.execute("select count(*) from sqlite_master where name like '%old_layout%'").fetchone()[0] == 0
    again.close()


def test_a_changed_or_removed_report_leaves_no_stale_search_hit(tmp_path):
    rng = random.Random(7)
    archive = _archive(tmp_path)
    conn = archive.conn

    def hits(word: str) -> set[int]:
        return {r for r, in conn.execute("select rowid from reports_fts where reports_fts match ?", [match_query(word)])}

    a = _report(archive, 1, "本年度殡葬管理服务有序开展。", rng)
    b = _report(archive, 2, "婚姻登记便民服务。", rng)
    assert hits("殡葬") == {a} and hits("婚姻登记") == {b}
    _report(archive, 1, "本年度残疾人两项补贴发放到位。", rng)  # the same page re-extracted with other text
    assert hits("殡葬") == set(), "the old words of a changed report are gone from the index"
    assert hits("残疾人") == {a} and hits("测试局") == {a, b}
    assert index_entries(archive.path) == expected_entries(archive.path)
    with archive.transaction():  # a report deleted (a portal copy absorbed: crawler/portals.py)
        archive.unindex_report(b)
        conn.execute("delete from checks where report_id = ?", [b])
        conn.execute("delete from cells where report_id = ?", [b])
        conn.execute("delete from report_texts_zlib where report_id = ?", [b])
        conn.execute("delete from reports where id = ?", [b])
    archive.unindex_report(b)  # twice, or for a report never indexed: nothing happens
    assert hits("婚姻登记") == set() and hits("测试局") == {a}
    assert index_entries(archive.path) == expected_entries(archive.path)
    conn.execute("insert into reports_fts (reports_fts) values ('integrity-check')")
    archive.close()


def test_every_check_reads_back_as_written_numbers_coded_or_whole(tmp_path):
    """A check's compared numbers are kept without their names when SQLite prints them back exactly as
    written; any other (a float SQLite prints otherwise, text, an unknown rule) is kept whole."""
    from extract.checks import Check

    archive = _archive(tmp_path)
    rid = _report(archive, 1, "正文", random.Random(3))
    names = ("new_received", "carried_over", "handled_total", "carried_forward")
    checks = [Check("requests.balance", "total", "pass", "1 + 2 = 3 + 0", dict(zip(names, (1, 2, 3, 0)))),
              Check("requests.balance", "natural_person", "fail", "x", dict(zip(names, (0.1 + 0.2, 1.5, None, 7)))),
              Check("requests.balance", "business", "fail", "x", dict(zip(names, ("12.50", 2, 3, 1e20)))),
              Check("made.up", "somewhere", "pass", "y", {"a": 1})]
    with archive.transaction():
        archive.save_checks(rid, checks)
    got = {(r, s): (c, t) for r, s, c, t in archive.conn.execute(
        "select rule, scope, compared, terms from checks where report_id = ?", [rid])}
    assert {k: c for k, (c, _) in got.items()} == {
        (c.rule, c.scope): json.dumps(c.compared, ensure_ascii=False, separators=(",", ":")) for c in checks}
    assert got["requests.balance", "total"][1] is not None, "plain counts are stored without their names"
    assert got["requests.balance", "natural_person"][1] is None and got["made.up", "somewhere"][1] is None
    archive.close()


def _archive_of_texts(tmp_path, seed: int, line: str):
    """An archive of four reports, texts of 1 to 451 lines: its file, texts and search entries."""
    rng = random.Random(seed)
    archive = _archive(tmp_path)
    for k in range(4):
        _report(archive, k, line * (k * 150 + 1), rng)
    texts = dict(_rows(archive.conn, "report_texts"))
    entries = index_entries(archive.path)
    archive.close()
    return archive.path, texts, entries


def test_an_archive_with_texts_in_its_rows_moves_them_beside_once(tmp_path):
    """Archives made before kept each report's text in its ``reports`` row (a scan of reports read
    every text). Opened now, the texts move to ``report_texts``, each row keeps its excerpt, and the
    search index, made from those texts, is untouched."""
    from extract.cjk import excerpt

    db, texts, entries = _archive_of_texts(tmp_path, 5, "本机关2022年受理行政复议申请。\n")
    with sqlite3.connect(db) as conn:  # the layout before: the text in the row, nothing beside it
        packed_text.register(conn)
        conn.execute("alter table reports add column text text")
        conn.execute("update reports set text = (select text from report_texts where report_id = reports.id)")
        conn.execute("drop view report_texts")
        conn.execute("drop table report_texts_zlib")
        conn.execute("alter table reports drop column excerpt")
    conn.close()

    archive = Archive(db, blobs_dir=tmp_path / "blobs")
    columns = archive.db["reports"].columns_dict
    moved = dict(_rows(archive.conn, "report_texts"))
    excerpts = dict(archive.conn.execute("select id, excerpt from reports").fetchall())
    archive.close()
    assert "text" not in columns and "excerpt" in columns
    assert moved == texts and len(moved) == 4 and max(len(t) for t in moved.values()) > 4000
    assert excerpts == {rid: excerpt(t) for rid, t in texts.items()}
    assert index_entries(db) == entries == expected_entries(db)
    # opened again: nothing left to move
    again = Archive(db, blobs_dir=tmp_path / "blobs")
    assert dict(_rows(again.conn, "report_texts")) == texts
    again.close()


def test_an_archive_with_plain_texts_beside_its_rows_packs_them_once(tmp_path):
    """Archives made before kept the texts beside the rows as plain text (``report_texts`` a table).
    Opened now, each text is packed into ``report_texts_zlib`` (extract/packed_text.py), half the
    bytes or less, and reads back through the view exactly as written."""
    db, texts, entries = _archive_of_texts(tmp_path, 6, "本机关2022年受理行政复议申请，依法办结。\n")
    with sqlite3.connect(db) as conn:  # the layout before: a table of plain texts
        packed_text.register(conn)
        conn.execute("create table plain as select report_id, text from report_texts")
        conn.execute("drop view report_texts")
        conn.execute("drop table report_texts_zlib")
        conn.execute("create table report_texts (report_id integer primary key references reports(id), text text)")
        conn.execute("insert into report_texts select * from plain")
        conn.execute("drop table plain")
    conn.close()

    archive = Archive(db, blobs_dir=tmp_path / "blobs")
    kinds = dict(archive.conn.execute("select name, type from sqlite_master where name like 'report_texts%'"))
    packed = dict(archive.conn.execute("select report_id, length(z) from report_texts_zlib"))
    moved = dict(_rows(archive.conn, "report_texts"))
    archive.close()
    assert kinds == {"report_texts": "view", "report_texts_zlib": "table"}
    assert moved == texts and len(moved) == 4
    assert all(packed[rid] * 2 <= len(t.encode()) for rid, t in texts.items() if len(t) > 1000)
    assert index_entries(db) == entries == expected_entries(db)
    again = Archive(db, blobs_dir=tmp_path / "blobs")
    assert dict(_rows(again.conn, "report_texts")) == texts
    again.close()
