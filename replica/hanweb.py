"""Hanweb 大汉 JCMS page templates: column pages that embed only their first records as XML inside
a ``<script type="text/xml">`` datastore, the ``dataproxy.jsp`` endpoint that serves the rest to a
POST, and article pages whose body sits between ``ZJEG_RSS.content`` markers in ``div#zoom``.

A crawler of real Hanweb sites must scrape ``unitid`` and ``columnid`` from the column page and POST
them back; these templates and ``dataproxy_xml`` reproduce exactly that contract.
"""
from __future__ import annotations

from html import escape

from .chrome import article_metas, date_label, footer, home_links, metas, site_metas
from .spec import Column, Entry, SiteSpec

PROXY = "/module/web/jpage/dataproxy.jsp"


def record(e: Entry, truncate: int | None = None) -> str:
    text = e.title if not truncate or len(e.title) <= truncate else e.title[:truncate] + "…"
    return (f"<li><a href='{e.path}' title='{escape(e.title)}' target='_blank'>{escape(text)}</a>"
            f"<span>{e.date:%Y-%m-%d}</span></li>")


def nextgroup(spec: SiteSpec, col: Column) -> str:
    i = spec.info
    return (f'<a href="{PROXY}?page=1&appid=1&webid={i.webid}&path=/&columnid={col.colid}&unitid={col.unitid}'
            f'&webname={i.webname}&permissiontype=0"></a>')


def _head(spec: SiteSpec, title: str, meta_pairs: list[tuple[str, str]]) -> str:
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8" />\n'
        '<meta http-equiv="X-UA-Compatible" content="IE=edge" />\n'
        f"<title>{escape(title)}</title>\n{metas(meta_pairs)}\n"
        '<link rel="stylesheet" href="/images/base.css" />\n'
        '<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>\n'
        '<script type="text/javascript" src="/module/jslib/jpage/jpage.js"></script>\n'
        "</head>\n"
    )


def _header(spec: SiteSpec, links: list[tuple[str, str]] | None = None) -> str:
    links = [(c.name, c.path) for c in spec.columns.values()] if links is None else links
    nav = "".join(f'<li><a href="{p}">{escape(n)}</a></li>' for n, p in links)
    return (
        f'<div class="top"><div class="logo"><a href="/"><img src="/images/logo.png" alt="{escape(spec.info.site_name)}" /></a></div>'
        '<div class="search"><form action="/jrobot/search.do" method="get" target="_blank">'
        f'<input type="hidden" name="webid" value="{spec.info.webid}" /><input type="text" name="q" />'
        '<input type="submit" value="搜索" /></form></div></div>\n'
        f'<div class="nav"><ul><li><a href="/">首页</a></li>{nav}</ul></div>\n'
    )


def _position(spec: SiteSpec, col: Column) -> str:
    trail = spec.crumbs if col.key == "own" else [("首页", "/")]
    links = " &gt; ".join(f'<a href="{p}">{escape(n)}</a>' for n, p in trail)
    return f'<div class="bt-position">您当前的位置：{links} &gt; <span>{escape(col.name)}</span></div>\n'


def column_page(spec: SiteSpec, col: Column, items: list[Entry]) -> str:
    i = spec.info
    first = items[: i.per_page]
    records = "".join(f"<record><![CDATA[{record(e, i.truncate)}]]></record>" for e in first)
    datastore = (f'<div id="{col.unitid}"><script type="text/xml"><datastore><nextgroup><![CDATA[{nextgroup(spec, col)}]]>'
                 f"</nextgroup><recordset>{records}</recordset></datastore></script></div>")
    jpage = (
        "<script type=\"text/javascript\">\n"
        f"$('#{col.unitid}').jpage({{\n"
        f"  dataStore: null, proxyUrl: '{PROXY}', perPage: {i.per_page}, totalRecord: {len(items)}, groupSize: 2,\n"
        f"  ajaxParam: {{ col: 1, appid: 1, webid: {i.webid}, path: '/', columnid: {col.colid}, sourceContentType: 1,\n"
        f"               unitid: '{col.unitid}', webname: '{i.webname}', permissiontype: 0 }},\n"
        "  dataBefore: '<ul class=\"list\">', dataAfter: '</ul>', pageTemplate: 'default'\n"
        "});\n</script>"
    )
    return (
        _head(spec, f"{col.name} {i.site_name}", site_metas(spec, col.name)) + "<body>\n" + _header(spec)
        + '<div class="main">\n' + _position(spec, col)
        + f'<div class="bt-column-title">{escape(col.name)}</div>\n'
        + '<div class="default_pgContainer">' + datastore + "</div>\n" + jpage + "\n</div>\n"
        + footer(spec) + "\n</body>\n</html>\n"
    )


def dataproxy_xml(items: list[Entry], start: int, end: int, per_page: int, truncate: int | None = None) -> str:
    """Records ``start``..``end`` (1-based, inclusive, clipped to the total) as Hanweb's datastore XML."""
    total = len(items)
    total_pages = max(1, -(-total // per_page))
    chosen = items[max(start, 1) - 1: min(end, total)]
    records = "".join(f"<record><![CDATA[{record(e, truncate)}]]></record>" for e in chosen)
    return (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{total}</totalrecord>'
            f"<totalpage>{total_pages}</totalpage><recordset>{records}</recordset></datastore>")


def article_page(spec: SiteSpec, e: Entry, body_html: str) -> str:
    col = spec.columns[e.column]
    i = spec.info
    pairs = article_metas(spec, e, col.name, "") + [
        ("Maketime", f"{e.date:%Y-%m-%d %H:%M:%S}"), ("i_columnid", str(col.colid)), ("i_articleid", str(e.docid))]
    return (
        _head(spec, f"{i.site_name} {col.name} {e.title}", pairs) + "<body>\n" + _header(spec)
        + '<div class="main">\n' + _position(spec, col)
        + '<div class="main-txt">\n'
        + f'<table class="bt-title" width="100%"><tr><td class="title"><!--<$[标题名称]>begin-->{escape(e.title)}'
        + "<!--<$[标题名称]>end--></td></tr></table>\n"
        + f'<div class="info">{date_label(spec)}<!--<$[发布日期]>begin-->{e.date:%Y-%m-%d %H:%M}<!--<$[发布日期]>end-->　'
        + f"来源：<!--<$[信息来源]>begin-->{escape(e.source)}<!--<$[信息来源]>end-->　访问次数："
        + f'<script language="javascript" src="/module/visitcount/articlehits.jsp?colid={col.colid}&artid={e.docid}"></script>　'
        + '分享：<a href="javascript:void(0)" class="wx">微信</a> <a href="javascript:void(0)" class="wb">微博</a></div>\n'
        + '<div class="font">【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
        + '<a href="javascript:doZoom(14)">小</a>】</div>\n'
        + '<div id="zoom"><!--<$[信息内容]>begin--><!--ZJEG_RSS.content.begin--><meta name="ContentStart">'
        + body_html
        + '<meta name="ContentEnd"><!--ZJEG_RSS.content.end--><!--<$[信息内容]>end--></div>\n'
        + '<div class="print"><a href="javascript:window.print()">打印本页</a>　<a href="javascript:window.close()">关闭窗口</a></div>\n'
        + "</div>\n</div>\n" + footer(spec) + "\n</body>\n</html>\n"
    )


def home_page(spec: SiteSpec) -> str:
    """Links the 政府信息公开 section (which links the 年报 column), not the column itself."""
    nav = home_links(spec)
    links = "".join(f'<li><a href="{p}">{escape(n)}</a></li>' for n, p in nav)
    return (_head(spec, spec.info.site_name, site_metas(spec, "首页")) + "<body>\n" + _header(spec, nav)
            + '<div class="main"><ul class="columns">' + links + "</ul></div>\n" + footer(spec) + "\n</body>\n</html>\n")


def stub_page(spec: SiteSpec, path: str, name: str) -> str:
    links = f'<li><a href="{spec.column.path}">{escape(spec.column.name)}</a></li>'
    return (_head(spec, f"{name} {spec.info.site_name}", site_metas(spec, name)) + "<body>\n" + _header(spec)
            + f'<div class="main"><h2>{escape(name)}</h2><ul>' + links + "</ul></div>\n" + footer(spec)
            + "\n</body>\n</html>\n")
