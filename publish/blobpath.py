"""Where a capture's bytes lie on disk, for the Datasette side that only reads them.

This mirrors ``crawler/blobs.py`` (``BlobStore.path``: ``<root>/ab/cd/<sha256>``) and the default
root of ``crawler/archive.py`` (``data/blobs`` beside the database). ``publish/`` may not import
``crawler/`` (the served site must not depend on the crawl's Scrapy side), so the layout is written
down twice; ``tests/test_archived_copy.py`` checks both agree on a blob written by ``BlobStore``.

The hash is checked before it becomes a path: a value read from a database row is still input, and
only 64 lowercase hex digits (what ``hashlib.sha256().hexdigest()`` writes) can never name anything
outside the blob folder.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

SHA256 = re.compile(r"[0-9a-f]{64}")


def is_sha256(value) -> bool:
    return isinstance(value, str) and SHA256.fullmatch(value) is not None


def blob_path(root: str | os.PathLike, sha256: str) -> Path:
    if not is_sha256(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return Path(root) / sha256[:2] / sha256[2:4] / sha256


def default_root(db_path: str | os.PathLike) -> Path:
    return Path(db_path).parent / "data" / "blobs"
