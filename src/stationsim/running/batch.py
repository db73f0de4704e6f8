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
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from stationsim.model.core import StationModel
from stationsim.model.outcomes import membership_columns, run_row
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


@dataclass
class RunParts:
    """One replication's outputs before they become tables (:func:`tables_of`): the runs
    row, the step columns (lists) and the membership columns (arrays and lists)."""

    row: dict[str, Any]
    steps: dict[str, list[Any]]
    membership: dict[str, Any]
    replication: int
    seed: int


def run_parts(scenario: Scenario, seed: int, replication: int = 0, steps: int | None = None,
              master_seed: int | None = None) -> RunParts:
    """Run one replication (as :func:`run_one`) and return its outputs as :class:`RunParts`."""
    model = StationModel(scenario, rng=seed, steps=steps)
    model.run()
    row = {"replication": replication, "run_seed": seed,
           "master_seed": master_seed if master_seed is not None else -1,
           "scenario": scenario.name, **run_row(model)}
    return RunParts(row, model.step_records, membership_columns(model), replication, seed)


def _concat(values: list[Any]) -> Any:
    """One column of several replications: lists chained, arrays concatenated (as
    ``pd.concat`` of the replications' tables would, with one DataFrame made instead of
    one per replication: the per-column cost of pandas is paid once per batch)."""
    first = values[0]
    if len(values) == 1:
        return first
    if isinstance(first, list):
        return list(chain.from_iterable(values))
    if isinstance(first, np.ndarray):
        return np.concatenate(values)
    if isinstance(first, ExtensionArray):
        return type(first)._concat_same_type(values)  # type: ignore[attr-defined]
    raise TypeError(f"cannot concatenate a column of {type(first).__name__}")


def _ids(parts: list[RunParts], lengths: list[int]) -> dict[str, Any]:
    return {"replication": np.repeat(np.array([p.replication for p in parts], dtype=np.int64),
                                     lengths),
            "run_seed": np.repeat(np.array([p.seed for p in parts], dtype=np.int64), lengths)}


def tables_of(parts: list[RunParts]) -> RunTables:
    """The three tables of replications ``parts`` (in that order), identical to
    ``pd.concat`` of each replication's :func:`run_one` tables."""
    runs = pd.DataFrame([p.row for p in parts])
    step_cols = list(parts[0].steps)
    lengths = [len(p.steps[step_cols[0]]) for p in parts]
    steps = pd.DataFrame({**_ids(parts, lengths),
                          **{c: _concat([p.steps[c] for p in parts]) for c in step_cols}})
    mem_cols = list(parts[0].membership)
    lengths = [len(p.membership[mem_cols[0]]) for p in parts]
    membership = pd.DataFrame({**_ids(parts, lengths),  # (new arrays: not copied again)
                               **{c: _concat([p.membership[c] for p in parts])
                                  for c in mem_cols}}, copy=False)
    return RunTables(runs, steps, membership)


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
    return tables_of([run_parts(scenario, seed, replication, steps, master_seed)])


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
    tabs = tables_of([run_parts(scenario, s, i, steps, master) for i, s in enumerate(seeds)])
    return Results(
        runs=tabs.runs, steps=tabs.steps, membership=tabs.membership,
        meta={"master_seed": master, "replications": reps,
              "run_seeds": seeds,
              "steps": steps if steps is not None else scenario.steps},
    )
