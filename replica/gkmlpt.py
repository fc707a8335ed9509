"""Guangdong gkmlpt (政府信息公开目录管理平台): a Vue application whose pages carry their data as
JavaScript, not markup.

* Entry ``/{dept}/gkmlpt/index``: an empty shell with ``window._CONFIG = {SID:'…', TREE:[…]}``;
  the columns (classifies) are the TREE's nodes, selected in the browser by a hash (``#3094``).
* List API ``GET /{dept}/gkmlpt/api/all/{classify_id}?page={n}&sid={SID}``: JSON
  ``{classify:{id,name,parent,post_count}, articles:[{id,title,date(unix),url,post_url,
  attachment:[…],…}], total}``. Page 0 is page 1. The replica pages by ten (real sites by 100), and
  one replica site answers 404 for every page ≥ 2 as some real sites do: its older items are
  unreachable through the list.
* Article ``/{dept}/gkmlpt/content/{id//1000000}/{id//1000}/post_{id}.html``: the body exists only
  JSON-escaped (``\\u003Cp\\u003E…``) inside ``window._CONFIG.DETAIL``; the page's markup has the
  title and the information table (索引号/分类/发布机构/成文日期/名称/文号/发布日期/主题词).
  Attachments ``/attachment/0/{n}/{attid}/{postid}.pdf`` are ``<a class="nfw-cms-attachment"
  alt="原名.pdf">`` links inside that JSON content, and listed again in ``DETAIL.attachment``.
"""
from __future__ import annotations

import json
from datetime import datetime
from html import escape

from .attachments import CONTENT_TYPES
from .chrome import article_metas, footer, site_metas
from .spec import CST, Entry, SiteSpec


def unix(d: datetime) -> int:
    return int(d.replace(tzinfo=CST).timestamp())


def js_json(obj) -> str:
    """JSON as these pages embed it: every non-ASCII character and every '<', '>' and '&' escaped."""
    s = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return s.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


def _head(spec: SiteSpec, title: str, pairs: list[tuple[str, str]], script: str) -> str:
    metas = "\n".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in pairs)
    return ('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width,initial-scale=1">\n'
            f"{metas}\n<title>{escape(title)}</title>\n"
            '<link href="/gkmlpt/static/css/app.css" rel="stylesheet">\n'
            f"<script>{script}</script>\n</head>\n")


def _top(spec: SiteSpec) -> str:
    dept = spec.extra["dept"]
    return (f'<div class="gkmlpt-header"><a class="logo" href="/{dept}/gkmlpt/index">'
            f'{escape(spec.agency.name)}政府信息公开</a>'
            '<div class="links"><a href="/">网站首页</a> <a href="javascript:;" class="font-big">字号：【大】</a>'
            '<a href="javascript:;" class="font-mid">【中】</a><a href="javascript:;" class="font-small">【小】</a></div></div>\n')


def tree_nodes(spec: SiteSpec) -> list[dict]:
    return spec.extra["tree"]


def config_script(spec: SiteSpec, with_tree: bool) -> str:
    dept = spec.extra["dept"]
    parts = [f"SID:'{spec.extra['sid']}'"]
    if with_tree:
        parts.append("TREE:" + json.dumps(tree_nodes(spec), ensure_ascii=False, separators=(",", ":")))
    parts += [f"DEPT:'{dept}'", "SERVICE_AREA_ID:'0'", "IS_MOBILE:false",
              f"API_BASE:'/{dept}/gkmlpt/api'"]
    return "window._CONFIG = {" + ", ".join(parts) + "};"


def index_page(spec: SiteSpec) -> str:
    return (_head(spec, f"{spec.agency.name}政府信息公开", site_metas(spec, "政府信息公开"), config_script(spec, True))
            + "<body>\n" + _top(spec)
            + '<div id="app"><div class="gkmlpt-loading">正在加载…</div></div>\n'
            + "<noscript>本页面需要浏览器开启JavaScript功能才能正常访问</noscript>\n"
            + '<script src="/gkmlpt/static/js/manifest.js"></script><script src="/gkmlpt/static/js/vendor.js"></script>'
            + '<script src="/gkmlpt/static/js/app.js"></script>\n' + footer(spec) + "\n</body>\n</html>\n")


def home_page(spec: SiteSpec) -> str:
    """The department's home page: its 政府信息公开 link opens the gkmlpt application, whose TREE
    holds the 年报 classify (real Guangdong sites link it the same way)."""
    dept = spec.extra["dept"]
    nav = (f'<li><a href="/">首页</a></li><li><a href="/{dept}/gkmlpt/index">政府信息公开</a></li>'
           '<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li>')
    return (_head(spec, spec.info.site_name, site_metas(spec, "首页"), "")
            + f'<body>\n<div class="header"><div class="logo">{escape(spec.info.site_name)}</div>'
            + f'<div class="nav"><ul>{nav}</ul></div></div>\n<div class="main"></div>\n'
            + footer(spec) + "\n</body>\n</html>\n")


def identifier(spec: SiteSpec, e: Entry) -> str:
    return f"{spec.extra['org_code']}/{e.date.year}-{e.docid % 100000:05d}"


def attachment_meta(e: Entry) -> list[dict]:
    out = []
    for a in e.attachments:
        out.append({"id": int(a.path.split("/")[4]), "name": a.name,  # /attachment/0/{n}/{attid}/{post}.pdf
                    "type": a.fmt, "mime": CONTENT_TYPES[a.fmt], "url": a.path})
    return out


def article_json(spec: SiteSpec, e: Entry, origin: str) -> dict:
    url = origin + e.path
    return {"id": e.docid, "title": e.title, "document_number": "", "identifier": identifier(spec, e),
            "publisher": e.source, "keywords": "", "date": unix(e.date), "created_at": unix(e.date),
            "display_publish_time": unix(e.date), "abstract": "",
            "classify_main_name": spec.extra["classify_name"], "classify_genre_name": "年度报告",
            "classify_theme_name": "民政、扶贫、救灾", "url": url, "post_url": url,
            "attachment": attachment_meta(e), "is_expired": False, "is_abolished": False}


def api_reply(spec: SiteSpec, items: list[Entry], origin: str, page: int) -> bytes:
    size = spec.extra["page_size"]
    page = max(page, 1)
    chosen = items[(page - 1) * size: page * size]
    doc = {"classify": {"id": spec.extra["classify_id"], "name": spec.extra["classify_name"], "parent": 0,
                        "post_count": len(items)},
           "articles": [article_json(spec, e, origin) for e in chosen], "total": len(items)}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def empty_classify_reply(cid: int, name: str) -> bytes:
    return json.dumps({"classify": {"id": cid, "name": name, "parent": 0, "post_count": 0}, "articles": [],
                       "total": 0}, ensure_ascii=False).encode("utf-8")


def attachments_html(e: Entry) -> str:
    out = []
    for a in e.attachments:
        out.append(f'<p><a class="nfw-cms-attachment" href="{escape(a.href)}" alt="{escape(a.name)}">'
                   f"{escape(a.link_text or a.name)}</a></p>")
    return "".join(out)


def article_page(spec: SiteSpec, e: Entry, body_html: str) -> str:
    """``body_html`` (attachment links included) goes into DETAIL.content only."""
    dept = spec.extra["dept"]
    signed = e.extra.get("signed", e.date)
    detail = {"id": e.docid, "title": e.title, "content": body_html, "date": unix(e.date),
              "publisher": e.source, "identifier": identifier(spec, e), "document_number": "",
              "classify_main_name": spec.extra["classify_name"], "attachment": attachment_meta(e)}
    script = config_script(spec, False) + "\nwindow._CONFIG.DETAIL = " + js_json(detail) + ";"
    pairs = article_metas(spec, e, spec.extra["classify_name"], e.source) + [("ArticleId", str(e.docid))]
    rows = [("索引号：", identifier(spec, e), "分类：", spec.extra["classify_name"]),
            ("发布机构：", e.source, "成文日期：", f"{signed:%Y-%m-%d}")]
    table = "".join(f'<tr><td class="td-label">{a}</td><td class="td-value">{escape(b)}</td>'
                    f'<td class="td-label">{c}</td><td class="td-value">{escape(d)}</td></tr>' for a, b, c, d in rows)
    table += f'<tr><td class="td-label">名称：</td><td class="td-value" colspan="3">{escape(e.title)}</td></tr>'
    table += (f'<tr><td class="td-label">文号：</td><td class="td-value"></td><td class="td-label">发布日期：</td>'
              f'<td class="td-value">{e.date:%Y-%m-%d}</td></tr>')
    table += '<tr><td class="td-label">主题词：</td><td class="td-value" colspan="3"></td></tr>'
    return (_head(spec, f"{e.title}-{spec.agency.name}", pairs, script) + "<body>\n" + _top(spec)
            + f'<div class="gkmlpt-crumb">您的位置：<a href="/{dept}/gkmlpt/index">政府信息公开</a> &gt; '
            + f'<a href="/{dept}/gkmlpt/index#{spec.extra["classify_id"]}">{escape(spec.extra["classify_name"])}</a></div>\n'
            + '<div id="app">\n<div class="introduce"><table class="classify">' + table + "</table></div>\n"
            + f'<div class="article"><h1 class="title">{escape(e.title)}</h1>\n'
            + '<div class="article-content" v-html="detail.content"></div>\n'
            + '<div class="article-tools"><a href="javascript:window.print();">打印</a> '
            + '<a href="javascript:window.close();">关闭</a> <span class="share">分享到：</span></div>\n</div>\n</div>\n'
            + '<script src="/gkmlpt/static/js/vendor.js"></script><script src="/gkmlpt/static/js/detail.js"></script>\n'
            + footer(spec) + "\n</body>\n</html>\n")


CHROME = ["您的位置：", "字号：【大】", "索引号：", "成文日期："]
