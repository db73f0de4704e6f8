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
from collections.abc import Callable, Sequence
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


# ------------------------------------------------------- outcome distributions

#: Censored durations: outcome suffix -> suffix of its censoring flag (True = the event never
#: happened during the run, so the stored number is not a duration).
CENSORED = {"years_to_first_guest": "first_guest_censored"}
#: Outcomes with at most this many distinct values are drawn as box and strip, never violins.
DISCRETE_MAX_LEVELS = 12


def censor_flag(col: str, runs: pd.DataFrame) -> str | None:
    """The censoring flag column of a censored duration (``css_first_guest_censored`` for
    ``css_years_to_first_guest``), or None."""
    pre, metric = split_outcome(col, list(station_prefixes(runs)))
    if metric not in CENSORED:
        return None
    flag = f"{pre}_{CENSORED[metric]}" if pre else CENSORED[metric]
    return flag if flag in runs.columns else None


def _censored_mask(part: pd.DataFrame, flag: str | None) -> np.ndarray:
    if flag is None:
        return np.zeros(len(part), dtype=bool)
    return part[flag].fillna(False).to_numpy(dtype=bool)


def is_integer_valued(values: pd.Series | np.ndarray) -> bool:
    """True when every finite value is a whole number (counts: integer ticks)."""
    v = values if isinstance(values, np.ndarray) else _finite(values)
    v = v[np.isfinite(v)]
    return bool(v.size) and bool(np.all(v == np.round(v)))


def is_discrete(values: pd.Series | np.ndarray) -> bool:
    """Whole numbers, or values that repeat (at most :data:`DISCRETE_MAX_LEVELS` distinct
    values, each twice on average): no density."""
    v = values if isinstance(values, np.ndarray) else _finite(values)
    v = v[np.isfinite(v)]
    k = np.unique(v).size
    return is_integer_valued(v) or (k <= DISCRETE_MAX_LEVELS and 2 * k <= v.size)


def _observed(runs: pd.DataFrame, oc: str, flag: str | None) -> np.ndarray:
    v = pd.to_numeric(runs[oc], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    v = v[~_censored_mask(runs, flag)]
    return v[np.isfinite(v)]


def censored_median(observed: np.ndarray, n_censored: int) -> float:
    """Median when censored runs count as longer than every observed one (inf if they are
    the middle)."""
    allv = np.concatenate([np.sort(observed), np.full(n_censored, np.inf)])
    if not allv.size:
        return float("nan")
    n = allv.size
    lo, hi = allv[(n - 1) // 2], allv[n // 2]
    return float(hi if not np.isfinite(hi) else (lo + hi) / 2)


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


# ------------------------------------------------------------ forest plot

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
    handles: list[Any] = [Line2D([], [], color=NEUTRAL, lw=EDGE_WIDTH_MAX * s, alpha=0.55,
                                 label=f"{s:.0%} of runs") for s in (0.25, 0.5, 1.0)]
    handles += [Line2D([], [], lw=0, marker="o", markersize=8, markerfacecolor="white",
                       markeredgecolor=station_colour(d["station"]), markeredgewidth=1.6,
                       label=f"member state, joins {d['station']} most (edge colour: "
                             f"{d['station']})")
                for _, d in sorted(whole.nodes(data=True), key=lambda nd: str(nd[0]))
                if d["kind"] == "hub"]
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

def figure_builders(data: G.Data, by: str | None = None, *, seed: int | None = None,
                    n_boot: int | None = None) -> list[tuple[str, Callable[[], Figure]]]:
    """The standard figures of a results folder (or folders) as ``[(stem, build)]``, in
    report order: each ``build()`` draws one figure (so callers can show progress).

    ``by`` defaults to :func:`stationsim.analysis.groups.default_by` (the folder, a
    sweep's first varied parameter, or the varying rule).  With two groups or
    more, the forest plot of the comparison (``comparison_forest``) follows the
    distributions.
    """
    col = G.resolve_by(data.runs, by) if by is not None else G.default_by(data)
    scn = data.scenario
    runs = data.runs
    out: list[tuple[str, Callable[[], Figure]]] = [
        ("outcomes_distributions", lambda: outcome_distributions(runs, by=col))]
    if col is not None and runs[col].nunique(dropna=False) > 1:
        c = col
        out.append(("comparison_forest", lambda: comparison_figures(
            data, c, seed=seed, n_boot=n_boot)["comparison_forest"]))
    out += [
        ("outcomes_ecdf", lambda: outcome_ecdfs(runs, by=col)),
        ("members_over_time", lambda: station_time_series(data.steps, col, runs, scenario=scn)),
        ("membership_heatmap", lambda: membership_heatmap(data.membership, col, runs,
                                                          scenario=scn)),
        ("partnership_network", lambda: partnership_network(data.membership, col, runs,
                                                            scenario=scn)),
    ]
    for p in data.varied:
        out.append((sweep_stem(p), lambda p=p: outcomes_vs_parameter(runs, p)))  # type: ignore[misc]
    return out


def figures(data: G.Data, by: str | None = None) -> dict[str, Figure]:
    """The standard figures of a results folder (or folders), by file stem
    (:func:`figure_builders`, all drawn)."""
    return {stem: build() for stem, build in figure_builders(data, by)}


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
