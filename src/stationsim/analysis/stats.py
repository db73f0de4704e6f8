"""Intervals that mean what they say: proportions and (paired) bootstrap means.

* **Proportions** (:func:`proportion_ci`): Wilson's score interval (Wilson
  1927) or the Clopper-Pearson "exact" interval (Clopper & Pearson 1934),
  both through :meth:`scipy.stats.binomtest`'s ``proportion_ci``.  Unlike a
  percentile bootstrap, neither collapses to ``[0, 0]`` at 0 of *n*: 0 of 30
  gives Wilson ``[0, 0.114]`` and Clopper-Pearson ``[0, 0.116]`` at 95 %, so
  "fewer than 5 % of runs" is not supported by 30 runs that never saw it.
* **Means** (:func:`bootstrap_mean_ci`, :func:`bootstrap_contrast_ci`): the
  percentile bootstrap of :func:`scipy.stats.bootstrap`, drawing from a
  :class:`numpy.random.Generator` the caller builds from its seeds, so every
  interval is reproducible.  A paired contrast (arms run with common random
  numbers) is the bootstrap of the mean of the per-replication contrasts; an
  unpaired one resamples each arm on its own (``paired=False`` over several
  samples).

:class:`Interval` carries the bounds and the method's name, which
``tests.csv`` of an experiment writes beside every interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as _st

#: Names of the interval methods, as written in result tables.
WILSON = "wilson"
CLOPPER_PEARSON = "clopper-pearson"
BOOTSTRAP = "percentile bootstrap"
PAIRED_BOOTSTRAP = "paired percentile bootstrap"
#: Cap of values held at once by one bootstrap batch (memory, not results).
_BATCH_VALUES = 2_000_000


@dataclass(frozen=True)
class Interval:
    """A confidence interval and the method that gave it."""

    low: float
    high: float
    method: str

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0


def proportion_ci(k: int, n: int, level: float = 0.95,
                  method: Literal["wilson", "clopper-pearson"] = "wilson") -> Interval:
    """Interval of a proportion ``k / n`` (Wilson score or Clopper-Pearson exact).

    ``n = 0`` gives ``[nan, nan]``.
    """
    k, n = int(k), int(n)
    if n <= 0:
        return Interval(float("nan"), float("nan"), method)
    if not 0 <= k <= n:
        raise ValueError(f"k must be in [0, n], not {k} of {n}")
    kind = "wilson" if method == WILSON else "exact"
    if method not in (WILSON, CLOPPER_PEARSON):
        raise ValueError(f"method must be {WILSON!r} or {CLOPPER_PEARSON!r}, not {method!r}")
    ci = _st.binomtest(k, n).proportion_ci(confidence_level=level, method=kind)
    return Interval(float(max(0.0, ci.low)), float(min(1.0, ci.high)), method)


def is_binary(x: np.ndarray) -> bool:
    """True when every value is 0 or 1 (a proportion's data)."""
    a = np.asarray(x, dtype=float)
    return bool(a.size) and bool(np.isin(a, (0.0, 1.0)).all())


def _batch(n: int) -> int:
    return max(1, _BATCH_VALUES // max(1, n))


def bootstrap_mean_ci(x: Sequence[float] | np.ndarray, rng: np.random.Generator,
                      n_boot: int = 2000, level: float = 0.95,
                      method: str = BOOTSTRAP) -> Interval:
    """Percentile bootstrap interval of ``mean(x)`` (:func:`scipy.stats.bootstrap`).

    One value (or none) gives a degenerate interval at the value (or NaN).
    """
    a = np.asarray(x, dtype=float)
    if a.size == 0:
        return Interval(float("nan"), float("nan"), method)
    if a.size == 1 or np.ptp(a) == 0:
        return Interval(float(a[0]), float(a[0]), method)
    res = _st.bootstrap((a,), np.mean, n_resamples=n_boot, confidence_level=level,
                        method="percentile", vectorized=True, batch=_batch(a.size), rng=rng)
    ci = res.confidence_interval
    return Interval(float(ci.low), float(ci.high), method)


def bootstrap_contrast_ci(samples: Sequence[Sequence[float] | np.ndarray],
                          weights: Sequence[float], rng: np.random.Generator,
                          n_boot: int = 2000, level: float = 0.95) -> Interval:
    """Percentile bootstrap interval of ``sum_i w_i * mean(x_i)``, samples resampled apart."""
    arrs = [np.asarray(s, dtype=float) for s in samples]
    if not arrs or any(a.size == 0 for a in arrs):
        return Interval(float("nan"), float("nan"), BOOTSTRAP)
    w = np.asarray(weights, dtype=float)
    if all(a.size == 1 or np.ptp(a) == 0 for a in arrs):
        v = float(sum(wi * a[0] for wi, a in zip(w, arrs, strict=True)))
        return Interval(v, v, BOOTSTRAP)

    def stat(*xs: np.ndarray, axis: int = -1) -> np.ndarray:
        return sum(wi * np.mean(xi, axis=axis) for wi, xi in zip(w, xs, strict=True))

    res = _st.bootstrap(tuple(arrs), stat, n_resamples=n_boot, confidence_level=level,
                        method="percentile", vectorized=True, paired=False,
                        batch=_batch(max(a.size for a in arrs)), rng=rng)
    ci = res.confidence_interval
    return Interval(float(ci.low), float(ci.high), BOOTSTRAP)


def bootstrap_diff_ci(ref: Sequence[float] | np.ndarray, other: Sequence[float] | np.ndarray,
                      rng: np.random.Generator, n_boot: int = 2000,
                      level: float = 0.95) -> Interval:
    """Percentile bootstrap interval of ``mean(other) - mean(ref)`` (unpaired)."""
    return bootstrap_contrast_ci([other, ref], [1.0, -1.0], rng, n_boot, level)


def mean_ci(x: Sequence[float] | np.ndarray, rng: np.random.Generator, n_boot: int = 2000,
            level: float = 0.95, proportion: str = WILSON,
            paired: bool = False) -> Interval:
    """The interval of ``mean(x)`` that fits the data.

    0/1 data (a share of runs): the proportion interval ``proportion``
    (Wilson, or ``clopper-pearson``); anything else: the percentile
    bootstrap (named paired when ``x`` are per-replication contrasts).
    """
    a = np.asarray(x, dtype=float)
    if proportion in (WILSON, CLOPPER_PEARSON) and is_binary(a):
        return proportion_ci(int(a.sum()), int(a.size), level, proportion)  # type: ignore[arg-type]
    return bootstrap_mean_ci(a, rng, n_boot, level, PAIRED_BOOTSTRAP if paired else BOOTSTRAP)
