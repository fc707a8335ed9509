"""Shared portals: a county or city portal's 年报 column lists the reports of its departments and
townships; each becomes a report of the agency that published it (crawler/portals.py).

Expected agencies, division codes and levels come from the replica's ground truth, written there by
hand (``PortalReport.owner`` / ``division_code`` / ``level``), never from the code under test.
"""
from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest

from crawler.items import CaptureItem
from crawler.registry import Agency, load_registry
from tests.conftest import ROOT
from tests.conftest import query as rows


def _registered() -> dict[str, Agency]:
    return {a.name: a for a in load_registry("replica", port=0)}


# ---------------------------------------------------------------- whose report (fast, no crawl)

def _verdict(title: str, portal: Agency):
    from extract.identity import classify_title

    return classify_title(title, portal.name, portal.aliases, province=portal.province, city=portal.city,
                          county=portal.county)


WUSU = Agency("wusu-mzj", "乌苏市民政局", "新疆维吾尔自治区", "county", "trs", "http://www.wusu.localhost/",
              city="塔城地区", county="乌苏市")
NANHAI = Agency("nanhai-mzj", "佛山市南海区民政局", "广东省", "county", "gkmlpt", "http://www.nanhai.localhost/",
                city="佛山市", county="南海区")
XINJIANG = Agency("xinjiang-mzt", "新疆维吾尔自治区民政厅", "新疆维吾尔自治区", "province", "trs",
                  "http://mzt.xinjiang.localhost/")


@pytest.mark.parametrize("title, portal, name, code, level", [
    ("乌苏市教育局2022年政府信息公开工作年度报告", WUSU, "乌苏市教育局", "654202", "county"),
    ("乌苏市2022年政府信息公开工作年度报告", WUSU, "乌苏市人民政府", "654202", "county"),
    ("佛山市南海区桂城街道办事处2022年政府信息公开工作年度报告", NANHAI, "佛山市南海区桂城街道办事处", "440605", "township"),
    ("桂城街道2022年政府信息公开工作年度报告", NANHAI, "佛山市南海区桂城街道办事处", "440605", "township"),
    ("2021年南海区财政局政府信息公开工作年度报告", NANHAI, "佛山市南海区财政局", "440605", "county"),
])
def test_another_agencys_report_makes_a_discovered_agency(title, portal, name, code, level):
    from crawler.portals import DISCOVERED, Owners

    owner = Owners([portal]).resolve(_verdict(title, portal), portal)
    assert owner is not None and owner.discovered
    row = owner.row
    assert (row["name"], row["division_code"], row["level"]) == (name, code, level)
    assert row["registry"] == DISCOVERED and row["discovered_via"] == portal.id
    assert row["id"].startswith(f"d{code}-") and owner.id == row["id"]


def test_a_discovered_agency_has_one_id_whatever_portal_lists_it():
    from crawler.portals import Owners

    title = "乌苏市教育局2022年政府信息公开工作年度报告"
    on_city = Owners([WUSU]).resolve(_verdict(title, WUSU), WUSU)
    on_region = Owners([XINJIANG]).resolve(_verdict(title, XINJIANG), XINJIANG)
    spelt = Owners([]).resolve(_verdict("乌苏市教育局2019年度政府信息公开工作年度报告", WUSU), WUSU)
    assert on_city.id == on_region.id == spelt.id
    other = Owners([]).resolve(_verdict("乌苏市财政局2022年政府信息公开工作年度报告", WUSU), WUSU)
    assert other.id != on_city.id


def test_a_registered_agency_keeps_its_reports_from_a_portal():
    from crawler.portals import Owners

    registry = list(_registered().values())
    czj = _registered()["乌苏市财政局"]
    owner = Owners(registry).resolve(_verdict("乌苏市财政局2022年政府信息公开工作年度报告", WUSU), WUSU)
    assert owner.id == czj.id and not owner.discovered and owner.row["registry"] == "replica"


def test_an_issuer_without_one_division_stays_an_other_link():
    from crawler.portals import Owners

    # 鼓楼区 is in four cities; read on a provincial site it names none of them for certain
    portal = Agency("jiangsu-mzt", "江苏省民政厅", "江苏省", "province", "hanweb", "http://mzt.jiangsu.localhost/")
    v = _verdict("鼓楼区民政局2022年政府信息公开工作年度报告", portal)
    assert v.kind == "other_agency_report"
    assert Owners([portal]).resolve(v, portal) is None


def test_archive_creates_a_discovered_agency_once_and_never_rewrites_a_registered_one(tmp_path):
    from crawler.archive import Archive
    from crawler.items import LinkItem
    from crawler.portals import Owners

    arc = Archive(tmp_path / "a.db", tmp_path / "blobs")
    Archive(tmp_path / "a.db", tmp_path / "blobs").close()  # the schema upgrade runs twice harmlessly
    czj = _registered()["乌苏市财政局"]
    arc.upsert_agencies([WUSU, czj])
    run = arc.start_run("replica", [WUSU.id])
    owners = Owners([WUSU, czj])
    for title in ("乌苏市教育局2022年政府信息公开工作年度报告", "乌苏市教育局2023年政府信息公开工作年度报告",
                  "乌苏市财政局2023年政府信息公开工作年度报告"):
        o = owners.resolve(_verdict(title, WUSU), WUSU)
        arc.observe_link(LinkItem(o.id, f"http://www.wusu.localhost/{title}.html", title,
                                  via_agency_id=WUSU.id, agency=dict(o.row, name=o.row["name"] + "X")
                                  if not o.discovered else o.row), run)
    got = {r["id"]: r for r in arc.db.query("select * from agencies")}
    assert got[czj.id]["name"] == "乌苏市财政局" and got[czj.id]["discovered_via"] is None
    found = [r for r in got.values() if r["registry"] == "discovered"]
    assert [(r["name"], r["division_code"], r["discovered_via"]) for r in found] == [("乌苏市教育局", "654202", WUSU.id)]
    vias = {r["via_agency_id"] for r in arc.db.query("select via_agency_id from report_links")}
    assert vias == {WUSU.id}
    # the agency's own list shows the same link: it is its own from then on
    arc.observe_link(LinkItem(czj.id, "http://www.wusu.localhost/乌苏市财政局2023年政府信息公开工作年度报告.html", "t"), run)
    assert arc.conn.execute("select via_agency_id from report_links where agency_id = ?", [czj.id]).fetchone()[0] is None
    arc.close()


# ---------------------------------------------------------------- the crawled replica

def _portal_reports(truth):
    reps = truth.portal_reports
    assert reps, "the replica plants portals listing other agencies' reports"
    # every one is on a list some registry entry crawls (全椒县's module: the county portal's own entry)
    assert all(p.reachable for p in reps), [p.path for p in reps if not p.reachable]
    return reps


def _stored(db, url: str) -> dict | None:
    """The current report stored under ``url``, or the one that keeps ``url`` among its other addresses."""
    got = rows(db, "select r.*, a.name as agency_name, a.division_code, a.level as agency_level, a.registry,"
                   " a.discovered_via from reports r join agencies a on a.id = r.agency_id"
                   " where r.is_current = 1 and (r.url = ? or r.also_at like ?)", [url, f'%"{url}"%'])
    assert len(got) <= 1, f"{url} is in {len(got)} reports"
    return got[0] if got else None


def test_every_planted_portal_report_is_its_agencys(crawled, truth, replica):
    registered = _registered()
    planted = _portal_reports(truth)
    portals = {p.agency_id for p in planted}
    assert len(portals) >= 3 and len({p.owner for p in planted}) >= 10
    for p in planted:
        url = replica.url(p.host, p.path)
        r = _stored(crawled["db"], url)
        assert r is not None, f"{p.owner} {p.year}: {url} not archived"
        assert (r["agency_name"], r["division_code"], r["agency_level"]) == (p.owner, p.division_code, p.level), url
        assert (r["agency"], r["level"], r["year"]) == (p.owner, p.level, p.year), url
        assert r["agency_id"] != p.agency_id
        if p.owner in registered:
            assert r["agency_id"] == registered[p.owner].id and r["registry"] == "replica"
        else:
            assert r["registry"] == "discovered" and r["discovered_via"] in portals
        if p.own_at is None:
            assert r["url"] == url and r["found_via"] == p.agency_id
        if p.tables:
            cells = {(c["table"], c["row"], c["col"]): c["value"] for c in rows(
                crawled["db"], 'select "table", "row", col, value from cells where report_id = ?', [r["id"]])}
            wrong = [(t, row, c) for t, rs in p.tables.items() for row, cs in rs.items() for c, v in cs.items()
                     if cells.get((t, row, c), "MISSING") != v]
            assert not wrong, (url, wrong[:5])
    # one agency per owner, under the portal that listed it first
    found = rows(crawled["db"], "select name, division_code, level, discovered_via from agencies"
                                " where registry = 'discovered' order by name")
    want = {(p.owner, p.division_code, p.level) for p in planted if p.owner not in registered}
    assert {(f["name"], f["division_code"], f["level"]) for f in found} == want
    assert len(found) == len(want)


def test_a_report_on_a_portal_and_on_its_own_site_is_one_report(crawled, truth, replica):
    twins = [p for p in _portal_reports(truth) if p.own_at]
    assert twins, "the replica plants portal copies of reports also on the agency's own site"
    for p in twins:
        portal_url, own_url = replica.url(p.host, p.path), p.own_url(replica.port)
        both = rows(crawled["db"], "select url, also_at, found_via from reports where url in (?, ?)",
                    [portal_url, own_url])
        assert len(both) == 1, f"{p.owner} {p.year}: {len(both)} reports for one report"
        r = both[0]
        assert r["url"] == own_url and portal_url in json.loads(r["also_at"] or "[]")  # the own site's URL kept
        assert r["found_via"] is None


def test_portal_health_counts_portal_links_and_discovered_agencies_have_no_row(crawled, truth, replica):
    run = rows(crawled["db"], "select * from agency_runs where run_id = 1")
    by_id = {r["agency_id"]: r for r in run}
    registry = {a.id for a in load_registry("replica", port=0)}
    assert set(by_id) == registry  # no health row of its own for a discovered agency
    listed: dict[str, set[str]] = {}
    for p in _portal_reports(truth):
        listed.setdefault(p.agency_id, set()).add(p.path)
    for portal, paths in listed.items():
        row = by_id[portal]
        assert row["status"] == "ok" and row["other_links"] == 0, row
        # links are counted per list page showing them (a pager may show page 1 twice), URLs once
        assert row["portal_links"] >= len(paths), (portal, row["portal_links"], len(paths))
        seen = rows(crawled["db"], "select url from report_links where via_agency_id = ?", [portal])
        assert {urllib.parse.urlsplit(r["url"]).path for r in seen} == paths


def _get(base: str, path: str, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.status == 200
        return r.read().decode("utf-8")


def test_discovered_agencies_show_in_datasette_like_registered_ones(datasette_url, crawled, truth):
    import lxml.html

    registered = _registered()
    want = {p.owner for p in _portal_reports(truth) if p.owner not in registered}
    data = json.loads(_get(datasette_url, "/archive/agencies.json", _facet="registry", _shape="objects",
                           registry="discovered", _size="max"))
    assert {r["name"] for r in data["rows"]} == want
    facet = {v["value"]: v["count"] for v in data["facet_results"]["registry"]["results"]}
    assert facet == {"discovered": len(want)}
    # the agency page: its reports by year, the 门户发现 marker and the portal named
    p = next(p for p in _portal_reports(truth) if p.owner not in registered)
    a = rows(crawled["db"], "select id, discovered_via from agencies where name = ?", [p.owner])[0]
    portal_name = rows(crawled["db"], "select name from agencies where id = ?", [a["discovered_via"]])[0]["name"]
    page = lxml.html.fromstring(_get(datasette_url, f"/archive/agencies/{a['id']}"))
    assert "门户发现" in page.xpath("string(//article//h1)")
    assert portal_name in page.xpath("string(//p[contains(@class, 'nb-portal')])")
    years = {int(y) for y in page.xpath("//section[@id='reports']//tr/@data-year")}
    assert years == {q.year for q in _portal_reports(truth) if q.owner == p.owner}
    # its reports are facets of the reports table like any agency's
    data = json.loads(_get(datasette_url, "/archive/reports.json", _facet="agency", _shape="objects",
                           is_current="1", _size="max"))
    agencies = {v["value"] for v in data["facet_results"]["agency"]["results"]}
    assert p.owner in agencies


# ---------------------------------------------------------------- one report, two URLs (in-process extract)

_CELL = re.compile(r"(<td[^>]*>(?:<[^>]+>)*\s*)(\d+)(\s*(?:<[^>]+>)*</td>)")


def _altered(html: bytes) -> bytes:
    """The page with its last table number changed: a portal copy that differs from the original."""
    text = html.decode("utf-8")
    last = list(_CELL.finditer(text))[-1]
    return (text[:last.start(2)] + str(int(last.group(2)) + 7) + text[last.end(2):]).encode("utf-8")


def test_copies_are_one_report_when_equal_and_both_kept_when_they_differ(tmp_path):
    """The portal's copy is read first (it was fetched first): an equal one still ends as an address
    of the report from the agency's own site; a differing one stays a report of its own, marked."""
    from crawler.archive import Archive
    from crawler.extract_step import run_extract
    from crawler.items import CaptureItem, LinkItem
    from replica import replica_web

    web = replica_web()
    czj = _registered()["乌苏市财政局"]
    copies = {p.year: p for p in web.truth.portal_reports if p.own_at and p.year in (2021, 2022)}
    assert set(copies) == {2021, 2022}
    arc = Archive(tmp_path / "a.db", tmp_path / "blobs")
    arc.upsert_agencies([WUSU, czj])
    run = arc.start_run("replica", [WUSU.id, czj.id])

    def store(agency_id, host, path, body, when, via):
        url = f"http://{host}{path}"
        arc.observe_link(LinkItem(agency_id, url, copies[2021].title, via_agency_id=via), run)
        arc.store_capture(CaptureItem(agency_id=agency_id, kind="report", url=url, final_url=url, status=200,
                                      headers={"Content-Type": ["text/html; charset=utf-8"]}, body=body,
                                      fetched_at=when), run)
        return url

    urls = {}
    for k, (year, p) in enumerate(sorted(copies.items())):
        portal_body = web.handle("GET", p.host, p.path)[2]
        own_body = web.handle("GET", *p.own_at)[2]
        if year == 2022:
            portal_body = _altered(portal_body)
        urls[year] = (store(czj.id, p.host, p.path, portal_body, f"2026-01-0{k + 1}T00:00:00Z", WUSU.id),
                      store(czj.id, *p.own_at, own_body, f"2026-01-0{k + 3}T00:00:00Z", None))
    run_extract(arc, progress=False, budget=None)
    got = list(arc.db.query("select year, url, also_at, found_via, agency_id from reports order by year, url"))
    portal21, own21 = urls[2021]
    portal22, own22 = urls[2022]
    assert [(r["year"], r["url"], json.loads(r["also_at"] or "[]"), r["found_via"]) for r in got] == [
        (2021, own21, [portal21], None),
        *sorted([(2022, own22, [], None), (2022, portal22, [], WUSU.id)], key=lambda r: r[1]),
    ]
    assert {r["agency_id"] for r in got} == {czj.id}
    arc.close()


# ---------------------------------------------------------------- removed, adopted, kept (in-process archive)

def _portal_night(arc, portal, links: dict, pages: dict, when: str) -> int:
    """One finished crawl run of ``portal`` alone: ``links`` {url: owner} seen on its complete list,
    ``pages`` {url: (owner, HTTP status)} fetched. Its health row is what the pipeline computes
    (crawler.pipelines.agency_rows) from these counts."""
    from crawler.items import CaptureItem, LinkItem
    from crawler.pipelines import AGENCY_KEYS

    run = arc.start_run("replica", [portal.id])
    for url, owner in links.items():
        arc.observe_link(LinkItem(owner.id, url, url.rsplit("/", 1)[-1], via_agency_id=portal.id,
                                  agency=owner.row), run)
    for url, (owner, status) in pages.items():
        ok = status == 200
        arc.store_capture(CaptureItem(agency_id=owner.id, kind="report", url=url, final_url=url, status=status,
                                      headers={"Content-Type": ["text/html; charset=utf-8"]},
                                      body=f"<html><body>{url}</body></html>".encode() if ok else b"",
                                      error=None if ok else f"HTTP {status}", fetched_at=when), run)
    row = {"agency_id": portal.id, **{k: 0 for k in AGENCY_KEYS}, "list_pages": 1, "portal_links": len(links),
           "bounds": None, "lists_complete": 1}
    arc.finish_run(run, status="finished", finish_reason="finished", stats={}, agency_rows=[row])
    return run


def test_a_discovered_agencys_report_unlisted_or_answering_404_is_removed(tmp_path):
    """Only a portal crawls a discovered agency: its list and its fetches say when a report is gone."""
    from crawler.archive import Archive
    from crawler.portals import Owners

    arc = Archive(tmp_path / "a.db", tmp_path / "blobs")
    arc.upsert_agencies([WUSU])
    owners = Owners([WUSU])
    titles = {y: f"乌苏市教育局{y}年政府信息公开工作年度报告" for y in (2021, 2022, 2023)}
    owner = {y: owners.resolve(_verdict(t, WUSU), WUSU) for y, t in titles.items()}
    url = {y: f"http://www.wusu.localhost/bmnb/{y}.html" for y in titles}
    first = _portal_night(arc, WUSU, {url[y]: owner[y] for y in url}, {url[y]: (owner[y], 200) for y in url},
                          "2026-01-01T00:00:00Z")
    # the next night: 2021 is no longer listed, 2022 is listed but answers 404, 2023 is as it was
    second = _portal_night(arc, WUSU, {url[y]: owner[y] for y in (2022, 2023)},
                           {url[2022]: (owner[2022], 404), url[2023]: (owner[2023], 200)}, "2026-01-02T00:00:00Z")
    got = {r["url"]: r for r in arc.db.query("select * from report_links")}
    assert {r["agency_id"] for r in got.values()} == {owner[2021].id} and owner[2021].discovered
    assert (got[url[2021]]["removed_run_id"], got[url[2021]]["last_run_id"]) == (second, first)
    assert (got[url[2022]]["removed_run_id"], got[url[2022]]["last_run_id"]) == (second, second)
    assert got[url[2023]]["removed_at"] is None
    health = arc.db.query("select removed, status from agency_runs where run_id = ?", [second])
    assert list(health) == [{"removed": 2, "status": "ok"}]
    arc.close()


def test_the_health_table_shows_a_portals_links(tmp_path):
    from crawler.archive import Archive
    from crawler.cli import health_table
    from crawler.portals import Owners

    arc = Archive(tmp_path / "a.db", tmp_path / "blobs")
    arc.upsert_agencies([WUSU])
    owners = Owners([WUSU])
    links = {f"http://www.wusu.localhost/bmnb/{k}.html": owners.resolve(_verdict(t, WUSU), WUSU) for k, t in enumerate(
        ["乌苏市教育局2022年政府信息公开工作年度报告", "乌苏市财政局2022年政府信息公开工作年度报告",
         "乌苏市卫生健康委员会2021年政府信息公开工作年度报告"])}
    run = _portal_night(arc, WUSU, links, {}, "2026-01-01T00:00:00Z")
    arc.close()
    table, rows = health_table(str(tmp_path / "a.db"), run)
    head, _, line = table.splitlines()
    at = head.index("portal")
    assert line.startswith(WUSU.id) and line[at:].split()[0] == str(len(links)) == str(rows[0]["portal_links"])


def test_a_discovered_agency_added_to_the_registry_keeps_its_reports(tmp_path):
    """Decided: the registry id takes the discovered agency's links, captures, reports and problems
    (report ids unchanged), and the discovered row goes; the reports carry the registered name."""
    from crawler.archive import Archive
    from crawler.extract_step import run_extract
    from crawler.portals import Owners
    from replica import replica_web

    web = replica_web()
    listed = [p for p in web.truth.portal_reports if p.agency_id == "kaili-mzj" and p.owner == "凯里市教育局"]
    assert len(listed) >= 2
    portal = _registered()["凯里市民政局"]
    arc = Archive(tmp_path / "a.db", tmp_path / "blobs")
    arc.upsert_agencies([portal])
    owner = Owners([portal]).resolve(_verdict(listed[0].title, portal), portal)
    assert owner.discovered
    urls = {p.url(80): p for p in listed}
    run = _portal_night(arc, portal, {u: owner for u in urls}, {}, "2026-01-01T00:00:00Z")
    for url, p in urls.items():
        status, headers, body = web.handle("GET", p.host, p.path)
        assert status == 200
        arc.store_capture(CaptureItem(agency_id=owner.id, kind="report", url=url, final_url=url, status=200,
                                      headers={k: [v] for k, v in headers}, body=body,
                                      fetched_at="2026-01-01T00:00:00Z"), run)
    run_extract(arc, progress=False, budget=None)
    before = {r["url"]: r["id"] for r in arc.db.query("select id, url from reports where agency_id = ?", [owner.id])}
    assert set(before) == set(urls)
    # a person adds it to the registry (another id, its name as the registry spells it)
    added = Agency("kaili-jyj", "凯里市教育局", portal.province, "county", "generic", "http://jyj.kaili.localhost/",
                   city=portal.city, county=portal.county, registry="replica")
    assert Owners([portal, added]).resolve(_verdict(listed[0].title, portal), portal).id == added.id
    arc.upsert_agencies([added])
    after = list(arc.db.query("select id, url, agency_id, agency from reports"))
    assert {r["url"]: r["id"] for r in after} == before
    assert {(r["agency_id"], r["agency"]) for r in after} == {(added.id, added.name)}
    assert not list(arc.db.query("select id from agencies where registry = 'discovered'"))
    for table in ("report_links", "captures"):
        assert {r["agency_id"] for r in arc.db.query(f"select agency_id from {table}")} <= {added.id, portal.id}
    # the portal lists them again the next night: links of the registry id, nothing discovered again
    _portal_night(arc, portal, {u: Owners([portal, added]).resolve(_verdict(p.title, portal), portal)
                                for u, p in urls.items()}, {}, "2026-01-02T00:00:00Z")
    links = list(arc.db.query("select agency_id, via_agency_id, removed_at from report_links"))
    assert links == [{"agency_id": added.id, "via_agency_id": portal.id, "removed_at": None}] * len(urls)
    assert not list(arc.db.query("select id from agencies where registry = 'discovered'"))
    arc.close()


def test_a_home_url_agency_listed_by_a_portal_keeps_its_discovered_column(tmp_path):
    """A registry entry known by its home page only (platform unknown until discovery) that a portal
    also lists: the portal's rows never put 'unknown' or the home URL back over what discovery found,
    whichever comes first."""
    from crawler.archive import Archive
    from crawler.items import DiscoveryItem
    from crawler.portals import Owners

    curated = _registered()["乌苏市财政局"]
    home = Agency(curated.id, curated.name, curated.province, curated.level, city=curated.city,
                  county=curated.county, aliases=curated.aliases, registry="replica",
                  home_url="http://czj.wusu.localhost/")
    assert home.needs_discovery and home.as_row()["platform"] == "unknown"
    owners = Owners([WUSU, home])
    title = "乌苏市财政局2022年政府信息公开工作年度报告"
    owner = owners.resolve(_verdict(title, WUSU), WUSU)
    assert owner.id == home.id and not owner.discovered
    arc = Archive(tmp_path / "a.db", tmp_path / "blobs")
    arc.upsert_agencies([WUSU])

    def row():
        return arc.db["agencies"].get(home.id)

    # 1. the portal lists it before it was ever crawled: its row is the registry's, undiscovered
    _portal_night(arc, WUSU, {"http://www.wusu.localhost/bmnb/1.html": owner}, {}, "2026-01-01T00:00:00Z")
    assert (row()["platform"], row()["start_url"], row()["registry"]) == ("unknown", home.home_url, "replica")
    # 2. its own crawl discovers its column
    run = arc.start_run("replica", [home.id])
    arc.upsert_agencies([home])
    arc.record_discovery(DiscoveryItem(home.id, home.home_url, curated.start_url, curated.platform, {}, 0.9, ["e"], 3),
                         run)
    # 3. the portal lists it again (and the registry is loaded again): what discovery found stays
    _portal_night(arc, WUSU, {"http://www.wusu.localhost/bmnb/1.html": owner}, {}, "2026-01-02T00:00:00Z")
    arc.upsert_agencies([home])
    assert (row()["platform"], row()["start_url"], row()["home_url"]) == (curated.platform, curated.start_url,
                                                                         home.home_url)
    assert row()["registry"] == "replica" and row()["discovered_via"] is None
    arc.close()


# ---------------------------------------------------------------- the county portal, night after night (slow)

COUNTY = "quanjiao-xzf"  # 全椒县人民政府: its column is the annual-report module of every department
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "--log-level", "WARNING"]


def _lock(web):
    return web._lock  # replica.changes holds the same lock while it changes pages


def _unlist(web, host: str, path: str) -> int:
    """The portal's module stops listing ``path`` (the page itself stays): its rows go from the list pages."""
    row = re.compile(rb"<tr>(?:(?!</tr>).)*?" + re.escape(path.encode()) + rb".*?</tr>\s*", re.S)
    site, n = web.sites[host], 0
    with _lock(web):
        for res in [*site.resources.values(), *site.by_query.values()]:
            if res.rendered and res.ctype.startswith("text/html") and path.encode() in res.body:
                res._body, k = row.subn(b"", res.body)
                n += k
    return n


@pytest.fixture(scope="module")
def county_nights(tmp_path_factory):
    """Three nights of the county portal and 全椒县民政局 on a replica server of this module's own:
    night 1 as planted; before night 2 the module drops one department's report from its list and
    another's page answers 404; before night 3 a person adds that department to the registry."""
    import sqlite3

    import yaml

    from replica import ReplicaServer, replica_web
    from tests.conftest import run_cli

    work = tmp_path_factory.mktemp("county")
    db = work / "archive.db"
    web = replica_web()
    with ReplicaServer(web, port=0) as server:
        def night(registry="replica", *more):
            run_cli("crawl", "--registry", str(registry), "--port", str(server.port), "--db", str(db), *FAST,
                    "--agency", COUNTY, "--agency", "quanjiao-mzj", "-s", "NIANBAO_REVALIDATE_DAYS=1",
                    "-s", f"NIANBAO_ALLOW_LOOPBACK={server.port}", "-s", "RETRY_TIMES=0", *more)
            run_cli("extract", "--db", str(db), "--no-progress")

        def snapshot(name):
            with sqlite3.connect(db) as src, sqlite3.connect(work / name) as dst:
                src.backup(dst)
            return work / name

        night()
        first = snapshot("night1.db")
        theirs = [p for p in web.truth.portal_reports if p.agency_id == COUNTY]
        unlisted = next(p for p in theirs if p.owner == "全椒县财政局")
        gone = next(p for p in theirs if p.owner == "全椒县教育体育局")
        assert _unlist(web, unlisted.host, unlisted.path) == 1
        with _lock(web):
            del web.sites[gone.host].resources[gone.path]
        night()
        second = snapshot("night2.db")
        doc = yaml.safe_load((ROOT / "crawler" / "registry" / "replica.yml").read_text(encoding="utf-8"))
        doc["agencies"].append({"id": "quanjiao-czj", "name": "全椒县财政局", "province": "安徽省", "city": "滁州市",
                                "county": "全椒县", "level": "county",
                                "home_url": "http://czj.quanjiao.localhost:{port}/"})
        reg = work / "added.yml"
        reg.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        ids_before = {r["url"]: r["id"] for r in rows(db, "select id, url from reports")}
        night(reg)
        yield {"first": first, "second": second, "db": db, "server": server, "web": web, "theirs": theirs,
               "unlisted": unlisted, "gone": gone, "ids_before": ids_before}


@pytest.mark.slow
def test_the_county_portal_yields_every_module_report_under_its_agency(county_nights):
    db, server, web = county_nights["first"], county_nights["server"], county_nights["web"]
    for p in county_nights["theirs"]:
        r = _stored(db, server.url(p.host, p.path))
        assert r is not None, p.path
        assert (r["agency_name"], r["division_code"], r["agency_level"], r["year"]) == (
            p.owner, p.division_code, p.level, p.year)
        assert (r["registry"], r["discovered_via"], r["found_via"]) == ("discovered", COUNTY, COUNTY)
    own = {(r.year, server.url(r.host, r.path)) for r in web.truth.reports_of(COUNTY)}
    got = rows(db, "select year, url from reports where agency_id = ? and is_current = 1", [COUNTY])
    assert own and {(r["year"], r["url"]) for r in got} == own
    # its health row and the printed table count the other agencies' links it listed
    from crawler.cli import health_table

    table, health = health_table(str(db), 1)
    county = next(h for h in health if h["agency_id"] == COUNTY)
    assert county["status"] == "ok" and county["portal_links"] >= len(county_nights["theirs"])
    head, line = table.splitlines()[0], next(x for x in table.splitlines() if x.startswith(COUNTY))
    assert line[head.index("portal"):].split()[0] == str(county["portal_links"])


@pytest.mark.slow
def test_an_unlisted_or_404_portal_report_is_removed(county_nights):
    db, server = county_nights["second"], county_nights["server"]
    removed = {}
    for p in county_nights["theirs"]:
        url = server.url(p.host, p.path)
        link = rows(db, "select removed_run_id, last_run_id from report_links where url = ?", [url])[0]
        report = rows(db, "select removed_at from reports where url = ?", [url])[0]
        removed[p.path] = (link["removed_run_id"], link["last_run_id"], report["removed_at"] is not None)
    unlisted, gone = county_nights["unlisted"].path, county_nights["gone"].path
    assert removed.pop(unlisted) == (2, 1, True)  # not listed since night 1
    assert removed.pop(gone) == (2, 2, True)  # still listed, its page answers 404
    assert set(removed.values()) == {(None, 2, False)}
    runs = {r["run_id"]: r["removed"] for r in rows(db, "select run_id, removed from agency_runs where agency_id = ?",
                                                      [COUNTY])}
    assert runs == {1: 0, 2: 2}
    # the next night the 404 page is still listed and still gone
    gone_url = server.url(county_nights["gone"].host, gone)
    assert rows(county_nights["db"], "select removed_at is not null as gone from reports where url = ?",
                [gone_url]) == [{"gone": 1}]


@pytest.mark.slow
def test_a_department_added_to_the_registry_takes_its_reports(county_nights):
    db = county_nights["db"]
    agencies = {r["name"]: r for r in rows(db, "select * from agencies")}
    assert agencies["全椒县财政局"]["id"] == "quanjiao-czj" and agencies["全椒县财政局"]["registry"] == "replica"
    assert agencies["全椒县教育体育局"]["registry"] == "discovered"
    mine = rows(db, "select id, url, agency, year from reports where agency_id = 'quanjiao-czj'")
    want = {p.year for p in county_nights["theirs"] if p.owner == "全椒县财政局"}
    assert {r["year"] for r in mine} == want and {r["agency"] for r in mine} == {"全椒县财政局"}
    assert all(county_nights["ids_before"][r["url"]] == r["id"] for r in mine)  # the same report rows
    assert not rows(db, "select 1 from report_links where agency_id like 'd341124-%' and url in"
                        " (select url from report_links where agency_id = 'quanjiao-czj')")
