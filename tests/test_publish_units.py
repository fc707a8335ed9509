"""The pieces behind the reader pages: Chinese words for checks and problems, the lookup tables and
wide view in the archive, the rebuilt official tables, the chart and search snippets."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.archive import Archive
from crawler.registry import Agency
from extract import schema
from extract.checks import Check, explain, run_checks, scope_label
from extract.cjk import marked_snippet, snippet
from extract.tables import CellRecord
from publish import chart, tables

ROOT = Path(__file__).resolve().parents[1]

BALANCE = {"new_received": 1, "carried_over": 0, "handled_total": 0, "carried_forward": 0}


# ------------------------------------------------------------------ words for readers

def test_a_failing_balance_reads_as_the_issue_asks():
    assert explain("requests.balance", "total", "fail", "1 + 0 != 0 + 0", BALANCE) == \
        "本年新收 + 上年结转 ≠ 办理结果总计 + 结转下年度：1 + 0 ≠ 0 + 0"
    assert explain("requests.balance", "total", "pass", "", dict(BALANCE, handled_total=1)) == \
        "本年新收 + 上年结转 = 办理结果总计 + 结转下年度：1 + 0 = 1 + 0"


def test_sums_blanks_continuity_and_not_assessable_in_chinese():
    parts = {"granted": 2, "partly_granted": 1, "withheld_state_secret": None, "rejected_repeat": 0,
             "other_misc": 0, "handled_total": 4}
    assert explain("requests.handled_sum", "natural_person", "fail", "", parts) == \
        "各项办理结果之和 ≠ 办理结果总计：3 ≠ 4（空白按0计：属于国家秘密）"
    assert explain("appeals.sum", "review", "pass", "", {"upheld": 1, "corrected": 0, "other": 0, "pending": 1,
                                                         "total": 2}) == \
        "结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计：1 + 0 + 0 + 1 = 2"
    assert explain("active.continuity", "regulations", "fail", "",
                   {"in_force": 5, "previous.in_force": 3, "issued": 1, "repealed": 0}) == \
        "现行有效件数 ≠ 上一年度现行有效件数 + 本年制发件数 − 本年废止件数：5 ≠ 3 + 1 − 0"
    assert explain("requests.continuity", "total", "pass", "", {"previous.carried_forward": 2, "carried_over": 2}) == \
        "上一年度结转下年度 = 上年结转：2 = 2"
    assert explain("requests.balance", "total", "not_assessable", "missing: carried_over, handled_total", {}) == \
        "无法核对：缺少上年结转、办理结果总计"
    assert explain("appeals.sum", "table", "not_assessable", "appeals table not found", {}) == "无法核对：未找到复议诉讼表格"
    assert scope_label("requests.balance", "natural_person") == "自然人列"
    assert scope_label("requests.row_sum", "partly_granted") == "部分公开"
    assert scope_label("appeals.sum", "litigation_after_review") == "复议后起诉"


def test_every_check_the_code_can_produce_explains_itself_in_chinese():
    req = {f.key: {c.key: 1 for c in schema.REQUESTS_COLS} for f in schema.rows("requests", "2021")}
    tabs = {"requests": req, "appeals": {g.key: {c.key: 0 for c in schema.APPEALS_COLS} for g in schema.APPEALS_ROWS},
            "active": {"regulations": {"issued": 1, "repealed": 0, "in_force": 3}}}
    checks = run_checks(tabs, "2021", previous_tables={"requests": req, "active": {}}) + run_checks({}, "2019")
    assert {c.rule for c in checks} == set(schema.CHECKS)
    for c in checks:
        text = explain(c.rule, c.scope, c.outcome, c.detail, c.compared)
        assert re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"\b[a-z]+_[a-z_]+\b", text), (c, text)


def test_every_problem_code_recorded_anywhere_has_chinese_words():
    codes = set()
    for path in [*ROOT.glob("extract/*.py"), *ROOT.glob("crawler/*.py")]:
        src = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'doc\.add\("([a-z_]+)"', src))
        codes |= set(re.findall(r'code="([a-z_]+)"', src))
    from extract.document import PROBLEM_CODES
    codes |= {code for _, code in PROBLEM_CODES} | {"table_shape"}
    assert codes and codes <= set(schema.PROBLEMS), codes - set(schema.PROBLEMS)


def test_cell_labels_cover_every_template_cell_once_in_reading_order():
    labels = schema.cell_labels()
    keys = {(c.table, c.row, c.col) for c in labels}
    for t in schema.TABLE_KEYS:
        for tpl in ("2019", "2021"):
            assert {(t, r, c) for r, c in schema.cell_keys(t, tpl)} <= keys
    assert len(keys) == len(labels) == len({c.header for c in labels})
    assert [c.position for c in labels] == list(range(len(labels)))
    first = next(c for c in labels if (c.table, c.row, c.col) == ("requests", "new_received", "natural_person"))
    assert first.header == "依申请公开·本年新收·自然人" and first.row_label == "一、本年新收政府信息公开申请数量"
    assert any(c.header == "依申请公开·不予公开·属于国家秘密·法人或其他组织·其他" for c in labels)


# ------------------------------------------------------------------ the archive's lookups and views

@pytest.fixture
def archive(tmp_path):
    a = Archive(tmp_path / "a.db")
    a.upsert_agencies([Agency(id="x", name="乌苏市民政局", province="新疆维吾尔自治区", level="county",
                              platform="trs", start_url="http://x.localhost/")])
    yield a
    a.close()


def _report(archive, year=2021, url="http://x.localhost/r.html"):
    return archive.save_report({"agency_id": "x", "agency": "乌苏市民政局", "province": "新疆维吾尔自治区",
                                "level": "county", "year": year, "title": f"{year}年报告", "url": url,
                                "sha256": str(year), "fetched_at": "2026-01-01", "template": "2021"})


def test_lookup_tables_carry_the_schema_in_chinese(archive):
    db = archive.db
    assert db["label_cells"].count == len(schema.cell_labels())
    row = db["label_cells"].get(("requests", "granted", "total"))
    assert row["row_label"] == "（一）予以公开" and row["col_label"] == "总计"
    assert db["label_rules"].get("requests.balance")["formula"] == "本年新收 + 上年结转 = 办理结果总计 + 结转下年度"
    assert db["label_problems"].get("tables_as_images")["name"] == "表格为图片"
    assert db["label_templates"].get("2021")["label"].startswith("2021年版")
    assert [r["label"] for r in db.query("select label from label_tables order by position")] == \
        ["主动公开", "依申请公开", "复议诉讼"]
    Archive(archive.path).close()  # reopening rewrites them, no duplicates
    assert db["label_cells"].count == len(schema.cell_labels())


def test_checks_are_stored_with_their_chinese_explanation(archive):
    rid = _report(archive)
    archive.save_checks(rid, [Check("requests.balance", "total", "fail", "1 + 0 != 0 + 0", BALANCE)])
    row = next(archive.db.query("select explanation from checks where report_id = ?", [rid]))
    assert row["explanation"] == "本年新收 + 上年结转 ≠ 办理结果总计 + 结转下年度：1 + 0 ≠ 0 + 0"


def test_report_figures_is_one_row_per_report_headed_in_chinese(archive):
    a, b = _report(archive, 2021, "http://x.localhost/a.html"), _report(archive, 2022, "http://x.localhost/b.html")
    archive.save_tables(a, [CellRecord("requests", "new_received", "total", "12", 12, "number"),
                            CellRecord("appeals", "review", "total", "—", None, "dash")], [], None)
    archive.save_tables(b, [CellRecord("requests", "new_received", "total", "3", 3, "number")], [], None)
    rows = list(archive.db.query('select * from report_figures order by "年度"'))
    assert [r["年度"] for r in rows] == [2021, 2022] and rows[0]["机构"] == "乌苏市民政局"
    assert rows[0]["依申请公开·本年新收·总计"] == 12 and rows[1]["依申请公开·本年新收·总计"] == 3
    assert rows[0]["复议诉讼·行政复议·总计"] is None
    cols = list(rows[0])
    assert cols.index("依申请公开·本年新收·自然人") < cols.index("依申请公开·本年新收·总计") < cols.index("复议诉讼·行政复议·总计")
    labelled = list(archive.db.query("select province, year, table_label, row_label, col_label, raw from cell_values"
                                     " where report_id = ? order by col_label", [a]))
    assert {(r["table_label"], r["row_label"], r["col_label"], r["raw"]) for r in labelled} == {
        ("依申请公开", "一、本年新收政府信息公开申请数量", "总计", "12"), ("复议诉讼", "行政复议", "总计", "—")}
    assert labelled[0]["province"] == "新疆维吾尔自治区" and labelled[0]["year"] == 2021


# ------------------------------------------------------------------ rebuilt tables

def _cells(template="2021", **overrides):
    out = []
    for t in schema.TABLE_KEYS:
        for r, c in schema.cell_keys(t, template):
            raw = overrides.get(f"{t}.{r}.{c}", "0")
            if raw is not None:
                out.append({"table": t, "row": r, "col": c, "raw": raw, "value": None, "kind": "number", "note": None})
    return out


def test_rebuilt_tables_keep_the_official_merges_and_printed_texts():
    built = {t.key: t for t in tables.rebuild(_cells(**{"requests.granted.total": " 7 ",
                                                        "requests.carried_over.business": "—"}), "2021", set())}
    req = built["requests"]
    assert req.template == "2021" and req.read == req.expected == len(schema.cell_keys("requests", "2021"))
    flat = [c for row in req.rows for c in row]
    assert next(c for c in flat if c.key == "granted.total").text == "7"
    assert next(c for c in flat if c.key == "carried_over.business").text == "—"
    note = next(c for c in flat if "勾稽关系" in c.text)
    assert (note.rowspan, note.colspan) == (3, 3)
    result = next(c for c in flat if c.text == "三、本年度办理结果")
    assert result.rowspan == len([f for f in schema.rows("requests", "2021") if f.group])


def test_a_cell_not_read_is_shown_empty_and_marked_never_filled():
    built = {t.key: t for t in tables.rebuild(_cells(**{"appeals.review.total": None}), "2021", set())}
    cell = next(c for row in built["appeals"].rows for c in row if c.key == "review.total")
    assert cell.text == "" and "missing" in cell.classes and "未读取" in cell.title
    assert built["appeals"].read == built["appeals"].expected - 1


def test_failing_checks_mark_exactly_the_cells_they_compare():
    checks = [{"rule": "requests.balance", "scope": "total", "outcome": "fail", "compared": BALANCE},
              {"rule": "requests.row_sum", "scope": "granted", "outcome": "fail",
               "compared": {"natural_person": 1, "total": 0}},
              {"rule": "requests.continuity", "scope": "total", "outcome": "fail",
               "compared": {"previous.carried_forward": 1, "carried_over": 0}},
              {"rule": "appeals.sum", "scope": "review", "outcome": "pass", "compared": {"total": 0}}]
    assert tables.failing_cells(checks) == {
        ("requests", "new_received", "total"), ("requests", "carried_over", "total"),
        ("requests", "handled_total", "total"), ("requests", "carried_forward", "total"),
        ("requests", "granted", "natural_person"), ("requests", "granted", "total")}
    built = {t.key: t for t in tables.rebuild(_cells(), "2021", tables.failing_cells(checks))}
    marked = {c.key for row in built["requests"].rows for c in row if "fail" in c.classes}
    assert marked == {"new_received.total", "carried_over.total", "handled_total.total", "carried_forward.total",
                      "granted.natural_person", "granted.total"}


def test_the_era_follows_the_cells_not_the_report_label():
    built = {t.key: t for t in tables.rebuild(_cells("2019"), "2021", set())}
    assert built["active"].template == "2019" and built["requests"].template == "2019"


# ------------------------------------------------------------------ chart and snippets

def test_chart_draws_a_bar_per_known_number_and_none_for_a_missing_one():
    svg = chart.bar_chart([2021, 2022], [("new_received", "本年新收申请", [5, None])], "某局")
    assert 'data-series="new_received" data-year="2021" data-value="5"' in svg
    assert 'data-year="2022"' not in svg and ">无<" in svg and "2021年 本年新收申请：5" in svg


def test_snippet_marks_every_word_of_the_query_in_the_original_text():
    pieces = snippet("……本机关收到行政复议申请2件，另有行政 复议维持；预算执行……", "行政复议 预算")
    assert [s for s, hit in pieces if hit] == ["行政复议", "行政 复议", "预算"]
    assert marked_snippet("一二三民政局四五", "民政") == "一二三【民政】局四五"
    assert marked_snippet("没有这个词", "复议") == "没有这个词"
    assert snippet("甲" * 300 + "复议" + "乙" * 300, "复议", width=10)[0] == ("…", False)


def test_cells_read_by_ocr_show_their_confidence_and_unsure_ones_stand_out():
    cells = _cells()
    for c in cells:
        if c["table"] == "appeals":
            c.update(source="ocr", confidence=0.99)
    next(c for c in cells if (c["table"], c["row"], c["col"]) == ("appeals", "review", "total")).update(confidence=0.3)
    built = {t.key: t for t in tables.rebuild(cells, "2021", set())}
    assert (built["appeals"].ocr, built["appeals"].low) == (15, 1) and built["requests"].ocr == 0
    flat = {c.key: c for row in built["appeals"].rows for c in row if c.key}
    assert "ocr-low" in flat["review.total"].classes and "0.30" in flat["review.total"].title
    assert "ocr" in flat["review.upheld"].classes and "ocr-low" not in flat["review.upheld"].classes


def test_the_page_flags_cells_at_the_threshold_the_ocr_calibrated():
    from extract.ocr import LOW_CONFIDENCE

    assert schema.OCR_LOW_CONFIDENCE == LOW_CONFIDENCE
