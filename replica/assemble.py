"""Sites of the later platforms (TRS-Fujian, gkmlpt, Hanweb xxgk, Anhui, VSB/generic, challenges):
pages, list endpoints and ground truth from a :class:`SiteSpec` of ``sites.py``.

``web._build_site`` hands every spec whose platform is not ``trs``/``hanweb`` to
:func:`build_site`. Article pages and attachments are lazy resources (rendered on first request);
list pages and API answers are built from the same entry lists that the ground truth is computed
from, so ``Truth.reports[*].reachable`` and ``Truth.list_pages`` cannot drift from what is served.
"""
from __future__ import annotations

import functools
import json
import random
from datetime import date, datetime
from html import escape
from urllib.parse import quote

from crawler.registry import Agency

from . import anhui, attachments, fujian, gkmlpt, hanweb, vsb, xxgk
from .blocks import truth_text
from .challenge import NOTES, Challenge
from .chrome import chrome_strings, home_section
from .body import render_body
from .truth import BadInput, Blocked, NonReport, Placeholder, PlantedAttachment, PlantedReport, Truth
from .spec import (ANHUI_MODULE, KINDS_NON_REPORT, SITE_EPOCH, XXGK_VIEW, Entry, Req, Resource, Site, SiteSpec,
                   error_answer, query_key, xxgk_view_path)
from .spec import when as _when

CONTAINERS = {
    "trs_fujian": "//div[@class='TRS_Editor']",
    "gkmlpt": "json:DETAIL.content",
    "hanweb_xxgk": "//div[@id='zoom']",
    "anhui": "//div[@id='zoom']",
    "generic": "//div[@class='v_news_content']",
}
JSON_TYPE = "application/json;charset=UTF-8"


def _latest(entries: list[Entry]) -> datetime:
    return _when(max((e.date for e in entries), default=SITE_EPOCH.replace(tzinfo=None)))


def _html_type(spec: SiteSpec) -> str:
    if spec.info.encoding == "utf-8":
        return "text/html; charset=utf-8"
    if not spec.info.charset_label:
        return "text/html"  # declares nothing at all
    return f"text/html; charset={spec.info.charset_label}"


def _enc(spec: SiteSpec, html: str, encoding: str | None = None) -> bytes:
    return html.encode(encoding or spec.info.encoding)


def _put(site: Site, path: str, res: Resource) -> None:
    """Store ``res`` under ``path`` (a path with a query goes to ``by_query``)."""
    if "?" in path:
        p, q = path.split("?", 1)
        site.by_query[query_key(p, q)] = res
    else:
        site.resources[path] = res


# ---------------------------------------------------------------------------------------------
# bodies and article pages


def body_html(spec: SiteSpec, e: Entry, key: str | None = None) -> str:
    """The report body as published (without the attachment links, which each platform places)."""
    if e.body_mode == "shell":
        a = next(a for a in e.attachments if a.role == "full_text")
        return (f'<p style="text-indent:2em;">{escape(e.title)}全文见附件。</p>'
                f'<p style="text-indent:2em;">（{escape(a.fmt.upper())}格式，请下载后阅读）</p>')
    if e.body_mode == "viewer":
        return ""
    rng = random.Random(f"markup:{spec.agency.id}:{key or e.path}")
    return render_body(e.blocks or [], e.style, rng, e.tables)


def _article(spec: SiteSpec, e: Entry, path: str) -> bytes:
    body = body_html(spec, e)  # the same markup under every URL of the entry
    p = spec.platform
    if p == "trs_fujian":
        html = fujian.article_page(spec, e, body)
    elif p == "gkmlpt":
        html = gkmlpt.article_page(spec, e, body + gkmlpt.attachments_html(e))
    elif p == "hanweb_xxgk":
        html = hanweb.article_page(spec, e, body + xxgk.attachments_html(e))
    elif p == "anhui":
        if path != e.path or e.extra.get("module"):
            html = anhui.show_page(spec, e, body)
        else:
            html = anhui.article_page(spec, e, body)
    else:
        html = vsb.article_page(spec, e, body)
    return _enc(spec, html)


def _attachment_resource(spec: SiteSpec, e: Entry, a: attachments.Attachment) -> Resource:
    factory = functools.partial(attachments.render, a, e.title, spec.agency.name, e.year or 0, e.blocks, e.tables,
                                f"{spec.agency.id}:{a.path}")
    if "?" in a.path:  # a download script: octet-stream, the name in Content-Disposition
        disp = f"attachment; filename*=UTF-8''{quote(a.name)}"
        return Resource(factory=factory, ctype="application/octet-stream", last_modified=_when(e.date),
                        headers=(("Content-Disposition", disp),))
    return Resource(factory=factory, ctype=attachments.CONTENT_TYPES[a.fmt], last_modified=_when(e.date))


def _articles(site: Site, spec: SiteSpec, truth: Truth) -> None:
    for e in spec.entries:
        if e.kind == "not_found":
            truth.bad.append(BadInput(spec.agency.id, spec.host, e.path, "404", e.note or "list link answers 404"))
            continue
        if not e.extra.get("inline"):
            for path in [e.path, *e.also_at]:
                _put(site, path, Resource(factory=functools.partial(_article, spec, e, path), ctype=_html_type(spec),
                                          last_modified=_when(e.date)))
        for p, data in e.images:
            site.resources[p] = Resource(None if callable(data) else data, "image/png", last_modified=_when(e.date),
                                         factory=data if callable(data) else None)
        for a in e.attachments:
            _put(site, a.path, _attachment_resource(spec, e, a))
            if a.placeholder:
                truth.placeholders.append(Placeholder(spec.host, a.path, a.fmt, (
                    f"{a.name}: OLE container (D0 CF 11 E0) holding a note, not a {a.fmt.upper()} document; "
                    "reading the real format needs a converter")))


# ---------------------------------------------------------------------------------------------
# lists, per platform: each returns (paths linked from working list pages, list requests in order)

ListRequests = list[tuple[str, str, tuple[tuple[str, str], ...]]]  # (method, path?query, form)


def _json_error(status: int, msg: str):
    body = json.dumps({"code": status, "msg": msg, "data": []}, ensure_ascii=False).encode("utf-8")
    return status, [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body))), ("Server", "nginx")], body


def fujian_form(spec: SiteSpec, page: int) -> tuple[tuple[str, str], ...]:
    """The search API form a browser (and the adapter) sends for ``page``."""
    return (("channelid", str(spec.extra["search_id"])), ("sortfield", fujian.SORTFIELD),
            ("classsql", f"chnlid={spec.extra['chnlid']}"), ("prepage", str(fujian.PREPAGE)), ("page", str(page)))


def _lists_fujian(site: Site, spec: SiteSpec, truth: Truth) -> tuple[set[str], ListRequests]:
    col = spec.column
    items = spec.entries_in("own")
    stale = spec.extra.get("stale", 0)
    rows = items[stale:stale + fujian.PREPAGE]
    first = col.path + f"index.{col.page_ext}"
    html = fujian.list_page(spec, col, rows, len(items) - stale, spec.extra["chnlid"])
    site.resources[first] = Resource(_enc(spec, html), _html_type(spec), last_modified=_latest(rows))
    chnlid, search_id = spec.extra["chnlid"], spec.extra["search_id"]

    def api(site: Site, req: Req):
        if req.path != fujian.SEARCH_API:
            return None
        if req.method not in ("GET", "POST", "HEAD"):
            return error_answer(405, req.method, "Method Not Allowed")
        args = req.args()
        try:
            page = int(args.get("page", "1") or "1")
            prepage = int(args.get("prepage", str(fujian.PREPAGE)) or fujian.PREPAGE)
        except ValueError:
            return _json_error(400, "参数错误")
        if not args.get("channelid"):
            return _json_error(400, "缺少检索频道")
        if args["channelid"] != str(search_id):
            return _json_error(500, "检索频道不存在")
        prepage = max(1, min(prepage, 100))
        sql = args.get("classsql", "").replace(" ", "")
        chosen = items if sql in ("", f"chnlid={chnlid}") else []
        body = fujian.api_reply(chosen, req.origin(), page, prepage, chnlid)
        return Resource(body, JSON_TYPE, last_modified=_latest(items))

    site.handlers.append(api)
    pages = -(-len(items) // fujian.PREPAGE)
    requests = [("GET", spec.start_path, ())] + [
        ("POST", fujian.SEARCH_API, fujian_form(spec, k)) for k in range(1, pages + 1)]
    return {e.path for e in items}, requests


def gkmlpt_api_path(spec: SiteSpec, page: int, classify: int | None = None) -> str:
    cid = spec.extra["classify_id"] if classify is None else classify
    return f"/{spec.extra['dept']}/gkmlpt/api/all/{cid}?page={page}&sid={spec.extra['sid']}"


def _lists_gkmlpt(site: Site, spec: SiteSpec, truth: Truth) -> tuple[set[str], ListRequests]:
    dept, sid, cid = spec.extra["dept"], spec.extra["sid"], spec.extra["classify_id"]
    items = spec.entries_in("own")
    site.resources[f"/{dept}/gkmlpt/index"] = Resource(_enc(spec, gkmlpt.index_page(spec)), _html_type(spec))
    names = {}

    def walk(nodes):
        for n in nodes:
            names[n["id"]] = n["name"]
            walk(n.get("children", []))

    walk(gkmlpt.tree_nodes(spec))
    size = spec.extra["page_size"]
    broken = spec.extra.get("pages_after_first_404", False)
    prefix = f"/{dept}/gkmlpt/api/all/"

    def api(site: Site, req: Req):
        if not req.path.startswith(prefix):
            return None
        tail = req.path[len(prefix):]
        if not tail.isdigit():
            return error_answer(404, req.method, "Not Found")
        args = req.args()
        if args.get("sid") != sid:
            body = json.dumps({"code": 404, "message": "站点不存在"}, ensure_ascii=False).encode("utf-8")
            return 404, [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body)))], body
        try:
            page = int(args.get("page", "1") or "1")
        except ValueError:
            return error_answer(400, req.method, "Bad Request")
        if broken and page >= 2:
            return error_answer(404, req.method, "Not Found")
        c = int(tail)
        if c == cid:
            return Resource(gkmlpt.api_reply(spec, items, req.origin(), page), JSON_TYPE, last_modified=_latest(items))
        if c in names:
            return Resource(gkmlpt.empty_classify_reply(c, names[c]), JSON_TYPE)
        return error_answer(404, req.method, "Not Found")

    site.handlers.append(api)
    pages = max(1, -(-len(items) // size))
    requests = [("GET", spec.start_path, ())] + [("GET", gkmlpt_api_path(spec, k), ())
                                                        for k in range(1, pages + 1)]
    listed = {e.path for e in items[:size]} if broken else {e.path for e in items}
    if broken and pages > 1:
        for k in range(2, pages + 1):
            truth.bad.append(BadInput(spec.agency.id, spec.host, gkmlpt_api_path(spec, k), "404", (
                f"list API page {k} of {pages} answers 404 (the site serves page 1 only); "
                f"{len(items[(k - 1) * size:k * size])} items are reachable through no list")))
    return listed, requests


def _view_year(e: Entry) -> int | None:
    return e.extra.get("view_year", e.year if e.kind == "report" else None)


def current_year() -> int:
    return date.today().year


def _lists_xxgk(site: Site, spec: SiteSpec, truth: Truth) -> tuple[set[str], ListRequests]:
    area = spec.extra["area"]
    by_year: dict[int, list[Entry]] = {}
    for e in spec.entries:
        y = _view_year(e)
        if y is not None:
            by_year.setdefault(y, []).append(e)
    cache: dict[tuple[bool, int | None], Resource] = {}

    def view(site: Site, req: Req):
        if req.path != XXGK_VIEW:
            return None
        if req.method == "POST":
            return error_answer(405, req.method, "Method Not Allowed")
        args = req.args()
        known = args.get("area") == area
        fb = (args.get("fbtime") or "").strip()
        if fb and not fb.isdigit():
            body = ("<html><head><title>Error</title></head><body><h2>HTTP Status 500 - </h2>"
                    "<p>java.lang.NumberFormatException: For input string: \"" + escape(fb) + "\"</p></body></html>")
            return 500, [("Content-Type", "text/html;charset=UTF-8"), ("Content-Length", str(len(body.encode())))], \
                body.encode("utf-8")
        year = int(fb) if fb else None
        k = (known, year)
        if k not in cache:
            entries = by_year.get(year, []) if known and year is not None else []
            inline = next((e for e in entries if e.extra.get("inline")), None)
            linked = sorted((e for e in entries if not e.extra.get("inline")), key=lambda e: e.date, reverse=True)
            body = body_html(spec, inline) if inline else ""
            html = xxgk.view_page(spec, year, inline, body, linked, known)
            lm = _latest(entries) if entries else SITE_EPOCH
            cache[k] = Resource(html.encode("gb18030"), xxgk.HEADER_CTYPE, last_modified=lm)
        return cache[k]

    site.handlers.append(view)
    years = range(spec.extra["first_year"], current_year() + 1)
    requests = [("GET", spec.start_path, ())] + [("GET", xxgk_view_path(area, y), ()) for y in years]
    listed = {e.path for e in spec.entries if _view_year(e) in set(years)}
    return listed, requests


def _listers(spec: SiteSpec) -> dict[str, Agency]:
    """Column key → the registry agency whose crawl reads that column's list: 'own' is the site's
    agency; another column is a portal's when its start page is that list (``web.build_web``)."""
    portals = spec.extra.get("portals", {})
    out = {"own": spec.agency}
    for key, col in spec.columns.items():
        if key != "own" and col.path in portals:
            out[key] = portals[col.path]
    return out


def _lists_anhui(site: Site, spec: SiteSpec, truth: Truth) -> tuple[set[str], ListRequests]:
    unit, cat, per = spec.extra["unit_id"], spec.extra["cat_id"], spec.info.per_page
    rows: list[tuple[Entry, str]] = []
    for e in spec.entries_in("own"):
        rows.append((e, e.path))
        if e.extra.get("listed_twice"):
            rows += [(e, p) for p in e.also_at]
    pages = max(1, -(-len(rows) // per))
    requests: ListRequests = []
    for k in range(1, pages + 1):
        chunk = rows[(k - 1) * per:k * per]
        html = anhui.unit_list_page(spec, chunk, k, pages, len(rows))
        res = Resource(_enc(spec, html), _html_type(spec), last_modified=_latest([e for e, _ in chunk]))
        path = anhui.unit_list_path(unit, cat, k)
        _put(site, path, res)
        requests.append(("GET", path, ()))
    # the unit's column without a catId lists the same items here (the unit has nothing else)
    _put(site, f"/public/column/{unit}?type=4&action=list", site.by_query[query_key(
        f"/public/column/{unit}", f"type=4&catId={cat}&action=list")])
    # the portal's annual-report module
    mrows = []
    for e in spec.entries_in("module"):
        href = e.path if e.extra.get("module") else e.also_at[0]
        mrows.append((e.source, e.year, e, href))
    msize = spec.extra["module_page_size"]
    mpages = max(1, -(-len(mrows) // msize))
    for k in range(1, mpages + 1):
        chunk = mrows[(k - 1) * msize:k * msize]
        html = anhui.module_list_page(spec, chunk, k, mpages, len(mrows))
        res = Resource(_enc(spec, html), _html_type(spec), last_modified=_latest([r[2] for r in chunk]))
        _put(site, ANHUI_MODULE + "index.html" + ("" if k == 1 else f"?page={k}"), res)
    site.resources[anhui.VIEWER] = Resource(anhui.viewer_page().encode("utf-8"), "text/html; charset=utf-8")
    listed = {e.path for e, _ in rows}
    # the module is read by the registry agency whose start page it is (the county portal), if any
    portal = _listers(spec).get("module")
    if portal is not None:
        truth.list_pages[portal.id] = [("GET", anhui.module_list_path(k), ()) for k in range(1, mpages + 1)]
        listed |= {e.path for _, _, e, _ in mrows}
    return listed, requests


def _lists_vsb(site: Site, spec: SiteSpec, truth: Truth) -> tuple[set[str], ListRequests]:
    col = spec.column
    items = spec.entries_in("own")
    per = spec.info.per_page
    pages = max(1, -(-len(items) // per))
    requests: ListRequests = []
    for k in range(1, pages + 1):
        chunk = items[(k - 1) * per:k * per]
        path = vsb.page_file(col, k, pages)
        html = vsb.list_page(spec, col, chunk, k, pages, len(items))
        site.resources[path] = Resource(_enc(spec, html), _html_type(spec), last_modified=_latest(chunk))
        requests.append(("GET", path, ()))
    return {e.path for e in items}, requests


LISTS = {"trs_fujian": _lists_fujian, "gkmlpt": _lists_gkmlpt, "hanweb_xxgk": _lists_xxgk, "anhui": _lists_anhui,
         "generic": _lists_vsb}
CHROME = {"trs_fujian": fujian.CHROME, "gkmlpt": gkmlpt.CHROME, "hanweb_xxgk": xxgk.CHROME, "anhui": anhui.CHROME,
          "generic": vsb.CHROME}


def _home(site: Site, spec: SiteSpec) -> None:
    """The home page, and the 政府信息公开 section pages between it and the 年报 column: the way a
    person (and ``spiders/discover.py``) finds the column on a real site."""
    def put(path: str, html: str) -> None:
        site.resources.setdefault(path, Resource(_enc(spec, html), _html_type(spec)))

    if spec.platform == "generic":
        home = vsb.home_page(spec)
        put("/index.htm", home)
        put("/index.html", home)  # the server's default document: "/" answers the home page
        put("/zwgk.htm", vsb.section_page(spec))
        return
    if spec.platform == "hanweb_xxgk":
        put("/index.html", hanweb.home_page(spec))
        site.resources.setdefault("/module/xxgk/index.jsp", Resource(
            xxgk.index_page(spec).encode("gb18030"), xxgk.HEADER_CTYPE))
        return
    if spec.platform == "gkmlpt":
        put("/index.html", gkmlpt.home_page(spec))
        return
    if spec.platform == "anhui":
        put("/index.html", anhui.home_page(spec))
        put("/public/index.html", anhui.public_page(spec))
        return
    put("/index.html", fujian.home_page(spec))
    # 政府信息公开 › 政府信息公开年报 › the department's column, one page per breadcrumb step
    trail = [(n, p) for n, p in spec.crumbs if p not in ("/", "/index.html")] or [home_section(spec)]
    trail.append((spec.column.name, spec.start_path))
    for (name, path), below in zip(trail, trail[1:]):
        put(path + "index.html" if path.endswith("/") else path, fujian.section_page(spec, name, path, [below]))


def _chrome(spec: SiteSpec) -> list[str]:
    i = spec.info
    common = [f"主办单位：{i.sponsor}", f"网站标识码：{i.site_code}", i.icp, i.police, "政府网站找错", "网站地图", "联系我们"]
    if spec.platform == "hanweb_xxgk":
        return chrome_strings(spec) + CHROME["hanweb_xxgk"]
    return common + CHROME[spec.platform]


# ---------------------------------------------------------------------------------------------


def build_site(spec: SiteSpec, truth: Truth) -> Site:
    site = Site(spec.host, spec)
    aid = spec.agency.id
    if spec.challenge:
        site.challenge = Challenge(spec.challenge, spec.host)
        truth.blocked.append(Blocked(aid, spec.host, spec.challenge, NOTES[spec.challenge]))
        truth.list_pages[aid] = [("GET", spec.start_path, ())]
        return site
    _articles(site, spec, truth)
    listed, requests = LISTS[spec.platform](site, spec, truth)
    truth.list_pages[aid] = requests
    _home(site, spec)
    container = CONTAINERS[spec.platform]
    listers = _listers(spec)
    for e in spec.entries:
        # whose list shows it: the site's agency, or a registry agency reading another of its lists
        lister = next((listers[k] for k in e.listed_in if k in listers), spec.agency)
        owner = e.extra.get("owner")
        if e.kind == "report" or (owner and owner[0] == lister.name):  # a portal's own (汇总) report
            headings, paragraphs = truth_text(e.blocks or [])
            text_source = "attachment" if e.body_mode in ("shell", "viewer") else "page"
            truth.reports.append(PlantedReport(
                agency_id=aid if e.kind == "report" else lister.id, year=e.year, title=e.title, host=spec.host,
                path=e.path, published=f"{e.date:%Y-%m-%d}",
                template=e.template, headings=headings, paragraphs=paragraphs,
                tables=e.tables.values() if e.tables is not None else None, tables_as_images=e.tables_as_images,
                encoding=e.encoding or spec.info.encoding,
                reachable=e.path in listed or any(p in listed for p in e.also_at), quirks=list(e.quirks),
                platform=spec.platform,
                attachments=[PlantedAttachment(spec.host, a.path, a.fmt, a.role) for a in e.attachments],
                text_source=text_source, container=container, also_at=list(e.also_at)))
        elif e.kind in KINDS_NON_REPORT:
            truth.non_reports.append(NonReport(lister.id, spec.host, e.path, e.title, e.kind))
            if owner:
                truth.portal_report(e, lister.id, spec.host, spec.platform, container, e.encoding or spec.info.encoding,
                                    e.path in listed)
    for s in _chrome(spec):
        if s and s not in truth.chrome:
            truth.chrome.append(s)
    return site
