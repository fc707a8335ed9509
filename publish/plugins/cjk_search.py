"""Datasette plugin: Chinese full-text search over unigram FTS5 tables.

Loaded by ``nianbao serve`` through Datasette's ``--plugins-dir publish/plugins`` (see ``publish/__init__.py``).

Datasette's table search (``?_search=`` and ``?_search_<column>=``, also the
search box on table pages) runs::

    <fts_pk> in (select rowid from <fts_table> where <fts_table> match escape_fts(:search))

where ``escape_fts`` is a SQL function registered by ``datasette.sql_functions``
in its ``prepare_connection`` hook. Our ``prepare_connection`` is
``trylast=True``, so pluggy calls it after the built-in one, and
``sqlite3.Connection.create_function`` with the same name and arity replaces
the earlier registration: ``escape_fts`` becomes ``extract.cjk.match_query``.
With table metadata ``fts_table: reports_fts`` and ``fts_pk: id`` the standard
search then finds 2-character words (民政, 复议) and exact substrings
(行政复议) in ``segment()``-indexed text.

Also registered, for canned queries:

* ``cjk_match(q)``   — same as ``match_query(q)``:
  ``select … from reports_fts where reports_fts match cjk_match(:q)``
* ``cjk_segment(text)`` — ``extract.cjk.segment(text)``, e.g. to index in SQL.
* ``cjk_snippet(text, q)`` — the words of ``q`` in context, marked 【like this】 (the index holds
  segmented text, so FTS5's own ``snippet()`` would show spaced-out characters).
* ``cjk_phrases(q)`` — every phrase of ``cjk_match(q)`` as a JSON array of ``[phrase, wanted]``,
  each phrase a MATCH expression, ``wanted`` false for an excluded one;
  ``cjk_title_match(q)`` — reports with a wanted phrase in the title; ``cjk_rank_phrase_reports()`` —
  how many reports make a phrase common. The ranked search uses them (``publish.pages.RANKED_HITS``).

Bounds: a Python function called from SQL runs to its end before SQLite can look at Datasette's
time limit again, so an unbounded argument (arbitrary SQL can build a 4M-character string) would hold
a SQL thread for tens of seconds. Every function here bounds its input first
(``extract.cjk.MAX_QUERY_CHARS``, ``MAX_TEXT_CHARS``): a query is searched by its first 1,000
characters, ``cjk_snippet`` reads the first 200,000 characters of a text, and ``cjk_segment`` refuses a
longer text with an error rather than index part of it.

Caveats:

* the override is instance-wide: every FTS table searched through this
  Datasette must be indexed with ``segment()`` (a plain unicode61 index of
  Latin text still works — a Latin term becomes the same quoted token the
  built-in ``escape_fts`` would produce — but a ``trigram`` index would not);
* ``?_searchmode=raw`` (or ``searchmode: raw`` in metadata) bypasses
  ``escape_fts`` entirely and sends the user's text to FTS5 as-is; do not
  enable raw mode for these tables.
"""

from __future__ import annotations

import json

from datasette import hookimpl

from extract import cjk
from extract.cjk import (MAX_QUERY_CHARS, MAX_TEXT_CHARS, NOTHING, marked_snippet, match_query, query_phrases, segment,
                         title_match)


def _bounded(value, limit: int) -> str | None:
    """A SQL argument as text, at most ``limit`` characters (cut before any conversion, so that a
    4 MB blob costs no more than a short one); None for NULL."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, bytes):
        return value[:limit * 4].decode("utf-8", "replace")[:limit]
    return str(value)[:limit]


def _match(q):
    try:
        return match_query(_bounded(q, MAX_QUERY_CHARS))
    except Exception:  # a SQL function must not raise: that would be a 500 / SQL error
        return NOTHING


def _segment(text):
    if text is None:
        return None
    if not isinstance(text, (str, bytes)):
        text = str(text)  # a number
    if len(text) > MAX_TEXT_CHARS:  # str: characters, bytes: bytes; either way nothing is converted yet
        raise ValueError(f"cjk_segment: text longer than {MAX_TEXT_CHARS} characters")
    try:
        return segment(text if isinstance(text, str) else _bounded(text, MAX_TEXT_CHARS))
    except Exception:
        return ""


def _phrases(q):
    try:
        return json.dumps(query_phrases(_bounded(q, MAX_QUERY_CHARS)), ensure_ascii=False)
    except Exception:
        return "[]"


def _title_match(q):
    try:
        return title_match(_bounded(q, MAX_QUERY_CHARS))
    except Exception:
        return NOTHING


def _rank_phrase_reports():
    return cjk.RANK_PHRASE_REPORTS  # read at each search, so a test can lower it


def _snippet(text, q):
    try:
        return marked_snippet(text[:MAX_TEXT_CHARS] if isinstance(text, str) else "",
                              _bounded(q, MAX_QUERY_CHARS) or "")
    except Exception:
        return ""


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, _match, deterministic=True)
    conn.create_function("cjk_match", 1, _match, deterministic=True)
    conn.create_function("cjk_segment", 1, _segment, deterministic=True)
    conn.create_function("cjk_snippet", 2, _snippet, deterministic=True)
    conn.create_function("cjk_phrases", 1, _phrases, deterministic=True)
    conn.create_function("cjk_title_match", 1, _title_match, deterministic=True)
    conn.create_function("cjk_rank_phrase_reports", 0, _rank_phrase_reports)
