"""Anhui 政务公开平台: a unit's public catalogue and the portal's annual-report module.

* Unit list ``/public/column/{unitId}?type=4&catId={catId}&action=list`` (``&page=N`` for N ≥ 2):
  static HTML, rows ``<li><a href title>…</a><span class="date">YYYY-MM-DD</span></li>``, a pager
  with page links, 下一页/尾页 and ``共N条 共M页``. The replica serves it statically (the real module
  is server-rendered the same way; nothing needs JavaScript).
* Articles ``/public/{unitId}/{docId}.html``: an information table (索引号/信息分类/发布机构/生成日期/
  名称/文号) above the body ``div.wzcon#zoom``; attachments under 附件下载.
* Annual-report module: ``/openness/OpennessAnnualReport/show/{id}.html`` (年度/发布单位/发布时间 and
  the body, or a PDF viewer ``<iframe src="/pdfjs/web/viewer.html?file=….pdf">``), and its own list
  ``/openness/OpennessAnnualReport/`` (``index.html?page=N``) of every department's reports, with a
  unit and a year column: a static table, paged like the unit list.
"""
from __future__ import annotations

from html import escape

from .chrome import article_metas, attachment_items, footer, site_metas
from .spec import ANHUI_MODULE as MODULE
from .spec import Entry, SiteSpec

VIEWER = "/pdfjs/web/viewer.html"


def unit_list_path(unit: int, cat: int, page: int = 1) -> str:
    base = f"/public/column/{unit}?type=4&catId={cat}&action=list"
    return base if page == 1 else f"{base}&page={page}"


def module_list_path(page: int = 1) -> str:
    return MODULE if page == 1 else f"{MODULE}index.html?page={page}"


def _head(spec: SiteSpec, title: str, pairs) -> str:
    metas = "\n".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in pairs)
    return ('<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
            '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">\n'
            f"{metas}\n<title>{escape(title)}</title>\n"
            '<link rel="stylesheet" href="/assets/css/public.css">\n'
            '<script src="/assets/js/jquery.min.js"></script>\n</head>\n')


def _header(spec: SiteSpec) -> str:
    return (f'<div class="header"><div class="logo"><a href="/">{escape(spec.info.site_name)}</a></div>'
            '<div class="top-tools"><a href="javascript:;" class="j-wza">无障碍</a> <a href="javascript:;" class="j-lnms">长者模式</a>'
            '</div></div>\n<div class="nav"><a href="/">首页</a> <a href="/public/">信息公开</a> '
            f'<a href="{MODULE}">政府信息公开年报</a> <a href="/hdjl/">互动交流</a></div>\n')


def _pager(href, page: int, pages: int, total: int) -> str:
    if pages <= 1:
        return f'<div class="pagination"><span class="total">共{total}条 共1页</span></div>'
    parts = []
    if page > 1:
        parts += [f'<a href="{escape(href(1))}">首页</a>', f'<a href="{escape(href(page - 1))}">上一页</a>']
    for k in range(1, pages + 1):
        parts.append(f'<span class="current">{k}</span>' if k == page else f'<a href="{escape(href(k))}">{k}</a>')
    if page < pages:
        parts += [f'<a href="{escape(href(page + 1))}" class="next">下一页</a>', f'<a href="{escape(href(pages))}">尾页</a>']
    return f'<div class="pagination">{" ".join(parts)} <span class="total">共{total}条 共{pages}页</span></div>'


def unit_list_page(spec: SiteSpec, rows: list[tuple[Entry, str]], page: int, pages: int, total: int) -> str:
    """``rows``: (entry, href) — an entry may be listed under two URLs (article and module page)."""
    unit, cat = spec.extra["unit_id"], spec.extra["cat_id"]
    lis = "\n".join(f'<li><a href="{escape(href)}" title="{escape(e.title)}" target="_blank">{escape(e.title)}</a>'
                    f'<span class="date">{e.date:%Y-%m-%d}</span></li>' for e, href in rows) or '<li class="nodata">暂无信息</li>'
    col = spec.column.name
    return (_head(spec, f"{col}-{spec.agency.name}-{spec.info.site_name}", site_metas(spec, col)) + "<body>\n"
            + _header(spec)
            + f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/public/">信息公开</a> &gt; '
            + f'<a href="/public/column/{unit}?type=4&amp;action=list">{escape(spec.agency.name)}</a> &gt; <span>{escape(col)}</span></div>\n'
            + f'<div class="xxgk_lb"><h3 class="lb_title">{escape(col)}</h3>\n<ul class="clearfix xxgk_nav_list">\n{lis}\n</ul>\n'
            + _pager(lambda k: unit_list_path(unit, cat, k), page, pages, total) + "</div>\n"
            + footer(spec) + "\n</body>\n</html>\n")


def module_list_page(spec: SiteSpec, rows: list[tuple[str, int, Entry, str]], page: int, pages: int, total: int) -> str:
    """``rows``: (unit name, report year, entry, show path)."""
    trs = "\n".join(f'<tr><td>{(page - 1) * spec.extra["module_page_size"] + k + 1}</td><td>{escape(unit)}</td>'
                    f'<td>{year}</td><td class="title"><a href="{href}" title="{escape(e.title)}" target="_blank">'
                    f'{escape(e.title)}</a></td><td class="date">{e.date:%Y-%m-%d}</td></tr>'
                    for k, (unit, year, e, href) in enumerate(rows))
    return (_head(spec, f"政府信息公开年报-{spec.info.site_name}", site_metas(spec, "政府信息公开年报")) + "<body>\n"
            + _header(spec)
            + '<div class="position">当前位置：<a href="/">首页</a> &gt; <span>政府信息公开年报</span></div>\n'
            + '<div class="nb_search"><form action="" method="get"><select name="year"><option value="">全部年度</option>'
            + "".join(f'<option value="{y}">{y}</option>' for y in range(2023, 2019, -1))
            + '</select><input type="text" name="unitName" placeholder="单位名称"><button type="submit">查询</button></form></div>\n'
            + '<table class="nb_table" width="100%"><tr><th>序号</th><th>发布单位</th><th>年度</th><th>标题</th><th>发布日期</th></tr>\n'
            + trs + "\n</table>\n" + _pager(module_list_path, page, pages, total) + "\n"
            + footer(spec) + "\n</body>\n</html>\n")


def home_page(spec: SiteSpec) -> str:
    """The county portal's home: 信息公开 (the units' catalogues) and the annual-report module."""
    return (_head(spec, spec.info.site_name, site_metas(spec, "首页")) + "<body>\n" + _header(spec)
            + '<div class="main"><div class="xxgk_rk"><a href="/public/">政府信息公开</a></div></div>\n'
            + footer(spec) + "\n</body>\n</html>\n")


def public_page(spec: SiteSpec) -> str:
    """``/public/``: every unit's catalogue; each unit's 政府信息公开年报 is its annual-report column."""
    unit, cat = spec.extra["unit_id"], spec.extra["cat_id"]
    entries = [("政府信息公开指南", f"/public/column/{unit}?type=4&action=xxgkzn"),
               ("政府信息公开制度", f"/public/column/{unit}?type=4&action=xxgkzd"),
               ("法定主动公开内容", f"/public/column/{unit}?type=4&action=list"),
               ("政府信息公开年报", unit_list_path(unit, cat))]
    lis = "".join(f'<li><a href="{escape(p)}">{escape(n)}</a></li>' for n, p in entries)
    return (_head(spec, f"信息公开-{spec.info.site_name}", site_metas(spec, "信息公开")) + "<body>\n" + _header(spec)
            + '<div class="position">当前位置：<a href="/">首页</a> &gt; <span>信息公开</span></div>\n'
            + f'<div class="xxgk_unit"><h3>{escape(spec.agency.name)}</h3><ul class="xxgk_menu">{lis}</ul></div>\n'
            + footer(spec) + "\n</body>\n</html>\n")


def attachments_html(e: Entry) -> str:
    links = [a for a in e.attachments if not a.viewer]
    if not links:
        return ""
    return f'<div class="fjxz"><span>附件下载：</span><ul>{attachment_items(links)}</ul></div>'


def viewer_html(e: Entry) -> str:
    a = next(a for a in e.attachments if a.viewer)
    return (f'<div class="pdf-view"><iframe src="{VIEWER}?file={escape(a.href)}" width="100%" height="900" '
            'frameborder="0"></iframe></div>')


def identifier(spec: SiteSpec, e: Entry) -> str:
    return f"{spec.extra['org_code']}/{e.date.year}-{e.docid % 100000:05d}"


def article_page(spec: SiteSpec, e: Entry, body_html: str) -> str:
    """A /public/{unit}/{doc}.html article."""
    col = spec.columns[e.column]
    pairs = article_metas(spec, e, col.name, e.source)
    table = (
        '<table class="table_suoyin" width="100%">'
        f'<tr><th>索引号：</th><td>{identifier(spec, e)}</td><th>信息分类：</th><td>{escape(col.name)}</td></tr>'
        f'<tr><th>发布机构：</th><td>{escape(e.source)}</td><th>生成日期：</th><td>{e.date:%Y-%m-%d}</td></tr>'
        '<tr><th>生效时间：</th><td></td><th>废止时间：</th><td>暂无</td></tr>'
        f'<tr><th>名称：</th><td colspan="3">{escape(e.title)}</td></tr>'
        '<tr><th>文号：</th><td></td><th>关键词：</th><td></td></tr></table>')
    return (_head(spec, f"{e.title}-{spec.agency.name}", pairs) + "<body>\n" + _header(spec)
            + f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/public/">信息公开</a> &gt; '
            + f'<span>{escape(spec.agency.name)}</span></div>\n'
            + f'<div class="xxgk_top">{table}</div>\n'
            + f'<div class="wz_title"><h1>{escape(e.title)}</h1></div>\n'
            + '<div class="wz_tools">【字体：<a href="javascript:;" class="j-fontBig">大</a> <a href="javascript:;" class="j-fontMiddle">中</a> '
            + '<a href="javascript:;" class="j-fontSmall">小</a>】 <a href="javascript:window.print();">打印</a></div>\n'
            + f'<div class="wzcon j-fontContent" id="zoom">{body_html}</div>\n' + attachments_html(e) + "\n"
            + footer(spec) + "\n</body>\n</html>\n")


def show_page(spec: SiteSpec, e: Entry, body_html: str) -> str:
    """A module page /openness/OpennessAnnualReport/show/{id}.html."""
    pairs = article_metas(spec, e, "政府信息公开年报", e.source)
    inner = viewer_html(e) if e.body_mode == "viewer" else body_html
    return (_head(spec, f"{e.title}-{spec.info.site_name}", pairs) + "<body>\n" + _header(spec)
            + f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="{MODULE}">政府信息公开年报</a> &gt; <span>详情</span></div>\n'
            + f'<div class="nb_detail"><h1 class="nb_title">{escape(e.title)}</h1>\n'
            + f'<div class="nb_info"><span>年度：{e.year}</span> <span>发布单位：{escape(e.source)}</span> '
            + f"<span>发布时间：{e.date:%Y-%m-%d}</span></div>\n"
            + f'<div class="nb_content" id="zoom">{inner}</div>\n' + attachments_html(e) + "</div>\n"
            + footer(spec) + "\n</body>\n</html>\n")


def viewer_page() -> str:
    return ('<!DOCTYPE html>\n<html dir="ltr" mozdisallowselectionprint>\n<head>\n<meta charset="utf-8">\n'
            "<title>PDF.js viewer</title>\n<link rel=\"stylesheet\" href=\"viewer.css\">\n"
            '<script src="../build/pdf.js"></script>\n<script src="viewer.js"></script>\n</head>\n'
            '<body tabindex="1"><div id="outerContainer"><div id="viewerContainer"><div id="viewer" class="pdfViewer">'
            "</div></div></div></body>\n</html>\n")


CHROME = ["当前位置：", "索引号：", "生成日期：", "附件下载："]
