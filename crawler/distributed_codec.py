"""What travels through Redis in a distributed crawl, encoded without pickle.

scrapy-redis pickles requests by default; whoever can write to a pickle queue runs code on every
worker. Here requests (``SCHEDULER_SERIALIZER = "crawler.distributed_codec"``) and items are JSON
with a few tags for what JSON lacks (bytes, tuples, dicts keyed by bytes), so a tampered queue can at
worst inject a request or an item, never code. Anything else in a request is an error at push time,
not a surprise on another machine.

An item is ``<JSON header> NUL <body bytes>``: a capture's body (bounded by the download size caps)
travels raw, not base64-inflated; JSON text never holds a raw NUL, so the first NUL splits it.
"""
from __future__ import annotations

import base64
import dataclasses
import json

from crawler import items

_TAGS = ("__b", "__t", "__d")


def _enc(o):
    if o is None or isinstance(o, (str, bool, int, float)):
        return o
    if isinstance(o, (bytes, bytearray)):
        return {"__b": base64.b64encode(bytes(o)).decode("ascii")}
    if isinstance(o, tuple):
        return {"__t": [_enc(v) for v in o]}
    if isinstance(o, list):
        return [_enc(v) for v in o]
    if isinstance(o, dict):
        if all(isinstance(k, str) for k in o) and not any(k in _TAGS for k in o):
            return {k: _enc(v) for k, v in o.items()}
        return {"__d": [[_enc(k), _enc(v)] for k, v in o.items()]}
    raise TypeError(f"cannot send a {type(o).__name__} through the shared frontier: {o!r:.200}")


def _dec(o):
    if isinstance(o, list):
        return [_dec(v) for v in o]
    if isinstance(o, dict):
        if len(o) == 1:
            (tag, v), = o.items()
            if tag == "__b":
                return base64.b64decode(v)
            if tag == "__t":
                return tuple(_dec(x) for x in v)
            if tag == "__d":
                return {_dec(k): _dec(x) for k, x in v}
        return {k: _dec(v) for k, v in o.items()}
    return o


def dumps(obj) -> bytes:
    """A request dict (``Request.to_dict``) as tagged JSON."""
    return json.dumps(_enc(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str):
    return _dec(json.loads(data))


def encode_item(item) -> bytes:
    """An archive item (a dataclass of ``crawler.items``); a capture's body travels raw after NUL."""
    if not dataclasses.is_dataclass(item) or getattr(items, type(item).__name__, None) is not type(item):
        raise TypeError(f"not an archive item: {type(item).__name__}")
    fields = dataclasses.asdict(item)
    body = fields.pop("body", b"")
    return dumps({"type": type(item).__name__, **fields}) + b"\0" + body


def decode_item(data: bytes):
    """The item a worker sent; a malformed message raises ValueError (the writer records it)."""
    head, _, body = data.partition(b"\0")
    try:
        fields = loads(head)
        cls = getattr(items, fields.pop("type"), None)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise ValueError("unknown item type")
        if "body" in {f.name for f in dataclasses.fields(cls)}:
            fields["body"] = body
        return cls(**fields)
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"malformed item message: {e}") from None
