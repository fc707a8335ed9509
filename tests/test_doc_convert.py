"""DOC, WPS and ET files through LibreOffice: the same canonical values as the DOCX / XLSX they came
from, and a converter that stays inside its bounds.

The legacy files are written by LibreOffice itself from the project's renderers (render_docx →
``soffice --convert-to doc``, render_xlsx → ``--convert-to xls``), converted back with
:func:`extract.formats.convert_office` and read with the DOCX / XLSX grid readers and
``parse_tables``: every cell of the three tables must come back as rendered. LibreOffice cannot write
Kingsoft files; a WPS file here is a LibreOffice DOC with a Kingsoft stream name patched into its OLE
directory (all detection looks at) or merely named ``.wps``, and an ET file a LibreOffice XLS named
``.et``. Real soffice, no mocks; the module skips where LibreOffice is absent (`make test` installs it).
"""
from __future__ import annotations

import http.server
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import extract.formats as formats
from extract.document import read_document
from extract.formats import (OLE, NeedsConverter, convert_doc, convert_office, office_converter, office_kind,
                             sniff, spreadsheet_grids)
from extract.grids.docx import grids_from_docx
from extract.grids.errors import UnreadableDocument
from extract.grids.xlsx import grids_from_xlsx
from extract.tables import parse_tables
from replica.render import random_report, render
from tests.test_roundtrip import diff

SOFFICE = office_converter()
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (`soffice`) is not installed; "
                                                        "`make system-deps` installs it")
DOC_CASES = [(1, "2021", False), (2, "2019", False), (5, "2021", True)]  # seed, template, nested
SHEET_CASES = [(6, "2019"), (3, "2021")]
MARKER = "nianbao-office-"  # formats.convert_office's temporary directories, in every soffice argv


def write_legacy(sources: dict[str, bytes], ext: str, via: str | None = None) -> dict[str, bytes]:
    """``{name: bytes}`` converted by LibreOffice to ``ext`` (doc, xls), all files in one soffice run
    per step; ``via`` saves them in that format first."""
    with tempfile.TemporaryDirectory(prefix="nianbao-test-legacy-") as tmp:
        root = Path(tmp)
        paths = []
        for name, data in sources.items():
            (root / name).write_bytes(data)
            paths.append(root / name)

        def convert(to: str, files: list[Path], outdir: Path) -> list[Path]:
            subprocess.run([shutil.which(SOFFICE), f"-env:UserInstallation={(root / 'profile').as_uri()}",
                            "--headless", "--convert-to", to, "--outdir", str(outdir), *map(str, files)],
                           capture_output=True, timeout=600, check=True, env={**os.environ, "HOME": tmp})
            return [outdir / f"{f.stem}.{to}" for f in files]

        if via:
            paths = convert(via, paths, root / "via")
        written = convert(ext, paths, root / "out")
        return {name: out.read_bytes() for name, out in zip(sources, written)}


def write_doc(sources: dict[str, bytes]) -> dict[str, bytes]:
    """DOCX → DOC by LibreOffice, through ODT: LibreOffice 7.4 writes a DOC without any table when it
    exports a nested table it has just imported from DOCX (render_docx nests one report in ten inside
    a layout table); reloaded from ODT it writes them. Real DOCs come from Word and WPS, not from this
    export, so the detour only keeps the fixtures honest."""
    return write_legacy(sources, "doc", via="odt")


def as_kingsoft(doc: bytes) -> bytes:
    """A LibreOffice DOC whose ``\\x01Ole`` stream is renamed ``WpsCustomData``, the stream WPS Writer
    adds to the DOCs it saves (names are 64 UTF-16 bytes and a byte length in a 128-byte entry)."""
    old = "\x01Ole".encode("utf-16-le") + b"\0\0"
    new = "WpsCustomData".encode("utf-16-le") + b"\0\0"
    at = doc.find(old)
    assert at > 0 and at % 128 == 0, "no \\x01Ole directory entry to rename"
    out = bytearray(doc)
    out[at:at + 64] = new.ljust(64, b"\0")
    out[at + 64:at + 66] = len(new).to_bytes(2, "little")
    return bytes(out)


def assert_same_values(report, converted: bytes, new_fmt: str) -> None:
    grids = grids_from_docx(converted) if new_fmt == "docx" else grids_from_xlsx(converted)
    result = parse_tables(grids)
    d = diff(report.tables, result.tables)
    assert not d, (f"random_report({report.seed}, {report.template!r}) via {new_fmt}: {len(d)} cell(s) differ, "
                   f"first {d[:10]}; problems {result.problems[:5]}")
    assert result.template == report.template


def soffice_processes() -> dict[int, str]:
    """pid → state of every process (zombies too) started by a convert_office call."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()[0].decode()
            except (OSError, IndexError):
                continue
            if MARKER.encode() in cmd or (state == "Z" and b"soffice" in Path(f"/proc/{entry}/stat").read_bytes()):
                found[int(entry)] = state
    return found


@pytest.fixture(scope="module")
def docs():
    reports = {f"r{seed}-{tpl}.docx": (random_report(seed, tpl), nested) for seed, tpl, nested in DOC_CASES}
    written = write_doc({name: render(r, "docx", nested=nested) for name, (r, nested) in reports.items()})
    reports = {name: r for name, (r, _) in reports.items()}
    return [(reports[name], written[name]) for name in reports]


@pytest.fixture(scope="module")
def sheets():
    reports = {f"s{seed}-{tpl}.xlsx": random_report(seed, tpl) for seed, tpl in SHEET_CASES}
    written = write_legacy({name: render(r, "xlsx") for name, r in reports.items()}, "xls")
    return [(reports[name], written[name]) for name in reports]


# ---------------------------------------------------------------------------------------------
# the same values back

@pytest.mark.parametrize("case", range(len(DOC_CASES)))
def test_doc_converts_back_to_the_same_values(docs, case):
    report, doc = docs[case]
    assert doc[:8] == OLE and sniff(doc, None, "报告.doc") == "doc" and office_kind(doc) == "doc"
    started = time.monotonic()
    tool, converted, new_fmt = convert_office(doc, "doc")
    elapsed = time.monotonic() - started
    assert (tool, new_fmt) == (SOFFICE, "docx")
    assert_same_values(report, converted, new_fmt)
    assert elapsed < 30, f"one DOC took {elapsed:.1f} s"


def test_doc_through_read_document(docs):
    """The path extract.document takes for a DOC attachment today (sniff → convert → DOCX reader)."""
    report, doc = docs[0]
    parsed = read_document(doc, filename="2023年政府信息公开工作年度报告.doc",
                           content_type="application/msword")
    assert parsed.format == "doc"
    assert not {p.code for p in parsed.problems} & {"unreadable", "needs_converter"}, parsed.problems
    assert not diff(report.tables, parsed.tables)
    # the old entry point still answers DOCX bytes
    tool, converted = convert_doc(doc)
    assert tool == SOFFICE and converted[:2] == b"PK"


def test_wps_is_detected_and_converts_to_the_same_values(docs):
    report, doc = docs[1]
    # by name or content type alone: a Word binary WPS Writer saved as .wps
    assert office_kind(doc, None, "http://x.gov.cn/module/download/downfile.jsp?filename=a.wps") == "wps"
    assert office_kind(doc, "application/kswps", None) == "wps"
    assert sniff(doc, None, "a.wps") == "doc"  # the family the readers know
    # by WPS Writer's own stream, whatever the name says
    wps = as_kingsoft(doc)
    assert office_kind(wps) == "wps" and office_kind(wps, None, "report.doc") == "wps"
    assert sniff(wps) == "doc"
    tool, converted, new_fmt = convert_office(wps, "wps", filename="report.wps")
    assert new_fmt == "docx"
    assert_same_values(report, converted, new_fmt)
    parsed = read_document(wps, filename="report.wps", content_type="application/octet-stream")
    assert not {p.code for p in parsed.problems} & {"unreadable", "needs_converter"}, parsed.problems
    assert not diff(report.tables, parsed.tables)


@pytest.mark.parametrize("case", range(len(SHEET_CASES)))
def test_et_and_xls_convert_to_the_same_values(sheets, case):
    report, xls = sheets[case]
    assert office_kind(xls) == "xls" and office_kind(xls, None, "表格.et") == "et"
    assert office_kind(xls, "application/wps-office.et", None) == "et"
    assert sniff(xls, None, "表格.et") == "xls" and sniff(xls, None, "named-wrongly.doc") == "xls"
    for fmt in ("et", "xls"):
        tool, converted, new_fmt = convert_office(xls, fmt, filename=f"表格.{fmt}")
        assert (tool, new_fmt) == (SOFFICE, "xlsx")
        assert_same_values(report, converted, new_fmt)


def test_spreadsheet_grids_routes(sheets):
    """ET through LibreOffice first, Excel's XLS through xlrd first; each the other's fallback."""
    report, xls = sheets[0]
    for name, source in (("表格.et", "xlsx"), ("表格.xls", "xls")):
        grids = spreadsheet_grids(xls, name)
        assert {g.source for g in grids} == {source}, name
        result = parse_tables(grids)
        assert not diff(report.tables, result.tables), name
    truncated = xls[: len(xls) // 2]
    with pytest.raises(UnreadableDocument) as e:
        spreadsheet_grids(truncated, "表格.xls")
    assert "; and LibreOffice could not read the XLS file" in str(e.value)


# ---------------------------------------------------------------------------------------------
# garbage, limits, missing tools

def test_garbage_is_a_clear_unreadable_problem(docs):
    _, doc = docs[0]
    truncated = doc[: len(doc) // 3]
    with pytest.raises(UnreadableDocument, match=r"LibreOffice could not read the DOC file .*damaged"):
        convert_office(truncated, "doc")
    rng = random.Random(7)
    noise = OLE + bytes(rng.randrange(256) for _ in range(20000))
    with pytest.raises(UnreadableDocument, match=r"OLE directory unreadable"):
        convert_office(noise, "doc")
    with pytest.raises(UnreadableDocument, match=r"no OLE compound-file signature"):
        convert_office(b"{\\rtf1 not an OLE file}", "wps")
    # a sound OLE file holding neither a Word nor an Excel stream: refused without starting soffice
    not_word = doc.replace("WordDocument".encode("utf-16-le"), "XordDocument".encode("utf-16-le"))
    with pytest.raises(UnreadableDocument, match=r"neither a WordDocument nor a Workbook stream"):
        convert_office(not_word, "doc")
    parsed = read_document(truncated, filename="附件1.doc")
    assert [p.code for p in parsed.problems] == ["unreadable"]
    assert "could not read the DOC file" in parsed.problems[0].message


def test_input_size_is_bounded(monkeypatch, docs):
    _, doc = docs[0]
    monkeypatch.setattr(formats, "MAX_CONVERT_BYTES", len(doc) - 1)
    with pytest.raises(UnreadableDocument, match=r"over the conversion limit .*refused"):
        convert_office(doc, "doc")


def test_without_any_converter_says_so(monkeypatch, tmp_path, docs, sheets):
    _, doc = docs[0]
    _, xls = sheets[0]
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice, no antiword
    with pytest.raises(NeedsConverter, match="none installed"):
        convert_office(doc, "doc")
    with pytest.raises(NeedsConverter, match=r"ET needs LibreOffice"):
        convert_office(xls, "et")
    assert {p.code for p in read_document(doc, filename="a.doc").problems} == {"needs_converter"}
    antiword = shutil.which("antiword", path="/usr/bin:/bin")
    if antiword:  # antiword alone: DOC still readable, as text
        (tmp_path / "antiword").symlink_to(antiword)
        assert convert_office(doc, "doc") == ("antiword", None, "doc")


# ---------------------------------------------------------------------------------------------
# bounded in time, no orphans, parallel, no network

def test_timeout_kills_the_whole_process_tree(docs):
    _, doc = docs[0]
    before = soffice_processes()
    seen: dict[int, str] = {}
    done = threading.Event()

    def watch():
        while not done.is_set():
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) not in before:
                    try:
                        cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
                    except OSError:
                        continue
                    if MARKER.encode() in cmd:
                        seen.setdefault(int(entry), cmd.split(b"\0")[0].decode().rsplit("/", 1)[-1])
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        with pytest.raises(UnreadableDocument, match=r"longer than 0.5 s .*stopped"):
            convert_office(doc, "doc", timeout=0.5)
    finally:
        done.set()
        watcher.join()
    assert time.monotonic() - started < 10
    assert "soffice.bin" in seen.values(), f"soffice.bin never started (saw {seen}): the kill was not tested"
    left = {pid: state for pid, state in soffice_processes().items() if pid not in before}
    assert not left, f"processes left behind (pid: state): {left}"


def test_two_conversions_in_parallel_threads(docs):
    results: dict[int, object] = {}

    def convert(i):
        try:
            results[i] = convert_office(docs[i][1], "doc")
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = e

    threads = [threading.Thread(target=convert, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for i in range(2):
        assert not isinstance(results[i], Exception), results[i]
        tool, converted, new_fmt = results[i]
        assert_same_values(docs[i][0], converted, new_fmt)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def _any(self):
        self.requests.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.end_headers()

    do_GET = do_HEAD = do_OPTIONS = do_PROPFIND = _any

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def linked_doc():
    """A DOC linking an image on a local HTTP server that records every request it gets."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/tracker.png"
    fodt = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text>
<text:p>年度报告<draw:frame draw:name="i1" svg:width="2cm" svg:height="2cm" text:anchor-type="as-char">
<draw:image xlink:href="{url}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>
</office:text></office:body></office:document>"""
    doc = write_legacy({"linked.fodt": fodt.encode()}, "doc")["linked.fodt"]
    assert url.encode("utf-16-le") in doc or url.encode() in doc, "the DOC lost its image link"
    yield doc, _Recorder.requests
    server.shutdown()


def test_conversion_makes_no_network_request(linked_doc, monkeypatch, tmp_path):
    doc, requests = linked_doc
    # control: LibreOffice left to itself fetches the linked image while converting
    requests.clear()
    (tmp_path / "in.doc").write_bytes(doc)
    subprocess.run([shutil.which(SOFFICE), f"-env:UserInstallation={(tmp_path / 'p').as_uri()}", "--headless",
                    "--convert-to", "docx", "--outdir", str(tmp_path / "out"), str(tmp_path / "in.doc")],
                   capture_output=True, timeout=120, check=True, env={**os.environ, "HOME": str(tmp_path)})
    time.sleep(0.2)
    assert requests, "control failed: plain soffice made no request, so this test proves nothing"
    # the converter: in its network namespace where the system allows one, and with the profile and
    # environment alone (dead proxies) where it does not
    for sandbox in (formats._no_network_prefix(), ()):
        monkeypatch.setattr(formats, "_NETNS", sandbox)
        requests.clear()
        tool, converted, new_fmt = convert_office(doc, "doc")
        time.sleep(0.2)
        assert new_fmt == "docx" and "年度报告" in formats.docx_text(converted)
        assert not requests, f"conversion with sandbox {sandbox or 'profile only'} made requests: {requests}"


# ---------------------------------------------------------------------------------------------
# many reports

@pytest.mark.slow
def test_many_random_reports_through_doc_and_et():
    rng = random.Random(2024)
    cases = [(rng.randrange(10_000), rng.choice(["2019", "2021"])) for _ in range(30)]
    reports = {f"m{i}-{seed}-{tpl}.docx": random_report(seed, tpl) for i, (seed, tpl) in enumerate(cases)}
    docs = write_doc({name: render(r, "docx") for name, r in reports.items()})
    sheet_names = list(reports)[:10]
    sheets = write_legacy({name.replace(".docx", ".xlsx"): render(reports[name], "xlsx") for name in sheet_names},
                          "xls")
    times = []
    for name, report in reports.items():
        started = time.monotonic()
        _, converted, new_fmt = convert_office(docs[name], "doc")
        times.append(time.monotonic() - started)
        assert_same_values(report, converted, new_fmt)
    for name in sheet_names:
        _, converted, new_fmt = convert_office(sheets[name.replace(".docx", ".xlsx")], "et")
        assert_same_values(reports[name], converted, new_fmt)
    print(f"\n{len(times)} DOC conversions: mean {sum(times) / len(times):.2f} s, max {max(times):.2f} s")
