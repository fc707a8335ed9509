"""What the replica web planted, so that tests of the whole pipeline can compare against it.

The generator builds every page from the same specs that produce these records (see ``web.py``), so
the truth cannot drift from the pages. Text fields are the text a careful extractor should end up
with: ``paragraphs`` and ``headings`` are each block's text content with leading/trailing whitespace
(including U+3000 and U+00A0 padding) stripped and nothing else changed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


def _url(host: str, port: int, path: str) -> str:
    return f"http://{host}:{port}{path}"


class _Located:
    """A planted item at ``path`` on ``host``: its URL on a replica server listening on ``port``."""

    host: str
    path: str

    def url(self, port: int) -> str:
        return _url(self.host, port, self.path)


class PlantedAttachment(NamedTuple):
    """A document linked from a report page: where it is served and what it holds.

    ``role``: 'full_text' (the whole report, the page being a shell or a twin of it), 'tables' (the
    statistical tables only) or 'appendix' (something attached to a report whose text is on the page).
    """

    host: str
    path: str  # path (and query, for download scripts) on ``host``
    format: str  # 'pdf' | 'docx' | 'doc' | 'wps' | 'xls' | 'xlsx'
    role: str  # 'full_text' | 'tables' | 'appendix'


@dataclass
class PlantedReport(_Located):
    """One annual report of the listing agency, as published on its replica site."""

    agency_id: str
    year: int  # the report year (published in year + 1, or later when re-stamped)
    title: str  # exact title (ArticleTitle meta, list link title attribute)
    host: str
    path: str
    published: str  # 'YYYY-MM-DD' shown on the page (a re-stamped report shows its new date)
    template: str  # 'pre2019' | '2019' | '2021'
    headings: list[str]  # standalone section / sub-section heading blocks, in order
    paragraphs: list[str]  # every other text block of the body (headings and tables excluded)
    tables: dict | None  # canonical {table: {row: {col: value}}}; None if no tables as HTML
    tables_as_images: bool = False
    encoding: str = "utf-8"  # 'utf-8' | 'gb18030' (the bytes on the wire)
    reachable: bool = True  # False only when the only list page linking it is broken
    quirks: list[str] = field(default_factory=list)  # known oddities a parser must not "fix"
    platform: str = "trs"  # the site's platform (registry name)
    attachments: list[PlantedAttachment] = field(default_factory=list)
    # where the text above is: 'page' (the report page's body) or 'attachment' (the page is a shell
    # around, or a PDF viewer of, the attachment whose role is 'full_text'; its text is that file's)
    text_source: str = "page"
    # where the body sits on the page, for tests that read pages independently of the extractor: an
    # XPath of the body element, or 'json:DETAIL.content' (gkmlpt: HTML inside window._CONFIG.DETAIL)
    container: str = "//div[@class='TRS_Editor']"
    also_at: list[str] = field(default_factory=list)  # other paths on ``host`` serving the same report


@dataclass
class PortalReport(PlantedReport):
    """A report of ANOTHER agency that a portal's list shows (a county portal lists its departments'
    and townships'): ``agency_id`` is the listing portal's; the report belongs to ``owner``, the
    agency the title names, whose 行政区划代码 and level are written here by hand. ``own_at`` is the
    URL of the same report on the owner's own site, when the replica serves one (same content).
    ``reachable``: linked from a list some registry entry crawls (全椒县's module, served on the site of
    全椒县民政局's catalogue, is the column of the county portal's own entry: ``web.build_web``)."""

    owner: str = ""
    division_code: str = ""
    level: str = ""
    own_at: tuple[str, str] | None = None  # (host, path)

    def own_url(self, port: int) -> str | None:
        return _url(self.own_at[0], port, self.own_at[1]) if self.own_at else None


@dataclass
class NonReport(_Located):
    """A list item that is NOT an annual report of the listing agency."""

    agency_id: str
    host: str
    path: str
    title: str
    # 'news' | 'notice' | 'interpretation' | 'other_agency_report' | 'other' | 'summary' (a portal's
    # 汇总 report of many agencies: a 年度报告 title, but not the listing agency's own report)
    kind: str


@dataclass
class BadInput(_Located):
    """A planted fault: the page answers, but not with a usable report (or not at first)."""

    agency_id: str
    host: str
    path: str
    # '404' (dead list link, or a list/API page answering 404) | '500' (list page always 500) |
    # 'undecodable' | 'transient_500'
    kind: str
    note: str


@dataclass
class Blocked:
    """An agency whose whole site answers an anti-bot challenge instead of content (every path,
    robots.txt included): nothing of it can be archived by a plain HTTP client."""

    agency_id: str
    host: str
    kind: str  # '412' (瑞数 Botgate: inline $_ts script) | '521' (加速乐: cookie script + reload)
    note: str

    def url(self, port: int, path: str = "/") -> str:
        return _url(self.host, port, path)


@dataclass
class Placeholder:
    """An attachment whose bytes are an honest stand-in, not a document: DOC and WPS files are OLE
    compound files (D0 CF 11 E0 …) holding a note instead of a Word binary (the project has no
    writer for those formats); reading them needs a converter (LibreOffice, antiword), and a reader
    must report them as unreadable rather than invent text."""

    host: str
    path: str
    format: str
    note: str


@dataclass
class Truth:
    reports: list[PlantedReport] = field(default_factory=list)
    non_reports: list[NonReport] = field(default_factory=list)
    bad: list[BadInput] = field(default_factory=list)
    chrome: list[str] = field(default_factory=list)  # strings on pages outside the report body
    blocked: list[Blocked] = field(default_factory=list)  # agencies behind an anti-bot challenge
    placeholders: list[Placeholder] = field(default_factory=list)  # attachments with stand-in bytes
    # per agency of the later platforms: every list request a crawler of the site must make, as
    # (method, path?query, form fields) — static pages, API pages, per-year views — in page order
    list_pages: dict[str, list[tuple[str, str, tuple[tuple[str, str], ...]]]] = field(default_factory=dict)
    # reports of other agencies on a portal's list (each also a NonReport of the listing agency)
    portal_reports: list[PortalReport] = field(default_factory=list)

    @staticmethod
    def url(item, port: int) -> str:
        return _url(item.host, port, item.path)

    def reachable_reports(self) -> list[PlantedReport]:
        return [r for r in self.reports if r.reachable]

    def portal_report(self, e, agency_id: str, host: str, platform: str, container: str, encoding: str,
                      reachable: bool) -> None:
        """Record a planted entry that is another agency's report (``e.extra['owner']``) as such."""
        from .blocks import truth_text

        owner, code, level = e.extra["owner"]
        headings, paragraphs = truth_text(e.blocks or [])
        self.portal_reports.append(PortalReport(
            agency_id=agency_id, year=e.year, title=e.title, host=host, path=e.path, published=f"{e.date:%Y-%m-%d}",
            template=e.template, headings=headings, paragraphs=paragraphs,
            tables=e.tables.values() if e.tables is not None else None, encoding=encoding, reachable=reachable,
            platform=platform, container=container, owner=owner, division_code=code, level=level,
            own_at=e.extra.get("own_at")))

    def reports_of(self, agency_id: str) -> list[PlantedReport]:
        return [r for r in self.reports if r.agency_id == agency_id]

    def bad_of_kind(self, kind: str) -> list[BadInput]:
        return [b for b in self.bad if b.kind == kind]

    def blocked_ids(self) -> set[str]:
        return {b.agency_id for b in self.blocked}

    def attachments(self) -> list[tuple[PlantedReport, PlantedAttachment]]:
        return [(r, a) for r in self.reports for a in r.attachments]

    def counts(self) -> dict:
        """Per agency: reports, reachable reports, non-report items, bad inputs."""
        out: dict[str, dict[str, int]] = {}
        for r in self.reports:
            c = out.setdefault(r.agency_id, {"reports": 0, "reachable": 0, "non_reports": 0, "bad": 0})
            c["reports"] += 1
            c["reachable"] += r.reachable
        for n in self.non_reports:
            out.setdefault(n.agency_id, {"reports": 0, "reachable": 0, "non_reports": 0, "bad": 0})["non_reports"] += 1
        for b in self.bad:
            out.setdefault(b.agency_id, {"reports": 0, "reachable": 0, "non_reports": 0, "bad": 0})["bad"] += 1
        return out
