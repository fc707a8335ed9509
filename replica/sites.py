"""The replica agencies on the later platforms: TRS-Fujian, gkmlpt, Hanweb xxgk, Anhui, a long-tail
Boda VSB site for the ``generic`` adapter, and two agencies behind anti-bot challenges.

Like ``content.py`` this is data, not markup: each function returns a :class:`SiteSpec` whose
entries ``assemble.py`` renders with the platform's templates (``fujian.py``, ``gkmlpt.py``,
``xxgk.py`` + ``hanweb.py``, ``anhui.py``, ``vsb.py``, ``challenge.py``). Report years, eras,
attachment habits and traps follow what real sites of each platform do; all prose is the
project's own (``prose.py``).

Only the agencies named in ``KNOWN`` get a site; other registry entries on these platforms get
none (a generated site would have to guess ids the real platform assigns).
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from crawler.registry import Agency

from . import content, numbers, prose
from .attachments import Attachment
from .content import Builder, prose_template
from .spec import (Column, Entry, SiteInfo, SiteSpec, anhui_show_path, gkmlpt_post_path, hanweb_article_path,
                   host_and_path, trs_article_path, vsb_download_href, xxgk_download_href, xxgk_view_path)
from .prose import ReportShape


class SiteBuilder(Builder):
    """``content.Builder`` with the paths, ids and attachment URLs of the later platforms."""

    def __init__(self, agency: Agency, platform: str, info: SiteInfo, own: Column, others: list[Column],
                 crumbs: list[tuple[str, str]], ctx: dict, **extra):
        self.agency = agency
        self.rng = random.Random(f"replica:{agency.id}")
        self.platform = platform
        host, start = host_and_path(agency.start_url)
        query = urlsplit(agency.start_url).query
        if query:
            start += "?" + query
        columns = {"own": own, **{c.key: c for c in others}}
        self.spec = SiteSpec(agency, platform, host, start, info, own, columns, crumbs, ctx_args=ctx, extra=dict(extra))
        self.used_ids: set[int] = set()
        self.used_titles: set[str] = set()
        self._att = 0

    # -- ids and paths (the hooks of ``content.Builder``) ------------------------------------
    def _id_base_step(self) -> tuple[int, int]:
        return {"trs_fujian": (1_600_000, 37), "gkmlpt": (self.spec.extra.get("id_base", 20_000_000), 97),
                "hanweb_xxgk": (3_000, 3), "anhui": (1_500_000_000, 1103), "generic": (20_000, 3)}[self.platform]

    def _article_path(self, d: datetime, col: Column, docid: int) -> str:
        if self.platform == "trs_fujian":
            return trs_article_path(col.path, d, docid, "htm")
        if self.platform == "gkmlpt":
            return gkmlpt_post_path(self.spec.extra["dept"], docid)
        if self.platform == "hanweb_xxgk":
            return hanweb_article_path(d, col.colid, docid)
        if self.platform == "anhui":
            return f"/public/{self.spec.extra['unit_id']}/{docid}.html"
        return f"/info/{col.colid}/{docid}.htm"

    def _images_beside_article(self) -> bool:
        return self.platform == "trs_fujian"

    # -- attachments ------------------------------------------------------------------------
    def attach(self, e: Entry, fmt: str, role: str, name: str | None = None, link_text: str = "",
               viewer: bool = False) -> Attachment:
        self._att += 1
        d = e.date
        name = name or {"full_text": f"{e.title}.{fmt}",
                        "tables": f"{e.year}年政府信息公开工作年度报告统计表.{fmt}"}.get(role, f"附件.{fmt}")
        digits = "".join(str(self.rng.randint(0, 9)) for _ in range(15))
        if self.platform == "trs_fujian":
            file = f"P0{d:%Y%m%d}{digits}.{fmt}"
            path, href = e.path.rsplit("/", 1)[0] + "/" + file, "./" + file
        elif self.platform == "gkmlpt":
            attid = 5_100_000 + e.docid % 100_000 + self._att
            path = href = f"/attachment/0/{attid // 1000}/{attid}/{e.docid}.{fmt}"
        elif self.platform == "hanweb_xxgk":
            path = href = xxgk_download_href(f"{d:%Y%m%d%H%M%S}{digits[:5]}.{fmt}", name)
        elif self.platform == "anhui":
            hexes = "".join(self.rng.choice("0123456789ABCDEF") for _ in range(4))
            tail = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                           for _ in range(26))
            path = href = f"/group1/M00/{hexes[:2]}/{hexes[2:]}/wKg{tail}.{fmt}"
        else:
            path = href = vsb_download_href(self.spec.extra["owner"], 6_600_000 + self._att * 17 + e.docid % 1000)
        a = Attachment(path, href, fmt, role, name, link_text=link_text, viewer=viewer)
        e.attachments.append(a)
        return a


def _pubs(b: Builder, years, month_range=(1, 3)) -> dict[int, datetime]:
    out = {}
    for y in years:
        out[y] = b.at(y + 1, b.rng.randint(*month_range), b.rng.randint(1, 28))
    return out


def _yearly_reports(b: Builder, years: list[int], level: str, old_style, new_style, subheads: str,
                    month_range=(1, 3), custom=None) -> tuple[dict[int, Entry], dict[int, datetime]]:
    """The agency's own report of each year, published early the next year: up to 2018 a pre-2019
    report in ``old_style``, from 2019 a report with generated tables (``level``) in ``new_style`` with
    ``subheads``. A style is a name or a function of the year. ``custom(y, when)`` may make a year's
    report itself (returning it) or leave it to the default (returning None). Returns (reports, dates)."""
    tables = b.year_tables([y for y in years if y >= 2019], level)
    pubs = _pubs(b, years, month_range)
    reps = {}
    for y in years:
        e = custom(y, pubs[y]) if custom else None
        if e is not None:
            reps[y] = e
        elif y <= 2018:
            reps[y] = b.report(y, pubs[y], style=old_style(y) if callable(old_style) else old_style)
        else:
            reps[y] = b.report(y, pubs[y], tables=tables[y], style=new_style(y) if callable(new_style) else new_style,
                               shape=ReportShape(subheads=subheads))
    return reps, pubs


def _restamped(b: Builder, years, when: datetime, title: str, style: str = "legacy") -> list[Entry]:
    """Old reports a site migration re-published on one day: URL and page date are the migration's,
    only the title says the year."""
    out = []
    for k, y in enumerate(years):
        stamp = when + timedelta(minutes=7 * k)
        e = b.report(y, stamp, title=title.format(y=y), style=style, signed_on=datetime(y + 1, 2, 20 - k % 10))
        e.quirks.append(f"migrated: a {y} report re-stamped {stamp:%Y-%m-%d} (URL and page date); the year is "
                        "only in the title")
        out.append(e)
    return out


# ---------------------------------------------------------------------------------------------
# TRS-Fujian: 闽侯县民政局 on the county portal's 集约化 template


def _minhou(a: Agency) -> SiteSpec:
    info = SiteInfo("闽侯县人民政府", "3501210001", "闽ICP备05011032号-1", "闽公网安备 35012102000132号",
                    "闽侯县人民政府办公室", "闽侯县民政局", site_id=21)
    own = Column("own", "县民政局", "/zfxxgk/zfxxgknb/xmzj/", 4127, page_ext="htm")
    b = SiteBuilder(a, "trs_fujian", info, own, [],
                    [("首页", "/"), ("政府信息公开", "/zfxxgk/"), ("政府信息公开年报", "/zfxxgk/zfxxgknb/")],
                    dict(name=a.name, short="县民政局", we="我局", place="闽侯县"),
                    search_id=231105, chnlid=4127, stale=1)
    reps, _ = _yearly_reports(b, list(range(2014, 2024)), "county", lambda y: "clean" if y >= 2016 else "legacy",
                              lambda y: "word" if y >= 2021 else "clean", "short")
    _restamped(b, range(2008, 2014), b.at(2019, 12, 16, 9, 30), "闽侯县民政局{y}年度政府信息公开工作年度报告")
    # attachments: tables as a spreadsheet, a PDF twin of the page, a shell around a PDF, DOC/WPS stand-ins
    b.attach(reps[2023], "xlsx", "tables")
    b.attach(reps[2022], "pdf", "full_text")
    reps[2021].body_mode = "shell"
    b.attach(reps[2021], "pdf", "full_text")
    b.attach(reps[2017], "doc", "appendix", name="2017年政府信息公开工作情况统计表.doc")
    b.attach(reps[2016], "wps", "appendix", name="2016年依申请公开情况统计表.wps")
    b.other("闽侯县民政局政府信息公开指南", b.at(2020, 5, 11),
            prose.plain_blocks(b.ctx(2020), ["{name}依照条例编制本指南，说明主动公开的范围和依申请公开的办理程序。",
                                             "申请人可以通过当面、信函或者网上申请平台向{short}提出申请。"]))
    for y in (2022, 2023):
        b.other(f"闽侯县民政局{y}年部门预算公开说明", b.at(y, 2, 9 + y % 5),
                prose.plain_blocks(b.ctx(y), ["根据预算公开的规定，现将{name}{year}年部门预算及相关情况说明如下。",
                                              "本年度一般公共预算收支与上年相比基本持平，“三公”经费继续压减。"]))
    b.notice(2022, b.at(2022, 12, 12))
    b.interpretation(reps[2022], b.at(reps[2022].date.year, reps[2022].date.month, reps[2022].date.day))
    return b.spec


# ---------------------------------------------------------------------------------------------
# gkmlpt: 佛山市南海区民政局 (pages work) and 肇庆市民政局 (page 2 answers 404)


def _tree(classify_id: int, classify_name: str) -> list[dict]:
    def node(i, name, children=()):
        return {"id": i, "name": name, "parent": 0, "children": list(children)}

    base = classify_id - 13
    return [node(base, "机构职能"), node(base + 1, "政策文件", [
        {"id": base + 2, "name": "规范性文件", "parent": base + 1, "children": []},
        {"id": base + 3, "name": "其他文件", "parent": base + 1, "children": []}]),
        node(base + 5, "规划计划"), node(base + 7, "财政资金"), node(base + 9, "行政执法"),
        node(classify_id, classify_name), node(classify_id + 5, "其他")]


def _gkmlpt_builder(a: Agency, info: SiteInfo, ctx: dict, dept: str, sid: str, classify_id: int, classify_name: str,
                    org_code: str, id_base: int, **extra) -> SiteBuilder:
    """A gkmlpt department: its report classification is the 'own' column, listed 10 to a page."""
    own = Column("own", classify_name, f"/{dept}/gkmlpt/index", classify_id)
    return SiteBuilder(a, "gkmlpt", info, own, [], [("首页", "/")], ctx,
                       dept=dept, sid=sid, classify_id=classify_id, classify_name=classify_name, page_size=10,
                       org_code=org_code, id_base=id_base, **extra, tree=_tree(classify_id, classify_name))


def _nanhai(a: Agency) -> SiteSpec:
    info = SiteInfo("佛山市南海区人民政府", "4406050001", "粤ICP备05082101号", "粤公网安备 44060502000101号",
                    "佛山市南海区人民政府办公室", "佛山市南海区民政局", site_id=5)
    b = _gkmlpt_builder(a, info, dict(name=a.name, short="区民政局", we="我局", place="南海区"),
                        dept="fsnhmzj", sid="757012", classify_id=3094, classify_name="政府信息公开年报",
                        org_code="114406050071523648", id_base=20_000_000)
    reps, _ = _yearly_reports(b, list(range(2015, 2024)), "county", "clean", "word", "long")
    for e in reps.values():
        e.extra["signed"] = e.date - timedelta(days=3)
    b.attach(reps[2023], "pdf", "full_text")
    reps[2022].body_mode = "shell"
    b.attach(reps[2022], "docx", "full_text")
    b.attach(reps[2021], "xls", "tables")
    b.interpretation(reps[2022], reps[2022].date + timedelta(hours=5))
    for y in (2021, 2022):
        b.other(f"{a.name}{y}年政府网站工作年度报表", b.at(y + 1, 1, 14),
                prose.website_report_blocks(b.ctx(y), info.site_name, y, b.rng))
    b.other_agency_report("佛山市南海区桂城街道办事处", "桂城街道", 2022, b.at(2023, 1, 29), owner=("440605", "township"))
    return b.spec


def _zhaoqing(a: Agency) -> SiteSpec:
    info = SiteInfo("肇庆市人民政府", "4412000030", "粤ICP备05083210号", "粤公网安备 44120202000130号",
                    "肇庆市人民政府办公室", "肇庆市民政局", site_id=7)
    b = _gkmlpt_builder(a, info, dict(name=a.name, short="市民政局", we="我局", place="肇庆市"),
                        dept="zqmzj", sid="758001", classify_id=4406, classify_name="政府信息公开工作年度报告",
                        org_code="114412000070215391", id_base=30_000_000, pages_after_first_404=True)
    reps, _ = _yearly_reports(b, list(range(2013, 2024)), "city", lambda y: "legacy" if y <= 2015 else "clean",
                              "clean", "short")
    b.attach(reps[2022], "pdf", "full_text")
    b.interpretation(reps[2023], reps[2023].date + timedelta(days=1))
    b.other(f"{a.name}政府信息公开指南（2021年版）", b.at(2021, 4, 2),
            prose.plain_blocks(b.ctx(2021), ["本指南适用于{name}的政府信息公开工作。",
                                             "申请人对答复不服的，可以依法申请行政复议或者提起行政诉讼。"]))
    return b.spec


# ---------------------------------------------------------------------------------------------
# Hanweb xxgk: 沂南县民政局 in the county portal's 信息公开目录 annual-report view


def _yinan(a: Agency) -> SiteSpec:
    area = str(a.options.get("area") or "113713210043521867")
    info = SiteInfo("沂南县人民政府", "3713210001", "鲁ICP备05012345号", "鲁公网安备 37132102000145号",
                    "沂南县人民政府办公室", "沂南县民政局", webid=38, webname="沂南县人民政府", site_id=38)
    own = Column("own", "政府信息公开年报", "/col/col9473/index.html", 9473, unitid="319473")
    b = SiteBuilder(a, "hanweb_xxgk", info, own, [], [("首页", "/"), ("政府信息公开", "/module/xxgk/index.jsp")],
                    dict(name=a.name, short="县民政局", we="我局", place="沂南县", contact="王建", phone="0539-3221000"),
                    area=area, first_year=int(a.options.get("first_year", 2010)), last_year=2023)
    def inline(y: int, when: datetime) -> Entry | None:
        if y > 2014:
            return None
        # printed inline by the view itself
        e = b.report(y, when, style="legacy", title=f"沂南县民政局{y}年政府信息公开工作年度报告")
        e.path = xxgk_view_path(area, y)
        e.extra["inline"] = True
        e.encoding = "gb18030"
        e.quirks.append("printed inline by the xxgkAnnualReport.jsp year view (GBK; header says UTF-8)")
        return e

    years = [y for y in range(2010, 2024) if y != 2017]  # 2017: the view has nothing
    reps, _ = _yearly_reports(b, years, "county", "clean", "word", "inline", (1, 4), custom=inline)
    b.attach(reps[2012], "doc", "appendix", name="沂南县民政局2012年政府信息公开统计表.doc")
    b.attach(reps[2019], "xls", "tables")
    b.attach(reps[2020], "doc", "appendix", name="2020年依申请公开办理情况.doc")
    b.attach(reps[2021], "wps", "appendix", name="2021年政务公开工作台账.wps")
    b.attach(reps[2022], "pdf", "full_text")
    interp = b.interpretation(reps[2020], reps[2020].date + timedelta(days=2),
                              title=f"关于《{a.name}2020年政府信息公开工作年度报告》的解读")
    interp.extra["view_year"] = 2020
    web = b.other(f"{a.name}2023年政府网站工作年度报表", b.at(2024, 1, 15),
                  prose.website_report_blocks(b.ctx(2023), info.site_name, 2023, b.rng))
    web.extra["view_year"] = 2023
    return b.spec


# ---------------------------------------------------------------------------------------------
# Anhui: 全椒县民政局 (unit catalogue + the portal's annual-report module)


def _quanjiao(a: Agency) -> SiteSpec:
    info = SiteInfo("全椒县人民政府", "3411240001", "皖ICP备05009012号", "皖公网安备 34112402000123号",
                    "全椒县人民政府办公室", "全椒县民政局", per_page=8, site_id=24)
    own = Column("own", "政府信息公开年报", "/public/column/161055327", 161055403)
    module = Column("module", "政府信息公开年报", "/openness/OpennessAnnualReport/", 0)
    b = SiteBuilder(a, "anhui", info, own, [module], [("首页", "/"), ("信息公开", "/public/")],
                    dict(name=a.name, short="县民政局", we="我局", place="全椒县"),
                    unit_id=161055327, cat_id=161055403, org_code="113411240030147825", module_page_size=10)
    reps, _ = _yearly_reports(b, list(range(2015, 2024)), "county", "clean", lambda y: "word" if y % 2 else "clean",
                              "long")
    next_show = [3607]

    def to_module(e: Entry) -> str:
        next_show[0] += 3
        return anhui_show_path(next_show[0])

    # 2021: an article AND a module page, both in the unit's list; 2022/2023: module pages only
    reps[2021].also_at.append(to_module(reps[2021]))
    reps[2021].extra["listed_twice"] = True
    reps[2021].listed_in = ("own", "module")
    reps[2021].quirks.append("one report under two URLs, both listed: /public/… article and the module page")
    for y in (2022, 2023):
        reps[y].path = to_module(reps[y])
        reps[y].extra["module"] = True
    reps[2022].body_mode = "viewer"
    b.attach(reps[2022], "pdf", "full_text", viewer=True)
    b.attach(reps[2023], "docx", "full_text")
    b.other("全椒县民政局政府信息公开指南", b.at(2021, 3, 18),
            prose.plain_blocks(b.ctx(2021), ["为便于公众获取政府信息，{name}编制本指南。",
                                             "依申请公开的受理机构为局办公室，受理时间为工作日。"]))
    b.notice(2023, b.at(2023, 12, 8))
    b.interpretation(reps[2023], reps[2023].date + timedelta(days=1))
    # the module list: every department's reports, and the county's 汇总 reports
    for org, short in (("全椒县财政局", "县财政局"), ("全椒县教育体育局", "县教体局"), ("全椒县卫生健康委员会", "县卫健委")):
        for y in (2021, 2022, 2023):
            e = b.other_agency_report(org, short, y, b.at(y + 1, 1, b.rng.randint(10, 28)), owner=("341124", "county"))
            e.path, e.listed_in, e.column, e.extra["module"] = to_module(e), ("module",), "module", True
    for y in (2022, 2023):
        e = _summary(b, "全椒县", "全椒县人民政府", y, b.at(y + 1, 2, 8), ("341124", "county"))
        e.path, e.listed_in, e.column, e.extra["module"] = to_module(e), ("module",), "module", True
    for e in b.spec.entries:
        if e.extra.get("module") and e.listed_in == ("own",):
            e.listed_in = ("own", "module")
    return b.spec


def _summary(b: Builder, place: str, issuer: str, year: int, when: datetime, owner: tuple[str, str]) -> Entry:
    """A county's 汇总 report (the government's own report summing up every department's): a 年度报告
    title naming the county, not the listing agency; ``owner``: the issuer's (行政区划代码, level)."""
    path, docid = b._path(when, "own")
    t = numbers.gen_tables(b.rng, prose_template(year), "city", numbers.Carry())
    ctx = prose.Ctx(name=issuer, short="县政府" if place.endswith("县") else "市政府", we="本县" if place.endswith("县") else "本市",
                    place=place, year=year)
    blocks = prose.report_blocks(ctx, b.rng, numbers.requests_summary(t), ReportShape(subheads="long"),
                                 (when.year, when.month, when.day))
    return b.add(Entry("summary", f"{place}{year}年政府信息公开工作年度报告", when, path, blocks=blocks, tables=t,
                       style="clean", year=year, template=t.template, source=issuer, docid=docid,
                       extra={"owner": (issuer, *owner)}))


# ---------------------------------------------------------------------------------------------
# generic: 凯里市民政局's reports in the city portal's 部门年报 list (Boda VSB, undeclared GBK)


def _kaili(a: Agency) -> SiteSpec:
    info = SiteInfo("凯里市人民政府", "5226010001", "黔ICP备05002601号", "黔公网安备 52260102000126号",
                    "凯里市人民政府办公室", "凯里市民政局", encoding="gb18030", charset_label="", per_page=10,
                    truncate=26, site_id=3)
    own = Column("own", "部门年报", "/zwgk/zfxxgknb/bmnb.htm", 1131, page_ext="htm")
    b = SiteBuilder(a, "generic", info, own, [], [("首页", "/index.htm"), ("政务公开", "/zwgk.htm")],
                    dict(name=a.name, short="市民政局", we="我局", place="凯里市"), owner=1254236)
    reps, pubs = _yearly_reports(b, list(range(2016, 2024)), "county", "legacy", "word", "short")
    b.attach(reps[2022], "pdf", "full_text")
    b.attach(reps[2021], "xlsx", "tables")
    for org, short in (("凯里市财政局", "市财政局"), ("凯里市教育局", "市教育局"),
                       ("凯里市人力资源和社会保障局", "市人社局"), ("凯里市卫生健康局", "市卫健局")):
        for y in (2021, 2022, 2023):
            d = pubs[y] + timedelta(days=b.rng.randint(-12, 12))
            b.other_agency_report(org, short, y, b.at(d.year, d.month, d.day), style="clean",
                                  owner=("522601", "county"))
    for y in (2022, 2023):
        _summary(b, "凯里市", "凯里市人民政府", y, b.at(y + 1, 3, 1), ("522601", "county"))
    b.notice(2022, b.at(2022, 12, 16))
    return b.spec


# ---------------------------------------------------------------------------------------------
# blocked: every request answers an anti-bot challenge


def _blocked(kind: str):
    def make(a: Agency) -> SiteSpec:
        host, start = host_and_path(a.start_url)
        info = SiteInfo(a.name, "0000000000", "", "", a.name, a.name)
        col = Column("own", "政府信息公开年报", start, 0)
        return SiteSpec(a, a.platform, host, start, info, col, {"own": col}, [], challenge=kind)

    return make


KNOWN = {"minhou-mzj": _minhou, "nanhai-mzj": _nanhai, "zhaoqing-mzj": _zhaoqing, "yinan-mzj": _yinan,
         "quanjiao-mzj": _quanjiao, "kaili-mzj": _kaili, "qingyuan-mzj": _blocked("412"),
         "xinyang-mzj": _blocked("521")}


def site_spec(agency: Agency) -> SiteSpec | None:
    """The site of one registry entry: hand-specified here or in ``content.py``, a generic TRS / Hanweb
    site derived from its ``start_url``, or None for a platform the replica does not imitate."""
    fn = KNOWN.get(agency.id)
    if fn is None and agency.platform in ("trs", "hanweb"):
        fn = content.KNOWN.get(agency.id, content.generic_site)
    return fn(agency) if fn else None
