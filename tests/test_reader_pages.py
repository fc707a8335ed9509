"""The reader's pages on the demo archive, checked against what the replica planted.

Each page is read twice: as the HTML Datasette serves (always) and as headless Chromium renders it
(``browser``, skipped without Chromium). Expected numbers come from the replica's ground truth, never
from the archive under test; screenshots of every page go to ``tests/artifacts/`` for people to look at.
"""
from __future__ import annotations

import json
import urllib.parse
import urllib.request

import lxml.html
import pytest

from extract import schema
from tests.conftest import ROOT, dump_dom

ARTIFACTS = ROOT / "tests" / "artifacts"
def fetch_html(url: str) -> lxml.html.HtmlElement:
    with urllib.request.urlopen(url, timeout=60) as r:
        assert r.status == 200
        return lxml.html.fromstring(r.read().decode("utf-8"))


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read().decode("utf-8"))


def render(chromium, url, tmp_path, shot: str | None = None, size=(1280, 2400)) -> lxml.html.HtmlElement:
    """The DOM after Chromium ran the page; with ``shot``, also a PNG in tests/artifacts/."""
    dom = dump_dom(chromium, url, tmp_path, ARTIFACTS / shot if shot else None, size)
    assert not shot or (ARTIFACTS / shot).stat().st_size > 10_000
    return dom


def number(text: str):
    t = text.strip().replace(",", "")
    try:
        v = float(t)
    except ValueError:
        return None
    return int(v) if v == int(v) else v


def report_id(base, truth_report, replica) -> int:
    url = replica.url(truth_report.host, truth_report.path)
    rows = get_json(f"{base}/archive/reports.json?" + urllib.parse.urlencode(
        {"url": url, "is_current": 1, "_shape": "array", "_col": "id"}))
    assert len(rows) == 1, (url, rows)
    return rows[0]["id"]


def with_tables(truth, template=None):
    return [r for r in truth.reports if r.reachable and r.tables and r.tables.get("requests")
            and not r.tables_as_images and r.text_source == "page" and not r.also_at
            and (template is None or r.template == template)]


def balance_failures(tables) -> dict[str, tuple]:
    """Columns whose planted 本年新收 + 上年结转 ≠ 办理结果总计 + 结转下年度, computed here."""
    req = tables["requests"]
    out = {}
    for c in (f.key for f in schema.REQUESTS_COLS):
        a, b, t, f = (req[r][c] or 0 for r in ("new_received", "carried_over", "handled_total", "carried_forward"))
        if a + b != t + f:
            out[c] = (a, b, t, f)
    return out


# --------------------------------------------------------------------------------- assertions

def assert_requests_table(dom, planted):
    table = dom.xpath('//table[@data-table="requests"]')
    assert table, "the requests table is rebuilt on the page"
    table = table[0]
    heads = {th.text_content().strip() for th in table.xpath(".//th")}
    assert {"申请人情况", "自然人", "法人或其他组织", "商业企业", "总计"} <= heads
    seen = 0
    for td in table.xpath(".//td[@data-key]"):
        row, col = td.get("data-key").split(".")
        want = planted["requests"][row][col]
        got = td.text_content().strip()
        if want is None:
            assert number(got) is None, (row, col, got)
        else:
            assert number(got) == want, (row, col, got, want)
        labels = [x.text_content().strip() for x in td.getparent().xpath('td[contains(@class, "label")]')]
        assert schema.row_field("requests", row).label in labels, (row, labels)
        seen += 1
    assert seen == sum(len(v) for v in planted["requests"].values())


def assert_failures_marked(dom, planted):
    failures = balance_failures(planted)
    assert failures, "the chosen report must carry a planted arithmetic error"
    marked = {td.get("data-key") for td in dom.xpath('//table[@data-table="requests"]//td[contains(@class, "fail")]')}
    texts = [li.text_content() for li in dom.xpath('//ul[@class="nb-failed"]/li[@data-rule="requests.balance"]')]
    for col, (a, b, t, f) in failures.items():
        assert {f"{r}.{col}" for r in ("new_received", "carried_over", "handled_total", "carried_forward")} <= marked
        assert any(f"本年新收 + 上年结转 ≠ 办理结果总计 + 结转下年度：{a} + {b} ≠ {t} + {f}" in x for x in texts), texts
    passing = [c for c in (f.key for f in schema.REQUESTS_COLS) if c not in failures]
    assert all(f"new_received.{c}" not in marked for c in passing
               if planted["requests"]["new_received"][c] == planted["requests"]["handled_total"][c])


def assert_agency_years(dom, planted_by_year):
    table = dom.xpath('//table[@class="nb-years"]')[0]
    years = [int(th.get("data-year")) for th in table.xpath(".//thead//th[@data-year]")]
    row = [tr for tr in table.xpath(".//tbody/tr") if "一、本年新收政府信息公开申请数量" in tr.text_content()][0]
    cells = row.xpath('td[contains(@class, "value")]')
    for year, tables in planted_by_year.items():
        want = tables["requests"]["new_received"]["total"]
        assert number(cells[years.index(year)].text_content()) == want, year
        bar = dom.xpath(f'//svg[contains(@class, "nb-chart")]//*[@data-series="new_received"][@data-year="{year}"]')
        assert bar and number(bar[0].get("data-value")) == want, year


# --------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def known(datasette_url, truth, replica):
    """A 2021 and a 2019 report with tables, one report with a planted balance error, and an
    agency with three years of tables."""
    out = {}
    for tpl in ("2021", "2019"):
        r = next(r for r in with_tables(truth, tpl) if not balance_failures(r.tables))
        out[tpl] = (r, report_id(datasette_url, r, replica))
    bad = next(r for r in with_tables(truth) if balance_failures(r.tables))
    out["bad"] = (bad, report_id(datasette_url, bad, replica))
    by_agency: dict[str, dict[int, list]] = {}
    for r in with_tables(truth):
        by_agency.setdefault(r.agency_id, {}).setdefault(r.year, []).append(r)
    aid, years = next((a, ys) for a, ys in sorted(by_agency.items())
                      if sum(len(v) == 1 for v in ys.values()) >= 3)
    out["agency"] = (aid, {y: v[0].tables for y, v in sorted(years.items()) if len(v) == 1})
    return out


# --------------------------------------------------------------------------------- served HTML

@pytest.mark.parametrize("tpl", ["2021", "2019"])
def test_report_page_rebuilds_the_requests_table(datasette_url, known, tpl):
    r, rid = known[tpl]
    dom = fetch_html(f"{datasette_url}/archive/reports/{rid}")
    assert dom.xpath("//h1")[0].text_content().strip() == r.title
    assert_requests_table(dom, r.tables)
    meta = dom.xpath('//dl[@class="nb-meta"]')[0].text_content()
    assert str(r.year) in meta and r.published in meta and schema.TEMPLATE_LABELS[tpl] in meta
    assert dom.xpath('//a[@class="nb-original"]/@href')[0].endswith(r.path)
    assert dom.xpath('//a[@class="nb-archived"]/@href')[0].startswith("/-/capture/")
    paragraphs = [p.text_content() for p in dom.xpath('//section[@id="text"]/p')]
    assert any(r.paragraphs[0][:20] in p for p in paragraphs)


def test_report_page_marks_cells_of_a_failing_check(datasette_url, known):
    r, rid = known["bad"]
    dom = fetch_html(f"{datasette_url}/archive/reports/{rid}")
    assert_failures_marked(dom, r.tables)


def test_agency_page_shows_years_and_chart(datasette_url, known):
    aid, by_year = known["agency"]
    dom = fetch_html(f"{datasette_url}/archive/agencies/{aid}")
    assert_agency_years(dom, by_year)


def test_compare_page_lines_up_agencies(datasette_url, truth):
    year = 2022
    planted = {r.agency_id: r.tables for r in with_tables(truth) if r.year == year}
    dom = fetch_html(f"{datasette_url}/-/compare?year={year}&table=requests&col=total")
    heads = [th.get("data-key") for th in dom.xpath('//table[@class="nb-compare"]//th[@data-key]')]
    col = heads.index("new_received.total") + 3  # agency, province, level come first
    rows = {tr.get("data-agency"): tr for tr in dom.xpath('//table[@class="nb-compare"]/tbody/tr[@data-agency]')}
    checked = 0
    for aid, tables in planted.items():
        if aid in rows and sum(1 for r in with_tables(truth) if r.agency_id == aid and r.year == year) == 1:
            assert number(rows[aid].xpath("td")[col].text_content()) == tables["requests"]["new_received"]["total"]
            checked += 1
    assert checked >= 3
    only = fetch_html(f"{datasette_url}/-/compare?year={year}&province=" + urllib.parse.quote("广东省"))
    provinces = {tr.xpath("td")[1].text_content() for tr in only.xpath('//table[@class="nb-compare"]/tbody/tr[@data-agency]')}
    assert provinces == {"广东省"}


def test_search_ranks_and_marks(datasette_url):
    dom = fetch_html(f"{datasette_url}/archive/reports?_search=" + urllib.parse.quote("行政复议"))
    items = dom.xpath('//ol[@class="nb-results"]/li')
    assert items, "ranked results are listed"
    assert all("行政复议" in "".join(li.xpath(".//mark//text()")) for li in items)
    listed = dom.xpath('//ol[@class="nb-results"]/li/@data-report')
    assert len(set(listed)) == len(listed)
    data = get_json(f"{datasette_url}/archive/search.json?_shape=array&q=" + urllib.parse.quote("行政复议"))
    assert data and all("【行政复议】" in (row["摘要"] or "") for row in data[:5])


def test_reports_list_shows_an_excerpt(datasette_url):
    dom = fetch_html(f"{datasette_url}/archive/reports?_size=5")
    cells = dom.xpath('//td[contains(@class, "col-excerpt")]')
    assert cells and all(len(td.text_content().strip()) <= 91 for td in cells)


# --------------------------------------------------------------------------------- in a browser

@pytest.mark.browser
def test_pages_in_chromium(chromium, datasette_url, known, tmp_path):
    r, rid = known["2021"]
    assert_requests_table(render(chromium, f"{datasette_url}/archive/reports/{rid}", tmp_path,
                                 "report-page.png"), r.tables)
    render(chromium, f"{datasette_url}/archive/reports/{rid}", tmp_path, "report-page-phone.png", (390, 2400))
    bad, bad_id = known["bad"]
    assert_failures_marked(render(chromium, f"{datasette_url}/archive/reports/{bad_id}", tmp_path,
                                  "report-page-failing-check.png"), bad.tables)
    aid, by_year = known["agency"]
    assert_agency_years(render(chromium, f"{datasette_url}/archive/agencies/{aid}", tmp_path, "agency-page.png"),
                        by_year)
    dom = render(chromium, f"{datasette_url}/-/compare?year=2022", tmp_path, "compare-page.png", (1280, 1200))
    assert dom.xpath('//table[@class="nb-compare"]/tbody/tr[@data-agency]')
    dom = render(chromium, f"{datasette_url}/archive/reports?_search=" + urllib.parse.quote("行政复议"), tmp_path,
                 "search-page.png")
    assert dom.xpath('//ol[@class="nb-results"]/li//mark')


def test_artifacts_are_ignored_by_git():
    assert "/tests/artifacts/" in (ROOT / ".gitignore").read_text().splitlines()


def test_wide_download_opens_in_excel_with_chinese_intact(datasette_url, truth, known):
    import io

    import openpyxl

    with urllib.request.urlopen(f"{datasette_url}/archive/report_figures.xlsx", timeout=60) as r:
        assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
        book = openpyxl.load_workbook(io.BytesIO(r.read()), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    head = list(rows[0])
    assert {"机构", "省份", "年度", "依申请公开·本年新收·总计", "复议诉讼·行政复议·总计"} <= set(head)
    current = get_json(f"{datasette_url}/archive/reports.json?is_current=1&_shape=array&_size=max&_col=id")
    assert len(rows) - 1 == len(current)
    r, rid = known["2021"]
    mine = next(row for row in rows[1:] if row[head.index("报告编号")] == rid)
    assert mine[head.index("机构")] == next(a.name for a in truth_agencies() if a.id == r.agency_id)
    assert mine[head.index("依申请公开·本年新收·总计")] == r.tables["requests"]["new_received"]["total"]
    with urllib.request.urlopen(f"{datasette_url}/archive/report_figures.csv?_stream=on&_bom=1", timeout=60) as resp:
        raw = resp.read()
    assert raw.startswith(b"\xef\xbb\xbf") and mine[head.index("机构")] in raw.decode("utf-8-sig")


def truth_agencies():
    from crawler.registry import load_registry

    return load_registry("replica", port=0)
