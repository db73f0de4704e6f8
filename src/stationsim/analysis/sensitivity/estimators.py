"""The indices of one outcome: SALib's Sobol' and Morris estimators (:func:`_indices`),
and SALib's first-order and total Sobol' indices computed without its repeated work
(:func:`sobol_first_total`, bit for bit); the bootstrap settings."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from stationsim.running.sweep import MORRIS_LEVELS

#: Bootstrap resamples of the confidence intervals.
NUM_RESAMPLES = 1000
#: Level of the confidence intervals.
CONF_LEVEL = 0.95
#: Seed of the bootstrap (written in the outputs).
DEFAULT_SEED = 20240607


def _indices(method: str, problem: dict[str, Any], X: np.ndarray, y: np.ndarray,
             second_order: bool, num_resamples: int, conf_level: float,
             seed: int) -> list[dict[str, float]]:
    """SALib's indices of one outcome, one dict per parameter."""
    with warnings.catch_warnings():  # constant blocks of Y: SALib warns, indices are 0
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        if method == "sobol" and seed:
            si = sobol_first_total(y, problem["num_vars"], second_order, num_resamples,
                                   conf_level, seed)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        elif method == "sobol":  # seed 0: SALib draws from numpy's global state
            from SALib.analyze import sobol

            si = sobol.analyze(problem, y, calc_second_order=second_order,
                               num_resamples=num_resamples, conf_level=conf_level, seed=seed)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            from SALib.analyze import morris

            si = morris.analyze(problem, X, y, num_resamples=num_resamples,
                                conf_level=conf_level, num_levels=MORRIS_LEVELS, seed=seed)
            keys = ("mu", "mu_star", "mu_star_conf", "sigma")
    return [{k: float(np.asarray(si[k])[i]) for k in keys} for i in range(problem["num_vars"])]


def _resampled(seed: int, n: int, num_resamples: int) -> np.ndarray:
    """The bootstrap rows SALib's ``sobol.analyze`` draws for ``seed``: the same for every
    outcome of an analysis (computed once per size; small: ``n x num_resamples`` ints)."""
    key = (seed, n, num_resamples)
    r = _RESAMPLED.get(key)
    if r is None:
        _RESAMPLED.clear()
        r = _RESAMPLED[key] = np.random.default_rng(seed).integers(n, size=(n, num_resamples))
    return r


_RESAMPLED: dict[tuple[int, int, int], np.ndarray] = {}


def _ratio(num: Any, y_var: Any) -> Any:
    eps = np.finfo(float).eps
    return np.divide(num, y_var, out=np.zeros_like(y_var, dtype=np.float64),
                     where=y_var > eps)


def sobol_first_total(y: np.ndarray, num_vars: int, second_order: bool, num_resamples: int,
                      conf_level: float, seed: int) -> dict[str, np.ndarray]:
    """``S1``, ``S1_conf``, ``ST``, ``ST_conf`` exactly as :func:`SALib.analyze.sobol.analyze`
    (SALib 1.6, ``seed`` non-zero) computes them, with the same operations on the same
    arrays, bit for bit -- without its repeated work.

    SALib's estimators are Saltelli et al. (2010)'s first-order and Jansen's total
    (``saltelli2010``), each normalised by the variance of ``[A; B]``, with bootstrap
    intervals ``Z * sd`` over ``num_resamples`` resamples of the N base rows.  SALib
    gathers the resampled ``A``, ``B`` and their variance again for each index of each
    parameter (five times per parameter) and, with ``second_order``, computes second-order
    indices the table does not use; here the resample rows (the same for every outcome:
    one seed), ``A[r]``, ``B[r]`` and the variance of ``[A[r]; B[r]]`` are computed once
    per outcome, ``AB[r, j]`` once per parameter, and no second-order index.
    ``tests/test_sensitivity.py`` holds it equal to SALib's, bit for bit.
    """
    from scipy.stats import norm

    eps = np.finfo(float).eps
    d = num_vars
    step = 2 * d + 2 if second_order else d + 2
    if y.size % step:
        raise RuntimeError("Incorrect number of samples in model output file.")
    n = y.size // step
    y = (y - y.mean()) / y.std()
    a, b = y[0:y.size:step], y[(step - 1):y.size:step]
    ab = np.zeros((n, d))
    for j in range(d):
        ab[:, j] = y[(j + 1):y.size:step]
    r = _resampled(seed, n, num_resamples)
    z = norm.ppf(0.5 + conf_level / 2)
    # the point estimates' and the resamples' [A; B], its spread and variance
    y0 = np.r_[a, b]
    const0 = np.ptp(y0) <= eps
    var0 = None if const0 else np.var(y0, axis=0)
    ar, br = a[r], b[r]
    yr = np.r_[ar, br]
    spread = np.ptp(yr)
    const_r = spread <= eps
    var_r = None if const_r else np.var(yr, axis=0)
    zero0 = np.zeros(y0.shape[1:], dtype=np.float64)
    zero_r = np.zeros(yr.shape[1:], dtype=np.float64)
    out = {k: np.zeros(d) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    for j in range(d):
        abj = ab[:, j]
        abrj = ab[r, j]
        out["S1"][j] = zero0 if const0 else _ratio(np.mean(b * (abj - a), axis=0), var0)
        s1r = zero_r if const_r else _ratio(np.mean(br * (abrj - ar), axis=0), var_r)
        out["S1_conf"][j] = z * s1r.std(ddof=1) if spread != 0.0 else 0.0
        out["ST"][j] = zero0 if const0 else _ratio(0.5 * np.mean((a - abj) ** 2, axis=0),
                                                   var0)
        str_ = zero_r if const_r else _ratio(0.5 * np.mean((ar - abrj) ** 2, axis=0), var_r)
        out["ST_conf"][j] = z * str_.std(ddof=1) if spread != 0.0 else 0.0
    return out
