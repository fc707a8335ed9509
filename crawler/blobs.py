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
        """Store ``data`` (atomically: a crash never leaves a truncated blob) and return its hash.
        A stored copy that went missing or corrupt is written again: a re-fetch repairs it."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists() and target.stat().st_size == len(data) and self.verify(sha) is None:
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

    def check_writable(self) -> None:
        """Raise the OSError a blob write would meet (read-only, no permission, no space), before
        a crawl fetches anything it could not keep."""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".probe-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(b"nianbao")
                f.flush()
                os.fsync(f.fileno())
        finally:
            Path(tmp).unlink(missing_ok=True)

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``, verified against their hash before anyone parses them.

        Raises :class:`BlobMissing` when the file is gone, :class:`BlobCorrupt` when its bytes no
        longer hash to their name, :class:`BlobUnreadable` when the file cannot be read."""
        path = self.path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BlobMissing(sha256, f"blob {sha256[:12]}… is missing from {self.root}") from None
        except OSError as e:
            raise BlobUnreadable(sha256, f"blob {sha256[:12]}… cannot be read: {e.strerror or e}") from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise BlobCorrupt(sha256, f"blob {sha256[:12]}… is corrupt on disk: its {len(data)} bytes"
                                      f" hash to {actual[:12]}…")
        return data

    def verify(self, sha256: str) -> "BlobError | None":
        """None when the blob is present and intact, else what is wrong with it (not raised)."""
        try:
            self.get(sha256)
        except BlobError as e:
            return e
        return None

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()


class BlobError(OSError):
    """A stored blob that cannot give back its bytes. ``code`` is the problem code recorded on the
    capture (``blob_missing``, ``blob_corrupt``, ``blob_unreadable``); ``str(e)`` says what happened."""
    code = "blob_unreadable"

    def __init__(self, sha256: str, message: str):
        super().__init__(message)
        self.sha256 = sha256
        self.message = message

    def __str__(self) -> str:
        return self.message


class BlobMissing(BlobError):
    code = "blob_missing"


class BlobCorrupt(BlobError):
    code = "blob_corrupt"


class BlobUnreadable(BlobError):
    code = "blob_unreadable"
