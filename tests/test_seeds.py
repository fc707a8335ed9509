"""Five real reports as text dumps (../shared/seeds, third-party data: read here, never copied).

The expected values below were written by hand, reading each seed's cells one by one:
000 Xinjiang 2021 (cells ending ' |'), 001 Binhu 2020 (2019 template), 002 Changde 2017 (pre-2019
narrative), 003 Wusu 2021 (a DOCX conversion: tab-started cells, labels broken over lines),
004 Jiangsu 2022 (tables published as images: the dump has the section headings and nothing under them).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.checks import run_checks
from extract.grids.textdump import grids_from_text
from extract.tables import IMAGES_NONE, PRE2019_NONE, parse_tables

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
REQ = ("natural_person", "business", "research", "nonprofit", "legal_services", "other_org", "total")
APP = ("upheld", "corrected", "other", "pending", "total")


def seed(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not available (third-party data lives outside the repo)")
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def parse(prefix: str):
    text = seed(prefix)
    return parse_tables(grids_from_text(text), text)


def r7(*v):
    assert len(v) == 7
    return dict(zip(REQ, v))


def a5(*v):
    assert len(v) == 5
    return dict(zip(APP, v))


Z7 = (0, 0, 0, 0, 0, 0, 0)
_ = None  # a blank cell

SEED_000 = {  # 新疆维吾尔自治区民政厅 2021
    "active": {
        "regulations": {"issued": 0, "repealed": 1, "in_force": 5},
        "normative_documents": {"issued": 2, "repealed": 0, "in_force": 62},
        "licensing": {"decisions": 9},  # printed 9 | 342 | 12 under one 本年处理决定数量 header
        "penalties": {"decisions": 15},
        "coercion": {"decisions": 0},
        "fees": {"amount": 0},
    },
    "requests": {
        "new_received": r7(0, 0, 1, 0, 0, 0, 1),
        "carried_over": r7(*Z7),  # printed 上年转结
        "granted": r7(0, 0, 1, 0, 0, 0, 1),
        "partly_granted": r7(*Z7),
        "withheld_state_secret": r7(*Z7),
        "withheld_prohibited_by_law": r7(*Z7),
        "withheld_security_stability": r7(*Z7),
        "withheld_third_party": r7(*Z7),  # its label cell runs over two lines
        "withheld_internal_affairs": r7(*Z7),
        "withheld_process_info": r7(*Z7),
        "withheld_enforcement_files": r7(*Z7),
        "withheld_query_service": r7(*Z7),
        "unavailable_not_held": r7(*Z7),
        "unavailable_needs_creation": r7(*Z7),
        "unavailable_unclear": r7(*Z7),  # printed 仍部明确
        "rejected_petition": r7(*Z7),
        "rejected_repeat": r7(*Z7),
        "rejected_publication": r7(*Z7),
        "rejected_excessive": r7(*Z7),
        "rejected_confirmation": r7(*Z7),  # printed 中心出具
        "other_no_correction": r7(*Z7),  # printed 处理其他政府信息公开申请
        "other_fee_unpaid": r7(*Z7),
        "other_misc": r7(*Z7),
        "handled_total": r7(0, 0, 0, 0, 0, 0, 0),  # all zero although one request was granted
        "carried_forward": r7(*Z7),  # printed 结转下半年度
    },
    "appeals": {
        "review": a5(0, 0, 0, 0, 0),  # header printed 尚未结果
        "litigation_direct": a5(0, 0, 0, 0, 0),
        "litigation_after_review": a5(0, 0, 0, 0, 0),
    },
}

SEED_001 = {  # 无锡市滨湖区民政局 2020, 2019 template
    "active": {
        "regulations": {"new_made": 0, "new_published": 0, "total_published": 0},
        "normative_documents": {"new_made": 4, "new_published": 1, "total_published": 1},
        "licensing": {"prev_items": 7, "change": 0, "decisions": 174},
        "other_services": {"prev_items": 20, "change": 0, "decisions": 5339},
        "penalties": {"prev_items": 61, "change": -3, "decisions": 0},
        "coercion": {"prev_items": 5, "change": 0, "decisions": 0},
        "fees": {"prev_items": 0, "change": 0},
        "procurement": {"projects": 51, "amount": 1946.689},  # printed 1946.6890万元
    },
    "requests": {
        "new_received": r7(5, 0, 0, 0, 0, 0, 5),
        "carried_over": r7(*Z7),
        "granted": r7(1, 0, 0, 0, 0, 0, 1),
        "partly_granted": r7(1, 0, 0, 0, 0, 0, 1),
        "withheld_state_secret": r7(*Z7),
        "withheld_prohibited_by_law": r7(*Z7),
        "withheld_security_stability": r7(*Z7),
        "withheld_third_party": r7(*Z7),
        "withheld_internal_affairs": r7(*Z7),
        "withheld_process_info": r7(*Z7),
        "withheld_enforcement_files": r7(*Z7),
        "withheld_query_service": r7(*Z7),
        "unavailable_not_held": r7(3, 0, 0, 0, 0, 0, 3),
        "unavailable_needs_creation": r7(*Z7),
        "unavailable_unclear": r7(*Z7),
        "rejected_petition": r7(*Z7),
        "rejected_repeat": r7(*Z7),
        "rejected_publication": r7(*Z7),
        "rejected_excessive": r7(*Z7),
        "rejected_confirmation": r7(*Z7),
        "other_total": r7(*Z7),  # the 2019 single （六）其他处理 row
        "handled_total": r7(5, _, _, _, _, _, 5),  # organisation columns printed blank
        "carried_forward": r7(*Z7),
    },
    "appeals": {
        "review": a5(0, 0, 1, 0, 1),
        "litigation_direct": a5(0, 0, 0, 0, 0),
        "litigation_after_review": a5(0, 0, 0, 0, 0),
    },
}

SEED_003 = {  # 乌苏市民政局 2021 (DOCX conversion)
    "active": {
        "regulations": {"issued": 0, "repealed": 0, "in_force": 0},
        "normative_documents": {"issued": 0, "repealed": 0, "in_force": 0},  # printed 行政规范性文件
        "licensing": {"decisions": 2788},
        "penalties": {"decisions": 0},
        "coercion": {"decisions": 0},
        "fees": {"amount": 0},
    },
    "requests": {
        "new_received": r7(*Z7),
        "carried_over": r7(*Z7),
        "granted": r7(*Z7),
        "partly_granted": r7(*Z7),
        "withheld_state_secret": r7(*Z7),
        "withheld_prohibited_by_law": r7(*Z7),
        "withheld_security_stability": r7(*Z7),
        "withheld_third_party": r7(*Z7),
        "withheld_internal_affairs": r7(*Z7),
        "withheld_process_info": r7(*Z7),
        "withheld_enforcement_files": r7(*Z7),
        "withheld_query_service": r7(*Z7),
        "unavailable_not_held": r7(*Z7),
        "unavailable_needs_creation": r7(*Z7),
        "unavailable_unclear": r7(*Z7),
        "rejected_petition": r7(*Z7),
        "rejected_repeat": r7(*Z7),
        "rejected_publication": r7(*Z7),
        "rejected_excessive": r7(*Z7),
        "rejected_confirmation": r7(*Z7),
        "other_no_correction": r7(*Z7),
        "other_fee_unpaid": r7(*Z7),
        "other_misc": r7(*Z7),
        "handled_total": r7(*Z7),
        "carried_forward": r7(*Z7),
    },
    "appeals": {
        "review": a5(0, 0, 0, 0, 0),
        "litigation_direct": a5(0, 0, 0, 0, 0),
        "litigation_after_review": a5(0, 0, 0, 0, 0),
    },
}


def test_seed_000_xinjiang_2021():
    res = parse("000")
    assert res.template == "2021"
    assert res.tables == SEED_000
    assert res.problems == ["active: row licensing has 3 values (9 | 342 | 12) under one column header "
                            "'本年处理决定数量'; kept the first"]
    checks = {(c.rule, c.scope): c for c in run_checks(res.tables, res.template)}
    bal = checks[("requests.balance", "total")]
    assert (bal.outcome, bal.detail) == ("fail", "1 + 0 != 0 + 0")
    assert checks[("requests.balance", "research")].outcome == "fail"
    assert checks[("requests.handled_sum", "total")].outcome == "fail"
    assert checks[("requests.balance", "natural_person")].outcome == "pass"
    assert checks[("appeals.sum", "review")].outcome == "pass"


def test_seed_001_binhu_2020_template_2019():
    res = parse("001")
    assert res.template == "2019"
    assert res.tables == SEED_001
    # the dump cut 本年新制作数量 / 本年新公开数量 to 本年新: the order is the template's, and that is said
    assert res.problems == ["active: column headers not (all) recognised; values read in template order"]
    raw = {(c.table, c.row, c.col): c for c in res.cells}
    assert raw[("active", "procurement", "amount")].raw == "1946.6890万元"
    assert raw[("requests", "handled_total", "business")].kind == "blank"
    checks = {(c.rule, c.scope): c for c in run_checks(res.tables, res.template)}
    b = checks[("requests.balance", "business")]
    assert b.outcome == "pass" and "blank treated as 0" in b.detail
    assert all(c.outcome == "pass" for c in checks.values())


def test_seed_002_changde_2017_is_pre2019():
    res = parse("002")
    assert res.template == "pre2019"
    assert res.tables == {} and res.cells == []
    assert res.problems == [PRE2019_NONE]


def test_seed_003_wusu_2021_docx_conversion():
    res = parse("003")
    assert res.template == "2021"
    assert res.tables == SEED_003
    assert res.problems == []
    raw = {(c.table, c.row, c.col): c.raw for c in res.cells}
    assert raw[("active", "licensing", "decisions")] == "\xa02788"
    assert all(c.outcome == "pass" for c in run_checks(res.tables, res.template))


def test_seed_004_jiangsu_2022_tables_as_images():
    text = seed("004")
    res = parse("004")
    assert res.tables == {} and res.cells == []
    assert res.problems == [IMAGES_NONE]
    assert res.template is None  # nothing printed says which template
    assert "接收政府信息公开申请23件" in text  # the narrative has numbers; none is taken as a table value


# ---------------------------------------------------------------------------------------------
# synthetic dumps (no third-party data): the reading is anchored on labels


def _requests_dump(rows: dict[str, list[str]]) -> str:
    from extract import schema

    lines = ["三、收到和处理政府信息公开申请情况", "申请人情况 |", "||||||||", "自然人 |", "法人或其他组织 |", "总计 |",
             "商业企业 |", "科研机构 |", "社会公益组织 |", "法律服务机构 |", "其他 |", "|||||"]
    for f in schema.rows("requests", "2021"):
        if f.group and f.group[-1] != "三、本年度办理结果" and f.key.endswith(("state_secret", "not_held", "petition",
                                                                             "no_correction")):
            lines.append(f"{f.group[-1]} |")
        lines.append(f"{f.label} |")
        lines += [f"{v} |" if v else "|" for v in rows.get(f.key, ["0"] * 7)]
        lines.append("||")
    return "\n".join(lines) + "\n四、政府信息公开行政复议、行政诉讼情况\n"


def test_a_row_with_a_missing_number_is_reported_not_shifted():
    from extract.tables import parse_text_tables

    text = _requests_dump({"granted": ["1", "0", "0", "0", "0", "1"],  # six numbers: one was lost
                           "partly_granted": ["2", "0", "0", "0", "0", "0", "2"]})
    res = parse_text_tables(text)
    req = res.tables["requests"]
    assert "granted" not in req
    assert req["partly_granted"] == r7(2, 0, 0, 0, 0, 0, 2)  # the next row is not shifted
    assert req["new_received"] == r7(*Z7)
    assert "requests: row granted has 6 values, expected 7; not read (1 | 0 | 0 | 0 | 0 | 1)" in res.problems
    assert any(p.startswith("requests: 24 rows matched, template 2021 expects 25") for p in res.problems)


def test_blank_cells_inside_a_row_keep_their_place():
    from extract.tables import parse_text_tables

    res = parse_text_tables(_requests_dump({"handled_total": ["5", "", "", "", "", "", "5"]}))
    assert res.tables["requests"]["handled_total"] == r7(5, _, _, _, _, _, 5)


def test_row_per_line_dump():
    from extract.tables import parse_text_tables

    text = "\n".join([
        "二、主动公开政府信息情况",
        "| 第二十条第（一）项 |  |  |  |",
        "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |",
        "| 规章 | 0 | 1 | 5 |",
        "| 规范性文件 | 2 | 0 | 62 |",
        "| 第二十条第（五）项 |  |  |  |",
        "| 信息内容 | 本年处理决定数量 |  |  |",
        "| 行政许可 | 342 |  |  |",
        "三、收到和处理政府信息公开申请情况",
    ])
    res = parse_text_tables(text)
    assert res.tables["active"] == {"regulations": {"issued": 0, "repealed": 1, "in_force": 5},
                                    "normative_documents": {"issued": 2, "repealed": 0, "in_force": 62},
                                    "licensing": {"decisions": 342}}
    assert res.template == "2021"


def test_pdftotext_like_dump_with_rows_on_one_line():
    from extract.tables import parse_text_tables

    text = "\n".join([
        "二、主动公开政府信息情况",
        "第二十条第（一）项",
        "信息内容 本年制发件数 本年废止件数 现行有效件数",
        "规章 0 1 5",
        "行政规范性文件 2 0 62",
        "三、收到和处理政府信息公开申请情况",
        "申请人情况",
        "自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计",
        "一、本年新收政府信息公开申请数量 3 1 0 0 0 0 4",
        "二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0",
        "（七）总计 3 1 0 0 0 0 4",
        "四、结转下年度继续办理 0 0 0 0 0 0 0",
        "五、存在的主要问题及改进情况",
        "全年工作人员 5 人。",
    ])
    res = parse_text_tables(text)
    assert res.tables["active"] == {"regulations": {"issued": 0, "repealed": 1, "in_force": 5},
                                    "normative_documents": {"issued": 2, "repealed": 0, "in_force": 62}}
    assert res.tables["requests"]["new_received"] == r7(3, 1, 0, 0, 0, 0, 4)
    assert res.tables["requests"]["handled_total"] == r7(3, 1, 0, 0, 0, 0, 4)
    assert res.template == "2021"
    assert not any("column headers" in p for p in res.problems)


def test_row_lines_whose_cells_wrap_onto_a_second_line():
    """antiword prints a Word table as '|cell|cell|' lines; a long label wraps onto the next line."""
    from extract.tables import parse_text_tables

    text = "\n".join([
        "三、收到和处理政府信息公开申请情况",
        "|申请人情况              |自然人|商业企业|科研机构|社会公益组织|法律服务机构|其他|总计|",
        "|一、本年新收政府信息公开申|3     |0       |0       |0           |0           |0   |3   |",
        "|请数量                    |      |        |        |            |            |    |    |",
        "|5.要求行政机关确认或重新  |1     |0       |0       |0           |0           |0   |1   |",
        "|出具已获取信息            |      |        |        |            |            |    |    |",
        "|（二）部分公开（区分处理的|2     |0       |0       |0           |0           |0   |2   |",
        "|，只计这一情形）          |      |        |        |            |            |    |    |",
        "|（七）总计                |      |        |        |            |            |    |    |",
        "四、政府信息公开行政复议、行政诉讼情况",
    ])
    res = parse_text_tables(text)
    req = res.tables["requests"]
    assert req["new_received"] == r7(3, 0, 0, 0, 0, 0, 3)
    assert req["rejected_confirmation"] == r7(1, 0, 0, 0, 0, 0, 1)
    assert req["partly_granted"] == r7(2, 0, 0, 0, 0, 0, 2)
    assert req["handled_total"] == r7(_, _, _, _, _, _, _)  # printed blank: a row of its own


_LINES = ["三、收到和处理政府信息公开申请情况", "自然人 |", "总计 |", "（七）总计 |", "0 |", "5 |", "|", "||", "|||",
          "\t规章", "\t\u30000", "商业", "| 规章 | 0 | 1 | 5 |", "行政许可 342", "", "\xa0", "4.保护第三方", "|（一）予以公开|1|2|",
          "|续行文字|  |  |", "一、总体情况", "五、存在的主要问题及改进情况", "见附件。"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_LINES), max_size=40))
def test_any_dump_is_read_without_crashing(lines):
    from extract.tables import parse_text_tables

    res = parse_text_tables("\n".join(lines))
    assert set(res.found) == {"active", "requests", "appeals"}
    for c in res.cells:
        assert res.tables[c.table][c.row][c.col] == c.value
