"""Reports as plain-text dumps, the shape text extractors give a published page.

Prose and headings are one line each. A table is flattened in markup order: every cell that starts
in a row is written as its text followed by `` |`` (a cell holding a line break runs over several
lines; each line is stripped, so a blank cell is a lone ``|``), and a row with fewer cells than the
table has columns is followed by a padding line of one ``|`` per missing cell.
Some dumps also fold full-width punctuation and digits to half-width (NFKC), as converters do.
"""
from __future__ import annotations

import random
import unicodedata

from extract.layout import Layout, n_cols
from .sample import CanonicalReport

def dump_table(grid: Layout) -> list[str]:
    width = n_cols(grid)
    lines: list[str] = []
    for row in grid:
        for cell in row:
            lines += [ln.strip() for ln in (cell.text + " |").split("\n")]
        missing = width - sum(1 for _ in row)
        if missing > 0:
            lines.append("|" * missing)
    return lines


def render_text(report: CanonicalReport, halfwidth: bool | None = None) -> bytes:
    """The report as a UTF-8 text dump (``halfwidth``: fold full-width forms; default from the seed)."""
    rng = random.Random(f"text:{report.seed}:{report.template}")
    if halfwidth is None:
        halfwidth = rng.random() < 0.4
    lines = [report.title, ""] if rng.random() < 0.7 else []
    for heading, paras, key in report.outline():
        lines.append(heading)
        lines += paras
        if key:
            lines += dump_table(report.layout(key))
    text = "\n".join(lines) + "\n"
    if halfwidth:
        text = unicodedata.normalize("NFKC", text)
    return text.encode("utf-8")
