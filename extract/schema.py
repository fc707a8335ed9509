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
* Label matching for parsers (end of this module): ``fold`` / ``norm_label`` reduce a printed label
  (typos aside) to a comparable key; ``match_row`` / ``match_col`` return the canonical key by
  meaning (exact, variant, keyword rule, similarity above a threshold) or None — never a guess;
  ``section_table`` / ``header_table`` say which table a heading or header cell belongs to.

Canonical cell dicts look like ``{"requests": {"new_received": {"natural_person": 0, ...}}}``:
table key → row key → column key → value (int, float, or None for blank/dash cells).
"""
from __future__ import annotations

import difflib as _difflib
import functools as _functools
import re as _re
import unicodedata as _unicodedata
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
    Field("handled_total", "（七）总计", (_RESULT,), variants=("（七）合计",)),
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
    title: str = ""  # what the rule is called, for readers (Chinese)
    formula: str = ""  # the rule as readers write it, in the template's words
    explain: str = ""  # why it must hold, in one sentence
    axis: str = "col"  # a check's scope names a column ('col': rows are the terms) or a row ('row')


_HANDLED_PARTS: tuple[str, ...] = tuple(
    f.key for f in REQUESTS_ROWS
    if f.key.startswith(("granted", "partly_granted", "withheld_", "unavailable_", "rejected_", "other_"))
)

CHECK_RULES: tuple[CheckRule, ...] = (
    CheckRule("requests.balance", "requests", "column",
              "new_received + carried_over = handled_total + carried_forward",
              "收支平衡", "本年新收 + 上年结转 = 办理结果总计 + 结转下年度",
              "表格注明的勾稽关系：第一项加第二项之和，等于第三项加第四项之和。"),
    CheckRule("requests.handled_sum", "requests", "column",
              "granted + partly_granted + withheld_* + unavailable_* + rejected_* + other_* = handled_total",
              "办理结果合计", "（一）至（六）各项办理结果之和 = （七）总计",
              "每一件申请都有一个办理结果，各项结果相加应等于总计。"),
    CheckRule("requests.row_sum", "requests", "row", "the six applicant columns add up to total",
              "申请人合计", "自然人 + 五类法人或其他组织 = 总计",
              "每一行中，各类申请人的数量相加应等于该行的总计。", axis="row"),
    CheckRule("appeals.sum", "appeals", "group", "upheld + corrected + other + pending = total",
              "复议诉讼合计", "结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计",
              "行政复议和每类行政诉讼的各项结果相加应等于总计。", axis="row"),
    CheckRule("requests.continuity", "requests", "agency-year", "carried_forward(y-1) = carried_over(y)",
              "跨年度衔接（申请）", "上一年度结转下年度 = 本年度上年结转",
              "上一年度报告中结转到下年度的申请，应等于本年度报告中的上年结转。"),
    CheckRule("active.continuity", "active", "agency-year", "in_force(y) = in_force(y-1) + issued(y) - repealed(y)",
              "跨年度衔接（文件）", "现行有效件数 = 上一年度现行有效件数 + 本年制发件数 − 本年废止件数",
              "规章和规范性文件的现行有效件数，应等于上年的件数加上本年制发、减去本年废止。", axis="row"),
)
CHECKS: dict[str, CheckRule] = {r.name: r for r in CHECK_RULES}


OUTCOME_LABELS: dict[str, str] = {PASS: "通过", FAIL: "不符", NOT_ASSESSABLE: "无法核对"}

# Short names of the terms checks compare (``Check.compared`` keys); other terms use their field label.
CHECK_TERMS: dict[str, str] = {
    "new_received": "本年新收", "carried_over": "上年结转", "handled_total": "办理结果总计",
    "carried_forward": "结转下年度", "previous.carried_forward": "上一年度结转下年度",
    "in_force": "现行有效件数", "previous.in_force": "上一年度现行有效件数",
    "issued": "本年制发件数", "repealed": "本年废止件数",
}

# ---------------------------------------------------------------------------------------------
# Words for readers: templates, tables and the problems an extraction records, in Chinese.
TEMPLATE_LABELS: dict[str, str] = {
    PRE2019: "2019年以前格式（无统一表格）",
    T2019: "2019年版格式（国办公开办函〔2019〕60号）",
    T2021: "2021年版格式（国办公开办函〔2021〕30号）",
}
TABLE_SHORT: dict[str, str] = {"active": "主动公开", "requests": "依申请公开", "appeals": "复议诉讼"}

# A cell read from a picture below this OCR confidence is shown as unverified (extract.ocr uses the same).
OCR_LOW_CONFIDENCE = 0.9

# code → (name, what it means for a reader). Codes are what extract records; see extract.document.
PROBLEMS: dict[str, tuple[str, str]] = {
    "undecodable": ("无法解码", "页面的字节无法按任何中文编码读出，正文不可用。"),
    "empty_text": ("没有正文", "页面或文件中没有找到正文文字。"),
    "no_date": ("缺少发布日期", "页面上没有找到发布日期。"),
    "not_a_report": ("不是年报", "该页面不是政府信息公开工作年度报告（例如新闻或通知），未收录为年报。"),
    "unmatched_row": ("行名无法识别", "表格中有一行的名称无法对应到标准表格的任何一行，该行未读取。"),
    "table_missing": ("缺少表格", "报告中没有找到这张标准表格。"),
    "tables_as_images": ("表格为图片", "表格以图片形式发布，其中的数字无法直接读取。"),
    "tables_in_attachment": ("表格在附件中", "表格不在页面上，而在附件文件中。"),
    "pre2019_no_tables": ("2019年以前的报告", "2019年以前的年报没有统一的标准表格，只收录正文。"),
    "rows_missing": ("缺少若干行", "读到的行数少于该版本标准表格应有的行数。"),
    "columns_by_position": ("按位置读取列", "表头无法完全识别，数值按标准表格的列顺序读取，请对照原文核实。"),
    "unreadable_value": ("数值无法识别", "某个单元格中的内容不是可以识别的数字。"),
    "template_mixed": ("表格版本混杂", "表格中同时出现2019年版和2021年版的表头或行名。"),
    "row_shape": ("行的数值个数不符", "某一行的数值个数与表头的列数不一致，请对照原文核实。"),
    "table_shape": ("表格结构异常", "表格结构与标准表格不一致。"),
    "tables_from_text": ("表格由文字还原", "DOC文件只能读取文字，表格由文字排列还原，可能有误。"),
    "no_text_layer": ("扫描件", "PDF文件没有文字层（可能是扫描件），页面上也没有找到带表格线的表格。"),
    "tables_from_positions": ("表格无框线", "PDF中的表格没有框线，行和列按文字的位置还原，请对照原文核实。"),
    "tables_by_ocr": ("表格由图片识别", "表格是图片或扫描件，数字由文字识别（OCR）读出；置信度低的单元格已标出，请对照原图核实。"),
    "over_budget": ("超出处理限额", "读取这个文件所用的时间或内存超出了为每个文件设定的上限，已停止读取；其余文件照常提取。"),
    "pictures_skipped": ("图片未全部读取", "页面内嵌的图片过多、过大或已损坏，超出部分未读取；其中的表格可能缺失。"),
    "needs_converter": ("需要转换工具", "读取该格式（DOC/WPS）需要的转换工具在本机不可用。"),
    "unreadable": ("文件无法读取", "文件已损坏或格式无法识别。"),
    "blob_missing": ("存档文件缺失", "这次抓取保存的原始字节在存档中找不到，本次未能读取；报告保留上次提取的内容。"),
    "blob_corrupt": ("存档文件损坏", "这次抓取保存的原始字节与其校验值（SHA-256）不符，本次未读取；报告保留上次提取的内容。"),
    "blob_unreadable": ("存档文件无法打开", "这次抓取保存的原始字节无法从磁盘读出，本次未能读取；报告保留上次提取的内容。"),
    "extract_failed": ("提取出错", "提取这一页时程序出错，已记录错误信息；其余页面照常提取。"),
}


_LEAD_NUMBER = _re.compile(r"^(?:（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|\d+[.、])")
_TAIL_NOTE = _re.compile(r"（[^（）]*）$")


def short_label(text: str) -> str:
    """A printed label without its numbering or trailing note (（二）部分公开（区分处理的…） → 部分公开)."""
    out = _TAIL_NOTE.sub("", _LEAD_NUMBER.sub("", text))
    return out or text


def term_label(table_key: str, name: str) -> str:
    """What a reader calls a term a check compares: a row or column key, or ``previous.<key>``."""
    if name in CHECK_TERMS:
        return CHECK_TERMS[name]
    prefix = "上一年度" if name.startswith("previous.") else ""
    key = name.removeprefix("previous.")
    for pool in (table(table_key).rows, table(table_key).cols):
        for f in pool:
            if f.key == key:
                return prefix + short_label(f.label)
    return name


@dataclass(frozen=True)
class CellLabel:
    """One cell any template prints, with the words a reader needs beside its keys."""

    table: str
    row: str
    col: str
    position: int  # reading order over all tables: active, requests, appeals; rows top to bottom
    templates: tuple[str, ...]
    row_label: str  # as printed
    col_label: str  # as printed (the latest template's wording where the eras differ)
    header: str  # one unique column heading for a wide table, e.g. 依申请公开·不予公开·属于国家秘密·总计


@_functools.lru_cache(maxsize=None)
def cell_labels() -> tuple[CellLabel, ...]:
    """Every (table, row, col) of every template, in the official reading order."""
    out: list[CellLabel] = []
    for tkey in TABLE_KEYS:
        for rf in table(tkey).rows:
            eras = [tpl for tpl in (T2021, T2019) if rf.in_template(tpl)]
            col_keys: dict[str, list[str]] = {}
            for tpl in eras:
                for cf in cols(tkey, tpl, rf.key if tkey == "active" else None):
                    col_keys.setdefault(cf.key, []).append(tpl)
            for ckey, tpls in col_keys.items():
                cf = col_field(tkey, ckey, tpls[0])
                col_label = cf.label
                words = [TABLE_SHORT[tkey]]
                if tkey == "requests" and len(rf.group) == 2:
                    words.append(short_label(rf.group[1]))
                words.append(CHECK_TERMS.get(rf.key) or short_label(rf.label))
                words += [*cf.group, col_label] if cf.group and col_label in GENERIC_LABELS else [col_label]
                out.append(CellLabel(tkey, rf.key, ckey, len(out), tuple(sorted(tpls)), rf.label, col_label,
                                     "·".join(words)))
    headers = [c.header for c in out]
    assert len(set(headers)) == len(headers), "wide-table headings must be unique"
    return tuple(out)


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
    "OUTCOME_LABELS", "CHECK_TERMS", "TEMPLATE_LABELS", "TABLE_SHORT", "PROBLEMS", "OCR_LOW_CONFIDENCE", "short_label", "term_label",
    "CellLabel", "cell_labels",
]


# ---------------------------------------------------------------------------------------------
# Label matching: real reports print the template's labels with typos, traditional characters,
# full-width or half-width brackets and digits, numbering styles (一、 （一） 1. 1、 (1) ①), and
# spaces or line breaks inside labels. ``norm_label`` reduces a printed label to a comparable key;
# ``match_row`` / ``match_col`` find the canonical key by meaning (exact → variant → keyword rule
# → similarity with a threshold) and return None rather than guess.
# traditional → simplified, for the characters that occur in the tables' labels and headings
_TRAD = ("請況組織業機構會務總計開數結轉辦處區這屬於國規穩護權類內過執詢無關沒現製補後確訪舉報訴複覆復議獲認當繳納"
         "費繼續經維糾審條項範發廢決許罰強單萬對減採購題進衛據統號應實違證証個劃為態諮徵責學產難養殘貧災禮喪該識檔錄"
         "檢額門體與從險變帶錢遞東專產資訊網頁標準則點擊臺灣參範圍議員傳運營記錄錯誤預計劃級係數並歸檔稱處")
_SIMP = ("请况组织业机构会务总计开数结转办处区这属于国规稳护权类内过执询无关没现制补后确访举报诉复复复议获认当缴纳"
         "费继续经维纠审条项范发废决许罚强单万对减采购题进卫据统号应实违证证个划为态咨征责学产难养残贫灾礼丧该识档录"
         "检额门体与从险变带钱递东专产资讯网页标准则点击台湾参范围议员传运营记录错误预计划级系数并归档称处")
assert len(_TRAD) == len(_SIMP), (len(_TRAD), len(_SIMP))
_T2S = str.maketrans(_TRAD, _SIMP)
_CIRCLED = _re.compile(r"^[\u2460-\u2473\u2776-\u277f\u2780-\u2793]")
_DROP = _re.compile(r"[\s\u3000\u00a0\u200b-\u200d\ufeff\"'“”‘’「」『』《》〈〉]+")
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")", "﹙": "(", "﹚": ")",
                           "．": ".", "·": "", "•": "", "：": ":", "，": ",", "；": ";"})
_CN = "一二三四五六七八九十"
_NUMBERING = _re.compile(rf"^(?:\(\s*[{_CN}\d]+\s*\)|[{_CN}]+\s*[、.,]|\d+\s*[、.,)](?!\d)|其中\s*[:,]?)")
_NUMBER_SPLIT = _re.compile(rf"(?<=.)(?=\([{_CN}]+\)|(?<![{_CN}\d第])[{_CN}]+、|(?<![\d.])\d{{1,2}}[、.](?!\d))")
_TRAILING = _re.compile(r"[:;,.。]+$")
_PAREN_TAIL = _re.compile(r"\([^()]*\)$")


def fold(s: str) -> str:
    """NFKC, traditional → simplified, brackets unified, spaces/line breaks/quotes dropped."""
    s = _CIRCLED.sub("", s.strip())
    s = _unicodedata.normalize("NFKC", s).translate(_T2S).translate(_BRACKETS)
    return _DROP.sub("", s).replace("其它", "其他")


def strip_numbering(s: str) -> str:
    """Drop leading numbering (一、 (一) 1. 1、 (1) 其中：), repeatedly. ``s`` must be folded."""
    while True:
        t = _NUMBERING.sub("", s, count=1)
        if t == s or not t:
            return s
        s = t


def norm_label(s: str) -> str:
    """A printed label → the key used to compare labels (folded, numbering and end punctuation off)."""
    return _TRAILING.sub("", strip_numbering(fold(s)))


def split_numbered(s: str) -> list[str]:
    """Split a folded label that carries several numbered parts
    ('三、本年度办理结果(一)予以公开' → ['三、本年度办理结果', '(一)予以公开'])."""
    parts = [p for p in _NUMBER_SPLIT.split(s) if p]
    return parts or [s]


@dataclass(frozen=True)
class Match:
    key: str
    method: str  # exact | variant | keyword | fuzzy
    score: float = 1.0
    era: str | None = None  # for columns whose label identifies a template era


# keyword rules: (key, alternatives); an alternative is a tuple of substrings that must all occur.
# Ordered: the first rule that fires wins, so specific rules come before general ones.
_ROW_RULES: dict[str, tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]] = {
    "requests": (
        ("new_received", (("新收",), ("本年收到",))),
        ("carried_over", (("上年结转",), ("上年转结",), ("上年度结转",), ("上一年结转",))),
        ("carried_forward", (("结转下",), ("转入下",), ("下年度继续办理",), ("下一年度继续",))),
        ("partly_granted", (("部分公开",),)),
        ("withheld_state_secret", (("国家秘密",),)),
        ("withheld_prohibited_by_law", (("法律", "禁止"), ("法律", "止公开"), ("行政法规禁止",))),
        ("withheld_security_stability", (("三安全",), ("一稳定",))),
        ("withheld_third_party", (("第三方",),)),
        ("withheld_internal_affairs", (("内部事务",),)),
        ("withheld_process_info", (("过程性",),)),
        ("withheld_enforcement_files", (("执法案卷",),)),
        ("withheld_query_service", (("查询事项",),)),
        ("other_no_correction", (("不补正",), ("逾期", "补正"))),
        ("other_fee_unpaid", (("收费通知",), ("缴纳费用",), ("缴纳", "费"))),
        ("unavailable_not_held", (("不掌握",),)),
        ("unavailable_needs_creation", (("另行制作",), ("现成信息",))),
        ("unavailable_unclear", (("补正后",), ("内容", "不明确"))),
        ("rejected_petition", (("信访",), ("举报投诉",))),
        ("rejected_repeat", (("重复申请",),)),
        ("rejected_publication", (("出版物",),)),
        ("rejected_excessive", (("大量反复",),)),
        ("rejected_confirmation", (("已获取信息",), ("确认或重新出具",))),
        ("granted", (("予以公开",),)),
    ),
    "active": (
        ("normative_documents", (("规范性文件",),)),
        ("regulations", (("规章",),)),
        ("other_services", (("对外管理服务",),)),
        ("licensing", (("行政许可",),)),
        ("penalties", (("行政处罚",),)),
        ("coercion", (("行政强制",),)),
        ("fees", (("事业性收费",), ("行政收费",))),
        ("procurement", (("集中采购",), ("政府采购",))),
    ),
    "appeals": (
        ("litigation_after_review", (("复议后起诉",), ("复议后诉讼",), ("经复议后",))),
        ("litigation_direct", (("未经复议",), ("直接起诉",))),
        ("review", (("行政复议",),)),
    ),
}
_COL_RULES: dict[str, tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]] = {
    "requests": (
        ("natural_person", (("自然人",),)),
        ("business", (("商业",), ("企业",))),
        ("research", (("科研",),)),
        ("nonprofit", (("公益",),)),
        ("legal_services", (("法律服务",),)),
        ("total", (("总计",), ("合计",))),
    ),
    "appeals": (
        ("upheld", (("维持",),)),
        ("corrected", (("纠正",),)),
        ("pending", (("尚未",), ("未审结",), ("审理中",))),
        ("other", (("其他结果",),)),
        ("total", (("总计",), ("合计",))),
    ),
    "active": (
        ("issued", (("制发",),)),
        ("repealed", (("废止",),)),
        ("in_force", (("现行有效",),)),
        ("decisions", (("处理决定",),)),
        ("projects", (("采购项目",),)),
        ("amount", (("收费金额",), ("采购总金额",), ("采购金额",), ("金额",))),
        ("new_made", (("新制作",),)),
        ("new_published", (("新公开",),)),
        ("total_published", (("公开总数",), ("对外公开总",))),
        ("prev_items", (("上一年项目",), ("上年项目",))),
        ("change", (("增/减",), ("增减",), ("增(减)",))),
    ),
}
# labels too generic to identify a row outside the table already being read
GENERIC_LABELS = frozenset({"总计", "合计", "小计", "其他", "其他处理", "其它"})
FUZZY_THRESHOLD = 0.8
FUZZY_MARGIN = 0.06


def _alt_keys(label: str) -> set[str]:
    n = norm_label(label)
    out = {n}
    tail = _PAREN_TAIL.sub("", n)
    if len(tail) >= 2:
        out.add(tail)
    return out


def _build_index(fields) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]]]:
    exact: dict[str, str] = {}
    variant: dict[str, str] = {}
    for f in fields:
        for k in _alt_keys(f.label):
            exact.setdefault(k, f.key)
        for v in f.variants:
            for k in _alt_keys(v):
                variant.setdefault(k, f.key)
    pool = sorted({(k, key) for d in (exact, variant) for k, key in d.items()})
    return exact, variant, pool


_ROW_INDEX = {t: _build_index(TABLES[t].rows) for t in TABLE_KEYS}
_COL_INDEX = {
    "requests": _build_index(REQUESTS_COLS),
    "appeals": _build_index(APPEALS_COLS),
    "active": _build_index(_ACTIVE_COLS[T2021] + _ACTIVE_COLS[T2019]),
}
# which era an active column label identifies when printed exactly
_ACTIVE_COL_ERA: dict[str, str] = {}
for _era in (T2019, T2021):
    for _f in _ACTIVE_COLS[_era]:
        for _k in _alt_keys(_f.label):
            _ACTIVE_COL_ERA[_k] = _era


def _rule(rules, n: str) -> str | None:
    for key, alts in rules:
        for alt in alts:
            if all(part in n for part in alt):
                return key
    return None


def _fuzzy(pool: list[tuple[str, str]], n: str, allowed: frozenset[str] | None) -> Match | None:
    if len(n) < 4:
        return None
    best: dict[str, float] = {}
    sm = _difflib.SequenceMatcher(None, autojunk=False)
    sm.set_seq2(n)
    for cand, key in pool:
        if allowed is not None and key not in allowed:
            continue
        if len(cand) < 4:
            continue
        sm.set_seq1(cand)
        if sm.real_quick_ratio() < FUZZY_THRESHOLD or sm.quick_ratio() < FUZZY_THRESHOLD:
            continue
        r = sm.ratio()
        if r > best.get(key, 0.0):
            best[key] = r
    if not best:
        return None
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    key, score = ranked[0]
    if score < FUZZY_THRESHOLD or (len(ranked) > 1 and score - ranked[1][1] < FUZZY_MARGIN):
        return None
    return Match(key, "fuzzy", round(score, 3))


def _lookup(index, rules, n: str, allowed: frozenset[str] | None, fuzzy: bool,
            generic_ok: bool = False) -> Match | None:
    exact, variant, pool = index
    for d, how in ((exact, "exact"), (variant, "variant")):
        k = d.get(n)
        if k is not None and (allowed is None or k in allowed):
            return Match(k, how)
    if n in GENERIC_LABELS and not generic_ok:
        return None
    k = _rule(rules, n)
    if k is not None and (allowed is None or k in allowed):
        return Match(k, "keyword", 0.9)
    return _fuzzy(pool, n, allowed) if fuzzy else None


_SIX_OTHER = _re.compile(r"^\(六\)其[他它](处理|情形)?$")


@_functools.lru_cache(maxsize=8192)
def match_row(table_key: str, label: str, allowed: frozenset[str] | None = None, fuzzy: bool = True) -> Match | None:
    """The row a printed row label means in ``table_key`` (None: not recognised — report it).

    ``label`` is the row's own (leaf) label cell; a cell that carries several numbered parts
    ('（三）不予公开 1.属于国家秘密') is matched on its last part first."""
    f = fold(label)
    if not f:
        return None
    if table_key == "requests" and _SIX_OTHER.match(f) and (allowed is None or "other_total" in allowed):
        return Match("other_total", "exact")  # （六）其他 printed without 处理: the 2019 single row
    parts = split_numbered(f)
    tries = [parts[-1], f] if len(parts) > 1 else [f]
    rules = _ROW_RULES.get(table_key, ())
    for t in tries:
        n = _TRAILING.sub("", strip_numbering(t))
        if not n:
            continue
        m = _lookup(_ROW_INDEX[table_key], rules, n, allowed, fuzzy)
        if m is not None:
            return m
    return None


@_functools.lru_cache(maxsize=4096)
def match_col(table_key: str, label: str, fuzzy: bool = True) -> Match | None:
    """The column a printed header cell means in ``table_key``. For ``active`` the returned
    ``era`` says which template the header text belongs to when it is printed exactly."""
    n = norm_label(label)
    if not n:
        return None
    m = _lookup(_COL_INDEX[table_key], _COL_RULES.get(table_key, ()), n, None, fuzzy, generic_ok=True)
    if m is None or table_key != "active":
        return m
    era = _ACTIVE_COL_ERA.get(n) if m.method in ("exact", "variant") else None
    return Match(m.key, m.method, m.score, era)


# header words: texts of header cells (column labels, merged group headings) of any table
HEADER_GROUPS: dict[str, tuple[str, ...]] = {
    "requests": (REQUESTS_COLS_HEADING, _ORG),
    "active": (ACTIVE_SECTION_LABEL_HEADER,),
    "appeals": ("行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉"),
}
_HEADER_GROUP_INDEX: dict[str, str] = {norm_label(w): t for t, ws in HEADER_GROUPS.items() for w in ws}


@_functools.lru_cache(maxsize=4096)
def header_table(label: str) -> str | None:
    """The table a header cell's text belongs to (column label or merged group heading), if any."""
    n = norm_label(label)
    if not n:
        return None
    if n.startswith("第二十条"):
        return "active"
    if n.startswith("本列数据") or n.startswith("(本列数据"):
        return "requests"
    t = _HEADER_GROUP_INDEX.get(n)
    if t is not None:
        return t
    hits = [t for t in TABLE_KEYS if _lookup(_COL_INDEX[t], (), n, None, False) is not None]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        return "?"  # a word several tables use (总计, 其他)
    return None


@_functools.lru_cache(maxsize=4096)
def section_table(line: str) -> str | None:
    """The standard table whose report section a heading line introduces, if any.

    Matches the headings of 2019+/2021 reports and their common retitlings; long lines (prose)
    never match."""
    n = fold(line)
    if not n or len(n) > 40:
        return None
    if ("复议" in n or "行政复议" in n) and ("诉讼" in n or "起诉" in n):
        return "appeals"
    top = bool(_TOP_NUMBERING.match(n))  # 二、… (a report section), not （一）… (a sub-heading)
    if "收到和处理" in n or (top and "处理" in n and "申请" in n and "情况" in n):
        return "requests"
    if "主动公开政府信息" in n or (top and "主动公开" in n and "情况" in n and len(n) <= 24):
        return "active"
    return None


_TOP_NUMBERING = _re.compile(rf"^[{_CN}]+[、.]")


__all__ += [
    "fold", "strip_numbering", "norm_label", "split_numbered", "Match", "match_row", "match_col",
    "header_table", "section_table", "GENERIC_LABELS", "HEADER_GROUPS", "FUZZY_THRESHOLD",
]
