"""The anhui adapter on the replica's 全椒县民政局: the unit's 年报 catalogue (static, paged by
``&page=N``) and the portal's OpennessAnnualReport module list, the column of the county portal's
own registry entry (全椒县人民政府)."""
from __future__ import annotations


from crawler.registry import load_registry
from replica.walk import walk
from extract.identity import classify_title
from spiders.platforms import platform_for
from tests.replica_pages import PORT, agency, text_of, web  # noqa: F401  (fixtures)

AID = "quanjiao-mzj"
PORTAL = "quanjiao-xzf"  # the county portal: 全椒县人民政府, whose column is the module
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
    summaries = {r.title for r in web.truth.reports_of(PORTAL)}  # the county's own (汇总) reports
    assert summaries and all(kinds[t] == "other_agency_report" for t in summaries)
    assert all(l.url.startswith(HOST + "/openness/OpennessAnnualReport/show/") and l.date for l in links)


def test_the_county_portal_reads_the_module_as_its_column(web):
    """The registry entry of the county portal (全椒县人民政府) starts at the module: every page of it
    is read, its own reports are the county's 汇总 reports, and every other row is another agency's
    report (the departments', and 全椒县民政局's own also listed there)."""
    portal = next(a for a in load_registry("replica", port=PORT) if a.id == PORTAL)
    w = walk(web, portal)
    assert w.requests() == web.truth.list_pages[PORTAL] and len(w.requests()) >= 2
    assert not w.failures()
    kinds: dict[str, list[str]] = {}
    for l in w.links:
        v = classify_title(l.title, portal.name, portal.aliases, province=portal.province, city=portal.city,
                           county=portal.county)
        kinds.setdefault(v.kind, []).append(l.url)
    assert sorted(kinds.pop("report")) == sorted(HOST + r.path for r in web.truth.reports_of(PORTAL))
    theirs = {HOST + p.path for p in web.truth.portal_reports if p.agency_id == PORTAL}
    mine = {HOST + p for r in web.truth.reports_of(AID) for p in (r.path, *r.also_at)
            if p.startswith("/openness/")}
    assert theirs and mine and sorted(kinds.pop("other_agency_report")) == sorted(theirs | mine)
    assert not kinds, kinds


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
