"""Make Office zip packages byte-identical from run to run (fixed member times and core dates)."""
from __future__ import annotations

import io
import re
import zipfile

_DATES = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def stable_zip(data: bytes, year: int = 2020) -> bytes:
    """Rewrite a .docx/.xlsx package with every member dated ``year``-01-15 and the core
    properties' created/modified set to the same instant."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = f"{year:04d}-01-15T08:00:00Z".encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                blob = _DATES.sub(lambda m: m.group(1) + stamp + m.group(2), blob)
            zi = zipfile.ZipInfo(info.filename, date_time=(year, 1, 15, 8, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, blob)
    return out.getvalue()
