"""Captured bytes -> text, never silently wrong.

``decode_html(body, content_type)`` picks a codec from, in order of trust:

1. a byte-order mark;
2. UTF-8, whenever the body is *strictly* valid UTF-8 and has non-ASCII bytes.
   Valid UTF-8 is self-authenticating: GBK/GB18030 (or Big5, Latin-1 …) text
   practically never forms valid UTF-8 sequences, whereas the reverse is not
   true (UTF-8 bytes often decode "strictly" as GB18030 into mojibake). So a
   page declared ``gb2312`` whose bytes are valid UTF-8 (migrated templates
   that kept the old ``<meta>``) is decoded as UTF-8, with a ``note``;
3. UTF-8 with a few damaged bytes (a title truncated mid-character by the CMS):
   accepted with U+FFFD replacements when the damage is tiny (see
   ``_tolerable``), because no other codec can explain such a body;
4. the declared charsets, HTTP header first then ``<meta>``, each strictly.
   When header and meta disagree the first that decodes strictly wins
   (header preferred). Single-byte labels (iso-8859-1, windows-1252 — typical
   server defaults — and other 8-bit codecs) decode almost anything, so they
   are weak: they are tried only after GB18030 failed to decode strictly and
   plausibly;
5. undeclared: GB18030 strictly (plausibility-checked: most ideographs must
   be in GB2312, otherwise Big5 & co. would pass), then charset_normalizer;
6. as a last resort a declared codec or GB18030 with a tiny tolerance.

GB2312/GBK labels (gb2312, gbk, gb_2312-80, x-gbk, cp936, …) decode as
GB18030, a strict superset (GB2312 pages routinely contain GBK-only
characters such as 镕).

If nothing fits, ``UndecodableError`` is raised with a message naming what
was declared and what was tried. Nothing is normalised here.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Decoded", "UndecodableError", "decode_html", "normalize_label"]

# Tolerance for damaged bytes (see _tolerable).
MAX_BAD_SHARE = 0.005  # of all characters
MAX_BAD_SHARE_NONASCII = 0.05  # of non-ASCII characters

_GB_LABELS = {
    "gb2312", "gbk", "gb_2312-80", "gb_2312", "x-gbk", "cp936", "ms936", "windows-936",
    "csgb2312", "euc-cn", "x-euc-cn", "chinese", "iso-ir-58", "csiso58gb231280",
    "gb18030", "gb-18030", "hz-gb-2312-not-really",
}
# WHATWG treats these as windows-1252; Python's latin-1 would decode anything.
_LATIN_LABELS = {
    "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii",
    "ansi_x3.4-1968", "cp819", "ibm819", "csisolatin1", "iso-ir-100", "windows-1252", "cp1252",
    "x-cp1252",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same 2 bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MAGIC = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP/OOXML (docx/xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 (doc/xls/wps)"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
)

# Python codec names of multi-byte encodings (those that reject wrong input)
_MULTIBYTE = frozenset({
    "gb18030", "big5", "big5hkscs", "cp950", "shift_jis", "cp932", "shift_jisx0213", "shift_jis_2004", "euc_jp",
    "euc_jisx0213", "euc_jis_2004", "euc_kr", "cp949", "johab", "iso2022_jp", "iso2022_jp_2", "iso2022_kr", "hz",
})

_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.I)
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_SNIFF_BYTES = 16384


class UndecodableError(ValueError):
    """The body cannot be decoded as text without (non-trivial) loss."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Decoded:
    text: str
    encoding: str  # Python codec actually used, e.g. "utf-8", "gb18030"
    declared_http: str | None = None  # raw label from the Content-Type header (lower-cased)
    declared_meta: str | None = None  # raw label from <meta charset>/http-equiv/<?xml?>
    detected: bool = False  # True when the codec came from sniffing, not a declaration/BOM
    note: str | None = None  # human-readable explanation when anything was unusual


def normalize_label(label: str | None) -> str | None:
    """Map a charset label to the Python codec we decode it with (None if unknown)."""
    if not label:
        return None
    lab = label.strip().strip("\"'").lower()
    if lab in _GB_LABELS:
        return "gb18030"
    if lab in _LATIN_LABELS:
        return "cp1252"
    if lab in ("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode20utf8"):
        return "utf-8"
    if lab in ("big5", "big5-hkscs", "cn-big5", "x-x-big5", "csbig5"):
        return "big5hkscs"
    try:
        name = codecs.lookup(lab).name
    except LookupError:
        return None
    if name in ("gb2312", "gbk", "gb18030", "hz"):
        return "gb18030"
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name


def _charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _CT_CHARSET.search(content_type)
    return m.group(1).lower() if m else None


def _sniff_meta(body: bytes) -> str | None:
    head = body[:_SNIFF_BYTES]
    m = _XML_DECL.match(head)
    if m:
        return m.group(1).decode("ascii").lower()
    m = _META_CHARSET.search(head)
    if m:
        return m.group(1).decode("ascii").lower()
    return None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _damage(body: bytes, codec: str) -> tuple[str, int, int]:
    """Decode with replacement; return (text, bad, non_ascii_chars)."""
    text = body.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    nonascii = len(text) - len(text.encode("ascii", "ignore"))
    return text, bad, nonascii


def _tolerable(text: str, bad: int, nonascii: int) -> bool:
    """A handful of damaged sequences in otherwise good text.

    Two bounds: bad <= 0.5 % of all characters, and bad <= 5 % of the
    non-ASCII characters. The second keeps a mostly-ASCII GBK page (where
    nearly every CJK character becomes U+FFFD under UTF-8) from passing.
    """
    if bad == 0:
        return True
    return bad <= MAX_BAD_SHARE * max(len(text), 1) and bad <= MAX_BAD_SHARE_NONASCII * max(nonascii, 1)


def _gb_plausible(text: str) -> bool:
    """GB18030 text that is really Chinese-in-GBK: most CJK chars lie in GB2312.

    Big5 or UTF-8 bytes read as GB18030 land largely in the GBK extension
    areas / user-defined areas instead.
    """
    cjk = len(text) - len(text.encode("ascii", "ignore"))  # non-ASCII characters
    if cjk == 0:
        return True
    # encode with '?' replacement: each unencodable char becomes one '?'
    before = text.count("?")
    after = text.encode("gb2312", errors="replace").count(b"?")
    outside = after - before
    return outside <= 0.2 * cjk


def _binary_reason(body: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if body.startswith(magic):
            return f"binary content ({kind} signature)"
    sample = body[:65536]
    nul = sample.count(0)
    if nul and nul > max(2, len(sample) // 1000):
        return f"binary content: {nul} NUL bytes in the first {len(sample)} bytes"
    return None


# C0 control bytes no text file holds (tab, LF, VT, FF, CR, SUB, ESC are left out: text can have them)
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 26, 27))


def binary_reason(body: bytes) -> str | None:
    """Why ``body`` is binary data rather than text in some encoding (a known binary signature, NUL
    bytes, or control bytes no text holds), or None. A byte-order mark says text."""
    if any(body.startswith(bom) for bom, _ in _BOMS):
        return None
    reason = _binary_reason(body)
    sample = body[:65536]
    control = len(sample) - len(sample.translate(None, _CONTROL))
    if not reason and control > max(8, len(sample) // 50):  # text has tabs and line breaks, not 2% other C0
        reason = f"binary content: {control} control bytes in the first {len(sample)} bytes"
    return reason


def _kb(n: int) -> str:
    return f"{n / 1000:.1f} kB" if n >= 1000 else f"{n} B"


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode an HTML capture; raise UndecodableError rather than return mojibake."""
    if isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if isinstance(body, str):  # already text: nothing to do
        return Decoded(body, "utf-8", _charset_from_content_type(content_type), None, False, "input was str")
    http_raw = _charset_from_content_type(content_type)
    meta_raw = None

    # 1. BOM
    for bom, codec in _BOMS:
        if body.startswith(bom):
            payload = body[len(bom):]
            text = _strict(payload, codec)
            if text is not None:
                return Decoded(text, codec, http_raw, _sniff_meta(payload) if codec == "utf-8" else None,
                               False, f"{codec} BOM")
            text, bad, nonascii = _damage(payload, codec)
            if _tolerable(text, bad, nonascii):
                return Decoded(text, codec, http_raw, None, False,
                               f"{codec} BOM; {bad} invalid sequence(s) replaced with U+FFFD")
            raise UndecodableError(
                f"{codec} BOM but {bad} invalid sequences in {_kb(len(body))}")

    meta_raw = _sniff_meta(body)
    if not body:
        return Decoded("", normalize_label(http_raw) or normalize_label(meta_raw) or "utf-8",
                       http_raw, meta_raw, False, "empty body")

    reason = _binary_reason(body)
    if reason:
        raise UndecodableError(reason + _declared_desc(http_raw, meta_raw, prefix="; declared "))

    declared: list[tuple[str, str, str]] = []  # (codec, origin, raw label)
    unknown: list[str] = []
    for raw, origin in ((http_raw, "header"), (meta_raw, "meta")):
        if raw is None:
            continue
        codec = normalize_label(raw)
        if codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
            codec = "utf-8"  # WHATWG: without a BOM a UTF-16 label means UTF-8
        if codec is None:
            unknown.append(f"unknown label {raw!r} ({origin})")
            continue
        if all(codec != c for c, _, _ in declared):
            declared.append((codec, origin, raw))
    disagree = len({c for c, _, _ in declared}) > 1
    notes = list(unknown)
    if disagree:
        notes.append("header and meta disagree: " + _declared_desc(http_raw, meta_raw))

    def done(text: str, codec: str, detected: bool, extra: str | None = None) -> Decoded:
        n = notes + ([extra] if extra else [])
        return Decoded(text, codec, http_raw, meta_raw, detected, "; ".join(n) or None)

    def origin_of(codec: str) -> str | None:
        for c, origin, _ in declared:
            if c == codec:
                return origin
        return None

    # 2. pure ASCII: every ASCII-compatible codec agrees
    if not _HIGH_BYTE.search(body):
        codec = declared[0][0] if declared else "utf-8"
        text = _strict(body, codec)
        if text is None:
            codec, text = "utf-8", body.decode("ascii")
        return done(text, codec, not declared)

    # 3. strict UTF-8 wins whenever it works (self-authenticating)
    text = _strict(body, "utf-8")
    if text is not None:
        org = origin_of("utf-8")
        extra = None
        if declared and org is None:
            extra = f"declared {_declared_desc(http_raw, meta_raw)} but the body is valid UTF-8"
        elif disagree:
            extra = f"utf-8 ({org}) decodes strictly"
        return done(text, "utf-8", org is None, extra)
    u_text, u_bad, u_nonascii = _damage(body, "utf-8")

    # 4. UTF-8 with a few damaged bytes
    if _tolerable(u_text, u_bad, u_nonascii):
        org = origin_of("utf-8")
        return done(u_text, "utf-8", org is None,
                    f"{u_bad} invalid UTF-8 sequence(s) in {_kb(len(body))} replaced with U+FFFD")

    tried = [f"utf-8: {u_bad} invalid sequences in {_kb(len(body))}"]
    # multi-byte codecs fail on wrong input; single-byte ones decode almost anything, so they are weak
    strong = [d for d in declared if d[0] in _MULTIBYTE]
    weak = [d for d in declared if d[0] != "utf-8" and d[0] not in _MULTIBYTE]

    # 5. declared multi-byte codecs, header first
    for codec, origin, raw in strong:
        text = _strict(body, codec)
        if text is not None:
            extra = f"{codec} ({origin}) decodes strictly" if disagree else None
            if codec == "gb18030" and raw != "gb18030":
                extra = (extra + "; " if extra else "") + f"label {raw!r} decoded as gb18030"
            return done(text, codec, False, extra)
        tried.append(f"{codec} ({origin}): fails")

    # 6. GB18030 undeclared (or declared only as a weak Latin label)
    if not any(c == "gb18030" for c, _, _ in strong):
        text = _strict(body, "gb18030")
        if text is not None and _gb_plausible(text):
            extra = "no usable declaration; decoded as gb18030"
            if weak:
                extra = f"declared {_declared_desc(http_raw, meta_raw)} but the body decodes as gb18030"
            return done(text, "gb18030", True, extra)
        tried.append("gb18030: " + ("fails" if text is None else "implausible (mostly non-GB2312 characters)"))

    # 7. weak (single-byte) declarations
    for codec, origin, raw in weak:
        text = _strict(body, codec)
        if text is not None:
            return done(text, codec, False, None)
        tried.append(f"{codec} ({origin}): fails")

    # 8. charset_normalizer (only when nothing usable was declared)
    if not strong:
        guess = _normalizer_guess(body)
        if guess is not None:
            codec, text = guess
            if codec not in ("utf-8", "gb18030"):
                return done(text, codec, True, f"detected {codec} by charset_normalizer")
        tried.append("charset_normalizer: no confident guess" if guess is None
                     else f"charset_normalizer: {guess[0]} (already rejected)")

    # 9. tolerant decode with a declared codec or gb18030
    for codec, origin in [(c, o) for c, o, _ in strong] + [("gb18030", None)]:
        text, bad, nonascii = _damage(body, codec)
        if _tolerable(text, bad, nonascii) and (codec != "gb18030" or origin or _gb_plausible(text)):
            return done(text, codec, origin is None,
                        f"{bad} invalid {codec} sequence(s) replaced with U+FFFD")
        if origin:
            tried.append(f"{codec} ({origin}) tolerant: {bad} invalid sequences")

    decl = _declared_desc(http_raw, meta_raw)
    head = f"declared {decl}" if decl else "no charset declared"
    raise UndecodableError(f"{head}; " + "; ".join(tried + unknown))


def _declared_desc(http_raw: str | None, meta_raw: str | None, prefix: str = "") -> str:
    parts = []
    if http_raw:
        parts.append(f"{http_raw} (header)")
    if meta_raw:
        parts.append(f"{meta_raw} (meta)")
    return (prefix + " / ".join(parts)) if parts else ""


def _normalizer_guess(body: bytes) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover
        return None
    best = from_bytes(body[:200_000]).best()
    if best is None or best.encoding is None:
        return None
    codec = normalize_label(best.encoding) or best.encoding
    if codec == "cp1252" or best.chaos > 0.2:
        return None  # a Latin guess for a Chinese archive is a misfire (see agency-sites.md §6)
    text = _strict(body, codec)
    if text is None:
        return None
    return codec, text
