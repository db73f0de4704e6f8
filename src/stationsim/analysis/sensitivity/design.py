"""The design of a sensitivity analysis: its methods, the sweep re-sampled with
SALib's design for one (:func:`design`), the manifest of its results folder, and the
error of bad input (:class:`SensitivityError`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from stationsim.model.scenario import ScenarioError
from stationsim.running.sweep import (
    MAX_RUNS,
    MORRIS_LEVELS,
    Sweep,
    _check_points,
    _sample,
    load_sweep,
    sweep_manifest,
)

#: Methods of :func:`analyse` (the sweep sampler of the same name gives the design).
METHODS = ("sobol", "morris")


class SensitivityError(ValueError):
    """Bad input to a sensitivity analysis (the CLI exits 2); nothing has been written."""


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
