"""Validation against history: ``stationsim validate`` (issue 12).

One measuring stick for every later change of the model.  Each historical
**case** (:data:`CASES`) is a scenario under ``scenarios/validation/`` on a
world dated at the case's start (:mod:`stationsim.inputs.dated`) plus a facts
file under ``data/cases/`` whose every row cites its source.  The model's
probability for a state is the share of replications in which its first
membership of the case's station falls in the fact's window.  The facts are
split once, here, into ``fit`` and ``held_out`` (:class:`Split`); the splits
do not move afterwards.

Scorers, side by side on the same facts: ``model``; ``baseline:<input>``, a
one-input logistic regression fitted on the fit split (capability, alignment
toward the host, developing, membership of one of the host's blocs, same
continent as the host -- the proxy for distance, as no distances are in the
data); ``baseline:logistic_all``, a logistic regression on all the model's
inputs whose fit-split predictions are cross-validated inside the fit split.
The best baseline is chosen on the fit split (AUC), and the rows
``model-best_baseline`` give the paired difference with a paired bootstrap
interval.  Metrics and intervals: :mod:`stationsim.analysis.metrics`.

:func:`leak_problems` checks that no fact a case scores can have entered its
inputs.

The package, one concept per module (the public names are re-exported here):
``cases`` (the cases and their splits), ``facts`` (the facts scored per split),
``leaks`` (the leak check), ``baselines``, ``scoring`` (the rows of ``validation.csv``,
:class:`CaseResult`, :class:`Validation`), ``runs`` (seeds, a case's runs, first
participation), ``pipeline`` (:func:`validate`), ``report`` (the table as text, a case's
files), ``figures`` (a case's figure), ``intervals`` (bootstrap argmin, parameter
intervals) and ``calibrate`` (:func:`calibrate_cases`, ``stationsim calibrate``).
"""


from stationsim.analysis.validation.baselines import (
    ALL_INPUTS,
    BASELINES,
    baseline_probabilities,
    features,
)
from stationsim.analysis.validation.calibrate import (
    CaseCalibration,
    calibrate_cases,
)
from stationsim.analysis.validation.cases import (
    CASE_NAMES,
    CASES,
    CSS_HELD_OUT_SHARE,
    INTERKOSMOS_SPLIT_YEAR,
    Case,
    Split,
    get_cases,
)
from stationsim.analysis.validation.facts import (
    case_facts,
    excluded_states,
    positives,
    read_facts,
)
from stationsim.analysis.validation.figures import (
    case_figure,
)
from stationsim.analysis.validation.intervals import (
    FIT_LOSSES,
    bootstrap_argmin,
    fit_hits,
    grid_choice_text,
    parameter_intervals,
)
from stationsim.analysis.validation.leaks import (
    LeakError,
    leak_problems,
)
from stationsim.analysis.validation.pipeline import (
    DEFAULT_REPLICATIONS,
    validate,
)
from stationsim.analysis.validation.report import (
    table_text,
    write_case,
)
from stationsim.analysis.validation.runs import (
    DEFAULT_SEED,
    PARTICIPATION_COLUMNS,
    case_seeds,
    participation,
    run_case,
)
from stationsim.analysis.validation.scoring import (
    COLUMNS,
    DIFF_SCORER,
    TABLE_METRICS,
    CaseResult,
    Validation,
    best_baseline,
    score_case,
    score_rows,
)

__all__ = [
    "ALL_INPUTS",
    "BASELINES",
    "CASES",
    "CASE_NAMES",
    "COLUMNS",
    "CSS_HELD_OUT_SHARE",
    "DEFAULT_REPLICATIONS",
    "DEFAULT_SEED",
    "DIFF_SCORER",
    "FIT_LOSSES",
    "INTERKOSMOS_SPLIT_YEAR",
    "PARTICIPATION_COLUMNS",
    "TABLE_METRICS",
    "Case",
    "CaseCalibration",
    "CaseResult",
    "LeakError",
    "Split",
    "Validation",
    "baseline_probabilities",
    "best_baseline",
    "bootstrap_argmin",
    "calibrate_cases",
    "case_facts",
    "case_figure",
    "case_seeds",
    "excluded_states",
    "features",
    "fit_hits",
    "get_cases",
    "grid_choice_text",
    "leak_problems",
    "parameter_intervals",
    "participation",
    "positives",
    "read_facts",
    "run_case",
    "score_case",
    "score_rows",
    "table_text",
    "validate",
    "write_case",
]
