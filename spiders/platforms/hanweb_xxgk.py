"""Hanweb 信息公开目录 annual-report view: ``/module/xxgk/xxgkAnnualReport.jsp?area={org}&fbtime={year}``.

One page per year, nothing links the years reliably (a year selector in script on some sites), so
the adapter generates them: from the registry entry's ``start_url`` (the view without the year) it
schedules one request per year from ``options.first_year`` (default 2008, the year the 条例 took
effect) to the current year, with ``options.area`` (default: the start URL's ``area``) and
``options.year_param`` (default ``fbtime``). Years the page's own year tabs link before
``first_year`` are added too.

A year's view either lists the year's report articles (``<a href="/art/…" title>`` rows with a
date), or prints the report itself (title in ``.nb_title``, date in ``.nb_info``, body in
``#zoom``): that report is returned as a ``Link`` to the view's own URL with ``inline=True``, to be
captured from the response in hand, not fetched again.
"""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

from .base import Link, PageRequest, Platform, anchors, clean, iso_date, log, options_of

DEFAULT_FIRST_YEAR = 2008
INLINE_TITLE = "//*[contains(concat(' ', normalize-space(@class), ' '), ' nb_title ')]"
INLINE_INFO = "//*[contains(concat(' ', normalize-space(@class), ' '), ' nb_info ')]"
LIST_ROWS = "//table[contains(concat(' ', normalize-space(@class), ' '), ' nb_list ')]//a[@href]"
KNOWN_VIEW = ("//*[contains(concat(' ', normalize-space(@class), ' '), ' xxgk_nb ') or "
              "contains(concat(' ', normalize-space(@class), ' '), ' nb_empty ')]")
YEAR_LINK_RE = re.compile(r"(?:fbtime|year)=(\d{4})")


class HanwebXxgkPlatform(Platform):
    name = "hanweb_xxgk"

    def links(self, text, url, meta):
        sel = Selector(text=text)
        out: list[Link] = []
        title = clean(sel.xpath(f"string({INLINE_TITLE})").get())
        if title and sel.xpath("//*[@id='zoom']"):
            info = clean(sel.xpath(f"string({INLINE_INFO})").get())
            out.append(Link(url.split("#", 1)[0], title, iso_date(info), inline=True))
        rows = sel.xpath(LIST_ROWS)
        if rows:
            for a in rows:
                row = a.xpath("ancestor::tr[1]")
                href = a.attrib["href"].strip()
                t = clean(a.attrib.get("title")) or clean("".join(a.xpath(".//text()").getall()))
                if not href or href.startswith("javascript:") or not t:
                    continue
                d = iso_date(clean(" ".join(row[0].xpath(".//text()").getall()))) if row else None
                out.append(Link(urljoin(url, href), t, d))
            return out
        if out or sel.xpath(KNOWN_VIEW):
            return out  # the view as we know it: an empty year lists nothing
        # an unknown layout: every link (titles decide what is a report)
        return [l for l in anchors(sel, url) if not YEAR_LINK_RE.search(l.url)]

    def next_pages(self, text, url, meta):
        opts = options_of(meta)
        param = str(opts.get("year_param") or "fbtime")
        parts = urlsplit(url)
        q = parse_qs(parts.query, keep_blank_values=True)
        if q.get(param, [""])[0]:
            return []  # a year's view: the start page scheduled every year
        area = str(opts.get("area") or q.get("area", [""])[0])
        if not area:
            log.warning("hanweb_xxgk: no area (options.area or ?area= on %s): cannot ask for years", url)
            return []
        try:
            first = int(opts.get("first_year") or DEFAULT_FIRST_YEAR)
        except (TypeError, ValueError):
            log.warning("hanweb_xxgk: options.first_year %r is not a year; using %d", opts.get("first_year"),
                        DEFAULT_FIRST_YEAR)
            first = DEFAULT_FIRST_YEAR
        last = date.today().year
        years = set(range(first, last + 1))
        for m in YEAR_LINK_RE.finditer(text):  # the page's own year tabs, if older
            y = int(m.group(1))
            if 1990 < y <= last:
                years.add(y)
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        # ``list_year``: which year the view holds, for the nightly policy (crawler/revalidate.py):
        # a past year's view, listing nothing new, waits for the agency's full-list night
        return [PageRequest(f"{base}?{urlencode([('area', area), (param, str(y))])}", page=k,
                            meta={"list_year": y})
                for k, y in enumerate(sorted(years), start=1)]
