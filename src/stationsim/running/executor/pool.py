"""The local backend: a process pool on this machine (:class:`LocalBackend`), its workers'
start (the job kept in :data:`_JOB`, Ctrl-C ignored, death with the parent), reruns of
chunks whose worker died, shutdown, and consolidation on the workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pyarrow as pa

from stationsim.running.executor.chunk import run_chunk
from stationsim.running.executor.errors import WorkerDied
from stationsim.running.executor.job import Job
from stationsim.running.executor.parts import consolidate
from stationsim.running.lock import close_inherited
from stationsim.running.results import TABLES

#: times the local pool reruns a chunk whose worker died (a new pool each time)
WORKER_RETRIES = 2


_JOB: Job | None = None


def _init_worker(job: Job, parent: int) -> None:
    """Pool worker start: keep the job, ignore Ctrl-C (the parent stops us), die with the parent."""
    global _JOB
    _JOB = job
    close_inherited()  # the parent's folder lock must die with the parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a pool restarted mid-job is forked after the parent's SIGTERM handler was set: a
    # worker must still die of SIGTERM (the pool terminates the workers of a broken pool)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:  # a parent killed with SIGKILL cannot stop its workers itself
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _ready() -> int:
    return os.getpid()


def _pool_task(chunk: int) -> tuple[int, dict[str, pa.Table]]:
    assert _JOB is not None, "worker not initialised"
    return run_chunk(_JOB, chunk)


def _pool_consolidate(out: str, table: str) -> int:
    assert _JOB is not None, "worker not initialised"
    return consolidate(Path(out), _JOB, table)


class LocalBackend:
    """A process pool on this machine (the fork start method where it is safe)."""

    def __init__(self, job: Job, workers: int) -> None:
        # fork: workers start in milliseconds with everything imported.  Not on macOS, where
        # fork is unsafe with system frameworks (and Windows has none): the default there.
        use_fork = "fork" in mp.get_all_start_methods() and sys.platform != "darwin"
        self.ctx = mp.get_context("fork" if use_fork else None)
        self.job = job
        self.workers: int = workers
        self._start()
        # start every worker now (before this process starts threads of its own)
        for f in [self.pool.submit(_ready) for _ in range(workers)]:
            f.result()

    def _start(self) -> None:
        self.pool = ProcessPoolExecutor(self.workers, mp_context=self.ctx,
                                        initializer=_init_worker,
                                        initargs=(self.job, os.getpid()))

    def results(self, chunks: list[int]) -> Iterator[tuple[int, dict[str, pa.Table]]]:
        """Yield chunks as they finish; a chunk whose worker died is rerun on a new pool
        (up to :data:`WORKER_RETRIES` times), else :class:`WorkerDied`."""
        todo = deque(chunks)
        pending: dict[Future[Any], int] = {}
        attempts: dict[int, int] = {}
        window = 2 * self.workers
        while todo or pending:
            lost: list[int] = []
            while todo and len(pending) < window:
                k = todo.popleft()
                try:
                    pending[self.pool.submit(_pool_task, k)] = k
                except BrokenProcessPool:  # broke since the last wait
                    lost.append(k)
                    break
            done = wait(pending, return_when=FIRST_COMPLETED).done if pending else set()
            for fut in done:
                k = pending.pop(fut)
                try:
                    res = fut.result()
                except BrokenProcessPool:
                    lost.append(k)
                    continue
                yield res
            if not lost:
                continue
            # the pool is broken: every chunk in flight is lost with it
            lost += pending.values()
            pending.clear()
            for k in lost:
                attempts[k] = attempts.get(k, 0) + 1
            worst = max(lost, key=lambda k: attempts[k])
            with contextlib.suppress(Exception):
                self._shutdown("kill")
            if attempts[worst] > WORKER_RETRIES:
                raise WorkerDied(f"a worker process died (killed by the operating system, "
                                 f"e.g. out of memory) running chunk {worst}, "
                                 f"{attempts[worst]} times")
            self._start()
            todo.extendleft(sorted(lost, reverse=True))

    def _shutdown(self, stop: str | None) -> None:
        """Shut the pool down, first sending its workers ``stop`` (``"terminate"``: an
        aborted job; ``"kill"``: a broken pool, whose worker stuck on a lock could
        otherwise keep the shutdown waiting; None: let them finish)."""
        if stop is not None:
            for p in list((getattr(self.pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    getattr(p, stop)()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def close(self, abort: bool = False) -> None:
        self._shutdown("terminate" if abort else None)

    def consolidate(self, out: Path) -> dict[str, int]:
        """:func:`consolidate` every table, the larger ones on the pool's workers (forked
        before this process read any Parquet) while this process does ``runs``: the same
        files, in about the time of the largest table."""
        futs = {t: self.pool.submit(_pool_consolidate, str(out), t) for t in TABLES[::-1]
                if t != "runs"}
        rows = {"runs": consolidate(out, self.job, "runs")}
        for t, fut in futs.items():
            rows[t] = fut.result()
        return {t: rows[t] for t in TABLES}
