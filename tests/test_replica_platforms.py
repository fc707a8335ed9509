"""The replica's later platforms, as a server: list endpoints and APIs, attachments, challenge
gateways, encodings, and the report-identity traps the ground truth declares."""
from __future__ import annotations

import http.client
import io
import json
import re
import zipfile
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from lxml import html as lhtml

from replica import ReplicaServer, replica_web
from replica.attachments import CONTENT_TYPES, OLE_SIGNATURE
from extract.decode import decode_html
from extract.identity import classify_title
from spiders.challenges import challenge_kind
from spiders.platforms import platform_for

NEW = ("trs_fujian", "gkmlpt", "hanweb_xxgk", "anhui", "generic")
MAGIC = {"pdf": b"%PDF-", "docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04", "xls": OLE_SIGNATURE, "doc": OLE_SIGNATURE,
         "wps": OLE_SIGNATURE}


@pytest.fixture(scope="module")
def web():
    return replica_web()


def get(web, host, path, method="GET", form=(), headers=None):
    body = urlencode(form).encode() if form else b""
    status, hd, data = web.handle(method, host, path, body, headers or {})
    return status, {k.lower(): v for k, v in hd}, data


def host_of(web, aid):
    return web.site_of(aid).host


def agency_of(web, aid):
    return next(s.spec.agency for s in web.sites.values() if s.spec.agency.id == aid)


# ---------------------------------------------------------------------------------------------
# lists and APIs


def test_every_list_request_answers(web):
    bad = {(b.host, b.path) for b in web.truth.bad}
    blocked = {b.agency_id: int(b.kind) for b in web.truth.blocked}
    assert set(web.truth.list_pages) >= {"minhou-mzj", "nanhai-mzj", "zhaoqing-mzj", "yinan-mzj", "quanjiao-mzj",
                                         "kaili-mzj"} | set(blocked)
    for aid, requests in web.truth.list_pages.items():
        host = host_of(web, aid)
        for method, path, form in requests:
            status, headers, body = get(web, host, path, method, form)
            want = blocked.get(aid) or (404 if (host, path) in bad else 200)
            assert status == want, (aid, path, status)
            if status == 200 and "json" in headers["content-type"]:
                json.loads(body)


def test_fujian_search_api_contract(web):
    host = host_of(web, "minhou-mzj")
    form = (("channelid", "231105"), ("sortfield", "-docorderpri,-docreltime"), ("classsql", "chnlid=4127"),
            ("prepage", "10"), ("page", "1"))
    status, headers, body = get(web, f"{host}:9000", "/fjdzapp/search", "POST", form)
    data = json.loads(body)
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert (data["page"], data["pageCount"], data["total"], len(data["data"])) == (1, 3, 21, 10)
    row = data["data"][0]
    assert {"doctitle", "chnldocurl", "docpuburl", "docreltime", "docid"} <= set(row)
    assert row["chnldocurl"].startswith(f"http://{host}:9000/zfxxgk/zfxxgknb/xmzj/")  # absolute, as sent
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["docreltime"])
    assert get(web, host, "/fjdzapp/search", "POST", form[1:])[0] == 400  # no channel
    assert get(web, host, "/fjdzapp/search", "POST", (("channelid", "1"),))[0] == 500
    assert get(web, host, "/fjdzapp/search", "POST", form[:4] + (("page", "x"),))[0] == 400
    other = json.loads(get(web, host, "/fjdzapp/search", "POST", form[:2] + (("classsql", "chnlid=1"),))[2])
    assert other["data"] == [] and other["total"] == 0
    assert get(web, host, "/fjdzapp/search", "DELETE")[0] == 405


def test_gkmlpt_api_contract(web):
    host = host_of(web, "nanhai-mzj")
    base = "/fsnhmzj/gkmlpt/api/all/3094"
    status, headers, body = get(web, host, base + "?page=1&sid=757012")
    data = json.loads(body)
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert data["classify"] == {"id": 3094, "name": "政府信息公开年报", "parent": 0, "post_count": 13}
    art = data["articles"][0]
    assert {"id", "title", "date", "url", "post_url", "attachment", "identifier", "publisher"} <= set(art)
    assert isinstance(art["date"], int) and art["url"].endswith(f"/post_{art['id']}.html")
    assert f"/content/{art['id'] // 1000000}/{art['id'] // 1000}/post_" in art["url"]
    assert json.loads(get(web, host, base + "?page=9&sid=757012")[2])["articles"] == []
    assert get(web, host, base + "?page=1&sid=1")[0] == 404
    assert get(web, host, "/fsnhmzj/gkmlpt/api/all/x?page=1&sid=757012")[0] == 404
    other = json.loads(get(web, host, "/fsnhmzj/gkmlpt/api/all/3081?page=1&sid=757012")[2])
    assert other["classify"]["name"] == "机构职能" and other["articles"] == []
    zq = host_of(web, "zhaoqing-mzj")
    assert get(web, zq, "/zqmzj/gkmlpt/api/all/4406?page=1&sid=758001")[0] == 200
    assert [get(web, zq, f"/zqmzj/gkmlpt/api/all/4406?page={k}&sid=758001")[0] for k in (2, 3)] == [404, 404]


def test_xxgk_view_contract(web):
    host = host_of(web, "yinan-mzj")
    view = "/module/xxgk/xxgkAnnualReport.jsp"
    status, headers, body = get(web, host, view + "?fbtime=2012&area=113713210043521867")  # any parameter order
    assert status == 200 and "nb_title" in body.decode("gb18030")
    assert "该年度暂无年报信息" in get(web, host, view + "?area=113713210043521867&fbtime=2017")[2].decode("gb18030")
    assert "未找到该公开单位" in get(web, host, view + "?area=1&fbtime=2012")[2].decode("gb18030")
    assert "请选择年度" in get(web, host, view + "?area=113713210043521867")[2].decode("gb18030")
    assert get(web, host, view + "?area=113713210043521867&fbtime=abc")[0] == 500
    assert get(web, host, view, "POST", (("area", "1"),))[0] == 405


def test_dynamic_answers_revalidate(web):
    host = host_of(web, "nanhai-mzj")
    path = "/fsnhmzj/gkmlpt/api/all/3094?page=1&sid=757012"
    status, headers, _ = get(web, host, path)
    assert get(web, host, path, headers={"If-None-Match": headers["etag"]})[0] == 304
    yhost = host_of(web, "yinan-mzj")
    ypath = "/module/xxgk/xxgkAnnualReport.jsp?area=113713210043521867&fbtime=2013"
    _, h2, _ = get(web, yhost, ypath)
    assert get(web, yhost, ypath, headers={"If-Modified-Since": h2["last-modified"]})[0] == 304


# ---------------------------------------------------------------------------------------------
# attachments


def test_attachments_cover_every_format_and_role(web):
    atts = [a for _, a in web.truth.attachments()]
    assert {a.format for a in atts} == set(CONTENT_TYPES)
    assert {a.role for a in atts} == {"full_text", "tables", "appendix"}
    plat = {r.platform for r, _ in web.truth.attachments()}
    assert plat == set(NEW)
    shells = [r for r in web.truth.reports if r.text_source == "attachment"]
    assert {r.agency_id for r in shells} == {"minhou-mzj", "nanhai-mzj", "quanjiao-mzj"}
    for r in shells:
        assert [a.role for a in r.attachments] == ["full_text"]


def test_attachments_are_served_with_their_types_and_bytes(web):
    placeholders = {(p.host, p.path) for p in web.truth.placeholders}
    for r, a in web.truth.attachments():
        status, headers, body = get(web, a.host, a.path)
        assert status == 200, a
        assert body.startswith(MAGIC[a.format]), a
        if "?" in a.path:  # a download script: octet-stream and the file name in Content-Disposition
            assert headers["content-type"] == "application/octet-stream"
            assert re.search(rf"\.{a.format}$", headers["content-disposition"]), headers["content-disposition"]
        else:
            assert headers["content-type"] == CONTENT_TYPES[a.format]
            assert a.path.endswith("." + a.format)
        if a.format in ("docx", "xlsx"):
            assert "[Content_Types].xml" in zipfile.ZipFile(io.BytesIO(body)).namelist()
        assert ((a.host, a.path) in placeholders) == (a.format in ("doc", "wps"))
        if a.format in ("doc", "wps"):
            assert "placeholder" in body.decode("utf-16-le", "ignore")


def test_attachments_are_linked_as_their_platform_links_them(web):
    shapes = {"trs_fujian": r"/P0\d{8}\d{15}\.(pdf|docx?|wps|xlsx?)$", "gkmlpt": r"^/attachment/0/\d+/\d+/\d+\.\w+$",
              "hanweb_xxgk": r"^/module/download/downfile\.jsp\?classid=0&filename=\d+\.\w+&showname=",
              "anhui": r"^/group1/M00/", "generic": r"^/system/_content/download\.jsp\?urltype=news\.DownloadAttachUrl"}
    for r in web.truth.reports:
        if not r.attachments:
            continue
        page = decode_html(*(lambda s, h, b: (b, dict(h).get("Content-Type", "")))(*web.handle("GET", r.host, r.path))).text
        found = platform_for(r.platform).attachments(page, f"http://{r.host}{r.path}", {})
        assert sorted(urlsplit(l.url).path + (f"?{urlsplit(l.url).query}" if urlsplit(l.url).query else "")
                      for l in found) == sorted(a.path for a in r.attachments), r.path
        for a in r.attachments:
            assert re.search(shapes[r.platform], a.path), a.path
    gk = next(r for r in web.truth.reports if r.platform == "gkmlpt" and r.attachments)
    raw = web.handle("GET", gk.host, gk.path)[2].decode()
    assert 'class=\\"nfw-cms-attachment\\"' in raw and "\\u003Ca" in raw  # only inside the escaped DETAIL


def test_full_text_attachments_hold_the_report(web):
    import docx
    import pdfplumber

    def squash(s):
        return re.sub(r"\s+", "", s)

    for r in web.truth.reports:
        for a in r.attachments:
            if a.role != "full_text":
                continue
            body = get(web, a.host, a.path)[2]
            if a.format == "pdf":
                with pdfplumber.open(io.BytesIO(body)) as pdf:
                    text = "".join(p.extract_text() or "" for p in pdf.pages)
            else:
                text = "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs)
            flat = squash(text)
            assert squash(r.title) in flat, a.path
            for t in r.headings + r.paragraphs:
                assert squash(t) in flat, (a.path, t[:20])


def test_viewer_and_shell_pages(web):
    viewer = next(r for r in web.truth.reports if r.agency_id == "quanjiao-mzj" and r.text_source == "attachment")
    page = web.handle("GET", viewer.host, viewer.path)[2].decode()
    (src,) = lhtml.fromstring(page).xpath("//iframe/@src")
    assert parse_qs(urlsplit(src).query)["file"] == [viewer.attachments[0].path]
    assert get(web, viewer.host, urlsplit(src).path)[0] == 200  # the viewer page itself exists
    for r in web.truth.reports:
        if r.text_source == "attachment" and r.platform == "trs_fujian":
            page = web.handle("GET", r.host, r.path)[2].decode()
            assert "全文见附件" in page and not any(p in page for p in r.paragraphs if len(p) > 20)


# ---------------------------------------------------------------------------------------------
# challenges


@pytest.mark.parametrize("kind", ["412", "521"])
def test_challenge_sites_answer_every_path(web, kind):
    (b,) = [b for b in web.truth.blocked if b.kind == kind]
    assert not web.truth.reports_of(b.agency_id)
    for path in ("/", "/robots.txt", agency_path(web, b.agency_id), "/zwgk/x.html?a=1", "/favicon.ico"):
        for method in ("GET", "HEAD", "POST"):
            status, headers, body = get(web, b.host, path, method)
            assert status == int(kind), (path, method)
            assert "set-cookie" in headers
            if method != "HEAD":
                assert challenge_kind(status, body) == {"412": "ruishu-412", "521": "jiasule-521"}[kind]
    status, headers, body = get(web, b.host, "/robots.txt")
    if kind == "412":
        assert b"$_ts" in body and re.search(r"^\w+S=", headers["set-cookie"])
        script = re.search(rb'src="(/[^"]+\.js)"', body).group(1).decode()
        assert get(web, b.host, script)[0] == 200  # the bootstrap script a browser must run
    else:
        assert b"document.cookie=" in body and b"location.href=location.pathname+location.search" in body
        assert headers["set-cookie"].startswith("__jsluid_h=")
        status, _, second = get(web, b.host, "/", headers={"Cookie": "__jsluid_h=x; __jsl_clearance_s=1|0|y"})
        assert status == 521 and b"go({" in second


def agency_path(web, aid):
    u = urlsplit(agency_of(web, aid).start_url)
    return u.path


def test_challenge_over_real_http(web):
    with ReplicaServer(web) as srv:
        for b in web.truth.blocked:
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            conn.request("GET", "/robots.txt", headers={"Host": f"{b.host}:{srv.port}"})
            r = conn.getresponse()
            assert r.status == int(b.kind) and r.read()
            conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        form = urlencode({"channelid": "231105", "classsql": "chnlid=4127", "page": "2", "prepage": "10"})
        conn.request("POST", "/fjdzapp/search", body=form, headers={
            "Host": f"www.minhou.localhost:{srv.port}", "Content-Type": "application/x-www-form-urlencoded"})
        data = json.loads(conn.getresponse().read())
        assert data["data"][0]["chnldocurl"].startswith(f"http://www.minhou.localhost:{srv.port}/")
        conn.close()


# ---------------------------------------------------------------------------------------------
# encodings


def test_header_and_meta_disagree_on_the_xxgk_views(web):
    reps = [r for r in web.truth.reports_of("yinan-mzj") if "xxgkAnnualReport" in r.path]
    assert sorted(r.year for r in reps) == list(range(2010, 2015))
    for r in reps:
        status, headers, body = get(web, r.host, r.path)
        assert headers["content-type"] == "text/html;charset=UTF-8"
        assert b'charset=gb2312"' in body[:300] and r.encoding == "gb18030"
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        d = decode_html(body, headers["content-type"])
        assert d.encoding == "gb18030" and r.title in d.text
        assert "\u3000" in d.text or "&nbsp;" in d.text or "\xa0" in d.text


def test_undeclared_gbk_site(web):
    site = next(s for s in web.sites.values() if s.spec.agency.id == "kaili-mzj")
    for host, path, res in web.resources():
        if host != site.host or not res.ctype.startswith("text/html"):
            continue
        assert res.ctype == "text/html" and b"charset" not in res.body.lower()
        with pytest.raises(UnicodeDecodeError):
            res.body.decode("utf-8")
        res.body.decode("gb18030")
    word = [r for r in web.truth.reports_of("kaili-mzj") if r.year >= 2019]
    page = web.handle("GET", word[0].host, word[0].path)[2].decode("gb18030")
    assert "\u3000" in page or "&nbsp;" in page


# ---------------------------------------------------------------------------------------------
# report identity


def test_identity_traps_are_declared(web):
    t = web.truth
    # one report, two URLs, both listed
    (twin,) = [r for r in t.reports if r.also_at]
    assert twin.agency_id == "quanjiao-mzj" and twin.also_at[0].startswith("/openness/OpennessAnnualReport/show/")

    def body_text(path):
        doc = lhtml.fromstring(web.handle("GET", twin.host, path)[2].decode())
        return doc.xpath("//*[@id='zoom']")[0].text_content()

    assert body_text(twin.path) == body_text(twin.also_at[0])
    # a report page and its attachment are one report
    twins = [r for r in t.reports if r.text_source == "page" and any(a.role == "full_text" for a in r.attachments)]
    assert {r.agency_id for r in twins} >= {"minhou-mzj", "nanhai-mzj", "zhaoqing-mzj", "yinan-mzj", "kaili-mzj"}
    # 汇总 reports of a whole county/city, listed with the agency's own
    a = agency_of(web, "kaili-mzj")
    sums = [n for n in t.non_reports if n.agency_id == a.id and n.kind == "summary"]
    assert len(sums) == 2
    for n in sums:
        assert "年政府信息公开工作年度报告" in n.title
        assert classify_title(n.title, a.name, a.aliases).kind == "other_agency_report"
    # 全椒县's are on the county portal's module list: reports of the portal's registry entry, and
    # another agency's for the 民政局 whose site serves that list
    a = agency_of(web, "quanjiao-mzj")
    sums = t.reports_of("quanjiao-xzf")
    assert len(sums) == 2 and all(r.reachable for r in sums)
    assert all(classify_title(r.title, a.name, a.aliases).kind == "other_agency_report" for r in sums)
    # migrated reports re-stamped with a later URL date: the year is only in the title
    old = [r for r in t.reports_of("minhou-mzj") if r.year <= 2013]
    assert len(old) == 6 and {r.published for r in old} == {"2019-12-16"}
    assert all("/201912/t20191216_" in r.path and str(r.year) in r.title for r in old)
    assert all(any("re-stamped" in q for q in r.quirks) for r in old)
