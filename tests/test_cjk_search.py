"""Chinese full-text search end to end: segment() index + a real Datasette with our plugin.

Expected result sets are computed here by plain substring search over the
documents, never taken from the code under test.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import random
import re
import sqlite3
import unicodedata
from urllib.parse import quote

import pytest
import sqlite_utils

import publish.plugins.cjk_search as plugin
from publish import PLUGINS
from extract.cjk import FTS_TOKENIZE, NOTHING, match_query, segment

DOCS = [
    {"id": 1, "title": "市民政局2023年政府信息公开工作年度报告",
     "text": "本局全年主动公开政府信息120条，部门预算和决算按时公开。收到政府信息公开申请5件。"},
    {"id": 2, "title": "县财政局关于部门预算公开的说明",
     "text": "2024年部门预算已在门户网站公开，接受社会监督。"},
    {"id": 3, "title": "行政复议案件办理情况",
     "text": "本年度收到行政复议申请2件，其中维持1件、撤销1件。复议决定均已送达。"},
    # 行政 and 复议 both present, never adjacent
    {"id": 4, "title": "行政许可与复议工作总结",
     "text": "全年办理行政许可事项300件；申请人对许可决定申请复议的有1件。"},
    # 复 and 议 both present, never as 复议
    {"id": 5, "title": "重复建设问题的议事规则",
     "text": "会议决定恢复原有规划，由各部门审议后执行。"},
    # Latin words inside Chinese
    {"id": 6, "title": "关于启用WPS格式公文的通知",
     "text": "附件提供WPS和PDF两种格式，PDF版本供打印使用。"},
    # 民政 inside a long CJK run (the unicode61 failure case)
    {"id": 7, "title": "省民政厅关于做好社会救助工作的通知",
     "text": "各地民政部门要加强困难群众基本生活保障。"},
    # full-width digits and letters
    {"id": 8, "title": "２０２３年度决算公开",
     "text": "决算报表提供ＰＤＦ版本，请按需下载。"},
]
FTS_META = {"databases": {"nianbao": {"tables": {"reports": {"fts_table": "reports_fts", "fts_pk": "id"}}}}}


# ---------------------------------------------------------------- independent expectations

def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s).lower()


def has(doc: dict, term: str) -> bool:
    """Does the doc contain the term (substring for CJK, whole word for Latin)? Per column, like FTS."""
    term = _fold(term)
    for col in (doc["title"], doc["text"]):
        col = _fold(col)
        if re.fullmatch(r"[a-z0-9]+", term):
            if re.search(rf"(?<![a-z0-9]){term}(?![a-z0-9])", col):
                return True
        elif term in col:
            return True
    return False


def expect(pred) -> set[int]:
    return {d["id"] for d in DOCS if pred(d)}


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cjk") / "nianbao.db"
    db = sqlite_utils.Database(path)
    db["reports"].insert_all(DOCS, pk="id")
    db.execute(f"create virtual table reports_fts using fts5(title, text, tokenize='{FTS_TOKENIZE}')")
    db.conn.executemany(
        "insert into reports_fts(rowid, title, text) values (?, ?, ?)",
        [(d["id"], segment(d["title"]), segment(d["text"])) for d in DOCS],
    )
    db.conn.commit()
    db.close()
    return path


@pytest.fixture(scope="module")
def ds(db_path):
    from datasette.app import Datasette

    # the way `nianbao serve` loads it: Datasette's own --plugins-dir
    return Datasette([str(db_path)], metadata=FTS_META, plugins_dir=str(PLUGINS))


def get(ds, path: str):
    async def run():
        return await ds.client.get(path)

    return asyncio.run(run())


def search(ds, q: str, param: str = "_search") -> set[int]:
    r = get(ds, f"/nianbao/reports.json?{param}={quote(q)}&_shape=array")
    assert r.status_code == 200, (q, r.status_code, r.text)
    rows = r.json()
    assert isinstance(rows, list), rows
    return {row["id"] for row in rows}


# ---------------------------------------------------------------- tests

def test_documents_are_designed_right():
    # guard the fixture itself: the tricky documents really are tricky
    assert has(DOCS[3], "行政") and has(DOCS[3], "复议") and not has(DOCS[3], "行政复议")
    assert has(DOCS[4], "复") and has(DOCS[4], "议") and not has(DOCS[4], "复议")
    assert has(DOCS[6], "民政") and "民政厅关于" in DOCS[6]["title"]  # 民政 inside a long CJK run


@pytest.mark.parametrize("term", ["民政", "复议", "行政复议", "预算", "决算", "政府信息公开", "行政", "2023"])
def test_cjk_terms(ds, term):
    assert search(ds, term) == expect(lambda d: has(d, term))


def test_exact_sets_spelled_out(ds):
    # the same, with the sets asserted explicitly for the key cases
    assert expect(lambda d: has(d, "民政")) == {1, 7}
    assert search(ds, "民政") == {1, 7}
    assert search(ds, "复议") == expect(lambda d: has(d, "复议")) == {3, 4}
    assert search(ds, "行政复议") == expect(lambda d: has(d, "行政复议")) == {3}  # not doc 4


@pytest.mark.parametrize("term", ["WPS", "wps", "PDF", "ｐｄｆ"])
def test_latin_terms(ds, term):
    assert search(ds, term) == expect(lambda d: has(d, term))
    assert search(ds, term)


def test_quoted_phrase(ds):
    assert search(ds, '"部门预算"') == expect(lambda d: has(d, "部门预算")) == {1, 2}
    # a quoted phrase stays one phrase even with a space inside
    assert search(ds, '"行政 复议"') == expect(lambda d: has(d, "行政复议"))
    # unquoted, the two words are ANDed (doc 4 has both, apart)
    assert search(ds, "行政 复议") == expect(lambda d: has(d, "行政") and has(d, "复议")) == {3, 4}


def test_and_or_not(ds):
    assert search(ds, "民政 预算") == expect(lambda d: has(d, "民政") and has(d, "预算"))
    assert search(ds, "民政 OR 预算") == expect(lambda d: has(d, "民政") or has(d, "预算"))
    assert search(ds, "复议 -行政复议") == expect(lambda d: has(d, "复议") and not has(d, "行政复议"))
    assert search(ds, "决算 NOT PDF") == expect(lambda d: has(d, "决算") and not has(d, "PDF"))
    assert search(ds, "公开 决算 OR 复议") == expect(
        lambda d: has(d, "公开") and (has(d, "决算") or has(d, "复议")))


NOTHING_QUERIES = ['"', "(", ")", "*", "AND", "OR", "NOT", "-", "'", "''", "\\", "%", ":", "-民政", '""', "()", "NOT 民政"]
MINZHENG_QUERIES = ['民政"', '"民政', "民政 AND", "民政^", "{民政}", "民政*", "“民政”", "(民政)", "民政 OR", "OR 民政",
                    "民政 -", "(民政 AND"]
ODD_QUERIES = ["NEAR(民 政)", "title:民政", "民政 NEAR/2 预算", '"民政" "', "*民政*", "民政" * 200]


@pytest.mark.parametrize("q", NOTHING_QUERIES)
def test_hostile_inputs_match_nothing(ds, q):
    assert search(ds, q) == set()  # 200 (asserted in search) and no rows


@pytest.mark.parametrize("q", MINZHENG_QUERIES)
def test_hostile_inputs_around_a_term(ds, q):
    assert search(ds, q) == expect(lambda d: has(d, "民政"))


@pytest.mark.parametrize("q", ODD_QUERIES)
def test_odd_inputs_no_error(ds, q):
    search(ds, q)  # 200, a list


def test_parentheses_do_not_group_but_do_not_hurt(ds):
    assert search(ds, "(民政 OR 预算)") == expect(lambda d: has(d, "民政") or has(d, "预算"))


def test_html_table_page_search_box(ds):
    r = get(ds, "/nianbao/reports?_search=" + quote("复议"))
    assert r.status_code == 200
    assert "行政复议案件办理情况" in r.text and "重复建设问题的议事规则" not in r.text


def test_column_search(ds):
    assert search(ds, "民政", "_search_title") == {d["id"] for d in DOCS if "民政" in d["title"]}
    assert search(ds, "复议", "_search_text") == {d["id"] for d in DOCS if "复议" in d["text"]}


def test_sql_functions_for_canned_queries(ds):
    sql = ("select r.id from reports r join reports_fts f on f.rowid = r.id "
           "where reports_fts match cjk_match(:q) order by r.id")
    r = get(ds, f"/nianbao.json?sql={quote(sql)}&q={quote('行政复议')}&_shape=array")
    assert r.status_code == 200, r.text
    assert {row["id"] for row in r.json()} == expect(lambda d: has(d, "行政复议"))
    r = get(ds, "/nianbao.json?sql=" + quote("select cjk_segment('民政厅２０２３') as s, escape_fts('民政') as e")
            + "&_shape=array")
    assert r.json() == [{"s": "民 政 厅 2023", "e": '"民 政"'}]


def test_plain_unicode61_would_fail(tmp_path):
    # the problem being solved: unsegmented text + Datasette's stock escaping finds nothing
    from datasette.utils import escape_fts

    conn = sqlite3.connect(tmp_path / "plain.db")
    conn.execute(f"create virtual table t using fts5(text, tokenize='{FTS_TOKENIZE}')")
    conn.execute("insert into t(rowid, text) values (7, ?)", [DOCS[6]["text"]])
    assert conn.execute("select rowid from t where t match ?", [escape_fts("民政")]).fetchall() == []
    conn.execute("insert into t(rowid, text) values (8, ?)", [segment(DOCS[6]["text"])])
    assert conn.execute("select rowid from t where t match ?", [match_query("民政")]).fetchall() == [(8,)]


def test_hook_runs_after_builtin():
    # run every prepare_connection hook the way Datasette does; escape_fts must end up ours
    from datasette.plugins import pm

    if not any(p is plugin for p in pm.get_plugins()):
        pm.register(plugin, "nianbao_cjk")
    conn = sqlite3.connect(":memory:")
    pm.hook.prepare_connection(conn=conn, database="x", datasette=None)
    assert conn.execute("select escape_fts('行政复议')").fetchone()[0] == '"行 政 复 议"'


def test_served_from_the_plugins_dir(ds):
    """`nianbao serve` hands Datasette publish/plugins; Datasette lists what it loaded from there."""
    from crawler.cli import datasette_command

    with datasette_command("x.db", "127.0.0.1", 1) as args:
        assert args[args.index("--plugins-dir") + 1] == str(PLUGINS)
    plugins = get(ds, "/-/plugins.json").json()
    assert "cjk_search.py" in {p["name"] for p in plugins}


def test_no_entry_point_reaches_other_datasettes():
    """The escape_fts override stays with the archive's own Datasette, not every one in the venv."""
    eps = importlib.metadata.entry_points(group="datasette")
    assert not any(ep.value.startswith(("crawler", "publish")) for ep in eps)


# ---------------------------------------------------------------- unit level

def test_segment():
    assert segment("民政厅关于２０２３年ＰＤＦ附件.pdf的通知，covid-19") == \
        "民 政 厅 关 于 2023 年 PDF 附 件 pdf 的 通 知 covid 19"
    assert segment("〇 々 㐀 𠀀") == "〇 々 㐀 𠀀"  # Ext A / Ext B stay tokens
    assert segment("“行政复议”。") == "行 政 复 议"
    assert segment("") == "" and segment(None) == ""


def test_match_query_shapes():
    assert match_query("行政复议") == '"行 政 复 议"'
    assert match_query("民政 预算 OR 决算 -复议") == '("民 政" AND ("预 算" OR "决 算")) NOT "复 议"'
    assert match_query("") == NOTHING
    assert match_query("   ") == NOTHING
    assert match_query("-民政") == NOTHING
    assert match_query("abc*") == '"abc"*'
    assert match_query(None) == NOTHING


def test_match_query_never_a_syntax_error():
    conn = sqlite3.connect(":memory:")
    conn.execute(f"create virtual table t using fts5(a, b, tokenize='{FTS_TOKENIZE}')")
    conn.execute("insert into t values (?, ?)", [segment("民政 预算 abc"), segment("复议")])
    rng = random.Random(1234)
    alphabet = list('"()*:^-+{}[],.\'\\ \t\nANDORNEARNOT民政复议预算abc“”＂－，、') + ["OR", "AND", "NOT", "NEAR"]
    for _ in range(3000):
        q = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        expr = match_query(q)
        conn.execute("select rowid from t where t match ?", [expr]).fetchall()  # must not raise
