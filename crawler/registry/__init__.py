"""The agencies, as data.

Agencies live in YAML files beside this module (``replica.yml`` for the bundled replica web,
``real.yml`` for real sites); platforms are code (``spiders/platforms``). Every entry is validated
against ``schema.json`` so that a typo in a registry fails loudly before a crawl, not silently in it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml

from extract.identity import division_code_of

HERE = Path(__file__).parent
SCHEMA = json.loads((HERE / "schema.json").read_text(encoding="utf-8"))
NAMED = {"replica": HERE / "replica.yml", "real": HERE / "real.yml"}


class RegistryError(ValueError):
    """A registry file that does not validate; the message names the entry and the field."""


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    province: str
    level: str
    platform: str | None = None  # None: found by discovery from ``home_url`` at crawl time
    start_url: str | None = None
    city: str | None = None
    county: str | None = None
    aliases: tuple[str, ...] = ()
    options: dict = field(default_factory=dict, hash=False, compare=False)
    registry: str = "real"
    home_url: str | None = None

    @property
    def needs_discovery(self) -> bool:
        """A home page without a column and its platform: the crawl finds them (spiders.discover) first."""
        return bool(self.home_url) and not (self.start_url and self.platform)

    def as_row(self) -> dict:
        return {
            "id": self.id, "name": self.name, "province": self.province, "city": self.city,
            "county": self.county, "level": self.level,
            # not yet discovered: the archive keeps what an earlier discovery found (Archive.upsert_agencies)
            "platform": self.platform or "unknown",
            "start_url": self.start_url or self.home_url, "registry": self.registry,
            "home_url": self.home_url,
            "aliases": json.dumps(list(self.aliases), ensure_ascii=False),
            "division_code": self.division_code,
        }

    @property
    def division_code(self) -> str | None:
        """行政区划代码 of the division the agency sits in, from its name and place
        (``extract.identity.division_code_of``; None when the divisions do not know the place)."""
        return division_code_of(self.name, self.province, self.city, self.county)


def registry_path(name_or_path: str | Path) -> Path:
    if str(name_or_path) in NAMED:
        return NAMED[str(name_or_path)]
    return Path(name_or_path)


def validate(doc: dict, source: str = "registry") -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        lines = []
        for e in errors[:20]:
            where = "/".join(str(p) for p in e.path) or "(top)"
            lines.append(f"{source}: {where}: {e.message}")
        raise RegistryError("\n".join(lines))
    ids = [a["id"] for a in doc["agencies"]]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RegistryError(f"{source}: duplicate agency ids: {', '.join(dupes)}")


def load_registry(name_or_path: str | Path = "replica", port: int | None = None) -> list[Agency]:
    """Load and validate a registry; substitute ``{port}`` (the replica server's) when given."""
    path = registry_path(name_or_path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"no registry at {path}") from None
    except yaml.YAMLError as e:
        raise RegistryError(f"{path}: not valid YAML: {e}") from None
    validate(doc, str(path))
    name = doc.get("registry", path.stem)
    out = []
    for a in doc["agencies"]:
        urls = {}
        for key in ("start_url", "home_url"):
            url = a.get(key)
            if url and "{port}" in url:
                if port is None:
                    raise RegistryError(f"{path}: {a['id']}: {key} needs a replica port ({{port}})")
                url = url.replace("{port}", str(port))
            urls[key] = url
        out.append(Agency(
            id=a["id"], name=a["name"], province=a["province"], level=a["level"],
            platform=a.get("platform"), start_url=urls["start_url"], city=a.get("city"), county=a.get("county"),
            aliases=tuple(a.get("aliases", ())), options=a.get("options", {}), registry=name,
            home_url=urls["home_url"],
        ))
    return out
