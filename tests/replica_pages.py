"""Shared scaffolding for adapter tests that read replica pages in-process (no server)."""
from __future__ import annotations

import pytest

from crawler.registry import load_registry
from replica import replica_web
from replica.walk import fetch
from extract.decode import decode_html

PORT = 8765  # the URLs adapters see; nothing listens: pages are answered by Web.handle


@pytest.fixture(scope="module")
def web():
    return replica_web()


@pytest.fixture(scope="module")
def agency(request):
    """The registry entry of the test module's ``AID``."""
    aid = request.module.AID
    return next(a for a in load_registry("replica", port=PORT) if a.id == aid)


def text_of(web, url):
    status, headers, body = fetch(web, "GET", url)
    assert status == 200, (url, status)
    return decode_html(body, headers.get("content-type", "")).text
