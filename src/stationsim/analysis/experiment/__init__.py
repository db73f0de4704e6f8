"""Experiments: the papers' claims H1-H6 (docs/claims.md) put to the test.

An experiment file (TOML, ``scenarios/experiments/h*.toml``) names a base
scenario, two or more *arms* (dotted-path overrides of it, as ``--set``
takes them) or one arm for a single-arm claim, the *tests* (an outcome, a
contrast between the arms, the direction the claim predicts and a
threshold), and a *robustness* grid over the parameters that could decide the
verdict (docs/claims.md: "a claim must not be true by construction")::

    name = "h2_qpq_low_capability"
    claim = "H2"
    statement = "quid_pro_quo admits more low-capability states than hub_and_spoke"
    papers = ["Foley (seed 000)"]
    base = "../css_vs_iss.toml"        # relative to this file
    replications = 200                 # per arm
    seed = 20250502                    # master seed: replication r of every arm uses
    common_random_numbers = true       # run_seed(seed, r) (always; see below)

    [[arms]]
    name = "hub_and_spoke"
    set = { "stations.CSS.rule" = "hub_and_spoke" }
    [[arms]]
    name = "quid_pro_quo"
    set = { "stations.CSS.rule" = "quid_pro_quo" }

    [[tests]]
    name = "low_capability_members"
    outcome = "css_low_capability_members"           # a runs-table column, or a table:
    # outcome = { kind = "guest_share", station = "CSS", where = ["regional", "developing"] }
    contrast = { quid_pro_quo = 1, hub_and_spoke = -1 }   # default: 2nd arm - 1st arm
    direction = "greater"                             # the claim: effect > threshold
    threshold = 0.0

    [robustness]
    replications = 40
    [[robustness.vary]]                               # a grid (values, or low/high/levels)
    path = "parameters.qpq_trust_threshold"
    values = [0.1, 0.3, 0.5]

**Seeds.** Replication *r* of every arm (and of every robustness point) is
run with ``batch.run_seed(seed, r)``: common random numbers, the executor's
``common_random_numbers`` of a sweep.  The arms are therefore compared
replication by replication (a paired design): the effect of a test is the
mean over replications of ``sum_a w_a * x_a(r)`` and its interval is the
percentile bootstrap of that mean (replications resampled, the arms kept
together).  With ``common_random_numbers = false`` the arms get disjoint
streams (arm *k*, replication *r* is run ``k * replications + r``) and the
interval resamples each arm on its own, as :func:`stationsim.analysis.compare.compare`
does.  The bootstrap generator is seeded from ``boot_seed`` and the test's
name, so an interval is reproducible.

**Outcomes.** A string names a column of the runs table
(``css_low_capability_members``).  A table names a derived outcome, one value
per run, computed from the membership or steps table:

* ``guest_share`` / ``guest_count`` / ``guest_any``: among the states that
  were members of ``station`` (``among = "ever"``: joined at any time in the
  run, founders included, the host not; ``"end"``: members at the end), the
  share / number of those meeting every ``where`` condition, or 1.0 if any
  does (else 0.0).  A share over no members is missing (the run is left out
  and the number of runs used is reported).
* ``step_mean``: the mean of a steps-table ``column`` of ``station`` over the
  years it was open during the run.
* ``state_value``: one state's (``state = "CHN"``) value of a membership-table
  ``column`` (``net_utility``, ``years_member``, ``n_joins``, ``flights``) at
  ``station``.
* ``channel_is``: 1.0 if the station's channel at the end is ``value``
  (``un`` / ``bilateral``; a host left to choose, ``channel = "auto"``), else 0.0.

``where`` conditions: ``regional`` (the station host's continent, or UN
sub-region, as ``regional_scope`` says), ``aligned`` (on the host's side of
the alignment axis: alignment times the host's > 0), ``developing``, ``major_power``
(capability >= ``major_power_threshold``), ``capable`` (>=
``capable_threshold``), ``low_capability`` (<= ``low_capability_threshold``),
``member_of:<STATION>`` (a member of that station at any time in the run);
``not:`` before any of them negates it.  Thresholds are the run's parameters,
so a robustness grid may vary them.

**Verdicts** (:func:`verdict`).  ``direction = "greater"``: *supported* when the
whole confidence interval lies above the threshold, *not supported* when its
upper end is at or below it, else *inconclusive*; ``"less"`` mirrors it.  An
experiment's verdict combines its primary tests (:func:`combine`): supported if
all are, not supported if any is not, else inconclusive.  A test with
``primary = false`` is reported beside them but does not enter the verdict.

**Robustness.**  Every point of the grid is run with every arm at
``robustness.replications``, and gets its own verdicts.  A parameter *decides*
the verdict when two points that differ only in it get different verdicts;
the summary (:func:`robustness_summary`) says "robust" when every point
agrees, else "depends on X".

**Intervals** (:mod:`stationsim.analysis.stats`).  A test of one arm whose
outcome is 0/1 per run (``guest_any``, ``channel_is``, a boolean column) gets
the proportion interval ``proportion`` (``wilson``, default, or
``clopper-pearson``): 0 of 30 runs gives ``[0, 0.114]``, not ``[0, 0]``.
Every other test: the percentile bootstrap of :func:`scipy.stats.bootstrap`
(paired over replications with common random numbers), its generator seeded
from ``boot_seed`` and the test's name.  ``tests.csv`` gives each test's
``ci_low``, ``ci_high``, ``method`` and ``half_width``.

**Precision** (optional)::

    [precision]
    half_width = 0.5          # every primary test's interval half-width at most this
    max_replications = 800    # ... or stop here

runs ``replications`` first, then more (replications ``R .. R' - 1``, seeded
as a longer run would be) until every primary half-width reaches the target
or the cap; ``tests.csv`` says which (``stopped_by``: ``precision``, ``cap``,
or ``fixed`` without the table).

**Deciding parameters and claim maps**::

    [[deciding]]                       # a parameter or scenario field that can decide the claim
    path = "parameters.un_trust_relief"
    low = 0.0
    high = 0.5
    source = "bounds in model/params.py; not fitted (calibrate does not identify it)"
    [map]                              # optional: points per axis, replications per point
    levels = 5
    levels_2d = 4
    replications = 20

Every arm is run over ``levels`` evenly spaced values of each deciding range
(and the first two together on a ``levels_2d`` grid); each point gets its
tests' estimates and a verdict, written as ``claim_map_<p>.csv`` / ``.png``
(``claim_map_<p1>__<p2>``), and the share of points where the claim is
supported is reported (:class:`ClaimMap`).  A deciding field must not be set
by an arm.

**By construction.**  ``[by_construction] term = "..."`` names the term of
the model that writes the claim's effect in; the verdict is then labelled an
assumption (``tests.csv`` column ``assumption``, the text and the report).

Results (``stationsim experiment FILE --out DIR``): ``DIR/arms/<arm>/`` and
``DIR/robustness/<arm>/`` are ordinary results folders of the executor; ``DIR``
itself holds the arms' tables together (an ``arm`` column; ``run_id`` numbers
runs across arms), ``experiment.json`` (every effect, interval and verdict),
``tests.csv``, ``robustness.csv`` and the manifest; ``stationsim experiment``
then writes ``report.html`` (the standard report grouped by arm, with the
experiment's section first: :func:`stationsim.present.report.write_report`).

The package, one concept per module (its public names are re-exported here):
``files`` (the file format and :func:`load_experiment`), ``outcomes`` (derived
outcomes per run), ``effects`` (paired effects and their intervals),
``verdicts`` (verdicts and the robustness summary), ``results`` (test results,
:class:`ExperimentResult`, :class:`ClaimMap`), ``maps`` (claim-map plans and
grid tables), ``runner`` (:func:`run_experiment` and the folder it writes),
``figures`` (effects and claim-map figures).
"""

from stationsim.analysis.experiment.effects import Estimate, contrast_text, estimate
from stationsim.analysis.experiment.figures import VERDICT_COLOURS, claim_map_figure, effects_figure
from stationsim.analysis.experiment.files import (
    CLAIMS,
    CONDITIONS,
    ArmSpec,
    ByConstructionSpec,
    DecidingSpec,
    Experiment,
    ExperimentSpec,
    MapSpec,
    Name,
    OutcomeSpec,
    PrecisionSpec,
    RobustnessSpec,
    TestSpec,
    experiment_from_text,
    load_experiment,
)
from stationsim.analysis.experiment.outcomes import outcome_values
from stationsim.analysis.experiment.results import ClaimMap, ExperimentResult, TestResult, overall
from stationsim.analysis.experiment.runner import (
    RESULT_FILE,
    experiment_fingerprint,
    run_experiment,
)
from stationsim.analysis.experiment.verdicts import (
    VERDICTS,
    Verdict,
    combine,
    robustness_summary,
    verdict,
)

__all__ = [
    "CLAIMS",
    "CONDITIONS",
    "RESULT_FILE",
    "VERDICTS",
    "VERDICT_COLOURS",
    "ArmSpec",
    "ByConstructionSpec",
    "ClaimMap",
    "DecidingSpec",
    "Estimate",
    "Experiment",
    "ExperimentResult",
    "ExperimentSpec",
    "MapSpec",
    "Name",
    "OutcomeSpec",
    "PrecisionSpec",
    "RobustnessSpec",
    "TestResult",
    "TestSpec",
    "Verdict",
    "claim_map_figure",
    "combine",
    "contrast_text",
    "effects_figure",
    "estimate",
    "experiment_fingerprint",
    "experiment_from_text",
    "load_experiment",
    "outcome_values",
    "overall",
    "robustness_summary",
    "run_experiment",
    "verdict",
]
