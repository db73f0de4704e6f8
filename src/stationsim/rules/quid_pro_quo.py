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

from typing import TYPE_CHECKING

import numpy as np

from stationsim.rules import register
from stationsim.rules.base import REASON_CODE, Decision, FloatArray, IntArray, Rule, Terms
from stationsim.rules.hub_and_spoke import admission_order

if TYPE_CHECKING:
    from stationsim.model import StationModel
    from stationsim.stations import Station


@register
class QuidProQuo(Rule):
    """Quid-pro-quo contracts (Foley).  See module docstring."""

    name = "quid_pro_quo"

    def ability(self, model: StationModel, station: Station, idx: IntArray) -> FloatArray:
        """``ability_floor + capability + money + host-valued other assets``."""
        st = model.states
        weights = station.asset_values.copy()
        if "money" in st.asset_names:
            weights[st.asset_names.index("money")] = 1.0  # money always at face value
        return np.asarray(model.p["ability_floor"] + model.capability[idx]
                          + st.assets[idx] @ weights)

    def reservation(self, model: StationModel, station: Station, idx: IntArray) -> FloatArray:
        """Host's lowest acceptable price per step for each guest."""
        trust = np.maximum(model.host_trust(station.host, idx), 0.05)
        return np.asarray(np.maximum(0.0, -model.host_value(station, idx)) / trust)

    def willingness(self, model: StationModel, station: Station, idx: IntArray,
                    entrant: bool) -> FloatArray:
        """Guest's highest acceptable price per step (payment units)."""
        benefit = model.gross_benefit(station, idx, 1.0)
        if entrant:
            benefit = benefit * model.lifetime_factor(station)
        net = benefit - model.political_cost(idx, station.host)
        return np.asarray(net * model.ability(station, idx))

    def _contract(self, model: StationModel, idx: IntArray, price: FloatArray) -> Terms:
        end = np.full(idx.size, model.t + int(model.p["contract_steps"]), dtype=np.int64)
        return Terms(idx, price, np.ones(idx.size), end)

    def _price(self, model: StationModel, station: Station, idx: IntArray,
               r: FloatArray, w: FloatArray) -> FloatArray:
        gap = model.capability[station.host] - model.capability[idx]
        beta = np.clip(0.5 + model.p["bargaining_gap_weight"] * gap, 0.0, 1.0)
        return np.asarray(r + beta * np.maximum(0.0, w - r))

    def quote(self, model: StationModel, station: Station, idx: IntArray) -> Terms:
        """An applicant expects to pay at least the host's reservation price."""
        return self._contract(model, idx, self.reservation(model, station, idx))

    def terms(self, model: StationModel, station: Station, idx: IntArray) -> Terms:
        """Founders and forced entrants get the Nash price (at least the reservation)."""
        r = self.reservation(model, station, idx)
        w = self.willingness(model, station, idx, entrant=False)
        return self._contract(model, idx, self._price(model, station, idx, r, w))

    def negotiate(self, model: StationModel, station: Station, applicants: IntArray) -> Decision:
        """Bargain with every applicant; fill slots in order of surplus."""
        apps = applicants
        r = self.reservation(model, station, apps)
        w = self.willingness(model, station, apps, entrant=True)
        threshold = model.trust_screen(station, float(model.p["qpq_trust_threshold"]))
        codes = np.zeros(apps.size, dtype=np.int8)
        codes[w < r] = REASON_CODE["price"]
        codes[model.host_trust(station.host, apps) < threshold] = REASON_CODE["trust"]
        ok = admission_order(model, w - r, codes == 0)  # in order of surplus
        slots = station.free_slots
        codes[ok[slots:]] = REASON_CODE["capacity"]
        take = np.zeros(apps.size, dtype=bool)
        take[ok[:slots]] = True
        adm = apps[take]
        price = self._price(model, station, adm, r[take], w[take])
        return Decision(self._contract(model, adm, price), apps[~take], codes[~take])

    def review(self, model: StationModel, station: Station) -> tuple[IntArray, Terms]:
        """Contracts ending now are renewed when both sides still gain."""
        m = station.members
        due_now = m[station.contract_end[m] <= model.t]
        if due_now.size == 0:
            return due_now, self._contract(model, due_now, np.empty(0))
        r = self.reservation(model, station, due_now)
        w = self.willingness(model, station, due_now, entrant=False)
        threshold = model.trust_screen(station, float(model.p["qpq_trust_threshold"]))
        ok = (w >= r) & (model.host_trust(station.host, due_now) >= threshold)
        keep = due_now[ok]
        price = self._price(model, station, keep, r[ok], w[ok])
        return due_now[~ok], self._contract(model, keep, price)
