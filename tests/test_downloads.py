"""Excel-friendly downloads end to end: a real SQLite file, a real Datasette with our plugins dir, and
the bytes it answers opened with openpyxl / the csv module.

Expected rows are computed here from the fixture data, never taken from the code under test.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from urllib.parse import parse_qs, quote, unquote, urlsplit

import openpyxl
import pytest
import sqlite_utils

import publish.xlsx as xlsx
from publish import PLUGINS

DB = "nb"
N = 120  # more than two pages of 50
LONG = "行政复议" * 10_000  # 40,000 characters, past Excel's 32,767 per cell
BIG = 123456789012345678  # 18 digits: a double would round it
AGENCIES = [{"id": 1, "name": "乌苏市民政局"}, {"id": 2, "name": "江苏省民政厅"}]
HOSTILE = {7: "=1+1", 8: "+86 991 1234567", 9: "-5 件", 10: "@SUM(A1)", 11: "#N/A",
           12: LONG, 13: "控制\x01字符", 14: "扩展B：𠀀𠀁"}


def report(i: int) -> dict:
    return {
        "id": i,
        "agency_id": 1 if i % 2 else 2,
        "title": f"{AGENCIES[0 if i % 2 else 1]['name']}{2019 + i % 4}年政府信息公开工作年度报告（行政复议 第{i}号）",
        "year": 2019 + i % 4,
        "score": i / 4,
        "pages": None if i % 3 == 0 else i,
        "code": BIG if i == 15 else i,
        "note": HOSTILE.get(i, f"备注{i}"),
    }


ROWS = [report(i) for i in range(1, N + 1)]
QUERY = "复议报告"
METADATA = {"databases": {DB: {"queries": {
    QUERY: {"sql": "select id, title, year from reports where year = :year order by id", "title": "按年份"},
}}}}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    from datasette.app import Datasette

    path = tmp_path_factory.mktemp("downloads") / f"{DB}.db"
    db = sqlite_utils.Database(path)
    db["agencies"].insert_all(AGENCIES, pk="id")
    db["reports"].insert_all(ROWS, pk="id", foreign_keys=[("agency_id", "agencies")])
    db["年报"].insert_all([{"id": 1, "机关": "乌苏市民政局", "年度": 2022}], pk="id")
    db.create_view("recent", "select id, title, year, score from reports where year >= 2020")
    db.close()
    # max_returned_rows 50 (so _size=max is 50 too): following a table takes several .json pages
    return Datasette([str(path)], metadata=METADATA, plugins_dir=str(PLUGINS),
                     settings={"default_page_size": 50, "max_returned_rows": 50})


def get(ds, path: str, **kwargs):
    async def run():
        return await ds.client.get(path, **kwargs)

    return asyncio.run(run())


def workbook(r):
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"] == XLSX_TYPE
    return openpyxl.load_workbook(io.BytesIO(r.content))


def data_rows(ws):
    return [list(row) for row in ws.iter_rows(min_row=2, values_only=True)]


def notes(wb) -> dict:
    return {k: v for k, v in wb["说明"].iter_rows(values_only=True)}


# ---------------------------------------------------------------- xlsx of a table

@pytest.fixture(scope="module")
def table_xlsx(ds):
    r = get(ds, f"/{DB}/reports.xlsx?_labels=on")
    return r, workbook(r)


def test_headers_of_the_answer(table_xlsx):
    r, _ = table_xlsx
    cd = r.headers["content-disposition"]
    assert cd.startswith("attachment;")
    assert 'filename="reports.xlsx"' in cd and "filename*=UTF-8''reports.xlsx" in cd
    assert int(r.headers["content-length"]) == len(r.content)


def test_all_rows_and_header(table_xlsx):
    _, wb = table_xlsx
    assert wb.sheetnames == ["reports", "说明"]
    ws = wb["reports"]
    header = [c.value for c in ws[1]]
    assert header == ["id", "agency_id", "title", "year", "score", "pages", "code", "note"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    rows = data_rows(ws)
    assert [row[0] for row in rows] == list(range(1, N + 1))  # every row, in order, none twice


def test_values_keep_their_types(table_xlsx):
    _, wb = table_xlsx
    ws = wb["reports"]
    by_id = {row[0]: dict(zip([c.value for c in ws[1]], row)) for row in data_rows(ws)}
    for want in ROWS:
        got = by_id[want["id"]]
        assert got["agency_id"] == AGENCIES[want["agency_id"] - 1]["name"]  # the label, not the id
        assert got["title"] == want["title"]  # Chinese intact
        assert got["year"] == want["year"] and isinstance(got["year"], int)
        assert got["score"] == want["score"] and isinstance(got["score"], (int, float))
        assert got["pages"] == want["pages"]  # None stays an empty cell
    assert by_id[15]["code"] == str(BIG)  # too many digits for a double: kept exact, as text
    assert by_id[16]["code"] == 16
    assert by_id[14]["note"] == HOSTILE[14]
    assert by_id[13]["note"] == "控制字符"  # a control character Excel cannot hold is dropped


def test_formulas_stay_text(table_xlsx):
    r, wb = table_xlsx
    ws = wb["reports"]
    note_cells = {row[0].value: row[7] for row in ws.iter_rows(min_row=2)}
    for i in (7, 8, 9, 10, 11):
        cell = note_cells[i]
        assert cell.value == HOSTILE[i] and cell.data_type == "s", (i, cell.value, cell.data_type)
    assert note_cells[7].quotePrefix and note_cells[10].quotePrefix  # stays text when edited
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet  # not a single formula in the file


def test_long_text_cut_at_the_cell_limit(table_xlsx):
    _, wb = table_xlsx
    ws = wb["reports"]
    note = {row[0]: row[7] for row in data_rows(ws)}[12]
    assert len(note) <= 32_767
    assert note.startswith(LONG[:30_000]) and note.endswith("…（已截断，原文共 40000 字）")


def test_widths_count_cjk_double(table_xlsx):
    _, wb = table_xlsx
    ws = wb["reports"]
    assert ws.column_dimensions["C"].width > ws.column_dimensions["D"].width  # title vs year
    assert ws.column_dimensions["C"].width <= 60


def test_note_sheet_says_where_from(table_xlsx):
    _, wb = table_xlsx
    info = notes(wb)
    assert info["行数"] == N
    assert f"/{DB}/reports" in info["数据来源"] and ".xlsx" not in info["数据来源"]
    assert "注意" not in info  # complete: nothing to warn about


def test_filters_select_the_rows(ds):
    want = [row["id"] for row in ROWS if row["year"] == 2021]
    ws = workbook(get(ds, f"/{DB}/reports.xlsx?year=2021"))["reports"]
    assert [row[0] for row in data_rows(ws)] == want
    ws = workbook(get(ds, f"/{DB}/reports.xlsx?year__gte=2020&_sort_desc=score"))["reports"]
    assert [row[0] for row in data_rows(ws)] == sorted(
        (row["id"] for row in ROWS if row["year"] >= 2020), key=lambda i: -ROWS[i - 1]["score"])


def test_download_from_a_later_page_starts_at_row_one(ds):
    nxt = get(ds, f"/{DB}/reports.json?_size=10").json()["next"]
    ws = workbook(get(ds, f"/{DB}/reports.xlsx?_size=10&_next={nxt}"))["reports"]
    assert [row[0] for row in data_rows(ws)] == list(range(1, N + 1))


def test_view_is_followed_too(ds):
    want = [row["id"] for row in ROWS if row["year"] >= 2020]
    assert len(want) > 50
    ws = workbook(get(ds, f"/{DB}/recent.xlsx"))["recent"]
    assert sorted(row[0] for row in data_rows(ws)) == want


def test_chinese_table_name(ds):
    r = get(ds, ds.urls.table(DB, "年报", format="xlsx"))
    wb = workbook(r)
    assert wb.sheetnames[0] == "年报"
    assert [c.value for c in wb["年报"][1]] == ["id", "机关", "年度"]
    cd = r.headers["content-disposition"]
    assert "filename*=UTF-8''" + quote("年报.xlsx") in cd
    assert 'filename="download.xlsx"' in cd  # the ASCII fallback, for clients without RFC 5987
    cd.encode("latin-1")  # a header must be latin-1


# ---------------------------------------------------------------- the bound

def test_bound_cuts_and_says_so(ds, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 30)
    wb = workbook(get(ds, f"/{DB}/reports.xlsx"))
    rows = data_rows(wb["reports"])
    assert [row[0] for row in rows[:30]] == list(range(1, 31))
    assert len(rows) == 31 and "截断" in rows[30][0] and "前 30 行" in rows[30][0]  # seen without 说明
    info = notes(wb)
    assert info["行数"] == 30
    warning = info["注意"]
    assert "截断" in warning and "前 30 行" in warning and f"共 {N} 行" in warning
    csv_url = urlsplit(warning[warning.index("http"):].split("；")[0])
    assert csv_url.path == f"/{DB}/reports.csv"
    assert parse_qs(csv_url.query)["_stream"] == ["on"] and parse_qs(csv_url.query)["_bom"] == ["1"]


def test_bound_cuts_across_pages(ds, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 75)  # inside the first .json page after the HTML's 50
    wb = workbook(get(ds, f"/{DB}/reports.xlsx"))
    assert [row[0] for row in data_rows(wb["reports"])[:75]] == list(range(1, 76))
    assert notes(wb)["行数"] == 75 and "注意" in notes(wb)


def test_exactly_the_bound_is_complete(ds, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", N)
    wb = workbook(get(ds, f"/{DB}/reports.xlsx"))
    assert len(data_rows(wb["reports"])) == N and "注意" not in notes(wb)


# ---------------------------------------------------------------- queries

def test_canned_query(ds):
    r = get(ds, ds.urls.query(DB, QUERY, format="xlsx") + "?year=2022")
    wb = workbook(r)
    assert wb.sheetnames == [QUERY, "说明"]
    ws = wb[QUERY]
    assert [c.value for c in ws[1]] == ["id", "title", "year"]
    want = [[row["id"], row["title"], row["year"]] for row in ROWS if row["year"] == 2022]
    assert data_rows(ws) == want
    assert "filename*=UTF-8''" + quote(f"{QUERY}.xlsx") in r.headers["content-disposition"]
    assert "year = :year" in notes(wb)["SQL"]


def test_arbitrary_sql_says_when_datasette_truncated(ds):
    sql = "select id, note from reports order by id"
    wb = workbook(get(ds, f"/{DB}.xlsx?sql={quote(sql)}"))
    rows = data_rows(wb[DB])
    *data, last = rows
    k = len(data)  # max_returned_rows, or one more when it equals the page size (Datasette's own rule)
    assert k in (50, 51) and [row[0] for row in data] == list(range(1, k + 1))
    warning = notes(wb)["注意"]
    assert "50 行" in warning and f"前 {k} 行" in warning and last[0] == f"（{warning}）"


def test_hostile_header_and_values_in_sql(ds):
    sql = """select '=HYPERLINK("http://example.com","点我")' as "=列", '-1' as "@a", 2.5 as x"""
    ws = workbook(get(ds, f"/{DB}.xlsx?sql={quote(sql)}"))[DB]
    header, row = list(ws.iter_rows(max_row=2))
    assert [c.value for c in header] == ["=列", "@a", "x"] and all(c.data_type == "s" for c in header[:2])
    assert row[0].value.startswith("=HYPERLINK") and row[0].data_type == "s"
    assert row[1].value == "-1" and row[1].data_type == "s" and row[2].value == 2.5


def test_query_error_is_a_400_not_a_workbook(ds):
    r = get(ds, f"/{DB}.xlsx?sql={quote('select * from nowhere')}")
    assert r.status_code == 400 and "nowhere" in r.text


# ---------------------------------------------------------------- CSV with a BOM, JSON untouched

def test_csv_with_bom_streams_everything(ds):
    r = get(ds, f"/{DB}/reports.csv?_bom=1&_stream=on&_labels=on&_size=max")
    assert r.status_code == 200
    assert r.content.startswith(b"\xef\xbb\xbf") and not r.content.startswith(b"\xef\xbb\xbf" * 2)
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [int(row["id"]) for row in rows] == list(range(1, N + 1))
    assert rows[0]["agency_id_label"] == "乌苏市民政局" and rows[0]["title"] == ROWS[0]["title"]
    assert "id" in rows[0]  # the header's first name is not glued to the BOM


def test_csv_without_bom_is_unchanged(ds):
    plain = get(ds, f"/{DB}/reports.csv?_size=max").content
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert get(ds, f"/{DB}/reports.csv?_size=max&_bom=1").content == b"\xef\xbb\xbf" + plain
    assert get(ds, f"/{DB}/reports.csv?_size=max&_bom=0").content == plain


def test_csv_bom_on_a_query_and_a_download(ds):
    r = get(ds, ds.urls.query(DB, QUERY, format="csv") + "?year=2020&_bom=on&_dl=1")
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "id,title,year" and "乌苏市民政局" in text


def test_csv_bom_leaves_errors_alone(ds):
    r = get(ds, f"/{DB}/nowhere.csv?_bom=1")
    assert r.status_code == 404 and not r.content.startswith(b"\xef\xbb\xbf")


def test_json_stays_json(ds):
    for path in (f"/{DB}/reports.json?_bom=1", f"/{DB}/reports.json?_shape=array&_labels=on",
                 ds.urls.query(DB, QUERY, format="json") + "?year=2021"):
        r = get(ds, path)
        assert r.status_code == 200 and r.content[:1] in (b"{", b"[")
        json.loads(r.content)


def test_csv_excel_link_redirects_to_the_bom_csv(ds):
    r = get(ds, f"/{DB}/reports.csv_excel?year=2021&_labels=on&_next=5")
    assert r.status_code == 302
    target = urlsplit(r.headers["location"])
    args = parse_qs(target.query)
    assert target.path == f"/{DB}/reports.csv"
    assert args["_bom"] == ["1"] and args["_dl"] == ["1"] and args["_stream"] == ["on"]
    assert args["year"] == ["2021"] and "_next" not in args  # a stream always starts at row one
    r = get(ds, r.headers["location"])
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert [int(row["id"]) for row in rows] == [row["id"] for row in ROWS if row["year"] == 2021]


def test_csv_excel_link_on_a_query_redirects_too(ds):
    r = get(ds, ds.urls.query(DB, QUERY, format="csv_excel") + "?year=2021")
    assert r.status_code == 302  # not the 200 Datasette forces on a query's Response
    assert unquote(urlsplit(r.headers["location"]).path) == unquote(ds.urls.query(DB, QUERY, format="csv"))


# ---------------------------------------------------------------- discoverable

def test_links_on_the_pages(ds):
    html = get(ds, f"/{DB}/reports?year=2021").text
    assert f"/{DB}/reports.xlsx?year=2021" in html and f"/{DB}/reports.csv_excel?year=2021" in html
    html = get(ds, ds.urls.query(DB, QUERY) + "?year=2021").text
    assert ".xlsx?year=2021" in html and ".csv_excel?year=2021" in html
    assert "downloads.py" in {p["name"] for p in get(ds, "/-/plugins.json").json()}


# ---------------------------------------------------------------- unit level

def test_sheet_titles():
    assert xlsx.sheet_title("reports") == "reports"
    assert xlsx.sheet_title("a/b:c*d?e[f]g\\h") == "a_b_c_d_e_f_g_h"
    assert len(xlsx.sheet_title("政府信息公开工作年度报告" * 5)) == 31
    assert xlsx.sheet_title("'x'") == "x"
    assert xlsx.sheet_title("History") == "History_"
    assert xlsx.sheet_title("") == xlsx.sheet_title("说明") == "数据"


def test_content_disposition_fallbacks():
    assert xlsx.content_disposition('a"b\\c') == (
        'attachment; filename="a_b_c.xlsx"; filename*=UTF-8\'\'a_b_c.xlsx')
    cd = xlsx.content_disposition("乌苏市 民政局")
    assert 'filename="download.xlsx"' in cd and "filename*=UTF-8''%E4%B9%8C" in cd and " " not in cd.split("''")[1]


def test_cell_values():
    assert xlsx.excel_value({"value": 3, "label": "乌苏市民政局"}) == "乌苏市民政局"
    assert xlsx.excel_value({"value": 3, "label": None}) == 3
    assert xlsx.excel_value({"$base64": True, "encoded": "AAEC"}) == "（二进制数据，3 字节）"
    assert xlsx.excel_value(b"\x00\x01") == "（二进制数据，2 字节）"
    assert xlsx.excel_value(float("inf")) == "inf"
    assert xlsx.excel_value(-(10**15)) == str(-(10**15)) and xlsx.excel_value(10**15 - 1) == 10**15 - 1
    astral = "𠀀" * 20_000  # 40,000 UTF-16 units in 20,000 characters
    cut = xlsx.cell_text(astral)
    assert len(cut.encode("utf-16-le")) // 2 <= 32_767 and cut.endswith("（已截断，原文共 20000 字）")
    assert "\ud840" not in cut  # no half of a surrogate pair
