"""Benchmark: the archive at scale — a synthetic archive of N reports, timed beside one of 10,000.

    python bench/scale.py N [--baseline 10000] [--increment 1000] [--workers 1] [--rounds 5]
                            [--scratch /tmp/scale] [--demo archive.db] [--keep]

Why synthetic: a million real reports cannot be crawled here, but the costs that grow with the archive
(indexes, scans, page queries, the search index) depend on row counts and row shapes, not on who
published a report. So the archive is built from the demo archive's own rows, made by the project's
crawler and extractor (``nianbao demo --no-serve`` builds it first when ``--demo`` is not given):

* each synthetic agency is a copy of one demo agency with a new id, a new name and one of 31
  provinces; all its captures, report links, reports, cells, checks, problems and crawl records are
  copied with addresses moved to its own host (``http://a<k>.syn/…``), years shifted by −1, 0 or +1
  and every integer number multiplied by 1–5 (a multiplier keeps every sum a sum; the check rows keep
  the template's own numbers in their explanation text), the search index filled with each report's
  segmented text; raw bytes are the demo's, hard-linked, so the clones can be read again;
* the nightly increment is 1,000 (``--increment``) new report pages: new agencies (copies of a demo
  agency under their real names, so titles identify them), each page's bytes new (the demo page plus
  a comment), their attachments linked as on the demo, then ``nianbao extract`` as a nightly run
  reads them: every document parsed for real, in budgeted workers.

Timed, at N and at the baseline size (built in the same run, so both share the machine's state):
the increment extract (seconds, peak RSS of the extract process and of its workers), an extract with
nothing new, ``Archive.finish_run`` over 1,000 agencies that all saw their links again (rolled back
after), and Datasette pages through HTTP against a real ``nianbao serve`` (the same settings, immutable):
median of ``--rounds`` loads, each URL new (``_r=<n>``) so the page cache never answers. Also the file
size per report and the largest tables. Printed beside the baseline with the growth ratio; nothing is
asserted: speed is measured, not asserted. Archives live under ``--scratch`` and are deleted at the
end unless ``--keep``.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.pages import build_demo, served  # noqa: E402
from crawler.derived_layout import (CELLS_WRITTEN, CHECKS_WRITTEN, cells_select,  # noqa: E402
                                    check_key_maps, checks_select, fix_compared)

PROVINCES = ("北京市 天津市 河北省 山西省 内蒙古自治区 辽宁省 吉林省 黑龙江省 上海市 江苏省 浙江省 安徽省 福建省"
             " 江西省 山东省 河南省 湖北省 湖南省 广东省 广西壮族自治区 海南省 重庆市 四川省 贵州省 云南省"
             " 西藏自治区 陕西省 甘肃省 青海省 宁夏回族自治区 新疆维吾尔自治区").split()
FINISH_AGENCIES = 1000


def host(k_sql: str, url_sql: str) -> str:
    """SQL moving a demo address onto synthetic agency k's own host (None stays None)."""
    return f"case when {url_sql} is null then null else 'http://a' || {k_sql} || '.syn/' || {url_sql} end"


# ------------------------------------------------------------------------------------------ building
def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'pragma {schema}.table_info("{table}")')]


def _clone(conn: sqlite3.Connection, table: str, join: str, exprs: dict[str, str], where: str = "") -> int:
    """Insert into ``table`` a copy of ``tpl.table`` (alias t) joined with the plan (alias p): each
    column from ``exprs`` or else copied as it is (only columns both archives have)."""
    cols = [c for c in _columns(conn, "main", table) if c in set(_columns(conn, "tpl", table))]
    select = ", ".join(exprs.get(c, f't."{c}"') for c in cols)
    names = ", ".join(f'"{c}"' for c in cols)
    return conn.execute(f'insert into main."{table}" ({names}) select {select} from tpl."{table}" t {join}'
                        f" {where}").rowcount


def build(demo: Path, folder: Path, n: int, seed: int = 13) -> dict:
    """A synthetic archive of about ``n`` reports in ``folder`` (see the module docstring)."""
    from crawler.archive import Archive
    from extract.cjk import segment
    from extract.packed_text import unpack

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    db = folder / "archive.db"
    t0 = time.perf_counter()
    # the same blobs, hard-linked: the clones' captures can be read again by an extract
    subprocess.run(["cp", "-al", str(demo.parent / "data"), str(folder / "data")], check=True)
    Archive(demo).close()  # a demo archive in an older layout is brought to the code's own first
    fresh = Archive(db)  # the schema of the code under test (views, labels, indexes, search index)
    fresh.ensure_fts()
    fresh.close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=off")
    conn.execute("pragma cache_size=-262144")
    conn.execute("attach ? as tpl", [str(demo)])
    per_agency = dict(conn.execute("select agency_id, count(*) from tpl.reports group by agency_id"))
    tpl_agencies = [a for a, in conn.execute("select id from tpl.agencies order by id") if per_agency.get(a)]
    stride = {t: conn.execute(f"select coalesce(max({pk}), 0) + 1 from tpl.{t}").fetchone()[0]
              for t, pk in (("captures", "id"), ("reports", "id"), ("problems", "id"))}
    rng = random.Random(seed)
    plan, total, k = [], 0, 0
    while total < n:
        a = tpl_agencies[k % len(tpl_agencies)]
        k += 1
        plan.append((k, a, f"syn-{k:07d}-{a}", rng.choice(PROVINCES), rng.choice((-1, 0, 1)), rng.randint(1, 5)))
        total += per_agency[a]
    # derived tables the archive keeps by trigger are made once the rows are in (Archive, below)
    for name, kind in conn.execute("select name, type from sqlite_master where type in ('trigger', 'table')"
                                   " and name like 'report_figures%'").fetchall():
        conn.execute(f"drop {kind} {name}")
    conn.execute("begin")
    conn.execute("create temp table plan (k integer primary key, tpl text, agency text, province text,"
                 " dy integer, mult integer)")
    conn.execute("create index temp.plan_tpl on plan(tpl)")
    conn.executemany("insert into plan values (?,?,?,?,?,?)", plan)
    cs, rs, ps = stride["captures"], stride["reports"], stride["problems"]
    u = lambda col: host("p.k", f"t.{col}")  # noqa: E731
    _clone(conn, "agencies", "join plan p on p.tpl = t.id", {
        "id": "p.agency", "name": "t.name || '（' || p.k || '）'", "province": "p.province",
        "start_url": u("start_url"), "registry": "'synthetic'"})
    _clone(conn, "agency_runs", "join plan p on p.tpl = t.agency_id", {"agency_id": "p.agency"})
    _clone(conn, "captures", "join plan p on p.tpl = t.agency_id", {
        "id": f"t.id + p.k * {cs}", "agency_id": "p.agency", "url": u("url"), "final_url": u("final_url"),
        "parent_url": u("parent_url"), "referer": u("referer"), "request_key": "t.request_key || '-' || p.k"})
    _clone(conn, "report_links", "join plan p on p.tpl = t.agency_id", {
        "agency_id": "p.agency", "url": u("url"), "list_url": u("list_url")})
    _clone(conn, "reports", "join plan p on p.tpl = t.agency_id", {
        "id": f"t.id + p.k * {rs}", "agency_id": "p.agency", "agency": "t.agency || '（' || p.k || '）'",
        "province": "p.province", "year": "t.year + p.dy", "url": u("url"), "capture_id": f"t.capture_id + p.k * {cs}"})
    join = "join tpl.reports tr on tr.id = t.report_id join plan p on p.tpl = tr.agency_id"
    # cells by their key (crawler/derived_layout.py), from the demo's in whichever layout it has
    conn.execute(f"insert into cells ({', '.join(CELLS_WRITTEN)}) " + cells_select(
        conn, "tpl.cells", f"o.report_id + p.k * {rs}", joins=join.replace("t.report_id", "o.report_id"), exprs={
            "capture_id": f"o.capture_id + p.k * {cs}",
            "value": "case when o.kind = 'number' and o.value = cast(o.value as integer) then o.value * p.mult"
                     " else o.value end",
            "raw": "case when o.kind = 'number' and o.raw = cast(o.value as text) then cast(o.value * p.mult as text)"
                   " else o.raw end"}) + " order by 1, 2")
    # checks as the archive writes them today (crawler/derived_layout.py), whatever layout the demo
    # has: the demo's own converted once under their own ids (below every clone's), then copied row
    # for row to each clone (converting each copy took an hour at a million reports: JSON per row)
    check_key_maps(conn)
    conn.execute(f"insert into checks ({', '.join(CHECKS_WRITTEN)}) "
                 + checks_select("tpl.checks", "o.report_id") + " order by 1, 2")
    fix_compared(conn, "tpl.checks")
    ojoin = join.replace("t.report_id", "o.report_id")
    copied = {c: c for c in CHECKS_WRITTEN} | {"report_id": f"o.report_id + p.k * {rs}"}
    conn.execute(f"insert into checks ({', '.join(CHECKS_WRITTEN)}) select "
                 + ", ".join(f"o.{c}" if copied[c] == c else copied[c] for c in CHECKS_WRITTEN)
                 + f" from checks o {ojoin} where o.report_id < {rs} order by 1, 2")
    conn.execute(f"delete from checks where report_id < {rs}")
    _clone(conn, "problems", "join plan p on p.tpl = t.agency_id", {
        "id": f"t.id + p.k * {ps}", "agency_id": "p.agency", "url": u("url"),
        "capture_id": f"t.capture_id + p.k * {cs}", "report_id": f"t.report_id + p.k * {rs}"})
    # the texts beside the rows (report_texts), and the search index: each template's text
    # segmented once, its copies inserted by SQL
    _clone(conn, "report_texts_zlib", "join tpl.reports tr on tr.id = t.report_id join plan p on p.tpl = tr.agency_id",
           {"report_id": f"t.report_id + p.k * {rs}"})
    conn.execute("create temp table seg (id integer primary key, title text, text text)")
    conn.executemany("insert into seg values (?,?,?)", [
        (rid, segment(title or ""), segment(unpack(z) or "")) for rid, title, z in conn.execute(
            "select r.id, r.title, t.z from tpl.reports r left join tpl.report_texts_zlib t on t.report_id = r.id")])
    conn.execute(f"insert into reports_fts (rowid, title, text) select r.id + p.k * {rs}, s.title, s.text"
                 " from plan p join tpl.reports r on r.agency_id = p.tpl join seg s on s.id = r.id"
                 " order by p.k, r.id")
    # the last extract saw every capture: the next one is a nightly, incremental run
    from extract.document import EXTRACTOR_VERSION

    top = conn.execute("select max(id) from captures").fetchone()[0]
    _clone(conn, "crawl_runs", "", {})
    conn.execute("insert into extract_runs (started_at, finished_at, extractor, mode, last_capture_id,"
                 " last_crawl_run_id, captures, reports) values (datetime('now'), datetime('now'), ?, 'full', ?,"
                 " (select max(id) from crawl_runs), 0, 0)", [EXTRACTOR_VERSION, top])
    conn.execute("commit")
    conn.close()
    Archive(db).close()  # the tables it derives from the rows (report_figures)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("analyze")
    conn.execute("pragma wal_checkpoint(truncate)")
    reports = conn.execute("select count(*) from reports").fetchone()[0]
    agencies = conn.execute("select count(*) from agencies").fetchone()[0]
    conn.close()
    return {"db": db, "reports": reports, "agencies": agencies, "build_s": time.perf_counter() - t0}


def table_sizes(db: Path) -> list[tuple[str, int]]:
    """Bytes per table with its indexes (SQLite's dbstat), largest first; empty when not compiled in."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("select coalesce(m.tbl_name, s.name), sum(s.pgsize) from dbstat s"
                            " left join sqlite_master m on m.name = s.name group by 1 order by 2 desc").fetchall()
    except sqlite3.Error:
        rows = []
    conn.close()
    return rows


# --------------------------------------------------------------------------------- nightly increment
def add_increment(db: Path, demo: Path, count: int) -> int:
    """``count`` new report pages, as a crawl stores them: new agencies (demo agencies under their
    own names), each page new bytes (the demo page and a comment), its attachments as on the demo."""
    from crawler.archive import Archive, request_key

    archive = Archive(db)
    tpl = sqlite3.connect(demo)
    tpl.row_factory = sqlite3.Row
    pages = tpl.execute("select * from captures where kind = 'report' and ok = 1 and sha256 is not null"
                        " and url in (select url from reports) order by id").fetchall()
    agencies = {r["id"]: dict(r) for r in tpl.execute("select * from agencies")}
    atts = {}
    for a in tpl.execute("select * from captures where kind = 'attachment' and ok = 1 and sha256 is not null"):
        atts.setdefault(a["parent_url"], []).append(dict(a))
    tpl.close()
    run_id = archive.start_run("synthetic", [])
    cols = set(archive.db["captures"].columns_dict)
    with archive.transaction():
        for i in range(count):
            cap = dict(pages[i % len(pages)])
            agency = dict(agencies[cap["agency_id"]], id=f"inc-{run_id}-{i:05d}-{cap['agency_id']}", registry="synthetic")
            archive.db["agencies"].insert({k: v for k, v in agency.items()
                                           if k in archive.db["agencies"].columns_dict}, alter=False)
            body = archive.blobs.get(cap["sha256"]) + f"\n<!-- nianbao bench {run_id}.{i} -->\n".encode()
            new_url = f"http://inc{run_id}-{i}.syn/{cap['url']}"
            for c, parent in [(cap, None), *((a, new_url) for a in atts.get(cap["url"], []))]:
                row = {k: v for k, v in c.items() if k in cols and k != "id"}
                url = new_url if parent is None else f"http://inc{run_id}-{i}.syn/{c['url']}"
                row.update(agency_id=agency["id"], url=url, final_url=url, parent_url=parent, first_run_id=run_id,
                           last_run_id=run_id, request_key=request_key("GET", url),
                           sha256=archive.blobs.put(body) if parent is None else c["sha256"])
                archive.db["captures"].insert(row)
            archive.observe_link(_Link(agency["id"], new_url, cap["link_title"], cap["link_date"]), run_id)
        archive.conn.execute("update crawl_runs set status = 'finished', finished_at = ? where id = ?",
                             [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), run_id])
    archive.conn.execute("pragma wal_checkpoint(truncate)")
    archive.close()
    return run_id


class _Link:
    def __init__(self, agency_id, url, title, date):
        self.agency_id, self.url, self.title, self.date, self.list_url = agency_id, url, title, date, None


def timed_extract(db: Path, workers: int) -> dict:
    """``run_extract`` in a child process (as `nianbao extract` runs): seconds, its counts, and the
    peak resident size of the extract process and of its document workers."""
    child = [sys.executable, __file__, "--child-extract", str(db), "--workers", str(workers)]
    t = time.perf_counter()
    out = subprocess.run(child, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"extract failed ({out.returncode}):\n{out.stderr[-4000:]}")
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return {**got, "seconds": seconds}


def _child_extract(db: str, workers: int) -> None:
    import inspect

    from crawler.archive import Archive
    from crawler.extract_step import run_extract

    archive = Archive(db)
    kw = {"workers": workers} if "workers" in inspect.signature(run_extract).parameters else {}
    t = time.perf_counter()
    counts = run_extract(archive, progress=False, **kw)
    seconds = time.perf_counter() - t
    archive.conn.execute("pragma wal_checkpoint(truncate)")
    archive.close()
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of the benchmark (large after
    # building the archive) would report its parent's peak
    hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(json.dumps({"inner_seconds": seconds, "reports": counts["reports"], "captures": counts["captures"],
                      "mode": counts.get("mode"), "problems": counts["problems"], "rss_mb": hwm / 1024,
                      "workers_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


# -------------------------------------------------------------------------------------- finish_run
def time_finish_run(db: Path, agencies: int = FINISH_AGENCIES) -> dict:
    """``Archive.finish_run`` for a crawl of ``agencies`` agencies whose lists were complete and showed
    every link again (the usual night), inside a transaction rolled back afterwards."""
    from crawler.archive import Archive

    archive = Archive(db)
    ids = [a for a, in archive.conn.execute(
        "select id from agencies where registry = 'synthetic' and id like 'syn-%' order by id limit ?", [agencies])]
    archive.conn.execute("begin immediate")
    try:
        run_id = archive.conn.execute("insert into crawl_runs (started_at, registry, status) values"
                                      " (datetime('now'), 'synthetic', 'running')").lastrowid
        archive.conn.executemany("update report_links set last_run_id = ? where agency_id = ?",
                                 [(run_id, a) for a in ids])
        rows = [{"agency_id": a, "list_pages_requested": 1, "list_pages": 1, "list_errors": 0, "lists_complete": 1,
                 "report_links": n, "reports_fetched": 0, "not_modified": n, "errors": 0}
                for a, n in archive.conn.execute(
                    "select agency_id, count(*) from report_links where last_run_id = ? group by agency_id",
                    [run_id])]
        t = time.perf_counter()
        archive.finish_run(run_id, status="finished", finish_reason="finished", stats={}, agency_rows=rows)
        seconds = time.perf_counter() - t
    finally:
        archive.conn.execute("rollback")
        archive.close()
    return {"seconds": seconds, "agencies": len(rows)}


# ------------------------------------------------------------------------------------------- pages
def page_list(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    rid = conn.execute("select id from reports where is_current = 1 and cells > 0 order by id desc limit 1").fetchone()[0]
    aid = conn.execute("select agency_id from reports where id = ?", [rid]).fetchone()[0]
    year = conn.execute("select year from reports where id = ?", [rid]).fetchone()[0]
    province = conn.execute("select province from reports where id = ?", [rid]).fetchone()[0]
    conn.close()
    q = urllib.parse.quote
    return [
        ("reports table", "/archive/reports"),
        ("facets province+year", "/archive/reports?_facet=province&_facet=year"),
        # the search box of the reports table leads here (publish/plugins/reader.py)
        ("search 2 chars 复议", f"/-/search?q={q('复议')}"),
        ("search 4 chars 行政复议", f"/-/search?q={q('行政复议')}"),
        ("search 4 chars + province", f"/-/search?q={q('行政复议')}&province={q(province)}"),
        ("search canned 行政复议", f"/archive/search?q={q('行政复议')}"),
        ("cells table", "/archive/cells"),
        ("cell_values one number", "/archive/cell_values?table=requests&row=new_received&col=total"),
        ("failed checks", "/archive/failed_checks"),
        ("requests_by_year", "/archive/requests_by_year"),
        ("report_figures", "/archive/report_figures"),
        ("report page", f"/archive/reports/{rid}"),
        ("agency page", f"/archive/agencies/{q(aid)}"),
        ("comparison year", f"/-/compare?year={year}&table=requests"),
        ("comparison year+province", f"/-/compare?year={year}&table=requests&province={q(province)}"),
    ]


_seq = iter(range(10 ** 9))


def fetch(url: str) -> tuple[float, int, bytes]:
    url += ("&" if "?" in url else "?") + f"_r={next(_seq)}"
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            body, status = r.read(), r.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    return time.perf_counter() - t, status, body


def time_pages(db: Path, rounds: int) -> dict[str, dict]:
    """Median load of each page over HTTP (a new URL each time), its status, and what Datasette
    said it dropped (facets timed out, a query interrupted)."""
    out = {}
    plan = page_list(db)
    with served(db, timeout=600) as base:
        for name, path in plan:
            fetch(base + path)  # warm: the first load after start reads the file from disk
            loads = [fetch(base + path) for _ in range(rounds)]
            status = max(s for _, s, _ in loads)
            body = loads[-1][2].decode("utf-8", "replace")
            note = []
            if "took too long" in body or "interrupted" in body:
                note.append("query timed out")
            if path.startswith("/archive/") and "/reports/" not in path and "/agencies/" not in path:
                jpath = path.split("?")[0] + ".json" + ("?" + path.split("?")[1] if "?" in path else "")
                _, js, jb = fetch(base + jpath)
                if js == 200:
                    dropped = json.loads(jb).get("facets_timed_out") or []
                    if dropped:
                        note.append("facets timed out: " + ",".join(dropped))
                else:
                    note.append(f"json {js}")
            out[name] = {"p50": statistics.median(t for t, _, _ in loads), "status": status, "note": "; ".join(note),
                         "path": path}
    return out


# -------------------------------------------------------------------------------------------- run
def built_whole(db: Path) -> bool:
    """Whether ``db`` is a whole archive an earlier ``--keep`` run built: the build is one transaction
    whose last row is its extract run, so a build killed half-way (a 1M build takes an hour) left none."""
    if not db.exists():
        return False
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("select count(*) from extract_runs").fetchone()[0] > 0
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def measure(demo: Path, folder: Path, n: int, args) -> dict:
    db = folder / "archive.db"
    if (args.pages_only or args.reuse) and built_whole(db):
        print(f"\n== {n:,} reports: the archive kept in {folder} …", flush=True)
        conn = sqlite3.connect(db)
        built = {"reports": conn.execute("select count(*) from reports").fetchone()[0],
                 "agencies": conn.execute("select count(*) from agencies").fetchone()[0]}
        conn.close()
    else:
        print(f"\n== {n:,} reports: building in {folder} …", flush=True)
        built = build(demo, folder, n)
        print(f"   {built['reports']:,} reports, {built['agencies']:,} agencies, built in {built['build_s']:.0f} s",
              flush=True)
    size = db.stat().st_size
    res = {"reports": built["reports"], "agencies": built["agencies"], "bytes": size,
           "bytes_per_report": size / built["reports"], "tables": table_sizes(db)}
    print(f"   {size / 1e6:,.0f} MB", flush=True)
    if not args.pages_only:
        print(f"   nightly increment of {args.increment} new reports …", flush=True)
        add_increment(db, demo, args.increment)
        res["increment"] = timed_extract(db, args.workers)
        print(f"   {res['increment']}", flush=True)
        res["unchanged"] = timed_extract(db, args.workers)
        print(f"   unchanged night: {res['unchanged']}", flush=True)
        res["finish_run"] = time_finish_run(db)
        print(f"   finish_run: {res['finish_run']}", flush=True)
    print("   Datasette pages …", flush=True)
    res["pages"] = time_pages(db, args.rounds)
    return res


def figures(r: dict) -> list[tuple[str, str, float, str]]:
    """(key, label, value, unit) of one size's results, in print order; the key pairs a figure with
    the baseline's."""
    out = [("size", "bytes per report", r["bytes_per_report"], "B")]
    if "increment" in r:
        inc, un, fin = r["increment"], r["unchanged"], r["finish_run"]
        out += [("inc", f"increment extract ({inc['captures']} pages → {inc['reports']} reports)", inc["seconds"], "s"),
                ("inc1", "increment extract, per report", inc["seconds"] / max(inc["reports"], 1), "s"),
                ("rss", "extract peak RSS (main process)", inc["rss_mb"], "MB"),
                ("wrss", "extract peak RSS (largest worker)", inc["workers_rss_mb"], "MB"),
                ("none", "unchanged-night extract", un["seconds"], "s"),
                ("finish", f"finish_run, {fin['agencies']} agencies", fin["seconds"], "s")]
    for name, p in r["pages"].items():
        out.append((name, f"page: {name}" + (f" [{p['status']}]" if p["status"] != 200 else "")
                    + (f" ({p['note']})" if p["note"] else ""), p["p50"] * 1000, "ms"))
    return out


def report(n: int, res: dict, base_n: int, base: dict | None) -> None:
    print(f"\n{'figure':70} {f'{n:,}':>12} {f'{base_n:,}':>12} {'growth':>8}")
    base_figs = {key: v for key, _, v, _ in figures(base)} if base else {}
    for key, name, v, unit in figures(res):
        b = base_figs.get(key)
        ratio = f"{v / b:7.2f}×" if b else ""
        bs = f"{b:10.1f}{unit:>2}" if b is not None else ""
        print(f"{name[:70]:70} {v:10.1f}{unit:>2} {bs:>12} {ratio:>8}")
    print(f"\nlargest tables at {n:,} (bytes per report):")
    for t, b in res["tables"][:10]:
        print(f"   {t:24} {b / res['reports']:10,.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, nargs="?", default=10000, help="reports in the synthetic archive")
    ap.add_argument("--baseline", type=int, default=10000, help="the size the growth is measured against")
    ap.add_argument("--increment", type=int, default=1000, help="new reports in the nightly increment")
    ap.add_argument("--workers", type=int, default=1, help="document workers of the extract (extract --workers)")
    ap.add_argument("--rounds", type=int, default=5, help="loads of each page (median printed)")
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/scale"))
    ap.add_argument("--demo", type=Path, help="a demo archive to clone (default: build one in --scratch)")
    ap.add_argument("--keep", action="store_true", help="keep the synthetic archives")
    ap.add_argument("--reuse", action="store_true", help="use the archives an earlier --keep run left, if there")
    ap.add_argument("--pages-only", action="store_true",
                    help="time only the pages (and sizes) of archives kept by an earlier --keep run")
    ap.add_argument("--child-extract", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_extract:
        return _child_extract(args.child_extract, args.workers)
    args.scratch.mkdir(parents=True, exist_ok=True)
    demo = args.demo.resolve() if args.demo else None
    if demo is None:
        demo = args.scratch / "demo" / "archive.db"
        if not demo.exists():
            demo.parent.mkdir(parents=True, exist_ok=True)
            build_demo(demo.parent)
    sizes = [args.baseline] + ([args.n] if args.n != args.baseline else [])
    results = {}
    try:
        for n in sizes:
            results[n] = measure(demo, args.scratch / f"n{n}", n, args)
            if not args.keep:
                shutil.rmtree(args.scratch / f"n{n}", ignore_errors=True)
    finally:
        if not args.keep:
            for n in sizes:
                shutil.rmtree(args.scratch / f"n{n}", ignore_errors=True)
    print(f"\n# bench/scale.py {args.n} --baseline {args.baseline} --increment {args.increment}"
          f" --workers {args.workers} --rounds {args.rounds}{' --pages-only' if args.pages_only else ''}  ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
          f" {os.cpu_count()} cores)")
    for n in sizes:
        report(n, results[n], args.baseline, results[args.baseline] if n != args.baseline else None)


if __name__ == "__main__":
    main()
