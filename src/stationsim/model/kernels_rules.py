"""Compiled negotiation of the shipped rules (issue 15): the ``compiled`` engine's rules.

Under ``engine = "compiled"`` the model negotiates a station's applicants
through :func:`negotiator` when its rule is exactly one of the shipped rules
(:class:`~stationsim.rules.hub_and_spoke.HubAndSpoke`,
:class:`~stationsim.rules.quid_pro_quo.QuidProQuo`), and renews quid pro quo's
contracts through :func:`reviewer`; any other rule (a subclass, a third rule)
keeps its numpy methods under both engines.  The numpy rules in
``stationsim.rules`` stay the reference implementation and the
documentation's (docs/odd.md, *Submodels*; Foley 2014 for both rules, Cheng
2009 for the leakage and the bargaining gap): each kernel here fuses one of
their methods, with the model's cached columns read directly instead of
through the rule view.

Why a kernel per rule and not per helper: a station's negotiation in
``two_blocs_2020s`` cost ~150-200 us (the rule's ``negotiate`` ~80 % of it),
almost all of it Python and numpy call overhead on arrays of a few dozen
applicants (the rule view's read-only views, the valuations called several
times, ``trust_between``'s sparse lookup for the veto, ``flatnonzero`` per
admitted applicant in the slot-filling loop), not arithmetic.  One kernel
call per negotiation (10-20 us without a veto, dispatch of its arguments
included) removes most of it (benchmarks/README.md, *The rules'
negotiation*).

Same results, run for run, as :mod:`stationsim.model.kernels`:

* the kernels draw nothing: the model draws the applicants' uniforms
  (:func:`stationsim.rules.ordering.admission_order`: one per applicant,
  eligible or not) from its generator at the same point of the stream and
  hands them in;
* every float is computed with numpy's operations in numpy's order (no
  fastmath): elementwise expressions evaluated left to right as numpy does,
  sums only of the alignment dimensions (fewer than 8, summed in order as
  numpy does; with 8 or more the numpy rule runs), ``np.maximum`` /
  ``np.clip`` with numpy's NaN propagation (:func:`_maximum`), and a
  division by zero giving infinity or NaN as numpy's does
  (``error_model="numpy"``);
* the admission order is a stable merge sort on the same keys as
  ``np.lexsort((tie, -key))`` (NaN keys last, as numpy sorts them) or
  ``np.argsort(tie, kind="stable")``;
* the hub's slot filling takes the queue in order, admitting each applicant
  whose due keeps the host's share at ``host_share_min`` with the dues
  admitted so far: the same decisions as the reference loop, which skips to
  the first applicant that fits and refuses (``host_share``) those before it;
* the partner veto reads each member's trust in each applicant as
  :meth:`Trust.get` does: baseline from the alignment distance (or the
  scenario's override), the learned deviation from the sparse map (binary
  search), the applicant's reputation, clipped.

``tests/test_compiled.py`` checks the decisions and tables against the
reference engine (both rules, partner veto on and off, binding host share
and capacity, both admission orders, bans, the UN channel).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from stationsim.rules.base import NEVER, Decision, Terms
from stationsim.rules.hub_and_spoke import HubAndSpoke
from stationsim.rules.quid_pro_quo import QuidProQuo

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
CodeArray = npt.NDArray[np.int8]

# refusal codes (stationsim.rules.base.REASON_CODE), as compile-time constants
_TRUST, _VALUE, _CAPACITY, _HOST_SHARE, _VETO, _HOST_GAIN, _PRICE = 1, 2, 3, 4, 5, 6, 7
_NEVER = NEVER


@numba.njit(cache=True)
def _maximum(a: float, b: float) -> float:
    """``np.maximum(a, b)`` of two floats: NaN if either is NaN, else the larger (``a`` if
    equal)."""
    if a >= b or a != a:
        return a
    return b


@numba.njit(cache=True)
def _minimum(a: float, b: float) -> float:
    """``np.minimum(a, b)`` of two floats: NaN if either is NaN, else the smaller."""
    if a <= b or a != a:
        return a
    return b


@numba.njit(cache=True)
def _before(key: FloatArray, tie: FloatArray, a: int, b: int, by_value: bool) -> bool:
    """Whether position ``a`` sorts strictly before ``b``: by ``-key`` ascending, NaN last
    (``by_value``), then by ``tie`` ascending, NaN last."""
    if by_value:
        ka, kb = -key[a], -key[b]
        if ka < kb or (kb != kb and ka == ka):
            return True
        if kb < ka or (ka != ka and kb == kb):
            return False
    ta, tb = tie[a], tie[b]
    return ta < tb or (tb != tb and ta == ta)


@numba.njit(cache=True)
def admission_queue(key: FloatArray, eligible: BoolArray, tie: FloatArray,
                    by_value: bool) -> IntArray:
    """:func:`stationsim.rules.ordering.admission_order` given its uniforms ``tie``: the
    positions of the eligible applicants by ``key`` descending, ties by ``tie``
    (``by_value``), else by ``tie`` alone.  A stable bottom-up merge sort of the eligible
    positions (in increasing order), so equal keys keep that order, as numpy's stable
    sorts do (Foley 2014: the hub admits those it values most first)."""
    n = 0
    for q in range(eligible.size):
        if eligible[q]:
            n += 1
    a = np.empty(n, dtype=np.int64)
    n = 0
    for q in range(eligible.size):
        if eligible[q]:
            a[n] = q
            n += 1
    b = np.empty(n, dtype=np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if _before(key, tie, a[j], a[i], by_value):  # take the right one only if
                    b[k] = a[j]                               # strictly before (stable)
                    j += 1
                else:
                    b[k] = a[i]
                    i += 1
                k += 1
            while i < mid:
                b[k] = a[i]
                i += 1
                k += 1
            while j < hi:
                b[k] = a[j]
                j += 1
                k += 1
        a, b = b, a
        width *= 2
    return a


@numba.njit(cache=True)
def _left(keys: IntArray, key: int, lo: int, hi: int) -> int:
    """``keys.searchsorted(key)`` within ``keys[lo:hi]`` (sorted): the first position
    there whose key is not below ``key``."""
    while lo < hi:
        mid = (lo + hi) // 2
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True)
def _find(keys: IntArray, key: int, lo: int, hi: int) -> int:
    """Position of ``key`` in the sorted ``keys[lo:hi]``, or -1 (the sparse map's
    ``searchsorted`` test)."""
    at = _left(keys, key, lo, hi)
    if at < hi and keys[at] == key:
        return at
    return -1


@numba.njit(cache=True)
def pair_trust(i: int, j: int, n: int, alignment: FloatArray, base_max: float, slope: float,
               ov_keys: IntArray, ov_vals: FloatArray, dev_keys: IntArray,
               dev_vals: FloatArray, dev_lo: int, dev_hi: int,
               reputation: FloatArray) -> float:
    """Trust of ``i`` in ``j``: :meth:`stationsim.model.trust.Trust.get` for one pair
    (alignment baseline, Wu 2016; or the scenario's override; plus the learned deviation
    and ``j``'s reputation; clipped to [0, 1]; 1 for ``i == j``).  ``i``'s deviations
    are ``dev_keys[dev_lo:dev_hi]`` (the keys ``i n`` to ``i n + n - 1``)."""
    if i == j:
        return 1.0
    d = alignment.shape[1]
    x = alignment[i, 0] - alignment[j, 0]
    acc = x * x
    for c in range(1, d):
        x = alignment[i, c] - alignment[j, c]
        acc += x * x
    base = _minimum(_maximum(base_max - slope * (np.sqrt(acc) / (2.0 * np.sqrt(float(d)))),
                             0.0), 1.0)
    key = i * n + j
    if ov_keys.size:
        at = _find(ov_keys, key, 0, ov_keys.size)
        if at >= 0:
            base = ov_vals[at]
    dev = 0.0
    at = _find(dev_keys, key, dev_lo, dev_hi)
    if at >= 0:
        dev = dev_vals[at]
    t = base + dev
    t += reputation[j]
    return _minimum(_maximum(t, 0.0), 1.0)


@numba.njit(cache=True, error_model="numpy")  # x / 0 -> inf or NaN, as numpy
def hub_negotiate(apps: IntArray, due: FloatArray, rights: FloatArray, host_row: FloatArray,
                  revenue: float, leakage: float, soft_strategic: FloatArray, du: FloatArray,
                  gap1: FloatArray, slot: float, capability: FloatArray,
                  developing: BoolArray, regional: BoolArray, dist: FloatArray,
                  w_strategic: float, w_soft_power: float, w_regional: float,
                  alignment_value: float, trust_min: float, value_min: float,
                  veto_members: IntArray, veto_min: float, n: int, alignment: FloatArray,
                  base_max: float, slope: float, ov_keys: IntArray, ov_vals: FloatArray,
                  dev_keys: IntArray, dev_vals: FloatArray, reputation: FloatArray,
                  tie: FloatArray, by_value: bool, slots: int, cost: float, paid: float,
                  share_min: float) -> tuple[IntArray, FloatArray, FloatArray, IntArray,
                                             IntArray, CodeArray]:
    """:meth:`HubAndSpoke.negotiate` (Foley 2014; module docstring of
    ``stationsim.rules.hub_and_spoke``) over the model's columns: whom the hub admits
    (``take``, per applicant) and each applicant's refusal code (0 if admitted).

    ``due``, ``rights`` are the spokes' quote over all states; the host's gain is
    ``revenue x trust x due + host_value`` (``StationModel.host_gain``; leakage,
    Cheng 2009); the strategic value and screens as the rule's; the veto is asked of
    ``veto_members`` (empty: no veto) for the applicants that pass the trust and value
    screens; eligible applicants are queued by gain (:func:`admission_queue`) and
    taken while slots remain and the host keeps ``share_min`` of the cost.

    Returns the :class:`Decision`'s arrays: the admitted (in applicant order), their due,
    rights and contract end (``NEVER``), the refused and their codes.
    """
    na = apps.size
    codes = np.zeros(na, dtype=np.int8)
    gain = np.empty(na)
    nv = veto_members.size
    lo = np.empty(nv, dtype=np.int64)  # each member's row of the sparse map
    hi = np.empty(nv, dtype=np.int64)
    for r in range(nv):
        lo[r] = _left(dev_keys, veto_members[r] * n, 0, dev_keys.size)
        hi[r] = _left(dev_keys, (veto_members[r] + 1) * n, lo[r], dev_keys.size)
    for q in range(na):
        i = apps[q]
        t = host_row[i]
        leak = leakage * (1.0 - t) * du[i] * gap1[i]
        value = soft_strategic[i] - leak - slot
        gain[q] = revenue * t * due[i] + value
        fail_trust = t < trust_min
        sv = (w_strategic * capability[i] + w_soft_power * (1.0 if developing[i] else 0.0)
              + w_regional * (1.0 if regional[i] else 0.0)
              + alignment_value * (1.0 - dist[i]))
        fail_value = sv < value_min
        if fail_trust:  # the first failing check names the reason
            codes[q] = _TRUST
        elif fail_value:
            codes[q] = _VALUE
        else:
            for r in range(nv):
                if pair_trust(veto_members[r], i, n, alignment, base_max, slope, ov_keys,
                              ov_vals, dev_keys, dev_vals, lo[r], hi[r],
                              reputation) < veto_min:
                    codes[q] = _VETO
                    break
            if codes[q] == 0 and gain[q] <= 0.0:
                codes[q] = _HOST_GAIN
    queue = admission_queue(gain, codes == 0, tie, by_value)
    take = np.zeros(na, dtype=np.bool_)
    for z in range(queue.size):
        q = queue[z]
        if slots == 0:
            codes[q] = _CAPACITY
            continue
        share = _maximum(0.0, cost - paid - due[apps[q]]) / cost
        if share >= share_min:
            take[q] = True
            slots -= 1
            paid += due[apps[q]]
        else:
            codes[q] = _HOST_SHARE
    return _split(apps, take, codes, due, rights)


@numba.njit(cache=True)
def _split(apps: IntArray, take: BoolArray, codes: CodeArray, due: FloatArray,
           rights: FloatArray) -> tuple[IntArray, FloatArray, FloatArray, IntArray,
                                        IntArray, CodeArray]:
    """The admitted applicants (``take``) with their ``due`` and ``rights`` (columns over
    all states) and an open-ended contract, and the refused with their codes, each in
    applicant order (``Terms.take`` and the masks of the rule's ``Decision``)."""
    n_adm = 0
    for q in range(apps.size):
        if take[q]:
            n_adm += 1
    adm = np.empty(n_adm, dtype=np.int64)
    adm_due = np.empty(n_adm)
    adm_rights = np.empty(n_adm)
    ends = np.full(n_adm, _NEVER, dtype=np.int64)
    refused = np.empty(apps.size - n_adm, dtype=np.int64)
    ref_codes = np.empty(apps.size - n_adm, dtype=np.int8)
    a = 0
    r = 0
    for q in range(apps.size):
        i = apps[q]
        if take[q]:
            adm[a] = i
            adm_due[a] = due[i]
            adm_rights[a] = rights[i]
            a += 1
        else:
            refused[r] = i
            ref_codes[r] = codes[q]
            r += 1
    return adm, adm_due, adm_rights, ends, refused, ref_codes


@numba.njit(cache=True, error_model="numpy")
def qpq_values(idx: IntArray, host_row: FloatArray, leakage: float,
               soft_strategic: FloatArray, du: FloatArray, gap1: FloatArray, slot: float,
               benefit_access: float, prestige: FloatArray, learn_value: FloatArray,
               lifetime: float, entrant: bool, pc_raw: FloatArray, trust_relief: float,
               host_col: FloatArray, ability: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Quid pro quo's reservation price ``r = max(0, -host_value) / max(trust, 0.05)`` and
    willingness to pay ``w = (benefit [x lifetime] - political_cost) x ability`` of
    states ``idx`` (:meth:`QuidProQuo.reservation`, :meth:`QuidProQuo.willingness`;
    Foley 2014, Cheng 2009)."""
    r = np.empty(idx.size)
    w = np.empty(idx.size)
    for q in range(idx.size):
        i = idx[q]
        t = host_row[i]
        value = soft_strategic[i] - leakage * (1.0 - t) * du[i] * gap1[i] - slot
        r[q] = _maximum(0.0, -value) / _maximum(t, 0.05)
        benefit = benefit_access + prestige[i] + learn_value[i]
        if entrant:
            benefit = benefit * lifetime
        net = benefit - pc_raw[i] * (1.0 - trust_relief * host_col[i])
        w[q] = net * ability[i]
    return r, w


@numba.njit(cache=True, error_model="numpy")
def qpq_price(idx: IntArray, r: FloatArray, w: FloatArray, capability: FloatArray,
              host_capability: float, gap_weight: float) -> FloatArray:
    """The Nash price ``r + beta max(0, w - r)``, the host's power ``beta = clip(0.5 +
    bargaining_gap_weight x capability gap, 0, 1)`` (Cheng 2009; ``QuidProQuo._price``)."""
    out = np.empty(idx.size)
    for q in range(idx.size):
        beta = _minimum(_maximum(0.5 + gap_weight * (host_capability - capability[idx[q]]),
                                 0.0), 1.0)
        out[q] = r[q] + beta * _maximum(0.0, w[q] - r[q])
    return out


@numba.njit(cache=True)
def qpq_negotiate(apps: IntArray, host_row: FloatArray, leakage: float,
                  soft_strategic: FloatArray, du: FloatArray, gap1: FloatArray, slot: float,
                  benefit_access: float, prestige: FloatArray, learn_value: FloatArray,
                  lifetime: float, pc_raw: FloatArray, trust_relief: float,
                  host_col: FloatArray, ability: FloatArray, trust_min: float,
                  tie: FloatArray, by_value: bool, slots: int, capability: FloatArray,
                  host_capability: float,
                  gap_weight: float) -> tuple[IntArray, FloatArray, IntArray, CodeArray]:
    """:meth:`QuidProQuo.negotiate` (Foley 2014): the bargain with every applicant
    (:func:`qpq_values`), refusals for price then trust, the first ``slots`` eligible
    applicants by surplus ``w - r`` admitted (:func:`admission_queue`), and their Nash
    prices (:func:`qpq_price`): the admitted and their prices, the refused and their
    codes, each in applicant order."""
    na = apps.size
    r, w = qpq_values(apps, host_row, leakage, soft_strategic, du, gap1, slot,
                      benefit_access, prestige, learn_value, lifetime, True, pc_raw,
                      trust_relief, host_col, ability)
    codes = np.zeros(na, dtype=np.int8)
    surplus = np.empty(na)
    for q in range(na):
        if host_row[apps[q]] < trust_min:
            codes[q] = _TRUST
        elif w[q] < r[q]:
            codes[q] = _PRICE
        surplus[q] = w[q] - r[q]
    queue = admission_queue(surplus, codes == 0, tie, by_value)
    take = np.zeros(na, dtype=np.bool_)
    for z in range(queue.size):
        if z < slots:
            take[queue[z]] = True
        else:
            codes[queue[z]] = _CAPACITY
    n_adm = 0
    for q in range(na):
        if take[q]:
            n_adm += 1
    adm = np.empty(n_adm, dtype=np.int64)
    ra = np.empty(n_adm)
    wa = np.empty(n_adm)
    refused = np.empty(na - n_adm, dtype=np.int64)
    ref_codes = np.empty(na - n_adm, dtype=np.int8)
    k = 0
    x = 0
    for q in range(na):
        if take[q]:
            adm[k] = apps[q]
            ra[k] = r[q]
            wa[k] = w[q]
            k += 1
        else:
            refused[x] = apps[q]
            ref_codes[x] = codes[q]
            x += 1
    return (adm, qpq_price(adm, ra, wa, capability, host_capability, gap_weight), refused,
            ref_codes)


@numba.njit(cache=True)
def qpq_review(due_now: IntArray, host_row: FloatArray, leakage: float,
               soft_strategic: FloatArray, du: FloatArray, gap1: FloatArray, slot: float,
               benefit_access: float, prestige: FloatArray, learn_value: FloatArray,
               pc_raw: FloatArray, trust_relief: float, host_col: FloatArray,
               ability: FloatArray, trust_min: float, capability: FloatArray,
               host_capability: float, gap_weight: float) -> tuple[BoolArray, FloatArray]:
    """:meth:`QuidProQuo.review` for the contracts ending now (``due_now``): renewed
    (``ok``) when the guest still gains (``w >= r``, no lifetime discount) and the host's
    trust clears the screen; the renewed contracts' Nash prices (Foley 2014)."""
    r, w = qpq_values(due_now, host_row, leakage, soft_strategic, du, gap1, slot,
                      benefit_access, prestige, learn_value, 1.0, False, pc_raw,
                      trust_relief, host_col, ability)
    ok = np.empty(due_now.size, dtype=np.bool_)
    n_ok = 0
    for q in range(due_now.size):
        ok[q] = w[q] >= r[q] and host_row[due_now[q]] >= trust_min
        if ok[q]:
            n_ok += 1
    keep = np.empty(n_ok, dtype=np.int64)
    rk = np.empty(n_ok)
    wk = np.empty(n_ok)
    k = 0
    for q in range(due_now.size):
        if ok[q]:
            keep[k] = due_now[q]
            rk[k] = r[q]
            wk[k] = w[q]
            k += 1
    return ok, qpq_price(keep, rk, wk, capability, host_capability, gap_weight)


# ------------------------------------------------------------------ glue


def _compiled_alignment(model: Any) -> bool:
    """Whether the kernels' in-order sum of the alignment dimensions is numpy's (fewer
    than 8 dimensions); else the numpy rule runs."""
    return bool(model.trust.alignment.shape[1] < 8)


def hub(model: Any, s: Any, apps: IntArray) -> Decision | None:
    """``HubAndSpoke.negotiate(model.view(s), apps)`` through :func:`hub_negotiate`
    (None: run the numpy rule)."""
    p = model.p
    tr = model.trust
    members = s.members
    veto = bool(s.partner_veto) and members.size > 0
    if veto and not _compiled_alignment(model):
        return None
    h = s.host
    sv = model.station_view(s)
    hv = model.host_view(h)
    quote = sv.quote
    du = model._attr_columns()[0]
    tie = model.rng.random(apps.size)  # admission_order's draws, one per applicant
    adm, due, rights, ends, refused, codes = hub_negotiate(
        apps, quote.due, quote.rights, hv.read(tr, "row"), s.weight("revenue", p),
        s.weight("leakage", p), sv.soft_strategic, du, hv.gap1, float(sv.slot),
        model.capability, model.developing, hv.regional, hv.dist, s.weight("strategic", p),
        s.weight("soft_power", p), s.weight("regional", p), float(p["hub_alignment_value"]),
        model.trust_screen(s, float(p["hub_trust_threshold"])),
        float(p["hub_value_threshold"]), members if veto else _NONE,
        float(p["veto_threshold"]), tr.n, tr.alignment, float(p["trust_base_max"]),
        float(p["trust_base_slope"]), tr.overrides.keys, tr.overrides.vals,
        tr.deviation.keys, tr.deviation.vals, tr.reputation, tie,
        p["admission_order"] != "random", s.free_slots, float(s.operating_cost),
        s.guest_contributions(), float(s.host_share_min))
    return Decision(Terms(adm, due, rights, ends), refused, codes)


def _qpq_columns(model: Any, s: Any) -> tuple[Any, ...]:
    """The columns and numbers :func:`qpq_values` reads for station ``s``, in its order of
    arguments from ``host_row`` to ``learn_value``, then ``pc_raw``, ``trust_relief``,
    ``host_col``, ``ability``, the trust screen, ``capability``, the host's capability
    and ``bargaining_gap_weight``."""
    p = model.p
    tr = model.trust
    h = s.host
    sv = model.station_view(s)
    hv = model.host_view(h)
    access, learn_value = sv.pool(model, s)
    du, prestige = model._attr_columns()
    return (hv.read(tr, "row"), s.weight("leakage", p), sv.soft_strategic, du, hv.gap1,
            float(sv.slot), p["w_access"] * access * 1.0, prestige, learn_value,
            hv.pc_raw, float(p["trust_relief"]), hv.read(tr, "col"), sv.ability,
            model.trust_screen(s, float(p["qpq_trust_threshold"])), model.capability,
            float(model.capability[h]), float(p["bargaining_gap_weight"]))


def qpq(model: Any, s: Any, apps: IntArray) -> Decision:
    """``QuidProQuo.negotiate(model.view(s), apps)`` through :func:`qpq_negotiate`."""
    (row, leakage, soft_strategic, du, gap1, slot, benefit_access, prestige, learn_value,
     pc_raw, trust_relief, col, ability, trust_min, capability, host_capability,
     gap_weight) = _qpq_columns(model, s)
    lifetime = float(model.lifetime_factor(s))
    tie = model.rng.random(apps.size)  # admission_order's draws, one per applicant
    adm, price, refused, codes = qpq_negotiate(
        apps, row, leakage, soft_strategic, du, gap1, slot, benefit_access, prestige,
        learn_value, lifetime, pc_raw, trust_relief, col, ability, trust_min, tie,
        model.p["admission_order"] != "random", s.free_slots, capability, host_capability,
        gap_weight)
    return Decision(_contract(model, adm, price), refused, codes)


def _contract(model: Any, idx: IntArray, price: FloatArray) -> Terms:
    """``QuidProQuo._contract``: ``contract_steps`` from now, full rights."""
    end = np.full(idx.size, model.t + int(model.p["contract_steps"]), dtype=np.int64)
    return Terms(idx, price, np.ones(idx.size), end)


def qpq_renewals(model: Any, s: Any) -> tuple[IntArray, Terms]:
    """``QuidProQuo.review(model.view(s))`` through :func:`qpq_review`."""
    m = s.members
    due_now = m[s.contract_end[m] <= model.t]
    if due_now.size == 0:
        return due_now, _contract(model, due_now, np.empty(0))
    (row, leakage, soft_strategic, du, gap1, slot, benefit_access, prestige, learn_value,
     pc_raw, trust_relief, col, ability, trust_min, capability, host_capability,
     gap_weight) = _qpq_columns(model, s)
    ok, price = qpq_review(
        due_now, row, leakage, soft_strategic, du, gap1, slot, benefit_access, prestige,
        learn_value, pc_raw, trust_relief, col, ability, trust_min, capability,
        host_capability, gap_weight)
    return due_now[~ok], _contract(model, due_now[ok], price)


_NONE = np.empty(0, dtype=np.int64)

#: rule class -> its compiled negotiation (exact classes only: a subclass may override)
NEGOTIATORS: dict[type, Callable[[Any, Any, IntArray], Decision | None]] = {
    HubAndSpoke: hub, QuidProQuo: qpq}

#: rule class -> its compiled review
REVIEWERS: dict[type, Callable[[Any, Any], tuple[IntArray, Terms]]] = {QuidProQuo: qpq_renewals}


def negotiator(rule: object) -> Callable[[Any, Any, IntArray], Decision | None] | None:
    """The compiled negotiation of ``rule``'s class, or None (run its numpy ``negotiate``)."""
    return NEGOTIATORS.get(type(rule))


def reviewer(rule: object) -> Callable[[Any, Any], tuple[IntArray, Terms]] | None:
    """The compiled review of ``rule``'s class, or None (run its numpy ``review``)."""
    return REVIEWERS.get(type(rule))
