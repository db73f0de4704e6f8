"""Compiled kernels of the step (issue 15): the ``compiled`` engine.

Each kernel is a numba loop (``@numba.njit(cache=True)``) fusing the numpy
expressions of one part of a phase of :class:`~stationsim.model.core.StationModel`,
which remains the reference implementation (``engine = "reference"``, the
default; docs/odd.md, Appendix A, *Engine*).  The kernels make no draw: the model draws
its uniforms from its own generator in the reference order and passes them
in, so both engines consume the same stream.  They compute every value with
the same floating-point operations in the same order as the numpy path, so
the two engines give identical tables (tests/test_compiled.py).  Sums whose
order could matter stay in numpy (its pairwise summation is not a loop's);
a kernel sums only 0/1 values (exact in any order) and fewer than 8
alignment dimensions (which numpy sums in order from the first).

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

from stationsim.model.trust import PRUNE, PairSet, Trust, TrustBlock, offdiag

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@numba.njit(cache=True)
def deliver_into(m: IntArray, hp: int, r_h: float, reciprocity: FloatArray,
                 delivered_last: FloatArray, host_delivered_to: FloatArray,
                 host_delivered_last: float, tft: float, per_contract: bool, u: FloatArray,
                 d_m: BoolArray, d_h_m: BoolArray, delivered: FloatArray) -> bool:
    """This step's deliveries at one station from the uniforms ``u`` the model drew.

    A state delivers with probability ``reciprocity * (1 - tft_weight *
    reciprocity * (1 - share its counterparts delivered last step))`` (Cheng;
    docs/odd.md, 7.9).  Under ``per_contract`` the host draws
    per member (``u[:m]``; the others see the majority), else once
    (``u[0]``).  Writes the members' deliveries ``d_m``, the host's to each
    member ``d_h_m`` and every participant's (host at ``hp``) as 0/1
    (``delivered``); returns the host's as the others see it.
    ``delivered_last`` holds 0/1 only, so its mean is exact in any order of
    summation.
    """
    nm = m.size
    total = 0.0
    for r in range(nm):
        total += delivered_last[m[r]]
    p_h = r_h * (1.0 - tft * r_h * (1.0 - total / nm))
    if per_contract:
        kept = 0
        for r in range(nm):
            r_m = reciprocity[m[r]]
            p_m = r_m * (1.0 - tft * r_m * (1.0 - host_delivered_to[m[r]]))
            d_h_m[r] = u[r] < p_h
            d_m[r] = u[nm + r] < p_m
            if d_h_m[r]:
                kept += 1
        d_h = kept / nm >= 0.5
    else:
        d_h = u[0] < p_h
        for r in range(nm):
            r_m = reciprocity[m[r]]
            p_m = r_m * (1.0 - tft * r_m * (1.0 - host_delivered_last))
            d_m[r] = u[1 + r] < p_m
            d_h_m[r] = d_h
    for r in range(nm):
        delivered[r if r < hp else r + 1] = 1.0 if d_m[r] else 0.0
    delivered[hp] = 1.0 if d_h else 0.0
    return d_h


@numba.njit(cache=True)
def read_into(map_keys: IntArray, map_vals: FloatArray, keys: IntArray, base: FloatArray,
              reputation: FloatArray, j: IntArray, pos: IntArray, found: BoolArray,
              dev: FloatArray, cur: FloatArray) -> None:
    """:class:`~stationsim.model.trust.TrustBlock`'s read, written into ``pos``, ``found``,
    ``dev``, ``cur``: positions of the pairs' keys in the sparse map (``searchsorted``,
    left), whether present, their deviations (0 if absent) and their trust ``clip(base +
    dev + reputation[j], 0, 1)``.

    The pairs' keys are sorted and unique (:class:`PairSet`), so each search
    starts where the previous one ended and gallops (doubling steps, then
    bisection): the same positions as numpy's ``searchsorted``.
    """
    nk = keys.size
    size = map_keys.size
    lo = 0
    for q in range(nk):
        key = keys[q]
        if lo >= size:
            at = size
        elif map_keys[lo] >= key:
            at = lo
        else:  # map_keys[lo] < key: gallop to a bound, then bisect in (lo, hi]
            step = 1
            hi = lo + 1
            while hi < size and map_keys[hi] < key:
                lo = hi
                step *= 2
                hi = lo + step
            if hi > size:
                hi = size
            a, b = lo + 1, hi
            while a < b:
                mid = (a + b) // 2
                if map_keys[mid] < key:
                    a = mid + 1
                else:
                    b = mid
            at = a
        pos[q] = at
        lo = at
        if at < size and map_keys[at] == key:
            found[q] = True
            dev[q] = map_vals[at]
        else:
            found[q] = False
            dev[q] = 0.0
        t = base[q] + dev[q]
        t += reputation[j[q]]
        cur[q] = min(max(t, 0.0), 1.0)


@numba.njit(cache=True)
def pairs_into(parts: IntArray, n: int, oi: IntArray, ji: IntArray, alignment: FloatArray,
               base_max: float, slope: float, memo: FloatArray, o: IntArray, j: IntArray,
               keys: IntArray, base: FloatArray) -> None:
    """:class:`CompiledPairSet`'s arrays written in one pass: ``o = parts[oi]``, ``j =
    parts[ji]``, ``keys = o * n + j`` and the baseline (:meth:`Trust.baseline` without
    overrides): ``clip(trust_base_max - trust_base_slope * distance, 0, 1)``, distance
    the Euclidean distance of the alignment vectors over ``2 sqrt(d)`` (Wu; Essay002),
    the squares summed in order from the first, as numpy sums fewer than 8.

    ``memo`` (n x n, flattened, NaN where not yet computed; or empty) keeps each
    pair's baseline once computed, so a station whose membership changed computes
    only its new pairs' (the same value: a baseline depends on the alignment vectors
    and two parameters only, which the caller's key holds)."""
    d = alignment.shape[1]
    norm = 2.0 * np.sqrt(float(d))
    use = memo.size > 0
    for q in range(oi.size):
        a = parts[oi[q]]
        b = parts[ji[q]]
        o[q] = a
        j[q] = b
        key = a * n + b
        keys[q] = key
        if use:
            v = memo[key]
            if v == v:
                base[q] = v
                continue
        x = alignment[a, 0] - alignment[b, 0]
        acc = x * x
        for c in range(1, d):
            x = alignment[a, c] - alignment[b, c]
            acc += x * x
        v = min(max(base_max - slope * (np.sqrt(acc) / norm), 0.0), 1.0)
        base[q] = v
        if use:
            memo[key] = v


@numba.njit(cache=True)
def learn_into(delivered: FloatArray, oi: IntArray, ji: IntArray, j: IntArray, hp: int,
               per_contract: bool, d_h_m: BoolArray, pol: BoolArray, w_political: float,
               transparency: FloatArray, floor: float, belief: bool, belief_prior: float,
               record: FloatArray, learn_rate: float, default_penalty: float,
               cur: FloatArray, base: FloatArray, reputation: FloatArray, found: BoolArray,
               pos: IntArray, map_vals: FloatArray, parts: IntArray, dev: FloatArray) -> bool:
    """Trust each ordered pair of a station's participants learns from this step, written.

    The learning rule (Wu; Cheng 2009 for ``w_political``; docs/odd.md,
    7.2 and 7.9): for the pair (observer, observed ``j``) with what ``j`` was seen
    to deliver ``d``, ``cur + rate * (d - cur)`` under ``belief`` with ``rate
    = weight / (belief_prior + record[j] + weight)``, else ``cur + rate * (d -
    cur) - default_penalty * (1 - d)`` with ``rate = learn_rate * weight``;
    ``weight = floor + (1 - floor) * transparency[j]``.  Under
    ``per_contract`` a member sees what the host (position ``hp``) delivered
    to it.  ``pol`` (political returns, drawn by the caller) is read only if
    ``w_political > 0``.  The new trust is clipped to [0, 1] and stored as a
    deviation from ``base + reputation[j]`` (:meth:`TrustBlock.commit`) in
    ``dev``, and written into the sparse map's values where the pair is
    present; under ``belief`` the participants' records then grow by their
    weight.  Returns whether every pair was present.
    """
    nq = cur.size
    all_found = True
    for q in range(nq):
        d = delivered[ji[q]]
        if per_contract and ji[q] == hp:
            o = oi[q]
            d = 1.0 if d_h_m[o if o < hp else o - 1] else 0.0
        if w_political > 0.0:
            d = (1.0 - w_political) * d + w_political * (1.0 if pol[ji[q]] else 0.0)
        weight = floor + (1.0 - floor) * transparency[j[q]]
        c = cur[q]
        if belief:
            rate = weight / (belief_prior + record[j[q]] + weight)
            v = c + rate * (d - c)
        else:
            rate = learn_rate * weight
            v = c + rate * (d - c) - default_penalty * (1.0 - d)
        v = min(max(v, 0.0), 1.0)
        x = v - base[q] - reputation[j[q]]
        dev[q] = x
        if found[q]:
            map_vals[pos[q]] = x
        else:
            all_found = False
    if belief:
        for x in range(parts.size):
            i = parts[x]
            record[i] += floor + (1.0 - floor) * transparency[i]
    return all_found


@numba.njit(cache=True)
def realise_into(m: IntArray, hp: int, k: int, base: FloatArray, dev: FloatArray,
                 reputation: FloatArray, j: IntArray, d_m: BoolArray, d_h_m: BoolArray,
                 due: FloatArray, ability: FloatArray, rights: FloatArray,
                 w_access_access: float, prestige: FloatArray, learn_value: FloatArray,
                 pc_raw: FloatArray, trust_relief: float, soft_strategic: FloatArray,
                 w_leakage: float, du: FloatArray, gap1: FloatArray, slot: float,
                 exit_threshold: float, cum_utility: FloatArray, low_streak: IntArray,
                 default_streak: IntArray, defaults_total: IntArray,
                 delivered_last: FloatArray, host_delivered_to: FloatArray,
                 u_m: FloatArray, paid: FloatArray, value: FloatArray) -> tuple[int, int]:
    """Members' realised utilities this step, and the host's parts of its own.

    The realised utilities of docs/odd.md, 7.9 (gross benefit
    -- Foley, Cheng --, felt payment ``due / ability``, political cost with
    trust relief -- Essay002, Cheng, Wu --; the host's value of each guest
    with dual-use leakage -- Foley, Cheng), with trust as just learned: the
    pairs' trust is ``clip(base + dev + reputation[j], 0, 1)``
    (:meth:`TrustBlock.now`), the host at position ``hp`` of ``k``
    participants.  Updates the members' cumulative utility, low-utility and
    default streaks, default totals and last deliveries in place.  Writes
    ``u_m`` (per member), the payments ``d_m * due`` and the host's value of
    each member (the caller sums these two as numpy does); returns the
    members' defaults and the host's defaults to members.
    """
    k1 = k - 1
    nm = m.size
    missed = 0
    host_missed = 0
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
        dm = 1.0 if d_m[r] else 0.0
        p = dm * due[i]
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
            missed += 1
        if not d_h_m[r]:
            host_missed += 1
        delivered_last[i] = dm
        host_delivered_to[i] = 1.0 if d_h_m[r] else 0.0
    return missed, host_missed


@numba.njit(cache=True)
def pairwise_sum(a: FloatArray, lo: int, n: int) -> float:
    """``np.add.reduce(a[lo:lo + n])`` to the bit: numpy's pairwise summation of float64
    (``pairwise_sum`` in numpy's ``loops_utils.h.src``: fewer than 8 values in order from
    0.0; up to 128 in 8 interleaved partial sums added as ``((r0 + r1) + (r2 + r3)) + ((r4
    + r5) + (r6 + r7))``, then the rest in order; more split in two at a multiple of 8).
    Checked against numpy in tests/test_compiled.py."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        i = lo + 8
        end = lo + n - n % 8
        while i < end:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < lo + n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a, lo, n2) + pairwise_sum(a, lo + n2, n - n2)


@numba.njit(cache=True)
def station_step(sc: FloatArray, host_delivered_last: float, hp: int, per_contract: bool,
                 belief: bool, un: bool, host_watched: bool, u: FloatArray, pol: BoolArray,
                 m: IntArray, reciprocity: FloatArray, transparency: FloatArray, record: FloatArray,
                 reputation: FloatArray, map_keys: IntArray, map_vals: FloatArray,
                 keys: IntArray, base: FloatArray, o: IntArray, j: IntArray, oi: IntArray,
                 ji: IntArray, parts: IntArray, pos: IntArray, found: BoolArray,
                 dev: FloatArray, cur: FloatArray, d_m: BoolArray, d_h_m: BoolArray,
                 fs: FloatArray, host_row: FloatArray, host_col: FloatArray,
                 due: FloatArray, rights: FloatArray, ability: FloatArray,
                 prestige: FloatArray, learn_value: FloatArray, pc_raw: FloatArray,
                 soft_strategic: FloatArray, du: FloatArray, gap1: FloatArray,
                 cum_utility: FloatArray, low_streak: IntArray, default_streak: IntArray,
                 defaults_total: IntArray, delivered_last: FloatArray,
                 host_delivered_to: FloatArray
                 ) -> tuple[bool, bool, int, int, float, float, float]:
    """One station's deliver-and-learn in one call, in the reference loop's order.

    :func:`deliver_into` (the uniforms ``u``), :func:`read_into` (the block of
    trust among the participants ``parts``, the host at position ``hp``),
    :func:`learn_into` (written into the map's values where present and into
    ``dev``), the host's dense row and column (:func:`mirror`, if
    ``host_watched``), the UN channel's reputation cost (``un``: every
    participant that delivered nothing loses ``un_reputation *
    default_penalty``, seed 004), and :func:`realise_into` with trust as
    just learned.  Scalars in ``sc`` (:class:`FusedStation`): ``r_h, tft_weight,
    w_political, transparency_floor, belief_prior, learn_rate,
    default_penalty, the reputation cost, w_access * access, trust_relief,
    leakage weight, slot cost, exit_threshold``.  Scratch and outputs owned by
    the caller: ``pos, found, dev, cur`` (nq pairs), ``d_m, d_h_m`` (members),
    ``fs`` (``delivered`` of the k participants, then ``u_m``, ``paid``,
    ``value`` of the members).  Returns whether every pair was in the map,
    the host's delivery as the others see it, the members' defaults, the
    host's defaults to members, and the sums of ``paid``, ``value`` and
    ``u_m`` as numpy's ``sum`` makes them (:func:`pairwise_sum`).  No draw,
    no new array.
    """
    nm = m.size
    k = nm + 1
    delivered = fs[:k]
    d_h = deliver_into(m, hp, sc[0], reciprocity, delivered_last, host_delivered_to,
                       host_delivered_last, sc[1], per_contract, u, d_m, d_h_m, delivered)
    read_into(map_keys, map_vals, keys, base, reputation, j, pos, found, dev, cur)
    all_found = learn_into(delivered, oi, ji, j, hp, per_contract, d_h_m, pol, sc[2],
                           transparency, sc[3], belief, sc[4], record, sc[5], sc[6], cur,
                           base, reputation, found, pos, map_vals, parts, dev)
    if host_watched:
        mirror(host_row, host_col, hp, k, o, j, dev)
    if un:
        amount = sc[7]
        for x in range(k):
            if delivered[x] == 0.0:
                reputation[parts[x]] -= amount
    missed, host_missed = realise_into(
        m, hp, k, base, dev, reputation, j, d_m, d_h_m, due, ability, rights, sc[8],
        prestige, learn_value, pc_raw, sc[9], soft_strategic, sc[10], du, gap1, sc[11],
        sc[12], cum_utility, low_streak, default_streak, defaults_total, delivered_last,
        host_delivered_to, fs[k:k + nm], fs[k + nm:k + 2 * nm], fs[k + 2 * nm:k + 3 * nm])
    return (all_found, d_h, missed, host_missed, 0.0 + pairwise_sum(fs, k + nm, nm),
            0.0 + pairwise_sum(fs, k + 2 * nm, nm), 0.0 + pairwise_sum(fs, k, nm))


@numba.njit(cache=True)
def drift_into(dev: FloatArray, cur: FloatArray, factor: float, prune: float, drift: bool,
               base: FloatArray, reputation: FloatArray, j: IntArray) -> None:
    """:meth:`TrustBlock.drifted` in place: if ``drift``, deviations times ``factor``, those
    at or below ``prune`` in magnitude set to 0; ``cur`` the pairs' trust after it."""
    for q in range(dev.size):
        x = dev[q]
        if drift:
            x = x * factor
            if abs(x) <= prune:
                x = 0.0
            dev[q] = x
        t = base[q] + x
        t += reputation[j[q]]
        cur[q] = min(max(t, 0.0), 1.0)


@numba.njit(cache=True)
def entrant_utility(cand: BoolArray, rights: FloatArray, due: FloatArray,
                    w_access_access: float, prestige: FloatArray, learn_value: FloatArray,
                    lifetime: float, ability: FloatArray, pc_raw: FloatArray,
                    trust_relief: float, trust_in_host: FloatArray) -> FloatArray:
    """Every candidate's utility of joining a station as an entrant, ``-inf`` elsewhere.

    ``StationModel.guest_utility(..., entrant=True)`` (docs/odd.md, 7.4):
    ``(access x rights + prestige + learning) x lifetime - due / ability -
    political cost``, the political cost reduced by trust in the host (Foley,
    Cheng, Essay002, Wu).  The idea and its first measurement are
    ``benchmarks/proto_numba_evaluate.py``.
    """
    out = np.empty(cand.size)
    for i in range(cand.size):
        if not cand[i]:
            out[i] = -np.inf
            continue
        benefit = (w_access_access * rights[i] + prestige[i] + learn_value[i]) * lifetime
        out[i] = (benefit - due[i] / ability[i]
                  - pc_raw[i] * (1.0 - trust_relief * trust_in_host[i]))
    return out


@numba.njit(cache=True)
def merge_new(map_keys: IntArray, map_vals: FloatArray, keys: IntArray, dev: FloatArray,
              pos: IntArray, found: BoolArray) -> tuple[IntArray, FloatArray]:
    """The sparse map with the absent pairs (``~found``, sorted keys, insertion positions
    ``pos``) merged in: :meth:`SparseMap.set_located`'s merge (values copied, no
    arithmetic)."""
    size = map_keys.size
    n_new = 0
    for q in range(keys.size):
        if not found[q]:
            n_new += 1
    out_k = np.empty(size + n_new, dtype=np.int64)
    out_v = np.empty(size + n_new)
    src = 0
    dst = 0
    for q in range(keys.size):
        if found[q]:
            continue
        while src < pos[q]:
            out_k[dst] = map_keys[src]
            out_v[dst] = map_vals[src]
            src += 1
            dst += 1
        out_k[dst] = keys[q]
        out_v[dst] = dev[q]
        dst += 1
    while src < size:
        out_k[dst] = map_keys[src]
        out_v[dst] = map_vals[src]
        src += 1
        dst += 1
    return out_k, out_v


@numba.njit(cache=True)
def mirror(row: FloatArray, col: FloatArray, r: int, k: int, o: IntArray, j: IntArray,
           dev: FloatArray) -> None:
    """Write the deviations of a watched participant (position ``r`` of ``k``) into its
    dense row and column (:meth:`TrustBlock.commit`'s mirror update)."""
    k1 = k - 1
    for q in range(r * k1, (r + 1) * k1):
        row[j[q]] = dev[q]
    for x in range(k):  # pairs (x, r): row x, column r
        if x != r:
            q = x * k1 + (r if r < x else r - 1)
            col[o[q]] = dev[q]


# ------------------------------------------------------------------ glue


_NO_F = np.zeros(0)


class CompiledBlock(TrustBlock):
    """A :class:`~stationsim.model.trust.TrustBlock` read, learned and written by
    :func:`station_step` and drifted by :func:`drift_into` (same values, same map); made by
    :func:`deliver_and_learn_station` from a :class:`FusedStation`'s attributes."""

    def drifted(self, rate: float) -> None:
        drift_into(self.dev, self.current, 1.0 - rate, PRUNE, rate > 0, self.base,
                   self.trust.reputation, self.j)


class CompiledPairSet(PairSet):
    """A :class:`~stationsim.model.trust.PairSet` whose baseline comes from
    :func:`pairs_into` (alignment vectors of fewer than 8 dimensions; else numpy's)."""

    def __init__(self, trust: Trust, parts: IntArray, memo: FloatArray = _NO_F) -> None:
        if trust.alignment.shape[1] >= 8 or not trust.alignment.flags.c_contiguous:
            super().__init__(trust, parts)
            return
        self.parts = parts
        self.k = k = int(parts.size)
        self.oi, self.ji = offdiag(k)
        nq = self.oi.size
        self.o, self.j = np.empty(nq, dtype=np.int64), np.empty(nq, dtype=np.int64)
        self.keys, base = np.empty(nq, dtype=np.int64), np.empty(nq)
        pairs_into(parts, trust.n, self.oi, self.ji, trust.alignment,
                   float(trust.p["trust_base_max"]), float(trust.p["trust_base_slope"]),
                   memo, self.o, self.j, self.keys, base)
        if len(trust.overrides):
            base, _ = trust.overrides.get(self.keys, default=base)
        self.base = base


#: largest number of states for which a model keeps every pair's baseline (n x n floats,
#: 0.5 MiB at this size; filling a larger memo with NaN at each parameter or attribute
#: version cost more than it saved at 1,000 states)
MEMO_STATES = 256


def pairs_of(model: Any, s: Any) -> PairSet:
    """``StationModel._pairs`` (same cache, same key), built by :class:`CompiledPairSet`
    with the model's memo of pairs' baselines (per parameter and attribute version; up to
    :data:`MEMO_STATES` states)."""
    key = (s.version, model.p.version, model.attr_version, model.trust.base_version)
    c = model._pair_sets.get(s.name)
    if c is None or c[0] != key:
        n = model.n
        memo = _NO_F
        if n <= MEMO_STATES:
            mk = (model.p.version, model.attr_version)
            got = model.__dict__.get("_base_memo")
            if got is None or got[0] != mk:
                got = model._base_memo = (mk, np.full(n * n, np.nan))
            memo = got[1]
        c = (key, CompiledPairSet(model.trust, s.participants_sorted, memo))
        model._pair_sets[s.name] = c
    return c[1]  # type: ignore[no-any-return]


class FusedStation:
    """What :func:`station_step` reads of one station that changes only with :attr:`key`.

    The key is the station's membership version, the parameters', attributes'
    and baseline's versions, its rule and operating cost (those of the
    station's and host's views, :meth:`StationModel.station_view`,
    :meth:`~StationModel.host_view`) and the number of watched states.  Holds
    the pairs (:func:`pairs_of`), the views' columns, the scalars ``sc``, the
    participants other than the host whose dense trust row and column are
    mirrored, a prototype of the blocks' attributes, and scratch arrays the
    kernel writes (positions and found mask of the pairs, deliveries,
    utilities).
    """

    def __init__(self, model: Any, s: Any, key: tuple[Any, ...]) -> None:
        p, tr = model.p, model.trust
        self.key = key
        h = s.host
        m = s.members
        parts = s.participants_sorted
        pairs = pairs_of(model, s)
        nm, nq = int(m.size), int(pairs.keys.size)
        self.hp = hp = int(m.searchsorted(h))
        sv = model.station_view(s)
        hv = model.host_view(h)
        access, self.learn_value = sv.pool(model, s)
        self.du, self.prestige = model._attr_columns()
        self.ability, self.soft_strategic = sv.ability, sv.soft_strategic
        self.pc_raw, self.gap1 = hv.pc_raw, hv.gap1
        self.per_contract = p["host_delivery"] == "per_contract"
        self.n_u = 2 * nm if self.per_contract else 1 + nm
        self.w_political = float(p["w_political"])
        self.belief = p["trust_update"] == "belief"
        self.revenue = float(s.weight("revenue", p))
        self.sc = np.array([
            float(model.reciprocity[h]), float(p["tft_weight"]), self.w_political,
            float(p["transparency_floor"]), float(p["belief_prior"]), float(p["learn_rate"]),
            float(p["default_penalty"]), float(p["un_reputation"] * p["default_penalty"]),
            float(p["w_access"] * access), float(p["trust_relief"]),
            float(s.weight("leakage", p)), float(sv.slot), float(p["exit_threshold"])])
        self.host_watched = bool(tr._watched[h])
        self.host_row: FloatArray = tr._mirror[h][0] if self.host_watched else _NO_F
        self.host_col: FloatArray = tr._mirror[h][1] if self.host_watched else _NO_F
        self.watched = [r for r in tr._watched[parts].nonzero()[0].tolist() if r != hp]
        self.parts = parts
        self.pairs = pairs
        self.proto = {"trust": tr, "pairs": pairs, "parts": parts, "k": pairs.k,
                      "oi": pairs.oi, "ji": pairs.ji, "o": pairs.o, "j": pairs.j,
                      "keys": pairs.keys, "base": pairs.base}
        self.pos = np.empty(nq, dtype=np.int64)
        self.found = np.empty(nq, dtype=np.bool_)
        self.d_m = np.empty(nm, dtype=np.bool_)
        self.d_h_m = np.empty(nm, dtype=np.bool_)
        self.fs = np.empty(nm + 1 + 3 * nm)


_NO_DRAWS = np.zeros(0, dtype=np.bool_)


def deliver_and_learn_station(model: Any, s: Any, m: IntArray, blocks: dict[str, Any],
                              seen: BoolArray | None) -> BoolArray | None:
    """One station's part of ``StationModel._deliver_and_learn`` through :func:`station_step`.

    The same steps in the same order as the reference loop body: deliveries
    (one draw per member plus the host's), the block of trust among the
    participants, political returns (drawn only if ``w_political > 0``),
    learning, the UN channel's reputation cost, realised utilities; one
    kernel call, then the map's new pairs merged in (:func:`merge_new`) and
    the other watched participants' rows and columns (:func:`mirror`).
    Returns ``seen`` (the states whose block this step's learning already
    holds).
    """
    p, tr = model.p, model.trust
    key = (s.version, p.version, model.attr_version, tr.base_version, s.rule_name,
           s.operating_cost, len(tr._mirror))
    cache = model.__dict__.get("_fused")
    if cache is None:
        cache = model._fused = {}
    f = cache.get(s.name)
    if f is None or f.key != key:
        f = cache[s.name] = FusedStation(model, s, key)
    u = model.rng.random(f.n_u)
    parts = f.parts
    if blocks:  # an earlier block sharing two participants may be overwritten
        if seen is None:
            seen = np.zeros(model.n, dtype=bool)
            for b in blocks.values():
                seen[b.parts] = True
        if np.count_nonzero(seen[parts]) >= 2:
            blocks.clear()
        seen[parts] = True
    if f.w_political > 0.0:  # what a partner returned politically (Cheng 2009)
        pol = model.rng.random(parts.size) < model.states.political_reciprocity[parts]
    else:
        pol = _NO_DRAWS
    pairs = f.pairs
    nq = pairs.keys.size
    dev, cur = np.empty(nq), np.empty(nq)
    dmap = tr.deviation
    un = s.channel == "un"
    all_found, d_h, missed, host_missed, paid, value, u_sum = station_step(
        f.sc, float(s.host_delivered_last), f.hp, f.per_contract, f.belief, un,
        f.host_watched, u, pol, m, model.reciprocity, model.transparency, model.record,
        tr.reputation, dmap.keys, dmap.vals, pairs.keys, pairs.base, pairs.o, pairs.j,
        pairs.oi, pairs.ji, parts, f.pos, f.found, dev, cur, f.d_m, f.d_h_m, f.fs,
        f.host_row, f.host_col, s.due, s.rights, f.ability, f.prestige, f.learn_value,
        f.pc_raw, f.soft_strategic, f.du, f.gap1, s.cum_utility, s.low_streak,
        s.default_streak, s.defaults_total, s.delivered_last, s.host_delivered_to)
    # the rest of TrustBlock.commit: absent pairs merged in, other hosts' rows and columns
    if not all_found:
        dmap.keys, dmap.vals = merge_new(dmap.keys, dmap.vals, pairs.keys, dev, f.pos,
                                         f.found)
    for r in f.watched:
        row, col = tr._mirror[int(parts[r])]
        mirror(row, col, r, pairs.k, pairs.o, pairs.j, dev)
    tr.version += 1
    blk = CompiledBlock.__new__(CompiledBlock)
    blk.__dict__.update(f.proto)
    blk.pos, blk.found, blk.dev, blk.current = f.pos, f.found, dev, cur
    blk._version = tr.version
    blocks[s.name] = blk
    if un:  # Trust.lower_reputation's count (the kernel lowered the reputations)
        tr.version += 1
    u_h = float(f.revenue * paid + value)
    s.host_cum_utility += u_h
    s.now.host_utility = u_h
    s.now.guest_utility = float(u_sum)
    s.host_delivered_last = float(d_h)
    s.now.defaults += missed
    s.now.host_defaults = host_missed if f.per_contract else int(not d_h)
    return seen


def entrant_row(model: Any, s: Any, terms: Any, cand: BoolArray, sv: Any = None) -> FloatArray:
    """``np.where(cand, guest_utility(s, everyone, terms, entrant=True), -inf)`` of
    ``StationModel._evaluate`` through :func:`entrant_utility` (``sv``: the station's
    view, ``model.station_view(s)``, if the caller has it)."""
    p = model.p
    if sv is None:
        sv = model.station_view(s)
    access, learn_value = sv.pool(model, s)
    prestige = model._attr_columns()[1]
    hv = model.host_view(s.host)
    return entrant_utility(  # type: ignore[no-any-return]
        cand, terms.rights, terms.due, float(p["w_access"] * access), prestige, learn_value,
        float(model.lifetime_factor(s)), sv.ability, hv.pc_raw, float(p["trust_relief"]),
        hv.read(model.trust, "col"))
