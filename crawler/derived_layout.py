"""How the tables extract derives from captures are laid out on disk, and the upgrade of older archives.

Issue 13 asks for under 20 KB per report at a million reports, without losing any cell or check a
reader can see. Measured at 10,000 synthetic reports (``python bench/scale.py 10000``), bytes per
report of the derived tables, before → after: cells 15,163 → 3,296, checks 10,615 → 1,951, the search
index's copy of the text 5,555 → 0; the archive 45 KB → 19 KB. How:

* ``cells`` and ``checks`` are ``WITHOUT ROWID`` tables keyed by (report, a small integer): a rowid
  table stores a composite primary key twice (the table and its automatic index), and the text codes
  of that key (``requests`` / ``new_received`` / ``natural_person``; rule and scope) were most of
  each row. The codes a reader sees are **generated columns** (``VIRTUAL``: computed when read,
  stored nowhere), sliced from one constant of every code in ``extract.schema`` order, so every
  ``select``, filter, facet, view, CSV and Datasette page reads the same columns as before. A cell's
  ``kind`` likewise (``kind_code``). Codes the schema does not know are numbered after its cells in
  ``cell_keys`` (which ``cell_values`` joins) and kept in the row's ``other_key``.
* A check's ``compared`` is generated from ``vals`` (its numbers alone, a JSON array) and ``terms``
  (which list of names, in the order the checks take them); its ``explanation`` from the same, by the
  rule's sentence (``extract.checks.explain`` in SQL). :func:`write_checks` reads every row back and
  stores the text itself (``vals`` as the JSON, ``explanation_text``) wherever the generated one would
  differ in one character (a float SQLite prints otherwise, a not-assessable check's reason), so what a
  reader sees is exactly what extract wrote. ``compared`` is compact JSON (no spaces).
* The search index ``reports_fts`` is contentless (``content=''``): the index (what a search matches
  and ranks by) without a second, segmented copy of every title and text, which no page shows (pages
  show the report's text and ``cjk_snippet`` of it). Its rowid is ``reports.id``.

A contentless FTS5 table (SQLite 3.40 here, no ``contentless_delete``) forgets a row only when told
the exact values it indexed, so :func:`unindex` re-segments the report's stored title and text before
they change; ``extract.cjk.segment`` is therefore part of the index format: a change to it needs
``nianbao extract --full`` (which rebuilds the index), as a new ``EXTRACTOR_VERSION`` does.

The tables' statements follow ``extract/schema.py`` and ``extract/checks.py`` (the numbering of
cells, rule/scope pairs and term lists): when they change, :func:`upgrade` (run on every open, a few
catalogue reads when nothing changed) rewrites the tables by copying every row under the new
numbering, as it rewrites an older archive's. Nothing is re-extracted.
"""
from __future__ import annotations

import sqlite3

# a cell outside the canonical schema keeps its table, row and column here, joined by this character
OTHER_SEP = "\x1f"
# the columns a writer gives (the table, row and column are computed from key and other_key)
CELLS_WRITTEN = ("report_id", "key", "other_key", "raw", "value", "kind_code", "note", "capture_id", "source",
                 "confidence")


def _decoder(keys: list[tuple[str, ...]], parts: int):
    """part(i) → SQL of the i-th code of the row's ``key`` (1-based into ``keys``), or else of its
    ``other_key`` (the codes joined by :data:`OTHER_SEP`): a slice of one constant blob of the codes
    padded to one width (substr counts bytes in a blob: O(1), not O(offset) as in text)."""
    n, sep = len(keys), "char(31)"
    other, rest = [], "other_key"
    for i in range(parts):
        other.append(f"substr({rest}, 1, instr({rest}, {sep}) - 1)" if i < parts - 1 else rest)
        rest = f"substr({rest}, instr({rest}, {sep}) + 1)"

    def part(i: int) -> str:
        w = max(len(k[i]) for k in keys)
        packed = "".join(k[i].ljust(w) for k in keys).encode("ascii").hex()
        return (f"case when key between 1 and {n} then rtrim(cast(substr(x'{packed}', key * {w} - {w - 1}, {w})"
                f" as text)) else {other[i]} end")
    return part


def cell_keys() -> dict[tuple[str, str, str], int]:
    """(table, row, col) → the cell's key in ``cells``: its place in ``extract.schema.cell_labels``, from 1."""
    from extract import schema

    return {(c.table, c.row, c.col): k for k, c in enumerate(schema.cell_labels(), start=1)}


def cells_create(name: str = "cells") -> str:
    """``cells`` keyed by (report, cell number): the table, row and column a reader sees are generated
    columns (computed when read, never stored), each an O(1) slice of one constant blob of every
    code; a cell the schema does not know keeps its codes in ``other_key`` (key beyond the schema's). The
    statement changes when ``extract/schema.py`` changes its cells: :func:`upgrade` then rewrites the
    table under the new numbering."""
    part = _decoder(list(cell_keys()), 3)
    return (f'create table {name} (report_id integer not null references reports(id),'
            f' "table" text generated always as ({part(0)}) virtual,'
            f' "row" text generated always as ({part(1)}) virtual,'
            f' col text generated always as ({part(2)}) virtual,'
            f' raw text, value numeric, kind text generated always as ({_kind_sql()}) virtual, note text,'
            ' capture_id integer references captures(id), source text, confidence real,'
            ' key integer not null, other_key text, kind_code,'
            ' primary key (report_id, key)) without rowid')


def _kind_sql() -> str:
    """``kind`` from ``kind_code``: the number of one of ``extract.values.KINDS`` (from 1), or the kind
    itself (no declared type: a value is kept as given)."""
    from extract.values import KINDS

    return "case kind_code " + " ".join(f"when {i} then '{k}'" for i, k in enumerate(KINDS, start=1)) + " else kind_code end"


def kind_code(kind):
    from extract.values import KINDS

    return KINDS.index(kind) + 1 if kind in KINDS else kind


def cell_rows(conn: sqlite3.Connection, report_id: int, cells, capture_id, table_captures: dict) -> list[tuple]:
    """A report's cells as rows of :data:`CELLS_WRITTEN` (``cells`` are ``extract.tables.CellRecord``);
    a cell the schema does not know gets its key in ``cell_keys`` (:func:`extra_keys`)."""
    keys = cell_keys()
    extra = extra_keys(conn, {(c.table, c.row, c.col) for c in cells} - set(keys))
    out = []
    for c in cells:
        codes = (c.table, c.row, c.col)
        key = keys.get(codes) or extra[codes]
        out.append((report_id, key, None if codes in keys else OTHER_SEP.join(codes), c.raw, c.value,
                    kind_code(c.kind), c.note or None, table_captures.get(c.table, capture_id),
                    getattr(c, "source", None), getattr(c, "confidence", None)))
    return out


def write_cell_keys(conn: sqlite3.Connection, reset: bool = False) -> None:
    """The table ``cell_keys`` (key → table, row, col) that ``cell_values`` joins: a filter on a cell's
    codes finds its key there (a 226-row table, by a unique index) and then each report's cell by
    primary key, where ``cells``' generated codes would be computed for every cell of the archive
    (1.1 s against 0.07 s at 10,000 reports). Keys 1… are the schema's cells; a cell the schema does
    not know is numbered after them when first written. ``reset``: renumber (the schema changed)."""
    want = [(k, *codes) for codes, k in cell_keys().items()]
    conn.execute('create table if not exists cell_keys (key integer primary key, "table" text not null,'
                 ' "row" text not null, col text not null, unique ("table", "row", col))')
    if reset or conn.execute('select key, "table", "row", col from cell_keys where key <= ? order by key',
                             [len(want)]).fetchall() != want:
        conn.execute("delete from cell_keys")
        conn.executemany("insert into cell_keys values (?, ?, ?, ?)", want)


def extra_keys(conn: sqlite3.Connection, codes) -> dict[tuple[str, str, str], int]:
    """The keys of cells outside the schema, numbered after its cells the first time they are met."""
    out = {}
    for t, r, c in sorted(codes):
        conn.execute('insert or ignore into cell_keys ("table", "row", col) values (?, ?, ?)', [t, r, c])
        out[t, r, c] = conn.execute('select key from cell_keys where "table" = ? and "row" = ? and col = ?',
                                    [t, r, c]).fetchone()[0]
    return out


def cells_select(conn: sqlite3.Connection, source: str, report_id: str = "o.report_id",
                 exprs: dict[str, str] | None = None, joins: str = "") -> str:
    """SELECT of :data:`CELLS_WRITTEN` from ``source`` (alias ``o``, any layout: its table, row and col
    are read as text) joined with ``joins`` and ``cell_keys`` (codes the schema does not know are added
    to it first); ``exprs`` replace a column's expression."""
    from extract.values import KINDS

    conn.execute('insert or ignore into cell_keys ("table", "row", col) select distinct o."table", o."row", o.col'
                 f' from {source} o where o."table" is not null and o."row" is not null and o.col is not null'
                 ' order by 1, 2, 3')
    exprs = exprs or {}
    cols = {"report_id": report_id, "key": "k.key",
            "other_key": f'case when k.key > {len(cell_keys())} then o."table" || char(31) || o."row"'
                         ' || char(31) || o.col end',
            "kind_code": "coalesce(case o.kind " + " ".join(
                f"when '{k}' then {kind_code(k)}" for k in KINDS) + " end, o.kind)"}
    return ("select " + ", ".join(exprs.get(c, cols.get(c, f"o.{c}")) for c in CELLS_WRITTEN)
            + f' from {source} o {joins} join cell_keys k on k."table" = o."table" and k."row" = o."row"'
            " and k.col = o.col")


# compact JSON; a value that is not JSON (never written so, but old archives are data) stays as it is
CHECKS_COPY = {"compared": "case when json_valid(compared) then json(compared) else compared end"}
CHECKS_WRITTEN = ("report_id", "key", "other_key", "outcome", "detail", "explanation_text", "terms", "vals")
FTS_CREATE = ("create virtual table {name} using fts5(title, text, content = '',"
              " tokenize = 'unicode61 remove_diacritics 2')")
# json.dumps separators of checks.compared (Archive.save_checks)
COMPACT_JSON = (",", ":")


def check_shapes() -> tuple[dict[tuple[str, str], int], dict[tuple[str, ...], int]]:
    """The (rule, scope) pairs and the lists of compared terms (in the order checks take them) that
    ``extract.checks`` produces, each numbered from 1: found by running the checks on full tables of
    every template and on none, so the numbering follows the code. A check outside them is stored
    under its own codes (a negative key, its compared JSON whole)."""
    from extract import schema
    from extract.checks import run_checks

    pairs: dict = {}
    terms: dict = {}
    for era in (schema.T2019, schema.T2021):
        full: dict = {}
        for c in schema.cell_labels():
            if era in c.templates:
                full.setdefault(c.table, {}).setdefault(c.row, {})[c.col] = 1
        for chk in run_checks(full, era, full) + run_checks({}, era, {}):
            pairs.setdefault((chk.rule, chk.scope), len(pairs) + 1)
            terms.setdefault(tuple(chk.compared), len(terms) + 1)
    for r in schema.CHECK_RULES:
        pairs.setdefault((r.name, "table"), len(pairs) + 1)
    return pairs, terms


def _fmt_sql(x: str) -> str:
    """SQL of ``extract.checks._fmt`` (a whole float without its ``.0``) for the JSON value ``x``;
    where SQLite prints a number otherwise :func:`write_checks` finds it out and stores the text."""
    return (f"(case when typeof({x}) = 'real' and {x} = cast({x} as integer) and abs({x}) < 1e15"
            f" then cast(cast({x} as integer) as text) else cast({x} as text) end)")


def _explanation_sql(rule: str, names: tuple[str, ...]) -> str | None:
    """SQL of ``extract.checks.explain`` for a passed or failed check of ``rule`` comparing ``names``
    (from ``vals`` and ``outcome``), or None where it has no such form."""
    from extract import schema
    from extract.checks import _SIDES, _SUMS, _TOTALS

    spec = schema.CHECKS.get(rule)
    if spec is None or not names:
        return None
    at = {n: i for i, n in enumerate(names)}
    if rule in _SIDES:
        left, right = _SIDES[rule]
    elif rule in _TOTALS:
        total = _TOTALS[rule]
        left, right = tuple(n for n in names if n != total), (total,)
    else:
        return None
    if any(n.lstrip("-") not in at for n in (*left, *right)):
        return None

    def value(n: str) -> str:
        return f"coalesce(json_extract(vals, '$[{at[n.lstrip('-')]}]'), 0)"

    def words(ns) -> str:
        return "".join((" − " if n.startswith("-") else (" + " if i else "")) + schema.term_label(spec.table, n.lstrip("-"))
                       for i, n in enumerate(ns))

    def numbers(ns) -> str:
        return " || ".join((_json_text(" − " if n.startswith("-") else " + ") + " || " if i or n.startswith("-") else "")
                           + _fmt_sql(value(n)) for i, n in enumerate(ns))

    ok = "(case outcome when 'pass' then '=' else '≠' end)"
    if len(left) > 4:
        lhs_words = _SUMS.get(rule, f"{len(left)}项之和")
        lhs_nums = _fmt_sql("(" + " + ".join(value(n) for n in left) + ")")
    else:
        lhs_words, lhs_nums = words(left), numbers(left)
    blank = " || ".join(f"(case when json_type(vals, '$[{i}]') = 'null' then {_json_text(schema.term_label(spec.table, n) + '、')}"
                        " else '' end)" for i, n in enumerate(names))
    return (f"{_json_text(lhs_words + ' ')} || {ok} || {_json_text(' ' + words(right) + '：')} || {lhs_nums} || ' ' || {ok}"
            f" || ' ' || {numbers(right)} || (case when ({blank}) = '' then '' else '（空白按0计：' || rtrim({blank}, '、')"
            " || '）' end)")


def _json_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _explained_sql() -> str:
    """The generated explanation of a row: by its rule and term list, for passed and failed checks."""
    pairs, terms = _shapes()
    shapes = sorted((rule, k, _explanation_sql(rule, names)) for rule in {r for r, _ in pairs}
                    for names, k in terms.items())
    return ("case when terms is null or outcome not in ('pass', 'fail') then null else case rule || ' ' || terms "
            + " ".join(f"when '{rule} {k}' then {sql}" for rule, k, sql in shapes if sql) + " end end")


def checks_create(name: str = "checks") -> str:
    """``checks`` keyed by (report, check number): rule and scope generated from the number (as the
    cells' codes), ``compared`` generated from ``vals``, the numbers alone in the order of their
    term list ``terms`` (the names, 60 % of the bytes, are the same on every report). With ``terms``
    null, ``vals`` is the compared JSON itself: :func:`write_checks` stores it so whenever the
    generated text would differ in any character from the one written (a float SQLite prints
    otherwise, a value that is not a number)."""
    pairs, terms = _shapes()
    part = _decoder(list(pairs), 2)
    cases = " ".join(
        f"when {k} then " + ("'{}'" if not names else "json_object(" + ", ".join(
            f"{_json_text(n)}, json_extract(vals, '$[{i}]')" for i, n in enumerate(names)) + ")")
        for names, k in terms.items())
    explained = _explained_sql()
    return (f"create table {name} (report_id integer not null references reports(id),"
            f" rule text generated always as ({part(0)}) virtual,"
            f" scope text generated always as ({part(1)}) virtual,"
            " outcome text, detail text,"
            f" compared text generated always as (case when terms is null then vals else case terms {cases}"
            " end end) virtual,"
            f" explanation text generated always as (coalesce(explanation_text, {explained})) virtual,"
            " key integer not null, other_key text, terms integer, vals text, explanation_text text,"
            " primary key (report_id, key)) without rowid")


def write_checks(conn: sqlite3.Connection, report_id: int, checks) -> None:
    """Replace a report's checks (``extract.checks.Check``), each ``compared`` read back exactly as
    ``json.dumps`` writes it: one generated otherwise is stored whole instead."""
    import json

    from extract.checks import explain

    pairs, terms = _shapes()
    rows, want, extra = [], {}, 0
    for c in checks:
        text = json.dumps(c.compared, ensure_ascii=False, default=str, separators=COMPACT_JSON)
        key, other = pairs.get((c.rule, c.scope)), None
        if key is None:
            extra += 1
            key, other = -extra, OTHER_SEP.join((c.rule, c.scope))
        t = terms.get(tuple(c.compared))
        vals = text if t is None else json.dumps(list(c.compared.values()), ensure_ascii=False, default=str,
                                                 separators=COMPACT_JSON)
        rows.append((report_id, key, other, c.outcome, c.detail, None, t, vals))
        want[key] = (text, explain(c.rule, c.scope, c.outcome, c.detail, c.compared))
    conn.execute("delete from checks where report_id = ?", [report_id])
    conn.executemany(f"insert into checks ({', '.join(CHECKS_WRITTEN)}) values"
                     f" ({', '.join('?' * len(CHECKS_WRITTEN))})", rows)
    for key, compared, explanation in conn.execute(
            "select key, compared, explanation from checks where report_id = ?", [report_id]).fetchall():
        text, said = want[key]
        if compared != text:
            conn.execute("update checks set terms = null, vals = ? where report_id = ? and key = ?",
                         [text, report_id, key])
        if compared != text or explanation != said:  # the generated sentence reads from terms and vals
            conn.execute("update checks set explanation_text = ? where report_id = ? and key = ?",
                         [said, report_id, key])


_SHAPES: tuple | None = None


def _shapes():
    global _SHAPES
    if _SHAPES is None:
        _SHAPES = check_shapes()
    return _SHAPES


def _sql(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("select sql from sqlite_master where name = ?", [name]).fetchone()
    return row[0] if row else None


def check_key_maps(conn: sqlite3.Connection) -> None:
    """Temporary tables (rule, scope → key; term list as a JSON array → terms) for copying checks."""
    import json

    pairs, terms = _shapes()
    conn.execute("create temp table if not exists check_key_map (rule text, scope text, key integer,"
                 " primary key (rule, scope)) without rowid")
    conn.execute("create temp table if not exists check_terms_map (names text primary key, terms integer) without rowid")
    conn.execute("delete from temp.check_key_map")
    conn.execute("delete from temp.check_terms_map")
    conn.executemany("insert into temp.check_key_map values (?, ?, ?)", [(*k, v) for k, v in pairs.items()])
    conn.executemany("insert into temp.check_terms_map values (?, ?)", [
        (json.dumps(list(k), separators=COMPACT_JSON), v) for k, v in terms.items()])


def checks_select(source: str, report_id: str = "o.report_id", joins: str = "") -> str:
    """SELECT of :data:`CHECKS_WRITTEN` from ``source`` (alias ``o``, any layout: rule, scope and
    compared read as text). ``vals`` holds the numbers only where the term list is known; the
    caller then checks the generated ``compared`` against the source (:func:`_copy_checks`)."""
    compared = CHECKS_COPY["compared"].replace("compared", "o.compared")
    names = "(select json_group_array(j.key) from json_each(o.compared) j)"
    t = f"(select m.terms from temp.check_terms_map m where json_valid(o.compared) and m.names = {names})"
    vals = "(select json_group_array(j.value) from json_each(o.compared) j)"
    cols = {"report_id": report_id,
            "key": f"coalesce(k.key, -row_number() over (partition by {report_id}, k.key is null"
                   " order by o.rule, o.scope))",
            "other_key": "case when k.key is null then o.rule || char(31) || o.scope end",
            "outcome": "o.outcome", "detail": "o.detail", "explanation_text": "null",
            "terms": t, "vals": f"case when {t} is null then {compared} else {vals} end"}
    return ("select " + ", ".join(cols[c] for c in CHECKS_WRITTEN) + f" from {source} o {joins}"
            " left join temp.check_key_map k on k.rule = o.rule and k.scope = o.scope")


def _copy_checks(conn: sqlite3.Connection, explanation: bool) -> None:
    check_key_maps(conn)
    conn.execute(f"insert into checks ({', '.join(CHECKS_WRITTEN)}) " + checks_select("checks_old_layout")
                 + " order by 1, 2")
    fix_compared(conn, "checks_old_layout", explanation=explanation)


def fix_compared(conn: sqlite3.Connection, source: str, report_id: str = "o.report_id", joins: str = "",
                 explanation: bool = True) -> int:
    """After copying checks from ``source`` (:func:`checks_select`): where the generated ``compared``
    or ``explanation`` differs from the source's, the source's is stored. Returns the rows fixed."""
    compared = CHECKS_COPY["compared"].replace("compared", "o.compared")
    fixed = 0
    # a known check found by its key (one primary-key seek), the few others by their codes
    for match in ("x.key is not null and checks.key = x.key",
                  "x.key is null and checks.key < 0 and checks.rule = x.rule and checks.scope = x.scope"):
        x = (f"(select {report_id} as rid, k.key, o.rule, o.scope, {compared} as want"
             f"{', o.explanation' if explanation else ''} from {source} o {joins}"
             " left join temp.check_key_map k on k.rule = o.rule and k.scope = o.scope) x"
             f" where checks.report_id = x.rid and {match}")
        fixed += conn.execute(f"update checks set terms = null, vals = x.want from {x} and checks.terms is not null"
                              " and checks.compared is not x.want").rowcount
        if explanation:
            fixed += conn.execute(f"update checks set explanation_text = x.explanation from {x}"
                                  " and checks.explanation is not x.explanation").rowcount
    return fixed


def _aside(conn: sqlite3.Connection, name: str) -> None:
    """Rename a table to ``<name>_old_layout`` leaving the views and triggers that read it naming it."""
    conn.execute("pragma legacy_alter_table = on")
    try:
        conn.execute(f"alter table {name} rename to {name}_old_layout")
    finally:
        conn.execute("pragma legacy_alter_table = off")


def upgrade(conn: sqlite3.Connection) -> list[str]:
    """Rewrite an older archive's ``cells``, ``checks`` and search index into this layout, copying
    every row (nothing is re-extracted). Runs inside the caller's transaction; returns the tables
    rewritten (none on an archive already laid out so: then it costs three catalogue reads).

    The views and triggers that read these tables (``cell_values``, the wide table's triggers) keep
    naming them: with ``legacy_alter_table`` the old table is renamed aside without rewriting them, and
    the new table takes the name they use."""
    done = []
    sql = _sql(conn, "cells")
    rebuild = sql is not None and sql != cells_create("cells").replace("create table", "CREATE TABLE", 1)
    write_cell_keys(conn, reset=rebuild)
    if rebuild:
        _aside(conn, "cells")
        conn.execute(cells_create("cells"))
        have = {r[1] for r in conn.execute("pragma table_xinfo(cells_old_layout)")}
        copied = conn.execute(f"insert into cells ({', '.join(CELLS_WRITTEN)}) " + cells_select(
            conn, "cells_old_layout", exprs={c: "null" for c in ("source", "confidence") if c not in have})
            + " order by 1, 2").rowcount
        if copied != conn.execute("select count(*) from cells_old_layout").fetchone()[0]:
            # a cell without its codes (never written so): the caller's transaction leaves the archive as it was
            raise sqlite3.DatabaseError("cells: not every cell could be copied into the new layout")
        conn.execute("drop table cells_old_layout")
        done.append("cells")
    sql = _sql(conn, "checks")
    if sql is not None and sql != checks_create("checks").replace("create table", "CREATE TABLE", 1):
        have = {r[1] for r in conn.execute("pragma table_xinfo(checks)")}
        _aside(conn, "checks")
        conn.execute(checks_create("checks"))
        _copy_checks(conn, "explanation" in have)
        conn.execute("drop table checks_old_layout")  # its indexes with it: the caller makes them again
        done.append("checks")
    sql = _sql(conn, "reports_fts")
    if sql is not None and "content" not in sql.lower():
        # the stored segmented values are exactly what was indexed: copied, not segmented again
        conn.execute("drop table if exists reports_fts_new")
        conn.execute(FTS_CREATE.format(name="reports_fts_new"))
        conn.execute("insert into reports_fts_new (rowid, title, text) select rowid, title, text from reports_fts")
        conn.execute("drop table reports_fts")
        conn.execute("alter table reports_fts_new rename to reports_fts")
        done.append("reports_fts")
    return done


def indexed(conn: sqlite3.Connection, report_id: int) -> bool:
    """Whether the search index holds the report (its per-row sizes table, keyed by rowid)."""
    return conn.execute("select 1 from reports_fts_docsize where id = ?", [report_id]).fetchone() is not None


def unindex(conn: sqlite3.Connection, report_id: int) -> None:
    """Take a report out of the contentless search index, from its stored title and text as they
    are now (call before changing or deleting its row). A report not in the index is left alone:
    telling FTS5 to delete values it never indexed would corrupt the index."""
    from extract.cjk import segment

    if not indexed(conn, report_id):
        return
    row = conn.execute("select r.title, t.text from reports r left join report_texts t on t.report_id = r.id"
                       " where r.id = ?", [report_id]).fetchone()
    if row is None:
        return
    conn.execute("insert into reports_fts (reports_fts, rowid, title, text) values ('delete', ?, ?, ?)",
                 [report_id, segment(row[0] or ""), segment(row[1] or "")])


def index(conn: sqlite3.Connection, report_id: int, title: str | None, text: str | None) -> None:
    from extract.cjk import segment

    conn.execute("insert into reports_fts (rowid, title, text) values (?, ?, ?)",
                 [report_id, segment(title or ""), segment(text or "")])


def indexed_count(conn: sqlite3.Connection) -> int:
    """Reports in the search index, counted from its sizes table (a contentless table has no rows
    to count but its index's)."""
    return conn.execute("select count(*) from reports_fts_docsize").fetchone()[0]
