"""The fast core's caches never change what the model computes.

The core caches columns per host and station, mirrors the hosts' trust
densely beside the sparse map, and reads a station's pairs as one block
(``model.py``, *Speed*; ``trust.py``).  These tests check that each cache
gives what a fresh computation gives, and is rebuilt when what it depends on
changes: parameters (``model.p``), attributes (events, agent setters,
``touch``), trust (every write and drift) and membership.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import ids, make_model, set_trust, state, station

from stationsim.model.core import StationModel
from stationsim.model.trust import SparseMap, Trust


def _world(**kw: Any) -> StationModel:
    states = [state("HUB", capability=0.9, alignment=-0.5),
              *[state(f"G{k}", capability=0.1 * k, alignment=-0.8 + 0.3 * k,
                      reciprocity=0.5 + 0.1 * k, developing=k % 2 == 0,
                      assets={"money": 0.1 * k}) for k in range(1, 6)]]
    stations = [station("S", "HUB", rule="quid_pro_quo", channel="un", capacity=4)]
    return make_model(states, stations, **kw)


def _fresh_trust(model: StationModel, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Trust from the sparse map and the baseline alone (no mirror, no cache)."""
    t = model.trust
    dev, _ = t.deviation.get(i * t.n + j)
    out = np.clip(t.baseline(i, j) + dev + t.reputation[j], 0.0, 1.0)
    return np.where(i == j, 1.0, out)


def test_sparse_map_set_matches_a_dict() -> None:
    """Keys in any order, new and existing mixed: the map equals a dict fed the same pairs."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        m, ref = SparseMap(), {}
        for _ in range(6):
            k = np.unique(rng.integers(0, 40, rng.integers(1, 15)))
            perm = rng.permutation(k.size)
            v = rng.random(k.size)
            m.set(k[perm], v[perm])
            ref.update(zip(k.tolist(), v.tolist(), strict=True))
        assert m.keys.tolist() == sorted(ref)
        assert m.vals.tolist() == [ref[x] for x in sorted(ref)]


def test_host_mirrors_equal_the_sparse_map_through_sets_and_drift() -> None:
    rng = np.random.default_rng(1)
    n = 12
    align = rng.uniform(-1, 1, (n, 1))
    trust = Trust(align, {"trust_base_max": 0.85, "trust_base_slope": 0.7})
    trust.set(np.array([0, 3]), np.array([5, 0]), np.array([0.9, 0.2]))  # before watching
    trust.watch(np.array([0, 7]))
    for step in range(40):
        i = rng.integers(0, n, 10)
        j = rng.integers(0, n, 10)
        keys = np.unique(i * n + j)
        trust.set(keys // n, keys % n, rng.random(keys.size))
        if step % 3 == 0:  # a block over sorted participants, read and written back
            parts = np.unique(np.concatenate(([0], rng.integers(1, n, 4))))
            blk = trust.block(parts)
            blk.commit(blk.current * 0.5 + 0.3)
        trust.drift(0.4)  # strong drift: entries get pruned
        every = np.arange(n)
        for w in (0, 7):
            row = trust.row(w, trust.baseline(w, every))
            col = trust.col(w, trust.baseline(every, w))
            np.testing.assert_array_equal(row, trust.get(np.full(n, w), every))
            np.testing.assert_array_equal(col, trust.get(every, np.full(n, w)))


def test_block_reads_and_writes_as_get_and_set() -> None:
    model = _world()
    for _ in range(3):
        model.step()
    t = model.trust
    parts = np.array([0, 2, 3, 5], dtype=np.int64)
    blk = t.block(parts)
    np.testing.assert_array_equal(blk.current, t.get(blk.o, blk.j))
    new = np.linspace(-0.2, 1.2, blk.o.size)
    blk.commit(new)
    np.testing.assert_allclose(t.get(blk.o, blk.j), np.clip(new, 0, 1), rtol=0, atol=1e-12)
    with pytest.raises(RuntimeError):
        t.set(np.array([1]), np.array([2]), np.array([0.5]))
        blk.commit(new)


def test_cached_host_trust_follows_every_change_of_trust() -> None:
    model = _world()
    model.step()
    every = model.everyone
    h = model.stations[0].host
    before = model.trust_in_host(every, h).copy()
    set_trust(model, "G3", "HUB", 0.01)
    after = model.trust_in_host(every, h)
    assert after[ids(model, "G3")[0]] == pytest.approx(0.01)
    np.testing.assert_array_equal(after, _fresh_trust(model, every, np.full(model.n, h)))
    assert not np.array_equal(before, after)
    model.trust.drift(0.5)
    np.testing.assert_array_equal(model.host_trust(h, every),
                                  _fresh_trust(model, np.full(model.n, h), every))


def _utility(model: StationModel) -> np.ndarray:
    s = model.stations[0]
    every = model.everyone
    return model.guest_utility(s, every, s.rule.quote(model.view(s), every), entrant=True).copy()


def _fresh_columns(model: StationModel) -> dict[str, np.ndarray]:
    """What the cached station and host columns must hold, computed from the inputs now."""
    s = model.stations[0]
    p, cap, every = model.p, model.capability, model.everyone
    h = s.host
    return {
        "ability": s.rule.ability(model.view(s), every),
        "soft_strategic": (p["w_soft_power"] * model.developing
                           + p["w_regional"] * model.regional(every, h)
                           + p["w_strategic"] * cap),
        "gap1": 1.0 + np.maximum(0.0, cap[h] - cap),
        "pc_raw": p["w_alignment"] * model.trust.distance(every, h)
        + p["w_dual_use"] * model.dual_use(h),
    }


def _cached_columns(model: StationModel) -> dict[str, np.ndarray]:
    s = model.stations[0]
    sv, hv = model.station_view(s), model.host_view(s.host)
    return {"ability": sv.ability, "soft_strategic": sv.soft_strategic, "gap1": hv.gap1,
            "pc_raw": hv.pc_raw}


@pytest.mark.parametrize("change", ["parameter", "setter", "touch", "event"])
def test_cached_columns_are_rebuilt_when_their_inputs_change(change: str) -> None:
    model = _world(events=[{"year": 2001, "type": "set", "state": "G2",
                            "attribute": "capability", "value": 0.95},
                           {"year": 2001, "type": "set", "state": "HUB",
                            "attribute": "alignment", "value": 0.7}])
    before = _utility(model)
    g2 = int(ids(model, "G2")[0])
    if change == "parameter":
        model.p["w_strategic"] = model.p["w_strategic"] + 1.0
        model.p["w_alignment"] = model.p["w_alignment"] + 1.0
    elif change == "setter":
        next(a for a in model.agents if a.iso3 == "G2").capability = 0.95
    elif change == "touch":
        model.capability[g2] = 0.95
        model.touch()
    else:
        model.step()  # 2000
        model.step()  # 2001: the set events apply
        assert model.capability[g2] == 0.95
    cached, fresh = _cached_columns(model), _fresh_columns(model)
    for name, col in fresh.items():
        np.testing.assert_array_equal(cached[name], col, err_msg=name)
    if change != "event":
        assert not np.array_equal(before, _utility(model))


def test_refusal_reasons_are_named() -> None:
    model = _world(log_events=True)
    model.run()
    reasons = {r for _, _, action, r in model.last_log if action == "refused"}
    assert reasons <= {"trust", "value", "capacity", "host_share", "veto", "host_gain",
                       "price", "ban", "ineligible"}
