"""Titles → report or not, which agency, which year."""
import pytest

from extract.identity import classify_title, issuer_of, report_year

XJ = ("新疆维吾尔自治区民政厅", ("自治区民政厅",))
WUSU = ("乌苏市民政局", ("市民政局",))


@pytest.mark.parametrize("title,agency,kind,year", [
    ("新疆维吾尔自治区民政厅2021年政府信息公开工作年度报告", XJ, "report", 2021),
    ("自治区民政厅2021年政府信息公开工作年度报告", XJ, "report", 2021),
    ("2021年度政府信息公开工作报告", XJ, "report", 2021),
    ("２０２１年政府信息公开工作年度报告", XJ, "report", 2021),
    ("常德市民政局2017年度政府信息公开工作报告", ("常德市民政局", ("市民政局",)), "report", 2017),
    ("市民政局2019年政府信息公开年报", WUSU, "report", 2019),
    ("乌苏市财政局2021年政府信息公开工作年度报告", WUSU, "other_agency_report", 2021),
    ("乌苏市2021年政府信息公开工作年度报告", WUSU, "other_agency_report", 2021),
    ("常德市民政局2017年度政府信息公开工作报告", WUSU, "other_agency_report", 2017),
    ("关于做好2022年政府信息公开工作年度报告编制发布工作的通知", XJ, "not_report", None),
    ("图解：江苏省民政厅2022年政府信息公开工作年度报告", ("江苏省民政厅", ()), "not_report", None),
    ("江苏省民政厅2022年政府信息公开工作年度报告解读", ("江苏省民政厅", ()), "not_report", None),
    ("民政厅召开年度工作会议", XJ, "not_report", None),
    ("江苏省民政厅2022年法治政府建设年度报告", ("江苏省民政厅", ()), "not_report", None),
    ("江苏省民政厅2022年政府网站工作年度报表", ("江苏省民政厅", ()), "not_report", None),
    ("2019年政务公开工作年度报告", XJ, "report", 2019),
    ("政府信息公开工作年度报告", XJ, "not_report", None),
])
def test_classify_title(title, agency, kind, year):
    v = classify_title(title, *agency)
    assert v.kind == kind, v
    if year:
        assert v.year == year


def test_issuer_strips_prefixes():
    assert issuer_of("关于无锡市滨湖区民政局2020年政府信息公开工作年度报告") == "无锡市滨湖区民政局"


def test_issuer_after_the_year_and_before_the_phrase():
    assert issuer_of("2019年上海市人民政府办公厅政府信息公开工作年度报告") == "上海市人民政府办公厅"
    assert issuer_of("2019年度鄂尔多斯市人民政府信息公开工作年度报告") == "鄂尔多斯市人民政府"
    assert issuer_of("常德市民政局政府信息公开工作年度报告（2020年）") == "常德市民政局"
    assert issuer_of("2020年度政府信息公开工作年度报告") == ""
    assert issuer_of("鄂爾多斯市二〇一九年政府信息公開工作年度報告") == "鄂尔多斯市"


def test_a_place_context_decides_a_shared_county_name():
    title = "朝阳区民政局2019年政府信息公开工作年度报告"
    v = classify_title(title, "朝阳区民政局", province="北京市")
    assert v.kind == "report" and v.identity.division_code == "110105"
    v = classify_title("长春市" + title, "朝阳区民政局", province="北京市")
    assert v.kind == "other_agency_report" and v.identity.division_code == "220104"
    assert v.reason == "report of 长春市朝阳区民政局"


def test_report_year_falls_back_to_publication_date():
    assert report_year("政府信息公开工作年度报告", "2023-01-19") == 2022
    assert report_year("政府信息公开工作年度报告", "2023-09-01") == 2023
    assert report_year("2020年度报告", "2023-01-19") == 2020
    assert report_year("年度报告", None) is None
