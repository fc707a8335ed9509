"""Tables printed without ruling lines: canonical report → PDF with no rules (or only the three rules
of a 三线表, or rules between rows only) → grids_from_pdf → parse_tables → the same canonical values,
exactly, for every cell of the three tables (blank and dash cells → None).

The renderer lays the text out exactly as in its ruled tables (long labels wrapped in their column,
merged group labels over the rows they span, numbers centred or right-aligned, text in the middle or
at the top of its cell, tables cut by page breaks, headers repeated on the next page), so the reader
has only the positions of the text to go on. A failure prints the seed, the template, the rendering options, every differing cell and
the parser's problems and the grids' notes, so the case replays with ``random_report(seed, template)``.

The slow test also times the reader on the same reports rendered with and without rules.
"""
from __future__ import annotations

import dataclasses
import io
import random
import re
import time

import pytest

from extract.grids.pdf import grids_from_pdf
from extract.tables import parse_tables
from replica.render.pdf import render_pdf
from replica.render.sample import CanonicalReport, random_report
from tests.test_roundtrip import diff

BORDERLESS = "read from the positions of the text"  # the note every grid read so carries


def style(seed: int, template: str) -> dict:
    """Rendering options of one slow-test report, drawn from its seed (reproducible)."""
    rng = random.Random(f"borderless:{seed}:{template}")
    return dict(ruled=rng.choice([False, False, "three_line", "horizontal"]),
                value_align=rng.choice(["center", "right"]), valign=rng.choice(["middle", "top"]),
                split_requests=rng.choice([None, None, True]), repeat_header=rng.random() < 0.3)


def read(data: bytes):
    grids = grids_from_pdf(data)
    return grids, parse_tables(grids)


def roundtrip(report: CanonicalReport, **options) -> None:
    grids, result = read(render_pdf(report, **options))
    d = diff(report.tables, result.tables)
    if d or result.template != report.template:
        lines = [f"borderless PDF round trip of random_report({report.seed}, {report.template!r}) {options}: "
                 f"{len(d)} cell(s) differ (table.row.col: expected → read), template read {result.template!r}"]
        lines += [f"  {t}.{r}.{c}: {a!r} → {b!r}   printed {report.raw.get(t, {}).get(r, {}).get(c)!r}, "
                  f"label {report.row_labels.get(t, {}).get(r)!r}" for t, r, c, a, b in d[:25]]
        lines += [f"  problem: {p}" for p in result.problems[:10]]
        lines += [f"  grid {i} note: {n}" for i, g in enumerate(grids) for n in g.notes[:6]]
        pytest.fail("\n".join(lines), pytrace=False)
    assert grids and all(any(BORDERLESS in n for n in g.notes) for g in grids), \
        "every table must come from the borderless reader (a rule was found?)"


# six reports covering the styles: no rules, 三线表, rules between rows only (the ruled reader sees
# one column), right-aligned numbers, text at the top of its cell (Word's default: wrapped labels
# run on below their numbers), tables cut by a page break, header rows repeated on the next page,
# both templates
FAST = [
    (1, "2021", dict(ruled=False)),
    (2, "2019", dict(ruled=False, value_align="right")),
    (3, "2021", dict(ruled="three_line", split_requests=True)),
    (4, "2019", dict(ruled=False, valign="top", split_requests=True, repeat_header=True)),
    (5, "2021", dict(ruled="three_line", value_align="right", split_requests=True, repeat_header=True)),
    (6, "2019", dict(ruled="horizontal", valign="top", split_requests=True)),
]


@pytest.mark.parametrize("seed,template,options", FAST, ids=[f"{s}-{t}" for s, t, _ in FAST])
def test_borderless_roundtrip(seed, template, options):
    roundtrip(random_report(seed, template), **options)


def test_the_fast_reports_cut_the_requests_table_over_a_page():
    """The split cases really test a table that runs on over a page break."""
    for seed, template, options in FAST:
        if options.get("split_requests"):
            grids, _ = read(render_pdf(random_report(seed, template), **options))
            assert any("runs over pages" in n for n in grids[1].notes), grids[1].notes


def test_grid_has_the_official_header_structure():
    """The requests grid: three label columns (top-level, group and leaf labels), seven value
    columns under three header rows whose merged cells are one cell each, values under their
    headers, the merged group label 三、本年度办理结果 (narrow, wrapped in three lines) one cell on
    each row it spans."""
    report = random_report(1, "2021")
    grids, _ = read(render_pdf(report, ruled=False))
    req = grids[1]
    assert req.context == "三、收到和处理政府信息公开申请情况"
    assert (req.n_rows, req.n_cols) == (3 + 25, 3 + 7)
    assert [req.cells[0][c] for c in range(3, 10)] == ["申请人情况"] * 7
    assert {req.origin[0][c] for c in range(3, 10)} == {(0, 3)}
    assert {req.origin[r][c] for r in range(3) for c in range(3)} == {(0, 0)}  # the 勾稽关系 note
    leaf = [req.cells[2][c].replace("\n", "") for c in range(3, 10)]
    assert leaf[1:6] == [report.col_labels["requests"][k].replace("\n", "") for k in
                         ("business", "research", "nonprofit", "legal_services", "other_org")]
    raw = report.raw["requests"]
    for r, key in ((3, "new_received"), (27, "carried_forward")):
        assert req.cells[r][3:] == [raw[key][c] for c in ("natural_person", "business", "research", "nonprofit",
                                                          "legal_services", "other_org", "total")]
    group = [r for r in range(req.n_rows) if req.cells[r][0].replace("\n", "") == "三、本年度办理结果"]
    assert len(group) >= 2 and len({req.origin[r][0] for r in group}) == 1


def test_rules_between_rows_only_are_read_from_the_text():
    """Word's "no inside vertical borders": the ruled reader sees one-column tables (useless to the
    parser); those are read again from the positions of the text, and replace the one-column grids."""
    import pdfplumber

    data = render_pdf(random_report(6, "2019"), ruled="horizontal")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        widths = {len(t.extract()[0]) for p in pdf.pages for t in p.find_tables()}
    assert widths == {1}
    grids, _ = read(data)
    assert len(grids) == 3
    assert all(any("ruled between rows only" in n for n in g.notes) for g in grids)


def test_ruled_pdf_is_read_by_the_ruled_reader_only():
    grids, result = read(render_pdf(random_report(1, "2021")))
    assert len(grids) == 3 and not any(BORDERLESS in n for g in grids for n in g.notes)
    assert result.found == {"active": True, "requests": True, "appeals": True}


def _with(report: CanonicalReport, cls=CanonicalReport, **changes) -> CanonicalReport:
    fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
    fields.update(changes)
    return cls(**fields)


def test_a_value_column_blank_on_every_row_is_anchored_by_its_header():
    """No number marks the 科研机构 column anywhere: its header still makes it a column, so the
    values right of it do not slide into it and its cells read blank."""
    report = random_report(1, "2021")
    raw = {t: {r: dict(cols) for r, cols in rows.items()} for t, rows in report.raw.items()}
    tables = {t: {r: dict(cols) for r, cols in rows.items()} for t, rows in report.tables.items()}
    for row in raw["requests"]:
        raw["requests"][row]["research"] = ""
        tables["requests"][row]["research"] = None
    roundtrip(_with(report, raw=raw, tables=tables), ruled=False)
    roundtrip(_with(report, raw=raw, tables=tables), ruled=False, value_align="right")


@dataclasses.dataclass
class _ThreeNumbers(CanonicalReport):
    """A report printing three numbers on its 行政许可 row under the one header 本年处理决定数量
    (seen in real 2021 reports)."""

    def spec(self, table: str):
        spec = super().spec(table)
        if table == "active":
            spec = dataclasses.replace(spec, values={**spec.values, "licensing": ["12", "7", "5"]})
        return spec


def test_a_row_whose_values_cannot_be_aligned_is_left_out():
    """Three numbers under one column header cannot be placed without guessing: the row is left out
    (noted), the parser reports it missing, and every other cell is read."""
    report = _with(random_report(2, "2021"), _ThreeNumbers)
    grids, result = read(render_pdf(report, ruled=False))
    d = diff(report.tables, result.tables)
    assert [(t, r, c) for t, r, c, _, _ in d] == [("active", "licensing", "decisions")]
    assert d[0][4] == "MISSING"
    assert any("left out" in n and "column anchors" in n for n in grids[0].notes), grids[0].notes
    assert any("missing: licensing" in p for p in result.problems), result.problems


def _prose_pdf() -> bytes:
    """One page of running text with figures, some set apart by wide spaces, under the heading of
    the requests section: no table."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    height = A4[1]
    y = 80.0

    def put(x: float, s: str, size: float = 11.0) -> None:
        c.setFont("STSong-Light", size)
        c.drawString(x, height - y - size, s)

    put(120, "西岭县民政局2023年政府信息公开工作年度报告", 16)
    y += 40
    put(62, "三、收到和处理政府信息公开申请情况", 12.5)
    y += 24
    for line in ("本年度新收政府信息公开申请25件，上年结转3件，办理结果总计28件，结转下年度0件。",
                 "其中予以公开12件，部分公开4件，不予公开2件，无法提供6件，不予处理4件。"):
        put(84, line)
        y += 18
    # figures set apart by wide spaces inside sentences
    for parts in ([(84, "全年受理申请"), (190, "25"), (215, "件，其中自然人申请"), (330, "18"), (352, "件。")],
                  [(84, "行政复议"), (160, "1"), (180, "件，行政诉讼"), (260, "2"), (280, "件，均已审结。")]):
        for x, s in parts:
            put(x, s)
        y += 18
    # a figure at the end of a line, after a wide space
    for label, n in (("本年新收申请数量：", "25"), ("上年结转申请数量：", "3")):
        put(84, label)
        put(480, n)
        y += 18
    put(84, "2024年1月15日")
    c.setFont("STSong-Light", 9)
    c.drawString(290, 40, "- 1 -")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_prose_with_numbers_is_no_table():
    grids, result = read(_prose_pdf())
    assert grids == []
    assert not result.found.get("requests")


def test_render_options_are_checked():
    with pytest.raises(ValueError):
        render_pdf(random_report(1, "2021"), ruled="dotted")
    with pytest.raises(ValueError):
        render_pdf(random_report(1, "2021"), value_align="left")
    with pytest.raises(ValueError):
        render_pdf(random_report(1, "2021"), valign="bottom")


def test_tables_under_unnumbered_headings():
    """Headings without 一、二、… are not recognised as sections: the tables are found by their
    header words alone (two or more of a standard table's) and read the same."""
    for seed, template in ((7, "2021"), (8, "2019")):
        report = random_report(seed, template)
        sections = [(re.sub(r"^[一二三四五六七八九十]+、", "", h), p) for h, p in report.sections]
        roundtrip(_with(report, sections=sections), ruled=False)


SLOW_SEEDS = range(100, 150)  # × two templates: 100 reports


@pytest.mark.slow
def test_borderless_roundtrip_many(capsys):
    """100 reports, both templates, the styles mixed by seed; then the reader's time on the same
    reports rendered with rules and without."""
    reports = [random_report(seed, tpl) for seed in SLOW_SEEDS for tpl in ("2021", "2019")]
    failures = []
    for report in reports:
        try:
            roundtrip(report, **style(report.seed, report.template))
        except pytest.fail.Exception as e:
            failures.append(str(e))
    assert not failures, f"{len(failures)} of {len(reports)} reports differ:\n" + "\n".join(failures[:5])

    def clock(datas: list[bytes]) -> tuple[float, int]:
        t = time.perf_counter()
        found = 0
        for data in datas:
            found += len(parse_tables(grids_from_pdf(data)).tables)
        return time.perf_counter() - t, found

    ruled = [render_pdf(r, split_requests=style(r.seed, r.template)["split_requests"]) for r in reports]
    plain = [render_pdf(r, **style(r.seed, r.template)) for r in reports]
    t_ruled, n_ruled = clock(ruled)
    t_plain, n_plain = clock(plain)
    assert n_ruled == n_plain == 3 * len(reports)
    with capsys.disabled():
        print(f"\nPDF tables, grids_from_pdf + parse_tables on the same {len(reports)} reports: "
              f"ruled {1000 * t_ruled / len(reports):.0f} ms/report, "
              f"borderless {1000 * t_plain / len(reports):.0f} ms/report "
              f"({t_plain / t_ruled:.2f}× the ruled path)")
