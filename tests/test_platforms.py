"""List-page shapes: TRS pager scripts, Hanweb datastore and dataproxy paging."""
from urllib.parse import parse_qs, urlparse

from spiders.platforms import platform_for
from spiders.platforms.trs import page_count


def test_trs_create_page_html_schedules_every_page():
    html = ('<ul><li><a href="./202201/t20220120_1.html" title="2021年政府信息公开工作年度报告">2021年…</a>'
            '<span>2022-01-20</span></li></ul><script>createPageHTML(4, 0, "index", "shtml");</script>')
    trs = platform_for("trs")
    pages = trs.next_pages(html, "http://a.localhost/col/index.shtml", {})
    assert [p.url for p in pages] == [f"http://a.localhost/col/index_{k}.shtml" for k in (1, 2, 3)]
    links = trs.links(html, "http://a.localhost/col/index.shtml", {})
    assert links[0].url == "http://a.localhost/col/202201/t20220120_1.html"
    assert links[0].title == "2021年政府信息公开工作年度报告" and links[0].date == "2022-01-20"


def test_trs_later_pages_schedule_nothing_and_count_page_dialect():
    assert platform_for("trs").next_pages('createPageHTML(4, 2, "index", "html")', "http://a/x/index_2.html", {}) == []
    html = "<script>var currentPage = 0;//所在页从0开始\nvar countPage = 3//共多少页\n</script>"
    assert page_count(html) == (3, 0, None, None)
    pages = platform_for("trs").next_pages(html, "http://a/x/index.htm", {})
    assert [p.url for p in pages] == ["http://a/x/index_1.htm", "http://a/x/index_2.htm"]


def test_trs_without_pager_is_a_single_page():
    assert platform_for("trs").next_pages("<p>no pager</p>", "http://a/x/index.html", {}) == []


HANWEB = """<div id="4411"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=12&path=/&columnid=73643&unitid=4411&webname=%E6%BB%A8%E6%B9%96&permissiontype=0"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href='/art/2022/1/20/art_73643_1.html' title='2021年政府信息公开工作年度报告'>2021年…</a><span>2022-01-20</span></li>]]></record>
<record><![CDATA[<li><a href='/art/2021/3/2/art_73643_2.html' title='区民政局开展走访'>区民政局开展走访</a><span>2021-03-02</span></li>]]></record>
</recordset></datastore></script></div>
<script>$('#4411').jpage({dataStore: 'x', totalRecord: 20, perPage: 2, proxyUrl: '/module/web/jpage/dataproxy.jsp'});</script>"""


def test_hanweb_datastore_records_and_proxy_groups():
    hw = platform_for("hanweb")
    links = hw.links(HANWEB, "http://h.localhost/col/col73643/index.html", {})
    assert [l.url for l in links] == ["http://h.localhost/art/2022/1/20/art_73643_1.html",
                                      "http://h.localhost/art/2021/3/2/art_73643_2.html"]
    assert links[0].date == "2022-01-20"
    pages = hw.next_pages(HANWEB, "http://h.localhost/col/col73643/index.html", {})
    ranges = []
    for p in pages:
        q = parse_qs(urlparse(p.url).query)
        ranges.append((int(q["startrecord"][0]), int(q["endrecord"][0])))
        form = dict(p.formdata)
        assert p.method == "POST" and form["columnid"] == "73643" and form["unitid"] == "4411"
        assert form["webid"] == "12" and form["webname"] == "滨湖"
    covered = [i for a, b in ranges for i in range(a, b + 1)]
    assert covered == list(range(3, 21)), "records 3..20, each exactly once"
    assert hw.next_pages(HANWEB, "http://h/x", {"hanweb_proxy": True}) == []


def test_hanweb_proxy_reply_records_are_links():
    reply = ("<?xml version='1.0' encoding='UTF-8'?><datastore><totalrecord>20</totalrecord><recordset>"
             "<record><![CDATA[<li><a href='/art/2020/2/1/art_73643_9.html' title='2019年年度报告'>x</a></li>]]></record>"
             "</recordset></datastore>")
    links = platform_for("hanweb").links(reply, "http://h.localhost/module/web/jpage/dataproxy.jsp?startrecord=3", {})
    assert [l.title for l in links] == ["2019年年度报告"]
