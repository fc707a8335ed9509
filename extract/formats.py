"""Which document format some bytes are, and their plain text.

Formats are decided from the bytes first (magic numbers, zip members), then the declared content
type, then the file name: agencies serve PDFs as application/octet-stream and name DOCX files
.doc. OLE compound files (DOC, WPS, ET, and XLS that xlrd cannot read) go through LibreOffice
to DOCX / XLSX (:func:`convert_office`); where no converter is installed the document says so
instead of being dropped.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from lxml import etree

from extract.decode import binary_reason
from extract.grids.errors import UnreadableDocument
from extract.grids.safezip import open_package, read_member

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FORMATS = ("html", "pdf", "docx", "xlsx", "xls", "doc", "image", "text")  # and "binary": none of these
# Pictures agencies publish their tables as: PNG, JPEG, GIF, BMP (by their magic numbers).
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def sniff(data: bytes, content_type: str | None = None, filename: str | None = None) -> str:
    head = data[:2048]
    ctype = (content_type or "").lower()
    name = (filename or "").lower().split("?", 1)[0]
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(IMAGE_MAGIC[:4]) or (head[:2] == b"BM" and ctype.startswith("image/")):
        return "image"
    if head[:4] == b"PK\x03\x04":
        try:  # the central directory only: the reader decides whether the members are safe to read
            import zipfile

            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            names = set()
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "docx" if name.endswith(".docx") else "xlsx" if name.endswith(".xlsx") else "zip"
    if head[:8] == OLE:  # the family only: office_kind() tells WPS from DOC and ET from XLS
        return "xls" if office_kind(data, content_type, filename) in ("xls", "et") else "doc"
    if "html" in ctype or re.search(rb"<(html|!doctype|head|body|div|table|p)\b", head[:1024], re.I):
        return "html"
    if name.endswith((".htm", ".html", ".shtml", ".jsp")):
        return "html"
    if name.endswith((".txt", ".text")) or ctype.startswith("text/plain"):
        return "text"
    if name.endswith(".pdf") or "pdf" in ctype:
        return "pdf"  # let the PDF reader say what is wrong with it
    if binary_reason(data):
        return "binary"  # no format of ours, and not text in any encoding
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
    from extract.grids.pdf import MAX_PAGES, check_streams, pdf_error

    check_streams(data)
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise UnreadableDocument(f"PDF has {len(pdf.pages)} pages (limit {MAX_PAGES})")
            texts = []
            for page in pdf.pages:
                texts.append(page.extract_text() or "")
                page.flush_cache()
    except UnreadableDocument:
        raise
    except Exception as e:
        raise pdf_error(e) from None
    return "\n".join(texts), len(texts)


MAX_LAYOUT_PAGES = 80  # laying text out costs ~0.1 s a page; a report's tables sit in its first pages


def pdf_layout_text(data: bytes, max_pages: int = MAX_LAYOUT_PAGES) -> str:
    """The text layer as printed (columns kept by spaces, pages split by form feeds), for reading
    tables whose cells lost their borders: positions tell blank cells from missing ones."""
    from extract.grids.pdf import check_streams, pdf_error

    check_streams(data)
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return "\f".join((page.extract_text(layout=True) or "") for page in pdf.pages[:max_pages])
    except Exception as e:
        raise pdf_error(e) from None


def grid_text(grids) -> str:
    lines = []
    for g in grids:
        for r, row in enumerate(g.cells):
            cells = [t for c, t in enumerate(row) if t.strip() and g.origin[r][c] == (r, c)]
            if cells:
                lines.append(" | ".join(cells))
    return "\n".join(lines)


# ---------------------------------------------------------------- DOC / WPS / ET: OLE files via LibreOffice
#
# Agencies publish reports as Word 97-2003 files and, being Chinese agencies, as Kingsoft WPS Writer
# (.wps) and WPS Spreadsheets (.et) files. Current Kingsoft files are Word / Excel binaries inside an
# OLE compound file plus a few Kingsoft streams and properties, so LibreOffice's Word 97 and Excel 97
# import filters read them; the result is converted to DOCX / XLSX and read by the project's own
# readers (extract.grids.docx / .xlsx), so a DOC report yields the same cells as a DOCX one.
#
# LibreOffice is an untrusted-input parser with a process tree of its own, so every conversion:
# * gets its own throw-away profile (-env:UserInstallation in a fresh temporary directory). Two
#   soffice runs sharing a profile attach to one another through the profile's pipe, or block on its
#   lock; a fresh profile adds a few tenths of a second to the 1.3-2 s a conversion takes, so
#   isolation is cheaper than serialising conversions behind a file lock, and parallel extraction
#   stays parallel;
# * runs in its own session, bounded by a timeout after which the whole session (oosplash and the
#   soffice.bin it forks, plus anything carrying the conversion's private path) is killed, children
#   first so that oosplash reaps soffice.bin and no zombie is left to an init that may not reap;
# * forces the import filter chosen from the OLE streams: left to detect the type itself, LibreOffice
#   opens a damaged file as plain text and "converts" the garbage;
# * has no network. LibreOffice fetches an image a DOC links to (INCLUDEPICTURE) from any URL while
#   converting, so a hostile file could make the archive probe hosts it can reach. Where the system
#   allows it the converter runs in a network namespace of its own (``unshare -n``, or ``-rn``
#   without root), and always with every proxy (profile and environment) pointing at a dead port
#   on 127.0.0.1, which fails such fetches at once. (BlockUntrustedRefererLinks, also set, stops
#   them for ODF input but not for DOC.) The profile never updates links on load and disables
#   macros; conversion would not run them anyway: --convert-to loads without a MacroExecutionMode,
#   which LibreOffice reads as NEVER_EXECUTE.
# * is bounded in input (MAX_CONVERT_BYTES) and output (MAX_CONVERTED_BYTES), and its output must be
#   a package the project's zip checks accept, holding the main part.

OLE_KINDS = ("doc", "wps", "xls", "et")
LABELS = {"doc": "DOC", "wps": "WPS", "xls": "XLS", "et": "ET"}
MAX_CONVERT_BYTES = 40 * 1024 * 1024
MAX_CONVERTED_BYTES = 160 * 1024 * 1024  # the largest package extract.grids.safezip would inflate
CONVERT_TIMEOUT = 60.0  # seconds; a 100-page report converts in a few
_KSO = b"KSOProductBuildVer"  # the custom property every Kingsoft Office binary carries
_KINGSOFT_STREAMS = {"WpsCustomData", "ETExtData", "KSOTemplateDocerSaveRecord"}
_KINGSOFT_CTYPES = ("kswps", "kset", "wps-office", "ms-works")
_WORD_FILTERS = ((0xC1, "MS Word 97"), (0x68, "MS Word 95"), (0, "MS WinWord 6.0"))  # by FIB nFib
_DEAD_PORT = 9  # "discard": nothing listens there, so a proxied request fails at once
_DEAD_PROXY = f"http://127.0.0.1:{_DEAD_PORT}"
_SETTINGS = [  # (configuration path, property, value) written into every throw-away profile
    ("org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks", "true"),
    ("org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
    ("org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),  # very high
    ("org.openoffice.Office.Writer/Content/Update", "Link", "2"),  # never update links on load
    ("org.openoffice.Office.Calc/Content/Update", "Link", "2"),
    ("org.openoffice.Inet/Settings", "ooInetProxyType", "2"),  # manual proxies …
    *[("org.openoffice.Inet/Settings", f"ooInet{scheme}Proxy{part}", value)  # … all dead
      for scheme in ("HTTP", "HTTPS", "FTP") for part, value in (("Name", "127.0.0.1"), ("Port", str(_DEAD_PORT)))],
    ("org.openoffice.Inet/Settings", "ooInetNoProxy", ""),
]
_PROFILE_XCU = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<oor:items xmlns:oor="http://openoffice.org/2001/registry"'
                ' xmlns:xs="http://www.w3.org/2001/XMLSchema">\n'
                + "".join(f'<item oor:path="/{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value>'
                          f'</prop></item>\n' for path, name, value in _SETTINGS)
                + "</oor:items>\n")


class NeedsConverter(UnreadableDocument):
    """Readable in principle, but this machine has no tool for it."""


class _Ole:
    """The top level of an OLE compound file, read with xlrd's parser (already a dependency).

    ``error`` instead of an exception: a directory xlrd cannot read may still be one LibreOffice can.
    """

    def __init__(self, data: bytes):
        self.names: frozenset[str] = frozenset()
        self.error: str | None = None
        self._doc = None
        if data[:8] != OLE:
            self.error = "no OLE signature"
            return
        try:
            from xlrd.compdoc import CompDoc

            doc = CompDoc(data, logfile=io.StringIO())
            self.names = frozenset(doc.dirlist[i].name for i in doc.dirlist[0].children)
            self._doc = doc
        except Exception as e:  # noqa: BLE001 - xlrd fails with asserts, IndexError, RecursionError too
            self.error = f"{type(e).__name__}: {e}"[:200]

    def stream(self, name: str) -> bytes:
        if self._doc is None or name not in self.names:
            return b""
        try:
            return bytes(self._doc.get_named_stream(name) or b"")
        except Exception:  # noqa: BLE001
            return b""

    @property
    def word(self) -> bool:
        return "WordDocument" in self.names

    @property
    def sheet(self) -> bool:
        return "Workbook" in self.names or "Book" in self.names

    @property
    def kingsoft(self) -> bool:
        if self.names & _KINGSOFT_STREAMS:
            return True
        props = self.stream("\x05DocumentSummaryInformation")
        return _KSO in props or _KSO.decode().encode("utf-16-le") in props


def _ole_kind(ole: _Ole, data: bytes, content_type: str | None, filename: str | None) -> str:
    ctype = (content_type or "").lower()
    name = (filename or "").lower()

    def named(*exts: str) -> bool:  # the path, or a download script's ?filename=…
        return re.search(r"\.(?:%s)(?=$|[?&#])" % "|".join(exts), name) is not None

    kingsoft = ole.kingsoft or named("wps", "et") or any(k in ctype for k in _KINGSOFT_CTYPES)
    if ole.word:
        sheet = False
    elif ole.sheet:
        sheet = True
    else:  # directory unreadable or unusual: what the file says it is, then a byte heuristic
        sheet = (named("xls", "et") or any(k in ctype for k in ("excel", "spreadsheet", "kset", ".et"))
                 or b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in data[:65536] or b"Workbook" in data[:65536])
    if sheet:
        return "et" if kingsoft else "xls"
    return "wps" if kingsoft else "doc"


def office_kind(data: bytes, content_type: str | None = None, filename: str | None = None) -> str:
    """``doc``, ``wps``, ``xls`` or ``et`` for OLE bytes. :func:`sniff` answers only the family
    (``doc`` for word processing, ``xls`` for spreadsheets) because that is what the readers and the
    archive's ``format`` column distinguish; this says whose program wrote it. The streams decide the
    family (a DOC named .xls is a DOC); Kingsoft's streams and property, the name or the content type
    decide WPS / ET."""
    return _ole_kind(_Ole(data), data, content_type, filename)


def office_converter() -> str | None:
    """LibreOffice's command, if installed."""
    for name in ("soffice", "libreoffice"):
        if shutil.which(name):
            return name
    return None


def converter() -> str | None:
    """The DOC converter available here: LibreOffice (best, also WPS and ET) or antiword (DOC text)."""
    return office_converter() or ("antiword" if shutil.which("antiword") else None)


def convert_office(data: bytes, fmt: str, *, timeout: float = CONVERT_TIMEOUT, content_type: str | None = None,
                   filename: str | None = None) -> tuple[str, bytes | None, str]:
    """OLE office bytes (``fmt`` one of doc, wps, xls, et: what :func:`sniff` or
    :func:`office_kind` said) → ``(tool, converted bytes, new format)``.

    Word processing (DOC, WPS) becomes ``docx``, spreadsheets (XLS, ET) ``xlsx``; the file's streams
    overrule ``fmt`` on the family, so check the returned format. Without LibreOffice a word
    processing file falls back to antiword, which gives text only: ``("antiword", None, "doc")``,
    text via :func:`doc_text_antiword`. Raises :class:`NeedsConverter` when no tool can read it here,
    :class:`UnreadableDocument` (with the reason) when it cannot be converted.
    """
    if fmt not in OLE_KINDS:
        raise ValueError(f"convert_office: {fmt!r} is not one of {OLE_KINDS}")
    label = LABELS[fmt]
    if len(data) > MAX_CONVERT_BYTES:
        raise UnreadableDocument(f"{label} file of {len(data)} bytes is over the conversion limit of "
                                 f"{MAX_CONVERT_BYTES} bytes: refused")
    if data[:8] != OLE:
        raise UnreadableDocument(f"not a {label} file: no OLE compound-file signature (D0 CF 11 E0)")
    ole = _Ole(data)
    kind = _ole_kind(ole, data, content_type, filename or f"x.{fmt}")
    label = LABELS[kind]
    sheet = kind in ("xls", "et")
    if ole.error is None and not (ole.word or ole.sheet):
        shown = ", ".join(sorted(repr(n) for n in ole.names)[:8]) or "none"
        raise UnreadableDocument(f"OLE file with neither a WordDocument nor a Workbook stream (streams: {shown}): "
                                 f"not a Word/WPS document nor an Excel/ET workbook")
    tool = office_converter()
    if tool is None:
        if not sheet and shutil.which("antiword"):
            return "antiword", None, "doc"
        if sheet:
            raise NeedsConverter(f"{label} needs LibreOffice (`soffice`) to be converted; not installed")
        raise NeedsConverter(f"{label} needs a converter (LibreOffice `soffice` or `antiword`); none installed")
    if sheet:
        infilter = "MS Excel 5.0/95" if "Book" in ole.names and "Workbook" not in ole.names else "MS Excel 97"
        out_ext, out_filter, main = "xlsx", "Calc MS Excel 2007 XML", "xl/workbook.xml"
    else:
        fib = ole.stream("WordDocument")[:12]
        if len(fib) >= 12 and int.from_bytes(fib[10:12], "little") & 0x0100:
            raise UnreadableDocument(f"password-protected (encrypted) {label} file: cannot be read")
        n_fib = int.from_bytes(fib[2:4], "little") if len(fib) >= 4 else 0xC1
        infilter = next(f for floor, f in _WORD_FILTERS if n_fib >= floor)
        out_ext, out_filter, main = "docx", "MS Word 2007 XML", "word/document.xml"
    converted = _soffice(tool, data, "xls" if sheet else "doc", infilter, out_ext, out_filter, timeout, label,
                         ole.error)
    zf = open_package(converted, f"{out_ext.upper()} written by LibreOffice")
    read_member(zf, main, f"{out_ext.upper()} written by LibreOffice")
    return tool, converted, out_ext


def convert_doc(data: bytes, timeout: float = CONVERT_TIMEOUT) -> tuple[str, bytes | None]:
    """DOC/WPS bytes → (tool, DOCX bytes or None). With antiword only text comes back, as
    ``(\"antiword\", None)`` plus the text via :func:`doc_text_antiword`. Kept for callers that
    predate :func:`convert_office`."""
    tool, converted, new_fmt = convert_office(data, "doc", timeout=timeout)
    if converted is not None and new_fmt != "docx":
        raise UnreadableDocument("a spreadsheet (OLE Workbook stream) where a DOC was expected")
    return tool, converted


def spreadsheet_grids(data: bytes, filename: str | None = None, content_type: str | None = None) -> list:
    """Grids of an OLE spreadsheet (what :func:`sniff` calls ``xls``: Excel or WPS Spreadsheets).

    Excel's own files go to xlrd first: it reads BIFF in milliseconds without starting a process.
    Files Kingsoft wrote (ET, or XLS saved by WPS) go to LibreOffice first, whose Excel import meets
    far more foreign writers than xlrd's; either reader is the other's fallback, so an XLS xlrd
    refuses is still read where LibreOffice is installed. The message of a file neither can read
    gives both reasons."""
    from extract.grids.docx import grids_from_docx
    from extract.grids.xlsx import grids_from_xls, grids_from_xlsx

    kind = office_kind(data, content_type, filename) if data[:8] == OLE else "xls"

    def via_libreoffice():
        _, converted, new_fmt = convert_office(data, kind, content_type=content_type, filename=filename)
        return grids_from_xlsx(converted) if new_fmt == "xlsx" else grids_from_docx(converted)

    readers = [lambda: grids_from_xls(data)]
    if office_converter() is not None:
        readers.insert(0 if kind == "et" else 1, via_libreoffice)
    reasons = []
    for read in readers:
        try:
            return read()
        except UnreadableDocument as e:
            reasons.append(str(e))
    raise UnreadableDocument("; and ".join(reasons))


def _soffice(tool: str, data: bytes, in_ext: str, infilter: str, out_ext: str, out_filter: str, timeout: float,
             label: str, ole_error: str | None) -> bytes:
    exe = shutil.which(tool) or tool
    with tempfile.TemporaryDirectory(prefix="nianbao-office-") as tmp:
        root = Path(tmp)
        src, outdir, profile = root / f"in.{in_ext}", root / "out", root / "profile"
        src.write_bytes(data)
        outdir.mkdir()
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE_XCU, encoding="utf-8")
        argv = [*_no_network_prefix(), exe, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                "--norestore", "--nolockcheck", "--nologo", "--nodefault", f"--infilter={infilter}",
                "--convert-to", f"{out_ext}:{out_filter}", "--outdir", str(outdir), str(src)]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "TMPDIR": str(root), "LANG": "C.UTF-8",
               "SAL_USE_VCLPLUGIN": "svp", "no_proxy": "", "NO_PROXY": "",
               **{k: _DEAD_PROXY for k in ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy",
                                           "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "ALL_PROXY")}}
        try:
            stdout, stderr, rc = _run_bounded(argv, env, root, timeout, marker=str(root))
        except subprocess.TimeoutExpired:
            raise UnreadableDocument(f"LibreOffice took longer than {timeout:g} s to convert the {label} file: "
                                     f"stopped") from None
        except OSError as e:
            raise NeedsConverter(f"LibreOffice (`{tool}`) could not be started: {e}") from None
        out = outdir / f"in.{out_ext}"
        if not out.is_file():
            said = " ".join(line.strip() for line in (stdout + b"\n" + stderr).decode("utf-8", "replace").splitlines()
                            if line.strip() and "javaldx" not in line)  # a warning on every run without Java
            why = f"OLE directory unreadable: {ole_error}; " if ole_error else ""
            raise UnreadableDocument(
                f"LibreOffice could not read the {label} file with its {infilter!r} filter: damaged, or not "
                f"what its name says ({why}LibreOffice said: {said[:160] or 'nothing'}, exit {rc})")
        size = out.stat().st_size
        if size > MAX_CONVERTED_BYTES:
            raise UnreadableDocument(f"the {label} file converts to {size} bytes of {out_ext.upper()}: refused")
        return out.read_bytes()


_NETNS: tuple[str, ...] | None = None


def _no_network_prefix() -> tuple[str, ...]:
    """``unshare`` arguments that give the converter a network namespace of its own (loopback down),
    or nothing where the system forbids namespaces (containers without the capability, kernels that
    restrict unprivileged user namespaces); the profile still blocks external links then."""
    global _NETNS
    if _NETNS is None:
        _NETNS = ()
        unshare, true = shutil.which("unshare"), shutil.which("true")
        if unshare and true:
            for flags in (("-n",), ("-rn",)):
                try:
                    subprocess.run([unshare, *flags, true], capture_output=True, timeout=10, check=True)
                except (OSError, subprocess.SubprocessError):
                    continue
                _NETNS = (unshare, *flags)
                break
    return _NETNS


def _run_bounded(argv: list[str], env: dict, cwd: Path, timeout: float, marker: str) -> tuple[bytes, bytes, int]:
    """Run ``argv`` as a session leader; on timeout (TimeoutExpired re-raised) or after it ends, stop
    every process of the session or carrying ``marker`` (the conversion's private directory) in
    its command line, so nothing outlives the call."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        return stdout, stderr, proc.returncode
    except subprocess.TimeoutExpired:
        _stop_all(proc, marker)
        proc.communicate()
        raise
    finally:
        _stop_all(proc, marker)


def _stop_all(proc: subprocess.Popen, marker: str) -> None:
    def members() -> list[int]:
        # the session id is the leader's pid, which is free for reuse once the leader is reaped:
        # from then on only the private directory in the command line names our processes
        sid = proc.pid if proc.returncode is None else None
        return [pid for pid in _session_or_marked(sid, marker) if pid != proc.pid]

    if not Path("/proc/self/stat").exists():  # no procfs: the process group is all we can name
        if proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        return
    # children first: oosplash (the leader) reaps soffice.bin and then exits by itself
    for pid in members():
        _kill(pid)
    if proc.returncode is None:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill(proc.pid)
            proc.wait()
    deadline = time.monotonic() + 5
    while (left := members()) and time.monotonic() < deadline:  # orphans re-parented to init
        for pid in left:
            _kill(pid)
        time.sleep(0.05)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _session_or_marked(sid: int | None, marker: str) -> list[int]:
    """Live (not zombie) processes of session ``sid``, or whose command line holds ``marker``."""
    found = []
    needle = marker.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
            fields = stat[stat.rindex(b")") + 2:].split()
            if fields[0] in (b"Z", b"X"):
                continue
            if (sid is not None and int(fields[3]) == sid) or needle in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


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
