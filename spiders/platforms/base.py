"""What every platform adapter provides: report links and further list pages from one list page.

A platform knows page *shapes* (where the links are, how pagination is encoded); which links are
reports is decided by titles (extract.identity), the same for every platform.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from parsel import Selector

from spiders.page_looks import anycase

DATE_RE = re.compile(r"((?:19|20)\d{2})[-/.年]\s*(\d{1,2})[-/.月]\s*(\d{1,2})")
log = logging.getLogger("spiders.platforms")


@dataclass(frozen=True)
class Link:
    """A link found on a list page. ``inline``: the list page itself prints this report (Hanweb
    xxgk year views); ``url`` is then the list page's own URL and it must not be fetched again."""
    url: str
    title: str
    date: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class PageRequest:
    """A further list page: GET url, or POST form data (Hanweb's dataproxy, the TRS search API).

    ``optional``: the page may legitimately not exist (gkmlpt sites answering 404 for page ≥ 2); a
    failure ends the list rather than signalling a broken site. ``headers``: extra request headers
    (``X-Requested-With`` for JSON APIs). ``meta``: adapter state to hand back in the ``meta`` of
    this page's response (e.g. the TRS search form, which a POST's response URL does not carry)."""
    url: str
    method: str = "GET"
    formdata: tuple[tuple[str, str], ...] = ()
    page: int | None = None
    optional: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    meta: dict = field(default_factory=dict, compare=False, hash=False)


def options_of(meta: dict | None) -> dict:
    """The registry entry's ``options`` (the spider puts them in every list request's meta)."""
    return dict((meta or {}).get("options") or {})


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

    def attachments(self, text: str, url: str, meta: dict) -> list[Link]:
        """Document attachments of a report page (platforms that hide them in scripts override)."""
        return attachment_links(text, url)


ROW_XPATH = "ancestor::*[self::li or self::tr or self::dd or self::dl or self::p][1]"


class GenericPlatform(Platform):
    """Any list page: links by title, next pages by 下一页/尾页-style links.

    Registry ``options`` (all optional, CSS selectors): ``link_selector`` (the report links, or
    elements containing them; default: every link), ``date_selector`` (the date, looked up in the
    link's row: its nearest li/tr/dd/dl/p; default: the row's text), ``next_selector`` (links to
    further list pages; default: links labelled 下一页/下页/尾页/末页/…)."""
    name = "generic"
    NEXT = re.compile(r"^(下一页|下页|后一页|尾页|末页|>|»|next)$", re.I)

    def links(self, text, url, meta):
        opts = options_of(meta)
        sel = Selector(text=text)
        link_css, date_css = opts.get("link_selector"), opts.get("date_selector")
        if not link_css and not date_css:
            return anchors(sel, url)
        try:
            found = sel.css(link_css) if link_css else sel.xpath("//a[@href]")
        except Exception as e:  # a bad selector in a registry entry: say so, fall back
            log.warning("generic: bad link_selector %r (%s); using every link", link_css, e)
            found = sel.xpath("//a[@href]")
        out: list[Link] = []
        seen: set[str] = set()
        for el in found:
            for a in ([el] if el.root.tag == "a" else el.xpath(".//a[@href]")):
                link = _anchor(a, url, date_css)
                if link and link.url not in seen:
                    seen.add(link.url)
                    out.append(link)
        return out

    def next_pages(self, text, url, meta):
        opts = options_of(meta)
        sel = Selector(text=text)
        out: list[PageRequest] = []
        seen = {url.split("#", 1)[0]}
        css = opts.get("next_selector")
        if css:
            try:
                found = sel.css(css)
            except Exception as e:
                log.warning("generic: bad next_selector %r (%s); using 下一页 labels", css, e)
                found = None
        else:
            found = None
        if found is None:
            found = [a for a in sel.xpath("//a[@href]")
                     if self.NEXT.match(clean("".join(a.xpath(".//text()").getall())))]
        for a in found:
            href = (a.attrib.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "#")):
                continue
            nxt = urljoin(url, href).split("#", 1)[0]
            if nxt not in seen:
                seen.add(nxt)
                out.append(PageRequest(nxt))
        return out


def _anchor(a: Selector, base_url: str, date_css: str | None = None) -> Link | None:
    """One <a> as a Link: title attribute unless the text is longer, date from its row."""
    href = (a.attrib.get("href") or "").strip()
    if not href or href.startswith(("javascript:", "#", "mailto:")):
        return None
    url = urljoin(base_url, href)
    if not url.startswith(("http://", "https://")):
        return None
    text = clean("".join(a.xpath(".//text()").getall()))
    title = clean(a.attrib.get("title"))
    if not title or (text and len(text) > len(title) and not text.endswith(("…", "..."))):
        title = title or text
    if not title:
        return None
    row = a.xpath(ROW_XPATH)
    date = None
    if row:
        if date_css:
            try:
                date = iso_date(clean(" ".join(row[0].css(date_css).xpath(".//text()").getall())))
            except Exception:
                date = None
        if date is None:
            date = iso_date(clean(" ".join(row[0].xpath(".//text()").getall())))
    return Link(url=url, title=title, date=date)


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


# Every attachment name or URL holds a dot and one of these (attachment_format's two patterns,
# without what follows the extension). A link's text joins its text nodes, so tags (or comments)
# may stand between the characters (``a.<b>pdf</b>``); entities and %-escapes may spell them.
_EXTENSIONS = ("pdf", "doc", "wps", "xls", "et", "ofd")  # docx, xlsx begin with doc, xls
_TAGS = r"(?:<!--.*?-->|<[^>]*>)*"


_EXTENSION_RE = re.compile(r"\.(?:%s)" % "|".join(map(anycase, _EXTENSIONS)))
_CUT_RE = re.compile(r"\.%s(?:%s)" % (_TAGS, "|".join(_TAGS.join(map(anycase, e)) for e in _EXTENSIONS)), re.S)
_FRAME_RE = re.compile(r"<(?:%s)\b" % "|".join(map(anycase, ("iframe", "embed", "object"))))
# a regex finds '&#' in a report page in a third of the time ``"&#" in text`` takes (Python's re
# skips to its first literal '&'; ``in`` with a two-character needle scans far slower)
_ENTITY_RE = re.compile(r"&(?:#|period)")
_ESCAPE_RE = re.compile(r"%[0-9a-fA-F]{2}")


def may_link_documents(text: str, base_url: str = "") -> bool:
    """Whether a page can hold an attachment link at all, without parsing it (a report page is
    ~100 KB; most link no document, and parsing each cost more than the rest of its handling).
    A superset of what :func:`attachment_links` finds: a name or URL matches only if the page,
    with its entities decoded and its %-escapes undone, shows a dot and a document extension,
    perhaps cut by tags (or the page's own URL does: a relative link inherits its path). Any frame
    means a parse (a viewer's query may hide the name under two layers of escapes)."""
    from urllib.parse import unquote

    if _CUT_RE.search(text) or _FRAME_RE.search(text) or _EXTENSION_RE.search(unquote(base_url)):
        return True
    if _ENTITY_RE.search(text):  # numeric entities (and &period;) can spell any character
        from html import unescape

        text = unescape(text)
        if _CUT_RE.search(text):
            return True
    return bool(_ESCAPE_RE.search(text) and _EXTENSION_RE.search(unquote(text)))


def attachment_links(text: str, base_url: str) -> list[Link]:
    """Document attachments linked from a report page: plain links to .pdf/.doc/.docx/.wps/.xls/
    .xlsx files (TRS ``./P0…pdf``), Hanweb ``downfile.jsp?…filename=…``, gkmlpt
    ``a.nfw-cms-attachment`` (original name in ``alt``), and PDF viewer iframes/embeds."""
    return parsed_attachment_links(text, base_url) if may_link_documents(text, base_url) else []


def parsed_attachment_links(text: str, base_url: str) -> list[Link]:
    """:func:`attachment_links` by parsing the page, always."""
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

    # lxml elements, not a parsel Selector per link: a report page has hundreds of links (chrome)
    for a in sel.root.xpath("//a[@href]"):
        name = a.get("alt") or a.get("title") or "".join(a.itertext())
        add(a.get("href"), name)
    for frame in sel.root.xpath("//iframe[@src] | //embed[@src] | //object[@data]"):
        src = frame.get("src") or frame.get("data")
        q = parse_qs(urlparse(src).query)
        inner = [q[k][0] for k in ("file", "url", "src") if k in q]
        for target in inner:  # a viewer page: the document is its parameter, not the viewer
            add(urljoin(urljoin(base_url, src), target), "")
        if not inner:
            add(src, "")
    return out
