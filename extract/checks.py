"""The tables' own arithmetic (勾稽关系 and sums), checked and recorded — never repaired.

``run_checks(tables, template, previous_tables=None)`` takes canonical tables (as produced by
extract.tables) and returns one :class:`Check` per rule and scope (report-schema.md, "Checks"):

* ``requests.balance``      per column: new_received + carried_over = handled_total + carried_forward
* ``requests.handled_sum``  per column: the outcome rows add up to handled_total
* ``requests.row_sum``      per row: the six applicant columns add up to total
* ``appeals.sum``           per group: upheld + corrected + other + pending = total
* ``requests.continuity``   per column, with last year's tables: carried_forward(y-1) = carried_over(y)
* ``active.continuity``     per row (规章, 规范性文件), with last year's tables:
                            in_force(y) = in_force(y-1) + issued(y) - repealed(y)

Outcomes are ``pass``, ``fail`` or ``not_assessable`` (a row or cell the rule needs is absent). A
blank or dash cell (value None) is treated as 0 — real reports often mean 0 — and the detail says
so. ``compared`` holds the numbers compared, keyed by the cell names.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from extract import schema
from extract.schema import FAIL, NOT_ASSESSABLE, PASS, PRE2019, T2019, T2021

_MISSING = object()
EPS = 1e-6


@dataclass(frozen=True)
class Check:
    rule: str
    scope: str
    outcome: str
    detail: str
    compared: dict = field(default_factory=dict)


def _get(tables: dict, table: str, row: str, col: str):
    return tables.get(table, {}).get(row, {}).get(col, _MISSING)


def _fmt(v) -> str:
    if isinstance(v, float) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return str(v)


class _Terms:
    """Values for one check: absent cells make it not assessable; None counts as 0, noted."""

    def __init__(self) -> None:
        self.compared: dict = {}
        self.missing: list[str] = []
        self.blank: list[str] = []

    def take(self, name: str, v) -> float:
        if v is _MISSING:
            self.missing.append(name)
            self.compared[name] = None
            return 0
        self.compared[name] = v
        if v is None:
            self.blank.append(name)
            return 0
        return v

    def shown(self, name: str) -> str:
        v = self.compared.get(name)
        return "0" if v is None else _fmt(v)

    def note(self) -> str:
        return f" (blank treated as 0: {', '.join(self.blank)})" if self.blank else ""


def _equation(rule: str, scope: str, terms: _Terms, left: list[str], right: list[str],
              lsum: float, rsum: float, compact: bool = False) -> Check:
    if terms.missing:
        return Check(rule, scope, NOT_ASSESSABLE, f"missing: {', '.join(terms.missing)}", terms.compared)
    ok = abs(lsum - rsum) < EPS
    if compact:
        lhs = f"sum of {len(left)} rows = {_fmt(lsum)}" if len(left) > 4 else " + ".join(terms.shown(n) for n in left)
        rhs = " + ".join(terms.shown(n) for n in right)
    else:
        lhs = " + ".join(terms.shown(n) for n in left)
        rhs = " + ".join(terms.shown(n) for n in right)
    detail = f"{lhs} {'=' if ok else '!='} {rhs}{terms.note()}"
    return Check(rule, scope, PASS if ok else FAIL, detail, terms.compared)


def _requests_era(req: dict, template: str | None) -> str:
    """The era the requests table was printed in (it can differ from the report's template)."""
    has21 = any(k in req for k in ("other_no_correction", "other_fee_unpaid", "other_misc"))
    has19 = "other_total" in req
    if has19 and not has21:
        return T2019
    if has21 and not has19:
        return T2021
    return template if template in (T2019, T2021) else T2021


def _not_assessable(rule: str, detail: str) -> Check:
    return Check(rule, "table", NOT_ASSESSABLE, detail, {})


def run_checks(tables: dict, template: str | None, previous_tables: dict | None = None) -> list[Check]:
    """Every check of report-schema.md on one report's canonical tables (see the module doc)."""
    if template == PRE2019:
        return []
    tables = tables or {}
    out: list[Check] = []
    cols = [c.key for c in schema.REQUESTS_COLS]
    req = tables.get("requests")
    if not req:
        for rule in ("requests.balance", "requests.handled_sum", "requests.row_sum"):
            out.append(_not_assessable(rule, "requests table not found"))
    else:
        era = _requests_era(req, template)
        parts = schema.handled_parts(era)
        for col in cols:
            t = _Terms()
            a = t.take("new_received", _get(tables, "requests", "new_received", col))
            b = t.take("carried_over", _get(tables, "requests", "carried_over", col))
            c = t.take("handled_total", _get(tables, "requests", "handled_total", col))
            d = t.take("carried_forward", _get(tables, "requests", "carried_forward", col))
            out.append(_equation("requests.balance", col, t, ["new_received", "carried_over"],
                                 ["handled_total", "carried_forward"], a + b, c + d))
        for col in cols:
            t = _Terms()
            lsum = sum(t.take(p, _get(tables, "requests", p, col)) for p in parts)
            rsum = t.take("handled_total", _get(tables, "requests", "handled_total", col))
            out.append(_equation("requests.handled_sum", col, t, list(parts), ["handled_total"], lsum, rsum,
                                 compact=True))
        for f in schema.rows("requests", era):
            if f.key not in req:
                out.append(Check("requests.row_sum", f.key, NOT_ASSESSABLE, f"missing: row {f.key}", {}))
                continue
            t = _Terms()
            lsum = sum(t.take(c, _get(tables, "requests", f.key, c)) for c in schema.REQUESTS_APPLICANT_COLS)
            rsum = t.take("total", _get(tables, "requests", f.key, "total"))
            out.append(_equation("requests.row_sum", f.key, t, list(schema.REQUESTS_APPLICANT_COLS), ["total"],
                                 lsum, rsum))
    app = tables.get("appeals")
    if not app:
        out.append(_not_assessable("appeals.sum", "appeals table not found"))
    else:
        parts = ["upheld", "corrected", "other", "pending"]
        for f in schema.APPEALS_ROWS:
            if f.key not in app:
                out.append(Check("appeals.sum", f.key, NOT_ASSESSABLE, f"missing: row {f.key}", {}))
                continue
            t = _Terms()
            lsum = sum(t.take(p, _get(tables, "appeals", f.key, p)) for p in parts)
            rsum = t.take("total", _get(tables, "appeals", f.key, "total"))
            out.append(_equation("appeals.sum", f.key, t, parts, ["total"], lsum, rsum))
    if previous_tables is not None:
        out += _continuity(tables, previous_tables)
    return out


def _continuity(tables: dict, prev: dict) -> list[Check]:
    out: list[Check] = []
    if not tables.get("requests") or not prev.get("requests"):
        which = "this year's" if not tables.get("requests") else "last year's"
        out.append(_not_assessable("requests.continuity", f"{which} requests table not found"))
    else:
        for col in (c.key for c in schema.REQUESTS_COLS):
            t = _Terms()
            a = t.take("previous.carried_forward", _get(prev, "requests", "carried_forward", col))
            b = t.take("carried_over", _get(tables, "requests", "carried_over", col))
            out.append(_equation("requests.continuity", col, t, ["previous.carried_forward"], ["carried_over"], a, b))
    for row in ("regulations", "normative_documents"):
        t = _Terms()
        cur = tables.get("active", {}).get(row)
        old = prev.get("active", {}).get(row)
        if cur is None or old is None or "in_force" not in cur or "in_force" not in old:
            why = "no in_force column (2019 template)" if (cur is not None and old is not None) else "row absent"
            out.append(Check("active.continuity", row, NOT_ASSESSABLE, why, {}))
            continue
        a = t.take("in_force", _get(tables, "active", row, "in_force"))
        b = t.take("previous.in_force", _get(prev, "active", row, "in_force"))
        c = t.take("issued", _get(tables, "active", row, "issued"))
        d = t.take("repealed", _get(tables, "active", row, "repealed"))
        if t.missing:
            out.append(Check("active.continuity", row, NOT_ASSESSABLE, f"missing: {', '.join(t.missing)}", t.compared))
            continue
        ok = abs(a - (b + c - d)) < EPS
        detail = (f"{t.shown('in_force')} {'=' if ok else '!='} {t.shown('previous.in_force')} + "
                  f"{t.shown('issued')} - {t.shown('repealed')}{t.note()}")
        out.append(Check("active.continuity", row, PASS if ok else FAIL, detail, t.compared))
    return out


# Left and right side of the rules whose terms are fixed; the sums (handled_sum, row_sum, appeals.sum)
# add every compared term but the total. A leading "-" subtracts.
_SIDES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "requests.balance": (("new_received", "carried_over"), ("handled_total", "carried_forward")),
    "requests.continuity": (("previous.carried_forward",), ("carried_over",)),
    "active.continuity": (("in_force",), ("previous.in_force", "issued", "-repealed")),
}
_TOTALS = {"requests.handled_sum": "handled_total", "requests.row_sum": "total", "appeals.sum": "total"}
_SUMS = {"requests.handled_sum": "各项办理结果之和", "requests.row_sum": "各类申请人之和"}  # too many terms to list
_WHY = {  # the fixed reasons of not_assessable checks, in Chinese
    "requests table not found": "未找到依申请公开表格",
    "appeals table not found": "未找到复议诉讼表格",
    "this year's requests table not found": "本年度报告未找到依申请公开表格",
    "last year's requests table not found": "上一年度报告未找到依申请公开表格",
    "no in_force column (2019 template)": "2019年版表格没有“现行有效件数”一栏",
    "row absent": "本年度或上一年度报告缺少这一行",
}


def scope_label(rule: str, scope: str) -> str:
    """The column (…列) or row a check was applied to, as the table prints it."""
    spec = schema.CHECKS.get(rule)
    if spec is None or scope == "table":
        return "整表" if scope == "table" else scope
    if spec.axis == "col":
        return f"{schema.term_label(spec.table, scope)}列"
    return schema.term_label(spec.table, scope)


def explain(rule: str, scope: str, outcome: str, detail: str, compared: dict | None) -> str:
    """The check in plain Chinese with its numbers, e.g.
    ``本年新收 + 上年结转 ≠ 办理结果总计 + 结转下年度：1 + 0 ≠ 0 + 0``."""
    spec = schema.CHECKS.get(rule)
    if spec is None:
        return detail
    compared = compared or {}
    if outcome == NOT_ASSESSABLE:
        if detail.startswith("missing:"):
            names = [n.strip() for n in detail[len("missing:"):].split(",")]
            shown = "、".join(schema.term_label(spec.table, n.removeprefix("row ")) for n in names if n)
            return f"无法核对：缺少{shown}"
        return f"无法核对：{_WHY.get(detail, detail)}"
    if rule in _SIDES:
        left, right = _SIDES[rule]
    else:
        total = _TOTALS[rule]
        left, right = tuple(n for n in compared if n != total), (total,)
    many = len(left) > 4

    def words(names):
        out = ""
        for i, n in enumerate(names):
            minus = n.startswith("-")
            label = schema.term_label(spec.table, n.lstrip("-"))
            out += (" − " if minus else (" + " if i else "")) + label
        return out

    def numbers(names):
        out = ""
        for i, n in enumerate(names):
            v = compared.get(n.lstrip("-"))
            out += (" − " if n.startswith("-") else (" + " if i else "")) + _fmt(0 if v is None else v)
        return out

    ok = "=" if outcome == PASS else "≠"
    if many:
        lsum = sum(compared.get(n) or 0 for n in left)
        lhs_words, lhs_nums = _SUMS.get(rule, f"{len(left)}项之和"), _fmt(lsum)
    else:
        lhs_words, lhs_nums = words(left), numbers(left)
    text = f"{lhs_words} {ok} {words(right)}：{lhs_nums} {ok} {numbers(right)}"
    blank = [schema.term_label(spec.table, n) for n, v in compared.items() if v is None]
    if blank:
        text += f"（空白按0计：{'、'.join(blank)}）"
    return text


__all__ = ["Check", "run_checks", "explain", "scope_label"]
