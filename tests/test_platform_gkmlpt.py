"""The gkmlpt adapter on the replica's Guangdong sites: 佛山市南海区民政局 (paging works) and
肇庆市民政局 (the list API answers 404 for page >= 2). Expected values come from the ground truth."""
from __future__ import annotations

import json
import logging

import pytest
from lxml import html as lhtml

from crawler.registry import load_registry
from replica.walk import walk
from extract.identity import classify_title
from spiders.platforms import platform_for
from tests.replica_pages import PORT, agency, text_of, web  # noqa: F401  (fixtures)
from spiders.platforms.gkmlpt import article_url, config, detail

gk = platform_for("gkmlpt")


@pytest.fixture(scope="module")
def agencies():
    return {a.id: a for a in load_registry("replica", port=PORT)}


def url_of(r):
    return f"http://{r.host}:{PORT}{r.path}"


def report_links(w, agency):
    return {l.url: l for l in w.links if classify_title(l.title, agency.name, agency.aliases).kind == "report"}


@pytest.mark.parametrize("aid", ["nanhai-mzj", "zhaoqing-mzj"])
def test_walk_matches_the_truth(web, agencies, aid):
    a = agencies[aid]
    w = walk(web, a)
    assert w.requests() == [(m, p, f) for m, p, f in web.truth.list_pages[aid]]
    got = report_links(w, a)
    want = {url_of(r): r for r in web.truth.reports_of(aid) if r.reachable}
    assert set(got) == set(want)
    for url, link in got.items():
        assert (link.title, link.date) == (want[url].title, want[url].published)


def test_a_404_for_page_two_ends_the_list(web, agencies):
    a = agencies["zhaoqing-mzj"]
    w = walk(web, a)
    (failed,) = w.failures()
    assert failed.status == 404 and failed.optional and "page=2" in failed.url
    (bad,) = [b for b in web.truth.bad if b.agency_id == "zhaoqing-mzj"]
    assert bad.kind == "404" and failed.url == f"http://{bad.host}:{PORT}{bad.path}"
    hidden = [r for r in web.truth.reports_of("zhaoqing-mzj") if not r.reachable]
    assert sorted(r.year for r in hidden) == [2013, 2014, 2015]
    assert not {url_of(r) for r in hidden} & {l.url for l in w.links}


def test_index_shell_yields_the_api_request(web, agencies):
    a = agencies["nanhai-mzj"]
    text = text_of(web, a.start_url)
    sid, nodes = config(text)
    assert sid == "757012" and {"id": 3094, "name": "政府信息公开年报"} in nodes
    assert gk.links(text, a.start_url, {}) == []
    (p,) = gk.next_pages(text, a.start_url, {})
    assert p.url == f"http://www.nanhai.localhost:{PORT}/fsnhmzj/gkmlpt/api/all/3094?page=1&sid=757012"
    assert p.page == 1 and not p.optional
    # the classify can be named by option or by the URL's hash
    assert [x.url.split("/all/")[1] for x in gk.next_pages(text, a.start_url, {"options": {"classify_id": 3081}})] == [
        "3081?page=1&sid=757012"]
    assert [x.url.split("/all/")[1] for x in gk.next_pages(text, a.start_url + "#3099", {})] == [
        "3099?page=1&sid=757012"]


def test_classify_is_found_by_name_or_reported(caplog):
    js = ("<script>window._CONFIG = {SID:'755041', TREE:[{id:721,name:'机构概况',children:[]},"
          "{id:722,name:'政府信息公开年度报告',children:[{id:730,name:'2023年报'}]}]};</script>")
    sid, nodes = config(js)  # not JSON: read as a JS literal
    assert sid == "755041" and [n["id"] for n in nodes] == [721, 722, 730]
    pages = gk.next_pages(js, "http://x.localhost/dept/gkmlpt/index", {})
    assert [p.url for p in pages] == ["http://x.localhost/dept/gkmlpt/api/all/722?page=1&sid=755041",
                                      "http://x.localhost/dept/gkmlpt/api/all/730?page=1&sid=755041"]
    with caplog.at_level(logging.WARNING, logger="spiders.platforms"):
        none = "<script>window._CONFIG = {SID:'1', TREE:[{\"id\":5,\"name\":\"机构职能\"}]};</script>"
        assert gk.next_pages(none, "http://x.localhost/gkmlpt/index", {}) == []
        assert gk.next_pages("<html><body>shell</body></html>", "http://x.localhost/gkmlpt/index", {}) == []
    assert "no annual-report classify" in caplog.text and "no window._CONFIG SID" in caplog.text


def test_api_pages(web, agencies):
    api = f"http://www.nanhai.localhost:{PORT}/fsnhmzj/gkmlpt/api/all/3094?page=1&sid=757012"
    text = text_of(web, api)
    data = json.loads(text)
    assert data["classify"]["post_count"] == data["total"] == 13 and len(data["articles"]) == 10
    (p2,) = gk.next_pages(text, api, {})
    assert p2.url == api.replace("page=1", "page=2") and p2.optional and p2.page == 2
    page2 = text_of(web, p2.url)
    assert gk.next_pages(page2, p2.url, {}) == []
    assert len(gk.links(page2, p2.url, {})) == 3
    # page 0 is page 1 on these sites
    assert text_of(web, api.replace("page=1", "page=0")) == text


def test_dates_are_unix_times_in_china_time():
    text = json.dumps({"total": 1, "articles": [
        {"id": 1, "title": "某区民政局2021年政府信息公开工作年度报告", "date": 1641139200,  # 2022-01-03 00:00 CST
         "url": "http://x.localhost/d/gkmlpt/content/0/1/post_1.html"},
        {"id": 2, "title": "", "url": "http://x.localhost/2"}, {"title": "无链接无编号"}, "junk"]})
    links = gk.links(text, "http://x.localhost/d/gkmlpt/api/all/1?page=1&sid=9", {})
    assert [(l.title, l.date) for l in links] == [("某区民政局2021年政府信息公开工作年度报告", "2022-01-03")]
    assert gk.next_pages(text, "http://x.localhost/d/gkmlpt/api/all/1?page=1&sid=9", {}) == []


def test_article_url_is_built_from_the_id_when_url_is_empty(web):
    # the shape of a real article address (广州市白云区民政局, 2024 report): id 10091134 lives in
    # content/10/10091/; its portal twin is mpost_, the page itself post_
    assert article_url("https://www.by.gov.cn/gzbymz/gkmlpt/api/all/5?page=1&sid=200", 10091134) == (
        "https://www.by.gov.cn/gzbymz/gkmlpt/content/10/10091/post_10091134.html")
    assert article_url("http://x.localhost/gkmlpt/api/all/5?page=1&sid=1", "987") == (
        "http://x.localhost/gkmlpt/content/0/0/post_987.html")
    assert [article_url("http://x.localhost/d/gkmlpt/api/all/5", bad) for bad in (None, "", "abc", 0, -3)] == [None] * 5
    # the replica's API with every url blanked: the built links are the pages the site serves
    api = f"http://www.nanhai.localhost:{PORT}/fsnhmzj/gkmlpt/api/all/3094?page=1&sid=757012"
    data = json.loads(text_of(web, api))
    want = [(l.url, l.title, l.date) for l in gk.links(json.dumps(data), api, {})]
    for art in data["articles"]:
        art["url"] = art["post_url"] = ""
    got = [(l.url, l.title, l.date) for l in gk.links(json.dumps(data), api, {})]
    assert got == want and len(got) == len(data["articles"]) == 10
    page = text_of(web, got[0][0])
    assert detail(page)["title"] == got[0][1]


def test_malformed_and_empty_answers(caplog):
    url = "http://x.localhost/d/gkmlpt/api/all/1?page=1&sid=9"
    with caplog.at_level(logging.WARNING, logger="spiders.platforms"):
        assert gk.links('{"articles": [', url, {}) == [] and gk.next_pages('{"articles": [', url, {}) == []
        assert gk.links('{"code": 404, "message": "站点不存在"}', url, {}) == []
    assert "malformed JSON" in caplog.text and "no articles list" in caplog.text
    empty = '{"classify": {"id": 1, "post_count": 0}, "articles": [], "total": 0}'
    assert gk.links(empty, url, {}) == [] and gk.next_pages(empty, url, {}) == []


def test_article_detail_and_attachments(web):
    t = web.truth
    shell = next(r for r in t.reports_of("nanhai-mzj") if r.text_source == "attachment")
    text = text_of(web, url_of(shell))
    assert shell.title in text and "全文见附件" not in text  # the body exists only inside DETAIL
    d = detail(text)
    assert d["title"] == shell.title and "全文见附件" in d["content"]
    found = gk.attachments(text, url_of(shell), {})
    assert [l.url for l in found] == [f"http://{a.host}:{PORT}{a.path}" for a in shell.attachments]
    assert found[0].title.endswith(".docx")
    full = next(r for r in t.reports_of("nanhai-mzj") if r.text_source == "page" and r.tables)
    d = detail(text_of(web, url_of(full)))
    body = lhtml.fromstring(f"<div>{d['content']}</div>").text_content()
    assert all(p in body for p in full.paragraphs + full.headings)
    # a page without DETAIL: plain attachment links
    assert [l.url for l in gk.attachments('<a href="/x/a.pdf">a.pdf</a>', "http://x.localhost/p.html", {})] == [
        "http://x.localhost/x/a.pdf"]
