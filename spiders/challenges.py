"""Anti-bot challenge pages, recognised so a blocked agency is reported as blocked, not as broken.

瑞数 (RiverSecurity Botgate) answers HTTP 412 with an inline ``$_ts`` bootstrap; 加速乐 (知道创宇)
answers HTTP 521 with a script that sets a cookie and reloads. Neither is content, and neither is a
site failure the operator can fix by editing a registry entry: they need a browser-grade fetcher.
"""
from __future__ import annotations

import re

RUISHU_RE = re.compile(rb"\$_ts\s*=|\$_ts\.|_\$[a-zA-Z]{2}\s*=", re.I)
JSL_RE = re.compile(rb"document\.cookie\s*=.*?location\.(href|replace)", re.S | re.I)
JSL_GO_RE = re.compile(rb"__jsl_clearance|go\(\{", re.I)


def challenge_kind(status: int | None, body: bytes) -> str | None:
    """'ruishu-412' / 'jiasule-521' / None."""
    head = body[:20000] if body else b""
    if status == 412 and (RUISHU_RE.search(head) or b"<script" in head.lower()):
        return "ruishu-412"
    if status == 521 and (JSL_RE.search(head) or JSL_GO_RE.search(head)):
        return "jiasule-521"
    if status in (200, 202) and len(head) < 4000 and JSL_RE.search(head) and b"<body" not in head.lower():
        return "jiasule-cookie"
    return None


DESCRIPTIONS = {
    "ruishu-412": "blocked by an anti-bot challenge (瑞数 Botgate: HTTP 412 with $_ts script)",
    "jiasule-521": "blocked by an anti-bot challenge (加速乐: HTTP 521 with cookie script)",
    "jiasule-cookie": "blocked by an anti-bot challenge (cookie-setting script instead of content)",
}
