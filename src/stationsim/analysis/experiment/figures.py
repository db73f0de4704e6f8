"""Figures of experiments: effects with their intervals, and claim maps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from stationsim.analysis import compare as C
from stationsim.analysis.experiment.results import TestResult, _value
from stationsim.analysis.experiment.verdicts import VERDICTS
from stationsim.present import plots as P


def effects_figure(tests: pd.DataFrame, title: str = "") -> Figure:
    """Each test's effect with its interval and threshold (one row per test or point).

    ``tests`` has ``label``, ``effect``, ``ci_low``, ``ci_high``, ``threshold``
    and ``verdict`` columns.
    """
    colours = {"supported": "#1b7837", "not supported": "#b2182b", "inconclusive": "#7f7f7f"}
    n = len(tests)
    fig = Figure(figsize=(7.5, 0.9 + 0.32 * max(n, 2)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    for yi, (_, r) in zip(y, tests.iterrows(), strict=True):
        c = colours.get(str(r["verdict"]), "#333333")
        if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]):
            ax.plot([r["ci_low"], r["ci_high"]], [yi, yi], color=c, lw=2.5)
        ax.plot([r["effect"]], [yi], "o", color=c, ms=5)
    for thr in pd.unique(tests["threshold"]):
        ax.axvline(float(thr), color="black", lw=0.8, ls="--")
    ax.set_yticks(y, [str(s) for s in tests["label"]], fontsize=8)
    ax.set_xlabel("effect (dot) and 95 % CI (bar); dashed line: the claim's threshold",
                  fontsize=8)
    present = [v for v in colours if (tests["verdict"] == v).any()]
    handles = [Line2D([], [], color=colours[v], lw=2.5, label=v) for v in present]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


#: Colours of the verdicts in every experiment figure (Okabe-Ito; grey for inconclusive).
VERDICT_COLOURS = {"supported": P.OKABE_ITO["bluish_green"],
                   "not supported": P.OKABE_ITO["vermillion"], "inconclusive": "#999999"}


def claim_map_figure(table: pd.DataFrame, parameters: Sequence[str],
                     tests: Sequence[TestResult], claim: str = "") -> Figure:
    """The claim map: verdict and effect over one or two deciding parameters.

    One parameter: per primary test a panel of the effect (dot) and its
    interval (bar) at each value, coloured by the test's verdict, with the
    claim's threshold dashed; the experiment's verdict as a strip below.
    Two parameters: per primary test a grid of cells coloured by the test's
    verdict, the effect written in each.
    """
    prim = [t for t in tests if t.primary] or list(tests)
    n = len(prim)
    if len(parameters) == 1:
        p = parameters[0]
        x = table[p].to_numpy(dtype=float)
        fig = Figure(figsize=(3.6 * n + 0.6, 3.4), layout="constrained")
        axes = fig.subplots(1, n, squeeze=False)[0]
        for ax, t in zip(axes, prim, strict=True):
            eff = table[f"{t.name}.effect"].to_numpy(dtype=float)
            lo = table[f"{t.name}.ci_low"].to_numpy(dtype=float)
            hi = table[f"{t.name}.ci_high"].to_numpy(dtype=float)
            ax.plot(x, eff, color=P.NEUTRAL, lw=0.8, zorder=1)
            for xi, e, a, b, v in zip(x, eff, lo, hi, table[f"{t.name}.verdict"], strict=True):
                c = VERDICT_COLOURS.get(str(v), P.NEUTRAL)
                if np.isfinite(a) and np.isfinite(b):
                    ax.plot([xi, xi], [a, b], color=c, lw=2.5, zorder=2)
                ax.plot([xi], [e], "o", color=c, ms=5, zorder=3)
            ax.axhline(t.threshold, color="black", lw=0.8, ls="--")
            ax.set_title(f"{t.name} ({t.claim_text()})", fontsize=9)
            ax.set_xlabel(p, fontsize=8)
            ax.set_ylabel("effect and 95 % CI", fontsize=8)
            ax.tick_params(labelsize=8)
        present = [v for v in VERDICTS if (table["verdict"] == v).any()
                   or any((table[f"{t.name}.verdict"] == v).any() for t in prim)]
    else:
        pa, pb = parameters[0], parameters[1]
        xs = list(dict.fromkeys(table[pa]))
        ys = list(dict.fromkeys(table[pb]))
        fig = Figure(figsize=(3.8 * n + 0.6, 3.6), layout="constrained")
        axes = fig.subplots(1, n, squeeze=False)[0]
        for ax, t in zip(axes, prim, strict=True):
            for _, r in table.iterrows():
                i, j = xs.index(r[pa]), ys.index(r[pb])
                c = VERDICT_COLOURS.get(str(r[f"{t.name}.verdict"]), P.NEUTRAL)
                ax.add_patch(Rectangle((i - 0.5, j - 0.5), 1, 1, color=c, alpha=0.85))
                ax.text(i, j, C.fmt_number(r[f"{t.name}.effect"], 2), ha="center",
                        va="center", fontsize=7)
            ax.set_xlim(-0.5, len(xs) - 0.5)
            ax.set_ylim(-0.5, len(ys) - 0.5)
            ax.set_xticks(range(len(xs)), [_value(v) for v in xs], fontsize=7)
            ax.set_yticks(range(len(ys)), [_value(v) for v in ys], fontsize=7)
            ax.set_xlabel(pa, fontsize=8)
            ax.set_ylabel(pb, fontsize=8)
            ax.set_title(f"{t.name} ({t.claim_text()}): effect", fontsize=9)
        present = [v for v in VERDICTS
                   if any((table[f"{t.name}.verdict"] == v).any() for t in prim)]
    handles = [Line2D([], [], color=VERDICT_COLOURS[v], lw=6, label=v) for v in present]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    share = float((table["verdict"] == "supported").mean()) if len(table) else float("nan")
    fig.suptitle(f"{claim} claim map: supported at {share:.0%} of the plausible region",
                 fontsize=10)
    return fig
