"""What the replica web planted, so that tests of the whole pipeline can compare against it.

The generator builds every page from the same specs that produce these records (see ``web.py``), so
the truth cannot drift from the pages. Text fields are the text a careful extractor should end up
with: ``paragraphs`` and ``headings`` are each block's text content with leading/trailing whitespace
(including U+3000 and U+00A0 padding) stripped and nothing else changed.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PlantedReport:
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

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}{self.path}"


@dataclass
class NonReport:
    """A list item that is NOT an annual report of the listing agency."""

    agency_id: str
    host: str
    path: str
    title: str
    kind: str  # 'news' | 'notice' | 'interpretation' | 'other_agency_report' | 'other'

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}{self.path}"


@dataclass
class BadInput:
    """A planted fault: the page answers, but not with a usable report (or not at first)."""

    agency_id: str
    host: str
    path: str
    kind: str  # '404' (dead list link) | '500' (list page always 500) | 'undecodable' | 'transient_500'
    note: str

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}{self.path}"


@dataclass
class Truth:
    reports: list[PlantedReport] = field(default_factory=list)
    non_reports: list[NonReport] = field(default_factory=list)
    bad: list[BadInput] = field(default_factory=list)
    chrome: list[str] = field(default_factory=list)  # strings on pages outside the report body

    @staticmethod
    def url(item, port: int) -> str:
        return f"http://{item.host}:{port}{item.path}"

    def reachable_reports(self) -> list[PlantedReport]:
        return [r for r in self.reports if r.reachable]

    def reports_of(self, agency_id: str) -> list[PlantedReport]:
        return [r for r in self.reports if r.agency_id == agency_id]

    def bad_of_kind(self, kind: str) -> list[BadInput]:
        return [b for b in self.bad if b.kind == kind]

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
