"""A long-tail site on Boda VSB (博达站群), the kind of CMS the ``generic`` adapter meets.

List pages: the column's first page is ``{col}.htm``; further pages live in a folder of the same
name and are numbered DOWNWARDS: with P pages, page 2 is ``{col}/{P-1}.htm`` … the last page is
``{col}/1.htm``. Rows are ``<a class="c52143" title>`` with the date in a sibling cell
(``<span class="timestyle52143">2023/01/20&nbsp;</span>``); the pager has 首页/上页/下页/尾页, the
enabled ones as ``<a class="Next">`` (下页 and 尾页 share the class). Articles are
``/info/{colid}/{docid}.htm`` with the body in ``div.v_news_content``; attachments go through
``/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=…&wbfileid=…`` whose URL
carries no file name: the format is only in the link text.

This replica site is an old county portal that declares no encoding anywhere: GBK bytes, no
``<meta charset>``, ``Content-Type: text/html`` without a charset.
"""
from __future__ import annotations

from html import escape

from .chrome import footer, rel
from .spec import Column, Entry, SiteSpec

STYLE_ID = 52143


def page_file(col: Column, k: int, pages: int) -> str:
    """Path of page ``k`` (1-based) of a column with ``pages`` pages."""
    base = col.path[:-len(".htm")]
    return col.path if k == 1 else f"{base}/{pages - k + 1}.htm"


def _head(spec: SiteSpec, title: str, keywords: str) -> str:
    return ("<HTML><HEAD><TITLE>" + escape(title) + "</TITLE>\n"
            f'<META Name="keywords" Content="{escape(keywords)}" />\n'
            '<link rel="stylesheet" type="text/css" href="/style/style.css">\n'
            '<script type="text/javascript" src="/system/resource/js/counter.js"></script>\n'
            '<script type="text/javascript">_jsq_(1131,"/list.jsp",-1,1254236)</script>\n</HEAD>\n')


def _top(spec: SiteSpec, page_path: str) -> str:
    return (f'<div class="top"><img src="{rel(page_path, "/images/top.jpg")}" alt="{escape(spec.info.site_name)}"></div>\n'
            f'<div class="nav"><a href="{rel(page_path, "/index.htm")}">首页</a> | <a href="{rel(page_path, "/zwgk.htm")}">政务公开</a>'
            f' | <a href="{rel(page_path, "/bsfw.htm")}">办事服务</a> | <a href="{rel(page_path, "/gzhd.htm")}">公众互动</a></div>\n')


def list_page(spec: SiteSpec, col: Column, items: list[Entry], k: int, pages: int, total: int) -> str:
    path = page_file(col, k, pages)
    truncate = spec.info.truncate or 30
    rows = []
    for n, e in enumerate(items):
        text = e.title if len(e.title) <= truncate else e.title[:truncate] + "..."
        rows.append(f'<tr id="line_u5_{n}"><td class="leftstyle{STYLE_ID}" width="85%">'
                    f'<a href="{rel(path, e.path)}" class="c{STYLE_ID}" title="{escape(e.title)}" target="_blank">{escape(text)}</a></td>'
                    f'<td align="right"><span class="timestyle{STYLE_ID}">{e.date:%Y/%m/%d}&nbsp;</span></td></tr>')
    first, prev_ = page_file(col, 1, pages), page_file(col, k - 1, pages) if k > 1 else None
    nxt, last = (page_file(col, k + 1, pages), page_file(col, pages, pages)) if k < pages else (None, None)
    nav = []
    if prev_:
        nav += [f'<a href="{rel(path, first)}" class="Next">首页</a>', f'<a href="{rel(path, prev_)}" class="Next">上页</a>']
    else:
        nav += ['<span class="PrevDisabled">首页</span>', '<span class="PrevDisabled">上页</span>']
    if nxt:
        nav += [f'<a href="{rel(path, nxt)}" class="Next">下页</a>', f'<a href="{rel(path, last)}" class="Next">尾页</a>']
    else:
        nav += ['<span class="NextDisabled">下页</span>', '<span class="NextDisabled">尾页</span>']
    pager = (f'<table cellspacing="0" cellpadding="0" border="0"><tr><td nowrap align="left" width="1%" id="fanye{STYLE_ID}">'
             f"共{total}条&nbsp;&nbsp;{k}/{pages}&nbsp;</td><td nowrap align=\"left\">" + "".join(nav)
             + '&nbsp;<input type="text" size="2" id="u5_goto"><a href="javascript:;" onclick="_simple_list_gotopage_fun('
             + f'{pages},\'u5_goto\',2)">转到</a></td></tr></table>')
    return (_head(spec, f"{col.name}-{spec.info.site_name}", f"{spec.info.site_name},{col.name}") + "<BODY>\n"
            + _top(spec, path)
            + f'<div class="dqwz">当前位置：<a href="{rel(path, "/index.htm")}">首页</a>&gt;&gt;<a href="{rel(path, "/zwgk.htm")}">政务公开</a>'
            + f"&gt;&gt;{escape(col.name)}</div>\n"
            + f'<table class="winstyle{STYLE_ID}" width="100%" cellpadding="0">' + "".join(rows) + "</table>\n"
            + f'<div class="pb_sys_common">{pager}</div>\n' + footer(spec) + "\n</BODY></HTML>\n")


def attachments_html(e: Entry, owner: int) -> str:
    if not e.attachments:
        return ""
    lis = []
    for a in e.attachments:
        fid = int(a.path.rsplit("=", 1)[1])
        lis.append(f'<li>附件【<a href="{escape(a.href)}" target="_blank">{escape(a.link_text or a.name)}</a>】已下载'
                   f'<span id="nattach{fid}"><script language="javascript">getClickTimes({fid},{owner},"wbnewsfile","attach")'
                   "</script></span>次</li>")
    return '<ul style="list-style-type:none;">' + "".join(lis) + "</ul>"


def article_page(spec: SiteSpec, e: Entry, body_html: str) -> str:
    owner = spec.extra["owner"]
    return (_head(spec, f"{e.title}-{spec.info.site_name}", f"{spec.info.site_name},{e.title}") + "<BODY>\n"
            + _top(spec, e.path)
            + f'<div class="dqwz">当前位置：<a href="{rel(e.path, "/index.htm")}">首页</a>&gt;&gt;正文</div>\n'
            + '<form name="_newscontent_fromname">\n'
            + f'<div align="center"><h1 class="titlestyle">{escape(e.title)}</h1></div>\n'
            + f'<div class="info" align="center">发布时间：{e.date:%Y-%m-%d %H:%M}&nbsp;&nbsp;来源：{escape(e.source)}&nbsp;&nbsp;'
            + f'点击数：<script>_showDynClicks("wbnews", {owner}, {e.docid})</script></div>\n'
            + f'<div id="vsb_content"><div class="v_news_content">{body_html}</div></div>\n'
            + '<div id="div_vote_id"></div>\n' + attachments_html(e, owner) + "\n</form>\n"
            + footer(spec) + "\n</BODY></HTML>\n")


def home_page(spec: SiteSpec) -> str:
    """Links 政务公开 (in the nav), which links the 部门年报 column: not the column itself."""
    return (_head(spec, spec.info.site_name, spec.info.site_name) + "<BODY>\n" + _top(spec, "/index.htm")
            + f'<div class="main"><a href="{rel("/index.htm", "/zwgk.htm")}">政府信息公开</a></div>\n'
            + footer(spec) + "\n</BODY></HTML>\n")


def section_page(spec: SiteSpec) -> str:
    """``/zwgk.htm``: the portal's 政务公开 section; its 部门年报 entry is the column."""
    path = "/zwgk.htm"
    entries = [("政府信息公开指南", "/zwgk/xxgkzn.htm"), ("政府信息公开制度", "/zwgk/xxgkzd.htm"),
               (spec.column.name, spec.column.path)]
    lis = "".join(f'<li><a href="{rel(path, p)}">{escape(n)}</a></li>' for n, p in entries)
    return (_head(spec, f"政务公开-{spec.info.site_name}", f"{spec.info.site_name},政务公开") + "<BODY>\n"
            + _top(spec, path)
            + f'<div class="dqwz">当前位置：<a href="{rel(path, "/index.htm")}">首页</a>&gt;&gt;政务公开</div>\n'
            + f'<ul class="zwgk_list">{lis}</ul>\n' + footer(spec) + "\n</BODY></HTML>\n")


CHROME = ["点击数：", "已下载"]
