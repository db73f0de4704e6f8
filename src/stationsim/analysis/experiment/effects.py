"""Paired effects: a contrast of the arms' means with its confidence interval.

With common random numbers the arms are compared replication by replication
(the bootstrap resamples replications, the arms kept together); a single arm
of 0/1 values gets a proportion interval (:mod:`stationsim.analysis.stats`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stationsim.analysis import compare as C
from stationsim.analysis import stats as ST
from stationsim.running.batch import named_rng


@dataclass(frozen=True)
class Estimate:
    """A contrast's estimate: effect, its interval, runs used."""

    effect: float
    ci_low: float
    ci_high: float
    n: int
    arm_means: dict[str, float]
    arm_n: dict[str, int]
    cliffs_delta: float = float("nan")
    method: str = ""

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2.0


def _rng(seed: int, test: str, what: str) -> np.random.Generator:
    return named_rng(seed, test, what)


def estimate(values: Mapping[str, pd.Series], weights: Mapping[str, float], *, paired: bool,
             rng: np.random.Generator, n_boot: int = C.N_BOOT,
             level: float = 0.95, proportion: str = ST.WILSON) -> Estimate:
    """Estimate ``sum_a w_a * mean(x_a)`` with its confidence interval.

    The interval (:mod:`stationsim.analysis.stats`): for one arm of weight 1
    whose values are all 0 or 1 (a share of runs), the proportion interval
    ``proportion`` (``wilson`` or ``clopper-pearson``; ``none`` to bootstrap
    it); otherwise the percentile bootstrap of :func:`scipy.stats.bootstrap`
    drawing from ``rng``.

    Parameters
    ----------
    values : dict of Series
        Per arm, one value per run, indexed by the replication (missing
        values are left out).
    weights : dict
        The contrast's weight of each arm.
    paired : bool
        Replications of the arms share seeds (common random numbers): the
        effect is the mean over replications of ``sum_a w_a x_a(r)`` (a
        replication missing in any arm is left out) and the bootstrap
        resamples replications.  Otherwise each arm's mean is resampled on
        its own.
    rng : numpy Generator
        The bootstrap's generator.
    proportion : str
        The interval of a proportion (see above).
    """
    arms = list(weights)
    clean = {a: pd.to_numeric(values[a], errors="coerce").astype(float).dropna() for a in arms}
    means = {a: float(clean[a].mean()) if len(clean[a]) else float("nan") for a in arms}
    ns = {a: len(clean[a]) for a in arms}
    delta = float("nan")
    pos = [a for a in arms if weights[a] > 0]
    neg = [a for a in arms if weights[a] < 0]
    if len(pos) == 1 and len(neg) == 1 and len(arms) == 2:
        delta = C.cliffs_delta(clean[neg[0]].to_numpy(), clean[pos[0]].to_numpy())
    # a single arm of weight 1 holding 0/1 values is a proportion of runs
    prop = proportion if len(arms) == 1 and weights[arms[0]] == 1.0 else "none"
    nan = float("nan")
    if paired or len(arms) == 1:
        frame = pd.concat([clean[a].rename(a) for a in arms], axis=1, join="inner")
        d = (frame[arms].to_numpy() @ np.array([weights[a] for a in arms], dtype=float))
        if d.size == 0:
            return Estimate(nan, nan, nan, 0, means, ns, delta, method="")
        ci = ST.mean_ci(d, rng, n_boot, level, proportion=prop, paired=len(arms) > 1)
        return Estimate(float(d.mean()), ci.low, ci.high, int(d.size), means, ns, delta,
                        method=ci.method)
    if any(ns[a] == 0 for a in arms):
        return Estimate(nan, nan, nan, 0, means, ns, delta, method="")
    ci = ST.bootstrap_contrast_ci([clean[a].to_numpy() for a in arms],
                                  [weights[a] for a in arms], rng, n_boot, level)
    effect = float(sum(weights[a] * means[a] for a in arms))
    return Estimate(effect, ci.low, ci.high, int(min(ns.values())), means, ns, delta,
                    method=ci.method)


def contrast_text(weights: Mapping[str, float]) -> str:
    """``quid_pro_quo - hub_and_spoke``; ``mean(arm)`` for one arm of weight 1."""
    if len(weights) == 1 and next(iter(weights.values())) == 1.0:
        return f"mean({next(iter(weights))})"
    parts = []
    for k, (a, w) in enumerate(weights.items()):
        sign = "-" if w < 0 else ("+" if k else "")
        mag = "" if abs(w) == 1.0 else f"{abs(w):g}*"
        parts.append(f"{sign} {mag}{a}".strip() if k else f"{sign}{mag}{a}")
    return " ".join(parts)
