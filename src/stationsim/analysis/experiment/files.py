"""Experiment files: the TOML format (validated by pydantic) and its loading.

:func:`load_experiment` reads a file, its base scenario, the arms (dotted-path
overrides of the base), the tests' contrasts and outcomes (checked against a
short run of the model), the robustness grid and the deciding parameters; the
format is described in :mod:`stationsim.analysis.experiment`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stationsim.analysis import compare as C
from stationsim.model.core import StationModel
from stationsim.model.outcomes import MEMBER_CLASSES, STEP_COLUMNS, run_row
from stationsim.model.scenario import (
    Scenario,
    ScenarioError,
    load_base,
    parse_toml,
    read_file_text,
    validation_message,
    with_overrides,
)
from stationsim.running.sweep import Dimension, VarySpec, make_dimension

CLAIMS = ("H1", "H2", "H3", "H4", "H5", "H6")
#: ``where`` conditions of derived outcomes (``member_of:<STATION>`` and ``not:`` aside).
CONDITIONS = ("regional", "aligned", *MEMBER_CLASSES)
#: Membership-table columns a ``state_value`` outcome may read.
_STATE_COLUMNS = ("net_utility", "years_member", "n_joins", "flights")

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArmSpec(_Strict):
    """One arm: the base scenario with these dotted-path overrides."""

    name: Name
    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict)


class OutcomeSpec(_Strict):
    """A derived outcome, one value per run (see :mod:`stationsim.analysis.experiment`)."""

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
    """The experiment file format (validated; see :mod:`stationsim.analysis.experiment`)."""

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
