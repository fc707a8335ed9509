"""A small hostile web for the crawler, on the loopback: what a site nobody here controls can do.

One threaded HTTP server answers every agency (each its own ``*.localhost`` name, so each gets its own
download slot, as real sites do); a second server on another loopback port plays an internal service
(an admin API, a metadata endpoint) that a redirect must never reach. Pages are generated here, from
the path; nothing is mocked: the crawler talks real HTTP to real sockets.

Sites (``/<site>/…``):

- ``good``: a list page with two reports, one of them reached through a 301 (the capture must keep
  the link followed *and* the target); its answers carry Set-Cookie and internal headers.
- ``endless``: pagination that never ends (下一页 on every page).
- ``many``: one list page with 10,000 report links.
- ``internal``: report links that redirect to the internal service (another loopback port, by IP
  and by name), to a private and a link-local address, to ``file:``; a direct link to the service.
- ``loop``: a redirect cycle and an endless redirect chain.
- ``slow``: a report page that drips one byte at a time.
- ``huge``: a body over the cap (streamed without a length) and one that declares 300 MB.
- ``clock``: list pages that take 0.7 s each, endless (for the per-agency time budget).
- ``bulk``: 60 reports of 100 KB incompressible bytes each (to fill a small disk).
"""
from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD_NAME = "好市民政局"


NAMES = {"good": GOOD_NAME, "endless": "无尽市民政局", "many": "众多市民政局", "internal": "内网市民政局",
         "loop": "循环市民政局", "slow": "滴漏市民政局", "huge": "巨大市民政局", "clock": "慢钟市民政局",
         "bulk": "大量市民政局"}
# the report links of the one-page hostile sites (each also links a good report, ok.html), by year
LINKS = {
    "internal": [("to-port", 2015), ("to-localhost", 2016), ("to-private", 2017), ("to-metadata", 2018),
                 ("to-file", 2019), ("{ip}/direct", 2020), ("http://[::1]:{internal}/v6", 2014)],
    "loop": [("a", 2021), ("chain/0", 2020)],
    "slow": [("drip.html", 2021)],
    "huge": [("stream.html", 2020), ("declared.pdf", 2021)],
}


def title(agency: str, year: int, extra: str = "") -> str:
    return f"{agency}{year}年政府信息公开工作年度报告{extra}"


def page(heading: str, items: list[tuple[str, str]], next_href: str | None = None) -> bytes:
    lis = "".join(f'<li><a href="{h}" title="{t}">{t}</a><span>2023-01-15</span></li>' for h, t in items)
    nxt = f'<a href="{next_href}">下一页</a>' if next_href else ""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{heading}</title></head>'
            f"<body><h1>{heading}</h1><ul>{lis}</ul><div class=page>{nxt}</div></body></html>").encode()


def report(heading: str, filler: bytes = b"") -> bytes:
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{heading}</title></head><body>'
            f"<h1>{heading}</h1><p>一、总体情况。本机关依法公开政府信息。</p>").encode() + filler + b"</body></html>"


def noise(seed: str, size: int) -> bytes:
    """Incompressible bytes (a hash chain), as an HTML comment: a page nothing can shrink."""
    out = bytearray()
    h = seed.encode()
    while len(out) < size:
        h = hashlib.sha256(h).digest()
        out += h.hex().encode()
    return b"<!--" + bytes(out[:size]) + b"-->"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class HostileWeb:
    """``with HostileWeb() as web:`` — ``web.port`` (the sites), ``web.internal_port`` (the service
    no crawl may reach), ``web.internal_hits`` (requests it received), ``web.url(site, path)``."""

    def __init__(self):
        self.internal_hits: list[str] = []
        self.hits: list[tuple[str, str]] = []
        web = self

        class Sites(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, status: int, body: bytes = b"", ctype="text/html; charset=utf-8", headers=()):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Set-Cookie", "SESSIONID=secret-session; Path=/")
                self.send_header("X-Backend-Server", "app-07.intranet:8080")
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def redirect(self, location: str, status: int = 302):
                self.send(status, b"", headers=[("Location", location)])

            def do_GET(self):  # noqa: C901 - one branch per hostile behaviour
                path = self.path.split("?", 1)[0]
                web.hits.append((self.headers.get("Host", ""), path))
                site, _, rest = path.lstrip("/").partition("/")
                ip = f"http://127.0.0.1:{web.internal_port}"
                if path == "/robots.txt":
                    return self.send(404, b"no robots")
                if site == "good":
                    if rest == "list.html":
                        return self.send(200, page("年报", [("r1.html", title(GOOD_NAME, 2022)),
                                                            ("moved", title(GOOD_NAME, 2021))]))
                    if rest == "moved":
                        return self.redirect("/good/r2.html", 301)
                    if rest in ("r1.html", "r2.html"):
                        return self.send(200, report(f"{GOOD_NAME} {rest}"))
                if site in ("endless", "clock", "many") and rest.startswith("r"):
                    return self.send(200, report(f"{site} {rest}"))
                if site in ("endless", "clock") and rest.startswith("list_"):
                    if site == "clock":
                        time.sleep(0.7)
                    n = int(rest[5:].split(".")[0])
                    return self.send(200, page(f"第{n}页", [(f"r{n}.html", title(NAMES[site], 2000 + n % 24))],
                                               f"list_{n + 1}.html"))
                if site == "many" and rest == "list.html":
                    items = [(f"r{i}.html", title("众多市民政局", 2000 + i % 24, f"（{i}）")) for i in range(10_000)]
                    return self.send(200, page("年报", items))
                if rest == "ok.html" and site in NAMES:
                    return self.send(200, report(f"{NAMES[site]} 2022"))
                if rest == "list.html" and site in LINKS:
                    links = [(href.format(ip=ip, internal=web.internal_port), title(NAMES[site], year))
                             for href, year in LINKS[site]]
                    return self.send(200, page("年报", links + [("ok.html", title(NAMES[site], 2022))]))
                if site == "internal":
                    targets = {"to-port": f"{ip}/admin", "to-localhost": f"http://localhost:{web.internal_port}/admin",
                               "to-private": "http://10.255.255.1/admin",
                               "to-metadata": "http://169.254.169.254/latest/meta-data/",
                               "to-file": "file:///etc/passwd"}
                    if rest in targets:
                        return self.redirect(targets[rest])
                if site == "loop":
                    if rest == "a":
                        return self.redirect("/loop/b")
                    if rest == "b":
                        return self.redirect("/loop/a")
                    if rest.startswith("chain/"):
                        return self.redirect(f"/loop/chain/{int(rest[6:]) + 1}")
                if site == "slow":
                    if rest == "drip.html":
                        self.send_response(200)
                        self.send_header("Content-Type", "text/html; charset=utf-8")
                        self.send_header("Content-Length", "100000")
                        self.end_headers()
                        try:
                            for _ in range(300):
                                self.wfile.write(b"<")
                                self.wfile.flush()
                                time.sleep(0.2)
                        except OSError:
                            pass
                        return
                if site == "huge":
                    if rest == "stream.html":  # no length: only counting bytes can stop it
                        self.send_response(200)
                        self.send_header("Content-Type", "text/html")
                        self.send_header("Connection", "close")
                        self.end_headers()
                        chunk = b"<p>" + b"x" * 65536
                        try:
                            for _ in range(800):  # 50 MB at most
                                self.wfile.write(chunk)
                        except OSError:
                            pass
                        self.close_connection = True
                        return
                    if rest == "declared.pdf":
                        self.send_response(200)
                        self.send_header("Content-Type", "application/pdf")
                        self.send_header("Content-Length", str(300 * 1024 * 1024))
                        self.end_headers()
                        try:
                            self.wfile.write(b"%PDF-1.7\n" + b"0" * 10000)
                            time.sleep(5)
                        except OSError:
                            pass
                        self.close_connection = True
                        return
                if site == "bulk":
                    if rest == "list.html":
                        return self.send(200, page("年报", [(f"r{i}.html", title("大量市民政局", 1990 + i % 34, f"（{i}）"))
                                                            for i in range(60)]))
                    if rest.startswith("r"):
                        return self.send(200, report(f"大量市民政局 {rest}", noise(rest, 100_000)))
                return self.send(404, b"not found")

        class Internal(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                web.internal_hits.append(self.path)
                body = b'{"secret": "internal-admin-token"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Set-Cookie", "admin=internal-admin-token")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._servers = [_Server(("127.0.0.1", 0), Sites), _Server(("127.0.0.1", 0), Internal)]
        self.port = self._servers[0].server_address[1]
        self.internal_port = self._servers[1].server_address[1]

    def url(self, site: str, path: str, host: str | None = None) -> str:
        return f"http://{host or site}.localhost:{self.port}/{site}/{path}"

    def __enter__(self):
        for s in self._servers:
            threading.Thread(target=s.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        for s in self._servers:
            s.shutdown()
            s.server_close()
        return False


def registry_yaml(web: HostileWeb, sites: dict[str, dict | None]) -> str:
    """A registry (generic platform) of the given agencies: {name: registry options}. An agency is
    ``<name>-mzj`` on site ``name``; ``deep`` is a second agency on the endless site."""
    import yaml

    first = {"endless": "list_1.html", "clock": "list_1.html"}
    agencies = []
    for name, options in sites.items():
        site = {"deep": "endless"}.get(name, name)
        entry = {"id": f"{name}-mzj", "name": NAMES[site], "province": "测试省", "city": None,
                 "level": "city", "platform": "generic", "start_url": web.url(site, first.get(site, "list.html"), host=name)}
        if options:
            entry["options"] = options
        agencies.append(entry)
    return yaml.safe_dump({"registry": "hostile", "agencies": agencies}, allow_unicode=True)
