"""Everything Datasette serves beyond the data, in the layout Datasette's own options expect.

``plugins/`` is loaded with ``--plugins-dir`` (one module a plugin, hooks only), ``templates/`` with
``--template-dir`` and ``static/`` with ``--static static:…``. Loading the plugins from a folder rather
than through an installed entry point keeps them to the archive's own Datasette: the CJK search
override never reaches another Datasette in the same environment.
"""
from __future__ import annotations

import hashlib
import weakref
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGINS = HERE / "plugins"
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_MOUNT = "static"


def datasette_options() -> list[str]:
    """The ``datasette serve`` options that load this folder (only the parts that hold files)."""
    opts = ["--plugins-dir", str(PLUGINS)]
    if TEMPLATES.is_dir() and any(TEMPLATES.iterdir()):
        opts += ["--template-dir", str(TEMPLATES)]
    if STATIC.is_dir() and any(STATIC.iterdir()):
        opts += ["--static", f"{STATIC_MOUNT}:{STATIC}"]
    return opts


_FOUND: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Datasette -> {table: Database}


#: Datasette settings for a public server, and why (``nianbao serve``; publish/README.md has the table).
#: The archive's pages look everything up by index and answer in milliseconds; the limits are for the
#: arbitrary SQL, filters and facets anyone may send.
SETTINGS = {
    # a list page of 50 rows; a JSON/CSV page of at most 1,000 rows, and a CSV stream of every row
    # (allow_csv_stream) in pages of that size, up to max_csv_mb
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "max_csv_mb": 100,
    # Datasette's own limits, 1 s per SQL statement and 200 ms per facet: every page offered answers
    # well within them at a million reports (bench/scale.py; the whole-table facets are computed
    # once at start-up, publish/plugins/serving.py). A query needing more is research for the
    # downloaded database (/archive.db), not for the shared server; a slower facet shows as timed out.
    "sql_time_limit_ms": 1000,
    "facet_time_limit_ms": 200,
    # no suggested facets: they cost a query per column (~30 on the reports page) on every table page
    "suggest_facets": "off",
    # SQL threads: the machine's cores and one more, so a slow query never holds every thread
    "num_sql_threads": 3,
    # list pages show cells cut to 160 characters (the reports page shows an excerpt of the text anyway)
    "truncate_cells_html": 160,
}
#: Browsers (and publish/plugins/serving.py's page cache) may keep a page of an immutable archive this
#: long; a live archive's pages for Datasette's default 5 s.
CACHE_TTL_IMMUTABLE = 600


def serve_settings(immutable: bool = True) -> list[str]:
    """The ``--setting`` options of ``nianbao serve``."""
    settings = {**SETTINGS, "default_cache_ttl": CACHE_TTL_IMMUTABLE if immutable else 5}
    return [arg for k, v in settings.items() for arg in ("--setting", k, str(v))]


async def archive_database(datasette, table: str = "reports"):
    """The served database that holds the archive's ``table``, whatever its file is called
    (`nianbao serve --db other.db` serves it as "other"); None when no served database has it.

    Remembered when that database is immutable (its tables cannot change while it is served): a
    table page calls this for every ``capture_id`` cell, and each look-up is a SQL query."""
    known = _FOUND.get(datasette, {}).get(table)
    if known is not None and datasette.databases.get(known.name) is known:
        return known
    for name, db in list(datasette.databases.items()):
        if name.startswith("_"):  # _internal, _memory
            continue
        if await db.table_exists(table):
            if not db.is_mutable:
                _FOUND.setdefault(datasette, {})[table] = db
            return db
    return None


_HASHES: dict = {}


def file_hash(path: Path) -> str | None:
    """The first 12 hex digits of a file's SHA-256 (remembered per size and modification time)."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _HASHES:
        _HASHES[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return _HASHES[key]


def static_url(datasette, name: str) -> str:
    """The URL of a file of ``static/`` with its content hash (``?v=…``), so that browsers may keep it
    for a year (``publish/plugins/serving.py``) and still get a changed file at once."""
    digest = file_hash(STATIC / name)
    url = datasette.urls.path(f"/{STATIC_MOUNT}/{name}")
    return f"{url}?v={digest}" if digest else url
