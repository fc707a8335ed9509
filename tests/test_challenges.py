"""Challenge pages are recognised from their real signatures, and ordinary errors are not."""
import pytest

from spiders.challenges import challenge_kind
from spiders.platforms.base import attachment_format, attachment_links


@pytest.mark.parametrize("status,body,kind", [
    (412, b'<html><head><script>var $_ts=window["$_ts"];if(!$_ts)$_ts={};$_ts.nsd=12;</script>'
          b'<script src="/abc/def.js"></script></head></html>', "ruishu-412"),
    (521, b"<script>document.cookie=('_')+('_jsl_clearance_s')+('=')+'1700000000.1|0|x';"
          b"location.href=location.pathname+location.search</script>", "jiasule-521"),
    (404, b"<html><body>Not Found</body></html>", None),
    (500, b"$_ts", None),
    (200, b"<html><body><p>2021\xe5\xb9\xb4</p></body></html>", None),
])
def test_challenge_kind(status, body, kind):
    assert challenge_kind(status, body) == kind


def test_attachment_links_recognise_every_real_shape():
    html = """
    <a href="./P020240125512345678901.pdf">附件：2023年报.pdf</a>
    <a href="/module/download/downfile.jsp?classid=0&filename=2a3b.doc&showname=x">下载</a>
    <a class="nfw-cms-attachment" href="/attachment/0/12/12345/1001.pdf" alt="年度报告.pdf">年度报告</a>
    <a href="/files/report.XLSX?v=2">统计表</a>
    <a href="/news/1.html">不是附件</a>
    <iframe src="/pdfjs/web/viewer.html?file=/upload/2024/r.pdf"></iframe>
    """
    links = attachment_links(html, "http://a.localhost/col/202401/t20240125_1.html")
    urls = [l.url for l in links]
    assert urls == [
        "http://a.localhost/col/202401/P020240125512345678901.pdf",
        "http://a.localhost/module/download/downfile.jsp?classid=0&filename=2a3b.doc&showname=x",
        "http://a.localhost/attachment/0/12/12345/1001.pdf",
        "http://a.localhost/files/report.XLSX?v=2",
        "http://a.localhost/upload/2024/r.pdf",
    ]
    assert [attachment_format(l.url, l.title) for l in links] == ["pdf", "doc", "pdf", "xlsx", "pdf"]
