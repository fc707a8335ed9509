"""The reader's search page does bounded work at any archive size.

A word found in nearly every report (行政复议) matches the whole archive; ranking, counting and
filtering every match would grow with the archive. The search page reads the most recently indexed
``RANK_SCAN`` matches, ranks and filters those, and says when there were more. Here the bound is
lowered to a handful so a small archive shows it; the expected sets are computed from the rows the
test wrote, by substring, never from the code under test.
"""
from __future__ import annotations

import asyncio
import random
import re
from urllib.parse import parse_qs, quote, urlsplit

import lxml.html
import pytest
import sqlite_utils
import yaml

from extract.cjk import FTS_TOKENIZE, segment
from extract import cjk
from publish import PLUGINS, TEMPLATES, pages
from tests.conftest import ROOT

PROVINCES = ("广东省", "江苏省", "四川省")
WORD = "行政复议"
RARE = "殡葬"  # in fewer reports, some times each


def make_reports(n: int = 40, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        has_word = rng.random() < 0.7
        body = ("本年度收到" + (f"{WORD}申请{rng.randint(1, 9)}件，" * rng.randint(1, 4) if has_word else "信息公开申请3件，")
                + "主动公开政府信息若干条。" + f"{RARE}管理服务有序开展。" * rng.choice((0, 0, 0, 1, 2, 3)))
        # some titles hold the word too (a report about it): a common word ranks them first
        topic = "行政复议和" if has_word and rng.random() < 0.25 else ""
        rows.append({"id": i, "title": f"第{i}号机关2022年{topic}政府信息公开工作年度报告", "agency": f"第{i}号机关",
                     "agency_id": f"a{i}", "year": 2022, "published": "2023-01-20",
                     "province": PROVINCES[i % 3], "text": body, "is_current": int(rng.random() < 0.9),
                     "url": f"http://example.invalid/{i}.html"})
    return rows


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    rows = make_reports()
    path = tmp_path_factory.mktemp("bounded") / "archive.db"
    db = sqlite_utils.Database(path)
    # as the archive keeps them: the row holds the opening of the text, report_texts the text
    db["reports"].insert_all([{k: v for k, v in r.items() if k != "text"} | {"excerpt": r["text"][:90]}
                              for r in rows], pk="id")
    db["report_texts"].insert_all([{"report_id": r["id"], "text": r["text"]} for r in rows], pk="report_id")
    db.execute(f"create virtual table reports_fts using fts5(title, text, tokenize='{FTS_TOKENIZE}')")
    db.conn.executemany("insert into reports_fts(rowid, title, text) values (?, ?, ?)",
                        [(r["id"], segment(r["title"]), segment(r["text"])) for r in rows])
    db.conn.commit()
    db.close()
    from datasette.app import Datasette

    # the canned search as the project publishes it (metadata.yml)
    canned = yaml.safe_load((ROOT / "metadata.yml").read_text())["databases"]["archive"]["queries"]["search"]
    meta = {"databases": {"archive": {"tables": {"reports": {"fts_table": "reports_fts", "fts_pk": "id"}},
                                      "queries": {"search": {"sql": canned["sql"]}}}}}
    return rows, Datasette([str(path)], metadata=meta, plugins_dir=str(PLUGINS), template_dir=str(TEMPLATES))


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


def listed(html: str) -> list[int]:
    return [int(i) for i in lxml.html.fromstring(html).xpath('//ol[@class="nb-results"]/li/@data-report')]


def newest_matches(rows, scan: int) -> list[dict]:
    """The ``scan`` highest ids among all reports (any version) holding the word: what the page reads."""
    hits = sorted((r for r in rows if WORD in r["text"]), key=lambda r: -r["id"])
    return hits[:scan]


def test_the_reports_table_search_box_leads_to_the_search_page(archive):
    _, ds = archive
    r = get(ds, f"/archive/reports?_search={quote(WORD)}&province={quote('广东省')}&_sort=id")
    assert r.status_code == 302
    target = urlsplit(r.headers["location"])
    assert target.path == "/-/search"
    assert parse_qs(target.query) == {"q": [WORD], "province": ["广东省"]}
    # an empty search box is the table page, filtered as asked
    assert get(ds, f"/archive/reports?_search=+&province={quote('广东省')}").status_code == 200
    # Datasette's own table of every match stays one click away
    table = get(ds, f"/archive/reports?_search={quote(WORD)}&_table=1")
    assert table.status_code == 200 and 'class="nb-results"' not in table.text
    assert re.search(r"\d+ rows? where search matches", table.text)


def test_every_match_is_ranked_when_under_the_bound(archive):
    rows, ds = archive
    r = get(ds, f"/-/search?q={quote(WORD)}")
    assert r.status_code == 200
    current = {x["id"] for x in rows if WORD in x["text"] and x["is_current"]}
    first = listed(r.text)
    second = listed(get(ds, f"/-/search?q={quote(WORD)}&_rank_page=2").text)
    assert len(first) == min(20, len(current)) and not set(first) & set(second)
    assert set(first) | set(second) == current  # every current match, on two pages of 20
    assert f"{len(current):,} 份报告，按相关度排序" in r.text
    assert "命中太多" not in r.text


def test_only_the_newest_matches_are_read_past_the_bound(archive, monkeypatch):
    rows, ds = archive
    monkeypatch.setattr(pages, "RANK_SCAN", 8)
    read = newest_matches(rows, 8)
    assert len([x for x in rows if WORD in x["text"]]) > 8, "the fixture must overflow the bound"
    r = get(ds, f"/-/search?q={quote(WORD)}&_r=1")
    assert "命中的报告超过 8 份" in r.text and "命中太多" in r.text
    assert set(listed(r.text)) == {x["id"] for x in read if x["is_current"]}
    # filters apply to the matches read, and the page says how many of them passed
    r = get(ds, f"/-/search?q={quote(WORD)}&province={quote('江苏省')}&_r=2")
    passed = {x["id"] for x in read if x["is_current"] and x["province"] == "江苏省"}
    assert set(listed(r.text)) == passed
    assert f"其中符合筛选的有 {len(passed):,} 份" in r.text


def ranked_pages(ds, q: str, tag: str) -> list[int]:
    """Every report the search page lists for ``q``, page after page."""
    out, page = [], 1
    while True:
        got = listed(get(ds, f"/-/search?q={quote(q)}&_rank_page={page}&_r={tag}").text)
        if not got:
            return out
        out += got
        page += 1


def canned(ds, q: str, tag: str) -> list[int]:
    r = get(ds, f"/archive/search.json?q={quote(q)}&_shape=array&_r={tag}")
    assert r.status_code == 200, r.text
    return [row["report_id"] for row in r.json()]


def test_a_common_word_ranks_title_hits_first_then_the_newest(archive, monkeypatch):
    """A word in more reports than ``RANK_PHRASE_REPORTS`` is not ranked by bm25 (counting its reports
    would read them all): the reports with it in the title come first, then the most recent."""
    rows, ds = archive
    monkeypatch.setattr(cjk, "RANK_PHRASE_REPORTS", 5)
    current = [x for x in rows if WORD in x["text"] and x["is_current"]]
    assert len(current) > 5 and any(WORD in x["title"] for x in current), "the fixture must make it common"
    expected = [x["id"] for x in sorted(current, key=lambda x: (WORD not in x["title"], -x["id"]))]
    assert ranked_pages(ds, WORD, "c1") == expected
    page = get(ds, f"/-/search?q={quote(WORD)}&_r=c4").text
    assert "标题含检索词的在前" in page and 'class="nb-note nb-common"' in page  # the page says how it ranked
    monkeypatch.setattr(cjk, "RANK_PHRASE_REPORTS", 1_000)
    assert "nb-common" not in get(ds, f"/-/search?q={quote(WORD)}&_r=c5").text
    monkeypatch.setattr(cjk, "RANK_PHRASE_REPORTS", 5)
    assert canned(ds, WORD, "c2") == expected
    # the word is common even when it is only excluded (bm25 would count its reports all the same)
    others = [x for x in rows if "信息公开申请" in x["text"] and WORD not in x["text"] and x["is_current"]]
    assert canned(ds, f"申请 -{WORD}", "c3") == [x["id"] for x in sorted(others, key=lambda x: -x["id"])]


def test_with_a_common_word_the_rarer_words_rank_by_bm25(archive, monkeypatch):
    """``行政复议 殡葬`` with 行政复议 common: title hits first, then bm25 over 殡葬 alone (FTS5's own,
    asked of SQLite here), then the newest."""
    rows, ds = archive
    rare = len([x for x in rows if RARE in x["text"]])
    assert len([x for x in rows if WORD in x["text"]]) > rare, "the fixture must have the word commoner"
    monkeypatch.setattr(cjk, "RANK_PHRASE_REPORTS", rare)  # a phrase in more reports than this is common
    import sqlite3

    conn = sqlite3.connect(ds.databases["archive"].path)
    score = dict(conn.execute("select rowid, bm25(reports_fts, 5.0, 1.0) from reports_fts where reports_fts match ?",
                              ['"殡 葬"']))
    conn.close()
    both = [x for x in rows if WORD in x["text"] and RARE in x["text"] and x["is_current"]]
    assert len(both) > 3 and len(set(score.values())) > 2
    expected = [x["id"] for x in sorted(both, key=lambda x: (WORD not in x["title"], score[x["id"]], -x["id"]))]
    assert ranked_pages(ds, f"{WORD} {RARE}", "m1") == expected
    assert canned(ds, f"{WORD} {RARE}", "m2") == expected


def test_a_rare_word_ranks_by_bm25(archive, monkeypatch):
    """Under the bound the ranking is FTS5's own bm25 (title 5×, text 1×), asked of SQLite here."""
    rows, ds = archive
    monkeypatch.setattr(cjk, "RANK_PHRASE_REPORTS", 1_000)
    import sqlite3

    conn = sqlite3.connect(ds.databases["archive"].path)
    current = {x["id"] for x in rows if x["is_current"]}
    expected = [rid for rid, in conn.execute(
        "select rowid from reports_fts where reports_fts match ? order by bm25(reports_fts, 5.0, 1.0), rowid desc",
        ['"行 政 复 议"']) if rid in current]
    conn.close()
    assert len(expected) > 5
    assert ranked_pages(ds, WORD, "r1") == expected
    assert canned(ds, WORD, "r2") == expected


def test_the_canned_search_ranks_by_the_page_s_own_statement():
    """One ranking: the canned query in metadata.yml reads and ranks its matches by the same statement
    as the search page (``publish.pages.RANKED_HITS``)."""
    sql = yaml.safe_load((ROOT / "metadata.yml").read_text())["databases"]["archive"]["queries"]["search"]["sql"]
    flat = " ".join(sql.split())
    assert flat.startswith(" ".join(pages.RANKED_HITS.replace(":scan", str(pages.RANK_SCAN)).split()))


def test_the_search_reads_a_bounded_number_of_matches():
    """The bound holds at any size: RANK_SCAN is a number, not a share of the archive."""
    assert isinstance(pages.RANK_SCAN, int) and 1_000 <= pages.RANK_SCAN <= 50_000


# ------------------------------------------------------------------ the comparison page, by pages
@pytest.fixture(scope="module")
def compare_archive(tmp_path_factory):
    rng = random.Random(11)
    rows = [{"id": i, "agency_id": f"a{i}", "agency": f"{rng.choice('甲乙丙丁')}{i}号机关",
             "province": rng.choice(PROVINCES), "level": "county", "template": "2021", "checks_failed": 0,
             "year": 2022 if i % 4 else 2021, "is_current": int(i % 7 != 0)} for i in range(1, 61)]
    path = tmp_path_factory.mktemp("compare") / "archive.db"
    db = sqlite_utils.Database(path)
    db["reports"].insert_all(rows, pk="id")
    db.execute('create table cells (report_id integer, "table" text, "row" text, col text, raw text,'
               ' value numeric, kind text)')
    db.close()
    from datasette.app import Datasette

    return rows, Datasette([str(path)], plugins_dir=str(PLUGINS), template_dir=str(TEMPLATES))


def test_the_comparison_shows_a_year_page_by_page(compare_archive, monkeypatch):
    rows, ds = compare_archive
    monkeypatch.setattr(pages, "COMPARE_PAGE", 7)
    expected = [r["agency_id"] for r in sorted((r for r in rows if r["year"] == 2022 and r["is_current"]),
                                               key=lambda r: (r["province"], r["agency"]))]
    seen, page = [], 1
    while True:
        html = get(ds, f"/-/compare?year=2022&table=requests&page={page}").text
        dom = lxml.html.fromstring(html)
        agencies = dom.xpath('//table[@class="nb-compare"]/tbody/tr/@data-agency')
        assert len(agencies) <= 7
        seen += agencies
        if "下一页" not in html:
            break
        page += 1
    assert seen == expected  # every current report of the year once, in province and agency order
    assert page == -(-len(expected) // 7)
