"""One table cell's printed text → a value and its kind.

Kinds (report-schema.md, "Cell values"):

* ``number``    — ``5``, ``０``, ``1,234``, ``-3``, ``7730.28``, ``1946.6890万元``; ints stay ints.
* ``blank``     — empty, ``&nbsp;``, U+3000 … → None.
* ``dash``      — ``/``, ``-``, ``—``, ``－``, ``无`` … → None.
* ``annotated`` — ``22（其中修订16件）`` → 22, the rest kept in ``note``.
* ``text``      — anything else → None (the caller reports it).

Money (``money=True``, the ``amount`` columns) is normalised to 万元: ``251000元`` → 25.1,
``1946.6890万元`` → 1946.689, ``1.2亿元`` → 12000; a plain number is taken to be in 万元 already
(the template's column header says so). Nothing is ever guessed: a cell that is not clearly one
number is ``text``.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

NUMBER, BLANK, DASH, ANNOTATED, TEXT = "number", "blank", "dash", "annotated", "text"
KINDS: tuple[str, ...] = (NUMBER, BLANK, DASH, ANNOTATED, TEXT)


@dataclass(frozen=True)
class CellValue:
    raw: str
    value: int | float | None
    kind: str
    note: str = ""


_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_WS = re.compile(r"\s+")
# after NFKC: full-width digits/brackets/commas/minus are ASCII already
_DASHES = frozenset({"/", "-", "\\", "—", "–", "―", "─", "一", "无", "無", "…", "...", "-/-"})
_NUM = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUM_RE = re.compile(rf"^({_NUM})$")
_UNIT_RE = re.compile(rf"^({_NUM})\s*(万元|亿元|千元|元|件|个|项|次|条|人次|人|篇|份|宗|起|家|场)$")
_LEAD_RE = re.compile(rf"^({_NUM})\s*(件|个|项|次|条|篇|份|宗|起)?\s*(?=[(\[（【〔])(.+)$")
_LEAD_NOTE_RE = re.compile(rf"^({_NUM})\s*(件|个|项|次|条|篇|份|宗|起)?\s*([,，;；:：]?\s*其中.+)$")
_CHANGE_RE = re.compile(rf"^(增加|增|减少|减)\s*({_NUM})\s*(件|个|项)?$")
_MONEY_SCALE = {"万元": Decimal(1), "亿元": Decimal(10000), "千元": Decimal("0.1"), "元": Decimal("0.0001")}
_MINUS = str.maketrans({"−": "-", "－": "-", "﹣": "-", "‐": "-", "‑": "-", "–": "-"})


def _to_number(s: str) -> Decimal | None:
    try:
        return Decimal(s.replace(",", ""))
    except InvalidOperation:
        return None


def _out(d: Decimal, is_int_text: bool) -> int | float:
    """Ints stay ints (``5`` → 5); decimals become floats (``7730.28``, ``1946.6890`` → 1946.689)."""
    if is_int_text and d == d.to_integral_value():
        return int(d)
    return float(d)


def _clean(raw: str) -> str:
    s = _INVISIBLE.sub("", raw)
    s = unicodedata.normalize("NFKC", s)  # ０ → 0, （ → (, ， → ,, U+3000/nbsp → space
    s = s.translate(_MINUS)
    return _WS.sub(" ", s).strip()


_NOTE_LEAD = re.compile(r"^[\s\u3000\xa0]*[+\-－]?[0-9０-９,，.．]+[\s\u3000\xa0]*(件|个|项|次|条|篇|份|宗|起)?[\s\u3000\xa0]*")


def _note(raw: str) -> str:
    """The annotation as printed (``22（其中修订16件）`` → ``（其中修订16件）``)."""
    return _NOTE_LEAD.sub("", raw, count=1).strip()


def parse_value(raw: str | None, money: bool = False) -> CellValue:
    """Classify one cell's printed text. ``raw`` is kept as given."""
    return _parse("" if raw is None else raw, bool(money))


@functools.lru_cache(maxsize=16384)
def _parse(raw: str, money: bool) -> CellValue:
    s = _clean(raw)
    if not s:
        return CellValue(raw, None, BLANK)
    compact = s.replace(" ", "")
    if compact in _DASHES or (len(compact) >= 2 and set(compact) <= set("-—/\\―─–")):
        return CellValue(raw, None, DASH)

    m = _NUM_RE.match(s)
    if m:
        d = _to_number(m.group(1))
        if d is not None:
            return CellValue(raw, _out(d, "." not in m.group(1)), NUMBER)

    m = _UNIT_RE.match(s)
    if m:
        d = _to_number(m.group(1))
        unit = m.group(2)
        if d is not None:
            if unit in _MONEY_SCALE:
                scale = _MONEY_SCALE[unit]
                v = d * scale
                note = "" if unit == "万元" else f"converted from {unit} to 万元"
                is_int = "." not in m.group(1) and v == v.to_integral_value()
                return CellValue(raw, _out(v, is_int), NUMBER, note)
            if money:  # a count unit in a money column: not a sum of money
                return CellValue(raw, None, TEXT, f"unit {unit} in a money column")
            return CellValue(raw, _out(d, "." not in m.group(1)), NUMBER, f"unit {unit}")

    m = _CHANGE_RE.match(s)
    if m and not money:
        d = _to_number(m.group(2))
        if d is not None:
            sign = -1 if m.group(1).startswith("减") else 1
            return CellValue(raw, _out(d * sign, "." not in m.group(2)), NUMBER, f"printed as {m.group(1)}")

    m = _LEAD_RE.match(s) or _LEAD_NOTE_RE.match(s)
    if m:
        d = _to_number(m.group(1))
        if d is not None:
            return CellValue(raw, _out(d, "." not in m.group(1)), ANNOTATED, _note(raw) or m.group(3).strip())
    return CellValue(raw, None, TEXT)


def is_value_like(cv: CellValue) -> bool:
    """A cell that reads as a table value (not a label)."""
    return cv.kind != TEXT


__all__ = ["CellValue", "parse_value", "is_value_like", "KINDS", "NUMBER", "BLANK", "DASH", "ANNOTATED", "TEXT"]
