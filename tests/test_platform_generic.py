"""The generic adapter on the replica's long-tail site: 凯里市民政局's reports in a Boda VSB portal list
(``bmnb.htm``, then ``bmnb/2.htm`` … ``bmnb/1.htm`` numbered downwards; GBK, no declared charset),
with and without the registry's selectors."""
from __future__ import annotations

import logging

import pytest

from replica.walk import fetch, walk
from extract.decode import decode_html
from extract.identity import classify_title
from spiders.platforms import platform_for
from tests.replica_pages import PORT, agency, text_of, web  # noqa: F401  (fixtures)

AID = "kaili-mzj"
HOST = f"http://www.kaili.localhost:{PORT}"
gen = platform_for("generic")


@pytest.fixture(scope="module")
def items(web):
    return next(s for s in web.sites.values() if s.spec.agency.id == AID).spec.entries_in("own")


def text_of(web, url):
    status, headers, body = fetch(web, "GET", url)
    assert status == 200, (url, status)
    assert "charset" not in headers["content-type"] and b"charset" not in body[:2000].lower()
    return decode_html(body, headers.get("content-type", "")).text


def test_walk_with_selectors_matches_the_truth(web, agency):
    assert agency.options["link_selector"] == "a.c52143"
    w = walk(web, agency)
    assert w.requests() == web.truth.list_pages[AID]
    got = {l.url: l for l in w.links if classify_title(l.title, agency.name, agency.aliases).kind == "report"}
    want = {HOST + r.path: r for r in web.truth.reports_of(AID)}
    assert set(got) == set(want)
    for url, link in got.items():
        assert (link.title, link.date) == (want[url].title, want[url].published)
    others = [l for l in w.links if classify_title(l.title, agency.name, agency.aliases).kind == "other_agency_report"]
    kinds = {n.title: n.kind for n in web.truth.non_reports if n.agency_id == AID}
    assert {l.title for l in others} == {t for t, k in kinds.items() if k in ("other_agency_report", "summary")}


def test_every_row_exactly_and_the_downward_pages(web, agency, items):
    meta = {"options": agency.options}
    links, url = [], agency.start_url
    for path in ("/zwgk/zfxxgknb/bmnb.htm", "/zwgk/zfxxgknb/bmnb/2.htm", "/zwgk/zfxxgknb/bmnb/1.htm"):
        links += gen.links(text_of(web, HOST + path), HOST + path, meta)
    assert [(l.url, l.title, l.date) for l in links] == [(HOST + e.path, e.title, f"{e.date:%Y-%m-%d}") for e in items]
    first = text_of(web, url)
    assert [p.url for p in gen.next_pages(first, url, meta)] == [HOST + "/zwgk/zfxxgknb/bmnb/2.htm",
                                                                  HOST + "/zwgk/zfxxgknb/bmnb/1.htm"]
    second = HOST + "/zwgk/zfxxgknb/bmnb/2.htm"
    # a.Next also marks 首页/上页 once they are links: earlier pages come back (a crawler's duplicate
    # filter drops them)
    assert [p.url for p in gen.next_pages(text_of(web, second), second, meta)] == [
        HOST + "/zwgk/zfxxgknb/bmnb.htm", HOST + "/zwgk/zfxxgknb/bmnb/1.htm"]
    last = HOST + "/zwgk/zfxxgknb/bmnb/1.htm"
    assert [p.url for p in gen.next_pages(text_of(web, last), last, meta)] == [
        HOST + "/zwgk/zfxxgknb/bmnb.htm", HOST + "/zwgk/zfxxgknb/bmnb/2.htm"]


def test_without_options_titles_dates_and_next_labels(web, agency, items):
    text = text_of(web, agency.start_url)
    links = {l.url: l for l in gen.links(text, agency.start_url, {})}
    for e in items[:10]:  # truncated link texts lose to the title attribute; dates come from the row
        link = links[HOST + e.path]
        assert (link.title, link.date) == (e.title, f"{e.date:%Y-%m-%d}")
    assert [p.url for p in gen.next_pages(text, agency.start_url, {})] == [
        HOST + "/zwgk/zfxxgknb/bmnb/2.htm", HOST + "/zwgk/zfxxgknb/bmnb/1.htm"]  # 下页 and 尾页


def test_selectors_on_a_plain_page_and_bad_selectors(caplog):
    page = """<div class="list"><ul>
      <li><span class="t"><a href="a/1.htm" title="某市民政局2022年政府信息公开工作年度报告">某市民政局2022年…</a></span>
          <em class="d">2023年2月1日</em> <em class="v">2023-01-05 浏览</em></li>
      <li><span class="t"><a href="a/2.htm">某市民政局2021年政府信息公开工作年度报告</a></span><em class="d">2022-01-30</em></li>
    </ul></div><a href="nav.htm">首页</a><div class="pg"><a href="list_2.htm">2</a><a href="list_9.htm">末页</a></div>"""
    url = "http://b.localhost/x/list.htm"
    opts = {"options": {"link_selector": "div.list span.t", "date_selector": "em.d", "next_selector": "div.pg a"}}
    links = gen.links(page, url, opts)
    assert [(l.url, l.title, l.date) for l in links] == [
        ("http://b.localhost/x/a/1.htm", "某市民政局2022年政府信息公开工作年度报告", "2023-02-01"),
        ("http://b.localhost/x/a/2.htm", "某市民政局2021年政府信息公开工作年度报告", "2022-01-30")]
    assert [p.url for p in gen.next_pages(page, url, opts)] == ["http://b.localhost/x/list_2.htm",
                                                               "http://b.localhost/x/list_9.htm"]
    assert [p.url for p in gen.next_pages(page, url, {})] == ["http://b.localhost/x/list_9.htm"]  # 末页 label
    with caplog.at_level(logging.WARNING, logger="spiders.platforms"):
        bad = {"options": {"link_selector": "div[", "next_selector": "::nope("}}
        assert len(gen.links(page, url, bad)) == 5  # every link
        assert [p.url for p in gen.next_pages(page, url, bad)] == ["http://b.localhost/x/list_9.htm"]
    assert "bad link_selector" in caplog.text and "bad next_selector" in caplog.text
    assert gen.links("", url, opts) == [] and gen.next_pages("", url, opts) == []
