"""Reports as pictures: the tables of a rendered PDF rasterised, as agencies publish them when they
paste a screenshot of the Word table or scan the printed report.

``render_table_images(report, dpi, seed)`` rasterises the pages of ``render_pdf(report)`` that hold
a table (pypdfium2) and, driven by ``seed``, degrades them the way real pictures are degraded: a
slight rotation (a scan fed askew, at most ``MAX_ROTATION`` degrees), Gaussian blur (a soft scan, a
screenshot scaled down) and JPEG compression noise. ``seed=None`` gives clean pictures.
``render_scanned_pdf`` wraps every page, degraded the same way, into a PDF with no text layer.

Renders are deterministic: the same report, options and seed give the same bytes.
"""
from __future__ import annotations

import io
import random
import time
from dataclasses import dataclass

from .pdf import render_pdf
from .sample import CanonicalReport

MAX_ROTATION = 1.5  # degrees


@dataclass(frozen=True)
class Degradation:
    rotation: float = 0.0  # degrees, counter-clockwise
    blur: float = 0.0  # Gaussian radius in pixels
    jpeg_quality: int | None = None  # None: lossless

    @classmethod
    def draw(cls, seed: int | None) -> "Degradation":
        """The degradation a seed names (None: none)."""
        if seed is None:
            return cls()
        rng = random.Random(f"nianbao-image:{seed}")
        return cls(rotation=round(rng.uniform(-MAX_ROTATION, MAX_ROTATION), 2),
                   blur=rng.choice([0.0, 0.0, 0.5, 0.8, 1.1]),
                   jpeg_quality=rng.choice([None, 90, 75, 60, 50]))


def _pages(pdf: bytes, dpi: int, only_tables: bool) -> list:
    """PIL grey images of the PDF's pages (those with ruled cells, when ``only_tables``)."""
    import pdfplumber
    import pypdfium2 as pdfium

    keep = None
    if only_tables:
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            keep = {i for i, p in enumerate(doc.pages) if p.rects or p.lines}
    doc = pdfium.PdfDocument(pdf)
    try:
        out = []
        for i in range(len(doc)):
            if keep is not None and i not in keep:
                continue
            out.append(doc[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
        return out
    finally:
        doc.close()


def degrade(im, d: Degradation):
    """The picture rotated, blurred and JPEG-compressed as ``d`` says (grey, white background)."""
    from PIL import Image, ImageFilter

    if d.rotation:
        im = im.rotate(d.rotation, resample=Image.BICUBIC, expand=True, fillcolor=255)
    if d.blur:
        im = im.filter(ImageFilter.GaussianBlur(d.blur))
    if d.jpeg_quality:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=d.jpeg_quality)
        im = Image.open(io.BytesIO(buf.getvalue()))
        im.load()
    return im


def _encode(im, fmt: str, d: Degradation) -> bytes:
    buf = io.BytesIO()
    if fmt.upper() in ("JPEG", "JPG"):
        im.save(buf, "JPEG", quality=d.jpeg_quality or 92)
    else:
        im.save(buf, fmt.upper(), optimize=False)
    return buf.getvalue()


def render_table_images(report: CanonicalReport, dpi: int = 150, seed: int | None = None, fmt: str | None = None,
                        **pdf_options) -> list[bytes]:
    """One picture per PDF page that holds a table (PNG; JPEG when the seed's degradation is JPEG
    or ``fmt='jpeg'``). Each page gets its own degradation, drawn from ``seed`` and the page."""
    pages = _pages(render_pdf(report, **pdf_options), dpi, only_tables=True)
    out = []
    for k, im in enumerate(pages):
        d = Degradation.draw(None if seed is None else seed * 1000 + k)
        im = degrade(im, d)
        out.append(_encode(im, fmt or ("jpeg" if d.jpeg_quality else "png"), d))
    return out


def render_scanned_pdf(report: CanonicalReport, dpi: int = 150, seed: int | None = None, **pdf_options) -> bytes:
    """The whole report as a PDF of page pictures, with no text layer (a scan)."""
    pages = _pages(render_pdf(report, **pdf_options), dpi, only_tables=False)
    pics = [degrade(im, Degradation.draw(None if seed is None else seed * 1000 + k)).convert("L")
            for k, im in enumerate(pages)]
    buf = io.BytesIO()
    fixed = time.gmtime(946_684_800)  # 2000-01-01: Pillow stamps the current time otherwise
    pics[0].save(buf, "PDF", save_all=True, append_images=pics[1:], resolution=float(dpi),
                 creationDate=fixed, modDate=fixed)
    return buf.getvalue()


__all__ = ["Degradation", "MAX_ROTATION", "degrade", "render_table_images", "render_scanned_pdf"]
