"""The compiled engine (issue 15) gives the reference engine's tables, run for run.

``engine = "compiled"`` runs numba kernels (``stationsim.model.kernels``) for
parts of the step; ``engine = "reference"`` (the default) is the numpy path.
Both draw the same random numbers in the same order, so every decision (who
applies, is admitted, pays, leaves, when) must be identical: every integer,
boolean and string column equal, floats within 1e-9 (they are in fact equal
to the bit on the machines tried: the kernels repeat numpy's operations in
numpy's order).  Checked on every shipped scenario and on generated worlds,
including the model-v2 learning options the kernels branch on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import worlds

import stationsim
from stationsim.model.core import StationModel
from stationsim.model.scenario import Scenario

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(str(p.relative_to(ROOT / "scenarios").with_suffix(""))
                   for p in [*(ROOT / "scenarios").glob("*.toml"),
                             *(ROOT / "scenarios" / "validation").glob("*.toml")])
#: replications and steps per shipped scenario (small: the tables, not the statistics)
SIZES = {"scale_10000": (1, 4), "scale_1000": (2, 8)}


def engine(scn: Scenario, name: str, extra: dict[str, Any] | None = None) -> Scenario:
    """``scn`` with ``[parameters] engine = name`` (and ``extra`` parameters)."""
    over = {f"parameters.{k}": v for k, v in (extra or {}).items()}
    return stationsim.with_overrides(scn, {"parameters.engine": name, **over})


def assert_same_tables(a: stationsim.Results, b: stationsim.Results, what: str) -> None:
    """Integer, boolean and string columns identical; floats within 1e-9."""
    for table in ("runs", "steps", "membership"):
        x, y = getattr(a, table), getattr(b, table)
        assert list(x.columns) == list(y.columns), f"{what}.{table}: columns differ"
        assert len(x) == len(y), f"{what}.{table}: rows differ"
        for col in x.columns:
            u, v = x[col], y[col]
            assert u.dtype == v.dtype, f"{what}.{table}.{col}: dtype {u.dtype} vs {v.dtype}"
            if pd.api.types.is_float_dtype(u):
                np.testing.assert_allclose(u.to_numpy(), v.to_numpy(), rtol=1e-9, atol=1e-9,
                                           equal_nan=True, err_msg=f"{what}.{table}.{col}")
            else:
                pd.testing.assert_series_equal(u, v, check_exact=True,
                                               obj=f"{what}.{table}.{col}")


def test_reference_is_the_default() -> None:
    scn = stationsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert StationModel(scn, rng=1).p["engine"] == "reference"


def test_an_unknown_engine_is_refused() -> None:
    scn = stationsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    with pytest.raises(Exception, match="engine"):
        engine(scn, "fortran")


@pytest.mark.parametrize("name", SCENARIOS)
def test_shipped_scenario_same_tables(name: str) -> None:
    reps, steps = SIZES.get(name, (3, None))
    scn = stationsim.load_scenario(ROOT / "scenarios" / f"{name}.toml")
    ref = stationsim.run(engine(scn, "reference"), seed=20261129, replications=reps,
                         steps=steps)
    com = stationsim.run(engine(scn, "compiled"), seed=20261129, replications=reps,
                         steps=steps)
    assert_same_tables(ref, com, name)


#: the model-v2 options the kernels branch on, each way
V2 = [{}, {"trust_update": "belief"}, {"host_delivery": "per_contract"},
      {"w_political": 0.4}, {"trust_update": "belief", "host_delivery": "per_contract",
                             "w_political": 0.7}]


@pytest.mark.parametrize("extra", V2, ids=lambda e: "-".join(f"{k}={v}" for k, v in e.items())
                         or "default")
def test_learning_options_same_tables(extra: dict[str, Any]) -> None:
    scn = stationsim.load_scenario(ROOT / "scenarios" / "two_blocs_2020s.toml")
    ref = stationsim.run(engine(scn, "reference", extra), seed=3, replications=2)
    com = stationsim.run(engine(scn, "compiled", extra), seed=3, replications=2)
    assert_same_tables(ref, com, f"two_blocs {extra}")


#: the generated worlds also draw the admission order (the rule kernels branch on it)
ORDERS = [{"admission_order": "random"},
          {"admission_order": "random", "host_delivery": "per_contract"}]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.sampled_from(V2 + ORDERS))
def test_generated_world_same_tables(world: tuple[Scenario, int],
                                     extra: dict[str, Any]) -> None:
    scn, seed = world
    ref = stationsim.run(engine(scn, "reference", extra), seed=seed % 2**31, replications=2)
    com = stationsim.run(engine(scn, "compiled", extra), seed=seed % 2**31, replications=2)
    assert_same_tables(ref, com, "generated")


def test_compiled_engine_changes_the_model_state_alike() -> None:
    """Beyond the tables: trust, records and streaks equal after a run (to the bit)."""
    scn = stationsim.load_scenario(ROOT / "scenarios" / "css_vs_iss.toml")
    a = StationModel(engine(scn, "reference", {"trust_update": "belief"}), rng=11)
    b = StationModel(engine(scn, "compiled", {"trust_update": "belief"}), rng=11)
    a.run()
    b.run()
    assert b.p["engine"] == "compiled" and "stationsim.model.kernels" in sys.modules
    assert np.array_equal(a.trust.deviation.keys, b.trust.deviation.keys)
    assert np.array_equal(a.trust.deviation.vals, b.trust.deviation.vals)
    assert np.array_equal(a.record, b.record)
    for s, t in zip(a.stations, b.stations, strict=True):
        for col in ("cum_utility", "low_streak", "default_streak", "defaults_total"):
            assert np.array_equal(getattr(s, col), getattr(t, col)), col


def test_import_stationsim_does_not_import_numba() -> None:
    code = ("import sys, stationsim; from stationsim.model import core; "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_kernels_are_cached_to_a_given_directory(tmp_path: Path) -> None:
    """With ``NUMBA_CACHE_DIR`` set, a first process writes the compiled kernels there
    and a second loads them (no compilation: far quicker)."""
    code = ("import time, stationsim; from pathlib import Path; "
            f"scn = stationsim.load_scenario({str(ROOT / 'scenarios' / 'baseline.toml')!r}); "
            "scn = stationsim.with_overrides(scn, {'parameters.engine': 'compiled'}); "
            "t = time.perf_counter(); stationsim.run(scn, seed=1, replications=1, steps=3); "
            "print(time.perf_counter() - t)")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NUMBA_CACHE_DIR": str(tmp_path)}
    cold = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True, env=env).stdout)
    assert list(tmp_path.rglob("*.nbi")), "no numba index written"
    warm = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True, env=env).stdout)
    assert warm < cold / 2


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 400), st.integers(1, 60), st.integers(0, 2**32 - 1))
def test_block_read_finds_what_searchsorted_finds(size: int, k: int, seed: int) -> None:
    """The galloping search of :func:`kernels.read_into` gives numpy's positions."""
    from stationsim.model import kernels

    rng = np.random.default_rng(seed)
    n = 50
    map_keys = np.unique(rng.integers(0, n * n, size))
    map_vals = rng.normal(size=map_keys.size)
    parts = np.unique(rng.integers(0, n, k))
    pairs_o, pairs_j = np.meshgrid(parts, parts, indexing="ij")
    off = pairs_o != pairs_j
    keys = (pairs_o[off] * n + pairs_j[off]).astype(np.int64)
    base = rng.random(keys.size)
    rep = rng.normal(scale=0.1, size=n)
    nk = keys.size
    pos, found = np.empty(nk, dtype=np.int64), np.empty(nk, dtype=np.bool_)
    dev, cur = np.empty(nk), np.empty(nk)
    kernels.read_into(map_keys, map_vals, keys, base, rep, pairs_j[off].astype(np.int64),
                      pos, found, dev, cur)
    want = map_keys.searchsorted(keys)
    assert np.array_equal(pos, want)
    assert np.array_equal(found, np.isin(keys, map_keys))
    assert np.array_equal(dev[found], map_vals[want[found]])
    assert np.array_equal(cur, np.clip(base + dev + rep[pairs_j[off]], 0.0, 1.0))


@pytest.mark.parametrize("d", [1, 2, 3, 5, 7])
def test_pair_baseline_equals_trust_baseline_to_the_bit(d: int) -> None:
    from stationsim.model import kernels
    from stationsim.model.trust import PairSet, Trust

    rng = np.random.default_rng(d)
    tr = Trust(rng.uniform(-1, 1, size=(40, d)), {"trust_base_max": 0.85,
                                                  "trust_base_slope": 0.7315})
    parts = np.unique(rng.integers(0, 40, 25))
    want = PairSet(tr, parts)
    assert np.array_equal(kernels.CompiledPairSet(tr, parts).base, want.base)
    # with the memo of baselines: computed into it, then read from it (another station's
    # pairs sharing some of these come from both)
    memo = np.full(40 * 40, np.nan)
    for _ in range(2):
        got = kernels.CompiledPairSet(tr, parts, memo)
        for col in ("o", "j", "keys", "base"):
            assert np.array_equal(getattr(got, col), getattr(want, col)), col
    assert np.count_nonzero(~np.isnan(memo)) == want.keys.size
    more = np.unique(np.concatenate((parts[:10], rng.integers(0, 40, 10))))
    assert np.array_equal(kernels.CompiledPairSet(tr, more, memo).base,
                          PairSet(tr, more).base)


def test_switching_engine_mid_run_changes_nothing() -> None:
    """``set_parameter`` events may switch the engine during a run (the engines share the
    model's state: trust blocks, pair caches): the run is the reference run."""
    from helpers import START, build, state, station

    states = [state("HUB", capability=0.9, alignment=0.1),
              *[state(f"G{k}", capability=0.08 * k, reciprocity=0.55 + 0.05 * k,
                      transparency=0.3 + 0.07 * k, alignment=-0.4 + 0.1 * k,
                      developing=k % 2 == 0) for k in range(9)]]
    events = [{"year": START + 2, "type": "set_parameter", "attribute": "engine",
               "value": "compiled"},
              {"year": START + 5, "type": "set_parameter", "attribute": "engine",
               "value": "reference"},
              {"year": START + 7, "type": "set_parameter", "attribute": "engine",
               "value": "compiled"}]
    switching = build(states, [station(capacity=6)], steps=10, events=events)
    plain = build(states, [station(capacity=6)], steps=10)
    ref = stationsim.run(plain, seed=4, replications=3)
    mixed = stationsim.run(switching, seed=4, replications=3)
    assert ref.steps["members"].sum() > 0  # members joined, so learning ran
    assert_same_tables(ref, mixed, "switching")


# ------------------------------------------------------- the rules' negotiation (compiled)

#: station settings the rule kernels branch on, loose or binding: (host_share_min, guest
#: slots beyond the founders)
BINDING = {"loose": (0.0, 200), "host_share": (0.92, 200), "capacity": (0.0, 3),
           "both": (0.6, 4)}


def two_blocs_with(rule: str, veto: bool, channel: str, binding: str,
                   order: str) -> Scenario:
    """two_blocs_2020s with every station on ``rule``, ``partner_veto``, ``channel``,
    ``host_share_min`` and ``capacity`` (:data:`BINDING`), and ``admission_order``."""
    share, room = BINDING[binding]
    scn = stationsim.load_scenario(ROOT / "scenarios" / "two_blocs_2020s.toml")
    over: dict[str, Any] = {"parameters.admission_order": order}
    for st_ in scn.stations:
        name = st_.name
        over |= {f"stations.{name}.rule": rule, f"stations.{name}.partner_veto": veto,
                 f"stations.{name}.channel": channel,
                 f"stations.{name}.host_share_min": share,
                 f"stations.{name}.capacity": len(st_.founding_members) + room}
    return stationsim.with_overrides(scn, over)


def same_decision(a: Any, b: Any) -> None:
    """Two :class:`Decision` values equal to the bit."""
    for x, y in ((a.admitted.idx, b.admitted.idx), (a.admitted.due, b.admitted.due),
                 (a.admitted.rights, b.admitted.rights),
                 (a.admitted.contract_end, b.admitted.contract_end), (a.refused, b.refused),
                 (a.codes, b.codes)):
        assert x.dtype == y.dtype
        assert np.array_equal(x, y), (x, y)


RULE_CASES = [(rule, veto, channel, binding, order)
              for rule in ("hub_and_spoke", "quid_pro_quo")
              for veto in (True, False)
              for channel in ("bilateral", "un")
              for binding in BINDING
              for order in ("value", "random")
              if rule == "hub_and_spoke" or (not veto and binding != "host_share")]


@pytest.mark.parametrize(("rule", "veto", "channel", "binding", "order"), RULE_CASES,
                         ids=["-".join(map(str, c)) for c in RULE_CASES])
def test_compiled_negotiation_decides_as_the_rule(rule: str, veto: bool, channel: str,
                                                  binding: str, order: str) -> None:
    """At every step of a run, each station's compiled negotiation of every state outside
    it gives the numpy rule's decision to the bit, from the same draws."""
    from stationsim.model import kernels_rules

    scn = two_blocs_with(rule, veto, channel, binding, order)
    m = StationModel(engine(scn, "compiled"), rng=5)
    codes: set[int] = set()
    vetoed_asked = False
    while m.running:
        for s in m.stations:
            if not s.is_open(m.year):
                continue
            apps = np.flatnonzero(~s.member & (np.arange(m.n) != s.host)).astype(np.int64)
            neg = kernels_rules.negotiator(s.rule)
            assert neg is not None
            state = m.rng.bit_generator.state
            want = s.rule.negotiate(m.view(s), apps)
            after = m.rng.bit_generator.state
            m.rng.bit_generator.state = state
            got = neg(m, s, apps)
            assert got is not None
            assert m.rng.bit_generator.state == after  # the same draws
            same_decision(want, got)
            codes.update(want.codes.tolist())
            vetoed_asked |= veto and s.members.size > 0
            ended, renewed = s.rule.review(m.view(s))
            rev = kernels_rules.reviewer(s.rule)
            if rev is not None:
                ended2, renewed2 = rev(m, s)
                assert np.array_equal(ended, ended2)
                same_decision(type(want)(renewed, ended, np.zeros(0, np.int8)),
                              type(want)(renewed2, ended2, np.zeros(0, np.int8)))
        m.step()
    # the cases bind what they say they bind (refusal codes: stationsim.rules.base)
    from stationsim.rules.base import REASON_CODE
    if binding == "host_share":
        assert REASON_CODE["host_share"] in codes
    if binding == "capacity":
        assert REASON_CODE["capacity"] in codes
    if binding == "both":
        assert codes & {REASON_CODE["host_share"], REASON_CODE["capacity"]}
    if veto:
        assert vetoed_asked


@pytest.mark.parametrize(("rule", "veto", "channel", "binding", "order"),
                         [c for c in RULE_CASES if c[2] == "un" or c[3] == "both"],
                         ids=lambda c: str(c))
def test_compiled_negotiation_same_tables(rule: str, veto: bool, channel: str,
                                          binding: str, order: str) -> None:
    scn = two_blocs_with(rule, veto, channel, binding, order)
    ref = stationsim.run(engine(scn, "reference"), seed=8, replications=2)
    com = stationsim.run(engine(scn, "compiled"), seed=8, replications=2)
    assert_same_tables(ref, com, f"{rule} veto={veto} {channel} {binding} {order}")


def test_the_veto_reads_overrides_and_learned_trust() -> None:
    """A member's scenario override and learned distrust of an applicant veto it, under both
    engines alike (the kernel's pair trust is ``Trust.get``'s)."""
    from helpers import START, build, state, station

    states = [state("HUB", capability=0.9), state("M1", capability=0.5),
              state("M2", capability=0.4, reciprocity=0.6),
              *[state(f"A{k}", capability=0.2 + 0.05 * k, reciprocity=0.5 + 0.05 * k,
                      developing=True) for k in range(6)]]
    stations = [station(capacity=8, partner_veto=True, founding_members=["M1", "M2"],
                        channel="bilateral")]
    scn = build(states, stations, steps=8, trust=[{"source": "M1", "target": "A2",
                                                   "value": 0.0},
                                                  {"source": "M2", "target": "A4",
                                                   "value": 0.05}],
                events=[{"year": START + 3, "type": "ban", "state": "A0", "target": "A1"}])
    ref = stationsim.run(engine(scn, "reference", {"veto_threshold": 0.3}), seed=2,
                         replications=3)
    com = stationsim.run(engine(scn, "compiled", {"veto_threshold": 0.3}), seed=2,
                         replications=3)
    assert ref.runs.filter(like="refusals_veto").to_numpy().sum() > 0
    assert_same_tables(ref, com, "veto")


def test_two_applicants_banned_with_each_other_join_alone() -> None:
    """Two applicants banned with each other apply together: the second admitted is
    refused for the ban under both engines alike (``_drop_banned`` after the kernel)."""
    from helpers import START, build, state, station

    states = [state("HUB", capability=0.9),
              *[state(f"G{k}", capability=0.3 + 0.05 * k, developing=True)
                for k in range(4)]]
    for rule in ("hub_and_spoke", "quid_pro_quo"):
        scn = build(states, [station(capacity=6, rule=rule)], steps=4,
                    events=[{"year": START, "type": "ban", "state": "G1", "target": "G2"}])
        ref = stationsim.run(engine(scn, "reference"), seed=1, replications=2)
        com = stationsim.run(engine(scn, "compiled"), seed=1, replications=2)
        assert ref.runs.filter(like="refusals_ban").to_numpy().sum() > 0, rule
        assert_same_tables(ref, com, f"ban {rule}")


def test_a_rule_without_a_kernel_negotiates_in_numpy_under_the_compiled_engine() -> None:
    """A rule class with no compiled counterpart (here a subclass of a shipped rule, which
    may override its methods) runs its numpy methods under ``engine = "compiled"``."""
    from stationsim.model import kernels_rules
    from stationsim.rules.hub_and_spoke import HubAndSpoke
    from stationsim.rules.quid_pro_quo import QuidProQuo

    calls = []

    class Picky(HubAndSpoke):
        def negotiate(self, ctx: Any, applicants: Any) -> Any:
            calls.append(applicants.size)
            return super().negotiate(ctx, applicants)

    assert kernels_rules.negotiator(Picky()) is None
    assert kernels_rules.negotiator(HubAndSpoke()) is not None
    assert kernels_rules.reviewer(QuidProQuo()) is not None
    scn = stationsim.load_scenario(ROOT / "scenarios" / "css_vs_iss.toml")
    out = []
    for name in ("reference", "compiled"):
        m = StationModel(engine(scn, name), rng=3)
        m.stations[0].rule = Picky()
        m.run()
        out.append(m)
    assert calls and len(calls) % 2 == 0
    a, b = out
    for s, t in zip(a.stations, b.stations, strict=True):
        assert np.array_equal(s.member, t.member)
        assert np.array_equal(s.due, t.due)
        assert np.array_equal(s.refusal_counts, t.refusal_counts)


@pytest.mark.parametrize("order", ["value", "random"])
def test_admission_queue_sorts_as_numpy(order: str) -> None:
    """:func:`kernels_rules.admission_queue` gives ``admission_order``'s positions, with
    tied keys, NaN keys and no eligible applicant."""
    from stationsim.model import kernels_rules

    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 5, 17, 64, 300):
        key = rng.choice([-1.0, 0.0, 0.5, 2.0, np.nan], size) if size % 2 else rng.normal(
            size=size)
        tie = rng.random(size)
        tie[: size // 3] = 0.25  # tied draws too: the stable order decides
        eligible = rng.random(size) < 0.7
        idx = eligible.nonzero()[0]
        want = (idx[np.argsort(tie[idx], kind="stable")] if order == "random"
                else idx[np.lexsort((tie[idx], -key[idx]))])
        got = kernels_rules.admission_queue(key, eligible, tie, order == "value")
        assert np.array_equal(got, want), (size, got, want)


def test_the_rule_kernels_refusal_codes_are_the_rules() -> None:
    """The kernels' refusal codes are compile-time constants: they must be ``REASON_CODE``'s."""
    from stationsim.model import kernels_rules as kr
    from stationsim.rules.base import NEVER, REASON_CODE

    got = (kr._TRUST, kr._VALUE, kr._CAPACITY, kr._HOST_SHARE, kr._VETO, kr._HOST_GAIN,
           kr._PRICE)
    assert got == tuple(REASON_CODE[r] for r in ("trust", "value", "capacity", "host_share",
                                                 "veto", "host_gain", "price"))
    assert kr._NEVER == NEVER


@pytest.mark.parametrize("d", [3, 8])
def test_the_veto_with_alignment_vectors(d: int) -> None:
    """With 8 or more alignment dimensions (numpy no longer sums them in order) the hub's
    negotiation falls back to the numpy rule when it asks for a veto; with fewer the kernel
    computes the members' trust; both give the reference tables."""
    from helpers import START, build, state, station

    from stationsim.model import kernels_rules

    rng = np.random.default_rng(d)
    states = [state(f"S{k}", capability=float(rng.uniform(0.1, 0.9)),
                    reciprocity=float(rng.uniform(0.5, 1.0)),
                    alignment=[float(x) for x in rng.uniform(-1.0, 1.0, d)],
                    developing=bool(k % 2)) for k in range(12)]
    states[0]["iso3"] = "HUB"
    scn = build(states, [station(capacity=9, partner_veto=True, founding_members=["S1", "S2"],
                                 channel="bilateral")], steps=6,
                events=[{"year": START + 2, "type": "ban", "state": "S5", "target": "S6"}])
    ref = stationsim.run(engine(scn, "reference", {"veto_threshold": 0.5}), seed=6,
                         replications=3)
    com = stationsim.run(engine(scn, "compiled", {"veto_threshold": 0.5}), seed=6,
                         replications=3)
    assert ref.runs["s_refusals_veto"].sum() > 0 and ref.steps["members"].max() > 2
    assert_same_tables(ref, com, f"alignment {d}")
    m = StationModel(engine(scn, "compiled"), rng=1)
    s = m.stations[0]
    got = kernels_rules.hub(m, s, np.array([3, 4], dtype=np.int64))
    assert (got is None) == (d >= 8)


# ------------------------------------------- deliver and learn in one kernel call (fused)

#: options the fused station kernel branches on: channel (the UN channel's reputation
#: cost), delivery per contract, belief updating, political returns, no drift
FUSED_CASES = [("un", {}), ("bilateral", {}), ("un", {"host_delivery": "per_contract"}),
               ("un", {"trust_update": "belief", "w_political": 0.5}),
               ("bilateral", {"trust_drift": 0.0, "host_delivery": "per_contract"})]


def _watched_world(channel: str, extra: dict[str, Any]) -> Scenario:
    """Two stations; the second's host is a founding member of the first, so the first's
    learning writes another watched state's dense row and column besides its host's;
    contracts of 2 steps, so the membership changes during the run."""
    from helpers import START, build, state, station

    states = [state("HUB", capability=0.9, alignment=0.1),
              state("HB2", capability=0.7, alignment=-0.2, reciprocity=0.8),
              *[state(f"G{k}", capability=0.08 * k, reciprocity=0.5 + 0.05 * k,
                      transparency=0.3 + 0.07 * k, alignment=-0.4 + 0.1 * k,
                      developing=k % 2 == 0) for k in range(9)]]
    stations = [station("A", "HUB", capacity=6, channel=channel, founding_members=["HB2"]),
                station("B", "HB2", capacity=4, channel=channel, open_from=START + 2)]
    over = {"parameters.engine": "reference", "parameters.contract_steps": 2,
            **{f"parameters.{k}": v for k, v in extra.items()}}
    return stationsim.with_overrides(build(states, stations, steps=16, exclusive=False), over)


def _same_state(a: StationModel, b: StationModel, when: str) -> None:
    """Trust (map, reputations, the watched states' mirrors), records, the stations' arrays
    and this step's figures, and the blocks' deviations and trust: equal to the bit."""
    ta, tb = a.trust, b.trust
    assert np.array_equal(ta.deviation.keys, tb.deviation.keys), when
    assert np.array_equal(ta.deviation.vals, tb.deviation.vals), when
    assert np.array_equal(ta.reputation, tb.reputation), when
    assert ta.version == tb.version, when
    assert ta._mirror.keys() == tb._mirror.keys(), when
    for w, (row, col) in ta._mirror.items():
        assert np.array_equal(row, tb._mirror[w][0]), f"{when}: row of {w}"
        assert np.array_equal(col, tb._mirror[w][1]), f"{when}: column of {w}"
    assert np.array_equal(a.record, b.record), when
    for s, t in zip(a.stations, b.stations, strict=True):
        for col in ("cum_utility", "low_streak", "default_streak", "defaults_total",
                    "delivered_last", "host_delivered_to"):
            assert np.array_equal(getattr(s, col), getattr(t, col)), f"{when}: {col}"
        assert s.host_cum_utility == t.host_cum_utility, when
        assert s.host_delivered_last == t.host_delivered_last, when
        assert vars(s.now) == vars(t.now), when
    assert a._blocks.keys() == b._blocks.keys(), when
    for name, blk in a._blocks.items():
        assert np.array_equal(blk.dev, b._blocks[name].dev), f"{when}: block {name}"
        assert np.array_equal(blk.current, b._blocks[name].current), f"{when}: block {name}"


@pytest.mark.parametrize(("channel", "extra"), FUSED_CASES,
                         ids=lambda c: c if isinstance(c, str) else
                         "-".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_fused_deliver_and_learn_leaves_the_reference_state_at_every_step(
        channel: str, extra: dict[str, Any]) -> None:
    """Step by step, the compiled engine's deliver-and-learn (one :func:`station_step` call
    per station) leaves trust, mirrors, records, streaks and blocks as the reference; its
    per-station cache is rebuilt when the membership changes and reused when it does not,
    and another watched participant's row and column are written."""
    from stationsim.model import kernels

    scn = _watched_world(channel, extra)
    a = StationModel(scn, rng=5)
    b = StationModel(stationsim.with_overrides(scn, {"parameters.engine": "compiled"}), rng=5)
    rebuilt = reused = 0
    other_watched = False
    last: dict[str, Any] = {}
    while a.running:
        a.step()
        b.step()
        _same_state(a, b, f"t={a.t}")
        assert a.rng.bit_generator.state == b.rng.bit_generator.state  # the same draws
        for name, f in b.__dict__.get("_fused", {}).items():
            assert isinstance(f, kernels.FusedStation)
            if last.get(name) is f:
                reused += 1
            elif name in last:
                rebuilt += 1
            last[name] = f
            other_watched |= bool(f.watched)
    assert rebuilt > 0 and reused > 0 and other_watched
    assert b.stations[0].now.guest_utility != 0.0


def test_pairwise_sum_is_numpys_sum_to_the_bit() -> None:
    """The kernel's sums of a station's payments, values and utilities are numpy's
    ``sum`` to the bit (numpy's pairwise summation, not a loop's), at any length and
    offset, with values of very different magnitudes and signed zeros."""
    from stationsim.model import kernels

    rng = np.random.default_rng(7)
    for n in [*range(0, 300), 511, 512, 513, 1024, 1031, 8191, 8192, 8200, 20001]:
        a = rng.standard_normal(n + 5) * 10.0 ** rng.uniform(-8, 8, n + 5)
        got = 0.0 + kernels.pairwise_sum(a, 3, n)
        want = float(np.add.reduce(a[3:3 + n]))
        assert got == want and np.signbit(got) == np.signbit(want), n
    z = np.array([-0.0, -0.0, 0.0])
    assert np.signbit(0.0 + kernels.pairwise_sum(z, 0, 2)) == np.signbit(z[:2].sum())
