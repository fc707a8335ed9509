"""Chinese full-text search on SQLite FTS5 by unigram indexing.

FTS5's ``unicode61`` tokenizer makes one token of a whole run of CJK
characters (``民政厅关于…`` is one token, so ``民政`` finds nothing), and the
``trigram`` tokenizer cannot match terms shorter than 3 characters. So we
index *unigrams*: ``segment()`` turns every CJK character into its own token,
and ``match_query()`` turns a user query into FTS5 phrases of adjacent
unigrams — a phrase ``"行 政 复 议"`` matches exactly where 行政复议 occurs
as a substring (punctuation and whitespace between characters are ignored,
as they are not tokens).

Index:  ``INSERT INTO reports_fts(rowid, title, text) VALUES (id, segment(title), segment(text))``
with ``CREATE VIRTUAL TABLE reports_fts USING fts5(title, text, tokenize='unicode61 remove_diacritics 2')``.

Query syntax accepted by ``match_query`` (a small, forgiving subset):

* whitespace (also ``,，、;；`` and parentheses) separates terms; terms are
  ANDed; parentheses do not group (``(民政 OR 预算)`` = ``民政 OR 预算``);
* each term is one phrase: its CJK characters must be adjacent, Latin words
  and numbers are whole tokens (``2023年`` -> ``"2023 年"``); ``abc*`` is a
  prefix search on the last Latin token;
* ``"…"`` a user-quoted phrase stays one phrase (spaces inside are ignored
  for CJK); an unclosed quote runs to the end of the query;
* ``A OR B`` (upper-case ``OR``, like FTS5) — OR binds tighter than the
  implicit AND: ``民政 预算 OR 决算`` = 民政 AND (预算 OR 决算);
* ``-term`` / ``-"phrase"`` / ``NOT term`` excludes; ``AND`` is accepted and
  ignored (implicit);
* everything else (``:``, ``^``, ``*`` alone, stray quotes,
  FTS5 keywords as words) is treated as punctuation, i.e. dropped.

Policy for queries with nothing to search for (empty, only punctuation, only
exclusions): ``match_query`` returns ``NOTHING`` (``'""'``, the empty phrase),
a valid FTS5 expression that matches no row. It never raises for a ``str``
and its output is always valid FTS5 syntax.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["segment", "match_query", "query_terms", "FTS_TOKENIZE", "NOTHING", "is_cjk", "MAX_QUERY_CHARS",
           "MAX_TEXT_CHARS", "excerpt", "EXCERPT", "query_phrases", "title_match", "RANK_PHRASE_REPORTS"]

#: tokenizer for the FTS5 tables holding ``segment()`` output
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
#: a valid FTS5 expression that matches nothing (the empty phrase)
NOTHING = '""'
#: Bounds on what the SQL functions of ``publish/plugins/cjk_search.py`` accept. A Python function
#: called from SQL cannot be interrupted by Datasette's time limit (SQLite checks it only between
#: its own steps), so each call is kept short: a query longer than ``MAX_QUERY_CHARS`` is searched
#: by its first ``MAX_QUERY_CHARS`` characters, a text longer than ``MAX_TEXT_CHARS`` is refused
#: (``cjk_segment``) or read only that far (``cjk_snippet``). Both are far above any real query or
#: report, and keep one call under ~0.1 s.
MAX_QUERY_CHARS = 1_000
MAX_TEXT_CHARS = 200_000
#: A phrase found in more reports than this is *common*. FTS5's ``bm25()`` weighs each phrase of a
#: query by the number of reports holding it, and counts them by reading every match of the phrase on
#: every search: for 行政复议, in nearly every report's table 4, that read grows with the archive
#: (0.6 s at a million reports). A query with a common phrase is therefore ranked without
#: ``bm25()`` over it (``publish/pages.py``, the canned ``search``): reports with a query word in the
#: title first, then by ``bm25()`` over the query's rarer phrases alone, then the most recent.
#: Telling common from rare reads at most this many matches a phrase.
RANK_PHRASE_REPORTS = 100_000

# CJK "characters that are words": Unified Ideographs + Ext A + Ext B–H,
# compatibility ideographs (those NFKC keeps), radicals, 々 〇 and Hangzhou
# numerals, kana and hangul syllables (harmless as unigrams).
_CJK = (
    "\u2e80-\u2eff\u2f00-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b"
    "\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
_CJK_RE = re.compile(f"[{_CJK}]")
# a token: one CJK char, or a run of other letters/digits (no underscore)
_TOKEN = re.compile(f"[{_CJK}]|(?:(?![{_CJK}])[^\\W_])+")


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text))


def segment(text: str | None) -> str:
    """The string to index: CJK characters as single tokens, Latin words/numbers whole.

    NFKC first (full-width ``２０２３``/``ＰＤＦ`` -> ``2023``/``PDF``, compatibility
    ideographs -> unified); punctuation (CJK and ASCII) and whitespace become
    single spaces. Case is left to the tokenizer.
    """
    if not text:
        return ""
    return " ".join(_tokens(text))


# ---------------------------------------------------------------- queries

_TERM_SEPS = set(",，、;；()（）")


def _lex(q: str):
    """-> list of (kind, value, negated, prefix); kind in term/phrase/or/not."""
    q = q.replace("\u201c", '"').replace("\u201d", '"').replace("\uff02", '"')  # “ ” ＂
    out = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace() or c in _TERM_SEPS:
            i += 1
            continue
        neg = False
        if c in "-－" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] not in _TERM_SEPS:
            neg = True
            i += 1
            c = q[i]
        if c == '"':
            close = q.find('"', i + 1)
            j = n if close < 0 else close
            phrase = q[i + 1:j]
            i = j + 1
            prefix = i < n and q[i] == "*"
            if prefix:
                i += 1
            out.append(("phrase", phrase, neg, prefix))
            continue
        j = i
        while j < n and not q[j].isspace() and q[j] not in _TERM_SEPS and q[j] != '"':
            j += 1
        word = q[i:j]
        i = j
        if not neg and word == "OR":
            out.append(("or", word, False, False))
        elif not neg and word == "NOT":
            out.append(("not", word, False, False))
        elif not neg and word == "AND":
            continue
        else:
            out.append(("term", word, neg, word.endswith("*")))
    return out


def _phrase(text: str, prefix: bool) -> str | None:
    toks = _tokens(text)
    if not toks:
        return None
    expr = '"' + " ".join(t.replace('"', '""') for t in toks) + '"'
    if prefix and not _CJK_RE.match(toks[-1]):
        expr += "*"
    return expr


def query_terms(q: str) -> tuple[list[list[str]], list[str]]:
    """Parse a query -> (AND-list of OR-groups of phrases, excluded phrases)."""
    groups: list[list[str]] = []
    excluded: list[str] = []
    pending_or = pending_not = False
    for kind, value, neg, prefix in _lex(q or ""):
        if kind == "or":
            pending_or = bool(groups)
            continue
        if kind == "not":
            pending_not = True
            continue
        expr = _phrase(value, prefix)
        if expr is None:
            continue
        if neg or pending_not:
            excluded.append(expr)
        elif pending_or and groups:
            groups[-1].append(expr)
        else:
            groups.append([expr])
        pending_or = pending_not = False
    return groups, excluded


def match_query(q: str | None) -> str:
    """A user query -> an FTS5 MATCH expression over ``segment()``-indexed columns.

    ``match_query('行政复议')`` -> ``'"行 政 复 议"'``;
    ``match_query('民政 预算 OR 决算 -复议')`` -> ``'("民 政" AND ("预 算" OR "决 算")) NOT "复 议"'``.
    Returns ``NOTHING`` when there is nothing to search for; never raises for str input.
    """
    if q is None:
        return NOTHING
    if not isinstance(q, str):
        q = str(q)
    groups, excluded = query_terms(q)
    if not groups:
        return NOTHING
    parts = [g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")" for g in groups]
    expr = " AND ".join(parts)
    if excluded:
        pos = expr if len(parts) == 1 else f"({expr})"
        neg = excluded[0] if len(excluded) == 1 else "(" + " OR ".join(excluded) + ")"
        expr = f"{pos} NOT {neg}"
    return expr


def query_phrases(q: str | None) -> list[tuple[str, bool]]:
    """Every phrase of ``match_query(q)``, each a MATCH expression of its own, and whether it is
    wanted (not excluded): excluded ones too, as ``bm25()`` reads the report counts of all."""
    groups, excluded = query_terms(q or "")
    wanted = list(dict.fromkeys(p for g in groups for p in g))
    return [(p, True) for p in wanted] + [(p, False) for p in dict.fromkeys(excluded) if p not in wanted]


def title_match(q: str | None) -> str:
    """A MATCH expression for reports whose title holds any wanted phrase of ``q`` (``NOTHING``
    when there is none)."""
    groups, _ = query_terms(q or "")
    wanted = list(dict.fromkeys(p for g in groups for p in g))
    return "{title} : (" + " OR ".join(wanted) + ")" if wanted else NOTHING


def highlight_pattern(q: str | None) -> re.Pattern | None:
    """A regex finding, in the original text, what ``match_query(q)`` matches in the index: each
    positive phrase's tokens in order, with only punctuation or spaces between them."""
    groups, _ = query_terms(q or "")
    alts = []
    for group in groups:
        for expr in group:
            toks = [tok.replace('""', '"') for tok in expr.rstrip("*").strip('"').split(" ") if tok]
            if toks:
                alts.append(r"[\W_]{0,3}".join(re.escape(tok) for tok in toks))
    if not alts:
        return None
    return re.compile("|".join(sorted(alts, key=len, reverse=True)), re.IGNORECASE)


def snippet(text: str | None, q: str | None, width: int = 40) -> list[tuple[str, bool]]:
    """A piece of ``text`` around the first match of ``q``, as (piece, is_match) pairs for a page to
    mark; without a match, the opening of the text."""
    text = re.sub(r"\s+", " ", text or "").strip()
    pattern = highlight_pattern(q)
    first = pattern.search(text) if pattern else None
    if first is None:
        cut = text[:width * 2]
        return [(cut + ("…" if len(text) > len(cut) else ""), False)]
    start = max(0, first.start() - width)
    end = min(len(text), first.end() + width * 2)
    out: list[tuple[str, bool]] = [("…", False)] if start else []
    pos = start
    for m in pattern.finditer(text, start, end):
        if m.end() > end or m.start() == m.end():
            continue
        out += [(text[pos:m.start()], False), (m.group(0), True)]
        pos = m.end()
    out.append((text[pos:end], False))
    if end < len(text):
        out.append(("…", False))
    return [(s, hit) for s, hit in out if s]


def marked_snippet(text: str | None, q: str | None, width: int = 40) -> str:
    """The snippet as plain text with matches in 【】, for CSV and JSON readers."""
    return "".join(f"【{s}】" if hit else s for s, hit in snippet(text, q, width))


EXCERPT = 90  # characters of a report's text its row keeps (the list pages show them)


def excerpt(text: str | None, n: int = EXCERPT) -> str:
    """The opening ``n`` characters, white space collapsed: what a report's row keeps of its text
    for the list pages (``reports.excerpt``), so listing reports never reads their texts."""
    text = text or ""
    head = text[:n * 8]
    t = re.sub(r"\s+", " ", head).strip()
    if len(t) <= n and len(head) < len(text):  # the opening was (nearly) all white space
        t = re.sub(r"\s+", " ", text).strip()
    return t if len(t) <= n else t[:n].rstrip() + "…"
