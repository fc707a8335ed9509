"""The crawler against a hostile web (tests/hostile_web.py), all in one real crawl on the loopback.

Each agency is one hostile behaviour; ``good-mzj`` is the control that must come through untouched.
The crawl runs as a child process (`nianbao crawl`), as an operator runs it, with loopback allowed
only on the hostile sites' port: the internal service on another loopback port stands for every
address a real crawl refuses.
"""
from __future__ import annotations

import json
import time

import pytest

from crawler.resolver import address_refusal
from tests.conftest import query, run_cli
from tests.hostile_web import HostileWeb, registry_yaml

LIMITS = {"endless": {"max_list_pages": 5}, "many": {"max_links_per_page": 20},
          "clock": {"time_budget": 2, "max_list_pages": 1000}}
SETTINGS = {"DOWNLOAD_TIMEOUT": 5, "DOWNLOAD_MAXSIZE": 1_000_000, "RETRY_TIMES": 0, "REDIRECT_MAX_TIMES": 5,
            "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": 0, "NIANBAO_MAX_LIST_PAGES": 50,
            "DEPTH_LIMIT": 4}
# deep: the endless site again, bounded only by DEPTH_LIMIT (no max_list_pages of its own)
SITES = ("good", "endless", "internal", "loop", "slow", "huge", "clock", "deep")


def crawl_hostile(work, sites, settings):
    db = work / "archive.db"
    with HostileWeb() as web:
        reg = work / "hostile.yml"
        reg.write_text(registry_yaml(web, {s: LIMITS.get(s) for s in sites}), encoding="utf-8")
        args = ["crawl", "--registry", str(reg), "--db", str(db), "--log-level", "INFO",
                "-s", f"NIANBAO_ALLOW_LOOPBACK={web.port}"]
        for k, v in settings.items():
            args += ["-s", f"{k}={v}"]
        t0 = time.monotonic()
        proc = run_cli(*args, check=False, timeout=120)
        elapsed = time.monotonic() - t0
        hits, internal_hits = list(web.hits), list(web.internal_hits)
    runs = {r["agency_id"]: r for r in query(db, "select * from agency_runs")}
    return {"db": db, "proc": proc, "elapsed": elapsed, "runs": runs, "hits": hits,
            "internal_hits": internal_hits, "web_port": web.port, "internal_port": web.internal_port}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return crawl_hostile(tmp_path_factory.mktemp("hostile"), SITES, SETTINGS)


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """The 10,000-link page in a crawl of its own (parsing it holds the crawl's one thread for
    seconds, which would make the timing cases above depend on the machine's load)."""
    return crawl_hostile(tmp_path_factory.mktemp("many"), ("many", "good"),
                         {**SETTINGS, "DOWNLOAD_MAXSIZE": 3_000_000})


def captures(h, agency):
    return query(h["db"], "select * from captures where agency_id = ? order by id", [f"{agency}-mzj"])


def test_the_crawl_ends_in_bounded_time_and_the_good_agency_is_untouched(hostile):
    out = hostile["proc"].stdout + hostile["proc"].stderr
    assert hostile["elapsed"] < 60, out[-3000:]
    assert "Traceback" not in out, out[-6000:]
    good = hostile["runs"]["good-mzj"]
    assert good["status"] == "ok" and good["note"] is None, good
    reports = [c for c in captures(hostile, "good") if c["kind"] == "report"]
    assert sorted(c["status"] for c in reports) == [200, 200]
    assert all(c["ok"] == 1 and c["sha256"] for c in reports)
    # every agency has its run row
    assert set(hostile["runs"]) == {f"{s}-mzj" for s in SITES}


def test_a_redirect_is_recorded_with_the_link_followed_and_its_chain(hostile):
    moved = [c for c in captures(hostile, "good") if c["url"].endswith("/good/moved")]
    assert len(moved) == 1, [c["url"] for c in captures(hostile, "good")]
    c = moved[0]
    assert c["final_url"].endswith("/good/r2.html") and c["status"] == 200
    chain = json.loads(c["redirects"])
    assert chain == [{"url": c["url"], "status": 301}]
    direct = [c for c in captures(hostile, "good") if c["url"].endswith("/good/r1.html")][0]
    assert direct["redirects"] is None and direct["final_url"] == direct["url"]


def test_sensitive_response_headers_are_not_stored(hostile):
    rows = query(hostile["db"], "select headers from captures where headers is not null")
    assert rows
    for r in rows:
        names = {k.lower() for k in json.loads(r["headers"])}
        assert "set-cookie" not in names and "x-backend-server" not in names, names
        assert "server" not in names
    assert any("content-type" in {k.lower() for k in json.loads(r["headers"])} for r in rows)
    dump = json.dumps(query(hostile["db"], "select * from captures"), ensure_ascii=False)
    assert "secret-session" not in dump and "intranet" not in dump


def test_internal_addresses_are_refused_at_connect_time(hostile):
    # not one request reached the internal service, by redirect, by IP, by name or by IPv6
    assert hostile["internal_hits"] == []
    caps = {c["url"].rsplit("/", 1)[-1]: c for c in captures(hostile, "internal") if c["kind"] == "report"}
    for link in ("to-port", "to-localhost", "to-private", "to-metadata", "direct"):
        c = caps[link]
        assert c["ok"] == 0 and c["status"] is None and c["sha256"] is None, c
        assert c["error"].startswith("refused by the fetch policy"), c["error"]
    assert "loopback" in caps["to-port"]["error"] and str(hostile["internal_port"]) in caps["to-port"]["error"]
    assert "private" in caps["to-private"]["error"]
    assert "link-local" in caps["to-metadata"]["error"]
    assert caps["to-file"]["ok"] == 0 and "file:" in caps["to-file"]["error"]
    assert caps["v6"]["ok"] == 0 and caps["v6"]["sha256"] is None
    # the redirect chain that led there is kept
    assert json.loads(caps["to-port"]["redirects"])[0]["url"].endswith("/internal/to-port")
    assert caps["ok.html"]["ok"] == 1
    run = hostile["runs"]["internal-mzj"]
    assert run["refused"] >= 5 and "refused by the fetch policy" in run["note"], run
    # nothing the internal service says can reach a report or a published capture
    assert not query(hostile["db"], "select id from captures where final_url like ? and ok = 1",
                     [f"%:{hostile['internal_port']}/%"])


def test_endless_pagination_stops_at_the_agency_limit(hostile):
    run = hostile["runs"]["endless-mzj"]
    lists = [c for c in captures(hostile, "endless") if c["kind"] == "list"]
    assert len(lists) == LIMITS["endless"]["max_list_pages"] == run["list_pages"]
    assert run["status"] == "failing" and "limit of 5 list pages" in run["note"], run
    assert run["lists_complete"] == 0  # links not seen this time are not "removed"


def test_the_depth_limit_is_recorded(hostile):
    run = hostile["runs"]["deep-mzj"]
    assert run["status"] == "failing" and "depth limit of 4" in run["note"], run
    assert run["list_pages"] <= SETTINGS["DEPTH_LIMIT"] + 1


def test_ten_thousand_links_schedule_only_the_limit(many):
    run = many["runs"]["many-mzj"]
    reports = [c for c in captures(many, "many") if c["kind"] == "report"]
    assert len(reports) == LIMITS["many"]["max_links_per_page"] == run["report_links"]
    assert all(c["ok"] == 1 for c in reports)
    assert sum(1 for _, p in many["hits"] if p.startswith("/many/r")) == 20
    assert run["status"] == "failing" and "more than 20 report links" in run["note"], run
    assert many["elapsed"] < 60 and many["runs"]["good-mzj"]["status"] == "ok"


def test_a_redirect_loop_and_too_many_redirects_are_recorded_failures(hostile):
    caps = {c["url"].split("/loop/", 1)[1]: c for c in captures(hostile, "loop") if c["kind"] == "report"}
    loop = caps["a"]
    assert loop["ok"] == 0 and loop["error"].startswith("redirect loop"), loop
    assert [h["url"].rsplit("/", 1)[-1] for h in json.loads(loop["redirects"])] == ["a", "b"]
    chain = caps["chain/0"]
    assert chain["ok"] == 0 and chain["error"].startswith("too many redirects"), chain
    assert caps["ok.html"]["ok"] == 1
    run = hostile["runs"]["loop-mzj"]
    assert run["redirect_errors"] == 2 and "2 redirect loop(s) or too many redirects" in run["note"], run
    # the chain stopped at REDIRECT_MAX_TIMES, it did not run on
    assert sum(1 for _, p in hostile["hits"] if p.startswith("/loop/chain/")) <= SETTINGS["REDIRECT_MAX_TIMES"] + 1


def test_a_drip_fed_page_times_out_and_is_recorded(hostile):
    caps = {c["url"].rsplit("/", 1)[-1]: c for c in captures(hostile, "slow") if c["kind"] == "report"}
    assert caps["drip.html"]["ok"] == 0 and caps["drip.html"]["error"].startswith("timeout"), caps["drip.html"]
    assert caps["ok.html"]["ok"] == 1


def test_bodies_over_the_cap_are_stopped_and_recorded(hostile):
    caps = {c["url"].rsplit("/", 1)[-1]: c for c in captures(hostile, "huge") if c["kind"] == "report"}
    for name in ("stream.html", "declared.pdf"):
        c = caps[name]
        assert c["ok"] == 0 and c["sha256"] is None, c
        assert "over the size cap of 1000000 bytes" in c["error"], c["error"]
    assert caps["ok.html"]["ok"] == 1


def test_the_time_budget_stops_a_slow_agency(hostile):
    run = hostile["runs"]["clock-mzj"]
    assert run["status"] == "failing" and "time budget of 2 s used up" in run["note"], run
    lists = [c for c in captures(hostile, "clock") if c["kind"] == "list"]
    # 0.7 s a page: a 2 s budget reads a handful of pages, not the thousand its limit allows
    assert 1 <= len(lists) <= 6, len(lists)


def test_no_remote_control_or_telnet_during_a_crawl(hostile):
    log = hostile["proc"].stderr
    assert "Enabled extensions:" in log, log[:3000]
    enabled = log.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "CoreStats" in enabled  # the list was read
    assert "RemoteControl" not in enabled and "TelnetConsole" not in enabled, enabled


@pytest.mark.parametrize("ip, port, refused", [
    ("93.184.216.34", 80, None), ("2606:4700::6810:84e5", 443, None),
    ("127.0.0.1", 80, "loopback"), ("127.8.9.10", 8765, None), ("127.0.0.1", 8766, "loopback"),
    ("::1", 80, "loopback"), ("::ffff:127.0.0.1", 80, "loopback"), ("::ffff:10.0.0.1", 80, "private"),
    ("10.1.2.3", 80, "private"), ("172.16.0.1", 80, "private"), ("192.168.1.1", 80, "private"),
    ("fd00::1", 80, "private"), ("169.254.169.254", 80, "link-local"), ("fe80::1", 80, "link-local"),
    ("224.0.0.251", 80, "multicast"), ("0.0.0.0", 80, "unspecified"), ("100.64.0.1", 80, "not a public"),
    ("64:ff9b::a9fe:a9fe", 80, "link-local"),
])
def test_the_address_policy(ip, port, refused):
    """Loopback is allowed only on NIANBAO_ALLOW_LOOPBACK's ports (8765 here); the rest by kind."""
    why = address_refusal(ip, port, frozenset({8765}))
    assert (why is None) if refused is None else (refused in (why or "")), why


def test_without_the_setting_loopback_is_refused_and_localhost_names_are_not_resolved(tmp_path):
    """A real crawl (no NIANBAO_ALLOW_LOOPBACK): the replica's *.localhost resolver is off and the
    loopback is out of reach, robots.txt included."""
    with HostileWeb() as web:
        reg = tmp_path / "reg.yml"
        reg.write_text(registry_yaml(web, {"good": None}), encoding="utf-8")
        db = tmp_path / "archive.db"
        proc = run_cli("crawl", "--registry", str(reg), "--db", str(db), "-s", "RETRY_TIMES=0",
                       "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "--log-level", "WARNING",
                       check=False, timeout=120)
        hits = list(web.hits)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert hits == []
    (cap,) = query(db, "select * from captures")
    assert cap["kind"] == "list" and cap["ok"] == 0
    # refused if the system resolves *.localhost to loopback, else unresolvable: never fetched
    assert cap["error"].startswith(("refused by the fetch policy", "DNS lookup failed")), cap["error"]
    (run,) = query(db, "select * from agency_runs")
    assert run["status"] == "failing"
