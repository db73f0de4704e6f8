"""``stationsim validate``: every case named leak-checked, run, scored and written
(:func:`validate`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from stationsim.analysis import metrics as mt
from stationsim.analysis.validation.baselines import BASELINES
from stationsim.analysis.validation.cases import get_cases
from stationsim.analysis.validation.leaks import LeakError, leak_problems
from stationsim.analysis.validation.report import _write_csv, _write_text, table_text, write_case
from stationsim.analysis.validation.runs import DEFAULT_SEED, case_seeds, run_case
from stationsim.analysis.validation.scoring import Validation, score_case
from stationsim.model.scenario import load_scenario

#: Replications per case (``--replications`` default).
DEFAULT_REPLICATIONS = 20


def validate(names: Sequence[str] | None, out: Path, *, replications: int =
             DEFAULT_REPLICATIONS, workers: int | None = None, seed: int = DEFAULT_SEED,
             progress: bool | None = None, log: Callable[[str], None] | None = None,
             n_boot: int = mt.N_BOOT) -> Validation:
    """Run and score every case named (all by default); write the outputs into ``out``."""
    note = log or (lambda m: None)
    cases = get_cases(names)
    if replications < 1:
        raise ValueError(f"replications {replications}: must be at least 1")
    t0 = time.perf_counter()
    results = []
    for k, case in enumerate(cases, start=1):
        t1 = time.perf_counter()
        note(f"[{k}/{len(cases)}] {case.name}: leak check")
        problems = leak_problems(case)
        if problems:
            raise LeakError("; ".join(problems))
        note(f"[{k}/{len(cases)}] {case.name}: {replications} replications of "
             f"{case.scenario}")
        mem = run_case(case, out / "runs" / case.name, replications, seed, workers, progress)
        note(f"[{k}/{len(cases)}] {case.name}: scoring the model and "
             f"{len(BASELINES) + 1} baselines")
        res = score_case(case, load_scenario(case.scenario_path()), mem,
                         case_seeds(seed, case)[1], n_boot)
        res.seconds = time.perf_counter() - t1
        results.append(res)
        write_case(res, out)
        note(f"[{k}/{len(cases)}] {case.name}: done in {res.seconds:.1f} s")
    table = pd.concat([r.table for r in results], ignore_index=True)
    _write_csv(table, out / "validation.csv")
    v = Validation(results, table, replications, seed, time.perf_counter() - t0)
    _write_text(table_text(v), out / "validation.txt")
    return v
