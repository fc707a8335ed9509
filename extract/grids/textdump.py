"""Text dumps of reports → pseudo-grids anchored on row labels.

A text dump has lost the table structure: one cell per line ending in `` |`` (``||||`` lines where
merged cells were; a cell's text may run over several lines before its `` |``), cells starting with
a tab (a converted DOCX: a label broken over two lines, ``商业`` / ``企业``), ``| a | b | c |`` rows
(antiword prints a wrapped cell as a second such line, which is folded back into the row), rows
flattened onto one line with spaces (``规章 0 1 5``, as pdftotext prints them), or a mix. Columns
cannot be recovered, so the reading is anchored on labels instead:

* the dump is cut into *cells* and *paragraphs*; a run of cells between paragraphs is one region
  (one :class:`~extract.grids.Grid`, ``source="text"``), its ``context`` the paragraphs before it
  (the section heading);
* inside a region a row starts at each label (a text cell that follows values) and holds the
  labels before it (group labels and header words, left in the row so the table parser can
  recognise the table and its era) and the value cells after it, blanks included; a label
  followed only by blank cells ends a row too (a row printed blank, or the empty slots of merged
  header cells: the table parser tells them apart by the label);
* rows are ragged: the slots after a row's last cell repeat that cell as a merged copy (``origin``
  points back to it), so they are never read as blank values.

The table parser (extract.tables) then matches each row's last label and reads its values in the
template's column order; a row whose count of values is wrong is reported, never shifted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from extract.schema import TABLE_KEYS, header_table, match_row, section_table
from extract.values import BLANK, NUMBER, TEXT, parse_value

from . import Grid

_PIPES = re.compile(r"^[ \t]*\|+[ \t]*$")
_MD_RULE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*(?::?-{3,}:?)?[ \t]*$")
_HEADING = re.compile(r"^[ \t\u3000]*[一二三四五六七八九十]+[、.．]")
_NONBLANK = re.compile(r"[^\s\u3000\u00a0]")


@dataclass
class Token:
    kind: str  # 'cell' | 'para'
    text: str
    line: int  # 1-based line number in the dump
    style: str = ""  # cells: 'pipe' | 'tab' | 'plain'


def _cell_text(s: str) -> str:
    return s.strip(" \t\r")


def tokenize(text: str) -> list[Token]:
    """Cells and paragraphs of a dump, in order."""
    lines = text.splitlines()
    out: list[Token] = []
    pending: list[str] | None = None  # a pipe cell whose text runs over several lines
    pending_line = 0
    prev_blank = True
    prev_row: list[Token] | None = None  # the cells of the last '| a | b |' line
    for i, line in enumerate(lines):
        ln = i + 1
        if not _NONBLANK.search(line) and "\t" not in line:
            prev_blank = True
            continue
        if _PIPES.match(line):
            if pending is not None:
                out.append(Token("cell", "\n".join(pending), pending_line, "pipe"))
                pending = None
            elif line.count("|") == 1:
                out.append(Token("cell", "", ln, "pipe"))
            # '||', '|||' …: the slots of merged cells — nothing to read
            prev_blank = False
            continue
        stripped = line.rstrip(" \t\r")
        if _MD_RULE.match(stripped):
            continue  # a markdown rule under a header row ('|---|:---:|'): no cells
        if stripped.endswith("|"):
            body = stripped[:-1]
            lead = body.lstrip(" \t")
            is_row = lead.startswith("|")
            if is_row:  # a '| a | b |' row (antiword, markdown-like dumps)
                body = lead[1:]
            texts = [_cell_text(p) for p in body.split("|")]
            if is_row and pending is None and _wraps(prev_row, texts):
                for tok, t in zip(prev_row, texts):  # the second line of a row whose cells wrapped
                    if t:
                        tok.text = f"{tok.text}\n{t}" if tok.text else t
                prev_blank = False
                continue
            row_toks = []
            for j, t in enumerate(texts):
                if j == 0 and pending is not None:
                    t = "\n".join(pending + ([t] if t else []))
                    pending = None
                row_toks.append(Token("cell", t, ln, "pipe"))
            out.extend(row_toks)
            prev_row = row_toks if is_row and len(row_toks) >= 2 else None
            prev_blank = False
            continue
        prev_row = None
        if "\t" in line:
            parts = line.split("\t")
            if not parts[0].strip(" \r"):
                parts = parts[1:]
            for p in parts:
                out.append(Token("cell", _cell_text(p), ln, "tab"))
            prev_blank = False
            continue
        # a plain line
        s = line.strip()
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        last = out[-1] if out else None
        in_table = last is not None and last.kind == "cell"
        if pending is not None or (_PIPES.match(nxt) and nxt.count("|") == 1) or (
                in_table and _fragment(s) and _runs_into_pipe_cell(lines, i)):
            pending = (pending or []) + [s]  # the first lines of a cell whose text runs over lines
            pending_line = pending_line or ln
            prev_blank = False
            continue
        spaced = _spaced_row(s)
        if (last is not None and last.kind == "cell" and last.style == "tab" and not prev_blank
                and len(s) <= 12 and not _HEADING.match(s)):
            last.text = f"{last.text}\n{s}" if last.text else s  # a label broken over two lines
        elif last is not None and last.kind == "cell" and len(s) <= 20 and parse_value(s).kind not in (TEXT, BLANK):
            out.append(Token("cell", s, ln, "plain"))
        elif spaced:
            out.extend(Token("cell", t, ln, "spaced") for t in spaced)
        else:
            out.append(Token("para", s, ln))
        prev_blank = False
    if pending is not None:
        out.append(Token("cell", "\n".join(pending), pending_line, "pipe"))
    return out


_PROSE_END = ("。", "；", ";", "：", ":", "！", "？")


def _fragment(s: str) -> bool:
    """A short line that can be part of a table cell (not a section heading, not prose). A colon or
    semicolon inside an open bracket ends no sentence: a header cell wraps as ``本年收费金额(单位:``
    over ``万元)``."""
    return (len(s) <= 40 and (not s.endswith(_PROSE_END) or _unclosed(s)) and section_table(s) is None
            and not _SECTION_WORDS.search(s))


def _unclosed(s: str) -> bool:
    return s.count("(") + s.count("（") > s.count(")") + s.count("）")


def _runs_into_pipe_cell(lines: list[str], i: int) -> bool:
    """Lines i+1… (a few short fragments at most) end with a ' |' cell line."""
    for j in range(i + 1, min(i + 5, len(lines))):
        nxt = lines[j].rstrip(" \t\r")
        if not nxt.strip():
            return False
        if nxt.endswith("|"):
            return not _PIPES.match(nxt)
        if not _fragment(nxt.strip()):
            return False
    return False


_SECTION_WORDS = re.compile(r"^[一二三四五六七八九十]+、.*(总体情况|存在|主要问题|改进|需要报告|其他事项)")
_SPACES = re.compile(r"[ \u3000\u00a0]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _spaced_row(s: str) -> list[str] | None:
    """A table row flattened onto one line with spaces (as pdftotext prints it): a label followed by
    values ('一、本年新收政府信息公开申请数量 5 0 0 0 0 0 5'), or a line of header words only
    ('信息内容 本年制发件数 本年废止件数 现行有效件数'). None for prose."""
    if len(s) > 120:
        return None
    toks = [t for t in _SPACES.split(s) if t]
    if len(toks) < 2:
        return None
    kinds = [parse_value(t).kind for t in toks]
    i = len(toks)
    while i > 0 and kinds[i - 1] not in (TEXT, BLANK):
        i -= 1
    if 0 < i < len(toks) and NUMBER in kinds[i:]:
        label = " ".join(toks[:i])
        if _CJK.search(label) and len(label) <= 60 and not label.endswith(("。", "，", "；", "：")):
            return [label] + toks[i:]
        return None
    if i == len(toks) and all(header_table(t) is not None for t in toks):
        return toks
    return None


_NUMBERED = re.compile(r"^[\s\u3000]*(?:[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[、.．)）])")


def _wraps(prev: list[Token] | None, texts: list[str]) -> bool:
    """A '| … |' line continues the row line before it (cell text wrapped, as antiword prints a
    Word table): same number of cells, nothing but label text, no numbering that would start a row
    of its own, and the row before it has a label that is incomplete (matches no row)."""
    if not prev or len(prev) != len(texts):
        return False
    filled = [t for t in texts if t]
    if not filled or any(parse_value(t).kind != TEXT or _NUMBERED.match(t) for t in filled):
        return False
    labels = [tok.text for tok in prev if tok.text and parse_value(tok.text).kind == TEXT]
    if not labels:
        return False
    return not any(match_row(t, labels[-1]) is not None for t in TABLE_KEYS)


def _anchor(cells: list[Token]) -> list[tuple[list[str], list[str]]]:
    """Rows of (labels, values): a text cell after values starts a new row; blanks right after a
    label are kept only if a value follows (else they were merged-cell slots inside the labels)."""
    rows: list[tuple[list[str], list[str]]] = []
    labels: list[str] = []
    values: list[str] = []
    blanks: list[str] = []
    for tok in cells:
        kind = parse_value(tok.text).kind
        if kind == TEXT:
            if values:
                rows.append((labels, values))
                labels, values = [], []
            elif blanks:  # a label with only blank cells: a row of blanks, or merged-cell slots
                rows.append((labels, blanks))  # (the table parser decides, knowing the labels)
                labels = []
            blanks = []
            labels.append(tok.text)
        elif kind == BLANK:
            if values:
                values.append(tok.text)
            elif labels:
                blanks.append(tok.text)
        else:
            if not values and blanks:
                values.extend(blanks)
            blanks = []
            values.append(tok.text)
    if labels or values:
        rows.append((labels, values or blanks))
    return rows


def _grid(rows: list[tuple[list[str], list[str]]], context: str, first_line: int) -> Grid:
    lines = [labels + values for labels, values in rows if labels + values]
    width = max((len(r) for r in lines), default=0)
    cells: list[list[str]] = []
    origin: list[list[tuple[int, int]]] = []
    for r, row in enumerate(lines):
        last = len(row) - 1
        cells.append(row + [row[last]] * (width - len(row)))
        origin.append([(r, c) for c in range(len(row))] + [(r, last)] * (width - len(row)))
    return Grid(cells=cells, origin=origin, source="text", context=context, page=None,
                notes=[f"text dump from line {first_line}: rows anchored on labels, columns not recoverable"])


def grids_from_text(text: str) -> list[Grid]:
    """One pseudo-grid per run of table cells in a text dump (see the module doc)."""
    toks = tokenize(text or "")
    grids: list[Grid] = []
    paras: list[str] = []
    run: list[Token] = []

    def flush():
        if len(run) >= 2:
            rows = _anchor(run)
            if any(v for _, v in rows):
                grids.append(_grid(rows, "\n".join(paras[-3:]), run[0].line))
        run.clear()

    for t in toks:
        if t.kind == "para":
            flush()
            paras.append(t.text[:200])
        else:
            run.append(t)
    flush()
    return grids


__all__ = ["grids_from_text", "tokenize", "Token"]
