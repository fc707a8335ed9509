"""Which links and pages are annual reports, of which agency and which year.

Lists mix reports with news, notices about compiling reports (关于做好…年度报告编制工作的通知),
interpretations (图解/解读) and reports of other agencies (a county portal lists every bureau's).
Deciding from the title alone is what real crawlers can do before fetching a page, so this module
works on titles, with the published date as the fallback for the year.

Agency identity. A title names its issuer before the year (鄂尔多斯市民政局2019年…), after it
(2019年上海市人民政府办公厅政府信息公开…), before the report phrase when the year comes last
(…政府信息公开工作年度报告（2019年度）), or not at all (the agency's own site). :func:`parse_agency`
reads an issuer into an :class:`Identity`: the places it names, from the administrative divisions
(:mod:`extract.divisions`: 江苏省 → 南京市 → 鼓楼区, each inside the one before, short forms such as
江苏 / 恩施州 accepted) down to townships (…镇, …乡, …街道, …苏木) and development zones (…开发区,
…新区, …综合实验区), and the organ (``body``). Two names are the SAME agency when
* their organs are equal after normalising the forms agencies really use: a place alone means its
  people's government (鄂尔多斯市 = 鄂尔多斯市人民政府; a 街道 alone its 办事处, a zone alone its
  管理委员会); 政府 = 人民政府; 管委会 = 管理委员会; 办 = 办公室 = 办公厅; 政府办 = 人民政府办公室;
  a government department may carry 人民政府 before its name or not;
* their townships and zones are equal, as printed (a zone named with its city's short name, 苏州工业园区,
  also without it); a place the divisions do not hold (a county set up after the data's snapshot) is
  compared by name the same way;
* their lowest divisions can be the same one: a name may leave out the higher places (滨湖区民政局 for
  无锡市滨湖区民政局), and a division name shared by several places (朝阳区 in 北京 and 长春) is
  narrowed by the agency's own place, so 北京市朝阳区民政局 is not 长春市朝阳区民政局 but 朝阳区民政局
  on 长春's site is; a relative place (市民政局, 自治区民政厅) stands for the agency's own place when
  the word fits it.
So a county's 人民政府 and its 人民政府办公室 are different agencies, and so are a city's 民政局 and a
district's. Nothing depends on aliases written for one agency; a registry's ``aliases`` still count
when a title prints exactly one of them. Traditional characters are read as simplified (OpenCC t2s),
Chinese-numeral years (二〇一九年) as digits.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from extract import divisions as dv
from extract.divisions import Division

YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_YEAR_SPAN_RE = re.compile(r"((?:19|20)\d{2})\s*年度?")
# An annual report names the disclosure work it reports on; agencies publish other 年度报告 too
# (法治政府建设年度报告, 政府网站工作年度报表) that are not ours.
REPORT_RE = re.compile(r"(信息|政务)公开.{0,8}(年度报告|工作报告|年报|报告)")
# Where the report phrase begins (its 政府 is not the issuer's: 上海市政府信息公开… is 上海市).
_PHRASE_RE = re.compile(r"(?:政府)?(?:信息|政务)公开")
# Titles that mention a report but are something else: notices about compiling reports,
# interpretations and charts of a report, press events, solicitations.
NOT_REPORT_RE = re.compile(
    r"通知|解读|图解|一图读懂|图说|问答|发布会|新闻发布|征求|意见|部署|培训|编制|考核|测评|评估|公示|公告|答记者问|视频|动漫"
)
AGENCY_SUFFIX_RE = re.compile(
    r"(局|厅|委|委员会|办|办公室|政府|院|中心|所|站|会|部|署|处|队|区|县|市|州|盟|旗|镇|乡|街道|苏木|社区|村|集团|公司|馆|校|学院|大学)$"
)
_NUMERALS = str.maketrans("〇○零OoＯ0一二三四五六七八九", "0000000123456789")
_CN_YEAR_RE = re.compile(r"[〇○零OoＯ0一二三四五六七八九]{4}(?=\s*年)")
_LEAD_RE = re.compile(r"^(?:关于|【[^】]*】|\[[^\]]*\]|〔[^〕]*〕|[《“”\"'「」『』：:·\-—_])+")
_TRAIL_RE = re.compile(r"(?:关于|的|[》“”\"'「」『』：:·\-—_（(])+$")
# Development zones and other areas that are not divisions but have a 管理委员会 of their own.
_ZONE_RE = re.compile(
    r"(.{1,12}?)(经济技术开发区|经济开发区|高新技术产业开发区|高新技术开发区|开发区|高新区|综合实验区|实验区|"
    r"示范区|新区|工业园区|产业园区|园区|合作区|试验区|保税区|度假区|管理区|风景名胜区|景区)")
_PLACE_RE = re.compile(r"(.{2,6}?)(自治县|自治旗|自治州|林区|特区|地区|县|区|市|旗|盟|州)")
_TOWN_RE = re.compile(r"(.{1,10}?)(街道|镇|乡|苏木)")  # used with .match(s, pos): no ^
# What may follow a township: its government or office (…镇人民政府, …街道办事处), nothing else
# (城乡建设局 is no township).
_TOWN_BODY_RE = re.compile(r"^(?:(?:人民)?政府(?:办公室|办公厅|办)?|办事处|办|党委|党政办(?:公室)?)?$")
_RELATIVE = ("自治区", "自治州", "自治县", "省", "市", "州", "盟", "区", "县", "旗", "镇", "乡", "街道")
_CENTRAL_RE = re.compile(r"^(中华人民共和国|国务院|国家)")
# Words that begin with a relative place's character but are organs: 市场监督管理局 is no 市 + 场….
_NOT_RELATIVE = ("市场", "市政", "市容", "区域", "县域")


def normalize(text: str) -> str:
    """NFKC (full-width digits and brackets), no spaces: titles are compared by content."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", text)


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # the official OpenCC binding (於都縣 → 于都县; see _kept for 乾安县)
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _kept() -> frozenset[str]:
    """Characters of division names that t2s would change (乾安县 → 干安县): kept as written."""
    c = _t2s()
    return frozenset(ch for d in dv.all_divisions() for ch in d.name if c.convert(ch) != ch)


def fold(text: str) -> str:
    """:func:`normalize`, traditional characters as simplified, Chinese-numeral years as digits."""
    if text and len(text) <= 200:  # a title or a name: the crawl folds the same ones again and again
        return _fold_short(text)
    return _fold(text)


@lru_cache(maxsize=65536)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    t = normalize(text)
    if t and not t.isascii():
        out = _t2s().convert(t)
        if len(out) == len(t):
            kept = _kept()
            out = "".join(o if c not in kept else c for c, o in zip(t, out))
        t = out
    return _CN_YEAR_RE.sub(lambda m: m.group(0).translate(_NUMERALS), t)


@dataclass(frozen=True)
class Place:
    name: str                                 # as printed: 南京市, 鼓楼区, 宁海路街道, 平潭综合实验区, 市
    kind: str                                 # division | town | zone | relative
    candidates: tuple[Division, ...] = ()     # divisions the name may be (kind division)
    key: str = ""                             # a zone's name without its city's (苏州工业园区 → 工业园区)


@dataclass(frozen=True)
class Identity:
    """An agency as a title or a registry names it: places, organ, and the division it sits in."""
    text: str                                 # the name as printed (folded)
    places: tuple[Place, ...]
    body: str                                 # the organ, normalised: 人民政府, 人民政府办公室, 民政局 …
    candidates: tuple[Division, ...] = ()     # the lowest division: one when certain, several when not
    central: bool = False
    context: tuple[Division, ...] = field(default=(), compare=False)
    # 市场监督管理局 read as 市 + 场监督管理局: the reading without the relative place, kept beside
    literal: "Identity | None" = field(default=None, compare=False)

    @property
    def division(self) -> Division | None:
        return self.candidates[0] if len(self.candidates) == 1 else None

    @property
    def division_code(self) -> str | None:
        d = self.division
        return d.code if d else None

    @property
    def tail(self) -> tuple[tuple[str, str], ...]:
        """Townships and zones below the divisions, as printed."""
        return tuple((p.kind, p.key or p.name) for p in self.places if p.kind in ("town", "zone", "place"))

    @property
    def key(self) -> str | None:
        """One string per agency, once its division is certain (320106|town:宁海路街道|办事处): two
        spellings of the same agency, read in their places, give the same key."""
        if self.division is None:
            return None
        return "|".join([self.division.code, *(f"{k}:{n}" for k, n in self.tail), self.body])

    @property
    def relative(self) -> str | None:
        return next((p.name for p in self.places if p.kind == "relative"), None)

    @property
    def level(self) -> str | None:
        """central | province | city | county | township, when the name says."""
        if self.central:
            return "central"
        last = self.places[-1] if self.places else None
        if last is not None and last.kind == "town":
            return "township"
        levels = {d.level for d in self.candidates}
        base = levels.pop() if len(levels) == 1 else None
        if last is not None and last.kind in ("zone", "place"):
            return {"province": "city", "city": "county", "county": "township"}.get(base) if base else None
        if base:
            return base
        if last is not None and last.kind == "relative":
            return {"省": "province", "自治区": "province", "镇": "township", "乡": "township",
                    "街道": "township"}.get(last.name)
        return None

    @property
    def province(self) -> str | None:
        d = self.division
        return d.province if d else None

    @property
    def city(self) -> str | None:
        d = self.division
        return d.city if d else None

    @property
    def county(self) -> str | None:
        d = self.division
        return d.county if d else None

    @property
    def name(self) -> str:
        """The full name, higher places spelt out: 北京市朝阳区民政局, 鄂尔多斯市人民政府."""
        d = self.division
        if d is None:
            head = "".join(p.name for p in self.places if p.kind in ("division", "relative"))
        elif d.level == "county" and (d.type == "市辖区" or len(dv.lookup(d.name)) > 1):
            # a district, or a county name found in several places, is named with the place above
            head = (d.city or (d.province if _is_municipality(d.province) else "")) + d.name
        else:
            head = d.name
        tail = [p.name for p in self.places if p.kind in ("town", "zone", "place")]
        named = [p.name for p in self.places if p.kind == "division"]
        if self.tail and self.tail[0][0] == "zone" and (not named or tail[0].startswith(named[-1])):
            head = ""  # 苏州工业园区 carries its city in its own name; 平潭综合实验区 needs none
        return head + "".join(tail) + self.body


def _is_municipality(province: str) -> bool:
    return any(x.type == "直辖市" for x in dv.lookup(province))


def _body(rest: str, last: Place | None) -> str:
    """The organ, normalised (see the module docstring)."""
    b = rest
    if b in ("", "人民"):
        if last is not None and last.kind == "division" and not b and \
                all(d.type in ("盟", "地区") for d in last.candidates):
            return "行政公署"  # a 盟's or 地区's government is its 行政公署
        if b == "人民" or last is None or last.kind in ("division", "relative"):
            return "人民政府" if (b or last is not None) else ""
        if last.kind == "zone":
            return "管理委员会"
        return "办事处" if last.name.endswith("街道") else "人民政府"
    b = b.replace("管委会", "管理委员会").replace("管委办", "管理委员会办公室")
    if b.startswith("政府"):
        b = "人民" + b
    if last is not None and last.kind == "town" and last.name.endswith("街道") and b in ("办", "办事处", "街道办事处"):
        return "办事处"
    b = re.sub(r"办公厅$", "办公室", b)
    b = re.sub(r"(?<![事公])办$", "办公室", b)
    m = re.match(r"^人民政府(.+)$", b)
    if m and m.group(1) != "办公室":
        b = m.group(1)  # 某市人民政府国有资产监督管理委员会 is 某市国有资产监督管理委员会
    return b


def _zone_at(s: str, i: int) -> tuple[str, int] | None:
    m = _ZONE_RE.match(s, i)
    if m and not _ZONE_RE.fullmatch(m.group(1)):
        return m.group(0), m.end()
    return None


def parse_agency(text: str, context: tuple[Division, ...] | list[Division] = (), *,
                 relative: bool = True) -> Identity:
    """An agency name (or a title's issuer) → :class:`Identity`; ``context`` (the divisions of the
    place it is read in) narrows a division name shared by several places."""
    s = _TRAIL_RE.sub("", _LEAD_RE.sub("", fold(text)))
    central = bool(_CENTRAL_RE.match(s))
    places: list[Place] = []
    i = 0
    if central:
        i = _CENTRAL_RE.match(s).end() if s.startswith("中华人民共和国") else 0
    else:
        while i < len(s):
            last = next((p for p in reversed(places) if p.kind == "division"), None)
            if last is not None and all(c.level == "county" for c in last.candidates):
                break
            took = False
            for name, cands, is_full in dv.prefixes_at(s, i):
                if last is not None:
                    cands = [c for c in cands if any(p.contains(c) for p in last.candidates)]
                if not cands:
                    continue
                if not is_full:
                    zone = _zone_at(s, i)  # 苏州工业园区: a zone named after its city
                    if zone and zone[0].startswith(name) and len(zone[0]) > len(name) + 1:
                        places.append(Place(name, "division", tuple(cands)))
                        places.append(Place(zone[0], "zone", key=zone[0][len(name):]))
                        i = zone[1]
                        took = True
                        break
                places.append(Place(name, "division", tuple(cands)))
                i += len(name)
                took = True
                break
            if not took or (places and places[-1].kind == "zone"):
                break
        if not places and relative and not s.startswith(_NOT_RELATIVE):
            for word in _RELATIVE:
                if s.startswith(word, i) and len(s) > len(word):
                    places.append(Place(word, "relative"))
                    i += len(word)
                    break
        if not places or places[-1].kind == "division":
            zone = _zone_at(s, i)
            if zone:
                places.append(Place(zone[0], "zone"))
                i = zone[1]
            else:
                gov = re.match(r"(?:人民)?政府", s[i:]) if places else None
                town = _TOWN_RE.match(s, i + (gov.end() if gov else 0))  # 某区人民政府某街道办事处
                if gov and not (town and _TOWN_BODY_RE.match(s[town.end():])):
                    town = _TOWN_RE.match(s, i)
                if town and _TOWN_BODY_RE.match(s[town.end():]) and not dv.lookup(town.group(1) + town.group(2)):
                    places.append(Place(town.group(1) + town.group(2), "town"))
                    i = town.end()
                elif not (places and all(c.level == "county" for c in places[-1].candidates)):
                    # a division the data does not hold (set up after its snapshot, or misspelt)
                    other = _PLACE_RE.match(s, i)
                    if other and not _ZONE_RE.fullmatch(other.group(0)):
                        places.append(Place(other.group(0), "place"))
                        i = other.end()
    lowest = next((p for p in reversed(places) if p.kind == "division"), None)
    cands = dv.narrow(list(lowest.candidates), list(context)) if lowest else []
    if lowest is None and places and places[-1].kind == "relative":
        cands = _relative_candidates(places[-1].name, context)
    elif lowest is None and places and context:
        # a township or zone named alone sits in the place it is read in (a county portal's 某镇)
        cands = [max(context, key=lambda d: dv.LEVELS.index(d.level))]
    body = _body(s[i:], places[-1] if places else None)
    literal = None
    if places and places[0].kind == "relative":
        literal = parse_agency(s, context, relative=False)
    return Identity(s, tuple(places), body, tuple(cands), central, tuple(context), literal)


def _relative_candidates(word: str, context) -> list[Division]:
    """市民政局 read on 乌苏市's site: the context's lowest division whose name or type fits the word."""
    for d in sorted(context, key=lambda d: dv.LEVELS.index(d.level), reverse=True):
        if d.name.endswith(word) or (word == "市" and d.level == "city") or (word == "区" and d.type == "市辖区"):
            return [d]
    return []


def same_agency(a: Identity, b: Identity) -> bool:
    """Are two identities the same agency? (the rules are in the module docstring)"""
    return any(_same(x, y) for x in (a, a.literal) if x for y in (b, b.literal) if y)


def _same(a: Identity, b: Identity) -> bool:
    if a.body != b.body or a.tail != b.tail:
        return False
    if a.central or b.central:
        return a.central == b.central or not (a.places or b.places)
    for x, y in ((a, b), (b, a)):
        if x.relative and not x.candidates and y.places and not _fits(x.relative, y):
            return False
    if a.candidates and b.candidates:
        if a.tail:
            # below the divisions (a township, a zone, a county the data lacks) the divisions only
            # say where: one name may give fewer levels than the other (平潭综合实验区 in 福建省)
            return any(x.code == y.code or x.contains(y) or y.contains(x)
                       for x in a.candidates for y in b.candidates)
        return bool({d.code for d in a.candidates} & {d.code for d in b.candidates})
    # a name without its place (the agency's own site), or a township / zone named without the
    # divisions above it
    return True


def _fits(word: str, y: Identity) -> bool:
    """Does a relative place (市, 县, 自治区 …) fit the lowest place the other name gives?"""
    if y.tail:
        return y.tail[-1][1].endswith(word)
    if y.relative and not y.candidates:
        return y.relative == word
    return any(_relative_candidates(word, [d]) for d in y.candidates)


@lru_cache(maxsize=4096)
def agency_identity(name: str, province: str | None = None, city: str | None = None,
                    county: str | None = None) -> Identity:
    """A registry agency: its name read in the place its registry entry gives."""
    ctx = tuple(dv.resolve_place(province, city, county))
    ident = parse_agency(name, ctx)
    if not ident.candidates and ctx and not ident.tail and not ident.central:
        ident = Identity(ident.text, ident.places, ident.body, (ctx[-1],), False, ctx)
    return ident


def division_code_of(name: str, province: str | None = None, city: str | None = None,
                     county: str | None = None) -> str | None:
    """The 行政区划代码 of the division a registry agency sits in (its name first, then its place)."""
    ident = agency_identity(name, province, city, county)
    if ident.division:
        return ident.division.code
    ctx = dv.resolve_place(province, city, county)
    return ctx[-1].code if ctx else None


@dataclass(frozen=True)
class TitleVerdict:
    kind: str  # report | other_agency_report | not_report
    reason: str
    year: int | None = None
    issuer: str = ""
    identity: Identity | None = None  # the issuer, read in the agency's place (when the title names one)


def issuer_of(title: str) -> str:
    """The agency a title names: before the year (无锡市滨湖区民政局2020年…), after it
    (2019年上海市人民政府办公厅政府信息公开…), or before the report phrase when the year comes last."""
    t = _LEAD_RE.sub("", fold(title))
    m = _YEAR_SPAN_RE.search(t)
    p = _PHRASE_RE.search(t)
    if m and (p is None or m.start() < p.start()):
        head = t[: m.start()]
        if not _clean_issuer(head) and p is not None:
            head = t[m.end(): p.start()]
    elif p is not None:
        head = t[: p.start()]
    else:
        return ""
    if p is not None and p.group(0).startswith("政府") and head.endswith("人民"):
        head += "政府"  # 某县人民政府信息公开…: the phrase took the issuer's 政府
    return _clean_issuer(head)


def _clean_issuer(s: str) -> str:
    s = re.sub(r"[（(][^（()）]*[)）]$", "", s)  # 某市民政局（某市老龄办）: the agency is the first
    s = _TRAIL_RE.sub("", _LEAD_RE.sub("", s))
    if "关于" in s:
        s = s[: s.index("关于")]  # 某市人民政府关于某市…: the agency that publishes
    return s.strip("《》“”\"'：:·-—_ ")


def _agency_like(issuer: str, ident: Identity) -> bool:
    """Does the text before the year name an agency (not 关于公布 or 第一季度)?"""
    return bool(AGENCY_SUFFIX_RE.search(issuer) or any(p.kind != "relative" for p in ident.places))


def title_issuer(title: str, province: str | None = None, city: str | None = None,
                 county: str | None = None) -> Identity | None:
    """The issuer of a report title as an :class:`Identity` (division code, level, province, city,
    county), read in a place context when one is given; None when the title names no agency."""
    issuer = issuer_of(title)
    if not issuer:
        return None
    ident = parse_agency(issuer, tuple(dv.resolve_place(province, city, county)))
    return ident if _agency_like(issuer, ident) else None


def is_same_agency(issuer: str, name: str, aliases: tuple[str, ...] | list[str] = (), *,
                   province: str | None = None, city: str | None = None, county: str | None = None) -> bool:
    if not issuer:
        return True
    f = fold(issuer)
    if any(f == fold(a) for a in aliases):
        return True
    agency = agency_identity(fold(name), province, city, county)
    return same_agency(parse_agency(f, agency.context or agency.candidates), agency)


def classify_title(title: str, name: str = "", aliases: tuple[str, ...] | list[str] = (), *,
                   province: str | None = None, city: str | None = None,
                   county: str | None = None) -> TitleVerdict:
    """Is this title an annual report of the agency called ``name`` (in ``province``/``city``/
    ``county`` when given)?"""
    t = fold(title)
    if not t:
        return TitleVerdict("not_report", "empty title")
    if not REPORT_RE.search(t):
        return TitleVerdict("not_report", "no 年度报告/年报 in title")
    ym = YEAR_RE.search(t)
    if not ym:
        return TitleVerdict("not_report", "no year in title")
    bad = NOT_REPORT_RE.search(t)
    if bad:
        return TitleVerdict("not_report", f"mentions a report but is a {bad.group(0)}")
    year = int(ym.group(1))
    issuer = issuer_of(t)
    agency = agency_identity(fold(name), province, city, county) if name else None
    ident = parse_agency(issuer, (agency.context or agency.candidates) if agency else ()) if issuer else None
    if ident is None or not _agency_like(issuer, ident):
        return TitleVerdict("report", "title names an annual report", year, issuer)
    if agency is not None and not is_same_agency(issuer, name, aliases, province=province, city=city, county=county):
        return TitleVerdict("other_agency_report", f"report of {ident.name}", year, issuer, ident)
    return TitleVerdict("report", "title names an annual report", year, issuer, ident)


def report_year(title: str, published: str | None = None) -> int | None:
    """Report year from the title; else the year before publication (reports appear Jan–Mar of Y+1)."""
    m = YEAR_RE.search(fold(title))
    if m:
        return int(m.group(1))
    if published and re.match(r"\d{4}-\d{2}", published):
        y, mth = int(published[:4]), int(published[5:7])
        return y - 1 if mth <= 6 else y
    return None
