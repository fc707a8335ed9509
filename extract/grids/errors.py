"""The one error a format reader raises for input it cannot read."""
from __future__ import annotations


class UnreadableDocument(ValueError):
    """The bytes are not a readable document of the expected format: truncated, corrupt, the wrong
    format, encrypted, or hostile (a zip bomb, an absurd sheet size). ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
