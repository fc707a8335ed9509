"""What the crawl's overhead cuts (issue 14) must not change: checks they skip, made once here, and
the cheap looks that decide whether a page is parsed, against the parse itself."""
from __future__ import annotations

import itertools
import socket

import yaml
from scrapy.utils.misc import is_generator_with_return_value

from crawler.middlewares import may_refresh
from spiders.page_looks import PICTURE_RE, tables_print
from spiders.platforms.base import attachment_links, may_link_documents, parsed_attachment_links
from spiders.reports import ReportsSpider
from tests.conftest import query, run_cli


def test_no_callback_returns_a_value_from_a_generator():
    """crawler/settings.py turns off Scrapy's per-response check (WARN_ON_GENERATOR_RETURN_VALUE):
    the same check, on every callback of the spider, once."""
    callbacks = [getattr(ReportsSpider, n) for n in dir(ReportsSpider)
                 if n.startswith(("parse", "failed", "discovery_", "follow_"))]
    assert len(callbacks) >= 6
    assert [c.__name__ for c in callbacks if is_generator_with_return_value(c)] == []


# Pieces of markup an attachment link can be spelled with: extensions cut by tags or comments,
# entities, %-escapes, frames, upper case; and the near misses that hold no document.
PIECES = ['<a href="/f/1.pdf">附件</a>', '<a href="x">报告.<b>pdf</b></a>', '<a href="x">a.<!-- c > -->D<i>oc</i></a>',
          '<a href="x">报告&#46;pdf</a>', '<a href="/a%2Epdf">x</a>', '<a href="x" title="a&#x2e;p&#100;f">y</a>',
          '<a href="x">a.PDF</a>', '<a href="q?filename=r.wps">下载</a>', '<a href="x" alt="年报.ofd">y</a>',
          '<iframe src="/v.html?file=%252Fr.pdf"></iframe>', '<embed src="/r.xlsx">', '<a href="x">nothing</a>',
          '<p>1.</p><span>pdf</span>', '<a href="/news/1.html">新闻</a>', "<p>第3.</p>", '<a href="y">pd&#102;</a>',
          '<a href="x">.</a><a>pdf</a>', '<a href="/r.et?x=1">表</a>', '<a href="z">r.et</a>']


def test_the_attachment_look_never_hides_an_attachment():
    """may_link_documents skips the parse only for pages whose parse finds nothing."""
    base = "http://a.localhost/col/t1.html"
    skipped = 0
    for n in (1, 2):
        for combo in itertools.permutations(PIECES, n):
            html = "<html><body>" + "".join(combo) + "</body></html>"
            found = parsed_attachment_links(html, base)
            if found:
                assert may_link_documents(html, base), html
            skipped += not may_link_documents(html, base)
            assert attachment_links(html, base) == found
    assert skipped > 0  # the look does skip pages
    # a relative link inherits the page's own path
    assert attachment_links('<a href="?v=2">下载</a>', "http://a.localhost/r.pdf")


def test_the_table_looks_match_the_markup():
    labels = ("规范性文件", "本年新收")
    assert tables_print("<TABLE><tr><td>规范性文件</td><td>本年新收</td></tr></Table>", labels)
    assert tables_print("<table><td>规范性文件</td></table><p>x</p><table><td>本年新收", labels)
    assert not tables_print("<p>规范性文件</p><table><td>本年新收</td></table>", labels)
    assert not tables_print("<p>规范性文件 本年新收</p>", labels)
    assert PICTURE_RE.search('<IMG class="x" SRC="/t1.png">')
    assert not PICTURE_RE.search('<img src="data:image/png;base64,AAAA">')


def test_the_refresh_look_never_hides_a_meta_refresh():
    """RecordedMetaRefreshMiddleware skips Scrapy's look (which decodes the whole page) only where
    Scrapy's own get_meta_refresh, on a real HtmlResponse, finds nothing."""
    from scrapy.http import HtmlResponse
    from scrapy.utils.response import get_meta_refresh

    refresh = '<meta http-equiv="{}" content="0; url=/next.html">'
    pages = [(refresh.format(word), enc) for word in ("refresh", "REFRESH", "Refresh")
             for enc in ("utf-8", "gbk", "utf-16", "utf-32")]
    pages += [("<p>政府信息公开&#160;</p>" * 50, enc) for enc in ("utf-8", "gbk", "utf-16")]
    skipped, found_any = 0, 0
    for html, enc in pages:
        body = f"<html><head><meta charset='{enc}'>{html}</head><body>年度报告</body></html>".encode(enc)
        found = get_meta_refresh(HtmlResponse("http://a.localhost/p.html", body=body, encoding=enc))[1]
        if found:
            found_any += 1
            assert may_refresh(body), (html, enc)
        skipped += not may_refresh(body)
    assert found_any == 12 and skipped == 2  # skipped: the utf-8 and gbk pages without one


def test_an_unreachable_robots_txt_is_one_line_and_the_page_is_still_tried(tmp_path):
    """A host that refuses connections: Scrapy's robots.txt middleware logged a traceback; now one
    line, and (as before) the page itself is still requested, its failure recorded."""
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reg = tmp_path / "reg.yml"
    reg.write_text(yaml.safe_dump({"registry": "robots", "agencies": [
        {"id": "gone-mzj", "name": "某市民政局", "province": "测试省", "city": None, "level": "city",
         "platform": "generic", "start_url": f"http://gone.localhost:{port}/list.html"}]}, allow_unicode=True),
        encoding="utf-8")
    db = tmp_path / "archive.db"
    proc = run_cli("crawl", "--registry", str(reg), "--db", str(db), "--log-level", "INFO",
                   "-s", f"NIANBAO_ALLOW_LOOPBACK={port}", "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_DELAY=0",
                   "-s", "AUTOTHROTTLE_ENABLED=False", check=False, timeout=120)
    log = proc.stderr
    assert "Traceback" not in log, log[-4000:]
    robots = [line for line in log.splitlines() if "robots.txt of" in line]
    assert len(robots) == 1, log[-4000:]
    assert f"gone.localhost:{port}" in robots[0] and "ConnectionRefused" in robots[0], robots
    (cap,) = query(db, "select * from captures")
    assert cap["url"].endswith("/list.html") and cap["ok"] == 0 and cap["error"], cap


def test_a_link_listed_earlier_tonight_counts_as_listed(tmp_path):
    """A portal and its department list the same report. Whichever list the night reads second sees
    the link last listed by the run in progress: that is a link listed tonight (its lists read), not
    one a killed run left behind, so pagination stops there as for any known link. A link last
    listed by a run that died is still not trusted."""
    from crawler.archive import Archive
    from crawler.items import LinkItem
    from crawler.registry import Agency
    from crawler.revalidate import KnownLinks

    db = tmp_path / "archive.db"
    archive = Archive(db, tmp_path / "blobs")
    archive.upsert_agencies([Agency("mzj", "某县民政局", "测试省", "county", "generic", "http://a.localhost/l.html")])
    url = "http://a.localhost/r1.html"

    def night(status):
        run = archive.start_run("test", ["mzj"])
        archive.observe_link(LinkItem("mzj", url, "某县民政局2023年政府信息公开工作年度报告", "2024-01-20",
                                      "http://a.localhost/l.html"), run)
        if status:
            archive.conn.execute("update crawl_runs set status = ? where id = ?", [status, run])
        return KnownLinks(db).of("mzj")[url].listed_ok

    assert night("finished")
    assert night(None)  # seen by the run still going: tonight
    assert not night("killed")
    archive.close()
