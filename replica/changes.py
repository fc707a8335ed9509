"""What happens to real sites between two nightly crawls, done to the replica on purpose.

Tests of the nightly run need sites that change under them: an agency edits a published report,
deletes one, or is redesigned so its 年报 column breaks. Each function changes the served web in
place (thread-safe against the server) and returns what it did, for the test to compare against.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .spec import Resource
from .web import Web

BODY_START = re.compile(rb'(<div[^>]+(?:class="TRS_Editor"|id="zoom")[^>]*>)')


def _resource(web: Web, host: str, path: str) -> Resource:
    return web.sites[host].resources[path]


def _encoding(web: Web, host: str) -> str:
    return web.sites[host].spec.info.encoding


def edit_report(web: Web, report, note: str = "更正说明：本报告第三部分数据已于近日更正。") -> bytes:
    """The agency quietly edits a published report: one paragraph added at the top of its body;
    Last-Modified and ETag change. Returns the new bytes."""
    res = _resource(web, report.host, report.path)
    body = res.body
    para = f"<p>{note}</p>".encode(_encoding(web, report.host))
    new, n = BODY_START.subn(lambda m: m.group(1) + para, body, count=1)
    if not n:
        new = body.replace(b"</body>", para + b"</body>", 1)
    with _lock(web):
        res._body = new
        res.last_modified = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
    return new


def remove_report(web: Web, report) -> list[str]:
    """The agency deletes a report: its page answers 404 and its list entries disappear. Returns
    the list pages that were changed."""
    site = web.sites[report.host]
    name = report.path.rsplit("/", 1)[-1].encode()
    item = re.compile(rb"<(li|tr)\b(?:(?!</\1>).)*?" + re.escape(name) + rb".*?</\1>\s*", re.S)
    changed = []
    with _lock(web):
        site.resources.pop(report.path, None)
        for path, res in site.resources.items():
            if not res.ctype.startswith("text/html") or name not in res.body:
                continue
            new = item.sub(b"", res.body)
            if new != res.body:
                res._body = new
                res.last_modified = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
                changed.append(path)
    return changed


def break_list(web: Web, agency_id: str) -> str:
    """A redesign breaks the agency's 年报 column: its first list page answers 500 from now on.
    Returns the path."""
    for host, site in web.sites.items():
        if site.spec.agency.id == agency_id:
            res = site.resources[site.spec.start_path]
            with _lock(web):
                res.behaviour = "always_500"
            return site.spec.start_path
    raise KeyError(agency_id)


class _lock:
    def __init__(self, web: Web):
        self.lock = web._lock

    def __enter__(self):
        self.lock.acquire()

    def __exit__(self, *exc):
        self.lock.release()
