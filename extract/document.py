"""One captured page (bytes) → a Document: text, title, dates and the problems met on the way.

Pure: no database, no network, so ``nianbao parse FILE`` and the archive's extract step share it.
Problems are collected, not raised: an unreadable page is a fact about the source to record.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from extract.decode import UndecodableError, decode_html
from extract.text import extract_page

EXTRACTOR_VERSION = "text-1"


@dataclass
class Problem:
    code: str
    message: str


@dataclass
class Document:
    url: str | None
    title: str | None = None
    published: str | None = None
    source: str | None = None
    text: str = ""
    encoding: str | None = None
    meta: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(p.code in ("undecodable", "empty_text") for p in self.problems)


def document_from_html(body: bytes, content_type: str | None = None, url: str | None = None) -> Document:
    doc = Document(url=url)
    try:
        decoded = decode_html(body, content_type)
    except UndecodableError as e:
        doc.problems.append(Problem("undecodable", str(e)))
        return doc
    doc.encoding = decoded.encoding
    page = extract_page(decoded.text, url)
    doc.title, doc.published, doc.source = page.title, page.published, page.source
    doc.text, doc.meta = page.text or "", page.meta
    if not doc.text.strip():
        doc.problems.append(Problem("empty_text", "no main text found on the page"))
    if not doc.published:
        doc.problems.append(Problem("no_date", "no publication date on the page"))
    return doc
