"""Builders for small scripted scenarios, and readers of what a model holds.

Tests build worlds of a few states and one or two stations in memory with
:func:`scenario_from_dict`, then drive :class:`StationModel` step by step,
setting attributes or trust directly where a scripted situation is needed.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from stationsim.model.core import StationModel
from stationsim.model.scenario import Scenario, scenario_from_dict

START = 2000


def state(iso3: str, **kw: Any) -> dict[str, Any]:
    """A state entry: reliable, neutral, open, civil; ``kw`` overrides any field."""
    out: dict[str, Any] = {
        "iso3": iso3,
        "capability": 0.3,
        "reciprocity": 1.0,
        "transparency": 0.8,
        "military_fusion": 0.0,
        "alignment": 0.0,
        "continent": "Asia",
    }
    out.update(kw)
    return out


def station(name: str = "S", host: str = "HUB", **kw: Any) -> dict[str, Any]:
    """A station entry open for the whole default run; ``kw`` overrides any field."""
    out: dict[str, Any] = {
        "name": name,
        "host": host,
        "rule": "hub_and_spoke",
        "capacity": 10,
        "operating_cost": 1.0,
        "open_from": START,
        "close_at": START + 100,
        "channel": "un",
    }
    out.update(kw)
    return out


def scenario_dict(states: list[dict[str, Any]] | None = None,
                  stations: list[dict[str, Any]] | None = None,
                  **kw: Any) -> dict[str, Any]:
    """Raw scenario data: a capable host ``HUB`` and one guest ``GST`` unless given."""
    out: dict[str, Any] = {
        "name": "test",
        "seed": 1,
        "steps": 10,
        "start_year": START,
        "states": states if states is not None else [
            state("HUB", capability=0.9), state("GST", capability=0.5, developing=True)],
        "stations": stations if stations is not None else [station()],
    }
    out.update(kw)
    return out


def build(states: list[dict[str, Any]] | None = None,
          stations: list[dict[str, Any]] | None = None, **kw: Any) -> Scenario:
    """A validated scenario (see :func:`scenario_dict`)."""
    return scenario_from_dict(scenario_dict(states, stations, **kw), source="<test>")


def make_model(states: list[dict[str, Any]] | None = None,
               stations: list[dict[str, Any]] | None = None, seed: int = 0,
               log_events: bool = False, **kw: Any) -> StationModel:
    """A model of :func:`build`'s scenario, seeded, ready to step."""
    return StationModel(build(states, stations, **kw), rng=seed, log_events=log_events)


def ids(model: StationModel, *isos: str) -> np.ndarray:
    """State indices of ``isos`` as an int64 array."""
    return np.array([model.index[i] for i in isos], dtype=np.int64)


def set_trust(model: StationModel, source: str, target: str, value: float) -> None:
    """Set ``source``'s trust in ``target``."""
    model.trust.set(ids(model, source), ids(model, target), np.array([value]))


def trust_of(model: StationModel, source: str, target: str) -> float:
    """``source``'s trust in ``target``."""
    return float(model.trust.get(ids(model, source), ids(model, target))[0])


def banned_pairs(scn: Scenario, year: int) -> set[frozenset[str]]:
    """Pairs under a ban in ``year``, read from the scenario's timeline (not the model)."""
    bans: list[list[Any]] = []
    for ev in sorted(scn.events, key=lambda e: e.year):  # stable: file order within a year
        if ev.year > year:
            break
        pair = frozenset((ev.state, ev.target))
        if ev.type == "ban":
            bans.append([pair, ev.year, ev.until if ev.until is not None else float("inf")])
        elif ev.type == "lift_ban":
            for b in bans:
                if b[0] == pair and b[1] <= ev.year < b[2]:
                    b[2] = ev.year
    return {b[0] for b in bans if b[1] <= year < b[2]}


def participants(model: StationModel) -> dict[str, set[str]]:
    """Each open station's host and guests, by station name."""
    iso = model.states.iso3
    return {s.name: {iso[s.host], *(iso[i] for i in s.members.tolist())}
            for s in model.stations}



def strictly_decreasing(xs: list[float]) -> bool:
    """Whether every value is below the one before it."""
    return all(b < a for a, b in itertools.pairwise(xs))


def run_cli(*args: str, cwd: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m stationsim.app.cli ARGS`` in a fresh process; capture its text output."""
    return subprocess.run([sys.executable, "-m", "stationsim", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False)


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from ``/proc``; Linux)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out
