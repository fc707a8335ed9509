"""Random canonical reports: the ground truth that format renderers print and readers must recover.

``random_report(seed, template)`` draws one report of a fictional agency: its three tables as
canonical values (``schema`` keys; ``None`` for blank and dash cells), the exact text printed in each
cell (``1,234``, ``１２``, ``1946.6890万元``, ``/``, ``—``, ``无``, an empty cell), the row, group and
column labels as this report spells them (schema variants, ``1、`` for ``1.``, half-width brackets,
full-width digits, a line break or a space inside a label), and a few paragraphs of prose per
section. Everything comes from one seeded RNG, so a seed names a report.

``reports()`` is the same as a hypothesis strategy.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from extract import schema

from extract.layout import Layout, TableSpec, layout

Values = dict[str, dict[str, dict[str, "int | float | None"]]]

DASHES = ("/", "-", "—", "无")
BLANKS = ("", "", "\u3000")
_FW = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class CanonicalReport:
    title: str
    agency: str
    year: int
    template: str  # '2019' | '2021'
    tables: Values  # table → row → col → value (int | float | None)
    raw: dict[str, dict[str, dict[str, str]]]  # the same cells as printed
    row_labels: dict[str, dict[str, str]]  # table → row → printed label (every row)
    col_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # table → col key → header
    group_labels: dict[str, str] = field(default_factory=dict)  # template group label → printed
    sections: list[tuple[str, list[str]]] = field(default_factory=list)  # heading, paragraphs
    seed: int | None = None

    def spec(self, table: str) -> TableSpec:
        keys = [r.key for r in schema.rows(table, self.template)]
        values = {}
        for r in keys:
            cols = [c.key for c in schema.cols(table, self.template, r if table == "active" else None)]
            values[r] = [self.raw[table][r][c] for c in cols]
        return TableSpec(table, self.template, values=values, row_labels=self.row_labels.get(table, {}),
                         col_labels=self.col_labels.get(table, {}), group_labels=self.group_labels)

    def layout(self, table: str) -> Layout:
        return layout(self.spec(table))

    def outline(self) -> list[tuple[str, list[str], str | None]]:
        """The sections in print order, each with the table printed after its paragraphs (or None).
        A table goes under the section whose heading names it (二、主动公开… or its keywords); a
        table no heading names gets a section of its own (its template title) at the end."""
        out: list[tuple[str, list[str], str | None]] = []
        placed: set[str] = set()
        for heading, paras in self.sections:
            key = _table_of(heading)
            if key in placed:
                key = None
            if key:
                placed.add(key)
            out.append((heading, paras, key))
        for key in schema.TABLE_KEYS:
            if key not in placed:
                out.append((schema.table(key).title, [], key))
        return out

    def captions(self) -> dict[str, str]:
        """Table key → the heading printed above it."""
        return {key: heading for heading, _, key in self.outline() if key}

    def describe(self) -> str:
        """A readable dump (for test failure messages)."""
        lines = [f"{self.title} (seed={self.seed}, template={self.template})"]
        for t in schema.TABLE_KEYS:
            for r, cols in self.raw[t].items():
                lines.append(f"  {t}.{r} [{self.row_labels[t][r]!r}]: "
                             + ", ".join(f"{c}={v!r}" for c, v in cols.items()))
        return "\n".join(lines)


_HEADING_TABLES = (("active", ("二、", "主动公开")), ("requests", ("三、", "收到和处理", "依申请")),
                   ("appeals", ("四、", "复议", "诉讼")))


def _table_of(heading: str) -> str | None:
    h = heading.strip()
    for key, (num, *words) in _HEADING_TABLES:
        if h.startswith(num) or any(w in h for w in words):
            return key
    return None


# ---------------------------------------------------------------------------------------------
# values

def _fmt_int(rng: random.Random, n: int, fullwidth: float) -> str:
    s = f"{n:,}" if n >= 1000 and rng.random() < 0.5 else str(n)
    if rng.random() < fullwidth:
        s = s.translate(_FW)
    return s


def _fmt_money(rng: random.Random, amount: Decimal, template: str) -> tuple[str, float | int]:
    """A money amount in 万元 as printed; returns (raw, canonical value of what is printed)."""
    if amount == 0:
        return rng.choice(["0", "0", "0.00", "0万元"]), 0
    if rng.random() < 0.15 and amount < 1000:  # printed in 元 (an exact number of yuan)
        yuan = int(amount * 10000)
        return f"{yuan}元", (yuan // 10000 if yuan % 10000 == 0 else float(Decimal(yuan) / Decimal(10000)))
    places = max(0, -amount.normalize().as_tuple().exponent)
    digits = rng.choice([places, places, max(places, 2), max(places, 4)])
    s = f"{amount:.{digits}f}"
    value: float | int = int(amount) if places == 0 else float(amount)
    if rng.random() < 0.35:
        s += "万元"
    elif amount >= 1000 and rng.random() < 0.3:
        whole, _, frac = s.partition(".")
        s = f"{int(whole):,}" + ("." + frac if frac else "")
    return s, value


def _money(rng: random.Random, big: bool) -> Decimal:
    if rng.random() < 0.3:
        return Decimal(0)
    hi = 5_000 if big else 200
    places = rng.choice([0, 1, 2, 4])
    return (Decimal(rng.randint(1, hi * 10 ** places)) / Decimal(10 ** places)).normalize()


class _Gen:
    def __init__(self, rng: random.Random, template: str):
        self.rng = rng
        self.t = template
        self.values: Values = {t: {} for t in schema.TABLE_KEYS}
        self.raw: dict[str, dict[str, dict[str, str]]] = {t: {} for t in schema.TABLE_KEYS}
        # how this report prints empty things
        self.p_empty = rng.choice([0.0, 0.0, 0.04, 0.15])  # chance a zero is printed blank / as a dash
        self.empty_tokens = rng.choice([BLANKS, DASHES, ("/",), ("—",), ("",), ("无", "")])
        self.fullwidth = rng.choice([0.0, 0.0, 0.0, 0.05, 1.0])
        self.busy = rng.choice(["quiet", "normal", "busy", "huge"])

    def put(self, table: str, row: str, col: str, value, raw: str | None = None) -> None:
        rng = self.rng
        if raw is None:
            if value is None:
                raw = rng.choice(self.empty_tokens)
            elif isinstance(value, int):
                if value == 0 and rng.random() < self.p_empty:
                    raw, value = rng.choice(self.empty_tokens), None
                else:
                    raw = _fmt_int(rng, value, self.fullwidth) if value >= 0 else str(value)
            else:
                raw = str(value)
        if raw.strip(" \u3000") == "" or raw in DASHES:
            value = None
        self.values[table].setdefault(row, {})[col] = value
        self.raw[table].setdefault(row, {})[col] = raw

    def count(self, scale: int) -> int:
        rng = self.rng
        if rng.random() < 0.45:
            return 0
        return rng.randint(1, scale)

    # requests ---------------------------------------------------------------------------
    def requests(self) -> None:
        rng = self.rng
        scale = {"quiet": 3, "normal": 20, "busy": 300, "huge": 9000}[self.busy]
        rows = [f.key for f in schema.rows("requests", self.t)]
        parts = list(schema.handled_parts(self.t))
        applicants = list(schema.REQUESTS_APPLICANT_COLS)
        table: dict[str, dict[str, int]] = {r: {} for r in rows}
        for c in applicants:
            s = scale if c == "natural_person" else max(1, scale // 20)
            active = c == "natural_person" or rng.random() < 0.35
            for r in parts:
                table[r][c] = self.count(s) if active and rng.random() < 0.5 else 0
            handled = sum(table[r][c] for r in parts)
            table["handled_total"][c] = handled
            table["carried_forward"][c] = rng.randint(0, max(1, handled // 5)) if active and rng.random() < 0.3 else 0
            table["carried_over"][c] = rng.randint(0, max(1, handled // 4)) if active and rng.random() < 0.3 else 0
            new = handled + table["carried_forward"][c] - table["carried_over"][c]
            if new < 0:
                table["carried_over"][c] += new
                new = 0
            table["new_received"][c] = new
        for r in rows:
            table[r]["total"] = sum(table[r][c] for c in applicants)
        if rng.random() < 0.15:  # real reports contain real arithmetic errors
            r, c = rng.choice(rows), rng.choice(applicants + ["total"])
            table[r][c] += rng.randint(1, 5)
        for r in rows:
            for c in applicants + ["total"]:
                self.put("requests", r, c, table[r][c])

    # appeals ----------------------------------------------------------------------------
    def appeals(self) -> None:
        rng = self.rng
        for g in ("review", "litigation_direct", "litigation_after_review"):
            parts = [self.count(3 if self.busy in ("quiet", "normal") else 40) if rng.random() < 0.4 else 0
                     for _ in range(4)]
            for k, v in zip(("upheld", "corrected", "other", "pending"), parts):
                self.put("appeals", g, k, v)
            self.put("appeals", g, "total", sum(parts))

    # active -----------------------------------------------------------------------------
    def active(self) -> None:
        rng = self.rng
        big = self.busy in ("busy", "huge")
        for f in schema.rows("active", self.t):
            cols = [c.key for c in schema.cols("active", self.t, f.key)]
            for c in cols:
                if c == "amount":
                    raw, value = _fmt_money(rng, _money(rng, big), self.t)
                    self.put("active", f.key, c, value, raw)
                elif c == "change":
                    v = rng.choice([0, 0, 0, 1, 2, -1, -3])
                    self.put("active", f.key, c, v)
                elif c in ("decisions",):
                    self.put("active", f.key, c, self.count(25_000 if big and rng.random() < 0.5 else 400))
                elif c in ("in_force", "total_published", "prev_items"):
                    self.put("active", f.key, c, self.count(3000 if big else 80))
                else:
                    self.put("active", f.key, c, self.count(30))


# ---------------------------------------------------------------------------------------------
# labels

class _Spelling:
    """One report's way of writing labels."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.half_brackets = rng.random() < 0.3
        self.numdot = rng.choice(["", "", "", "、", "．"])  # "" keeps the template's "1."
        self.fw_digits = rng.random() < 0.1
        self.p_variant = rng.choice([0.0, 0.3, 0.8])
        self.p_break = rng.choice([0.0, 0.05, 0.15])
        self.p_space = rng.choice([0.0, 0.0, 0.05])

    def _shape(self, s: str) -> str:
        if self.half_brackets:
            s = s.replace("（", "(").replace("）", ")").replace("：", ":")
        if self.numdot and len(s) > 2 and s[0].isdigit() and s[1] == ".":
            s = s[0] + self.numdot + s[2:]
        if self.fw_digits and s[:1].isdigit():
            s = s[0].translate(_FW) + s[1:]
        return s

    def _noise(self, s: str) -> str:
        rng = self.rng
        if len(s) >= 5 and rng.random() < self.p_break:
            k = rng.randint(2, len(s) - 2)
            s = s[:k] + "\n" + s[k:]
        elif len(s) >= 5 and rng.random() < self.p_space:
            k = rng.randint(2, len(s) - 2)
            s = s[:k] + " " + s[k:]
        return s

    def row(self, f: schema.Field) -> str:
        s = f.label
        if f.variants and self.rng.random() < self.p_variant:
            s = self.rng.choice(f.variants)
        return self._noise(self._shape(s))

    def group(self, s: str) -> str:
        return self._noise(self._shape(s))

    def col(self, s: str) -> str:
        return self._noise(self._shape(s))


def _labels(rng: random.Random, template: str):
    sp = _Spelling(rng)
    row_labels = {t: {f.key: sp.row(f) for f in schema.rows(t, template)} for t in schema.TABLE_KEYS}
    groups = {g for t in schema.TABLE_KEYS for f in schema.rows(t, template) for g in f.group}
    group_labels = {g: sp.group(g) for g in sorted(groups)}
    col_labels: dict[str, dict[str, str]] = {"requests": {}, "appeals": {}, "active": {}}
    for c in schema.REQUESTS_COLS:
        col_labels["requests"][c.key] = sp.col(c.label)
    col_labels["requests"]["org"] = sp.col("法人或其他组织")
    col_labels["requests"]["note"] = sp._shape(schema.REQUESTS_NOTE)
    for c in schema.APPEALS_COLS:
        lab = c.label
        if c.variants and rng.random() < sp.p_variant / 2:
            lab = rng.choice(c.variants)
        col_labels["appeals"][c.key] = sp.col(lab)
    for c in schema.cols("active", template):
        col_labels["active"][c.key] = sp.col(c.label)
    return row_labels, col_labels, group_labels


# ---------------------------------------------------------------------------------------------
# who, when, and the prose

_PLACES = ("东川省", "南屏市", "西岭县", "北江市滨河区", "云台市", "清河县", "安平市", "永宁县", "青石镇",
           "临湖市", "白沙县", "长宁区")
_DEPTS = ("民政厅", "民政局", "人力资源和社会保障局", "生态环境局", "交通运输局", "卫生健康委员会",
          "市场监督管理局", "自然资源局", "人民政府办公室", "住房和城乡建设局", "农业农村局", "人民政府")


def _prose(rng: random.Random, agency: str, year: int, tables: Values, template: str, long: bool):
    we = "我" + agency[-1] if agency[-1] in "局厅委" else "本机关"
    req = tables["requests"]
    new = req["new_received"]["total"]
    fwd = req["carried_forward"]["total"]
    n_info = rng.randint(30, 3000)

    def many(xs: list[str], k: int) -> list[str]:
        order = rng.sample(xs, len(xs))
        return [order[i % len(order)] for i in range(k)]

    overview = [
        f"{year}年，{agency}按照政府信息公开条例的要求，把公开工作与日常业务一起安排、一起检查，"
        f"全年在门户网站发布各类信息{n_info}条，公开的及时性和完整性较上年有所提高。",
        f"{we}调整了信息公开工作小组的分工，由办公室牵头，各业务科室确定一名联络员，"
        f"负责本科室信息的梳理、审核和报送。",
        f"对照公开目录，{we}逐项核对了应当主动公开的事项，补充更新了机构职能、办事指南和政策文件等栏目。",
        f"依申请公开方面，全年新收申请{'' if new is None else new}件，均在法定期限内作出答复。",
        f"平台建设方面，{we}对网站栏目做了梳理合并，删除长期不更新的栏目，新增政策问答专栏。",
        "监督保障方面，公开工作纳入年度考核，办公室每季度对网站内容做一次检查，发现问题当即整改。",
        f"政策解读方面，{we}坚持文件与解读材料同步起草、同步审签、同步发布，全年制作图文解读若干篇。",
        "办事服务方面，各项服务事项的办理条件、所需材料和办理时限均已在网上公布，群众可对照准备材料。",
        f"会议公开方面，{we}涉及群众切身利益的重要会议邀请了人大代表、政协委员和群众代表列席。",
        "公开属性审查方面，公文在拟稿时即标明公开属性，不予公开的须说明理由，由办公室统一把关。",
        f"培训方面，{we}组织了两次政务公开业务培训，重点讲解条例条文、申请答复文书和常见问题处理。",
        "档案管理方面，依申请公开的申请材料、答复文书和送达凭证逐件归档，做到一案一档。",
    ]
    k = rng.randint(5, 12) if long else rng.randint(1, 3)
    sections = [
        (schema.SECTIONS[0], many(overview, k)),
        (schema.SECTIONS[1], [f"{we}全年主动公开情况见下表。" + rng.choice([
            "规范性文件均在印发后二十个工作日内公开。", "行政许可和行政处罚信息在作出决定后七个工作日内公开。", ""])]),
        (schema.SECTIONS[2], [rng.choice([
            f"本年度新收申请{new}件，结转下年度{fwd}件，具体情况见下表。",
            "收到和处理政府信息公开申请的情况统计如下。",
            f"{we}依申请公开的办理结果统计见下表（单位：件）。"])]),
        (schema.SECTIONS[3], [rng.choice([
            "本年度因政府信息公开引起的行政复议和行政诉讼情况如下。",
            f"{year}年{we}政府信息公开行政复议、行政诉讼的数量统计见下表。"])]),
        (rng.choice((schema.SECTIONS[4],) + schema.SECTION_VARIANTS[schema.SECTIONS[4]]), many([
            "一是部分栏目更新不够及时，二是政策解读形式较为单一。下一步将建立栏目更新提醒制度，丰富解读形式。",
            "存在的问题主要是业务科室报送信息的主动性不强。改进措施：把信息报送情况纳入科室月度通报。",
            "依申请公开的答复文书还不够规范，今后将统一文书格式，并组织一次专题培训。",
        ], rng.randint(1, 3 if long else 2))),
        (schema.SECTIONS[5], [rng.choice([
            f"{we}本年度未收取信息处理费。", "本年度没有其他需要报告的事项。",
            f"依据《政府信息公开信息处理费管理办法》，{we}{year}年未发出收费通知，未收取信息处理费。"])]),
    ]
    return sections


def random_report(rng_or_seed: random.Random | int | None = None, template: str = "2021") -> CanonicalReport:
    """One random report of ``template`` ('2019' or '2021'), reproducible from an int seed."""
    if template not in (schema.T2019, schema.T2021):
        raise ValueError(f"template must be '2019' or '2021', not {template!r}")
    seed = None
    if isinstance(rng_or_seed, random.Random):
        rng = rng_or_seed
    else:
        seed = rng_or_seed
        rng = random.Random(f"nianbao-sample:{seed}:{template}")
    agency = rng.choice(_PLACES) + rng.choice(_DEPTS)
    year = rng.choice([2019, 2020, 2020, 2021]) if template == "2019" else rng.randint(2021, 2024)
    gen = _Gen(rng, template)
    gen.requests()
    gen.appeals()
    gen.active()
    row_labels, col_labels, group_labels = _labels(rng, template)
    title = rng.choice([f"{agency}{year}年政府信息公开工作年度报告", f"{agency}{year}年度政府信息公开工作年度报告",
                        f"{agency}关于{year}年政府信息公开工作年度报告"])
    long = rng.random() < 0.5
    sections = _prose(rng, agency, year, gen.values, template, long)
    return CanonicalReport(title=title, agency=agency, year=year, template=template, tables=gen.values,
                           raw=gen.raw, row_labels=row_labels, col_labels=col_labels,
                           group_labels=group_labels, sections=sections, seed=seed)


def reports(template: str | None = None):
    """Hypothesis strategy drawing random reports (both templates unless ``template`` is given)."""
    from hypothesis import strategies as st

    templates = st.sampled_from([template]) if template else st.sampled_from([schema.T2021, schema.T2019])
    return st.builds(random_report, st.integers(min_value=0, max_value=2**32 - 1), templates)


__all__ = ["CanonicalReport", "random_report", "reports", "DASHES", "BLANKS"]
