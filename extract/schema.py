"""The canonical form of an annual report's three standard tables: keys, labels, eras, checks.

Every part of the project that names a table cell (the replica web that plants reports, the table
parser that reads them, the checks, the database views) imports its names from here, so that the
contract in the project's schema documentation has exactly one executable copy.

Shape of the data:

* A *table* (``active``, ``requests``, ``appeals``) has rows and columns, each a :class:`Field`.
* A field knows its canonical key, its label as printed in the official template, the labels of the
  merged header cells above / beside it (``group``), the template eras it belongs to, and
  ``variants``: other spellings met in real reports (typos, missing prefixes). Later work on label
  matching extends ``variants``; nothing else should need to change.
* In table ``active`` the columns depend on the row (規章 has three numbers, 行政许可 one in 2021);
  ``cols("active", template, row)`` lists them.

Canonical cell dicts look like ``{"requests": {"new_received": {"natural_person": 0, ...}}}``:
table key → row key → column key → value (int, float, or None for blank/dash cells).
"""
from __future__ import annotations

from dataclasses import dataclass

PRE2019, T2019, T2021 = "pre2019", "2019", "2021"
TEMPLATES: tuple[str, ...] = (PRE2019, T2019, T2021)
TABLE_KEYS: tuple[str, ...] = ("active", "requests", "appeals")


@dataclass(frozen=True)
class Era:
    key: str
    years: tuple[int, int]  # first, last report year where this era is the norm
    basis: str  # the document that fixed the format
    marks: tuple[str, ...]  # header texts that identify the era (decide on these, not on the year)


ERAS: dict[str, Era] = {
    PRE2019: Era(PRE2019, (2008, 2018), "《中华人民共和国政府信息公开条例》（2007）", ()),
    T2019: Era(T2019, (2019, 2020), "国办公开办函〔2019〕60号",
               ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量")),
    T2021: Era(T2021, (2021, 9999), "国办公开办函〔2021〕30号",
               ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额")),
}


def default_template(year: int) -> str:
    """The era a report of ``year`` normally uses. A default only: real reports mix eras, so a
    parser decides from headers and row labels (see ``ERAS[...].marks``)."""
    if year <= 2018:
        return PRE2019
    return T2019 if year <= 2020 else T2021


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # the leaf cell's text in the official template
    group: tuple[str, ...] = ()  # labels of merged cells above (columns) / to the left (rows)
    templates: frozenset[str] = frozenset({T2019, T2021})
    variants: tuple[str, ...] = ()  # other spellings met in real reports

    @property
    def full_label(self) -> str:
        return " ".join((*self.group, self.label))

    def in_template(self, template: str) -> bool:
        return template in self.templates


@dataclass(frozen=True)
class Table:
    key: str
    title: str  # the report section heading the table sits under
    rows: tuple[Field, ...]
    cols: tuple[Field, ...]


_BOTH = frozenset({T2019, T2021})
_ONLY19 = frozenset({T2019})
_ONLY21 = frozenset({T2021})

# ---------------------------------------------------------------------------------------------
# requests — 收到和处理政府信息公开申请情况
_RESULT = "三、本年度办理结果"
_W, _U, _R, _O = "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"

REQUESTS_ROWS: tuple[Field, ...] = (
    Field("new_received", "一、本年新收政府信息公开申请数量"),
    Field("carried_over", "二、上年结转政府信息公开申请数量", variants=("二、上年转结政府信息公开申请数量",)),
    Field("granted", "（一）予以公开", (_RESULT,)),
    Field("partly_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", (_RESULT,)),
    Field("withheld_state_secret", "1.属于国家秘密", (_RESULT, _W)),
    Field("withheld_prohibited_by_law", "2.其他法律行政法规禁止公开", (_RESULT, _W),
          variants=("2.其他法律行政止公开",)),
    Field("withheld_security_stability", "3.危及“三安全一稳定”", (_RESULT, _W),
          variants=('3.危及"三安全一稳定"',)),
    Field("withheld_third_party", "4.保护第三方合法权益", (_RESULT, _W)),
    Field("withheld_internal_affairs", "5.属于三类内部事务信息", (_RESULT, _W), variants=("5.内部事务信息",)),
    Field("withheld_process_info", "6.属于四类过程性信息", (_RESULT, _W)),
    Field("withheld_enforcement_files", "7.属于行政执法案卷", (_RESULT, _W)),
    Field("withheld_query_service", "8.属于行政查询事项", (_RESULT, _W)),
    Field("unavailable_not_held", "1.本机关不掌握相关政府信息", (_RESULT, _U)),
    Field("unavailable_needs_creation", "2.没有现成信息需要另行制作", (_RESULT, _U)),
    Field("unavailable_unclear", "3.补正后申请内容仍不明确", (_RESULT, _U),
          variants=("3.补正后申请内容仍部明确",)),
    Field("rejected_petition", "1.信访举报投诉类申请", (_RESULT, _R)),
    Field("rejected_repeat", "2.重复申请", (_RESULT, _R)),
    Field("rejected_publication", "3.要求提供公开出版物", (_RESULT, _R)),
    Field("rejected_excessive", "4.无正当理由大量反复申请", (_RESULT, _R)),
    Field("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息", (_RESULT, _R),
          variants=("5.要求行政机关确认或中心出具已获取信息",)),
    Field("other_no_correction",
          "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", (_RESULT, _O), _ONLY21,
          variants=("1.申请人无正当理由逾期不补正、行政机关不再处理其他政府信息公开申请",)),
    Field("other_fee_unpaid",
          "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", (_RESULT, _O), _ONLY21),
    Field("other_misc", "3.其他", (_RESULT, _O), _ONLY21),
    Field("other_total", _O, (_RESULT,), _ONLY19),
    Field("handled_total", "（七）总计", (_RESULT,)),
    Field("carried_forward", "四、结转下年度继续办理", variants=("四、结转下半年度继续办理",)),
)

_ORG = "法人或其他组织"
REQUESTS_COLS: tuple[Field, ...] = (
    Field("natural_person", "自然人"),
    Field("business", "商业企业", (_ORG,)),
    Field("research", "科研机构", (_ORG,)),
    Field("nonprofit", "社会公益组织", (_ORG,)),
    Field("legal_services", "法律服务机构", (_ORG,)),
    Field("other_org", "其他", (_ORG,)),
    Field("total", "总计"),
)
REQUESTS_APPLICANT_COLS: tuple[str, ...] = tuple(c.key for c in REQUESTS_COLS if c.key != "total")
REQUESTS_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
REQUESTS_COLS_HEADING = "申请人情况"

# ---------------------------------------------------------------------------------------------
# appeals — 政府信息公开行政复议、行政诉讼情况
_LIT = "行政诉讼"
APPEALS_ROWS: tuple[Field, ...] = (
    Field("review", "行政复议"),
    Field("litigation_direct", "未经复议直接起诉", (_LIT,)),
    Field("litigation_after_review", "复议后起诉", (_LIT,)),
)
APPEALS_COLS: tuple[Field, ...] = (
    Field("upheld", "结果维持"),
    Field("corrected", "结果纠正"),
    Field("other", "其他结果"),
    Field("pending", "尚未审结", variants=("尚未结果",)),
    Field("total", "总计"),
)

# ---------------------------------------------------------------------------------------------
# active — 主动公开政府信息情况 (条例第二十条)
S1, S5, S6, S8, S9 = ("第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项",
                      "第二十条第（八）项", "第二十条第（九）项")
_DOCS21 = ("issued", "repealed", "in_force")
_DOCS19 = ("new_made", "new_published", "total_published")
_ITEMS19 = ("prev_items", "change", "decisions")

ACTIVE_ROWS: tuple[Field, ...] = (
    Field("regulations", "规章", (S1,)),
    Field("normative_documents", "规范性文件", (S1,), variants=("行政规范性文件",)),
    Field("licensing", "行政许可", (S5,)),
    Field("other_services", "其他对外管理服务事项", (S5,), _ONLY19),
    Field("penalties", "行政处罚", (S6,)),
    Field("coercion", "行政强制", (S6,)),
    Field("fees", "行政事业性收费", (S8,)),
    Field("procurement", "政府集中采购", (S9,), _ONLY19),
)
_ACTIVE_ROW_COLS: dict[str, dict[str, tuple[str, ...]]] = {
    T2021: {"regulations": _DOCS21, "normative_documents": _DOCS21, "licensing": ("decisions",),
            "penalties": ("decisions",), "coercion": ("decisions",), "fees": ("amount",)},
    T2019: {"regulations": _DOCS19, "normative_documents": _DOCS19, "licensing": _ITEMS19,
            "other_services": _ITEMS19, "penalties": _ITEMS19, "coercion": _ITEMS19,
            "fees": ("prev_items", "change"), "procurement": ("projects", "amount")},
}
_ACTIVE_COLS: dict[str, tuple[Field, ...]] = {
    T2021: (
        Field("issued", "本年制发件数", templates=_ONLY21),
        Field("repealed", "本年废止件数", templates=_ONLY21),
        Field("in_force", "现行有效件数", templates=_ONLY21),
        Field("decisions", "本年处理决定数量", templates=_ONLY21),
        Field("amount", "本年收费金额（单位：万元）", templates=_ONLY21),
    ),
    T2019: (
        Field("new_made", "本年新制作数量", templates=_ONLY19),
        Field("new_published", "本年新公开数量", templates=_ONLY19),
        Field("total_published", "对外公开总数量", templates=_ONLY19),
        Field("prev_items", "上一年项目数量", templates=_ONLY19),
        Field("change", "本年增/减", templates=_ONLY19),
        Field("decisions", "处理决定数量", templates=_ONLY19),
        Field("projects", "采购项目数量", templates=_ONLY19),
        Field("amount", "采购总金额", templates=_ONLY19),
    ),
}
ACTIVE_SECTION_LABEL_HEADER = "信息内容"
MONEY_UNIT = "万元"  # `amount` values are normalised to 万元

TABLES: dict[str, Table] = {
    "active": Table("active", "二、主动公开政府信息情况", ACTIVE_ROWS, _ACTIVE_COLS[T2021] + _ACTIVE_COLS[T2019]),
    "requests": Table("requests", "三、收到和处理政府信息公开申请情况", REQUESTS_ROWS, REQUESTS_COLS),
    "appeals": Table("appeals", "四、政府信息公开行政复议、行政诉讼情况", APPEALS_ROWS, APPEALS_COLS),
}

# The six section headings of a 2019+/2021 report, in order. Real reports renumber and retitle.
SECTIONS: tuple[str, ...] = (
    "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项",
)
SECTION_VARIANTS: dict[str, tuple[str, ...]] = {
    "五、存在的主要问题及改进情况": ("五、存在的主要问题及整改措施", "五、存在问题及改进情况"),
}


def _check_template(template: str) -> None:
    if template not in (T2019, T2021):
        raise ValueError(f"no standard tables in template {template!r} (use '2019' or '2021')")


def table(key: str) -> Table:
    try:
        return TABLES[key]
    except KeyError:
        raise KeyError(f"unknown table {key!r}; tables are {', '.join(TABLE_KEYS)}") from None


def rows(table_key: str, template: str) -> tuple[Field, ...]:
    """The rows of a table in a template era, top to bottom."""
    _check_template(template)
    return tuple(f for f in table(table_key).rows if f.in_template(template))


def cols(table_key: str, template: str, row: str | None = None) -> tuple[Field, ...]:
    """The columns of a table in a template era, left to right; for ``active`` pass ``row`` to get
    that row's columns (without it: every column the era's active table uses)."""
    _check_template(template)
    if table_key != "active":
        return table(table_key).cols
    allcols = _ACTIVE_COLS[template]
    if row is None:
        return allcols
    keys = _ACTIVE_ROW_COLS[template].get(row)
    if keys is None:
        raise KeyError(f"active row {row!r} not in template {template}")
    by_key = {c.key: c for c in allcols}
    return tuple(by_key[k] for k in keys)


def row_field(table_key: str, row: str) -> Field:
    for f in table(table_key).rows:
        if f.key == row:
            return f
    raise KeyError(f"unknown row {row!r} in table {table_key!r}")


def col_field(table_key: str, col: str, template: str = T2021) -> Field:
    pool = _ACTIVE_COLS[template] if table_key == "active" else table(table_key).cols
    for f in pool:
        if f.key == col:
            return f
    raise KeyError(f"unknown column {col!r} in table {table_key!r} ({template})")


def label(table_key: str, row: str, col: str | None = None, template: str = T2021) -> str:
    """The template label of a row (or, with ``col``, of that column)."""
    if col is not None:
        return col_field(table_key, col, template).label
    return row_field(table_key, row).label


def cell_keys(table_key: str, template: str) -> list[tuple[str, str]]:
    """Every (row, col) a complete table of this era has, in reading order."""
    out = []
    for r in rows(table_key, template):
        for c in cols(table_key, template, r.key if table_key == "active" else None):
            out.append((r.key, c.key))
    return out


# ---------------------------------------------------------------------------------------------
# Checks (勾稽关系 and sums). Outcomes are stored per rule and scope, never "repaired".
PASS, FAIL, NOT_ASSESSABLE = "pass", "fail", "not_assessable"
OUTCOMES: tuple[str, ...] = (PASS, FAIL, NOT_ASSESSABLE)


@dataclass(frozen=True)
class CheckRule:
    name: str
    table: str
    scope: str  # what one outcome is about: column / row / group / agency-year
    holds_when: str


_HANDLED_PARTS: tuple[str, ...] = tuple(
    f.key for f in REQUESTS_ROWS
    if f.key.startswith(("granted", "partly_granted", "withheld_", "unavailable_", "rejected_", "other_"))
)

CHECK_RULES: tuple[CheckRule, ...] = (
    CheckRule("requests.balance", "requests", "column",
              "new_received + carried_over = handled_total + carried_forward"),
    CheckRule("requests.handled_sum", "requests", "column",
              "granted + partly_granted + withheld_* + unavailable_* + rejected_* + other_* = handled_total"),
    CheckRule("requests.row_sum", "requests", "row", "the six applicant columns add up to total"),
    CheckRule("appeals.sum", "appeals", "group", "upheld + corrected + other + pending = total"),
    CheckRule("requests.continuity", "requests", "agency-year", "carried_forward(y-1) = carried_over(y)"),
    CheckRule("active.continuity", "active", "agency-year", "in_force(y) = in_force(y-1) + issued(y) - repealed(y)"),
)
CHECKS: dict[str, CheckRule] = {r.name: r for r in CHECK_RULES}


def handled_parts(template: str) -> tuple[str, ...]:
    """Rows that add up to ``handled_total`` in this era (requests.handled_sum)."""
    present = {f.key for f in rows("requests", template)}
    return tuple(k for k in _HANDLED_PARTS if k in present)


__all__ = [
    "PRE2019", "T2019", "T2021", "TEMPLATES", "TABLE_KEYS", "ERAS", "Era", "Field", "Table", "TABLES",
    "SECTIONS", "SECTION_VARIANTS", "REQUESTS_NOTE", "REQUESTS_COLS_HEADING", "REQUESTS_APPLICANT_COLS",
    "ACTIVE_SECTION_LABEL_HEADER", "MONEY_UNIT", "S1", "S5", "S6", "S8", "S9",
    "default_template", "table", "rows", "cols", "row_field", "col_field", "label", "cell_keys",
    "CheckRule", "CHECK_RULES", "CHECKS", "handled_parts", "PASS", "FAIL", "NOT_ASSESSABLE", "OUTCOMES",
]
