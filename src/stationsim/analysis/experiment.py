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
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stationsim.analysis import compare as C
from stationsim.analysis import stats as ST
from stationsim.model.core import StationModel
from stationsim.model.outcomes import MEMBER_CLASSES, STEP_COLUMNS, run_row
from stationsim.model.scenario import (
    Scenario,
    ScenarioError,
    check_run_options,
    load_base,
    parse_toml,
    read_file_text,
    validation_message,
    with_overrides,
)
from stationsim.present import plots as P
from stationsim.running.batch import named_rng
from stationsim.running.executor import (
    Job,
    MachineFault,
    OutputError,
    default_chunk_runs,
    execute,
    read_manifest,
    run_job,
    scenario_data,
)
from stationsim.running.lock import LOCK_NAME, FolderLock, prepare_folder, remove_created
from stationsim.running.results import (
    TABLES,
    atomic_write,
    environment,
    load_results,
    now_iso,
    scenario_manifest,
    table_stamps,
    write_json,
    write_table,
)
from stationsim.running.sweep import Dimension, VarySpec, make_dimension

Verdict = Literal["supported", "not supported", "inconclusive"]
VERDICTS: tuple[Verdict, ...] = ("supported", "not supported", "inconclusive")
CLAIMS = ("H1", "H2", "H3", "H4", "H5", "H6")
#: ``where`` conditions of derived outcomes (``member_of:<STATION>`` and ``not:`` aside).
CONDITIONS = ("regional", "aligned", *MEMBER_CLASSES)
#: Membership-table columns a ``state_value`` outcome may read.
_STATE_COLUMNS = ("net_utility", "years_member", "n_joins", "flights")
#: Name of the experiment's results file inside its folder.
RESULT_FILE = "experiment.json"

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArmSpec(_Strict):
    """One arm: the base scenario with these dotted-path overrides."""

    name: Name
    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict)


class OutcomeSpec(_Strict):
    """A derived outcome, one value per run (see the module docstring)."""

    kind: Literal["guest_share", "guest_count", "guest_any", "step_mean", "state_value",
                  "channel_is"]
    station: str
    where: list[str] = Field(default_factory=list)
    among: Literal["ever", "end"] = "ever"
    column: str | None = None
    state: str | None = None
    value: str | None = None


class TestSpec(_Strict):
    """One test: outcome, contrast of the arms, the claim's direction and threshold."""

    name: Name
    description: str = ""
    outcome: str | OutcomeSpec
    contrast: dict[str, float] | None = None
    direction: Literal["greater", "less"]
    threshold: float = 0.0
    primary: bool = True


class RobustnessSpec(_Strict):
    """A grid over the parameters that may decide the verdict."""

    replications: int = Field(30, ge=2, le=100_000)
    vary: list[VarySpec] = Field(min_length=1)


class PrecisionSpec(_Strict):
    """Grow the replications until every primary test's interval is this narrow, or a cap."""

    half_width: float = Field(gt=0)
    max_replications: int = Field(ge=2, le=1_000_000)


class DecidingSpec(_Strict):
    """A parameter (or scenario field) that can decide the claim, and its plausible range.

    ``source`` says where the range comes from (the parameter's bounds in
    ``model/params.py``, a fitted interval of ``stationsim calibrate``, or a
    cited literature value); ``fitted`` whether ``stationsim calibrate``
    identifies it (``false``: "not fitted").
    """

    path: str
    low: float
    high: float
    source: str = Field(min_length=1)
    fitted: bool = False
    levels: int | None = Field(None, ge=2, le=41)


class MapSpec(_Strict):
    """How the claim map is drawn: points per axis, replications per arm and point."""

    levels: int = Field(5, ge=2, le=41)
    levels_2d: int = Field(4, ge=2, le=21)
    replications: int = Field(20, ge=2, le=100_000)
    two_d: bool = True


class ByConstructionSpec(_Strict):
    """The term of the model that writes the claim's effect in (an assumption, not a finding)."""

    term: str = Field(min_length=1)
    note: str = ""


class ExperimentSpec(_Strict):
    """The experiment file format (validated; see the module docstring)."""

    name: Name
    claim: Annotated[str, Field(pattern=r"^(H[1-6]|[A-Za-z0-9_.\-]{1,40})$")]
    statement: str = Field(min_length=1)
    description: str = ""
    papers: list[str] = Field(default_factory=list)
    base: str
    replications: int = Field(ge=2, le=1_000_000)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    steps: int | None = Field(None, ge=1, le=10_000)
    common_random_numbers: bool = True
    boot_seed: int = Field(C.DEFAULT_SEED, ge=0)
    n_boot: int = Field(C.N_BOOT, ge=100, le=100_000)
    level: float = Field(0.95, gt=0.5, lt=1.0)
    arms: list[ArmSpec] = Field(min_length=1, max_length=24)
    tests: list[TestSpec] = Field(min_length=1)
    robustness: RobustnessSpec | None = None
    proportion: Literal["wilson", "clopper-pearson", "none"] = "wilson"
    precision: PrecisionSpec | None = None
    deciding: list[DecidingSpec] = Field(default_factory=list)
    map: MapSpec = Field(default_factory=MapSpec)
    by_construction: ByConstructionSpec | None = None


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: the spec, its base scenario, each arm's scenario, the grid."""

    spec: ExperimentSpec
    source: str
    text: str
    base: Scenario
    arms: dict[str, Scenario]
    contrasts: dict[str, dict[str, float]]
    dimensions: tuple[Dimension, ...] = ()
    points: tuple[dict[str, Any], ...] = ()
    deciding: tuple[Dimension, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name


# ----------------------------------------------------------------------------- loading


def load_experiment(path: str | Path, base: str | Path | None = None,
                    overrides: Mapping[str, Any] | None = None) -> Experiment:
    """Read and validate an experiment file, its base scenario, arms, tests and grid.

    Parameters
    ----------
    path : str or Path
        The experiment TOML file.
    base : str or Path, optional
        Another base scenario instead of the file's ``base`` (e.g. a
        real-world scenario); the arms' overrides must apply to it.
    overrides : dict, optional
        Dotted-path overrides applied to the base before the arms' own (the command
        line's ``--set``: a bad one is blamed on its ``--set PATH=VALUE`` argument).

    Raises
    ------
    ScenarioError
        If anything is invalid; the message names the file, the field and
        what is allowed.
    """
    p = Path(path)
    return experiment_from_text(read_file_text(p), source=str(p), base_dir=p.parent, base=base,
                                overrides=overrides)


def experiment_from_text(text: str, source: str = "<string>", base_dir: Path | None = None,
                         base: str | Path | None = None,
                         overrides: Mapping[str, Any] | None = None) -> Experiment:
    """Parse and validate experiment TOML text (see :func:`load_experiment`)."""
    data = parse_toml(text, source, "an experiment needs name, claim, statement, base, "
                      "replications, [[arms]] and [[tests]]")
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_message(source, exc, "experiment")) from None
    # --base given on the command line is relative to the working folder
    scn = load_base(base, None, source) if base is not None else load_base(spec.base, base_dir,
                                                                             source)
    if overrides:  # the command line's --set: a bad one is blamed on its argument
        scn = with_overrides(scn, dict(overrides), origin="--set")
    arms = _arm_scenarios(spec, scn, source)
    contrasts = {t.name: _contrast(spec, i, source) for i, t in enumerate(spec.tests)}
    names = [t.name for t in spec.tests]
    for i, t in enumerate(spec.tests):
        if t.name in names[:i]:
            raise ScenarioError(f"{source}: tests[{i}].name: duplicate test {t.name!r}")
    _check_outcomes(spec, next(iter(arms.values())), source)
    dims: tuple[Dimension, ...] = ()
    points: tuple[dict[str, Any], ...] = ()
    if spec.robustness is not None:
        dims, points = _grid(spec.robustness, scn, arms, source)
    deciding = _deciding(spec, scn, arms, source)
    return Experiment(spec=spec, source=source, text=text, base=scn, arms=arms,
                      contrasts=contrasts, dimensions=dims, points=points, deciding=deciding)


def _deciding(spec: ExperimentSpec, base: Scenario, arms: dict[str, Scenario],
              src: str) -> tuple[Dimension, ...]:
    """The claim map's axes: each ``[[deciding]]`` range as a grid dimension."""
    raw = base.raw()
    dims: list[Dimension] = []
    for i, d in enumerate(spec.deciding):
        where = f"{src}: deciding[{i}]"
        if d.high <= d.low:
            raise ScenarioError(f"{where}.high: must be above low ({d.low:g})")
        levels = d.levels or spec.map.levels
        try:
            dim = make_dimension(VarySpec(path=d.path, low=d.low, high=d.high, levels=levels),
                                 i, raw, f"{src}: deciding")
        except (ScenarioError, ValidationError) as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        if dim.path in [x.path for x in dims]:
            raise ScenarioError(f"{where}.path: {dim.path!r} is declared twice")
        for arm, scn in arms.items():
            if dim.path in _arm_paths(spec, arm):
                raise ScenarioError(f"{where}.path: {dim.path!r} is set by arm {arm!r}; a "
                                    "deciding parameter must be free in every arm")
            for v in (dim.grid()[0], dim.grid()[-1]):
                try:
                    with_overrides(scn, {dim.path: v})
                except ScenarioError as exc:
                    raise ScenarioError(f"{where}: {dim.path}={v} (arm {arm}): {exc}") from None
        dims.append(dim)
    return tuple(dims)


def _arm_paths(spec: ExperimentSpec, arm: str) -> set[str]:
    return {k for a in spec.arms if a.name == arm for k in a.set}


def _arm_scenarios(spec: ExperimentSpec, base: Scenario, src: str) -> dict[str, Scenario]:
    out: dict[str, Scenario] = {}
    for i, arm in enumerate(spec.arms):
        if arm.name in out:
            raise ScenarioError(f"{src}: arms[{i}].name: duplicate arm {arm.name!r}; each "
                                "arm needs its own name")
        try:
            out[arm.name] = with_overrides(base, arm.set) if arm.set else base
        except ScenarioError as exc:
            raise ScenarioError(f"{src}: arms[{i}].set ({arm.name}): {exc}") from None
    return out


def _contrast(spec: ExperimentSpec, i: int, src: str) -> dict[str, float]:
    """The weights of test ``i`` over the arms (the default for one or two arms)."""
    t = spec.tests[i]
    arms = [a.name for a in spec.arms]
    where = f"{src}: tests[{i}].contrast"
    if t.contrast is None:
        if len(arms) == 1:
            return {arms[0]: 1.0}
        if len(arms) == 2:
            return {arms[1]: 1.0, arms[0]: -1.0}
        raise ScenarioError(f"{where}: required with {len(arms)} arms (weights by arm name, "
                            f"e.g. {{ {arms[1]} = 1, {arms[0]} = -1 }})")
    unknown = [a for a in t.contrast if a not in arms]
    if unknown:
        raise ScenarioError(f"{where}: unknown arm {unknown[0]!r}; allowed: {', '.join(arms)}")
    weights = {a: float(w) for a, w in t.contrast.items() if w != 0}
    if not weights or not all(math.isfinite(w) for w in weights.values()):
        raise ScenarioError(f"{where}: needs at least one finite non-zero weight")
    return weights


def _check_outcomes(spec: ExperimentSpec, scn: Scenario, src: str) -> None:
    """Outcome columns, stations and conditions must exist in the arms' scenario."""
    model = StationModel(scn, rng=0, steps=1)
    model.step()
    runs_cols = set(run_row(model))
    stations = [s.name for s in scn.stations]
    for i, t in enumerate(spec.tests):
        where = f"{src}: tests[{i}].outcome"
        oc = t.outcome
        if isinstance(oc, str):
            if oc not in runs_cols:
                raise ScenarioError(f"{where}: {oc!r} is not a column of the runs table; "
                                    f"allowed: {', '.join(sorted(runs_cols))}, or a derived "
                                    "outcome table (kind = guest_share | guest_count | "
                                    "guest_any | step_mean)")
            continue
        if oc.station not in stations:
            raise ScenarioError(f"{where}.station: unknown station {oc.station!r}; allowed: "
                                + ", ".join(stations))
        if oc.kind == "state_value":
            if oc.state is None or oc.column not in _STATE_COLUMNS or oc.where:
                raise ScenarioError(f"{where}: state_value needs state = <ISO3> and column = "
                                    f"one of {', '.join(_STATE_COLUMNS)} (no where)")
            if oc.state not in {str(a.iso3) for a in model.agents}:  # type: ignore[attr-defined]
                raise ScenarioError(f"{where}.state: unknown state {oc.state!r}")
            continue
        if oc.kind == "channel_is":
            if oc.value not in ("un", "bilateral") or oc.where or oc.column:
                raise ScenarioError(f"{where}.value: channel_is needs value = \"un\" or "
                                    "\"bilateral\" (no where, no column)")
            continue
        if oc.kind == "step_mean":
            allowed = [c for c in STEP_COLUMNS if c not in ("step", "year", "station")]
            if oc.column not in allowed:
                raise ScenarioError(f"{where}.column: step_mean needs a steps-table column; "
                                    f"allowed: {', '.join(allowed)}")
            if oc.where:
                raise ScenarioError(f"{where}.where: not used by step_mean")
        elif oc.column is not None:
            raise ScenarioError(f"{where}.column: used by step_mean only")
        for j, cond in enumerate(oc.where):
            term = cond.removeprefix("not:")
            if term.startswith("member_of:"):
                if term.split(":", 1)[1] not in stations:
                    raise ScenarioError(f"{where}.where[{j}]: unknown station in {cond!r}; "
                                        f"allowed: {', '.join(stations)}")
            elif term not in CONDITIONS:
                raise ScenarioError(f"{where}.where[{j}]: unknown condition {cond!r}; allowed: "
                                    + ", ".join(CONDITIONS)
                                    + ", member_of:<STATION>, each optionally after 'not:'")


def _grid(rob: RobustnessSpec, base: Scenario, arms: dict[str, Scenario],
          src: str) -> tuple[tuple[Dimension, ...], tuple[dict[str, Any], ...]]:
    raw = base.raw()
    dims: list[Dimension] = []
    for i, v in enumerate(rob.vary):
        try:
            d = make_dimension(v, i, raw, f"{src}: robustness")
        except ScenarioError as exc:
            raise ScenarioError(str(exc)) from None
        if d.kind != "values" and d.levels is None:
            raise ScenarioError(f"{src}: robustness.vary[{i}].levels: a range needs levels "
                                f"(how many values from {d.low:g} to {d.high:g}), or give "
                                "values = [...]")
        if d.path in [x.path for x in dims]:
            raise ScenarioError(f"{src}: robustness.vary[{i}].path: {d.path!r} is varied twice")
        dims.append(d)
    points = [dict(zip([d.path for d in dims], combo, strict=True))
              for combo in itertools.product(*(d.grid() for d in dims))]
    if len(points) > 400:
        raise ScenarioError(f"{src}: robustness.vary: the grid has {len(points)} points; at "
                            "most 400 (a robustness check stays small)")
    for k, pt in enumerate(points):
        for name, scn in arms.items():
            try:
                with_overrides(scn, pt)
            except ScenarioError as exc:
                raise ScenarioError(f"{src}: robustness point {k} {pt} (arm {name}): "
                                    f"{exc}") from None
    return tuple(dims), tuple(points)


# ----------------------------------------------------------------------------- verdicts


def verdict(ci_low: float, ci_high: float, direction: str, threshold: float) -> Verdict:
    """The verdict of one test from its confidence interval.

    ``direction = "greater"`` (the claim: effect > threshold): *supported* if
    ``ci_low > threshold``, *not supported* if ``ci_high <= threshold``, else
    *inconclusive*.  ``"less"``: *supported* if ``ci_high < threshold``, *not
    supported* if ``ci_low >= threshold``.  The claim's side is strict, so an
    interval that only touches the threshold from the other side (e.g.
    ``[0, 0]`` for "greater than 0") does not support it.  A missing bound
    (no runs) is inconclusive.
    """
    if direction not in ("greater", "less"):
        raise ValueError(f"direction must be 'greater' or 'less', not {direction!r}")
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "inconclusive"
    lo, hi = (ci_low, ci_high) if ci_low <= ci_high else (ci_high, ci_low)
    if direction == "greater":
        if lo > threshold:
            return "supported"
        return "not supported" if hi <= threshold else "inconclusive"
    if hi < threshold:
        return "supported"
    return "not supported" if lo >= threshold else "inconclusive"


def combine(verdicts: Sequence[str]) -> Verdict:
    """An experiment's verdict from its tests': all supported -> supported; any not
    supported -> not supported; otherwise inconclusive."""
    if not verdicts:
        return "inconclusive"
    if all(v == "supported" for v in verdicts):
        return "supported"
    if any(v == "not supported" for v in verdicts):
        return "not supported"
    return "inconclusive"


@dataclass(frozen=True)
class Estimate:
    """A contrast's estimate: effect, its interval, runs used."""

    effect: float
    ci_low: float
    ci_high: float
    n: int
    arm_means: dict[str, float]
    arm_n: dict[str, int]
    cliffs_delta: float = float("nan")
    method: str = ""

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2.0


def _rng(seed: int, test: str, what: str) -> np.random.Generator:
    return named_rng(seed, test, what)


def estimate(values: Mapping[str, pd.Series], weights: Mapping[str, float], *, paired: bool,
             rng: np.random.Generator, n_boot: int = C.N_BOOT,
             level: float = 0.95, proportion: str = ST.WILSON) -> Estimate:
    """Estimate ``sum_a w_a * mean(x_a)`` with its confidence interval.

    The interval (:mod:`stationsim.analysis.stats`): for one arm of weight 1
    whose values are all 0 or 1 (a share of runs), the proportion interval
    ``proportion`` (``wilson`` or ``clopper-pearson``; ``none`` to bootstrap
    it); otherwise the percentile bootstrap of :func:`scipy.stats.bootstrap`
    drawing from ``rng``.

    Parameters
    ----------
    values : dict of Series
        Per arm, one value per run, indexed by the replication (missing
        values are left out).
    weights : dict
        The contrast's weight of each arm.
    paired : bool
        Replications of the arms share seeds (common random numbers): the
        effect is the mean over replications of ``sum_a w_a x_a(r)`` (a
        replication missing in any arm is left out) and the bootstrap
        resamples replications.  Otherwise each arm's mean is resampled on
        its own.
    rng : numpy Generator
        The bootstrap's generator.
    proportion : str
        The interval of a proportion (see above).
    """
    arms = list(weights)
    clean = {a: pd.to_numeric(values[a], errors="coerce").astype(float).dropna() for a in arms}
    means = {a: float(clean[a].mean()) if len(clean[a]) else float("nan") for a in arms}
    ns = {a: len(clean[a]) for a in arms}
    delta = float("nan")
    pos = [a for a in arms if weights[a] > 0]
    neg = [a for a in arms if weights[a] < 0]
    if len(pos) == 1 and len(neg) == 1 and len(arms) == 2:
        delta = C.cliffs_delta(clean[neg[0]].to_numpy(), clean[pos[0]].to_numpy())
    # a single arm of weight 1 holding 0/1 values is a proportion of runs
    prop = proportion if len(arms) == 1 and weights[arms[0]] == 1.0 else "none"
    nan = float("nan")
    if paired or len(arms) == 1:
        frame = pd.concat([clean[a].rename(a) for a in arms], axis=1, join="inner")
        d = (frame[arms].to_numpy() @ np.array([weights[a] for a in arms], dtype=float))
        if d.size == 0:
            return Estimate(nan, nan, nan, 0, means, ns, delta, method="")
        ci = ST.mean_ci(d, rng, n_boot, level, proportion=prop, paired=len(arms) > 1)
        return Estimate(float(d.mean()), ci.low, ci.high, int(d.size), means, ns, delta,
                        method=ci.method)
    if any(ns[a] == 0 for a in arms):
        return Estimate(nan, nan, nan, 0, means, ns, delta, method="")
    ci = ST.bootstrap_contrast_ci([clean[a].to_numpy() for a in arms],
                                  [weights[a] for a in arms], rng, n_boot, level)
    effect = float(sum(weights[a] * means[a] for a in arms))
    return Estimate(effect, ci.low, ci.high, int(min(ns.values())), means, ns, delta,
                    method=ci.method)


def robustness_summary(table: pd.DataFrame, dims: Sequence[str],
                       column: str = "verdict") -> dict[str, Any]:
    """How the verdict varies over a robustness grid.

    ``table`` has one row per point with a column per parameter in ``dims``
    and the verdict in ``column``.  A parameter *decides* the verdict when
    two points that differ only in it get different verdicts.

    Returns a dict: ``text`` (one line), ``robust`` (every point agrees),
    ``deciding`` (the deciding parameters), ``counts`` (points per verdict),
    ``supported_at`` (the points where the claim is supported, as dicts).
    """
    counts = {v: int((table[column] == v).sum()) for v in VERDICTS}
    n = len(table)
    deciding: list[str] = []
    for d in dims:
        others = [x for x in dims if x != d]
        groups = [table] if not others else [g for _, g in table.groupby(others, dropna=False)]
        if any(g[column].nunique() > 1 for g in groups):
            deciding.append(d)
    present = [v for v in VERDICTS if counts[v]]
    tally = ", ".join(f"{v} at {counts[v]}" for v in present)
    if len(present) <= 1:
        text = f"robust: {present[0] if present else 'no'} verdict at all {n} points"
    elif counts["supported"] and counts["not supported"]:
        text = f"depends on {', '.join(deciding) or 'the combination'} ({tally} of {n} points)"
    else:
        text = (f"varies with {', '.join(deciding) or 'the combination'}, no flip ({tally} of "
                f"{n} points)")
    supported_at = [{d: row[d] for d in dims}
                    for _, row in table[table[column] == "supported"].iterrows()]
    return {"text": text, "robust": len(present) <= 1, "deciding": deciding, "counts": counts,
            "supported_at": supported_at}


# ----------------------------------------------------------------------------- outcomes


def _key(table: pd.DataFrame) -> list[str]:
    return [k for k in ("point", "replication") if k in table.columns]


def outcome_values(outcome: str | OutcomeSpec, runs: pd.DataFrame, steps: pd.DataFrame,
                   membership: pd.DataFrame, params: Mapping[str, Any]) -> pd.Series:
    """One value per run of ``outcome``, indexed by the run's replication (and point).

    ``params`` are the run's model parameters (thresholds, ``regional_scope``).
    """
    key = _key(runs)
    index = pd.MultiIndex.from_frame(runs[key]) if len(key) > 1 else pd.Index(
        runs[key[0]], name=key[0])
    if isinstance(outcome, str):
        col = runs[outcome]
        vals = col.astype("Float64") if pd.api.types.is_bool_dtype(col) else col
        return pd.Series(pd.to_numeric(vals, errors="coerce").to_numpy(dtype=float,
                                                                      na_value=np.nan),
                         index=index, name=outcome)
    if outcome.kind == "channel_is":
        col = runs[f"{outcome.station.lower()}_channel"].astype(str)
        return pd.Series((col == outcome.value).to_numpy(dtype=float), index=index)
    if outcome.kind == "state_value":
        mem = membership[(membership["station"] == outcome.station)
                         & (membership["iso3"] == outcome.state)]
        out = mem.groupby(key)[str(outcome.column)].sum()
        return out.reindex(index).astype(float)
    if outcome.kind == "step_mean":
        st = steps[(steps["station"] == outcome.station) & steps["open"].astype(bool)]
        out = st.groupby(key)[str(outcome.column)].mean()
        return out.reindex(index).astype(float)
    mem = membership[membership["station"] == outcome.station]
    host = mem[mem["role"] == "host"]
    guests = mem[mem["role"] != "host"]
    guests = guests[guests["n_joins"] > 0] if outcome.among == "ever" else \
        guests[guests["member_at_end"].astype(bool)]
    ok = pd.Series(True, index=guests.index)
    for cond in outcome.where:
        neg = cond.startswith("not:")
        c = _condition(cond.removeprefix("not:"), guests, host, membership, params, key)
        ok &= ~c if neg else c
    g = pd.DataFrame({**{k: guests[k] for k in key}, "ok": ok.astype(float)})
    grp = g.groupby(key)["ok"]
    if outcome.kind == "guest_share":
        out = grp.mean().reindex(index)
    elif outcome.kind == "guest_count":
        out = grp.sum().reindex(index).fillna(0.0)
    else:
        out = (grp.sum() > 0).astype(float).reindex(index).fillna(0.0)
    return out.astype(float)


def _condition(term: str, guests: pd.DataFrame, host: pd.DataFrame, membership: pd.DataFrame,
               params: Mapping[str, Any], key: list[str]) -> pd.Series:
    if term in MEMBER_CLASSES:  # the classes the run row counts (stationsim.OUTCOMES)
        mask = MEMBER_CLASSES[term](guests["capability"].to_numpy(dtype=float),
                                    guests["developing"].to_numpy(dtype=bool), params)
        return pd.Series(mask, index=guests.index)
    if term == "aligned":  # on the host's side of the alignment axis
        place = host[[*key, "alignment"]].rename(columns={"alignment": "_host_al"})
        merged = guests[[*key, "alignment"]].merge(place, on=key, how="left")
        prod = merged["alignment"].to_numpy(dtype=float) * merged["_host_al"].to_numpy(dtype=float)
        return pd.Series(prod > 0, index=guests.index)
    if term == "regional":
        scope = "continent" if params["regional_scope"] == "continent" else "region"
        place = host[[*key, scope]].rename(columns={scope: "_host_place"})
        merged = guests[[*key, scope]].merge(place, on=key, how="left")
        return pd.Series((merged[scope].to_numpy() == merged["_host_place"].to_numpy()),
                         index=guests.index)
    station = term.split(":", 1)[1]  # member_of:<STATION>
    other = membership[(membership["station"] == station) & (membership["role"] != "host")
                       & (membership["n_joins"] > 0)]
    was = other[[*key, "iso3"]].drop_duplicates().assign(_was=True)
    merged = guests[[*key, "iso3"]].merge(was, on=[*key, "iso3"], how="left")
    return pd.Series(merged["_was"].fillna(False).astype(bool).to_numpy(), index=guests.index)


# ----------------------------------------------------------------------------- running


@dataclass
class TestResult:
    """The result of one test of an experiment."""

    name: str
    outcome: str
    contrast: dict[str, float]
    direction: str
    threshold: float
    estimate: Estimate
    verdict: Verdict
    primary: bool = True

    def contrast_text(self) -> str:
        return contrast_text(self.contrast)

    def claim_text(self) -> str:
        return f"{'>' if self.direction == 'greater' else '<'} {self.threshold:g}"

    def row(self) -> dict[str, Any]:
        e = self.estimate
        return {"test": self.name, "outcome": self.outcome, "contrast": self.contrast_text(),
                "claim": self.claim_text(), "effect": e.effect, "ci_low": e.ci_low,
                "ci_high": e.ci_high, "method": e.method, "half_width": e.half_width,
                "n": e.n, "cliffs_delta": e.cliffs_delta,
                **{f"mean[{a}]": m for a, m in e.arm_means.items()},
                "verdict": self.verdict, "primary": self.primary}


def overall(tests: Sequence[TestResult]) -> Verdict:
    """The experiment's verdict: :func:`combine` over its primary tests."""
    return combine([t.verdict for t in tests if t.primary])


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` returns (and writes as ``experiment.json``)."""

    experiment: Experiment
    replications: int
    tests: list[TestResult]
    verdict: Verdict
    robustness: pd.DataFrame | None = None
    robustness_replications: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None
    stopped_by: str = "fixed"
    maps: list[ClaimMap] = field(default_factory=list)

    def assumption(self) -> str:
        """"" or the label of a claim whose effect one term of the model writes in."""
        bc = self.experiment.spec.by_construction
        return f"assumption: by construction of {bc.term}" if bc is not None else ""

    def tests_table(self) -> pd.DataFrame:
        """One row per test; ``stopped_by`` says what fixed the replications: ``fixed``
        (the file's or ``-r``), ``precision`` (every primary half-width reached the
        target) or ``cap`` (``max_replications`` reached first)."""
        df = pd.DataFrame([t.row() for t in self.tests])
        df["replications"] = self.replications
        df["stopped_by"] = self.stopped_by
        prec = self.experiment.spec.precision
        df["target_half_width"] = prec.half_width if prec is not None else float("nan")
        df["assumption"] = [self.assumption() if p else "" for p in df["primary"]]
        return df

    def to_dict(self) -> dict[str, Any]:
        spec = self.experiment.spec
        rob = None
        if self.robustness is not None:
            rob = {"replications": self.robustness_replications,
                   "parameters": [d.path for d in self.experiment.dimensions],
                   "summary": self.summary,
                   "points": _records(self.robustness)}
        return {
            "name": spec.name, "claim": spec.claim, "statement": spec.statement,
            "description": spec.description, "papers": spec.papers,
            "source": self.experiment.source, "base": self.experiment.base.source,
            "seed": spec.seed, "replications": self.replications, "steps": spec.steps,
            "common_random_numbers": spec.common_random_numbers,
            "bootstrap": {"seed": spec.boot_seed, "n_boot": spec.n_boot, "level": spec.level},
            "arms": [{"name": a.name, "description": a.description, "set": a.set}
                     for a in spec.arms],
            "tests": _records(self.tests_table()),
            "verdict": self.verdict,
            "assumption": self.assumption(),
            "by_construction": (spec.by_construction.model_dump()
                                if spec.by_construction is not None else None),
            "interval": {"proportion": spec.proportion, "means": ST.BOOTSTRAP
                         + " (scipy.stats.bootstrap)"},
            "precision": ({**spec.precision.model_dump(), "stopped_by": self.stopped_by}
                          if spec.precision is not None else None),
            "deciding": [d.model_dump() for d in spec.deciding],
            "robustness": rob,
            "maps": [{"name": m.stem, "parameters": m.parameters,
                      "replications": m.replications, "csv": f"claim_map_{m.stem}.csv",
                      "png": f"claim_map_{m.stem}.png",
                      "share_supported": m.share_supported(), "counts": m.counts(),
                      "points": len(m.table), "text": m.text()} for m in self.maps],
        }

    def text(self) -> str:
        """A plain-text summary: each test's effect, interval and verdict; robustness."""
        spec = self.experiment.spec
        pct = f"{spec.level:.0%}"
        pairing = "common random numbers (paired)" if spec.common_random_numbers else "unpaired"
        lines = [f"{spec.claim}: {spec.statement}",
                 f"  base {self.experiment.base.source}; {len(spec.arms)} arm(s) x "
                 f"{self.replications} replications, seed {spec.seed}, {pairing}"]
        for t in self.tests:
            e = t.estimate
            means = ", ".join(f"{a} {_fmt(m)}" for a, m in e.arm_means.items())
            role = "" if t.primary else " (secondary: not part of the verdict)"
            lines.append(f"  test {t.name}{role}: {t.outcome}  [{t.contrast_text()}]")
            lines.append(f"    means: {means}")
            lines.append(f"    effect {_fmt(e.effect)}, {pct} CI [{_fmt(e.ci_low)}, "
                         f"{_fmt(e.ci_high)}] ({e.method}; n = {e.n}); claim: effect "
                         f"{t.claim_text()} -> {t.verdict}")
        if spec.precision is not None:
            lines.append(f"  replications: {self.replications}, stopped by {self.stopped_by} "
                         f"(target half-width {spec.precision.half_width:g}, cap "
                         f"{spec.precision.max_replications})")
        label = f" ({self.assumption()})" if self.assumption() else ""
        lines.append(f"  verdict: {self.verdict}{label}")
        if self.robustness is not None:
            npts = len(self.robustness)
            lines.append(f"  robustness ({npts} points x {self.robustness_replications} "
                         f"replications per arm): {self.summary.get('text', '')}")
            lines.extend(f"    {line}" for line in self.robustness_lines())
        for m in self.maps:
            lines.append(f"  {m.text()}")
            dims = m.parameters
            for _, r in m.table.iterrows():
                where = " ".join(f"{d.split('.')[-1]}={_value(r[d])}" for d in dims)
                prim = [t.name for t in self.tests if t.primary]
                tests = "; ".join(f"{n} {_fmt(r[f'{n}.effect'])} [{_fmt(r[f'{n}.ci_low'])}, "
                                  f"{_fmt(r[f'{n}.ci_high'])}]" for n in prim)
                lines.append(f"    {where}: {r['verdict']} ({tests})")
        return "\n".join(lines)

    def robustness_lines(self) -> list[str]:
        """One line per grid point: its values, verdict, and each primary test's estimate."""
        if self.robustness is None:
            return []
        dims = [d.path for d in self.experiment.dimensions]
        prim = [t.name for t in self.tests if t.primary]
        out = []
        for _, r in self.robustness.iterrows():
            where = " ".join(f"{d.split('.')[-1]}={_value(r[d])}" for d in dims)
            tests = "; ".join(f"{n} {_fmt(r[f'{n}.effect'])} [{_fmt(r[f'{n}.ci_low'])}, "
                              f"{_fmt(r[f'{n}.ci_high'])}]" for n in prim)
            out.append(f"{where}: {r['verdict']} ({tests})")
        return out


def contrast_text(weights: Mapping[str, float]) -> str:
    """``quid_pro_quo - hub_and_spoke``; ``mean(arm)`` for one arm of weight 1."""
    if len(weights) == 1 and next(iter(weights.values())) == 1.0:
        return f"mean({next(iter(weights))})"
    parts = []
    for k, (a, w) in enumerate(weights.items()):
        sign = "-" if w < 0 else ("+" if k else "")
        mag = "" if abs(w) == 1.0 else f"{abs(w):g}*"
        parts.append(f"{sign} {mag}{a}".strip() if k else f"{sign}{mag}{a}")
    return " ".join(parts)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({str(k): (None if isinstance(v, float) and not math.isfinite(v) else
                             v.item() if isinstance(v, np.generic) else v)
                    for k, v in rec.items()})
    return out


def _fmt(x: Any) -> str:
    return C.fmt_number(x, 4)


def _value(x: Any) -> str:
    """A grid value as written in a file: true/false, numbers, strings."""
    if isinstance(x, bool | np.bool_):
        return str(bool(x)).lower()
    return _fmt(x) if isinstance(x, int | float | np.number) else str(x)


def _outcome_label(oc: str | OutcomeSpec) -> str:
    if isinstance(oc, str):
        return oc
    bits = [oc.kind, oc.station]
    if oc.column:
        bits.append(oc.column)
    if oc.state:
        bits.insert(2, oc.state)
    if oc.value:
        bits.append(oc.value)
    if oc.where:
        bits.append("&".join(oc.where))
    if oc.kind.startswith("guest_"):
        bits.append(oc.among)
    return ":".join(bits)


class _Progress:
    """Progress lines of an experiment (runs done / planned, arms, grid points) through
    ``log``; they are plain lines, so they show when the output is not a terminal too."""

    def __init__(self, name: str, log: Callable[[str], None] | None) -> None:
        self.name, self.log, self.done, self.total = name, log, 0, 0

    def plan(self, runs: int) -> None:
        self.total += runs

    def step(self, what: str, runs: int) -> None:
        self.done += runs
        if self.log is not None:
            self.log(f"{self.name}: [{self.done}/{self.total} runs] {what}")


def _run_arms(exp: Experiment, out: Path, replications: int, steps: int | None,
              workers: int | None, log: Callable[[str], None] | None,
              points: Sequence[dict[str, Any]] = (), *, first: int = 0, stride: int = 0,
              dims: Sequence[Dimension] | None = None, progress: _Progress | None = None,
              phase: str = "arms", resume: bool = False) -> dict[str, Path]:
    """Run every arm (one executor job each) into ``out/<arm>``; return the folders.

    ``first``: the replications run are ``first .. first + replications - 1``
    (seeds and the ``replication`` column: see :func:`_tables`); ``stride``:
    the seeds each unpaired arm owns.  With ``resume`` a finished arm is kept as it
    is and an interrupted one finished."""
    spec = exp.spec
    folders: dict[str, Path] = {}
    dims = exp.dimensions if dims is None else dims
    for k, (name, scn) in enumerate(exp.arms.items()):
        target = out / name
        seed_offset = 0 if spec.common_random_numbers else k
        if points:
            cols = tuple(points[0])
            total = len(points) * replications
            job = Job(kind="sweep", scenario=scenario_data(scn), source=scn.source,
                      columns=cols, points=tuple(tuple(pt[c] for c in cols) for pt in points),
                      replications=replications, master_seed=spec.seed, steps=steps,
                      chunk_runs=default_chunk_runs(total),
                      common_random_numbers=spec.common_random_numbers)
        else:
            job = run_job(scn, seed=spec.seed, replications=replications, steps=steps)
        if seed_offset or first or stride:  # disjoint streams / later replications
            job = _offset_job(job, seed_offset, stride, first)
        manifest = {"kind": "sweep" if points else "run", "scenario": scenario_manifest(scn),
                    "experiment": spec.name, "arm": name, "command": sys.argv,
                    "first_replication": first}
        if points:
            manifest["sweep"] = {"name": f"{spec.name}-{name}", "common_random_numbers":
                                 spec.common_random_numbers,
                                 "dimensions": [d.describe() for d in dims]}
        execute(job, target, manifest, workers=workers, progress=False,
                label=f"{spec.name}/{name}", log=log, resume=resume)
        folders[name] = target
        if progress is not None:
            where = f", {len(points)} grid points" if points else ""
            progress.step(f"{phase}: arm {name} ({job.total_runs} runs{where})", job.total_runs)
    return folders


def _offset_job(job: Job, k: int, stride: int = 0, first: int = 0) -> Job:
    """A job whose run ``i`` uses the seed ``run_seed(master, k * stride + first + i)``.

    ``k`` is the arm's index (unpaired arms: disjoint streams), ``stride`` the
    seeds each arm owns (default the job's runs), ``first`` the first
    replication (replications added to reach a precision)."""
    return _OffsetJob(**{f: getattr(job, f) for f in job.__dataclass_fields__}, offset=k,
                      stride=stride, first=first)


@dataclass(frozen=True)
class _OffsetJob(Job):
    offset: int = 0
    stride: int = 0
    first: int = 0

    def seed_of(self, run_id: int) -> int:
        from stationsim.running.batch import run_seed

        idx = run_id % self.replications if self.common_random_numbers else run_id
        stride = self.stride or self.total_runs
        return run_seed(self.master_seed, self.offset * stride + self.first + idx)


def _tables(folder: Path, arm: str, arm_index: int, replications: int,
            n_points: int = 1, first: int = 0) -> dict[str, pd.DataFrame]:
    res = load_results(folder)
    out = {}
    per_arm = replications * n_points
    for name in TABLES:
        df = getattr(res, name).copy()
        if first:
            df["replication"] = df["replication"] + first
        rid = (df["run_id"] if "run_id" in df.columns else df["replication"]).to_numpy()
        if "run_id" in df.columns:
            df = df.drop(columns=["run_id"])
        df.insert(0, "arm", arm)
        df.insert(0, "run_id", arm_index * per_arm + rid)
        out[name] = df
    return out


def _params_of(scn: Scenario, point: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return (with_overrides(scn, dict(point)) if point else scn).params()


def _evaluate(exp: Experiment, tabs: dict[str, dict[str, pd.DataFrame]],
              point: Mapping[str, Any] | None = None,
              salt: str = "") -> list[TestResult]:
    """Every test's estimate and verdict from the arms' tables (of one point)."""
    spec = exp.spec
    results = []
    for t in spec.tests:
        weights = exp.contrasts[t.name]
        values = {}
        for arm in weights:
            tb = tabs[arm]
            values[arm] = outcome_values(t.outcome, tb["runs"], tb["steps"], tb["membership"],
                                         _params_of(exp.arms[arm], point))
            if isinstance(values[arm].index, pd.MultiIndex):
                values[arm] = values[arm].droplevel("point")
        # a proportion interval only for outcomes that are 0/1 per run by design
        indicator = isinstance(t.outcome, str) or t.outcome.kind in ("guest_any", "channel_is")
        est = estimate(values, weights, paired=spec.common_random_numbers,
                       rng=_rng(spec.boot_seed, t.name, salt), n_boot=spec.n_boot,
                       level=spec.level, proportion=spec.proportion if indicator else "none")
        results.append(TestResult(t.name, _outcome_label(t.outcome), weights, t.direction,
                                  t.threshold, est,
                                  verdict(est.ci_low, est.ci_high, t.direction, t.threshold),
                                  t.primary))
    return results


def run_experiment(exp: Experiment | str | Path, out: str | Path, *,
                   replications: int | None = None, steps: int | None = None,
                   workers: int | None = None, robustness: bool = True,
                   robustness_replications: int | None = None,
                   log: Callable[[str], None] | None = None,
                   resume: bool = False, claim_map: bool | None = None,
                   map_replications: int | None = None) -> ExperimentResult:
    """Run an experiment's arms (its robustness grid, its claim maps) into ``out``.

    Parameters
    ----------
    exp : Experiment or path
        From :func:`load_experiment`, or the file.
    out : str or Path
        A new (or empty) folder.
    replications : int, optional
        Replications per arm (default: the file's); with a ``[precision]``
        table, the first stage's.
    steps : int, optional
        Steps per run (default: the file's, else the base scenario's).
    workers : int, optional
        Worker processes of the executor (default: all cores).
    robustness : bool
        Also run the robustness grid (if the file has one).
    robustness_replications : int, optional
        Replications per arm and point of the grid (default: the file's).
    log : callable, optional
        Receives progress lines (runs done / planned, arm, grid points).
    resume : bool
        Finish an interrupted experiment in ``out`` (the same experiment and options):
        finished arms and grid points are kept, the rest is run.
    claim_map : bool, optional
        Draw the claim maps over the ``[[deciding]]`` ranges (default: when
        the file declares any).
    map_replications : int, optional
        Replications per arm and map point (default: the file's ``[map]``).

    Raises
    ------
    stationsim.running.executor.OutputError
        If ``out`` exists and is not empty (without ``resume``), or holds another
        experiment.
    stationsim.running.lock.FolderBusy
        If another process is writing to ``out``.
    """
    ex = exp if isinstance(exp, Experiment) else load_experiment(exp)
    spec = ex.spec
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder; choose another --out")
    reps = spec.replications if replications is None else int(replications)
    if reps < 2:
        raise OutputError("replications must be at least 2 (an interval needs a spread)")
    rreps = (spec.robustness.replications if spec.robustness is not None else 30) \
        if robustness_replications is None else int(robustness_replications)
    run_grid = bool(robustness and ex.points)
    check_run_options(steps=steps, replications=reps, workers=workers, prefix="")
    created = prepare_folder(target)
    try:
        with FolderLock(target):  # one writer, for the whole experiment
            return _run_experiment_locked(ex, target, reps, steps, workers, run_grid, rreps,
                                          log, resume, claim_map, map_replications)
    except BaseException:
        remove_created(created)  # a refused experiment leaves no folder behind
        raise


def experiment_fingerprint(ex: Experiment, reps: int, steps: int | None, run_grid: bool,
                           rreps: int, claim_map: bool | None = None,
                           map_replications: int | None = None) -> str:
    """SHA-256 of what an experiment means (never its file's path, comments or layout)."""
    payload = {"spec": ex.spec.model_dump(mode="json"), "base": scenario_data(ex.base),
               "arms": {a: scenario_data(s) for a, s in ex.arms.items()},
               "points": list(ex.points) if run_grid else [], "replications": reps,
               "robustness_replications": rreps if run_grid else None, "steps": steps,
               "claim_map": claim_map, "map_replications": map_replications}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _run_experiment_locked(ex: Experiment, target: Path, reps: int, steps: int | None,
                           workers: int | None, run_grid: bool, rreps: int,
                           log: Callable[[str], None] | None, resume: bool,
                           claim_map: bool | None, map_replications: int | None
                           ) -> ExperimentResult:
    spec = ex.spec
    fp = experiment_fingerprint(ex, reps, steps, run_grid, rreps, claim_map, map_replications)
    started = now_iso()
    if any(p.name != LOCK_NAME for p in target.iterdir()):
        if not resume:
            raise OutputError(f"{target}: output folder exists and is not empty; choose another "
                              "--out, or pass --resume to finish an interrupted experiment there")
        old = read_manifest(target)
        if old is None or old.get("kind") != "experiment" or old.get("fingerprint") != fp:
            raise OutputError(f"{target}: holds a different experiment (other file, base, "
                              "--set, replications or steps); resume with the same command "
                              "and options, or choose another --out")
        started = str(old.get("started", started))
        for tmp in target.glob(".*.tmp"):  # left by a kill during a write
            tmp.unlink(missing_ok=True)
    state = {"kind": "experiment", "fingerprint": fp,
             "experiment": {"name": spec.name, "claim": spec.claim, "source": ex.source},
             "started": started, "command": sys.argv,
             "progress": {"status": "running", "updated": now_iso()}}
    write_json(state, target / "manifest.json")
    n_steps = steps if steps is not None else spec.steps
    try:
        prec = spec.precision
        cap = max(reps, prec.max_replications) if prec is not None else reps
        do_map = bool(ex.deciding) if claim_map is None else (claim_map and bool(ex.deciding))
        mreps = spec.map.replications if map_replications is None else int(map_replications)
        narms = len(ex.arms)
        prog = _Progress(spec.name, log)
        prog.plan(narms * reps)
        if run_grid:
            prog.plan(narms * rreps * len(ex.points))
        maps = _map_plan(ex) if do_map else []
        for _, pts, _ in maps:
            prog.plan(narms * mreps * len(pts))
        if log is not None:
            log(f"{spec.name}: {narms} arm(s) x {reps} replications"
                + (f" (growing to a half-width of {prec.half_width:g}, at most {cap})" if prec
                   else "")
                + (f"; robustness {len(ex.points)} points x {rreps}" if run_grid else "")
                + (f"; claim maps {', '.join(m[0] for m in maps)} "
                   f"({sum(len(m[1]) for m in maps)} points x {mreps})" if maps else "")
                + f": {prog.total} runs planned")
        folders = _run_arms(ex, target / "arms", reps, n_steps, workers, log, stride=cap,
                            progress=prog, resume=resume)
        tabs = {a: _tables(f, a, k, cap) for k, (a, f) in enumerate(folders.items())}
        tests = _evaluate(ex, tabs)
        total = reps
        stopped = "fixed"
        if prec is not None:
            while True:
                widths = [t.estimate.half_width for t in tests if t.primary]
                worst = max((w if math.isfinite(w) else math.inf) for w in widths)
                if worst <= prec.half_width:
                    stopped = "precision"
                    break
                if total >= cap:
                    stopped = "cap"
                    break
                grow = total * (worst / prec.half_width) ** 2 * 1.1 if math.isfinite(worst) \
                    else 2 * total
                new_total = int(min(cap, max(math.ceil(1.5 * total), math.ceil(grow))))
                more = new_total - total
                prog.plan(narms * more)
                extra = _run_arms(ex, target / "arms_more" / f"from_{total}", more, n_steps,
                                  workers, log, first=total, stride=cap, progress=prog,
                                  phase=f"replications {total}..{new_total - 1}",
                                  resume=resume)
                for k, (a, f) in enumerate(extra.items()):
                    add = _tables(f, a, k, cap, 1, first=total)
                    tabs[a] = {n: pd.concat([tabs[a][n], add[n]], ignore_index=True)
                               for n in TABLES}
                total = new_total
                tests = _evaluate(ex, tabs)
        result = ExperimentResult(ex, total, tests, overall(tests), out=target, stopped_by=stopped)
        if run_grid:
            result.robustness_replications = rreps
            rfold = _run_arms(ex, target / "robustness", rreps, n_steps, workers, log, ex.points,
                              progress=prog, phase="robustness", resume=resume)
            rtabs = {a: _tables(f, a, k, rreps, len(ex.points))
                     for k, (a, f) in enumerate(rfold.items())}
            result.robustness = _grid_table(ex, rtabs, ex.points)
            result.summary = robustness_summary(result.robustness, [d.path for d in ex.dimensions])
        for stem, pts, dims in maps:
            mfold = _run_arms(ex, target / "maps" / stem, mreps, n_steps, workers, log, pts,
                              dims=dims, progress=prog, phase=f"claim map {stem}",
                              resume=resume)
            mtabs = {a: _tables(f, a, k, mreps, len(pts)) for k, (a, f) in enumerate(mfold.items())}
            table = _grid_table(ex, mtabs, pts, salt="map")
            result.maps.append(ClaimMap(stem, [d.path for d in dims], table, mreps))
        _write(result, tabs, started, fp)
    except BaseException as exc:
        state["progress"] = {"status": "interrupted" if isinstance(exc, KeyboardInterrupt)
                             else "failed", "updated": now_iso()}
        with contextlib.suppress(OSError):  # the disk may be full
            write_json(state, target / "manifest.json")
        if isinstance(exc, MachineFault):  # say how to resume the experiment, not the arm
            raise MachineFault(f"{target}: {exc.cause}; finished arms are kept: fix the "
                               f"cause, then run the same command with --out {target} "
                               "--resume", cause=exc.cause) from exc
        raise
    return result


def _map_plan(ex: Experiment) -> list[tuple[str, list[dict[str, Any]], list[Dimension]]]:
    """The claim maps: one per deciding parameter, and the first two together."""
    dims = list(ex.deciding)
    stems = _stems([d.path for d in dims])
    plan = [(stems[d.path], [{d.path: v} for v in _tidy(d.grid())], [d]) for d in dims]
    if len(dims) >= 2 and ex.spec.map.two_d:
        a, b = dims[0], dims[1]
        ga = _regrid(a, ex.spec.map.levels_2d)
        gb = _regrid(b, ex.spec.map.levels_2d)
        pts = [{a.path: x, b.path: y} for x in ga for y in gb]
        plan.append((f"{stems[a.path]}__{stems[b.path]}", pts, [a, b]))
    return plan


def _regrid(d: Dimension, levels: int) -> list[Any]:
    return _tidy(Dimension(d.path, d.kind, d.low, d.high, d.values, levels).grid())


def _tidy(values: Sequence[Any]) -> list[Any]:
    """Grid values without float noise (0.4625, not 0.46249999999999997)."""
    return [float(f"{v:.10g}") if isinstance(v, float) else v for v in values]


def _stems(paths: Sequence[str]) -> dict[str, str]:
    """File-name stem of each parameter: its last path component, unless two share it."""
    last = [p.split(".")[-1] for p in paths]
    return {p: (n if last.count(n) == 1 else p.replace(".", "_"))
            for p, n in zip(paths, last, strict=True)}


def _grid_table(ex: Experiment, rtabs: dict[str, dict[str, pd.DataFrame]],
                points: Sequence[dict[str, Any]], salt: str = "") -> pd.DataFrame:
    """One row per grid point: its values, each test's estimate and verdict, the verdict."""
    rows = []
    for p, pt in enumerate(points):
        sub = {a: {n: df[df["point"] == p] for n, df in tb.items()} for a, tb in rtabs.items()}
        tests = _evaluate(ex, sub, pt, salt=f"{salt}point{p}")
        row: dict[str, Any] = {"point": p, **pt}
        for t in tests:
            e = t.estimate
            row.update({f"{t.name}.effect": e.effect, f"{t.name}.ci_low": e.ci_low,
                        f"{t.name}.ci_high": e.ci_high, f"{t.name}.method": e.method,
                        f"{t.name}.verdict": t.verdict})
        row["verdict"] = overall(tests)
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class ClaimMap:
    """The verdict and effects over a deciding parameter's range (or two parameters')."""

    stem: str
    parameters: list[str]
    table: pd.DataFrame
    replications: int

    def share_supported(self) -> float:
        """Share of the map's points (evenly spaced over the plausible region) where the
        claim is supported."""
        return float((self.table["verdict"] == "supported").mean()) if len(self.table) else \
            float("nan")

    def counts(self) -> dict[str, int]:
        return {v: int((self.table["verdict"] == v).sum()) for v in VERDICTS}

    def text(self) -> str:
        c = self.counts()
        n = len(self.table)
        tally = ", ".join(f"{v} at {c[v]}" for v in VERDICTS if c[v])
        return (f"claim map {' x '.join(self.parameters)}: supported on "
                f"{self.share_supported():.0%} of the plausible region ({tally} of {n} points, "
                f"{self.replications} replications per arm and point)")


def _write(result: ExperimentResult, tabs: dict[str, dict[str, pd.DataFrame]],
           started: str, fingerprint: str = "") -> None:
    """The experiment folder: the arms' tables together, results, manifest."""
    ex = result.experiment
    out = result.out
    assert out is not None
    arms = list(ex.arms)
    rows = {}
    for name in TABLES:
        df = pd.concat([tabs[a][name] for a in arms], ignore_index=True)
        df["arm"] = pd.Categorical(df["arm"], categories=arms)
        if name == "runs":
            for t in ex.spec.tests:
                if isinstance(t.outcome, OutcomeSpec):
                    vals = [outcome_values(t.outcome, tabs[a]["runs"], tabs[a]["steps"],
                                           tabs[a]["membership"], ex.arms[a].params())
                            for a in arms]
                    df[f"exp_{t.name}"] = np.concatenate([v.to_numpy() for v in vals])
        write_table(df, out / f"{name}.parquet")
        rows[name] = len(df)
    atomic_write(out / "tests.csv", lambda tmp: result.tests_table().to_csv(tmp, index=False))
    if result.robustness is not None:
        rob = result.robustness
        atomic_write(out / "robustness.csv", lambda tmp: rob.to_csv(tmp, index=False))
    for m in result.maps:
        mt = m.table
        atomic_write(out / f"claim_map_{m.stem}.csv",
                     lambda tmp, t=mt: t.to_csv(tmp, index=False))  # type: ignore[misc]
        fig = claim_map_figure(m.table, m.parameters, result.tests, ex.spec.claim)
        P.save(fig, out, f"claim_map_{m.stem}", formats=("png",))
    write_json(result.to_dict(), out / RESULT_FILE)
    spec = ex.spec
    write_json({
        "kind": "experiment",
        "experiment": {"name": spec.name, "claim": spec.claim, "source": ex.source,
                       "text": ex.text},
        "scenario": scenario_manifest(ex.base),
        "arms": {a.name: a.set for a in spec.arms},
        "master_seed": spec.seed, "replications": result.replications,
        "steps": spec.steps if spec.steps is not None else ex.base.steps,
        "common_random_numbers": spec.common_random_numbers,
        "environment": environment(), "rows": rows, "started": started,
        "finished": now_iso(), "command": sys.argv, "verdict": result.verdict,
        "fingerprint": fingerprint, "tables": table_stamps(out),
        "progress": {"status": "complete", "updated": now_iso()},
    }, out / "manifest.json")


# ----------------------------------------------------------------------------- report


def effects_figure(tests: pd.DataFrame, title: str = "") -> Figure:
    """Each test's effect with its interval and threshold (one row per test or point).

    ``tests`` has ``label``, ``effect``, ``ci_low``, ``ci_high``, ``threshold``
    and ``verdict`` columns.
    """
    colours = {"supported": "#1b7837", "not supported": "#b2182b", "inconclusive": "#7f7f7f"}
    n = len(tests)
    fig = Figure(figsize=(7.5, 0.9 + 0.32 * max(n, 2)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    for yi, (_, r) in zip(y, tests.iterrows(), strict=True):
        c = colours.get(str(r["verdict"]), "#333333")
        if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]):
            ax.plot([r["ci_low"], r["ci_high"]], [yi, yi], color=c, lw=2.5)
        ax.plot([r["effect"]], [yi], "o", color=c, ms=5)
    for thr in pd.unique(tests["threshold"]):
        ax.axvline(float(thr), color="black", lw=0.8, ls="--")
    ax.set_yticks(y, [str(s) for s in tests["label"]], fontsize=8)
    ax.set_xlabel("effect (dot) and 95 % CI (bar); dashed line: the claim's threshold",
                  fontsize=8)
    present = [v for v in colours if (tests["verdict"] == v).any()]
    handles = [Line2D([], [], color=colours[v], lw=2.5, label=v) for v in present]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig




#: Colours of the verdicts in every experiment figure (Okabe-Ito; grey for inconclusive).
VERDICT_COLOURS = {"supported": P.OKABE_ITO["bluish_green"],
                   "not supported": P.OKABE_ITO["vermillion"], "inconclusive": "#999999"}


def claim_map_figure(table: pd.DataFrame, parameters: Sequence[str],
                     tests: Sequence[TestResult], claim: str = "") -> Figure:
    """The claim map: verdict and effect over one or two deciding parameters.

    One parameter: per primary test a panel of the effect (dot) and its
    interval (bar) at each value, coloured by the test's verdict, with the
    claim's threshold dashed; the experiment's verdict as a strip below.
    Two parameters: per primary test a grid of cells coloured by the test's
    verdict, the effect written in each.
    """
    prim = [t for t in tests if t.primary] or list(tests)
    n = len(prim)
    if len(parameters) == 1:
        p = parameters[0]
        x = table[p].to_numpy(dtype=float)
        fig = Figure(figsize=(3.6 * n + 0.6, 3.4), layout="constrained")
        axes = fig.subplots(1, n, squeeze=False)[0]
        for ax, t in zip(axes, prim, strict=True):
            eff = table[f"{t.name}.effect"].to_numpy(dtype=float)
            lo = table[f"{t.name}.ci_low"].to_numpy(dtype=float)
            hi = table[f"{t.name}.ci_high"].to_numpy(dtype=float)
            ax.plot(x, eff, color=P.NEUTRAL, lw=0.8, zorder=1)
            for xi, e, a, b, v in zip(x, eff, lo, hi, table[f"{t.name}.verdict"], strict=True):
                c = VERDICT_COLOURS.get(str(v), P.NEUTRAL)
                if np.isfinite(a) and np.isfinite(b):
                    ax.plot([xi, xi], [a, b], color=c, lw=2.5, zorder=2)
                ax.plot([xi], [e], "o", color=c, ms=5, zorder=3)
            ax.axhline(t.threshold, color="black", lw=0.8, ls="--")
            ax.set_title(f"{t.name} ({t.claim_text()})", fontsize=9)
            ax.set_xlabel(p, fontsize=8)
            ax.set_ylabel("effect and 95 % CI", fontsize=8)
            ax.tick_params(labelsize=8)
        present = [v for v in VERDICTS if (table["verdict"] == v).any()
                   or any((table[f"{t.name}.verdict"] == v).any() for t in prim)]
    else:
        pa, pb = parameters[0], parameters[1]
        xs = list(dict.fromkeys(table[pa]))
        ys = list(dict.fromkeys(table[pb]))
        fig = Figure(figsize=(3.8 * n + 0.6, 3.6), layout="constrained")
        axes = fig.subplots(1, n, squeeze=False)[0]
        for ax, t in zip(axes, prim, strict=True):
            for _, r in table.iterrows():
                i, j = xs.index(r[pa]), ys.index(r[pb])
                c = VERDICT_COLOURS.get(str(r[f"{t.name}.verdict"]), P.NEUTRAL)
                ax.add_patch(Rectangle((i - 0.5, j - 0.5), 1, 1, color=c, alpha=0.85))
                ax.text(i, j, C.fmt_number(r[f"{t.name}.effect"], 2), ha="center",
                        va="center", fontsize=7)
            ax.set_xlim(-0.5, len(xs) - 0.5)
            ax.set_ylim(-0.5, len(ys) - 0.5)
            ax.set_xticks(range(len(xs)), [_value(v) for v in xs], fontsize=7)
            ax.set_yticks(range(len(ys)), [_value(v) for v in ys], fontsize=7)
            ax.set_xlabel(pa, fontsize=8)
            ax.set_ylabel(pb, fontsize=8)
            ax.set_title(f"{t.name} ({t.claim_text()}): effect", fontsize=9)
        present = [v for v in VERDICTS
                   if any((table[f"{t.name}.verdict"] == v).any() for t in prim)]
    handles = [Line2D([], [], color=VERDICT_COLOURS[v], lw=6, label=v) for v in present]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    share = float((table["verdict"] == "supported").mean()) if len(table) else float("nan")
    fig.suptitle(f"{claim} claim map: supported at {share:.0%} of the plausible region",
                 fontsize=10)
    return fig
