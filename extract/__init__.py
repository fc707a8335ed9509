"""Bytes in, a document out: no database, no network."""
