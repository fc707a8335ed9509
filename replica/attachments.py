"""Documents attached to report pages: PDF, DOCX, XLSX and XLS written by the project's own
renderers (``replica.render``) from the same blocks and tables as the report page, and DOC / WPS
stand-ins.

Real report pages attach the report as a PDF (全文/全真版), the tables as a spreadsheet, or the
whole thing as a Word or WPS file; some pages are nothing but a shell around one attachment or a
PDF viewer. The replica serves such files with the bytes a reader must handle:

* PDF (reportlab, CID font; tables fully ruled, three-line, row rules only or unruled), DOCX (python-docx), XLSX (openpyxl), XLS (BIFF8 in an OLE container):
  real documents holding the planted text and tables (:func:`render`);
* DOC and WPS: there is no writer for Word 97 / Kingsoft binaries in the project, so these are
  OLE compound files (signature ``D0 CF 11 E0 A1 B1 1A E1``) with a ``WordDocument`` stream that
  holds a plain note instead of a Word FIB. They are honest placeholders: a converter would need the
  real format, and the ground truth lists them in ``Truth.placeholders`` so no test expects text.

Rendering is lazy (see ``web.Resource``): building the web stays fast, bytes appear on first use.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from replica.render.sample import CanonicalReport

from .blocks import Block, Heading, Image, Para, TableRef
from .numbers import Tables

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "doc": "application/msword",
    "wps": "application/octet-stream",  # no registered type: servers send octet-stream
}
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FORMATS = tuple(CONTENT_TYPES)
ROLES = ("full_text", "tables", "appendix")
# How PDF attachments draw their tables, as real ones do: a full grid, only the three lines of a
# 三线表, rules between rows only, or no rules at all (columns known only from where text stands).
PDF_RULES = (True, True, "three_line", "horizontal", False)


@dataclass
class Attachment:
    """One file linked from a report page."""

    path: str  # where it is served on the site (absolute path, with the query for download scripts)
    href: str  # as written in the page (relative './P0….pdf', '/module/download/downfile.jsp?…')
    fmt: str  # one of FORMATS
    role: str  # one of ROLES
    name: str  # the file's display name ('2023年政府信息公开工作年度报告.pdf')
    link_text: str = ""  # the anchor text when it differs from ``name``
    viewer: bool = False  # shown in a PDF viewer <iframe> on the page, not (only) as a link

    @property
    def placeholder(self) -> bool:
        return self.fmt in ("doc", "wps")


class ReplicaReport(CanonicalReport):
    """A replica report as the renderers' :class:`CanonicalReport`: its tables keep the replica's
    printed cells and labels (via ``tables_html.spec``), its sections come from the page's blocks."""

    def __init__(self, title: str, agency: str, year: int, tables: Tables, sections, seed: int):
        super().__init__(title=title, agency=agency, year=year, template=tables.template,
                         tables=tables.values(), raw={}, row_labels={}, sections=sections, seed=seed)
        self._replica_tables = tables

    def spec(self, table: str):
        from .tables_html import spec

        return spec(self._replica_tables, table)


class _OneTable(ReplicaReport):
    """One table of a replica report, alone on its page (a screenshot of that table)."""

    def __init__(self, title: str, agency: str, year: int, tables: Tables, key: str):
        super().__init__("", agency, year, tables, [], seed_of(f"picture:{title}:{key}"))
        self._key = key

    def outline(self):
        return [("", [], self._key)]


def table_picture(title: str, agency: str, year: int, tables: Tables, key: str) -> bytes:
    """The PNG an agency pastes instead of table ``key``: the replica's printed table rendered to
    PDF and rasterised at 150 dpi with a mild seeded degradation (``replica.render.images``); a
    table running over two pages is stacked into one picture."""
    import io

    from PIL import Image as PILImage

    from replica.render.images import render_table_images

    report = _OneTable(title, agency, year, tables, key)
    pages = [PILImage.open(io.BytesIO(b)).convert("L")
             for b in render_table_images(report, dpi=150, seed=seed_of(f"degrade:{title}:{key}"), fmt="png",
                                          split_requests=False)]
    if len(pages) == 1:
        im = pages[0]
    else:
        im = PILImage.new("L", (max(p.width for p in pages), sum(p.height for p in pages)), 255)
        y = 0
        for page in pages:
            im.paste(page, (0, y))
            y += page.height
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def sections_of(blocks: list[Block]) -> list[tuple[str, list[str]]]:
    """Blocks as (heading, paragraphs) sections, the shape the format renderers print. Text before
    the first section heading goes under an empty heading; sub-section headings become paragraphs
    (the renderers know one heading level)."""
    out: list[tuple[str, list[str]]] = []
    for b in blocks:
        if isinstance(b, Heading) and b.level == 1:
            out.append((b.text, []))
        elif isinstance(b, (Heading, Para)):
            if not out:
                out.append(("", []))
            out[-1][1].append(b.text)
        elif isinstance(b, (TableRef, Image)):
            continue
    return out


def seed_of(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big")


def placeholder_bytes(fmt: str, name: str) -> bytes:
    from replica.render.xls import compound_file

    note = (f"nianbao replica placeholder for {name} ({fmt.upper()}). A real file here would be a "
            f"{'Word 97-2003' if fmt == 'doc' else 'Kingsoft WPS'} binary document; the replica has no "
            "writer for that format, so this OLE container holds only this note. Reading the real "
            "thing needs a converter such as LibreOffice or antiword.").encode("utf-16-le")
    data = compound_file(note, name="WordDocument")
    assert data.startswith(OLE_SIGNATURE)
    return data


def render(att: Attachment, title: str, agency: str, year: int, blocks: list[Block] | None,
           tables: Tables | None, key: str) -> bytes:
    """The bytes of ``att`` for a report (``blocks``/``tables`` as on its page)."""
    if att.placeholder:
        return placeholder_bytes(att.fmt, att.name)
    if tables is None:
        raise ValueError(f"{att.fmt} attachment {att.path} needs a report with tables")
    if tables.layout["requests"] != tables.layout["active"]:
        raise ValueError("the format renderers print one template era per report")
    report = ReplicaReport(title, agency, year, tables, sections_of(blocks or []), seed_of(key))
    if att.fmt == "pdf":
        from replica.render.pdf import render_pdf

        return render_pdf(report, split_requests=None, ruled=PDF_RULES[report.seed % len(PDF_RULES)])
    if att.fmt == "docx":
        from replica.render.docx import render_docx

        return render_docx(report, nested=False)
    if att.fmt == "xlsx":
        from replica.render.xlsx import render_xlsx

        return render_xlsx(report)
    if att.fmt == "xls":
        from replica.render.xls import render_xls

        return render_xls(report)
    raise ValueError(f"unknown attachment format {att.fmt!r}")


__all__ = ["Attachment", "CONTENT_TYPES", "FORMATS", "ROLES", "OLE_SIGNATURE", "ReplicaReport", "render",
           "placeholder_bytes", "sections_of", "table_picture"]
