"""Datasette plugin: downloads that open right in Excel on Chinese Windows.

Loaded by ``nianbao serve`` through Datasette's ``--plugins-dir publish/plugins`` (see ``publish/__init__.py``).

``xlsx``
    An output renderer, so Datasette's own "This data as …" line on every table, view, query and row
    page links ``….xlsx``. The workbook holds every row the page's filters select (up to
    ``publish.xlsx.MAX_ROWS``, and says so when cut); see :mod:`publish.xlsx`.

CSV with a UTF-8 BOM: ``….csv?_bom=1``
    Excel decides a CSV's encoding from its first bytes; without the BOM (EF BB BF) it reads UTF-8 as
    GBK on Chinese Windows and every character turns to mojibake. The BOM is added by an ASGI wrapper
    around Datasette's own CSV, not by a second CSV writer, because Datasette's CSV already does the
    hard parts and keeps doing them: ``_stream=on`` (every row, streamed, bounded only by
    ``max_csv_mb``), ``_labels``, BLOB links, ``_dl``, permissions. The wrapper touches nothing but
    successful ``.csv`` answers whose URL has ``_bom=1`` (or on/true): it prefixes the first body
    chunk and adds 3 to a Content-Length if one was set. JSON and everything else pass through untouched.

    Discoverable as ``csv_excel`` in the same "This data as …" line: a second output renderer whose
    only answer is a redirect to ``….csv?_bom=1&_dl=1&_stream=on&_size=max`` (keeping the page's
    filters), so the reader lands on a plain, shareable CSV URL. The name has an underscore, not a
    hyphen, because Datasette's routes take a format only as ``\\w+`` (``.csv-excel`` would be read
    as part of the table name).

    Datasette's CSV still turns a cell beginning with ``=`` into a formula once Excel opens it, as it
    always did; the xlsx download is the one that neutralises those.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

from datasette import hookimpl
from datasette.utils import value_as_boolean

from publish import xlsx

BOM = b"\xef\xbb\xbf"
CSV_EXCEL = "csv_excel"
_CSV_EXCEL_DROPS = {"_next", "_bom", "_dl", "_stream", "_size", "_shape", "_trace"}


def _always():
    return True


def _csv_excel(datasette, request, data):
    """Send the reader on to Datasette's CSV of this page with the BOM, as a download, all rows."""
    # the raw path as the browser sent it (percent-encoded; Datasette reads it as latin-1)
    path = quote(request.path.encode("latin-1"), safe="/%~!$&'()*+,;=:@-._")
    if path.endswith("." + CSV_EXCEL):
        path = path[: -len(CSV_EXCEL)] + "csv"
    args = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True)
            if k not in _CSV_EXCEL_DROPS]
    args += [("_bom", "1"), ("_dl", "1"), ("_size", "max")]
    if datasette.setting("allow_csv_stream"):
        args.append(("_stream", "on"))
    return {"status_code": 302, "body": "", "content_type": "text/plain; charset=utf-8",
            "headers": {"location": f"{path}?{urlencode(args)}"}}


@hookimpl
def register_output_renderer(datasette):
    return [
        {"extension": xlsx.EXTENSION, "render": xlsx.render, "can_render": _always},
        {"extension": CSV_EXCEL, "render": _csv_excel, "can_render": _always},
    ]


def _wants_bom(scope) -> bool:
    if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
        return False
    args = parse_qsl((scope.get("query_string") or b"").decode("latin-1"), keep_blank_values=True)
    return any(k == "_bom" and value_as_boolean(v or "0") for k, v in args)


def _is_csv_answer(message) -> bool:
    if message.get("status") != 200:
        return False  # an error page stays as Datasette wrote it
    for key, value in message.get("headers") or []:
        if key.lower() == b"content-type":
            # text/csv with _dl, text/plain without; not _trace's text/html
            return value.lower().startswith((b"text/csv", b"text/plain"))
    return False


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_bom(scope, receive, send):
            if not _wants_bom(scope):
                await app(scope, receive, send)
                return
            pending = False

            async def send_with_bom(message):
                nonlocal pending
                if message["type"] == "http.response.start" and _is_csv_answer(message):
                    pending = True
                    headers = []
                    for key, value in message.get("headers") or []:
                        if key.lower() == b"content-length":
                            value = str(int(value) + len(BOM)).encode("latin-1")
                        headers.append((key, value))
                    message = {**message, "headers": headers}
                elif message["type"] == "http.response.body" and pending:
                    pending = False
                    message = {**message, "body": BOM + (message.get("body") or b"")}
                await send(message)

            await app(scope, receive, send_with_bom)

        return with_bom

    return wrap
