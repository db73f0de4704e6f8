"""The job: :class:`Job`, everything a worker needs as plain data (its fingerprint, chunks
and run seeds), the default chunking and the job of ``stationsim run``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, Literal

from stationsim.model.scenario import Scenario, scenario_from_dict
from stationsim.running.batch import run_seed


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to run any run of a batch or sweep, as plain data.

    Attributes
    ----------
    kind : {"run", "sweep"}
        ``run`` tables are those of :func:`stationsim.running.batch.run`; ``sweep``
        tables add ``run_id``, ``point`` and one column per varied field.
    scenario : str
        The base scenario's data as JSON (states inlined).
    source : str
        Where the scenario came from (for messages).
    columns : tuple of str
        Varied fields (dotted paths), the names of their columns.
    points : tuple of tuples
        Each point's values, in ``columns`` order; ``((),)`` for a plain run.
    replications, master_seed : int
    steps : int or None
        Steps per run (None: the scenario's).
    chunk_runs : int
        Runs per chunk (task and part file).
    common_random_numbers : bool
        Seed by replication instead of run id (every point sees the same streams).
    """

    kind: Literal["run", "sweep"]
    scenario: str
    source: str
    columns: tuple[str, ...]
    points: tuple[tuple[Any, ...], ...]
    replications: int
    master_seed: int
    steps: int | None
    chunk_runs: int
    common_random_numbers: bool = False

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the job's meaning: equal jobs give equal tables.

        The parsed, normalised scenario (a file's comments, layout and spelling do not
        count), the varied columns and points, seed, replications, steps and chunking --
        never ``source``, the path the scenario was read from (a resume from another
        working folder, or by an absolute path, is the same job).
        """
        data = asdict(self)
        data.pop("source")
        data["scenario"] = json.loads(self.scenario)
        payload = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def total_runs(self) -> int:
        return len(self.points) * self.replications

    @property
    def n_chunks(self) -> int:
        return math.ceil(self.total_runs / self.chunk_runs)

    @property
    def id_column(self) -> str:
        """The column that numbers runs in every table."""
        return "run_id" if self.kind == "sweep" else "replication"

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        """``[start, stop)`` run ids of ``chunk``."""
        start = chunk * self.chunk_runs
        return start, min(start + self.chunk_runs, self.total_runs)

    def seed_of(self, run_id: int) -> int:
        """The model seed of run ``run_id``."""
        idx = run_id % self.replications if self.common_random_numbers else run_id
        return run_seed(self.master_seed, idx)

    def run_seeds(self) -> list[int]:
        return [self.seed_of(i) for i in range(self.total_runs)]

    def base_scenario(self) -> Scenario:
        return scenario_from_dict(json.loads(self.scenario), source=self.source)


def default_chunk_runs(total_runs: int) -> int:
    """About 64 chunks per job, 1 to 250 runs each (few, not tiny, part files)."""
    return max(1, min(250, math.ceil(total_runs / 64)))


def scenario_data(scn: Scenario) -> str:
    """A scenario as JSON text for a :class:`Job` (the CSV's states are already inlined)."""
    data = scn.raw()
    data.pop("states_csv", None)
    return json.dumps(data, sort_keys=True)


def run_job(scn: Scenario, seed: int | None = None, replications: int | None = None,
            steps: int | None = None, chunk_runs: int | None = None) -> Job:
    """The job of ``stationsim run``: replications of one scenario."""
    reps = scn.replications if replications is None else int(replications)
    if reps < 1:
        raise ValueError("replications must be at least 1")
    return Job(kind="run", scenario=scenario_data(scn), source=scn.source, columns=(),
               points=((),), replications=reps,
               master_seed=scn.seed if seed is None else int(seed), steps=steps,
               chunk_runs=chunk_runs or default_chunk_runs(reps))
