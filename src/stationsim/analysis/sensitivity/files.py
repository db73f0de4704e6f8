"""The files of an analysis, in ``RESULTS/sensitivity/``: written (:func:`write`: table
as CSV and Markdown, settings as JSON, both figures) and loaded again (:func:`load`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from stationsim.analysis.sensitivity.figures import _subtitle, indices_bars, indices_heatmap
from stationsim.analysis.sensitivity.result import SensitivityResult
from stationsim.running.results import atomic_write, write_json

#: Sub-folder of a results folder that receives the analysis files.
ANALYSIS_DIR = "sensitivity"


def write(res: SensitivityResult, folder: str | Path) -> list[Path]:
    """Write the table (CSV, Markdown), the settings (JSON) and both figures; return the paths."""
    out = Path(folder)
    stem = res.method
    csv, md = out / f"{stem}_indices.csv", out / f"{stem}_indices.md"
    atomic_write(csv, lambda tmp: res.table.to_csv(tmp, index=False))
    text = res.to_markdown()

    def _md(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
    atomic_write(md, _md)
    meta = out / f"{stem}_analysis.json"
    write_json({"method": res.method, "parameters": res.parameters, "outcomes": res.outcomes,
                "figure_outcomes": res.figure_outcomes, "skipped": res.skipped,
                "settings": res.settings, "header": res.header()}, meta)
    paths = [csv, md, meta]
    for name in ("bars", "heatmap"):
        paths += _save_figure(res, out, name)
    return paths


def _save_figure(res: SensitivityResult, out: Path, name: str) -> list[Path]:
    """Draw one of :func:`figures` and write it (PNG and SVG); return the paths."""
    from stationsim.present import plots

    sub = _subtitle(res)
    fig = (indices_bars(res.table, res.method, res.figure_outcomes or None,
                        parameters=res.parameters, subtitle=sub) if name == "bars" else
           indices_heatmap(res.table, res.method, res.outcomes or None,
                           parameters=res.parameters, subtitle=sub))
    paths = plots.save(fig, out, f"{res.method}_{name}")
    fig.clear()
    return paths


def load(folder: str | Path, method: str) -> SensitivityResult | None:
    """The analysis written by :func:`write` into ``folder`` (None when there is none)."""
    out = Path(folder)
    csv, meta = out / f"{method}_indices.csv", out / f"{method}_analysis.json"
    if not (csv.is_file() and meta.is_file()):
        return None
    info = json.loads(meta.read_text(encoding="utf-8"))
    return SensitivityResult(method=method, table=pd.read_csv(csv),
                             parameters=list(info.get("parameters", [])),
                             outcomes=list(info.get("outcomes", [])),
                             skipped=dict(info.get("skipped", {})),
                             figure_outcomes=list(info.get("figure_outcomes", [])),
                             settings=dict(info.get("settings", {})))
