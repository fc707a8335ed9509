"""What every platform adapter provides: report links and further list pages from one list page.

A platform knows page *shapes* (where the links are, how pagination is encoded); which links are
reports is decided by titles (extract.identity), the same for every platform.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from parsel import Selector

DATE_RE = re.compile(r"((?:19|20)\d{2})[-/.年]\s*(\d{1,2})[-/.月]\s*(\d{1,2})")


@dataclass(frozen=True)
class Link:
    url: str
    title: str
    date: str | None = None


@dataclass(frozen=True)
class PageRequest:
    """A further list page: GET url, or POST form data (Hanweb's dataproxy)."""
    url: str
    method: str = "GET"
    formdata: tuple[tuple[str, str], ...] = ()
    page: int | None = None


def iso_date(text: str | None) -> str | None:
    if not text:
        return None
    m = DATE_RE.search(text)
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\u3000", " ").replace("\xa0", " ")).strip()


def anchors(sel: Selector, base_url: str) -> list[Link]:
    """Every http(s) link with its best title (title attribute beats truncated text) and the date
    printed next to it in the same list row, if any."""
    out: list[Link] = []
    seen: set[str] = set()
    for a in sel.xpath("//a[@href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base_url, href)
        if not url.startswith(("http://", "https://")) or url in seen:
            continue
        text = clean("".join(a.xpath(".//text()").getall()))
        title = clean(a.attrib.get("title"))
        if not title or (text and len(text) > len(title)):
            title = title or text
        if not title:
            continue
        row = a.xpath("ancestor::*[self::li or self::tr or self::dd or self::p][1]")
        date = iso_date(clean(" ".join(row[0].xpath(".//text()").getall()))) if row else None
        seen.add(url)
        out.append(Link(url=url, title=title, date=date))
    return out


class Platform:
    name = "base"

    def links(self, text: str, url: str, meta: dict) -> list[Link]:
        return anchors(Selector(text=text), url)

    def next_pages(self, text: str, url: str, meta: dict) -> list[PageRequest]:
        return []


class GenericPlatform(Platform):
    """Any list page: links by title, next pages by 下一页/尾页-style links."""
    name = "generic"
    NEXT = re.compile(r"^(下一页|下页|后一页|>|»|next)$", re.I)

    def next_pages(self, text, url, meta):
        sel = Selector(text=text)
        out = []
        for a in sel.xpath("//a[@href]"):
            label = clean("".join(a.xpath(".//text()").getall()))
            if self.NEXT.match(label):
                href = a.attrib["href"].strip()
                if href and not href.startswith("javascript:"):
                    out.append(PageRequest(urljoin(url, href)))
        return out


ATTACHMENT_EXT_RE = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd)(?:$|[?#&])", re.I)
FILENAME_PARAM_RE = re.compile(r"(?:filename|fileName|file)=([^&#]+\.(?:pdf|docx?|wps|xlsx?|et|ofd))", re.I)


def attachment_format(url: str, name: str = "") -> str | None:
    """The document format an attachment link points at, from its name or URL, else None."""
    from urllib.parse import unquote

    for candidate in (name, unquote(url)):
        m = FILENAME_PARAM_RE.search(candidate) or ATTACHMENT_EXT_RE.search(candidate)
        if m:
            return m.group(1).rsplit(".", 1)[-1].lower()
    return None


def attachment_links(text: str, base_url: str) -> list[Link]:
    """Document attachments linked from a report page: plain links to .pdf/.doc/.docx/.wps/.xls/
    .xlsx files (TRS ``./P0…pdf``), Hanweb ``downfile.jsp?…filename=…``, gkmlpt
    ``a.nfw-cms-attachment`` (original name in ``alt``), and PDF viewer iframes/embeds."""
    from urllib.parse import parse_qs, urlparse

    sel = Selector(text=text)
    out: list[Link] = []
    seen: set[str] = set()

    def add(href: str, title: str):
        href = (href or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            return
        url = urljoin(base_url, href)
        if url in seen or not url.startswith(("http://", "https://")):
            return
        if attachment_format(url, title) is None:
            return
        seen.add(url)
        out.append(Link(url=url, title=clean(title) or url.rsplit("/", 1)[-1]))

    for a in sel.xpath("//a[@href]"):
        name = a.attrib.get("alt") or a.attrib.get("title") or "".join(a.xpath(".//text()").getall())
        add(a.attrib["href"], name)
    for frame in sel.xpath("//iframe[@src] | //embed[@src] | //object[@data]"):
        src = frame.attrib.get("src") or frame.attrib.get("data")
        q = parse_qs(urlparse(src).query)
        inner = [q[k][0] for k in ("file", "url", "src") if k in q]
        for target in inner:  # a viewer page: the document is its parameter, not the viewer
            add(urljoin(urljoin(base_url, src), target), "")
        if not inner:
            add(src, "")
    return out
