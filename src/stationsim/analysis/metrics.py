"""Scores of probabilistic predictions of binary facts, with intervals (issue 12, part 5).

* :func:`auc`: area under the ROC curve, the Mann-Whitney U statistic divided by
  ``n_pos * n_neg`` (a tie between a positive and a negative counts one half);
  :func:`delong_ci`: its interval by DeLong, DeLong & Clarke-Pearson (1988),
  with the fast midrank algorithm of Sun & Xu (2014).
* :func:`brier`, :func:`log_loss` (probabilities clipped to ``[eps, 1 - eps]``).
* :func:`bootstrap_ci`: a percentile interval of any of them by a *stratified*
  bootstrap (positives and negatives resampled apart, so every resample has
  the observed number of each class); :func:`paired_difference_ci`: the same
  for the difference between two scorers on the same facts (one resample of
  the states for both: paired).

Every random draw comes from the generator passed in (``numpy.random.Generator``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm, rankdata

ArrayLike = Sequence[float] | npt.NDArray[Any] | pd.Series
FloatArray = npt.NDArray[np.float64]
Metric = Callable[[FloatArray, FloatArray], float]

#: Clipping of probabilities in the log loss (shared with calibration.log_loss).
LOG_LOSS_EPS = 1e-3
#: Bootstrap resamples for intervals.
N_BOOT = 2000


def arrays(y: ArrayLike, p: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """``y`` (0/1) and ``p`` (in [0, 1]) as float arrays, checked."""
    ya = np.asarray(y, dtype=float)
    pa = np.asarray(p, dtype=float)
    if ya.shape != pa.shape or ya.ndim != 1:
        raise ValueError("y and p must be 1-d and of equal length")
    if not np.isin(ya, (0.0, 1.0)).all():
        raise ValueError("y must be 0 or 1")
    if np.isnan(pa).any() or ((pa < 0) | (pa > 1)).any():
        raise ValueError("p must be probabilities in [0, 1]")
    return ya, pa


def auc(y: ArrayLike, p: ArrayLike) -> float:
    """Mann-Whitney AUC (ties count one half); NaN when a class is absent."""
    ya = np.asarray(y, dtype=float)
    pa = np.asarray(p, dtype=float)
    n_pos = int((ya == 1).sum())
    n_neg = int(ya.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(pa)
    return float((ranks[ya == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def brier(y: ArrayLike, p: ArrayLike) -> float:
    """Mean squared difference between probability and outcome (0 best)."""
    ya, pa = arrays(y, p)
    return float(np.mean((pa - ya) ** 2)) if ya.size else float("nan")


def log_loss(y: ArrayLike, p: ArrayLike, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log-likelihood, probabilities clipped to ``[eps, 1 - eps]``."""
    ya, pa = arrays(y, p)
    if not ya.size:
        return float("nan")
    pc = np.clip(pa, eps, 1.0 - eps)
    return float(-np.mean(ya * np.log(pc) + (1 - ya) * np.log(1 - pc)))


#: The metrics of the validation table, by name.
METRICS: dict[str, Metric] = {"auc": auc, "brier": brier, "log_loss": log_loss}


def delong(y: ArrayLike, p: ArrayLike) -> tuple[float, float]:
    """AUC and its DeLong variance (NaN variance with fewer than 2 of a class)."""
    ya = np.asarray(y, dtype=float)
    pa = np.asarray(p, dtype=float)
    pos, neg = pa[ya == 1], pa[ya == 0]
    m, n = pos.size, neg.size
    if m == 0 or n == 0:
        return float("nan"), float("nan")
    tx, ty = rankdata(pos), rankdata(neg)
    tz = rankdata(np.concatenate([pos, neg]))
    a = float((tz[:m].sum() - m * (m + 1) / 2.0) / (m * n))
    if m < 2 or n < 2:
        return a, float("nan")
    v10 = (tz[:m] - tx) / n          # per positive: share of negatives below (ties 1/2)
    v01 = 1.0 - (tz[m:] - ty) / m    # per negative: share of positives above (ties 1/2)
    var = float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    return a, var


def delong_ci(y: ArrayLike, p: ArrayLike, level: float = 0.95) -> tuple[float, float]:
    """DeLong interval of the AUC, clipped to [0, 1] (NaN when the variance is undefined)."""
    a, var = delong(y, p)
    if np.isnan(var):
        return float("nan"), float("nan")
    z = float(norm.ppf(0.5 + level / 2.0))
    half = z * np.sqrt(max(var, 0.0))
    return float(max(0.0, a - half)), float(min(1.0, a + half))


def _strata_resamples(y: FloatArray, rng: np.random.Generator, n_boot: int) -> npt.NDArray[Any]:
    """``n_boot`` x ``len(y)`` indices: each class resampled with replacement apart."""
    idx = np.arange(y.size)
    parts = []
    for c in (1.0, 0.0):
        members = idx[y == c]
        if members.size:
            parts.append(members[rng.integers(0, members.size, size=(n_boot, members.size))])
    return np.concatenate(parts, axis=1) if parts else np.empty((n_boot, 0), dtype=int)


def _percentile(values: FloatArray, level: float) -> tuple[float, float]:
    v = values[~np.isnan(values)]
    if not v.size:
        return float("nan"), float("nan")
    lo, hi = np.quantile(v, [0.5 - level / 2.0, 0.5 + level / 2.0])
    return float(lo), float(hi)


def bootstrap_ci(metric: Metric, y: ArrayLike, p: ArrayLike, rng: np.random.Generator,
                 n_boot: int = N_BOOT, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of ``metric`` by a stratified bootstrap over the facts."""
    ya, pa = arrays(y, p)
    if not ya.size:
        return float("nan"), float("nan")
    draws = _strata_resamples(ya, rng, n_boot)
    vals = np.array([metric(ya[d], pa[d]) for d in draws], dtype=float)
    return _percentile(vals, level)


def paired_difference_ci(metric: Metric, y: ArrayLike, p_a: ArrayLike, p_b: ArrayLike,
                         rng: np.random.Generator, n_boot: int = N_BOOT,
                         level: float = 0.95) -> tuple[float, float, float]:
    """``metric(a) - metric(b)`` on the same facts and its paired stratified-bootstrap
    percentile interval (each resample of the states scores both)."""
    ya, pa = arrays(y, p_a)
    _, pb = arrays(y, p_b)
    diff = metric(ya, pa) - metric(ya, pb)
    if not ya.size:
        return float("nan"), float("nan"), float("nan")
    draws = _strata_resamples(ya, rng, n_boot)
    vals = np.array([metric(ya[d], pa[d]) - metric(ya[d], pb[d]) for d in draws], dtype=float)
    lo, hi = _percentile(vals, level)
    return float(diff), lo, hi


def reliability(y: ArrayLike, p: ArrayLike, bins: int = 5) -> pd.DataFrame:
    """Per equal-width bin of predicted probability: count, mean prediction, observed
    frequency (empty bins dropped)."""
    ya, pa = arrays(y, p)
    k = np.minimum((pa * bins).astype(int), bins - 1)
    rows = [{"bin": b, "n": int((k == b).sum()), "mean_predicted": float(pa[k == b].mean()),
             "observed": float(ya[k == b].mean())} for b in range(bins) if (k == b).any()]
    return pd.DataFrame(rows, columns=["bin", "n", "mean_predicted", "observed"])
