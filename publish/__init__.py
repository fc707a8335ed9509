"""Everything Datasette serves beyond the data, in the layout Datasette's own options expect.

``plugins/`` is loaded with ``--plugins-dir`` (one module a plugin, hooks only), ``templates/`` with
``--template-dir`` and ``static/`` with ``--static static:…``. Loading the plugins from a folder rather
than through an installed entry point keeps them to the archive's own Datasette: the CJK search
override never reaches another Datasette in the same environment.
"""
from __future__ import annotations

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


async def archive_database(datasette, table: str = "reports"):
    """The served database that holds the archive's ``table``, whatever its file is called
    (`nianbao serve --db other.db` serves it as "other"); None when no served database has it."""
    for name, db in list(datasette.databases.items()):
        if name.startswith("_"):  # _internal, _memory
            continue
        if await db.table_exists(table):
            return db
    return None
