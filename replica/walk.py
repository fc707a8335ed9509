"""Walk one agency's list pages in-process, the way the ``reports`` spider drives a platform adapter.

Tests of adapters against the replica need the spider's contract without Scrapy: start at the
registry's ``start_url`` with ``meta = {"options": agency.options, "page": 0}``; for every answer,
decode it (``extract.decode``), ask the adapter for ``links`` and ``next_pages``; request each next
page once (method, URL and form: Scrapy's duplicate filter), with ``PageRequest.meta`` merged into
the next request's meta; a failed page is recorded (an ``optional`` one as expected). Nothing here
decides what is a report: callers filter links by title (``extract.identity.classify_title``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from crawler.registry import Agency

from .web import Web


@dataclass
class Fetched:
    method: str
    url: str
    form: tuple[tuple[str, str], ...]
    status: int
    optional: bool = False
    links: list = field(default_factory=list)  # spiders.platforms.base.Link
    pages: list = field(default_factory=list)  # spiders.platforms.base.PageRequest


@dataclass
class Walk:
    agency: Agency
    fetched: list[Fetched] = field(default_factory=list)

    @property
    def links(self) -> list:
        return [l for f in self.fetched for l in f.links]

    def requests(self) -> list[tuple[str, str, tuple]]:
        """(method, path?query, form) of every list request, in the order made."""
        out = []
        for f in self.fetched:
            parts = urlsplit(f.url)
            out.append((f.method, parts.path + (f"?{parts.query}" if parts.query else ""), f.form))
        return out

    def failures(self) -> list[Fetched]:
        return [f for f in self.fetched if f.status != 200]


def fetch(web: Web, method: str, url: str, form: tuple = (), headers: tuple = ()) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    body = urlencode(form).encode("utf-8") if form else b""
    hd = dict(headers)
    if form:
        hd["Content-Type"] = "application/x-www-form-urlencoded"
    status, out, data = web.handle(method, parts.netloc, parts.path + (f"?{parts.query}" if parts.query else ""),
                                   body, hd)
    return status, {k.lower(): v for k, v in out}, data


def walk(web: Web, agency: Agency, adapter=None, limit: int = 200) -> Walk:
    from extract.decode import UndecodableError, decode_html
    from spiders.platforms import platform_for

    adapter = adapter or platform_for(agency.platform)
    result = Walk(agency)
    queue: list[tuple[str, str, tuple, dict, bool]] = [
        ("GET", agency.start_url, (), {"options": dict(agency.options), "page": 0}, False)]
    seen = {("GET", agency.start_url.split("#", 1)[0], ())}
    while queue and len(result.fetched) < limit:
        method, url, form, meta, optional = queue.pop(0)
        status, headers, body = fetch(web, method, url, form)
        f = Fetched(method, url.split("#", 1)[0], tuple(form), status, optional)
        result.fetched.append(f)
        if status != 200:
            continue
        try:
            text = decode_html(body, headers.get("content-type", "")).text
        except UndecodableError:
            continue
        f.links = adapter.links(text, url, meta)
        f.pages = adapter.next_pages(text, url, meta)
        for p in f.pages:
            key = (p.method, p.url.split("#", 1)[0], tuple(p.formdata))
            if key in seen:
                continue
            seen.add(key)
            queue.append((p.method, p.url, tuple(p.formdata),
                          {"options": dict(agency.options), "page": p.page, **p.meta}, p.optional))
    return result
