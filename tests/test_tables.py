"""extract.tables on HTML: every replica report against its ground truth, then focused cases
(label variants, tables split by a page break, extra tables, missing or pictured tables,
unmatched rows, transposed and combined layouts)."""
from __future__ import annotations

import random
import time

import pytest

from replica import replica_web
from replica import numbers as rnum
from replica.numbers import Carry
from replica.tables_html import LAYOUTS, STYLES, GCell, render_table
from extract import schema
from extract.grids.html import grids_from_html
from extract.tables import IMAGES_NONE, PRE2019_NONE, parse_html_tables, parse_tables


@pytest.fixture(scope="module")
def web():
    return replica_web()


def fetch(web, r) -> str:
    for _ in range(3):  # one report answers 500 once (a planted transient fault)
        status, _, body = web.handle("GET", r.host, r.path)
        if status == 200:
            return body.decode(r.encoding)
    raise AssertionError(f"{r.host}{r.path} never answered 200")


def as_printed(tables: dict, got: dict | None = None) -> dict:
    """The replica prints a float with '{:g}' (six significant digits) unless it sets the printed
    text itself, but its truth keeps the full value (2481.1088 printed as 2481.11). A parser can
    only read what is printed: a truth float counts as its 6-digit rounding where that is what was
    read (``got``)."""
    def fix(t, r, c, v):
        if not isinstance(v, float):
            return v
        seen = (got or {}).get(t, {}).get(r, {}).get(c, v)
        return seen if seen == float(f"{v:g}") else v
    return {t: {r: {c: fix(t, r, c, v) for c, v in cols.items()} for r, cols in rows.items()}
            for t, rows in tables.items()}


# ---------------------------------------------------------------------------------------------
# the replica's reports


def on_page(r) -> bool:
    """The report's tables are on its page (not only in an attached PDF/DOCX/XLSX)."""
    return r.tables is not None and not r.tables_as_images and r.text_source == "page" and not any(
        a.role in ("full_text", "tables") for a in r.attachments)


def test_every_replica_report_with_tables(web):
    reports = [r for r in web.truth.reachable_reports() if on_page(r)]
    assert len(reports) >= 20
    expected_problems = {
        ("xinjiang-mzt", 2021): ["active: row licensing has 3 values (9 | 342 | 12) under one column header "
                                 "'本年处理决定数量'; kept the first"],
        ("ordos-mzj", 2023): ["mixed templates: active 2021, requests 2019"],
    }
    for r in reports:
        res = parse_html_tables(fetch(web, r))
        key = (r.agency_id, r.year)
        assert res.tables == as_printed(r.tables, res.tables), key
        assert res.template == r.template, key
        assert res.found == {"active": True, "requests": True, "appeals": True}, key
        if key in expected_problems or not r.quirks:
            assert res.problems == expected_problems.get(key, []), key
        # every canonical cell has its record, raw text kept
        assert len(res.cells) == sum(len(cols) for rows in res.tables.values() for cols in rows.values())
        for c in res.cells:
            assert res.tables[c.table][c.row][c.col] == c.value


def test_replica_quirks_are_read_as_printed(web):
    by = {(r.agency_id, r.year): r for r in web.truth.reachable_reports()}
    res = parse_html_tables(fetch(web, by[("binhu-mzj", 2020)]))
    cell = next(c for c in res.cells if (c.table, c.row, c.col) == ("active", "procurement", "amount"))
    assert (cell.value, cell.kind) == (1946.689, "number") and "1946.6890万元" in cell.raw
    assert res.tables["requests"]["handled_total"]["business"] is None
    res = parse_html_tables(fetch(web, by[("changde-mzj", 2020)]))
    assert res.tables["active"]["procurement"]["amount"] == 25.1  # printed 251000元
    res = parse_html_tables(fetch(web, by[("jiangsu-mzt", 2021)]))
    cell = next(c for c in res.cells if (c.table, c.row, c.col) == ("active", "normative_documents", "issued"))
    assert cell.kind == "annotated" and "其中修订1件" in cell.note
    res = parse_html_tables(fetch(web, by[("ordos-mzj", 2023)]))
    assert res.templates == {"active": "2021", "requests": "2019", "appeals": "2021"}
    assert "other_total" in res.tables["requests"] and "other_misc" not in res.tables["requests"]
    assert all(c.kind == "dash" for c in res.cells if c.row == "regulations")


def test_replica_attachments_through_the_binary_readers(web):
    """Reports whose tables are in an attached PDF/DOCX/XLSX/XLS, read with extract.grids' readers."""
    readers = {}
    for fmt, mod, fn in (("pdf", "pdf", "grids_from_pdf"), ("docx", "docx", "grids_from_docx"),
                         ("xlsx", "xlsx", "grids_from_xlsx"), ("xls", "xlsx", "grids_from_xls")):
        m = pytest.importorskip(f"extract.grids.{mod}")
        readers[fmt] = getattr(m, fn)
    n = 0
    for r in web.truth.reachable_reports():
        for a in r.attachments:
            if not r.tables or a.role not in ("full_text", "tables") or a.format not in readers:
                continue
            status, _, data = web.handle("GET", a.host, a.path)
            assert status == 200
            res = parse_tables(readers[a.format](data))
            assert res.tables == as_printed(r.tables, res.tables), (r.agency_id, r.year, a.format)
            assert res.template == r.template
            n += 1
    if n == 0:
        pytest.skip("the replica plants no attachment with tables")


def test_replica_reports_without_tables(web):
    seen_images = seen_pre = 0
    for r in web.truth.reachable_reports():
        if (r.tables and not r.tables_as_images) or r.text_source != "page" \
                or any(a.role == "full_text" for a in r.attachments):
            continue
        res = parse_html_tables(fetch(web, r))
        assert res.tables == {} and res.cells == []
        assert res.found == {"active": False, "requests": False, "appeals": False}
        if r.tables_as_images:
            seen_images += 1
            assert res.problems == [IMAGES_NONE]
        else:
            assert r.template == "pre2019"
            seen_pre += 1
            assert res.template == "pre2019"
            assert res.problems == [PRE2019_NONE]
    assert seen_images >= 1 and seen_pre >= 1


def test_parse_is_fast(web):
    r = max((r for r in web.truth.reachable_reports() if r.tables), key=lambda r: len(fetch(web, r)))
    html = fetch(web, r)
    parse_html_tables(html)
    t0 = time.perf_counter()
    for _ in range(5):
        parse_html_tables(html)
    assert (time.perf_counter() - t0) / 5 < 0.1  # ~10 ms here; trafilatura alone takes ~150 ms on it


# ---------------------------------------------------------------------------------------------
# focused cases on generated tables


def gen(template: str = "2021", seed: int = 1, level: str = "province") -> rnum.Tables:
    return rnum.gen_tables(random.Random(seed), template, level, Carry())


HEADINGS = {"active": "二、主动公开政府信息情况", "requests": "三、收到和处理政府信息公开申请情况",
            "appeals": "四、政府信息公开行政复议、行政诉讼情况"}


def report_html(parts: list[str]) -> str:
    return ("<html><head><meta charset='utf-8'><title>报告</title></head><body><div class='main'>"
            "<p>一、总体情况</p><p>本年度工作平稳有序。</p>" + "\n".join(parts) + "<p>五、存在的主要问题及改进情况</p>"
            "<p>无。</p></div></body></html>")


def section(key: str, table_html: str) -> str:
    return f"<p><strong>{HEADINGS[key]}</strong></p>{table_html}"


def full_page(tables: rnum.Tables, style: str = "clean", seed: int = 0, skip: tuple[str, ...] = ()) -> str:
    rng = random.Random(seed)
    return report_html([section(k, render_table(tables, k, style, rng)) for k in ("active", "requests", "appeals")
                        if k not in skip])


def expanded(grid: list[list[GCell]]) -> list[list[str]]:
    """A layout's cells with spans expanded (each merged cell's text at every slot it covers)."""
    out: dict[tuple[int, int], str] = {}
    for r, row in enumerate(grid):
        c = 0
        for cell in row:
            while (r, c) in out:
                c += 1
            for i in range(cell.rowspan):
                for j in range(cell.colspan):
                    out[(r + i, c + j)] = cell.text
            c += cell.colspan
    h = max(r for r, _ in out) + 1
    w = max(c for _, c in out) + 1
    return [[out.get((r, c), "") for c in range(w)] for r in range(h)]


def plain_table(rows: list[list[str]]) -> str:
    from html import escape
    return "<table border='1'>" + "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows) + "</table>"


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("template", ["2019", "2021"])
def test_generated_tables_in_every_markup_style(style, template):
    for seed in range(3):
        t = gen(template, seed)
        res = parse_html_tables(full_page(t, style, seed))
        assert res.tables == as_printed(t.values(), res.tables), (style, template, seed)
        assert res.template == template and res.problems == []


LABEL_VARIANTS = {
    # the typos of real reports (report-schema.md)
    "carried_over": "二、上年转结政府信息公开申请数量",
    "withheld_prohibited_by_law": "2.其他法律行政止公开",
    "unavailable_unclear": "3.补正后申请内容仍部明确",
    "carried_forward": "四、结转下半年度继续办理",
    "rejected_confirmation": "5.要求行政机关确认或中心出具已获取信息",
    # missing prefix, 1、 instead of 1., full-width digits, half-width brackets, traditional characters
    "withheld_internal_affairs": "5.内部事务信息",
    "withheld_state_secret": "1、属于国家秘密",
    "withheld_third_party": "４．保护第三方合法权益",
    "granted": "(一)予以公开",
    "partly_granted": "（二）部分公開（區分處理的，只計這一情形，不計其他情形）",
    "rejected_repeat": "2.重複申請",
    # spaces and line breaks inside labels
    "unavailable_needs_creation": "2.没有现成信息\n需要另行制作",
    "rejected_publication": "3.要求提供 公开出版物",
    "new_received": "一、本年新收政府信息\n公开申请数量",
    # numbering in another style, a stray full stop
    "rejected_petition": "(1)信访举报投诉类申请。",
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_label_variants_are_matched_by_meaning(style):
    t = gen("2021", 7)
    for row, label in LABEL_VARIANTS.items():
        t.row_labels[("requests", row)] = label
    t.row_labels[("active", "normative_documents")] = "行政規範性文件"
    t.col_labels[("appeals", "review.pending")] = "尚未结果"
    res = parse_html_tables(full_page(t, style, 3))
    assert res.tables == as_printed(t.values(), res.tables)
    assert res.problems == []


def test_a_table_split_by_a_page_break_is_stitched():
    t = gen("2021", 11)
    rows = expanded(LAYOUTS["requests"](t))
    head, body = rows[:3], rows[3:]
    # same width: Word repeats the merged label columns as cells in the continuation
    html = report_html([section("active", render_table(t, "active", "clean", random.Random(1))),
                        section("requests", plain_table(head + body[:12])),
                        "<p>&nbsp;</p><p style='page-break-before:always'></p>",
                        plain_table(body[12:]),
                        section("appeals", render_table(t, "appeals", "clean", random.Random(1)))])
    res = parse_html_tables(html)
    assert res.tables == as_printed(t.values(), res.tables)
    assert res.problems == []
    # narrower continuation (only the leaf label and the seven numbers): read in the first part's column order
    cont = [[row[2] if row[2] != row[1] else row[1]] + row[3:] for row in body[12:]]
    html = report_html([section("requests", plain_table(head + body[:12])), plain_table(cont)])
    res = parse_html_tables(html)
    assert res.tables["requests"] == as_printed(t.values(), res.tables)["requests"]
    assert not [p for p in res.problems if p.startswith("requests")]


def test_a_header_split_from_its_values():
    t = gen("2021", 12)
    rows = expanded(LAYOUTS["appeals"](t))
    html = report_html([section("appeals", plain_table(rows[:3]) + plain_table(rows[3:]))])
    res = parse_html_tables(html)
    assert res.tables["appeals"] == as_printed(t.values(), res.tables)["appeals"]


def test_extra_unrelated_tables_change_nothing():
    t = gen("2021", 13)
    contact = "<table><tr><td>联系电话</td><td>0591-23165385</td></tr><tr><td>邮编</td><td>350400</td></tr></table>"
    summary = ("<table><tr><td>事项</td><td>数量</td></tr><tr><td>行政许可</td><td>999</td></tr>"
               "<tr><td>网站发布信息</td><td>1234</td></tr></table>")
    links = "<table><tr><td>首页</td><td>政务公开</td></tr><tr><td>互动交流</td><td>办事服务</td></tr></table>"
    html = full_page(t).replace("<p>本年度工作平稳有序。</p>", "<p>本年度工作平稳有序。</p>" + summary + links)
    html = html.replace("<p>无。</p>", "<p>无。</p><p>联系方式</p>" + contact)
    res = parse_html_tables(html)
    assert res.tables == as_printed(t.values(), res.tables)
    assert res.problems == []


def test_a_missing_table_is_reported():
    t = gen("2021", 14)
    res = parse_html_tables(full_page(t, skip=("appeals",)))
    assert "appeals" not in res.tables and res.found["appeals"] is False
    assert res.tables["requests"] == as_printed(t.values(), res.tables)["requests"]
    assert res.problems == ["appeals: table not found"]


def test_tables_as_images_one_or_all():
    t = gen("2021", 15)
    img = "<p align='center'><img src='./W020230101.png' width='600'></p>"
    parts = [section("active", render_table(t, "active", "clean", random.Random(0))),
             section("requests", img), section("appeals", render_table(t, "appeals", "clean", random.Random(0)))]
    res = parse_html_tables(report_html(parts))
    assert "requests" not in res.tables
    assert res.problems == ["requests: table published as an image"]
    res = parse_html_tables(report_html([section(k, img) for k in HEADINGS]))
    assert res.tables == {} and res.problems == [IMAGES_NONE] and res.template is None


def test_unmatched_rows_are_reported_not_guessed():
    t = gen("2021", 16)
    t.row_labels[("requests", "withheld_query_service")] = "8.乱码乱码乱码"
    rows = expanded(LAYOUTS["requests"](t))
    extra = ["三、本年度办理结果", "（三）不予公开", "9.其他情形"] + ["1"] * 7
    rows.insert(14, extra)
    html = report_html([section("requests", plain_table(rows))])
    res = parse_html_tables(html)
    want = as_printed(t.values(), res.tables)["requests"]
    del want["withheld_query_service"]
    assert res.tables["requests"] == want
    assert "requests: unmatched row label '9.其他情形'" in res.problems
    assert "requests: unmatched row label '8.乱码乱码乱码'" in res.problems
    assert ("requests: 24 rows matched, template 2021 expects 25 (missing: withheld_query_service)"
            in res.problems)


def test_no_header_rows_read_by_position_and_said_so():
    t = gen("2019", 17)
    rows = expanded(LAYOUTS["requests"](t))[3:]
    res = parse_tables(grids_from_html(report_html([section("requests", plain_table(rows))])))
    assert res.tables["requests"] == as_printed(t.values(), res.tables)["requests"]
    assert "requests: columns mapped by position (no header)" in res.problems


def test_transposed_appeals_table():
    t = gen("2021", 18)
    v = t.values()["appeals"]
    outcomes = [c.key for c in schema.APPEALS_COLS]
    rows = [["", "", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"],
            ["行政复议", "行政复议"] + [str(v["review"][k]) for k in outcomes],
            ["行政诉讼", "未经复议直接起诉"] + [str(v["litigation_direct"][k]) for k in outcomes],
            ["行政诉讼", "复议后起诉"] + [str(v["litigation_after_review"][k]) for k in outcomes]]
    res = parse_html_tables(report_html([section("appeals", plain_table(rows))]))
    assert res.tables["appeals"] == v


def test_all_three_tables_in_one_table_element():
    t = gen("2021", 19)
    grid: list[list[GCell]] = []
    for k, width in (("active", 4), ("requests", 10), ("appeals", 15)):
        grid += [row + ([GCell("", colspan=15 - width, kind="value")] if width < 15 else [])
                 for row in LAYOUTS[k](t)]
    html = STYLES["clean"](grid, random.Random(0))
    res = parse_html_tables(report_html([section("active", html)]))
    assert res.tables == as_printed(t.values(), res.tables)
    assert res.problems == []


def test_three_values_under_one_header_keep_the_header_column():
    t = gen("2021", 20)
    t.row_raw[("active", "licensing")] = ["9", "342", "12"]
    t.cells["active"]["licensing"]["decisions"] = rnum.num(9)
    res = parse_html_tables(full_page(t))
    assert res.tables["active"]["licensing"] == {"decisions": 9}
    assert res.problems == ["active: row licensing has 3 values (9 | 342 | 12) under one column header "
                            "'本年处理决定数量'; kept the first"]


def test_unreadable_value_is_reported():
    t = gen("2021", 21)
    t.row_raw[("requests", "granted")] = ["见附件", "0", "0", "0", "0", "0", "0"]
    res = parse_html_tables(full_page(t))
    assert res.tables["requests"]["granted"]["natural_person"] is None
    assert "requests: unreadable value '见附件' at granted.natural_person" in res.problems


def test_a_summary_table_under_a_subheading_is_not_the_standard_table():
    t = gen("2021", 22)
    summary = ("<p>（一）主动公开情况</p><table><tr><td>事项</td><td>数量</td></tr><tr><td>行政许可</td><td>999</td></tr>"
               "<tr><td>行政处罚</td><td>77</td></tr></table>")
    html = full_page(t).replace("<p>本年度工作平稳有序。</p>", "<p>本年度工作平稳有序。</p>" + summary)
    res = parse_html_tables(html)
    assert res.tables == as_printed(t.values(), res.tables)
    assert res.tables["active"]["licensing"]["decisions"] != 999


def test_header_variants_dash_corner_and_other_spellings():
    t = gen("2021", 23)
    rows = expanded(LAYOUTS["requests"](t))
    for r in rows[:3]:
        r[0] = r[1] = r[2] = "／"  # a dash in the corner cell
    rows[2][8] = "其它"
    rows[1][9] = rows[2][9] = "合 计"
    res = parse_html_tables(report_html([section("requests", plain_table(rows))]))
    assert res.tables["requests"] == as_printed(t.values(), res.tables)["requests"]
    assert res.problems == ["active: table not found", "appeals: table not found"]


def test_a_page_without_tables_that_links_its_report():
    html = report_html(["<p>全文见附件：<a href='./P020220109975430148435887.pdf'>年度报告.pdf</a></p>"])
    res = parse_html_tables(html)
    assert res.tables == {}
    assert res.problems == ["tables not on the page: see linked documents (1 linked: pdf)"]


def test_the_official_blank_template_reads_as_all_blank():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "shared" / "samples" / "template-2021-blank.docx"
    if not path.exists():
        pytest.skip("../shared/samples is not available (third-party data lives outside the repo)")
    docx = pytest.importorskip("extract.grids.docx")
    res = parse_tables(docx.grids_from_docx(path.read_bytes()))
    assert res.template == "2021" and res.problems == []
    want = {t: {r: dict.fromkeys(cols) for r, cols in rows.items()} for t, rows in gen("2021").values().items()}
    assert res.tables == want
    assert {c.kind for c in res.cells} == {"blank"}
