"""A real HTTP server for the replica web, on 127.0.0.1, for tests, the demo and manual browsing.

Crawlers under test must meet real sockets, real headers and real status codes, so the replica is
served by the standard library's ``ThreadingHTTPServer`` in a daemon thread. Every agency is a
virtual host under ``.localhost`` (which resolves to 127.0.0.1), dispatched on the ``Host`` header.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .web import Web


class _Handler(BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        srv: ReplicaServer = self.server.replica  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        host = self.headers.get("Host", "")
        if srv.delay:
            import time
            time.sleep(srv.delay)
        status, headers, payload = srv.web.handle(self.command, host, self.path, body, dict(self.headers.items()))
        srv._record(self.command, host.rsplit(":", 1)[0].lower(), self.path, status)
        try:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            if payload and self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (a killed crawl): nothing to answer

    do_GET = do_HEAD = do_POST = _answer

    def do_PUT(self) -> None:  # anything else: 405 from Web.handle
        self._answer()

    do_DELETE = do_OPTIONS = do_PATCH = do_PUT

    def log_message(self, format: str, *args) -> None:  # quiet: tests read ReplicaServer.requests
        if self.server.replica.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)


class ReplicaServer:
    """``with ReplicaServer(web) as srv: urlopen(srv.url("mzt.xinjiang.localhost", "/"))``."""

    def __init__(self, web: Web, host: str = "127.0.0.1", port: int = 0, verbose: bool = False,
                 delay: float = 0.0):
        self.web = web
        self.delay = delay  # seconds per answer: slow sites (and crawls long enough to kill mid-run)
        self.verbose = verbose
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.replica = self  # type: ignore[attr-defined]
        self._lock = threading.Lock()
        self._requests: list[tuple[str, str, str, int]] = []
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def host(self) -> str:
        return self._httpd.server_address[0]

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def start_urls(self) -> dict[str, str]:
        return self.web.start_urls(self.port)

    @property
    def requests(self) -> list[tuple[str, str, str, int]]:
        """(method, host, path, status) of every request served so far (a copy)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, method: str, host: str, path: str, status: int) -> None:
        with self._lock:
            self._requests.append((method, host, path, status))

    def start(self) -> "ReplicaServer":
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="replica-http", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (CLI use)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def __enter__(self) -> "ReplicaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
