"""The result of a sensitivity analysis (:class:`SensitivityResult`): its table, the
parameters ranked, its header, summary, display table and Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis.sensitivity.estimators import CONF_LEVEL
from stationsim.running.sweep import MORRIS_LEVELS


@dataclass
class SensitivityResult:
    """The indices of every outcome, and how they were computed.

    Attributes
    ----------
    method : {"sobol", "morris"}
    table : DataFrame
        One row per outcome x parameter.  Sobol': ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf``; Morris: ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``.
        Sobol' with independent seeds and replications: ``S1_net``,
        ``ST_net`` (net of replication noise).  Both methods: ``mean`` and
        ``sd`` of the outcome's point means and ``replication_noise`` (see the
        module docstring).
    parameters : list of str
        Varied fields (dotted paths), in the sweep's order.
    outcomes : list of str
        Outcomes analysed, in table order.
    skipped : dict
        Outcome -> why it was not analysed (constant, missing values).
    figure_outcomes : list of str
        Outcomes of the bar figure.
    settings : dict
        Samples, points, replications, runs, seeds, bootstrap settings, source.
    """

    method: str
    table: pd.DataFrame
    parameters: list[str]
    outcomes: list[str]
    skipped: dict[str, str] = field(default_factory=dict)
    figure_outcomes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The index that ranks parameters: ``ST`` (Sobol') or ``mu_star`` (Morris)."""
        return "ST" if self.method == "sobol" else "mu_star"

    def top(self, k: int = 3) -> pd.DataFrame:
        """The ``k`` most influential parameters of each outcome (by :attr:`key`)."""
        t = self.table.sort_values(["outcome", self.key], ascending=[True, False],
                                   kind="stable")
        t = t.groupby("outcome", sort=False).head(k)
        order = {o: i for i, o in enumerate(self.outcomes)}
        return t.sort_values("outcome", key=lambda s: s.map(order), kind="stable")

    def header(self) -> list[str]:
        """Lines saying what was computed and how."""
        s = self.settings
        design = (f"Saltelli/Sobol' design, N = {s.get('samples')} base samples"
                  if self.method == "sobol" else
                  f"Morris design, {s.get('samples')} trajectories on {MORRIS_LEVELS} levels")
        what = ("first-order S1 and total ST indices (SALib.analyze.sobol)"
                if self.method == "sobol" else
                "mu, mu* (per full range of a parameter) and sigma (SALib.analyze.morris)")
        lines = [
            f"{self.method} sensitivity of {s.get('scenario', '')}: {what}.",
            f"{design}: {s.get('points')} points x {s.get('replications')} replication(s) = "
            f"{s.get('runs')} runs; {len(self.parameters)} parameters: "
            + ", ".join(self.parameters) + ".",
            "Each outcome is averaged over the replications of a point first; the indices are "
            "those of the point mean"
            + (" (common random numbers: every point uses the same seeds)."
               if s.get("common_random_numbers") else " (independent seeds per run)."),
            f"Intervals: {round(100 * s.get('conf_level', CONF_LEVEL))} % bootstrap, "
            f"{s.get('num_resamples')} resamples, seed {s.get('seed')}.",
        ]
        if (s.get("replications") or 1) <= 1:
            lines.append("One replication per point: replication noise cannot be told apart "
                         "from the parameters' effects (run more replications).")
        elif s.get("net_of_noise"):
            lines.append("replication_noise: the share of the point means' variance due to "
                         "replication noise; it inflates every ST (and deflates S1) by about "
                         "that share; S1_net and ST_net are the indices net of it.")
        elif self.method == "sobol":
            lines.append("replication_noise: the share of the point means' variance due to "
                         "replication noise; with common random numbers it is not independent "
                         "between points and no net indices are given.")
        else:
            lines.append("replication_noise: the share of the point means' variance due to "
                         "replication noise; it adds to every elementary effect, so a mu* "
                         "of the size noise alone gives is no effect.")
        if self.skipped:
            lines.append("Not analysed: " + "; ".join(f"{o} ({why})"
                                                      for o, why in self.skipped.items()) + ".")
        return lines

    def summary(self, k: int = 3, outcomes: Sequence[str] | None = None) -> str:
        """Human text: the header and the top ``k`` parameters of each outcome (default:
        every outcome analysed)."""
        lines = [*self.header(), ""]
        key, conf = self.key, f"{self.key}_conf"
        top = self.top(k)
        if outcomes is not None:
            top = top[top["outcome"].isin(list(outcomes))]
            lines.append(f"Top {k} parameters by {key} of {len(set(top['outcome']))} of the "
                         f"{len(self.outcomes)} outcomes analysed (all in the table):")
        for oc, rows in top.groupby("outcome", sort=False):
            parts = [f"{short_name(str(r['parameter']))} {r[key]:.3g}"
                     + (f" ± {r[conf]:.2g}" if conf in r else "")
                     + (f" (net {r['ST_net']:.2f})" if "ST_net" in r and key == "ST" else "")
                     for r in rows.to_dict("records")]
            noise = rows["replication_noise"].iloc[0]
            lines.append(f"  {oc}: " + ", ".join(parts)
                         + (f"; noise {noise:.2f}" if np.isfinite(noise) else ""))
        return "\n".join(lines)

    def display(self) -> pd.DataFrame:
        """Outcome x parameter table of formatted cells (``ST ± ci · S1 · net ST_net`` or
        ``mu* ± ci (σ sigma)``)."""
        t = self.table
        if self.method == "sobol":
            net = "ST_net" in t.columns
            cells = [f"{r['ST']:.2f} ± {r['ST_conf']:.2f} · S1 {r['S1']:.2f}"
                     + (f" · net {r['ST_net']:.2f}" if net else "")
                     for r in t.to_dict("records")]
        else:
            cells = [f"{r.mu_star:.3g} ± {r.mu_star_conf:.2g} (σ {r.sigma:.3g})"
                     for r in t.itertuples()]
        wide = t.assign(cell=cells).pivot(index="outcome", columns="parameter", values="cell")
        wide = wide.reindex(index=self.outcomes, columns=self.parameters)
        wide.columns = [short_name(c) for c in wide.columns]
        noise = t.groupby("outcome")["replication_noise"].first().reindex(self.outcomes)
        wide["replication noise"] = [f"{v:.2f}" if np.isfinite(v) else "" for v in noise]
        return wide.reset_index()

    def to_markdown(self) -> str:
        """A Markdown document: the header and the full table."""
        from stationsim.analysis.compare import markdown_table

        fmt = self.table.copy()
        for c in fmt.columns:
            if pd.api.types.is_float_dtype(fmt[c]):
                fmt[c] = fmt[c].map(lambda v: "NA" if pd.isna(v) else f"{v:.4g}")
        return "\n".join([*(f"{h}  " for h in self.header()), "", markdown_table(fmt)]) + "\n"


def short_name(path: str) -> str:
    """``parameters.learn_rate`` -> ``learn_rate``; other paths unchanged."""
    return path.split(".", 1)[1] if path.startswith("parameters.") else path
