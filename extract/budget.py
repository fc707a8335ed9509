"""Every document read under a budget: seconds of wall clock and megabytes of memory.

The readers are bounded one by one (pages, cells, pixels, inflated bytes), but a hostile or merely
odd file can still find a slow or greedy path through pdfminer, lxml or a table reader, and the
archive extracts thousands of captures unattended: one document must never stall or sink the run.
So :class:`DocumentPool` runs :func:`extract.document.read_document` in long-lived worker
processes, one per slot, each under

* ``RLIMIT_DATA`` = ``Budget.memory_mb``: the heap, anonymous maps and thread stacks the worker may
  make writable, Python and the libraries included. An allocation past it fails (MemoryError, or a
  library that aborts). ``RLIMIT_AS`` is not used: it counts address space merely reserved (glibc's
  64 MB malloc arenas per thread, onnxruntime's reservations) and would fail OCR at a fraction of
  the memory it really uses. The parent also watches the worker's resident size and kills it past
  the budget: memory a C library maps some other way is bounded too.
* ``RLIMIT_CPU``: reset before every job to the worker's CPU time so far plus ``CPU_PER_SECOND`` ×
  ``Budget.seconds`` (OCR runs two threads), so a worker whose parent died cannot spin forever.
* the wall clock, kept by the parent: past ``Budget.seconds`` the worker is killed.

A worker that runs over or dies is replaced; its job comes back as a Document with the problem
``over_budget`` saying what was exceeded (seconds or memory, with the figures), and the next job goes
on. A worker that crashes for another reason (a signal) gives ``unreadable`` with the signal.

Workers are started with ``subprocess`` (a fresh interpreter: no fork after threads) and speak a
length-prefixed pickle protocol over their own pipes; they import the readers once, at start, and
load the OCR engine the first time a picture needs it, so a worker's start is paid once per run.
The worker's stdout is pointed at its stderr, so a library printing cannot corrupt the protocol,
and it dies with its parent (``PR_SET_PDEATHSIG``).

Defaults (:class:`Budget`): 120 s and 1536 MB. The slowest legitimate documents are scanned
reports read by OCR (3–5 s a page, at most ``extract.grids.image.MAX_PAGES`` = 60 pages, each page
also bounded by ``extract.ocr.MAX_SECONDS``) and a few hundred pages of PDF text (≈0.1 s a page);
120 s leaves them room while a document that would stall the night is stopped within two minutes.
1536 MB holds the interpreter with the OCR models (≈400 MB), a 200 MB capture twice over and a
rasterised 200-dpi page, and lets two workers share a small machine.
"""
from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Hashable, Iterable, Iterator

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">Q")
STARTUP_SECONDS = 120.0  # a worker's imports, before its first job's budget starts
CPU_PER_SECOND = 2.0  # CPU seconds allowed per wall-clock second of budget (OCR uses two threads)
# How a failed allocation reads once a library has caught it (Python, zlib, C++, libc)
_MEMORY_SIGNS = ("MemoryError", "Unable to allocate", "Cannot allocate memory", "bad_alloc", "out of memory")
_ROOT = str(Path(__file__).resolve().parents[1])  # the directory holding the `extract` package


@dataclass(frozen=True)
class Budget:
    """What one document may take (see the module docstring for why these defaults)."""
    seconds: float = 120.0
    memory_mb: int = 1536


def over_budget(what: str, *, url: str | None = None, filename: str | None = None):
    """The Document of a job stopped by its budget: problem ``over_budget`` saying ``what``."""
    from extract.document import Document

    doc = Document(url=url, filename=filename)
    doc.add("over_budget", what)
    return doc


# ---------------------------------------------------------------- the worker side


def _send(fd: int, obj) -> None:
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(blob)) + blob)
    while view:
        view = view[os.write(fd, view):]


def _recv_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        b = os.read(fd, min(n - got, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def _cpu_used() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _serve() -> None:
    """A worker's life: set the memory limit, import the readers, then answer jobs until EOF."""
    import resource

    out = os.dup(1)  # the protocol's pipe; fd 1 (print, C libraries) goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:  # die with the parent (Linux)
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    seconds, memory_mb = float(sys.argv[1]), int(sys.argv[2])
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    from extract.document import read_document, read_pictures
    import extract.grids.docx, extract.grids.html, extract.grids.pdf, extract.grids.xlsx  # noqa: E401,F401
    import pdfplumber  # noqa: F401  (imported once here, not inside the first job's budget)

    _send(out, ("ready", os.getpid()))
    while True:
        head = _recv_exact(0, _HEADER.size)
        if head is None:
            return
        data, kwargs = pickle.loads(_recv_exact(0, _HEADER.unpack(head)[0]) or b"")
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        soft = int(_cpu_used() + CPU_PER_SECOND * seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
        try:
            # a list of pictures is one page's pictures, read in sequence (document.read_pictures)
            doc = read_pictures(data, **kwargs) if isinstance(data, list) else read_document(data, **kwargs)
            reply = ("ok", doc)
            if any(sign in p.message for p in doc.problems for sign in _MEMORY_SIGNS):
                reply = ("memory", None)  # a reader caught the failed allocation and said so
        except MemoryError:
            reply = ("memory", None)
        except Exception as e:  # noqa: BLE001 - a bug of a reader: recorded on the document, not lost
            reply = ("error", f"{type(e).__name__}: {e}"[:500], traceback.format_exc()[-4000:])
        del data
        _send(out, reply)
        if reply[0] == "memory":
            return  # a process that ran out of memory is not trusted with the next job


# ---------------------------------------------------------------- the parent side


class _Worker:
    def __init__(self, budget: Budget):
        self.budget = budget
        self.stderr = tempfile.TemporaryFile()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_ROOT, env.get("PYTHONPATH")]))
        env.setdefault("OMP_NUM_THREADS", "2")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from extract.budget import _serve; _serve()",
             repr(budget.seconds), str(budget.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=env, cwd=_ROOT,
            start_new_session=True)
        self.buf = bytearray()
        self.job: tuple | None = None  # (key, url, filename)
        self.started = 0.0
        self.ready = False
        self.peak_kb = 0  # the peak resident size seen by polling, kB
        self.maxrss_kb = 0  # the kernel's peak, once reaped

    @property
    def fd(self) -> int:
        return self.proc.stdout.fileno()

    def submit(self, key, data: bytes, kwargs: dict) -> bool:
        blob = pickle.dumps((data, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        self.job = (key, kwargs.get("url"), kwargs.get("filename"))
        self.started = time.monotonic()  # reset when a new worker says it is ready
        self.peak_kb = 0
        try:
            self.proc.stdin.write(_HEADER.pack(len(blob)))
            self.proc.stdin.write(blob)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def frame(self):
        """A complete reply in the buffer, or None."""
        if len(self.buf) < _HEADER.size:
            return None
        n = _HEADER.unpack_from(self.buf)[0]
        if len(self.buf) < _HEADER.size + n:
            return None
        obj = pickle.loads(bytes(self.buf[_HEADER.size:_HEADER.size + n]))
        del self.buf[:_HEADER.size + n]
        return obj

    def rss_kb(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"VmHWM:"):  # the peak since exec, between two polls too
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                    elif line.startswith(b"VmRSS:"):
                        kb = int(line.split()[1])
                        self.peak_kb = max(self.peak_kb, kb)
                        return kb
        except (OSError, ValueError, IndexError):
            pass
        return 0

    def kill(self) -> tuple[int | None, int]:
        """Kill and reap: (the signal or exit status, peak resident size in kB per the kernel)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return self.reap()

    def reap(self) -> tuple[int | None, int]:
        maxrss = 0
        status = None
        try:
            # not ru_maxrss: Linux carries the parent's peak across fork + exec into the child's
            # account, so a worker of a big parent would seem as big as it; VmHWM (polled) is the
            # worker's own
            _, st, _ru = os.wait4(self.proc.pid, 0)
            status = -os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st)
            self.proc.returncode = status
        except ChildProcessError:
            status = self.proc.returncode
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        return status, max(maxrss, self.peak_kb)

    def stderr_tail(self, n: int = 600) -> str:
        try:
            self.stderr.seek(0, os.SEEK_END)
            size = self.stderr.tell()
            self.stderr.seek(max(0, size - n))
            return self.stderr.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def close(self) -> None:
        if self.proc.returncode is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        self.stderr.close()


class DocumentPool:
    """``read_document`` in worker processes under a :class:`Budget`; a context manager.

    ``read(data, **kwargs)`` reads one document; ``imap(jobs)`` reads ``(key, data, kwargs)`` jobs
    on every worker at once and yields ``(key, Document)`` as they finish. ``jobs`` may yield None
    for "nothing ready yet" (a producer that stays a bounded distance ahead of its consumer): the
    pool goes on collecting answers and asks again."""

    def __init__(self, workers: int = 1, budget: Budget = Budget()):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.budget = budget
        self.size = workers
        self._workers: list[_Worker] = []
        self.replaced = 0  # workers killed or lost and started afresh
        self._peak_kb = 0  # the highest resident size of a worker gone (its VmHWM, polled)

    def __enter__(self) -> "DocumentPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for w in self._workers:
            w.close()
        self._workers = []

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    def _start(self) -> _Worker:
        w = _Worker(self.budget)
        self._workers.append(w)
        return w

    def read(self, data: bytes, **read_document_kwargs):
        for _, doc in self.imap([(None, data, read_document_kwargs)]):
            return doc
        raise RuntimeError("no result")  # unreachable

    def read_pictures(self, pictures: list[bytes], url: str | None = None):
        """A page's pictures read as one sequence (``extract.document.read_pictures``), under the
        same budget as one document."""
        return self.read(list(pictures), url=url)

    def imap(self, jobs: Iterable[tuple[Hashable, bytes, dict]]) -> Iterator[tuple[Hashable, object]]:
        pending = iter(jobs)
        while len(self._workers) < self.size:
            self._start()
        idle = [w for w in self._workers if w.job is None]
        busy: list[_Worker] = [w for w in self._workers if w.job is not None]
        exhausted = False
        while True:
            done: list[tuple] = []  # (key, Document): the pool's state is settled before each yield
            while idle and not exhausted:
                try:
                    job = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                if job is None:  # the caller has no job ready yet: collect answers, then ask again
                    break
                key, data, kwargs = job
                w = idle.pop()
                if w.submit(key, data, kwargs):
                    busy.append(w)
                else:  # it died between jobs: its replacement takes the next job
                    done.append((key, self._lost(w)))
                    idle.append(self._start())
            if not busy and not done:
                if exhausted:
                    return
                time.sleep(0.02)
                continue
            now = time.monotonic()
            waits = [w.started + self.budget.seconds - now for w in busy if w.ready]
            ready, _, _ = select.select([w.fd for w in busy], [], [], min([0.25, *waits]) if busy else 0)
            for w in list(busy):
                if w.fd in ready:
                    try:
                        chunk = os.read(w.fd, 1 << 20)
                    except OSError:
                        chunk = b""
                    if not chunk:  # the worker died
                        busy.remove(w)
                        done.append((w.job[0], self._lost(w)))
                        idle.append(self._start())
                        continue
                    w.buf += chunk
                    while (msg := w.frame()) is not None:
                        if msg[0] == "ready":  # the budget runs from here, not from the imports
                            w.ready = True
                            w.started = time.monotonic()
                            continue
                        busy.remove(w)
                        key = w.job[0]
                        done.append((key, self._answer(w, msg)))
                        if msg[0] == "memory":
                            idle.append(self._start())
                        else:
                            w.job = None
                            idle.append(w)
                        break
                    continue
                if not w.ready:  # still importing: a worker that cannot start is not left hanging
                    if time.monotonic() - w.started > STARTUP_SECONDS:
                        busy.remove(w)
                        w.kill()
                        self._forget(w)
                        done.append((w.job[0], self._crashed(w, f"the reader did not start within {STARTUP_SECONDS:g} s")))
                        idle.append(self._start())
                    continue
                over_time = time.monotonic() - w.started > self.budget.seconds
                over_memory = w.rss_kb() > self.budget.memory_mb * 1024
                if over_time or over_memory:
                    busy.remove(w)
                    _, peak = w.kill()
                    self._forget(w)
                    if over_time:
                        what = f"took longer than the {self.budget.seconds:g} s budget: stopped"
                    else:
                        what = (f"used more than the {self.budget.memory_mb} MB memory budget"
                                f" ({peak // 1024} MB resident): stopped")
                    done.append((w.job[0], over_budget(what, url=w.job[1], filename=w.job[2])))
                    idle.append(self._start())
            yield from done

    def peak_rss_mb(self) -> float:
        """The highest resident size any worker of this pool has reached so far, in MB (VmHWM of the
        live ones, the kernel's account of those replaced)."""
        peak = self._peak_kb
        for w in self._workers:
            try:
                with open(f"/proc/{w.proc.pid}/status", "rb") as f:
                    for line in f:
                        if line.startswith(b"VmHWM:"):
                            peak = max(peak, int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                pass
        return peak / 1024

    def _forget(self, w: _Worker) -> None:
        self._peak_kb = max(self._peak_kb, w.peak_kb, w.maxrss_kb)
        self.replaced += 1
        if w in self._workers:
            self._workers.remove(w)
        w.stderr.close()

    def _answer(self, w: _Worker, msg):
        key, url, filename = w.job
        if msg[0] == "ok":
            return msg[1]
        if msg[0] == "memory":
            _, peak = w.reap()
            self._forget(w)
            return over_budget(f"ran out of the {self.budget.memory_mb} MB memory budget"
                               f" ({peak // 1024} MB resident at most): stopped", url=url, filename=filename)
        _, message, tb = msg
        log.error("extractor failed on %s: %s\n%s", url or filename or key, message, tb)
        from extract.document import Document

        doc = Document(url=url, filename=filename)
        doc.add("unreadable", f"the extractor failed on this document: {message}")
        return doc

    def _lost(self, w: _Worker):
        """A worker that died while reading a job: over budget when the kernel or the allocator
        says so, else a crash with its signal."""
        key, url, filename = w.job
        status, peak = w.reap()
        tail = w.stderr_tail()
        self._forget(w)
        limit_kb = self.budget.memory_mb * 1024
        if status == -signal.SIGXCPU:
            what = f"used more than {CPU_PER_SECOND * self.budget.seconds:g} s of CPU: stopped"
        elif any(sign in tail for sign in _MEMORY_SIGNS) or peak >= 0.9 * limit_kb:
            what = (f"ran out of the {self.budget.memory_mb} MB memory budget ({peak // 1024} MB resident"
                    " at most): stopped")
        else:
            how = f"signal {signal.Signals(-status).name}" if status and status < 0 else f"exit status {status}"
            log.error("extractor worker died on %s (%s): %s", url or filename or key, how, tail)
            return self._crashed(w, f"the reader crashed on this document ({how})")
        return over_budget(what, url=url, filename=filename)

    @staticmethod
    def _crashed(w: _Worker, message: str):
        from extract.document import Document

        doc = Document(url=w.job[1], filename=w.job[2])
        doc.add("unreadable", message)
        return doc


__all__ = ["Budget", "DocumentPool", "over_budget", "CPU_PER_SECOND", "STARTUP_SECONDS"]
