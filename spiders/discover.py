"""Discovery: from a site's home page to its 年报 column, and which platform serves that column.

A registry written one column URL at a time does not reach tens of thousands of agencies, and a
column found by hand moves when the site is redesigned. Discovery starts at the home page, follows
the links a person would (政府信息公开 / 信息公开 / 政务公开 / 法定主动公开内容 → 政府信息公开年报 /
年度报告 / 工作年报 …) and the URL shapes of the platforms (``zfxxgknb/``, ``/col/colNNN/``,
``/gkmlpt/``, ``xxgkAnnualReport.jsp``, ``/public/column/``, a report's own URL that names its
column), and judges each page it reaches as a candidate column: which platform drew it
(:func:`fingerprint`) and how many annual reports it lists (the agency's own when its name is
known: a county portal's list of every department's reports is a weaker answer than the agency's
own column).

Everything here is a pure function of pages already fetched, or the :class:`Discovery` walk that
says which page to fetch next. The fetching is done by Scrapy (the ``reports`` spider for
home-URL-only registry entries, ``DiscoverSpider`` for ``nianbao sites discover``), so discovery
obeys the crawl's fetch policy and bounds like every other request. The walk is bounded itself:
pages, bytes and time.

:func:`pager_sign` is the other half of finding the right platform: a list page that shows a pager
(``createPageHTML(5, …)``, 下一页 links, ``index_1.html``, a Hanweb ``totalRecord`` above what is
embedded …) which the adapter did not follow means the registry names the wrong platform; the spider
reports it instead of silently reading page 1 only.
"""
from __future__ import annotations

import heapq
import itertools
import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urldefrag, urljoin, urlsplit

from parsel import Selector

from crawler.items import DiscoveryItem
from extract.identity import classify_title
from spiders.platforms import platform_for
from spiders.platforms import gkmlpt as gk
from spiders.platforms import hanweb as hw
from spiders.platforms import trs as trs_mod
from spiders.platforms import trs_fujian as fj
from spiders.platforms.anhui import PAGES_RE
from spiders.platforms.base import anchors, attachment_format, clean

MAX_PAGES = 15  # pages fetched by one discovery
MAX_PAGE_BYTES = 2 * 1024 * 1024  # a home page or column page; larger ones are not read
MAX_BYTES = 12 * 1024 * 1024  # all pages of one discovery together
MAX_SECONDS = 120.0
MAX_DEPTH = 4  # links from the home page
MAX_LINKS = 400  # links read from one page
FOUND = 0.5  # the least confidence that counts as found
SURE = 0.95  # confident enough to stop looking

# link text of the 年报 column, and of the sections that hold it
COLUMN_TEXT_RE = re.compile(r"年报|年度报告|工作报告")
SECTION_TEXT_RE = re.compile(r"政府信息公开|信息公开|政务公开|法定主动公开|主动公开|公开目录|政务信息|信息公示")
YEAR_IN_TEXT_RE = re.compile(r"(?:19|20)\d{2}|[〇○零一二][〇○零一二三四五六七八九]{3}")
# URL shapes: the column itself, and the sections of disclosure
COLUMN_URL_RE = re.compile(r"zfxxgknb|xxgknb|gknb|/nb/|ndbg|xxgkannualreport|opennessannualreport|/gkmlpt/", re.I)
SECTION_URL_RE = re.compile(r"zfxxgk|xxgk|zwgk|gkml|/public/|/openness/|/col/col\d+", re.I)
# a report's own URL names its column: TRS …/col/YYYYMM/tYYYYMMDD_N.html, Hanweb /art/…/art_COL_N.html
TRS_ARTICLE_RE = re.compile(r"^(.*/)\d{6}/t\d{8}_\d+\.s?html?$")
HANWEB_ARTICLE_RE = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_(\d+)_\d+\.html$")
SKIP_TEXT_RE = re.compile(r"^(首页|网站首页|返回首页|上一页|下一页|上页|下页|尾页|末页|转到|\d+|更多|more|English|无障碍|长者模式|"
                          r"登录|注册)$", re.I)

VSB_RE = re.compile(r"_simple_list_gotopage_fun|/system/resource/js/counter\.js|_jsq_\(|vsb_content")
VSB_STYLE_RE = re.compile(r"winstyle(\d+)")
XXGK_VIEW_RE = re.compile(r"/xxgkAnnualReport\.jsp$", re.I)
ANHUI_ROWS_RE = re.compile(r"xxgk_nav_list|nb_table")
ANHUI_URL_RE = re.compile(r"^/public/column/\d+|^/openness/OpennessAnnualReport/", re.I)
DATASTORE_RE = re.compile(r"<datastore>", re.I)
NEXT_TEXT_RE = re.compile(r"^(下一页|下页|后一页|尾页|末页|>|»|next)$", re.I)
PAGE_URL_RE = re.compile(r"index_\d+\.s?html?$|[?&](?:page|pageNum|pageIndex|currentPage)=\d+", re.I)
VSB_PAGES_RE = re.compile(r"共\s*\d+\s*条(?:&nbsp;|\s)*\d+/(\d+)")


# ---------------------------------------------------------------------------------------------
# what a page is


@dataclass
class Fingerprint:
    """The platform a page's markup belongs to, the adapter options it implies, and why we think so.
    ``is_list``: the page is a list (column) of that platform, not just any page of the site."""
    platform: str
    is_list: bool
    evidence: list[str]
    options: dict = field(default_factory=dict)


def fingerprint(url: str, text: str) -> Fingerprint | None:
    """Which platform drew this page, from the shapes its adapter reads (spiders/platforms)."""
    path = urlsplit(url).path
    if XXGK_VIEW_RE.search(path):
        area = parse_qs(urlsplit(url).query).get("area", [""])[0]
        ev = [f"URL is Hanweb's 信息公开目录 annual-report view ({path})"]
        if re.search(r"fbtime=\d{4}", text):
            ev.append("the page links year views (fbtime=YYYY)")
        return Fingerprint("hanweb_xxgk", bool(area), ev, {"area": area} if area else {})
    if "/gkmlpt/" in path or "_CONFIG" in text:
        sid, nodes = gk.config(text)
        if sid:
            ev = [f"window._CONFIG with SID {sid} and a TREE of {len(nodes)} classifies (gkmlpt)"]
            report = [n for n in nodes if gk.REPORT_CLASSIFY_RE.search(n["name"])]
            opts = {}
            if report:
                ev.append("TREE classify " + ", ".join(f"{n['id']} {n['name']}" for n in report[:3]))
                opts["classify_id"] = report[0]["id"] if len(report) == 1 else [n["id"] for n in report]
            return Fingerprint("gkmlpt", bool(report), ev, opts)
    cfg = fj.list_config(text)
    if cfg is not None:
        return Fingerprint("trs_fujian", True, [
            f"list2.trsapi search list (channelid {cfg['channelid']}, {cfg['classsql'] or 'no classsql'}, "
            f"recordCount {cfg['recordCount']})"])
    if DATASTORE_RE.search(text) and ("dataproxy" in text or "jpage" in text or hw.RECORD_RE.search(text)):
        records = len(hw.RECORD_RE.findall(text))
        total = hw.TOTAL_RE.search(text)
        return Fingerprint("hanweb", True, [
            f"Hanweb <datastore> with {records} records" + (
                f", totalRecord {total.group(1) or total.group(2)}" if total else "") + " (dataproxy.jsp pages)"])
    pc = trs_mod.page_count(text)
    if pc is not None:
        count, index, name, ext = pc
        shown = (f'createPageHTML({count}, {index}, "{name}", "{ext}")' if name else f"countPage = {count}")
        return Fingerprint("trs", True, [f"TRS inline pager {shown}"])
    if VSB_RE.search(text):
        m = VSB_STYLE_RE.search(text)
        if m:
            sid = m.group(1)
            opts = {"link_selector": f"a.c{sid}", "date_selector": f"span.timestyle{sid}"}
            if re.search(r"""class=["']?Next\b""", text):
                opts["next_selector"] = "a.Next"
            return Fingerprint("generic", True, [f"Boda VSB list (winstyle{sid}: rows a.c{sid}, dates "
                                                 f"span.timestyle{sid}, pager a.Next)"], opts)
        return Fingerprint("generic", False, ["Boda VSB page (counter.js / _jsq_)"])
    if ANHUI_URL_RE.search(path) or ANHUI_ROWS_RE.search(text):
        rows = bool(ANHUI_ROWS_RE.search(text))
        return Fingerprint("anhui", rows, [f"Anhui 政务公开平台 {'list rows' if rows else 'URL'} ({path})"])
    if re.search(r"/col/col\d+/", path):
        return Fingerprint("hanweb", False, [f"Hanweb column URL {path}"])
    return None


def trs_first_page(text: str) -> str:
    """The file name of a TRS column's first page (``index.html``, ``index.shtml`` …) from its pager:
    a column found as ``…/zfxxgknb/`` is registered as the page the pager counts from."""
    pc = trs_mod.page_count(text)
    if pc and pc[2]:
        return f"{pc[2]}.{pc[3]}"
    m = re.search(r"""["']index\.(s?html?)["']""", text)
    return f"index.{m.group(1)}" if m else "index.html"


def pager_sign(url: str, text: str) -> str | None:
    """A pager this list page shows, in words (None when it shows none): how a crawl notices that its
    adapter read page 1 of a longer list."""
    # a platform's own pager says how many pages there are: its word is final (one page is no pager)
    cfg = fj.list_config(text)
    if cfg and cfg["recordCount"] is not None:
        more = cfg["recordCount"] > cfg["prepage"]
        return f"list2.trsapi recordCount {cfg['recordCount']} > {cfg['prepage']} a page" if more else None
    pc = trs_mod.page_count(text)
    if pc:
        count, index, name, ext = pc
        shown = f'createPageHTML({count}, {index}, "{name}", "{ext}")' if name else f"countPage = {count}"
        return f"{shown}: {count} pages" if count > 1 else None
    total = hw.TOTAL_RE.search(text)
    if total and DATASTORE_RE.search(text):
        n, shown = int(total.group(1) or total.group(2)), len(hw.RECORD_RE.findall(text))
        return f"Hanweb totalRecord {n} > {shown} records embedded" if n > shown else None
    if text.lstrip()[:1] == "{":
        data = gk._json(text, url) or {}
        arts = data.get("articles")
        try:
            total_n = int(data.get("total") or 0)
        except (TypeError, ValueError):
            total_n = 0
        if isinstance(arts, list) and arts and total_n > len(arts):
            return f"gkmlpt total {total_n} > {len(arts)} articles on this page"
        return None
    m = PAGES_RE.search(text) or VSB_PAGES_RE.search(text)
    if m:
        return f"{m.group(0)}: {m.group(1)} pages" if int(m.group(1)) > 1 else None
    sel = Selector(text=text)
    for a in sel.xpath("//a[@href]")[:2000]:
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#")):
            continue
        label = clean("".join(a.xpath(".//text()").getall()))
        if NEXT_TEXT_RE.match(label):
            return f"a {label} link to {urljoin(url, href)}"
        if PAGE_URL_RE.search(href) and urljoin(url, href).split("#")[0] != url:
            return f"a link to page {urljoin(url, href)}"
    return None


# ---------------------------------------------------------------------------------------------
# which links to follow


@dataclass(frozen=True)
class Agent:
    """Who we look for: with a name, reports are counted as the agency's own or another's."""
    name: str = ""
    aliases: tuple[str, ...] = ()
    province: str | None = None
    city: str | None = None
    county: str | None = None

    def short_names(self) -> list[str]:
        return [n for n in (self.name, *self.aliases) if n]


@dataclass
class Link:
    url: str
    text: str
    score: float
    why: str


def site_key(host: str) -> str:
    """The registered domain a site's pages share (www.x.gov.cn and xxgk.x.gov.cn both → x.gov.cn)."""
    labels = (host or "").lower().rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in ("gov", "com", "org", "net", "edu", "ac") else 2
    return ".".join(labels[-keep:])


def column_of_report(url: str) -> str | None:
    """The column a report page lives in, from its URL (README, "Adding a real agency")."""
    parts = urlsplit(url)
    m = TRS_ARTICLE_RE.match(parts.path)
    if m:
        return f"{parts.scheme}://{parts.netloc}{m.group(1)}index.html"
    m = HANWEB_ARTICLE_RE.search(parts.path)
    if m:
        return f"{parts.scheme}://{parts.netloc}/col/col{m.group(1)}/index.html"
    return None


def links_to_follow(url: str, text: str, agent: Agent = Agent(), *, in_section: bool = False) -> list[Link]:
    """The links of a page worth following towards the 年报 column, scored: column words in the
    link text beat section words, URL shapes add, the agency's own name counts inside a 年报 section
    (a portal's 年报 section lists departments: 县民政局 …), and a report link points at its column."""
    out: dict[str, Link] = {}
    host = site_key(urlsplit(url).hostname or "")
    for link in anchors(Selector(text=text), url)[:MAX_LINKS]:
        target, _ = urldefrag(link.url)
        if site_key(urlsplit(target).hostname or "") != host or attachment_format(target, ""):
            continue
        label = re.sub(r"\s+", "", link.title)
        if not label or SKIP_TEXT_RE.match(label) or len(label) > 60:
            continue
        score, why = 0.0, []
        if YEAR_IN_TEXT_RE.search(label):
            col = column_of_report(target) if COLUMN_TEXT_RE.search(label) else None
            if col:
                out.setdefault(col, Link(col, label, 4.0, f"the column of the report 《{label[:40]}》"))
            continue
        if COLUMN_TEXT_RE.search(label) and len(label) <= 24:
            score, why = 5.0, [f"link text 「{label}」"]
        elif SECTION_TEXT_RE.search(label) and len(label) <= 24:
            score, why = 3.0, [f"link text 「{label}」"]
        elif in_section and any(n in label or label in n for n in agent.short_names() if len(label) >= 2):
            score, why = 3.0, [f"the agency's name 「{label}」 in a 年报 section"]
        lowered = urlsplit(target).path.lower() + "?" + urlsplit(target).query.lower()
        if COLUMN_URL_RE.search(lowered):
            score += 2.0
            why.append(f"URL shape {COLUMN_URL_RE.search(lowered).group(0)}")
        elif SECTION_URL_RE.search(lowered):
            score += 1.0
            why.append(f"URL shape {SECTION_URL_RE.search(lowered).group(0)}")
        if in_section and score:
            score += 1.0
        if score >= 2.0 and (target not in out or out[target].score < score):
            out[target] = Link(target, label, score, ", ".join(why))
    return sorted(out.values(), key=lambda l: -l.score)


# ---------------------------------------------------------------------------------------------
# is this page the column?


@dataclass
class Column:
    url: str
    platform: str
    options: dict
    confidence: float
    evidence: list[str]
    own: int = 0  # the agency's reports listed (all reports when no name is known)
    others: int = 0  # other agencies' reports listed
    depth: int = 0


def count_reports(platform: str, url: str, text: str, options: dict, agent: Agent) -> tuple[int, int, list[str]]:
    """(own reports, other agencies' reports, a few titles) listed on a candidate column page, read
    by its platform's adapter as the crawl will read it."""
    try:
        links = platform_for(platform).links(text, url, {"options": options, "page": 0})
    except Exception:  # an adapter meeting a page it was not made for: no reports, not a crash
        links = []
    own, others, titles = 0, 0, []
    for link in links[:MAX_LINKS]:
        v = classify_title(link.title, agent.name, agent.aliases, province=agent.province, city=agent.city,
                           county=agent.county)
        if v.kind == "report":
            own += 1
            if len(titles) < 2:
                titles.append(link.title)
        elif v.kind == "other_agency_report":
            others += 1
    return own, others, titles


def assess(url: str, text: str, agent: Agent = Agent(), *, via: str = "", depth: int = 0) -> Column | None:
    """A page judged as the 年报 column: None unless a platform's list markup (or, failing that,
    several report links) is on it. Confidence adds up: the platform's list markup (0.35), column
    words in the link that led here or in the page's column name (0.25), reports listed (up to 0.4;
    for gkmlpt and the xxgk view, whose lists come from elsewhere, the classify or year views they
    name); a list mostly of other agencies' reports (a portal) loses 0.15."""
    fp = fingerprint(url, text)
    sel = Selector(text=text)
    title = clean(sel.xpath("string(//title)").get() or "")
    column_name = clean(sel.xpath("//meta[@name='ColumnName']/@content").get() or "")
    evidence: list[str] = []
    conf = 0.0
    if fp is not None and fp.is_list:
        platform, options = fp.platform, dict(fp.options)
        conf += 0.35
        evidence += fp.evidence
    else:
        platform, options = "generic", {}
    if platform == "trs" and urlsplit(url).path.endswith("/"):
        url = urljoin(url, trs_first_page(text))  # the column as its pager names page 1
    named = next((t for t in (via, column_name, title) if t and COLUMN_TEXT_RE.search(t)
                  and not YEAR_IN_TEXT_RE.search(t)), None)
    if named:
        conf += 0.25
        evidence.append(f"column named 「{named[:40]}」")
    own, others, titles = count_reports(platform, url, text, options, agent)
    if platform == "gkmlpt" and options.get("classify_id"):
        conf += 0.3
    elif platform == "hanweb_xxgk" and len(fp.evidence) > 1:
        conf += 0.3
    elif own:
        conf += 0.4 * min(own, 3) / 3
        evidence.append(f"{own} report link(s) of {'the agency' if agent.name else 'an agency'}"
                        + (f", e.g. 《{titles[0][:40]}》" if titles else ""))
    if agent.name and others > own:
        conf -= 0.15
        evidence.append(f"a portal list: {others} of {own + others} reports are other agencies'")
    if fp is None or not fp.is_list:
        if own < 2:
            return None  # not a list we know, and not a page of reports either
        evidence.append("no known platform: generic adapter (下一页 links)")
    return Column(url, platform, options, round(max(0.0, min(conf, 1.0)), 2), evidence, own, others, depth)


# ---------------------------------------------------------------------------------------------
# the walk


@dataclass
class Step:
    """A page to fetch: where from, how it was reached."""
    url: str
    depth: int = 0
    score: float = 0.0
    via: str = ""  # the link text that led here
    why: str = ""
    in_section: bool = False  # reached through a 年报 (column-word) link


class Discovery:
    """One walk from a home page: ``first()`` is the home page; after each fetched page ``feed()`` it
    (or ``failed()``), and ask ``next()`` for the next page; ``None`` means done, and ``result()``
    says what was found. Best-first: the highest-scored link not yet fetched goes next, so a site
    whose home page links its 年报 column directly costs two pages."""

    def __init__(self, home_url: str, agent: Agent = Agent(), *, platform: str | None = None,
                 max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES, max_seconds: float = MAX_SECONDS,
                 clock=time.monotonic):
        self.home_url = home_url
        self.agent = agent
        self.platform = platform  # a platform the registry names: its columns win ties
        self.max_pages, self.max_bytes, self.max_seconds = max_pages, max_bytes, max_seconds
        self.clock = clock
        self.started = clock()
        self.fetched = 0
        self.bytes = 0
        self.seen: set[str] = set()
        self.queue: list = []
        self.order = itertools.count()
        self.columns: list[Column] = []
        self.notes: list[str] = []
        self.stopped: str | None = None

    def first(self) -> Step:
        step = Step(urldefrag(self.home_url)[0], 0, 0.0, "", "home page")
        self.seen.add(step.url)
        return step

    def feed(self, step: Step, final_url: str, text: str, size: int | None = None) -> Column | None:
        """A fetched page: judge it as the column, and queue its links."""
        self.fetched += 1
        self.bytes += len(text) if size is None else size
        self.seen.add(urldefrag(final_url)[0])
        column = assess(final_url, text, self.agent, via=step.via, depth=step.depth) if step.depth else None
        if column is not None:
            if step.why:
                column.evidence.insert(0, f"reached by {step.why}")
            self.columns.append(column)
        if step.depth < MAX_DEPTH and (column is None or column.confidence < FOUND):
            inside = step.in_section or bool(step.via and COLUMN_TEXT_RE.search(step.via))
            for link in links_to_follow(final_url, text, self.agent, in_section=inside):
                if link.url in self.seen:
                    continue
                self.seen.add(link.url)
                score = link.score - 0.5 * step.depth
                heapq.heappush(self.queue, (-score, next(self.order), Step(
                    link.url, step.depth + 1, score, link.text, link.why,
                    in_section=inside or bool(COLUMN_TEXT_RE.search(link.text)))))
        return column

    def failed(self, step: Step, reason: str) -> None:
        self.fetched += 1
        self.notes.append(f"{step.url}: {reason}")

    def best(self) -> Column | None:
        if not self.columns:
            return None
        return max(self.columns, key=lambda c: (round(c.confidence + (0.05 if c.platform == self.platform else 0), 2),
                                                c.own, -c.others, -c.depth))

    def next(self) -> Step | None:
        best = self.best()
        if best is not None and best.confidence >= SURE:
            return None
        if not self.queue:
            return None
        if self.fetched >= self.max_pages:
            self.stopped = f"stopped at the limit of {self.max_pages} pages"
            return None
        if self.bytes >= self.max_bytes:
            self.stopped = f"stopped at the limit of {self.max_bytes} bytes"
            return None
        if self.clock() - self.started > self.max_seconds:
            self.stopped = f"stopped at the limit of {self.max_seconds:g} s"
            return None
        return heapq.heappop(self.queue)[2]

    def candidates(self) -> list[Column]:
        """Every page judged as a column, most confident first."""
        return sorted(self.columns, key=lambda c: -c.confidence)

    def result(self, agency_id: str = "") -> DiscoveryItem:
        """What was found (``start_url`` set) or why nothing was (``reason``), as the archive keeps it."""
        best = self.best()
        if best is not None and best.confidence >= FOUND:
            evidence = list(best.evidence)
            if self.stopped:
                evidence.append(self.stopped)
            return DiscoveryItem(agency_id, self.home_url, best.url, best.platform, best.options, best.confidence,
                                 evidence, self.fetched)
        if best is not None:
            reason = (f"no 年报 column found with confidence ≥ {FOUND}: the best candidate {best.url} "
                      f"({best.platform}, {best.confidence})")
        elif self.fetched <= 1 and self.notes:
            reason = f"the home page could not be read: {self.notes[0]}"
        else:
            reason = f"no 年报 column found in {self.fetched} page(s) from the home page"
        if self.stopped:
            reason += f"; {self.stopped}"
        return DiscoveryItem(agency_id, self.home_url, pages_fetched=self.fetched, reason=reason,
                             evidence=[*self.notes[:5]])


__all__ = ["Agent", "Column", "Discovery", "Fingerprint", "Step", "assess", "column_of_report",
           "fingerprint", "links_to_follow", "pager_sign"]
