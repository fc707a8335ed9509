"""The words of the replica's pages: report narratives, news, notices. All written for this project.

Real reports were studied for their shape (which sections, where the numbers sit in sentences),
never copied: every sentence here is the project's own. A seeded RNG picks among alternatives so
that agencies and years read differently while staying reproducible.

Section headings follow the official report format, which every agency shares.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from .blocks import Block, Heading, Image, Para, TableRef


@dataclass
class Ctx:
    """Who is speaking, and about which year."""

    name: str  # full name: 常德市民政局
    short: str  # how the text names it: 市民政局 / 自治区民政厅
    we: str  # self-reference: 我局 / 我厅
    place: str  # the area it serves: 常德市 / 新疆
    year: int
    contact: str | None = None  # a person to call, for the intro
    phone: str | None = None

    def f(self, s: str, **kw) -> str:
        return s.format(name=self.name, short=self.short, we=self.we, place=self.place,
                        year=self.year, next_year=self.year + 1, **kw)


def cn_date(y: int, m: int, d: int) -> str:
    return f"{y}年{m}月{d}日"


# ---------------------------------------------------------------------------------------------
# 2019+ reports

INTROS = (
    "依照《中华人民共和国政府信息公开条例》第五十条规定，{name}编制了{year}年度政府信息公开工作报告。"
    "报告依次说明总体情况、主动公开情况、收到和处理申请情况、复议诉讼情况、存在问题及改进情况和其他事项，"
    "数据统计时段为{year}年1月1日至{year}年12月31日。",
    "{year}年，{short}围绕民政中心工作，把政务公开作为提升治理效能的重要抓手，推动权力运行各环节依法向社会敞开。"
    "现将全年政府信息公开工作情况报告如下，统计期限自{year}年1月1日起至{year}年12月31日止。",
    "为接受社会监督、回应群众对民政工作的关切，{name}按照条例和上级政务公开部门的部署，整理形成本报告。"
    "报告中的数字均取自本机关{year}年度工作台账。",
)
CONTACT = "对本报告有疑问的，可向{short}办公室咨询（联系人：{contact}，电话：{phone}）。"

OVERVIEW = (
    "{year}年，{we}以保障群众知情权、参与权、监督权为出发点，统筹推进主动公开、依申请公开和平台建设，政务公开工作总体平稳有序。",
    "这一年，{we}把信息公开与民政重点业务同部署、同检查，公开的及时性和规范性都有所提高。",
    "全年政务公开工作围绕兜牢民生底线这条主线展开，重点抓了救助信息公开、办事指南规范和网站栏目优化三件事。",
)
ACTIVE = (
    "全年通过门户网站和政务新媒体发布各类信息{n_info}条，其中政策文件{n_policy}件、政策解读{n_interp}篇。"
    "社会救助标准调整、养老服务补贴发放、殡葬改革等群众关心的事项，均在第一时间向社会发布。",
    "{we}按照公开目录逐项梳理应当主动公开的内容，及时更新机构职能、规范性文件、财政预决算和重点领域信息，"
    "全年累计公开信息{n_info}条。对新出台的{n_policy}份政策文件同步开展解读，采用图文、问答等形式降低阅读门槛。",
    "围绕低保、特困供养、临时救助等基本民生保障事项，{we}坚持按月公布保障对象人数和资金支出情况，让救助资金在阳光下运行，"
    "全年发布此类信息{n_info}条。",
)
ACTIVE_EXTRA = (
    "在儿童福利、未成年人保护、残疾人两项补贴等领域，{we}将办事条件、申请材料、办理时限整理成清单挂网，方便群众对照办理。",
    "对涉及群众切身利益的政策调整，{we}在出台前通过网站征集意见，出台后三个工作日内发布解读材料。",
    "养老机构名录、社会组织登记信息和婚姻登记预约方式在网站常年公开，并根据变化随时更新。",
)
REQ_SOME = (
    "{year}年{we}新收政府信息公开申请{new}件，上年结转{carried}件。已办结的申请中，予以公开{granted}件，"
    "部分公开{partly}件，无法提供{unavailable}件，不予处理{rejected}件，另有{forward}件结转下年度继续办理。",
    "本年度共收到公开申请{new}件，加上上年结转的{carried}件，全年办结{handled}件，结转下年度{forward}件。"
    "申请事项多集中在低保审批、养老补贴和地名命名等方面。",
)
REQ_NONE = (
    "{year}年{we}未收到政府信息公开申请，也没有上年结转的申请。",
    "本年度依申请公开工作量为零：既无新收申请，也无结转事项。{we}仍保持受理渠道畅通，安排专人值守。",
)
REQ_EXTRA = (
    "对每一件申请，{we}都做到登记、审核、答复、归档全程留痕，并在法定期限内出具书面答复。",
    "办理中遇到申请内容表述不清的，工作人员主动电话联系申请人，帮助其明确所需信息的范围。",
    "答复文书统一载明法律依据和救济途径，确保申请人知晓后续权利。",
)
APPEALS_NONE = "全年未发生因政府信息公开引起的行政复议和行政诉讼。"
APPEALS_SOME = "因政府信息公开被申请行政复议{reviews}件、被提起行政诉讼{lawsuits}件，具体结果见第四部分。"
MANAGE = (
    "{we}落实公开属性源头认定机制，公文在起草环节即标注主动公开、依申请公开或不予公开，"
    "发布前须经科室负责人和分管领导两级审核，并同步做好保密审查。",
    "结合机构职能调整，{we}对历年发布的规范性文件进行清理，及时标注失效、废止状态，避免群众误用过期政策。",
    "{we}建立信息发布台账，逐条记录发布时间、发布渠道和审核人员，做到有据可查。",
)
PLATFORM = (
    "门户网站是{we}公开信息的第一平台。本年度对政府信息公开专栏进行改版，按照统一目录设置栏目，增加全文检索和无障碍浏览功能。",
    "{we}同步运营政务微信公众号和微博，全年推送信息{n_wechat}条，把政策要点做成短图文，提高传播效果。",
    "民政服务事项已全部接入政务服务平台，群众可在线查询办事指南、提交申请材料、跟踪办理进度。",
)
OVERSIGHT = (
    "{we}将政务公开纳入年度目标考核，由办公室牵头定期通报各科室信息报送情况，对发布不及时、内容不准确的问题督促整改。",
    "本年度组织政务公开专题培训{n_train}次，邀请业务骨干讲解条例条款和答复文书写法，参训人员{n_people}人次。",
    "{we}在网站公布监督电话和电子邮箱，接受社会公众对公开工作的评议，全年未接到对公开工作的投诉。",
)
PROBLEMS = (
    "对照群众期待，{we}的公开工作仍有差距：一是部分科室主动公开意识不够强，信息报送偏重工作动态，对政策执行情况公开较少；"
    "二是政策解读的形式还比较单一，图解、视频等产品数量不多；三是基层民政信息公开标准化程度有待提高。",
    "本年度工作中暴露出的问题主要有：信息更新有时不够及时，个别栏目存在内容空白；依申请公开答复文书的说理性还需加强；"
    "工作人员多为兼职，业务能力参差不齐。",
    "存在的不足主要表现在公开内容的深度不够、解读回应的针对性不强，以及平台栏目设置与群众查找习惯之间还有距离。",
)
MEASURES = (
    "下一步，{we}将重点抓好三项工作：加强公开属性审核，推动政策执行和落实情况常态化公开；丰富解读形式，"
    "针对重要政策制作通俗易懂的解读材料；加强对基层民政部门的业务指导，推广社会救助和养老服务领域公开标准目录。",
    "针对上述问题，{we}计划从以下方面改进：完善栏目内容保障机制，明确每个栏目的责任科室和更新频率；"
    "规范依申请公开答复流程，统一文书格式；每年至少组织两次业务培训，提高队伍专业化水平。",
    "{next_year}年，{we}将以便民利民为导向，优化信息公开专栏的分类与检索，及时回应社会关切，推动政务公开工作再上新台阶。",
)
OTHER = (
    "本年度{we}未收取政府信息公开信息处理费。",
    "无。",
    "{year}年度，{we}没有依据《政府信息公开信息处理费管理办法》收取信息处理费的情况。",
    "本单位无其他需要报告的事项。",
)

# sub-heading styles: separate heading blocks, or an inline bold lead-in
SUBHEADS = {
    "long": ("（一）主动公开情况", "（二）依申请公开情况", "（三）政府信息管理情况",
             "（四）政府信息公开平台建设情况", "（五）监督保障情况"),
    "short": ("（一）主动公开", "（二）依申请公开", "（三）政府信息管理", "（四）平台建设", "（五）监督保障"),
    "inline": ("（一）主动公开方面。", "（二）依申请公开方面。", "（三）政府信息管理方面。",
               "（四）平台建设方面。", "（五）监督保障方面。"),
}


@dataclass
class ReportShape:
    """How an agency lays out its 2019+ reports."""

    subheads: str = "long"  # 'long' | 'short' | 'inline' | 'none' (one paragraph with 一是…二是…)
    problems_title: str = "五、存在的主要问题及改进情况"
    intro: bool = True
    sign: bool = True
    images: dict[str, str] | None = None  # table key -> image src (tables published as pictures)


def report_blocks(ctx: Ctx, rng: random.Random, summary: dict, shape: ReportShape,
                  signed: tuple[int, int, int]) -> list[Block]:
    """Body of a 2019+ report; ``summary`` holds the request/appeal totals the prose cites."""
    nums = {
        "n_info": rng.randint(80, 900), "n_policy": rng.randint(2, 15), "n_interp": rng.randint(2, 12),
        "n_wechat": rng.randint(120, 700), "n_train": rng.randint(1, 4), "n_people": rng.randint(20, 150),
        **summary,
    }
    pick = lambda bank: ctx.f(rng.choice(bank), **nums)  # noqa: E731
    out: list[Block] = []
    if shape.intro:
        intro = pick(INTROS)
        if ctx.contact:
            intro += ctx.f(CONTACT, contact=ctx.contact, phone=ctx.phone)
        out.append(Para(intro))
    out.append(Heading("一、总体情况"))
    any_requests = bool(summary["new"] or summary["carried"])
    req = ctx.f(rng.choice(REQ_SOME if any_requests else REQ_NONE), **nums)
    appeals = ctx.f(APPEALS_SOME if summary["reviews"] or summary["lawsuits"] else APPEALS_NONE, **nums)
    topics = [
        [pick(ACTIVE), pick(ACTIVE_EXTRA)],
        [req + (pick(REQ_EXTRA) if any_requests else ""), appeals],
        [pick(MANAGE)],
        [pick(PLATFORM)],
        [pick(OVERSIGHT)],
    ]
    if shape.subheads == "none":
        parts = ["一是" + topics[0][0], "二是" + topics[1][0], "三是" + topics[2][0],
                 "四是" + topics[3][0], "五是" + topics[4][0]]
        out.append(Para(pick(OVERVIEW) + "".join(parts)))
    else:
        if rng.random() < 0.5:
            out.append(Para(pick(OVERVIEW)))
        for head, paras in zip(SUBHEADS[shape.subheads], topics):
            if shape.subheads == "inline":
                out.append(Para(head + "".join(paras), lead=len(head)))
            else:
                out.append(Heading(head, 2))
                out.extend(Para(p) for p in paras)
    images = shape.images or {}
    for title, key in (("二、主动公开政府信息情况", "active"), ("三、收到和处理政府信息公开申请情况", "requests"),
                       ("四、政府信息公开行政复议、行政诉讼情况", "appeals")):
        out.append(Heading(title))
        out.append(Image(images[key], title[2:]) if key in images else TableRef(key))
    out.append(Heading(shape.problems_title))
    out.append(Para(pick(PROBLEMS)))
    out.append(Para(pick(MEASURES)))
    out.append(Heading("六、其他需要报告的事项"))
    out.append(Para(pick(OTHER)))
    if shape.sign:
        out.append(Para(ctx.name, align="right"))
        out.append(Para(cn_date(*signed), align="right"))
    return out


# ---------------------------------------------------------------------------------------------
# pre-2019 narrative reports (numbers in sentences, no standard tables)

PRE_INTRO = (
    "{name}根据《中华人民共和国政府信息公开条例》的规定，编制了本年度政府信息公开工作报告。"
    "报告由概述、主动公开、依申请公开、咨询处理、复议诉讼、支出与收费、其他工作以及问题与改进八个部分组成，"
    "电子版可在{name}门户网站下载。如对报告有疑问，请与局办公室联系（联系人：{contact}，电话：{phone}）。"
)
PRE_SECTIONS = (
    "一、概述", "二、主动公开政府信息情况", "三、依申请公开政府信息情况", "四、政府信息公开咨询处理情况",
    "五、政府信息公开行政复议、行政诉讼情况", "六、政府信息公开支出情况", "七、其他相关工作情况",
    "八、存在的主要问题和改进措施",
)


def pre2019_figures(rng: random.Random, year: int) -> dict:
    web = rng.randint(600, 1900)
    req = rng.choice([0, 0, 1, 2, 3])
    granted = rng.randint(0, req)
    return {"n_active": web + rng.randint(100, 700), "n_web": web, "n_req": req, "n_granted": granted,
            "n_outside": req - granted, "n_consult": rng.randint(8000, 30000), "n_visits": round(rng.uniform(1.5, 6), 1),
            "fund": rng.choice([2, 3, 5]), "n_rules": rng.randint(2, 6), "n_staff": rng.randint(4, 9)}


def pre2019_blocks(ctx: Ctx, rng: random.Random, fig: dict, signed: tuple[int, int, int]) -> list[Block]:
    fig = dict(fig)
    fig["n_other"] = fig["n_active"] - fig["n_web"]
    fig["n_window"] = fig["n_consult"] * 3 // 10
    fig["n_net"] = rng.randint(60, 200)
    fig["n_phone"] = fig["n_consult"] - fig["n_window"] - fig["n_net"]
    f = lambda s: ctx.f(s, **fig)  # noqa: E731
    out: list[Block] = [Para(ctx.f(PRE_INTRO, contact=ctx.contact or "办公室", phone=ctx.phone or ""))]
    s = PRE_SECTIONS
    out += [Heading(s[0]),
            Para(f("{year}年，{we}调整充实了政务公开工作领导小组，由分管副局长牵头，办公室承担日常工作，"
                   "各科室确定一名信息员负责本科室信息的收集和报送，全局共有{n_staff}名同志参与此项工作。")),
            Para(f("全年修订完善信息公开保密审查、信息发布审核等制度{n_rules}项，公开工作做到有章可循。"
                   "局领导班子多次听取专题汇报，把政务公开列入全年重点工作一并考核。")),
            Heading(s[1]),
            Para(f("本年度{we}主动公开政府信息{n_active}条，其中通过门户网站发布{n_web}条，通过公开栏、宣传册等其他形式公开{n_other}条。"
                   "公开内容主要包括机构职能、政策法规、规划计划、救助资金发放和行政审批事项等。")),
            Para(f("城乡低保、医疗救助、临时救助的保障标准和资金分配情况按季度公示，婚姻登记、收养登记的办理条件和流程在服务窗口和网站同步公开。")),
            Heading(s[2])]
    if fig["n_req"]:
        out.append(Para(f("本年度{we}共受理政府信息公开申请{n_req}件，均已按期答复。其中同意公开{n_granted}件，"
                          "因申请事项不属于本机关职责范围而告知申请人向有关机关提出的{n_outside}件。")))
    else:
        out.append(Para(f("本年度{we}未收到政府信息公开申请。")))
    out += [Heading(s[3]),
            Para(f("本年度{we}接受公众咨询约{n_consult}人次，其中窗口现场咨询{n_window}人次、电话咨询{n_phone}人次、网上咨询{n_net}人次。"
                   "政府信息公开专栏全年访问量约{n_visits}万次。")),
            Heading(s[4]),
            Para(f("全年未发生涉及{we}政府信息公开工作的行政复议申请和行政诉讼案件。")),
            Heading(s[5]),
            Para(f("{year}年{we}安排政府信息公开工作经费{fund}万元，主要用于网站维护和公开栏更新，实际支出{fund}万元。"
                   "本年度未向申请人收取任何费用，也未发生与复议、诉讼相关的支出。")),
            Heading(s[6]),
            Para(f("{we}结合网上办事大厅建设，把婚姻登记、社会组织登记等事项的办事指南全部上网，群众可以在线预约办理。"
                   "同时利用官方微博及时发布民政工作动态，扩大公开的覆盖面。")),
            Heading(s[7]),
            Para(f("回顾全年，{we}政府信息公开工作还存在公开内容不够全面、更新频率不够稳定、工作人员业务水平有待提高等问题。")),
            Para(f("{next_year}年，{we}将着力完善信息发布审核流程，加大民生资金和社会救助信息的公开力度，"
                   "定期组织业务学习，不断提升政府信息公开工作水平。")),
            Para(ctx.name, align="right"),
            Para(cn_date(*signed), align="right")]
    return out


# ---------------------------------------------------------------------------------------------
# list fillers: news, notices, interpretations, other documents

NEWS_TITLES = (
    "{short}召开{y}年度全面从严治党工作会议",
    "{short}开展养老机构安全隐患排查整治",
    "{short}举办社会救助业务骨干培训班",
    "{place}启动{y}年“民政服务月”活动",
    "{short}部署冬春季困难群众救助帮扶工作",
    "{short}赴基层调研儿童福利工作",
    "{place}婚姻登记“跨省通办”试点工作有序推进",
    "{short}召开殡葬领域突出问题专项整治推进会",
    "{place}社区工作者能力提升培训班开班",
    "{short}组织开展“慈善一日捐”活动",
    "{short}开展地名文化遗产保护宣传活动",
    "{place}提高困难残疾人生活补贴标准",
    "{short}召开第一季度民政重点工作调度会",
    "{short}开展防范养老诈骗宣传进社区活动",
    "{place}完成年度社会组织抽查审计工作",
    "{short}举行“宪法宣传周”主题学习活动",
    "{place}最低生活保障标准再次上调",
    "{short}督导检查流浪乞讨人员救助管理工作",
)
NEWS_TOPICS = ("社会救助", "养老服务", "儿童福利", "殡葬管理", "社会组织管理", "区划地名", "婚姻登记", "慈善事业", "社区治理")
NEWS_PARAS = (
    "{date}，{short}组织召开专题会议，研究部署{topic}工作。会议听取了相关科室的工作汇报，分析了当前存在的困难和问题，对下一阶段任务作出具体安排。",
    "会议要求，各单位要压实工作责任，细化工作措施，确保各项任务按时保质完成，切实把党和政府的关怀送到困难群众身边。",
    "活动期间，工作人员深入社区、养老机构和救助站点，面对面宣传政策、听取意见，现场解答群众咨询{n}人次。",
    "下一步，{short}将持续跟踪工作进展，及时总结推广好的经验做法，推动{topic}工作取得新成效。",
    "据了解，此项工作覆盖全部乡镇（街道），累计走访服务对象{n}户，发现并整改问题{m}个。",
)


def news_title(rng: random.Random, ctx: Ctx, y: int, used: set[str]) -> str:
    for _ in range(50):
        t = ctx.f(rng.choice(NEWS_TITLES), y=y)
        if t not in used:
            used.add(t)
            return t
    t = ctx.f("{short}民政工作动态（{y}年第{k}期）", y=y, k=len(used))
    used.add(t)
    return t


def news_blocks(ctx: Ctx, rng: random.Random, date: tuple[int, int, int]) -> list[Block]:
    topic = rng.choice(NEWS_TOPICS)
    kw = {"date": f"{date[1]}月{date[2]}日", "topic": topic, "n": rng.randint(30, 400), "m": rng.randint(3, 40)}
    first, *rest = NEWS_PARAS
    chosen = [first] + rng.sample(rest, 2)
    return [Para(ctx.f(p, **kw)) for p in chosen]


def notice_blocks(ctx: Ctx, report_year: int) -> list[Block]:
    y = report_year
    return [
        Para("各科室、各直属单位："),
        Para(f"为做好{y}年政府信息公开工作年度报告的编制和发布，现就有关事项通知如下。"),
        Para(f"一、年度报告须按照国务院办公厅规定的格式编写，数据统计截止到{y}年12月31日。"),
        Para(f"二、请于{y + 1}年1月10日前将本单位相关数据报送办公室，由办公室汇总后在门户网站政府信息公开专栏发布。"),
        Para("三、年度报告发布前须经主要负责同志审定，确保数据准确、表述规范。"),
        Para(ctx.name, align="right"),
    ]


def interpretation_blocks(ctx: Ctx, report_title: str, img: str, summary: dict | None) -> list[Block]:
    out: list[Block] = [Para(f"为便于公众阅读理解，现将《{report_title}》的主要内容以图解形式呈现。"), Image(img, "图解")]
    if summary:
        out.append(Para(f"全年新收政府信息公开申请{summary['new']}件，办结{summary['handled']}件，"
                        f"结转下年度{summary['forward']}件。"))
    return out


def website_report_blocks(ctx: Ctx, site_name: str, y: int, rng: random.Random) -> list[Block]:
    """A 政府网站工作年度报表: an annual report, but of the website, not of information disclosure."""
    return [
        Para(f"网站名称：{site_name}"),
        Para(f"开办单位：{ctx.name}"),
        Para(f"统计年度：{y}年"),
        Para(f"独立用户访问总量：{rng.randint(50000, 900000)}个"),
        Para(f"网站总访问量：{rng.randint(200000, 5000000)}次"),
        Para(f"信息发布总数：{rng.randint(300, 3000)}条"),
        Para(f"留言办理：收到留言{rng.randint(20, 300)}条，平均办理时间{rng.randint(2, 6)}天"),
    ]


def plain_blocks(ctx: Ctx, lines: list[str]) -> list[Block]:
    return [Para(ctx.f(x)) for x in lines]
