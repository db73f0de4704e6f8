"""Building blocks every figure shares: a constrained figure and grid of axes,
titles that name the scenario and the runs, grouping a table by ``by``, the
group legend, tick labels, a note on a constant outcome, column checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from stationsim.analysis import groups as G
from stationsim.present.plots.style import NEUTRAL


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def _n_runs(table: pd.DataFrame) -> int:
    keys = [k for k in G.RUN_KEYS if k in table.columns and k != "run_seed"] or \
        [k for k in G.RUN_KEYS if k in table.columns]
    if not keys:
        return len(table)
    return len(table[keys].drop_duplicates())


def describe_runs(table: pd.DataFrame, by: str | None) -> str:
    """``'60 runs, 30 per css_rule'`` (or ``'30 replications'`` for one group)."""
    if by is None:
        n = _n_runs(table)
        return f"{n} replication{'s' if n != 1 else ''}"
    counts = [_n_runs(part) for _, part in G.split(table, by)]
    total = sum(counts)
    if len(set(counts)) == 1:
        return f"{total} runs, {counts[0]} per {by}"
    return f"{total} runs, {min(counts)}-{max(counts)} per {by}"


def _scenario(*tables: pd.DataFrame | None) -> str:
    for t in tables:
        if t is not None and "scenario" in t.columns:
            names = [str(x) for x in pd.unique(t["scenario"].dropna())]
            if names:
                return " / ".join(names)
    return "results"


def _title(what: str, scenario: str, counts: str, title: str | None) -> str:
    if title is not None:
        return title
    return f"{what}\n{scenario}: {counts}"


def _prepare(table: pd.DataFrame, by: str | None, runs: pd.DataFrame | None) -> tuple[
        pd.DataFrame, str | None]:
    """Resolve ``by`` (against ``runs`` or the table) and attach the group column."""
    if by is None:
        return table, None
    ref = runs if runs is not None else table
    col = G.resolve_by(ref, by)
    if col is not None and col not in table.columns:
        if runs is None:
            raise G.GroupingError(f"--by {col}: not a column of this table; pass runs= to join it")
        table = G.attach(table, runs, col)
    return table, col


def _group_legend(fig: Figure, colours: dict[Any, str], by: str | None,
                  marker: bool = False) -> None:
    if by is None or len(colours) < 1:
        return
    handles = [Line2D([], [], color=c, lw=0 if marker else 3, marker="s" if marker else None,
                      markersize=9, label=G.level_label(lev)) for lev, c in colours.items()]
    fig.legend(handles=handles, title=by, loc="outside lower center",
               ncols=min(len(handles), 6), frameon=False, fontsize=9, title_fontsize=9)


def _grid(n: int, ncols: int, w: float, h: float) -> tuple[Figure, list[Axes]]:
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig = _new_figure(max(w * ncols, 6.4), h * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _finite(s: pd.Series) -> np.ndarray:
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return v[np.isfinite(v)]


def _tick_labels(ax: Axes, labels: list[str]) -> None:
    long = len(labels) > 4 or max((len(s) for s in labels), default=0) * len(labels) > 30
    ax.set_xticks(range(len(labels)), labels, rotation=30 if long else 0,
                  ha="right" if long else "center", fontsize=8)


def _note_constant(ax: Axes, values: pd.Series, axis: str = "y") -> None:
    """Say so in the panel when an outcome has one value in every run (an empty-looking panel);
    a whole number gets whole-number limits around it, not ticks such as 0.045."""
    v = _finite(values)
    if v.size and np.ptp(v) == 0:
        if v[0] == round(v[0]):
            (ax.set_ylim if axis == "y" else ax.set_xlim)(v[0] - 1, v[0] + 1)
        ax.text(0.5, 0.92, f"every run: {v[0]:.4g}", transform=ax.transAxes, ha="center",
                va="top", fontsize=8, color=NEUTRAL, zorder=6,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#cccccc"})


def _check_columns(df: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise G.GroupingError(f"unknown outcome column(s) {', '.join(missing)}; "
                              f"allowed: {', '.join(G.outcome_columns(df))}")
    if not cols:
        raise G.GroupingError("no outcome columns to plot")
