"""TRS WCM: static list pages index.html, index_1.html, … whose count lives only in inline JS.

Two real dialects: the WCM tag ``createPageHTML(count, index, "index", "html")`` and the
``var countPage = N//共多少页`` / ``var currentPage = 0`` script pair.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

from .base import GenericPlatform, PageRequest

CREATE_PAGE_RE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]")
COUNT_PAGE_RE = re.compile(r"countPage\s*=\s*['\"]?(\d+)")
CURRENT_PAGE_RE = re.compile(r"currentPage\s*=\s*['\"]?(\d+)")


def page_count(text: str) -> tuple[int, int, str | None, str | None] | None:
    """(count, current 0-based index, page name, extension) from the inline pager script."""
    m = CREATE_PAGE_RE.search(text)
    if m:
        return int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    m = COUNT_PAGE_RE.search(text)
    if m:
        cur = CURRENT_PAGE_RE.search(text)
        return int(m.group(1)), int(cur.group(1)) if cur else 0, None, None
    return None


class TRSPlatform(GenericPlatform):
    name = "trs"
    MAX_PAGES = 500

    def next_pages(self, text, url, meta):
        info = page_count(text)
        if info is None:
            return super().next_pages(text, url, meta)
        count, current, name, ext = info
        if current != 0:
            return []  # the first page already scheduled all the others
        path = urlparse(url).path
        last = path.rsplit("/", 1)[-1]
        if name is None:
            stem, _, ext_ = last.partition(".")
            name = re.sub(r"_\d+$", "", stem) or "index"
            ext = ext_ or "html"
        count = min(count, self.MAX_PAGES)
        return [PageRequest(urljoin(url, f"{name}_{k}.{ext}"), page=k) for k in range(1, count)]
