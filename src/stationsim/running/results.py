"""Results folders: atomic writes of the tables and the manifest, and loading.

A results folder holds ``runs.parquet``, ``steps.parquet``,
``membership.parquet`` and ``manifest.json``.  Every file is written to a
temporary name in the same folder and renamed into place, so a reader never
sees a half-written file; the manifest is written last and marks the folder
complete.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from stationsim.inputs.files import atomic_write as atomic_write  # re-exported
from stationsim.model.scenario import Scenario
from stationsim.running.batch import Results

TABLES = ("runs", "steps", "membership")


def now_iso() -> str:
    """Current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame as Parquet, atomically."""
    atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))


def write_json(obj: Any, path: Path) -> None:
    """Write JSON, atomically."""
    def _w(tmp: Path) -> None:
        tmp.write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")
    atomic_write(path, _w)


def environment() -> dict[str, str]:
    """Versions of the package and its main dependencies."""
    import mesa
    import numpy

    try:
        version = metadata.version("stationsim")
    except metadata.PackageNotFoundError:  # pragma: no cover - a bare source tree
        version = "0.0.0+unknown"
    return {"stationsim": version, "python": platform.python_version(),
            "mesa": mesa.__version__, "numpy": numpy.__version__, "pandas": pd.__version__}


def scenario_manifest(scn: Scenario) -> dict[str, Any]:
    """What the manifest records of a scenario: name, source, text, overrides and hash.

    ``text`` is the file as written; ``overrides`` the ``--set`` values applied on top;
    ``sha256`` covers both.
    """
    return {"name": scn.name, "source": scn.source, "sha256": scn.text_hash,
            "text": scn.text or scn.model_dump_json(indent=2), "overrides": scn.overrides}


def write_results(res: Results, out: Path, scn: Scenario, started: str,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the three tables and ``manifest.json`` into ``out``; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        write_table(getattr(res, name), out / f"{name}.parquet")
    manifest = {
        "kind": "run",
        "scenario": scenario_manifest(scn),
        "environment": environment(),
        **res.meta,
        "rows": {name: len(getattr(res, name)) for name in TABLES},
        "started": started,
        "finished": now_iso(),
        **(extra or {}),
    }
    write_json(manifest, out / "manifest.json")
    return manifest


def load_results(path: str | Path, partial: bool = False) -> Results:
    """Load the tables of a results folder written by ``stationsim run`` or ``stationsim sweep``.

    Parameters
    ----------
    path : str or Path
        The folder holding ``manifest.json`` and the tables.
    partial : bool
        For an unfinished (running or interrupted) folder: return the runs
        finished so far, read from its good part files, instead of raising.

    Returns
    -------
    Results
        ``runs``, ``steps`` and ``membership`` DataFrames (sweeps add
        ``run_id``, ``point`` and one column per varied field) and ``meta``,
        the manifest.

    Raises
    ------
    FileNotFoundError
        If the folder has no manifest, or is unfinished and ``partial`` is false.
    """
    p = Path(path)
    man = p / "manifest.json"
    if not man.is_file():
        raise FileNotFoundError(f"{p}: no manifest.json; not a complete results folder")
    meta = json.loads(man.read_text(encoding="utf-8"))
    status = meta.get("progress", {}).get("status", "complete")
    if status != "complete":
        if not partial:
            prog = meta.get("progress", {})
            raise FileNotFoundError(
                f"{p}: unfinished ({status}, {prog.get('runs_done')} of {prog.get('runs')} runs); "
                "finish it with the same command and --resume, or pass partial=True")
        tables = {name: read_parts(p, meta.get("fingerprint", ""), name) for name in TABLES}
        return Results(meta=meta, **tables)
    tables = {name: pd.read_parquet(p / f"{name}.parquet") for name in TABLES}
    return Results(meta=meta, **tables)


#: Key of a part file's stamp (job fingerprint, row count) in its Parquet metadata.
PART_KEY = b"stationsim.part"


def read_parts(out: Path, job_fingerprint: str, table: str) -> pd.DataFrame:
    """The good parts of ``table`` in an unfinished folder, in run-id order (for peeking)."""
    frames = []
    for p in sorted((out / "parts" / table).glob("part-*.parquet")):
        try:
            pf = pq.ParquetFile(p)
            stamp = json.loads((pf.schema_arrow.metadata or {}).get(PART_KEY, b"{}"))
            if stamp.get("fingerprint") != job_fingerprint:
                continue
            data = pf.read()
        except Exception:  # a partial part is skipped, never read as good
            continue
        if data.num_rows == stamp.get("rows"):
            frames.append(data.replace_schema_metadata(
                {k: v for k, v in (data.schema.metadata or {}).items() if k != PART_KEY}))
    if not frames:
        return pd.DataFrame()
    return pa.concat_tables(frames, promote_options="permissive").to_pandas()
