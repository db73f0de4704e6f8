"""Calibration against history (issue 5, part 3): a sweep with a loss.

The model's free parameters are fitted to observed facts only, the outcome
columns of ``data/states.csv`` that the data mapping never reads
(``docs/data.md``):

* ``iss_1993`` (station ISS): the non-founding parties of the 1998 ISS
  agreement (Russia; the 13 pre-1993 partners are founders, i.e. inputs) and
  the non-partner states that sent a national to the ISS
  (``iss_guest_first_year``).  The model's counterpart of a state's first
  ISS flight is its first year as a member of the ISS (``join_year`` in
  ``membership.parquet``).  Non-partner states without such a flight are
  negatives.
* ``css_2021`` (station CSS): the 2019 UNOOSA/CMSA selection
  (``css_ao_2019``) and the 2025 Pakistan astronaut agreement
  (``css_astronaut_agreement_year``); the counterpart is being a CSS guest
  by 2025.  Only states that could be CSS guests under the scenario are
  scored: not the host, not a state banned with the host, and (membership
  being exclusive) not a founding partner of the ISS, which flies through
  the whole observation window.

Method (``docs/calibration.md``): two sweep files with the same sampler,
seed and ``[[vary]]`` tables (``scenarios/sweeps/calibrate_*.toml``), so
point *p* is the same parameter set in both; run through
:func:`stationsim.running.sweep.run_sweep`.  A state's predicted probability at a
point is the share of replications in which the model's counterpart
happened.  The loss of a point is the mean over the two scenarios of the
class-balanced Brier score on the *fit* facts; the chosen point minimises it.
Some facts are held out of the loss: for the ISS by time (fit: flights up to
:data:`ISS_SPLIT_YEAR`; held out: first flights in the following years up to
:data:`OBSERVED_THROUGH`), for the CSS by a stratified random split of the
scored states with the fixed seed :data:`CSS_SPLIT_SEED`.  The chosen point
is then rerun with fresh seeds and more replications (the *confirmation*
run), and every reported number comes from that run.

Run it (every number in ``docs/calibration.md`` comes from these)::

    python -m stationsim.analysis.calibration run --out results/calibration --figures docs/figures
    python -m stationsim.analysis.calibration blocs results/two_blocs     # issue 5, part 4

The package, one concept per module (the public names are re-exported here):
``scores`` (Brier, balanced Brier, log loss, AUC, reliability), ``targets``
(the facts scored, their fit / held-out split, predicted probabilities),
``fit`` (the sweeps, losses, refinement, chosen point and confirmation:
:func:`calibrate`), ``baselines``, ``report`` (tables, text, figures, files),
``blocs`` (issue 5, part 4), ``command`` (the command line; ``__main__`` runs it).
"""

from stationsim.analysis.calibration.baselines import (
    attribute_baselines,
    guest_flights_left_in,
    guest_flights_removed,
)
from stationsim.analysis.calibration.blocs import bloc_probabilities, blocs_text
from stationsim.analysis.calibration.command import check_scenarios, main
from stationsim.analysis.calibration.fit import (
    CHOSEN_DECIMALS,
    CONFIRM_REPLICATIONS,
    REFINE_POINTS,
    REFINE_REPLICATIONS,
    SWEEPS,
    Calibration,
    calibrate,
    default_point,
    load_calibration_sweep,
    point_losses,
)
from stationsim.analysis.calibration.report import (
    chosen_table,
    markdown_table,
    metrics_table,
    reliability_figure,
    report_text,
    save_figure,
    states_figure,
    states_table,
    write_outputs,
)
from stationsim.analysis.calibration.scores import (
    THRESHOLD,
    ArrayLike,
    auc,
    balanced_brier,
    brier,
    classification,
    log_loss,
    metrics,
    reliability,
)
from stationsim.analysis.calibration.targets import (
    CSS_HELD_OUT_SHARE,
    CSS_SPLIT_SEED,
    ISS_IGA_YEAR,
    ISS_SPLIT_YEAR,
    OBSERVED_THROUGH,
    SETS,
    Target,
    css_target,
    iss_target,
    predictions,
    target_for,
)

__all__ = [
    "CHOSEN_DECIMALS",
    "CONFIRM_REPLICATIONS",
    "CSS_HELD_OUT_SHARE",
    "CSS_SPLIT_SEED",
    "ISS_IGA_YEAR",
    "ISS_SPLIT_YEAR",
    "OBSERVED_THROUGH",
    "REFINE_POINTS",
    "REFINE_REPLICATIONS",
    "SETS",
    "SWEEPS",
    "THRESHOLD",
    "ArrayLike",
    "Calibration",
    "Target",
    "attribute_baselines",
    "auc",
    "balanced_brier",
    "bloc_probabilities",
    "blocs_text",
    "brier",
    "calibrate",
    "check_scenarios",
    "chosen_table",
    "classification",
    "css_target",
    "default_point",
    "guest_flights_left_in",
    "guest_flights_removed",
    "iss_target",
    "load_calibration_sweep",
    "log_loss",
    "main",
    "markdown_table",
    "metrics",
    "metrics_table",
    "point_losses",
    "predictions",
    "reliability",
    "reliability_figure",
    "report_text",
    "save_figure",
    "states_figure",
    "states_table",
    "target_for",
    "write_outputs",
]
