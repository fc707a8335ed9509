"""The trs_fujian adapter on the replica's Fujian 集约化 site (闽侯县民政局): a static first page, then
the TRS search API. Expected values come from the replica's ground truth."""
from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest

from replica.walk import fetch, walk
from extract.decode import decode_html
from extract.identity import classify_title
from spiders.platforms import platform_for
from tests.replica_pages import PORT, agency, text_of, web  # noqa: F401  (fixtures)
from spiders.platforms.trs_fujian import list_config

AID = "minhou-mzj"


@pytest.fixture(scope="module")
def site(web):
    return next(s for s in web.sites.values() if s.spec.agency.id == AID)


def text_of(web, method, url, form=()):
    status, headers, body = fetch(web, method, url, form)
    assert status == 200, (url, status)
    return decode_html(body, headers.get("content-type", "")).text


def planted(web):
    return {f"http://{r.host}:{PORT}{r.path}": r for r in web.truth.reports_of(AID)}


fj = platform_for("trs_fujian")


def test_walk_requests_and_reports_match_the_truth(web, agency):
    w = walk(web, agency)
    assert w.requests() == web.truth.list_pages[AID]
    assert not w.failures()
    reports = {l.url: l for l in w.links if classify_title(l.title, agency.name, agency.aliases).kind == "report"}
    want = planted(web)
    assert set(reports) == set(want)
    for url, link in reports.items():
        assert link.title == want[url].title and link.date == want[url].published, url


def test_static_page_rows_and_api_schedule(web, agency, site):
    text = text_of(web, "GET", agency.start_url)
    items = site.spec.entries_in("own")
    links = [l for l in fj.links(text, agency.start_url, {}) if "/xmzj/" in l.url and "/t20" in l.url]
    # the static page is stale by one: it shows items 2..11, and not the newest
    assert [l.title for l in links] == [e.title for e in items[1:11]]
    assert [l.date for l in links] == [f"{e.date:%Y-%m-%d}" for e in items[1:11]]
    cfg = list_config(text)
    assert cfg == {"channelid": "231105", "classsql": "chnlid=4127", "sortfield": "-docorderpri,-docreltime",
                   "prepage": 10, "recordCount": len(items) - 1}
    pages = fj.next_pages(text, agency.start_url, {})
    assert [(p.method, p.url, dict(p.formdata), p.page) for p in pages] == [
        ("POST", f"http://www.minhou.localhost:{PORT}/fjdzapp/search",
         {"channelid": "231105", "sortfield": "-docorderpri,-docreltime", "classsql": "chnlid=4127",
          "prepage": "10", "page": str(k)}, k) for k in (1, 2)]
    assert all(p.meta["trs_api"]["scheduled"] == 2 for p in pages)
    assert ("X-Requested-With", "XMLHttpRequest") in pages[0].headers


def test_api_page_one_schedules_what_the_stale_count_missed(web, agency, site):
    start = fj.next_pages(text_of(web, "GET", agency.start_url), agency.start_url, {})
    p1 = start[0]
    text = text_of(web, "POST", p1.url, p1.formdata)
    data = json.loads(text)
    assert data["pageCount"] == 3 and data["total"] == len(site.spec.entries_in("own"))
    links = fj.links(text, p1.url, {})
    newest = site.spec.entries_in("own")[0]
    assert links[0].title == newest.title and links[0].date == f"{newest.date:%Y-%m-%d}"
    assert links[0].url == f"http://www.minhou.localhost:{PORT}{newest.path}"
    more = fj.next_pages(text, p1.url, {"page": 1, **p1.meta})
    assert [(p.page, dict(p.formdata)["page"]) for p in more] == [(3, "3")]
    assert more[0].meta["trs_api"]["scheduled"] == 3
    # page 2 and 3 schedule nothing
    p2 = start[1]
    assert fj.next_pages(text_of(web, "POST", p2.url, p2.formdata), p2.url, {"page": 2, **p2.meta}) == []


def test_api_page_without_meta_degrades_with_a_log(web, agency, caplog):
    p1 = fj.next_pages(text_of(web, "GET", agency.start_url), agency.start_url, {})[0]
    text = text_of(web, "POST", p1.url, p1.formdata)
    with caplog.at_level(logging.WARNING, logger="spiders.platforms"):
        assert fj.next_pages(text, p1.url, {}) == []
    assert "form is unknown" in caplog.text


def test_one_report_is_listed_twice_and_one_only_by_the_api(web, agency):
    w = walk(web, agency)
    static, api1, api2, api3 = ({l.url for l in f.links if l.url in planted(web) or "/t20" in l.url} for f in w.fetched)
    assert static <= api1 | api2
    dup = static & api2  # the 11th item: last row of the stale static page, first row of API page 2
    assert [planted(web)[u].year for u in dup] == [2013]
    only_api = {u for u in api1 - static if u in planted(web)}
    assert [planted(web)[u].year for u in only_api] == [2023]
    assert api3 and not api3 & (static | api1 | api2)


def test_api_past_the_last_page_and_empty_answers(web, agency):
    form = (("channelid", "231105"), ("classsql", "chnlid=4127"), ("prepage", "10"), ("page", "9"))
    url = f"http://www.minhou.localhost:{PORT}/fjdzapp/search"
    text = text_of(web, "POST", url, form)
    assert fj.links(text, url, {}) == [] and fj.next_pages(text, url, {"page": 9}) == []
    empty = '{"page": 1, "pageCount": 0, "total": 0, "data": []}'
    assert fj.links(empty, url, {}) == [] and fj.next_pages(empty, url, {"page": 1}) == []


def test_malformed_json_does_not_crash_and_says_so(caplog):
    url = "http://a.localhost/fjdzapp/search"
    with caplog.at_level(logging.WARNING, logger="spiders.platforms"):
        assert fj.links('{"data": [{"doctitle": "x"', url, {}) == []
        assert fj.next_pages('{"data": [', url, {}) == []
        assert fj.links('{"code": 500, "msg": "error"}', url, {}) == []
        assert fj.links("[1, 2]", url, {}) == []
    assert "malformed JSON" in caplog.text and "no data list" in caplog.text


def test_api_rows_with_html_titles_and_epoch_dates():
    text = json.dumps({"page": 1, "pageCount": 1, "data": [
        {"doctitle": "<em>某县</em>民政局2020年政府信息公开工作年度报告", "docpuburl": "/a/202101/t20210105_1.htm",
         "docreltime": 1609811400000},
        {"doctitle": "", "chnldocurl": "/b.htm"}, "junk"]}, ensure_ascii=False)
    links = fj.links(text, "http://a.localhost/fjdzapp/search", {})
    assert [(l.url, l.title, l.date) for l in links] == [
        ("http://a.localhost/a/202101/t20210105_1.htm", "某县民政局2020年政府信息公开工作年度报告", "2021-01-05")]


def test_list_config_variants_and_plain_trs_fallback():
    page = """<script>var SiteInfo = {searchId: 200210};</script><script>
      require(["list2.trsapi", "tools"], function(listModel, tools) { listModel({
        listArgs: {channelid: 300111, classsql: 'chnlid=77', sortfield: '-docreltime'},
        pagebar: {prepage: 15, recordCount: 31}});});</script>"""
    assert list_config(page) == {"channelid": "300111", "classsql": "chnlid=77", "sortfield": "-docreltime",
                                 "prepage": 15, "recordCount": 31}
    pages = fj.next_pages(page, "http://a.localhost/x/index.htm", {"options": {"search_api": "/trsapp/search"}})
    assert [p.url for p in pages] == ["http://a.localhost/trsapp/search"] * 3
    assert [dict(p.formdata)["page"] for p in pages] == ["1", "2", "3"]
    # an empty column: recordCount 0 still asks the API for page 1 (the static page may be stale)
    empty = page.replace("recordCount: 31", "recordCount: '0'")
    assert [p.page for p in fj.next_pages(empty, "http://a.localhost/x/index.htm", {})] == [1]
    # a TRS page of the older template: createPageHTML paging, as the trs adapter reads it
    old = '<script>createPageHTML(3, 0, "index", "htm");</script>'
    assert [p.url for p in fj.next_pages(old, "http://a.localhost/x/index.htm", {})] == [
        "http://a.localhost/x/index_1.htm", "http://a.localhost/x/index_2.htm"]


def test_api_over_get_gives_the_same_answer(web):
    form = (("channelid", "231105"), ("classsql", "chnlid=4127"), ("prepage", "10"), ("page", "2"))
    url = f"http://www.minhou.localhost:{PORT}/fjdzapp/search"
    assert text_of(web, "GET", url + "?" + urlencode(form)) == text_of(web, "POST", url, form)
