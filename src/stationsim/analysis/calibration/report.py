"""The calibration's outputs: the tables and text of ``docs/calibration.md``, the
reliability and per-state figures, and the files written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from stationsim.analysis.calibration.fit import Calibration
from stationsim.analysis.calibration.scores import THRESHOLD, reliability
from stationsim.analysis.calibration.targets import SETS
from stationsim.analysis.compare import markdown_table as _markdown_table
from stationsim.model.params import PARAMETERS
from stationsim.running.results import atomic_write, write_json


def _fmt(x: Any, nd: int = 3) -> str:
    if isinstance(x, float):
        return "–" if np.isnan(x) else f"{x:.{nd}f}"
    return str(x)


def _range_text(d: dict[str, Any]) -> str:
    if "values" in d:
        return "{" + ", ".join(map(str, d["values"])) + "}"
    lo, hi = (d["low"], d["high"]) if "low" in d else (d["min"], d["max"])
    return f"[{lo:.3g}, {hi:.3g}]"


def markdown_table(df: pd.DataFrame, nd: int = 3) -> str:
    """A Markdown table with floats to ``nd`` decimals (:func:`compare.markdown_table`)."""
    return _markdown_table(df, nd)


def metrics_table(fit: dict[str, Any]) -> pd.DataFrame:
    """Measures per scenario and set of facts (``summary["fit"]`` or ``["leaky_inputs"]``)."""
    rows = []
    for name, sets in fit.items():
        for s, m in sets.items():
            rows.append({"scenario": name, "facts": s, "states": m["n"],
                         "joined": m["positives"], "expected joins": m["expected_joins"],
                         "Brier": m["brier"], "balanced Brier": m["balanced_brier"],
                         "log loss": m["log_loss"], "AUC": m["auc"],
                         "precision": m["precision"], "recall": m["recall"], "F1": m["f1"],
                         "TP/FP/FN": f"{m['tp']}/{m['fp']}/{m['fn']}"})
    return pd.DataFrame(rows)


def states_table(preds: pd.DataFrame, negatives: int = 10) -> pd.DataFrame:
    """Each observed positive, and the ``negatives`` highest-predicted negatives, per set.

    Held-out ISS rows also give ``P(any year)``: the state's probability of
    joining at any time up to the end of the observations (``held_out_ever``).
    """
    ever = preds[preds["set"] == "held_out_ever"].set_index("iso3")["p"]
    parts = []
    for s in SETS[:2]:
        g = preds[preds["set"] == s].sort_values(["p", "iso3"], ascending=[False, True])
        parts.append(g[g["observed"] == 1])
        parts.append(g[g["observed"] == 0].head(negatives))
    t = pd.concat(parts)
    out = pd.DataFrame({"set": t["set"], "state": t["iso3"] + " " + t["name"],
                        "what happened": t["fact"], "observed": t["observed"],
                        "model window": t["lo"].astype(str) + "–" + t["hi"].astype(str),
                        "P(model)": t["p"]})
    if not ever.empty:
        out["P(any year)"] = [float(ever[i]) if s == "held_out" and i in ever.index else np.nan
                              for s, i in zip(t["set"], t["iso3"], strict=True)]
    return out


def chosen_table(summary: dict[str, Any]) -> pd.DataFrame:
    """The chosen values, each dimension's range and its spread over the best 5 % of points."""
    return pd.DataFrame(
        [{"parameter": k.removeprefix("parameters."), "chosen": v, "range": _range_text(d),
          "default": PARAMETERS[k.removeprefix("parameters.")].default
          if k.removeprefix("parameters.") in PARAMETERS else "",
          "best 5 % of points": _range_text(summary["top_spread"][k])}
         for (k, v), d in zip(summary["chosen"].items(), summary["dimensions"], strict=True)])


def report_text(cal: Calibration, command: str) -> str:
    """The markdown fit report printed by the command (tables pasted into the docs)."""
    s = cal.summary
    sw = s["sweeps"][0]
    lines = [f"# Calibration report\n\nCommand: `{command}`\n",
             f"Stage 1: {sw['points']} points x {sw['replications']} replications per "
             f"scenario ({', '.join(f'{x['scenario']} {x['runs']} runs' for x in s['sweeps'])}). "
             f"Stage 2: the best {s['refine']['points']} x {s['refine']['replications']} "
             f"replications. Chosen: stage-1 point {s['chosen_point']} (stage-1 rank "
             f"{s['stage1_rank']}, loss {s['stage1_loss']['loss']:.4f}; refined loss "
             f"{s['refined'][0]['loss']:.4f}). Confirmation: {s['confirm']['replications']} "
             f"replications, fresh seeds, loss {s['confirm_loss']:.4f}.\n",
             "## Chosen values\n", markdown_table(chosen_table(s), nd=4),
             "\n## Stage 2 (refined losses of the best stage-1 points)\n",
             markdown_table(pd.DataFrame(s["refined"]), nd=4),
             f"\n## Fit measures (confirmation runs; threshold {s['threshold']})\n",
             markdown_table(metrics_table(s["fit"])), ""]
    lines += [f"## The model at its default parameters (same runs: {s['confirm']['replications']} "
              "replications, same seeds)\n",
              markdown_table(metrics_table(s["defaults"]["fit"])), "",
              "## Yardsticks: AUC of ranking the scored states by one input alone\n",
              markdown_table(pd.DataFrame(
                  [{"scenario": n, "facts": st, **v} for n, sets in s["baselines"].items()
                   for st, v in sets.items()])), ""]
    if s["leaky_inputs"]:
        lines += ["## The leak: the chosen point with the ISS guest flights left in "
                  "capability (data/states_model.csv)\n",
                  markdown_table(metrics_table(s["leaky_inputs"])), ""]
    for name, pr in cal.confirm_preds.items():
        lines += [f"## {name}: observed positives and the highest-predicted negatives\n",
                  markdown_table(states_table(pr)), ""]
        both = pr[pr["set"].isin(SETS[:2])]
        lines += [f"### {name}: reliability (fit and held-out facts)\n",
                  markdown_table(reliability(both["observed"], both["p"])), ""]
    lines.append(f"Wall time: {', '.join(f'{k} {v} s' for k, v in s['timing_s'].items())}; "
                 f"total {s.get('elapsed_s', 0)} s.")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- figures


def reliability_figure(preds: dict[str, pd.DataFrame], bins: int = 5) -> Figure:
    """Reliability diagram: observed frequency against mean predicted probability per bin,
    one panel per scenario, fit and held-out facts apart; marker area ~ states in the bin."""
    fig = Figure(figsize=(4.2 * len(preds), 4.2), layout="constrained")
    axes = fig.subplots(1, len(preds), squeeze=False)[0]
    colours = {"fit": "#0072B2", "held_out": "#D55E00"}
    for ax, (name, pr) in zip(axes, preds.items(), strict=True):
        ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
        for s, col in colours.items():
            g = pr[pr["set"] == s]
            rel = reliability(g["observed"], g["p"], bins)
            ax.plot(rel["mean_predicted"], rel["observed"], color=col, lw=1, alpha=0.7)
            ax.scatter(rel["mean_predicted"], rel["observed"], s=12 + 6 * rel["n"],
                       color=col, alpha=0.75, edgecolor="white",
                       label=f"{s.replace('_', '-')} ({len(g)} states, "
                             f"{int(g['observed'].sum())} joined)")
            for r in rel.itertuples():
                ax.annotate(str(r.n), (r.mean_predicted, r.observed), fontsize=7,
                            xytext=(4, -9 if s == "fit" else 4), textcoords="offset points",
                            color=col)
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("predicted probability (bin mean)")
        ax.set_ylabel("observed frequency")
        ax.set_title(name)
        ax.legend(loc="upper left", fontsize=7, frameon=False)
    return fig


def states_figure(preds: dict[str, pd.DataFrame], top: int = 25) -> Figure:
    """Each state's predicted probability on its fit fact (filled) and held-out fact
    (hollow), green where it happened; every state that joined, then the highest
    predicted, up to ``top`` rows per scenario."""
    fig = Figure(figsize=(4.8 * len(preds), 0.2 * top + 1.6), layout="constrained")
    axes = fig.subplots(1, len(preds), squeeze=False)[0]
    for ax, (name, pr) in zip(axes, preds.items(), strict=True):
        g = pr[pr["set"].isin(SETS[:2])]
        p_w = g.pivot(index="iso3", columns="set", values="p")
        obs_w = g.pivot(index="iso3", columns="set", values="observed")
        names = g.drop_duplicates("iso3").set_index("iso3")["name"]
        joined = pd.Series(np.nan_to_num(obs_w.to_numpy(float)).max(axis=1) > 0,
                           index=obs_w.index)
        rank = pd.Series(np.nanmax(p_w.to_numpy(float), axis=1), index=p_w.index)
        order = pd.concat([rank[joined].sort_values(ascending=False),
                           rank[~joined].sort_values(ascending=False)])
        keep = order.index[:top]
        keep = rank.loc[keep].sort_values(kind="stable").index  # highest at the top
        y = np.arange(len(keep))
        for s, filled in (("fit", True), ("held_out", False)):
            if s not in p_w.columns:
                continue
            p = p_w[s].reindex(keep)
            obs = obs_w[s].reindex(keep)
            for val, col in ((1, "#009E73"), (0, "#999999")):
                m = (obs == val).to_numpy()
                lab = f"{'joined' if val else 'did not'} ({s.replace('_', '-')})"
                ax.scatter(p[m], y[m], s=32, label=lab, color=col if filled else "none",
                           edgecolor=col, linewidth=1.3)
        ax.set_yticks(y, [f"{i} {str(names[i])[:14]}" for i in keep], fontsize=7)
        ax.axvline(THRESHOLD, color="0.7", lw=1, ls=":")
        ax.set_xlim(-0.03, 1.03)
        ax.set_xlabel("predicted probability")
        ax.set_title(f"{name}: states that joined and the highest predicted", fontsize=9)
        ax.legend(loc="lower right", fontsize=7, frameon=True)
    return fig


def save_figure(fig: Figure, path: Path, dpi: int = 120) -> None:
    """Write a figure as PNG, atomically."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


def write_outputs(cal: Calibration, command: str, figures: Path | None) -> str:
    """Write ``calibration.json``, ``points.csv``, ``refined.csv``, ``report.md``,
    ``predictions_<scenario>.csv`` (and the figures); return the report text."""
    text = report_text(cal, command)
    write_json({**cal.summary, "command": command}, cal.out / "calibration.json")
    tables = {"points.csv": cal.points, "refined.csv": cal.refined,
              **{f"predictions_{n}.csv": pr for n, pr in cal.confirm_preds.items()}}
    for fname, df in tables.items():
        _write_csv(df, cal.out / fname)
    _write_text(text, cal.out / "report.md")
    if figures is not None:
        save_figure(reliability_figure(cal.confirm_preds), figures / "calibration_reliability.png")
        save_figure(states_figure(cal.confirm_preds), figures / "calibration_states.png")
    return text


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    def write(tmp: Path) -> None:
        df.to_csv(tmp, index=False, float_format="%.6g")
    atomic_write(path, write)


def _write_text(text: str, path: Path) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
    atomic_write(path, write)
