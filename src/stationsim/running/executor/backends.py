"""Backends: what runs a job's chunks (:class:`Backend`): :class:`SerialBackend` (this
process), the local pool (:mod:`.pool`) and :class:`DaskBackend`; :func:`make_backend`
picks one, :func:`default_workers` counts the cores.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any, Protocol

import pyarrow as pa

from stationsim.running.executor.chunk import run_chunk
from stationsim.running.executor.errors import SchedulerError
from stationsim.running.executor.job import Job
from stationsim.running.executor.pool import LocalBackend

BACKENDS = ("local", "dask")


class Backend(Protocol):
    """Runs chunks and yields their results as they finish."""

    workers: int

    def results(self, chunks: list[int]) -> Iterator[tuple[int, dict[str, pa.Table]]]: ...

    def close(self, abort: bool = False) -> None: ...


class SerialBackend:
    """Run chunks one after another in this process."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.workers: int = 1

    def results(self, chunks: list[int]) -> Iterator[tuple[int, dict[str, pa.Table]]]:
        for k in chunks:
            yield run_chunk(self.job, k)

    def close(self, abort: bool = False) -> None:
        pass


def _windowed(submit: Any, wait_any: Any, chunks: list[int], window: int) -> Iterator[Any]:
    """Keep at most ``window`` tasks in flight; yield results as they finish."""
    todo = iter(chunks)
    pending: set[Any] = set()

    def fill() -> None:
        while len(pending) < window:
            k = next(todo, None)
            if k is None:
                return
            pending.add(submit(k))

    fill()
    while pending:
        done = wait_any(pending)
        for fut in done:
            pending.discard(fut)
            yield fut.result()
        fill()


class DaskBackend:
    """``dask.distributed``: a LocalCluster of ``workers`` processes, or a scheduler by address."""

    def __init__(self, job: Job, workers: int, scheduler: str | None = None) -> None:
        import logging

        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise SchedulerError(f"--scheduler {scheduler}: cannot connect: {exc}") from None
        else:
            # Workers start with Ctrl-C ignored (the disposition survives exec): a terminal's
            # SIGINT reaches the whole process group, and this process stops the cluster.
            main = threading.current_thread() is threading.main_thread()
            prev = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                            processes=True, host="127.0.0.1",
                                            dashboard_address=None, silence_logs=logging.ERROR)
            finally:
                if prev is not None:
                    signal.signal(signal.SIGINT, prev)
            self.client = Client(self.cluster)
        self.workers: int = max(1, sum(self.client.nthreads().values()))
        [self.job_future] = self.client.scatter([job], broadcast=True)

    def results(self, chunks: list[int]) -> Iterator[tuple[int, dict[str, pa.Table]]]:
        from distributed import as_completed

        ac = as_completed()

        def submit(k: int) -> Any:
            fut = self.client.submit(run_chunk, self.job_future, k, pure=False)
            ac.add(fut)
            return fut

        def wait_any(pending: set[Any]) -> set[Any]:
            return {next(ac)}

        return _windowed(submit, wait_any, chunks, 2 * self.workers)

    def close(self, abort: bool = False) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


def default_workers() -> int:
    """Cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def make_backend(job: Job, backend: str, workers: int, scheduler: str | None,
                 n_todo: int) -> Backend:
    if backend == "dask":
        return DaskBackend(job, workers, scheduler)
    if backend != "local":
        raise ValueError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    if workers <= 1 or n_todo <= 1:
        return SerialBackend(job)
    return LocalBackend(job, min(workers, n_todo))
