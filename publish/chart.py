"""An agency's key numbers across years as an inline SVG bar chart.

Drawn on the server: it shows without JavaScript, prints, survives a screenshot and a saved page, and
each bar carries its number (``<title>`` tooltip, ``data-*`` attributes) so nothing is only a picture.
A year whose report has no such number gets no bar and a "无" mark — never a zero.
"""
from __future__ import annotations

import math
from html import escape

COLORS = ("#3b6ea5", "#7aa6d6", "#2e8b57", "#d98c1f", "#b5443c", "#7d5ba6")


def _axis(v: float) -> tuple[float, float]:
    """(top, step) of a value axis with 2–5 round steps (1, 2 or 5 × 10ⁿ) above ``v``."""
    if v <= 0:
        return 1, 1
    raw = v / 4
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return step * math.ceil(v / step), step


def bar_chart(years: list[int], series: list[tuple[str, str, list[float | None]]], title: str) -> str:
    """``series``: (key, Chinese name, one value or None per year)."""
    width, height = 720, 300
    left, right, top, bottom = 48, 12, 16, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value, step = _axis(max([v for _, _, vs in series for v in vs if v is not None] or [0]))
    group_w = plot_w / max(len(years), 1)
    bar_w = max(min(group_w * 0.8 / max(len(series), 1), 28), 2)
    parts = [f'<svg class="nb-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg" font-size="12">', f"<title>{escape(title)}</title>"]
    for i in range(int(round(top_value / step)) + 1):  # gridlines and their numbers
        v = step * i
        y = top + plot_h - plot_h * v / top_value
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{v:g}</text>')
    for yi, year in enumerate(years):
        gx = left + group_w * yi + (group_w - bar_w * len(series)) / 2
        for si, (key, name, values) in enumerate(series):
            v = values[yi]
            x = gx + si * bar_w
            if v is None:
                parts.append(f'<text class="nb-none" x="{x + bar_w / 2:.1f}" y="{top + plot_h - 3}" '
                             f'text-anchor="middle" fill="#999" font-size="9">无</text>')
                continue
            h = max(plot_h * v / top_value, 1.5)  # a zero is a sliver on the axis, a missing number is 无
            parts.append(f'<rect class="nb-bar" data-series="{key}" data-year="{year}" data-value="{v:g}" '
                         f'x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                         f'fill="{COLORS[si % len(COLORS)]}"><title>{year}年 {escape(name)}：{v:g}</title></rect>')
        parts.append(f'<text x="{left + group_w * (yi + 0.5):.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                     f"{year}</text>")
    lx = left
    for si, (key, name, _) in enumerate(series):  # legend
        parts.append(f'<rect x="{lx}" y="{height - 22}" width="12" height="12" fill="{COLORS[si % len(COLORS)]}"/>'
                     f'<text x="{lx + 16}" y="{height - 12}">{escape(name)}</text>')
        lx += 24 + 13 * len(name)
    parts.append("</svg>")
    return "".join(parts)
