"""Datasette plugin: the archived copy of a capture, served as it was fetched, and safely.

Loaded by ``nianbao serve`` through Datasette's ``--plugins-dir publish/plugins`` (see ``publish/__init__.py``).

The point of an archive is that a report which vanished from its site can still be read as it was
captured, so ``/-/capture/<id>`` answers with the stored bytes and the Content-Type the site sent
(``/-/capture/<id>/info`` answers the facts a citation needs, as JSON). Table pages link there: a
``capture_id`` cell anywhere, and the ``sha256`` cell of ``captures`` (Datasette never passes the
primary key of a table page to ``render_cell``, so ``id`` gets its link on the row page only).

Those bytes come from websites we do not control and may carry scripts, so every answer carries
``CSP`` below:

* ``sandbox`` with no ``allow-*`` token: the page gets an opaque origin, so nothing in it runs as the
  archive, reads its cookies or storage, submits forms, opens pop-ups or navigates the top window;
  scripts do not run at all;
* ``default-src 'none'`` with ``img-src data:`` and ``style-src 'unsafe-inline'``: the page can show
  its inline styles and embedded images but fetches nothing, neither from the archive (whose other
  URLs it could otherwise probe) nor from the live site or the internet (which would tell a third
  party who reads what, and would mix today's site into yesterday's capture);
* ``form-action 'none'`` repeats what sandbox implies, ``base-uri 'none'`` keeps a planted ``<base>``
  from pointing the page's links elsewhere, ``frame-ancestors 'self'`` lets the archive's own pages
  embed a copy and nobody else.

With ``X-Content-Type-Options: nosniff`` a browser keeps to the declared type (no text/plain turned
into HTML), and ``Referrer-Policy: no-referrer`` keeps a click on an archived link from telling the
agency's site where the reader came from. HTML, images and plain text are shown in the browser; anything
else is a download (``Content-Disposition: attachment``) named after the URL's last path segment. PDF
is a download too: Chrome and Safari refuse to start their PDF viewer in a sandboxed document (no
sandbox token re-enables it), so an inline PDF would show "blocked" instead of the report, and lifting
the sandbox for one type would make the safety of every capture depend on the label a website chose.

The database served may have any name: the first one holding a ``captures`` table is the archive.
Its blobs are found where ``crawler/archive.py`` puts them (``data/blobs`` beside the database),
unless configured::

    plugins:
      nianbao-archive:
        blobs: /srv/nianbao/data/blobs     # relative paths are relative to Datasette's working folder
        max_bytes: 209715200               # refuse (413) larger blobs rather than stream them

A blob is streamed in chunks, never read whole into memory, and its SHA-256 is checked first, so
the archive never presents damaged bytes as the capture.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import mimetypes
import os
import re
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import markupsafe
from datasette import hookimpl
from datasette.utils.asgi import Response

from publish import archive_database
from publish.blobpath import blob_path, default_root, is_sha256

PLUGIN = "nianbao-archive"
MAX_BYTES = 200 * 1024 * 1024
CHUNK = 256 * 1024
ID = re.compile(r"[0-9]{1,18}")  # digits only, and within SQLite's 64-bit integer
CSP = ("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
       "form-action 'none'; base-uri 'none'; frame-ancestors 'self'")
SAFETY = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
INLINE = ("text/html", "application/xhtml+xml", "text/plain")  # and image/*; not PDF, see above
# A media type as the site sent it, printable ASCII only: anything else could not be sent back as a header.
CONTENT_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;[\x20-\x7e]*)?")



@hookimpl
def register_routes():
    return [
        (r"^/-/capture/(?P<id>[^/]+)$", capture),
        (r"^/-/capture/(?P<id>[^/]+)/info$", capture_info),
    ]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if table == "captures" and column in ("id", "sha256"):
        cid, sha = _field(row, "id"), _field(row, "sha256")
        if not sha:
            return None
    elif column == "capture_id":
        cid = value.get("value") if isinstance(value, dict) else value
    else:
        return None
    if cid is None or not ID.fullmatch(str(cid)):
        return None

    async def link():
        name, _ = await _archive_db(datasette)
        if name != database:
            return None
        shown = value.get("value") if isinstance(value, dict) else value
        return markupsafe.Markup(
            '{} <a class="nianbao-capture" href="{}" title="按抓取时的原样查看（脚本不会运行）">存档副本</a>'
        ).format(shown, datasette.urls.path(f"/-/capture/{cid}"))

    return link


async def capture(request, datasette):
    found = await _lookup(request, datasette)
    if isinstance(found, Response):
        return found
    name, db, row = found
    cid = row["id"]
    sha = row.get("sha256")
    if not sha:
        if row.get("ok") and not row.get("error"):  # the site answered 2xx with an empty body
            return Response(b"", headers=_serve_headers(row, 0), content_type=_content_type(row))
        kept = await _copy_of_same_request(db, row)
        if row.get("status") == 304:
            return _page(datasette, 404, "没有存档字节",
                         "网站答复 304（未修改），这次抓取没有收到字节。", name, cid, kept)
        why = row.get("error") or (f"HTTP {row['status']}" if row.get("status") else "没有收到答复")
        return _page(datasette, 404, "抓取失败", f"抓取失败：{why}。这次抓取没有存下任何字节。",
                     name, cid, kept)
    if not is_sha256(sha):
        return _page(datasette, 500, "存档记录有误", "这条抓取记录的 SHA-256 不是有效的值，无法找到存档字节。", name, cid)
    path, size = _blob(datasette, name, db, sha)
    if size is None:
        return _page(datasette, 410, "存档字节不在本服务器上",
                     "这条抓取记录存在，但它的原始字节不在本服务器上（SHA-256："
                     f"{sha}）。可以用这个 SHA-256 向保存完整存档的服务器索取。", name, cid)
    limit = _max_bytes(datasette, name)
    if size > limit:
        return _page(datasette, 413, "存档文件过大",
                     f"这份存档有 {_mb(size)}，超过本服务器在线提供的上限 {_mb(limit)}（SHA-256：{sha}）。",
                     name, cid)
    if await asyncio.to_thread(_sha256_of, path) != sha:
        return _page(datasette, 500, "存档字节已损坏",
                     "本服务器上的存档字节与记录的 SHA-256 不符，为免以讹传讹，不予提供。", name, cid)
    return _Stream(path, size, _serve_headers(row, size), _content_type(row))


async def capture_info(request, datasette):
    found = await _lookup(request, datasette, as_json=True)
    if isinstance(found, Response):
        return found
    name, db, row = found
    sha = row.get("sha256")
    here = None
    if is_sha256(sha):
        here = _blob(datasette, name, db, sha)[1] is not None
    info = {k: row.get(k) for k in ("id", "url", "final_url", "status", "error", "kind", "content_type",
                                    "size", "sha256", "first_fetched_at", "last_fetched_at", "fetch_count")}
    info["archived_copy"] = datasette.absolute_url(request, datasette.urls.path(f"/-/capture/{row['id']}"))
    info["bytes_on_server"] = here
    return _json(info)


# ---------------------------------------------------------------------- finding things

async def _archive_db(datasette):
    db = await archive_database(datasette, "captures")
    return (db.name, db) if db is not None else (None, None)


async def _lookup(request, datasette, as_json=False):
    """(database name, database, capture row), or the error Response to send instead."""
    def fail(status, message):
        if as_json:
            return _json({"ok": False, "error": message}, status)
        return _page(datasette, status, "找不到这份存档", message)

    raw = request.url_vars["id"]
    if not ID.fullmatch(raw):
        return fail(404, "存档编号只能由数字组成。")
    name, db = await _archive_db(datasette)
    if db is None:
        return fail(404, "本站没有提供抓取记录（captures 表）。")
    await datasette.ensure_permissions(request.actor, [
        ("view-table", (name, "captures")), ("view-database", name), "view-instance"])
    result = await db.execute("select * from captures where id = ?", [int(raw)])
    row = result.first()
    if row is None:
        return fail(404, f"没有编号为 {raw} 的抓取记录。")
    return name, db, dict(row)


async def _copy_of_same_request(db, row):
    """The latest capture of the same request that did keep bytes: where a reader goes next."""
    if not row.get("request_key"):
        return None
    result = await db.execute(
        "select id, last_fetched_at from captures where request_key = ? and ok = 1"
        " and sha256 is not null order by last_fetched_at desc, id desc limit 1", [row["request_key"]])
    found = result.first()
    return dict(found) if found else None


def _blobs_root(datasette, name, db) -> Path | None:
    configured = (datasette.plugin_config(PLUGIN, database=name) or {}).get("blobs")
    if configured:
        return Path(configured)
    return default_root(db.path) if db.path else None


def _blob(datasette, name, db, sha):
    """(path, size on disk), size None when the bytes are not here."""
    root = _blobs_root(datasette, name, db)
    if root is None:
        return None, None
    path = blob_path(root, sha)
    try:
        st = path.stat()
    except OSError:  # missing, or a component that is not a folder
        return path, None
    if not path.is_file():
        return path, None
    return path, st.st_size


def _max_bytes(datasette, name) -> int:
    configured = (datasette.plugin_config(PLUGIN, database=name) or {}).get("max_bytes")
    try:
        return int(configured) if configured is not None else MAX_BYTES
    except (TypeError, ValueError):
        return MAX_BYTES


def _sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _field(row, key):
    try:
        return row[key]
    except (IndexError, KeyError):
        return None


# ---------------------------------------------------------------------- answers

def _content_type(row) -> str:
    ctype = (row.get("content_type") or "").strip()
    return ctype if CONTENT_TYPE.fullmatch(ctype) else "application/octet-stream"


def _serve_headers(row, size) -> dict:
    ctype = _content_type(row)
    media = ctype.split(";", 1)[0].strip().lower()
    shown = media in INLINE or media.startswith("image/")
    name = _filename(row.get("final_url") or row.get("url") or "", row["id"], media)
    headers = dict(SAFETY)
    headers.update({
        "content-length": str(size),
        "content-disposition": _disposition("inline" if shown else "attachment", name, row["id"]),
        "cache-control": "public, max-age=86400",  # a capture's bytes never change; its absence might
        "x-nianbao-capture": str(row["id"]),
    })
    if row.get("status") is not None:
        headers["x-nianbao-original-status"] = str(row["status"])
    return headers


def _filename(url: str, cid, media: str) -> str:
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1], errors="replace")
    last = re.sub(r"[\x00-\x1f\x7f/\\]", "", last).strip(" .")[:200]
    return last or f"capture-{cid}{mimetypes.guess_extension(media) or ''}"


def _disposition(kind: str, name: str, cid) -> str:
    """RFC 6266 with an RFC 5987 ``filename*`` for the real (often Chinese) name and a plain ASCII
    ``filename`` for clients that know only that."""
    if re.fullmatch(r"[A-Za-z0-9._-]+", name):
        plain = name
    else:
        ext = os.path.splitext(name)[1]
        plain = f"capture-{cid}{ext if re.fullmatch(r'[.A-Za-z0-9]{2,10}', ext) else ''}"
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


class _Stream(Response):
    """A Response whose body is a file sent in chunks (Datasette's own file sender sets its own
    Content-Disposition and reads 4 KB at a time on the event loop)."""

    def __init__(self, path: Path, size: int, headers: dict, content_type: str):
        super().__init__(None, 200, headers, content_type)
        self.path, self.size = path, size

    async def asgi_send(self, send):
        f = await asyncio.to_thread(open, self.path, "rb")
        try:
            headers = {**self.headers, "content-type": self.content_type}
            raw = [[k.encode("latin-1"), v.encode("latin-1")] for k, v in headers.items()]
            raw += [[b"set-cookie", c.encode("utf-8")] for c in self._set_cookie_headers]
            await send({"type": "http.response.start", "status": self.status, "headers": raw})
            left = self.size
            while left > 0:
                chunk = await asyncio.to_thread(f.read, min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
            if left:  # the file shrank under us: end the body rather than hang the client
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            f.close()


def _json(data, status=200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=2), status=status,
                    headers=dict(SAFETY), content_type="application/json; charset=utf-8")


def _page(datasette, status, title, message, name=None, cid=None, kept=None) -> Response:
    links = []
    if kept and kept["id"] != cid:
        links.append((datasette.urls.path(f"/-/capture/{kept['id']}"),
                      f"同一请求最近一次成功抓取的存档副本（{kept['last_fetched_at']}）"))
    if name and cid is not None:
        links.append((datasette.urls.row(name, "captures", str(cid)), "这条抓取记录"))
        links.append((datasette.urls.path(f"/-/capture/{cid}/info"), "抓取信息（JSON）"))
    links.append((datasette.urls.instance(), "返回首页"))
    items = "".join(f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>' for href, text in links)
    body = (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title)}</title>'
            '<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.6}'
            'code{word-break:break-all}</style></head>'
            f'<body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p><ul>{items}</ul></body></html>')
    return Response.html(body, status=status, headers=dict(SAFETY))


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"
