"""A DNS resolver that answers ``*.localhost`` with 127.0.0.1.

RFC 6761 reserves .localhost for loopback, and browsers already resolve it so; the system resolver
does not always. The replica web gives each agency its own host name, so politeness (per-host
concurrency, robots.txt) behaves on the replica as on real sites.
"""
from __future__ import annotations

from twisted.internet import defer

from scrapy.resolver import CachingThreadedResolver


def is_loopback_alias(name: str) -> bool:
    name = name.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


class LoopbackAliasResolver(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout=()):
        if is_loopback_alias(name):
            return defer.succeed("127.0.0.1")
        return super().getHostByName(name, timeout)
