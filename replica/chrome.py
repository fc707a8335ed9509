"""Page furniture shared by the replica's platforms: meta blocks, footers, relative links.

Everything a page shows outside the report body is "chrome". ``chrome_strings`` lists the
distinctive pieces so that tests can assert none of them reaches the archive's stored text.
"""
from __future__ import annotations

import posixpath
from datetime import datetime
from html import escape

from .spec import Entry, SiteSpec


def rel(from_path: str, to_path: str) -> str:
    """A relative href from the page at ``from_path`` to ``to_path`` (TRS writes links this way)."""
    start = from_path.rsplit("/", 1)[0] or "/"
    target = to_path.rstrip("/") or "/"
    r = posixpath.relpath(target, start)
    if to_path.endswith("/") and not r.endswith("/"):
        r += "/"
    if not r.startswith("."):
        r = "./" + r
    return r


SECTION_PATH = "/zfxxgk/"  # the 政府信息公开 section of a site whose breadcrumb names none


def home_section(spec: SiteSpec) -> tuple[str, str]:
    """The disclosure section a home page links, which links the 年报 column: the first level of the
    column's breadcrumb (政务公开 / 政府信息公开 …), else a 政府信息公开 page of its own."""
    homes = ("/", "/index.html", "/index.htm")
    return next(((n, p) for n, p in spec.crumbs if p not in homes), ("政府信息公开", SECTION_PATH))


def home_links(spec: SiteSpec) -> list[tuple[str, str]]:
    """What a home page links: the disclosure section (not the 年报 column itself: real sites are
    entered through 政府信息公开), and the site's other columns."""
    return [home_section(spec)] + [(c.name, c.path) for c in spec.columns.values() if c.key != "own"]


def metas(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f'<meta name="{k}" content="{escape(v)}" />' for k, v in pairs)


def site_metas(spec: SiteSpec, column_name: str) -> list[tuple[str, str]]:
    i = spec.info
    return [("SiteName", i.site_name), ("SiteDomain", spec.host), ("SiteIDCode", i.site_code),
            ("ColumnName", column_name), ("ColumnType", column_name),
            ("ColumnDescription", f"{i.site_name}{column_name}"), ("ColumnKeywords", column_name)]


def article_metas(spec: SiteSpec, e: Entry, column_name: str, content_source: str) -> list[tuple[str, str]]:
    return site_metas(spec, column_name) + [
        ("ArticleTitle", e.title), ("PubDate", f"{e.date:%Y-%m-%d %H:%M}"), ("ContentSource", content_source),
        ("Keywords", ""), ("Author", spec.info.author_meta or e.source), ("Description", ""), ("Image", ""),
        ("Url", e.path),
    ]


def attachment_items(attachments) -> str:
    """The ``<li>`` download links of an attachment list (TRS-Fujian and Anhui write the same ones)."""
    return "".join(f'<li><a href="{escape(a.href)}" title="{escape(a.name)}" target="_blank">{escape(a.link_text or a.name)}</a></li>'
                   for a in attachments)


def footer(spec: SiteSpec) -> str:
    i = spec.info
    return (
        '<div class="footer">\n'
        '<div class="footer-links"><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | '
        '<a href="/admin/login.jsp" rel="nofollow">管理登录</a></div>\n'
        f"<p>主办单位：{escape(i.sponsor)}　　网站标识码：{escape(i.site_code)}</p>\n"
        f'<p><a href="https://beian.miit.gov.cn/" target="_blank">{escape(i.icp)}</a>　　'
        f"<span>{escape(i.police)}</span></p>\n"
        '<p><span class="jiucuo"><a href="javascript:void(0)" onclick="jiucuo()">政府网站找错</a></span></p>\n'
        "</div>"
    )


def cn_date(d: datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def date_label(spec: SiteSpec) -> str:
    return "发布日期：" if spec.info.date_style == "cn" else "发布时间："


def chrome_strings(spec: SiteSpec) -> list[str]:
    i = spec.info
    common = [f"主办单位：{i.sponsor}", f"网站标识码：{i.site_code}", i.icp, i.police, "政府网站找错", "网站地图",
              "联系我们", "【字体：大 中 小】", "打印本页", "关闭窗口", date_label(spec)]
    if spec.platform == "trs":
        return common + [i.crumb_prefix, "分享到：", "相关链接", ".TRS_Editor"]
    return common + ["访问次数：", "分享：", "您当前的位置："]
