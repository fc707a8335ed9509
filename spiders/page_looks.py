"""Cheap looks at a report page's markup, before anything parses it.

A report page is ~100 KB of mostly Chinese text, decoded to a str of two-byte characters. Every
whole-page pass costs: ``text.lower()`` ~0.5 ms, a case-insensitive regex several times a
case-spelled one (``[tT][aA]…``: Python's re then skips to the first literal character quickly).
These looks only decide whether the real readers (lxml, extract.grids.html) need to run.
"""
from __future__ import annotations

import re
from bisect import bisect_right


def anycase(word: str) -> str:
    """``[tT][aA][bB][lL][eE]``: the pattern re.IGNORECASE would match, without its cost."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# a picture that is not inlined as a data: URL
PICTURE_RE = re.compile(r"<%s\b[^>]*?\b%s\s*=\s*(?![\"']?\s*%s)" % (anycase("img"), anycase("src"), anycase("data:")))
_TABLE_OPEN = re.compile("<" + anycase("table"))
_TABLE_CLOSE = re.compile("</" + anycase("table"))


def table_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the markup inside each <table>: from the opening to the first </table>
    after it (to the end of the page when it never closes)."""
    spans = []
    m = _TABLE_OPEN.search(text)
    while m:
        close = _TABLE_CLOSE.search(text, m.start())
        spans.append((m.start(), len(text) if close is None else close.start()))
        m = None if close is None else _TABLE_OPEN.search(text, close.start())
    return spans


def tables_print(text: str, labels) -> bool:
    """Whether every one of ``labels`` occurs inside some <table> markup of the page."""
    spans = table_spans(text)
    if not spans:
        return False
    starts = [s for s, _ in spans]
    for label in labels:
        i = text.find(label)
        while i != -1:
            k = bisect_right(starts, i) - 1
            if k >= 0 and i + len(label) <= spans[k][1]:
                break
            i = text.find(label, i + 1)
        else:
            return False
    return True
