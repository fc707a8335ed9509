"""The replica's shared vocabulary: what a site is made of (columns, entries, site specs), what the
server answers with (resources, requests, sites), and where each platform puts things (path builders).

It imports nothing of the replica, so that the site specs (``content.py``, ``sites.py``), the page
renderers of each platform and the web that serves them can all lean on it without leaning on each
other.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

from crawler.registry import Agency

if TYPE_CHECKING:
    from .blocks import Block
    from .numbers import Tables

KINDS_NON_REPORT = ("news", "notice", "interpretation", "other_agency_report", "other", "summary")


@dataclass
class Column:
    """A list column on a site: the annual-report column ('own') or another (news, notices …)."""

    key: str
    name: str
    path: str  # TRS: the column directory ('/zwgk/zfxxgk/zfxxgknb/'); Hanweb: '/col/col73643/index.html'
    colid: int
    unitid: str = ""
    page_ext: str = "html"  # TRS list pages: index.html, index_1.html …


@dataclass
class SiteInfo:
    site_name: str
    site_code: str  # 网站标识码
    icp: str
    police: str  # 公安备案号
    sponsor: str  # 主办单位
    source: str  # visible 来源 of the agency's own items
    encoding: str = "utf-8"  # bytes on the wire: 'utf-8' | 'gb18030'
    charset_label: str = "utf-8"  # what header/meta declare
    date_style: str = "iso"  # visible date on article pages: 'iso' | 'cn'
    pager: str = "createPageHTML"  # TRS: 'createPageHTML' | 'countPage'
    per_page: int = 10
    truncate: int | None = None  # list link text cut to this many characters + '…'
    crumb_prefix: str = "当前位置："
    site_id: int = 1
    webid: int = 1  # Hanweb
    webname: str = ""  # Hanweb
    author_meta: str = ""


@dataclass
class Entry:
    """One item of a list: a report, a news story, a notice, or a planted fault."""

    kind: str  # 'report' | news/notice/interpretation/other/other_agency_report | 'not_found' | 'undecodable'
    title: str
    date: datetime  # list date and PubDate
    path: str
    column: str = "own"  # the column whose path the item lives under
    blocks: list[Block] | None = None
    tables: Tables | None = None
    style: str = "clean"
    year: int | None = None
    template: str | None = None
    tables_as_images: bool = False
    quirks: list[str] = field(default_factory=list)
    behaviour: str | None = None  # None | 'transient_500'
    source: str = ""
    images: list[tuple[str, bytes | Callable[[], bytes]]] = field(default_factory=list)  # (absolute path, bytes or their renderer)
    note: str = ""
    docid: int = 0
    listed_in: tuple[str, ...] = ("own",)  # columns whose lists link this item
    # --- used by the platforms added later (trs_fujian, gkmlpt, hanweb_xxgk, anhui, generic)
    attachments: list = field(default_factory=list)  # attachments.Attachment, in page order
    body_mode: str = "html"  # 'html' | 'shell' (a note and the attachment link) | 'viewer' (PDF <iframe>)
    encoding: str | None = None  # bytes of this page when they differ from the site's
    also_at: list[str] = field(default_factory=list)  # other paths serving the same page
    extra: dict = field(default_factory=dict)  # platform data (gkmlpt ids, Anhui module id, list dates …)

    @property
    def is_report(self) -> bool:
        return self.kind == "report"


@dataclass
class SiteSpec:
    agency: Agency
    platform: str
    host: str
    start_path: str
    info: SiteInfo
    column: Column  # the annual-report column
    columns: dict[str, Column]  # every column, 'own' included
    crumbs: list[tuple[str, str]]  # breadcrumb to the annual-report column: (name, path)
    entries: list[Entry] = field(default_factory=list)
    broken_pages: set[int] = field(default_factory=set)  # own-column list page indexes answering 500
    ctx_args: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # platform settings of the later platforms (ids, page sizes …)
    challenge: str | None = None  # '412' | '521': the whole site answers an anti-bot challenge

    def entries_in(self, column_key: str) -> list[Entry]:
        """Items a column's list shows, newest first (ties: higher docid first, as TRS sorts)."""
        items = [e for e in self.entries if column_key in e.listed_in]
        return sorted(items, key=lambda e: (e.date, e.docid), reverse=True)


def host_and_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.path or "/"


def trs_article_path(col_path: str, d: datetime, docid: int, ext: str) -> str:
    """A TRS article under its column directory: ``{col}/YYYYMM/tYYYYMMDD_{docid}.{ext}``."""
    return f"{col_path}{d:%Y%m}/t{d:%Y%m%d}_{docid}.{ext}"


def hanweb_article_path(d: datetime, colid: int, docid: int) -> str:
    """A Hanweb article: ``/art/Y/M/D/art_{colid}_{docid}.html``."""
    return f"/art/{d.year}/{d.month}/{d.day}/art_{colid}_{docid}.html"


CST = timezone(timedelta(hours=8))
SITE_EPOCH = datetime(2024, 6, 1, 9, 0, tzinfo=CST)  # Last-Modified of pages without a date of their own
_RENDER_LOCK = threading.RLock()


class Resource:
    """One answer of the replica: bytes, content type, status, dates, planted behaviour.

    ``body`` may be given as a ``factory`` instead: it is rendered on first use and kept (pages and
    attachments of the larger sites are built lazily, so building the web stays fast)."""

    __slots__ = ("_body", "_factory", "ctype", "status", "last_modified", "behaviour", "headers")

    def __init__(self, body: bytes | None = None, ctype: str = "text/html; charset=utf-8", status: int = 200,
                 last_modified: datetime = SITE_EPOCH, behaviour: str | None = None,
                 factory: Callable[[], bytes] | None = None, headers: tuple[tuple[str, str], ...] = ()):
        if body is None and factory is None:
            raise ValueError("a Resource needs a body or a factory")
        self._body = body
        self._factory = factory
        self.ctype = ctype
        self.status = status
        self.last_modified = last_modified
        self.behaviour = behaviour  # None | 'always_500' | 'transient_500'
        self.headers = tuple(headers)  # extra response headers (Content-Disposition …)

    @property
    def body(self) -> bytes:
        if self._body is None:
            with _RENDER_LOCK:
                if self._body is None:
                    self._body = self._factory()
                    self._factory = None
        return self._body

    @property
    def rendered(self) -> bool:
        return self._body is not None

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'

    def __repr__(self) -> str:
        return f"Resource({self.ctype!r}, status={self.status}, rendered={self.rendered})"


@dataclass
class Req:
    """One request, as dynamic handlers of a site see it."""

    method: str
    host: str  # the Host header as sent (with the port): absolute links in API answers use it
    path: str  # unquoted path
    query: str  # raw query string
    body: bytes
    headers: dict  # lower-case names

    def args(self) -> dict[str, str]:
        """Query and (url-encoded) form fields; the query wins, the last value of a name wins."""
        out: dict[str, str] = {}
        if self.body and "json" not in self.headers.get("content-type", ""):
            try:
                form = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                form = {}
            out.update({k: v[-1] for k, v in form.items()})
        out.update({k: v[-1] for k, v in parse_qs(self.query, keep_blank_values=True).items()})
        return out

    def origin(self) -> str:
        return f"http://{self.host}"


def query_key(path: str, query: str) -> str:
    """``path?query`` with the query's parameters sorted (so that parameter order does not matter)."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return path + ("?" + urlencode(pairs) if pairs else "")


@dataclass
class ProxyColumn:
    """A Hanweb column as its dataproxy.jsp sees it."""

    colid: int
    unitid: str
    items: list[Entry]
    per_page: int
    truncate: int | None


@dataclass
class Site:
    host: str
    spec: SiteSpec
    resources: dict[str, Resource] = field(default_factory=dict)
    proxies: dict[int, ProxyColumn] = field(default_factory=dict)
    # resources addressed by path AND query (download scripts, per-year views): key = query_key(…)
    by_query: dict[str, Resource] = field(default_factory=dict)
    # dynamic endpoints (search APIs …): each returns a Resource, a full (status, headers, body)
    # answer, or None when the request is not its business
    handlers: list[Callable] = field(default_factory=list)
    challenge: object | None = None  # challenge.Challenge: every request answers it


def when(d: datetime) -> datetime:
    return d.replace(tzinfo=CST) if d.tzinfo is None else d





def error_answer(status: int, method: str, text: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """nginx's own error page."""
    body = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{status} {text}</title></head>"
            f"<body><h1>{status} {text}</h1><hr><center>nginx</center></body></html>").encode("utf-8")
    hd = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))), ("Server", "nginx")]
    return status, hd, (b"" if method == "HEAD" else body)


# ---------------------------------------------------------------------------------------------
# where the later platforms put things: used by the site specs (sites.py) and the page renderers


ANHUI_MODULE = "/openness/OpennessAnnualReport/"


def anhui_show_path(rid: int) -> str:
    return f"{ANHUI_MODULE}show/{rid}.html"


def gkmlpt_post_path(dept: str, post_id: int) -> str:
    return f"/{dept}/gkmlpt/content/{post_id // 1000000}/{post_id // 1000}/post_{post_id}.html"


XXGK_VIEW = "/module/xxgk/xxgkAnnualReport.jsp"
XXGK_DOWNLOAD = "/module/download/downfile.jsp"


def xxgk_view_path(area: str, year: int | None = None) -> str:
    return f"{XXGK_VIEW}?area={area}" + (f"&fbtime={year}" if year is not None else "")


def xxgk_download_href(filename: str, showname: str) -> str:
    return f"{XXGK_DOWNLOAD}?classid=0&filename={filename}&showname={quote(showname)}"


VSB_DOWNLOAD = "/system/_content/download.jsp"


def vsb_download_href(owner: int, fileid: int) -> str:
    return f"{VSB_DOWNLOAD}?urltype=news.DownloadAttachUrl&owner={owner}&wbfileid={fileid}"
