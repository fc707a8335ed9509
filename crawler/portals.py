"""Shared portals: a county or city portal's 年报 column lists the reports of every department
and township under it (某县民政局…, 某县财政局…, 某镇人民政府…). Such a report is kept as a report
of the agency that published it, not of the portal that lists it.

Whose report. The title's issuer is read in the portal's place (``extract.identity``: the issuer
resolved against the administrative divisions). When it is the same agency as one in the registry
(the same identity key: division code, township or zone, organ), the report is that agency's; else
the agency is *discovered*: a row in ``agencies`` with ``registry = 'discovered'``, its division
code, province/city/county and level from the divisions, and ``discovered_via`` naming the portal
agency whose list showed it first. An issuer whose division cannot be pinned to one (a name several
places share that the portal's place does not narrow) makes no agency: the link stays an
``other_links`` count, as before.

Stable ids. A discovered agency's id is derived from what identifies it, never from the order it
was found in: ``d<division code>-<10 hex digits of SHA-1 of its identity key>`` (d654202-…). Every
night and every machine gives the same id, so a re-crawl updates the row instead of adding one.

Gone. A discovered agency has no crawl of its own: the portals listing it say when one of its
reports is gone, as an agency's own list does for its own (``Archive.finish_run``, by
``report_links.via_agency_id``): the portal's list read whole without the link, or the report page
answering 404/410 when fetched from the portal's link.

Added to the registry later. A person who adds a discovered agency to the registry by hand (the
same identity, under a registry id) gets its history with it: the first time the archive writes the
registered row (the agency crawled, or a portal listing it again), :func:`adopt_discovered` moves the
discovered agency's links, captures, reports and problems to the registry id and drops the
discovered row. Report ids do not change (the rows move; nothing is re-extracted), so links to
``/archive/reports/<id>`` keep working; the agency's page is then the registry id's. One agency, one
row: two ids for one agency would split its years between two pages.

One report, several URLs. The same report reached from the agency's own site and from a portal is
matched in extract by identity (agency and year) and content (:func:`content_hash`), and stored once,
the other addresses in ``reports.also_at``. Pages are read own site first (:func:`own_site_first`),
so the kept URL is the agency's own when both are read in one extract; a portal copy read earlier is
folded into the own-site report when that arrives (:func:`absorb_portal_copy`). Copies that differ
in content are both kept, each a report of the agency, the portal's marked by ``found_via``: a
difference between two publications is data, and nothing decides by guess which one is right.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Iterable

from extract.identity import agency_identity

DISCOVERED = "discovered"


@dataclass(frozen=True)
class Owner:
    """Whose report a portal's link is: an agency id, and its agencies row (a discovered agency's,
    or a registered one's: it may not be crawled tonight, and its row must exist for its reports)."""
    id: str
    row: dict
    discovered: bool = False


def discovered_id(ident) -> str | None:
    """The stable id of an agency known only from a title (None when its division is uncertain)."""
    key = ident.key
    if not key:
        return None
    return f"d{ident.division.code}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:10]}"


class Owners:
    """Resolves the issuer of another agency's report (a title verdict's identity) to an agency."""

    def __init__(self, registry: Iterable):
        self.registered: dict[str, object] = {}
        for a in registry:
            key = agency_identity(a.name, a.province, a.city, a.county).key
            if key:
                self.registered.setdefault(key, a)

    def resolve(self, verdict, portal, list_url: str | None = None) -> Owner | None:
        """The owner of a report ``portal``'s list page ``list_url`` shows (None: no single agency)."""
        ident = verdict.identity
        if ident is None or ident.key is None:
            return None
        known = self.registered.get(ident.key)
        if known is not None:
            return Owner(known.id, known.as_row()) if known.id != portal.id else None
        aid = discovered_id(ident)
        if aid is None or not ident.province or not ident.level:
            return None
        return Owner(aid, {
            "id": aid, "name": ident.name, "aliases": "[]", "province": ident.province, "city": ident.city,
            "county": ident.county, "level": ident.level, "platform": portal.platform,
            "start_url": portal.start_url or list_url or "", "registry": DISCOVERED, "division_code": ident.division.code,
            "discovered_via": portal.id,
        }, discovered=True)


def adopt_discovered(conn, row: dict) -> int:
    """A registered agency's row just written (``Agency.as_row``): when a discovered agency has its
    identity, that agency's rows become the registered one's (see the module's docstring). Returns
    the reports moved. Nothing to adopt costs one primary-key look-up."""
    old = discovered_id(agency_identity(row["name"], row["province"], row.get("city"), row.get("county")))
    new = row["id"]
    if old is None or old == new:
        return 0
    found = conn.execute("select registry from agencies where id = ?", [old]).fetchone()
    if found is None or found[0] != DISCOVERED:
        return 0
    # a link both ids hold (listed under each) stays once, the registered one's
    conn.execute("update or ignore report_links set agency_id = ? where agency_id = ?", [new, old])
    conn.execute("delete from report_links where agency_id = ?", [old])
    for table in ("captures", "problems"):
        conn.execute(f"update {table} set agency_id = ? where agency_id = ?", [new, old])
    moved = conn.execute(
        "update reports set agency_id = ?, agency = ?, province = ?, city = ?, county = ?, level = ?"
        " where agency_id = ?",
        [new, row["name"], row["province"], row.get("city"), row.get("county"), row["level"], old]).rowcount
    conn.execute("delete from agencies where id = ?", [old])
    return moved


# ---------------------------------------------------------------------------------------------
# extract side: one report reached under several URLs


_SQUASH_RE = re.compile(r"[^\w]|_", re.UNICODE)


def content_hash(doc) -> str | None:
    """What makes two copies the same report: its standard tables' numbers when it prints them (the
    page around them differs from site to site), else its main text without spaces and punctuation."""
    if doc.cells:
        payload = json.dumps(sorted((c.table, c.row, c.col, str(c.value), c.kind) for c in doc.cells),
                             ensure_ascii=False)
    else:
        payload = _SQUASH_RE.sub("", doc.text or "")
        if not payload:
            return None
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def own_site_first(captures: list[dict]) -> list[dict]:
    """Report captures in the order extract reads them: every agency's own pages before the copies
    portals list (stable, so each URL's versions keep their time order). Each capture carries its
    ``found_via`` (crawler.archive.REPORT_CAPTURE_COLUMNS)."""
    return sorted(captures, key=lambda c: c["found_via"] is not None)


def content_twin(archive, agency_id: str, year: int | None, url: str, digest: str | None):
    """(id, also_at, found_via) of the agency's current report of ``year`` with the same content
    under another URL, or None."""
    if digest is None:
        return None
    return archive.conn.execute(
        "select id, also_at, found_via from reports where agency_id = ? and year is ? and url != ?"
        " and content_hash = ? and is_current = 1 order by found_via is not null, id limit 1",
        [agency_id, year, url, digest]).fetchone()


def add_url(archive, report_id: int, also_at: str | None, *urls: str) -> None:
    """Remember more addresses of one report (``reports.also_at``, a JSON list)."""
    also = json.loads(also_at or "[]")
    new = [u for u in dict.fromkeys(urls) if u and u not in also]
    if new:
        archive.conn.execute("update reports set also_at = ? where id = ?",
                             [json.dumps(also + new, ensure_ascii=False), report_id])


def absorb_portal_copy(archive, keep_id: int, drop_id: int) -> None:
    """The agency's own page arrived after a portal's copy of the same report had become a report:
    the own page's report keeps the portal's addresses, and the copy's derived rows go (they are
    derived data: its captures stay, and a full re-extract gives the same archive)."""
    url, also = archive.conn.execute("select url, also_at from reports where id = ?", [drop_id]).fetchone()
    keep_also = archive.conn.execute("select also_at from reports where id = ?", [keep_id]).fetchone()[0]
    add_url(archive, keep_id, keep_also, url, *json.loads(also or "[]"))
    # every version of the copy's URL: they are one page, now an address of the kept report
    ids = [r[0] for r in archive.conn.execute("select id from reports where url = ?", [url])]
    tables = {r[0] for r in archive.conn.execute("select name from sqlite_master where type = 'table'")}
    for rid in ids:
        for table in ("cells", "checks", "report_texts_zlib"):
            if table in tables:
                archive.conn.execute(f"delete from {table} where report_id = ?", [rid])
        archive.conn.execute("update problems set report_id = ? where report_id = ?", [keep_id, rid])
        archive.unindex_report(rid)  # by its words, before the row that holds them goes
        archive.conn.execute("delete from reports where id = ?", [rid])
