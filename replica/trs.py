"""TRS WCM (拓尔思) page templates: static list pages paged only through inline JavaScript, and
article pages whose body sits in ``div.TRS_Editor`` behind an inline ``<style>``.

A crawler of real TRS sites must read the page count out of ``createPageHTML(count, index, "index",
"html")`` (or the older ``var countPage = N//共多少页`` variant) because nothing else on the page says
how many ``index_N.html`` files exist; these templates reproduce exactly that.
"""
from __future__ import annotations

from html import escape

from .chrome import article_metas, cn_date, date_label, footer, home_links, metas, rel, site_metas
from .spec import Column, Entry, SiteSpec

PAGER_FUNCTION = """<script type="text/javascript">
function createPageHTML(nCount, nIndex, sName, sExt) {
  if (nCount <= 1) { return; }
  var url = function (i) { return i == 0 ? sName + "." + sExt : sName + "_" + i + "." + sExt; };
  var h = (nIndex > 0) ? '<a href="' + url(0) + '">首页</a> <a href="' + url(nIndex - 1) + '">上一页</a> '
                       : '<span class="dis">首页</span> <span class="dis">上一页</span> ';
  h += (nIndex < nCount - 1) ? '<a href="' + url(nIndex + 1) + '">下一页</a> <a href="' + url(nCount - 1) + '">尾页</a>'
                             : '<span class="dis">下一页</span> <span class="dis">尾页</span>';
  document.write(h + ' 共' + nCount + '页 当前第' + (nIndex + 1) + '页');
}
</script>"""

COUNTPAGE_SCRIPT = """<script language="JavaScript" type="text/javascript">
var currentPage = {index};//所在页从0开始
var prevPage = currentPage-1//上一页
var nextPage = currentPage+1//下一页
var countPage = {count}//共多少页
function pageUrl(i) {{ return i == 0 ? "index.{ext}" : "index_" + i + ".{ext}"; }}
if (countPage > 1) {{
  document.write('共&nbsp;' + countPage + '&nbsp;页&nbsp;<a href="' + pageUrl(0) + '">首页</a>&nbsp;');
  if (prevPage >= 0) document.write('<a href="' + pageUrl(prevPage) + '">上一页</a>&nbsp;');
  if (nextPage < countPage) document.write('<a href="' + pageUrl(nextPage) + '">下一页</a>&nbsp;');
  document.write('<a href="' + pageUrl(countPage - 1) + '">尾页</a>');
}}
</script>"""

TRS_EDITOR_STYLE = ("<style type=\"text/css\">.TRS_Editor P{margin-top:0;margin-bottom:12px;line-height:1.8;"
                    "font-family:宋体;font-size:12pt;}.TRS_Editor DIV{margin-top:0;margin-bottom:12px;line-height:1.8;"
                    "font-family:宋体;font-size:12pt;}.TRS_Editor TD{margin-top:0;margin-bottom:0;line-height:1.5;"
                    "font-family:宋体;font-size:10.5pt;}.TRS_Editor TH{font-size:10.5pt;}</style>")


def list_page_name(index: int, ext: str = "html") -> str:
    return f"index.{ext}" if index == 0 else f"index_{index}.{ext}"


def page_count(n_items: int, per_page: int) -> int:
    return max(1, -(-n_items // per_page))


def _head(spec: SiteSpec, title: str, meta_pairs: list[tuple[str, str]], extra: str = "") -> str:
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={spec.info.charset_label}" />\n'
        f"<title>{escape(title)}</title>\n{metas(meta_pairs)}\n"
        '<link href="/images/style.css" rel="stylesheet" type="text/css" />\n'
        '<script type="text/javascript" src="/js/jquery-1.8.3.min.js"></script>\n'
        f"{extra}</head>\n"
    )


def _header(spec: SiteSpec, page_path: str, links: list[tuple[str, str]] | None = None) -> str:
    links = [(c.name, c.path) for c in spec.columns.values()] if links is None else links
    nav = " ".join(f'<li><a href="{rel(page_path, p)}" target="_self">{escape(n)}</a></li>' for n, p in links)
    return (
        '<div class="header">\n'
        f'<div class="logo"><a href="{rel(page_path, "/")}"><img src="/images/logo.png" alt="{escape(spec.info.site_name)}" /></a></div>\n'
        '<div class="search"><form name="searchform" action="/was5/web/search" method="get" target="_blank">'
        '<input type="text" name="searchword" class="ss-input" value="" /><input type="submit" value="搜索" />'
        '<input type="hidden" name="channelid" value="212618" /></form></div>\n'
        f'</div>\n<div class="nav"><ul><li><a href="{rel(page_path, "/")}">网站首页</a></li> {nav}</ul></div>\n'
    )


def _crumbs(spec: SiteSpec, page_path: str, trail: list[tuple[str, str]]) -> str:
    links = "&gt;&gt;".join(
        f'<a href="{rel(page_path, p)}" title="{escape(n)}" class="CurrChnlCls">{escape(n)}</a>' for n, p in trail)
    return f'<div class="position">{escape(spec.info.crumb_prefix)}{links}</div>\n'


def column_trail(spec: SiteSpec, col: Column) -> list[tuple[str, str]]:
    if col.key == "own":
        return spec.crumbs + [(col.name, col.path)]
    return [("首页", "/"), (col.name, col.path)]


def list_page(spec: SiteSpec, col: Column, items: list[Entry], index: int, count: int) -> str:
    page_path = col.path + list_page_name(index, col.page_ext)
    head = _head(spec, f"{col.name}_{spec.info.site_name}", site_metas(spec, col.name),
                 PAGER_FUNCTION if spec.info.pager == "createPageHTML" else "")
    left = "".join(f'<li><a href="{rel(page_path, c.path)}">{escape(c.name)}</a></li>' for c in spec.columns.values())
    rows = []
    for e in items:
        text = e.title
        t = spec.info.truncate
        if t and len(text) > t:
            text = text[:t] + "…"
        rows.append(f'<li><a href="{rel(page_path, e.path)}" title="{escape(e.title)}" target="_blank">{escape(text)}</a>'
                    f'<span class="date">{e.date:%Y-%m-%d}</span></li>')
    if not rows:
        rows.append('<li class="empty">暂无信息</li>')
    if spec.info.pager == "countPage":
        pager = COUNTPAGE_SCRIPT.format(index=index, count=count, ext=col.page_ext)
    else:
        pager = f'<script>createPageHTML({count}, {index}, "index", "{col.page_ext}");</script>'
    return (
        head + "<body>\n" + _header(spec, page_path)
        + '<div class="main">\n<div class="left"><h3>栏目导航</h3><ul>' + left + "</ul></div>\n"
        + '<div class="right">\n' + _crumbs(spec, page_path, column_trail(spec, col))
        + f'<div class="column-title">{escape(col.name)}</div>\n'
        + '<ul class="list">\n' + "\n".join(rows) + "\n</ul>\n"
        + f'<div class="page">{pager}</div>\n</div>\n</div>\n' + footer(spec) + "\n</body>\n</html>\n"
    )


def article_page(spec: SiteSpec, e: Entry, body_html: str) -> str:
    col = spec.columns[e.column]
    content_source = e.source if spec.info.date_style == "cn" or spec.agency.id.startswith("wusu") else ""
    pairs = article_metas(spec, e, col.name, content_source) + [
        ("DocId", str(e.docid)), ("ChnlId", str(col.colid)), ("SiteId", str(spec.info.site_id))]
    head = _head(spec, f"{e.title}_{col.name}_{spec.info.site_name}", pairs)
    if spec.info.date_style == "cn":
        dateline = f"{date_label(spec)}{cn_date(e.date)}"
    else:
        dateline = f"{date_label(spec)}{e.date:%Y-%m-%d %H:%M}"
    related = "".join(f'<li><a href="{u}" target="_blank">{escape(n)}</a></li>' for n, u in (
        ("中国政府网", "https://www.gov.cn/"), ("民政部", "https://www.mca.gov.cn/"),
        ("政府信息公开专栏", rel(e.path, spec.column.path))))
    return (
        head + "<body>\n" + _header(spec, e.path)
        + '<div class="main">\n' + _crumbs(spec, e.path, column_trail(spec, col))
        + '<div class="article">\n'
        + f'<h1 class="article-title">{escape(e.title)}</h1>\n'
        + f'<div class="article-info"><span>{dateline}</span>　<span>来源：{escape(e.source)}</span>　'
        + '<span class="font">【字体：<a href="javascript:void(0)" onclick="$addfont(18)">大</a> '
        + '<a href="javascript:void(0)" onclick="$addfont(16)">中</a> '
        + '<a href="javascript:void(0)" onclick="$addfont(14)">小</a>】</span></div>\n'
        + '<div class="article-content" id="Zoom">\n<div class="TRS_Editor">' + TRS_EDITOR_STYLE + "\n"
        + body_html + "\n</div>\n</div>\n"
        + '<div class="article-tools"><a href="javascript:void(0)" onclick="window.print()">打印本页</a>　'
        + '<a href="javascript:window.close()">关闭窗口</a></div>\n'
        + '<div class="share">分享到：<a class="wx" href="javascript:void(0)">微信</a> '
        + '<a class="wb" href="javascript:void(0)">微博</a> <a class="qzone" href="javascript:void(0)">QQ空间</a></div>\n'
        + '</div>\n<div class="related"><h4>相关链接</h4><ul>' + related + "</ul></div>\n</div>\n"
        + footer(spec) + "\n</body>\n</html>\n"
    )


def home_page(spec: SiteSpec) -> str:
    """The home page links the disclosure section (政务公开 / 政府信息公开 …), which links the 年报
    column: a crawler finds the column through it, as on real sites (spiders/discover.py)."""
    head = _head(spec, spec.info.site_name, site_metas(spec, "首页"))
    nav = home_links(spec)
    links = "".join(f'<li><a href="{rel("/index.html", p)}">{escape(n)}</a></li>' for n, p in nav)
    return (head + "<body>\n" + _header(spec, "/index.html", nav) + '<div class="main"><ul class="columns">' + links
            + "</ul></div>\n" + footer(spec) + "\n</body>\n</html>\n")


def stub_page(spec: SiteSpec, path: str, name: str) -> str:
    """A parent column in the breadcrumb: links down to the columns below it."""
    page_path = path if path.endswith(".html") else path + "index.html"
    head = _head(spec, f"{name}_{spec.info.site_name}", site_metas(spec, name))
    below = [c for c in spec.columns.values() if c.path.startswith(path.rsplit("index.html", 1)[0])] or [spec.column]
    links = "".join(f'<li><a href="{rel(page_path, c.path)}">{escape(c.name)}</a></li>' for c in below)
    return (head + "<body>\n" + _header(spec, page_path) + f'<div class="main"><h2>{escape(name)}</h2><ul>' + links
            + "</ul></div>\n" + footer(spec) + "\n</body>\n</html>\n")
