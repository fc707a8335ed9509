"""extract.values: one printed cell → value and kind (report-schema.md, "Cell values")."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.values import ANNOTATED, BLANK, DASH, KINDS, NUMBER, TEXT, parse_value


@pytest.mark.parametrize("raw, value", [
    ("5", 5), ("０", 0), ("1,234", 1234), ("１，２３４", 1234), ("-3", -3), ("－3", -3), ("−3", -3), ("+2", 2),
    ("7730.28", 7730.28), ("0.00", 0.0), (" 12 ", 12), ("\u3000\u30000", 0), ("\xa02788", 2788), ("0\xa0", 0),
    ("4\xa0\u3000", 4), ("\u200b7", 7), ("5件", 5), ("1946.6890万元", 1946.689),
])
def test_numbers(raw, value):
    cv = parse_value(raw)
    assert cv.kind == NUMBER
    assert cv.value == value
    assert type(cv.value) is type(value)  # ints stay ints, decimals are floats
    assert cv.raw == raw


@pytest.mark.parametrize("raw", ["", " ", "\xa0", "\u3000", "&nbsp;".replace("&nbsp;", "\xa0"), "\n\t", "\u3000\xa0"])
def test_blank(raw):
    cv = parse_value(raw)
    assert (cv.kind, cv.value) == (BLANK, None)


@pytest.mark.parametrize("raw", ["/", "-", "—", "－", "——", "无", "／", " / ", "—\u3000", "--"])
def test_dash(raw):
    cv = parse_value(raw)
    assert (cv.kind, cv.value) == (DASH, None)


def test_annotated_keeps_note():
    cv = parse_value("22（其中修订16件）")
    assert (cv.kind, cv.value, cv.note) == (ANNOTATED, 22, "（其中修订16件）")
    cv = parse_value("3件，其中修订1件")
    assert (cv.kind, cv.value) == (ANNOTATED, 3)
    assert "其中修订1件" in cv.note


@pytest.mark.parametrize("raw", ["1.属于国家秘密", "（一）予以公开", "规章", "约5件", "3 2", "见附件", "五", "2022-01-01",
                                 "12个工作日内", "0591-23165385"])
def test_text(raw):
    cv = parse_value(raw)
    assert (cv.kind, cv.value) == (TEXT, None)


def test_money_to_wanyuan():
    assert parse_value("251000元", money=True).value == 25.1
    assert parse_value("251000元", money=True).note  # the conversion is noted
    assert parse_value("1946.6890万元", money=True).value == 1946.689
    assert parse_value("7730.28", money=True).value == 7730.28  # a plain number in a 万元 column stays
    assert parse_value("0", money=True).value == 0
    assert parse_value("1.2亿元", money=True).value == 12000
    assert parse_value("3件", money=True).kind == TEXT  # a count is not a sum of money


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10**9, max_value=10**9))
def test_any_integer_round_trips(n):
    for raw in (str(n), f"{n:,}", str(n).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})):
        cv = parse_value(raw)
        assert (cv.kind, cv.value) == (NUMBER, n)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_never_crashes_and_kind_is_known(s):
    cv = parse_value(s)
    assert cv.kind in KINDS
    assert cv.raw == s
    assert (cv.value is None) == (cv.kind in (BLANK, DASH, TEXT))
