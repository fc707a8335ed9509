"""``python -m replica --port 8765``: serve the replica web and print each agency's start URL."""
from __future__ import annotations

import argparse
import sys

from . import ReplicaServer, replica_web


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m replica", description=__doc__)
    ap.add_argument("--port", type=int, default=8765, help="TCP port (0: any free port)")
    ap.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    ap.add_argument("--registry", default="replica", help="registry name or YAML path")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = ap.parse_args(argv)
    web = replica_web(args.registry)
    srv = ReplicaServer(web, host=args.bind, port=args.port, verbose=args.verbose)
    counts = web.truth.counts()
    blocked = {b.agency_id: b.kind for b in web.truth.blocked}
    print(f"replica web on http://{args.bind}:{srv.port}/ (hosts under .localhost resolve to 127.0.0.1)")
    for aid, url in srv.start_urls().items():
        c = counts.get(aid, {})
        note = f"blocked: HTTP {blocked[aid]}" if aid in blocked else f"{c.get('reports', 0)} reports"
        print(f"  {aid:14s} {url}   [{note}]")
    sys.stdout.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
