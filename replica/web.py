"""The replica web: every page of every replica site as bytes, plus the behaviour of its server.

``build_web(agencies)`` renders the sites described by ``sites.site_spec`` (the later platforms
via ``assemble.py``) into an in-memory map host → path → resource, and
records the ground truth from the same specs. ``Web.handle`` answers one HTTP request against that
map (virtual hosts by the ``Host`` header, conditional requests, the Hanweb ``dataproxy.jsp`` POST,
per-site dynamic handlers for JSON APIs and per-year views, resources addressed by path AND query
for download scripts, challenge gateways answering every path, planted faults). Article pages and
attachments are rendered lazily, on first request. It is pure Python with no sockets, so it can be
tested and reused without a server; ``server.py`` puts it behind a real HTTP listener.
"""
from __future__ import annotations

import functools
import random
import threading
from datetime import timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, unquote, urlsplit

from crawler.registry import Agency

from . import hanweb, trs
from .blocks import truth_text
from .body import render_body
from .chrome import chrome_strings, home_section
from .sites import site_spec
from .spec import (KINDS_NON_REPORT, SITE_EPOCH, Entry, ProxyColumn, Req, Resource, Site, SiteSpec, error_answer,
                   host_and_path, query_key)
from .spec import when as _when
from .truth import BadInput, NonReport, PlantedReport, Truth

ROBOTS = b"User-agent: *\nDisallow: /admin/\n"


def _html_type(spec: SiteSpec, kind: str) -> str:
    if spec.info.encoding == "utf-8":
        return "text/html; charset=utf-8"
    # an older GBK site: list pages declare gb2312 in the header, articles rely on the <meta> alone
    return f"text/html; charset={spec.info.charset_label}" if kind == "list" else "text/html"


def _encode(spec: SiteSpec, html: str) -> bytes:
    return html.encode(spec.info.encoding)


def _undecodable(seed: str, title_ascii: str) -> bytes:
    rng = random.Random(seed)
    junk = bytes(rng.choice([rng.randint(0x80, 0xBF), rng.randint(0xF8, 0xFF)]) for _ in range(6000))
    return (b'<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
            b"<title>" + junk[:80] + b"</title>\n</head>\n<body>\n<div class=\"TRS_Editor\">" + junk[80:]
            + b"</div>\n<!-- " + title_ascii.encode("ascii") + b" -->\n</body>\n</html>\n")


class Web:
    """All replica sites; ``handle`` answers one request. Thread-safe."""

    def __init__(self, agencies: list[Agency], sites: dict[str, Site], truth: Truth):
        self.agencies = agencies
        self.sites = sites
        self.truth = truth
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, str], int] = {}

    # -- inspection -------------------------------------------------------------------------
    def start_urls(self, port: int) -> dict[str, str]:
        out = {}
        for site in self.sites.values():
            out[site.spec.agency.id] = f"http://{site.host}:{port}{site.spec.start_path}"
            for path, a in site.spec.extra.get("portals", {}).items():
                out[a.id] = f"http://{site.host}:{port}{path}"
        return out

    def site_of(self, agency_id: str) -> Site:
        """The site serving an agency's start page: its own, or the one whose list it crawls."""
        return next(s for s in self.sites.values() if s.spec.agency.id == agency_id
                    or any(a.id == agency_id for a in s.spec.extra.get("portals", {}).values()))

    def resources(self):
        """(host, path, resource) for every stored resource, sorted."""
        for host in sorted(self.sites):
            for path in sorted(self.sites[host].resources):
                yield host, path, self.sites[host].resources[path]

    def hosts(self) -> list[str]:
        return sorted(self.sites)

    def report_body(self, report) -> str:
        """The text of a planted report's body as its page publishes it, read with lxml from the
        served bytes (``report.container``; for gkmlpt the HTML inside ``window._CONFIG.DETAIL``).
        For a shell or viewer page (``text_source == 'attachment'``) that is the page's short note,
        not the report: its text is in the ``full_text`` attachment."""
        import json
        import re

        import lxml.html

        status, _, body = self.handle("GET", report.host, report.path)
        if status == 500:  # a planted transient fault answers once
            status, _, body = self.handle("GET", report.host, report.path)
        if status != 200:
            raise ValueError(f"{report.path} answers {status}")
        text = body.decode(report.encoding)
        if report.container.startswith("json:"):
            m = re.search(r"_CONFIG\.DETAIL\s*=\s*(\{.*?\});\s*</script>", text, re.S)
            html = json.loads(m.group(1))["content"]
            return lxml.html.fromstring(f"<div>{html}</div>").text_content()
        return lxml.html.fromstring(text).xpath(report.container)[0].text_content()

    def reset(self) -> None:
        """Forget served hits (the transient fault fires again)."""
        with self._lock:
            self._hits.clear()

    # -- serving ----------------------------------------------------------------------------
    def handle(self, method: str, host: str, path_and_query: str, body: bytes = b"",
               headers: dict | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        method = method.upper()
        hostname = (host or "").rsplit(":", 1)[0].strip().lower() if not (host or "").startswith("[") else host
        site = self.sites.get(hostname)
        if site is None:
            return self._error(404, method, "Unknown host")
        if method not in ("GET", "HEAD", "POST"):
            st, hd, b = self._error(405, method, "Method Not Allowed")
            return st, hd + [("Allow", "GET, HEAD, POST")], b
        parts = urlsplit(path_and_query)
        path = unquote(parts.path or "/")
        if site.challenge is not None:
            return site.challenge.answer(method, path, parts.query, headers)
        if path == hanweb.PROXY and site.proxies:
            return self._dataproxy(site, method, parts.query, body)
        if site.handlers:
            req = Req(method, host or hostname, path, parts.query, body, headers)
            for handler in site.handlers:
                out = handler(site, req)
                if out is None:
                    continue
                if isinstance(out, Resource):
                    return self._serve(out, method, headers, site, path)
                return out if method != "HEAD" else (out[0], out[1], b"")
        if path == "/robots.txt":
            res = Resource(ROBOTS, "text/plain; charset=utf-8")
            return self._serve(res, method, headers, site, path)
        if path.endswith("/"):
            path += "index.html"
        res = None
        if parts.query and site.by_query:
            res = site.by_query.get(query_key(path, parts.query))
        if res is None:
            res = site.resources.get(path)
        if res is None:
            return self._error(404, method, "Not Found")
        if method == "POST":
            st, hd, b = self._error(405, method, "Method Not Allowed")
            return st, hd + [("Allow", "GET, HEAD")], b
        with self._lock:
            n = self._hits.get((hostname, path), 0)
            self._hits[(hostname, path)] = n + 1
        if res.behaviour == "always_500" or (res.behaviour == "transient_500" and n == 0):
            return self._error(500, method, "Internal Server Error")
        return self._serve(res, method, headers, site, path)

    def _serve(self, res: Resource, method: str, headers: dict, site: Site, path: str):
        lm = format_datetime(res.last_modified.astimezone(timezone.utc), usegmt=True)
        out = [("Content-Type", res.ctype), ("ETag", res.etag), ("Last-Modified", lm),
               ("Server", "nginx"), ("Cache-Control", "max-age=600"), *res.headers]
        inm = headers.get("if-none-match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            if "*" in tags or res.etag in tags or ("W/" + res.etag) in tags:
                return 304, out + [("Content-Length", "0")], b""
        elif headers.get("if-modified-since"):
            try:
                ims = parsedate_to_datetime(headers["if-modified-since"])
                if ims.tzinfo is None:
                    ims = ims.replace(tzinfo=timezone.utc)
                if res.last_modified.replace(microsecond=0) <= ims:
                    return 304, out + [("Content-Length", "0")], b""
            except (TypeError, ValueError, IndexError):
                pass
        out.append(("Content-Length", str(len(res.body))))
        return res.status, out, (b"" if method == "HEAD" else res.body)

    def _error(self, status: int, method: str, text: str):
        return error_answer(status, method, text)

    def _dataproxy(self, site: Site, method: str, query: str, body: bytes):
        def bad(msg: str):
            b = msg.encode("utf-8")
            return 400, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(b)))], (
                b"" if method == "HEAD" else b)

        if method != "POST":
            return bad("error: request method not supported")
        q = parse_qs(query, keep_blank_values=True)
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return bad("error: bad form encoding")
        args = {**{k: v[-1] for k, v in form.items()}, **{k: v[-1] for k, v in q.items()}}
        try:
            colid = int(args.get("columnid", ""))
            start, end = int(args["startrecord"]), int(args["endrecord"])
            per_page = int(args.get("perpage", 0)) or None
        except (KeyError, ValueError):
            return bad("error: missing or invalid parameters")
        col = site.proxies.get(colid)
        if col is None or args.get("unitid") != col.unitid:
            return bad("error: column not found")
        if start < 1 or end < start:
            return bad("error: invalid record range")
        xml = hanweb.dataproxy_xml(col.items, start, end, per_page or col.per_page, col.truncate).encode("utf-8")
        res = Resource(xml, "text/xml; charset=UTF-8")
        lm = format_datetime(res.last_modified.astimezone(timezone.utc), usegmt=True)
        return 200, [("Content-Type", res.ctype), ("ETag", res.etag), ("Last-Modified", lm),
                     ("Content-Length", str(len(xml)))], (b"" if method == "HEAD" else xml)


# ---------------------------------------------------------------------------------------------
# building


def _render_entry(spec: SiteSpec, e: Entry) -> bytes:
    rng = random.Random(f"markup:{spec.agency.id}:{e.path}")
    body = render_body(e.blocks or [], e.style, rng, e.tables)
    page = (trs.article_page if spec.platform == "trs" else hanweb.article_page)(spec, e, body)
    return _encode(spec, page)


def _build_site(spec: SiteSpec, truth: Truth) -> Site:
    if spec.platform not in ("trs", "hanweb") or spec.challenge:
        from .assemble import build_site

        return build_site(spec, truth)
    site = Site(spec.host, spec)
    res = site.resources
    aid = spec.agency.id
    # articles, images, planted faults
    for e in spec.entries:
        if e.kind == "not_found":
            truth.bad.append(BadInput(aid, spec.host, e.path, "404", f"{e.title}: {e.note or 'list link answers 404'}"))
            continue
        if e.kind == "undecodable":
            res[e.path] = Resource(_undecodable(f"junk:{e.path}", e.path), "text/html; charset=utf-8",
                                   last_modified=_when(e.date))
            truth.bad.append(BadInput(aid, spec.host, e.path, "undecodable", f"{e.title}: {e.note}"))
            continue
        res[e.path] = Resource(factory=functools.partial(_render_entry, spec, e), ctype=_html_type(spec, "article"),
                               last_modified=_when(e.date), behaviour=e.behaviour)
        for p, data in e.images:
            res[p] = Resource(None if callable(data) else data, "image/png", last_modified=_when(e.date),
                              factory=data if callable(data) else None)
        if e.behaviour == "transient_500":
            truth.bad.append(BadInput(aid, spec.host, e.path, "transient_500",
                                      "answers 500 to the first request, 200 afterwards"))
    # lists
    listed_ok: set[str] = set()  # paths linked from at least one working list page
    for key, col in spec.columns.items():
        items = spec.entries_in(key)
        if spec.platform == "trs":
            per = spec.info.per_page
            count = trs.page_count(len(items), per)
            for k in range(count):
                chunk = items[k * per:(k + 1) * per]
                path = col.path + trs.list_page_name(k, col.page_ext)
                html = trs.list_page(spec, col, chunk, k, count)
                lm = _when(max((e.date for e in chunk), default=SITE_EPOCH.replace(tzinfo=None)))
                broken = key == "own" and k in spec.broken_pages
                res[path] = Resource(_encode(spec, html), _html_type(spec, "list"), last_modified=lm,
                                     behaviour="always_500" if broken else None)
                if broken:
                    truth.bad.append(BadInput(aid, spec.host, path, "500",
                                              f"list page {k + 1} of {count} answers 500 every time; "
                                              f"it alone links {len(chunk)} items"))
                else:
                    listed_ok.update(e.path for e in chunk)
        else:
            html = hanweb.column_page(spec, col, items)
            lm = _when(max((e.date for e in items), default=SITE_EPOCH.replace(tzinfo=None)))
            res[col.path] = Resource(_encode(spec, html), _html_type(spec, "list"), last_modified=lm)
            site.proxies[col.colid] = ProxyColumn(col.colid, col.unitid, items, spec.info.per_page, spec.info.truncate)
            listed_ok.update(e.path for e in items)
    # home and breadcrumb parents
    mod = trs if spec.platform == "trs" else hanweb
    home = Resource(_encode(spec, mod.home_page(spec)), _html_type(spec, "list"))
    res["/index.html"] = home
    for name, path in [*spec.crumbs, home_section(spec)]:  # the section the home page links, too
        page = path + "index.html" if path.endswith("/") else path
        if page not in res:
            res[page] = Resource(_encode(spec, mod.stub_page(spec, path, name)), _html_type(spec, "list"))
    # truth
    for e in spec.entries:
        if e.kind == "report":
            headings, paragraphs = truth_text(e.blocks or [])
            truth.reports.append(PlantedReport(
                agency_id=aid, year=e.year, title=e.title, host=spec.host, path=e.path,
                published=f"{e.date:%Y-%m-%d}", template=e.template, headings=headings, paragraphs=paragraphs,
                tables=e.tables.values() if e.tables is not None else None, tables_as_images=e.tables_as_images,
                encoding=spec.info.encoding, reachable=e.path in listed_ok, quirks=list(e.quirks),
                platform=spec.platform,
                container="//div[@class='TRS_Editor']" if spec.platform == "trs" else "//div[@id='zoom']"))
        elif e.kind in KINDS_NON_REPORT:
            truth.non_reports.append(NonReport(aid, spec.host, e.path, e.title, e.kind))
            if e.extra.get("owner"):
                container = "//div[@class='TRS_Editor']" if spec.platform == "trs" else "//div[@id='zoom']"
                truth.portal_report(e, aid, spec.host, spec.platform, container, spec.info.encoding,
                                    e.path in listed_ok)
    for s in chrome_strings(spec):
        if s not in truth.chrome:
            truth.chrome.append(s)
    return site


def build_web(agencies: list[Agency]) -> Web:
    """Render the replica sites of ``agencies`` (registry entries; ports in their URLs are ignored)."""
    truth = Truth()
    sites: dict[str, Site] = {}
    specs = [(a, site_spec(a)) for a in agencies]
    # A registry agency without a site of its own whose start page is a list on another agency's
    # site: a county portal's annual-report module on the platform that also hosts its
    # departments' catalogues (Anhui). That site serves the list, and says in its truth whose it is.
    hosted = {s.host: s for _, s in specs if s is not None}
    for a, spec in specs:
        if spec is None and a.start_url:
            host, path = host_and_path(a.start_url)
            if host in hosted:
                hosted[host].extra.setdefault("portals", {})[path] = a
    for a, spec in specs:
        if spec is None:
            continue
        if spec.host in sites:
            raise ValueError(f"two replica agencies on one host {spec.host}: "
                             f"{sites[spec.host].spec.agency.id} and {a.id}")
        sites[spec.host] = _build_site(spec, truth)
    return Web(list(agencies), sites, truth)
