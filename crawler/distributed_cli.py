"""The two roles of a distributed crawl as commands: `nianbao crawl --redis URL` (a worker) and
`nianbao writer --redis URL` (the one writer). Kept out of crawler/cli.py so the single-machine
commands never import Redis; cli.py hands in the few of its helpers used here (``run_crawl``,
``health_table``, ``sigterm_as_interrupt``) so the two modules do not import each other."""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import click


def _connect(url: str):
    from crawler.distributed import connect

    try:
        return connect(url)
    except Exception as e:  # refused, timeout, auth, bad URL: one line, not a traceback
        raise click.ClickException(f"cannot reach Redis at {url}: {e}") from None


def worker_main(url: str, prefix: str, *, db: str | None, blobs: str | None, log_level: str,
                extra: dict, run_crawl) -> int:
    """Wait for the writer's run, crawl it as one worker, exit 0 once the writer says it is over."""
    from crawler.distributed import DistributedReportsSpider, Keys, worker_settings

    keys = Keys(prefix)
    server = _connect(url)
    announced = False
    while not (raw := server.get(keys.run)):
        if not announced:
            click.echo(f"waiting for `nianbao writer --redis {url}` to open a crawl run …", err=True)
            announced = True
        time.sleep(1)
    run = json.loads(raw)
    settings = worker_settings(url, prefix)
    settings["NIANBAO_CONDITIONAL"] = db is not None  # revalidation needs the archive, read only
    settings.update(extra)
    click.echo(f"worker {settings['NIANBAO_WORKER_ID']}: crawl run {run['run_id']} "
               f"({run['registry']}, {len(run['agencies'])} agencies)", err=True)
    with tempfile.TemporaryDirectory(prefix="nianbao-worker-") as tmp:
        stats = run_crawl(registry=run["registry"], db=db or str(Path(tmp) / "no-archive.db"),
                          blobs=blobs if db else str(Path(tmp) / "blobs"),
                          agencies=tuple(run["agencies"]), port=run.get("port"), log_level=log_level,
                          extra=settings, spider=DistributedReportsSpider)
    reason = stats.get("finish_reason")
    click.echo(f"worker {settings['NIANBAO_WORKER_ID']}: {reason}; "
               f"{stats.get('nianbao/items_sent', 0)} items sent to the writer", err=True)
    return 0 if reason == "finished" else 1


def writer_main(url: str, prefix: str, *, registry: str, agencies: tuple[str, ...], port: int | None,
                db: str, blobs: str | None, grace: float, health_table, sigterm_as_interrupt) -> int:
    import sqlite3

    from crawler.archive import Archive, describe_write_error
    from crawler.distributed import Keys
    from crawler.distributed_writer import run_writer
    from crawler.registry import RegistryError, load_registry

    try:
        known = load_registry(registry, port=port or 0)
    except RegistryError as e:
        raise click.ClickException(str(e)) from None
    unknown = sorted(set(agencies) - {a.id for a in known})
    if unknown:
        raise click.ClickException(f"unknown agency id(s) in registry {registry}: {', '.join(unknown)}")
    chosen = [a for a in known if not agencies or a.id in agencies]
    keys = Keys(prefix)
    server = _connect(url)
    try:
        archive = Archive(db, blobs)
    except (sqlite3.Error, OSError) as e:
        raise click.ClickException(f"cannot open the archive {db}: {describe_write_error(e, db)}") from None
    try:
        with sigterm_as_interrupt():
            status, rows, stats = run_writer(server, keys, archive, registry=registry, agencies=chosen,
                                             port=port, grace=grace)
    except KeyboardInterrupt:
        click.echo("writer stopped: the run stays open in Redis and in the archive; start the writer "
                   "again to resume it", err=True)
        return 130
    finally:
        archive.close()
    run_id = stats.get("nianbao/run_id")
    if stats.get("nianbao/fatal"):
        click.echo(f"error: crawl run {run_id} failed: {stats['nianbao/fatal']}", err=True)
        return 1
    click.echo(f"crawl run {run_id}: {status}; {stats.get('nianbao/workers', 0)} workers, "
               f"{stats.get('nianbao/captures_new', 0)} new captures, "
               f"{stats.get('nianbao/captures_seen', 0)} unchanged")
    click.echo(health_table(db, run_id)[0])
    return 0 if status == "finished" else 1

