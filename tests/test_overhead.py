"""The step's fixed overhead is cut without changing a value (benchmarks/README.md,
*Fixed overhead of the step*).

The collect phase computes the step outcomes in one pass, means are taken
without ``np.mean``'s wrapper, and the exit and evaluate phases skip work
that cannot change anything.  These tests check each shortcut against the
declaration it replaces -- to the bit -- at every step of runs where events
change attributes, parameters, trust and membership mid-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import make_model, set_trust, state, station

import stationsim
from stationsim.model import core, outcomes
from stationsim.model.core import StationModel
from stationsim.model.trust import Trust, fmean

ROOT = Path(__file__).resolve().parents[1]


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal values of equal types (floats to the bit)."""
    return len(a) == len(b) and all(
        type(x) is type(y) and (x == y or (x != x and y != y)) for x, y in zip(a, b, strict=True))


@pytest.fixture
def checked_step_values(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the collect phase compute every row both ways and fail on any difference."""
    rows: list[int] = []

    def both(model: StationModel, s: Any) -> tuple[Any, ...]:
        declared = outcomes.declared_step_values(model, s)
        fused = outcomes._fused_step_values(model, s)
        assert outcomes.step_values(model, s) is not None
        assert _same(fused, declared), (s.name, model.t, fused, declared)
        rows.append(1)
        return fused

    monkeypatch.setattr(core, "step_values", both)
    return rows


def _scripted(engine: str) -> StationModel:
    """Two stations; attributes, parameters, trust and membership change mid-run."""
    states = [state("HUB", capability=0.9, alignment=-0.5),
              state("HB2", capability=0.8, alignment=0.6),
              *[state(f"G{k}", capability=0.1 * k, alignment=-0.8 + 0.3 * k,
                      reciprocity=0.4 + 0.1 * k, developing=k % 2 == 0,
                      assets={"money": 0.1 * k}) for k in range(1, 7)]]
    stations = [station("S", "HUB", rule="quid_pro_quo", channel="un", capacity=4),
                station("T", "HB2", channel="bilateral", capacity=3, open_from=2002,
                        founding_members=["G1"])]
    events = [{"year": 2001, "type": "set", "state": "G2", "attribute": "capability",
               "value": 0.95},
              {"year": 2003, "type": "set_parameter", "attribute": "trust_relief",
               "value": 0.9},
              {"year": 2004, "type": "leave", "state": "G1", "station": "T"},
              {"year": 2005, "type": "close", "station": "T"}]
    return make_model(states, stations, steps=8, events=events, exclusive=False,
                      parameters={"engine": engine})


@pytest.mark.parametrize("engine", ["reference", "compiled"])
def test_fused_step_values_equal_the_declared_ones(checked_step_values: list[int],
                                                   engine: str) -> None:
    """Every row of the collect phase, with trust written between steps as well."""
    m = _scripted(engine)
    while m.running:
        m.step()
        set_trust(m, "G3", "HUB", 0.05 + 0.1 * m.t)  # a write the caches must see
        set_trust(m, "HUB", "G4", 0.9 - 0.1 * m.t)
    assert len(checked_step_values) == 2 * 8


@pytest.mark.parametrize("name", ["css_vs_iss", "two_blocs_2020s"])
def test_fused_step_values_equal_the_declared_ones_in_shipped_runs(
        checked_step_values: list[int], name: str) -> None:
    scn = stationsim.load_scenario(ROOT / "scenarios" / f"{name}.toml")
    stationsim.run(scn, seed=3, replications=2)
    assert checked_step_values


def test_collect_uses_the_one_pass_unless_a_step_outcome_is_added(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The one pass covers only the outcomes declared in :mod:`outcomes`."""
    m = _scripted("reference")
    m.step()
    s = m.stations[0]
    called: list[str] = []
    monkeypatch.setattr(outcomes, "_fused_step_values",
                        lambda model, st: called.append("fused") or ())
    monkeypatch.setattr(outcomes, "declared_step_values",
                        lambda model, st: called.append("declared") or ())
    outcomes.step_values(m, s)
    assert called == ["fused"]
    registry = outcomes.OutcomeRegistry()
    for o in outcomes.OUTCOMES.values():
        registry.add(o)
    monkeypatch.setattr(outcomes, "OUTCOMES", registry)
    outcomes.step_values(m, s)
    assert called == ["fused", "fused"]
    registry.add(outcomes.Outcome("extra", "step", "int", "", "", "bookkeeping",
                                  lambda model, st: 0))
    outcomes.step_values(m, s)
    assert called == ["fused", "fused", "declared"]


def test_fmean_is_numpys_mean_to_the_bit() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 7, 8, 9, 15, 16, 17, 129, 3540):
        for scale in (1e-9, 1.0, 1e6):
            x = rng.random(n) * scale
            assert fmean(x) == float(x.mean())


def test_mean_among_equals_the_mean_over_the_meshgrid() -> None:
    rng = np.random.default_rng(2)
    n = 15
    trust = Trust(rng.uniform(-1, 1, (n, 2)), {"trust_base_max": 0.85, "trust_base_slope": 0.7})
    keys = np.unique(rng.integers(0, n * n, 60))
    trust.set(keys // n, keys % n, rng.random(keys.size))
    for k in (2, 3, 6, 15):
        idx = rng.permutation(n)[:k].astype(np.int64)
        ii, jj = np.meshgrid(idx, idx, indexing="ij")
        off = ii != jj
        assert trust.mean_among(idx) == float(trust.get(ii[off], jj[off]).mean())


def test_a_models_state_table_is_its_own_copy_of_the_scenarios() -> None:
    """The listed states' table is made once per scenario; an event writing a column of one
    model changes neither the next model's table nor the cached one."""
    from stationsim.model.agents import StateTable, _listed_rows

    m1 = _scripted("reference")
    fresh = StateTable.from_rows(list(_listed_rows(m1.spec)))
    while m1.running:
        m1.step()  # the set event writes G2's capability in 2001
    assert m1.states.capability[m1.index["G2"]] == 0.95
    m1.states.blocs[0].append("X")
    m1.states.alignment[:] = 1.0
    m2 = StationModel(m1.spec, rng=0)
    for name, col in vars(fresh).items():
        got = getattr(m2.states, name)
        if isinstance(col, np.ndarray):
            assert got.dtype == col.dtype
            np.testing.assert_array_equal(got, col)
            assert not np.shares_memory(got, getattr(m1.states, name))
        else:
            assert got == col and got is not getattr(m1.states, name)


def test_empty_sets_are_not_logged() -> None:
    m = make_model(log_events=True)
    m._log(m.stations[0], np.empty(0, dtype=np.int64), "refused", ["x"])  # no reasons needed
    assert m.last_log == []


def test_step_records_follow_the_rows_when_read_mid_run() -> None:
    """The columns are made from the rows when asked; a read between steps is not kept."""
    m = _scripted("reference")
    assert m.step_records == {c: [] for c in outcomes.STEP_COLUMNS}
    m.step()
    first = m.step_records
    assert first["step"] == [0, 0] and first["station"] == ["S", "T"]
    m.step()
    rec = m.step_records
    assert rec["step"] == [0, 0, 1, 1]
    assert list(rec) == list(outcomes.STEP_COLUMNS)
    assert [tuple(rec[c][k] for c in rec) for k in range(4)] == m.step_rows


@pytest.mark.parametrize("engine", ["reference", "compiled"])
@pytest.mark.parametrize("name", ["css_vs_iss", "two_blocs_2020s"])
def test_participants_mean_trust_from_the_block_is_mean_among(
        monkeypatch: pytest.MonkeyPatch, engine: str, name: str) -> None:
    """At the end of runs, the runs table's mean trust among participants equals
    ``Trust.mean_among`` to the bit, from the last block when valid; after trust or an
    attribute changes, it is read afresh (and still equal)."""
    scn = stationsim.with_overrides(
        stationsim.load_scenario(ROOT / "scenarios" / f"{name}.toml"),
        {"parameters.engine": engine})
    fresh: list[int] = []
    mean_among = Trust.mean_among

    def spy(self: Trust, idx: np.ndarray) -> float:
        fresh.append(1)
        return mean_among(self, idx)

    checked = 0
    for seed in range(3):
        m = StationModel(scn, rng=seed)
        m.run()
        monkeypatch.setattr(Trust, "mean_among", spy)
        for s in m.stations:
            if s.members.size:
                got = m.participants_mean_trust(s)
                assert got == mean_among(m.trust, s.participants)
                checked += 1
        monkeypatch.undo()
        m2 = StationModel(scn, rng=seed)
        m2.run()
        for model, change in ((m, "trust"), (m2, "alignment")):
            s = next(s for s in model.stations if s.members.size)
            h, g = int(s.host), int(s.members[0])
            if change == "trust":
                set_trust(model, model.states.iso3[g], model.states.iso3[h], 0.0)
            else:  # the baseline moves (attributes are read live)
                model.states.alignment[g] = -model.states.alignment[h]
                model.touch()
            assert model.participants_mean_trust(s) == mean_among(model.trust, s.participants)
    assert checked and len(fresh) < checked  # the blocks served some


def test_guest_contributions_follow_admit_renew_and_remove() -> None:
    """The sum of dues is kept per terms version; every write of ``due`` bumps it."""
    from stationsim.rules.base import Terms

    m = _scripted("reference")
    s = m.stations[0]
    idx = np.array([m.index["G1"], m.index["G3"]], dtype=np.int64)

    def fresh() -> float:
        return float(s.due[s.members].sum())

    assert s.guest_contributions() == fresh() == 0.0
    s.admit(Terms(idx, np.array([0.25, 0.5]), np.array([1.0, 1.0]), np.array([9, 9])), 0)
    assert s.guest_contributions() == fresh() == 0.75
    s.renew(Terms(idx[:1], np.array([0.125]), np.array([1.0]), np.array([9])))
    assert s.guest_contributions() == fresh() == 0.625
    s.remove(idx[1:], 1, "utility", 0)
    assert s.guest_contributions() == fresh() == 0.125
    assert s.host_share() == max(0.0, s.operating_cost - 0.125) / s.operating_cost
