"""The indices of every outcome of a sensitivity sweep's results folder (:func:`analyse`):
the folder checked against the design SALib gives, each outcome averaged per point,
the replication noise and the indices net of it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis.sensitivity.design import METHODS, SensitivityError, check_method
from stationsim.analysis.sensitivity.estimators import (
    CONF_LEVEL,
    DEFAULT_SEED,
    NUM_RESAMPLES,
    _indices,
)
from stationsim.analysis.sensitivity.folders import dimensions_of, read_runs
from stationsim.analysis.sensitivity.outcomes import (
    allowed_outcomes,
    check_outcomes,
    figure_outcomes,
)
from stationsim.analysis.sensitivity.result import SensitivityResult
from stationsim.running.sweep import MORRIS_LEVELS, Dimension, unit_sample


def analyse(results: str | Path | tuple[pd.DataFrame, dict[str, Any]],
            method: str | None = None, outcomes: Sequence[str] | None = None, *,
            num_resamples: int = NUM_RESAMPLES, conf_level: float = CONF_LEVEL,
            seed: int = DEFAULT_SEED) -> SensitivityResult:
    """Sobol' or Morris indices of every outcome of a sensitivity sweep's results folder.

    Parameters
    ----------
    results : str, Path, or (runs, manifest)
        A complete results folder of :func:`run` / ``stationsim sensitivity``
        (or of ``stationsim sweep`` with the ``sobol`` or ``morris`` sampler),
        or its runs table and manifest.
    method : {"sobol", "morris"}, optional
        Must match the folder's sampler (default: the folder's).
    outcomes : list of str, optional
        Runs-table columns to analyse (default: every numeric outcome).
    num_resamples, conf_level, seed
        Bootstrap resamples, level and seed of the confidence intervals.

    Returns
    -------
    SensitivityResult

    Raises
    ------
    FileNotFoundError
        The folder is missing, empty or unfinished.
    SensitivityError
        The folder is not a sobol/morris sweep, ``method`` does not match it,
        an outcome is unknown, or the runs do not match the recorded design.
    """
    if isinstance(results, tuple):
        runs, meta = results
        where = str(meta.get("sweep", {}).get("source", "results"))
    else:
        runs, meta = read_runs(results)
        where = str(results)
    sweep = meta.get("sweep") if meta.get("kind") == "sweep" else None
    if not isinstance(sweep, dict):
        raise SensitivityError(f"{where}: not a sweep folder; run `stationsim sensitivity "
                               "SWEEP --method sobol|morris` first")
    sampler = sweep.get("sampler")
    if sampler not in METHODS:
        raise SensitivityError(f"{where}: a {sampler} sweep; sensitivity analysis needs a "
                               f"sobol or morris design: run `stationsim sensitivity SWEEP "
                               f"--method sobol|morris`")
    if method is not None and check_method(method) != sampler:
        raise SensitivityError(f"--method {method}: {where} holds a {sampler} design; analyse "
                               f"it with --method {sampler}, or run the sweep again")
    dims = dimensions_of(meta)
    names = [d.column for d in dims]
    samples = int(sweep.get("samples") or 0)
    second_order = bool(sweep.get("second_order")) if sampler == "sobol" else False
    master = int(meta.get("master_seed", 0))
    X = unit_sample(sampler, len(dims), samples, master, second_order=second_order)
    _check_design(runs, dims, X, where)
    allowed = allowed_outcomes(runs)
    cols = list(outcomes) if outcomes is not None else allowed
    check_outcomes(cols, allowed)
    reps = int(meta.get("replications", 1))
    values = runs[cols].astype(float)
    means = values.groupby(runs["point"]).mean().sort_index()
    within = values.groupby(runs["point"]).var(ddof=1).mean() if reps > 1 else None
    problem = {"num_vars": len(dims), "names": names, "bounds": [[0.0, 1.0]] * len(dims)}
    crn = bool(sweep.get("common_random_numbers"))
    net = sampler == "sobol" and reps > 1 and not crn
    rows: list[dict[str, Any]] = []
    done: list[str] = []
    skipped: dict[str, str] = {}
    from stationsim.running.progress import Progress

    prog = Progress(len(cols), f"{sampler} indices", "outcome")  # the process default
    for oc in cols:
        prog.update()
        y = means[oc].to_numpy(dtype=float)
        n_bad = int((~np.isfinite(y)).sum())
        if n_bad:
            skipped[oc] = f"missing at {n_bad} of {y.size} points"
            continue
        sd = float(np.std(y, ddof=1)) if y.size > 1 else 0.0
        if not sd > 1e-12 * max(1.0, float(np.abs(y).max())):
            skipped[oc] = "the same at every point"
            continue
        noise = (float(within[oc]) / reps / sd**2) if within is not None else float("nan")
        extra = {"mean": float(y.mean()), "sd": sd, "replication_noise": noise}
        for i, rec in enumerate(_indices(sampler, problem, X, y, second_order, num_resamples,
                                         conf_level, seed)):
            if net:
                eta = min(noise, 0.999)
                rec = {**rec, "S1_net": rec["S1"] / (1 - eta),
                       "ST_net": (rec["ST"] - eta) / (1 - eta)}
            rows.append({"outcome": oc, "parameter": names[i], **rec, **extra})
        done.append(oc)
    prog.close()
    key_cols = (["S1", "S1_conf", "ST", "ST_conf", *(["S1_net", "ST_net"] if net else [])]
                if sampler == "sobol" else ["mu", "mu_star", "mu_star_conf", "sigma"])
    table = pd.DataFrame(rows, columns=["outcome", "parameter", *key_cols, "mean", "sd",
                                        "replication_noise"])
    settings = {
        "source": where, "scenario": meta.get("scenario", {}).get("name", ""),
        "sweep": sweep.get("name"), "method": sampler, "samples": samples,
        "second_order": second_order, "points": len(X), "replications": reps,
        "runs": len(runs), "master_seed": master,
        "common_random_numbers": crn, "net_of_noise": net,
        "morris_levels": MORRIS_LEVELS if sampler == "morris" else None,
        "num_resamples": num_resamples, "conf_level": conf_level, "seed": seed,
        "averaged_over_replications": True,
    }
    return SensitivityResult(method=sampler, table=table, parameters=names, outcomes=done,
                             skipped=skipped, figure_outcomes=figure_outcomes(done),
                             settings=settings)


def _check_design(runs: pd.DataFrame, dims: Sequence[Dimension], X: np.ndarray,
                  where: str) -> None:
    """The runs must hold every point of the design ``X``, with the values it maps to."""
    if "point" not in runs.columns:
        raise SensitivityError(f"{where}: the runs table has no point column; not a sweep")
    pts = np.sort(runs["point"].unique())
    if len(pts) != len(X) or (len(pts) and (pts[0] != 0 or pts[-1] != len(X) - 1)):
        raise SensitivityError(f"{where}: {len(pts)} points in the runs table, the design has "
                               f"{len(X)}; the folder does not hold this design")
    first = runs.drop_duplicates("point").set_index("point").sort_index()
    for j, d in enumerate(dims):
        if d.column not in first.columns:
            raise SensitivityError(f"{where}: no column {d.column!r} in the runs table")
        want = [d.from_unit(u) for u in X[:, j]]
        got = first[d.column].tolist()
        same = (np.allclose(np.asarray(want, float), np.asarray(got, float), rtol=1e-12,
                            atol=0.0) if d.kind != "values" or all(
                                isinstance(v, int | float) and not isinstance(v, bool)
                                for v in d.values)
                else [str(a) for a in want] == [str(b) for b in got])
        if not same:
            raise SensitivityError(f"{where}: {d.column}: the recorded points differ from the "
                                   "design SALib gives now (another SALib version?); run the "
                                   "sweep again")
