"""Censored durations and discrete outcomes: which runs' numbers are not
durations (the event never happened), the median of a censored sample, whether
an outcome takes few integer values (drawn as bars, not a density).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stationsim.present.plots.labels import split_outcome, station_prefixes
from stationsim.present.plots.layout import _finite

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
