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

from stationsim.analysis.sensitivity.design import (
    METHODS,
    SensitivityError,
    check_method,
    design,
    manifest,
)
from stationsim.analysis.sensitivity.estimators import (
    CONF_LEVEL,
    DEFAULT_SEED,
    NUM_RESAMPLES,
    sobol_first_total,
)
from stationsim.analysis.sensitivity.figures import figures, indices_bars, indices_heatmap
from stationsim.analysis.sensitivity.files import ANALYSIS_DIR, load, write
from stationsim.analysis.sensitivity.folders import dimensions_of, read_runs
from stationsim.analysis.sensitivity.indices import analyse
from stationsim.analysis.sensitivity.outcomes import (
    FIGURE_METRICS,
    FIGURE_SYSTEM,
    MAX_BAR_OUTCOMES,
    allowed_outcomes,
    check_outcomes,
    figure_outcomes,
)
from stationsim.analysis.sensitivity.result import SensitivityResult, short_name
from stationsim.analysis.sensitivity.runner import run

__all__ = [
    "ANALYSIS_DIR",
    "CONF_LEVEL",
    "DEFAULT_SEED",
    "FIGURE_METRICS",
    "FIGURE_SYSTEM",
    "MAX_BAR_OUTCOMES",
    "METHODS",
    "NUM_RESAMPLES",
    "SensitivityError",
    "SensitivityResult",
    "allowed_outcomes",
    "analyse",
    "check_method",
    "check_outcomes",
    "design",
    "dimensions_of",
    "figure_outcomes",
    "figures",
    "indices_bars",
    "indices_heatmap",
    "load",
    "manifest",
    "read_runs",
    "run",
    "short_name",
    "sobol_first_total",
    "write",
]
