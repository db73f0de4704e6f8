"""The intervals of fitted parameters: the fit facts' hits per point and replication
(:func:`fit_hits`), the argmin over bootstrap worlds (:func:`bootstrap_argmin`), the
intervals it gives (:func:`parameter_intervals`, :func:`grid_choice_text`) and the Monte
Carlo standard error of a point's loss."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis.calibration import balanced_brier, log_loss
from stationsim.analysis.validation.cases import Case
from stationsim.analysis.validation.facts import case_facts
from stationsim.model.scenario import Scenario


def fit_hits(case: Case, scn: Scenario, mem: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The raw material of the fit loss: ``hits[point, replication, fact]`` (1 if the state's
    first participation falls in the fact's window in that run) and ``observed[fact]``,
    over the case's **fit** facts (held-out facts are not read).

    Points are in ascending ``point`` order, replications in ascending order within each
    point (every point must have the same number), facts in ``iso3`` order.
    """
    facts = case_facts(case, scn)
    fit = facts[facts["set"] == "fit"].sort_values("iso3").reset_index(drop=True)
    m = mem[mem["station"] == case.station]
    if "point" not in m.columns:
        m = m.assign(point=0)
    m = m[m["iso3"].isin(fit["iso3"])].merge(fit[["iso3", "lo", "hi"]], on="iso3")
    jy = m["join_year"].astype("Float64")
    m = m.assign(hit=((jy >= m["lo"]) & (jy <= m["hi"])).fillna(False).astype(float))
    wide = m.pivot_table(index=["point", "replication"], columns="iso3", values="hit",
                         aggfunc="max", fill_value=0.0).reindex(columns=fit["iso3"],
                                                                fill_value=0.0)
    points = wide.index.get_level_values("point").unique()
    reps = wide.groupby(level="point").size()
    if reps.nunique() != 1:
        raise ValueError(f"{case.name}: points have unequal replications {sorted(set(reps))}")
    hits = wide.to_numpy().reshape(len(points), int(reps.iloc[0]), len(fit))
    return hits, fit["observed"].to_numpy(dtype=float)


#: The losses a fit may be chosen by: the calibration's class-balanced Brier score, or
#: the log loss (the choice of model v2's grids).
FIT_LOSSES: dict[str, Callable[[Any, Any], float]] = {"balanced_brier": balanced_brier,
                                                      "log_loss": log_loss}


def _losses(p: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Per point (rows of ``p``, probabilities over facts): its ``loss`` on facts ``y``."""
    return np.array([FIT_LOSSES[loss](y, row) for row in p])


def bootstrap_argmin(cases: Sequence[tuple[np.ndarray, np.ndarray]], n_boot: int,
                     rng: np.random.Generator, loss: str = "balanced_brier") -> np.ndarray:
    """Which point has the lowest mean fit loss, in each of ``n_boot`` bootstrap worlds.

    Each world resamples, per case, the replications of every point, each point
    independently (its runs have their own seeds: Monte Carlo noise), and the fit facts
    within each class (which states history happened to give us), and recomputes every
    point's loss on them (``balanced_brier``, the class-balanced Brier score of
    :func:`calibrate_cases`, or ``log_loss``); a point's loss is the mean over cases.
    Returns the index (into the points axis of the ``hits`` arrays of :func:`fit_hits`)
    of the argmin per world (points tied at the minimum, e.g. values of a parameter that
    changes nothing, share it at random).  The spread of the chosen parameter values over these
    worlds is the interval of a fitted parameter: the set of values the fit cannot tell
    apart from the chosen one.
    """
    if loss not in FIT_LOSSES:
        raise ValueError(f"loss {loss!r}: allowed balanced_brier, log_loss")
    n_points = cases[0][0].shape[0]
    total = np.zeros((n_boot, n_points))
    for hits, y in cases:
        if hits.shape[0] != n_points:
            raise ValueError("every case must score the same points")
        n_rep = hits.shape[1]
        classes = [np.flatnonzero(y == c) for c in (0.0, 1.0)]
        for b in range(n_boot):
            r = rng.integers(0, n_rep, size=(n_points, n_rep, 1))  # each point its own runs
            p = np.take_along_axis(hits, r, axis=1).mean(axis=1)   # (points, facts)
            f = np.concatenate([idx[rng.integers(0, idx.size, size=idx.size)]
                                for idx in classes if idx.size])
            total[b] += _losses(p[:, f], y[f], loss)
    total /= len(cases)
    # points whose losses are equal (a parameter that changes nothing) share the win:
    # one of them at random, so that the interval spans them all
    best = total.min(axis=1, keepdims=True)
    tied = np.abs(total - best) <= 1e-12
    pick = rng.random(total.shape) * tied
    return np.asarray(np.argmax(pick, axis=1))


def parameter_intervals(points: pd.DataFrame, columns: Sequence[str], chosen_point: int,
                        argmins: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Per fitted parameter: the chosen value and the percentile interval of the value
    chosen over the bootstrap worlds (:func:`bootstrap_argmin`), and how often the
    chosen point itself won.  ``points`` are the scored points (rows in the order of the
    ``argmins`` indices) with a ``point`` column and the parameter ``columns``."""
    a = (1.0 - level) / 2.0
    won = points["point"].to_numpy()[argmins]
    rows = []
    for c in columns:
        vals = points[c].to_numpy(dtype=float)[argmins]
        rows.append({"parameter": c.removeprefix("parameters."),
                     "chosen": float(points.loc[points["point"] == chosen_point, c].iloc[0]),
                     "lo": float(np.quantile(vals, a)), "hi": float(np.quantile(vals, 1 - a)),
                     "min": float(vals.min()), "max": float(vals.max())})
    out = pd.DataFrame(rows)
    out["chosen_point_wins"] = float(np.mean(won == chosen_point))
    out["distinct_winners"] = int(np.unique(won).size)
    return out


def grid_choice_text(grid: pd.DataFrame, columns: Sequence[str], argmins: np.ndarray,
                     loss: str = "log_loss") -> str:
    """The grid point with the lowest ``loss`` and each of ``columns``' interval over the
    bootstrap worlds (:func:`bootstrap_argmin`, whose point axis is ``grid``'s rows), as
    the fit scripts print it."""
    best = int(np.argmin(grid[loss].to_numpy()))
    pts = grid.reset_index(drop=True).assign(point=range(len(grid)))
    iv = parameter_intervals(pts, columns, best, argmins)
    chosen = ", ".join(f"{c} {v:g}" for c, v in zip(iv["parameter"], iv["chosen"], strict=True))
    lines = [f"lowest fit {loss}: {chosen}; it wins "
             f"{iv['chosen_point_wins'].iloc[0]:.0%} of {len(argmins):,} bootstrap worlds"]
    lines += [f"  {r.parameter}: 95 % interval [{r.lo:g}, {r.hi:g}]" for r in iv.itertuples()]
    return "\n".join(lines)


def _loss_se(cases: Sequence[tuple[np.ndarray, np.ndarray]], point: int, n_boot: int,
             rng: np.random.Generator) -> float:
    """Monte Carlo standard error of one point's mean fit loss: the spread of the loss when
    only its replications are resampled (the facts fixed)."""
    vals = np.zeros(n_boot)
    for hits, y in cases:
        h = hits[point]
        for b in range(n_boot):
            p = h[rng.integers(0, h.shape[0], size=h.shape[0])].mean(axis=0)
            vals[b] += balanced_brier(y, p)
    return float(np.std(vals / len(cases), ddof=1))
