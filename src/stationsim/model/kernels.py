"""Compiled kernels of the step (issue 15): the ``compiled`` engine.

Each kernel is a numba loop (``@numba.njit(cache=True)``) fusing the numpy
expressions of one part of a phase of :class:`~stationsim.model.core.StationModel`,
which remains the reference implementation (``engine = "reference"``, the
default; docs/odd.md, *Engine*).  The kernels make no draw: the model draws
its uniforms from its own generator in the reference order and passes them
in, so both engines consume the same stream.  They compute every value with
the same floating-point operations in the same order as the numpy path
(elementwise only -- sums stay in numpy, whose pairwise summation a loop
would not reproduce), so the two engines give identical tables
(tests/test_compiled.py).

numba is imported here only, and this module only when a model runs with
``engine = "compiled"``, so ``import stationsim`` does not pay numba's
import (~0.5 s).  Compiled machine code is cached on disk (``cache=True``):
next to this file in ``__pycache__`` if that is writable, else in numba's
per-user cache directory, or wherever ``NUMBA_CACHE_DIR`` points
(benchmarks/README.md, *Compiled engine*).  A sweep's workers load the
cache instead of compiling.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@numba.njit(cache=True)
def learn(delivered: FloatArray, oi: IntArray, ji: IntArray, j: IntArray, hp: int,
          per_contract: bool, seen_by: FloatArray, pol: BoolArray, w_political: float,
          transparency: FloatArray, floor: float, belief: bool, belief_prior: float,
          record: FloatArray, learn_rate: float, default_penalty: float,
          cur: FloatArray) -> FloatArray:  # pragma: no cover - compiled
    """Trust each ordered pair of a station's participants holds after this step's deliveries.

    The learning rule of ``StationModel._deliver_and_learn`` (Wu; Cheng 2009
    for ``w_political``; docs/odd.md, *Trust*), before clipping: for the pair
    (observer ``o``, observed ``j``) with what ``j`` was seen to deliver ``d``,
    ``cur + rate * (d - cur)`` under ``belief`` with ``rate = weight /
    (belief_prior + record[j] + weight)``, else ``cur + rate * (d - cur) -
    default_penalty * (1 - d)`` with ``rate = learn_rate * weight``;
    ``weight = floor + (1 - floor) * transparency[j]``.  Under
    ``per_contract`` a member sees what the host (position ``hp``) delivered
    to it (``seen_by``).  ``pol`` is empty unless ``w_political > 0``.
    """
    out = np.empty(cur.size)
    for q in range(cur.size):
        d = delivered[ji[q]]
        if per_contract and ji[q] == hp:
            d = seen_by[oi[q]]
        if w_political > 0.0:
            d = (1.0 - w_political) * d + w_political * (1.0 if pol[ji[q]] else 0.0)
        weight = floor + (1.0 - floor) * transparency[j[q]]
        c = cur[q]
        if belief:
            rate = weight / (belief_prior + record[j[q]] + weight)
            out[q] = c + rate * (d - c)
        else:
            rate = learn_rate * weight
            out[q] = c + rate * (d - c) - default_penalty * (1.0 - d)
    return out


@numba.njit(cache=True)
def realise(m: IntArray, hp: int, k: int, base: FloatArray, dev: FloatArray,
            reputation: FloatArray, j: IntArray, d_m: BoolArray, d_h_m: BoolArray,
            due: FloatArray, ability: FloatArray, rights: FloatArray, w_access_access: float,
            prestige: FloatArray, learn_value: FloatArray, pc_raw: FloatArray,
            trust_relief: float, soft_strategic: FloatArray, w_leakage: float,
            du: FloatArray, gap1: FloatArray, slot: float, exit_threshold: float,
            cum_utility: FloatArray, low_streak: IntArray, default_streak: IntArray,
            defaults_total: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Members' realised utilities this step, and the host's parts of its own.

    ``StationModel._deliver_and_learn``'s realised utilities (docs/odd.md,
    *Submodels*: gross benefit, felt payment ``due / ability``, political
    cost with trust relief; the host's value of each guest with dual-use
    leakage), with trust as just learned: the pairs' trust is
    ``clip(base + dev + reputation[j], 0, 1)`` (:meth:`TrustBlock.now`), the
    host at position ``hp`` of ``k`` participants.  Updates the members'
    cumulative utility, low-utility and default streaks and default totals in
    place.  Returns ``u_m`` (per member), the payments made ``d_m * due`` and
    the host's value of each member (the caller sums the last two).
    """
    k1 = k - 1
    nm = m.size
    u_m = np.empty(nm)
    paid = np.empty(nm)
    value = np.empty(nm)
    for r in range(nm):
        i = m[r]
        pr = r if r < hp else r + 1  # the member's position among the participants
        q_in = pr * k1 + (hp if hp < pr else hp - 1)  # pair (member, host)
        t_in = base[q_in] + dev[q_in]
        t_in += reputation[j[q_in]]
        t_in = min(max(t_in, 0.0), 1.0)
        q_h = hp * k1 + r  # pair (host, member)
        t_h = base[q_h] + dev[q_h]
        t_h += reputation[j[q_h]]
        t_h = min(max(t_h, 0.0), 1.0)
        gross = w_access_access * rights[i] + prestige[i] + learn_value[i]
        p = (1.0 if d_m[r] else 0.0) * due[i]
        paid[r] = p
        u = (gross * (1.0 if d_h_m[r] else 0.0) - p / ability[i]
             - pc_raw[i] * (1.0 - trust_relief * t_in))
        u_m[r] = u
        leak = w_leakage * (1.0 - t_h) * du[i] * gap1[i]
        value[r] = soft_strategic[i] - leak - slot
        cum_utility[i] += u
        low_streak[i] = low_streak[i] + 1 if u < exit_threshold else 0
        if d_m[r]:
            default_streak[i] = 0
        else:
            default_streak[i] += 1
            defaults_total[i] += 1
    return u_m, paid, value


_NO_DRAWS = np.zeros(0, dtype=np.bool_)


def learn_station(model: Any, s: Any, blk: Any, hp: int, delivered: FloatArray,
                  d_h_m: BoolArray, per_contract: bool) -> None:
    """Learning at station ``s`` through :func:`learn`: draws, commit and record as the
    reference path of ``StationModel._deliver_and_learn`` makes them, in the same order."""
    p = model.p
    parts = blk.parts
    if per_contract:
        seen_by = np.empty(parts.size)
        seen_by[:hp] = d_h_m[:hp]
        seen_by[hp + 1:] = d_h_m[hp:]
    else:
        seen_by = delivered
    w_political = float(p["w_political"])
    if w_political > 0.0:
        pol = model.rng.random(parts.size) < model.states.political_reciprocity[parts]
    else:
        pol = _NO_DRAWS
    belief = p["trust_update"] == "belief"
    floor = float(p["transparency_floor"])
    value = learn(delivered, blk.oi, blk.ji, blk.j, int(hp), bool(per_contract), seen_by, pol,
                  w_political, model.transparency, floor, belief,
                  float(p["belief_prior"]), model.record, float(p["learn_rate"]),
                  float(p["default_penalty"]), blk.current)
    blk.commit(value)
    if belief:
        model.record[parts] += (p["transparency_floor"]
                                + (1.0 - p["transparency_floor"]) * model.transparency[parts])


def realise_station(model: Any, s: Any, blk: Any, hp: int, m: IntArray, d_m: BoolArray,
                    d_h_m: BoolArray) -> tuple[FloatArray, float]:
    """Realised utilities at station ``s`` through :func:`realise`: ``(u_m, u_h)``, with the
    members' cumulative utility, streaks and default totals updated."""
    p = model.p
    sv = model.station_view(s)
    hv = model.host_view(s.host)
    access, learn_value = sv.pool(model, s)
    du, prestige = model._attr_columns()
    u_m, paid, value = realise(
        m, int(hp), int(blk.k), blk.base, blk.dev, model.trust.reputation, blk.j, d_m, d_h_m,
        s.due, sv.ability, s.rights, p["w_access"] * access, prestige, learn_value, hv.pc_raw,
        float(p["trust_relief"]), sv.soft_strategic, s.weight("leakage", p), du, hv.gap1,
        float(sv.slot), float(p["exit_threshold"]), s.cum_utility, s.low_streak,
        s.default_streak, s.defaults_total)
    u_h = float(s.weight("revenue", p) * paid.sum() + value.sum())
    return u_m, u_h
