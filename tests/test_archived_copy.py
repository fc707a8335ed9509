"""The archived copy: a capture's bytes served back as they were fetched, and never run as the archive.

Captures are written by the project's own writer (``crawler.archive.Archive.store_capture`` with the
``CaptureItem`` the spider yields), then read through a real Datasette with ``publish/plugins``:
in-process for statuses, headers and bytes, and as a served process opened by headless Chromium to
show that a planted script does not run and that the archived page fetches nothing.
"""
from __future__ import annotations

import asyncio
import hashlib
import http.server
import io
import json
import re
import sqlite3
import threading
import urllib.request
from urllib.parse import unquote

import lxml.html
import pytest
from datasette.app import Datasette

import publish.plugins.archived as plugin
from crawler.archive import Archive
from crawler.blobs import BlobStore
from crawler.items import CaptureItem
from crawler.registry import Agency
from publish import PLUGINS
from publish.blobpath import blob_path, default_root
from tests.conftest import dump_dom, free_port, start_server, stop_process

HOST = "http://mzj.example.localhost"
TITLE = "某市民政局2023年政府信息公开工作年度报告"
LEAD = "本机关全年主动公开政府信息120条，收到政府信息公开申请5件。"
GBK_TEXT = "县财政局2022年政府信息公开工作年度报告（GBK编码）"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% \xe5\xb9\xb4\xe6\x8a\xa5 \x00\x01\x02\xff\n%%EOF\n"
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4


def png() -> bytes:
    """A table published as a picture (some reports are)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 0, 0)).save(out, "PNG")
    return out.getvalue()


def planted_html(beacon_port: int) -> bytes:
    """A report page with everything an archived page must not do: a script that marks the page
    when it runs, and an external script, stylesheet and image that would reach the network."""
    beacon = f"http://127.0.0.1:{beacon_port}"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{TITLE}</title>
<link rel="stylesheet" href="{beacon}/style.css">
<style>p.lead {{ color: #333 }}</style>
<script src="{beacon}/external.js"></script>
</head><body>
<h1>{TITLE}</h1>
<p class="lead">{LEAD}</p>
<img src="{beacon}/pixel.gif" alt="">
<script>document.title = 'RAN'; document.body.setAttribute('data-ran', '1');
new Image().src = '{beacon}/script-ran';</script>
</body></html>""".encode("utf-8")


def gbk_html() -> bytes:
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
            f"<title>{GBK_TEXT}</title></head><body><p>{GBK_TEXT}</p></body></html>").encode("gbk")


def new_archive(db, blobs=None) -> Archive:
    archive = Archive(db, blobs)
    archive.upsert_agencies([Agency(id="mzj", name="某市民政局", province="某省", level="city",
                                    platform="trs", start_url=f"{HOST}/")])
    return archive


def capture(archive, run, url, body=b"", ctype=None, **kw) -> int:
    item = CaptureItem(agency_id="mzj", kind=kw.pop("kind", "report"), url=url, final_url=url,
                       status=kw.pop("status", 200), body=body,
                       headers={"Content-Type": [ctype]} if ctype else {}, **kw)
    return archive.store_capture(item, run)[0]


class Beacon(http.server.BaseHTTPRequestHandler):
    """Counts every request an archived page manages to make."""
    hits: list[str] = []

    def do_GET(self):
        Beacon.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"/* beacon */")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def beacon():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Beacon)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def built(tmp_path_factory, beacon):
    """One archive with the captures every test reads (ids by name)."""
    work = tmp_path_factory.mktemp("archived")
    archive = new_archive(work / "archive.db")
    run = archive.start_run("test", ["mzj"])
    ids = {
        "html": capture(archive, run, f"{HOST}/art/2024/1/20/art_1_1.html", planted_html(beacon.server_port),
                        "text/html; charset=utf-8", fetched_at="2024-01-20T08:00:00Z"),
        # the same page, gone from the site the next night
        "gone": capture(archive, run, f"{HOST}/art/2024/1/20/art_1_1.html", status=None,
                        error="HTTP 404", fetched_at="2024-01-21T08:00:00Z"),
        "pdf": capture(archive, run, f"{HOST}/files/2023%E5%B9%B4%E6%8A%A5.pdf", PDF, "application/pdf",
                       kind="attachment"),
        "gbk": capture(archive, run, f"{HOST}/gbk/report.html", gbk_html(), "text/html; charset=GBK"),
        "doc": capture(archive, run, f"{HOST}/files/%E9%99%84%E4%BB%B61.doc", DOC, "application/msword",
                       kind="attachment"),
        "png": capture(archive, run, f"{HOST}/images/table1.png", png(), "image/png", kind="attachment"),
        "untyped": capture(archive, run, f"{HOST}/download.jsp?id=7", b"some bytes", None,
                           kind="attachment"),
        "timeout": capture(archive, run, f"{HOST}/slow.html", status=None,
                           error="timeout: Getting http://mzj.example.localhost/slow.html took longer than 30 seconds."),
        "unmodified": capture(archive, run, f"{HOST}/unmodified.html", status=304, error="HTTP 304"),
        "empty": capture(archive, run, f"{HOST}/empty.html", b"", "text/html"),
        "lost": capture(archive, run, f"{HOST}/lost.html", b"<p>bytes that were lost</p>", "text/html"),
    }
    archive.blobs.path(archive.db["captures"].get(ids["lost"])["sha256"]).unlink()
    archive.save_report({"agency_id": "mzj", "agency": "某市民政局", "year": 2023, "title": TITLE,
                         "url": f"{HOST}/art/2024/1/20/art_1_1.html", "text": LEAD,
                         "capture_id": ids["html"], "sha256": hashlib.sha256(b"x").hexdigest(),
                         "fetched_at": "2024-01-20T08:00:00Z"})
    archive.close()
    return {"db": work / "archive.db", "dir": work, "ids": ids}


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def datasette(db, **kw) -> Datasette:
    return Datasette([str(db)], plugins_dir=str(PLUGINS), **kw)


@pytest.fixture(scope="module")
def ds(built):
    return datasette(built["db"])


def assert_safe(r):
    csp = [d.strip() for d in r.headers["content-security-policy"].split(";")]
    assert "sandbox" in csp, "a bare sandbox: no allow-scripts, no allow-same-origin"
    assert not any("allow-" in d for d in csp)
    assert "default-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


# ---------------------------------------------------------------------- the blob layout

def test_blob_path_agrees_with_the_crawlers_blob_store(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    data = "政府信息公开工作年度报告".encode("utf-8")
    sha = store.put(data)
    assert blob_path(store.root, sha) == store.path(sha)
    assert blob_path(store.root, sha).read_bytes() == data
    archive = Archive(tmp_path / "x.db")
    assert default_root(archive.path) == archive.blobs.root
    archive.close()
    for bad in ("../" * 20 + "etc/passwd", sha.upper(), sha[:63], sha + "0", "", None):
        with pytest.raises(ValueError):
            blob_path(store.root, bad)


# ---------------------------------------------------------------------- serving bytes

def test_archived_html_comes_back_byte_for_byte_and_sandboxed(ds, built, beacon):
    r = get(ds, f"/-/capture/{built['ids']['html']}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.content == planted_html(beacon.server_port)
    assert r.headers["content-length"] == str(len(r.content))
    assert r.headers["content-disposition"].startswith("inline;")
    assert_safe(r)


def test_pdf_gbk_and_attachment_types(ds, built):
    ids = built["ids"]
    pdf = get(ds, f"/-/capture/{ids['pdf']}")
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    # sandboxed like everything else; Chrome and Safari would show a sandboxed PDF as "blocked"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", pdf.headers["content-disposition"]).group(1)) == "2023年报.pdf"
    assert_safe(pdf)

    gbk = get(ds, f"/-/capture/{ids['gbk']}")
    assert gbk.status_code == 200 and gbk.content == gbk_html()
    assert gbk.headers["content-type"] == "text/html; charset=GBK", "the site's own label, unchanged"
    assert_safe(gbk)

    doc = get(ds, f"/-/capture/{ids['doc']}")
    assert doc.status_code == 200 and doc.content == DOC
    assert doc.headers["content-type"] == "application/msword"
    disposition = doc.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    star = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(star) == "附件1.doc"
    assert re.search(r'filename="([\x20-\x7e]+)"', disposition).group(1).endswith(".doc")
    assert_safe(doc)

    image = get(ds, f"/-/capture/{ids['png']}")
    assert image.status_code == 200 and image.content == png()
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline;")
    assert_safe(image)

    untyped = get(ds, f"/-/capture/{ids['untyped']}")
    assert untyped.status_code == 200 and untyped.content == b"some bytes"
    assert untyped.headers["content-type"] == "application/octet-stream"
    assert untyped.headers["content-disposition"].startswith("attachment;")
    assert "download.jsp" in untyped.headers["content-disposition"]

    empty = get(ds, f"/-/capture/{ids['empty']}")
    assert empty.status_code == 200 and empty.content == b""
    assert_safe(empty)


def test_failed_unmodified_lost_and_unknown_captures_say_why_in_chinese(ds, built):
    ids = built["ids"]
    gone = get(ds, f"/-/capture/{ids['gone']}")
    assert gone.status_code == 404 and "抓取失败" in gone.text and "HTTP 404" in gone.text
    assert f'href="/-/capture/{ids["html"]}"' in gone.text, "points to the copy kept before it vanished"
    assert_safe(gone)

    timeout = get(ds, f"/-/capture/{ids['timeout']}")
    assert timeout.status_code == 404 and "抓取失败" in timeout.text and "timeout" in timeout.text

    unmodified = get(ds, f"/-/capture/{ids['unmodified']}")
    assert unmodified.status_code == 404 and "304" in unmodified.text

    lost = get(ds, f"/-/capture/{ids['lost']}")
    assert lost.status_code == 410 and "不在本服务器上" in lost.text

    unknown = get(ds, "/-/capture/987654")
    assert unknown.status_code == 404 and "没有编号为 987654 的抓取记录" in unknown.text
    assert unknown.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("raw", ["abc", "-1", "1.0", "1%20", "%2E%2E", "..%2F..%2Fetc%2Fpasswd",
                                 "9" * 19, "%EF%BC%91"])
def test_ids_are_digits_only(ds, raw):
    r = get(ds, f"/-/capture/{raw}")
    assert r.status_code == 404 and "存档编号只能由数字组成" in r.text


def test_info_answers_what_a_citation_needs(ds, built):
    cid = built["ids"]["pdf"]
    r = get(ds, f"/-/capture/{cid}/info")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    info = r.json()
    assert info["url"] == f"{HOST}/files/2023%E5%B9%B4%E6%8A%A5.pdf"
    assert info["content_type"] == "application/pdf" and info["size"] == len(PDF)
    assert info["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert info["first_fetched_at"] and info["last_fetched_at"]
    assert info["archived_copy"].endswith(f"/-/capture/{cid}") and info["bytes_on_server"] is True
    assert get(ds, f"/-/capture/{built['ids']['lost']}/info").json()["bytes_on_server"] is False
    missing = get(ds, "/-/capture/987654/info")
    assert missing.status_code == 404 and "987654" in missing.json()["error"]


# ---------------------------------------------------------------------- where the bytes are

def test_any_database_name_and_configured_blob_folder(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    archive = new_archive(tmp_path / "other.db", blobs=elsewhere)
    cid = capture(archive, archive.start_run("test", ["mzj"]), f"{HOST}/a.html", "<p>年报</p>".encode(), "text/html")
    archive.close()
    plain = datasette(tmp_path / "other.db")
    assert "other" in plain.databases
    assert get(plain, f"/-/capture/{cid}").status_code == 410, "not beside the database"
    configured = datasette(tmp_path / "other.db",
                           metadata={"plugins": {"nianbao-archive": {"blobs": str(elsewhere)}}})
    r = get(configured, f"/-/capture/{cid}")
    assert r.status_code == 200 and r.content == "<p>年报</p>".encode()


def test_a_blob_over_the_limit_is_refused_not_read(built):
    assert plugin.MAX_BYTES >= 100 * 1024 * 1024
    small = datasette(built["db"], metadata={"plugins": {"nianbao-archive": {"max_bytes": 10}}})
    r = get(small, f"/-/capture/{built['ids']['pdf']}")
    assert r.status_code == 413 and "过大" in r.text
    assert get(small, f"/-/capture/{built['ids']['untyped']}").status_code == 200  # 10 bytes: at the limit


def test_damaged_bytes_and_rows_are_refused(tmp_path):
    archive = new_archive(tmp_path / "archive.db")
    run = archive.start_run("test", ["mzj"])
    damaged = capture(archive, run, f"{HOST}/d.html", b"<p>original</p>", "text/html")
    tampered = capture(archive, run, f"{HOST}/t.html", b"<p>tampered</p>", "text/html")
    archive.blobs.path(archive.db["captures"].get(damaged)["sha256"]).write_bytes(b"<p>changed!</p>")
    archive.close()
    ds = datasette(tmp_path / "archive.db")
    r = get(ds, f"/-/capture/{damaged}")
    assert r.status_code == 500 and "损坏" in r.text and b"changed!" not in r.content

    (tmp_path / "secret").write_text("secret")
    conn = sqlite3.connect(tmp_path / "archive.db")
    for bad in ("../../../secret", "0" * 62 + "/..", "A" * 64):
        with conn:
            conn.execute("update captures set sha256 = ? where id = ?", [bad, tampered])
        r = get(ds, f"/-/capture/{tampered}")
        assert r.status_code == 500 and "SHA-256" in r.text and b"secret" not in r.content
    conn.close()


# ---------------------------------------------------------------------- links from the tables

def test_tables_link_to_the_archived_copy(ds, built):
    ids = built["ids"]
    captures = get(ds, "/archive/captures")
    assert captures.status_code == 200
    page = lxml.html.fromstring(captures.text)
    links = {a.get("href") for a in page.xpath('//a[@class="nianbao-capture"]')}
    assert f"/-/capture/{ids['html']}" in links and f"/-/capture/{ids['pdf']}" in links
    assert f"/-/capture/{ids['timeout']}" not in links, "no copy to link for a failed fetch"
    assert all(a.text == "存档副本" for a in page.xpath('//a[@class="nianbao-capture"]'))

    reports = lxml.html.fromstring(get(ds, "/archive/reports").text)
    cell = reports.xpath('//td[contains(@class,"col-capture_id")]')[0]
    assert cell.text_content().split()[0] == str(ids["html"])
    assert cell.xpath('.//a[@class="nianbao-capture"]/@href') == [f"/-/capture/{ids['html']}"]

    row = lxml.html.fromstring(get(ds, f"/archive/captures/{ids['pdf']}").text)
    assert f"/-/capture/{ids['pdf']}" in row.xpath('//td[contains(@class,"col-id")]//a/@href')

    other = lxml.html.fromstring(get(ds, "/archive/agencies").text)
    assert not other.xpath('//a[@class="nianbao-capture"]'), "other cells untouched"


def test_links_respect_base_url(built):
    ds = datasette(built["db"], settings={"base_url": "/nianbao/"})
    page = lxml.html.fromstring(get(ds, "/archive/reports").text)
    assert page.xpath('//a[@class="nianbao-capture"]/@href') == [f"/nianbao/-/capture/{built['ids']['html']}"]
    assert get(ds, f"/-/capture/{built['ids']['html']}").status_code == 200


# ---------------------------------------------------------------------- in a real browser

@pytest.fixture(scope="module")
def served(built, tmp_path_factory):
    """A real Datasette on the command line `nianbao serve` uses."""
    from crawler.cli import datasette_command

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with datasette_command(str(built["db"]), "127.0.0.1", port) as args:
        proc = start_server(args, base + "/-/versions.json", tmp_path_factory.mktemp("served") / "datasette.log")
        try:
            yield base
        finally:
            stop_process(proc)


@pytest.mark.browser
def test_planted_script_does_not_run_but_the_text_is_shown(chromium, served, built, beacon, tmp_path):
    # The probe works: the same bytes opened as a plain file run the script and reach the network.
    control = tmp_path / "control.html"
    control.write_bytes(planted_html(beacon.server_port))
    Beacon.hits.clear()
    dom = dump_dom(chromium, control.as_uri(), tmp_path)
    assert dom.xpath("//body/@data-ran") == ["1"] and dom.findtext(".//title") == "RAN"
    assert "/script-ran" in Beacon.hits

    Beacon.hits.clear()
    url = f"{served}/-/capture/{built['ids']['html']}"
    head = urllib.request.urlopen(url, timeout=10).headers
    assert "sandbox" in head["Content-Security-Policy"]
    dom = dump_dom(chromium, url, tmp_path)
    assert dom.xpath("//body/@data-ran") == [], "the archived script ran"
    assert dom.findtext(".//title") == TITLE
    assert dom.findtext(".//h1") == TITLE and dom.findtext('.//p[@class="lead"]') == LEAD
    assert Beacon.hits == [], f"the archived page fetched {Beacon.hits}"


@pytest.mark.browser
def test_gbk_page_reads_as_chinese_in_the_browser(chromium, served, built, tmp_path):
    dom = dump_dom(chromium, f"{served}/-/capture/{built['ids']['gbk']}", tmp_path)
    assert dom.findtext(".//p") == GBK_TEXT


def test_info_is_json_for_people_citing_it(served, built):
    with urllib.request.urlopen(f"{served}/-/capture/{built['ids']['html']}/info", timeout=10) as r:
        info = json.loads(r.read().decode("utf-8"))
    assert info["archived_copy"] == f"{served}/-/capture/{built['ids']['html']}"
    assert info["url"] == f"{HOST}/art/2024/1/20/art_1_1.html"
