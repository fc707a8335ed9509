"""extract.grids.html: raw DOM tables → grids (spans expanded, Word markup, context)."""
from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.grids.html import grids_from_html, read_html

SHARED = Path(__file__).resolve().parents[2] / "shared"


def page(body: str) -> str:
    return f"<html><head><title>t</title></head><body>{body}</body></html>"


def test_spans_expand_and_origin_marks_copies():
    html = page("""<p>三、收到和处理政府信息公开申请情况</p><table>
      <tr><td rowspan="2">三、本年度办理结果</td><td>（一）予以公开</td><td>1</td></tr>
      <tr><td>（二）部分公开</td><td>0</td></tr>
      <tr><td colspan="2">（七）总计</td><td>1</td></tr></table>""")
    (g,) = grids_from_html(html)
    assert g.source == "html"
    assert g.cells == [["三、本年度办理结果", "（一）予以公开", "1"],
                       ["三、本年度办理结果", "（二）部分公开", "0"],
                       ["（七）总计", "（七）总计", "1"]]
    assert g.is_merged_copy(1, 0) and g.origin[1][0] == (0, 0)
    assert g.is_merged_copy(2, 1) and not g.is_merged_copy(2, 2)
    assert g.context == "三、收到和处理政府信息公开申请情况"


def test_word_pasted_cell_text():
    td_style = "width:50pt;border-left:1.0000pt solid windowtext;\nmso-border-left-alt:0.5000pt solid windowtext;\n"
    html = page(f"""<p class="MsoNormal"><span style="font-family:黑体">二、主动公开政府信息情况</span><o:p></o:p></p>
      <table class="MsoNormalTable" style="border-collapse:collapse;
        mso-padding-alt:0pt"><tbody>
      <tr><td style="{td_style}"><p class="MsoNormal"><span style="x">商业</span><br><span>企业</span><o:p></o:p></p></td>
          <td style="{td_style}"><p><span><span>规范</span><span>性文件</span></span></p></td></tr>
      <tr><td style="{td_style}"><p>&nbsp;3</p></td><td><p>\u30000<o:p>&nbsp;</o:p></p></td></tr>
      </tbody></table>""")
    (g,) = grids_from_html(html)
    assert g.cells[0] == ["商业\n企业", "规范性文件"]
    assert g.cells[1] == ["\xa03", "\u30000\xa0"]  # nbsp / U+3000 kept for the value parser
    assert g.context == "二、主动公开政府信息情况"


def test_uppercase_tags_and_malformed_spans():
    html = page("""<P>四、政府信息公开行政复议、行政诉讼情况</P><TABLE border=1><TBODY>
      <TR><TD colSpan='2"'>行政复议</TD><TD rowSpan="">x</TD></TR>
      <TR><TD>结果维持</TD><TD rowspan="0">1</TD><TD>2</TD></TR>
      <TR><TD>9</TD><TD colspan=100000>0</TD></TR></TBODY></TABLE>""")
    (g,) = grids_from_html(html)
    assert g.cells[0][:3] == ["行政复议", "行政复议", "x"]
    assert g.cells[1][:3] == ["结果维持", "1", "2"]
    assert g.cells[2][1] == "1"  # rowspan=0 runs to the end of the table
    assert g.n_cols <= 66  # an absurd colspan is capped (64 from column 2)
    assert any("capped" in n for n in g.notes)
    assert any("odd span" in n for n in g.notes)
    assert g.context == "四、政府信息公开行政复议、行政诉讼情况"


def test_absurd_rowspan_is_capped_to_the_table():
    html = page('<table><tr><td rowspan="5000">自然人</td><td>1</td></tr><tr><td>2</td></tr></table>')
    (g,) = grids_from_html(html)
    assert g.n_rows == 2


def test_layout_tables_and_non_data_tables_are_skipped():
    html = page("""<table class="layout"><tr><td>
        <table><tr><td>首页</td><td>政务公开</td></tr><tr><td>联系我们</td><td>网站地图</td></tr></table>
        <p>二、主动公开政府信息情况</p>
        <table><tr><td>信息内容</td><td>本年制发件数</td></tr><tr><td>规章</td><td>0</td></tr></table>
        <table><tr><td>只有一行 1</td></tr></table>
      </td></tr></table>""")
    grids = grids_from_html(html)
    assert len(grids) == 1
    assert grids[0].cells == [["信息内容", "本年制发件数"], ["规章", "0"]]
    assert grids[0].context.endswith("二、主动公开政府信息情况")


def test_split_table_shares_its_section_heading():
    html = page("""<p>一、总体情况</p><p>正文。</p><p><strong>三、收到和处理政府信息公开申请情况</strong></p>
      <table><tr><td>自然人</td><td>总计</td></tr><tr><td>1</td><td>1</td></tr></table>
      <p>&nbsp;</p><p style="page-break-before:always"></p>
      <table><tr><td>（七）总计</td><td>1</td></tr><tr><td>四、结转下年度继续办理</td><td>0</td></tr></table>""")
    a, b = grids_from_html(html)
    assert a.context == b.context
    assert a.context.split("\n")[-1] == "三、收到和处理政府信息公开申请情况"


def test_inputs_str_bytes_element_and_encoding_declaration():
    body = '<p>二、主动公开政府信息情况</p><table><tr><td>规章</td><td>1</td></tr><tr><td>规范性文件</td><td>2</td></tr></table>'
    decl = '<?xml version="1.0" encoding="gb2312"?>' + page(body)
    assert len(grids_from_html(decl)) == 1
    assert len(grids_from_html(page(body).encode("utf-8"))) == 1
    assert len(grids_from_html(lxml.html.document_fromstring(page(body)))) == 1
    assert grids_from_html("") == [] and grids_from_html("   ") == []


def test_images_with_their_context():
    html = page("""<p>二、主动公开政府信息情况</p><p align="center"><img src="/a.png" alt="" /></p>
                   <p>三、收到和处理政府信息公开申请情况</p><img src="/b.png" alt="收到和处理政府信息公开申请情况">""")
    rd = read_html(html)
    assert rd.grids == []
    assert [(i.src, i.context) for i in rd.images] == [("/a.png", "二、主动公开政府信息情况"),
                                                        ("/b.png", "三、收到和处理政府信息公开申请情况")]


def test_word_sample_from_a_real_site():
    path = SHARED / "samples" / "pingtan_2022_zfxxgknb_report_trs_fujian_EXCERPT.html"
    if not path.exists():
        pytest.skip("../shared/samples is not available (third-party data lives outside the repo)")
    (g,) = grids_from_html(path.read_text(encoding="utf-8"))
    assert g.n_rows == 3 and g.n_cols == 4
    assert [c.strip("\xa0") for c in g.cells[1]] == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    assert g.cells[2] == ["规章", "0", "0", "0"]
    assert g.context.split("\n")[-1] == "二、主动公开政府信息情况"


_CELL_TEXTS = ["", "0", "１２", "/", "—", "自然人", "总计", "（七）总计", "行政复议", "结果维持", "规章", "信息内容",
               "本年制发件数", "3（其中1件）", "\xa0", "\u3000", "1.属于国家秘密", "abc", "第二十条第（一）项"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(_CELL_TEXTS), st.sampled_from(["1", "2", "3", "0", "", "x", "9999"]),
                                   st.sampled_from(["1", "2", "5", "", "2\"", "100000"])),
                         min_size=1, max_size=6), min_size=1, max_size=8))
def test_random_tables_never_crash(rows):
    from extract.tables import parse_html_tables

    trs = "".join("<tr>" + "".join(f'<td rowspan="{rs}" colspan="{cs}">{t}</td>' for t, rs, cs in row) + "</tr>"
                  for row in rows)
    html = page(f"<p>三、收到和处理政府信息公开申请情况</p><table>{trs}</table>")
    for g in grids_from_html(html):
        assert all(len(r) == g.n_cols for r in g.cells)
        assert g.n_rows <= len(rows) and g.n_cols <= 128
    res = parse_html_tables(html)
    assert set(res.found) == {"active", "requests", "appeals"}
