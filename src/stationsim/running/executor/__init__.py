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

The package, one concept per module (the public names are re-exported here):
``job`` (:class:`Job`, its chunks and seeds, :func:`run_job`), ``chunk`` (each point's
scenario, :func:`run_chunk`), ``backends`` (serial, dask, :func:`make_backend`,
:func:`default_workers`), ``pool`` (the local process pool and its workers), ``parts``
(part files, their checks on resume, consolidation), ``place`` (may the output folder
receive the job: manifest, free space, :func:`check_out`), ``loop`` (:func:`execute`: the
locked loop, machine faults, interrupts) and ``errors``.
"""

from stationsim.running.executor.backends import (
    BACKENDS,
    Backend,
    DaskBackend,
    SerialBackend,
    default_workers,
    make_backend,
)
from stationsim.running.executor.chunk import run_chunk
from stationsim.running.executor.errors import (
    ExecutorInputError,
    MachineFault,
    OutputError,
    RunFailed,
    SchedulerError,
    WorkerDied,
)
from stationsim.running.executor.job import Job, default_chunk_runs, run_job, scenario_data
from stationsim.running.executor.loop import MANIFEST_SEEDS, execute
from stationsim.running.executor.parts import (
    ROW_GROUP_ROWS,
    check_part,
    consolidate,
    good_chunks,
    part_path,
    write_part,
)
from stationsim.running.executor.place import (
    check_free_space,
    check_out,
    estimated_bytes,
    read_manifest,
)
from stationsim.running.executor.pool import WORKER_RETRIES, LocalBackend
from stationsim.running.executor.pool import _init_worker as _init_worker
from stationsim.running.executor.pool import _ready as _ready

__all__ = [
    "BACKENDS",
    "MANIFEST_SEEDS",
    "ROW_GROUP_ROWS",
    "WORKER_RETRIES",
    "Backend",
    "DaskBackend",
    "ExecutorInputError",
    "Job",
    "LocalBackend",
    "MachineFault",
    "OutputError",
    "RunFailed",
    "SchedulerError",
    "SerialBackend",
    "WorkerDied",
    "check_free_space",
    "check_out",
    "check_part",
    "consolidate",
    "default_chunk_runs",
    "default_workers",
    "estimated_bytes",
    "execute",
    "good_chunks",
    "make_backend",
    "part_path",
    "read_manifest",
    "run_chunk",
    "run_job",
    "scenario_data",
    "write_part",
]
