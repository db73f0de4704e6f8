"""Figures of a results folder: functions ``DataFrame(s) -> matplotlib Figure``.

Every function takes the tables of :func:`stationsim.load_results` (or of a
sweep) and returns a :class:`matplotlib.figure.Figure` built without
``pyplot``: no global figure registry, no interactive backend, so notebooks,
the CLI and tests share the same code and nothing leaks between calls.  Save
with ``fig.savefig(...)`` or :func:`save`.

Grouping: ``by`` is a column of the runs table (``css_rule``, ``scenario``, a
sweep's varied parameter such as ``stations.CSS.rule``, ``folder`` when
folders are combined) or the alias ``rule``; see :mod:`stationsim.analysis.groups`.
The steps and membership tables get the group column by a join on the run
keys, so pass ``runs=`` with them when the column is not already there.

Colours (Okabe-Ito, colour-blind safe) are fixed per station
(:data:`STATION_COLOURS`) and per rule (:data:`RULE_COLOURS`) across all
figures; other groups take :data:`GROUP_CYCLE`, or the cividis colour map when
the groups are numbers (a sweep's levels).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import matplotlib as mpl
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter

from stationsim.analysis import groups as G
from stationsim.model.outcomes import OUTCOMES

# --------------------------------------------------------------------- palette

#: The Okabe-Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies.
OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7", "black": "#000000",
}
#: One colour per station, the same in every figure.
STATION_COLOURS = {"ISS": OKABE_ITO["blue"], "CSS": OKABE_ITO["vermillion"]}
#: One colour per admission rule, the same in every figure.
RULE_COLOURS = {"hub_and_spoke": OKABE_ITO["bluish_green"],
                "quid_pro_quo": OKABE_ITO["reddish_purple"]}
#: Colours of other categorical groups (folders, scenarios ...), in order.
GROUP_CYCLE = (OKABE_ITO["orange"], OKABE_ITO["sky_blue"], OKABE_ITO["black"], "#999999")
#: Colour of system-wide outcomes (no station) and of a single group.
NEUTRAL = "#555555"
#: Edge width (points) of a link that held in every run, in :func:`partnership_network`.
EDGE_WIDTH_MAX = 8.0
#: Spoke fill by alignment in :func:`partnership_network` (``spokes='alignment'``):
#: U.S.-aligned (-1) ISS blue, through light grey, to China-aligned (+1) CSS vermillion.
ALIGNMENT_CMAP = mpl.colors.LinearSegmentedColormap.from_list(
    "alignment", [OKABE_ITO["blue"], "#EEEEEE", OKABE_ITO["vermillion"]])
ALIGNMENT_NORM = mpl.colors.Normalize(vmin=-1.0, vmax=1.0)
#: Figures are saved at this resolution (PNG).
DPI = 150


def station_colour(name: str) -> str:
    """Colour of a station: fixed for ISS and CSS, stable (by name) for any other."""
    if name in STATION_COLOURS:
        return STATION_COLOURS[name]
    upper = {k.upper(): v for k, v in STATION_COLOURS.items()}
    if name.upper() in upper:
        return upper[name.upper()]
    extra = (OKABE_ITO["orange"], OKABE_ITO["sky_blue"], OKABE_ITO["black"], "#999999")
    return extra[zlib.crc32(name.encode()) % len(extra)]


def group_colours(levels: Sequence[Any]) -> dict[Any, str]:
    """Colour per group level: rule colours for rules, station colours for stations,
    cividis for numeric levels, else :data:`GROUP_CYCLE` (cividis beyond it)."""
    levs = list(levels)
    if not levs or levs == [None]:
        return {lev: NEUTRAL for lev in levs}
    strs = [str(v) for v in levs]
    if all(s in RULE_COLOURS for s in strs):
        return {v: RULE_COLOURS[str(v)] for v in levs}
    if all(s.upper() in {k.upper() for k in STATION_COLOURS} for s in strs):
        return {v: station_colour(str(v)) for v in levs}
    numeric = all(isinstance(v, int | float | np.integer | np.floating)
                  and not isinstance(v, bool | np.bool_) for v in levs)
    if numeric or len(levs) > len(GROUP_CYCLE):
        cmap = mpl.colormaps["cividis"]
        pos = np.linspace(0.0, 0.85, len(levs)) if len(levs) > 1 else np.array([0.0])
        return {v: mpl.colors.to_hex(cmap(p)) for v, p in zip(levs, pos, strict=True)}
    return {v: GROUP_CYCLE[i] for i, v in enumerate(levs)}


# ------------------------------------------------------------ outcome labels

#: Labels and units come from the outcome registry (:data:`stationsim.OUTCOMES`).
#: The per-step metrics of the steps table a figure may draw -> unit (per step, not summed).
STEP_UNITS: dict[str, str] = {o.name: o.unit for o in OUTCOMES.scope("step")
                              if o.dtype in ("int", "float")}
#: Outcomes of the distribution and ECDF figures, per station (in this order), ...
KEY_METRICS = ("members", "ever_guests", "pooled_capability", "host_cost_share",
               "mean_member_trust", "years_to_first_guest", "developing_share",
               "low_capability_members", "host_utility")
#: ... then these system-wide ones.
KEY_SYSTEM = ("states_in_partnership", "total_welfare")
#: Outcomes of the sweep figures (per station, then system-wide).
SWEEP_METRICS = ("members", "ever_guests", "host_cost_share", "mean_member_trust")


station_prefixes = G.station_prefixes


def split_outcome(col: str, prefixes: Sequence[str]) -> tuple[str | None, str]:
    """``'css_members'`` -> ``('css', 'members')``; system outcomes -> ``(None, col)``."""
    for pre in sorted(prefixes, key=len, reverse=True):
        if col.startswith(pre + "_"):
            return pre, col[len(pre) + 1:]
    return None, col


def outcome_label(col: str, runs: pd.DataFrame | None = None) -> tuple[str, str, str | None]:
    """``(title, unit, station)`` of an outcome column, e.g. ``('CSS members at end',
    'states (host excluded)', 'CSS')``; unknown columns keep their name."""
    prefixes = station_prefixes(runs) if runs is not None else {}
    found = OUTCOMES.of_column(col, list(prefixes))
    if found is None:
        return col.replace("_", " "), "value", None
    o, pre = found
    if pre is not None:
        name = prefixes[pre]
        return f"{name} {o.label}", o.unit, name
    return o.label, o.unit, None


def key_outcomes(runs: pd.DataFrame, metrics: Sequence[str] = KEY_METRICS,
                 system: Sequence[str] = KEY_SYSTEM) -> list[str]:
    """Default outcomes of a figure: each metric for each station, then system outcomes."""
    prefixes = list(station_prefixes(runs))
    cols = [f"{pre}_{m}" for m in metrics for pre in prefixes if f"{pre}_{m}" in runs.columns]
    return cols + [c for c in system if c in runs.columns]


# ------------------------------------------------------------------- helpers

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
    fig = _new_figure(w * ncols, h * nrows + 1.0)
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


# ------------------------------------------------------- outcome distributions

def outcome_distributions(runs: pd.DataFrame, outcomes: Sequence[str] | None = None,
                          by: str | None = None, *, title: str | None = None,
                          ncols: int = 4) -> Figure:
    """Distribution of each outcome per group: violin, every run as a point, median bar.

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
    ``points:<outcome>:<group>``, its violin ``violin:<outcome>:<group>`` (none
    when all values are equal) and its median line ``median:<outcome>:<group>``
    (group ``all`` without ``by``), so the plotted values can be read back.
    """
    runs, col = _prepare(runs, by, None)
    cols = list(outcomes) if outcomes is not None else key_outcomes(runs)
    _check_columns(runs, cols)
    parts = G.split(runs, col)
    colours = group_colours([lev for lev, _ in parts])
    fig, axes = _grid(len(cols), ncols, 3.4, 2.6)
    jitter = np.random.default_rng(0)
    for ax, oc in zip(axes, cols, strict=True):
        head, unit, station = outcome_label(oc, runs)
        for i, (lev, part) in enumerate(parts):
            vals = _finite(part[oc])
            c = _colour(colours, lev, col, station)
            name = "all" if col is None else G.level_label(lev)
            if vals.size > 1 and np.ptp(vals) > 0:
                body = ax.violinplot(vals, positions=[i], widths=0.8, showextrema=False)
                for b in cast(list[Any], body["bodies"]):
                    b.set_gid(f"violin:{oc}:{name}")
                    b.set_facecolor(c)
                    b.set_edgecolor(c)
                    b.set_alpha(0.3)
            if vals.size:
                xs = i + jitter.uniform(-0.12, 0.12, vals.size)
                pts = ax.scatter(xs, vals, s=9, color=c, alpha=0.7, lw=0, zorder=3)
                pts.set_gid(f"points:{oc}:{name}")
                (med,) = ax.plot([i - 0.3, i + 0.3], [np.median(vals)] * 2, color="black",
                                 lw=1.8, zorder=4)
                med.set_gid(f"median:{oc}:{name}")
        _tick_labels(ax, ["all runs" if col is None else G.level_label(lev) for lev, _ in parts])
        _note_constant(ax, runs[oc])
        ax.set_xlim(-0.6, len(parts) - 0.4)
        ax.set_title(head, fontsize=9, color=station_colour(station) if station else "black")
        ax.set_ylabel(unit, fontsize=8)
        if col is not None:
            ax.set_xlabel(col, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    _group_legend(fig, colours, col, marker=True)
    fig.suptitle(_title("Outcomes per run (violin, points = runs, bar = median)",
                        _scenario(runs), describe_runs(runs, col), title), fontsize=11)
    return fig


def outcome_ecdfs(runs: pd.DataFrame, outcomes: Sequence[str] | None = None,
                  by: str | None = None, *, title: str | None = None, ncols: int = 4) -> Figure:
    """Empirical cumulative distribution of each outcome, one step line per group.

    Each line has the gid ``ecdf:<outcome>:<group>``; its x-data are the sorted
    values and its y-data ``1/n .. 1``.
    """
    runs, col = _prepare(runs, by, None)
    cols = list(outcomes) if outcomes is not None else key_outcomes(runs)
    _check_columns(runs, cols)
    parts = G.split(runs, col)
    colours = group_colours([lev for lev, _ in parts])
    fig, axes = _grid(len(cols), ncols, 3.4, 2.5)
    for ax, oc in zip(axes, cols, strict=True):
        head, unit, station = outcome_label(oc, runs)
        for lev, part in parts:
            vals = np.sort(_finite(part[oc]))
            if not vals.size:
                continue
            c = _colour(colours, lev, col, station)
            y = np.arange(1, vals.size + 1) / vals.size
            (line,) = ax.plot(vals, y, drawstyle="steps-post", color=c, lw=1.6)
            line.set_gid(f"ecdf:{oc}:{'all' if col is None else G.level_label(lev)}")
        _note_constant(ax, runs[oc])
        ax.set_title(head, fontsize=9, color=station_colour(station) if station else "black")
        ax.set_xlabel(unit, fontsize=8)
        ax.set_ylabel("share of runs \u2264 x", fontsize=8)
        ax.set_ylim(0, 1.03)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    _group_legend(fig, colours, col)
    fig.suptitle(_title("Empirical CDF of outcomes per run", _scenario(runs),
                        describe_runs(runs, col), title), fontsize=11)
    return fig


def _note_constant(ax: Axes, values: pd.Series) -> None:
    """Say so in the panel when an outcome has one value in every run (an empty-looking panel)."""
    v = _finite(values)
    if v.size and np.ptp(v) == 0:
        ax.text(0.5, 0.92, f"every run: {v[0]:.4g}", transform=ax.transAxes, ha="center",
                va="top", fontsize=8, color=NEUTRAL, zorder=6,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#cccccc"})


def _colour(colours: dict[Any, str], lev: Any, col: str | None, station: str | None) -> str:
    """The group's colour; with one group, the station's (neutral for system outcomes)."""
    if col is not None:
        return colours[lev]
    return station_colour(station) if station else NEUTRAL


def _check_columns(df: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise G.GroupingError(f"unknown outcome column(s) {', '.join(missing)}; "
                              f"allowed: {', '.join(G.outcome_columns(df))}")
    if not cols:
        raise G.GroupingError("no outcome columns to plot")


# ------------------------------------------------------------ time series

def station_time_series(steps: pd.DataFrame, by: str | None = None,
                        runs: pd.DataFrame | None = None, *, metric: str = "members",
                        band: tuple[float, float] = (0.05, 0.95), title: str | None = None,
                        scenario: str | None = None) -> Figure:
    """A per-step metric of each station over time: median and a quantile band per group.

    One panel per station.  Only the years a station is open in a run count.
    The median line of group ``g`` at station ``S`` has the gid
    ``median:<S>:<g>`` and its band (``fill_between``) ``band:<S>:<g>``.
    """
    if metric not in steps.columns:
        raise G.GroupingError(f"unknown step metric {metric!r}; allowed: "
                              f"{', '.join(c for c in STEP_UNITS if c in steps.columns)}")
    steps, col = _prepare(steps, by, runs)
    stations = list(pd.unique(steps["station"]))
    parts = G.split(steps, col)
    colours = group_colours([lev for lev, _ in parts])
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
        ax.set_title(str(st), color=station_colour(str(st)), fontsize=11, fontweight="bold")
        ax.set_xlabel("year", fontsize=9)
        ax.set_ylabel(STEP_UNITS.get(metric, metric), fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    if col is None:
        handles = [Line2D([], [], color=NEUTRAL, lw=2, label="median"),
                   mpl.patches.Patch(color=NEUTRAL, alpha=0.2,
                                     label=f"{lo:.0%}-{hi:.0%} of runs")]
        fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False,
                   fontsize=9)
    else:
        _group_legend(fig, colours, col)
    scn = scenario or _scenario(steps, runs)
    what = f"{metric.replace('_', ' ').capitalize()} per station over time " \
           f"(line: median; band: {lo:.0%}-{hi:.0%} of runs)"
    fig.suptitle(_title(what, scn, describe_runs(steps, col), title), fontsize=11)
    return fig


# ---------------------------------------------------------------- heatmap

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


# ---------------------------------------------------------------- network

def partnership_graph(membership: pd.DataFrame) -> nx.Graph:
    """The partnership network of a membership table, as a networkx graph.

    Nodes: each station (``'station:<name>'``, ``kind='hub'``, with its ``host``
    and the host's ``alignment``) and each state that is a guest member of some
    station at the end of at least one run (its ISO3 code, ``kind='spoke'``,
    with ``alignment`` and ``capability``).  Edges station-state carry ``station`` and ``share``:
    the share of runs in which the state is a member at the end.  Hosts are
    the hubs themselves, not spokes.
    """
    g = nx.Graph()
    m = membership[membership["role"] != "host"]
    n_runs = {st: _n_runs(part) for st, part in membership.groupby("station", sort=False)}
    hosts = membership.groupby("station", sort=False)["host_iso3"].first().to_dict()
    align = membership.groupby("iso3")["alignment"].mean().to_dict()
    cap = (membership.groupby("iso3")["capability"].mean().to_dict()
           if "capability" in membership.columns else {})
    for st, host in hosts.items():
        g.add_node(f"station:{st}", kind="hub", station=str(st), host=str(host),
                   alignment=float(align.get(host, 0.0)))
    held = m[m["member_at_end"].eq(True)].groupby(["station", "iso3"], sort=False).size()
    for key, k in held.items():
        st, iso = str(key[0]), str(key[1])  # type: ignore[index]
        g.add_node(iso, kind="spoke", alignment=float(align[iso]),
                   capability=float(cap.get(iso, np.nan)))
        g.add_edge(f"station:{st}", iso, station=st, share=float(k) / max(1, n_runs[st]))
    return g


def spoke_size(capability: float) -> float:
    """Marker area (points²) of a spoke sized by capability: 40 at 0 to 400 at 1."""
    return 40.0 + 360.0 * float(np.nan_to_num(capability, nan=0.0))


def _primary_hub(g: nx.Graph, node: str) -> str:
    """The hub a spoke is linked to in most runs (ties: by name)."""
    return str(max(g[node].items(), key=lambda kv: (kv[1]["share"], kv[0]))[0])


def network_layout(g: nx.Graph, spacing: float = 2.7) -> dict[str, tuple[float, float]]:
    """Positions: hubs on a row ordered by their host's alignment (U.S.-aligned left);
    each spoke on a unit circle around the hub it joins most, its x growing with
    its alignment (alternately on the upper and lower half)."""
    hubs = sorted((n for n, d in g.nodes(data=True) if d["kind"] == "hub"),
                  key=lambda h: (g.nodes[h]["alignment"], h))
    pos: dict[str, tuple[float, float]] = {}
    for i, h in enumerate(hubs):
        pos[h] = (spacing * (i - (len(hubs) - 1) / 2), 0.0)
    primary: dict[str, list[str]] = {h: [] for h in hubs}
    for n, d in g.nodes(data=True):
        if d["kind"] == "spoke":
            primary[_primary_hub(g, n)].append(n)
    for h, spokes in primary.items():
        spokes.sort(key=lambda s: (g.nodes[s]["alignment"], s))
        hx, hy = pos[h]
        for half, sign in ((spokes[0::2], 1.0), (spokes[1::2], -1.0)):
            k = len(half)
            if not k:
                continue
            ang = np.pi - np.pi * (np.arange(k) + 0.5) / k
            for s, a in zip(half, ang, strict=True):
                pos[s] = (hx + float(np.cos(a)), hy + sign * float(np.sin(a)))
    return pos


def partnership_network(membership: pd.DataFrame, by: str | None = None,
                        runs: pd.DataFrame | None = None, *, title: str | None = None,
                        scenario: str | None = None, spokes: str = "station") -> Figure:
    """Hubs (stations, with their host) and spokes (member states); edge width is the
    share of runs in which the link held at the end (:data:`EDGE_WIDTH_MAX` points = all runs).

    One panel per group, with the same layout in all panels; spokes are
    outlined in the colour of the station they join most.  With
    ``spokes='alignment'`` (used by ``stationsim explore``) each spoke is also
    filled by its alignment (:data:`ALIGNMENT_CMAP`, with a colour bar) and
    sized by its capability (:func:`spoke_size`).  The edges of
    station ``S`` in group ``g`` form one LineCollection with the gid
    ``edges:<S>:<g>``; its ``get_linewidths()`` are ``share * EDGE_WIDTH_MAX`` in
    the order of its ``edge_nodes`` attribute (a list of state codes).
    """
    if spokes not in ("station", "alignment"):
        raise ValueError(f"spokes={spokes!r}: allowed: 'station', 'alignment'")
    membership, col = _prepare(membership, by, runs)
    parts = G.split(membership, col)
    whole = partnership_graph(membership)
    layout = network_layout(whole)
    pts = np.array(list(layout.values())) if layout else np.zeros((1, 2))
    xspan = float(np.ptp(pts[:, 0])) + 1.2
    fig, axes = _grid(len(parts), 1, min(15.0, 1.4 * xspan + 1.0), 4.8)
    hub_xy = {h: layout[h] for h, d in whole.nodes(data=True) if d["kind"] == "hub"}
    for ax, (lev, part) in zip(axes, parts, strict=True):
        g = partnership_graph(part)
        name = "all" if col is None else G.level_label(lev)
        hubs = [n for n, d in g.nodes(data=True) if d["kind"] == "hub"]
        for h in hubs:
            st = g.nodes[h]["station"]
            edges = sorted(g.edges(h, data=True), key=lambda e: e[1])
            segs = [[layout[h], layout[v]] for _, v, _ in edges]
            widths = [EDGE_WIDTH_MAX * d["share"] for _, _, d in edges]
            lc = LineCollection(segs, linewidths=widths, colors=station_colour(st), alpha=0.55,
                                zorder=1, capstyle="butt")
            lc.set_gid(f"edges:{st}:{name}")
            lc.edge_nodes = [v for _, v, _ in edges]  # type: ignore[attr-defined]
            ax.add_collection(lc)
        for n, d in g.nodes(data=True):
            x, y = layout[n]
            if d["kind"] == "hub":
                c = station_colour(d["station"])
                if not g.degree(n):
                    ax.text(x, y - 0.45, "no members at end", ha="center", va="center",
                            fontsize=8, color=NEUTRAL)
                ax.scatter([x], [y], s=2300, color=c, zorder=3, edgecolors="black")
                ax.text(x, y + 0.05, d["station"], ha="center", va="center", fontsize=10,
                        color="white", fontweight="bold", zorder=4)
                ax.text(x, y - 0.12, f"host {d['host']}", ha="center", va="center",
                        fontsize=7, color="white", zorder=4)
            else:
                by_align = spokes == "alignment"
                ax.scatter([x], [y], s=spoke_size(d["capability"]) if by_align else 80,
                           color=ALIGNMENT_CMAP(ALIGNMENT_NORM(d["alignment"])) if by_align
                           else "white", lw=1.6, zorder=3,
                           edgecolors=station_colour(g.nodes[_primary_hub(whole, n)]["station"]))
                hx, hy = hub_xy[_primary_hub(whole, n)]
                dx, dy = x - hx, y - hy
                r = float(np.hypot(dx, dy)) or 1.0
                ax.text(x + 0.2 * dx / r, y + 0.16 * dy / r, n, ha="center", va="center",
                        fontsize=8, zorder=4)
        ax.set_xlim(pts[:, 0].min() - 0.5, pts[:, 0].max() + 0.5)
        ax.set_ylim(pts[:, 1].min() - 0.3, pts[:, 1].max() + 0.3)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(("" if col is None else f"{col} = {name}: ") + f"{_n_runs(part)} runs",
                     fontsize=10)
    handles = [Line2D([], [], color=NEUTRAL, lw=EDGE_WIDTH_MAX * s, alpha=0.55,
                      label=f"{s:.0%} of runs") for s in (0.25, 0.5, 1.0)]
    if spokes == "alignment":
        cb = fig.colorbar(mpl.cm.ScalarMappable(ALIGNMENT_NORM, ALIGNMENT_CMAP), ax=axes,
                          shrink=0.7, pad=0.01)
        cb.set_label("alignment (-1 U.S. .. +1 China); size: capability", fontsize=8)
        cb.ax.tick_params(labelsize=8)
    fig.legend(handles=handles, title="edge width: link held at the end of", ncols=3,
               loc="outside lower center", frameon=False, fontsize=8, title_fontsize=8)
    scn = scenario or _scenario(membership, runs)
    fig.suptitle(_title("Partnership network: stations (hubs) and member states (spokes)",
                        scn, describe_runs(membership, col), title), fontsize=11)
    return fig


# ---------------------------------------------------------------- sweeps

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


# ------------------------------------------------------------- all figures

def figures(data: G.Data, by: str | None = None) -> dict[str, Figure]:
    """The standard figures of a results folder (or folders), by file stem.

    ``by`` defaults to :func:`stationsim.analysis.groups.default_by` (the folder, a
    sweep's first varied parameter, or the varying rule).
    """
    col = G.resolve_by(data.runs, by) if by is not None else G.default_by(data)
    scn = data.scenario
    runs = data.runs
    figs: dict[str, Figure] = {
        "outcomes_violin": outcome_distributions(runs, by=col),
        "outcomes_ecdf": outcome_ecdfs(runs, by=col),
        "members_over_time": station_time_series(data.steps, col, runs, scenario=scn),
        "membership_heatmap": membership_heatmap(data.membership, col, runs, scenario=scn),
        "partnership_network": partnership_network(data.membership, col, runs, scenario=scn),
    }
    for p in data.varied:
        figs[sweep_stem(p)] = outcomes_vs_parameter(runs, p)
    return figs


def sweep_stem(parameter: str) -> str:
    """File stem of the sweep figure of ``parameter``: ``sweep_stations_CSS_rule``."""
    return "sweep_" + "".join(ch if ch.isalnum() else "_" for ch in parameter).strip("_")


def save(fig: Figure, out_dir: str | Path, stem: str,
         formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``<out_dir>/<stem>.<fmt>`` for each format (atomically); return them."""
    from stationsim.running.results import atomic_write

    paths = []
    engine = fig.get_layout_engine()
    try:
        for i, fmt in enumerate(formats):
            path = Path(out_dir) / f"{stem}.{fmt}"

            def _write(tmp: Path, f: str = fmt) -> None:
                fig.savefig(tmp, format=f, dpi=DPI, metadata=_metadata(f))
            atomic_write(path, _write)
            paths.append(path)
            if i == 0:
                fig.set_layout_engine("none")  # keep the first layout: same figure, half the work
    finally:
        fig.set_layout_engine(engine)
    return paths


def _metadata(fmt: str) -> dict[str, Any]:
    # no creation date: the same data give byte-identical SVG/PNG files
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {}
