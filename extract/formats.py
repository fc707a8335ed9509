"""Which document format some bytes are, and their plain text.

Formats are decided from the bytes first (magic numbers, zip members), then the declared content
type, then the file name: agencies serve PDFs as application/octet-stream and name DOCX files
.doc. DOC/WPS (OLE compound files) need an external converter; where none is installed the
document says so instead of being dropped.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from lxml import etree

from extract.grids.errors import UnreadableDocument
from extract.grids.safezip import open_package, read_member

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FORMATS = ("html", "pdf", "docx", "xlsx", "xls", "doc", "text")


def sniff(data: bytes, content_type: str | None = None, filename: str | None = None) -> str:
    head = data[:2048]
    ctype = (content_type or "").lower()
    name = (filename or "").lower().split("?", 1)[0]
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        try:
            names = set(open_package(data, "office").namelist())
        except UnreadableDocument:
            names = set()
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "docx" if name.endswith(".docx") else "xlsx" if name.endswith(".xlsx") else "zip"
    if head[:8] == OLE:
        if name.endswith((".xls", ".et")) or "excel" in ctype or "spreadsheet" in ctype:
            return "xls"
        if b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in data[:65536] or b"Workbook" in data[:65536]:
            return "xls"
        return "doc"
    if "html" in ctype or re.search(rb"<(html|!doctype|head|body|div|table|p)\b", head[:1024], re.I):
        return "html"
    if name.endswith((".htm", ".html", ".shtml", ".jsp")):
        return "html"
    if name.endswith((".txt", ".text")) or ctype.startswith("text/plain"):
        return "text"
    if name.endswith(".pdf") or "pdf" in ctype:
        return "pdf"  # let the PDF reader say what is wrong with it
    return "text"


# ---------------------------------------------------------------- plain text per format

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(data: bytes) -> str:
    """Paragraphs in body order; a table's rows as ``cell | cell`` lines."""
    zf = open_package(data, "DOCX")
    xml = read_member(zf, "word/document.xml", "DOCX")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as e:
        raise UnreadableDocument(f"corrupt DOCX document.xml: {e}") from None
    body = root.find(f"{W}body")
    lines: list[str] = []

    def para(p) -> str:
        out = []
        for el in p.iter(f"{W}t", f"{W}tab", f"{W}br"):
            out.append(el.text or "" if el.tag == f"{W}t" else " ")
        return "".join(out).strip()

    def walk(el):
        for child in el:
            if child.tag == f"{W}p":
                t = para(child)
                if t:
                    lines.append(t)
            elif child.tag == f"{W}tbl":
                for tr in child.iter(f"{W}tr"):
                    cells = [" ".join(filter(None, (para(p) for p in tc.iter(f"{W}p"))))
                             for tc in tr.findall(f"{W}tc")]
                    if any(cells):
                        lines.append(" | ".join(c for c in cells if c))
            elif child.tag == f"{W}sdt":
                walk(child.find(f"{W}sdtContent") if child.find(f"{W}sdtContent") is not None else child)
    if body is not None:
        walk(body)
    return "\n".join(lines)


def pdf_text(data: bytes) -> tuple[str, int]:
    """(text, pages). Pages without a text layer (scans) come back empty: the caller says so."""
    if b"%%EOF" not in data[-2048:]:
        raise UnreadableDocument("truncated PDF (no %%EOF trailer at the end)")
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            texts = [(page.extract_text() or "") for page in pdf.pages]
    except Exception as e:
        raise UnreadableDocument(f"unreadable PDF: {type(e).__name__}: {e}") from None
    return "\n".join(texts), len(texts)


def grid_text(grids) -> str:
    lines = []
    for g in grids:
        for r, row in enumerate(g.cells):
            cells = [t for c, t in enumerate(row) if t.strip() and g.origin[r][c] == (r, c)]
            if cells:
                lines.append(" | ".join(cells))
    return "\n".join(lines)


# ---------------------------------------------------------------- DOC / WPS

def converter() -> str | None:
    """The DOC converter available here: LibreOffice (best, also WPS) or antiword."""
    for name in ("soffice", "libreoffice"):
        if shutil.which(name):
            return name
    if shutil.which("antiword"):
        return "antiword"
    return None


def convert_doc(data: bytes, timeout: int = 120) -> tuple[str, bytes | None]:
    """DOC/WPS bytes → (tool, DOCX bytes or None). With antiword only text comes back, as
    ``(\"antiword\", None)`` plus the text via :func:`doc_text`."""
    tool = converter()
    if tool is None:
        raise NeedsConverter("DOC/WPS needs a converter (LibreOffice `soffice` or `antiword`); none installed")
    with tempfile.TemporaryDirectory(prefix="nianbao-doc-") as tmp:
        src = Path(tmp) / "in.doc"
        src.write_bytes(data)
        if tool == "antiword":
            return tool, None
        try:
            subprocess.run([tool, "--headless", "--convert-to", "docx", "--outdir", tmp, str(src)],
                           capture_output=True, timeout=timeout, check=True,
                           env={"HOME": tmp, "PATH": "/usr/bin:/bin"})
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            raise UnreadableDocument(f"{tool} could not convert the DOC file: {e}") from None
        out = Path(tmp) / "in.docx"
        if not out.exists():
            raise UnreadableDocument(f"{tool} produced no DOCX (not a Word file?)")
        return tool, out.read_bytes()


def doc_text_antiword(data: bytes, timeout: int = 60) -> str:
    with tempfile.NamedTemporaryFile(suffix=".doc") as f:
        f.write(data)
        f.flush()
        try:
            out = subprocess.run(["antiword", "-m", "UTF-8.txt", f.name], capture_output=True,
                                 timeout=timeout)
        except subprocess.TimeoutExpired:
            raise UnreadableDocument("antiword timed out") from None
        if out.returncode != 0:
            raise UnreadableDocument(f"antiword: {out.stderr.decode('utf-8', 'replace').strip()[:200]}")
        return out.stdout.decode("utf-8", "replace")


class NeedsConverter(UnreadableDocument):
    """Readable in principle, but this machine has no tool for it."""
