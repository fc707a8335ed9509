"""Open Office zip packages (DOCX, XLSX) without trusting them.

Before any member is decompressed the central directory is checked: member count, every member's
declared size, the total, the compression ratio of large members, and the compression method: only
stored and deflate, the two methods the Office Open XML packaging rules allow (ECMA-376 part 2).
bzip2 and LZMA members are refused, not read: Python's zipfile inflates them without an output bound
(one 4 KB chunk of bzip2 can become gigabytes before the declared size is compared), so a 3 KB
package whose headers understate its size would take gigabytes of memory.

Members are then read in small chunks, counting the bytes that really come out: zipfile's deflate
reader inflates at most the requested length per call and stops a member at its declared size (a
member that inflates past it fails its CRC), so no read of a package takes more than its checked
declared sizes, whatever its headers claim. Libraries that read packages themselves (openpyxl) get
a re-packed, uncompressed copy built from these bounded reads (:func:`repack`).
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
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "deflate64", 93: "zstd", 95: "xz",
                 98: "PPMd", 99: "AES"}


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
        if info.compress_type not in METHODS:
            method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise UnreadableDocument(
                f"{what} member {info.filename} is compressed with {method}: an Office package uses only stored"
                " or deflate members (and other methods are read without a bound on their output): refused")
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
    """One member's bytes, inflated in bounded chunks, never more than its checked declared size."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise UnreadableDocument(f"{what} package lacks {name}") from None
    if info.compress_type not in METHODS:  # a ZipFile not from open_package
        raise UnreadableDocument(f"{what} member {name}: compression method {info.compress_type} refused")
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
