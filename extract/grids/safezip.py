"""Open Office zip packages (DOCX, XLSX) without trusting them.

Before any member is decompressed the central directory is checked: member count, every member's
declared size, the total, and the compression ratio of large members. Members are then read in
small chunks: Python's zipfile stops a member at its declared size (and fails on a CRC mismatch),
but only a chunked read also bounds the memory one inflate call may take (``ZipFile.read`` inflates
a lying member in one call). Libraries that read packages themselves (openpyxl) get a re-packed,
uncompressed copy built from these bounded reads (:func:`repack`).
"""
from __future__ import annotations

import io
import zipfile

from .errors import UnreadableDocument

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 160 * 1024 * 1024
MAX_RATIO = 200  # for members larger than RATIO_FLOOR bytes
RATIO_FLOOR = 4 * 1024 * 1024


def open_package(data: bytes, what: str) -> zipfile.ZipFile:
    """A ZipFile over ``data`` whose members are safe to read, or UnreadableDocument."""
    if not data.startswith(b"PK"):
        raise UnreadableDocument(f"not a {what} file (no zip signature)")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise UnreadableDocument(f"corrupt {what} package: {e}") from None
    if len(infos) > MAX_MEMBERS:
        raise UnreadableDocument(f"{what} package has {len(infos)} members (limit {MAX_MEMBERS}): refused")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnreadableDocument(f"{what} package is encrypted")
        size = info.file_size
        if size > MAX_MEMBER_BYTES:
            raise UnreadableDocument(f"{what} member {info.filename} would inflate to {size} bytes: refused")
        if size > RATIO_FLOOR and size > MAX_RATIO * max(1, info.compress_size):
            raise UnreadableDocument(
                f"{what} member {info.filename} compresses {size // max(1, info.compress_size)}:1 (zip bomb?): refused")
        total += size
    if total > MAX_TOTAL_BYTES:
        raise UnreadableDocument(f"{what} package would inflate to {total} bytes: refused")
    return zf


def read_member(zf: zipfile.ZipFile, name: str, what: str) -> bytes:
    """One member's bytes, inflated in bounded chunks."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise UnreadableDocument(f"{what} package lacks {name}") from None
    chunks, got = [], 0
    try:
        with zf.open(info) as f:
            while True:
                b = f.read(1 << 16)
                if not b:
                    break
                got += len(b)
                if got > info.file_size:
                    raise UnreadableDocument(f"{what} member {name} inflates past its declared size")
                chunks.append(b)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as e:
        if isinstance(e, UnreadableDocument):
            raise
        raise UnreadableDocument(f"corrupt {what} member {name}: {e}") from None
    if got != info.file_size:
        raise UnreadableDocument(f"corrupt {what} member {name}: {got} of {info.file_size} bytes")
    return b"".join(chunks)


def repack(zf: zipfile.ZipFile, what: str) -> bytes:
    """The package re-written uncompressed from bounded reads: safe to hand to any zip reader."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in zf.infolist():
            if info.is_dir():
                continue
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                         read_member(zf, info.filename, what))
    return out.getvalue()
