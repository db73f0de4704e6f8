"""Running a case: its seeds (:func:`case_seeds`), its replications through the
executor (:func:`run_case`) and the first participation of any form (:func:`participation`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from stationsim.analysis.validation.cases import CASE_NAMES, Case
from stationsim.model.scenario import load_scenario
from stationsim.running.batch import run_seed
from stationsim.running.executor import execute, read_manifest, run_job
from stationsim.running.results import scenario_manifest

#: Master seed (``--seed`` default): every case's runs, bootstraps and folds derive from it.
DEFAULT_SEED = 2025

#: The forms of participation a fact may be scored on (model v2): membership, a national's
#: guest flight, an experiment selected through an announcement of opportunity.
PARTICIPATION_COLUMNS = ("join_year", "first_flight_year", "first_payload_year")


def participation(membership: pd.DataFrame) -> pd.DataFrame:
    """The membership table with ``join_year`` = a state's first participation in a station
    in any form (:data:`PARTICIPATION_COLUMNS`): its first membership, its national's first
    guest flight (model v2's seat market) or its first selected experiment (model v2's
    payloads), whichever came first.  The facts scored are participations of any form (a
    first ISS visit was mostly a bought seat: ``data/cases/iss_guests.csv``; the CSS facts
    are mostly institutions' experiments: ``data/cases/css.csv``)."""
    other = [c for c in PARTICIPATION_COLUMNS[1:] if c in membership.columns]
    if not other:
        return membership
    years = membership[["join_year", *other]].astype("Float64")
    first = years.min(axis=1, skipna=True)
    return membership.drop(columns=other).assign(join_year=first.round().astype("Int64"))


def case_seeds(seed: int, case: Case) -> tuple[int, int]:
    """(master seed of the case's runs, seed of its bootstraps and folds), spawned from
    the one master ``seed`` by the case's fixed index in :data:`CASES`."""
    i = CASE_NAMES.index(case.name)
    return run_seed(seed, 2 * i), run_seed(seed, 2 * i + 1)


def run_case(case: Case, out: Path, replications: int, seed: int, workers: int | None,
             progress: bool | None = None) -> pd.DataFrame:
    """Run a case's replications through the executor into ``out`` (reused when it
    already holds the same job); return its membership table."""
    scn = load_scenario(case.scenario_path())
    job = run_job(scn, seed=case_seeds(seed, case)[0], replications=replications)
    man = read_manifest(out)
    if man is not None and man.get("fingerprint") != job.fingerprint:
        shutil.rmtree(out)  # an earlier validate run at other settings: ours to replace
    execute(job, out, {"kind": "run", "scenario": scenario_manifest(scn),
                       "validation": {"case": case.name}},
            workers=workers, resume=True, progress=progress, label=case.name)
    return participation(pd.read_parquet(
        out / "membership.parquet",
        columns=["replication", "iso3", "station", *PARTICIPATION_COLUMNS]))
