"""The crawl's archive writes, on one thread of their own, a batch at a time.

Writing a capture is the larger part of what the crawl costs beyond fetching (bench/crawl.py): its
bytes hashed, written and fsynced, and its row in a transaction. Done per item, each write also
costs a hand-over to a thread pool and back to the reactor, and a transaction of its own, and that
overhead was as large as the writing. Here the crawl's thread hands each item over and goes on
(waiting only when the queue holds ``max_items`` items or ``max_bytes`` of bodies), and one writer
thread takes whatever has queued up since its last batch: every blob first, then every row in one
transaction, then one call back to the reactor with what was new.

What the archive promises stays: a row is committed only after its blob is on disk; a batch that
cannot be written (disk full, read-only) is rolled back whole and reported once, through
``on_error`` on the reactor's thread, and nothing later is written; ``close()`` writes everything
handed over before the run is finished. A killed crawl loses what was still queued, as it lost the
items in flight before: the next night fetches them again (they are not in the archive).
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from typing import Callable

from twisted.internet import defer

from crawler.items import CaptureItem

log = logging.getLogger(__name__)

WRITE_ERRORS = (OSError, sqlite3.Error)  # the archive cannot be written (also the pipelines')
MAX_ITEMS = 512  # queued before the crawl waits
MAX_BYTES = 64 * 1024 * 1024  # of queued bodies before the crawl waits
BATCH = 256  # items a transaction at most


class WriteBehind:
    def __init__(self, store: Callable, put_blob: Callable[[bytes], str], transaction: Callable,
                 on_written: Callable[[list], None], on_error: Callable[[BaseException, int], None],
                 max_items: int = MAX_ITEMS, max_bytes: int = MAX_BYTES, call_soon: Callable | None = None):
        """``store(item, sha)`` writes one item's rows (inside ``transaction()``) and returns what
        ``on_written`` gets for it; ``put_blob(body)`` stores a body and returns its hash. Both run on
        the writer thread; ``on_written(results)`` and ``on_error(error, items lost)`` on the reactor's
        (``call_soon``: how the writer asks for that; the reactor's ``callFromThread``)."""
        self.store, self.put_blob, self.transaction = store, put_blob, transaction
        self.on_written, self.on_error = on_written, on_error
        self.max_items, self.max_bytes = max_items, max_bytes
        self.call_soon = call_soon
        self.queue: deque = deque()
        self.queued_bytes = 0
        self.lock = threading.Condition()
        self.closing = False
        self.failed = False
        self.waiters: list[defer.Deferred] = []
        self.outbox: list[tuple] = []  # what the writer did, for the reactor's thread
        self.scheduled = False  # a delivery is queued for the reactor
        self.thread = threading.Thread(target=self._run, name="nianbao-archive-writer", daemon=True)
        self.thread.start()

    # -- the reactor's side ------------------------------------------------------------------
    def full(self) -> bool:
        return len(self.queue) >= self.max_items or self.queued_bytes >= self.max_bytes

    def room(self) -> defer.Deferred:
        """Fires (on the reactor's thread) once the queue is below half its bounds again."""
        d = defer.Deferred()
        with self.lock:
            if not self.full() or self.failed:
                d.callback(None)
            else:
                self.waiters.append(d)
        return d

    def put(self, item) -> None:
        size = len(item.body or b"") if isinstance(item, CaptureItem) else 0
        with self.lock:
            self.queue.append((item, size))
            self.queued_bytes += size
            self.lock.notify()

    def close(self) -> None:
        """Write everything handed over, then stop the thread and deliver what it did (blocks: the
        run is ending)."""
        with self.lock:
            self.closing = True
            self.lock.notify()
        self.thread.join()
        self.deliver()

    def deliver(self) -> None:
        """Hand what the writer did to ``on_written`` / ``on_error``, and let waiting items in."""
        with self.lock:
            outbox, self.outbox, self.scheduled = self.outbox, [], False
            release = self.failed or (len(self.queue) < self.max_items // 2
                                      and self.queued_bytes < self.max_bytes // 2)
            waiters, self.waiters = (self.waiters, []) if release else ([], self.waiters)
        for kind, value, n in outbox:
            if kind == "written":
                self.on_written(value)
            else:
                self.on_error(value, n)
        for d in waiters:
            if not d.called:
                d.callback(None)

    # -- the writer's side -------------------------------------------------------------------
    def _take(self) -> list | None:
        with self.lock:
            while not self.queue and not self.closing:
                self.lock.wait()
            if not self.queue:
                return None
            batch = []
            while self.queue and len(batch) < BATCH:
                item, size = self.queue.popleft()
                self.queued_bytes -= size
                batch.append(item)
            return batch

    def _report(self, kind: str, value, n: int = 0) -> None:
        with self.lock:
            self.outbox.append((kind, value, n))
            schedule = not self.scheduled and not self.closing
            self.scheduled = self.scheduled or schedule
        if schedule:  # one wake-up of the reactor for whatever piles up until it runs
            if self.call_soon is None:
                from twisted.internet import reactor  # the one Scrapy installed (not at import time)

                self.call_soon = reactor.callFromThread
            self.call_soon(self.deliver)

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                break
            if self.failed:  # after a write error nothing more is written; the crawl is stopping
                self._report("error", None, len(batch))
                continue
            try:
                results = self._write(batch)
            except WRITE_ERRORS as e:
                with self.lock:
                    self.failed = True
                self._report("error", e, len(batch))
            else:
                self._report("written", results)

    def _write(self, batch: list) -> list:
        shas = [self.put_blob(item.body) if isinstance(item, CaptureItem) and item.body else None for item in batch]
        try:
            with self.transaction():
                return [self.store(item, sha) for item, sha in zip(batch, shas)]
        except WRITE_ERRORS:
            raise
        except Exception:
            # a fault in one item's rows (not the disk's): write the others one by one
            log.exception("archive writer: a batch of %d failed; writing its items one at a time", len(batch))
            results = []
            for item, sha in zip(batch, shas):
                try:
                    with self.transaction():
                        results.append(self.store(item, sha))
                except WRITE_ERRORS:
                    raise
                except Exception:
                    log.exception("archive writer: item not stored: %r", getattr(item, "url", item))
            return results


__all__ = ["WriteBehind"]
