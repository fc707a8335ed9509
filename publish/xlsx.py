"""Excel workbooks of what a Datasette page shows, for readers who open downloads in Excel.

Why a workbook and not only CSV: Excel on Chinese Windows reads a BOM-less CSV as GBK (mojibake), turns
``=…`` text into formulas, long digit strings into ``1.23E+17`` and drops leading zeros. An .xlsx file
carries its own types, so Chinese stays Chinese, numbers stay numbers and text stays text.

Every value here came from a government website we do not control, so a string is always written as a
string cell: never as a formula (openpyxl would make ``=1+1`` one), never as an error value (``#N/A``),
and text that Excel would read as the start of a formula when edited (``= + - @``) also gets Excel's
"quote prefix", the stored form of a typed apostrophe.

The page shows 50 rows; the reader wants what the filters select. A table or view page is followed
through Datasette's own ``.json`` pagination (``_next``), the same path a reader's browser would take,
so filters, search, sort, hidden columns and permissions mean exactly what they mean on the page.
The walk stops at :data:`MAX_ROWS` and the workbook says so. Canned and arbitrary SQL queries have no
pagination in Datasette; their rows (up to ``max_returned_rows``) are what there is.

Memory stays flat: openpyxl's write-only mode streams rows to a temporary file with inline strings (no
shared-string table), one page of at most ``max_returned_rows`` rows is held at a time, and the finished
file is sent from a spooled temporary file rather than built up as one ``bytes``.
"""
from __future__ import annotations

import asyncio
import base64
import json
import math
import re
import tempfile
import unicodedata
import weakref
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote, urlencode

from datasette.utils.asgi import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

EXTENSION = "xlsx"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A bound on one download: a table page is followed page by page up to this many rows. Past it the
# streamed CSV (no bound but the server's max_csv_mb) is the way to everything.
MAX_ROWS = 100_000
#: Workbooks built at a time, per server: a workbook of MAX_ROWS rows is about a minute of one core
#: (the demo's 11,740 cells take ~3 s), so a few downloads at once would starve every page. Another
#: download waits its turn up to BUILD_WAIT seconds, then is told to come back (503, Retry-After).
MAX_BUILDS = 1
BUILD_WAIT = 30
_GATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> Semaphore
CELL_LIMIT = 32_767  # Excel's most characters in one cell (UTF-16 code units)
SHEET_TITLE_LIMIT = 31
NOTE_SHEET = "说明"
BEIJING = timezone(timedelta(hours=8), "北京时间")
# Excel keeps a double its 15 significant digits: larger integers (ID numbers, long codes) would be
# silently rounded, so they go in as text.
EXACT_INT = 10**15
FORMULA_START = ("=", "+", "-", "@")
# A request's own arguments that must not be forwarded to the .json pages we follow.
_NOT_FORWARDED = {"_next", "_size", "_shape", "_json", "_json_infinity", "_nl", "_trace",
                  "_nofacet", "_nocount", "_nosuggest", "_dl", "_stream", "_bom"}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILENAME_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_WIDTH_MIN, _WIDTH_MAX, _WIDTH_SAMPLE = 8, 60, 200
_CHUNK = 64 * 1024


# ---------------------------------------------------------------- values

def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def cell_text(s: str) -> str:
    """Text Excel can hold: no XML-illegal control characters, at most :data:`CELL_LIMIT` units."""
    s = ILLEGAL_CHARACTERS_RE.sub("", s)
    if len(s) * 2 <= CELL_LIMIT or _utf16_len(s) <= CELL_LIMIT:  # cheap test first
        return s
    suffix = f"…（已截断，原文共 {len(s)} 字）"
    keep = CELL_LIMIT - _utf16_len(suffix)
    # cut in UTF-16 units (Excel's count); a surrogate pair split in two is dropped whole
    head = s.encode("utf-16-le")[: keep * 2].decode("utf-16-le", errors="ignore")
    return head + suffix


def excel_value(value):
    """One Datasette cell as a value openpyxl writes with the right Excel type."""
    if value is None:
        return None
    if isinstance(value, dict):
        if "value" in value and "label" in value:  # an expanded foreign key (_labels=on)
            label = value["label"]
            return excel_value(value["value"] if label is None else label)
        if value.get("$base64"):  # a BLOB as the .json pages encode it
            try:
                size = len(base64.b64decode(value.get("encoded") or ""))
            except ValueError:
                size = 0
            return f"（二进制数据，{size} 字节）"
        return cell_text(json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < EXACT_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"（二进制数据，{len(bytes(value))} 字节）"
    if isinstance(value, (list, tuple)):
        return cell_text(json.dumps(value, ensure_ascii=False, default=str))
    return cell_text(str(value))


def display_width(value) -> int:
    """Columns Excel needs for the value's first line: CJK and full-width characters take two."""
    if value is None:
        return 0
    s = value if isinstance(value, str) else str(value)
    s = s.split("\n", 1)[0][:_WIDTH_MAX]
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def sheet_title(name: str | None) -> str:
    """A sheet name Excel accepts: none of []:*?/\\, no edge apostrophes, ≤31 characters, not History."""
    t = _SHEET_FORBIDDEN.sub("_", ILLEGAL_CHARACTERS_RE.sub("", name or ""))
    t = t.strip().strip("'").strip()[:SHEET_TITLE_LIMIT].strip().strip("'")
    if not t or t == NOTE_SHEET:
        return "数据"
    if t.lower() == "history":  # reserved by Excel
        return t + "_"
    return t


def content_disposition(name: str, extension: str = EXTENSION) -> str:
    """RFC 6266 / 5987: the real (possibly Chinese) name for today's browsers, an ASCII one for the rest."""
    name = _FILENAME_FORBIDDEN.sub("_", name or "").strip(" .") or "download"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "download"
    return (f'attachment; filename="{ascii_name}.{extension}"; '
            f"filename*=UTF-8''{quote(f'{name}.{extension}', safe='')}")


# ---------------------------------------------------------------- the workbook

class SheetWriter:
    """The data sheet: bold frozen header, column widths from the first rows, typed cells."""

    def __init__(self, title: str, columns: list[str], sample: list[list]):
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(sheet_title(title))
        self.rows = 0
        # write-only mode needs panes and widths before the first row
        self.ws.freeze_panes = "A2"
        for i, column in enumerate(columns, start=1):
            widest = max([display_width(column) + 2]
                         + [display_width(excel_value(row[i - 1])) for row in sample[:_WIDTH_SAMPLE]
                            if i - 1 < len(row)])
            self.ws.column_dimensions[get_column_letter(i)].width = min(max(widest + 2, _WIDTH_MIN), _WIDTH_MAX)
        bold = Font(bold=True)
        header = []
        for column in columns:
            c = self._cell(excel_value(column))
            if not isinstance(c, Cell):
                c = WriteOnlyCell(self.ws, value=c)
            c.font = bold
            header.append(c)
        self.ws.append(header)

    def _cell(self, value):
        if not isinstance(value, str) or not (value.startswith(FORMULA_START) or value in ERROR_CODES):
            return value
        c = WriteOnlyCell(self.ws, value=value)
        c.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error: text it is
        if value.startswith(FORMULA_START):
            c.quotePrefix = True
        return c

    def append(self, rows) -> None:
        for row in rows:
            self.ws.append([self._cell(excel_value(v)) for v in row])
            self.rows += 1

    def append_note_row(self, text: str) -> None:
        self.ws.append([WriteOnlyCell(self.ws, value=cell_text(text))])  # not counted in self.rows

    def add_note_sheet(self, items: list[tuple[str, object]]) -> None:
        ws = self.wb.create_sheet(NOTE_SHEET)
        ws.column_dimensions["A"].width = 14
        ws.column_dimensions["B"].width = 100
        bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
        for key, value in items:
            k = WriteOnlyCell(ws, value=key)
            k.font = bold
            k.alignment = Alignment(vertical="top")
            v = self._cell(excel_value(value))
            if not isinstance(v, Cell):
                v = WriteOnlyCell(ws, value=v)
            v.alignment = wrap
            ws.append([k, v])

    def save(self):
        """The finished file, spooled to disk past a few megabytes, positioned at its start."""
        f = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        self.wb.save(f)
        f.seek(0)
        return f


class FileResponse(Response):
    """A Response whose body is sent from a file in chunks, so a large workbook never sits in memory."""

    def __init__(self, file, size: int, headers=None, content_type=CONTENT_TYPE):
        super().__init__(body=b"", headers=headers, content_type=content_type)
        self.file, self.size = file, size

    async def asgi_send(self, send):
        headers = {**self.headers, "content-type": self.content_type, "content-length": str(self.size)}
        try:
            await send({"type": "http.response.start", "status": self.status,
                        "headers": [[k.encode("latin-1"), str(v).encode("latin-1")] for k, v in headers.items()]})
            while True:
                chunk = self.file.read(_CHUNK)
                more = len(chunk) == _CHUNK
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
                if not more:
                    break
        finally:
            self.file.close()


# ---------------------------------------------------------------- following Datasette's pages

def _forwarded_args(request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True)
            if k not in _NOT_FORWARDED]


async def _table_pages(datasette, request, database, table, rows, data, trouble: list):
    """The rows of every page the table page's filters select, one page at a time, from the first.

    A download started from page 3 (``_next`` in its URL) still starts at row 1: the reader asked for
    the data the filters select, not for the tail of it.
    """
    started_midway = bool(request.args.get("_next"))
    if not started_midway:
        yield rows
        nxt = data.get("next")
        if not nxt:
            return
    else:
        nxt = None
    base = datasette.urls.table(database, table, format="json")
    forwarded = _forwarded_args(request) + [("_size", "max"), ("_nofacet", "1"), ("_nocount", "1"),
                                            ("_nosuggest", "1"), ("_shape", "arrays")]
    # the pages are fetched as the reader: the same cookies and token
    headers = {k: v for k, v in request.headers.items() if k in ("authorization",)}
    while True:
        args = forwarded + ([("_next", nxt)] if nxt else [])
        r = await datasette.client.get(f"{base}?{urlencode(args)}", cookies=request.cookies, headers=headers)
        try:
            page = r.json()
        except ValueError:
            page = {}
        if r.status_code != 200 or not isinstance(page, dict) or "rows" not in page:
            message = page.get("error") if isinstance(page, dict) else None
            trouble.append(f"读取后续数据时出错（HTTP {r.status_code}{'：' + message if message else ''}）")
            return
        yield page["rows"]
        nxt = page.get("next")
        if not nxt:
            return


def _as_list(row, columns) -> list:
    # with _labels Datasette hands rows over as mappings (CustomRow; objects in .json even for
    # _shape=arrays); otherwise as sqlite3.Row or lists
    if isinstance(row, dict):
        return [row.get(c) for c in columns]
    return list(row)


async def _query_pages(rows):
    yield rows


def _page_url(datasette, request, fmt: str | None = None, extra=()) -> str:
    """This page's address (as HTML, or in another format), with its filters and without ours."""
    path = request.path  # as the browser sent it: base_url, tilde-encoding and all
    if path.endswith("." + EXTENSION):
        path = path[: -len(EXTENSION) - 1]
    if fmt:
        path += "." + fmt
    args = [(k, v) for k, v in _forwarded_args(request) if k != "_labels" or fmt] + list(extra)
    return datasette.absolute_url(request, path + (f"?{urlencode(args)}" if args else ""))


async def render(datasette, columns, rows, sql, query_name, database, table, request, data):
    """The ``xlsx`` output renderer: the page's rows, all of them, as one workbook; MAX_BUILDS at a time."""
    loop = asyncio.get_running_loop()
    gate = _GATES.get(loop)
    if gate is None:
        gate = _GATES[loop] = asyncio.Semaphore(MAX_BUILDS)
    try:
        await asyncio.wait_for(gate.acquire(), BUILD_WAIT)
    except asyncio.TimeoutError:
        return {"body": f"服务器正在生成其他 Excel 文件，请 {BUILD_WAIT} 秒后再试；也可以用 CSV 下载。",
                "status_code": 503, "content_type": "text/plain; charset=utf-8",
                "headers": {"retry-after": str(BUILD_WAIT)}}
    try:
        return await _render(datasette, columns, rows, sql, query_name, database, table, request, data)
    finally:
        gate.release()


async def _render(datasette, columns, rows, sql, query_name, database, table, request, data):
    if data.get("error"):
        return {"body": f"查询出错：{data['error']}", "status_code": 400,
                "content_type": "text/plain; charset=utf-8"}
    if not columns:
        return None  # a page without a result set (a database's front page): Datasette answers 404
    is_table = bool(table) and "next_url" in data  # table and view pages paginate; queries do not
    trouble: list[str] = []
    pages = (_table_pages(datasette, request, database, table, rows, data, trouble) if is_table
             else _query_pages(rows))
    bound = MAX_ROWS
    writer = None
    cut = False
    async for page in pages:
        page = [_as_list(row, columns) for row in page]
        if writer is None:
            writer = await asyncio.to_thread(SheetWriter, table or query_name or database, list(columns), page)
        # at exactly the bound the walk goes on one page: only a row past it makes the file cut
        room = bound - writer.rows
        if len(page) > room:
            page, cut = page[:room], True
        await asyncio.to_thread(writer.append, page)  # openpyxl is CPU work: off the event loop
        if cut:
            break
    if writer is None:  # started mid-way and the first page failed
        writer = await asyncio.to_thread(SheetWriter, table or query_name or database, list(columns), [])

    notes: list[tuple[str, object]] = [
        ("数据来源", _page_url(datasette, request)),
        ("导出时间", datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S（北京时间）")),
        ("行数", writer.rows),
    ]
    if sql and not is_table:  # a table's SQL is one page's (limit 51); its URL says what was asked
        notes.append(("SQL", sql))
        # Datasette hands every URL argument to a query as a parameter: keep the query's own
        params = {k: v for k, v in ((data.get("query") or {}).get("params") or {}).items()
                  if not k.startswith("_")}
        if params:
            notes.append(("参数", json.dumps(params, ensure_ascii=False, default=str)))
    warning = None
    if cut:
        csv_url = _page_url(datasette, request, fmt="csv",
                            extra=[("_stream", "on"), ("_bom", "1"), ("_dl", "1"), ("_size", "max")])
        total = data.get("filtered_table_rows_count")
        of = f"符合条件的共 {total} 行，" if isinstance(total, int) and total > bound else ""
        warning = (f"下载已截断：{of}本文件只包含前 {bound} 行（每次 Excel 下载最多 {bound} 行）。"
                   f"要下载全部数据，请用 CSV 全量下载（带 BOM，Excel 可直接打开）：{csv_url}"
                   "；或在页面上加筛选条件，分几次下载。")
    elif trouble:
        warning = f"下载不完整：{'；'.join(trouble)}。本文件只包含前 {writer.rows} 行，请稍后重试。"
    elif data.get("truncated") and not is_table:
        limit = datasette.setting("max_returned_rows")
        warning = (f"查询结果超过单次返回上限（{limit} 行），本文件只包含前 {writer.rows} 行。"
                   "可在 SQL 中用 limit 和 offset 分批导出。")
    if warning:
        notes.insert(0, ("注意", warning))
        await asyncio.to_thread(writer.append_note_row, f"（{warning}）")
    await asyncio.to_thread(writer.add_note_sheet, notes)
    f = await asyncio.to_thread(writer.save)
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    headers = {"content-disposition": content_disposition(table or query_name or database)}
    return FileResponse(f, size, headers=headers)
