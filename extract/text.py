"""An agency page (decoded HTML) -> title, dates, source, meta tags and main text.

``extract_page(html, url)`` parses the DOM once with lxml and then:

* **meta**: every ``<meta name=… content=…>`` (ArticleTitle, PubDate, ContentSource,
  SiteName, ColumnName, Maketime, …), first non-empty value per name.
* **scope**: looks for the CMS's own body container — Hanweb
  ``<meta name="ContentStart">``…``<meta name="ContentEnd">`` (or the
  ``ZJEG_RSS.content`` comments), TRS ``div.TRS_Editor`` / ``.TRS_UEDITOR`` /
  ``#UCAP-CONTENT`` / ``#zoom``, gkmlpt ``window._CONFIG.DETAIL.content``,
  ``.article_content``. When one is found, the main text is that container
  rendered block by block (``render_blocks``): every paragraph, every short
  heading line, every table row; nothing around it. This is exact where
  whole-page heuristics guess, and ~10x faster than trafilatura. Layout
  tables (cells holding blocks) are rendered as blocks, data tables as rows.
* **no container**: trafilatura runs on the already parsed tree (``fast``,
  ``favor_recall``, tables on) to *locate* the body: the element best matching
  the text trafilatura kept (see ``_locate_body``), cross-checked against where
  the report's 一、/（一） headings are, is rendered with ``render_blocks``
  too, so short headings or table rows that trafilatura's heuristics dropped
  come back and chrome it kept (related links) goes. If no such element
  exists, trafilatura's own output is used.
* a final line filter (``CHROME_PATTERNS``, whole-line patterns only) drops
  breadcrumb, font-size, print/close, share, visit-count, 来源/发布时间 and
  footer lines that slipped through; a body line that merely *mentions*
  such a word is never a whole-line match.

Text conventions: one block per line, table rows as ``cell | cell | cell``
(empty cells dropped, spans not expanded — that is the grid parser's job),
U+3000/U+00A0 and other space characters -> " ", runs of spaces collapsed, no
blank lines, a line break inside CJK text removed (CSS segment-break rule).

Dates are parsed here (``parse_date``) before any library: meta PubDate,
Maketime, then visible 发布时间/发布日期/时间/日期 labels, then the URL
(TRS ``t20240125_``, Hanweb ``/art/2024/1/25/``), and only then htmldate.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from copy import deepcopy
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

__all__ = [
    "Page", "extract_page", "parse_date", "render_blocks", "normalize_line", "is_chrome_line",
    "strip_chrome", "CHROME_PATTERNS", "strip_title_suffix",
]


@dataclass
class Page:
    title: str | None = None
    published: str | None = None  # ISO YYYY-MM-DD
    published_raw: str | None = None  # the string the date was read from
    source: str | None = None  # 来源 / 信息来源 (visible) or meta ContentSource
    meta: dict[str, str] = field(default_factory=dict)
    text: str = ""
    scope: str | None = None  # which container the text came from; None = whole-page heuristics
    date_from: str | None = None  # "meta:PubDate", "meta:Maketime", "visible", "url", "htmldate"


# ---------------------------------------------------------------- normalisation

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CJK_CLASS = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK_CLASS}])[ \t\r\f]*\n[ \t\r\f\n]*(?=[{_CJK_CLASS}])")
_BLANKS = re.compile(r"\n{2,}")


def normalize_line(s: str) -> str:
    """One logical line: odd spaces -> ' ', runs collapsed, stripped."""
    s = _ZERO_WIDTH.sub("", s)
    s = _CJK_BREAK.sub("", s)
    s = s.replace("\n", " ")
    return _SPACES.sub(" ", s).strip()


def _finish(lines: list[str]) -> str:
    out = "\n".join(ln for ln in lines if ln)
    return _BLANKS.sub("\n", out).strip()


# ---------------------------------------------------------------- chrome filter

_LB, _RB = r"[【\[〔(（]?", r"[】\]〕)）]?"
_DATE_RX = (r"\d{4}\s*(?:[-/.]|年)\s*\d{1,2}\s*(?:[-/.]|月)\s*\d{1,2}(?:\s*日)?"
            r"(?:\s*\d{1,2}\s*[:：时]\s*\d{1,2}(?:\s*[:：分]\s*\d{1,2}(?:\s*秒)?)?)?")
# a label's value: up to 40 chars, no spaces/sentence punctuation, stops before the next label
_LABELS = r"(?:发布时间|发布日期|更新时间|时间|日期|年度|发布单位|发布机构|来源|信息来源|浏览|访问|点击|阅读|作者|编辑|分享|打印|字体|字号|关闭|收藏)"
_VAL = rf"(?:(?!{_LABELS})[^\s|｜，,。；;：:【】]){{0,40}}+"
_CHROME_ITEMS = [
    # font size widgets: 【字体：大 中 小】, 字号：【大】【中】【小】, 字体：[ 大 中 小 ]
    rf"{_LB}(?:字体|字号|文字)\s*[:：]?\s*(?:{_LB}\s*)?{_LB}[大中小]{_RB}(?:\s*{_LB}[大中小]{_RB}){{1,2}}"
    r"(?:\s*[】\]〕)）]){0,2}",
    rf"{_LB}(?:字体|字号)\s*[:：]?\s*{_RB}",
    rf"{_LB}(?:打印本页|打印此页|打印正文|打印|关闭窗口|关闭本页|关闭|收藏本页|加入收藏|收藏|返回顶部|返回|我要纠错|纠错|"
    rf"保存本页|全真版|文字版|文件下载|下载文档|扫一扫在手机打开当前页|扫一扫|听全文){_RB}",
    # share widget: 分享到：微信 微博 QQ空间
    rf"{_LB}分享(?:到|至)?\s*[:：]?{_RB}(?:[\s、,，]*+(?:微信好友|微信|新浪微博|腾讯微博|微博|QQ空间|QQ好友|QQ|朋友圈|人人网|"
    rf"豆瓣网|豆瓣|百度贴吧|今日头条|抖音))*+",
    # article metadata lines
    rf"(?:信息来源|文章来源|来源)\s*[:：]\s*{_VAL}",
    rf"(?:发布时间|发布日期|更新时间|更新日期|时间|日期)\s*[:：](?:\s*{_DATE_RX})?",
    r"(?:访问|浏览|点击|阅读)(?:次数|量|数|人次)?\s*[:：](?:\s*\d+(?:\s*次)?)?",
    rf"(?:作者|责任编辑|编辑)\s*[:：]\s*{_VAL}",
    # document info boxes of 信息公开 platforms (Anhui, Zhejiang, gkmlpt)
    r"(?:年度|年份)\s*[:：]\s*\d{4}\s*年?",
    rf"(?:发布单位|发布机构|发文机关|公开主体|索引号|文号|发文字号|主题分类|公开方式|公开范围|有效性)\s*[:：]\s*{_VAL}",
    r"(?:已下载|下载次数|下载)\s*[:：]?\s*\d*\s*次",
    # attachment widgets: 附件【统计表.xlsx】
    r"(?:附件\s*\d*\s*[:：]?\s*)?【[^】]{1,80}\.(?:pdf|docx?|xlsx?|wps|et|ofd)】",
    # footer
    r"网站标识码\s*[:：]?\s*[0-9A-Za-z]+",
    r"[\u4e00-\u9fff]{0,2}ICP备\s*\d+\s*号(?:\s*-\s*\d+)?",
    r"ICP备案(?:号|编号)?\s*[:：]?\s*[^\s|｜]+",
    r"[\u4e00-\u9fff]{0,2}公网安备\s*\d+(?:\s*号)?",
    r"公安(?:机关)?备案号?\s*[:：]?\s*\d+(?:\s*号)?",
    rf"(?:主办单位|主办|承办单位|承办|协办单位|技术支持|运维单位|维护单位|管理单位)\s*[:：]\s*{_VAL}",
    rf"版权所有(?:\s*[:：]?\s*{_VAL})?",
    r"(?:Copyright|©|\(c\)|版权所有\s*©).{0,100}",
    r"(?:政府网站找错|网站地图|联系我们|网站声明|隐私声明|免责声明|关于本站|无障碍浏览|无障碍|长者模式|适老化|网站支持\s*IPv6|"
    r"党政机关|(?:相关链接|相关文章|相关文件|上一篇|下一篇)(?:\s*[:：])?)",
    r"(?:建议使用|推荐使用).{0,60}?(?:浏览器|分辨率|分辩率|浏览)[^\s|｜]{0,20}",
]
# Items never start or end with whitespace and are atomic; separators are possessive:
# no catastrophic backtracking on long or adversarial lines.
_ITEM = "(?>" + "|".join(_CHROME_ITEMS) + ")"
_SEP = r"[\s|｜/、·•]*+"

#: Whole-line chrome patterns (use ``fullmatch`` on a normalised line).
#: Importable so other modules (e.g. the text-dump parser) can share them.
CHROME_PATTERNS: list[re.Pattern[str]] = [
    # breadcrumb with its label
    re.compile(r"(?:您现在的位置|您当前的位置|您的当前位置|您的位置|您所在的位置|你的位置|你现在的位置|当前位置|当前的位置|"
               r"现在位置|所在位置)是?\s*(?:[:：]|(?=[|｜>\s]*首页)).*"),
    # breadcrumb without label: 首页 > 政务公开 > …
    re.compile(r"首页\s*(?:>|>>|&gt;|»|›|＞|→|/)\s*.*"),
    # a line made of nothing but chrome items
    re.compile(rf"(?:[-•·*]\s*)?{_SEP}{_ITEM}(?:{_SEP}{_ITEM})*+{_SEP}", re.I),
]


def is_chrome_line(line: str) -> bool:
    line = normalize_line(line)
    if not line:
        return False
    return any(p.fullmatch(line) for p in CHROME_PATTERNS)


def strip_chrome(lines: list[str]) -> list[str]:
    return [ln for ln in lines if ln and not any(p.fullmatch(ln) for p in CHROME_PATTERNS)]


# ---------------------------------------------------------------- block renderer

_SKIP = frozenset("""script style noscript template iframe frame frameset object embed select option button input
textarea head title meta link svg canvas map area audio video source track""".split())
_BLOCK = frozenset("""p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd section article header footer blockquote pre address
center form fieldset figure figcaption hr main aside nav details summary caption table tr tbody thead tfoot
body html legend menu""".split())


class _Renderer:
    __slots__ = ("lines", "buf")

    def __init__(self):
        self.lines: list[str] = []
        self.buf: list[str] = []

    def flush(self):
        if self.buf:
            line = normalize_line("".join(self.buf))
            if line:
                self.lines.append(line)
            self.buf = []

    def walk(self, el):
        tag = el.tag
        if not isinstance(tag, str):  # comment / PI
            return
        tag = tag.lower()
        if tag in _SKIP:
            return
        if tag == "br":
            self.flush()
            return
        if tag == "table":
            self.flush()
            self.table(el)
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        if tag == "pre":
            self.lines.extend(ln for ln in (normalize_line(x) for x in el.text_content().split("\n")) if ln)
            return
        if el.text:
            self.buf.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.buf.append(child.tail)
        if block:
            self.flush()

    def table(self, table):
        for tr in _rows(table):
            tds = [td for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")]
            kinds = [_cell_kind(td) for td in tds]
            if "layout" in kinds:
                # a layout table (old Hanweb/ASP templates): its cells hold blocks, render them as such
                for td in tds:
                    self.walk(td)
                    self.flush()
                continue
            cells = []
            for td, kind in zip(tds, kinds):
                c = normalize_line(td.text_content()) if kind == "simple" else _inline_text(td)
                if c:
                    cells.append(c)
            if cells:
                self.lines.append(" | ".join(cells))
        # text directly inside <table> but outside rows (broken markup) is ignored by browsers too


_CELL_TAGS = ("table", "br", "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article",
              "script", "style", "noscript", "template", "textarea", "select")
_CELL_BLOCKS = frozenset(("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article"))


def _cell_kind(td) -> str:
    """'simple' (inline text only), 'complex' (a few blocks / <br>s) or 'layout'.

    A layout cell holds page structure rather than a value: a nested table,
    >= 3 blocks, or > 300 characters. Word-pasted data cells hold one or two
    <p>s with a short label or number.
    """
    blocks = 0
    complex_ = False
    for el in td.iter(*_CELL_TAGS):
        if el is td:
            continue
        tag = el.tag
        if tag == "table":
            return "layout"
        if tag in _CELL_BLOCKS:
            blocks += 1
            if blocks >= 3:
                return "layout"
        else:  # br, script, style …
            complex_ = True
    if len(td.text_content()) > 300:
        return "layout"
    return "complex" if complex_ or blocks >= 2 else "simple"


def _rows(table):
    for child in table:
        if not isinstance(child.tag, str):
            continue
        t = child.tag.lower()
        if t == "tr":
            yield child
        elif t in ("tbody", "thead", "tfoot"):
            for tr in child:
                if isinstance(tr.tag, str) and tr.tag.lower() == "tr":
                    yield tr


_CJK_CHAR = re.compile(rf"[{_CJK_CLASS}]")


def _join_cjk(parts: list[str]) -> str:
    """Join lines with a space, except between two CJK characters (a <br/> inside 本年制发<br/>件数)."""
    out = ""
    for p in parts:
        if out and not (_CJK_CHAR.match(out[-1]) and _CJK_CHAR.match(p[0])):
            out += " "
        out += p
    return out


def _inline_text(el) -> str:
    """A table cell as one line: its blocks (incl. nested tables) joined."""
    r = _Renderer()
    r.walk(el)
    r.flush()
    return _join_cjk(r.lines)


def render_blocks(el) -> list[str]:
    """Render an element to normalised lines: one per block, one per table row."""
    r = _Renderer()
    r.walk(el)
    r.flush()
    return r.lines


# ---------------------------------------------------------------- dates

_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "：": ":", "／": "/", "－": "-", "．": "."})
_DATE_PARSE = re.compile(
    r"(?<!\d)(?P<y>\d{4})\s*(?:(?P<sep>[-/.])\s*(?P<m1>\d{1,2})\s*(?P=sep)\s*(?P<d1>\d{1,2})(?!\d)"
    r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?)"
    r"(?:\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2}))?)?"
)
_MIN_YEAR = 1990


def _valid_date(y: int, m: int, d: int) -> str | None:
    if not (_MIN_YEAR <= y <= _dt.date.today().year + 1):
        return None
    try:
        return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def _parse_date_match(s: str) -> tuple[str, str] | None:
    """First *valid* date in s -> (iso, raw substring)."""
    folded = s.translate(_FOLD)
    for m in _DATE_PARSE.finditer(folded):
        mo, da = (m["m1"], m["d1"]) if m["sep"] else (m["m2"], m["d2"])
        iso = _valid_date(int(m["y"]), int(mo), int(da))
        if iso:
            if m["H"] is not None and not (int(m["H"]) < 24 and int(m["M"]) < 60):
                raw = s[m.start():m.start("H")].strip()
            else:
                raw = s[m.start():m.end()].strip()
            return iso, raw
    return None


def parse_date(s: str | None) -> str | None:
    """'2022-01-20 10:30', '2022/1/20', '2024年1月25日', '2024年01月25日 09:30' -> ISO date; None if impossible."""
    if not s:
        return None
    r = _parse_date_match(s)
    return r[0] if r else None


_VISIBLE_DATE = [
    re.compile(r"(?:发布时间|发布日期|发布于|公开日期|公开时间|公布日期)\s*[:：]?\s*"),
    re.compile(r"(?<![\u4e00-\u9fff])(?:时间|日期)\s*[:：]\s*"),
]


def _visible_date(text: str) -> tuple[str, str] | None:
    """A valid date right after a 发布时间/发布日期/时间/日期 label."""
    for rx in _VISIBLE_DATE:
        for m in rx.finditer(text):
            seg = text[m.end():m.end() + 60].lstrip()
            d = _DATE_PARSE.match(seg.translate(_FOLD))
            if d is None:
                continue
            r = _parse_date_match(seg[:d.end()])
            if r:
                return r
    return None


_URL_DATE = [
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),  # TRS t20240125_80629.html
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),  # Hanweb /art/2024/1/25/
    re.compile(r"/((?:19|20)\d{2})-(\d{2})/(\d{2})/"),  # /2024-01/25/
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/"),  # /20240125/
]


# ---------------------------------------------------------------- parsing helpers

_PARSER = lxml.html.HTMLParser(remove_comments=False, remove_pis=True, collect_ids=False, default_doctype=False)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def _parse(html: str):
    html = _XML_DECL.sub("", html, count=1)
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError):
        try:
            return lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
        except (etree.ParserError, ValueError):
            return None


def _meta(root) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        name = m.get("name")
        content = m.get("content")
        if not name or content is None:
            continue
        name = name.strip()
        content = normalize_line(content)
        if name not in out or (not out[name] and content):
            out[name] = content
    return out


def _meta_get(meta: dict[str, str], *names: str) -> str | None:
    lower = {k.lower(): v for k, v in meta.items()}
    for n in names:
        v = lower.get(n.lower())
        if v:
            return v
    return None


# Body containers, in priority order: (label, class token or None, id values or None).
_SCOPES = [
    ("TRS_Editor", "TRS_Editor", None),
    ("TRS_UEDITOR", "TRS_UEDITOR", None),
    ("#UCAP-CONTENT", None, ("UCAP-CONTENT",)),
    ("#zoom", None, ("zoom", "Zoom", "fontzoom")),
    ("article_content", "article_content", None),
    ("article_content", "article-content", None),
]
_MARKERS = etree.XPath(
    "//meta[@name='ContentStart' or @name='ContentEnd' or @name='contentstart' or @name='contentend']"
    " | //comment()[contains(., 'ZJEG_RSS.content.')]"
)
_CONTAINER_TAGS = ("div", "td", "section", "article", "main")
_GKML_DETAIL = re.compile(r"_CONFIG\.DETAIL\s*=\s*")


def _between(start, end):
    """A detached <div> holding deep copies of everything between two marker nodes."""
    parent = start.getparent()
    box = lxml.html.Element("div")
    if parent is None:
        return None
    if end.getparent() is not parent:
        # markers at different depths: take the smallest ancestor of start that contains end
        anc = parent
        while anc is not None and end not in set(anc.iter()):
            anc = anc.getparent()
        if anc is None:
            return None
        box.append(deepcopy(anc))
        return box
    box.text = start.tail
    node = start.getnext()
    while node is not None and node is not end:
        box.append(deepcopy(node))
        node = node.getnext()
    if node is None:
        return None
    return box


def _has_content(el) -> bool:
    for t in el.itertext():
        if t.strip():
            return True
    return el.find(".//img") is not None or el.find(".//a") is not None


def _scope_label(el) -> str | None:
    classes = (el.get("class") or "").split()
    ident = el.get("id")
    for label, cls, ids in _SCOPES:
        if (cls and cls in classes) or (ids and ident in ids):
            return label
    return None


def _find_scope(root, html: str):
    """-> (element to render, label, skip) for the CMS body container, or (None, None, None).

    ``skip`` tells ``_outside_text`` what to leave out: an element, or a
    (start, end) pair of marker nodes.
    """
    starts, ends, begins, finishes = [], [], [], []
    for node in _MARKERS(root):
        if not isinstance(node.tag, str):  # comment
            (begins if "begin" in (node.text or "") else finishes).append(node)
        else:
            (starts if node.get("name").lower() == "contentstart" else ends).append(node)
    by_label: dict[str, list] = {}
    for node in root.iter(*_CONTAINER_TAGS):  # cheaper than an XPath over //* here
        if node.get("class") is None and node.get("id") is None:
            continue
        label = _scope_label(node)
        if label:
            by_label.setdefault(label, []).append(node)
    for s_list, e_list, label in ((starts, ends, "hanweb:ContentStart"), (begins, finishes, "hanweb:ZJEG_RSS")):
        if s_list and e_list:
            box = _between(s_list[0], e_list[-1])
            if box is not None and _has_content(box):
                return box, label, (s_list[0], e_list[-1])
    for label, _, _ in _SCOPES:
        nodes = by_label.get(label)
        if not nodes:
            continue
        # outermost matches only (a TRS_Editor nested in another is part of it)
        members = set(nodes)
        outer = [n for n in nodes if not any(a in members for a in n.iterancestors())]
        found = [el for el in outer if _has_content(el)]
        if found:
            best = max(found, key=lambda el: len(el.text_content())) if len(found) > 1 else found[0]
            return best, label, best
    content = gkmlpt_detail(html)
    if content:
        try:
            frag = lxml.html.fragment_fromstring(content, create_parent="div", parser=_PARSER)
        except (etree.ParserError, ValueError):
            frag = None
        if frag is not None and _has_content(frag):
            return frag, "gkmlpt:DETAIL", None
    return None, None, None


def gkmlpt_detail(html: str) -> str | None:
    """The article HTML a gkmlpt page carries JSON-escaped in ``window._CONFIG.DETAIL.content``."""
    if "_CONFIG.DETAIL" not in html:
        return None
    m = _GKML_DETAIL.search(html)
    if not m:
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(html, m.end())
    except ValueError:
        return None
    content = obj.get("content") if isinstance(obj, dict) else None
    return content if isinstance(content, str) and content.strip() else None


def _outside_text(root, skip) -> str:
    """Visible text of the page outside the body container, one text node per line."""
    out: list[str] = []
    skip_el = skip if skip is not None and not isinstance(skip, tuple) else None
    start, end = skip if isinstance(skip, tuple) else (None, None)
    state = {"on": True}

    def add(t):
        if t and state["on"]:
            out.append(t)

    def walk(el):
        if el is start:
            state["on"] = False
        elif el is end:
            state["on"] = True
            add(el.tail)
            return
        if el is skip_el:
            add(el.tail)
            return
        tag = el.tag
        if not isinstance(tag, str) or tag in ("script", "style", "noscript", "template", "head"):
            add(el.tail)
            return
        add(el.text)
        for c in el:
            walk(c)
        add(el.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    return "\n".join(normalize_line(t) for t in out if t.strip())


# ---------------------------------------------------------------- title / source

_TITLE_SEPS = ("_", "｜", "|", " - ", " – ", " — ", "——", "－", " -- ")


def strip_title_suffix(t: str, site: str | None = None, column: str | None = None) -> str:
    """'标题_栏目_站名' (TRS), '站名 栏目 标题' (Hanweb), '标题 - 站名' -> '标题'."""
    t = normalize_line(t)
    if not t:
        return t
    known = {x for x in (site, column) if x}
    for sep in _TITLE_SEPS:
        if sep in t:
            parts = [p.strip() for p in t.split(sep) if p.strip()]
            rest = [p for p in parts if p not in known]
            if not rest:
                return t
            if sep == "_" and parts[0] not in known:
                return parts[0]
            return max(rest, key=len)
    # Hanweb: "站名 栏目 标题"
    changed = False
    for k in (site, column):
        if k and t.startswith(k + " "):
            t = t[len(k):].strip()
            changed = True
    if not changed and " " in t:
        parts = t.split(" ")
        if len(parts) >= 3:
            return " ".join(parts[2:])
    return t


_TITLE_XP = etree.XPath(
    "//h1 | //h2 | //*[contains(@class, 'title') or contains(@class, 'Title') or contains(@class, 'TITLE') "
    "or @class='tit' or @class='bt' or contains(@class, 'biaoti')]")


def _visible_title(root, title_tag: str | None, meta: dict[str, str]) -> str | None:
    """An h1/.title on the page that is also (part of) the <title>; the longest such."""
    site = _meta_get(meta, "SiteName")
    column = _meta_get(meta, "ColumnName")
    cands = []
    for el in _TITLE_XP(root):
        if el.tag in ("title", "meta", "a") or any(a.tag == "a" for a in el.iterancestors()):
            continue
        txt = normalize_line(el.text_content())
        if not (4 <= len(txt) <= 200) or txt in (site, column):
            continue
        links = "".join(a.text_content() for a in el.iter("a"))
        if links and normalize_line(links) == txt:  # a logo / list link, not an article heading
            continue
        cands.append(txt)
    if title_tag:
        inside = [c for c in cands if c in title_tag]
        return max(inside, key=len) if inside else None
    return cands[0] if cands else None


_SOURCE_RX = re.compile(r"(?<![\u4e00-\u9fff])(?:信息来源|文章来源|来源)\s*[:：]\s*([^\s|｜:：【】]+)")
_SOURCE_CUT = re.compile(r"(?:发布时间|发布日期|时间|日期|浏览|访问|点击|作者|字体|字号|分享|打印|阅读)")
_HANWEB_SOURCE = re.compile(r"<!--<\$\[信息来源\]>begin-->(.*?)<!--<\$\[信息来源\]>end-->", re.S)
_TAGS = re.compile(r"<[^>]+>")


def _source(html: str, outside: str, meta: dict[str, str]) -> str | None:
    if "[信息来源]>begin" in html:
        m = _HANWEB_SOURCE.search(html)
        if m:
            v = normalize_line(_TAGS.sub("", m.group(1)))
            if v:
                return v
    for m in _SOURCE_RX.finditer(outside):
        v = _SOURCE_CUT.split(m.group(1))[0].strip()
        if v:
            return v
    return _meta_get(meta, "ContentSource")


# ---------------------------------------------------------------- trafilatura path

_TABLE_LINE = re.compile(r"^\|.*\|\s*$")


def _trafilatura_lines(root, url: str | None) -> list[str]:
    import trafilatura

    text = trafilatura.extract(root, url=url, fast=True, favor_recall=True, include_tables=True, include_comments=False,
                               deduplicate=False, with_metadata=False) or ""
    lines = []
    for ln in text.split("\n"):
        if _TABLE_LINE.match(ln.strip()):
            cells = [normalize_line(c) for c in ln.strip().strip("|").split("|")]
            ln = " | ".join(c for c in cells if c)
        else:
            ln = normalize_line(ln)
            if ln.startswith("- "):
                ln = ln[2:]
        if ln:
            lines.append(ln)
    return lines


_WS_ALL = re.compile(r"[\s\u3000\u00a0\u200b-\u200d\ufeff]+")


_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(]\s*[一二三四五六七八九十]{1,3}\s*[）)])")


def _locate_body(root, lines: list[str]):
    """The element holding the body, judged from trafilatura's output and report headings.

    1. trafilatura: every text node (an element's text or a child's tail) is
       *kept* if it occurs in trafilatura's output, else *unkept*; link text
       counts as neither (related-article lists are links). The element
       maximising kept - unkept and holding at least half of all kept text
       wins over its ancestors (they add unkept chrome) and over its
       descendants (they miss kept paragraphs). Headings that trafilatura
       dropped inside it cost a little score but come back when rendered.
    2. report headings: the deepest element holding >= 80 % of the text
       nodes that open with 一、/（一） numbering (>= 3 of them). Reports
       always have these; it rescues pages where trafilatura picked the wrong
       block (e.g. a related-links list next to a body of headings + tables).
    If (2) lies inside (1), (1) is used; otherwise (2).
    """
    body = root.find("body")
    if body is None:
        return None
    kept_sq = _WS_ALL.sub("", "".join(lines).replace("|", "")) if lines else ""
    scores: list = []

    def weigh(piece: str | None, in_link: bool) -> tuple[int, int, int]:
        if not piece:
            return 0, 0, 0
        h = 1 if _HEADING.match(piece) else 0
        if in_link:
            return 0, 0, h
        sq = _WS_ALL.sub("", piece)
        if len(sq) < 2:
            return 0, 0, h
        return ((len(sq), 0, h) if kept_sq and sq in kept_sq else (0, len(sq), h))

    def walk(el, in_link: bool) -> tuple[int, int, int]:
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:
            return 0, 0, 0
        in_link = in_link or tag == "a"
        k, u, h = weigh(el.text, in_link)
        for c in el:
            ck, cu, ch = walk(c, in_link)
            tk, tu, th = weigh(c.tail, in_link)
            k += ck + tk
            u += cu + tu
            h += ch + th
        if k or h:
            scores.append((k, u, h, el))
        return k, u, h

    total, _, headings = walk(body, False)
    by_text = None
    if total:
        best_score = None
        for k, u, h, el in scores:  # post-order: descendants come before ancestors
            if k >= 0.5 * total and (best_score is None or k - u > best_score):
                by_text, best_score = el, k - u
        if by_text is not None and by_text.tag in ("body", "html"):
            by_text = None
    by_head = None
    if headings >= 3:
        for k, u, h, el in scores:  # the first with >= 80 % is the deepest
            if h >= 0.8 * headings:
                by_head = el
                break
        if by_head is not None and by_head.tag in ("body", "html"):
            by_head = None
    if by_head is None:
        return by_text
    if by_text is None:
        return by_head
    if by_head is by_text or any(a is by_text for a in by_head.iterancestors()):
        return by_text
    return by_head


# ---------------------------------------------------------------- main entry

def extract_page(html: str, url: str | None = None) -> Page:
    """Decoded page HTML -> Page(title, published, published_raw, source, meta, text)."""
    page = Page()
    root = _parse(html or "")
    if root is None:
        return page
    meta = _meta(root)
    page.meta = meta

    scope, label, skip = _find_scope(root, html)
    page.scope = label
    outside = _outside_text(root, skip)

    # ---- title
    title_el = root.find(".//title")
    title_tag = normalize_line(title_el.text_content()) if title_el is not None else None
    title = _meta_get(meta, "ArticleTitle")
    if not title:
        title = _visible_title(root, title_tag, meta)
    if not title and title_tag:
        title = strip_title_suffix(title_tag, _meta_get(meta, "SiteName"), _meta_get(meta, "ColumnName")) or None
    page.title = title or None

    # ---- date
    for name in ("PubDate", "Maketime", "firstpublishedtime", "publishdate", "pubdate"):
        v = _meta_get(meta, name)
        r = _parse_date_match(v) if v else None
        if r:
            page.published, page.published_raw = r[0], v
            page.date_from = f"meta:{name}"
            break
    if page.published is None:
        r = _visible_date(outside)
        if r:
            page.published, page.published_raw = r
            page.date_from = "visible"
    if page.published is None and url:
        for rx in _URL_DATE:
            m = rx.search(url)
            if m:
                iso = _valid_date(int(m[1]), int(m[2]), int(m[3]))
                if iso:
                    page.published, page.published_raw, page.date_from = iso, m.group(0), "url"
                    break

    # ---- source
    page.source = _source(html, outside, meta)

    # ---- text
    if scope is not None:
        lines = render_blocks(scope)
    else:
        for c in root.xpath("//comment()"):
            if c.getparent() is not None:
                c.drop_tree()
        traf = _trafilatura_lines(root, url)
        body_el = _locate_body(root, traf)
        if body_el is not None:
            lines = render_blocks(body_el)
            cls = (body_el.get("class") or "").split()
            page.scope = f"located:{body_el.tag}" + (f".{cls[0]}" if cls else "")
        else:
            lines = traf
        # whole-page heuristics often start at the page's <h1>: that is chrome here
        # (inside a CMS container a title line is the document's own and is kept)
        if page.title:
            t = normalize_line(page.title)
            while lines and lines[0] == t:
                lines.pop(0)
    lines = strip_chrome(lines)
    page.text = _finish(lines)

    # ---- last-resort date: htmldate (misreads 2024年1月25日, hence last)
    if page.published is None:
        try:
            from htmldate import find_date

            d = find_date(root, url=url, original_date=True, extensive_search=False, outputformat="%Y-%m-%d")
        except Exception:  # htmldate is best-effort
            d = None
        if d and parse_date(d):
            page.published, page.published_raw, page.date_from = d, d, "htmldate"
    return page
