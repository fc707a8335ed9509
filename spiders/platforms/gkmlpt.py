"""Guangdong gkmlpt (政府信息公开目录管理平台): a Vue application fed by a JSON API.

* Entry ``/{dept}/gkmlpt/index``: no links, only ``window._CONFIG = {SID:'…', TREE:[…]}``. The
  adapter picks the annual-report classify: registry option ``classify_id`` (an id or a list), else
  the URL's hash (``index#3094``), else every TREE node named like 年报 / 年度报告, and asks the API
  for page 1: ``/{dept}/gkmlpt/api/all/{classify_id}?page=1&sid={SID}``.
* API answer: JSON ``{classify:{id,name,post_count}, articles:[{id,title,date(unix),url,post_url,
  attachment:[…]}], total}``. Links come from ``articles`` (``url``, else ``post_url``, else built from ``id`` by
  :func:`article_url` as the front end does; ``date`` is a
  Unix time, read in China time). The answer to page 1 schedules pages 2..⌈total/len(articles)⌉.
  Those requests are ``optional``: some sites serve page 1 only and answer 404 for page ≥ 2, and
  that 404 means "no more pages here", not a broken site (what page 1 listed is all one can get).
* Article pages keep the body JSON-escaped in ``window._CONFIG.DETAIL``; :func:`detail` decodes it,
  and :meth:`GkmlptPlatform.attachments` reads the ``nfw-cms-attachment`` links inside it and the
  ``DETAIL.attachment`` list.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urljoin, urlsplit

from .base import Link, PageRequest, Platform, attachment_links, clean, log, options_of

CST = timezone(timedelta(hours=8))
SID_RE = re.compile(r"SID\s*:\s*['\"]?(\w+)['\"]?")
TREE_RE = re.compile(r"TREE\s*:\s*\[")
NODE_RE = re.compile(r"""['"]?id['"]?\s*:\s*['"]?(\d+)['"]?\s*,\s*['"]?name['"]?\s*:\s*['"]([^'"]+)['"]""")
DETAIL_RE = re.compile(r"_CONFIG\.DETAIL\s*=\s*")
REPORT_CLASSIFY_RE = re.compile(r"年报|年度报告")
JSON_HEADERS = (("X-Requested-With", "XMLHttpRequest"), ("Accept", "application/json, text/plain, */*"))


_SPECIAL = re.compile(r"[\\'\"\[\]{}]")


def _balanced(text: str, start: int, open_ch: str, close_ch: str) -> str | None:
    """The bracketed JS/JSON value starting at ``text[start] == open_ch`` (strings respected).
    Jumps from one quote, bracket or backslash to the next (a report page's DETAIL holds the whole
    report: a character-by-character loop cost ~70 ms a page on the crawl's one thread)."""
    depth, quote, skip = 0, None, -1
    for m in _SPECIAL.finditer(text, start):
        i = m.start()
        if i < skip:
            continue  # the character after a backslash in a string
        ch = text[i]
        if quote:
            if ch == "\\":
                skip = i + 2
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == open_ch:
            depth += 1
        elif ch == close_ch:
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return None


def config(text: str) -> tuple[str | None, list[dict]]:
    """(SID, flattened TREE nodes [{id, name}]) from an index page's ``window._CONFIG``."""
    sid_m = SID_RE.search(text)
    nodes: list[dict] = []
    m = TREE_RE.search(text)
    if m:
        raw = _balanced(text, m.end() - 1, "[", "]")
        tree = None
        if raw:
            try:
                tree = json.loads(raw)
            except ValueError:
                tree = None
        if isinstance(tree, list):
            def walk(ns):
                for n in ns:
                    if isinstance(n, dict) and "id" in n:
                        nodes.append({"id": int(n["id"]), "name": str(n.get("name", ""))})
                        walk(n.get("children") or [])
            walk(tree)
        elif raw:  # a JS literal that is not JSON: read id/name pairs
            nodes = [{"id": int(i), "name": n} for i, n in NODE_RE.findall(raw)]
    return (sid_m.group(1) if sid_m else None), nodes


_JSON = json.JSONDecoder()


def detail(text: str) -> dict | None:
    """``window._CONFIG.DETAIL`` of an article page, decoded (its ``content`` is the body HTML)."""
    m = DETAIL_RE.search(text)
    if not m:
        return None
    start = text.find("{", m.end())
    if start < 0:
        return None
    try:  # JSON as it stands, by the C decoder: the bracket walk below costs ~2 ms a report page
        data, _ = _JSON.raw_decode(text, start)
        return data if isinstance(data, dict) else None
    except ValueError:
        pass  # a JS literal, or broken: delimited by the walk, and said why
    raw = _balanced(text, start, "{", "}")
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError as e:
        log.warning("gkmlpt: DETAIL is not JSON: %s", e)
        return None
    return data if isinstance(data, dict) else None


def api_url(page_url: str, classify_id: int | str, page: int, sid: str) -> str:
    """The list API next to a gkmlpt page (``…/{dept}/gkmlpt/…``)."""
    parts = urlsplit(page_url)
    path = parts.path
    k = path.find("/gkmlpt/")
    prefix = path[:k] if k >= 0 else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}/gkmlpt/api/all/{classify_id}?page={page}&sid={sid}"


def article_url(page_url: str, post_id) -> str | None:
    """An article's page built from its id, as the gkmlpt front end does when ``url`` is empty:
    ``…/{dept}/gkmlpt/content/{id // 1000000}/{id // 1000}/post_{id}.html`` beside the API."""
    try:
        pid = int(str(post_id).strip())
    except (TypeError, ValueError):
        return None
    if pid <= 0:
        return None
    parts = urlsplit(page_url)
    k = parts.path.find("/gkmlpt/")
    prefix = parts.path[:k] if k >= 0 else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}/gkmlpt/content/{pid // 1000000}/{pid // 1000}/post_{pid}.html"


def _date(ts) -> str | None:
    try:
        return datetime.fromtimestamp(int(ts), CST).strftime("%Y-%m-%d")
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _json(text: str, url: str):
    if text.lstrip()[:1] != "{":
        return None
    try:
        data = json.loads(text)
    except ValueError as e:
        log.warning("gkmlpt: malformed JSON from %s: %s", url, e)
        return {}
    return data if isinstance(data, dict) else {}


class GkmlptPlatform(Platform):
    name = "gkmlpt"

    def links(self, text, url, meta):
        data = _json(text, url)
        if data is None:
            return []  # the index shell and other pages of the app carry no list
        arts = data.get("articles")
        if not isinstance(arts, list):
            if data:
                log.warning("gkmlpt: API answer from %s has no articles list (keys: %s)", url, ", ".join(data)[:200])
            return []
        out = []
        for a in arts:
            if not isinstance(a, dict):
                continue
            href = a.get("url") or a.get("post_url") or article_url(url, a.get("id"))
            title = clean(a.get("title"))
            if href and title:
                out.append(Link(urljoin(url, href), title, _date(a.get("date") or a.get("created_at"))))
        return out

    def next_pages(self, text, url, meta):
        data = _json(text, url)
        if data is not None:
            return self._more_pages(data, url)
        sid, nodes = config(text)
        if not sid:
            if "gkmlpt" in url:
                log.warning("gkmlpt: no window._CONFIG SID on %s: nothing to list", url)
            return []
        wanted = self._classifies(url, meta, nodes)
        if not wanted:
            log.warning("gkmlpt: no annual-report classify on %s (TREE has %d nodes; set options.classify_id)",
                        url, len(nodes))
        return [PageRequest(api_url(url, c, 1, sid), page=1, headers=JSON_HEADERS) for c in wanted]

    @staticmethod
    def _classifies(url: str, meta: dict, nodes: list[dict]) -> list[int]:
        opt = options_of(meta).get("classify_id")
        if opt not in (None, ""):
            return [int(x) for x in (opt if isinstance(opt, list) else [opt])]
        frag = urlsplit(url).fragment
        if frag.isdigit():
            return [int(frag)]
        return [n["id"] for n in nodes if REPORT_CLASSIFY_RE.search(n["name"])]

    @staticmethod
    def _more_pages(data: dict, url: str) -> list[PageRequest]:
        q = parse_qs(urlsplit(url).query)
        try:
            page = int(q.get("page", ["1"])[0])
        except ValueError:
            page = 1
        if page > 1 or not data:
            return []
        arts = data.get("articles") or []
        classify = data.get("classify") if isinstance(data.get("classify"), dict) else {}
        total = data.get("total") or classify.get("post_count") or 0
        try:
            total = int(total)
        except (TypeError, ValueError):
            return []
        size = len(arts) if isinstance(arts, list) else 0
        if not size or total <= size:
            return []
        sid = q.get("sid", [""])[0]
        cid = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        pages = math.ceil(total / size)
        return [PageRequest(api_url(url, cid, k, sid), page=k, optional=True, headers=JSON_HEADERS)
                for k in range(2, pages + 1)]

    def attachments(self, text, url, meta):
        d = detail(text)
        if d is None:
            return attachment_links(text, url)
        out = attachment_links(str(d.get("content") or ""), url)
        seen = {l.url for l in out}
        for a in d.get("attachment") or []:
            if isinstance(a, dict) and a.get("url"):
                u = urljoin(url, a["url"])
                if u not in seen:
                    seen.add(u)
                    out.append(Link(u, clean(a.get("name")) or u.rsplit("/", 1)[-1]))
        for l in attachment_links(text, url):  # links in the markup, if the page has any
            if l.url not in seen:
                seen.add(l.url)
                out.append(l)
        return out
