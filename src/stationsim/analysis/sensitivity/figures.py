"""The figures of an analysis: the indices of each outcome as bars with their intervals
(:func:`indices_bars`) and the parameter x outcome heatmap (:func:`indices_heatmap`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stationsim.analysis.sensitivity.result import SensitivityResult, short_name

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figures(res: SensitivityResult) -> dict[str, Figure]:
    """``{"bars": ..., "heatmap": ...}`` of a result."""
    return {"bars": indices_bars(res.table, res.method, res.figure_outcomes or None,
                                 parameters=res.parameters, subtitle=_subtitle(res)),
            "heatmap": indices_heatmap(res.table, res.method, res.outcomes or None,
                                       parameters=res.parameters, subtitle=_subtitle(res))}


def _subtitle(res: SensitivityResult) -> str:
    s = res.settings
    what = f"N = {s.get('samples')}" if res.method == "sobol" else \
        f"{s.get('samples')} trajectories"
    return (f"{s.get('scenario', '')}: {what}, {s.get('points')} points x "
            f"{s.get('replications')} replications (outcome averaged per point)")


def indices_bars(table: pd.DataFrame, method: str, outcomes: Sequence[str] | None = None, *,
                 parameters: Sequence[str] | None = None, subtitle: str = "",
                 ncols: int = 3) -> Figure:
    """Indices of each outcome as horizontal bars with their confidence intervals.

    Sobol': ``S1`` and ``ST`` side by side per parameter, error bars
    ``S1_conf`` / ``ST_conf``.  Morris: ``mu_star`` with ``mu_star_conf`` and
    ``sigma`` as a diamond.  One panel per outcome; parameters in the same
    order in every panel (bars have gids ``<index>:<outcome>``).
    """
    from stationsim.present.plots import OKABE_ITO, _grid

    outs = list(outcomes) if outcomes is not None else list(dict.fromkeys(table["outcome"]))
    params = list(parameters) if parameters is not None else \
        list(dict.fromkeys(table["parameter"]))
    fig, axes = _grid(max(1, len(outs)), ncols, 3.9, 0.42 * len(params) + 1.2)
    ypos = np.arange(len(params))[::-1].astype(float)
    for ax, oc in zip(axes, outs, strict=False):
        t = table[table["outcome"] == oc].set_index("parameter").reindex(params)
        if method == "sobol":
            h = 0.38
            for k, (col, colour, dy) in enumerate((("S1", OKABE_ITO["sky_blue"], h / 2),
                                                    ("ST", OKABE_ITO["blue"], -h / 2))):
                bars = ax.barh(ypos + dy, t[col].clip(lower=0), height=h, color=colour,
                               xerr=t[f"{col}_conf"], error_kw={"lw": 0.9, "capsize": 2},
                               label=("first order S1", "total ST")[k])
                for patch in bars.patches:
                    patch.set_gid(f"{col}:{oc}")
            ax.set_xlim(0, max(1.0, float(np.nanmax((t["ST"] + t["ST_conf"]).to_numpy()))))
            ax.axvline(0, color="black", lw=0.6)
            eta = float(t["replication_noise"].iloc[0])
            if np.isfinite(eta):
                ax.axvline(eta, color=OKABE_ITO["vermillion"], lw=1.1, ls=":",
                           label="noise floor (replication noise share)", gid=f"noise:{oc}")
            ax.set_xlabel("Sobol' index", fontsize=8)
        else:
            bars = ax.barh(ypos, t["mu_star"], height=0.55, color=OKABE_ITO["orange"],
                           xerr=t["mu_star_conf"], error_kw={"lw": 0.9, "capsize": 2},
                           label="mu* (mean |effect|)")
            for patch in bars.patches:
                patch.set_gid(f"mu_star:{oc}")
            ax.scatter(t["sigma"], ypos, marker="D", s=16, color=OKABE_ITO["black"], zorder=3,
                       label="sigma (spread)")
            ax.set_xlabel("effect per full range", fontsize=8)
        ax.set_yticks(ypos, [short_name(p) for p in params], fontsize=8)
        ax.set_title(oc, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels() if axes else ([], [])
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=len(handles),
                   frameon=False, fontsize=8)
    name = "Sobol' indices with 95 % bootstrap intervals" if method == "sobol" else \
        "Morris screening: mu* with 95 % bootstrap interval, sigma"
    fig.suptitle(name + (f"\n{subtitle}" if subtitle else ""), fontsize=10)
    return fig


def indices_heatmap(table: pd.DataFrame, method: str, outcomes: Sequence[str] | None = None,
                    *, parameters: Sequence[str] | None = None, subtitle: str = "") -> Figure:
    """Parameter x outcome heatmap: total index ``ST_net`` (Sobol', net of replication noise;
    ``ST`` when the table has no noise estimate) or ``mu_star`` relative to the outcome's
    largest (Morris); each cell annotated with its value."""
    from matplotlib.figure import Figure

    outs = list(outcomes) if outcomes is not None else list(dict.fromkeys(table["outcome"]))
    params = list(parameters) if parameters is not None else \
        list(dict.fromkeys(table["parameter"]))
    net = method == "sobol" and "ST_net" in table.columns and bool(
        np.isfinite(table["ST_net"]).any())
    col = ("ST_net" if net else "ST") if method == "sobol" else "mu_star"
    wide = table.pivot(index="outcome", columns="parameter", values=col).reindex(
        index=outs, columns=params)
    vals = wide.to_numpy(dtype=float)
    if method == "morris":
        top = np.nanmax(np.abs(vals), axis=1, keepdims=True)
        vals = np.divide(vals, top, out=np.full_like(vals, np.nan), where=top > 0)
    fig = Figure(figsize=(1.0 * len(params) + 3.6, 0.24 * len(outs) + 2.2), layout="constrained")
    ax = fig.subplots()
    img = ax.imshow(np.clip(vals, 0, 1), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    img.set_gid(f"heatmap:{col}")
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            v = vals[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}".replace("-0.00", "0.00"), ha="center", va="center",
                        fontsize=6.5,
                        color="black" if v > 0.55 else "white")
    ax.set_xticks(range(len(params)), [short_name(p) for p in params], rotation=30,
                  ha="right", fontsize=8)
    ax.set_yticks(range(len(outs)), outs, fontsize=7)
    cb = fig.colorbar(img, ax=ax, shrink=0.6)
    cb.set_label({"ST_net": "total index ST net of replication noise", "ST": "total index ST",
                  "mu_star": "mu* / largest mu* of the outcome"}[col], fontsize=8)
    name = {"ST_net": "Total-order Sobol' index of each parameter for each outcome, net of "
                      "replication noise",
            "ST": "Total-order Sobol' index of each parameter for each outcome",
            "mu_star": "Morris mu* of each parameter, relative to the outcome's most "
                       "influential"}[col]
    fig.suptitle(name + (f"\n{subtitle}" if subtitle else ""), fontsize=10)
    return fig
