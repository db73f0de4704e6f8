"""Station time series: a per-step metric of each station over the run's
years (median and band across runs), with the station's capacity.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from stationsim.analysis import groups as G
from stationsim.present.plots.labels import STEP_UNITS
from stationsim.present.plots.layout import _grid, _prepare, _scenario, _title, describe_runs
from stationsim.present.plots.style import NEUTRAL, group_colours, station_colour


def station_capacity(steps: pd.DataFrame) -> dict[str, pd.Series]:
    """Guest slots of each station per year, read back from the steps table
    (``members / capacity_used`` where a station has members; carried over years
    without members).  Stations never with a member are left out."""
    out: dict[str, pd.Series] = {}
    if not {"capacity_used", "members", "station", "year"} <= set(steps.columns):
        return out
    d = steps[(steps["capacity_used"] > 0) & steps["members"].notna()]
    for st, part in d.groupby("station", sort=False):
        cap = (part["members"] / part["capacity_used"]).round().groupby(part["year"]).median()
        years = sorted(steps.loc[steps["station"] == st, "year"].unique().tolist())
        out[str(st)] = cap.reindex(years).ffill().bfill()
    return out


def station_time_series(steps: pd.DataFrame, by: str | None = None,
                        runs: pd.DataFrame | None = None, *, metric: str = "members",
                        band: tuple[float, float] = (0.05, 0.95), title: str | None = None,
                        scenario: str | None = None, capacity: bool = True) -> Figure:
    """A per-step metric of each station over time: median and a quantile band per group.

    One panel per station.  Only the years a station is open in a run count.
    The median line of group ``g`` at station ``S`` has the gid
    ``median:<S>:<g>`` and its band (``fill_between``) ``band:<S>:<g>``.  For
    ``members``, the y-axis has integer ticks and the station's guest slots
    (:func:`station_capacity`) are a dotted step line with the gid ``capacity:<S>``.
    """
    if metric not in steps.columns:
        raise G.GroupingError(f"unknown step metric {metric!r}; allowed: "
                              f"{', '.join(c for c in STEP_UNITS if c in steps.columns)}")
    steps, col = _prepare(steps, by, runs)
    stations = list(pd.unique(steps["station"]))
    parts = G.split(steps, col)
    colours = group_colours([lev for lev, _ in parts])
    caps = station_capacity(steps) if capacity and metric == "members" else {}
    fig, axes = _grid(len(stations), 2, 5.2, 3.4)
    lo, hi = band
    for ax, st in zip(axes, stations, strict=True):
        for lev, part in parts:
            d = part[(part["station"] == st) & part["open"].eq(True)]
            if d.empty:
                continue
            q = d.groupby("year")[metric].quantile([0.5, lo, hi]).unstack()
            c = colours[lev] if col is not None else station_colour(str(st))
            name = "all" if col is None else G.level_label(lev)
            x = q.index.to_numpy(dtype=float)
            fill = ax.fill_between(x, q[lo].to_numpy(float), q[hi].to_numpy(float),
                                   facecolor=mpl.colors.to_rgba(c, 0.18),
                                   edgecolor=mpl.colors.to_rgba(c, 0.8), lw=0.8, ls="--")
            fill.set_gid(f"band:{st}:{name}")
            (line,) = ax.plot(x, q[0.5].to_numpy(float), color=c, lw=2, marker="o", ms=3)
            line.set_gid(f"median:{st}:{name}")
        if str(st) in caps:
            cap = caps[str(st)]
            (cl,) = ax.plot(cap.index.to_numpy(float), cap.to_numpy(float), color="black",
                            lw=1.2, ls=":", drawstyle="steps-mid")
            cl.set_gid(f"capacity:{st}")
        if not steps.loc[(steps["station"] == st) & steps["open"].eq(True)].size:
            ax.text(0.5, 0.5, "not open in these runs", transform=ax.transAxes, ha="center",
                    va="center", fontsize=9, color=NEUTRAL)
        ax.set_title(str(st), color=station_colour(str(st)), fontsize=11, fontweight="bold")
        ax.set_xlabel("year", fontsize=9)
        ax.set_ylabel(STEP_UNITS.get(metric, metric), fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if metric == "members":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    handles: list[Any] = []
    if col is None:
        for st in stations:
            c = station_colour(str(st))
            handles += [Line2D([], [], color=c, lw=2, marker="o", ms=3, label=f"{st}: median"),
                        mpl.patches.Patch(facecolor=mpl.colors.to_rgba(c, 0.18),
                                          edgecolor=c, ls="--",
                                          label=f"{st}: {lo:.0%}-{hi:.0%} of runs")]
    else:
        for lev, c in colours.items():
            handles += [Line2D([], [], color=c, lw=2, marker="o", ms=3,
                               label=f"{G.level_label(lev)}: median"),
                        mpl.patches.Patch(facecolor=mpl.colors.to_rgba(c, 0.18), edgecolor=c,
                                          ls="--", label=f"{G.level_label(lev)}: "
                                                         f"{lo:.0%}-{hi:.0%} of runs")]
        if len(colours) > 1:
            handles.append(mpl.patches.Patch(facecolor="#bbbbbb", alpha=0.5,
                                              label="where bands overlap their colours mix"))
    if caps:
        handles.append(Line2D([], [], color="black", lw=1.2, ls=":",
                              label="capacity (guest slots)"))
    fig.legend(handles=handles, title=col, loc="outside lower center",
               ncols=min(len(handles), 3 if col is None else 2 * max(1, min(len(colours), 3))),
               frameon=False, fontsize=8, title_fontsize=9)
    scn = scenario or _scenario(steps, runs)
    what = f"{metric.replace('_', ' ').capitalize()} per station over time " \
           f"(line: median; band: {lo:.0%}-{hi:.0%} of runs)"
    fig.suptitle(_title(what, scn, describe_runs(steps, col), title), fontsize=11)
    return fig
