"""Datasette plugin: serving a finished archive to the public, under load.

Loaded by ``nianbao serve`` through Datasette's ``--plugins-dir publish/plugins`` (see ``publish/__init__.py``).
``nianbao serve`` opens a finished archive immutable (``datasette -i``): SQLite then takes no locks and
Datasette knows the data cannot change while it runs. This plugin draws the consequences:

Counts computed once
    At start-up every table of an immutable database is counted once, and the counts are handed to
    Datasette as if ``datasette inspect`` had produced them: the unfiltered count of a table page
    (``select count(*) from cells``) is then never recomputed per request. Datasette's content hash
    (a SHA-256 of the whole file, read at start-up: minutes at a million reports) is left out; it
    only labels the index page.

Whole-table facets computed once
    The facets of a table page with no filter (the reports page's province, level, agency, year…)
    are the same for every reader of an immutable archive: those the metadata configures are
    computed at start-up, without the facet time limit, and any other the first time it is asked
    for (see ``WholeTableFacets``). A filtered page's facets are computed per request as before.

Views not counted
    A page of a view (``cell_values``, ``agency_summary``…) of an immutable archive is asked for with
    ``_nocount=1``: counting a view evaluates it over every row, seconds at a million reports on every
    page, while its rows come a page at a time (see ``_views_uncounted``).

Pages computed once per ``default_cache_ttl``
    A page of an immutable archive is the same for every anonymous reader until the server restarts,
    so a successful GET answer of at most ``cache_entry_kb`` is kept in memory (at most ``cache_mb`` in
    all, least recently used dropped first) for ``default_cache_ttl`` seconds, the time browsers are
    told they may keep it (``Cache-Control: max-age``). Concurrent requests for a page being computed
    wait for it instead of computing it again. Never cached: requests with a cookie or an
    ``Authorization`` header (a signed-in actor may see other things), answers that set a cookie or
    say ``private``/``no-store``, any status but 200, streamed CSV (``_stream``), and the archived
    copies under ``/-/capture/`` (their SHA-256 is checked on every request, see ``archived.py``).
    The header ``X-Nianbao-Cache: hit`` / ``miss`` says which. With a mutable database (``nianbao
    serve --live``) nothing is cached.

Static files cached by browsers
    ``/static/…`` (``publish/static``), ``/-/static/…`` (Datasette's) and ``/-/static-plugins/…`` get
    ``Cache-Control: public, max-age=86400``; asked for with the file's content hash (``?v=<hash>``,
    as ``reader.py`` links ``nianbao.css``) they are ``immutable`` for a year.

CSV streams in pages of 1,000 rows, sent in large pieces
    Datasette 0.65 streams ``.csv?_stream=on`` in pages of the table's page size (50 rows) unless the
    URL also says ``_size=max``: 235 pages, each with its own permission checks, for the demo's 11,740
    cells (2.8 s alone). Such a request is given ``_size=max`` (the same rows, in pages of
    ``max_returned_rows``: 0.45 s). And Datasette's CSV sends every row as its own ASGI message, each
    a trip through the server: body pieces are gathered up to 64 KiB before they are sent on.

No value larger than 32 MiB
    Every SQLite connection gets ``SQLITE_LIMIT_LENGTH`` = 32 MiB, so arbitrary SQL cannot build a
    gigabyte string or blob (``randomblob(1e9)``, ``group_concat`` over every report text) in memory;
    no stored value comes near it.

Configurable in metadata::

    plugins:
      nianbao-serving:
        cache_mb: 64          # 0: no page cache
        cache_entry_kb: 1024
"""
from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections import OrderedDict
from urllib.parse import parse_qsl

from datasette import hookimpl

from publish import STATIC, STATIC_MOUNT, file_hash

log = logging.getLogger(__name__)

PLUGIN = "nianbao-serving"
CACHE_MB = 64
CACHE_ENTRY_KB = 1024
CHUNK = 64 * 1024
MAX_VALUE_BYTES = 32 * 1024 * 1024
STATIC_PREFIXES = ("/static/", "/-/static/", "/-/static-plugins/")
STATIC_TTL = 86400
CACHE_HEADER = b"x-nianbao-cache"


@hookimpl
def prepare_connection(conn):
    try:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    except (AttributeError, sqlite3.Error):  # Python < 3.11 has no setlimit
        pass


def _immutable(datasette) -> list:
    return [db for name, db in datasette.databases.items()
            if not db.is_memory and not db.is_mutable and not name.startswith("_")]


def _all_immutable(datasette) -> bool:
    files = [db for name, db in datasette.databases.items() if not db.is_memory and not name.startswith("_")]
    return bool(files) and all(not db.is_mutable for db in files)


@hookimpl
def startup(datasette):
    async def inner():
        found = dict(datasette.inspect_data or {})
        for db in _immutable(datasette):
            if db.name in found:
                continue  # a real --inspect-file was given
            counts = await db.table_counts(limit=3600 * 1000)
            # no content hash: Datasette's is a SHA-256 of the whole file, minutes of reading at a
            # million reports before the first page; it only labels the index page and an ETag
            found[db.name] = {"hash": None, "size": db.size, "file": db.path,
                              "tables": {t: {"count": n} for t, n in counts.items() if n is not None}}
        if found:
            datasette.inspect_data = found
        for db in _immutable(datasette):
            await WholeTableFacets.install(datasette, db)

    return inner


# ------------------------------------------------------------------- facets of a whole table

# The SQL of Datasette 0.65's column facet (datasette/facets.py) over a table page with no filter:
# the inner select is the whole table, no where clause, no parameters.
_WHOLE_TABLE_FACET = re.compile(
    r"\s*select (?P<col>\S+) as value, count\(\*\) as count from \(\s*select [^()]*? from (?P<table>\S+)\s*\)"
    r"\s*where (?P=col) is not null\s*group by (?P=col) order by count desc, value limit (?P<limit>\d+)\s*", re.S)


def _name(sql_name: str) -> str:
    return sql_name[1:-1] if sql_name[:1] in "[\"`" else sql_name


class WholeTableFacets:
    """Facet counts of a whole table, computed once per process for an immutable database.

    The unfiltered table page is where most readers land, and its facets (province, level, agency,
    year… over every report) are the same for all of them until the server restarts; each is a scan of
    an index that grows with the archive (a million reports: a few hundred ms apiece, past Datasette's
    facet time limit). So, like the row counts above, they are computed at start-up for the facets the
    metadata configures, without the time limit, and any other whole-table facet the first time it is
    asked for. A filtered page's facets are computed as before, per request."""

    MAX_ENTRIES = 512

    def __init__(self, db):
        self.execute = db.execute  # Datasette's own
        self.execute_fn = db.execute_fn  # a connection of Datasette's, without its time limit
        self.memo: OrderedDict = OrderedDict()

    @classmethod
    async def install(cls, datasette, db) -> "WholeTableFacets":
        memo = cls(db)
        db.execute = memo.remembering
        size = int(datasette.setting("default_facet_size") or 30)
        for table in await db.table_names():
            for facet in (datasette.table_metadata(db.name, table) or {}).get("facets") or []:
                if isinstance(facet, str):
                    await memo.compute(table, facet, size + 1)
        return memo

    async def compute(self, table: str, column: str, limit: int):
        """One configured facet at start-up, however long it takes. Not through ``execute``: its
        ``custom_time_limit`` may only lower Datasette's limit, so a facet past a second (a table of
        millions of rows without an index on the column) was interrupted and stopped the server. A
        facet that fails is left to be computed per request, within the limit, as Datasette would."""
        from datasette.database import Results
        from datasette.utils import escape_sqlite

        col = escape_sqlite(column)
        sql = (f"select {col} as value, count(*) as count from {escape_sqlite(table)} where {col} is not null"
               f" group by {col} order by count desc, value limit {limit}")

        def run(conn):
            cur = conn.execute(sql)
            return Results(cur.fetchall(), False, cur.description)

        try:
            self.memo[(table, column, limit)] = await self.execute_fn(run)
        except sqlite3.Error as e:
            log.warning("facet %s of %s not computed at start-up: %s", column, table, e)

    async def remembering(self, sql, params=None, *args, **kw):
        m = _WHOLE_TABLE_FACET.fullmatch(sql) if not params else None
        if m is None:
            return await self.execute(sql, params, *args, **kw)
        # within the facet time limit, as asked: a facet that times out is not remembered
        return await self.remembered((_name(m["table"]), _name(m["col"]), int(m["limit"])), sql, params, *args, **kw)

    async def remembered(self, key, sql, *args, **kw):
        """The memo's answer for ``key``, else ``sql`` run once and remembered (least recently used
        dropped past ``MAX_ENTRIES``)."""
        if key not in self.memo:
            self.memo[key] = await self.execute(sql, *args, **kw)
            while len(self.memo) > self.MAX_ENTRIES:
                self.memo.popitem(last=False)
        self.memo.move_to_end(key)
        return self.memo[key]


# ------------------------------------------------------------------------------------ page cache

class PageCache:
    """Whole answers (start message, body) by key, bounded in bytes, each for ``ttl`` seconds."""

    def __init__(self, max_bytes: int, max_entry: int, ttl: float):
        self.max_bytes, self.max_entry, self.ttl = max_bytes, max_entry, ttl
        self.entries: OrderedDict = OrderedDict()  # key -> (expires, start message, body)
        self.size = 0
        self.pending: dict = {}  # key -> asyncio.Event of the request computing it

    def get(self, key):
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key, start, body: bytes) -> None:
        if len(body) > self.max_entry:
            return
        if key in self.entries:
            self._drop(key)
        self.entries[key] = (time.monotonic() + self.ttl, start, body)
        self.size += len(body)
        while self.size > self.max_bytes and self.entries:
            self._drop(next(iter(self.entries)))

    def _drop(self, key) -> None:
        _, _, body = self.entries.pop(key)
        self.size -= len(body)


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value
    return None


def _cache_key(scope):
    """The key of a request whose answer may be cached, or None."""
    if scope.get("method") != "GET":
        return None
    path = scope.get("path", "")
    if path.startswith("/-/capture/"):
        return None
    if _header(scope, b"cookie") is not None or _header(scope, b"authorization") is not None:
        return None
    query = scope.get("query_string") or b""
    if b"_stream" in query and any(k == "_stream" for k, _ in parse_qsl(query.decode("latin-1"))):
        return None
    raw = scope.get("raw_path") or path.encode("utf-8")
    return (scope.get("scheme"), _header(scope, b"host"), raw, query)


def _cacheable(start) -> bool:
    if start.get("status") != 200:
        return False
    for key, value in start.get("headers") or []:
        k = key.lower()
        if k == b"set-cookie":
            return False
        if k == b"cache-control" and (b"no-store" in value.lower() or b"private" in value.lower()):
            return False
    return True


def _with_headers(start, add: dict[bytes, bytes], replace: bool = False):
    """The start message with headers added (kept if present, unless ``replace``)."""
    names = {k.lower() for k, _ in start.get("headers") or []}
    headers = [(k, v) for k, v in start.get("headers") or [] if not (replace and k.lower() in add)]
    headers += [(k, v) for k, v in add.items() if replace or k not in names]
    return {**start, "headers": headers}


def _stream_in_pages(scope):
    """A ``.csv?_stream=…`` request without ``_size`` gets ``_size=max`` (see the module docstring)."""
    if not scope.get("path", "").endswith(".csv"):
        return scope
    query = scope.get("query_string") or b""
    args = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if not any(k == "_stream" and v for k, v in args) or any(k == "_size" for k, _ in args):
        return scope
    return {**scope, "query_string": query + (b"&" if query else b"") + b"_size=max"}


_VIEWS: dict = {}


async def _views_uncounted(datasette, scope):
    """A page of a view of an immutable database gets ``_nocount=1``: a view's count evaluates the
    view over every row it has (``cell_values`` joins every cell of every report: seconds at a
    million reports, on every page), while its rows come a page at a time. Tables keep their counts
    (computed once at start-up, or counted from an index when filtered)."""
    if scope.get("method") != "GET":
        return scope
    parts = scope.get("path", "").strip("/").split("/")
    if len(parts) != 2:
        return scope
    name, view = parts[0], parts[1].rsplit(".", 1)[0] if parts[1].endswith((".json", ".csv")) else parts[1]
    db = datasette.databases.get(name)
    if db is None or db.is_mutable or db.is_memory:
        return scope
    if name not in _VIEWS or _VIEWS[name][0] is not db:
        _VIEWS[name] = (db, set(await db.view_names()))
    query = scope.get("query_string") or b""
    if view not in _VIEWS[name][1] or b"_nocount" in query:
        return scope
    return {**scope, "query_string": query + (b"&" if query else b"") + b"_nocount=1"}


def _coalescing(send):
    """``send`` with the pieces of a streamed body gathered into CHUNK-sized messages."""
    pieces: list[bytes] = []
    size = 0

    async def out(message):
        nonlocal size
        if message.get("type") == "http.response.body":
            body = message.get("body") or b""
            if message.get("more_body"):
                if body:
                    pieces.append(body)
                    size += len(body)
                if size >= CHUNK:
                    joined = b"".join(pieces)
                    pieces.clear()
                    size = 0
                    await send({"type": "http.response.body", "body": joined, "more_body": True})
                return
            if pieces:
                pieces.append(body)
                message = {**message, "body": b"".join(pieces)}
                pieces.clear()
                size = 0
        await send(message)

    return out


def _static_headers(scope, start):
    if start.get("status") != 200:
        return start
    query = dict(parse_qsl((scope.get("query_string") or b"").decode("latin-1")))
    versioned = False
    path = scope.get("path", "")
    if query.get("v") and path.startswith(f"/{STATIC_MOUNT}/"):
        target = (STATIC / path[len(STATIC_MOUNT) + 2:]).resolve()
        versioned = target.is_relative_to(STATIC.resolve()) and file_hash(target) == query["v"]
    value = b"public, max-age=31536000, immutable" if versioned else f"public, max-age={STATIC_TTL}".encode()
    return _with_headers(start, {b"cache-control": value}, replace=True)


@hookimpl
def asgi_wrapper(datasette):
    config = datasette.plugin_config(PLUGIN) or {}
    state = {}

    def cache() -> PageCache | None:
        """The page cache, decided on first use (the databases are all attached by then)."""
        if "cache" not in state:
            ttl = int(datasette.setting("default_cache_ttl") or 0)
            mb = float(config.get("cache_mb", CACHE_MB))
            on = ttl > 0 and mb > 0 and _all_immutable(datasette)
            state["cache"] = PageCache(int(mb * 1024 * 1024), int(config.get("cache_entry_kb", CACHE_ENTRY_KB)) * 1024,
                                       ttl) if on else None
        return state["cache"]

    def wrap(app):
        async def serve(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            send = _coalescing(send)
            scope = _stream_in_pages(scope)
            scope = await _views_uncounted(datasette, scope)
            path = scope.get("path", "")
            if path.startswith(STATIC_PREFIXES):
                async def static_send(message):
                    if message.get("type") == "http.response.start":
                        message = _static_headers(scope, message)
                    await send(message)

                await app(scope, receive, static_send)
                return
            pages = cache()
            key = _cache_key(scope) if pages is not None else None
            if key is None:
                await app(scope, receive, send)
                return
            waited = pages.pending.get(key)
            if waited is not None:  # the same page is being computed: wait for it
                try:
                    await asyncio.wait_for(waited.wait(), 60)
                except asyncio.TimeoutError:
                    pass
            hit = pages.get(key)
            if hit is not None:
                await send(_with_headers(hit[1], {CACHE_HEADER: b"hit"}, replace=True))
                await send({"type": "http.response.body", "body": hit[2], "more_body": False})
                return
            if key in pages.pending:  # still computing after the wait: compute it here too
                await app(scope, receive, _with_cache_header(send))
                return
            done = pages.pending[key] = asyncio.Event()
            try:
                await app(scope, receive, _recording(send, pages, key))
            finally:
                pages.pending.pop(key, None)
                done.set()

        return serve

    return wrap


def _with_cache_header(send):
    async def out(message):
        if message.get("type") == "http.response.start":
            message = _with_headers(message, {CACHE_HEADER: b"miss"}, replace=True)
        await send(message)

    return out


def _recording(send, pages: PageCache, key):
    """``send`` that also keeps a cacheable answer (up to the entry limit) and stores it when complete."""
    kept: dict = {"start": None, "body": [], "size": 0}

    async def out(message):
        kind = message.get("type")
        if kind == "http.response.start":
            if _cacheable(message):
                message = _with_headers(message, {b"cache-control": f"max-age={int(pages.ttl)}".encode()})
                kept["start"] = message
            message = _with_headers(message, {CACHE_HEADER: b"miss"}, replace=True)
        elif kind == "http.response.body" and kept["start"] is not None:
            body = message.get("body") or b""
            kept["size"] += len(body)
            if kept["size"] > pages.max_entry:
                kept["start"] = None
                kept["body"] = []
            else:
                kept["body"].append(body)
                if not message.get("more_body"):
                    pages.put(key, kept["start"], b"".join(kept["body"]))
        await send(message)

    return out
