"""Serving the archive from several processes: ``nianbao serve --workers N``.

Datasette answers from one Python process: its pages are rendered by Jinja and per-cell plugin
hooks, so one process uses one core however many the machine has (~100 ms of CPU for a page
nobody asked for before; see bench/load.py). Uvicorn's own supervisor can run N copies of an ASGI
app on one listening socket, each a process with its own Datasette, page cache and SQLite
connections; the archive served immutable needs no coordination between them.

Each worker builds its Datasette from the very ``datasette serve`` arguments a single process
would get (handed over in ``NIANBAO_DATASETTE_ARGS``, parsed by Datasette's own command), so the
two modes cannot drift apart.

    python -m publish.workers --workers 4 --host 127.0.0.1 --port 8001 -- -i archive.db --metadata …
"""
from __future__ import annotations

import argparse
import json
import os
import secrets

ENV = "NIANBAO_DATASETTE_ARGS"


def app():
    """The ASGI app of one worker (an import-string factory, as uvicorn's workers need)."""
    from datasette.cli import serve

    args = json.loads(os.environ[ENV])
    with serve.make_context("serve", list(args)) as ctx:
        ds = serve.callback(**{**ctx.params, "return_instance": True})
    return ds.app()  # runs the startup hooks before its first request


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8001)
    ap.add_argument("datasette_args", nargs=argparse.REMAINDER,
                    help="after --: the `datasette serve` arguments (files, --metadata, --setting …)")
    opts = ap.parse_args(argv)
    rest = opts.datasette_args[1:] if opts.datasette_args[:1] == ["--"] else opts.datasette_args
    os.environ[ENV] = json.dumps(rest)
    # One secret for every worker: a signed cookie or CSRF token made by one process must be
    # accepted by the next (Datasette makes a random one per process otherwise).
    os.environ.setdefault("DATASETTE_SECRET", secrets.token_hex(32))
    uvicorn.run("publish.workers:app", factory=True, workers=opts.workers, host=opts.host,
                port=opts.port, lifespan="on", log_level="info")


if __name__ == "__main__":
    main()
