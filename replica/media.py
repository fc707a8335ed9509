"""Small, valid binary files for the replica (tables published as pictures, 图解 images).

A real report whose tables are images gives a text extractor nothing to read; the replica needs
real PNG bytes at those URLs so that crawlers fetching them see a well-formed image, not an error.
"""
from __future__ import annotations

import hashlib
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, seed: str) -> bytes:
    """A greyscale PNG with horizontal stripes derived from ``seed`` (so each image differs)."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    rows = []
    for y in range(height):
        shade = 255 if (y // 4) % 2 == 0 else 200 + digest[y % len(digest)] % 56
        rows.append(b"\x00" + bytes([shade]) * width)
    raw = b"".join(rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
