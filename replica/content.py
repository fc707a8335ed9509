"""What each replica site holds: its annual-report column, the reports in it, the other items mixed
into its lists, and the faults planted in it.

The six agencies of ``crawler/registry/replica.yml`` get hand-specified sites modelled on the real
sites the project studied (their report years, eras, table styles, quirks, encodings and traps).
Any other registry entry on a TRS or Hanweb platform gets a generic site derived from its
``start_url``, so growing the registry grows the replica.

Nothing here is markup: a :class:`SiteSpec` is data that ``trs.py`` / ``hanweb.py`` render.
"""
from __future__ import annotations

import functools
import random
import re
from datetime import date, datetime, timedelta

from crawler.registry import Agency

from . import numbers, prose
from .attachments import table_picture
from .blocks import Block
from .media import png
from .numbers import Carry, Tables, num
from .prose import Ctx, ReportShape
from .spec import Column, Entry, SiteInfo, SiteSpec, hanweb_article_path, host_and_path, trs_article_path

# ---------------------------------------------------------------------------------------------


class Builder:
    """Accumulates one site's entries with deterministic ids, paths and dates."""

    def __init__(self, agency: Agency, info: SiteInfo, column_name: str, others: dict[str, tuple[str, str]],
                 crumbs: list[tuple[str, str]], ctx: dict):
        self.agency = agency
        self.rng = random.Random(f"replica:{agency.id}")
        host, path = host_and_path(agency.start_url)
        self.platform = agency.platform
        if self.platform == "hanweb":
            m = re.search(r"col(\d+)", path)
            colid = int(m.group(1)) if m else 10000 + self.rng.randint(0, 8999)
            own = Column("own", column_name, path, colid, unitid=str(300000 + colid % 100000))
        else:
            col_dir = path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"
            ext = path.rsplit(".", 1)[1] if "." in path.rsplit("/", 1)[-1] else "html"
            own = Column("own", column_name, col_dir, 2000 + self.rng.randint(0, 7999), page_ext=ext)
        columns = {"own": own}
        for key, (name, cpath) in others.items():
            if self.platform == "hanweb":
                cid = int(re.search(r"col(\d+)", cpath).group(1))
                columns[key] = Column(key, name, cpath, cid, unitid=str(300000 + cid % 100000))
            else:
                columns[key] = Column(key, name, cpath, 2000 + self.rng.randint(0, 7999), page_ext="html")
        self.spec = SiteSpec(agency, self.platform, host, path, info, own, columns, crumbs, ctx_args=ctx)
        self.used_ids: set[int] = set()
        self.used_titles: set[str] = set()

    # -- ids, paths, contexts -----------------------------------------------------------
    # The platform hooks (``_id_base_step``, ``_article_path``, ``_images_beside_article``) are what
    # ``sites.SiteBuilder`` overrides for the later platforms; the rest is shared.
    def _id_base_step(self) -> tuple[int, int]:
        """(first id, ids per day) of the platform's document ids."""
        return (4_000_000, 41) if self.platform == "trs" else (3_000, 3)

    def _article_path(self, d: datetime, col: Column, docid: int) -> str:
        if self.platform == "hanweb":
            return hanweb_article_path(d, col.colid, docid)
        return trs_article_path(col.path, d, docid, "html")

    def _images_beside_article(self) -> bool:
        """True: images sit next to the article (TRS ``./W0….png``); False: under ``/picture/0/``."""
        return self.platform != "hanweb"

    def _docid(self, d: datetime) -> int:
        base, step = self._id_base_step()
        i = base + (d.date() - date(2014, 1, 1)).days * step + self.rng.randint(0, step - 1)
        while i in self.used_ids:
            i += 1
        self.used_ids.add(i)
        return i

    def _path(self, d: datetime, column: str) -> tuple[str, int]:
        col = self.spec.columns[column]
        docid = self._docid(d)
        return self._article_path(d, col, docid), docid

    def _image(self, article_path: str, d: datetime, seed: str, w: int = 120, h: int = 60) -> tuple[str, str, bytes]:
        """(src as written in the page, absolute path served, bytes)."""
        digits = "".join(str(self.rng.randint(0, 9)) for _ in range(12))
        data = png(w, h, seed)
        if self._images_beside_article():
            name = f"W0{d:%Y%m%d}{digits}.png"
            return f"./{name}", article_path.rsplit("/", 1)[0] + "/" + name, data
        p = f"/picture/0/{d:%y%m%d%H%M}{digits}.png"
        return p, p, data

    def ctx(self, year: int, **over) -> Ctx:
        args = dict(self.spec.ctx_args)
        args.update(over)
        return Ctx(year=year, **args)

    def add(self, e: Entry) -> Entry:
        if e.column != "own" and e.column not in e.listed_in:
            e.listed_in = (*e.listed_in, e.column)
        self.spec.entries.append(e)
        return e

    def at(self, y: int, m: int, d: int, hh: int | None = None, mm: int | None = None) -> datetime:
        hh = self.rng.randint(8, 17) if hh is None else hh
        mm = self.rng.randint(0, 59) if mm is None else mm
        return datetime(y, m, d, hh, mm, self.rng.randint(0, 59))

    # -- tables over years ----------------------------------------------------------------
    def year_tables(self, years: list[int], level: str, seeds: dict[int, Tables] | None = None,
                    force_forward: dict[int, int] | None = None, carry_in: dict[int, dict] | None = None,
                    layouts: dict[int, dict] | None = None) -> dict[int, Tables]:
        seeds, force_forward, carry_in, layouts = seeds or {}, force_forward or {}, carry_in or {}, layouts or {}
        carry = Carry()
        out: dict[int, Tables] = {}
        for y in sorted(years):
            if y in carry_in:  # a year we cannot see (tables as images) still hands figures on
                carry.forward = {c: 0 for c in numbers.APPLICANTS}
                carry.forward["natural_person"] = carry_in[y]["forward"]
                continue
            if y in seeds:
                t = seeds[y]
                fwd = t.cells["requests"]["carried_forward"]
                carry.forward = {c: int(fwd[c].value or 0) for c in numbers.APPLICANTS}
                if t.layout["active"] == "2021":
                    carry.regs_in_force = t.cells["active"]["regulations"]["in_force"].value
                    carry.docs_in_force = t.cells["active"]["normative_documents"]["in_force"].value
            else:
                tpl = prose_template(y)
                lay = layouts.get(y, {})
                t = numbers.gen_tables(self.rng, lay.get("active", tpl), level, carry,
                                       force_forward=force_forward.get(y), requests_layout=lay.get("requests"))
                if t.layout["active"] == "2021" and self.rng.random() < 0.6:
                    t.row_labels[("active", "normative_documents")] = "行政规范性文件"
            out[y] = t
        return out

    # -- entries ----------------------------------------------------------------------------
    def report(self, year: int, when: datetime, title: str | None = None, tables: Tables | None = None,
               style: str = "clean", shape: ReportShape | None = None, quirks: list[str] | None = None,
               behaviour: str | None = None, url_date: datetime | None = None, images: bool = False,
               summary: dict | None = None, template: str | None = None,
               signed_on: datetime | None = None) -> Entry:
        a = self.agency
        title = title or f"{a.name}{year}年政府信息公开工作年度报告"
        path, docid = self._path(url_date or when, "own")
        ctx = self.ctx(year)
        signed = (signed_on or when - timedelta(days=self.rng.randint(0, 4))).date()
        shape = shape or ReportShape()
        e = Entry("report", title, when, path, year=year, style=style, behaviour=behaviour,
                  quirks=list(quirks or []), source=self.spec.info.source, docid=docid)
        if year <= 2018 and tables is None:
            e.template = "pre2019"
            fig = prose.pre2019_figures(self.rng, year) if summary is None else summary
            e.blocks = prose.pre2019_blocks(ctx, self.rng, fig, (signed.year, signed.month, signed.day))
        else:
            if images:
                # Each table published as a picture of itself (rendered on first request): the
                # truth keeps the numbers, so a reader of pictures can be checked against them.
                srcs = {}
                for key in ("active", "requests", "appeals"):
                    src, p, _ = self._image(path, when, f"{a.id}:{year}:{key}", 160, 90)
                    srcs[key] = src
                    e.images.append((p, functools.partial(table_picture, title, a.name, year, tables, key)))
                shape = ReportShape(**{**shape.__dict__, "images": srcs})
                e.tables_as_images = True
            e.tables = tables
            e.quirks += tables.quirks
            e.template = template or (tables.template if tables else prose_template(year))
            summ = summary or numbers.requests_summary(tables)
            e.blocks = prose.report_blocks(ctx, self.rng, summ, shape, (signed.year, signed.month, signed.day))
        return self.add(e)

    def other_agency_report(self, org: str, short: str, year: int, when: datetime, style: str = "word",
                            owner: tuple[str, str] = ("", "")) -> Entry:
        """A report of another agency in this site's list (a portal lists its departments' and
        townships'); ``owner`` is that agency's (行政区划代码, level), for the ground truth."""
        path, docid = self._path(when, "own")
        t = numbers.gen_tables(self.rng, prose_template(year), "county", Carry())
        ctx = Ctx(name=org, short=short, we="我局" if org.endswith("局") else "我委", place=self.spec.ctx_args["place"],
                  year=year)
        blocks = prose.report_blocks(ctx, self.rng, numbers.requests_summary(t), ReportShape(subheads="none"),
                                     (when.year, when.month, when.day))
        return self.add(Entry("other_agency_report", f"{org}{year}年政府信息公开工作年度报告", when, path,
                              blocks=blocks, tables=t, style=style, year=year, template=t.template,
                              source=org, docid=docid, extra={"owner": (org, *owner)}))

    def copies_of(self, agency_id: str, years, owner: tuple[str, str]) -> list[Entry]:
        """The reports a department publishes on a site of its own (a registry agency whose site is
        derived from its entry), listed by this portal too: the same report (title, date, text,
        tables) under the portal's own URL. None when the registry has no such agency."""
        from crawler.registry import load_registry

        dept = next((x for x in load_registry("replica", port=0) if x.id == agency_id), None)
        if dept is None:
            return []
        spec = KNOWN.get(dept.id, generic_site)(dept)
        out = []
        for e in spec.entries:
            if e.kind == "report" and e.year in years:
                path, docid = self._path(e.date, "own")
                out.append(self.add(Entry(
                    "other_agency_report", e.title, e.date, path, blocks=e.blocks, tables=e.tables, style=e.style,
                    year=e.year, template=e.template, source=dept.name, docid=docid,
                    extra={"owner": (dept.name, *owner), "own_at": (spec.host, e.path)})))
        return out

    def news(self, n: int, start: datetime, end: datetime, column: str = "own", listed_own: bool = True) -> None:
        span = (end - start).days
        for _ in range(n):
            d = start + timedelta(days=self.rng.randint(0, span))
            when = self.at(d.year, d.month, d.day)
            ctx = self.ctx(when.year)
            title = prose.news_title(self.rng, ctx, when.year, self.used_titles)
            path, docid = self._path(when, column)
            listed = ("own", column) if listed_own else (column,)
            self.add(Entry("news", title, when, path, column, prose.news_blocks(ctx, self.rng, (when.year, when.month, when.day)),
                           source=self.spec.info.source, docid=docid, listed_in=tuple(dict.fromkeys(listed))))

    def notice(self, report_year: int, when: datetime, column: str = "own") -> Entry:
        title = f"关于做好{report_year}年政府信息公开工作年度报告编制发布工作的通知"
        path, docid = self._path(when, column)
        return self.add(Entry("notice", title, when, path, column, prose.notice_blocks(self.ctx(when.year), report_year),
                              source=self.spec.info.source, docid=docid))

    def interpretation(self, report: Entry, when: datetime, title: str | None = None, column: str = "own") -> Entry:
        a = self.agency
        title = title or f"图解：{a.name}{report.year}年政府信息公开工作年度报告"
        path, docid = self._path(when, column)
        src, p, data = self._image(path, when, f"{a.id}:{report.year}:tujie", 200, 300)
        summ = numbers.requests_summary(report.tables) if report.tables else None
        blocks = prose.interpretation_blocks(self.ctx(report.year), report.title, src, summ)
        return self.add(Entry("interpretation", title, when, path, column, blocks, source=self.spec.info.source,
                              images=[(p, data)], docid=docid))

    def other(self, title: str, when: datetime, blocks: list[Block], column: str = "own") -> Entry:
        path, docid = self._path(when, column)
        return self.add(Entry("other", title, when, path, column, blocks, source=self.spec.info.source, docid=docid))

    def dead_link(self, title: str, when: datetime, note: str) -> Entry:
        path, docid = self._path(when, "own")
        return self.add(Entry("not_found", title, when, path, note=note, docid=docid))

    def undecodable(self, title: str, when: datetime, note: str) -> Entry:
        path, docid = self._path(when, "own")
        return self.add(Entry("undecodable", title, when, path, note=note, docid=docid))


def prose_template(year: int) -> str:
    return "2019" if year <= 2020 else "2021"


# ---------------------------------------------------------------------------------------------
# the six hand-specified agencies


def _xinjiang(a: Agency) -> SiteSpec:
    info = SiteInfo("新疆维吾尔自治区民政厅", "6500000031", "新ICP备05000731号-1", "新公网安备 65010202000731号",
                    "新疆维吾尔自治区民政厅", "自治区民政厅", truncate=24, site_id=31)
    b = Builder(a, info, "政府信息公开年报",
                {"news": ("工作动态", "/xwzx/gzdt/"), "tzgg": ("通知公告", "/xwzx/tzgg/"), "zcjd": ("政策解读", "/zwgk/zcjd/")},
                [("首页", "/"), ("政务公开", "/zwgk/"), ("政府信息公开", "/zwgk/zfxxgk/")],
                dict(name=a.name, short="自治区民政厅", we="我厅", place="全区"))
    years = [2019, 2020, 2021, 2022, 2023]
    tables = b.year_tables(years, "province", seeds={2021: numbers.xinjiang_2021()})
    pubs = {2019: b.at(2020, 1, 17, 10, 12), 2020: b.at(2021, 1, 28, 16, 40), 2021: b.at(2022, 1, 20, 10, 30),
            2022: b.at(2023, 1, 18, 11, 5), 2023: b.at(2024, 1, 25, 9, 48)}
    reps = {}
    for y in years:
        reps[y] = b.report(y, pubs[y], tables=tables[y], style="clean" if y <= 2021 else "word",
                           shape=ReportShape(subheads="inline"), behaviour="transient_500" if y == 2020 else None)
    b.undecodable(f"{a.name}2018年政府信息公开工作年度报告", b.at(2019, 3, 12, 9, 20),
                  "declares utf-8; the body is mostly invalid UTF-8 byte sequences")
    b.interpretation(reps[2022], b.at(2023, 1, 18, 15, 2), column="zcjd")
    b.notice(2022, b.at(2022, 12, 5, 16, 0), column="tzgg")
    b.other("新疆维吾尔自治区民政厅政府信息公开指南", b.at(2021, 6, 1, 10, 0),
            prose.plain_blocks(b.ctx(2021), ["本指南说明{name}主动公开的信息范围、依申请公开的办理程序和监督方式。",
                                             "公民、法人或者其他组织可以通过信函、传真或者网上平台向{short}提出政府信息公开申请。"]))
    b.other("自治区民政厅2022年法治政府建设情况报告", b.at(2023, 3, 2, 12, 10),
            prose.plain_blocks(b.ctx(2022), ["{year}年，{we}认真履行法治建设第一责任人职责，推进民政领域依法行政。",
                                             "全年开展行政执法检查12次，及时办理行政复议答复事项。"]), column="tzgg")
    b.news(16, datetime(2019, 4, 1), datetime(2024, 5, 30), column="news")
    return b.spec


def _binhu(a: Agency) -> SiteSpec:
    info = SiteInfo("无锡市滨湖区人民政府", "3202110001", "苏ICP备05012345号", "苏公网安备 32021102000123号",
                    "无锡市滨湖区人民政府办公室", "滨湖区民政局", per_page=8, webid=12, webname="无锡市滨湖区人民政府",
                    site_id=12)
    b = Builder(a, info, "政府信息公开年报",
                {"news": ("部门动态", "/col/col73650/index.html"), "tzgg": ("通知公告", "/col/col73652/index.html")},
                [("首页", "/"), ("政府信息公开", "/col/col73600/index.html"), ("区民政局", "/col/col73640/index.html")],
                dict(name=a.name, short="区民政局", we="我局", place="滨湖区"))
    years = [2019, 2020, 2021, 2022, 2023]
    tables = b.year_tables(years, "county", seeds={2020: numbers.binhu_2020()})
    pubs = {2019: b.at(2020, 1, 21), 2020: b.at(2021, 1, 29, 13, 17), 2021: b.at(2022, 1, 26),
            2022: b.at(2023, 1, 30), 2023: b.at(2024, 1, 23)}
    reps = {y: b.report(y, pubs[y], tables=tables[y], style="clean", shape=ReportShape(subheads="long"))
            for y in years}
    b.interpretation(reps[2023], b.at(2024, 1, 24), title=f"{a.name}2023年政府信息公开工作年度报告解读")
    b.notice(2021, b.at(2021, 12, 10), column="tzgg")
    b.other("滨湖区民政局2022年部门预算公开说明", b.at(2022, 2, 15),
            prose.plain_blocks(b.ctx(2022), ["根据预算公开有关规定，现将{name}{year}年部门预算情况说明如下。",
                                             "本年度收支预算均纳入区级财政统一管理，“三公”经费比上年有所压减。"]), column="tzgg")
    b.news(11, datetime(2019, 3, 1), datetime(2024, 6, 1), column="news")
    return b.spec


def _changde(a: Agency) -> SiteSpec:
    info = SiteInfo("常德市民政局", "4307000023", "湘ICP备05001111号", "湘公网安备 43070202000111号", "常德市民政局",
                    "市民政局", encoding="gb18030", charset_label="gb2312", date_style="cn", site_id=23)
    b = Builder(a, info, "信息公开年报",
                {"news": ("民政要闻", "/xwdt/mzyw/"), "tzgg": ("通知公告", "/xwdt/tzgg/")},
                [("首页", "/"), ("政务公开", "/zwgk/")],
                dict(name=a.name, short="市民政局", we="我局", place="常德市", contact="陈喆", phone="0736-7250000"))
    years = list(range(2015, 2024))
    tables = b.year_tables([y for y in years if y >= 2019], "city")
    tables[2019].cells["active"]["fees"]["change"] = num(None, "—")
    tables[2019].quirks.append("active.fees.change printed as —")
    tables[2020].cells["active"]["procurement"]["amount"] = num(25.1, "251000元")
    tables[2020].quirks.append("active.procurement.amount printed in 元: 251000元 (= 25.1 万元)")
    pre_title = "常德市民政局{y}年度政府信息公开工作报告"
    pubs = {2015: b.at(2016, 3, 22), 2016: b.at(2017, 3, 20), 2017: b.at(2018, 3, 16, 16, 51), 2018: b.at(2019, 3, 14),
            2019: b.at(2020, 1, 20), 2020: b.at(2021, 1, 27), 2021: b.at(2022, 1, 25), 2022: b.at(2023, 1, 17),
            2023: b.at(2024, 1, 19)}
    seed17 = {"n_active": 2235, "n_web": 1783, "n_req": 1, "n_granted": 0, "n_outside": 1, "n_consult": 29000,
              "n_visits": 4.7, "fund": 3, "n_rules": 3, "n_staff": 8}
    for y in years:
        if y <= 2018:
            restamp = b.at(2019, 12, 16, 15, 3) if y == 2016 else None
            e = b.report(y, restamp or pubs[y], title=pre_title.format(y=y), style="legacy",
                         summary=seed17 if y == 2017 else None, signed_on=pubs[y] if restamp else None)
            if restamp:
                e.quirks.append("migrated: a 2016 report re-stamped 2019-12-16 (URL and page date)")
        else:
            b.report(y, pubs[y], tables=tables[y], style="word", shape=ReportShape(subheads="short"))
    b.notice(2020, b.at(2020, 12, 28), column="tzgg")
    b.other("常德市民政局政府信息公开指南（2020年修订）", b.at(2020, 6, 8),
            prose.plain_blocks(b.ctx(2020), ["为方便公民、法人和其他组织获取政府信息，{name}修订了本指南。",
                                             "依申请公开的受理机构为局办公室，办公时间为工作日上午8:30至下午5:30。"]))
    b.news(16, datetime(2016, 1, 5), datetime(2024, 6, 1), column="news")
    return b.spec


def _wusu(a: Agency) -> SiteSpec:
    info = SiteInfo("乌苏市人民政府", "6542020001", "新ICP备10002345号-2", "新公网安备 65420202000234号",
                    "乌苏市人民政府办公室", "乌苏市民政局", site_id=8)
    b = Builder(a, info, "部门年报",
                {"news": ("部门动态", "/xwzx/bmdt/"), "tzgg": ("通知公告", "/zwgk/tzgg/")},
                [("首页", "/"), ("政务公开", "/zwgk/"), ("政府信息公开", "/zwgk/zfxxgk/"),
                 ("政府信息公开年报", "/zwgk/zfxxgk/zfxxgknb/")],
                dict(name=a.name, short="市民政局", we="我局", place="乌苏市"))
    years = [2020, 2021, 2022, 2023]
    tables = b.year_tables(years, "county", seeds={2021: numbers.wusu_2021()})
    tables[2022].cells["appeals"]["litigation_direct"]["pending"] = num(0, "０")
    tables[2022].quirks.append("appeals.litigation_direct.pending printed with a full-width digit ０")
    pubs = {2020: b.at(2021, 1, 26), 2021: b.at(2022, 1, 14), 2022: b.at(2023, 1, 12), 2023: b.at(2024, 1, 16)}
    reps = {y: b.report(y, pubs[y], tables=tables[y], style="word", shape=ReportShape(subheads="none")) for y in years}
    # the city portal's 部门年报 lists every department's reports; 乌苏市财政局's are on its own site too
    copied = b.copies_of("wusu-czj", (2020, 2021, 2022, 2023), ("654202", "county"))
    others = [*([] if copied else [("乌苏市财政局", "市财政局", (2020, 2021, 2022, 2023))]),
              ("乌苏市人力资源和社会保障局", "市人社局", (2020, 2021, 2022, 2023)),
              ("乌苏市教育局", "市教育局", (2021, 2022, 2023)),
              ("乌苏市卫生健康委员会", "市卫健委", (2021, 2022, 2023)),
              ("乌苏市自然资源局", "市自然资源局", (2022, 2023)),
              ("乌苏市应急管理局", "市应急管理局", (2022, 2023))]
    for org, short, ys in others:
        for y in ys:
            d = pubs[y] + timedelta(days=b.rng.randint(-10, 20))
            b.other_agency_report(org, short, y, b.at(d.year, d.month, d.day), owner=("654202", "county"))
    b.interpretation(reps[2022], b.at(2023, 1, 13), title=f"{a.name}2022年政府信息公开工作年度报告解读")
    n = b.notice(2022, b.at(2022, 12, 20), column="tzgg")
    n.source = "乌苏市人民政府办公室"
    return b.spec


def _jiangsu(a: Agency) -> SiteSpec:
    info = SiteInfo("江苏省民政厅", "3200000047", "苏ICP备05009876号", "苏公网安备 32010202010765号", "江苏省民政厅",
                    "省民政厅", per_page=8, webid=52, webname="江苏省民政厅", site_id=52)
    b = Builder(a, info, "政府信息公开年报",
                {"news": ("民政要闻", "/col/col79499/index.html"), "tzgg": ("通知公告", "/col/col79520/index.html")},
                [("首页", "/"), ("政府信息公开", "/col/col79480/index.html")],
                dict(name=a.name, short="省民政厅", we="我厅", place="全省"))
    years = [2019, 2020, 2021, 2022, 2023]
    n22 = numbers.JIANGSU_2022_NARRATIVE
    tables = b.year_tables(years, "province", force_forward={2021: n22["carried"], 2022: n22["forward"]})
    t21 = tables[2021]
    iss = t21.cells["active"]["normative_documents"]["issued"]
    if not iss.value:
        iss.value = 3
        t21.cells["active"]["normative_documents"]["in_force"].value += 3
        t21.cells["active"]["normative_documents"]["in_force"].raw = str(t21.cells["active"]["normative_documents"]["in_force"].value)
    iss.raw = f"{iss.value}（其中修订1件）"
    t21.quirks.append("active.normative_documents.issued annotated: '{}'".format(iss.raw))
    tables[2023].cells["appeals"]["litigation_direct"]["total"] = num(0, "０")
    pubs = {2019: b.at(2020, 1, 22), 2020: b.at(2021, 1, 28), 2021: b.at(2022, 1, 27), 2022: b.at(2023, 1, 19, 17, 10),
            2023: b.at(2024, 1, 26)}
    reps = {}
    for y in years:
        if y == 2022:
            # As the real 2022 report did: every table a picture (its narrative follows the pictured numbers).
            reps[y] = b.report(y, pubs[y], tables=tables[y], style="word", shape=ReportShape(subheads="long"),
                               images=True, template="2021", quirks=["tables published as images"])
        else:
            title = "2020年政府信息公开工作年度报告" if y == 2020 else None
            reps[y] = b.report(y, pubs[y], title=title, tables=tables[y], style="word", shape=ReportShape(subheads="long"))
    b.interpretation(reps[2022], b.at(2023, 1, 20))
    b.notice(2022, b.at(2022, 12, 9), column="tzgg")
    b.other(f"{a.name}2022年政府网站工作年度报表", b.at(2023, 1, 16),
            prose.website_report_blocks(b.ctx(2022), info.site_name, 2022, b.rng))
    b.other(f"{a.name}2022年法治政府建设年度报告", b.at(2023, 3, 1),
            prose.plain_blocks(b.ctx(2022), ["{year}年，{we}把法治建设融入民政工作全过程，修订完善内部规范性文件审查程序。",
                                             "全年开展民政法规宣传活动多场，覆盖城乡社区。"]), column="tzgg")
    b.news(12, datetime(2019, 2, 1), datetime(2024, 6, 1), column="news")
    return b.spec


def _ordos(a: Agency) -> SiteSpec:
    info = SiteInfo("鄂尔多斯市民政局", "1506000032", "蒙ICP备05003210号-3", "蒙公网安备 15060202000321号",
                    "鄂尔多斯市民政局", "市民政局", pager="countPage", crumb_prefix="您现在的位置是：", site_id=32)
    b = Builder(a, info, "信息公开年报",
                {"news": ("工作动态", "/xwzx/gzdt/"), "xxgkzn": ("信息公开指南", "/xxgk/xxgkzn/")},
                [("首页", "/"), ("信息公开", "/xxgk/")],
                dict(name=a.name, short="市民政局", we="我局", place="鄂尔多斯市"))
    years = [2018, 2019, 2020, 2021, 2022, 2023]
    tables = b.year_tables([y for y in years if y >= 2019], "city",
                           layouts={2023: {"active": "2021", "requests": "2019"}})
    for y, t in tables.items():
        regs = t.cells["active"]["regulations"]
        for k in regs:
            regs[k] = num(None, "/")
        t.quirks.append("active.regulations printed as / (a city bureau makes no 规章)")
    tables[2023].quirks.append("2021 active table but the 2019 single （六）其他处理 row in requests (mixed eras)")
    pubs = {2018: b.at(2019, 2, 26), 2019: b.at(2020, 2, 18), 2020: b.at(2021, 2, 5), 2021: b.at(2022, 1, 28),
            2022: b.at(2023, 2, 10), 2023: b.at(2024, 2, 2)}
    shape = ReportShape(subheads="short", problems_title="五、存在的主要问题及整改措施")
    for y in years:
        title = "2019年度政府信息公开工作报告" if y == 2019 else None
        b.report(y, pubs[y], title=title, tables=tables.get(y), style="clean", shape=shape)
    b.dead_link("2016年政府信息公开工作年度报告", b.at(2019, 6, 12), "report-like title; the page was removed (404)")
    b.news(14, datetime(2019, 4, 1), datetime(2024, 5, 31), column="news")
    b.news(5, datetime(2018, 3, 1), datetime(2019, 1, 31), column="news")
    b.spec.broken_pages = {2}
    return b.spec


# ---------------------------------------------------------------------------------------------
# any other registry entry


def generic_site(a: Agency, n_news: int = 12) -> SiteSpec:
    """A TRS or Hanweb site derived from a registry entry's ``start_url`` alone."""
    rng = random.Random(f"generic:{a.id}")
    short = a.aliases[0] if a.aliases else a.name
    we = "我厅" if a.name.endswith("厅") else ("我委" if a.name.endswith("委") else "我局")
    place = a.county or a.city or a.province
    code = str(rng.randint(10 ** 9, 10 ** 10 - 1))
    hanweb = a.platform == "hanweb"
    info = SiteInfo(a.name, code, f"ICP备{rng.randint(10 ** 7, 10 ** 8 - 1)}号", f"公网安备 {rng.randint(10 ** 13, 10 ** 14 - 1)}号",
                    a.name, short, per_page=8 if hanweb else 10, webid=rng.randint(1, 99), webname=a.name,
                    site_id=rng.randint(1, 99))
    _, path = host_and_path(a.start_url)
    if hanweb:
        m = re.search(r"col(\d+)", path)
        base = int(m.group(1)) if m else 10000
        others = {"news": ("工作动态", f"/col/col{base + 7}/index.html")}
        crumbs = [("首页", "/")]
    else:
        news_dir = "/xwzx/gzdt/" if not path.startswith("/xwzx/gzdt/") else "/xwdt/gzdt/"
        others = {"news": ("工作动态", news_dir)}
        crumbs = [("首页", "/")]
    b = Builder(a, info, "政府信息公开年报", others, crumbs, dict(name=a.name, short=short, we=we, place=place))
    level = a.level if a.level in numbers.PROFILES else "county"
    years = list(range(2019, 2024))
    tables = b.year_tables(years, level)
    for y in years:
        b.report(y, b.at(y + 1, rng.randint(1, 3), rng.randint(1, 28)), tables=tables[y],
                 style=rng.choice(["clean", "word"]), shape=ReportShape(subheads=rng.choice(["long", "short"])))
    b.notice(2022, b.at(2022, 12, rng.randint(1, 20)))
    b.news(n_news, datetime(2019, 3, 1), datetime(2024, 6, 1), column="news")
    return b.spec


def _wusu_czj(a: Agency) -> SiteSpec:
    """乌苏市财政局's own site (its reports are on the city portal too: ``Builder.copies_of``); news
    enough for three list pages, like the other TRS sites."""
    return generic_site(a, n_news=24)


KNOWN = {"xinjiang-mzt": _xinjiang, "binhu-mzj": _binhu, "changde-mzj": _changde, "wusu-mzj": _wusu,
         "jiangsu-mzt": _jiangsu, "ordos-mzj": _ordos, "wusu-czj": _wusu_czj}
