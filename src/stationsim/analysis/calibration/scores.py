"""Scores of predicted probabilities against observed facts: Brier (plain and
class-balanced, the calibration's loss), log loss, AUC, the classification at
:data:`THRESHOLD`, reliability bins (``docs/calibration.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import rankdata

from stationsim.analysis.metrics import arrays

ArrayLike = Sequence[float] | npt.NDArray[Any] | pd.Series
#: Predicted probability at or above which a state counts as predicted to join.
THRESHOLD = 0.5


def brier(y: ArrayLike, p: ArrayLike) -> float:
    """Brier score: mean squared difference between probability and outcome (0 best)."""
    ya, pa = arrays(y, p)
    return float(np.mean((pa - ya) ** 2)) if ya.size else float("nan")


def balanced_brier(y: ArrayLike, p: ArrayLike) -> float:
    """Class-balanced Brier score: the mean of the Brier scores of positives and of negatives.

    With few positives (7-8 % of the scored states) the plain Brier score of a
    model in which nobody joins is already low; weighting both classes
    equally makes missing a join cost as much, in total, as false joins.
    A class that is absent contributes nothing (the other's score is returned).
    """
    ya, pa = arrays(y, p)
    parts = [float(np.mean((pa[ya == c] - c) ** 2)) for c in (0.0, 1.0) if (ya == c).any()]
    return float(np.mean(parts)) if parts else float("nan")


def log_loss(y: ArrayLike, p: ArrayLike, eps: float = 1e-3) -> float:
    """Mean negative log-likelihood, probabilities clipped to ``[eps, 1 - eps]``."""
    ya, pa = arrays(y, p)
    pc = np.clip(pa, eps, 1.0 - eps)
    return float(-np.mean(ya * np.log(pc) + (1 - ya) * np.log(1 - pc))) if ya.size \
        else float("nan")


def auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve, rank-based (Mann-Whitney U / (n_pos n_neg)); ties count half.

    NaN when one class is absent.
    """
    ya, pa = arrays(y, p)
    n_pos = int((ya == 1).sum())
    n_neg = int(ya.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(pa)  # average ranks for ties
    u = ranks[ya == 1].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def classification(y: ArrayLike, p: ArrayLike, threshold: float = THRESHOLD) -> dict[str, float]:
    """Confusion counts, precision, recall and F1 with ``p >= threshold`` predicted positive.

    Precision is NaN when nothing is predicted positive; recall NaN when there
    is no positive; F1 is 0 when precision or recall is 0 (NaN if either is NaN).
    """
    ya, pa = arrays(y, p)
    pred = pa >= threshold
    tp = int((pred & (ya == 1)).sum())
    fp = int((pred & (ya == 0)).sum())
    fn = int((~pred & (ya == 1)).sum())
    tn = int((~pred & (ya == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    if np.isnan(precision) or np.isnan(recall):
        f1 = float("nan")
    elif precision + recall == 0:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision, "recall": recall,
            "f1": f1}


def metrics(y: ArrayLike, p: ArrayLike, threshold: float = THRESHOLD) -> dict[str, float]:
    """Every fit measure of one set of facts: counts, Brier scores, log loss, AUC, P/R/F1."""
    ya, pa = arrays(y, p)
    out: dict[str, float] = {"n": int(ya.size), "positives": int(ya.sum()),
                             "expected_joins": float(pa.sum())}
    out.update(brier=brier(ya, pa), balanced_brier=balanced_brier(ya, pa),
               log_loss=log_loss(ya, pa), auc=auc(ya, pa))
    out.update(classification(ya, pa, threshold))
    return out


def reliability(y: ArrayLike, p: ArrayLike, bins: int = 5) -> pd.DataFrame:
    """Reliability table: per equal-width bin of predicted probability, its count,
    mean prediction and observed frequency (empty bins dropped)."""
    ya, pa = arrays(y, p)
    k = np.minimum((pa * bins).astype(int), bins - 1)
    rows = [{"bin": f"[{b / bins:.1f}, {(b + 1) / bins:.1f}{']' if b == bins - 1 else ')'}",
             "n": int((k == b).sum()), "mean_predicted": float(pa[k == b].mean()),
             "observed": float(ya[k == b].mean())}
            for b in range(bins) if (k == b).any()]
    return pd.DataFrame(rows, columns=["bin", "n", "mean_predicted", "observed"])
