"""What a spider yields: one capture per fetch of a list page, report page or attachment.

A capture keeps everything needed to re-extract later without re-crawling: the bytes, the
response headers, the status, the time, and where the link came from. Failed fetches are captures
too (status or error set, maybe no body), so nothing a crawl met is silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from scrapy.exceptions import IgnoreRequest

KINDS = ("list", "report", "attachment", "discovery")  # discovery: a page read to find the 年报 column


@dataclass
class CaptureItem:
    agency_id: str
    kind: str
    url: str
    method: str = "GET"
    request_body: bytes = b""
    final_url: str | None = None
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    fetched_at: str = ""
    error: str | None = None
    link_title: str | None = None
    link_date: str | None = None
    referer: str | None = None
    page: int | None = None
    not_modified: bool = False  # answered 304; body is the stored copy
    parent_url: str | None = None  # for an attachment: the report page that links it
    # redirects followed from ``url`` to ``final_url``: [{"url": …, "status": 301}, …], [] for none
    redirects: list = field(default_factory=list)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"capture kind must be one of {KINDS}, not {self.kind!r}")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"capture url must be absolute http(s): {self.url!r}")


@dataclass
class LinkItem:
    """A report link seen on a list page in this run: how the archive notices a report that
    vanished from its site (not seen again in a run whose list pages were all read)."""
    agency_id: str
    url: str
    title: str
    date: str | None = None
    list_url: str | None = None
    # a portal's list showing another agency's report (crawler/portals.py): the portal's id, and the
    # agencies row to create when that agency is discovered there
    via_agency_id: str | None = None
    agency: dict | None = None
    # request_key of the list page it was read on (set by crawler/revalidate.py): which links a
    # night that stopped pagination early can call removed
    list_key: str | None = None


@dataclass
class DiscoveryItem:
    """What discovery from a home page found (or why it found nothing), for ``discoveries``."""
    agency_id: str
    home_url: str
    start_url: str | None = None
    platform: str | None = None
    options: dict = field(default_factory=dict)
    confidence: float = 0.0
    evidence: list = field(default_factory=list)
    pages_fetched: int = 0
    reason: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.start_url)


# How a fetch can end without an answer, by our policy. IgnoreRequest subclasses: Scrapy hands them
# to the request's errback (which records them) and logs no traceback for them (robots.txt included).
class FetchRefused(IgnoreRequest):
    """The fetch policy refused a request or a redirect (scheme, address); never retried."""


class RedirectFailed(IgnoreRequest):
    """A redirect loop, or more redirects than ``REDIRECT_MAX_TIMES``; ``chain`` is every URL."""

    def __init__(self, message: str, chain: list[str]):
        super().__init__(message)
        self.chain = chain


class OverBudget(IgnoreRequest):
    """The agency's time budget was used up before this request could start; not a site failure of
    the request itself, so it is counted on the agency, not kept as a capture."""
