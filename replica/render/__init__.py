"""Canonical reports → documents: the generator and renderers behind the format round-trip tests.

* :mod:`.layout` — the official merged-cell structure of the three tables, format-neutral (also
  used by the replica web's HTML tables);
* :mod:`.sample` — ``random_report(seed, template)``: a canonical report with every cell's printed
  spelling and the report's label spellings; ``reports()`` is the hypothesis strategy;
* :mod:`.html`, :mod:`.docx`, :mod:`.pdf`, :mod:`.xlsx`, :mod:`.xls`, :mod:`.textdump` — one
  ``render_<fmt>(report, **options) -> bytes`` each; :func:`render` dispatches by format name.

Renders are deterministic: the same report gives the same bytes.
"""
from __future__ import annotations

from typing import Callable

from .sample import CanonicalReport, random_report, reports


def _renderers() -> dict[str, Callable[..., bytes]]:
    from .docx import render_docx
    from .html import render_html
    from .pdf import render_pdf
    from .textdump import render_text
    from .xls import render_xls
    from .xlsx import render_xlsx

    return {"html": render_html, "docx": render_docx, "pdf": render_pdf, "xlsx": render_xlsx,
            "xls": render_xls, "text": render_text}


FORMATS: tuple[str, ...] = ("html", "docx", "pdf", "xlsx", "xls", "text")


class _Lazy(dict):
    """Format name → renderer, imported on first use (reportlab and python-docx are heavy)."""

    def __missing__(self, key):
        if key not in FORMATS:
            raise KeyError(key)
        self.update(_renderers())
        return dict.__getitem__(self, key)

    def __iter__(self):
        return iter(FORMATS)

    def __len__(self):
        return len(FORMATS)

    def __contains__(self, key):
        return key in FORMATS

    def keys(self):
        return list(FORMATS)


RENDERERS: dict[str, Callable[..., bytes]] = _Lazy()


def render(report: CanonicalReport, fmt: str, **options) -> bytes:
    """``report`` as the bytes of a ``fmt`` document (html, docx, pdf, xlsx, xls, text)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}")
    return RENDERERS[fmt](report, **options)


__all__ = ["CanonicalReport", "random_report", "reports", "render", "RENDERERS", "FORMATS"]
