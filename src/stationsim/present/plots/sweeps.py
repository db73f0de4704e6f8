"""Sweep figures: outcomes against a varied parameter (median and spread per
level).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from stationsim.analysis import groups as G
from stationsim.present.plots.labels import SWEEP_METRICS, key_outcomes, outcome_label
from stationsim.present.plots.layout import (
    _check_columns,
    _grid,
    _n_runs,
    _scenario,
    _tick_labels,
    _title,
)
from stationsim.present.plots.style import NEUTRAL, station_colour


def outcomes_vs_parameter(runs: pd.DataFrame, parameter: str,
                          outcomes: Sequence[str] | None = None, *, title: str | None = None,
                          ncols: int = 4, bins: int = 10) -> Figure:
    """Each outcome against one varied parameter of a sweep: every run a point, and the
    median per level (numeric with many levels: per quantile bin of the parameter).

    Points of outcome ``o`` have the gid ``points:<o>``; the median line ``median:<o>``
    (x: level or bin centre, y: median of the outcome).
    """
    if parameter not in runs.columns:
        raise G.GroupingError(f"unknown parameter column {parameter!r}; allowed: "
                              f"{', '.join(G.varied_columns(runs)) or '(none: not a sweep)'}")
    cols = list(outcomes) if outcomes is not None else key_outcomes(runs, SWEEP_METRICS)
    _check_columns(runs, cols)
    x_raw = runs[parameter]
    numeric = pd.api.types.is_numeric_dtype(x_raw) and not pd.api.types.is_bool_dtype(x_raw)
    levs = G.levels(x_raw)
    if numeric:
        x = x_raw.to_numpy(dtype=float)
    else:
        index = {G.level_label(v): i for i, v in enumerate(levs)}
        x = np.array([index[G.level_label(v)] for v in x_raw], dtype=float)
    fig, axes = _grid(len(cols), ncols, 3.4, 2.6)
    jitter = np.random.default_rng(0)
    span = (np.nanmax(x) - np.nanmin(x)) if x.size else 1.0
    for ax, oc in zip(axes, cols, strict=True):
        head, unit, station = outcome_label(oc, runs)
        c = station_colour(station) if station else NEUTRAL
        y = pd.to_numeric(runs[oc], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        jx = x + jitter.uniform(-1, 1, x.size) * (0.12 if not numeric else 0.01 * (span or 1.0))
        pts = ax.scatter(jx, y, s=7, color=c, alpha=0.45, lw=0)
        pts.set_gid(f"points:{oc}")
        mx, my = _medians(x, y, numeric and len(levs) > 12, bins)
        (line,) = ax.plot(mx, my, color="black", lw=1.6, marker="o", ms=3.5)
        line.set_gid(f"median:{oc}")
        ax.set_title(head, fontsize=9, color=c if station else "black")
        ax.set_ylabel(unit, fontsize=8)
        ax.set_xlabel(parameter, fontsize=8)
        if not numeric:
            _tick_labels(ax, [G.level_label(v) for v in levs])
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    n = _n_runs(runs)
    how = (f"median per {bins}-quantile bin of {parameter}" if numeric and len(levs) > 12
           else "median per value")
    fig.suptitle(_title(f"Outcomes against {parameter} (points: runs; line: {how})",
                        _scenario(runs), f"{n} runs, {len(levs)} values of {parameter}", title),
                 fontsize=11)
    return fig


def _medians(x: np.ndarray, y: np.ndarray, binned: bool, bins: int) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if not x.size:
        return np.array([]), np.array([])
    if binned:
        edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
        idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        ks = np.unique(idx)
        return (np.array([np.median(x[idx == k]) for k in ks]),
                np.array([np.median(y[idx == k]) for k in ks]))
    ux = np.unique(x)
    return ux, np.array([np.median(y[x == u]) for u in ux])
