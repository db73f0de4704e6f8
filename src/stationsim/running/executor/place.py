"""The output place: may ``out`` receive the job?  Its manifest (:func:`read_manifest`), the
free space the job needs (:func:`estimated_bytes`, :func:`check_free_space`) and
:func:`check_out` (empty, or the same job to resume).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from stationsim.running.executor.errors import OutputError
from stationsim.running.executor.job import Job
from stationsim.running.lock import LOCK_NAME


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
