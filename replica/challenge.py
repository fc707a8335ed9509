"""Anti-bot challenge front ends, as two families of vendors put them in front of government sites.

* 瑞数 (RiverSecurity Botgate): every first request answers **HTTP 412** with a tiny page whose
  ``<head>`` holds an inline ``$_ts`` bootstrap (``$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=…;
  $_ts.cd="…"``) and an external script (``/{random}/{random}.js``, which answers 200: the browser
  must run it); a cookie pair whose names end in ``S`` and ``T`` is set. Only a real browser gets
  through.
* 加速乐 (知道创宇): every request answers **HTTP 521** with
  ``<script>document.cookie=…;location.href=location.pathname+location.search</script>`` and a
  ``__jsluid_h`` cookie; a client that runs the script and comes back with its
  ``__jsl_clearance_s`` cookie gets a second 521 with a ``go({…})`` hash challenge.

Both answer *every* path, ``robots.txt`` included (the gateway sits before the web server), to every
method. Nothing behind them is reachable, and the ground truth says so (``Truth.blocked``).
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _word(rng: random.Random, n: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(n))


@dataclass
class Challenge:
    kind: str  # '412' | '521'
    host: str

    def __post_init__(self):
        rng = random.Random(f"challenge:{self.kind}:{self.host}")
        self.cookie_prefix = _word(rng, 14)
        self.script_path = f"/{_word(rng, 13)}/{_word(rng, 8)}.{_hex(rng, 7)}.js"
        self.ts_cd = _word(rng, 180)
        self.nsd = rng.randint(10000, 99999)
        self.jsluid = _hex(rng, 32)
        self.clearance = f"{rng.randint(1_700_000_000, 1_720_000_000)}.{rng.randint(100, 999)}|0|{_word(rng, 27)}"

    # -- answers -----------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: str, headers: dict) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.kind == "412":
            if path == self.script_path:
                body = self._ts_script()
                return self._out(200, "application/javascript", body, method)
            return self._out(412, "text/html", self._ruishu_page(path, query), method, [
                ("Set-Cookie", f"{self.cookie_prefix}S={self._cookie_value(path)}; Path=/; expires=Mon, 01 Jan 2035 "
                               "00:00:00 GMT; HttpOnly"),
                ("Connection", "keep-alive")])
        cookies = headers.get("cookie", "")
        if "__jsl_clearance_s=" in cookies:
            return self._out(521, "text/html", self._jsl_go(), method)
        return self._out(521, "text/html", self._jsl_page(), method, [
            ("Set-Cookie", f"__jsluid_h={self.jsluid}; max-age=31536000; path=/; HttpOnly")])

    @staticmethod
    def _out(status: int, ctype: str, body: bytes, method: str, extra: list[tuple[str, str]] | None = None):
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), ("Server", "nginx"),
                   ("Cache-Control", "no-cache, no-store"), *(extra or [])]
        return status, headers, (b"" if method == "HEAD" else body)

    def _cookie_value(self, path: str) -> str:
        return hashlib.sha256(f"{self.host}{path}{self.nsd}".encode()).hexdigest()[:60]

    def _ruishu_page(self, path: str, query: str) -> bytes:
        return (
            '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            '<meta http-equiv="Expires" content="0"><meta http-equiv="Cache-Control" content="no-cache">'
            '<meta http-equiv="Pragma" content="no-cache"><meta http-equiv="Cache" content="no-cache">'
            f'<meta id="{_word(random.Random(path), 10)}" content="{self.ts_cd[:96]}" r="m">'
            "<script type=\"text/javascript\" r='m'>"
            f"$_ts=window['$_ts'];if(!$_ts)$_ts={{}};$_ts.nsd={self.nsd};$_ts.cd=\"{self.ts_cd}\";"
            "if($_ts.lcd)$_ts.lcd();</script>"
            f"<script type=\"text/javascript\" charset=\"utf-8\" src=\"{self.script_path}\" r='m'></script>"
            "</head><body></body></html>"
        ).encode("utf-8")

    def _ts_script(self) -> bytes:
        rng = random.Random(self.script_path)
        junk = ";".join(f"var _${_word(rng, 2)}=_${_word(rng, 2)}[{rng.randint(0, 99)}]" for _ in range(60))
        return f"(function(){{{junk};debugger;}})();".encode("ascii")

    def _jsl_page(self) -> bytes:
        name = "__jsl_clearance_s"
        pieces = "+".join(f"('{ch}')" for ch in name)
        return (f"<script>document.cookie={pieces}+('=')+('{self.clearance}')+';Expires=Tue, 01-Jan-30 00:00:00 "
                "GMT;Path=/;';location.href=location.pathname+location.search</script>").encode("ascii")

    def _jsl_go(self) -> bytes:
        return ('<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                "</head><body><script>function go(za){/* sha1 challenge: try chars until the hash matches */}"
                f'go({{"bts":["{self.clearance[:11]}","{_hex(random.Random(self.host), 6)}"],'
                f'"chars":"{_word(random.Random(self.jsluid), 52)}","ct":"{_hex(random.Random(self.clearance), 40)}",'
                '"ha":"sha1","is":true,"tn":"__jsl_clearance_s","vt":"3600","wt":"1500"})'
                "</script></body></html>").encode("ascii")


NOTES = {
    "412": "瑞数 Botgate: HTTP 412 with an inline $_ts bootstrap on every path (robots.txt included)",
    "521": "加速乐: HTTP 521 with a document.cookie script and a reload on every path (robots.txt included)",
}
