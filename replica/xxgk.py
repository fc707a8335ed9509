"""Hanweb 信息公开目录 (xxgk module): the annual-report view
``/module/xxgk/xxgkAnnualReport.jsp?area={org code}&fbtime={year}``, one page per year.

A year's view prints that year's report inline (older years), or lists links to report articles
(``/art/…`` pages of the portal, with ``/module/download/downfile.jsp?…filename=….doc`` attachments),
or says there is nothing. Without ``fbtime`` it shows only the year tabs. The JSP answers in GBK with
an HTTP header that says UTF-8 while the ``<meta>`` says gb2312: the header is wrong, the meta right.
Articles are ordinary Hanweb pages (``hanweb.article_page``), in UTF-8.
"""
from __future__ import annotations

from html import escape

from .chrome import footer
from .spec import Entry, SiteSpec

HEADER_CTYPE = "text/html;charset=UTF-8"  # what the JSP container sends (wrong)
META_CHARSET = "gb2312"  # what the page says (right: the bytes are GBK)


def attachments_html(e: Entry) -> str:
    if not e.attachments:
        return ""
    links = "<br/>".join(f'<a href="{escape(a.href)}" target="_blank">{escape(a.link_text or a.name)}</a>'
                         for a in e.attachments)
    return f'<p class="attach">附件：{links}</p>'


def _years_nav(spec: SiteSpec, current: int | None) -> str:
    area = spec.extra["area"]
    links = []
    for y in range(spec.extra["last_year"], spec.extra["first_year"] - 1, -1):
        cls = ' class="on"' if y == current else ""
        links.append(f'<a href="xxgkAnnualReport.jsp?area={area}&amp;fbtime={y}"{cls}>{y}年</a>')
    return '<div class="nb_year">年度：' + " ".join(links) + "</div>\n"


def view_page(spec: SiteSpec, year: int | None, inline: Entry | None, body_html: str, linked: list[Entry],
              known_area: bool = True) -> str:
    i = spec.info
    head = ('<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<html>\n<head>\n'
            f'<meta http-equiv="Content-Type" content="text/html; charset={META_CHARSET}">\n'
            f"<title>{escape(i.site_name)}-政府信息公开年报</title>\n"
            '<link href="/module/xxgk/css/xxgk.css" rel="stylesheet" type="text/css">\n'
            '<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>\n</head>\n<body>\n')
    top = (f'<div class="xxgk_top"><a href="/">{escape(i.site_name)}</a> 政府信息公开目录</div>\n'
           '<div class="xxgk_nav">您当前的位置：<a href="/">首页</a> &gt; <a href="/module/xxgk/index.jsp">政府信息公开</a>'
           " &gt; <span>政府信息公开年报</span></div>\n")
    if not known_area:
        content = '<div class="nb_empty">未找到该公开单位</div>\n'
        nav = ""
    else:
        nav = f'<div class="nb_unit">公开单位：{escape(spec.agency.name)}</div>\n' + _years_nav(spec, year)
        if year is None:
            content = '<div class="nb_empty">请选择年度</div>\n'
        elif inline is not None:
            content = (f'<div class="nb_title">{escape(inline.title)}</div>\n'
                       f'<div class="nb_info">发布日期：{inline.date:%Y-%m-%d}&nbsp;&nbsp;&nbsp;'
                       f"发布机构：{escape(inline.source)}</div>\n"
                       f'<div id="zoom">{body_html}</div>\n' + attachments_html(inline))
        elif linked:
            rows = "".join(f'<tr><td class="nb_name"><a href="{e.path}" target="_blank" title="{escape(e.title)}">'
                           f'{escape(e.title)}</a></td><td class="nb_date">{e.date:%Y-%m-%d}</td></tr>' for e in linked)
            content = ('<table class="nb_list" width="100%" cellspacing="0"><tr><th>名称</th><th>发布日期</th></tr>'
                       + rows + "</table>\n")
        else:
            content = '<div class="nb_empty">该年度暂无年报信息</div>\n'
    return (head + top + '<div class="xxgk_nb">\n' + nav + content + "</div>\n" + footer(spec)
            + "\n</body>\n</html>\n")


def index_page(spec: SiteSpec) -> str:
    """``/module/xxgk/index.jsp``: the 政府信息公开 catalogue, whose 政府信息公开年报 entry is the
    annual-report view without a year."""
    i = spec.info
    area = spec.extra["area"]
    items = [("政府信息公开指南", f"/module/xxgk/tree.jsp?area={area}&divid=div_zn"),
             ("政府信息公开制度", f"/module/xxgk/tree.jsp?area={area}&divid=div_zd"),
             ("法定主动公开内容", f"/module/xxgk/tree.jsp?area={area}&divid=div_fd"),
             ("政府信息公开年报", f"xxgkAnnualReport.jsp?area={area}")]
    lis = "".join(f'<li><a href="{escape(p)}" target="_blank">{escape(n)}</a></li>' for n, p in items)
    return ('<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<html>\n<head>\n'
            f'<meta http-equiv="Content-Type" content="text/html; charset={META_CHARSET}">\n'
            f"<title>{escape(i.site_name)}-政府信息公开</title>\n</head>\n<body>\n"
            f'<div class="xxgk_top"><a href="/">{escape(i.site_name)}</a> 政府信息公开目录</div>\n'
            f'<div class="xxgk_menu"><ul>{lis}</ul></div>\n' + footer(spec) + "\n</body>\n</html>\n")


CHROME = ["政府信息公开目录", "公开单位："]
