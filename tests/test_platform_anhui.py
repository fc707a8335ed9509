"""The anhui adapter on the replica's 全椒县民政局: the unit's 年报 catalogue (static, paged by
``&page=N``) and the portal's OpennessAnnualReport module list."""
from __future__ import annotations


from replica.walk import walk
from extract.identity import classify_title
from spiders.platforms import platform_for
from tests.replica_pages import PORT, agency, text_of, web  # noqa: F401  (fixtures)

AID = "quanjiao-mzj"
HOST = f"http://www.quanjiao.localhost:{PORT}"
ah = platform_for("anhui")


def test_walk_matches_the_truth(web, agency):
    w = walk(web, agency)
    assert w.requests() == web.truth.list_pages[AID]
    got = [l for l in w.links if classify_title(l.title, agency.name, agency.aliases).kind == "report"]
    reps = web.truth.reports_of(AID)
    # every report once, and the 2021 report a second time under its module URL
    want = {HOST + r.path: r for r in reps}
    twin = {HOST + p: r for r in reps for p in r.also_at}
    assert sorted(l.url for l in got) == sorted([*want, *twin])
    for l in got:
        r = want.get(l.url) or twin[l.url]
        assert (l.title, l.date) == (r.title, r.published)
    assert [r.year for r in twin.values()] == [2021]


def test_first_page_schedules_the_rest_and_later_pages_nothing(web, agency):
    text = text_of(web, agency.start_url)
    pages = ah.next_pages(text, agency.start_url, {})
    assert [p.url for p in pages] == [agency.start_url + "&page=2"] and pages[0].page == 2
    links = ah.links(text, agency.start_url, {})
    assert len(links) == 8 and all(l.date for l in links)  # the list rows only, not the navigation
    assert ah.next_pages(text_of(web, pages[0].url), pages[0].url, {}) == []


def test_module_list_of_every_department(web, agency):
    url = HOST + "/openness/OpennessAnnualReport/"
    text = text_of(web, url)
    pages = ah.next_pages(text, url, {})
    assert [p.url for p in pages] == [HOST + "/openness/OpennessAnnualReport/index.html?page=2"]
    links = ah.links(text, url, {}) + ah.links(text_of(web, pages[0].url), pages[0].url, {})
    kinds = {l.title: classify_title(l.title, agency.name, agency.aliases).kind for l in links}
    mine = {r.title for r in web.truth.reports_of(AID) if r.year >= 2021}
    assert {t for t, k in kinds.items() if k == "report"} == mine
    summaries = {n.title for n in web.truth.non_reports if n.agency_id == AID and n.kind == "summary"}
    assert summaries and all(kinds[t] == "other_agency_report" for t in summaries)
    assert all(l.url.startswith(HOST + "/openness/OpennessAnnualReport/show/") and l.date for l in links)


def test_pager_without_count_and_empty_list():
    page = ('<ul class="xxgk_nav_list"><li><a href="/public/1/2.html" title="某县民政局2019年政府信息公开工作年度报告">x</a>'
            '<span class="date">2020-01-10</span></li></ul><div class="pagination"><a href="?page=2">下一页</a></div>')
    url = "http://a.localhost/public/column/1?type=4&action=list"
    assert [p.url for p in ah.next_pages(page, url, {})] == ["http://a.localhost/public/column/1?page=2"]
    (link,) = ah.links(page, url, {})
    assert (link.url, link.date) == ("http://a.localhost/public/1/2.html", "2020-01-10")
    empty = '<ul class="xxgk_nav_list"><li class="nodata">暂无信息</li></ul><div class="pagination">共0条 共1页</div>'
    assert ah.links(empty, url, {}) == [] and ah.next_pages(empty, url, {}) == []


def test_viewer_page_attachment_is_found(web):
    r = next(r for r in web.truth.reports_of(AID) if r.text_source == "attachment")
    text = text_of(web, HOST + r.path)
    found = ah.attachments(text, HOST + r.path, {})
    assert [l.url for l in found] == [HOST + a.path for a in r.attachments]
    assert "<iframe" in text and "viewer.html?file=" in text
