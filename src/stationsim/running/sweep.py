"""Sweep files: which scenario fields to vary, how to sample them, how often to run each point.

A sweep file (TOML, ``scenarios/sweeps/``) names a ``base`` scenario (a path
relative to the sweep file), the fields to vary by their dotted scenario path
(``parameters.learn_rate``, ``stations.CSS.rule``, ``states.CHN.transparency``
... anything :func:`stationsim.model.scenario.with_overrides` accepts), a sampler,
the number of samples, the replications per point and a master seed::

    name = "example"
    base = "../css_vs_iss.toml"
    sampler = "lhs"            # grid | random | lhs | sobol | morris
    samples = 50               # points (random, lhs); base samples N (sobol); trajectories (morris)
    replications = 4
    seed = 11

    [[vary]]
    path = "parameters.learn_rate"     # range: the Param's bounds unless low/high given
    [[vary]]
    path = "stations.CSS.rule"         # categorical: every registered rule by default
    [[vary]]
    path = "states.CHN.transparency"
    low = 0.2
    high = 0.9

Samplers:

* ``grid`` -- the Cartesian product of every dimension's ``values`` (a range
  gives ``levels`` evenly spaced values from ``low`` to ``high``).
* ``random`` -- ``samples`` independent draws from a numpy Generator seeded
  with the master seed's root ``SeedSequence`` (the runs' seeds are its
  children, so the two streams never overlap).
* ``lhs`` -- SALib's Latin hypercube, ``samples`` points.
* ``sobol`` -- SALib's Saltelli/Sobol' sequence: ``samples`` base samples give
  ``samples * (2D + 2)`` points (``samples * (D + 2)`` with
  ``second_order = false``), in SALib's order, ready for ``SALib.analyze.sobol``.
* ``morris`` -- SALib's Morris design: ``samples`` trajectories of ``D + 1``
  points on a :data:`MORRIS_LEVELS`-level grid (``samples * (D + 1)``
  points), in SALib's order, ready for ``SALib.analyze.morris``.

For the last four every dimension is sampled on [0, 1) and mapped to its
range (integers: equal-width bins over ``low..high``) or to one of its
``values`` (equal-width bins), so categorical dimensions (rules, channels,
booleans) mix freely with numeric ones.

Point *p*, replication *r* is run ``run_id = p * replications + r``; its seed
is ``batch.run_seed(seed, run_id)`` (or ``run_seed(seed, r)`` with
``common_random_numbers = true``, so every point sees the same random
streams).  Validation happens before anything runs: a bad sweep raises
:class:`~stationsim.model.scenario.ScenarioError` naming the file, the field path
and what is allowed, and every point is checked against the scenario with
:func:`~stationsim.model.scenario.with_overrides`.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError

from stationsim.model.params import PARAMETERS
from stationsim.model.scenario import (
    STATE_ATTRIBUTES,
    Scenario,
    ScenarioError,
    Strict,
    _list_index,
    load_base,
    parse_toml,
    read_file_text,
    validation_message,
    with_overrides,
)
from stationsim.rules import RULES
from stationsim.running.executor import Job, default_chunk_runs, execute, scenario_data
from stationsim.running.results import scenario_manifest

Value = bool | int | float | str
SAMPLERS = ("grid", "random", "lhs", "sobol", "morris")
#: grid levels of the morris sampler (SALib's default; steps of 2/3 of a range)
MORRIS_LEVELS = 4
#: scenario fields a sweep may not vary (they define the run, not the model)
FIXED_FIELDS = ("name", "description", "seed", "replications", "states_csv")
#: runs a sweep may have at most, even with ``allow_large``
MAX_RUNS = 10_000_000
#: runs past which a sweep is refused unless ``allow_large`` (``--allow-large``)
LARGE_RUNS = 1_000_000




class VarySpec(Strict):
    """One dimension of a sweep: a scenario field, by dotted path, and its values or range."""

    path: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$|^[A-Za-z_]+$")]
    values: list[Any] | None = Field(None, min_length=1)
    low: float | None = None
    high: float | None = None
    levels: int | None = Field(None, ge=2, le=100_000)


class SweepSpec(Strict):
    """The sweep file format (validated; see the module docstring)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
    description: str = ""
    base: str
    sampler: Literal["grid", "random", "lhs", "sobol", "morris"] = "grid"
    samples: int | None = Field(None, ge=1, le=MAX_RUNS)
    second_order: bool | None = None
    replications: int = Field(1, ge=1, le=MAX_RUNS)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    steps: int | None = Field(None, ge=1, le=10_000)
    common_random_numbers: bool = False
    vary: list[VarySpec] = Field(min_length=1)


@dataclass(frozen=True)
class Dimension:
    """A validated sweep dimension.

    ``kind`` is ``real`` or ``int`` (a range ``low..high``), or ``values`` (a
    list, numeric or categorical).  ``column`` names it in the result tables:
    the dotted path itself.
    """

    path: str
    kind: Literal["real", "int", "values"]
    low: float = 0.0
    high: float = 1.0
    values: tuple[Value, ...] = ()
    levels: int | None = None

    @property
    def column(self) -> str:
        return self.path

    def grid(self) -> list[Value]:
        """The values this dimension takes on a grid."""
        if self.kind == "values":
            return list(self.values)
        assert self.levels is not None
        xs = np.linspace(self.low, self.high, self.levels)
        if self.kind == "int":
            return list(dict.fromkeys(round(float(x)) for x in xs))
        return [float(x) for x in xs]

    def from_unit(self, u: float) -> Value:
        """Map ``u`` in [0, 1) to this dimension (equal-width bins for ints and lists)."""
        u = min(max(float(u), 0.0), 1.0)
        if self.kind == "real":
            return float(self.low + u * (self.high - self.low))
        if self.kind == "int":
            lo, hi = int(self.low), int(self.high)
            return min(lo + math.floor(u * (hi - lo + 1)), hi)
        k = len(self.values)
        return self.values[min(math.floor(u * k), k - 1)]

    def describe(self) -> dict[str, Any]:
        """Plain data for the manifest."""
        out: dict[str, Any] = {"path": self.path, "column": self.column, "kind": self.kind}
        if self.kind == "values":
            out["values"] = list(self.values)
        else:
            out.update(low=self.low, high=self.high)
            if self.levels is not None:
                out["levels"] = self.levels
        return out


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the spec, its base scenario and every point's overrides."""

    spec: SweepSpec
    source: str
    text: str
    base: Scenario
    dimensions: tuple[Dimension, ...]
    points: tuple[dict[str, Value], ...]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def replications(self) -> int:
        return self.spec.replications

    @property
    def total_runs(self) -> int:
        return len(self.points) * self.spec.replications

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def manifest(self) -> dict[str, Any]:
        """What the results manifest records of the sweep."""
        return {"name": self.name, "source": self.source, "sha256": self.text_hash,
                "text": self.text, "sampler": self.spec.sampler, "samples": self.spec.samples,
                "second_order": self.spec.second_order if self.spec.sampler == "sobol" else None,
                "replications": self.spec.replications, "points": len(self.points),
                "common_random_numbers": self.spec.common_random_numbers,
                "dimensions": [d.describe() for d in self.dimensions]}


# ----------------------------------------------------------------------------- loading


def load_sweep(path: str | Path, allow_large: bool = False) -> Sweep:
    """Read and validate a sweep file, its base scenario and its dimensions.

    The design's size is computed before it is sampled: a sweep of more than
    :data:`LARGE_RUNS` runs is refused unless ``allow_large`` (never more than
    :data:`MAX_RUNS`).

    Raises
    ------
    ScenarioError
        If the sweep file or its base scenario is missing or invalid, or a
        point's overrides do not validate; the message names the file, the
        field path and what is allowed.
    """
    p = Path(path)
    return sweep_from_text(read_file_text(p), source=str(p), base_dir=p.parent,
                           allow_large=allow_large)


def sweep_from_text(text: str, source: str = "<string>", base_dir: Path | None = None,
                    allow_large: bool = False) -> Sweep:
    """Parse and validate sweep TOML text (``base`` resolves against ``base_dir``)."""
    data = parse_toml(text, source, "a sweep needs name, base and [[vary]]")
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_message(source, exc, "sweep")) from None
    _check_sampler_fields(spec, source)
    base = load_base(spec.base, base_dir, source)
    data_raw = base.raw()
    dims = tuple(make_dimension(v, i, data_raw, source) for i, v in enumerate(spec.vary))
    _check_distinct_fields(spec, dims, data_raw, source)
    check_size(spec, dims, source, allow_large)  # before sampling: a huge design never hangs
    points = _sample(spec, dims, source)
    _check_points(base, points, source)
    return Sweep(spec=spec, source=source, text=text, base=base, dimensions=dims,
                 points=tuple(points))


def design_points(spec: SweepSpec, dims: tuple[Dimension, ...]) -> int:
    """Points the sweep's design will have, computed without sampling it."""
    d = len(dims)
    n = spec.samples or 1
    if spec.sampler == "grid":
        return math.prod(len(x.grid()) if x.kind == "values" or x.levels is not None else 1
                         for x in dims)
    if spec.sampler == "sobol":
        return n * (2 * d + 2 if spec.second_order is not False else d + 2)
    if spec.sampler == "morris":
        return n * (d + 1)
    return n


def check_size(spec: SweepSpec, dims: tuple[Dimension, ...], src: str,
               allow_large: bool = False) -> int:
    """The sweep's run count, or :class:`ScenarioError` when it is past the cap.

    At most :data:`LARGE_RUNS` runs unless ``allow_large``; never more than
    :data:`MAX_RUNS`.
    """
    points = design_points(spec, dims)
    runs = points * spec.replications
    what = f"{src}: {points:,} points x {spec.replications:,} replications = {runs:,} runs"
    if runs > MAX_RUNS:
        raise ScenarioError(f"{what}; at most {MAX_RUNS:,} allowed")
    if runs > LARGE_RUNS and not allow_large:
        raise ScenarioError(f"{what}; more than {LARGE_RUNS:,} runs needs --allow-large "
                            "(allow_large=True): check the design, its time and its disk space")
    return runs


def canonical_path(data: dict[str, Any], path: str) -> str:
    """The field a dotted ``path`` addresses, spelled one way: list items by index.

    ``stations.CSS.rule`` and ``stations.0.rule`` (CSS being the first station) both
    give ``stations.0.rule``.
    """
    node: Any = data
    out = []
    for part in path.split("."):
        if isinstance(node, list):
            try:
                idx = _list_index(node, part)
            except KeyError:
                out.append(part)
                node = None
                continue
            out.append(str(idx))
            node = node[idx]
        else:
            out.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(out)


def _check_distinct_fields(spec: SweepSpec, dims: tuple[Dimension, ...], data: dict[str, Any],
                           src: str) -> None:
    """Each scenario field varied once, and not also fixed by the sweep file itself.

    Two spellings of one field (``stations.CSS.rule``, ``stations.0.rule``) would label
    the runs with one value while they ran with the other.
    """
    seen: dict[str, int] = {}
    for i, d in enumerate(dims):
        key = canonical_path(data, d.path)
        if key in seen:
            j = seen[key]
            same = "" if dims[j].path == d.path else f" ({dims[j].path!r}: the same field)"
            raise ScenarioError(f"{src}: vary[{i}].path: {d.path!r} is already varied by "
                                f"vary[{j}]{same}; vary each field once")
        seen[key] = i
        if key == "steps" and spec.steps is not None:
            raise ScenarioError(f"{src}: vary[{i}].path: 'steps' is fixed by the sweep file "
                                f"(steps = {spec.steps}) and varied here; remove one of the two")


def _check_sampler_fields(spec: SweepSpec, src: str) -> None:
    if spec.sampler == "grid":
        if spec.samples is not None:
            raise ScenarioError(f"{src}: samples: not used by the grid sampler (its size is the "
                                "product of the dimensions); remove it or choose random, lhs "
                                "or sobol")
    elif spec.samples is None:
        raise ScenarioError(f"{src}: samples: required by the {spec.sampler} sampler (an "
                            "integer >= 1)")
    if spec.second_order is not None and spec.sampler != "sobol":
        raise ScenarioError(f"{src}: second_order: used by the sobol sampler only")
    for i, v in enumerate(spec.vary):
        if v.levels is not None and spec.sampler != "grid":
            raise ScenarioError(f"{src}: vary[{i}].levels: used by the grid sampler only "
                                f"({spec.sampler} samples the range itself)")


def get_path(data: dict[str, Any], path: str) -> Any:
    """Value at a dotted ``path`` of raw scenario data (see ``scenario.set_path``).

    Raises ``KeyError`` naming the part of the path that does not exist.
    """
    node: Any = data
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, list):
            node = node[_list_index(node, part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(f"{'.'.join(parts[: i + 1])}: no such field")
    return node


def _default_range(path: str, base_value: Any) -> tuple[str, Any] | None:
    """The natural range or categories of a path, when the user gives none."""
    parts = path.split(".")
    field = parts[-1]
    if parts[0] == "parameters" and len(parts) == 2 and field in PARAMETERS:
        prm = PARAMETERS[field]
        if prm.kind == "bool":
            return "values", (False, True)
        if prm.kind == "category":
            return "values", prm.categories
        return prm.kind, (prm.low, prm.high)
    if parts[0] == "stations" and len(parts) == 3:
        if field == "rule":
            return "values", tuple(sorted(RULES))
        if field == "channel":
            return "values", ("un", "bilateral")
        if field == "host_share_min":
            return "real", (0.0, 1.0)
    if parts[0] == "states" and len(parts) == 3:
        if field in STATE_ATTRIBUTES:
            return "real", (0.0, 1.0)
        if field == "alignment" and not isinstance(base_value, list):
            return "real", (-1.0, 1.0)
    if isinstance(base_value, bool):
        return "values", (False, True)
    return None


def make_dimension(v: VarySpec, i: int, data: dict[str, Any], src: str) -> Dimension:
    """Validate ``vary[i]`` against the base scenario ``data`` and build its :class:`Dimension`."""
    where = f"{src}: vary[{i}]"
    path = v.path
    head = path.split(".")[0]
    if head in FIXED_FIELDS:
        raise ScenarioError(f"{where}.path: {path!r} cannot be varied (a sweep sets seeds and "
                            "replications itself); vary a model field instead")
    if head == "parameters":
        pname = path.split(".", 1)[1] if "." in path else ""
        if pname not in PARAMETERS:
            raise ScenarioError(f"{where}.path: unknown parameter {pname!r}; allowed: "
                                + ", ".join(PARAMETERS))
        base_value: Any = data.get("parameters", {}).get(pname, PARAMETERS[pname].default)
    else:
        try:
            base_value = get_path(data, path)
        except (KeyError, IndexError) as exc:
            raise ScenarioError(f"{where}.path: {exc.args[0]} in the base scenario") from None
    if v.values is not None:
        if v.low is not None or v.high is not None:
            raise ScenarioError(f"{where}: give either values or low/high, not both")
        return Dimension(path, "values", values=_check_values(v.values, f"{where}.values"))
    default = _default_range(path, base_value)
    if v.low is None and v.high is None:
        if default is None:
            raise ScenarioError(f"{where}: {path!r} has no default range; give values = [...] "
                                "or low and high")
        kind, rng = default
        if kind == "values":
            if v.levels is not None:
                raise ScenarioError(f"{where}.levels: {path!r} is categorical; levels applies "
                                    "to ranges only")
            return Dimension(path, "values", values=tuple(rng))
        low, high = float(rng[0]), float(rng[1])
    else:
        if default is not None and default[0] == "values":
            raise ScenarioError(f"{where}: {path!r} is categorical; give values = [...] "
                                f"(allowed: {', '.join(map(repr, default[1]))})")
        if isinstance(base_value, bool) or not isinstance(base_value, int | float):
            raise ScenarioError(f"{where}: {path!r} is not numeric in the base scenario "
                                f"({base_value!r}); give values = [...]")
        kind = default[0] if default is not None else (
            "int" if isinstance(base_value, int) else "real")
        bounds: tuple[float, float] | None = (
            (float(default[1][0]), float(default[1][1])) if default is not None else None)
        lo = v.low if v.low is not None else (bounds[0] if bounds else None)
        hi = v.high if v.high is not None else (bounds[1] if bounds else None)
        if lo is None or hi is None:
            raise ScenarioError(f"{where}: {path!r} has no default range; give both low and high")
        low, high = float(lo), float(hi)
        if bounds is not None and (low < bounds[0] or high > bounds[1]):
            raise ScenarioError(f"{where}: [{low:g}, {high:g}] leaves the allowed range of "
                                f"{path} [{bounds[0]:g}, {bounds[1]:g}]")
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ScenarioError(f"{where}: low ({low:g}) must be a number <= high ({high:g})")
    if kind == "int" and (low != int(low) or high != int(high)):
        raise ScenarioError(f"{where}: {path!r} is an integer; low and high must be integers")
    return Dimension(path, "int" if kind == "int" else "real", low=low, high=high,
                     levels=v.levels)


def _check_values(values: list[Any], where: str) -> tuple[Value, ...]:
    kinds = set()
    for j, x in enumerate(values):
        if isinstance(x, bool):
            kinds.add("bool")
        elif isinstance(x, int | float):
            if not math.isfinite(x):
                raise ScenarioError(f"{where}[{j}]: must be finite, got {x}")
            kinds.add("number")
        elif isinstance(x, str):
            kinds.add("str")
        else:
            raise ScenarioError(f"{where}[{j}]: must be a number, string or boolean, got "
                                f"{type(x).__name__}")
    if len(kinds) > 1:
        raise ScenarioError(f"{where}: values must all be of one type (numbers, strings or "
                            f"booleans), got {', '.join(sorted(kinds))}")
    if len(set(map(repr, values))) != len(values):
        raise ScenarioError(f"{where}: values must be distinct")
    if kinds == {"number"} and any(isinstance(x, float) for x in values):
        return tuple(float(x) for x in values)  # one column type: float64
    return tuple(values)


# ----------------------------------------------------------------------------- sampling


def _sample(spec: SweepSpec, dims: tuple[Dimension, ...], src: str) -> list[dict[str, Value]]:
    if spec.sampler == "grid":
        for i, d in enumerate(dims):
            if d.kind != "values" and d.levels is None:
                raise ScenarioError(f"{src}: vary[{i}].levels: the grid sampler needs levels "
                                    f"(how many values from {d.low:g} to {d.high:g}) or "
                                    "values = [...]")
        axes = [d.grid() for d in dims]
        n = math.prod(len(a) for a in axes)
        if n > MAX_RUNS:
            raise ScenarioError(f"{src}: vary: the grid has {n} points; at most {MAX_RUNS}")
        return [{d.column: x for d, x in zip(dims, combo, strict=True)}
                for combo in itertools.product(*axes)]
    unit = unit_sample(spec.sampler, len(dims), spec.samples or 1, spec.seed,
                       second_order=spec.second_order is not False)
    return [{d.column: d.from_unit(u) for d, u in zip(dims, row, strict=True)} for row in unit]


def unit_sample(sampler: str, dims: int, samples: int, seed: int,
                second_order: bool = True) -> np.ndarray:
    """Points in [0, 1)^dims from the ``random``, ``lhs``, ``sobol`` or ``morris`` sampler."""
    if sampler == "random":
        return np.random.default_rng(np.random.SeedSequence(seed)).random((samples, dims))
    problem = {"num_vars": dims, "names": [f"x{i}" for i in range(dims)],
               "bounds": [[0.0, 1.0]] * dims}
    if sampler == "lhs":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, samples, seed=seed))
    if sampler == "sobol":
        import warnings

        from SALib.sample import sobol

        with warnings.catch_warnings():  # SALib warns when N is not a power of 2
            warnings.simplefilter("ignore")
            out = sobol.sample(problem, samples, calc_second_order=second_order, seed=seed)
        return np.clip(np.asarray(out), 0.0, np.nextafter(1.0, 0.0))
    if sampler == "morris":
        from SALib.sample import morris

        out = morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)
        return np.clip(np.asarray(out), 0.0, np.nextafter(1.0, 0.0))
    raise ValueError(f"unknown sampler {sampler!r}; allowed: {', '.join(SAMPLERS)}")


#: distinct values of a numeric column checked one by one (beyond: its least and greatest)
_CHECK_EACH = 16
#: corner combinations of the dimensions checked together, at most
_CHECK_CORNERS = 256


def _check_points(base: Scenario, points: list[dict[str, Value]], src: str) -> None:
    """Every point must give a valid scenario: checked per dimension, not per point.

    Each column's values are checked alone against the base (categorical ones each;
    numeric ones each when few, else their least and greatest: every field's bounds
    are an interval), then the combinations of these extremes together (up to
    :data:`_CHECK_CORNERS`), which catches bounds across fields such as
    ``open_from < close_at``.  The cost does not grow with the number of points.
    """
    if not points:
        return
    cands: dict[str, list[Value]] = {}
    for col in points[0]:
        distinct = list(dict.fromkeys(pt[col] for pt in points))
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in distinct)
        if numeric:
            distinct = sorted(distinct)  # type: ignore[type-var]
            if len(distinct) > _CHECK_EACH:
                distinct = [distinct[0], distinct[-1]]
        cands[col] = distinct
    errors: list[str] = []
    for col, vals in cands.items():
        for v in vals:
            try:
                with_overrides(base, {col: v})
            except ScenarioError as exc:
                i = next(i for i, pt in enumerate(points) if pt[col] == v)
                errors.append(f"{src}: point {i} ({col} = {v!r}): {exc}")
                if len(errors) >= 3:
                    raise ScenarioError("\n".join(errors)) from None
    if errors:
        raise ScenarioError("\n".join(errors))
    extremes = {c: [v[0], v[-1]] if len(v) > 1 else v for c, v in cands.items()}
    if math.prod(len(v) for v in extremes.values()) <= _CHECK_CORNERS:
        for combo in itertools.product(*extremes.values()):
            pt = dict(zip(extremes, combo, strict=True))
            try:
                with_overrides(base, pt)
            except ScenarioError as exc:
                raise ScenarioError(f"{src}: the values {pt} together: {exc}") from None


# ----------------------------------------------------------------------------- running


def sweep_job(sweep: Sweep, chunk_runs: int | None = None) -> Job:
    """The executor's job for a sweep: base scenario as data, each point's values."""
    cols = tuple(d.column for d in sweep.dimensions)
    return Job(kind="sweep", scenario=scenario_data(sweep.base), source=sweep.base.source,
               columns=cols, points=tuple(tuple(pt[c] for c in cols) for pt in sweep.points),
               replications=sweep.spec.replications, master_seed=sweep.spec.seed,
               steps=sweep.spec.steps, chunk_runs=chunk_runs or default_chunk_runs(
                   sweep.total_runs),
               common_random_numbers=sweep.spec.common_random_numbers)


def sweep_manifest(sweep: Sweep) -> dict[str, Any]:
    """The caller's part of a sweep folder's manifest."""
    return {"kind": "sweep", "sweep": sweep.manifest(), "scenario": scenario_manifest(sweep.base)}


def run_sweep(sweep: Sweep | str | Path, out: str | Path, *, workers: int | None = None,
              backend: str = "local", scheduler: str | None = None, resume: bool = False,
              progress: bool | None = None, chunk_runs: int | None = None) -> dict[str, Any]:
    """Run a sweep into the folder ``out`` and return its manifest.

    The Python form of ``stationsim sweep``; load the tables with
    :func:`stationsim.load_results`.  See :func:`stationsim.running.executor.execute`
    for the options.
    """
    sw = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
    return execute(sweep_job(sw, chunk_runs), Path(out), sweep_manifest(sw), workers=workers,
                   backend=backend, scheduler=scheduler, resume=resume, progress=progress,
                   label=sw.name)
