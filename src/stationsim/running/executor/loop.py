""":func:`execute`: a job's folder created and locked, its chunks run on a backend and
written as parts as they finish, the manifest kept current, the tables consolidated;
Ctrl-C and SIGTERM leave it resumable, the machine's faults end in :class:`MachineFault`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from stationsim.model.scenario import check_run_options
from stationsim.running.executor.backends import default_workers, make_backend
from stationsim.running.executor.errors import MachineFault, OutputError, WorkerDied
from stationsim.running.executor.job import Job
from stationsim.running.executor.parts import consolidate, good_chunks, write_part
from stationsim.running.executor.place import check_out
from stationsim.running.executor.pool import LocalBackend
from stationsim.running.lock import FolderLock, prepare_folder, remove_created
from stationsim.running.results import (
    TABLES,
    check_tables,
    environment,
    now_iso,
    table_stamps,
    write_json,
)

#: run seeds listed in the manifest at most (beyond, they are in the tables only)
MANIFEST_SEEDS = 10_000


def execute(job: Job, out: Path, manifest: dict[str, Any], *, workers: int | None = None,
            backend: str = "local", scheduler: str | None = None, resume: bool = False,
            progress: bool | None = None, label: str = "",
            log: Any = None) -> dict[str, Any]:
    """Run every chunk of ``job`` not yet done in ``out``, then consolidate the tables.

    Parameters
    ----------
    job : Job
    out : Path
        The results folder (created; must be empty unless ``resume``).
    manifest : dict
        What the caller records (scenario, sweep, command); the executor adds
        the plan, seeds, counts, progress and timing.
    workers : int, optional
        Processes (local) or LocalCluster workers (dask); default all cores.
    backend : {"local", "dask"}
    scheduler : str, optional
        Address of a running dask scheduler (dask backend).
    resume : bool
        Continue an interrupted job in ``out`` (see the package docstring).
    progress : bool, optional
        Show progress on stderr (:class:`stationsim.running.progress.Progress`: a bar on a
        terminal, else plain lines at every 10 %); default: the process default (shown).
    log : callable, optional
        Receives one-line notes (parts redone, timing).

    Returns
    -------
    dict
        The final manifest.  On Ctrl-C (``KeyboardInterrupt``) or SIGTERM the
        folder is left resumable, the manifest says ``interrupted`` and the
        exception propagates.

    Raises
    ------
    stationsim.running.lock.FolderBusy
        Another process is writing to ``out`` (it holds the folder's lock).
    stationsim.running.lock.PlaceError
        ``out`` cannot be created or written; nothing is written.
    OutputError
        ``out`` is not empty (without ``resume``) or holds another job.
    """
    out = Path(out)
    check_run_options(seed=job.master_seed, steps=job.steps, replications=job.replications,
                      workers=workers, prefix="")  # the bounds of the scenario's fields
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    created = prepare_folder(out)  # a writable place, before any work
    lock = FolderLock(out)
    try:
        lock.acquire()  # one writer per folder, for the life of the job
        try:
            return _execute_locked(job, out, manifest, workers=workers, backend=backend,
                                   scheduler=scheduler, resume=resume, progress=progress,
                                   label=label, log=log)
        finally:
            lock.release()
    except BaseException:
        remove_created(created)  # a refused job leaves no folder behind (only if empty)
        raise


def _execute_locked(job: Job, out: Path, manifest: dict[str, Any], *, workers: int | None,
                    backend: str, scheduler: str | None, resume: bool, progress: bool | None,
                    label: str, log: Any) -> dict[str, Any]:
    """:func:`execute` with ``out`` created and locked."""
    from stationsim.running.progress import Progress

    t0 = time.perf_counter()
    note = log or (lambda msg: None)
    old = check_out(out, job, resume)
    if old is not None:
        for tmp in out.glob(".*.tmp"):  # left by a kill during consolidation
            tmp.unlink(missing_ok=True)
    if old is not None and old.get("progress", {}).get("status") == "complete":
        damaged = check_tables(out, old) if "tables" in old else [
            f"{t}.parquet: missing" for t in TABLES if not (out / f"{t}.parquet").is_file()]
        if not damaged:
            shutil.rmtree(out / "parts", ignore_errors=True)
            note(f"{out}: already complete; nothing to run")
            return old
        note(f"{out}: damaged ({'; '.join(damaged)}); rebuilding the tables")
        for t in TABLES:
            (out / f"{t}.parquet").unlink(missing_ok=True)
    workers = workers or default_workers()
    done: set[int] = set()
    runs_done = runs_before = 0
    man: dict[str, Any] = {
        **manifest,
        "fingerprint": job.fingerprint,
        "environment": environment(),
        "master_seed": job.master_seed,
        "replications": job.replications,
        "steps": job.steps if job.steps is not None else job.base_scenario().steps,
        "counts": {"points": len(job.points), "runs": job.total_runs,
                   "chunks": job.n_chunks, "chunk_runs": job.chunk_runs},
        # the seeds are in every table (run_seed); listed here only while the list is short,
        # so the manifest does not grow with the design
        "run_seeds": job.run_seeds() if job.total_runs <= MANIFEST_SEEDS else None,
        "started": (old or {}).get("started", now_iso()),
        "resumed": [*(old or {}).get("resumed", []), now_iso()] if old is not None else [],
    }

    def save(status: str) -> None:
        man["progress"] = {"status": status, "runs_done": runs_done, "chunks_done": len(done),
                           "runs": job.total_runs, "updated": now_iso()}
        write_json(man, out / "manifest.json")

    # Start the workers first: forked before this process reads any Parquet (Arrow's
    # threads) or starts a progress bar, and ready by the time the plan is checked.
    t_start = time.perf_counter()
    runner = make_backend(job, backend, workers, scheduler, job.n_chunks)
    running = True
    man["backend"] = {"name": backend, "workers": runner.workers, "scheduler": scheduler}
    man["timing"] = {"backend_start_s": round(time.perf_counter() - t_start, 4)}
    prev_term = None
    if threading.current_thread() is threading.main_thread():
        prev_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    bar = None
    try:
        if old is not None:
            done = good_chunks(out, job, note)
            runs_done = runs_before = sum(job.chunk_range(k)[1] - job.chunk_range(k)[0]
                                          for k in done)
        todo = [k for k in range(job.n_chunks) if k not in done]
        out.mkdir(parents=True, exist_ok=True)
        save("running")
        bar = Progress(job.total_runs, label or job.kind, "run", enabled=progress,
                       initial=runs_done, stream=sys.stderr)
        last_save = time.monotonic()
        for k, tables in runner.results(todo):
            for name in TABLES:
                write_part(out, job, k, name, tables[name])
            start, stop = job.chunk_range(k)
            done.add(k)
            runs_done += stop - start
            bar.update(stop - start)
            if time.monotonic() - last_save > 2.0:
                save("running")
                last_save = time.monotonic()
        bar.close()
        if isinstance(runner, LocalBackend) and runner.workers > 1:
            rows = runner.consolidate(out)
        else:
            rows = {name: consolidate(out, job, name) for name in TABLES}
        running = False
        runner.close()
    except BaseException as exc:
        if bar is not None:
            bar.close()
        if running:
            with contextlib.suppress(Exception):
                runner.close(abort=True)
        if (out / "manifest.json").is_file():
            with contextlib.suppress(OSError):  # the disk may be full
                save("interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
        fault = _machine_fault(exc)
        if fault is not None:
            kept = f"{runs_done} of {job.total_runs} runs done are kept"
            raise MachineFault(f"{out}: {fault}; {kept}: fix the cause, then run the same "
                               f"command with --out {out} --resume", cause=fault) from exc
        raise
    finally:
        if prev_term is not None:
            signal.signal(signal.SIGTERM, prev_term)
    wall = time.perf_counter() - t0
    man["rows"] = rows
    man["tables"] = table_stamps(out)  # rows and checksums: load_results and --resume verify
    man["finished"] = now_iso()
    man["timing"]["wall_s"] = round(wall, 3)
    man["timing"]["runs_this_session"] = job.total_runs - runs_before
    save("complete")
    shutil.rmtree(out / "parts", ignore_errors=True)
    ran = job.total_runs - runs_before
    what = f"{ran} runs" if ran == job.total_runs else f"{ran} missing runs of {job.total_runs}"
    note(f"{what} in {wall:.1f} s ({backend}, {man['backend']['workers']} worker(s); "
         f"backend start {man['timing']['backend_start_s']:.3f} s)")
    return man


def _machine_fault(exc: BaseException) -> str | None:
    """A one-line description when ``exc`` is the machine's fault (not a bug, not input)."""
    if isinstance(exc, WorkerDied):
        return str(exc)
    if isinstance(exc, BrokenProcessPool):
        return "a worker process died (killed by the operating system)"
    if isinstance(exc, OSError):
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"{reason}{where}"
    return None


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
