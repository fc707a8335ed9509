"""Raw bytes, content-addressed on disk: ``<root>/ab/cd/abcdef…`` named by SHA-256.

Why not WARC: the archive's unit is "this URL answered these bytes", and most nights answer the same
bytes again. Content addressing stores each distinct body once however often it is fetched, makes
"did it change?" a hash comparison, and lets a later extractor read any capture with one open().
The HTTP metadata a WARC record would hold (status, headers, time, request) is in the captures
table beside the hash, so a WARC export stays possible without being the working format.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class BlobStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (atomically: a crash never leaves a truncated blob) and return its hash."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists() and target.stat().st_size == len(data):
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha256: str) -> bytes:
        data = self.path(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise IOError(f"blob {sha256} is corrupt on disk")
        return data

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()
