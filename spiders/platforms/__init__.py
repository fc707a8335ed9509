"""Platform adapters, by registry ``platform`` name."""
from .anhui import AnhuiPlatform
from .base import GenericPlatform, Link, PageRequest, Platform
from .gkmlpt import GkmlptPlatform
from .hanweb import HanwebPlatform
from .hanweb_xxgk import HanwebXxgkPlatform
from .trs import TRSPlatform
from .trs_fujian import TRSFujianPlatform

PLATFORMS: dict[str, Platform] = {
    "trs": TRSPlatform(),
    "trs_fujian": TRSFujianPlatform(),
    "hanweb": HanwebPlatform(),
    "hanweb_xxgk": HanwebXxgkPlatform(),
    "gkmlpt": GkmlptPlatform(),
    "anhui": AnhuiPlatform(),
    "generic": GenericPlatform(),
}


def platform_for(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise ValueError(f"no platform adapter named {name!r} (have: {', '.join(PLATFORMS)})") from None


__all__ = ["PLATFORMS", "platform_for", "Link", "PageRequest", "Platform"]
