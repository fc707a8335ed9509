"""Where the crawler may connect: the address half of the fetch policy, enforced at connect time.

Scrapy's HTTP handler connects through Twisted's ``HostnameEndpoint``, which asks the reactor's name
resolver for addresses and connects to exactly the addresses it is handed (an IP literal in a URL is
"resolved" the same way). :class:`GuardedResolver` is that resolver (``TWISTED_DNS_RESOLVER``): it
resolves the name, drops every address that is not public unicast (loopback, private, link-local,
shared, multicast, reserved, unspecified, IPv4-mapped forms of those), and hands the endpoint only
what is left. The address checked is the address connected to, so a name that answers a public
address once and 127.0.0.1 the next time (DNS rebinding) cannot slip through, and a redirect is
checked like a link, because it is another connection.

A refused name gets no address, so the connection fails with a DNS error; the reason is kept in
:data:`refusals` for ``crawler.middlewares.FetchPolicyMiddleware`` to record on the capture.

Loopback is refused too, unless ``NIANBAO_ALLOW_LOOPBACK`` lists ports: then loopback connections to
those ports (the replica web, the tests' servers) are allowed, and ``*.localhost`` names resolve to
127.0.0.1 (RFC 6761) so that each replica agency has its own host name. Only ``replica_overrides``
and the tests set it; a real crawl never does, and a real registry cannot.
"""
from __future__ import annotations

import ipaddress

from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer, provider

from scrapy.resolver import HostResolution
from scrapy.utils.datatypes import LocalCache

# (host, port) → why its addresses were refused, for the downloader middleware's message
refusals: LocalCache = LocalCache(10000)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_loopback_alias(name: str) -> bool:
    name = name.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def allowed_ports(value) -> frozenset[int]:
    """``NIANBAO_ALLOW_LOOPBACK`` as a set of ports: a list, or a comma-separated string (``-s``)."""
    if value in (None, "", False, 0, "0"):
        return frozenset()
    if isinstance(value, (int, str)):
        value = str(value).split(",")
    return frozenset(int(p) for p in value if str(p).strip())


def address_refusal(ip: str, port: int, allow_loopback: frozenset[int] = frozenset()) -> str | None:
    """Why the crawler must not connect to ``ip``:``port``, or None when it may."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return f"not an IP address: {ip}"
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or (ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
                                        if addr in _NAT64 else None)
        if embedded is not None:
            return address_refusal(str(embedded), port, allow_loopback)
    if addr.is_loopback:
        if port in allow_loopback:
            return None
        return f"{addr} is a loopback address" + (
            f" (port {port} is not one of NIANBAO_ALLOW_LOOPBACK)" if allow_loopback else "")
    for test, what in ((addr.is_unspecified, "unspecified"), (addr.is_multicast, "multicast"),
                       (addr.is_link_local, "link-local"), (addr.is_private, "private"),
                       (addr.is_reserved, "reserved")):
        if test:
            return f"{addr} is {'an' if what[0] in 'aeiou' else 'a'} {what} address"
    if not addr.is_global:
        return f"{addr} is not a public address"
    return None


@provider(IResolutionReceiver)
class _Filter:
    """Passes on the addresses the policy allows; remembers why the others were refused."""

    def __init__(self, receiver, host: str, port: int, allow: frozenset[int], cache: LocalCache | None = None):
        self.receiver, self.host, self.port, self.allow = receiver, host, port, allow
        self.cache = cache
        self.resolved: list = []
        self.passed = 0
        self.refused: list[str] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address) -> None:
        self.resolved.append(address)
        why = address_refusal(address.host, self.port, self.allow)
        if why:
            self.refused.append(why)
            return
        self.passed += 1
        self.receiver.addressResolved(address)

    def resolutionComplete(self) -> None:
        key = (self.host.lower(), self.port)
        if self.cache is not None and self.resolved:
            self.cache[self.host.lower()] = self.resolved
        if not self.passed and self.refused:
            why = self.refused[0]
            named = "" if why.startswith(self.host.strip("[]") + " ") else f"{self.host} → "
            refusals[key] = f"refused by the fetch policy: {named}{why}"
        else:
            refusals.pop(key, None)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    """The reactor's name resolver during a crawl (``TWISTED_DNS_RESOLVER``): system resolution
    (IPv4 and IPv6, Twisted's getaddrinfo in a thread, answers cached per crawl as Scrapy's own
    resolver does), then the address policy above, applied to every answer, cached or not."""

    def __init__(self, reactor, allow_loopback: frozenset[int] = frozenset(), cache_size: int = 10000):
        self.reactor = reactor
        self.allow = allow_loopback
        self.original = reactor.nameResolver
        self.cache = LocalCache(cache_size) if cache_size else None

    @classmethod
    def from_crawler(cls, crawler, reactor):
        s = crawler.settings
        return cls(reactor, allowed_ports(s.get("NIANBAO_ALLOW_LOOPBACK")),
                   s.getint("DNSCACHE_SIZE") if s.getbool("DNSCACHE_ENABLED") else 0)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(self, resolutionReceiver, hostName: str, portNumber: int = 0,
                        addressTypes=None, transportSemantics: str = "TCP"):
        receiver = _Filter(resolutionReceiver, hostName, portNumber, self.allow, self.cache)
        if self.allow and is_loopback_alias(hostName):
            known = [IPv4Address("TCP", "127.0.0.1", 0)]
        else:
            known = self.cache.get(hostName.lower()) if self.cache is not None else None
        if known is None:
            return self.original.resolveHostName(receiver, hostName, portNumber, addressTypes,
                                                 transportSemantics)
        resolution = HostResolution(hostName)
        receiver.resolutionBegan(resolution)
        for address in known:
            receiver.addressResolved(type(address)("TCP", address.host, portNumber))
        receiver.resolutionComplete()
        return resolution
