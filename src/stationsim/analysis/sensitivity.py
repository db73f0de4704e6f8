"""Global sensitivity analysis of a sweep: Sobol' indices or Morris screening (SALib).

Which parameters drive each outcome?  ``stationsim sensitivity SWEEP
--method sobol|morris`` (or :func:`run`) takes a sweep file, samples its
varied fields with SALib's design for the method -- Saltelli/Sobol'
(:func:`SALib.sample.sobol.sample`) or Morris trajectories
(:func:`SALib.sample.morris.sample`), both through the sweep sampler of
:mod:`stationsim.running.sweep`, so categorical fields such as ``stations.CSS.rule``
take part (equal-width bins of the unit interval) -- runs every point with
the sweep executor (parallel, streamed to Parquet, resumable) and analyses
each outcome column of the runs table:

* **Sobol'** (:func:`SALib.analyze.sobol.analyze`): first-order ``S1`` and
  total ``ST`` indices with bootstrap confidence intervals (``S1_conf``,
  ``ST_conf``: half-widths of the ``conf_level`` interval).  SALib's numbers, bit
  for bit, computed by :func:`sobol_first_total` without SALib's repeated work
  (about ten times faster on a large design).
* **Morris** (:func:`SALib.analyze.morris.analyze`): ``mu``, ``mu_star``
  (mean absolute elementary effect, per unit of the parameter's range) with
  its bootstrap interval ``mu_star_conf``, and ``sigma`` (spread of the
  effects: interactions or non-linearity).

The model is stochastic: every point is run ``replications`` times and **the
outcome is averaged over the replications of a point first**; the indices are
those of this point mean.  Replication noise left in a point mean adds
variance that no parameter explains; each outcome's ``replication_noise``
(eta) is that variance as a share of the variance of the point means (the
mean within-point variance / replications / the variance of the point means).

With independent seeds (the default) the noise of two evaluations is
independent, so in expectation SALib's estimators give
``S1 = (1 - eta) S1_true`` (Saltelli 2010's first-order estimator: the noise
only enters the total variance) and ``ST = (1 - eta) ST_true + eta`` (Jansen's
total estimator: every difference f(A) - f(AB_i) carries the noise of two
runs).  The table therefore also gives the indices **net of replication
noise**, ``S1_net = S1 / (1 - eta)`` and ``ST_net = (ST - eta) / (1 - eta)``
(the ranking of parameters is the same; the intervals are SALib's, for the
raw indices).  The bar figure marks eta as the *noise floor*: a total index
near it is noise.  With ``common_random_numbers = true`` the noise of two
points is not independent (in an agent-based model any change of a parameter
usually sends the random streams apart, which makes the noise look like an
interaction of every parameter), so no ``_net`` columns are given; eta still
says how large the noise is.  More replications per point lower eta (as
1 / replications).

Indices are computed on the unit hypercube SALib sampled, so Morris effects
are per full range of a parameter (comparable across parameters), and a
categorical field is one factor whose levels are equally likely.

Outputs (:func:`write`, into ``RESULTS/sensitivity/``): ``<method>_indices.csv``
and ``.md`` (one row per outcome x parameter), ``<method>_analysis.json``
(settings, outcomes skipped and why), and the figures
``<method>_bars.png/.svg`` (indices per outcome with their intervals) and
``<method>_heatmap.png/.svg`` (parameter x outcome: ``ST_net``, or ``ST``
where there is no noise estimate, or ``mu_star`` relative to the outcome's
largest).
``stationsim report`` adds a
*Sensitivity* section when these files are present.

Python::

    from stationsim.analysis import sensitivity
    res = sensitivity.run("scenarios/sweeps/sensitivity_css_rule.toml", "results/sens",
                          method="sobol", workers=2)
    res.table                     # outcome, parameter, S1, S1_conf, ST, ST_conf, ...
    res.top(2)                    # the two most influential parameters per outcome
    sensitivity.analyse("results/sens").summary()   # re-analyse a finished folder
"""

from __future__ import annotations

import dataclasses
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from stationsim.model.scenario import ScenarioError
from stationsim.running.results import atomic_write, write_json
from stationsim.running.sweep import (
    MAX_RUNS,
    MORRIS_LEVELS,
    Dimension,
    Sweep,
    _check_points,
    _sample,
    load_sweep,
    sweep_job,
    sweep_manifest,
    unit_sample,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


#: Methods of :func:`analyse` (the sweep sampler of the same name gives the design).
METHODS = ("sobol", "morris")
#: Sub-folder of a results folder that receives the analysis files.
ANALYSIS_DIR = "sensitivity"
#: Bootstrap resamples of the confidence intervals.
NUM_RESAMPLES = 1000
#: Level of the confidence intervals.
CONF_LEVEL = 0.95
#: Seed of the bootstrap (written in the outputs).
DEFAULT_SEED = 20240607
#: Outcomes of the bar figure, per station (in this order), then system-wide ones.
FIGURE_METRICS = ("members", "capable_members", "low_capability_members", "mean_member_trust",
                  "host_cost_share")
FIGURE_SYSTEM = ("states_in_partnership", "total_welfare")
#: At most this many outcomes in the bar figure.
MAX_BAR_OUTCOMES = 12


class SensitivityError(ValueError):
    """Bad input to a sensitivity analysis (the CLI exits 2); nothing has been written."""


# ----------------------------------------------------------------------------- design


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`METHODS`, else :class:`SensitivityError`."""
    if method not in METHODS:
        raise SensitivityError(f"--method {method!r}: unknown method; allowed: "
                               f"{', '.join(METHODS)}")
    return method


def design(sweep: Sweep | str | Path, method: str | None = None) -> Sweep:
    """The sweep re-sampled with the design of ``method``.

    Parameters
    ----------
    sweep : Sweep, str or Path
        A sweep (file).  Its base scenario, varied fields, ``samples``,
        replications, seed, steps and common random numbers are kept.
    method : {"sobol", "morris"}, optional
        Default: the sweep's own sampler when it is one of them.  When the
        sweep's sampler differs, ``samples`` is read as the Sobol' base
        samples N (``N * (D + 2)`` points: first and total indices only) or
        the number of Morris trajectories (``N * (D + 1)`` points).

    Returns
    -------
    Sweep
        With ``spec.sampler == method`` and its points, every one validated
        against the base scenario.

    Raises
    ------
    SensitivityError
        Unknown method, or none given for a sweep sampled otherwise.
    ScenarioError
        The sweep file is invalid, has no ``samples``, or a point is invalid.
    """
    sw = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
    if method is None:
        if sw.spec.sampler not in METHODS:
            raise SensitivityError(f"{sw.source}: sampler {sw.spec.sampler!r}: give --method "
                                   f"({', '.join(METHODS)})")
        method = sw.spec.sampler
    check_method(method)
    if sw.spec.sampler == method:
        return sw
    if sw.spec.samples is None:
        what = "base samples N" if method == "sobol" else "trajectories"
        raise ScenarioError(f"{sw.source}: samples: the {method} design needs samples (its "
                            f"{what}); the {sw.spec.sampler} sweep gives none")
    spec = sw.spec.model_copy(update={"sampler": method,
                                      "second_order": False if method == "sobol" else None})
    points = _sample(spec, sw.dimensions, sw.source)
    runs = len(points) * spec.replications
    if runs > MAX_RUNS:
        raise ScenarioError(f"{sw.source}: {len(points)} points x {spec.replications} "
                            f"replications = {runs} runs; at most {MAX_RUNS} allowed")
    _check_points(sw.base, points, sw.source)
    return dataclasses.replace(sw, spec=spec, points=tuple(points))


def manifest(sw: Sweep, file_sampler: str | None = None) -> dict[str, Any]:
    """The caller's part of the results manifest of a sensitivity sweep."""
    return {**sweep_manifest(sw),
            "sensitivity": {"method": sw.spec.sampler, "sampler_in_file": file_sampler
                            or sw.spec.sampler,
                            "morris_levels": MORRIS_LEVELS if sw.spec.sampler == "morris"
                            else None}}


# ----------------------------------------------------------------------------- loading


def read_runs(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The runs table and manifest of a complete results folder (the other tables unread).

    Raises
    ------
    FileNotFoundError
        The folder is missing, empty, unfinished or has no runs table; the
        message says which.
    """
    p = Path(path)
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: no such results folder")
    man = p / "manifest.json"
    if not man.is_file():
        what = "is empty" if not any(p.iterdir()) else "has no manifest.json"
        raise FileNotFoundError(f"{p}: {what}; not a results folder of stationsim run or sweep")
    meta = json.loads(man.read_text(encoding="utf-8"))
    prog = meta.get("progress", {})
    if prog.get("status", "complete") != "complete":
        raise FileNotFoundError(f"{p}: unfinished ({prog.get('status')}, {prog.get('runs_done')} "
                                f"of {prog.get('runs')} runs); finish it with the same command "
                                "and --resume")
    if not (p / "runs.parquet").is_file():
        raise FileNotFoundError(f"{p}: no runs.parquet; not a complete results folder")
    return pd.read_parquet(p / "runs.parquet"), meta


def dimensions_of(meta: dict[str, Any]) -> tuple[Dimension, ...]:
    """The sweep dimensions recorded in a results manifest."""
    dims = []
    for d in meta.get("sweep", {}).get("dimensions", []):
        dims.append(Dimension(path=d["path"], kind=d["kind"], low=float(d.get("low", 0.0)),
                              high=float(d.get("high", 1.0)),
                              values=tuple(d.get("values", ())), levels=d.get("levels")))
    return tuple(dims)


def allowed_outcomes(runs: pd.DataFrame) -> list[str]:
    """Numeric outcome columns of a runs table (identifiers and varied fields left out)."""
    from stationsim.analysis.groups import outcome_columns

    return outcome_columns(runs)


def check_outcomes(outcomes: Sequence[str], allowed: Sequence[str]) -> None:
    """:class:`SensitivityError` naming the first unknown outcome and the allowed ones."""
    for oc in outcomes:
        if oc not in allowed:
            raise SensitivityError(f"--outcome {oc!r}: not a numeric outcome column of the runs "
                                   f"table; allowed: {', '.join(allowed)}")


def figure_outcomes(outcomes: Sequence[str]) -> list[str]:
    """Default outcomes of the bar figure among ``outcomes``: :data:`FIGURE_METRICS` per
    station, then :data:`FIGURE_SYSTEM` (at most :data:`MAX_BAR_OUTCOMES`)."""
    prefixes = list(dict.fromkeys(o.split("_", 1)[0] for o in outcomes
                                  if o.endswith("_members") and "_" in o))
    want = [f"{p}_{m}" for p in prefixes for m in FIGURE_METRICS] + list(FIGURE_SYSTEM)
    chosen = [o for o in want if o in outcomes]
    return (chosen or list(outcomes))[:MAX_BAR_OUTCOMES]


# ----------------------------------------------------------------------------- analysis


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


# ----------------------------------------------------------------------------- running


def run(sweep: Sweep | str | Path, out: str | Path, method: str | None = None, *,
        outcomes: Sequence[str] | None = None, workers: int | None = None,
        backend: str = "local", scheduler: str | None = None, resume: bool = False,
        progress: bool | None = None, chunk_runs: int | None = None,
        log: Callable[[str], None] | None = None, **analysis: Any) -> SensitivityResult:
    """Sample, run and analyse a sensitivity sweep; write the analysis into ``out/sensitivity``.

    Parameters
    ----------
    sweep : Sweep, str or Path
        The sweep (file); see :func:`design`.
    out : str or Path
        The results folder (must be empty unless ``resume``).
    method : {"sobol", "morris"}, optional
        Default: the sweep file's sampler.
    outcomes : list of str, optional
        Outcomes to analyse (default: every numeric outcome column).
    workers, backend, scheduler, resume, progress, chunk_runs, log
        As for :func:`stationsim.running.executor.execute`; ``resume`` on a finished
        folder runs nothing and analyses again.
    **analysis
        ``num_resamples``, ``conf_level``, ``seed`` of :func:`analyse`.

    Returns
    -------
    SensitivityResult
    """
    from stationsim.running.executor import execute

    file_sampler = sweep.spec.sampler if isinstance(sweep, Sweep) else None
    sw0 = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
    sw = design(sw0, method)
    target = Path(out)
    execute(sweep_job(sw, chunk_runs), target,
            {**manifest(sw, file_sampler or sw0.spec.sampler), "command": sys.argv},
            workers=workers, backend=backend, scheduler=scheduler, resume=resume,
            progress=progress, label=sw.name, log=log)
    res = analyse(target, sw.spec.sampler, outcomes, **analysis)
    write(res, target / ANALYSIS_DIR)
    return res


def write(res: SensitivityResult, folder: str | Path) -> list[Path]:
    """Write the table (CSV, Markdown), the settings (JSON) and both figures; return the paths."""
    out = Path(folder)
    stem = res.method
    csv, md = out / f"{stem}_indices.csv", out / f"{stem}_indices.md"
    atomic_write(csv, lambda tmp: res.table.to_csv(tmp, index=False))
    text = res.to_markdown()

    def _md(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
    atomic_write(md, _md)
    meta = out / f"{stem}_analysis.json"
    write_json({"method": res.method, "parameters": res.parameters, "outcomes": res.outcomes,
                "figure_outcomes": res.figure_outcomes, "skipped": res.skipped,
                "settings": res.settings, "header": res.header()}, meta)
    paths = [csv, md, meta]
    for name in ("bars", "heatmap"):
        paths += _save_figure(res, out, name)
    return paths


def _save_figure(res: SensitivityResult, out: Path, name: str) -> list[Path]:
    """Draw one of :func:`figures` and write it (PNG and SVG); return the paths."""
    from stationsim.present import plots

    sub = _subtitle(res)
    fig = (indices_bars(res.table, res.method, res.figure_outcomes or None,
                        parameters=res.parameters, subtitle=sub) if name == "bars" else
           indices_heatmap(res.table, res.method, res.outcomes or None,
                           parameters=res.parameters, subtitle=sub))
    paths = plots.save(fig, out, f"{res.method}_{name}")
    fig.clear()
    return paths


def load(folder: str | Path, method: str) -> SensitivityResult | None:
    """The analysis written by :func:`write` into ``folder`` (None when there is none)."""
    out = Path(folder)
    csv, meta = out / f"{method}_indices.csv", out / f"{method}_analysis.json"
    if not (csv.is_file() and meta.is_file()):
        return None
    info = json.loads(meta.read_text(encoding="utf-8"))
    return SensitivityResult(method=method, table=pd.read_csv(csv),
                             parameters=list(info.get("parameters", [])),
                             outcomes=list(info.get("outcomes", [])),
                             skipped=dict(info.get("skipped", {})),
                             figure_outcomes=list(info.get("figure_outcomes", [])),
                             settings=dict(info.get("settings", {})))


# ----------------------------------------------------------------------------- figures


def figures(res: SensitivityResult) -> dict[str, Figure]:
    """``{"bars": ..., "heatmap": ...}`` of a result."""
    return {"bars": indices_bars(res.table, res.method, res.figure_outcomes or None,
                                 parameters=res.parameters, subtitle=_subtitle(res)),
            "heatmap": indices_heatmap(res.table, res.method, res.outcomes or None,
                                       parameters=res.parameters, subtitle=_subtitle(res))}


def _subtitle(res: SensitivityResult) -> str:
    s = res.settings
    what = f"N = {s.get('samples')}" if res.method == "sobol" else \
        f"{s.get('samples')} trajectories"
    return (f"{s.get('scenario', '')}: {what}, {s.get('points')} points x "
            f"{s.get('replications')} replications (outcome averaged per point)")


def indices_bars(table: pd.DataFrame, method: str, outcomes: Sequence[str] | None = None, *,
                 parameters: Sequence[str] | None = None, subtitle: str = "",
                 ncols: int = 3) -> Figure:
    """Indices of each outcome as horizontal bars with their confidence intervals.

    Sobol': ``S1`` and ``ST`` side by side per parameter, error bars
    ``S1_conf`` / ``ST_conf``.  Morris: ``mu_star`` with ``mu_star_conf`` and
    ``sigma`` as a diamond.  One panel per outcome; parameters in the same
    order in every panel (bars have gids ``<index>:<outcome>``).
    """
    from stationsim.present.plots import OKABE_ITO, _grid

    outs = list(outcomes) if outcomes is not None else list(dict.fromkeys(table["outcome"]))
    params = list(parameters) if parameters is not None else \
        list(dict.fromkeys(table["parameter"]))
    fig, axes = _grid(max(1, len(outs)), ncols, 3.9, 0.42 * len(params) + 1.2)
    ypos = np.arange(len(params))[::-1].astype(float)
    for ax, oc in zip(axes, outs, strict=False):
        t = table[table["outcome"] == oc].set_index("parameter").reindex(params)
        if method == "sobol":
            h = 0.38
            for k, (col, colour, dy) in enumerate((("S1", OKABE_ITO["sky_blue"], h / 2),
                                                    ("ST", OKABE_ITO["blue"], -h / 2))):
                bars = ax.barh(ypos + dy, t[col].clip(lower=0), height=h, color=colour,
                               xerr=t[f"{col}_conf"], error_kw={"lw": 0.9, "capsize": 2},
                               label=("first order S1", "total ST")[k])
                for patch in bars.patches:
                    patch.set_gid(f"{col}:{oc}")
            ax.set_xlim(0, max(1.0, float(np.nanmax((t["ST"] + t["ST_conf"]).to_numpy()))))
            ax.axvline(0, color="black", lw=0.6)
            eta = float(t["replication_noise"].iloc[0])
            if np.isfinite(eta):
                ax.axvline(eta, color=OKABE_ITO["vermillion"], lw=1.1, ls=":",
                           label="noise floor (replication noise share)", gid=f"noise:{oc}")
            ax.set_xlabel("Sobol' index", fontsize=8)
        else:
            bars = ax.barh(ypos, t["mu_star"], height=0.55, color=OKABE_ITO["orange"],
                           xerr=t["mu_star_conf"], error_kw={"lw": 0.9, "capsize": 2},
                           label="mu* (mean |effect|)")
            for patch in bars.patches:
                patch.set_gid(f"mu_star:{oc}")
            ax.scatter(t["sigma"], ypos, marker="D", s=16, color=OKABE_ITO["black"], zorder=3,
                       label="sigma (spread)")
            ax.set_xlabel("effect per full range", fontsize=8)
        ax.set_yticks(ypos, [short_name(p) for p in params], fontsize=8)
        ax.set_title(oc, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels() if axes else ([], [])
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=len(handles),
                   frameon=False, fontsize=8)
    name = "Sobol' indices with 95 % bootstrap intervals" if method == "sobol" else \
        "Morris screening: mu* with 95 % bootstrap interval, sigma"
    fig.suptitle(name + (f"\n{subtitle}" if subtitle else ""), fontsize=10)
    return fig


def indices_heatmap(table: pd.DataFrame, method: str, outcomes: Sequence[str] | None = None,
                    *, parameters: Sequence[str] | None = None, subtitle: str = "") -> Figure:
    """Parameter x outcome heatmap: total index ``ST_net`` (Sobol', net of replication noise;
    ``ST`` when the table has no noise estimate) or ``mu_star`` relative to the outcome's
    largest (Morris); each cell annotated with its value."""
    from matplotlib.figure import Figure

    outs = list(outcomes) if outcomes is not None else list(dict.fromkeys(table["outcome"]))
    params = list(parameters) if parameters is not None else \
        list(dict.fromkeys(table["parameter"]))
    net = method == "sobol" and "ST_net" in table.columns and bool(
        np.isfinite(table["ST_net"]).any())
    col = ("ST_net" if net else "ST") if method == "sobol" else "mu_star"
    wide = table.pivot(index="outcome", columns="parameter", values=col).reindex(
        index=outs, columns=params)
    vals = wide.to_numpy(dtype=float)
    if method == "morris":
        top = np.nanmax(np.abs(vals), axis=1, keepdims=True)
        vals = np.divide(vals, top, out=np.full_like(vals, np.nan), where=top > 0)
    fig = Figure(figsize=(1.0 * len(params) + 3.6, 0.24 * len(outs) + 2.2), layout="constrained")
    ax = fig.subplots()
    img = ax.imshow(np.clip(vals, 0, 1), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    img.set_gid(f"heatmap:{col}")
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            v = vals[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}".replace("-0.00", "0.00"), ha="center", va="center",
                        fontsize=6.5,
                        color="black" if v > 0.55 else "white")
    ax.set_xticks(range(len(params)), [short_name(p) for p in params], rotation=30,
                  ha="right", fontsize=8)
    ax.set_yticks(range(len(outs)), outs, fontsize=7)
    cb = fig.colorbar(img, ax=ax, shrink=0.6)
    cb.set_label({"ST_net": "total index ST net of replication noise", "ST": "total index ST",
                  "mu_star": "mu* / largest mu* of the outcome"}[col], fontsize=8)
    name = {"ST_net": "Total-order Sobol' index of each parameter for each outcome, net of "
                      "replication noise",
            "ST": "Total-order Sobol' index of each parameter for each outcome",
            "mu_star": "Morris mu* of each parameter, relative to the outcome's most "
                       "influential"}[col]
    fig.suptitle(name + (f"\n{subtitle}" if subtitle else ""), fontsize=10)
    return fig


# ----------------------------------------------------------------------------- report



__all__ = ["METHODS", "SensitivityError", "SensitivityResult", "analyse", "design",
           "figures", "indices_bars", "indices_heatmap", "load", "run", "sobol_first_total",
           "write"]
