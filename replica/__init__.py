"""The replica web: generated copies of agency websites, served on 127.0.0.1 for tests and the demo.

Real agency sites are slow, flaky, sometimes blocked, and change; tests of the crawler and of the
whole pipeline need sites that look like them (TRS, TRS-Fujian, Hanweb and its xxgk module, gkmlpt,
Anhui, a long-tail VSB site; JavaScript-only paging and JSON APIs; GBK pages; Word-pasted tables;
PDF/DOCX/XLS(X)/DOC/WPS attachments; anti-bot challenge gateways; traps) but answer instantly and
always the same way, with a ground truth of what they contain. ``build_web`` renders them from the replica registry
(``crawler/registry/replica.yml``); ``ReplicaServer`` serves them; ``web.truth`` says what was planted.
"""
from __future__ import annotations

from .server import ReplicaServer
from .truth import BadInput, Blocked, NonReport, Placeholder, PlantedAttachment, PlantedReport, Truth
from .web import Web, build_web


def replica_web(registry: str = "replica") -> Web:
    """Load the replica registry and build its web (host and path come from each start_url)."""
    from crawler.registry import load_registry

    return build_web(load_registry(registry, port=0))


__all__ = ["build_web", "replica_web", "ReplicaServer", "Web", "Truth", "PlantedReport", "NonReport", "BadInput",
           "Blocked", "Placeholder", "PlantedAttachment"]
