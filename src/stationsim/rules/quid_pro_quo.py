"""Quid pro quo: an explicit bilateral bargain, paid in any asset.

Foley (seed 000) proposes a "more explicit" quid-pro-quo model for the CSS:
in-kind exchange of resource rights, contracts and port calls for astronaut
training and flights.  Claim it serves: H2 (it admits more low-capability
states than hub-and-spoke, because they can pay in non-space goods).

Mechanism, all applicants at once:

* the host's reservation price covers a slot's cost plus the dual-use risk
  of the guest (Cheng), net of the soft-power and strategic value the guest
  brings, divided by the host's trust in the guest (its estimate of being
  paid): ``r = max(0, -host_value) / max(trust, 0.05)``;
* the guest's willingness to pay is its benefit net of political cost in
  payment units: ``w = (benefit - political_cost) * ability``, where ability
  counts its capability, money and the host-valued other assets
  (``asset_values`` of the station);
* if ``w >= r`` and the host's trust clears ``qpq_trust_threshold`` (lower
  under the UN channel), they split the surplus by Nash bargaining; the
  host's bargaining power is ``0.5 + bargaining_gap_weight * capability
  gap`` (Cheng: capability disparity);
* the contract lasts ``contract_steps`` and is renewed when both sides still
  gain (re-bargained with current trust, without the entrant's lifetime
  discount).
"""

from __future__ import annotations

import numpy as np

from stationsim.rules.base import (
    REASON_CODE,
    Decision,
    FloatArray,
    IntArray,
    Rule,
    StationContext,
    Terms,
)
from stationsim.rules.ordering import admission_order
from stationsim.rules.registry import register


@register
class QuidProQuo(Rule):
    """Quid-pro-quo contracts (Foley).  See module docstring."""

    name = "quid_pro_quo"

    def ability(self, ctx: StationContext, idx: IntArray) -> FloatArray:
        """``ability_floor + capability + money + host-valued other assets``."""
        weights = ctx.asset_values.copy()
        if "money" in ctx.asset_names:
            weights[ctx.asset_names.index("money")] = 1.0  # money always at face value
        return np.asarray(ctx.p["ability_floor"] + ctx.capability[idx]
                          + ctx.assets[idx] @ weights)

    def reservation(self, ctx: StationContext, idx: IntArray) -> FloatArray:
        """Host's lowest acceptable price per step for each guest."""
        trust = np.maximum(ctx.host_trust(idx), 0.05)
        return np.asarray(np.maximum(0.0, -ctx.host_value(idx)) / trust)

    def willingness(self, ctx: StationContext, idx: IntArray,
                    entrant: bool) -> FloatArray:
        """Guest's highest acceptable price per step (payment units)."""
        benefit = ctx.gross_benefit(idx, 1.0)
        if entrant:
            benefit = benefit * ctx.lifetime_factor()
        net = benefit - ctx.political_cost(idx)
        return np.asarray(net * ctx.ability(idx))

    def _contract(self, ctx: StationContext, idx: IntArray, price: FloatArray) -> Terms:
        end = np.full(idx.size, ctx.t + int(ctx.p["contract_steps"]), dtype=np.int64)
        return Terms(idx, price, np.ones(idx.size), end)

    def _price(self, ctx: StationContext, idx: IntArray,
               r: FloatArray, w: FloatArray) -> FloatArray:
        gap = ctx.capability[ctx.host] - ctx.capability[idx]
        beta = np.clip(0.5 + ctx.p["bargaining_gap_weight"] * gap, 0.0, 1.0)
        return np.asarray(r + beta * np.maximum(0.0, w - r))

    def quote(self, ctx: StationContext, idx: IntArray) -> Terms:
        """An applicant expects to pay at least the host's reservation price."""
        return self._contract(ctx, idx, self.reservation(ctx, idx))

    def terms(self, ctx: StationContext, idx: IntArray) -> Terms:
        """Founders and forced entrants get the Nash price (at least the reservation)."""
        r = self.reservation(ctx, idx)
        w = self.willingness(ctx, idx, entrant=False)
        return self._contract(ctx, idx, self._price(ctx, idx, r, w))

    def negotiate(self, ctx: StationContext, applicants: IntArray) -> Decision:
        """Bargain with every applicant; fill slots in order of surplus."""
        apps = applicants
        r = self.reservation(ctx, apps)
        w = self.willingness(ctx, apps, entrant=True)
        threshold = ctx.trust_screen(float(ctx.p["qpq_trust_threshold"]))
        codes = np.zeros(apps.size, dtype=np.int8)
        codes[w < r] = REASON_CODE["price"]
        codes[ctx.host_trust(apps) < threshold] = REASON_CODE["trust"]
        ok = admission_order(ctx, w - r, codes == 0)  # in order of surplus
        slots = ctx.free_slots
        codes[ok[slots:]] = REASON_CODE["capacity"]
        take = np.zeros(apps.size, dtype=bool)
        take[ok[:slots]] = True
        adm = apps[take]
        price = self._price(ctx, adm, r[take], w[take])
        return Decision(self._contract(ctx, adm, price), apps[~take], codes[~take])

    def review(self, ctx: StationContext) -> tuple[IntArray, Terms]:
        """Contracts ending now are renewed when both sides still gain."""
        m = ctx.members
        due_now = m[ctx.contract_end[m] <= ctx.t]
        if due_now.size == 0:
            return due_now, self._contract(ctx, due_now, np.empty(0))
        r = self.reservation(ctx, due_now)
        w = self.willingness(ctx, due_now, entrant=False)
        threshold = ctx.trust_screen(float(ctx.p["qpq_trust_threshold"]))
        ok = (w >= r) & (ctx.host_trust(due_now) >= threshold)
        keep = due_now[ok]
        price = self._price(ctx, keep, r[ok], w[ok])
        return due_now[~ok], self._contract(ctx, keep, price)
