"""The one writer of a distributed crawl: opens the run, commits every worker's items, closes the run.

Workers (``crawler.distributed``) fetch and parse; they never touch archive.db or the blob store.
The writer alone does, with the same code as a single-machine crawl (``crawler.pipelines``:
``store_item``, ``agency_rows``, ``run_status``; ``Archive.start_run`` / ``finish_run``), so the two
modes cannot drift apart.

- **Start.** The writer opens the crawl run (``crawl_runs``), announces it in Redis (registry,
  agencies, replica port) and workers start crawling it; the first worker seeds the start requests.
  A writer started again while its run is still open in Redis resumes that run.
- **Items.** Taken from the items list into a "writing" list in one step and dropped from it only
  after they are committed: a writer killed mid-batch commits them again on restart (storing a
  capture twice only counts it twice; its row is the same).
- **End.** The crawl is over when the start requests were seeded and, in one atomic look, nothing is
  queued, nothing is leased by any worker (a dead worker's leases count until they are re-queued) and
  no item waits. The writer then tells workers to stop, waits for them to hand in their last counts,
  finishes the run with the counters merged over all workers, and clears the run's keys.
"""
from __future__ import annotations

import json
import logging
import time
from types import SimpleNamespace

from crawler.archive import Archive
from crawler.distributed import Keys, frontier_state, reap
from crawler.distributed_codec import decode_item
from crawler.pipelines import WRITE_ERRORS, agency_rows, run_status, store_item

log = logging.getLogger(__name__)

# KEYS: items, writing; ARGV: how many. Moves up to that many items into the writing list.
TAKE = """
for i = 1, tonumber(ARGV[1]) do
  if not redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') then break end
end
return redis.call('LRANGE', KEYS[2], 0, -1)
"""


def _text(v) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _number(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() else f


class Writer:
    def __init__(self, server, keys: Keys, archive: Archive, *, registry: str, agencies: list,
                 port: int | None = None, batch: int = 200, poll: float = 0.2, grace: float = 90.0):
        self.server, self.keys, self.archive = server, keys, archive
        self.registry, self.agencies, self.port = registry, {a.id: a for a in agencies}, port
        self.batch, self.poll, self.grace = batch, poll, grace
        self.run_id: int | None = None
        self.fatal: str | None = None
        self.counts = {"nianbao/captures_new": 0, "nianbao/captures_seen": 0, "nianbao/bad_messages": 0}
        self._take = server.register_script(TAKE)

    # ------------------------------------------------------------------ run
    def open_run(self) -> tuple[int, bool]:
        """The run this writer serves: (run id, resumed?)."""
        raw = self.server.get(self.keys.run)
        if raw:
            run = json.loads(raw)
            open_ = list(self.archive.db.query("select id from crawl_runs where id = ? and status = 'running'",
                                               [run["run_id"]]))
            if open_ and run.get("registry") == self.registry:
                self.run_id = run["run_id"]
                self.archive.hold_reserve()
                return self.run_id, True
            log.warning("Redis holds a run this archive does not have open (%s): starting afresh", run)
        self.clear_run()
        stale = self.archive.close_stale_runs()
        if stale:
            log.warning("%d earlier crawl run(s) never finished (killed); marked as such", stale)
        self.archive.upsert_agencies(self.agencies.values())
        self.run_id = self.archive.start_run(self.registry, list(self.agencies))
        self.archive.blobs.check_writable()
        self.archive.hold_reserve()
        self.server.set(self.keys.run, json.dumps({
            "run_id": self.run_id, "registry": self.registry, "agencies": list(self.agencies),
            "port": self.port}))
        return self.run_id, False

    def clear_run(self) -> None:
        """Every Redis key of the run, also those named per worker or per host."""
        self.server.delete(*self.keys.all_of_run())
        for pattern in self.keys.patterns_of_run():
            for key in self.server.scan_iter(pattern):
                self.server.delete(key)

    # ------------------------------------------------------------------ items
    def commit_batch(self) -> int:
        """Commit what waits (first what an earlier writer took and never committed)."""
        taken = self._take(keys=[self.keys.items, self.keys.writing], args=[self.batch])
        counts: dict[str, int] = {}
        with self.archive.transaction():  # one commit a batch, as the single-machine crawl's writer
            for data in taken:
                try:
                    item = decode_item(data)
                except ValueError as e:
                    counts["nianbao/bad_messages"] = counts.get("nianbao/bad_messages", 0) + 1
                    log.error("item message dropped: %s", e)
                    continue
                new = store_item(self.archive, item, self.run_id)
                if new is not None:
                    key = "nianbao/captures_new" if new else "nianbao/captures_seen"
                    counts[key] = counts.get(key, 0) + 1
        for key, n in counts.items():  # counted once the batch is committed (a failed one is taken again)
            self.counts[key] += n
        if taken:
            self.server.delete(self.keys.writing)
        return len(taken)

    def serve(self) -> None:
        """Commit items until the frontier is drained (see the module doc)."""
        last_reap = 0.0
        while True:
            if time.monotonic() - last_reap > 2:
                reap(self.server, self.keys)
                last_reap = time.monotonic()
            if self.commit_batch():
                continue
            state = frontier_state(self.server, self.keys)
            if state["seeded"] and not (state["queued"] or state["leased"] or state["items"]):
                log.info("frontier drained: stopping the workers")
                return
            time.sleep(self.poll)

    # ------------------------------------------------------------------ end
    def stop_workers(self) -> None:
        """Tell workers the crawl is over and wait until each handed in its last counts (or its
        heartbeat expired)."""
        self.server.set(self.keys.done, "1")
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline:
            alive = [w for w in self.server.smembers(self.keys.workers)
                     if self.server.exists(self.keys.alive(_text(w)))]
            if not alive:
                return
            time.sleep(self.poll)
        log.warning("workers still running after %.0f s; closing the run with the counts they sent", self.grace)

    def merged_stats(self) -> dict:
        stats: dict = {}
        for worker in self.server.smembers(self.keys.all_workers):
            for k, v in self.server.hgetall(self.keys.values(_text(worker))).items():
                k, v = _text(k), json.loads(v)
                if isinstance(v, (int, float)) and isinstance(stats.get(k, 0), (int, float)):
                    stats[k] = max(stats.get(k, v), v)
                else:
                    stats.setdefault(k, v)
        for k, v in self.server.hgetall(self.keys.stats).items():
            n = _number(_text(v))
            if n is not None:
                stats[_text(k)] = n
        stats.update(self.counts)
        stats["nianbao/workers"] = self.server.scard(self.keys.all_workers)
        return stats

    def bounds(self) -> dict:
        out: dict = {}
        for field, message in self.server.hgetall(self.keys.bounds).items():
            agency, _, bound = _text(field).partition("\t")
            out.setdefault(agency, {})[bound] = _text(message)
        return out

    def finish(self, reason: str = "finished") -> tuple[str, list[dict], dict]:
        self.archive.release_reserve()  # the room kept for the last write
        stats = self.merged_stats()
        spider = SimpleNamespace(agencies=self.agencies, bounds=self.bounds())
        rows = agency_rows(spider, stats, reason)
        status, why = run_status(rows, reason, self.fatal)
        stats["nianbao/run_status"], stats["nianbao/run_id"] = status, self.run_id
        rows = self.archive.finish_run(self.run_id, status=status, finish_reason=why, stats=stats,
                                       agency_rows=rows)
        self.clear_run()
        return status, rows, stats

    def fail(self, error: BaseException) -> None:
        """The archive cannot be written: stop the workers and mark the run failed if possible."""
        from crawler.archive import describe_write_error

        self.fatal = f"cannot write the archive ({self.archive.path}): {describe_write_error(error, self.archive.path)}"
        self.server.set(self.keys.done, "1")
        self.archive.release_reserve()
        if self.run_id is not None:
            try:
                self.archive.mark_run_failed(self.run_id, self.fatal)
            except WRITE_ERRORS:
                pass


def run_writer(server, keys: Keys, archive: Archive, **kw) -> tuple[str, list[dict], dict]:
    """Open (or resume) the run, commit until the frontier drains, stop the workers, finish the run."""
    writer = Writer(server, keys, archive, **kw)
    try:
        run_id, resumed = writer.open_run()
        log.info("crawl run %s %s: waiting for workers on prefix %r", run_id,
                 "resumed" if resumed else "opened", keys.prefix)
        writer.serve()
        writer.stop_workers()
        log.info("workers stopped: closing crawl run %s", run_id)
        writer.commit_batch()  # nothing should remain; a late item is still not lost
        return writer.finish()
    except WRITE_ERRORS as e:
        writer.fail(e)
        return "failed", [], {"nianbao/fatal": writer.fatal, "nianbao/run_id": writer.run_id}
