"""The hanweb_xxgk adapter on the replica's 沂南县民政局: one xxgkAnnualReport.jsp view per year,
old years printing the report inline, newer years linking articles."""
from __future__ import annotations

import logging
from datetime import date


from replica.walk import walk
from extract.identity import classify_title
from spiders.platforms import platform_for
from tests.replica_pages import PORT, agency, text_of, web  # noqa: F401  (fixtures)

AID = "yinan-mzj"
AREA = "113713210043521867"
VIEW = f"http://www.yinan.localhost:{PORT}/module/xxgk/xxgkAnnualReport.jsp"
xx = platform_for("hanweb_xxgk")


def year_url(y: int) -> str:
    return f"{VIEW}?area={AREA}&fbtime={y}"


def test_walk_matches_the_truth(web, agency):
    w = walk(web, agency)
    assert w.requests() == web.truth.list_pages[AID]
    assert [f.url for f in w.fetched[1:]] == [year_url(y) for y in range(2010, date.today().year + 1)]
    got = {l.url: l for l in w.links if classify_title(l.title, agency.name, agency.aliases).kind == "report"}
    want = {f"http://{r.host}:{PORT}{r.path}": r for r in web.truth.reports_of(AID)}
    assert set(got) == set(want)
    for url, link in got.items():
        r = want[url]
        assert (link.title, link.date, link.inline) == (r.title, r.published, "xxgkAnnualReport" in r.path)


def test_inline_year_links_itself(web):
    text = text_of(web, year_url(2012))
    (link,) = xx.links(text, year_url(2012), {})
    assert link.inline and link.url == year_url(2012)
    r = next(r for r in web.truth.reports_of(AID) if r.year == 2012)
    assert (link.title, link.date) == (r.title, r.published) and r.encoding == "gb18030"
    assert xx.next_pages(text, year_url(2012), {}) == []


def test_listing_year_and_empty_year(web):
    links = xx.links(text_of(web, year_url(2020)), year_url(2020), {})
    assert [l.title for l in links] == ["关于《沂南县民政局2020年政府信息公开工作年度报告》的解读",
                                        "沂南县民政局2020年政府信息公开工作年度报告"]
    assert all(l.url.startswith(f"http://www.yinan.localhost:{PORT}/art/2021/1/") and not l.inline for l in links)
    assert [l.date for l in links] == ["2021-01-06", "2021-01-04"]
    assert xx.links(text_of(web, year_url(2017)), year_url(2017), {}) == []
    assert xx.links(text_of(web, year_url(2030)), year_url(2030), {}) == []


def test_years_from_options(web, agency):
    start = text_of(web, agency.start_url)
    this = date.today().year
    pages = xx.next_pages(start, agency.start_url, {"options": {"first_year": 2019}})
    # the view's own year tabs reach back to 2010, so those years come too
    assert [p.url for p in pages] == [year_url(y) for y in range(2010, this + 1)]
    assert [p.page for p in pages] == list(range(1, this - 2010 + 2))
    bare = "<html><body>年报</body></html>"
    pages = xx.next_pages(bare, VIEW + "?area=X1", {"options": {"first_year": 2021, "year_param": "year"}})
    assert [p.url for p in pages] == [f"{VIEW}?area=X1&year={y}" for y in range(2021, this + 1)]
    pages = xx.next_pages(bare, VIEW, {"options": {"area": "A 1", "first_year": this}})
    assert [p.url for p in pages] == [f"{VIEW}?area=A+1&fbtime={this}"]
    assert xx.next_pages(bare, VIEW + "?area=1", {})[0].url.endswith("fbtime=2008")  # default first year


def test_missing_area_and_bad_first_year_are_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="spiders.platforms"):
        assert xx.next_pages("<p></p>", VIEW, {}) == []
        pages = xx.next_pages("<p></p>", VIEW + "?area=1", {"options": {"first_year": "soon"}})
    assert pages and pages[0].url.endswith("fbtime=2008")
    assert "no area" in caplog.text and "not a year" in caplog.text


def test_unknown_layout_falls_back_to_every_link():
    page = ('<div><a href="xxgkAnnualReport.jsp?area=1&fbtime=2013">2013年</a>'
            '<ul><li><a href="/art/2014/2/1/art_1_2.html">某县民政局2013年政府信息公开工作年度报告</a> 2014-02-01</li></ul></div>')
    links = xx.links(page, VIEW + "?area=1&fbtime=2013", {})
    assert [(l.url, l.date) for l in links] == [(f"http://www.yinan.localhost:{PORT}/art/2014/2/1/art_1_2.html",
                                                 "2014-02-01")]
    assert xx.links("", VIEW, {}) == []
