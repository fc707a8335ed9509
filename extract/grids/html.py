"""HTML → grids, read from the raw DOM (not from a main-text extractor, which drops cells).

Every innermost ``<table>`` that looks like data becomes a :class:`~extract.grids.Grid`:

* tables that contain other tables are layout wrappers: only the innermost tables are read;
* a table with fewer than two rows (unless its one row holds several numbers — the tail of a table
  Word split at a page break), or with no digit and no word of the standard tables, is not data;
* rowspan/colspan are expanded with :meth:`Grid.from_spans`; malformed values (``2"``, ``""``) are
  read leniently, ``rowspan=0`` runs to the end of the table, absurd spans are capped (noted);
  the expansion is bounded before it is built: cells starting past ``MAX_WIDTH`` columns are dropped
  and colspans clipped to it, a table's spans may cover at most ``MAX_TABLE_SLOTS`` slots (past that a
  cell counts as one slot), and a page's tables at most ``MAX_PAGE_SLOTS`` (past that the page is
  refused as unreadable: no real report has a million table cells, a span bomb does);
* a cell's text is the text of all its descendants (Word's ``<p><span>`` nesting, ``<o:p>``),
  ``<br>`` and block boundaries become line breaks, source-formatting whitespace (raw newlines
  inside Word-pasted markup) becomes one space, ``&nbsp;`` / U+3000 are kept for the value parser;
* ``context`` is the text of the nearest preceding blocks (up to three, nearest last), skipping
  other tables, so a table Word split in two shares its section heading with the first part;
* a body the page ships as JSON for its JavaScript (gkmlpt's ``window._CONFIG.DETAIL.content``)
  is parsed and read like the page's own markup.

:func:`read_html` also lists the ``<img>`` elements (with their preceding text, computed on
demand) so that tables published as pictures can be told from tables that are missing.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from . import Grid
from .errors import UnreadableDocument

MAX_COLSPAN = 64
MAX_WIDTH = 128
MAX_ROWS = 2000
MAX_TABLE_SLOTS = 100_000  # a 2021 report's biggest table has ~400; Excel-pasted sheets a few thousand
MAX_PAGE_SLOTS = 1_000_000
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "title", "select", "option", "textarea",
                   "button", "iframe", "object"})
_BLOCK = frozenset({"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
                    "table", "tbody", "thead", "tfoot", "section", "article", "blockquote", "pre", "center",
                    "header", "footer", "form", "hr", "address", "td", "th", "caption", "main", "aside", "nav",
                    "figure", "figcaption", "fieldset"})
_ASCII_WS = re.compile(r"[ \t\r\n\f\v]+")
_NONBLANK = re.compile(r"[^\s\u3000\u00a0\u200b\ufeff]")
_DIGIT = re.compile(r"[0-9０-９]")
_WORDS = re.compile("自然人|行政复议|行政復議|行政诉讼|行政訴訟|规章|規章|信息内容|信息內容|第二十条|第二十條|申请|申請|结果维持|"
                    "結果維持|予以公开|予以公開|行政许可|行政許可|规范性文件|規範性文件|总计|總計")
_SPAN_NUM = re.compile(r"\s*(\d+)")

# Bounds checked on the raw bytes, before any parser sees them (:func:`refusal`). Main-text
# extraction (trafilatura) costs ~10 s per MB of markup and ~150× the page in memory, and its table
# handling pads every row to the widest one: a page of spans sweeping right costs rows × width.
MAX_HTML_MARKUP = 4 * 1024 * 1024  # bytes of markup, inline base64 pictures not counted (~40 s)
MAX_HTML_BYTES = 32 * 1024 * 1024  # bytes in all, inline pictures included (they are bounded apart)
MAX_DECLARED_SLOTS = 200_000  # Σ rowspan × colspan over the page's cells (a report page: ~1,500)
_INLINE_PICTURE = re.compile(rb"data:image/[\w.+-]+;base64,[A-Za-z0-9+/=\s]{1024,}", re.I)
_CELL_TAG = re.compile(rb"<t[dh]\b[^>]{0,2000}>", re.I)
_SPAN_ATTR = re.compile(rb"\b(row|col)span\s*=\s*[\"']?\s*(\d{1,9})", re.I)


@dataclass
class ImageRef:
    """An ``<img>`` in the page body; ``context`` (the text just before it) is computed on demand."""

    src: str
    alt: str
    _el: object = field(default=None, repr=False, compare=False)
    _context: str | None = field(default=None, repr=False, compare=False)

    @property
    def context(self) -> str:
        if self._context is None:
            self._context = _context(self._el, 1) if self._el is not None else ""
        return self._context


@dataclass
class HtmlRead:
    grids: list[Grid]
    images: list[ImageRef]
    root: object = field(default=None, repr=False)
    documents: list[str] = field(default_factory=list)  # linked/embedded PDF, Word, Excel, WPS files

    @property
    def text(self) -> str:
        """The body's text content (for finding section headings; not the main text)."""
        if self.root is None:
            return ""
        body = self.root.find("body")
        return (body if body is not None else self.root).text_content()


# ---------------------------------------------------------------------------------------------


def _parse(html) -> object | None:
    if html is None:
        return None
    if not isinstance(html, (str, bytes)):
        return html  # an lxml element (or tree) parsed by the caller
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except ValueError:  # a str with an XML encoding declaration
        parser = lxml.html.HTMLParser(encoding="utf-8")
        return lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
    except etree.ParserError:
        return None


def refusal(data: bytes) -> str | None:
    """Why an HTML page is refused before it is parsed (too big, or tables whose spans would expand
    past any real table), or None. Linear in the bytes: a few regex passes."""
    if len(data) > MAX_HTML_BYTES:
        return f"HTML page of {len(data) / 2**20:.1f} MB is over the {MAX_HTML_BYTES >> 20} MB limit: not parsed"
    markup = len(data) - sum(m.end() - m.start() for m in _INLINE_PICTURE.finditer(data))
    if markup > MAX_HTML_MARKUP:
        return (f"HTML page holds {markup / 2**20:.1f} MB of markup, over the {MAX_HTML_MARKUP >> 20} MB limit"
                " (text extraction would take minutes and gigabytes): not parsed")
    slots = 0
    for m in _CELL_TAG.finditer(data):
        rs = cs = 1
        for a in _SPAN_ATTR.finditer(m.group(0)):
            n = int(a.group(2)) or MAX_ROWS  # rowspan=0 runs to the end of the table
            if a.group(1).lower() == b"row":
                rs = max(1, min(n, MAX_ROWS))
            else:
                cs = max(1, min(n, MAX_WIDTH))
        slots += rs * cs
        if slots > MAX_DECLARED_SLOTS:
            return (f"HTML tables declare more than {MAX_DECLARED_SLOTS} cells through rowspan/colspan"
                    " (a span bomb?): not parsed")
    return None


def _span(value: str | None, default: int = 1) -> tuple[int, bool]:
    """(span, was_odd): lenient reading of rowspan/colspan attribute values."""
    if value is None:
        return default, False
    m = _SPAN_NUM.match(value)
    if not m:
        return default, bool(value.strip())
    n = int(m.group(1))
    return n, m.group(0).strip() != value.strip()


def _collect(el, out: list[str]) -> None:
    for child in el:
        tag = child.tag
        if isinstance(tag, str):
            if tag == "br":
                out.append("\n")
            elif tag in _SKIP:
                pass
            else:
                block = tag in _BLOCK
                if block:
                    out.append("\n")
                if child.text:
                    out.append(child.text)
                if len(child):
                    _collect(child, out)
                if block:
                    out.append("\n")
        if child.tail:
            out.append(child.tail)


def cell_text(el) -> str:
    """A cell's text: descendants' text, <br>/blocks → '\\n', source whitespace → ' ', nbsp kept."""
    if not len(el):
        t = el.text or ""
        return _ASCII_WS.sub(" ", t).strip(" ")
    out = [el.text or ""]
    _collect(el, out)
    lines = []
    for line in "".join(out).split("\n"):
        line = _ASCII_WS.sub(" ", line).strip(" ")
        if line:
            lines.append(line)
    return "\n".join(lines)


def _rows_of(table) -> list:
    rows = [c for c in table if c.tag == "tr"]
    for sect in table:
        if sect.tag in ("thead", "tbody", "tfoot"):
            rows += [c for c in sect if c.tag == "tr"]
    if not rows:
        rows = list(table.iter("tr"))
    else:  # keep document order when tr sit both directly and in sections
        rows_set = set(rows)
        rows = [tr for tr in table.iter("tr") if tr in rows_set]
    return rows


def _bounded(spans: list[list[tuple[str, int, int]]], notes: list[str]) -> list[list[tuple[str, int, int]]]:
    """The spans laid out as :meth:`Grid.from_spans` will lay them out, cut so that the grid stays
    within ``MAX_WIDTH`` columns and its spans within ``MAX_TABLE_SLOTS`` slots. Costs at most what
    the bounded grid costs."""
    taken: set[tuple[int, int]] = set()
    slots = 0
    out = []
    dropped = clipped = flattened = 0
    for r, row in enumerate(spans):
        c = 0
        kept = []
        for i, (text, rs, cs) in enumerate(row):
            while (r, c) in taken:
                c += 1
            if c >= MAX_WIDTH:
                dropped += len(row) - i
                break
            if c + cs > MAX_WIDTH:
                cs = MAX_WIDTH - c
                clipped += 1
            if (rs > 1 or cs > 1) and slots + rs * cs > MAX_TABLE_SLOTS:
                rs = cs = 1
                flattened += 1
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            slots += rs * cs
            kept.append((text, rs, cs))
            c += cs
        out.append(kept)
    if dropped:
        notes.append(f"{dropped} cells past column {MAX_WIDTH} dropped")
    if clipped:
        notes.append(f"{clipped} colspans clipped at column {MAX_WIDTH}")
    if flattened:
        notes.append(f"spans cover more than {MAX_TABLE_SLOTS} slots: {flattened} later spans read as single cells")
    return out


def grid_from_table(table, context: str = "") -> Grid | None:
    trs = _rows_of(table)[:MAX_ROWS]
    if not trs:
        return None
    notes: list[str] = []
    n_rows = len(trs)
    spans: list[list[tuple[str, int, int]]] = []
    for r, tr in enumerate(trs):
        tds = [c for c in tr if c.tag in ("td", "th")]
        if not tds:
            tds = list(tr.iter("td", "th"))
        row = []
        for td in tds:
            rs, odd_r = _span(td.get("rowspan"))
            cs, odd_c = _span(td.get("colspan"))
            if odd_r or odd_c:
                notes.append(f"row {r}: odd span rowspan={td.get('rowspan')!r} colspan={td.get('colspan')!r} read as {rs}x{cs}")
            if rs == 0:
                rs = n_rows - r
            cs = max(cs, 1)
            if rs > n_rows - r:
                notes.append(f"row {r}: rowspan {rs} capped to {n_rows - r}")
                rs = n_rows - r
            if cs > MAX_COLSPAN:
                notes.append(f"row {r}: colspan {cs} capped to {MAX_COLSPAN}")
                cs = MAX_COLSPAN
            row.append((cell_text(td), rs, cs))
        spans.append(row)
    grid = Grid.from_spans(_bounded(spans, notes), "html", context=context)
    if grid.n_cols > MAX_WIDTH:  # spans beyond any real table: keep the left part (origins stay valid)
        notes.append(f"{grid.n_cols} columns cut to {MAX_WIDTH}")
        grid.cells = [row[:MAX_WIDTH] for row in grid.cells]
        grid.origin = [row[:MAX_WIDTH] for row in grid.origin]
    grid.notes.extend(notes)
    return grid


def _is_data(grid: Grid) -> bool:
    if grid.n_rows == 0 or grid.n_cols == 0:
        return False
    texts = [t for row in grid.cells for t in row if t]
    joined = "\n".join(texts)
    has_digit = bool(_DIGIT.search(joined))
    if grid.n_rows < 2:
        digits = {grid.origin[0][c] for c in range(grid.n_cols) if _DIGIT.search(grid.cells[0][c])}
        return len(digits) >= 3
    return has_digit or bool(_WORDS.search(joined))


# ---------------------------------------------------------------------------------------------
# the text before an element (its section heading)

_TABLE = object()


def _rev_block(e, budget: list[int]):
    """Text blocks inside ``e`` in reverse document order (tables yield a marker, not text)."""
    budget[0] -= 1
    if budget[0] <= 0:
        return
    tag = e.tag
    if not isinstance(tag, str) or tag in _SKIP:
        return
    if tag == "table":
        yield _TABLE
        return
    if tag == "img":
        return
    children = list(e)
    if children and any(isinstance(c.tag, str) and c.tag in _BLOCK for c in children):
        for c in reversed(children):
            if c.tail and _NONBLANK.search(c.tail):
                yield c.tail
            yield from _rev_block(c, budget)
            if budget[0] <= 0:
                return
        if e.text and _NONBLANK.search(e.text):
            yield e.text
        return
    try:
        t = e.text_content()
    except (AttributeError, ValueError):
        t = "".join(e.itertext())
    if _NONBLANK.search(t):
        yield t


def _before(el, budget: list[int]):
    node = el
    while node is not None and budget[0] > 0:
        prev = node.getprevious()
        if prev is None:
            parent = node.getparent()
            if parent is None or parent.tag in ("html",):
                return
            if parent.text and _NONBLANK.search(parent.text):
                yield parent.text
            if parent.tag == "body":
                return
            node = parent
            continue
        if prev.tail and _NONBLANK.search(prev.tail):
            yield prev.tail
        yield from _rev_block(prev, budget)
        node = prev


def _clean_block(t: str) -> str:
    t = re.sub(r"[\s\u3000\u00a0]+", " ", t).strip()
    return t[:200]


def _context(el, k: int = 3) -> str:
    blocks: list[str] = []
    for b in _before(el, [400]):
        if b is _TABLE:
            continue
        t = _clean_block(b)
        if t:
            blocks.append(t)
            if len(blocks) >= k:
                break
    return "\n".join(reversed(blocks))


# ---------------------------------------------------------------------------------------------


_GKML_DETAIL = re.compile(r"_CONFIG\.DETAIL\s*=\s*")


def _embedded_bodies(root) -> list:
    """Report bodies a page carries as data for its JavaScript to render (gkmlpt:
    ``window._CONFIG.DETAIL = {"content": "<p>…</p><table>…"}``), parsed as fragments."""
    out = []
    for sc in root.iter("script"):
        t = sc.text or ""
        if "_CONFIG.DETAIL" not in t:
            continue
        m = _GKML_DETAIL.search(t)
        if not m:
            continue
        try:
            obj, _ = json.JSONDecoder().raw_decode(t, m.end())
        except ValueError:
            continue
        content = obj.get("content") if isinstance(obj, dict) else None
        if isinstance(content, str) and content.strip():
            try:
                out.append(lxml.html.fragment_fromstring(content, create_parent="div"))
            except (etree.ParserError, ValueError):
                continue
    return out


_DOC_LINK = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|ofd)(?:$|[?#&])", re.I)


def _documents(scope) -> list[str]:
    """Links to documents (a report or its tables as a PDF/Word/Excel file): <a href>, and the
    file a PDF viewer <iframe>/<embed> shows."""
    out: list[str] = []
    for el in scope.iter("a", "iframe", "embed", "object"):
        for attr in ("href", "src", "data"):
            v = el.get(attr)
            if v and _DOC_LINK.search(v) and v not in out:
                out.append(v)
    return out


def _read_scope(scope, grids: list[Grid], images: list[ImageRef], budget: list[int]) -> None:
    for t in scope.iter("table"):
        if any(True for _ in t.iterdescendants("table")):
            continue  # a layout wrapper: its inner tables are read on their own
        g = grid_from_table(t)
        if g is not None:
            budget[0] -= g.n_rows * g.n_cols
            if budget[0] < 0:
                raise UnreadableDocument(f"the page's tables hold more than {MAX_PAGE_SLOTS} cells"
                                         " (rowspan/colspan bomb?): refused")
        if g is None or not _is_data(g):
            continue
        g.context = _context(t)
        grids.append(g)
    images.extend(ImageRef(img.get("src") or "", img.get("alt") or img.get("title") or "", img)
                  for img in scope.iter("img"))


def read_html(html) -> HtmlRead:
    """Parse once; return the data grids, the body images and the parsed root. Raises
    UnreadableDocument when the page's tables would expand past ``MAX_PAGE_SLOTS`` cells."""
    root = _parse(html)
    if root is None:
        return HtmlRead([], [], None)
    if hasattr(root, "getroot"):
        root = root.getroot()
    body = root.find("body") if root.tag == "html" else None
    scope = body if body is not None else root
    grids: list[Grid] = []
    images: list[ImageRef] = []
    budget = [MAX_PAGE_SLOTS]
    _read_scope(scope, grids, images, budget)
    text_root = root
    documents = _documents(scope)
    for frag in _embedded_bodies(root):  # a body shipped as JSON for the page's scripts to render
        n = len(grids)
        _read_scope(frag, grids, images, budget)
        if len(grids) > n or frag.text_content().strip():
            text_root = frag
        documents += [d for d in _documents(frag) if d not in documents]
    return HtmlRead(grids, images, text_root, documents)


def grids_from_html(html) -> list[Grid]:
    """Every data table of an HTML page (str, bytes or an lxml element) as a Grid, in page order."""
    return read_html(html).grids


__all__ = ["grids_from_html", "read_html", "refusal", "grid_from_table", "cell_text", "HtmlRead", "ImageRef"]
