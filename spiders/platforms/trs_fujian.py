"""TRS in the Fujian 集约化 template ("动静结合"): a static first page, later pages from a JSON API.

The first list page (``index.htm``) is static: ten rows of ``<dl><dd><a title></a></dd><dd>date</dd>
</dl>`` in avalon ``ms-*`` markup. Everything after it comes from the site's TRS search service,
configured in an inline script::

    require(["list2.trsapi", "tools"], function(listModel, tools) { listModel({
        quickMode: "动静结合", maxStaticIndex: 1,
        listArgs: {channelid: SiteInfo.searchId, classsql: "" || "chnlid=1813",
                   sortfield: "-docorderpri,-docreltime"},
        pagebar: {prepage: 10, recordCount: '20', …}});});

The service is a POST to ``/fjdzapp/search`` (registry option ``search_api`` overrides) with the
form ``channelid, sortfield, classsql, prepage, page``; it answers JSON ``{page, pageCount, total,
data: [{doctitle, chnldocurl, docpuburl, docreltime, …}]}``.

The static page can be stale (generated before the newest item), so the adapter asks the API for
page 1 too, and trusts the API's ``pageCount`` over the static ``recordCount``: from the static page
it schedules API pages 1..⌈recordCount/prepage⌉, and the answer to API page 1 schedules any pages
beyond those. The form travels in ``PageRequest.meta['trs_api']`` (a POST's response URL does not
carry it). Without that meta (or with malformed JSON) API answers schedule nothing more, and say so
in the log.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin

from parsel import Selector

from .base import Link, PageRequest, clean, iso_date, log, options_of
from .trs import TRSPlatform

SEARCH_API = "/fjdzapp/search"
LIST_MODEL_RE = re.compile(r"list2\.trsapi")
LIST_ARGS_RE = re.compile(r"listArgs\s*:\s*\{(.*?)\}", re.S)
CHANNEL_RE = re.compile(r"channelid\s*:\s*([^,\n}]+)")
CLASSSQL_RE = re.compile(r"classsql\s*:\s*([^\n]+?)\s*,?\s*(?:\n|$)")
SORT_RE = re.compile(r"sortfield\s*:\s*['\"]([^'\"]*)['\"]")
PREPAGE_RE = re.compile(r"prepage\s*:\s*['\"]?(\d+)")
RECORDS_RE = re.compile(r"recordCount\s*:\s*['\"]?(\d+)")
SEARCH_ID_RE = re.compile(r"searchId\s*:\s*['\"]?(\d+)")
STRING_RE = re.compile(r"'([^']*)'|\"([^\"]*)\"")
CST = timezone(timedelta(hours=8))
JSON_HEADERS = (("X-Requested-With", "XMLHttpRequest"), ("Accept", "application/json, text/javascript, */*; q=0.01"))


def parse_json(text: str, url: str):
    """The API answer as a dict, None when the page is not JSON; {} (logged) when it is broken."""
    head = text.lstrip()[:1]
    if head not in ("{", "["):
        return None
    try:
        data = json.loads(text)
    except ValueError as e:
        log.warning("trs_fujian: malformed JSON from %s: %s", url, e)
        return {}
    if not isinstance(data, dict):
        log.warning("trs_fujian: unexpected JSON (%s) from %s", type(data).__name__, url)
        return {}
    return data


def list_config(text: str) -> dict | None:
    """channelid / classsql / sortfield / prepage / recordCount of the list2.trsapi bootstrap."""
    if not LIST_MODEL_RE.search(text):
        return None
    m = LIST_ARGS_RE.search(text)
    if not m:
        return None
    args = m.group(1)
    ch = CHANNEL_RE.search(args)
    channel = ch.group(1).strip().strip("'\"") if ch else ""
    if not channel.isdigit():  # SiteInfo.searchId, or another expression naming it
        sid = SEARCH_ID_RE.search(text)
        channel = sid.group(1) if sid else ""
    classsql = ""
    cs = CLASSSQL_RE.search(args)
    if cs:  # a JS expression such as `"" || "chnlid=1813"`: the first non-empty string literal
        for a, b in STRING_RE.findall(cs.group(1)):
            if a or b:
                classsql = a or b
                break
    sort = SORT_RE.search(args)
    prepage = PREPAGE_RE.search(text)
    records = RECORDS_RE.search(text)
    if not channel:
        return None
    return {"channelid": channel, "classsql": classsql, "sortfield": sort.group(1) if sort else "",
            "prepage": int(prepage.group(1)) if prepage else 10,
            "recordCount": int(records.group(1)) if records else None}


def _date(value) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):  # epoch (ms or s)
        ts = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(ts, CST).strftime("%Y-%m-%d")
    return iso_date(str(value))


class TRSFujianPlatform(TRSPlatform):
    name = "trs_fujian"

    # -- links -------------------------------------------------------------------------------
    def links(self, text, url, meta):
        data = parse_json(text, url)
        if data is not None:
            return self._api_links(data, url)
        sel = Selector(text=text)
        out: list[Link] = []
        seen: set[str] = set()
        for link in super().links(text, url, meta):
            seen.add(link.url)
            out.append(link)
        # rows are <dl><dd><a/></dd><dd>date</dd></dl>: the date is in the sibling <dd>
        dated = {}
        for a in sel.xpath("//dl[dd]//a[@href]"):
            row = a.xpath("ancestor::dl[1]")
            href = (a.attrib.get("href") or "").strip()
            if row and href:
                dated[urljoin(url, href)] = iso_date(clean(" ".join(row[0].xpath(".//text()").getall())))
        return [Link(l.url, l.title, dated.get(l.url) or l.date) for l in out]

    def _api_links(self, data: dict, url: str) -> list[Link]:
        rows = data.get("data")
        if rows is None:
            rows = data.get("docs")
        if not isinstance(rows, list):
            if data:
                log.warning("trs_fujian: API answer from %s has no data list (keys: %s)", url, ", ".join(data)[:200])
            return []
        out = []
        for r in rows:
            if not isinstance(r, dict):
                continue
            href = r.get("chnldocurl") or r.get("docpuburl") or r.get("url")
            title = clean(Selector(text=f"<p>{r.get('doctitle') or r.get('title') or ''}</p>").xpath("string(//p)").get())
            if not href or not title:
                continue
            out.append(Link(urljoin(url, href), title, _date(r.get("docreltime") or r.get("docpubtime"))))
        return out

    # -- next pages ----------------------------------------------------------------------------
    def next_pages(self, text, url, meta):
        data = parse_json(text, url)
        if data is not None:
            return self._after_api_page(data, url, meta)
        cfg = list_config(text)
        if cfg is None:
            return super().next_pages(text, url, meta)  # a plain TRS page (createPageHTML)
        api = urljoin(url, options_of(meta).get("search_api") or SEARCH_API)
        form = (("channelid", cfg["channelid"]), ("sortfield", cfg["sortfield"]), ("classsql", cfg["classsql"]),
                ("prepage", str(cfg["prepage"])))
        estimate = max(1, math.ceil((cfg["recordCount"] or 0) / cfg["prepage"]))
        state = {"api": api, "form": form, "scheduled": estimate}
        return [self._api_request(api, form, k, state) for k in range(1, estimate + 1)]

    @staticmethod
    def _api_request(api: str, form, page: int, state: dict) -> PageRequest:
        return PageRequest(api, method="POST", formdata=(*form, ("page", str(page))), page=page,
                           headers=JSON_HEADERS, meta={"trs_api": state})

    def _after_api_page(self, data: dict, url: str, meta: dict) -> list[PageRequest]:
        state = (meta or {}).get("trs_api")
        try:
            page = int(data.get("page") or (meta or {}).get("page") or 0)
            count = int(data.get("pageCount") or 0)
        except (TypeError, ValueError):
            log.warning("trs_fujian: API answer from %s has no usable page/pageCount", url)
            return []
        if page != 1 or not count:
            return []
        if not state:
            log.warning("trs_fujian: API page 1 says %d pages, but the request's form is unknown (no "
                        "meta['trs_api']): pages beyond the static estimate are not scheduled", count)
            return []
        done = int(state.get("scheduled", 1))
        if count <= done:
            return []
        new_state = {**state, "scheduled": count}
        return [self._api_request(state["api"], tuple(map(tuple, state["form"])), k, new_state)
                for k in range(done + 1, count + 1)]
