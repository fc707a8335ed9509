"""TRS WCM in the Fujian 集约化 template ("动静结合"): the first list page is static HTML with ten
rows in avalon ``ms-*`` markup; every further page comes from the site's TRS search API
(``require(["list2.trsapi"])`` with ``listArgs {channelid, classsql, sortfield}``), a POST to
``/fjdzapp/search`` answering JSON whose records carry ``doctitle`` / ``chnldocurl`` /
``docreltime``. Articles are ordinary TRS pages (``./YYYYMM/tYYYYMMDD_{docid}.htm``, body in
``div.TRS_Editor``, attachments ``./P0YYYYMMDD….pdf`` in an ``article_attachment`` block).

The replica adds one realistic wrinkle: the static first page was generated before the newest item
was published, so it shows the items 2–11 of the column and a stale ``recordCount``; the API is
current. A crawler reading only the static page misses the newest item (the API's page 1 has it)
and sees the 11th item twice (last static row, first row of API page 2).
"""
from __future__ import annotations

import json
from html import escape

from .chrome import article_metas, attachment_items, footer, home_links, rel, site_metas
from .spec import Column, Entry, SiteSpec

SEARCH_API = "/fjdzapp/search"
SORTFIELD = "-docorderpri,-docreltime"
PREPAGE = 10


def _head(spec: SiteSpec, title: str, pairs: list[tuple[str, str]]) -> str:
    metas = "\n".join(f'<meta name="{k}" content="{escape(v)}"/>' for k, v in pairs)
    return (
        '<!DOCTYPE html>\n<html ms-controller="windowRoot" ms-class-1="SLB:isSlb" ms-class-2="slb:isSlb">\n<head>\n'
        '<meta charset="utf-8" name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=1.0" />\n'
        '<meta http-equiv="x-UA-Compatible" content="IE=Edge" />\n'
        f"{metas}\n<title>{escape(title)}</title>\n"
        '<link rel="stylesheet" type="text/css" href="/images/trt_ui_v2.css">\n'
        '<link rel="stylesheet" type="text/css" href="/images/22mb_info_public_style.css" />\n'
        "</head>\n"
    )


def _header(spec: SiteSpec) -> str:
    return (
        '<div class="header menu_hov">\n'
        f'<div class="logo"><a href="/"><img src="/images/logo.png" alt="{escape(spec.info.site_name)}" /></a></div>\n'
        '<div class="header_tools"><a href="javascript:;" id="barrierFreeBtn">无障碍浏览</a> '
        '<a href="javascript:;" ms-click="$slb()">长者模式</a></div>\n'
        '<div class="menu"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>'
        '<li><a href="/bsfw/">办事服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>\n'
        '<div class="search"><form action="/ssp/search" method="get" target="_blank">'
        '<input type="text" name="q" placeholder="请输入关键字" /><button type="submit">搜索</button></form></div>\n'
        "</div>\n"
    )


def _site_info_script(spec: SiteSpec) -> str:
    return (
        "<script>\n    var SiteInfo = {\n"
        f"        itpSiteId: {spec.info.site_id},\n"
        f"        searchId: {spec.extra['search_id']}, //默认的文档检索频道的ID\n"
        '        defaultPgTemp: "pgBar_xxgk.html",\n'
        '        siteMsgType: "govSite",\n'
        "        openSlb: true,//是否开启适老版\n        openWza: true //是否开启无障碍\n    };\n</script>\n"
        '<script src="/images/barrier.free.min.js" id="barrierFree"></script>\n'
        '<script src="/images/model.min.js"></script>\n'
    )


def _crumbs(page_path: str, trail: list[tuple[str, str]]) -> str:
    lis = "</li><li>".join(f'<a href="{rel(page_path, p)}" title="{escape(n)}" class="CurrChnlCls">{escape(n)}</a>'
                           for n, p in trail)
    return ('<div class="breadcrumb"><span><i class="trt-iconfont trt-icon-weizhi"></i>当前位置：</span>'
            f"<ul><li>{lis}</li></ul></div>\n")


def list_page(spec: SiteSpec, col: Column, rows: list[Entry], record_count: int, chnlid: int) -> str:
    """The static first page (``index.htm``) with ``rows`` and the list2.trsapi bootstrap."""
    page_path = col.path + f"index.{col.page_ext}"
    head = _head(spec, f"{col.name}_{spec.info.site_name}", site_metas(spec, col.name) + [
        ("ChnlId", str(chnlid)), ("SiteId", str(spec.info.site_id))])
    dls = []
    for e in rows:
        dls.append(
            "<dl>\n"
            '<dd class="trt-col-sm-24 slb-trt-col-24 text_align_left">\n'
            f'<a href="{rel(page_path, e.path)}" target="_blank" title="{escape(e.title)}">{escape(e.title)}</a>\n'
            "</dd>\n"
            '<dd class="trt-col-4 trt-col-sm-24 slb-trt-col-24 text_align_left">\n'
            f"{e.date:%Y-%m-%d}\n</dd>\n</dl>")
    static = "\n".join(dls) if dls else '<div class="no_data">暂无数据</div>'
    script = (
        "<script>\n"
        '    require(["list2.trsapi", "tools"], function(listModel, tools) {\n'
        "        listModel({\n"
        '            quickMode: "动静结合",\n'
        "            maxStaticIndex: 1,\n"
        "            listArgs: {\n"
        "                channelid: SiteInfo.searchId,\n"
        f'                classsql: "" || "chnlid={chnlid}",\n'
        f'                sortfield: "{SORTFIELD}"\n'
        "            },\n"
        "            pagebar: {\n"
        f"                prepage: {PREPAGE},\n"
        f"                recordCount: '{record_count}',\n"
        '                pgTemp: "pgBar_xxgk.html",\n'
        '                pgCountMode: "recordCount",\n'
        "                displayNum: 2\n"
        "            }\n"
        "        });\n"
        "    });\n"
        "</script>\n"
    )
    return (
        head + "<body>\n" + '<div class="warp info_public_bg">\n' + _header(spec)
        + '<div class="main"><div class="content">\n'
        + _crumbs(page_path, spec.crumbs + [(col.name, col.path)])
        + '<div class="tabs info_tabs" ms-controller="list">\n'
        + f'<div class="tabs_header"><ul><li class="on"><a class="cur_def" href="javascript:;">{escape(col.name)}</a></li></ul></div>\n'
        + '<div class="rules_tabs_01 none_sm slb_none rules_tabs_no_bg"><dl><dt class="trt-col-sm-24">标题</dt>'
        + '<dt class="trt-col-4 trt-col-sm-24 text_align_left">发布日期</dt></dl></div>\n'
        + '<div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="showStatic">\n' + static + "\n</div>\n"
        + '<div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="!showStatic" style="display: none">\n'
        + '<div ms-if="list.length==0"><div ms-if="!error" class="loading"></div><div ms-if="error" ms-text="error|html"></div></div>\n'
        + '<dl ms-if="list.length>0" ms-repeat="list" ms-if-loop="$index<10">\n'
        + '<dd class="trt-col-sm-24 slb-trt-col-24 text_align_left"><a ms-attr-href="el.chnldocurl" ms-attr-title="el.doctitle" '
        + 'ms-text="el.doctitle|html" target="_blank"></a></dd>\n'
        + '<dd class="trt-col-4 trt-col-sm-24 slb-trt-col-24 text_align_left" ms-text="el.docreltime|date(\'yyyy-MM-dd\')"></dd>\n'
        + "</dl>\n</div>\n"
        + '<div class="page_base mar_t_base" ms-controller="list_pagebar" ms-include-src="pgTemp" ms-if="pageCount>0"></div>\n'
        + "</div>\n</div></div>\n" + footer(spec) + "\n</div>\n" + _site_info_script(spec) + script
        + "</body>\n</html>\n"
    )


def api_reply(items: list[Entry], origin: str, page: int, prepage: int, chnlid: int) -> bytes:
    """The search API's JSON for one page (1-based) of ``items`` (newest first)."""
    total = len(items)
    count = max(1, -(-total // prepage)) if total else 0
    chosen = items[(page - 1) * prepage: page * prepage] if page >= 1 else []
    data = []
    for e in chosen:
        url = origin + e.path
        data.append({"docid": e.docid, "chnlid": chnlid, "doctitle": e.title, "chnldocurl": url,
                     "docpuburl": url, "docreltime": f"{e.date:%Y-%m-%d %H:%M:%S}", "docorderpri": 0,
                     "docsourcename": e.source, "fileNum": ""})
    doc = {"code": 200, "msg": "success", "page": page, "prepage": prepage, "pageCount": count, "total": total,
           "data": data}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def attachments_html(e: Entry) -> str:
    if not e.attachments:
        return ""
    return f'<div class="article_attachment mar_t_base"><p>附件：</p><ul>{attachment_items(e.attachments)}</ul></div>'


def article_page(spec: SiteSpec, e: Entry, body_html: str) -> str:
    col = spec.columns[e.column]
    pairs = article_metas(spec, e, col.name, "") + [
        ("DocId", str(e.docid)), ("ChnlId", str(col.colid)), ("SiteId", str(spec.info.site_id))]
    trail = spec.crumbs + [(col.name, col.path)] if col.key == "own" else [("首页", "/"), (col.name, col.path)]
    pdf = next((a for a in e.attachments if a.fmt == "pdf" and a.role == "full_text"), None)
    qzb = ""
    if pdf is not None:  # the 全真版 / 文字版 tabs: the viewer's file is set by script (ms-attr-src)
        qzb = ('<div class="tabs_hd" ms-controller="QzbView" ms-visible="qzbFile!=\'\'"><ul>'
               '<li ms-click="$togs(0)" ms-class="on:show==0"><a href="javascript:;">全真版</a></li>'
               '<li ms-click="$togs(1)" ms-class="on:show==1"><a href="javascript:;">文字版</a></li></ul></div>\n'
               '<div class="pic_con" ms-controller="QzbView" ms-visible="show==0&&qzbFile!=\'\'">'
               '<iframe class="isofd" ms-attr-src="/generic2/web/viewer.html?file={{qzbFile}}" frameborder="0" '
               'scrolling="no"></iframe></div>\n')
    return (
        _head(spec, f"{e.title}_{col.name}_{spec.info.site_name}", pairs) + "<body>\n"
        + '<div class="warp info_public_bg">\n' + _header(spec) + '<div class="main"><div class="content">\n'
        + _crumbs(e.path, trail)
        + '<div class="article_component" ms-controller="windowRoot">\n'
        + f'<div class="article_title_group"><div class="article_title text_align_center">{escape(e.title)}</div></div>\n'
        + '<div class="article_extend pad_base"><div class="trt-row"><div class="trt-col-16 trt-col-sm-24">'
        + f'<span class="article_source">来源：{escape(e.source)}</span> '
        + f'<span class="article_time bf-pass">时间：{e.date:%Y-%m-%d %H:%M}</span></div>'
        + '<div class="trt-col-8 function_icon none_sm"><span class="SLB_none" ms-click="$addfont()">放大</span> '
        + '<span class="SLB_none" ms-click="$reducefont()">缩小</span> <span class="phone_none" onclick="$printDetail()">打印</span>'
        + '<span class="share"><a href="javascript:void(0);" ms-click="$weixin" title="分享到微信">微信</a> '
        + '<a href="javascript:void(0);" title="分享到新浪微博">微博</a></span></div></div></div>\n'
        + '<div class="tabs tab_base_01">\n' + qzb
        + '<div class="word_con"><div class="article_area"><div class="article_content article_content_01 font_family_cn">\n'
        + '<div class="TRS_Editor">' + body_html + "</div>\n" + "</div></div></div>\n"
        + attachments_html(e) + "\n</div>\n</div>\n</div></div>\n" + footer(spec) + "\n</div>\n"
        + _site_info_script(spec) + "</body>\n</html>\n"
    )


def home_page(spec: SiteSpec) -> str:
    """Links the 政府信息公开 section, not the 年报 column (reached through it, as on real sites)."""
    links = "".join(f'<li><a href="{p}">{escape(n)}</a></li>' for n, p in home_links(spec))
    return (_head(spec, spec.info.site_name, site_metas(spec, "首页")) + "<body>\n" + _header(spec)
            + f'<div class="main"><ul class="columns">{links}</ul></div>\n' + footer(spec) + "\n</body>\n</html>\n")


def section_page(spec: SiteSpec, name: str, path: str, links: list[tuple[str, str]]) -> str:
    """A section of the 政府信息公开 tree (政府信息公开 › 政府信息公开年报 › each department's column)."""
    page = path if not path.endswith("/") else path + "index.html"
    lis = "".join(f'<li><a href="{rel(page, p)}" title="{escape(n)}">{escape(n)}</a></li>' for n, p in links)
    return (_head(spec, f"{name}_{spec.info.site_name}", site_metas(spec, name)) + "<body>\n"
            + '<div class="warp info_public_bg">\n' + _header(spec) + '<div class="main"><div class="content">\n'
            + f'<div class="tabs_header"><ul><li class="on">{escape(name)}</li></ul></div>\n'
            + f'<ul class="info_public_list">{lis}</ul>\n</div></div>\n' + footer(spec) + "\n</div>\n</body>\n</html>\n")


CHROME = ["当前位置：", "长者模式"]
