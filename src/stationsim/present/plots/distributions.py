"""Outcome distributions across runs: per outcome and group a density (or bars
for discrete outcomes) with the median, and the empirical CDFs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from stationsim.analysis import groups as G
from stationsim.present.plots.censoring import (
    _censored_mask,
    _observed,
    censor_flag,
    censored_median,
    is_discrete,
    is_integer_valued,
)
from stationsim.present.plots.labels import key_outcomes, outcome_label
from stationsim.present.plots.layout import (
    _check_columns,
    _grid,
    _group_legend,
    _note_constant,
    _prepare,
    _scenario,
    _tick_labels,
    _title,
    describe_runs,
)
from stationsim.present.plots.style import NEUTRAL, _colour, group_colours, station_colour


def outcome_distributions(runs: pd.DataFrame, outcomes: Sequence[str] | None = None,
                          by: str | None = None, *, title: str | None = None,
                          ncols: int = 4) -> Figure:
    """Distribution of each outcome per group, side by side: every run a point, median bar,
    and a box (discrete outcomes: counts, few values) or a violin (continuous ones).

    Parameters
    ----------
    runs : DataFrame
        The runs table (one row per run).
    outcomes : list of str, optional
        Columns to show, one panel each (default :func:`key_outcomes`).
    by : str, optional
        Group column or ``rule`` (default: one group).
    title, ncols
        Figure title (default: what, scenario, number of runs); panels per row.

    Notes
    -----
    In each panel, group ``i`` sits at x = i.  Its points carry the gid
    ``points:<outcome>:<group>``, its box ``box:<outcome>:<group>`` (discrete
    outcomes) or its violin ``violin:<outcome>:<group>`` (continuous ones; none
    when all values are equal) and its median line ``median:<outcome>:<group>``
    (group ``all`` without ``by``), so the plotted values can be read back.
    Whole-number outcomes get integer ticks.  A censored duration
    (:data:`CENSORED`) shows only the runs where the event happened as points;
    the others are triangles on a "never" row above them
    (``censored:<outcome>:<group>``), and the median counts them as longest.
    """
    runs, col = _prepare(runs, by, None)
    cols = list(outcomes) if outcomes is not None else key_outcomes(runs)
    _check_columns(runs, cols)
    parts = G.split(runs, col)
    colours = group_colours([lev for lev, _ in parts])
    fig, axes = _grid(len(cols), ncols, 3.4, 2.6)
    jitter = np.random.default_rng(0)
    kinds: set[str] = set()
    for ax, oc in zip(axes, cols, strict=True):
        head, unit, station = outcome_label(oc, runs)
        flag = censor_flag(oc, runs)
        every = _observed(runs, oc, flag)
        discrete = is_discrete(every)
        n_cens_all = int(_censored_mask(runs, flag).sum())
        lo_all = float(every.min()) if every.size else 0.0
        hi_all = float(every.max()) if every.size else 1.0
        gap = max(1.0, 0.15 * (hi_all - lo_all))
        never_y = hi_all + gap
        for i, (lev, part) in enumerate(parts):
            cens = _censored_mask(part, flag)
            vals = _observed(part, oc, flag)
            c = _colour(colours, lev, col, station)
            name = "all" if col is None else G.level_label(lev)
            if vals.size > 1 and np.ptp(vals) > 0:
                if discrete:
                    bp = ax.boxplot(vals, positions=[i], widths=0.5, patch_artist=True,
                                    showfliers=False, whis=(5, 95), manage_ticks=False,
                                    medianprops={"visible": False})
                    for b in bp["boxes"]:
                        b.set_gid(f"box:{oc}:{name}")
                        b.set_facecolor(mpl.colors.to_rgba(c, 0.22))
                        b.set_edgecolor(c)
                    for w in [*bp["whiskers"], *bp["caps"]]:
                        w.set_color(c)
                    kinds.add("box")
                else:
                    body = ax.violinplot(vals, positions=[i], widths=0.8, showextrema=False)
                    for b in cast(list[Any], body["bodies"]):
                        b.set_gid(f"violin:{oc}:{name}")
                        b.set_facecolor(c)
                        b.set_edgecolor(c)
                        b.set_alpha(0.3)
                    kinds.add("violin")
            if vals.size:
                xs = i + jitter.uniform(-0.12, 0.12, vals.size)
                pts = ax.scatter(xs, vals, s=9, color=c, alpha=0.7, lw=0, zorder=3)
                pts.set_gid(f"points:{oc}:{name}")
            k = int(cens.sum())
            if k:
                xs = i + jitter.uniform(-0.12, 0.12, k)
                tri = ax.scatter(xs, np.full(k, never_y), s=16, marker="^", facecolors="none",
                                 edgecolors=c, lw=0.9, zorder=3)
                tri.set_gid(f"censored:{oc}:{name}")
            if vals.size or k:
                med = censored_median(vals, k)
                (mline,) = ax.plot([i - 0.3, i + 0.3], [med if np.isfinite(med) else never_y] * 2,
                                   color="black", lw=1.8, zorder=4)
                mline.set_gid(f"median:{oc}:{name}")
        _note_constant(ax, runs[oc] if flag is None else pd.Series(every))
        if n_cens_all:  # a "never" row above the durations, with its own tick label
            ax.axhline(never_y - gap / 2, color="#999999", lw=0.8, ls=":")
            lo_y = min(lo_all, never_y) - 0.5 * gap
            ticks = [float(t) for t in MaxNLocator(5, integer=is_integer_valued(every))
                     .tick_values(lo_all, hi_all) if lo_y <= t <= never_y - gap / 2]
            ax.set_yticks([*ticks, never_y], [f"{t:g}" for t in ticks] + ["never"])
            ax.set_ylim(lo_y, never_y + 0.6 * gap)
            kinds.add("censored")
        _tick_labels(ax, ["all runs" if col is None else G.level_label(lev) for lev, _ in parts])
        if is_integer_valued(every) and not n_cens_all:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(-0.6, len(parts) - 0.4)
        ax.set_title(head, fontsize=9, color=station_colour(station) if station else "black")
        ax.set_ylabel(unit, fontsize=8)
        if col is not None:
            ax.set_xlabel(col, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    _distribution_legend(fig, colours, col, kinds)
    fig.suptitle(_title("Outcomes per run and group (points = runs, black bar = median)",
                        _scenario(runs), describe_runs(runs, col), title), fontsize=11)
    return fig


def _distribution_legend(fig: Figure, colours: dict[Any, str], by: str | None,
                         kinds: set[str]) -> None:
    """Legend of the distribution figure: the groups' colours and every mark used."""
    handles: list[Any] = []
    if by is not None:
        handles += [Line2D([], [], color=c, lw=0, marker="s", markersize=9,
                           label=G.level_label(lev)) for lev, c in colours.items()]
    handles.append(Line2D([], [], color="black", lw=1.8, label="median"))
    if "box" in kinds:
        handles.append(mpl.patches.Patch(facecolor="#dddddd", edgecolor=NEUTRAL,
                                         label="box: quartiles; whiskers 5-95 %"))
    if "violin" in kinds:
        handles.append(mpl.patches.Patch(facecolor="#cccccc", alpha=0.6,
                                         label="violin: density (continuous outcomes)"))
    if "censored" in kinds:
        handles.append(Line2D([], [], lw=0, marker="^", markerfacecolor="none",
                              markeredgecolor=NEUTRAL, label="censored: never during the run"))
    fig.legend(handles=handles, title=by, loc="outside lower center",
               ncols=max(1, min(len(handles), int(fig.get_figwidth() // 2.3))),
               frameon=False, fontsize=9, title_fontsize=9)


def outcome_ecdfs(runs: pd.DataFrame, outcomes: Sequence[str] | None = None,
                  by: str | None = None, *, title: str | None = None, ncols: int = 4) -> Figure:
    """Empirical cumulative distribution of each outcome, one step line per group.

    Each line has the gid ``ecdf:<outcome>:<group>``; its x-data are the sorted
    values and its y-data ``1/n .. 1``.  For a censored duration (:data:`CENSORED`)
    only the runs where the event happened make steps, over all ``n`` runs: the
    line ends at the share of runs where it happened, never at 1.
    """
    runs, col = _prepare(runs, by, None)
    cols = list(outcomes) if outcomes is not None else key_outcomes(runs)
    _check_columns(runs, cols)
    parts = G.split(runs, col)
    colours = group_colours([lev for lev, _ in parts])
    fig, axes = _grid(len(cols), ncols, 3.4, 2.5)
    any_censored = False
    for ax, oc in zip(axes, cols, strict=True):
        head, unit, station = outcome_label(oc, runs)
        flag = censor_flag(oc, runs)
        for lev, part in parts:
            vals = np.sort(_observed(part, oc, flag))
            n = vals.size + int(_censored_mask(part, flag).sum())
            if not n:
                continue
            c = _colour(colours, lev, col, station)
            y = np.arange(1, vals.size + 1) / n
            (line,) = ax.plot(vals, y, drawstyle="steps-post", color=c, lw=1.6)
            line.set_gid(f"ecdf:{oc}:{'all' if col is None else G.level_label(lev)}")
        if flag is not None and _censored_mask(runs, flag).any():
            any_censored = True
            ax.text(0.98, 0.04, "runs without the event\nnever reach the top",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color=NEUTRAL)
        _note_constant(ax, runs[oc] if flag is None else pd.Series(_observed(runs, oc, flag)),
                       axis="x")
        if is_integer_valued(_observed(runs, oc, flag)):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(head, fontsize=9, color=station_colour(station) if station else "black")
        ax.set_xlabel(unit, fontsize=8)
        ax.set_ylabel("share of runs \u2264 x", fontsize=8)
        ax.set_ylim(0, 1.03)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    _group_legend(fig, colours, col)
    what = "Empirical CDF of outcomes per run" + (
        " (censored durations: share of runs with the event by x)" if any_censored else "")
    fig.suptitle(_title(what, _scenario(runs), describe_runs(runs, col), title), fontsize=11)
    return fig
