"""A sensitivity analysis from a sweep file: sampled, run through the executor, analysed
and written (:func:`run`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stationsim.analysis.sensitivity.design import design, manifest
from stationsim.analysis.sensitivity.files import ANALYSIS_DIR, write
from stationsim.analysis.sensitivity.indices import analyse
from stationsim.analysis.sensitivity.result import SensitivityResult
from stationsim.running.sweep import Sweep, load_sweep, sweep_job


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
