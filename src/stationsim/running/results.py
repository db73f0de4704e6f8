"""Results folders: atomic writes of the tables and the manifest, and loading.

A results folder holds ``runs.parquet``, ``steps.parquet``,
``membership.parquet`` and ``manifest.json``.  Every file is written to a
temporary name in the same folder and renamed into place, so a reader never
sees a half-written file; the manifest is written last and marks the folder
complete.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from stationsim.atomic import atomic_write
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


class DamagedResults(FileNotFoundError):
    """A finished folder's table no longer matches the row count and checksum its manifest
    recorded (truncated, overwritten, missing)."""


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def table_stamps(out: Path, names: tuple[str, ...] = TABLES) -> dict[str, dict[str, Any]]:
    """Row count and SHA-256 of each table file of ``out``, for the manifest."""
    return {name: {"file": f"{name}.parquet",
                   "rows": pq.ParquetFile(out / f"{name}.parquet").metadata.num_rows,
                   "sha256": file_sha256(out / f"{name}.parquet")} for name in names}


def check_tables(out: Path, meta: dict[str, Any]) -> list[str]:
    """What is wrong with the tables ``meta["tables"]`` records (empty when all match)."""
    problems = []
    for name, want in (meta.get("tables") or {}).items():
        p = out / str(want.get("file", f"{name}.parquet"))
        if not p.is_file():
            problems.append(f"{p.name}: missing")
            continue
        if file_sha256(p) != want.get("sha256"):
            problems.append(f"{p.name}: changed since it was written (checksum differs)")
            continue
        try:
            rows = pq.ParquetFile(p).metadata.num_rows
        except Exception as exc:  # unreadable although the checksum matched: report it
            problems.append(f"{p.name}: unreadable ({type(exc).__name__})")
            continue
        if rows != want.get("rows"):
            problems.append(f"{p.name}: {rows} rows, {want.get('rows')} written")
    return problems


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
        "tables": table_stamps(out),
        "progress": {"status": "complete"},
        "started": started,
        "finished": now_iso(),
        **(extra or {}),
    }
    write_json(manifest, out / "manifest.json")
    return manifest


def load_results(path: str | Path, partial: bool = False, verify: bool = True) -> Results:
    """Load the tables of a results folder written by ``stationsim run`` or ``stationsim sweep``.

    Parameters
    ----------
    path : str or Path
        The folder holding ``manifest.json`` and the tables.
    partial : bool
        For an unfinished (running or interrupted) folder: return the runs
        finished so far, read from its good part files, instead of raising.
    verify : bool
        Check each table against the row count and SHA-256 the manifest recorded.

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
    DamagedResults
        (a ``FileNotFoundError``) If a table does not match its manifest.
    """
    p = Path(path)
    man = p / "manifest.json"
    if not man.is_file():
        raise FileNotFoundError(f"{p}: no manifest.json; not a complete results folder")
    try:
        meta = json.loads(man.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DamagedResults(f"{p}: manifest.json is unreadable ({exc})") from None
    if not isinstance(meta, dict):
        raise DamagedResults(f"{p}: manifest.json is not a stationsim manifest")
    status = meta.get("progress", {}).get("status", "complete")
    if status != "complete":
        if not partial:
            prog = meta.get("progress", {})
            done = _runs_in_parts(p, meta.get("fingerprint", ""))
            raise FileNotFoundError(
                f"{p}: unfinished ({status}, {max(done, prog.get('runs_done') or 0)} of "
                f"{prog.get('runs', '?')} runs done); finish it with the same command and "
                "--resume, or pass partial=True")
        tables = {name: read_parts(p, meta.get("fingerprint", ""), name) for name in TABLES}
        return Results(meta=meta, **tables)
    problems = check_tables(p, meta) if verify else []
    if problems:
        raise DamagedResults(f"{p}: damaged results: " + "; ".join(problems) + ". Rebuild "
                             "them with the same command and --out " + str(p) + " --resume")
    try:
        tables = {name: pd.read_parquet(p / f"{name}.parquet") for name in TABLES}
    except Exception as exc:  # a folder written before tables were stamped, then damaged
        raise DamagedResults(f"{p}: a table is unreadable ({type(exc).__name__}: {exc})") \
            from None
    return Results(meta=meta, **tables)


#: Key of a part file's stamp (job fingerprint, row count) in its Parquet metadata.
PART_KEY = b"stationsim.part"


def _runs_in_parts(out: Path, job_fingerprint: str) -> int:
    """Runs the part files of ``out`` hold (read from their stamps, not the manifest, which
    a killed job could not update)."""
    n = 0
    for p in (out / "parts" / "runs").glob("part-*.parquet"):
        try:
            stamp = json.loads((pq.read_schema(p).metadata or {}).get(PART_KEY, b"{}"))
        except Exception:  # a partial part holds no finished runs
            continue
        if stamp.get("fingerprint") == job_fingerprint:
            n += int(stamp.get("stop", 0)) - int(stamp.get("start", 0))
    return n


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
