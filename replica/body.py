"""Blocks → body HTML, in the markup styles agencies really publish.

``clean``: what a CMS editor produces (``<p>`` with an indent, ``<strong>`` headings).
``word``: a document pasted from Word: ``MsoNormal`` paragraphs whose text is split over nested
spans, U+3000 / ``&nbsp;`` indentation, ``<o:p>`` tags, styles with raw newlines.
``legacy``: an IE-era editor: upper-case tags and ``<FONT>``.

Whatever the style, a block's text content, stripped of surrounding whitespace, equals the block's
``text`` — the invariant the ground truth relies on.
"""
from __future__ import annotations

import random
from html import escape

from .blocks import Block, Heading, Image, Para, TableRef
from .numbers import Tables
from .tables_html import render_table


# Each style is three functions — heading, paragraph, image — of one block; tables are rendered by
# ``tables_html`` in the same style.


def _clean_heading(b: Heading) -> str:
    return f'<p style="text-indent:2em;"><strong>{escape(b.text)}</strong></p>'


def _clean_para(b: Para, rng: random.Random) -> str:
    if b.align != "justify":
        return f'<p style="text-align:{b.align};">{escape(b.text)}</p>'
    if b.lead:
        return (f'<p style="text-indent:2em;"><strong>{escape(b.text[:b.lead])}</strong>'
                f'{escape(b.text[b.lead:])}</p>')
    return f'<p style="text-indent:2em;">{escape(b.text)}</p>'


def _clean_image(b: Image) -> str:
    return f'<p style="text-align:center;"><img src="{escape(b.src)}" alt="{escape(b.alt)}" width="{b.width}" /></p>'


_P_STYLE = ("margin-top:0.0000pt;margin-bottom:0.0000pt;text-indent:32.0000pt;mso-char-indent-count:2.0000;\n"
            "line-height:28.0000pt;mso-line-height-rule:exactly;")
_SPAN = "font-family:{font};mso-ascii-font-family:'Times New Roman';font-size:16.0000pt;\nmso-font-kerning:1.0000pt;"
_WORD_TAIL = '<span style="font-family:仿宋_GB2312;font-size:16.0000pt;"><o:p></o:p></span>'


def _word_runs(text: str, font: str, rng: random.Random) -> str:
    """Split text into Word runs at arbitrary points, sometimes nesting them."""
    runs, i = [], 0
    while i < len(text):
        n = rng.randint(8, 60)
        runs.append(text[i:i + n])
        i += n
    out = []
    for r in runs:
        span = f'<span style="{_SPAN.format(font=font)}">{escape(r)}</span>'
        if rng.random() < 0.25:
            span = f'<span style="font-family:{font};">{span}</span>'
        out.append(span)
    return "".join(out)


def _word_heading(b: Heading) -> str:
    font = "黑体" if b.level == 1 else "楷体_GB2312"
    return (f'<p class="MsoNormal" style="{_P_STYLE}"><span style="{_SPAN.format(font=font)}">'
            f'{escape(b.text)}</span>{_WORD_TAIL}</p>')


def _word_para(b: Para, rng: random.Random) -> str:
    if b.align != "justify":
        return (f'<p class="MsoNormal" align="{b.align}" style="text-align:{b.align};line-height:28.0000pt;">'
                f'{_word_runs(b.text, "仿宋_GB2312", rng)}{_WORD_TAIL}</p>')
    pad = rng.choice(["\u3000\u3000", "&nbsp;&nbsp;&nbsp;&nbsp;", "", "\u3000"])
    lead = ""
    body = b.text
    if b.lead:
        lead = f'<b><span style="{_SPAN.format(font="楷体_GB2312")}">{escape(b.text[:b.lead])}</span></b>'
        body = b.text[b.lead:]
    pre = f'<span style="font-family:仿宋_GB2312;">{pad}</span>' if pad else ""
    return f'<p class="MsoNormal" style="{_P_STYLE}">{pre}{lead}{_word_runs(body, "仿宋_GB2312", rng)}{_WORD_TAIL}</p>'


def _word_image(b: Image) -> str:
    return (f'<p class="MsoNormal" align="center" style="text-align:center;"><img src="{escape(b.src)}" '
            f'alt="{escape(b.alt)}" width="{b.width}" border="0" /></p>')


def _legacy_heading(b: Heading) -> str:
    return f'<P style="TEXT-INDENT: 2em"><STRONG><FONT face=黑体>{escape(b.text)}</FONT></STRONG></P>'


def _legacy_para(b: Para, rng: random.Random) -> str:
    if b.align != "justify":
        return f'<P align={b.align}><FONT face=仿宋_GB2312 size=4>{escape(b.text)}</FONT></P>'
    return f'<P style="TEXT-INDENT: 2em; LINE-HEIGHT: 150%"><FONT face=仿宋_GB2312 size=4>{escape(b.text)}</FONT></P>'


def _legacy_image(b: Image) -> str:
    return f'<P align=center><IMG border=0 src="{escape(b.src)}" width={b.width}></P>'


# style -> (heading, paragraph, image)
STYLES = {"clean": (_clean_heading, _clean_para, _clean_image),
          "word": (_word_heading, _word_para, _word_image),
          "legacy": (_legacy_heading, _legacy_para, _legacy_image)}


def _render_block(b: Block, style: str, rng: random.Random, tables: Tables | None) -> str:
    heading, para, image = STYLES[style]
    if isinstance(b, Heading):
        return heading(b)
    if isinstance(b, Para):
        return para(b, rng)
    if isinstance(b, TableRef):
        return render_table(tables, b.key, style, rng)
    if isinstance(b, Image):
        return image(b)
    raise TypeError(b)


def render_body(blocks: list[Block], style: str, rng: random.Random, tables: Tables | None = None) -> str:
    if style not in STYLES:  # an unknown style fails even for an empty body
        raise KeyError(style)
    sep = "\n" if style != "legacy" else "\r\n"
    return sep.join(_render_block(b, style, rng, tables) for b in blocks)
