"""The nightly revalidation policy (crawler/revalidate.py) on the real replica with real Scrapy.

A night asks for list pages (as deep as needed), new and changed links, and its share of the
rotation; planted edits are caught within one rotation, a planted removal the first night its list
page is read, and a removal on a list page not re-read neither wrongly nor never. Counts come from the
crawl's own stats and from the replica server's log of what it was asked, never from the code under
test alone. Each test serves its own replica (the planted changes must not leak).
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from crawler.revalidate import Policy, slot
from replica import ReplicaServer, replica_web
from replica.changes import edit_report, remove_report
from tests.conftest import query, run_cli

NIGHT = 20_000  # 2024-10-04: a fixed night number, so that which pages are due is reproducible


def crawl(server, db, night: int, *agencies: str, settings: dict | None = None):
    args = ["crawl", "--registry", "replica", "--port", str(server.port), "--db", str(db),
            "--log-level", "WARNING", "-s", f"NIANBAO_NIGHT={night}"]
    for a in agencies:
        args += ["--agency", a]
    for k, v in (settings or {}).items():
        args += ["-s", f"{k}={v}"]
    run_cli(*args)
    run = query(db, "select * from crawl_runs order by id desc limit 1")[0]
    return run, json.loads(run["stats"])


def links(db, agency_id: str) -> list[dict]:
    return query(db, "select url, title, link_date, list_url, removed_at, removed_run_id from report_links"
                     " where agency_id = ? order by url", [agency_id])


def served(server, urls) -> list[str]:
    """Which of ``urls`` the replica server was asked for (GET), from its own log."""
    paths = {(urlsplit(u).hostname, urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "")): u
             for u in urls}
    return sorted({paths[(h, p)] for m, h, p, _ in server.requests if (h, p) in paths})


def report_of(web, agency_id: str, path_part: str | None = None):
    return next(r for r in web.truth.reports if r.agency_id == agency_id and r.reachable
                and (path_part is None or path_part in r.path))


@pytest.fixture
def site():
    web = replica_web()
    with ReplicaServer(web, port=0) as server:
        yield web, server


# ---------------------------------------------------------------------- the policy itself (fast)
def test_rotation_covers_every_page_once_per_period():
    urls = [f"http://mzj.example{i % 7}.gov.cn/art/{i}.html" for i in range(1000)]
    policy = Policy(night=NIGHT, days=30, recent_days=7, recent_years=2)
    old, recent = 2015, policy.year - 1
    for year, period in ((old, 30), (recent, 7)):
        times = {u: 0 for u in urls}
        for night in range(NIGHT, NIGHT + period):
            for u in urls:
                times[u] += Policy(night=night, days=30, recent_days=7).due(u, year)
        assert set(times.values()) == {1}, f"{year}: every page exactly once in {period} nights"
    share = sum(policy.due(u, old) for u in urls) / len(urls)
    assert 0.5 / 30 < share < 2 / 30, share  # about 1/30 a night, not all on one night
    # whole pagination once per list period, per agency; period 1 means every night (the old way)
    agencies = [f"agency-{i}" for i in range(200)]
    fulls = [sum(Policy(night=n).full_lists(a) for n in range(NIGHT, NIGHT + 7)) for a in agencies]
    assert set(fulls) == {1}
    assert all(Policy(night=NIGHT, days=1).due(u, old) for u in urls[:50])
    assert all(Policy(night=NIGHT, days=1).full_lists(a) for a in agencies)
    assert slot("x") == slot("x") != slot("y")


# ---------------------------------------------------------------------- one agency, two nights
@pytest.mark.slow  # two crawls (~10 s)
def test_night_asks_lists_and_rotation_and_marks_a_removal_on_a_list_it_read(site, tmp_path):
    """changde-mzj: 9 reports over three list pages. Night 1 reads everything. Before night 2 a report
    listed on the first page is deleted. Night 2 (not the agency's full-list night) reads the first
    list page only, asks for exactly the reports the rotation says, marks the deleted one removed and
    no other."""
    web, server = site
    db = tmp_path / "archive.db"
    agency = "changde-mzj"
    run1, stats1 = crawl(server, db, NIGHT, agency)
    known = links(db, agency)
    start = query(db, "select start_url from agencies where id = ?", [agency])[0]["start_url"]
    first_page = [k for k in known if k["list_url"] == start]
    assert len(known) >= 6 and 2 <= len(first_page) < len(known), "a column of several list pages"

    # a night that is not changde's full-list night, with a share of the rotation due
    from extract.identity import report_year

    def due(night, k):
        return Policy(night=night).due(k["url"], report_year(k["title"], k["link_date"]))

    night = next(n for n in range(NIGHT + 1, NIGHT + 400)
                 if not Policy(night=n).full_lists(agency) and any(due(n, k) for k in known)
                 and not all(due(n, k) for k in known))
    gone = next(r for r in web.truth.reports if r.agency_id == agency and r.url(server.port) in
                {k["url"] for k in first_page})
    gone_url = gone.url(server.port)
    assert remove_report(web, gone)
    server.clear_requests()
    run2, stats2 = crawl(server, db, night, agency)

    # removal: the deleted link, and only it, is marked on the first night
    after = {k["url"]: k for k in links(db, agency)}
    assert [u for u, k in after.items() if k["removed_at"]] == [gone_url]
    assert after[gone_url]["removed_run_id"] == run2["id"]

    # what was asked: list pages read + reports due on the rotation (server log and crawl stats)
    expected = sorted(k["url"] for k in known if k["url"] != gone_url and due(night, k))
    asked = served(server, [k["url"] for k in known])
    assert asked == expected, "the night asks for exactly the reports due, none other"
    row = query(db, "select * from agency_runs where run_id = ? and agency_id = ?", [run2["id"], agency])[0]
    assert row["links_rotation"] == len(expected)
    assert row["links_skipped"] == len(known) - 1 - len(expected)
    assert row["list_pages"] == 1 and row["list_pages_skipped"] >= 1 and row["full_lists"] == 0
    assert row["links_listed"] == len(known) - 1
    assert row["note"] == f"report links dropped from {len(known)} to {len(known) - 1}"  # worth a look
    attachments = stats2.get(f"agency/{agency}/attachments", 0) + stats2.get(f"agency/{agency}/table_images", 0)
    robots = stats2.get("robotstxt/request_count", 0)
    # the attachments and pictures of the reports asked (one two pages share is asked once)
    base = robots + row["list_pages"] + len(expected)
    assert base <= stats2["downloader/request_count"] <= base + attachments
    print(f"\nnight 1: {stats1['downloader/request_count']} requests; night 2: "
          f"{stats2['downloader/request_count']} ({robots} robots.txt, {row['list_pages']} list page, "
          f"{len(expected)} reports due, {attachments} attachments)")
    assert json.loads(run2["revalidation"])["night"] == night


@pytest.mark.slow  # three crawls of one agency (~15 s)
def test_per_year_views_older_than_the_newest_report_wait_for_the_full_list_night(site, tmp_path):
    """yinan-mzj (Hanweb's per-year annual-report view): one view per year from 2008, some printing
    the report inline, some listing it, some empty. An unchanged night that is not the agency's
    full-list night reads the start page and the views from its newest report's year on (where a
    new report appears), not the views of earlier years (empty or holding only settled reports),
    unless a view is itself a report due on the rotation. The full-list night reads them all."""
    from extract.identity import report_year

    web, server = site
    db = tmp_path / "archive.db"
    agency = "yinan-mzj"
    crawl(server, db, NIGHT, agency)
    views = [r["url"] for r in query(db, "select url from captures where agency_id = ? and kind = 'list'"
                                         " and url like '%fbtime=%' order by url", [agency])]
    known = links(db, agency)
    newest = max(report_year(k["title"], k["link_date"]) for k in known)
    year_of = {u: int(u.rsplit("fbtime=", 1)[1]) for u in views}
    assert min(year_of.values()) < newest <= max(year_of.values()), "views before and after the newest report"
    inline = {k["url"]: k for k in known if k["url"] in year_of}  # views that print the report itself
    assert inline, "some views print their report"

    def due(night, url):
        k = inline.get(url)
        return k is not None and Policy(night=night).due(url, report_year(k["title"], k["link_date"]))

    night = next(n for n in range(NIGHT + 1, NIGHT + 400) if not Policy(night=n).full_lists(agency))
    server.clear_requests()
    run, _ = crawl(server, db, night, agency)
    expected = sorted(u for u in views if year_of[u] >= newest or due(night, u))
    assert served(server, views) == expected
    row = query(db, "select * from agency_runs where run_id = ? and agency_id = ?", [run["id"], agency])[0]
    assert row["links_new"] + row["links_changed"] == 0 and row["list_pages_skipped"] >= len(views) - len(expected)

    full = next(n for n in range(night + 1, night + 400) if Policy(night=n).full_lists(agency))
    server.clear_requests()
    crawl(server, db, full, agency)
    assert served(server, views) == views, "the full-list night reads every year"


# ---------------------------------------------------------------------- several nights (slow)
@pytest.mark.slow  # five crawls of four agencies (~40 s)
def test_edits_caught_within_one_rotation_and_deep_removals_on_the_full_list_night(site, tmp_path):
    web, server = site
    db = tmp_path / "archive.db"
    period = 4
    settings = {"NIANBAO_REVALIDATE_DAYS": period, "NIANBAO_REVALIDATE_RECENT_DAYS": period,
                "NIANBAO_REVALIDATE_LIST_DAYS": period}

    def policy(night):
        return Policy(night=night, days=period, recent_days=period, list_days=period)

    nights = range(NIGHT + 1, NIGHT + 1 + period)
    agencies = ("changde-mzj", "xinjiang-mzt", "nanhai-mzj", "ordos-mzj")
    crawl(server, db, NIGHT, *agencies, settings=settings)
    edited = [report_of(web, a).url(server.port) for a in ("xinjiang-mzt", "nanhai-mzj", "changde-mzj")]
    for a in ("xinjiang-mzt", "nanhai-mzj", "changde-mzj"):
        edit_report(web, report_of(web, a))
    # a removal on changde's last list page, which ordinary nights do not re-read
    deep_url = next(r["url"] for r in query(db, "select url from report_links where agency_id = 'changde-mzj'"
                                                 " order by list_url desc, url") if r["url"] not in edited)
    assert remove_report(web, next(r for r in web.truth.reports if r.url(server.port) == deep_url))
    caught: dict[str, int] = {}
    removed_on = None
    for night in nights:
        crawl(server, db, night, *agencies, settings=settings)
        for url in edited:
            versions = query(db, "select count(distinct sha256) n from captures where url = ? and ok = 1", [url])[0]["n"]
            if versions == 2:
                caught.setdefault(url, night)
        if removed_on is None and query(db, "select removed_run_id from report_links where url = ?",
                                        [deep_url])[0]["removed_run_id"]:
            removed_on = night
        # never a false removal, however deep the night read
        assert {r["url"] for r in query(db, "select url from report_links where removed_at is not null")} <= {deep_url}
    assert sorted(caught) == sorted(edited), "every edit caught within one period"
    for url in edited:  # on the night the rotation points at (earlier only if its list entry changed)
        assert caught[url] <= next(n for n in nights if policy(n).due(url, None)), url
    # the deep removal: on changde's full-list night at the latest, or when its page answers 404 on
    # the rotation, whichever comes first
    assert removed_on is not None
    assert removed_on <= min(next(n for n in nights if policy(n).full_lists("changde-mzj")),
                             next(n for n in nights if policy(n).due(deep_url, None)))


@pytest.mark.slow  # two crawls of the whole replica (~20 s)
def test_unchanged_night_costs_list_pages_plus_the_rotation(site, tmp_path):
    web, server = site
    db = tmp_path / "archive.db"
    _, first = crawl(server, db, NIGHT)
    server.clear_requests()
    run, second = crawl(server, db, NIGHT + 1)
    rows = query(db, "select * from agency_runs where run_id = ?", [run["id"]])
    fetched = sum(r["links_new"] + r["links_changed"] + r["links_unsettled"] + r["links_rotation"] for r in rows)
    skipped = sum(r["links_skipped"] for r in rows)
    lists = sum(r["list_pages"] + r["list_errors"] for r in rows)
    robots = second.get("robotstxt/request_count", 0)
    attachments = sum(v for k, v in second.items() if k.endswith(("/attachments", "/table_images")))
    retries = second.get("retry/count", 0)
    assert sum(r["links_new"] + r["links_changed"] for r in rows) == 0, "nothing changed"
    assert skipped > fetched, "most known reports are not asked again"
    # at most: a report listed twice (a portal's and its own list) or an attachment two pages link
    # is asked once
    assert second["downloader/request_count"] <= robots + lists + fetched + attachments + retries
    assert len(server.requests) == second["downloader/request_count"], "the server saw what the stats say"
    n1, n2 = first["downloader/request_count"], second["downloader/request_count"]
    print(f"\nfirst night {n1} requests, unchanged night {n2} ({n2 / n1:.0%}): {robots} robots.txt, "
          f"{lists} list pages, {fetched} reports ({skipped} known skipped), {attachments} attachments")
    assert n2 < n1 / 2
