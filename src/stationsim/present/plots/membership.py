"""Membership: the probability that each state is a member of each station
(share of runs), as a heat map.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from stationsim.analysis import groups as G
from stationsim.present.plots.layout import _new_figure, _prepare, _scenario, _title, describe_runs
from stationsim.present.plots.style import station_colour


def membership_probability(membership: pd.DataFrame, by: str | None = None,
                           runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of runs in which each state is a member of each station at the end.

    Rows are states ordered by alignment (-1 U.S.-aligned first), columns
    ``(station, group)``; the host of an open station counts as a member.
    """
    membership, col = _prepare(membership, by, runs)
    m = membership.assign(_member=membership["member_at_end"].eq(True).astype(float))
    keys = ["station"] + ([col] if col is not None else [])
    tab = m.pivot_table(index="iso3", columns=keys, values="_member", aggfunc="mean",
                        dropna=False, observed=True)
    if col is None:
        tab.columns = pd.MultiIndex.from_tuples([(s, None) for s in tab.columns],
                                                names=["station", None])
    order = (membership.groupby("iso3")["alignment"].mean().sort_values(kind="stable"))
    tab = tab.reindex(index=order.index)
    stations = list(pd.unique(membership["station"]))
    lev = [None] if col is None else G.levels(membership[col])
    cols = [(s, g) for s in stations for g in lev if (s, g) in tab.columns]
    return tab[cols]


def membership_heatmap(membership: pd.DataFrame, by: str | None = None,
                       runs: pd.DataFrame | None = None, *, title: str | None = None,
                       scenario: str | None = None, annotate: bool = True) -> Figure:
    """State x station heatmap of the share of runs in which the state is a member at the end.

    States (rows) are ordered by alignment, -1 (U.S.-aligned) at the top to +1
    (China-aligned) at the bottom; each station's host is outlined and
    labelled ``host``.  With ``by``, each station has one column per group.
    The image (``get_array()``) is :func:`membership_probability`.
    """
    prob = membership_probability(membership, by, runs)
    membership, col = _prepare(membership, by, runs)
    align = membership.groupby("iso3")["alignment"].mean()
    hosts = membership.groupby("station")["host_iso3"].first().to_dict()
    n_rows, n_cols = prob.shape
    fig = _new_figure(max(4.8, 1.1 * n_cols + 3.2), max(4.0, 0.24 * n_rows + 2.0))
    ax = fig.add_subplot()
    img = ax.imshow(prob.to_numpy(dtype=float), aspect="auto", cmap="cividis", vmin=0, vmax=1,
                    interpolation="nearest")
    img.set_gid("membership_probability")
    ax.set_yticks(range(n_rows), [f"{s}  {align[s]:+.1f}" for s in prob.index], fontsize=8,
                  family="monospace")
    closed = {st for st, part in membership.groupby("station")
              if not part.loc[part["role"] == "host", "member_at_end"].eq(True).any()}
    pcols: list[tuple[Any, Any]] = [(c[0], c[1]) for c in prob.columns]
    xl = [(str(s) if col is None else f"{s}\n{G.level_label(g)}")
          + ("\n(closed at end)" if s in closed else "") for s, g in pcols]
    ax.set_xticks(range(n_cols), xl, fontsize=8)
    ax.xaxis.tick_top()
    if col is not None:
        ax.xaxis.set_label_position("top")
        ax.set_xlabel(f"station, then {col}", fontsize=9)
    for lab, (s, _) in zip(ax.get_xticklabels(), pcols, strict=True):
        lab.set_color(station_colour(str(s)))
        lab.set_fontweight("bold")
    ax.set_ylabel("state (ISO3) and alignment, -1 U.S.-aligned .. +1 China-aligned", fontsize=9)
    ax.tick_params(length=0)
    vals = prob.to_numpy(dtype=float)
    for j, (s, _) in enumerate(pcols):
        host = hosts.get(s)
        for i, iso in enumerate(prob.index):
            v = vals[i, j]
            if iso == host:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.0,
                                       edgecolor="black", zorder=3))
                ax.text(j, i, "HOST", ha="center", va="center", fontsize=7, fontweight="bold",
                        color="black", zorder=4,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "black",
                              "lw": 0.8})
            elif annotate and np.isfinite(v) and v > 0:
                ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=6.5,
                        color="white" if v < 0.6 else "black")
    for j in range(1, n_cols):
        if pcols[j][0] != pcols[j - 1][0]:
            ax.axvline(j - 0.5, color="white", lw=3)
    cb = fig.colorbar(img, ax=ax, shrink=0.6, format=PercentFormatter(xmax=1))
    cb.set_label("member at end of run (% of runs)", fontsize=9)
    cb.ax.tick_params(labelsize=8)
    scn = scenario or _scenario(membership, runs)
    fig.suptitle(_title("Membership probability per state and station (numbers: % of runs)",
                        scn, describe_runs(membership, col), title), fontsize=10)
    return fig
