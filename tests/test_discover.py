"""Discovery from a home page (spiders/discover.py), home-URL-only registry entries, and the pager
that a wrong platform leaves unfollowed.

The replica's home pages link their 政府信息公开 section, which links the 年报 column (as real sites
do); discovery must find, on every replica platform, the column and platform the curated registry
names. A registry reduced to home URLs must crawl to the same reports as the curated one. A wrong
platform must be reported, not cut to page 1 in silence.
"""
from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

import pytest
import yaml

from crawler.registry import RegistryError, load_registry, validate
from extract.decode import decode_html
from spiders.discover import FOUND, Agent, Discovery, assess, fingerprint, pager_sign
from tests.conftest import ROOT, query, run_cli

CURATED = ROOT / "crawler" / "registry" / "replica.yml"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=2",
        "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.05", "--log-level", "WARNING"]


def home_only(ids: list[str] | None = None) -> dict:
    """The curated replica registry reduced to what a person knows first: name, place and home page
    (start_url, platform and the platform options dropped)."""
    doc = yaml.safe_load(CURATED.read_text(encoding="utf-8"))
    out = []
    for a in doc["agencies"]:
        if ids is not None and a["id"] not in ids:
            continue
        parts = urlsplit(a.pop("start_url"))
        for k in ("platform", "options", "notes"):
            a.pop(k, None)
        a["home_url"] = f"{parts.scheme}://{parts.netloc}/"
        out.append(a)
    return {"registry": "homes", "agencies": out}


def walk_in_process(web, agency, **bounds) -> Discovery:
    """One discovery walk answered by the replica web in-process (the spider's contract without Scrapy)."""
    host = urlsplit(agency.start_url).hostname
    d = Discovery(f"http://{host}:8765/", Agent(agency.name, agency.aliases, agency.province, agency.city,
                                                agency.county), **bounds)
    step = d.first()
    while step is not None:
        p = urlsplit(step.url)
        status, headers, body = web.handle("GET", p.hostname, p.path + (f"?{p.query}" if p.query else ""))
        if status != 200:
            d.failed(step, f"HTTP {status}")
        else:
            d.feed(step, step.url, decode_html(body, dict(headers).get("Content-Type", "")).text, len(body))
        step = d.next()
    return d


# ---------------------------------------------------------------------------------------------
# the walk, on every replica platform


def curated(port=8765):
    return {a.id: a for a in load_registry("replica", port=port)}


@pytest.mark.parametrize("agency_id", sorted(curated()))
def test_discovery_finds_the_curated_column(replica, agency_id):
    agency = curated()[agency_id]
    site = next((s for s in replica.web.sites.values() if s.spec.agency.id == agency_id), None)
    if site is None:
        pytest.skip(f"{agency_id} has no replica site")
    result = walk_in_process(replica.web, agency).result()
    if site.challenge is not None:  # the whole site answers an anti-bot challenge: nothing to find
        assert not result.found and "home page could not be read" in result.reason
        return
    assert result.found, (result.reason, result.evidence)
    assert (result.start_url, result.platform) == (agency.start_url, agency.platform), result.evidence
    assert FOUND <= result.confidence <= 1 and result.evidence
    # the home page does not link the column itself: it was reached through a section page (on
    # gkmlpt the 政府信息公开 link opens the platform, whose TREE holds the 年报 classify)
    home = replica.web.handle("GET", site.host, "/")[2]
    if agency.platform != "gkmlpt":
        assert urlsplit(agency.start_url).path.encode() not in home
        assert result.pages_fetched >= 3


def test_a_portal_list_loses_to_the_agency_own_column(replica):
    """Anhui: the home page's 政府信息公开年报 is the portal module listing every department; the
    agency's own catalogue (through 信息公开) wins once the agency's name is known."""
    agency = curated()["quanjiao-mzj"]
    walk = walk_in_process(replica.web, agency)
    result = walk.result()
    module = [c for c in walk.candidates() if "OpennessAnnualReport" in c.url]
    assert module and module[0].others > module[0].own and module[0].confidence < result.confidence
    assert any("portal list" in e for e in module[0].evidence)


def test_the_right_adapter_follows_every_pager_it_is_shown(replica):
    """The wrong-platform check never fires on a curated agency: wherever a start page shows a pager,
    its registered adapter schedules further pages (and a one-page pager is no pager)."""
    from spiders.platforms import platform_for

    shown = 0
    for agency in curated(replica.port).values():
        p = urlsplit(agency.start_url)
        status, headers, body = replica.web.handle("GET", p.hostname, p.path + (f"?{p.query}" if p.query else ""))
        if status != 200:
            continue
        text = decode_html(body, dict(headers).get("Content-Type", "")).text
        if pager_sign(agency.start_url, text):
            shown += 1
            meta = {"options": dict(agency.options), "page": 0}
            assert platform_for(agency.platform).next_pages(text, agency.start_url, meta), agency.id
    assert shown >= 5
    assert pager_sign("http://a/x/index.html", '<script>createPageHTML(1, 0, "index", "html")</script>'
                      '<a href="?page=2">x</a>') is None


def test_the_walk_is_bounded(replica):
    agency = curated()["xinjiang-mzt"]
    full = walk_in_process(replica.web, agency).result()
    assert full.found and full.pages_fetched > 2
    cut = walk_in_process(replica.web, agency, max_pages=2).result()
    assert not cut.found and cut.pages_fetched == 2 and "limit of 2 pages" in cut.reason
    small = walk_in_process(replica.web, agency, max_bytes=100).result()
    assert not small.found and small.pages_fetched == 1 and "limit of 100 bytes" in small.reason


# ---------------------------------------------------------------------------------------------
# saved real pages


def sample(shared_dir, name) -> tuple[str, str]:
    path = shared_dir / "samples" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return "http://www.example.gov.cn/zwgk/zfxxgknb/index.html", decode_html(path.read_bytes(), "").text


@pytest.mark.parametrize("name,platform", [
    ("ordos_egb_xxgknb_list_trs.html", "trs"),
    ("pingtan_zfxxgknb_list_trs_fujian_EXCERPT.html", "trs_fujian"),
])
def test_real_annual_report_lists_are_recognised(shared_dir, name, platform):
    url, text = sample(shared_dir, name)
    fp = fingerprint(url, text)
    assert fp is not None and fp.platform == platform and fp.is_list, fp
    column = assess(url, text)
    assert column.platform == platform and column.own >= 1 and column.confidence >= FOUND, column
    assert pager_sign(url, text), "both real lists have more than one page"


def test_a_real_news_list_is_trs_but_not_the_column(shared_dir):
    url, text = sample(shared_dir, "yuanzhou_zwyw_list_trs_createPageHTML_EXCERPT.html")
    column = assess(url, text)
    assert column.platform == "trs" and column.own == 0 and column.confidence < FOUND
    assert "createPageHTML(120" in pager_sign(url, text)


def test_a_real_report_page_is_no_list(shared_dir):
    url, text = sample(shared_dir, "pingtan_2022_zfxxgknb_report_trs_fujian_EXCERPT.html")
    assert assess(url, text) is None


# ---------------------------------------------------------------------------------------------
# the registry


def test_home_url_alone_is_a_valid_entry():
    entry = {"id": "a-b", "name": "某县民政局", "province": "某省", "level": "county", "home_url": "http://a/"}
    validate({"agencies": [entry]})
    with pytest.raises(RegistryError):
        validate({"agencies": [{k: v for k, v in entry.items() if k != "home_url"}]})
    with pytest.raises(RegistryError):  # a start_url needs its platform
        validate({"agencies": [{**entry, "start_url": "http://a/x/", "home_url": None}]})
    validate({"agencies": [home_only()["agencies"][0]]})


def test_the_archive_keeps_what_discovery_found(tmp_path):
    from crawler.archive import Archive
    from crawler.items import DiscoveryItem

    p = tmp_path / "homes.yml"
    p.write_text(yaml.safe_dump(home_only(["changde-mzj"]), allow_unicode=True), encoding="utf-8")
    agency = load_registry(p, port=9)[0]
    assert agency.needs_discovery and agency.platform is None
    archive = Archive(tmp_path / "a.db")
    try:
        archive.upsert_agencies([agency])
        run = archive.start_run("homes", [agency.id])
        archive.record_discovery(DiscoveryItem(agency.id, agency.home_url, "http://x/zwgk/xxgknb/index.html",
                                               "trs", {}, 0.9, ["e"], 3), run)
        archive.upsert_agencies([agency])  # the next night, before its discovery
        row = archive.db["agencies"].get(agency.id)
    finally:
        archive.close()
    assert (row["platform"], row["start_url"], row["home_url"]) == ("trs", "http://x/zwgk/xxgknb/index.html",
                                                                   agency.home_url)


# ---------------------------------------------------------------------------------------------
# crawls of the real replica server


@pytest.fixture(scope="module")
def mixed_crawl(replica, tmp_path_factory):
    """One crawl: two agencies by home URL only, one blocked site by home URL, and one agency whose
    registry names the wrong platform (a TRS column as `generic`)."""
    work = tmp_path_factory.mktemp("discover")
    doc = home_only(["changde-mzj", "zhaoqing-mzj", "xinyang-mzj"])
    wrong = next(a for a in yaml.safe_load(CURATED.read_text(encoding="utf-8"))["agencies"]
                 if a["id"] == "xinjiang-mzt")
    doc["agencies"].append({**wrong, "platform": "generic"})
    hanweb = next(a for a in yaml.safe_load(CURATED.read_text(encoding="utf-8"))["agencies"] if a["id"] == "binhu-mzj")
    doc["agencies"].append({**hanweb, "platform": "trs"})  # a Hanweb column read as TRS
    moved = home_only(["jiangsu-mzt"])["agencies"][0]
    doc["agencies"].append({**moved, "home_url": moved["home_url"] + "old-site/"})  # a home page that is gone
    reg = work / "mixed.yml"
    reg.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    db = work / "archive.db"
    crawl = run_cli("crawl", "--registry", str(reg), "--port", str(replica.port), "--db", str(db),
                    "-s", f"NIANBAO_ALLOW_LOOPBACK={replica.port}", *FAST, check=False, timeout=300)
    run_cli("extract", "--db", str(db), "--no-progress")
    return {"db": db, "crawl": crawl}


def reports_of(db, agencies) -> set:
    marks = ",".join("?" * len(agencies))
    rows = query(db, f"select agency_id, year, title, url, also_at from reports where is_current = 1"
                     f" and agency_id in ({marks})", list(agencies))
    return {(r["agency_id"], r["year"], r["title"], tuple(sorted({r["url"], *json.loads(r["also_at"] or "[]")})))
            for r in rows}


def test_home_urls_crawl_to_the_curated_reports(mixed_crawl, crawled):
    db, ids = mixed_crawl["db"], ("changde-mzj", "zhaoqing-mzj")
    mine, theirs = reports_of(db, ids), reports_of(crawled["db"], ids)
    assert mine == theirs and {r[0] for r in mine} == set(ids)
    found = {r["agency_id"]: r for r in query(db, "select * from discoveries")}
    agencies = {a["id"]: a for a in query(crawled["db"], "select * from agencies")}
    for aid in ids:
        assert found[aid]["found"] == 1 and found[aid]["confidence"] >= FOUND
        assert (found[aid]["start_url"], found[aid]["platform"]) == (agencies[aid]["start_url"],
                                                                     agencies[aid]["platform"])
        assert json.loads(found[aid]["evidence"])
    row = query(db, "select platform, start_url from agencies where id = 'changde-mzj'")[0]
    assert (row["platform"], row["start_url"]) == (agencies["changde-mzj"]["platform"],
                                                   agencies["changde-mzj"]["start_url"])


def test_a_failed_discovery_is_recorded_and_fails_the_agency(mixed_crawl):
    db = mixed_crawl["db"]
    d = query(db, "select * from discoveries where agency_id = 'xinyang-mzj'")[0]
    assert d["found"] == 0 and "anti-bot" in d["reason"]
    run = query(db, "select * from agency_runs where agency_id = 'xinyang-mzj'")[0]
    assert run["status"] == "failing" and run["blocked"]
    gone = query(db, "select * from discoveries where agency_id = 'jiangsu-mzt'")[0]
    assert gone["found"] == 0 and "HTTP 404" in gone["reason"] and gone["start_url"] is None
    run = query(db, "select * from agency_runs where agency_id = 'jiangsu-mzt'")[0]
    assert run["status"] == "failing" and run["note"].startswith("discovery failed (未找到年报栏目)")
    assert "HTTP 404" in run["note"] and run["list_pages"] == 0
    kinds = query(db, "select kind, count(*) n from captures where agency_id = 'jiangsu-mzt' group by kind")
    assert [(k["kind"], k["n"]) for k in kinds] == [("discovery", 1)]


@pytest.mark.parametrize("agency_id,likely,pager", [("xinjiang-mzt", "trs", "createPageHTML("),
                                                    ("binhu-mzj", "hanweb", "totalRecord")])
def test_a_wrong_platform_is_reported_not_cut_to_page_one(mixed_crawl, replica, agency_id, likely, pager):
    db = mixed_crawl["db"]
    run = query(db, "select * from agency_runs where agency_id = ?", [agency_id])[0]
    assert run["status"] == "failing", run
    assert "pager not followed" in run["note"] and "翻页未跟随" in run["note"]
    assert f"likely platform 可能的平台: {likely}" in run["note"] and pager in run["note"]
    # it is right: the wrong adapter read the first page alone, and the column has more
    site = next(s for s in replica.web.sites.values() if s.spec.agency.id == agency_id)
    assert run["list_pages"] == 1 and len(site.spec.entries_in("own")) > site.spec.info.per_page
    assert mixed_crawl["crawl"].returncode == 0  # the run goes on; the agency says what broke


def test_sites_discover_prints_a_valid_entry(replica):
    agency = curated(replica.port)["binhu-mzj"]
    home = f"http://{urlsplit(agency.start_url).netloc}/"
    out = run_cli("sites", "discover", home, "--allow-loopback", str(replica.port), "--name", agency.name,
                  "--id", agency.id, "--province", agency.province, "--city", agency.city, "--county",
                  agency.county, "--level", agency.level, "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", timeout=120)
    entry = yaml.safe_load(out.stdout)[0]
    validate({"agencies": [entry]})
    assert (entry["start_url"], entry["platform"], entry["home_url"]) == (agency.start_url, agency.platform, home)
    assert "confidence" in out.stdout and "evidence" not in entry


@pytest.mark.slow
def test_sites_discover_obeys_the_fetch_policy(replica):
    """Without NIANBAO_ALLOW_LOOPBACK the replica's loopback host is not fetched: found nothing, exit 1."""
    agency = curated(replica.port)["binhu-mzj"]
    out = run_cli("sites", "discover", f"http://{urlsplit(agency.start_url).netloc}/", "-s", "RETRY_TIMES=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                  check=False, timeout=120, env={**os.environ, "NIANBAO_ALLOW_LOOPBACK": ""})
    assert out.returncode == 1 and "home page could not be read" in out.stderr


@pytest.mark.slow
def test_a_home_url_registry_matches_the_curated_one(replica, crawled, tmp_path):
    """The whole replica registry reduced to home URLs: the same agencies, reports and years."""
    reg = tmp_path / "homes.yml"
    reg.write_text(yaml.safe_dump(home_only(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    db = tmp_path / "archive.db"
    run_cli("crawl", "--registry", str(reg), "--port", str(replica.port), "--db", str(db),
            "-s", f"NIANBAO_ALLOW_LOOPBACK={replica.port}", *FAST, check=False, timeout=600)
    run_cli("extract", "--db", str(db), "--no-progress")
    ids = [a["id"] for a in home_only()["agencies"]]
    assert reports_of(db, ids) == reports_of(crawled["db"], ids)
    years = "select agency_id, count(distinct year) n from reports where is_current = 1 group by agency_id"
    assert query(db, years) == query(crawled["db"], years)
    agencies = "select id, division_code from agencies order by id"
    assert query(db, agencies) == query(crawled["db"], agencies)
    status = "select agency_id, status from agency_runs order by agency_id"
    assert query(db, status) == query(crawled["db"], status)
    found = {r["agency_id"] for r in query(db, "select agency_id from discoveries where found = 1")}
    blocked = {r["agency_id"] for r in query(crawled["db"], "select agency_id from agency_runs where blocked > 0")}
    assert found == set(ids) - blocked and blocked
