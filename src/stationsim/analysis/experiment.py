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

``where`` conditions: ``regional`` (the station host's continent, or UN
sub-region, as ``regional_scope`` says), ``developing``, ``major_power``
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
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stationsim.analysis import compare as C
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
CONDITIONS = ("regional", *MEMBER_CLASSES)
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

    kind: Literal["guest_share", "guest_count", "guest_any", "step_mean"]
    station: str
    where: list[str] = Field(default_factory=list)
    among: Literal["ever", "end"] = "ever"
    column: str | None = None


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


class ExperimentSpec(_Strict):
    """The experiment file format (validated; see the module docstring)."""

    name: Name
    claim: Literal["H1", "H2", "H3", "H4", "H5", "H6"]
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
        Dotted-path overrides applied to the base before the arms' own.

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
    if overrides:
        scn = with_overrides(scn, dict(overrides))
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
    return Experiment(spec=spec, source=source, text=text, base=scn, arms=arms,
                      contrasts=contrasts, dimensions=dims, points=points)


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


def _rng(seed: int, test: str, what: str) -> np.random.Generator:
    key = (zlib.crc32(test.encode()), zlib.crc32(what.encode()))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def estimate(values: Mapping[str, pd.Series], weights: Mapping[str, float], *, paired: bool,
             rng: np.random.Generator, n_boot: int = C.N_BOOT,
             level: float = 0.95) -> Estimate:
    """Estimate ``sum_a w_a * mean(x_a)`` with a percentile bootstrap interval.

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
    """
    arms = list(weights)
    clean = {a: pd.to_numeric(values[a], errors="coerce").astype(float).dropna() for a in arms}
    means = {a: float(clean[a].mean()) if len(clean[a]) else float("nan") for a in arms}
    ns = {a: len(clean[a]) for a in arms}
    alpha = (1.0 - level) / 2
    delta = float("nan")
    pos = [a for a in arms if weights[a] > 0]
    neg = [a for a in arms if weights[a] < 0]
    if len(pos) == 1 and len(neg) == 1 and len(arms) == 2:
        delta = C.cliffs_delta(clean[neg[0]].to_numpy(), clean[pos[0]].to_numpy())
    if paired:
        frame = pd.concat([clean[a].rename(a) for a in arms], axis=1, join="inner")
        d = (frame[arms].to_numpy() @ np.array([weights[a] for a in arms], dtype=float))
        if d.size == 0:
            return Estimate(float("nan"), float("nan"), float("nan"), 0, means, ns, delta)
        boots = C.boot_means(d, rng, n_boot)
        lo, hi = np.quantile(boots, [alpha, 1.0 - alpha])
        return Estimate(float(d.mean()), float(lo), float(hi), int(d.size), means, ns, delta)
    if any(ns[a] == 0 for a in arms):
        return Estimate(float("nan"), float("nan"), float("nan"), 0, means, ns, delta)
    total = np.zeros(n_boot)
    for a in arms:
        total += weights[a] * C.boot_means(clean[a].to_numpy(), rng, n_boot)
    lo, hi = np.quantile(total, [alpha, 1.0 - alpha])
    effect = float(sum(weights[a] * means[a] for a in arms))
    return Estimate(effect, float(lo), float(hi), int(min(ns.values())), means, ns, delta)


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
                "ci_high": e.ci_high, "n": e.n, "cliffs_delta": e.cliffs_delta,
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

    def tests_table(self) -> pd.DataFrame:
        return pd.DataFrame([t.row() for t in self.tests])

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
            "robustness": rob,
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
                         f"{_fmt(e.ci_high)}] (n = {e.n}); claim: effect {t.claim_text()} "
                         f"-> {t.verdict}")
        lines.append(f"  verdict: {self.verdict}")
        if self.robustness is not None:
            npts = len(self.robustness)
            lines.append(f"  robustness ({npts} points x {self.robustness_replications} "
                         f"replications per arm): {self.summary.get('text', '')}")
            lines.extend(f"    {line}" for line in self.robustness_lines())
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
    if oc.where:
        bits.append("&".join(oc.where))
    if oc.kind != "step_mean":
        bits.append(oc.among)
    return ":".join(bits)


def _run_arms(exp: Experiment, out: Path, replications: int, steps: int | None,
              workers: int | None, log: Callable[[str], None] | None,
              points: Sequence[dict[str, Any]] = (), resume: bool = False) -> dict[str, Path]:
    """Run every arm (one executor job each) into ``out/<arm>``; return the folders.

    With ``resume`` a finished arm is kept as it is and an interrupted one finished."""
    spec = exp.spec
    folders: dict[str, Path] = {}
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
        if seed_offset:  # disjoint streams: arm k runs replications k*R .. k*R + R - 1
            job = _offset_job(job, seed_offset)
        manifest = {"kind": "sweep" if points else "run", "scenario": scenario_manifest(scn),
                    "experiment": spec.name, "arm": name, "command": sys.argv}
        if points:
            manifest["sweep"] = {"name": f"{spec.name}-{name}", "common_random_numbers":
                                 spec.common_random_numbers,
                                 "dimensions": [d.describe() for d in exp.dimensions]}
        execute(job, target, manifest, workers=workers, progress=False,
                label=f"{spec.name}/{name}", log=log, resume=resume)
        folders[name] = target
    return folders


def _offset_job(job: Job, k: int) -> Job:
    """A job whose runs use the seeds ``run_seed(master, k * R + r)`` (unpaired arms)."""
    return _OffsetJob(**{f: getattr(job, f) for f in job.__dataclass_fields__}, offset=k)


@dataclass(frozen=True)
class _OffsetJob(Job):
    offset: int = 0

    def seed_of(self, run_id: int) -> int:
        from stationsim.running.batch import run_seed

        idx = run_id % self.replications if self.common_random_numbers else run_id
        return run_seed(self.master_seed, self.offset * self.total_runs + idx)


def _tables(folder: Path, arm: str, arm_index: int, replications: int,
            n_points: int = 1) -> dict[str, pd.DataFrame]:
    res = load_results(folder)
    out = {}
    per_arm = replications * n_points
    for name in TABLES:
        df = getattr(res, name).copy()
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
        est = estimate(values, weights, paired=spec.common_random_numbers,
                       rng=_rng(spec.boot_seed, t.name, salt), n_boot=spec.n_boot,
                       level=spec.level)
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
                   resume: bool = False) -> ExperimentResult:
    """Run an experiment's arms (and its robustness grid) into ``out``; return the verdicts.

    Parameters
    ----------
    exp : Experiment or path
        From :func:`load_experiment`, or the file.
    out : str or Path
        A new (or empty) folder.
    replications : int, optional
        Replications per arm (default: the file's).
    steps : int, optional
        Steps per run (default: the file's, else the base scenario's).
    workers : int, optional
        Worker processes of the executor (default: all cores).
    robustness : bool
        Also run the robustness grid (if the file has one).
    robustness_replications : int, optional
        Replications per arm and point of the grid (default: the file's).
    log : callable, optional
        Receives progress lines.
    resume : bool
        Finish an interrupted experiment in ``out`` (the same experiment and options):
        finished arms and grid points are kept, the rest is run.

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
                                          log, resume)
    except BaseException:
        remove_created(created)  # a refused experiment leaves no folder behind
        raise


def experiment_fingerprint(ex: Experiment, reps: int, steps: int | None, run_grid: bool,
                           rreps: int) -> str:
    """SHA-256 of what an experiment means (never its file's path, comments or layout)."""
    payload = {"spec": ex.spec.model_dump(mode="json"), "base": scenario_data(ex.base),
               "arms": {a: scenario_data(s) for a, s in ex.arms.items()},
               "points": list(ex.points) if run_grid else [], "replications": reps,
               "robustness_replications": rreps if run_grid else None, "steps": steps}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _run_experiment_locked(ex: Experiment, target: Path, reps: int, steps: int | None,
                           workers: int | None, run_grid: bool, rreps: int,
                           log: Callable[[str], None] | None, resume: bool) -> ExperimentResult:
    spec = ex.spec
    fp = experiment_fingerprint(ex, reps, steps, run_grid, rreps)
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
        folders = _run_arms(ex, target / "arms", reps, n_steps, workers, log, resume=resume)
        tabs = {a: _tables(f, a, k, reps) for k, (a, f) in enumerate(folders.items())}
        tests = _evaluate(ex, tabs)
        result = ExperimentResult(ex, reps, tests, overall(tests), out=target)
        if run_grid:
            result.robustness_replications = rreps
            rfold = _run_arms(ex, target / "robustness", rreps, n_steps, workers, log,
                              ex.points, resume=resume)
            rtabs = {a: _tables(f, a, k, rreps, len(ex.points))
                     for k, (a, f) in enumerate(rfold.items())}
            result.robustness = _robustness_table(ex, rtabs)
            result.summary = robustness_summary(result.robustness,
                                                [d.path for d in ex.dimensions])
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


def _robustness_table(ex: Experiment, rtabs: dict[str, dict[str, pd.DataFrame]]) -> pd.DataFrame:
    rows = []
    for p, pt in enumerate(ex.points):
        sub = {a: {n: df[df["point"] == p] for n, df in tb.items()} for a, tb in rtabs.items()}
        tests = _evaluate(ex, sub, pt, salt=f"point{p}")
        row: dict[str, Any] = {"point": p, **pt}
        for t in tests:
            e = t.estimate
            row.update({f"{t.name}.effect": e.effect, f"{t.name}.ci_low": e.ci_low,
                        f"{t.name}.ci_high": e.ci_high, f"{t.name}.verdict": t.verdict})
        row["verdict"] = overall(tests)
        rows.append(row)
    return pd.DataFrame(rows)


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


