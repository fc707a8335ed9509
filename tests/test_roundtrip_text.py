"""Round trip per text layout: canonical report → text as real sources flatten it
(replica.render.textlayouts) → extract.textlayout.tables_from_text → the same canonical values.

The layouts lose the grid (numbers on a line after their label, one cell per line or paragraph, group
labels one character per line, wrapped labels and headers, markdown, OCR confusions); the reader
places every number from the template, the labels and the checks. Where the text cannot say where a
number goes (blank cells that leave no trace), the cell must stay empty with a problem: the tests
below hold the reader to "missing, never wrong". A failure prints the seed, template and layout, so
the case replays with ``render_layout(random_report(seed, template), layout)``.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from extract.grids.textdump import grids_from_text
from extract.tables import parse_tables, parse_text_tables
from extract.textlayout import read_text_layout, tables_from_text
from replica.render.sample import random_report
from replica.render.textlayouts import LAYOUTS, render_layout
from tests.test_roundtrip import MISSING, diff

FAST = 5  # reports per layout and template (10 per layout)
SLOW = 100  # per layout and template (200 per layout)
TEMPLATES = ("2021", "2019")
_FAST_SETTINGS = dict(deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=[HealthCheck.too_slow])
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def fail_message(report, layout, result, d, options=None) -> str:
    lines = [f"{layout} round trip of random_report({report.seed}, {report.template!r}) {options or ''}: "
             f"{len(d)} cell(s) differ (table.row.col: expected → read)"]
    lines += [f"  {t}.{r}.{c}: {a!r} → {b!r}   printed {report.raw.get(t, {}).get(r, {}).get(c)!r}, "
              f"label {report.row_labels.get(t, {}).get(r)!r}" for t, r, c, a, b in d[:25]]
    lines += [f"  problem: {p}" for p in result.problems[:10]]
    return "\n".join(lines)


def roundtrip(report, layout: str, **options):
    text = render_layout(report, layout, **options)
    result = tables_from_text(text)
    d = diff(report.tables, result.tables)
    if d:
        pytest.fail(fail_message(report, layout, result, d, options), pytrace=False)
    assert result.template == report.template, (report.seed, report.template, layout, result.problems)
    for c in result.cells:  # every cell keeps its printed text, and its value is the table's
        assert result.tables[c.table][c.row][c.col] == c.value
    return text, result


def only_missing(report, result) -> list:
    """Cells read differently from the truth, ignoring cells left unread (allowed: never guessed)."""
    return [x for x in diff(report.tables, result.tables) if x[4] != MISSING]


# ---------------------------------------------------------------------------------------------
# every layout, both templates


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_roundtrip_text_layout(layout, template):
    @settings(max_examples=FAST, **_FAST_SETTINGS)
    @given(SEEDS)
    def check(seed):
        roundtrip(random_report(seed, template), layout)

    check()


from tests.test_roundtrip import EXPLORE  # noqa: E402  (the same 200 examples each run, unless exploring)


@pytest.mark.slow
@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_roundtrip_text_layout_many(layout, template):
    @settings(max_examples=SLOW, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              derandomize=not EXPLORE, suppress_health_check=[HealthCheck.too_slow])
    @given(SEEDS)
    def check(seed):
        roundtrip(random_report(seed, template), layout)

    check()


def test_layouts_differ_from_one_another():
    """Each layout is its own shape of text, not the same dump renamed."""
    report = random_report(7, "2021")
    texts = {layout: render_layout(report, layout) for layout in LAYOUTS}
    assert len(set(texts.values())) == len(LAYOUTS)
    assert "|---" in texts["markdown"] or "|:---:" in texts["markdown"]
    assert texts["cell_per_paragraph"].count("\n\n") > 2 * texts["cell_per_line"].count("\n\n")


# ---------------------------------------------------------------------------------------------
# the hard cases


def test_a_wrapped_label_carries_its_numbers_on_its_last_line():
    for template in TEMPLATES:
        report = random_report(11, template)
        text, _ = roundtrip(report, "wrapped_labels", wrap=5)
        label = report.row_labels["requests"]["partly_granted"].replace("\n", "")
        head = next(ln for ln in text.splitlines() if label[:5] in ln)
        assert not re.search(r"\d\s*$", head), "the first line of a wrapped label holds no numbers"


def test_numbers_on_a_wrapped_labels_first_line_and_its_tail_below():
    """pdfplumber sets a row's numbers at the height of its label's first line: the label's tail then
    comes before the next row's label. The tail is the row above's when only that reading names both
    rows."""
    for seed in range(6):
        for template in TEMPLATES:
            report = random_report(seed, template)
            lines = []
            for ln in render_layout(report, "spaced").splitlines():
                m = re.match(r"^( *)(\S{12,})( .*\d.*)$", ln)
                if m and not ln.strip().startswith("第二十条"):
                    lines.append(m.group(1) + m.group(2)[:8] + " " * (len(m.group(2)) - 8) + m.group(3))
                    lines.append(m.group(1) + m.group(2)[8:])
                else:
                    lines.append(ln)
            result = tables_from_text("\n".join(lines))
            d = diff(report.tables, result.tables)
            assert not d, fail_message(report, "spaced, numbers on the first label line", result, d)


def test_numbers_printed_above_their_label():
    """A tall label with its numbers at its top edge: a row's numbers end the line above, after the
    previous row's. They go to the row whose label follows them when the count is exactly that row's;
    a label alone after numbers no row took is never read as a row printed blank."""
    for aligned in (True, False):
        for seed in range(6):
            for template in TEMPLATES:
                report = random_report(seed, template)
                out, in_requests, k = [], False, 0
                for ln in render_layout(report, "spaced", aligned=aligned).splitlines():
                    in_requests = (in_requests or ln.startswith("三、收到和处理")) and not ln.startswith("四、政府")
                    m = re.match(r"^(\S.*?)((?: +\S+){7})$", ln)
                    if in_requests and m and out and re.search(r"\d$", out[-1]):
                        k += 1
                        if k % 3 == 0:
                            out[-1] += m.group(2)
                            out.append(m.group(1))
                            continue
                    out.append(ln)
                result = tables_from_text("\n".join(out))
                assert only_missing(report, result) == [], (seed, template, aligned)
                if aligned:
                    d = diff(report.tables, result.tables)
                    moved = {r for t, r, *_ in d if t == "requests"}
                    assert len(moved) <= 1, fail_message(report, "spaced (numbers above their label)", result, d)


def test_a_group_label_printed_one_character_per_line():
    for template in TEMPLATES:
        report = random_report(12, template)
        text, result = roundtrip(report, "vertical_group")
        group = re.sub(r"\s", "", report.group_labels["三、本年度办理结果"])
        singles = [ln.strip() for ln in text.splitlines() if len(ln.strip()) == 1]
        assert [ch for ch in singles if ch in group], "some characters of the group label stand alone"
        assert not result.problems


def test_a_dash_like_character_of_a_vertical_label_is_no_cell():
    """（四）无法提供 printed one character per line: its 无 (the way many reports print a dash) on a row's
    line is label text, not a cell printed 无."""
    done = 0
    for seed in range(20):
        for template in TEMPLATES:
            report = random_report(seed, template)
            lines = render_layout(report, "vertical_group").splitlines()
            k = next((i for i, ln in enumerate(lines) if ln.strip() == "无"), None)
            if k is None:
                continue
            x = lines[k].index("无")
            j = next((i for i in range(k + 1, k + 4) if re.search(r"\d\s*$", lines[i])
                      and lines[i][x:x + 2].strip() == ""), None)  # a row line with room at its column
            if j is None:
                continue
            lines[j] = lines[j][:x] + "无" + lines[j][x + 2:]  # a wide character over two columns of spaces
            del lines[k]
            result = tables_from_text("\n".join(lines))
            d = diff(report.tables, result.tables)
            assert not d, fail_message(report, "vertical_group (无 on a row line)", result, d)
            done += 1
    assert done >= 3


def _split_digits(report, text: str):
    """The text with one requests row's first number printed with its digits apart ('17' → '1 7'),
    as a PDF that sets each glyph on its own prints it; None when the report has no such row."""
    lines = text.splitlines()
    for row, cols in report.raw["requests"].items():
        vals = list(cols.values())
        if not all(re.fullmatch(r"[0-9]+", v) for v in vals) or not 10 <= int(vals[0]) < 100:
            continue
        label = report.row_labels["requests"][row].split("\n")[-1]
        for k, ln in enumerate(lines):
            if label in ln and ln.endswith(" ".join(vals)):
                head = ln[: len(ln) - len(" ".join(vals))]
                lines[k] = head + " ".join([" ".join(vals[0])] + vals[1:])
                return row, "\n".join(lines)
    return None


def test_an_ambiguous_split_is_decided_by_the_checks():
    """'1 7 0 9 …' holds one number too many for seven columns: 17, or 70, or 97 … Each joining of
    split digits that gives seven numbers is a reading; the checks (row sum, column sums) keep the
    one that fits, and the problems say so."""
    done = 0
    for seed in range(40):
        report = random_report(seed, "2021")
        text = render_layout(report, "spaced", aligned=False)  # single spaces: no columns to go by
        if diff(report.tables, tables_from_text(text).tables):
            continue  # blank cells that the single-spaced text loses: not this test's case
        split = _split_digits(report, text)
        if split is None:
            continue
        row, text = split
        result = tables_from_text(text)
        d = diff(report.tables, result.tables)
        assert not d, fail_message(report, "spaced (split digits)", result, d)
        assert any(p.startswith(f"requests: row {row}:") and "most passing checks" in p for p in result.problems)
        done += 1
        if done == 3:
            break
    assert done == 3


def test_readings_the_checks_cannot_tell_apart_stay_unread():
    report = random_report(2, "2021")
    labels = report.row_labels["requests"]
    rows = ["三、收到和处理政府信息公开申请情况",
            f"{labels['new_received'].replace(chr(10), '')} 1 1 0 0 0 0 0 1 1",  # 11 … 11, or 1 10 … 11
            f"{labels['carried_over'].replace(chr(10), '')} 0 0 0 0 0 0 0",
            "四、政府信息公开行政复议、行政诉讼情况"]
    got = read_text_layout("\n".join(rows))["requests"]
    assert "new_received" not in got.tables
    assert got.tables["carried_over"] == {k: 0 for k in report.tables["requests"]["carried_over"]}
    assert any("new_received" in p and "do not decide" in p for p in got.problems)
    # and the document's result says the same: the row is not read
    assert "new_received" not in tables_from_text("\n".join(rows)).tables["requests"]


def test_a_row_whose_blank_cells_left_no_trace_is_left_empty_with_a_problem():
    """pdfplumber's single-spaced text drops blank cells: six numbers for seven columns could go
    seven ways. Nothing is placed; the row is reported; every other row is read exactly."""
    seen = 0
    for seed in range(30):
        report = random_report(seed, "2021")
        blank_rows = [r for r, cols in report.raw["requests"].items()
                      if any(not v.strip(" \u3000") for v in cols.values())]
        if not blank_rows:
            continue
        result = tables_from_text(render_layout(report, "spaced", aligned=False))
        assert only_missing(report, result) == []
        req = result.tables.get("requests", {})
        for r in blank_rows:
            assert r not in req
            assert any(r in p and "not read" in p for p in result.problems)
        for r in report.tables["requests"]:
            if r not in blank_rows:
                assert req.get(r) == report.tables["requests"][r]
        seen += 1
    assert seen >= 3


@pytest.mark.parametrize("layout", ["spaced", "vertical_group", "wrapped_labels", "split_headers", "ocr_noise"])
def test_single_spaced_text_is_never_read_wrong(layout):
    for seed in range(8):
        for template in TEMPLATES:
            report = random_report(seed, template)
            result = tables_from_text(render_layout(report, layout, aligned=False))
            assert only_missing(report, result) == [], (seed, template, layout)


def test_ocr_confusions_inside_numbers():
    for template in TEMPLATES:
        confused = []
        for seed in range(20, 40):
            report = random_report(seed, template)
            text, result = roundtrip(report, "ocr_noise")
            confused = [c for c in result.cells if c.note.startswith("OCR:")]
            if len(confused) >= 3:
                break
        assert confused, "the OCR layout confuses some digits"
        for c in confused:
            assert re.search(r"[OoIl〇]", c.raw) and c.kind == "number"  # printed as OCR read it, read as a number
            assert c.value == report.tables[c.table][c.row][c.col]


def test_a_word_is_never_turned_into_a_number():
    """OCR letters inside a number are read; a token of letters alone, longer than a number of
    confusions could be, is text: its row is not read (never read as 1010)."""
    report = random_report(1, "2021")
    text = render_layout(report, "spaced")
    vals = list(report.raw["requests"]["granted"].values())
    lines = text.splitlines()
    label = report.row_labels["requests"]["granted"].split("\n")[-1]
    k = next(i for i, ln in enumerate(lines) if label in ln and re.search(r"\d\s*$", ln))
    lines[k] = re.sub(r"\S+$", "IOlO", lines[k])  # the total printed as a word
    result = tables_from_text("\n".join(lines))
    assert only_missing(report, result) == []
    assert "granted" not in result.tables["requests"]
    assert any("granted" in p and "IOlO" in p for p in result.problems)
    assert vals[-1] != "IOlO"


def test_markdown_cells_keep_their_columns():
    """The '|' dump reader reads a row's cells in order (as of this writing, a markdown row whose
    merged label slots come before a blank cell shifts by one); markdown is read by column here,
    whatever that reader makes of it."""
    for seed in range(40):
        for template in TEMPLATES:
            report = random_report(seed, template)
            text, result = roundtrip(report, "markdown")
            parse_text_tables(text)  # the '|' reader still reads the same text without failing


def test_a_structure_aware_result_is_completed_from_the_text():
    """For a PDF whose grids found nothing, the text layer is read with the grids' result as the base."""
    report = random_report(4, "2019")
    text = render_layout(report, "spaced")
    result = tables_from_text(text, structured=parse_tables([], text))
    assert not diff(report.tables, result.tables)
    assert result.template == "2019"


def test_a_pdf_text_layer_is_read_without_guessing():
    """Real PDFs (the replica's renderer) as pdfplumber's text, pages joined by form feeds: laid out
    (``layout=True``, columns kept) most tables read exactly; plain (blank cells dropped) fewer. In
    both, a cell is read right or left unread: never wrong."""
    pdfplumber = pytest.importorskip("pdfplumber")
    import io

    from replica.render import render

    unread = {"plain": 0, "layout": 0}
    for seed in range(3):
        for template in TEMPLATES:
            report = random_report(seed, template)
            with pdfplumber.open(io.BytesIO(render(report, "pdf"))) as pdf:
                texts = {"plain": "\f".join(p.extract_text() or "" for p in pdf.pages),
                         "layout": "\f".join(p.extract_text(layout=True) or "" for p in pdf.pages)}
            for how, text in texts.items():
                result = tables_from_text(text, structured=parse_tables([], text))
                assert only_missing(report, result) == [], (seed, template, how)
                unread[how] += len(diff(report.tables, result.tables))
    assert unread["layout"] < unread["plain"]


def test_mixed_text_without_tables_finds_none():
    text = "二、主动公开政府信息情况\n本年度行政许可 5 件\n三、收到和处理政府信息公开申请情况\n共 3 件，均已办结。\n"
    result = tables_from_text(text)
    assert result.tables == {} and result.cells == []
    assert set(result.found) == {"active", "requests", "appeals"}


_LINES = ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
          "五、存在的主要问题及改进情况", "规章 0 1 5", "行政许可 342", "信息内容 本年制发件数 本年废止件数 现行有效件数",
          "一、本年新收政府信息公开申请数量 3 1 0 0 0 0 4", "（七）总计", "0", "", "\u3000", "本", "、", "无",
          "| 规章 | 0 |  | 5 |", "|---|---|", "1 2 0 0 0 0 0 1 2", "结果维持 结果纠正 其他结果 尚未审结 总计",
          "lO O 〇 l", "（三）不予公开", "1.属于国家秘密    0    0    0", "行政复议", "0 0 1 0 1", "- 3 -",
          "见附件。", "四、结转下年度继续办理 0 0 0 0 0 0 0", "（六）其他处理", "3.其他 1 0 0 0 0 0 1"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_LINES), max_size=50))
def test_any_text_is_read_without_crashing(lines):
    res = tables_from_text("\n".join(lines))
    assert set(res.found) == {"active", "requests", "appeals"}
    for c in res.cells:
        assert res.tables[c.table][c.row][c.col] == c.value


# ---------------------------------------------------------------------------------------------
# the real seeds (../shared/seeds): the text-dump reader's exact values still hold


def test_seed_texts_read_as_before():
    from tests import test_seeds as ts

    expected = {"000": ts.SEED_000, "001": ts.SEED_001, "003": ts.SEED_003}
    for prefix in ("000", "001", "002", "003", "004"):
        text = ts.seed(prefix)  # skips with a reason when ../shared/seeds is absent
        before = parse_tables(grids_from_text(text), text)
        after = tables_from_text(text)
        assert after.tables == before.tables
        assert after.problems == before.problems
        assert after.template == before.template
        assert [(c.table, c.row, c.col, c.raw, c.kind) for c in after.cells] == \
            [(c.table, c.row, c.col, c.raw, c.kind) for c in before.cells]
        if prefix in expected:
            assert after.tables == expected[prefix]
