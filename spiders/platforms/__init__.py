"""Platform adapters, by registry ``platform`` name."""
from .base import GenericPlatform, Link, PageRequest, Platform
from .hanweb import HanwebPlatform
from .trs import TRSPlatform

PLATFORMS: dict[str, Platform] = {
    "trs": TRSPlatform(),
    "hanweb": HanwebPlatform(),
    "generic": GenericPlatform(),
}


def platform_for(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise ValueError(f"no platform adapter named {name!r} (have: {', '.join(PLATFORMS)})") from None


__all__ = ["PLATFORMS", "platform_for", "Link", "PageRequest", "Platform"]
