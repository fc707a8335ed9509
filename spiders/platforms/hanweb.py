"""Hanweb (大汉) JCMS: the first page of a column is embedded as XML in the HTML; later pages come
from ``/module/web/jpage/dataproxy.jsp`` as a POST whose reply is XML with CDATA records.
"""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urljoin, urlparse

from parsel import Selector

from .base import Link, PageRequest, Platform, anchors

RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
NEXTGROUP_RE = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S)
TOTAL_RE = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
PERPAGE_RE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)", re.I)
FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid",
             "webname", "permissiontype")
GROUP = 3  # records come in groups of three pages, as on real sites


class HanwebPlatform(Platform):
    name = "hanweb"

    def links(self, text, url, meta):
        records = RECORD_RE.findall(text)
        if not records:
            return anchors(Selector(text=text), url)
        out: list[Link] = []
        for rec in records:
            out.extend(anchors(Selector(text=rec), url))
        return out

    def next_pages(self, text, url, meta):
        if meta.get("hanweb_proxy"):
            return []  # every group was scheduled from the column page
        ng = NEXTGROUP_RE.search(text)
        total_m = TOTAL_RE.search(text)
        if not ng or not total_m:
            return []
        href = Selector(text=ng.group(1)).xpath("//a/@href").get()
        if not href:
            return []
        proxy = urlparse(urljoin(url, html.unescape(href)))
        params = dict(parse_qsl(proxy.query))
        form = {"col": "1", "appid": params.get("appid", "1"), "webid": params.get("webid", ""),
                "path": params.get("path", "/"), "columnid": params.get("columnid", ""),
                "sourceContentType": "1", "unitid": params.get("unitid", ""),
                "webname": params.get("webname", ""), "permissiontype": params.get("permissiontype", "0")}
        total = int(total_m.group(1) or total_m.group(2))
        per_page = int(PERPAGE_RE.search(text).group(1)) if PERPAGE_RE.search(text) else 15
        embedded = len(RECORD_RE.findall(text)) or per_page
        base = f"{proxy.scheme}://{proxy.netloc}{proxy.path}"
        out = []
        start = embedded + 1
        page = 1
        while start <= total:
            end = min(total, start + GROUP * per_page - 1)
            out.append(PageRequest(
                f"{base}?startrecord={start}&endrecord={end}&perpage={per_page}", method="POST",
                formdata=tuple((k, form[k]) for k in FORM_KEYS), page=page))
            start = end + 1
            page += 1
        return out
