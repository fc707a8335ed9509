"""What the reader pages show, read from the archive through Datasette's own database object.

Each builder takes a ``datasette.database.Database`` and returns plain data for a template in
``publish/templates``; the hooks in ``publish/plugins/reader.py`` call them. Every query here looks
one thing up by an indexed key (a report id, an agency id, a URL, a year), so a page costs the same
in an archive of a million reports as in the demo.
"""
from __future__ import annotations

import json

from extract import schema
from extract.checks import scope_label
from extract import cjk
from extract.cjk import MAX_QUERY_CHARS, NOTHING, match_query, snippet

from . import chart, tables

# The agency page's chart and headline rows: (key, Chinese name, [(table, row, col), …] summed)
KEY_SERIES = (
    ("new_received", "本年新收申请", [("requests", "new_received", "total")]),
    ("handled_total", "办理结果总计", [("requests", "handled_total", "total")]),
    ("granted", "予以公开", [("requests", "granted", "total")]),
    ("review", "行政复议", [("appeals", "review", "total")]),
    ("litigation", "行政诉讼", [("appeals", "litigation_direct", "total"), ("appeals", "litigation_after_review", "total")]),
)
LEVELS = {"central": "中央", "province": "省级", "city": "市级", "county": "县级", "township": "乡镇"}


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").splitlines() if p.strip()]


async def _rows(db, sql: str, params=None) -> list[dict]:
    return [dict(r) for r in (await db.execute(sql, params or [])).rows]


async def report_page(db, report_id) -> dict | None:
    found = await _rows(db, "select r.*, t.text from reports r left join report_texts t on t.report_id = r.id"
                            " where r.id = ?", [report_id])
    if not found:
        return None
    r = found[0]
    cells = await _rows(db, 'select * from cells where report_id = ?', [report_id])
    checks = await _rows(db, "select rule, scope, outcome, detail, compared, explanation from checks"
                             " where report_id = ? order by rule, scope", [report_id])
    for c in checks:
        c["compared"] = json.loads(c["compared"] or "{}")
        spec = schema.CHECKS.get(c["rule"])
        c["title"] = spec.title if spec else c["rule"]
        c["formula"] = spec.formula if spec else ""
        c["scope_label"] = scope_label(c["rule"], c["scope"])
        c["outcome_label"] = schema.OUTCOME_LABELS.get(c["outcome"], c["outcome"])
    failing = tables.failing_cells(checks)
    problems = await _rows(db, "select code, message, url, capture_id from problems where report_id = ?"
                               " or capture_id = ? order by id", [report_id, r["capture_id"]])
    for p in problems:
        p["name"], p["meaning"] = schema.PROBLEMS.get(p["code"], (p["code"], ""))
    versions = await _rows(db, "select id, version, is_current, fetched_at, sha256 from reports where url = ?"
                               " order by version", [r["url"]])
    years = await _rows(db, "select id, year, title, checks_failed from reports where agency_id = ?"
                            " and is_current = 1 order by year", [r["agency_id"]])
    summary = {o: sum(c["outcome"] == o for c in checks) for o in schema.OUTCOMES}
    return {
        "report": r,
        "template_label": schema.TEMPLATE_LABELS.get(r["template"] or "", "未识别"),
        "level_label": LEVELS.get(r["level"], r["level"]),
        "paragraphs": paragraphs(r["text"]),
        "tables": tables.rebuild(cells, r["template"], failing),
        "checks": checks,
        "failed": [c for c in checks if c["outcome"] == schema.FAIL],
        "summary": summary,
        "problems": problems,
        "versions": versions,
        "years": years,
        "also_at": json.loads(r["also_at"]) if (r.get("also_at") or "").startswith("[") else [],
        "kind_labels": tables.KIND_LABELS,
        "portal": (await _rows(db, "select id, name from agencies where id = ?", [r["found_via"]]) or [None])[0]
        if r.get("found_via") else None,
    }


async def _year_values(db, agency_id: str) -> tuple[list[dict], dict[int, dict]]:
    """The agency's current report per year (the latest one when a year has two) and its values."""
    reports = await _rows(db, "select id, year, title, published, template, checks_failed, problems, url,"
                              " removed_at, found_via from reports where agency_id = ? and is_current = 1"
                              # a year with two: the agency's own copy over a portal's, then the latest
                              " order by year, found_via is null, id", [agency_id])
    by_year: dict[int, dict] = {}
    for r in reports:
        if r["year"] is not None:
            by_year[r["year"]] = r
    values: dict[int, dict] = {}
    for year, r in by_year.items():
        got = await _rows(db, 'select "table", "row", col, value, raw from cells where report_id = ?', [r["id"]])
        values[year] = {(c["table"], c["row"], c["col"]): c for c in got}
    return reports, values


async def agency_page(db, agency_id: str) -> dict | None:
    found = await _rows(db, "select * from agencies where id = ?", [agency_id])
    if not found:
        return None
    a = found[0]
    # an agency discovered on a portal's list (crawler/portals.py), and every portal its reports came
    # from: named, each looked up by its id
    vias = {v for v in (a.get("discovered_via"), *(await _found_via(db, agency_id))) if v}
    portals = {p["id"]: p for v in sorted(vias) for p in await _rows(db, "select id, name, start_url from agencies"
                                                                       " where id = ?", [v])}
    reports, values = await _year_values(db, agency_id)
    for r in reports:
        r["portal"] = portals.get(r.get("found_via"))
    years = sorted(y for y, v in values.items() if v)  # years whose report has table numbers
    sections = []
    for tkey, fields, title in (("requests", schema.REQUESTS_ROWS, "依申请公开（“总计”列）"),
                                ("appeals", schema.APPEALS_ROWS, "行政复议、行政诉讼（“总计”）")):
        rows = []
        for f in fields:
            got = [values[y].get((tkey, f.key, "total")) for y in years]
            if any(got):
                rows.append({"label": f.label, "group": f.group[-1] if f.group else "",
                             "cells": [g["raw"] if g else None for g in got]})
        if rows:
            sections.append({"title": title, "rows": rows})
    series = []
    for key, name, parts in KEY_SERIES:
        line = []
        for y in years:
            got = [values[y][p]["value"] for p in parts if p in values[y] and values[y][p]["value"] is not None]
            line.append(sum(got) if got else None)
        series.append((key, name, line))
    return {
        "agency": a,
        "level_label": LEVELS.get(a["level"], a["level"]),
        "reports": reports,
        "years": years,
        "sections": sections,
        "series": series,
        "chart": chart.bar_chart(years, series, f"{a['name']}：主要数字历年变化") if years else "",
        "discovered": a.get("registry") == "discovered",
        "portal": portals.get(a.get("discovered_via")),
    }


async def _found_via(db, agency_id: str) -> list[str]:
    rows = await _rows(db, "select distinct found_via from reports where agency_id = ? and found_via is not null",
                       [agency_id])
    return [r["found_via"] for r in rows]


def compare_columns(table_key: str, col: str, year: int | None) -> list[schema.CellLabel]:
    """The cells a comparison shows side by side: one column of the requests table (all its rows),
    or every cell of the active / appeals tables."""
    labels = [c for c in schema.cell_labels() if c.table == table_key]
    if table_key == "requests":
        labels = [c for c in labels if c.col == col]
    if year is not None:
        tpl = schema.default_template(year)
        if tpl in (schema.T2019, schema.T2021):
            labels = [c for c in labels if tpl in c.templates] or labels
    return labels


async def _distinct(db, column: str) -> list:
    """The distinct values of an indexed reports column, one index seek per value (a "loose index
    scan"), so that listing 34 provinces does not read a million reports."""
    sql = (f"with recursive v(x) as (select min({column}) from reports union all"
           f" select (select min({column}) from reports where {column} > x) from v where x is not null)"
           " select x from v where x is not null")
    return [r["x"] for r in await _rows(db, sql)]


COMPARE_BATCH = 500


# Agencies a comparison page shows at once: rendering a row of a table's figures costs ~0.5 ms,
# and a year holds tens of thousands of reports.
COMPARE_PAGE = 200


async def compare_page(db, args: dict) -> dict:
    years = sorted(await _distinct(db, "year"), reverse=True)
    provinces = await _distinct(db, "province")
    table_key = args.get("table") if args.get("table") in schema.TABLE_KEYS else "requests"
    col = args.get("col") if args.get("col") in {c.key for c in schema.REQUESTS_COLS} else "total"
    try:
        year = int(args.get("year") or (years[0] if years else 0)) or None
    except ValueError:
        year = years[0] if years else None
    try:
        page = max(int(args.get("page") or 1), 1)
    except ValueError:
        page = 1
    where, params = ["r.is_current = 1", "r.year = ?"], [year]
    for name in ("province", "level"):
        if args.get(name):
            where.append(f"r.{name} = ?")
            params.append(args[name])
    if args.get("agency"):
        where.append("r.agency like ?")
        params.append("%" + args["agency"].strip() + "%")
    reports = await _rows(db, "select r.id, r.agency_id, r.agency, r.province, r.level, r.template, r.checks_failed"
                              f" from reports r where {' and '.join(where)} order by r.province, r.agency"
                              " limit ? offset ?", [*params, COMPARE_PAGE + 1, (page - 1) * COMPARE_PAGE])
    more = len(reports) > COMPARE_PAGE
    reports = reports[:COMPARE_PAGE]
    columns = compare_columns(table_key, col, year)
    heads = [" · ".join(c.header.split("·")[1:-1 if table_key == "requests" else None]) for c in columns]
    wanted = {(c.row, c.col) for c in columns}
    # one statement per 500 reports, not one per report: each report's cells are still one seek on
    # the cells primary key (report_id, table, …), but a page no longer waits on a thousand round trips
    found: dict[int, dict] = {r["id"]: {} for r in reports}
    ids = list(found)
    cols = sorted({c.col for c in columns})  # one column of the requests table: its other six not read
    for k in range(0, len(ids), COMPARE_BATCH):
        part = ids[k:k + COMPARE_BATCH]
        for g in await _rows(db, 'select report_id, "row", col, raw, kind from cells where "table" = ?'
                                 f" and col in ({','.join('?' * len(cols))})"
                                 f" and report_id in ({','.join('?' * len(part))})", [table_key, *cols, *part]):
            if (g["row"], g["col"]) in wanted:
                found[g["report_id"]][(g["row"], g["col"])] = g
    matrix = [{"report": r, "level_label": LEVELS.get(r["level"], r["level"]),
               "cells": [found[r["id"]].get((c.row, c.col)) for c in columns]} for r in reports]
    return {
        "years": years, "provinces": provinces, "levels": LEVELS, "year": year, "table": table_key, "col": col,
        "province": args.get("province") or "", "level": args.get("level") or "", "agency": args.get("agency") or "",
        "tables": schema.TABLE_SHORT, "request_cols": schema.REQUESTS_COLS, "columns": list(zip(heads, columns)), "matrix": matrix,
        "page": page, "more": more, "first": (page - 1) * COMPARE_PAGE + 1, "page_size": COMPARE_PAGE,
    }


# ranked search ---------------------------------------------------------------------------------
FILTERABLE = ("agency_id", "agency", "province", "city", "county", "level", "year", "template", "is_current")


# A word in nearly every report (行政复议, 申请) matches the whole archive: ranking, counting or
# filtering every match would grow with the archive (5 s at a million reports). The search reads at
# most this many matches, the most recently indexed first (FTS5 walks its index in rowid order and
# stops), and ranks and filters those; the page says when there were more.
RANK_SCAN = 10_000

# The matches read and how they rank, for the search page and the canned ``search`` (metadata.yml,
# the same statement). bm25() counts the reports holding each phrase of the query by reading all of
# its matches, on every search; a query with a phrase in more than ``RANK_PHRASE_REPORTS`` reports
# (``common``, told by reading at most that many) is ranked without it: a query word in the title
# first, then by bm25 over the query's rarer wanted phrases alone (cheap: they have few matches),
# then the most recent (extract/cjk.py says why). The SQL functions are
# publish/plugins/cjk_search.py's.
RANKED_HITS = """with phrases(p, wanted, common) as (
  select json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),
    (select rowid from reports_fts where reports_fts match json_extract(j.value, '$[0]')
     limit 1 offset cjk_rank_phrase_reports()) is not null
  from json_each(cjk_phrases(:q)) j),
common(yes) as (select coalesce(max(common), 0) from phrases),
hits(id, score) as (
  select rowid, case when (select yes from common) then null else bm25(reports_fts, 5.0, 1.0) end
  from reports_fts where reports_fts match cjk_match(:q) order by rowid desc limit :scan),
titled(id) as (
  select rowid from reports_fts where (select yes from common) and reports_fts match cjk_title_match(:q)
    and rowid >= (select min(id) from hits)),
rare(id, score) as (
  select rowid, bm25(reports_fts, 5.0, 1.0) from reports_fts
  where (select yes from common) and reports_fts match
    (select coalesce(group_concat(p, ' OR '), '""') from phrases where wanted and not common)
    and rowid >= (select min(id) from hits))
"""
#: the matches read, ranked as above, the newest first among equals (bm25: the lower the better)
RANKED_FROM = "hits left join rare on rare.id = hits.id"
RANKED_ORDER = "hits.id in (select id from titled) desc, coalesce(hits.score, rare.score, 0), hits.id desc"


async def ranked_search(db, q: str, args: dict, page: int = 1, size: int = 20) -> dict:
    """Reports matching ``q`` by relevance (FTS5 bm25, the title weighing more than the text; see
    ``RANKED_HITS`` for a query with a common word), among at most ``RANK_SCAN`` matches
    (``partial`` says there were more); a query is read up to ``MAX_QUERY_CHARS`` characters, as
    the SQL functions read it."""
    q = q[:MAX_QUERY_CHARS]
    match = match_query(q)
    where, params = [], {"q": q, "scan": RANK_SCAN}
    filters = []
    for key, value in args.items():
        col = key[:-len("__exact")] if key.endswith("__exact") else key
        if col in FILTERABLE and value != "":
            where.append(f"r.{col} = :f{len(filters)}")
            params[f"f{len(filters)}"] = value
            filters.append((col, value))
    if "is_current" not in dict(filters):
        where.append("r.is_current = 1")
    empty = {"q": q, "total": 0, "results": [], "page": 1, "pages": 0, "filters": filters, "partial": False,
             "scanned": RANK_SCAN, "common": False, "common_reports": cjk.RANK_PHRASE_REPORTS}
    if match == NOTHING:
        return empty
    # the matches read, ranked, filtered: at most RANK_SCAN ids
    ranked = (await db.execute(
        RANKED_HITS + f"select hits.id, (select yes from common) from {RANKED_FROM} join reports r on r.id = hits.id"
        f" where {' and '.join(where)} order by {RANKED_ORDER}", params)).rows
    partial = bool((await db.execute("select rowid from reports_fts where reports_fts match ?"
                                      " order by rowid desc limit 1 offset ?", [match, RANK_SCAN])).rows)
    total = len(ranked)
    start = (max(page, 1) - 1) * size
    ids = [row[0] for row in ranked[start:start + size]]
    # the page's own rows, texts included (only these 20 texts are read, for their snippets)
    found = {r["id"]: r for r in await _rows(
        db, "select r.id, r.title, r.agency, r.agency_id, r.year, r.published, r.province, t.text"
            " from reports r left join report_texts t on t.report_id = r.id"
            f" where r.id in ({', '.join('?' * len(ids))})", ids)} if ids else {}
    rows = [found[i] for i in ids if i in found]
    for r in rows:
        r["snippet"] = snippet(r.pop("text") or "", q)
    return {**empty, "total": total, "results": rows, "page": page, "pages": -(-total // size),
            "partial": partial, "common": bool(ranked and ranked[0][1])}
