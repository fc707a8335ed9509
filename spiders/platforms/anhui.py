"""Anhui 政务公开平台: unit catalogues and the annual-report module.

* A unit's column ``/public/column/{unitId}?type=4&catId={catId}&action=list``: static rows
  ``<li><a href="/public/{unitId}/{docId}.html" title>…</a><span class="date">…</span></li>``
  (newer reports may link the module's ``/openness/OpennessAnnualReport/show/{id}.html`` instead);
* the module's list ``/openness/OpennessAnnualReport/`` (``index.html?page=N``): a table of every
  department's reports (发布单位, 年度, 标题, 发布日期) — titles decide which are the agency's.

Both page the same way: a pager of page links with ``共N条 共M页``. From the first page the adapter
schedules pages 2..M by rewriting the ``page`` parameter of a pager link (or of the current URL when
the pager has none); without a page count it follows 下一页.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

from .base import GenericPlatform, Link, PageRequest, _anchor, anchors

PAGES_RE = re.compile(r"共\s*(\d+)\s*页")
ROWS = ("//ul[contains(@class,'xxgk_nav_list')]//a[@href] | "
        "//table[contains(@class,'nb_table')]//a[@href]")


def _page_of(url: str) -> int:
    for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if k == "page" and v.isdigit():
            return int(v)
    return 1


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == "page" for k, _ in pairs):
        pairs = [(k, str(page) if k == "page" else v) for k, v in pairs]
    else:
        pairs.append(("page", str(page)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs, safe="/"), ""))


class AnhuiPlatform(GenericPlatform):
    name = "anhui"

    def links(self, text, url, meta):
        sel = Selector(text=text)
        rows = sel.xpath(ROWS)
        if not rows:
            return anchors(sel, url)
        # only the list's own rows (navigation and footer links are not candidates)
        out: list[Link] = []
        for a in rows:
            link = _anchor(a, url)
            if link is not None:
                out.append(link)
        return out

    def next_pages(self, text, url, meta):
        if _page_of(url) > 1:
            return []  # the first page scheduled them all
        m = PAGES_RE.search(text)
        if not m:
            return super().next_pages(text, url, meta)
        pages = int(m.group(1))
        sel = Selector(text=text)
        template = None
        for a in sel.xpath("//div[contains(@class,'pagination')]//a[@href]"):
            href = a.attrib["href"].strip()
            if "page=" in href:
                template = urljoin(url, href)
                break
        template = template or url
        return [PageRequest(_with_page(template, k), page=k) for k in range(2, pages + 1)]


__all__ = ["AnhuiPlatform", "Link"]
