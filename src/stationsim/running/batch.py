"""Running replications: seeds, one run, many runs.

Seeds (the project's reproducibility contract): a master seed (the
scenario's ``seed`` or ``--seed``) defines one :class:`numpy.random.SeedSequence`;
run *i* gets the child ``SeedSequence(master, spawn_key=(i,))`` -- exactly
what ``SeedSequence(master).spawn(...)[i]`` gives -- reduced to a 63-bit
integer ``run_seed`` that seeds the model's generator and is stored in every
table.  A run is therefore fixed by (scenario, run_seed), whatever process or
machine runs it, and replications never share a stream.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from stationsim.model.core import StationModel
from stationsim.model.outcomes import membership_table, run_row, step_table
from stationsim.model.scenario import Scenario, check_run_options


def named_rng(seed: int, *names: str) -> np.random.Generator:
    """A generator for a named stream under ``seed`` (e.g. a bootstrap of one outcome and
    group): ``SeedSequence(seed, spawn_key=crc32 of each name)``, so each stream is fixed
    by the seed and its names, whatever else runs."""
    key = tuple(zlib.crc32(n.encode()) for n in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def run_seed(master: int, index: int) -> int:
    """Seed of replication ``index`` spawned from the master ``SeedSequence``."""
    ss = np.random.SeedSequence(master, spawn_key=(index,))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass
class RunTables:
    """The three tables of one replication."""

    runs: pd.DataFrame
    steps: pd.DataFrame
    membership: pd.DataFrame


@dataclass
class Results:
    """Tables of a batch of replications, and what produced them.

    Attributes
    ----------
    runs : DataFrame
        One row per replication: ``replication``, ``master_seed``,
        ``run_seed`` and every per-run outcome.
    steps : DataFrame
        Replication x step x station time series.
    membership : DataFrame
        Replication x state x station.
    meta : dict
        Master seed, run seeds, steps.
    """

    runs: pd.DataFrame
    steps: pd.DataFrame
    membership: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def run_one(scenario: Scenario, seed: int, replication: int = 0, steps: int | None = None,
            master_seed: int | None = None) -> RunTables:
    """Run one replication with model seed ``seed`` and return its tables.

    Parameters
    ----------
    scenario : Scenario
    seed : int
        The run's own seed (a ``run_seed`` from :func:`run_seed`).
    replication : int
        Index stored in the tables.
    steps : int, optional
        Override the scenario's number of steps.
    master_seed : int, optional
        Stored in the runs table for provenance.
    """
    model = StationModel(scenario, rng=seed, steps=steps)
    model.run()
    ids = {"replication": replication, "run_seed": seed}
    row = {**ids, "master_seed": master_seed if master_seed is not None else -1,
           "scenario": scenario.name, **run_row(model)}
    st = step_table(model)
    st.insert(0, "run_seed", seed)
    st.insert(0, "replication", replication)
    mem = membership_table(model)
    mem.insert(0, "run_seed", seed)
    mem.insert(0, "replication", replication)
    return RunTables(pd.DataFrame([row]), st, mem)


def run(scenario: Scenario, seed: int | None = None, replications: int | None = None,
        steps: int | None = None) -> Results:
    """Run replications of a scenario in this process and return the three tables.

    Parameters
    ----------
    scenario : Scenario
        From :func:`stationsim.load_scenario`.
    seed : int, optional
        Master seed (default: the scenario's ``seed``).
    replications : int, optional
        Number of replications (default: the scenario's).
    steps : int, optional
        Steps per run (default: the scenario's).

    Returns
    -------
    Results
    """
    check_run_options(seed=seed, replications=replications, steps=steps, prefix="")
    master = scenario.seed if seed is None else int(seed)
    reps = scenario.replications if replications is None else int(replications)
    seeds = [run_seed(master, i) for i in range(reps)]
    parts = [run_one(scenario, s, i, steps, master) for i, s in enumerate(seeds)]
    return Results(
        runs=pd.concat([p.runs for p in parts], ignore_index=True),
        steps=pd.concat([p.steps for p in parts], ignore_index=True),
        membership=pd.concat([p.membership for p in parts], ignore_index=True),
        meta={"master_seed": master, "replications": reps,
              "run_seeds": seeds,
              "steps": steps if steps is not None else scenario.steps},
    )
