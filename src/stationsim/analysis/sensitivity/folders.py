"""A sweep's results folder read for the analysis: its runs table and manifest
(:func:`read_runs`) and the sweep dimensions the manifest records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from stationsim.running.sweep import Dimension


def read_runs(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The runs table and manifest of a complete results folder (the other tables unread).

    Raises
    ------
    FileNotFoundError
        The folder is missing, empty, unfinished or has no runs table; the
        message says which.
    """
    p = Path(path)
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: no such results folder")
    man = p / "manifest.json"
    if not man.is_file():
        what = "is empty" if not any(p.iterdir()) else "has no manifest.json"
        raise FileNotFoundError(f"{p}: {what}; not a results folder of stationsim run or sweep")
    meta = json.loads(man.read_text(encoding="utf-8"))
    prog = meta.get("progress", {})
    if prog.get("status", "complete") != "complete":
        raise FileNotFoundError(f"{p}: unfinished ({prog.get('status')}, {prog.get('runs_done')} "
                                f"of {prog.get('runs')} runs); finish it with the same command "
                                "and --resume")
    if not (p / "runs.parquet").is_file():
        raise FileNotFoundError(f"{p}: no runs.parquet; not a complete results folder")
    return pd.read_parquet(p / "runs.parquet"), meta


def dimensions_of(meta: dict[str, Any]) -> tuple[Dimension, ...]:
    """The sweep dimensions recorded in a results manifest."""
    dims = []
    for d in meta.get("sweep", {}).get("dimensions", []):
        dims.append(Dimension(path=d["path"], kind=d["kind"], low=float(d.get("low", 0.0)),
                              high=float(d.get("high", 1.0)),
                              values=tuple(d.get("values", ())), levels=d.get("levels")))
    return tuple(dims)
