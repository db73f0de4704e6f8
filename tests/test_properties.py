"""Invariants over generated small worlds (hypothesis).

Each example is a random world: 2-6 states with random attributes, one or two
stations with a random host, rule, channel, capacity, veto and founders,
random bans (some lifted), stations closing, reopening, joined and left by
timeline events, random trust overrides and parameters.  The model
is stepped to the end and the invariants are checked after every step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from helpers import START, banned_pairs, participants
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stationsim.model.core import StationModel
from stationsim.model.scenario import Scenario, scenario_from_dict
from stationsim.rules import RULES
from stationsim.running.batch import run_one

PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

unit = st.floats(0.0, 1.0)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Scenario, int]:
    """A random valid scenario and a model seed."""
    n = draw(st.integers(2, 6))
    isos = [f"S{k}" for k in range(n)]
    # half the worlds are 'friendly' (reliable, open, civil, aligned states), so
    # that many states apply and join together and the invariants are exercised
    friendly = draw(st.booleans())
    good = st.floats(0.6, 1.0) if friendly else unit
    bad = st.floats(0.0, 0.3) if friendly else unit
    states = [{
        "iso3": iso,
        "capability": draw(unit),
        "reciprocity": draw(good),
        "transparency": draw(good),
        "military_fusion": draw(bad),
        "alignment": draw(st.floats(-0.2, 0.2) if friendly else st.floats(-1.0, 1.0)),
        "developing": draw(st.booleans()),
        "continent": draw(st.sampled_from(["Asia", "Europe", "Africa"])),
        "assets": {"money": draw(st.floats(0.0, 2.0)),
                   "resource_rights": draw(st.floats(0.0, 3.0))},
    } for iso in isos]
    steps = draw(st.integers(2, 8))
    last = START + steps - 1
    stations = []
    taken: set[str] = set()  # exclusive: a state founds one station (else refused)
    for k in range(draw(st.integers(1, 2))):
        host = draw(st.sampled_from(isos))
        others = [i for i in isos if i != host and i not in taken]
        founders = draw(st.lists(st.sampled_from(others), unique=True,
                                 max_size=min(2, len(others)))) if others else []
        taken.update(founders)
        open_from = draw(st.one_of(st.just(START), st.integers(START - 2, last)))
        stations.append({
            "name": f"ST{k}",
            "host": host,
            "rule": draw(st.sampled_from(sorted(RULES))),
            "capacity": len(founders) + draw(st.sampled_from([3, 5, 2, 4] if friendly
                                                             else [3, 5, 0, 1, 2, 4])),
            "operating_cost": draw(st.floats(0.1, 5.0)),
            "open_from": open_from,
            "close_at": draw(st.integers(open_from + 1, last + 3)),
            "founding_members": founders,
            "host_share_min": draw(unit),
            "partner_veto": draw(st.booleans()),
            "channel": draw(st.sampled_from(["un", "bilateral"])),
            "asset_values": {"money": 1.0, "resource_rights": draw(unit)},
        })
    events: list[dict[str, Any]] = []
    hosts = {s["host"] for s in stations}
    guests = [i for i in isos if i not in hosts]
    if friendly and len(guests) >= 2:  # two would-be guests that may apply together
        a, b = draw(st.lists(st.sampled_from(guests), min_size=2, max_size=2, unique=True))
        events.append({"year": START, "type": "ban", "state": a, "target": b})
    for _ in range(draw(st.integers(0, 3))):
        # mostly between would-be guests (they may apply together), else any pair
        pool = guests if len(guests) >= 2 and draw(st.booleans()) else isos
        a, b = draw(st.lists(st.sampled_from(pool), min_size=2, max_size=2, unique=True))
        year = draw(st.one_of(st.just(START), st.integers(START, last)))
        ban: dict[str, Any] = {"year": year, "type": "ban", "state": a, "target": b}
        if draw(st.booleans()):
            ban["until"] = year + draw(st.integers(1, 4))
        events.append(ban)
        if draw(st.booleans()):
            events.append({"year": draw(st.integers(year, last)), "type": "lift_ban",
                           "state": b, "target": a})
    for _ in range(draw(st.integers(0, 3))):  # timeline events on stations
        kind = draw(st.sampled_from(["close", "open", "join", "leave", "set_station"]))
        ev = {"year": draw(st.integers(START, last)), "type": kind,
              "station": draw(st.sampled_from([s["name"] for s in stations]))}
        if kind in ("join", "leave"):
            ev["state"] = draw(st.sampled_from(isos))
        if kind == "set_station":  # a capacity cut (or rise) mid-run
            ev.update(attribute="capacity", value=draw(st.integers(0, 4)))
        events.append(ev)
    trust = [{"source": a, "target": b, "value": draw(unit)}
             for a, b in draw(st.lists(st.tuples(st.sampled_from(isos),
                                                 st.sampled_from(isos)).filter(
                                                     lambda p: p[0] != p[1]),
                                       max_size=3, unique=True))]
    parameters = {
        "learn_rate": draw(unit),
        "default_penalty": draw(st.floats(0.0, 0.5)),
        "expel_defaults": draw(st.integers(0, 4)),
        "reapply_cooldown": draw(st.integers(0, 3)),
        "admission_order": draw(st.sampled_from(["value", "random"])),
        "founders_may_leave": draw(st.booleans()),
    }
    data = {"name": "generated", "steps": steps, "start_year": START,
            "exclusive": draw(st.booleans()), "states": states, "stations": stations,
            "events": events, "trust": trust, "parameters": parameters}
    return scenario_from_dict(data, source="<generated>"), draw(st.integers(0, 2**32))


def steps_of(scn: Scenario, seed: int):
    """Yield the model after each of its steps."""
    model = StationModel(scn, rng=seed)
    while model.running:
        model.step()
        yield model


@PROPERTY
@given(worlds())
def test_trust_stays_in_unit_interval(world: tuple[Scenario, int]) -> None:
    scn, seed = world
    for model in steps_of(scn, seed):
        i, j = np.meshgrid(np.arange(model.n), np.arange(model.n), indexing="ij")
        t = model.trust.get(i.ravel(), j.ravel())
        assert np.isfinite(t).all()
        assert ((t >= 0.0) & (t <= 1.0)).all()
        assert (t[i.ravel() == j.ravel()] == 1.0).all()


@PROPERTY
@given(worlds())
def test_members_never_exceed_capacity(world: tuple[Scenario, int]) -> None:
    scn, seed = world
    for model in steps_of(scn, seed):
        guests = np.zeros(model.n, dtype=np.int64)
        for s in model.stations:
            assert int(s.member.sum()) <= s.capacity
            assert not s.member[s.host], "a host is not its own guest"
            guests += s.member
        if model.exclusive:
            assert guests.max() <= 1, "exclusive membership: one station at a time"


@PROPERTY
@given(worlds())
def test_closed_stations_have_no_members(world: tuple[Scenario, int]) -> None:
    scn, seed = world
    for model in steps_of(scn, seed):
        for s in model.stations:
            if not s.is_open(model.year - 1):
                assert s.members.size == 0, f"{s.name} is closed in {model.year - 1}"


@PROPERTY
@given(worlds())
def test_banned_pairs_never_share_a_station(world: tuple[Scenario, int]) -> None:
    scn, seed = world
    for model in steps_of(scn, seed):
        year = model.year - 1
        pairs = banned_pairs(scn, year)
        for name, inside in participants(model).items():
            for pair in pairs:
                assert not pair <= inside, f"{sorted(pair)} share {name} in {year}"


@PROPERTY
@given(worlds())
def test_numeric_outcomes_are_finite(world: tuple[Scenario, int]) -> None:
    scn, seed = world
    tables = run_one(scn, seed)
    for name in ("runs", "steps"):
        df = getattr(tables, name)
        assert len(df) > 0
        num = df.select_dtypes(include=["number", "bool"]).astype("float64")
        assert not num.empty
        bad = num.columns[~np.isfinite(num.to_numpy()).all(axis=0)]
        assert list(bad) == [], f"{name}: non-finite values in {list(bad)}"
    assert len(tables.steps) == scn.steps * len(scn.stations)
    assert isinstance(tables.runs, pd.DataFrame) and len(tables.runs) == 1
