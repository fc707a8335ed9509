"""Report texts as the archive stores them: zlib-compressed UTF-8.

A report's text is about 2,000 Chinese characters, 4.6 KB of UTF-8: the largest thing a report
keeps, a quarter of the archive at a million reports. zlib halves it (2.1 KB) and the rows then fit
whole in their pages instead of spilling into half-empty overflow pages. The archive keeps the packed
bytes in ``report_texts_zlib`` and shows them through the view ``report_texts`` (``report_id``,
``text``), which calls the SQL function ``nb_text``: every connection the project opens registers it
(``crawler.archive.Archive``, the Datasette plugin ``publish/plugins/reader.py``); any other client
unpacks the bytes with zlib (``zlib.decompress(z).decode()``).

Unpacking is bounded: the bytes are the archive's own, but a damaged or planted blob must not expand
without limit inside a page request.
"""
from __future__ import annotations

import sqlite3
import zlib

__all__ = ["pack", "unpack", "register", "SQL_FUNCTION", "MAX_UNPACKED"]

#: the SQL function the ``report_texts`` view calls
SQL_FUNCTION = "nb_text"
#: the most bytes a stored text unpacks to; a longer one is cut here (texts are far shorter: extract
#: keeps at most a few hundred KB of text a report)
MAX_UNPACKED = 16 * 1024 * 1024


def pack(text: str | None) -> bytes | None:
    return None if text is None else zlib.compress(text.encode("utf-8"), 6)


def unpack(blob: bytes | str | None) -> str | None:
    if blob is None or isinstance(blob, str):  # a text stored before packing, or by another tool
        return blob
    try:
        out = zlib.decompressobj().decompress(bytes(blob), MAX_UNPACKED)
    except zlib.error:
        return None
    return out.decode("utf-8", errors="replace")


def register(conn: sqlite3.Connection) -> None:
    conn.create_function(SQL_FUNCTION, 1, unpack, deterministic=True)
