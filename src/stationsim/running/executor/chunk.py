"""One chunk of a job: each point's scenario (``with_overrides`` of the base, cached per job
and point) and its runs as one Arrow table per table (:func:`run_chunk`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from stationsim.model.scenario import Scenario, with_overrides
from stationsim.running.batch import RunParts, run_parts, tables_of
from stationsim.running.executor.errors import RunFailed
from stationsim.running.executor.job import Job
from stationsim.running.results import TABLES

_CACHE: dict[tuple[str, int], Scenario] = {}


def _point_scenario(job: Job, point: int) -> Scenario:
    key = (job.fingerprint, point)
    scn = _CACHE.get(key)
    if scn is None:
        base = _CACHE.get((job.fingerprint, -1))
        if base is None:
            base = _CACHE[(job.fingerprint, -1)] = job.base_scenario()
        values = job.points[point]
        scn = with_overrides(base, dict(zip(job.columns, values, strict=True))) if values \
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
