"""nianbao: the front door to the archive of 政府信息公开工作年度报告.

\b
    nianbao demo                 replica sites → crawl → extract → Datasette, in one go
    nianbao crawl                crawl a registry's agencies into archive.db (captures only)
    nianbao extract              rebuild reports, tables, checks, problems, search index from captures
    nianbao parse FILE [--json]  parse one local file (HTML, PDF, DOCX, XLSX, text dump)
    nianbao serve                publish archive.db with Datasette
    nianbao replica              serve the bundled replica web on 127.0.0.1
    nianbao nightly              crawl + extract + health table; exit 1 if an agency is failing
    nianbao writer --redis URL   the one writer of a crawl spread over machines (workers:
                                 nianbao crawl --redis URL)
    nianbao sites check          lint a registry
    nianbao sites discover URL   find a site's 年报 column from its home page; print a registry entry

Data flows one way: crawl writes captures; extract reads captures and writes reports;
serve reads the database. Run any command with --help for its options.
"""
from __future__ import annotations

import contextlib
import json
import os
import logging
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import click
import yaml

from extract.budget import Budget

ROOT = Path(__file__).resolve().parents[1]
METADATA = ROOT / "metadata.yml"
DEFAULT_DB = "archive.db"
REPLICA_PORT = 8765


def _free_port(preferred: int | None = None) -> int:
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise click.ClickException("no free port on 127.0.0.1")


def replica_server(port: int):
    """A server of the bundled replica web on ``port``, started by ``with`` (or ``__enter__``).

    The CLI's one door into ``replica/``: `demo`, `replica` and a replica crawl come through here, and
    no other product module imports the replica."""
    from replica import ReplicaServer, replica_web

    return ReplicaServer(replica_web(), port=port)


def replica_overrides(port: int | None = None) -> dict:
    """The replica answers in microseconds and is ours: no politeness delays against it, and the
    fetch policy lets the crawl connect to its loopback port (and resolve ``*.localhost``)."""
    return {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_START_DELAY": 0.0, "AUTOTHROTTLE_MAX_DELAY": 1.0,
            "DOWNLOAD_TIMEOUT": 15, "RETRY_TIMES": 2, "NIANBAO_RETRY_BACKOFF_BASE": 0.05,
            "NIANBAO_ALLOW_LOOPBACK": [port] if port else []}


def run_crawl(*, registry: str, db: str, blobs: str | None, agencies: tuple[str, ...] = (),
              port: int | None = None, log_level: str = "INFO", extra: dict | None = None,
              spider: str | type = "reports") -> dict:
    """Run the Scrapy crawl in this process (once per process: Twisted's reactor cannot restart)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    overrides = {"NIANBAO_DB": db, "NIANBAO_BLOBS": blobs, "NIANBAO_REGISTRY": registry,
                 "NIANBAO_REPLICA_PORT": port, "LOG_LEVEL": log_level}
    if registry == "replica":
        overrides.update(replica_overrides(port))
    overrides.update(extra or {})
    settings.setdict(overrides, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider)
    process.crawl(crawler, registry=registry, agencies=",".join(agencies), port=port)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return stats


@click.group(help=__doc__)
@click.version_option(package_name="nianbao")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def cli(verbose):
    # Our own loggers only: Scrapy configures its logging from LOG_LEVEL during a crawl.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("crawler", "extract"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        if not logger.handlers:
            logger.addHandler(handler)
        logger.propagate = False


db_option = click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
                         help="The SQLite archive to write.")  # `serve` has its own: it only reads
blobs_option = click.option("--blobs", default=None, type=click.Path(file_okay=False),
                            help="Where raw bytes are kept (default: data/blobs beside the database).")


def registry_options(where: str = ""):
    """--registry, --agency, --port, --db and --blobs: what a crawl reads and where it writes."""
    options = [
        click.option("--registry", default="real", show_default=True,
                     help=f"'real', 'replica', or a path to a registry YAML file{where}."),
        click.option("--agency", "agencies", multiple=True, help="Only this agency id (repeatable)."),
        click.option("--port", type=int, default=None, help="Port of a running replica server."),
        db_option, blobs_option]

    def apply(f):
        for option in reversed(options):
            f = option(f)
        return f
    return apply


@cli.command()
@click.option("--registry", default="replica", show_default=True,
              help="'replica', 'real', or a path to a registry YAML file.")
@click.option("--agency", "agencies", multiple=True, help="Only this agency id (repeatable).")
@click.option("--port", type=int, default=None,
              help="Port of a running replica server (fills {port} in replica start URLs).")
@click.option("--serve-replica/--no-serve-replica", default=None,
              help="Start the replica server for this crawl (default: on for the replica registry when no --port).")
@db_option
@blobs_option
@click.option("--log-level", default="INFO", show_default=True)
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy or NIANBAO_ setting for this crawl, as `scrapy crawl -s` (repeatable).")
@click.option("--redis", "redis_url", default=None, metavar="URL",
              help="Run as one worker of a distributed crawl (redis://host:6379/0): take requests from "
                   "the shared frontier of the run `nianbao writer` opened; --registry, --agency and "
                   "--port come from that run. --db (read only) and --blobs, when this machine can read "
                   "the archive, make revalidation conditional; without them every page is fetched.")
@click.option("--redis-prefix", default="nianbao", show_default=True,
              help="Redis key prefix of the distributed crawl (the writer's).")
def crawl(registry, agencies, port, serve_replica, db, blobs, log_level, settings, redis_url, redis_prefix):
    """Crawl every agency of a registry: 年报 columns, pagination, report pages.

    Every fetch is kept as a capture (bytes + headers + status + time); failures are captures too,
    with their reason. Exit status 1 when the run found no report at all, or when the archive could
    not be written (disk full, read-only database, unwritable blob directory): the crawl then stops
    at once, says why in one line, and the run is marked failed with the reason.

    \b
    Examples:
      nianbao crawl                                  # the bundled replica, served for the crawl
      nianbao crawl --registry real --agency changde-mzj
      nianbao crawl --registry real -s NIANBAO_AGENCY_TIME_BUDGET=600   # any setting, as scrapy -s
      nianbao crawl --redis redis://10.0.0.5:6379/0   # a worker of `nianbao writer` (README, "Several machines")
      scrapy crawl reports -a registry=replica -a port=8765   # the same spider, Scrapy's way
    """
    extra = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{setting!r}: expected NAME=VALUE", param_hint="-s")
        extra[name.strip()] = value
    if redis_url:
        from crawler.distributed_cli import worker_main

        given = click.get_current_context().get_parameter_source("db") != click.core.ParameterSource.DEFAULT
        sys.exit(worker_main(redis_url, redis_prefix, db=db if given else None, blobs=blobs,
                             log_level=log_level, extra=extra, run_crawl=run_crawl))
    from crawler.registry import RegistryError, load_registry

    try:  # a wrong registry or agency id is one line here, not a traceback from inside Scrapy
        known = {a.id for a in load_registry(registry, port=port or 0)}
    except RegistryError as e:
        raise click.ClickException(str(e)) from None
    unknown = sorted(set(agencies) - known)
    if unknown:
        raise click.ClickException(f"unknown agency id(s) in registry {registry}: {', '.join(unknown)}")
    server = None
    if serve_replica is None:
        serve_replica = registry == "replica" and port is None
    if serve_replica:
        # A stable port keeps URLs (and so capture and report identities) stable across runs.
        server = replica_server(_free_port(REPLICA_PORT)).__enter__()
        if server.port != REPLICA_PORT:
            click.echo(f"warning: port {REPLICA_PORT} is taken; replica URLs in this run differ "
                       f"from earlier runs", err=True)
        port = server.port
        click.echo(f"replica web on 127.0.0.1:{port}")
    try:
        stats = run_crawl(registry=registry, db=db, blobs=blobs, agencies=agencies, port=port,
                          log_level=log_level, extra=extra)
    finally:
        if server:
            server.stop()
    fatal = stats.get("nianbao/fatal")
    if fatal:
        run = stats.get("nianbao/run_id")
        click.echo(f"error: crawl {'run ' + str(run) + ' ' if run else ''}failed: {fatal}. The archive "
                   f"keeps what was stored before; free space or fix permissions, then crawl again.", err=True)
        sys.exit(1)
    status = stats.get("nianbao/run_status", "unknown")
    if not stats.get("nianbao/run_id"):
        click.echo("error: the crawl did not start (see the log above)", err=True)
        sys.exit(1)
    click.echo(f"crawl run {stats.get('nianbao/run_id')}: {status}; "
               f"{stats.get('nianbao/captures_new', 0)} new captures, "
               f"{stats.get('nianbao/captures_seen', 0)} unchanged")
    if status not in ("finished",):
        sys.exit(1)


@cli.command()
@click.option("--redis", "redis_url", required=True, metavar="URL",
              help="The Redis server of the shared frontier (redis://host:6379/0).")
@click.option("--redis-prefix", default="nianbao", show_default=True,
              help="Redis key prefix: several crawls can share one Redis server.")
@registry_options(" (the same path on every worker)")
@click.option("--grace", type=float, default=90.0, show_default=True,
              help="Seconds to wait for workers to hand in their last counts once the frontier is drained.")
def writer(redis_url, redis_prefix, registry, agencies, port, db, blobs, grace):
    """The one writer of a crawl spread over machines: opens the run, stores what workers fetch.

    Start it once, with the archive on its machine; start `nianbao crawl --redis URL` workers on as
    many machines as you like (before or after). The writer opens a crawl run in archive.db and
    announces it in Redis; the first worker queues the start requests; workers fetch and parse,
    sharing one frontier (scrapy-redis: queue and duplicate filter in Redis) and send every capture
    to the writer through Redis; the writer alone writes archive.db and the blob store. A killed
    worker loses nothing: its unfinished requests go back to the queue once its heartbeat expires.
    When nothing is queued, in flight or waiting, the writer stops the workers, closes the run with
    their merged counts, prints the health table, and exits 1 when the run did not finish (as
    `crawl`). Stopped (SIGTERM) and started again while its run is open, it resumes that run.

    \b
    Examples:
      nianbao writer --redis redis://127.0.0.1:6379/0 --registry real
      nianbao crawl --redis redis://10.0.0.5:6379/0          # on each worker machine
      nianbao extract                                        # afterwards, on the writer's machine
    """
    from crawler.distributed_cli import writer_main

    sys.exit(writer_main(redis_url, redis_prefix, registry=registry, agencies=agencies, port=port,
                         db=db, blobs=blobs, grace=grace, health_table=health_table,
                         sigterm_as_interrupt=_sigterm_as_interrupt))


def health_table(db: str, run_id: int) -> tuple[str, list[dict]]:
    from crawler.archive import Archive

    archive = Archive(db)
    try:
        rows = list(archive.db.query(
            "select ar.*, a.name from agency_runs ar join agencies a on a.id = ar.agency_id"
            " where run_id = ? order by ar.status != 'failing', ar.agency_id", [run_id]))
    finally:
        archive.close()
    # portal: other agencies' reports the agency's lists showed (a shared portal: crawler/portals.py)
    cols = [("agency_id", "agency"), ("status", "status"), ("list_pages", "lists"),
            ("report_links", "reports"), ("portal_links", "portal"), ("new", "new"), ("changed", "changed"),
            ("removed", "removed"), ("not_modified", "304"), ("errors", "errors"), ("note", "note")]
    widths = [max(len(h), *(len(str(r.get(k) if r.get(k) is not None else "")) for r in rows)) if rows else len(h)
              for k, h in cols]
    lines = ["  ".join(h.ljust(w) for (k, h), w in zip(cols, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(r.get(k) if r.get(k) is not None else "").ljust(w)
                               for (k, h), w in zip(cols, widths)))
    return "\n".join(lines), rows


@cli.command()
@registry_options()
@click.option("--log-level", default="WARNING", show_default=True)
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="A setting for the crawl, as `nianbao crawl -s` (e.g. NIANBAO_REVALIDATE_DAYS=1).")
def nightly(registry, agencies, port, db, blobs, log_level, settings):
    """Crawl + extract, print each agency's health, exit 1 when any agency is failing.

    An agency is failing when it yields no report links, a list page fails, it is blocked by an
    anti-bot challenge, a crawl bound stopped it (list pages, links per page, depth, time budget),
    or it lists fewer reports than in the previous run. Meant for cron or the systemd timer in
    deploy/ (see README, "Nightly runs").
    """
    args = ["crawl", "--registry", registry, "--db", db, "--log-level", log_level]
    for a in agencies:
        args += ["--agency", a]
    if port:
        args += ["--port", str(port)]
    if blobs:
        args += ["--blobs", blobs]
    for setting in settings:
        args += ["-s", setting]
    # A child process: the reactor runs once per process, and a crash there must not hide the report.
    rc = subprocess.call([sys.executable, "-m", "crawler.cli", *args])
    from crawler.archive import Archive
    from crawler.extract_step import run_extract

    import sqlite3

    from crawler.archive import describe_write_error

    try:
        archive = Archive(db, blobs)
        try:
            run = list(archive.db.query("select * from crawl_runs order by id desc limit 1"))
            counts = run_extract(archive, progress=False)
        finally:
            archive.close()
    except (sqlite3.Error, OSError) as e:  # the crawl said why above; no extract on such an archive
        click.echo(f"error: nightly stopped, the archive cannot be written ({describe_write_error(e, db)});"
                   f" crawl exit status {rc}", err=True)
        sys.exit(1)
    if not run:
        raise click.ClickException("no crawl run was recorded")
    run = run[0]
    table, rows = health_table(db, run["id"])
    click.echo(f"crawl run {run['id']} ({run['status']}): {run['requests'] or 0} requests, "
               f"{run['bytes_downloaded'] or 0} bytes; extract: {counts['reports']} reports")
    click.echo(table)
    failing = [r["agency_id"] for r in rows if r["status"] == "failing"]
    if rc != 0 or run["status"] != "finished" or failing:
        click.echo(f"FAILING: {', '.join(failing) or 'the crawl itself'}", err=True)
        sys.exit(1)


@cli.command()
@db_option
@blobs_option
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@click.option("--full", is_flag=True,
              help="Read every capture again, not only what changed since the last extract.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Documents read at once, each in its own budgeted process; one writer keeps capture order.")
def extract(db, blobs, progress, full, workers=1):
    """Reports, cells, checks, problems and the full-text index from stored captures (no
    network), and end with a summary: reports, problems by code, damaged captures, documents over
    budget.

    Incremental: a run reads only the captures stored since the last finished extract (new
    reports, new versions, pages whose attachments changed) and those damage left unread, re-runs
    the cross-year checks of the agency-years it touched, and updates the search index row by row;
    with nothing new it takes seconds at any archive size. A new extractor version (EXTRACTOR_VERSION)
    or --full reads everything again.

    Damaged inputs are data, not a failed run: a capture whose stored bytes are missing or corrupt
    (checked against their SHA-256 before parsing), or whose document runs past its budget, is a
    problem on that capture, its report keeps what an earlier extract read, and the run goes on.
    Exit status 1 only when the run did not finish (the database cannot be written, the disk is
    full), 130 when interrupted; every report saved until then was saved whole (row, cells, checks
    and search entry together) and the archive stays usable.
    """
    import os
    import sqlite3

    from crawler.archive import Archive, describe_write_error
    from crawler.extract_step import run_extract, summary

    if not Path(db).exists():
        raise click.ClickException(f"{db} does not exist: run `nianbao crawl` first")
    if not os.access(db, os.W_OK) or not os.access(Path(db).resolve().parent, os.W_OK):
        _extract_unfinished(f"{db} is read-only (the file or its directory cannot be written)")
    try:
        with _sigterm_as_interrupt():
            archive = Archive(db, blobs)
            try:
                counts = run_extract(archive, progress=progress, full=full, workers=workers)
            finally:
                archive.close()
    except (sqlite3.Error, OSError) as e:
        _extract_unfinished(f"{db}: {describe_write_error(e, db)}")
    except KeyboardInterrupt:
        _extract_unfinished("interrupted", status=130)
    for line in summary(counts):
        click.echo(line)


def _extract_unfinished(why: str, status: int = 1) -> None:
    click.echo(f"error: extract did not finish: {why}. Reports saved so far were saved whole; the"
               " others keep their previous extraction; run `nianbao extract` again to complete it.", err=True)
    sys.exit(status)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (a service manager stopping us) ends the run as Ctrl-C does: the transaction in
    progress rolls back and the command says so."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


DEFAULT_NAME = "archive"  # the database name metadata.yml is written for (its links say /archive/…)
_ARCHIVE_PATH = re.compile(r"(?<![\w.~/-])/archive(?=[/?#.\"'\s<]|$)")


def served_name(db: str) -> str:
    """The name Datasette serves ``db`` under (its file name without the extension)."""
    return Path(db).stem


def served_path(db: str) -> str:
    """The URL path of the served database, as Datasette builds it (``/archive``, ``/other``)."""
    from datasette.utils import tilde_encode

    return "/" + tilde_encode(served_name(db))


def metadata_for(name: str) -> dict | None:
    """metadata.yml applied to a database served as ``name``: the ``databases: archive:`` key renamed
    and every ``/archive`` link in every string value pointed at ``/<name>``. ``None`` when the name
    is ``archive`` (metadata.yml then applies as it is)."""
    if name == DEFAULT_NAME:
        return None
    from datasette.utils import tilde_encode

    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8")) or {}
    dbs = meta.get("databases") or {}
    if DEFAULT_NAME in dbs:
        dbs[name] = dbs.pop(DEFAULT_NAME)
    target = "/" + tilde_encode(name)

    def relink(value):
        if isinstance(value, str):
            return _ARCHIVE_PATH.sub(lambda m: target, value)
        if isinstance(value, dict):
            return {k: relink(v) for k, v in value.items()}
        if isinstance(value, list):
            return [relink(v) for v in value]
        return value

    return relink(meta)


def datasette_argv(db: str, host: str, port: int, metadata: str | Path, immutable: bool = True,
                   workers: int = 1) -> list[str]:
    """The ``datasette serve`` command line for ``db`` with the given metadata file (no side effects).
    ``immutable``: a finished archive, opened with ``-i`` (see :func:`serve`); else read only and live.
    ``workers`` > 1: the same arguments served by that many processes (``publish/workers.py``)."""
    from publish import datasette_options, serve_settings

    args = [*(["-i", str(db)] if immutable else [str(db)]), "--metadata", str(metadata),
            *datasette_options(), *serve_settings(immutable)]
    if workers > 1:
        return [sys.executable, "-m", "publish.workers", "--workers", str(workers), "--host", host,
                "--port", str(port), "--", *args]
    return [sys.executable, "-m", "datasette", "serve", *args, "--host", host, "--port", str(port)]


def still_written(db: str) -> str | None:
    """Why ``db`` cannot be served immutable, or None: a non-empty write-ahead log means a crawl or
    extract is running (or was killed before its last checkpoint), and ``-i`` would not read it."""
    wal = Path(str(db) + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return f"{wal.name} holds {wal.stat().st_size:,} bytes not yet in {Path(db).name}"
    return None


def archive_state(db: str) -> tuple:
    """What changes when anything writes ``db``: its size and time, and its WAL file's once that
    holds anything (a reader of a WAL database makes and removes an empty one: that is no change)."""
    def stat(path):
        try:
            st = Path(path).stat()
            return st.st_size, st.st_mtime_ns
        except OSError:
            return None

    wal = stat(str(db) + "-wal")
    return stat(db), wal if wal and wal[0] > 0 else None


@contextlib.contextmanager
def datasette_command(db: str, host: str, port: int, immutable: bool = True,
                      workers: int = 1) -> Iterator[list[str]]:
    """The Datasette command line for ``db``, with metadata.yml applied to the name it is served under.

    ``with datasette_command(db, host, port) as args: run_child(args)``. For ``archive.db`` that is
    metadata.yml itself; for any other name the rewritten metadata lives in a temporary directory
    that exists for the ``with`` block only, so nothing is left behind when the server stops (also
    when it is stopped by Ctrl-C or SIGTERM through :func:`run_child`)."""
    meta = metadata_for(served_name(db))
    if meta is None:
        yield datasette_argv(db, host, port, METADATA, immutable, workers)
        return
    with tempfile.TemporaryDirectory(prefix="nianbao-metadata-") as tmp:
        path = Path(tmp) / "metadata.json"
        path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        yield datasette_argv(db, host, port, path, immutable, workers)


def _stop_child(child: subprocess.Popen) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(10)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        child.kill()
        child.wait()


RESTART = -1  # run_child's answer when ``restart_when`` stopped the child


def run_child(args: list[str], restart_when=None) -> int:
    """Run a server child until it exits or we are told to stop (Ctrl-C or SIGTERM); never
    leave it orphaned holding its port. Returns normally on a stop, so the caller's ``with``
    blocks (the temporary metadata of :func:`datasette_command`) clean up. With ``restart_when``
    (asked every 2 s), the child is stopped when it answers true, and ``RESTART`` returned."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    # SIGTERM is a Ctrl-C until the child is gone (a second one while it stops must not kill us
    # before the caller's clean-up runs).
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        child = subprocess.Popen(args)
        try:
            while True:
                try:
                    return child.wait(2 if restart_when else None)
                except subprocess.TimeoutExpired:
                    if restart_when():
                        return RESTART
        except KeyboardInterrupt:
            return 0
        finally:
            _stop_child(child)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON (report-schema.md shape).")
@click.option("--full", is_flag=True, help="With --json: also text, every cell with its raw text, check details.")
@click.option("--content-type", default=None, help="Declared content type, when the file name does not tell.")
@click.option("--seconds", default=Budget.seconds, show_default=True, type=float,
              help="Time budget for reading the file (wall clock).")
@click.option("--memory-mb", default=Budget.memory_mb, show_default=True, type=int,
              help="Memory budget for reading the file.")
def parse(file, as_json, full, content_type, seconds, memory_mb):
    """Parse one local file (HTML, PDF, DOCX, DOC, XLSX, XLS or a text dump) into the canonical
    tables, run the checks, and print the result. The file is read in a worker process under a
    time and memory budget, as `nianbao extract` reads captures.

    \b
    Exit status 0 when the file was read (whatever its checks say), 2 when it cannot be read:
    missing, not a regular file (a directory, a FIFO, a device), over 200 MiB, unreadable,
    undecodable, of no known format (binary data), encrypted, or over its budget.

    \b
    Examples:
      nianbao parse report.html
      nianbao parse report.pdf --json | jq .tables.requests.new_received
    """
    from extract.budget import DocumentPool

    data = _read_input(file)
    with DocumentPool(1, Budget(seconds, memory_mb)) as pool:
        doc = pool.read(data, content_type=content_type, filename=None if file == "-" else Path(file).name)
    if as_json:
        click.echo(json.dumps(doc.to_full_json() if full else doc.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{file}: {doc.format}")
        click.echo(f"  title      {doc.title or '-'}")
        click.echo(f"  year       {doc.year or '-'}    published {doc.published or '-'}    template {doc.template or '-'}")
        for t in ("active", "requests", "appeals"):
            rows = doc.tables.get(t) or {}
            n = sum(len(v) for v in rows.values())
            click.echo(f"  {t:10} {f'{len(rows)} rows, {n} cells' if rows else 'not found'}")
        failed = [c for c in doc.checks if c.outcome == "fail"]
        click.echo(f"  checks     {len(doc.checks)} run, {len(failed)} failed")
        for c in failed:
            click.echo(f"    ✗ {c.rule} [{c.scope}] {c.detail}")
        for p in doc.problems:
            click.echo(f"  ! {p.code}: {p.message}")
    if not doc.readable:
        msg = "; ".join(p.message for p in doc.problems if p.code in
                        ("undecodable", "unreadable", "needs_converter", "empty_text", "over_budget"))
        click.echo(f"error: {file} cannot be read: {msg}", err=True)
        sys.exit(2)


PARSE_MAX_BYTES = 200 * 1024 * 1024  # as much as the crawler downloads (settings.DOWNLOAD_MAXSIZE)


def _read_input(file: str) -> bytes:
    """The bytes of ``file`` (``-``: stdin), or exit 2 with the reason: missing, unreadable, not a
    regular file (a FIFO would block, /dev/zero never ends, a directory has no bytes), too big."""
    def refuse(why: str):
        click.echo(f"error: cannot read {file}: {why}", err=True)
        sys.exit(2)

    if file == "-":
        data = sys.stdin.buffer.read(PARSE_MAX_BYTES + 1)
    else:
        import stat

        try:  # non-blocking: opening a FIFO without a writer must not hang; fstat decides on the open file
            fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            refuse("no such file")
        except IsADirectoryError:
            refuse("a directory, not a file")
        except OSError as e:
            refuse(e.strerror or str(e))
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                        else "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
                        else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
                refuse(f"{kind}, not a regular file: refused")
            try:
                data = f.read(PARSE_MAX_BYTES + 1)
            except OSError as e:
                refuse(e.strerror or str(e))
    if len(data) > PARSE_MAX_BYTES:
        refuse(f"larger than {PARSE_MAX_BYTES >> 20} MiB: refused")
    return data


@cli.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The SQLite archive to publish (read only).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 to publish beyond this machine).")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--live", is_flag=True,
              help="The archive is still being changed by a crawl or extract: no caching, counts per request.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes. One process renders pages on one core; for a public server give"
                   " the number of cores (each process keeps its own page cache).")
def serve(db, host, port, live, workers):
    """Publish the archive with Datasette (read only): browse and facet reports, Chinese
    full-text search, CSV and JSON downloads. The database is served under its file name:
    archive.db as /archive, other.db as /other (the links of metadata.yml follow).

    A finished archive is served immutable: SQLite takes no locks, every table is counted once at
    start, and pages may be cached for 10 minutes (by browsers and by the server). When a crawl or
    extract changes the file, Datasette is started again by itself: immutable if the change is
    complete, else live (read only, nothing cached) until it is next restarted. --live serves
    live from the start.

    \b
    Examples:
      nianbao serve                               # archive.db on http://127.0.0.1:8001/archive
      nianbao serve --db other.db --port 8002     # served as http://127.0.0.1:8002/other
      nianbao serve --host 0.0.0.0 --workers 4    # public, four processes on a 4-core machine

    \b
    Then, in a browser (archive.db on port 8001):
      one report (row 1):      http://127.0.0.1:8001/archive/reports/1
      filter and facet:        http://127.0.0.1:8001/archive/reports?province=江苏省&year=2022
      search the texts:        http://127.0.0.1:8001/-/search?q=行政复议
      ranked search:           http://127.0.0.1:8001/archive/search?q=殡葬
      failed arithmetic:       http://127.0.0.1:8001/archive/failed_checks
      download as CSV / JSON:  http://127.0.0.1:8001/archive/reports.csv?_stream=on
                               http://127.0.0.1:8001/archive/reports.json?_shape=array&_size=max
    """
    if not Path(db).exists():
        raise click.ClickException(f"{db} does not exist: run `nianbao demo` or crawl + extract first")
    while True:
        busy = None if live else still_written(db)
        if busy:
            click.echo(f"serving {db} live, not immutable: {busy}", err=True)
        immutable = not (live or busy)
        seen = archive_state(db)
        # an immutable server must never read a file that changed under it: serve it again instead
        changed = (lambda: archive_state(db) != seen) if immutable else None
        with datasette_command(db, host, port, immutable=immutable, workers=workers) as args:
            click.echo(f"Datasette on http://{host}:{port}{served_path(db)}  (Ctrl-C to stop)")
            rc = run_child(args, restart_when=changed)
        if rc != RESTART:
            break
        click.echo(f"{db} changed on disk: serving it again", err=True)
    sys.exit(rc)


@cli.command()
@click.option("--serve/--no-serve", "do_serve", default=True, help="Serve Datasette when built.")
@click.option("--port", default=8001, show_default=True, type=int, help="Datasette port.")
@click.option("--replica-port", default=REPLICA_PORT, show_default=True, type=int,
              help="Port for the replica web (another free one if taken).")
@db_option
@blobs_option
def demo(do_serve, port, replica_port, db, blobs):
    """End to end on the bundled replica: serve sites, crawl, extract, publish."""
    with replica_server(_free_port(replica_port)) as server:
        click.echo(f"1/4 replica web on 127.0.0.1:{server.port}")
        click.echo("2/4 crawling …")
        # A child process, so the crawl's Twisted reactor never shares a process with Datasette.
        rc = subprocess.call([sys.executable, "-m", "crawler.cli", "crawl", "--registry", "replica",
                              "--port", str(server.port), "--db", db]
                             + (["--blobs", blobs] if blobs else []) + ["--log-level", "WARNING"])
        if rc != 0:
            raise click.ClickException(f"crawl failed (exit {rc})")
        click.echo("3/4 extracting …")
        ctx = click.get_current_context()
        ctx.invoke(extract, db=db, blobs=blobs, progress=True)
        if not do_serve:
            click.echo(f"built {db}")
            return
        with datasette_command(db, "127.0.0.1", port, immutable=still_written(db) is None) as args:
            click.echo(f"4/4 Datasette on http://127.0.0.1:{port}{served_path(db)}  (Ctrl-C to stop)")
            run_child(args)


@cli.command()
@click.option("--port", default=REPLICA_PORT, show_default=True, type=int)
def replica(port):
    """Serve the bundled replica web (each agency a *.localhost virtual host)."""
    from crawler.registry import load_registry

    with replica_server(port) as server:
        for a in load_registry("replica", port=server.port):
            click.echo(f"{a.id:16} {a.start_url}")
        click.echo("Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@cli.group()
def sites():
    """The agency registries."""


@sites.command("check")
@click.argument("registries", nargs=-1)
@click.option("--strict", is_flag=True, help="Also fail when a platform has no adapter yet.")
def sites_check(registries, strict):
    """Validate registries (default: replica and real): schema, unique ids, known platforms."""
    from crawler.registry import RegistryError, load_registry
    from spiders.platforms import PLATFORMS

    bad = 0
    for name in registries or ("replica", "real"):
        try:
            agencies = load_registry(name, port=0)
        except RegistryError as e:
            click.echo(f"✗ {name}:\n{e}", err=True)
            bad += 1
            continue
        missing = sorted({a.platform for a in agencies if a.platform} - set(PLATFORMS))
        if missing:
            n = sum(a.platform in missing for a in agencies)
            mark = "✗" if strict else "!"
            click.echo(f"{mark} {name}: no adapter yet for platform(s) {', '.join(missing)} "
                       f"({n} agencies would be skipped by a crawl)", err=True)
            bad += strict
        provinces = {a.province for a in agencies}
        homes = sum(a.needs_discovery for a in agencies)
        click.echo(f"✓ {name}: {len(agencies)} agencies, {len(provinces)} provinces"
                   + (f", {homes} by home page only (their 年报 column is discovered at each crawl)" if homes else ""))
    sys.exit(1 if bad else 0)


@sites.command("discover")
@click.argument("url")
@click.option("--name", default="", help="The agency's full name (常德市民政局): its own reports count, a portal's "
              "list of other agencies' reports counts less.")
@click.option("--alias", "aliases", multiple=True, help="A short name its titles use (repeatable).")
@click.option("--id", "agency_id", default=None, help="Registry id for the printed entry (place-agency).")
@click.option("--province", default=None)
@click.option("--city", default=None)
@click.option("--county", default=None)
@click.option("--level", default=None, type=click.Choice(["central", "province", "city", "county", "township"]))
@click.option("--platform", default=None, help="A platform you expect: its columns win ties.")
@click.option("--max-pages", default=None, type=int, help="Pages to read at most (default 15).")
@click.option("--allow-loopback", "loopback", default=None, metavar="PORTS",
              help="Loopback ports this walk may fetch from (the replica, tests); default: the "
                   "NIANBAO_ALLOW_LOOPBACK environment variable, else none.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy or NIANBAO_ setting, as for `nianbao crawl` (repeatable).")
def sites_discover(url, name, aliases, agency_id, province, city, county, level, platform, max_pages, loopback,
                   settings):
    """Find a site's 年报 column from its home page, and print a registry entry for it.

    Starts at URL (the home page), follows links towards 政府信息公开 / 信息公开 / 政务公开 /
    法定主动公开内容 and then 政府信息公开年报 / 年度报告 / 工作年报, and the URL shapes of the
    platforms (zfxxgknb/, /col/colNNN/, /gkmlpt/, xxgkAnnualReport.jsp, /public/column/, the column
    a report's own URL names). Each page reached is judged as the column: the platform its markup
    belongs to (TRS createPageHTML, Hanweb datastore/dataproxy, TRS-Fujian list2.trsapi, gkmlpt
    window._CONFIG, Hanweb xxgk view, Anhui, Boda VSB) and the annual reports it lists. The best
    candidate is printed as a registry entry with its confidence (0–1) and the evidence.

    The pages are fetched as a crawl fetches them: the fetch policy (public addresses only),
    robots.txt, at most 15 pages, 2 MiB a page, 12 MiB and 2 minutes in all. Exit status 0 when a
    column was found (confidence ≥ 0.5), 1 when not, with the reason.

    \b
    Keep the printed start_url to crawl that column; or keep only home_url in the registry and
    every crawl discovers the column again first (a column that moves is found the next night).

    \b
    Examples:
      nianbao sites discover http://www.changde.gov.cn/ --name 常德市民政局 --alias 市民政局
      nianbao sites discover http://mzt.jiangsu.localhost:8765/ --allow-loopback 8765   # the replica
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler.registry import RegistryError, validate

    settings_ = Settings()
    settings_.setmodule("crawler.settings", priority="project")
    overrides = {"LOG_LEVEL": "WARNING", "NIANBAO_CONDITIONAL": False,
                 "NIANBAO_ALLOW_LOOPBACK": loopback if loopback is not None else os.environ.get("NIANBAO_ALLOW_LOOPBACK", "")}
    for setting in settings:
        key, sep, value = setting.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{setting!r}: expected NAME=VALUE", param_hint="-s")
        overrides[key.strip()] = value
    settings_.setdict(overrides, priority="cmdline")
    process = CrawlerProcess(settings_)
    crawler = process.create_crawler("discover")
    kwargs = {"url": url, "agency_name": name, "aliases": ",".join(aliases), "province": province, "city": city,
              "county": county, "platform": platform}
    if max_pages:
        kwargs["max_pages"] = max_pages
    try:
        process.crawl(crawler, **kwargs)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="URL") from None
    process.start()
    result = getattr(crawler.spider, "result", None)
    if result is None:
        raise click.ClickException("the discovery did not run (see the log above)")
    click.echo(f"# 发现 discovery from {url}: {'found' if result.found else 'NOT found'}, confidence "
               f"{result.confidence:.2f}, {result.pages_fetched} page(s) read")
    for line in result.evidence:
        click.echo(f"#   - {line}")
    candidates = crawler.spider.walk.candidates()
    for c in candidates[1:4] if result.found else candidates[:3]:
        click.echo(f"# other candidate: {c.url} ({c.platform}, confidence {c.confidence:.2f})")
    if not result.found:
        click.echo(f"error: {result.reason}", err=True)
        sys.exit(1)
    entry = {k: v for k, v in (("id", agency_id), ("name", name or None), ("aliases", list(aliases) or None),
                               ("province", province), ("city", city), ("county", county), ("level", level))
             if v}
    entry.update({"platform": result.platform, "start_url": result.start_url, "home_url": url})
    if result.options:
        entry["options"] = result.options
    entry["notes"] = (f"discovered from home_url on {time.strftime('%Y-%m-%d')}, confidence "
                      f"{result.confidence:.2f}: " + "; ".join(result.evidence))
    missing = [k for k in ("id", "name", "province", "level") if k not in entry]
    if missing:
        click.echo(f"# fill in before adding it to a registry: {', '.join(missing)} (schema.json requires them)")
    else:
        try:
            validate({"agencies": [entry]}, "discovered entry")
        except RegistryError as e:
            raise click.ClickException(str(e)) from None
    click.echo(yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=110).rstrip())


def main():
    cli()


if __name__ == "__main__":
    main()
