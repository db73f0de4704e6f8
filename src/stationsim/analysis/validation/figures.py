"""The figure of a case: model vs baselines and the model's reliability
(:func:`case_figure`)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from stationsim.analysis import metrics as mt
from stationsim.analysis.validation.scoring import DIFF_SCORER, CaseResult

_COLOURS = {"fit": "#0072B2", "held_out": "#D55E00"}


def case_figure(res: CaseResult) -> Figure:
    """Model vs baselines (AUC and Brier with 95 % intervals, fit and held out) and the
    model's reliability diagram."""
    t = res.table[res.table["scorer"] != DIFF_SCORER]
    scorers = list(dict.fromkeys(t["scorer"]))
    fig = Figure(figsize=(13, 0.35 * len(scorers) + 3.0), layout="constrained")
    ax_auc, ax_brier, ax_rel = fig.subplots(1, 3, width_ratios=[1.2, 1.2, 1])
    y = np.arange(len(scorers))[::-1]
    for ax, metric in ((ax_auc, "auc"), (ax_brier, "brier")):
        for k, split in enumerate(("fit", "held_out")):
            g = t[(t["split"] == split) & (t["metric"] == metric)].set_index("scorer")
            if g.empty:
                continue
            g = g.reindex(scorers)
            yy = y + (0.15 if k == 0 else -0.15)
            ax.errorbar(g["value"], yy, xerr=[np.abs(g["value"] - g["ci_low"]),
                                              np.abs(g["ci_high"] - g["value"])],
                        fmt="o", color=_COLOURS[split], ms=4, capsize=2,
                        label=f"{split.replace('_', '-')} ({int(g['n_pos'].iloc[0])} pos / "
                              f"{int(g['n_neg'].iloc[0])} neg)")
        ax.set_yticks(y, scorers, fontsize=8)
        ax.set_ylim(-1.5, len(scorers) - 0.5)  # a free row at the bottom for the legend
        ax.set_xlabel(metric if metric != "auc" else "AUC (0.5 = chance)")
        ax.legend(fontsize=7, loc="lower center", ncol=2, framealpha=0.9)
    ax_auc.axvline(0.5, color="0.7", ls=":")
    ax_auc.set_xlim(-0.02, 1.02)
    ax_auc.set_title(f"{res.case.name}: ranking", fontsize=10)
    ax_brier.set_title("Brier score (0 best)", fontsize=10)
    ax_rel.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
    for split, col in _COLOURS.items():
        g = res.states[res.states["split"] == split]
        if g.empty:
            continue
        rel = mt.reliability(g["observed"], g["model"])
        ax_rel.plot(rel["mean_predicted"], rel["observed"], "-o", color=col, ms=4,
                    label=f"model, {split.replace('_', '-')}")
        for r in rel.itertuples():
            ax_rel.annotate(str(r.n), (r.mean_predicted, r.observed), fontsize=7,
                            xytext=(3, 3), textcoords="offset points", color=col)
    ax_rel.set_xlim(-0.03, 1.03)
    ax_rel.set_ylim(-0.03, 1.03)
    ax_rel.set_xlabel("model probability (bin mean)")
    ax_rel.set_ylabel("observed share")
    ax_rel.set_title("reliability (states per bin)", fontsize=10)
    ax_rel.legend(fontsize=7, loc="upper left")
    return fig
