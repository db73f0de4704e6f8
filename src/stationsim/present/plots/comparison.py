"""Comparison of groups: a forest plot of differences in means with their
bootstrap intervals (from :func:`stationsim.analysis.compare.compare`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from stationsim.analysis import groups as G
from stationsim.present.plots.censoring import censor_flag
from stationsim.present.plots.labels import key_outcomes, outcome_label
from stationsim.present.plots.layout import _new_figure, _scenario
from stationsim.present.plots.style import NEUTRAL, group_colours, station_colour


def forest_plot(table: pd.DataFrame, runs: pd.DataFrame | None = None,
                outcomes: Sequence[str] | None = None, *, by: str | None = None,
                title: str | None = None, scenario: str | None = None) -> Figure:
    """Forest plot of a comparison: per outcome, each group's difference in means from the
    reference with its bootstrap interval, and Cliff's delta.

    ``table`` is :attr:`stationsim.analysis.compare.Comparison.table` (columns
    ``outcome``, ``reference``, ``group``, ``diff_mean``, ``ci_low``, ``ci_high``,
    ``cliffs_delta``, ``magnitude``).  One row per outcome (default: the
    :func:`key_outcomes` of ``runs`` that are in the table, else all), each
    with its own x-axis in the outcome's unit and a dashed line at no
    difference; labels in words on the left, Cliff's delta on the right.  The
    dot of group ``g`` on outcome ``o`` has the gid ``forest:<o>:<g>`` (x-data:
    the difference), its interval ``ci:<o>:<g>`` (x-data: low, high) and its
    delta text ``delta:<o>:<g>``.
    """
    if table.empty:
        raise G.GroupingError("nothing to compare: the comparison table is empty")
    have = list(pd.unique(table["outcome"]))
    censored: list[str] = []
    if outcomes is not None:
        cols = [c for c in outcomes if c in have]
    else:
        keys = key_outcomes(runs) if runs is not None else []
        cols = [c for c in keys if c in have] or have
        if runs is not None:  # a mean of censored durations is no duration: left out
            censored = [c for c in cols if (f := censor_flag(c, runs)) is not None
                        and runs[f].fillna(False).astype(bool).any()]
            cols = [c for c in cols if c not in censored]
    groups = [str(g) for g in pd.unique(table["group"])]
    ref = str(table["reference"].iloc[0])
    colours = group_colours([ref, *groups])
    n = len(cols)
    fig = _new_figure(11.0, 1.4 + 0.46 * n * max(1, len(groups)) ** 0.5)
    gs = fig.add_gridspec(n, 3, width_ratios=[3.3, 4.2, 2.6], hspace=0.0)
    offs = (np.linspace(-0.22, 0.22, len(groups)) if len(groups) > 1 else np.zeros(1))
    for i, oc in enumerate(cols):
        ax_l, ax, ax_r = (fig.add_subplot(gs[i, j]) for j in range(3))
        for a in (ax_l, ax_r):
            a.axis("off")
            a.set_ylim(-0.5, 0.5)
        head, unit, station = outcome_label(oc, runs)
        ax_l.text(1.0, 0.1, head, ha="right", va="center", fontsize=9,
                  color=station_colour(station) if station else "black",
                  transform=ax_l.transAxes)
        ax_l.text(1.0, -0.25, unit, ha="right", va="center", fontsize=7, color=NEUTRAL,
                  transform=ax_l.transAxes)
        rows = table[table["outcome"] == oc]
        xs: list[float] = [0.0]
        for k, g in enumerate(groups):
            r = rows[rows["group"].astype(str) == g]
            if r.empty:
                continue
            r0 = r.iloc[0]
            y = -offs[k]
            c = colours[g]
            d, lo, hi = float(r0["diff_mean"]), float(r0["ci_low"]), float(r0["ci_high"])
            if np.isfinite(lo) and np.isfinite(hi):
                (ci,) = ax.plot([lo, hi], [y, y], color=c, lw=2.2, solid_capstyle="butt")
                ci.set_gid(f"ci:{oc}:{g}")
                xs += [lo, hi]
            (dot,) = ax.plot([d], [y], "o", color=c, ms=6, mec="black", mew=0.6, zorder=3)
            dot.set_gid(f"forest:{oc}:{g}")
            xs.append(d)
            delta = float(r0["cliffs_delta"])
            txt = (f"{fmt_diff(d)} [{fmt_diff(lo)}, {fmt_diff(hi)}]   "
                   f"\u03b4 = {delta:+.2f} {r0['magnitude']}" if np.isfinite(delta) else "")
            t = ax_r.text(0.02, y, txt, ha="left", va="center", fontsize=8, color=c
                          if len(groups) > 1 else "black")
            t.set_gid(f"delta:{oc}:{g}")
        ax.axvline(0.0, color="black", lw=0.8, ls="--")
        span = max(xs) - min(xs)
        if span > 0:
            ax.set_xlim(min(xs) - 0.25 * span, max(xs) + 0.25 * span)
        else:  # no difference in any run: a plain axis around 0
            ax.set_xlim(-1.0, 1.0)
        ax.set_ylim(-0.5, 0.5)
        ax.set_yticks([])
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.tick_params(axis="x", labelsize=7, pad=1, length=2)
        if i % 2 == 0:
            ax.set_facecolor("#f6f6f6")
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    top_l, top_p, top_r = fig.axes[0], fig.axes[1], fig.axes[2]
    top_l.set_title("outcome (unit)", fontsize=9, loc="right")
    top_p.set_title(f"difference in means, group \u2212 {ref}\n(dot; bar: 95 % bootstrap CI; "
                    f"dashed: no difference)", fontsize=9)
    top_r.set_title("difference [95 % CI], Cliff's \u03b4", fontsize=9, loc="left")
    handles = [Line2D([], [], color=colours[g], lw=2.2, marker="o", mec="black", mew=0.6,
                      label=f"{g} \u2212 {ref}") for g in groups]
    if censored:
        handles.append(Line2D([], [], lw=0, label="left out (no guest in some runs, censored): "
                              + ", ".join(outcome_label(c, runs)[0] for c in censored)))
    fig.legend(handles=handles, title=by, loc="outside lower center",
               ncols=min(len(handles), 4), frameon=False, fontsize=9, title_fontsize=9)
    scn = scenario or (_scenario(runs) if runs is not None else "results")
    fig.suptitle(title if title is not None else
                 f"Forest plot: each group against {ref}\n{scn}", fontsize=11)
    return fig


def fmt_diff(x: float) -> str:
    """A difference for the forest plot: 3 significant digits, a sign, NA when missing."""
    if not np.isfinite(x):
        return "NA"
    return f"{x:+.3g}"


def comparison_figures(data: G.Data, by: str, *, seed: int | None = None,
                       n_boot: int | None = None) -> dict[str, Figure]:
    """The forest plot of the key outcomes between the groups of ``by`` (empty with one group)."""
    from stationsim.analysis import compare as C

    runs = data.runs
    if runs[by].nunique(dropna=False) < 2:
        return {}
    kw: dict[str, Any] = {}
    if seed is not None:
        kw["seed"] = seed
    if n_boot is not None:
        kw["n_boot"] = n_boot
    keys = [c for c in key_outcomes(runs) if runs[c].notna().any()]
    comp = C.compare(runs, by, keys, **kw)
    return {"comparison_forest": forest_plot(comp.table, runs, by=comp.by,
                                             scenario=data.scenario)}
