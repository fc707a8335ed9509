"""The whole path against the replica: real server, real Scrapy, real SQLite, real Datasette.

Expected values come from the replica generator's ground truth (what it planted), never from the
code under test.
"""
from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest

from tests.conftest import query, run_cli


rows = query


def squash(text: str) -> str:
    """Compare text ignoring whitespace (line breaks fall differently in extracted text)."""
    return re.sub(r"\s+", "", (text or "").replace("\u3000", "").replace("\xa0", ""))


def planted(truth, replica):
    return {replica.url(r.host, r.path): r for r in truth.reports if r.reachable}


def stored_url(got: dict, replica, r) -> str | None:
    """Where the archive keeps planted report r: its URL, or one of the other URLs serving the
    same report (one report reached twice is stored once)."""
    for path in [r.path, *getattr(r, "also_at", [])]:
        url = replica.url(r.host, path)
        if url in got:
            return url
    return None


def test_every_planted_report_is_archived_with_agency_and_year(crawled, truth, replica):
    want = planted(truth, replica)
    got = {r["url"]: r for r in rows(crawled["db"], "select * from reports where is_current = 1")}
    missing = sorted(url for url, r in want.items() if stored_url(got, replica, r) is None)
    assert not missing, f"{len(missing)} planted reports not archived: {missing[:5]}"
    for url, r in want.items():
        row = got[stored_url(got, replica, r)]
        assert row["agency_id"] == r.agency_id, url
        assert row["year"] == r.year, (url, row["title"])
        assert row["published"] == r.published, url
        assert squash(row["title"]) == squash(r.title)
    per_agency = {r.agency_id for r in want.values()}
    blocked = set(truth.blocked_ids())
    assert blocked, "the replica plants blocked agencies"
    # agencies discovered on portals' lists are checked against the truth in test_shared_portals.py
    registered = rows(crawled["db"], "select id from agencies where registry != 'discovered'")
    assert per_agency | blocked == {a["id"] for a in registered}


def test_blocked_agencies_show_as_blocked(crawled, truth):
    runs = {r["agency_id"]: r for r in rows(crawled["db"], "select * from agency_runs where run_id = 1")}
    for b in truth.blocked:
        assert runs[b.agency_id]["status"] == "failing"
        assert "blocked" in runs[b.agency_id]["note"]
        errs = rows(crawled["db"], "select error from captures where agency_id = ? and ok = 0", [b.agency_id])
        assert errs and all("challenge" in e["error"] for e in errs)
    assert not rows(crawled["db"], "select id from reports where agency_id in (%s)"
                    % ",".join("?" * len(truth.blocked)), [b.agency_id for b in truth.blocked])


def test_no_non_report_is_stored_as_a_report(crawled, truth, replica):
    want = planted(truth, replica)
    stored = [r["url"] for r in rows(crawled["db"], "select url from reports")]
    assert len(stored) == len(set(stored)), "duplicate report rows"
    allowed = set(want) | {replica.url(r.host, p) for r in want.values() for p in getattr(r, "also_at", [])}
    # another agency's report on a portal's list is that agency's report (test_shared_portals.py)
    portal = {replica.url(r.host, r.path) for r in truth.portal_reports if r.reachable}
    extra = sorted(set(stored) - allowed - portal)
    assert not extra, f"stored as reports but not planted as reachable reports: {extra[:5]}"
    non = {replica.url(n.host, n.path) for n in truth.non_reports} - portal
    assert not non & set(stored)


def test_text_has_all_headings_and_paragraphs_and_no_chrome(crawled, truth, replica):
    got = {r["url"]: r for r in rows(crawled["db"], "select r.url, t.text from reports r left join report_texts t on t.report_id = r.id")}
    assert truth.chrome, "the replica declares its chrome strings"
    for url, r in planted(truth, replica).items():
        text = got[stored_url(got, replica, r)]["text"]
        flat = squash(text)
        for h in r.headings:
            assert squash(h) in flat, f"heading {h!r} missing from {url}"
        for p in r.paragraphs:
            assert squash(p) in flat, f"paragraph {p[:30]!r}… missing from {url}"
        for chrome in truth.chrome:
            assert squash(chrome) not in flat, f"chrome {chrome!r} in stored text of {url}"


def test_bad_input_is_recorded_with_its_reason(crawled, truth, replica):
    caps = rows(crawled["db"], "select * from captures")
    by_url = {}
    for c in caps:
        by_url.setdefault(c["url"], []).append(c)
    problems = rows(crawled["db"], "select p.*, c.url as curl from problems p join captures c on c.id = p.capture_id")
    kinds = {b.kind for b in truth.bad}
    assert {"404", "500", "undecodable"} <= kinds
    for bad in truth.bad:
        url = replica.url(bad.host, bad.path)
        assert url in by_url, f"bad input {bad.kind} at {url} not recorded at all"
        if bad.kind == "404":
            assert any(c["status"] == 404 and c["error"] and not c["ok"] for c in by_url[url])
        elif bad.kind == "500":
            assert any(c["status"] == 500 and "500" in c["error"] for c in by_url[url])
        elif bad.kind == "undecodable":
            assert any(p["curl"] == url and p["code"] == "undecodable" and p["message"] for p in problems)
            assert url not in {r["url"] for r in rows(crawled["db"], "select url from reports")}
        elif bad.kind == "transient_500":
            assert any(c["ok"] for c in by_url[url]), "a transient 500 should succeed on retry"
    # the crawl went on: every agency still produced its reports (checked above), and the run finished
    run = rows(crawled["db"], "select * from crawl_runs order by id desc limit 1")[0]
    assert run["status"] == "finished" and run["finished_at"]
    assert run["errors"] >= 2


def test_captures_keep_bytes_headers_and_hash(crawled):
    import hashlib

    from crawler.blobs import BlobStore

    blobs = BlobStore(crawled["dir"] / "data" / "blobs")
    caps = rows(crawled["db"], "select * from captures where sha256 is not null")
    assert caps
    for c in caps[:50]:
        data = blobs.get(c["sha256"])
        assert hashlib.sha256(data).hexdigest() == c["sha256"] and len(data) == c["size"]
        assert json.loads(c["headers"])
        assert c["first_fetched_at"] and c["first_run_id"]


def test_rerunning_crawl_and_extract_duplicates_nothing(crawled, replica, tmp_path):
    # on a copy: the session's archive is served immutable (Datasette -i) to the other tests, and
    # an immutable database must not change under its reader (`nianbao serve` restarts instead)
    import sqlite3

    db = str(tmp_path / "archive.db")
    with sqlite3.connect(crawled["db"]) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    blobs = str(crawled["dir"] / "data" / "blobs")  # content-addressed: shared, written idempotently
    count = lambda t: rows(db, f"select count(*) n from {t}")[0]["n"]  # noqa: E731
    before = {t: count(t) for t in ("reports", "captures", "problems", "agencies")}
    # every known page asked again (NIANBAO_REVALIDATE_DAYS=1; the nightly rotation, which asks only
    # a share, is tests/test_revalidation.py's)
    run_cli("crawl", "--registry", "replica", "--port", str(replica.port), "--db", db, "--blobs", blobs,
            "--log-level", "WARNING", "-s", "NIANBAO_REVALIDATE_DAYS=1")
    run_cli("extract", "--db", db, "--blobs", blobs, "--no-progress")
    after = {t: count(t) for t in ("reports", "captures", "problems", "agencies")}
    assert after == before
    assert count("crawl_runs") == 2
    seen = rows(db, "select count(*) n from captures where fetch_count >= 2")[0]["n"]
    assert seen > 0
    # The second run revalidated instead of downloading: every report page answered 304.
    ok_reports = rows(db, "select not_modified_count from captures where kind = 'report' and ok = 1")
    assert ok_reports and all(r["not_modified_count"] >= 1 for r in ok_reports)
    first, second = rows(db, "select bytes_downloaded from crawl_runs order by id")
    print(f"bytes downloaded: first run {first['bytes_downloaded']}, second {second['bytes_downloaded']}")
    assert second["bytes_downloaded"] <= 0.05 * first["bytes_downloaded"]


# ---------------------------------------------------------------- Datasette

def get_json(base, path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        return json.loads(r.read().decode("utf-8"))


def body_text(web, report) -> str:
    """The planted body's text, read from the replica's own page with lxml (not our extractor);
    for a page that only wraps its document, the planted headings and paragraphs."""
    parts = [report.title, web.report_body(report)]
    if report.text_source == "attachment":
        parts += report.headings + report.paragraphs
    return squash(" ".join(parts))


def test_datasette_faceted_query_by_province_and_year(datasette_url, truth):
    data = get_json(datasette_url, "/archive/reports.json", _facet="province", _facet_2="year",
                    province="江苏省", year="2022", _shape="objects", is_current="1")
    want = {(r.agency_id, r.year) for r in truth.reports
            if r.reachable and r.year == 2022 and r.agency_id in ("binhu-mzj", "jiangsu-mzt")}
    got = {(r["agency_id"], r["year"]) for r in data["rows"]}
    assert got == want
    facets = data["facet_results"]
    assert "province" in facets and "year" in facets


@pytest.mark.parametrize("term", ["民政", "复议", "行政复议"])
def test_datasette_chinese_full_text_search(datasette_url, truth, replica, crawled, term):
    web = replica.web
    stored = {r["url"]: r["id"] for r in rows(crawled["db"], "select id, url from reports")}
    want = set()
    # reports of other agencies on portals count too, unless they are copies of an own-site report
    for r in [*truth.reports, *(p for p in truth.portal_reports if p.own_at is None)]:
        if r.reachable and term in body_text(web, r):
            want.add(stored[stored_url(stored, replica, r)])
    data = get_json(datasette_url, "/archive/reports.json", _search=term, _shape="array",
                    _col="id", _size="max")
    got = {r["id"] for r in data}
    assert got == want, f"{term}: extra {got - want}, missing {want - got}"


def test_datasette_search_term_absent_from_every_report(datasette_url):
    data = get_json(datasette_url, "/archive/reports.json", _search="鲲鹏展翅", _shape="array")
    assert data == []


def test_datasette_csv_download(datasette_url):
    with urllib.request.urlopen(datasette_url + "/archive/reports.csv?_size=max", timeout=30) as r:
        text = r.read().decode("utf-8")
    header = text.splitlines()[0].split(",")
    assert {"agency", "province", "year", "title", "url"} <= set(header)


def test_tables_published_as_pictures_are_fetched_and_nothing_else(crawled, truth, replica):
    """The crawl fetches a report body's images only where its tables are missing: the pictures of
    the image-table report, and no picture of any report whose tables are HTML."""
    import lxml.html

    pictured = [r for r in truth.reports if r.reachable and r.tables_as_images]
    assert pictured, "the replica plants a report whose tables are images"
    images = rows(crawled["db"], "select url, parent_url, content_type from captures"
                                 " where kind = 'attachment' and content_type like 'image/%'")
    for r in pictured:
        status, _, body = replica.web.handle("GET", r.host, r.path)
        page = lxml.html.fromstring(body.decode(r.encoding))
        srcs = page.xpath(r.container + "//img/@src")
        want = {urllib.parse.urljoin(replica.url(r.host, r.path), s) for s in srcs}
        got = {i["url"] for i in images if i["parent_url"] == replica.url(r.host, r.path)}
        assert want and want == got
    with_html = {replica.url(r.host, r.path) for r in truth.reports
                 if r.reachable and r.tables and not r.tables_as_images}
    assert not [i for i in images if i["parent_url"] in with_html]


def test_tables_published_as_pictures_are_read_by_ocr(crawled, truth, replica, cjk_font):
    """The image-table report (as the real 江苏省民政厅 2022 report) now yields its tables: every
    planted number read from the pictures, marked as read from them, or left empty and flagged."""
    r = next(r for r in truth.reports if r.reachable and r.tables_as_images)
    rep = rows(crawled["db"], "select id, tables_from, tables_found from reports where url = ? and is_current = 1",
               [replica.url(r.host, r.path)])[0]
    assert rep["tables_from"] == "attachment (image)" and rep["tables_found"] == "active,requests,appeals"
    cells = {(c["table"], c["row"], c["col"]): c for c in rows(
        crawled["db"], 'select "table", "row", col, value, kind, source, confidence from cells where report_id = ?',
        [rep["id"]])}
    assert all(c["source"] == "ocr" and 0 <= c["confidence"] <= 1 for c in cells.values())
    wrong = [(t, row, c, v, cells.get((t, row, c), {}).get("value", "MISSING"))
             for t, rs in r.tables.items() for row, cs in rs.items() for c, v in cs.items()
             if cells.get((t, row, c), {}).get("value", "MISSING") != v]
    assert wrong == []
    codes = {p["code"] for p in rows(crawled["db"], "select code from problems where report_id = ?", [rep["id"]])}
    assert "tables_by_ocr" in codes and "tables_as_images" not in codes
