"""Source formats → grids: rectangular tables with merged cells expanded.

Every reader (HTML, DOCX, PDF, XLSX/XLS, text dump) produces the same ``Grid``, so that locating
tables, matching labels and parsing values (extract.tables) is written once for all formats.

A merged cell (rowspan/colspan, gridSpan/vMerge, merged ranges) covers every position it spans:
its text is repeated at each covered slot and ``origin`` says which slot it came from. Values
therefore never shift left past a merged label, and code that must tell "the same merged cell"
from "two cells that happen to hold the same text" compares origins.

Text read from a picture (``source == "ocr"``, extract.grids.image) is not the file's own text: such a
grid carries ``confidence``, one number per slot (0..1, merged copies repeat their cell's), and a
slot under extract.ocr.LOW_CONFIDENCE must be shown as unverified. Grids read from a file's own text
have ``confidence = None``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Grid:
    cells: list[list[str]]                      # rows × cols, rectangular, raw cell text
    origin: list[list[tuple[int, int]]]         # (row, col) of the cell each slot belongs to
    source: str                                 # html | docx | pdf | xlsx | xls | text | ocr
    context: str = ""                           # text just before the table (its section heading)
    page: int | None = None                     # first page (PDF), sheet index (XLSX)
    notes: list[str] = field(default_factory=list)  # what the reader had to guess or repair
    confidence: list[list[float]] | None = None  # OCR grids: rows × cols, 0..1; None: the file's own text

    @property
    def n_rows(self) -> int:
        return len(self.cells)

    @property
    def n_cols(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def cell_confidence(self, r: int, c: int) -> float | None:
        """How sure the OCR is of slot (r, c); None when the text is the file's own."""
        return None if self.confidence is None else self.confidence[r][c]

    def is_merged_copy(self, r: int, c: int) -> bool:
        """True when slot (r, c) repeats a merged cell whose origin is elsewhere."""
        return self.origin[r][c] != (r, c)

    @classmethod
    def from_spans(cls, rows: list[list[tuple[str, int, int]]], source: str, **kw) -> "Grid":
        """Build from rows of (text, rowspan, colspan) as they appear in markup order, expanding
        spans the way browsers lay out tables (a slot taken by a rowspan from above is skipped)."""
        taken: dict[tuple[int, int], tuple[str, tuple[int, int]]] = {}
        width = 0
        for r, row in enumerate(rows):
            c = 0
            for text, rowspan, colspan in row:
                while (r, c) in taken:
                    c += 1
                rowspan, colspan = max(1, rowspan), max(1, colspan)
                for dr in range(rowspan):
                    for dc in range(colspan):
                        taken[(r + dr, c + dc)] = (text, (r, c))
                c += colspan
                width = max(width, c)
        height = max((r for r, _ in taken), default=-1) + 1
        height = max(height, len(rows))
        width = max([width] + [c + 1 for _, c in taken])
        cells = [["" for _ in range(width)] for _ in range(height)]
        origin = [[(r, c) for c in range(width)] for r in range(height)]
        for (r, c), (text, org) in taken.items():
            cells[r][c] = text
            origin[r][c] = org
        return cls(cells=cells, origin=origin, source=source, **kw)
