"""The run executor behind ``stationsim run`` and ``stationsim sweep``.

A :class:`Job` is plain data: the base scenario (as JSON text), the varied
columns and each point's values, replications, master seed, steps and the
chunk size.  Runs are numbered ``run_id = point * replications +
replication``; run ``run_id`` is seeded with ``batch.run_seed(master,
run_id)`` (or ``run_seed(master, replication)`` with common random numbers),
so a run's tables depend only on the job and its ``run_id``, never on which
process, machine or backend ran it.

Runs are grouped in *chunks* of ``chunk_runs`` consecutive run ids; a chunk is
one task for a worker and one Parquet part per table::

    OUT/manifest.json                  plan, seeds, progress (written first, updated)
    OUT/parts/runs/part-000012.parquet       chunk 12 of each table, written
    OUT/parts/steps/part-000012.parquet      atomically as soon as the chunk
    OUT/parts/membership/part-000012.parquet finishes

Each part carries (in its Parquet key-value metadata) the job's fingerprint,
its chunk number, run-id range and row count.  When every chunk is done the
parts are streamed, in run-id order, into ``runs.parquet``, ``steps.parquet``
and ``membership.parquet`` (bounded memory, one atomic write each), the
manifest is marked ``complete`` and ``parts/`` is removed: the same layout as
a plain run.  With the local pool the ``steps`` and ``membership`` tables are
consolidated on its workers while this process does ``runs`` (the same files).

Resuming (``resume=True``) checks that the folder holds the same job (same
fingerprint), then validates every part -- readable to the last page, the
metadata of this job and chunk, the row count it was written with, exactly
the chunk's run ids in order -- and runs only the chunks that are missing or
fail.  An interrupted folder therefore ends with exactly the tables of an
uninterrupted run.

Backends: ``serial`` (this process), ``local`` (a process pool; the fork start
method where the platform has it, so workers start in milliseconds with the
package already imported; only the job and chunk numbers cross to workers)
and ``dask`` (``dask.distributed``: a LocalCluster, or an existing scheduler
by address; workers return their chunk's tables to this process, which
writes them, so workers need no shared filesystem).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import multiprocessing as mp
import os
import shutil
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from stationsim.model.scenario import (
    Scenario,
    ScenarioError,
    _check_references,
    _pydantic_message,
    check_run_options,
    scenario_from_dict,
    set_path,
)
from stationsim.running.batch import RunParts, run_parts, run_seed, tables_of
from stationsim.running.lock import (
    LOCK_NAME,
    FolderLock,
    close_inherited,
    prepare_folder,
    remove_created,
)
from stationsim.running.results import (
    PART_KEY,
    TABLES,
    atomic_write,
    check_tables,
    environment,
    now_iso,
    table_stamps,
    write_json,
)

BACKENDS = ("local", "dask")
#: run seeds listed in the manifest at most (beyond, they are in the tables only)
MANIFEST_SEEDS = 10_000
#: rows gathered before a row group is written when parts are consolidated
ROW_GROUP_ROWS = 65_536


class ExecutorInputError(ValueError):
    """Bad input to the executor (the CLI exits 2); nothing has been written."""


class OutputError(ExecutorInputError):
    """The output folder cannot be used (exists, or holds another job)."""


class SchedulerError(ExecutorInputError):
    """The dask scheduler given by address cannot be reached."""


class RunFailed(RuntimeError):
    """A run raised; the message names its run id, point, replication and seed."""


class MachineFault(RuntimeError):
    """The machine failed the job (disk full, file system error, a worker killed by the OS).

    The message is one line: what failed, that the finished chunks are kept, and how to
    resume.  The CLI prints it without a traceback and exits 1.  ``cause`` is what
    failed, without the advice.
    """

    def __init__(self, message: str, cause: str = "") -> None:
        super().__init__(message)
        self.cause = cause or message


class WorkerDied(MachineFault):
    """A pool worker died (killed by the OS, e.g. out of memory) more often than retried."""


#: times the local pool reruns a chunk whose worker died (a new pool each time)
WORKER_RETRIES = 2


# ----------------------------------------------------------------------------- the job


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to run any run of a batch or sweep, as plain data.

    Attributes
    ----------
    kind : {"run", "sweep"}
        ``run`` tables are those of :func:`stationsim.running.batch.run`; ``sweep``
        tables add ``run_id``, ``point`` and one column per varied field.
    scenario : str
        The base scenario's data as JSON (states inlined).
    source : str
        Where the scenario came from (for messages).
    columns : tuple of str
        Varied fields (dotted paths), the names of their columns.
    points : tuple of tuples
        Each point's values, in ``columns`` order; ``((),)`` for a plain run.
    replications, master_seed : int
    steps : int or None
        Steps per run (None: the scenario's).
    chunk_runs : int
        Runs per chunk (task and part file).
    common_random_numbers : bool
        Seed by replication instead of run id (every point sees the same streams).
    """

    kind: Literal["run", "sweep"]
    scenario: str
    source: str
    columns: tuple[str, ...]
    points: tuple[tuple[Any, ...], ...]
    replications: int
    master_seed: int
    steps: int | None
    chunk_runs: int
    common_random_numbers: bool = False

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the job's meaning: equal jobs give equal tables.

        The parsed, normalised scenario (a file's comments, layout and spelling do not
        count), the varied columns and points, seed, replications, steps and chunking --
        never ``source``, the path the scenario was read from (a resume from another
        working folder, or by an absolute path, is the same job).
        """
        data = asdict(self)
        data.pop("source")
        data["scenario"] = json.loads(self.scenario)
        payload = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def total_runs(self) -> int:
        return len(self.points) * self.replications

    @property
    def n_chunks(self) -> int:
        return math.ceil(self.total_runs / self.chunk_runs)

    @property
    def id_column(self) -> str:
        """The column that numbers runs in every table."""
        return "run_id" if self.kind == "sweep" else "replication"

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        """``[start, stop)`` run ids of ``chunk``."""
        start = chunk * self.chunk_runs
        return start, min(start + self.chunk_runs, self.total_runs)

    def seed_of(self, run_id: int) -> int:
        """The model seed of run ``run_id``."""
        idx = run_id % self.replications if self.common_random_numbers else run_id
        return run_seed(self.master_seed, idx)

    def run_seeds(self) -> list[int]:
        return [self.seed_of(i) for i in range(self.total_runs)]

    def base_scenario(self) -> Scenario:
        return scenario_from_dict(json.loads(self.scenario), source=self.source)


def default_chunk_runs(total_runs: int) -> int:
    """About 64 chunks per job, 1 to 250 runs each (few, not tiny, part files)."""
    return max(1, min(250, math.ceil(total_runs / 64)))


def scenario_data(scn: Scenario) -> str:
    """A scenario as JSON text for a :class:`Job` (the CSV's states are already inlined)."""
    data = scn.raw()
    data.pop("states_csv", None)
    return json.dumps(data, sort_keys=True)


def run_job(scn: Scenario, seed: int | None = None, replications: int | None = None,
            steps: int | None = None, chunk_runs: int | None = None) -> Job:
    """The job of ``stationsim run``: replications of one scenario."""
    reps = scn.replications if replications is None else int(replications)
    if reps < 1:
        raise ValueError("replications must be at least 1")
    return Job(kind="run", scenario=scenario_data(scn), source=scn.source, columns=(),
               points=((),), replications=reps,
               master_seed=scn.seed if seed is None else int(seed), steps=steps,
               chunk_runs=chunk_runs or default_chunk_runs(reps))


# ----------------------------------------------------------------------------- one chunk

_CACHE: dict[tuple[str, int], Scenario] = {}


def point_scenario(base: Scenario, overrides: dict[str, Any]) -> Scenario:
    """``with_overrides(base, overrides)``: the same scenario, the same errors, in a third of
    the time.

    :func:`~stationsim.model.scenario.with_overrides` hands the overridden data to
    ``scenario_from_dict``, which deep-copies it before validating (to leave a caller's
    dict alone): ~0.55 of its ~0.9 ms per point of a 37-state scenario, ~4 s of CPU for
    the 4,608 points of ``sensitivity_css_rule.toml``.  The data here is ``base.raw()``,
    made for this call and dropped after it, so the copy is skipped; the validation is
    the same (the pydantic model, then the cross-field checks, with their messages).
    ``tests/test_sweep_executor.py`` holds it equal to ``with_overrides``.
    """
    data = base.raw()
    data.pop("states_csv", None)  # states from the CSV are already inlined
    for path, value in overrides.items():
        try:
            set_path(data, path, value)
        except KeyError as exc:
            raise ScenarioError(f"{base.source}: {path}: {exc.args[0]}") from None
    try:
        scn = Scenario.model_validate({**data, "source": base.source, "text": base.text})
    except ValidationError as exc:
        raise ScenarioError(_pydantic_message(base.source, exc)) from None
    _check_references(scn)
    return scn.model_copy(update={"overrides": {**base.overrides, **overrides}})


def _point_scenario(job: Job, point: int) -> Scenario:
    key = (job.fingerprint, point)
    scn = _CACHE.get(key)
    if scn is None:
        base = _CACHE.get((job.fingerprint, -1))
        if base is None:
            base = _CACHE[(job.fingerprint, -1)] = job.base_scenario()
        values = job.points[point]
        scn = point_scenario(base, dict(zip(job.columns, values, strict=True))) if values \
            else base
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = scn
    return scn


def run_chunk(job: Job, chunk: int) -> tuple[int, dict[str, pa.Table]]:
    """Run the runs of ``chunk`` and return ``(chunk, {table: Arrow table})``, in run-id order."""
    start, stop = job.chunk_range(chunk)
    parts: list[RunParts] = []
    for rid in range(start, stop):
        point, rep = divmod(rid, job.replications)
        seed = job.seed_of(rid)
        try:
            parts.append(run_parts(_point_scenario(job, point), seed, rep, job.steps,
                                   job.master_seed))
        except Exception as exc:  # say which run, so it can be re-run alone
            where = dict(zip(job.columns, job.points[point], strict=True))
            raise RunFailed(f"run_id {rid} (point {point} {where}, replication {rep}, "
                            f"run_seed {seed}) failed: {type(exc).__name__}: {exc}") from exc
    tabs = tables_of(parts)  # one DataFrame per table for the chunk (as pd.concat of runs')
    rows = {"runs": [1] * len(parts),
            "steps": [len(next(iter(p.steps.values()))) for p in parts],
            "membership": [len(next(iter(p.membership.values()))) for p in parts]}
    out: dict[str, pa.Table] = {}
    for name in TABLES:
        df = getattr(tabs, name)
        if job.kind == "sweep":  # run_id, point first; the varied fields after run_seed
            rids = np.repeat(np.arange(start, stop), rows[name])
            points = rids // job.replications
            at = list(df.columns).index("run_seed") + 1
            for j, col in enumerate(job.columns):
                vals = [job.points[p][j] for p in range(points[0], points[-1] + 1)]
                df.insert(at + j, col, np.asarray(vals, dtype=object)[points - points[0]]
                          if isinstance(vals[0], str) else np.asarray(vals)[points - points[0]])
            df.insert(0, "point", points)
            df.insert(0, "run_id", rids)
        out[name] = pa.Table.from_pandas(df, preserve_index=False)
    return chunk, out


# ----------------------------------------------------------------------------- backends


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


# ----------------------------------------------------------------------------- parts


def part_path(out: Path, table: str, chunk: int) -> Path:
    return out / "parts" / table / f"part-{chunk:06d}.parquet"


def write_part(out: Path, job: Job, chunk: int, table: str, data: pa.Table) -> None:
    """Write one table of a chunk atomically, stamped with the job, chunk and row count."""
    start, stop = job.chunk_range(chunk)
    stamp = {"fingerprint": job.fingerprint, "chunk": chunk, "start": start, "stop": stop,
             "rows": data.num_rows, "table": table}
    meta = {**(data.schema.metadata or {}), PART_KEY: json.dumps(stamp).encode()}
    data = data.replace_schema_metadata(meta)

    def _write(tmp: Path) -> None:
        pq.write_table(data, tmp)

    atomic_write(part_path(out, table, chunk), _write)


def check_part(path: Path, job: Job, chunk: int, table: str) -> str | None:
    """Why the part at ``path`` is not a good part of ``chunk`` (None when it is good).

    The whole file is decoded, so a truncated or corrupt file never passes.
    """
    if not path.is_file():
        return "missing"
    start, stop = job.chunk_range(chunk)
    try:
        pf = pq.ParquetFile(path)
        meta = (pf.schema_arrow.metadata or {}).get(PART_KEY)
        if meta is None:
            return "no part metadata"
        stamp = json.loads(meta)
        want = {"fingerprint": job.fingerprint, "chunk": chunk, "start": start, "stop": stop,
                "table": table}
        if {k: stamp.get(k) for k in want} != want:
            return "written by another job or chunk"
        data = pf.read()
        if data.num_rows != stamp.get("rows") or pf.metadata.num_rows != data.num_rows:
            return f"{data.num_rows} rows, {stamp.get('rows')} written"
        ids = data.column(job.id_column).to_numpy()
        if ids.size == 0 or ids[0] != start or ids[-1] != stop - 1 or np.any(np.diff(ids) < 0) \
                or np.unique(ids).size != stop - start:
            return f"run ids are not exactly {start}..{stop - 1} in order"
    except Exception as exc:  # any unreadable file is a bad part
        return f"unreadable ({type(exc).__name__}: {exc})"
    return None


def good_chunks(out: Path, job: Job, report: Any = None) -> set[int]:
    """Chunks whose three parts all pass :func:`check_part`; bad parts are deleted."""
    good: set[int] = set()
    for k in range(job.n_chunks):
        bad = {t: check_part(part_path(out, t, k), job, k, t) for t in TABLES}
        if all(v is None for v in bad.values()):
            good.add(k)
            continue
        for t, why in bad.items():
            p = part_path(out, t, k)
            if p.exists():
                if report is not None:
                    report(f"redoing chunk {k}: {p.relative_to(out)}: {why or 'sibling bad'}")
                p.unlink()
    for tmp in (out / "parts").glob("*/.*.tmp"):
        tmp.unlink(missing_ok=True)
    return good


def consolidate(out: Path, job: Job, table: str) -> int:
    """Stream the parts of ``table`` in run-id order into ``OUT/<table>.parquet``; return rows."""
    paths = [part_path(out, table, k) for k in range(job.n_chunks)]
    schemas = [pq.read_schema(p) for p in paths]
    for k, (p, sch) in enumerate(zip(paths, schemas, strict=True)):  # only this job's parts
        stamp = json.loads((sch.metadata or {}).get(PART_KEY, b"{}"))
        start, stop = job.chunk_range(k)
        if (stamp.get("fingerprint"), stamp.get("chunk"), stamp.get("start"),
                stamp.get("stop"), stamp.get("table")) != (job.fingerprint, k, start, stop, table):
            raise OutputError(f"{p}: not a part of this job (chunk {k} of {table}); the folder "
                              "was written by another job; run again with --resume to redo it")
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    # pandas metadata from a part with the final column types (not one whose column
    # was all-null in its chunk), so the consolidated table reads back with the same dtypes
    typed = next((s for s in schemas if s.equals(schema, check_metadata=False)), schema)
    meta = {k: v for k, v in (typed.metadata or {}).items() if k != PART_KEY}
    schema = schema.with_metadata(meta)
    rows = 0

    def _write(tmp: Path) -> None:
        nonlocal rows
        with pq.ParquetWriter(tmp, schema) as writer:
            batch: list[pa.Table] = []
            size = 0
            for p in paths:
                t = pq.read_table(p).replace_schema_metadata(meta).cast(schema)
                batch.append(t)
                size += t.num_rows
                if size >= ROW_GROUP_ROWS:
                    writer.write_table(pa.concat_tables(batch))
                    rows += size
                    batch, size = [], 0
            if batch:
                writer.write_table(pa.concat_tables(batch))
                rows += size

    atomic_write(out / f"{table}.parquet", _write)
    return rows


# ----------------------------------------------------------------------------- the folder


def read_manifest(out: Path) -> dict[str, Any] | None:
    p = out / "manifest.json"
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def estimated_bytes(job: Job) -> int:
    """A generous estimate of what ``job`` writes: its parts and the consolidated tables
    (measured on the shipped scenarios, Parquet with Snappy: at most about 24 bytes per
    membership row and 64 per step row; doubled for parts plus tables)."""
    data = json.loads(job.scenario)
    n_states = len(data.get("states") or []) + sum(
        int(g.get("count", 0)) for g in data.get("generate") or [])
    n_stations = max(1, len(data.get("stations") or []))
    steps = job.steps if job.steps is not None else int(data.get("steps", 1))
    per_run = 24 * n_states * n_stations + 64 * steps * n_stations + 4096
    return 2 * job.total_runs * per_run + 1_000_000


def check_free_space(out: Path, job: Job) -> None:
    """Refuse a job whose estimated output (:func:`estimated_bytes`) exceeds the free space
    where ``out`` is (or would be) made."""
    place = out
    while not place.exists() and place != place.parent:
        place = place.parent
    need = estimated_bytes(job)
    free = shutil.disk_usage(place).free
    if free < need:
        raise OutputError(f"{out}: about {need / 1e6:,.0f} MB of results would not fit: "
                          f"{free / 1e6:,.0f} MB free on that file system; free space or "
                          "choose another --out")


def check_out(out: Path, job: Job, resume: bool) -> dict[str, Any] | None:
    """Check that ``out`` may receive ``job``; return its manifest when resuming one.

    Raises
    ------
    OutputError
        If ``out`` is not empty and not resumable, or holds another job.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    check_free_space(out, job)
    if not out.exists() or not any(p.name != LOCK_NAME for p in out.iterdir()):
        return None
    if not resume:
        raise OutputError(f"{out}: output folder exists and is not empty; choose another "
                          "--out, or pass --resume to finish an interrupted run there")
    man = read_manifest(out)
    if man is None:
        raise OutputError(f"{out}: has no readable manifest.json; not a stationsim results "
                          "folder to resume")
    if man.get("fingerprint") != job.fingerprint:
        raise OutputError(f"{out}: holds a different {man.get('kind', 'run')} (other scenario, "
                          "sweep file, seed, replications, steps or chunking); resume with the "
                          "same command and options, or choose another --out")
    return man


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
        Continue an interrupted job in ``out`` (see the module docstring).
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


__all__ = ["ExecutorInputError", "Job", "MachineFault", "OutputError", "SchedulerError",
           "WorkerDied", "check_out",
           "default_chunk_runs", "default_workers", "execute", "run_chunk", "run_job"]
