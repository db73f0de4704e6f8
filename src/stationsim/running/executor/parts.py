"""Parquet parts: one file per chunk and table, stamped with the job (:func:`write_part`),
checked on resume (:func:`check_part`, :func:`good_chunks`) and streamed in run-id
order into the consolidated tables (:func:`consolidate`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from stationsim.running.executor.errors import OutputError
from stationsim.running.executor.job import Job
from stationsim.running.results import PART_KEY, TABLES, atomic_write

#: rows gathered before a row group is written when parts are consolidated
ROW_GROUP_ROWS = 65_536


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
