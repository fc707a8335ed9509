"""The replica web, over real HTTP on 127.0.0.1: pages, paging contracts, faults, and ground truth.

Requests go through ``http.client`` to 127.0.0.1 with an explicit ``Host`` header, exactly what a
crawler resolving ``*.localhost`` sends, without depending on the machine's resolver.
"""
from __future__ import annotations

import dataclasses
import http.client
import re
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from lxml import html as lhtml

from crawler.registry import Agency, load_registry
from replica import ReplicaServer, build_web, replica_web
from replica import numbers
from replica.web import Web
from extract import schema

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


# ---------------------------------------------------------------------------------------------
# fixtures and helpers


@pytest.fixture(scope="module")
def web() -> Web:
    return replica_web()


@pytest.fixture(scope="module")
def server(web):
    with ReplicaServer(web) as srv:
        yield srv


def fetch(srv: ReplicaServer, host: str, path: str, method: str = "GET", body: bytes | None = None,
          headers: dict | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        h = {"Host": f"{host}:{srv.port}", **(headers or {})}
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def get_ok(srv, host, path, transient: set) -> bytes:
    status, _, data = fetch(srv, host, path)
    if status == 500 and (host, path) in transient:
        status, _, data = fetch(srv, host, path)
    assert status == 200, (host, path, status)
    return data


def ws_strip(s: str) -> str:
    return s.strip()  # str.strip covers U+3000 and U+00A0


def body_root(doc, platform: str):
    if platform == "trs":
        found = doc.xpath('//div[@class="TRS_Editor"]')
    else:
        found = doc.xpath('//div[@id="zoom"]')
    assert len(found) == 1
    return found[0]


def block_texts(root, skip_links: set[str] = frozenset()) -> list[str]:
    """Text of every <p> outside tables; ``skip_links``: paragraphs linking these hrefs (attachment
    lists inside the body) are left out."""
    out = []
    for p in root.iter():
        if not isinstance(p.tag, str) or p.tag.lower() != "p":
            continue
        if any(isinstance(a.tag, str) and a.tag.lower() == "table" for a in p.iterancestors()):
            continue
        if skip_links and any(h in skip_links for h in p.xpath(".//a/@href")):
            continue
        t = ws_strip(p.text_content())
        if t:
            out.append(t)
    return out


def expand(table) -> list[list[str]]:
    """A table element as a rectangular grid of cell texts (spans expanded)."""
    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.xpath(".//tr|.//TR")):
        c = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            while (r, c) in grid:
                c += 1
            rs, cs = int(td.get("rowspan") or 1), int(td.get("colspan") or 1)
            text = ws_strip(td.text_content())
            for i in range(rs):
                for j in range(cs):
                    grid[(r + i, c + j)] = text
            c += cs
    nrows = max(r for r, _ in grid) + 1
    ncols = max(c for _, c in grid) + 1
    return [[grid.get((r, c)) for c in range(ncols)] for r in range(nrows)]


def cell_value(raw: str):
    t = unicodedata.normalize("NFKC", raw).replace("\xa0", "").strip()
    if t in ("", "/", "—", "-"):
        return None
    m = re.match(r"^-?\d+(\.\d+)?", t.replace(",", ""))
    assert m, raw
    v = float(m.group(0)) if m.group(1) else int(m.group(0))
    if t.endswith("万元"):
        return float(m.group(0))
    return v


def platform_of(web: Web, host: str) -> str:
    return web.sites[host].spec.platform


def site_encoding(web: Web, host: str) -> str:
    return web.sites[host].spec.info.encoding


def page_text(web: Web, host: str, path: str, encoding: str | None = None) -> str:
    """A page as its site's encoding decodes it (dynamic pages included)."""
    status, headers, body = web.handle("GET", host, path, b"", {})
    assert status == 200, (host, path, status)
    return body.decode(encoding or site_encoding(web, host))


def has_meta_title(r) -> bool:
    """Pages carrying the standard meta block: all but module views and the long-tail VSB site."""
    return r.platform != "generic" and "xxgkAnnualReport.jsp" not in r.path


def body_of(web: Web, r):
    """The planted report's body element, read from its page with lxml (not our extractor)."""
    text = page_text(web, r.host, r.path, r.encoding)
    if r.container.startswith("json:"):
        from spiders.platforms.gkmlpt import detail

        d = detail(text)
        assert d is not None, r.path
        return lhtml.fromstring(f"<div>{d['content']}</div>")
    found = lhtml.fromstring(text).xpath(r.container)
    assert len(found) == 1, (r.path, r.container)
    return found[0]


# ---------------------------------------------------------------------------------------------
# the web itself


def test_build_is_fast_and_deterministic():
    t0 = time.perf_counter()
    a = replica_web()
    assert time.perf_counter() - t0 < 1.0
    b = replica_web()
    ra, rb = list(a.resources()), list(b.resources())
    assert [(h, p) for h, p, _ in ra] == [(h, p) for h, p, _ in rb]
    for (h, p, x), (_, _, y) in zip(ra, rb):
        assert x.body == y.body, (h, p)
        assert (x.ctype, x.status, x.last_modified, x.behaviour) == (y.ctype, y.status, y.last_modified, y.behaviour)
    assert dataclasses.asdict(a.truth) == dataclasses.asdict(b.truth)


def test_sites_follow_the_registry(web, server):
    agencies = load_registry("replica", port=server.port)
    assert {a.id for a in agencies} == {s.spec.agency.id for s in web.sites.values()} | {
        a.id for s in web.sites.values() for a in s.spec.extra.get("portals", {}).values()}  # a list on another's site
    blocked = {b.agency_id: int(b.kind) for b in web.truth.blocked}
    for a in agencies:
        u = urlsplit(a.start_url)
        status, headers, body = fetch(server, u.hostname, u.path + (f"?{u.query}" if u.query else ""))
        assert status == blocked.get(a.id, 200), a.id
        assert headers["content-type"].startswith("text/html")
        assert server.start_urls()[a.id] == a.start_url


def test_every_reachable_report_answers_with_its_title(web, server):
    transient = {(b.host, b.path) for b in web.truth.bad_of_kind("transient_500")}
    reachable = web.truth.reachable_reports()
    assert len(reachable) >= 30
    for r in reachable:
        data = get_ok(server, r.host, r.path, transient)
        text = data.decode(r.encoding)
        doc = lhtml.fromstring(text)
        if has_meta_title(r):
            assert doc.xpath('//meta[@name="ArticleTitle"]/@content') == [r.title]
            pub = doc.xpath('//meta[@name="PubDate"]/@content')[0]
            assert pub.startswith(r.published)
        else:  # no meta block: the title and the date are in the visible text
            assert r.title in doc.text_content() and r.published in doc.text_content(), r.path


def test_truth_text_and_tables_match_the_pages(web):
    """Headings, paragraphs and table numbers in the truth are what the pages really say."""
    for r in web.truth.reports:
        if r.text_source != "page":
            continue  # the text is the attachment's (test_attachments_hold_the_report)
        if r.platform in ("trs", "hanweb"):
            res = web.sites[r.host].resources[r.path]
            doc = lhtml.fromstring(res.body.decode(r.encoding))
            root = body_root(doc, platform_of(web, r.host))
        else:
            root = body_of(web, r)
        texts = block_texts(root, {a.path for a in r.attachments})
        heads = set(r.headings)
        assert [t for t in texts if t in heads] == r.headings, r.title
        assert [t for t in texts if t not in heads] == r.paragraphs, r.title
        tables = root.xpath(".//table|.//TABLE")
        if r.tables is None or r.tables_as_images:  # pictures of the tables: test_images_for_tables_are_valid_png
            assert not tables
            continue
        assert len(tables) == 3
        active, requests, appeals = (expand(t) for t in tables)
        assert all(len(row) == 4 for row in active)
        assert all(len(row) == 10 for row in requests)
        assert all(len(row) == 15 for row in appeals)
        layout = "2019" if "other_total" in r.tables["requests"] else "2021"
        req_rows = schema.rows("requests", layout)
        assert len(requests) == 3 + len(req_rows)
        cols = [c.key for c in schema.REQUESTS_COLS]
        for f, line in zip(req_rows, requests[3:]):
            got = [cell_value(x) for x in line[3:]]
            assert got == [r.tables["requests"][f.key][c] for c in cols], (r.title, f.key)
        want = [r.tables["appeals"][g][c.key] for g in ("review", "litigation_direct", "litigation_after_review")
                for c in schema.APPEALS_COLS]
        assert [cell_value(x) for x in appeals[-1]] == want


def test_ground_truth_shape(web):
    t = web.truth
    by = {}
    for r in t.reports:
        by.setdefault(r.agency_id, []).append(r.year)
    assert sorted(by["xinjiang-mzt"]) == [2019, 2020, 2021, 2022, 2023]
    assert sorted(by["binhu-mzj"]) == [2019, 2020, 2021, 2022, 2023]
    assert sorted(by["changde-mzj"]) == list(range(2015, 2024))
    assert sorted(by["wusu-mzj"]) == [2020, 2021, 2022, 2023]
    assert sorted(by["jiangsu-mzt"]) == [2019, 2020, 2021, 2022, 2023]
    assert sorted(by["ordos-mzj"]) == list(range(2018, 2024))
    rep = {(r.agency_id, r.year): r for r in t.reports}
    # real figures, errors kept
    x21 = rep["xinjiang-mzt", 2021].tables["requests"]
    assert x21["new_received"]["total"] == 1 and x21["handled_total"]["total"] == 0
    assert rep["xinjiang-mzt", 2021].published == "2022-01-20"
    b20 = rep["binhu-mzj", 2020]
    assert b20.template == "2019" and b20.tables["active"]["procurement"]["amount"] == 1946.689
    assert b20.tables["requests"]["handled_total"]["business"] is None
    assert rep["wusu-mzj", 2021].tables["active"]["licensing"]["decisions"] == 2788
    j22 = rep["jiangsu-mzt", 2022]
    assert j22.tables_as_images and j22.published == "2023-01-19"
    assert j22.tables["requests"]["carried_forward"]["total"] == numbers.JIANGSU_2022_NARRATIVE["forward"]
    c17 = rep["changde-mzj", 2017]
    assert c17.template == "pre2019" and c17.tables is None and any("2235" in p for p in c17.paragraphs)
    assert c17.encoding == "gb18030" and c17.published == "2018-03-16"
    assert rep["changde-mzj", 2016].published == "2019-12-16"  # migrated and re-stamped
    assert "/201912/t20191216_" in rep["changde-mzj", 2016].path
    # templates by era, with one 2022+ report keeping the 2019 single （六） row
    for r in t.reports:
        if r.year <= 2018:
            assert r.template == "pre2019"
        elif r.tables is not None:
            assert r.template == ("2019" if r.year <= 2020 else "2021")
    mixed = [r for r in t.reports if r.year >= 2022 and r.tables and "other_total" in r.tables["requests"]]
    assert len(mixed) == 1
    assert any("存在的主要问题及整改措施" in h for r in t.reports for h in r.headings)
    # random years keep their arithmetic
    seeded = {("xinjiang-mzt", 2021), ("binhu-mzj", 2020), ("wusu-mzj", 2021)}
    for r in t.reports:
        if r.tables is None or (r.agency_id, r.year) in seeded:
            continue
        req = r.tables["requests"]
        for c in req["new_received"]:
            assert req["new_received"][c] + req["carried_over"][c] == req["handled_total"][c] + req["carried_forward"][c]
    for n in t.non_reports:  # every trap is a real page with its own title
        doc = lhtml.fromstring(page_text(web, n.host, n.path))
        if platform_of(web, n.host) == "generic":
            assert n.title in doc.text_content()
        else:
            assert doc.xpath('//meta[@name="ArticleTitle"]/@content') == [n.title]
    kinds = {n.kind for n in t.non_reports}
    assert {"news", "notice", "interpretation", "other_agency_report", "other"} <= kinds
    assert any(n.title.startswith("关于做好2022年政府信息公开工作年度报告") for n in t.non_reports)
    assert any(n.title.startswith("图解：") for n in t.non_reports)
    assert all(r.published[:4] >= str(r.year + 1) for r in t.reports)


def test_chrome_never_in_truth_text_but_on_pages(web):
    chrome = web.truth.chrome
    assert "【字体：大 中 小】" in chrome and "打印本页" in chrome
    for r in web.truth.reports:
        for s in chrome:
            assert all(s not in p for p in r.paragraphs + r.headings + [r.title]), (s, r.title)
    pages = "".join(lhtml.fromstring(res.body.decode(site_encoding(web, h), "replace")).text_content()
                    for h, p, res in web.resources() if res.ctype.startswith("text/html"))
    for aid, requests in web.truth.list_pages.items():  # dynamic pages (year views …)
        host = web.site_of(aid).host
        for method, path, form in requests:
            status, headers, body = web.handle(method, host, path, urlencode(form).encode(), {})
            if status == 200 and "html" in dict(headers)["Content-Type"]:
                enc = "gb18030" if "gb2312" in body[:300].decode("ascii", "replace") else site_encoding(web, host)
                pages += lhtml.fromstring(body.decode(enc, "replace")).text_content()
    for s in chrome:
        assert s in pages, s


# ---------------------------------------------------------------------------------------------
# platform contracts


def _trs_page_count(text: str) -> tuple[int, int]:
    m = re.search(r'createPageHTML\((\d+),\s*(\d+),\s*"index",\s*"(\w+)"\)', text)
    if m:
        return int(m.group(1)), int(m.group(2))
    cur = re.search(r"var currentPage = (\d+);//所在页从0开始", text)
    cnt = re.search(r"var countPage = (\d+)//共多少页", text)
    assert cur and cnt
    return int(cnt.group(1)), int(cur.group(1))


def test_trs_list_pages_declare_their_count(web, server):
    broken = {(b.host, b.path) for b in web.truth.bad_of_kind("500")}
    variants = set()
    for host, site in web.sites.items():
        if site.spec.platform != "trs" or site.challenge is not None:
            continue
        col = site.spec.column.path
        status, headers, data = fetch(server, host, col + "index.html")
        assert status == 200
        enc = site.spec.info.encoding
        first = data.decode(enc)
        variants.add("createPageHTML" if "createPageHTML(" in first else "countPage")
        count, idx = _trs_page_count(first)
        assert idx == 0 and count >= 3
        links = set()
        for k in range(count):
            path = col + ("index.html" if k == 0 else f"index_{k}.html")
            status, _, data = fetch(server, host, path)
            if (host, path) in broken:
                assert status == 500
                continue
            assert status == 200
            text = data.decode(enc)
            assert _trs_page_count(text) == (count, k)
            doc = lhtml.fromstring(text)
            items = doc.xpath('//ul[@class="list"]/li/a')
            assert 0 < len(items) <= 10
            links |= {urljoin(path, a.get("href")) for a in items}
        assert fetch(server, host, col + f"index_{count}.html")[0] == 404
        for r in web.truth.reports_of(site.spec.agency.id):
            assert (r.path in links) == r.reachable, r.title
    assert variants == {"createPageHTML", "countPage"}


def _hanweb_column(text: str) -> dict:
    out = {}
    m = re.search(r'<div id="(\d+)"><script type="text/xml"><datastore>(.*?)</datastore></script></div>', text, re.S)
    out["unitid"], store = m.group(1), m.group(2)
    out["records"] = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", store, re.S)
    nxt = re.search(r"<nextgroup><!\[CDATA\[(.*?)\]\]></nextgroup>", store, re.S).group(1)
    assert "/module/web/jpage/dataproxy.jsp?page=1&appid=1" in nxt
    for key in ("webid", "columnid"):
        out[key] = re.search(rf"{key}=(\d+)", nxt).group(1)
    out["webname"] = re.search(r"webname=([^&]*)&", nxt).group(1)
    jp = re.search(r"\$\('#(\d+)'\)\.jpage\(\{(.*?)\}\);", text, re.S)
    assert jp.group(1) == out["unitid"]
    out["total"] = int(re.search(r"totalRecord:\s*(\d+)", jp.group(2)).group(1))
    out["per"] = int(re.search(r"perPage:\s*(\d+)", jp.group(2)).group(1))
    return out


def _proxy(server, host, col, start, end, **over):
    form = {"col": 1, "appid": 1, "webid": col["webid"], "path": "/", "columnid": col["columnid"],
            "sourceContentType": 1, "unitid": col["unitid"], "webname": col["webname"], "permissiontype": 0}
    form.update(over)
    path = f"/module/web/jpage/dataproxy.jsp?startrecord={start}&endrecord={end}&perpage={col['per']}"
    return fetch(server, host, path, "POST", urlencode(form).encode("utf-8"),
                 {"Content-Type": "application/x-www-form-urlencoded"})


def test_hanweb_datastore_and_dataproxy_list_every_record_once(web, server):
    n_sites = 0
    for host, site in web.sites.items():
        if site.spec.platform != "hanweb":
            continue
        n_sites += 1
        status, _, data = fetch(server, host, site.spec.column.path)
        assert status == 200
        col = _hanweb_column(data.decode("utf-8"))
        assert col["per"] == 8 and len(col["records"]) == 8 and col["total"] > 16
        hrefs = [re.search(r"href='([^']+)'", rec).group(1) for rec in col["records"]]
        start = 9
        while start <= col["total"]:
            end = start + 2 * col["per"] - 1
            status, headers, xml = _proxy(server, host, col, start, end)
            assert status == 200 and headers["content-type"].startswith("text/xml")
            x = xml.decode("utf-8")
            assert f"<totalrecord>{col['total']}</totalrecord>" in x
            assert f"<totalpage>{-(-col['total'] // col['per'])}</totalpage>" in x
            recs = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", x, re.S)
            assert len(recs) == min(end, col["total"]) - start + 1
            hrefs += [re.search(r"href='([^']+)'", rec).group(1) for rec in recs]
            start = end + 1
        assert len(hrefs) == col["total"] == len(set(hrefs))
        for r in web.truth.reports_of(site.spec.agency.id):
            assert r.path in hrefs
            assert re.fullmatch(rf"/art/\d{{4}}/[1-9]\d?/[1-9]\d?/art_{col['columnid']}_\d+\.html", r.path)
        # the contract's failure modes
        assert fetch(server, host, "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=8&perpage=8")[0] == 400
        assert _proxy(server, host, col, 1, 8, columnid=1)[0] == 400
        assert _proxy(server, host, col, 1, 8, unitid="999")[0] == 400
        # the body sits between the ZJEG_RSS markers
        r = web.truth.reports_of(site.spec.agency.id)[0]
        page = fetch(server, host, r.path)[2].decode("utf-8")
        assert page.index('<!--ZJEG_RSS.content.begin--><meta name="ContentStart">') < page.index(r.headings[0])
        assert page.index(r.headings[-1]) < page.index('<meta name="ContentEnd"><!--ZJEG_RSS.content.end-->')
        assert '<meta name="Maketime"' in page and "<!--<$[信息来源]>begin-->" in page
    assert n_sites == 2


def test_images_for_tables_are_valid_png(web, server):
    r = next(r for r in web.truth.reports if r.tables_as_images)
    page = fetch(server, r.host, r.path)[2].decode("utf-8")
    body = page[page.index('<meta name="ContentStart">'):page.index('<meta name="ContentEnd">')]
    srcs = re.findall(r'<img src="([^"]+\.png)"', body)
    assert len(srcs) == 3
    for s in srcs:
        status, headers, data = fetch(server, r.host, urljoin(r.path, s))
        assert status == 200 and headers["content-type"] == "image/png"
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")


def test_gbk_site_needs_gb18030(web, server):
    reps = [r for r in web.truth.reports if r.encoding == "gb18030" and r.agency_id == "changde-mzj"]
    assert reps
    assert {r.agency_id for r in web.truth.reports if r.encoding == "gb18030"} == {
        "changde-mzj", "yinan-mzj", "kaili-mzj"}  # the other two: test_replica_platforms
    for r in reps:
        status, headers, data = fetch(server, r.host, r.path)
        assert status == 200 and "utf-8" not in headers["content-type"].lower()
        assert 'charset=gb2312"' in data[:400].decode("ascii", "replace")
        assert r.title in data.decode("gb18030")
        with pytest.raises(UnicodeDecodeError):
            data.decode("gb2312")
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    status, headers, _ = fetch(server, reps[0].host, "/zwgk/xxgknb/index.html")
    assert headers["content-type"] == "text/html; charset=gb2312"


# ---------------------------------------------------------------------------------------------
# HTTP behaviour


def test_conditional_requests_and_head(web, server):
    r = next(r for r in web.truth.reports if r.agency_id == "binhu-mzj")
    status, headers, body = fetch(server, r.host, r.path)
    assert status == 200 and headers["etag"] and headers["last-modified"]
    status, h2, b2 = fetch(server, r.host, r.path, headers={"If-None-Match": headers["etag"]})
    assert status == 304 and b2 == b""
    status, _, b3 = fetch(server, r.host, r.path, headers={"If-Modified-Since": headers["last-modified"]})
    assert status == 304 and b3 == b""
    status, _, _ = fetch(server, r.host, r.path, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert status == 200
    status, _, _ = fetch(server, r.host, r.path, headers={"If-None-Match": '"nope"'})
    assert status == 200
    status, h4, b4 = fetch(server, r.host, r.path, method="HEAD")
    assert status == 200 and b4 == b"" and int(h4["content-length"]) == len(body) and h4["etag"] == headers["etag"]
    list_page = web.sites["mzt.xinjiang.localhost"].spec.column.path + "index.html"
    _, lh, _ = fetch(server, "mzt.xinjiang.localhost", list_page)
    assert "etag" in lh and "last-modified" in lh


def test_robots_unknown_hosts_and_missing_files(web, server):
    blocked = {b.host for b in web.truth.blocked}
    for host in web.hosts():
        status, headers, body = fetch(server, host, "/robots.txt")
        if host in blocked:  # the challenge gateway answers robots.txt too (test_replica_platforms)
            assert status in (412, 521)
            continue
        assert status == 200 and b"Disallow: /admin/" in body and headers["content-type"].startswith("text/plain")
        assert fetch(server, host, "/favicon.ico")[0] == 404
    assert fetch(server, "www.example.localhost", "/")[0] == 404
    assert fetch(server, "mzt.xinjiang.localhost", "/", method="DELETE")[0] == 405
    recorded = server.requests
    assert ("GET", "www.example.localhost", "/", 404) in recorded


def test_planted_bad_inputs_behave_as_declared(web, server):
    bad = web.truth.bad
    assert {b.kind for b in bad} == {"404", "500", "undecodable", "transient_500"}
    for b in web.truth.bad_of_kind("404"):
        assert fetch(server, b.host, b.path)[0] == 404
    (lb,) = web.truth.bad_of_kind("500")
    assert lb.agency_id == "ordos-mzj" and lb.path.endswith("/index_2.html")
    assert fetch(server, lb.host, lb.path)[0] == 500 and fetch(server, lb.host, lb.path)[0] == 500
    hidden = [r for r in web.truth.reports if not r.reachable]
    assert {r.agency_id for r in hidden} == {"ordos-mzj", "zhaoqing-mzj"}
    assert len([r for r in hidden if r.agency_id == "ordos-mzj"]) == 1
    (ub,) = web.truth.bad_of_kind("undecodable")
    status, headers, data = fetch(server, ub.host, ub.path)
    assert status == 200 and "charset=utf-8" in headers["content-type"]
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert data.decode("utf-8", "replace").count("\ufffd") > 1000
    assert ub.path not in {r.path for r in web.truth.reports}
    # a fresh web: the transient fault fires on the first request only
    fresh = replica_web()
    (tb,) = fresh.truth.bad_of_kind("transient_500")
    assert tb.path in {r.path for r in fresh.truth.reachable_reports()}
    with ReplicaServer(fresh) as srv:
        assert fetch(srv, tb.host, tb.path)[0] == 500
        assert fetch(srv, tb.host, tb.path)[0] == 200
        assert fetch(srv, tb.host, tb.path)[0] == 200
        assert [s for m, h, p, s in srv.requests] == [500, 200, 200]


def test_no_text_copied_from_the_seed_reports(web):
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not present (a user's checkout); nothing to compare against")

    def norm(s: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))

    windows = set()
    for f in sorted(SEEDS.glob("*.txt")):
        for line in f.read_text(encoding="utf-8").splitlines():
            # prose lines only: table cells are the official template's labels, which every report shares
            if len(line) < 60 or "|" in line or line[:1].isspace():
                continue
            n = norm(line)
            windows.update(n[i:i + 30] for i in range(len(n) - 29))
    assert len(windows) > 1000
    for host, path, res in web.resources():
        if not res.ctype.startswith("text/html"):
            continue
        try:
            text = res.body.decode(site_encoding(web, host))
        except UnicodeDecodeError:
            continue
        n = norm(lhtml.fromstring(text).text_content())
        for i in range(len(n) - 29):
            assert n[i:i + 30] not in windows, (host, path, n[i:i + 30])


# ---------------------------------------------------------------------------------------------
# growing the registry, and the schema


def test_new_registry_entries_get_a_generic_site():
    agencies = load_registry("replica", port=0) + [
        Agency(id="test-trs", name="测试市民政局", province="测试省", level="city", platform="trs",
               start_url="http://mzj.test.localhost:0/zwgk/ndbg/index.shtml", city="测试市", registry="replica"),
        Agency(id="test-hanweb", name="测试省民政厅", province="测试省", level="province", platform="hanweb",
               start_url="http://mzt.test.localhost:0/col/col12345/index.html", registry="replica"),
        Agency(id="test-gk", name="某区民政局", province="广东省", level="county", platform="gkmlpt",
               start_url="http://gk.test.localhost:0/gkmlpt/index", registry="replica"),
    ]
    w = build_web(agencies)
    assert "gk.test.localhost" not in w.sites
    for aid, host, path in (("test-trs", "mzj.test.localhost", "/zwgk/ndbg/index.shtml"),
                            ("test-hanweb", "mzt.test.localhost", "/col/col12345/index.html")):
        status, _, body = w.handle("GET", f"{host}:1234", path, b"", {})
        assert status == 200
        reps = w.truth.reports_of(aid)
        assert len(reps) == 5 and all(r.host == host for r in reps)
        for r in reps:
            assert w.handle("GET", host, r.path)[0] == 200
    assert 'createPageHTML(' in w.sites["mzj.test.localhost"].resources["/zwgk/ndbg/index.shtml"].body.decode()
    assert "/zwgk/ndbg/index_1.shtml" in w.sites["mzj.test.localhost"].resources


def test_schema_contract():
    assert len(schema.rows("requests", "2021")) == 25
    assert len(schema.rows("requests", "2019")) == 23
    assert [f.key for f in schema.rows("requests", "2019")].count("other_total") == 1
    assert [c.key for c in schema.cols("requests", "2021")] == [
        "natural_person", "business", "research", "nonprofit", "legal_services", "other_org", "total"]
    assert [c.key for c in schema.cols("appeals", "2021")] == ["upheld", "corrected", "other", "pending", "total"]
    assert [f.key for f in schema.rows("appeals", "2019")] == ["review", "litigation_direct", "litigation_after_review"]
    assert [c.key for c in schema.cols("active", "2021", "regulations")] == ["issued", "repealed", "in_force"]
    assert [c.key for c in schema.cols("active", "2019", "procurement")] == ["projects", "amount"]
    assert {f.key for f in schema.rows("active", "2019")} - {f.key for f in schema.rows("active", "2021")} == {
        "other_services", "procurement"}
    assert schema.label("requests", "carried_forward") == "四、结转下年度继续办理"
    assert schema.label("active", "fees", "amount", "2021") == "本年收费金额（单位：万元）"
    assert set(schema.CHECKS) == {"requests.balance", "requests.handled_sum", "requests.row_sum", "appeals.sum",
                                  "requests.continuity", "active.continuity"}
    assert schema.TEMPLATES == ("pre2019", "2019", "2021")
    assert "other_misc" in schema.handled_parts("2021") and "other_total" in schema.handled_parts("2019")
    with pytest.raises(ValueError):
        schema.rows("requests", "pre2019")
