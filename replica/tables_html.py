"""Render a report's three tables as HTML with the official templates' merged-cell structure.

Parsers of real reports meet the template as agencies pasted it: a ten-column ``requests`` grid
whose row labels are nested with rowspan (三、本年度办理结果 › （三）不予公开 › 1.属于国家秘密), a
fifteen-column ``appeals`` grid under two header rows, an ``active`` table split into 第二十条 sections.
The layout lives in :mod:`replica.render.layout` (shared with the format renderers of
``replica.render``); this module maps the replica's :class:`Tables` onto it and writes it out in
one of the markup styles of :mod:`replica.render.html`: ``clean`` (plain ``<td>``), ``word`` (a Word
paste: MsoNormalTable, per-cell mso styles with raw newlines, nested spans, ``&nbsp;`` padding,
``<br>`` in header cells) and ``legacy`` (upper-case IE-era tags).
"""
from __future__ import annotations

import random

from extract import schema
from extract import layout
from replica.render.html import STYLES, clean, legacy, word  # noqa: F401  (re-exported)
from extract.layout import GCell, TableSpec

from .numbers import Tables


def spec(tables: Tables, key: str) -> TableSpec:
    """What ``tables`` prints for table ``key``, as a layout spec."""
    tpl = tables.layout[key]
    values: dict[str, list[str]] = {}
    for f in schema.rows(key, tpl):
        raw = tables.row_raw.get((key, f.key))
        if raw is None:
            cells = tables.cells[key][f.key]
            raw = [cells[c.key].raw for c in schema.cols(key, tpl, f.key if key == "active" else None)]
        values[f.key] = list(raw)
    return TableSpec(
        key, tpl, values=values,
        row_labels={r: lab for (t, r), lab in tables.row_labels.items() if t == key},
        col_labels={c: lab for (t, c), lab in tables.col_labels.items() if t == key},
    )


def layout_requests(tables: Tables) -> list[list[GCell]]:
    return layout.layout_requests(spec(tables, "requests"))


def layout_appeals(tables: Tables) -> list[list[GCell]]:
    return layout.layout_appeals(spec(tables, "appeals"))


def layout_active(tables: Tables) -> list[list[GCell]]:
    return layout.layout_active(spec(tables, "active"))


LAYOUTS = {"active": layout_active, "requests": layout_requests, "appeals": layout_appeals}


def render_table(tables: Tables, key: str, style: str, rng: random.Random) -> str:
    return STYLES[style](LAYOUTS[key](tables), rng)
