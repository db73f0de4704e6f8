"""Hub-and-spoke: the host alone decides, and keeps the majority share.

Foley (seed 000) recommends hub-and-spoke for the CSS, as the United States
runs the ISS: the hub keeps the chain of command and the majority share, and a
spoke's rights are "only yielded to a nation commensurate to their technical
contributions".  Claims it serves: H1 (CSS members mostly regional,
developing, non-ISS; no other major power joins) and, as the contrast, H2.

Mechanism, all applicants at once:

* a spoke's due is ``(spoke_min_share + spoke_cost_share * capability) *
  operating_cost`` per step; its utilisation rights are that due relative to
  the due of a capability-1 spoke (rights follow contribution);
* the hub admits an applicant whose strategic value
  ``w_strategic * capability + w_soft_power * developing + w_regional *
  regional + hub_alignment_value * (1 - alignment distance)`` reaches
  ``hub_value_threshold``, whose trust in the hub's eyes reaches
  ``hub_trust_threshold`` (lower under the UN channel, seed 004), whose
  admission raises the hub's own utility, while slots remain and the host's
  share of cost stays at least ``host_share_min``;
* with ``partner_veto`` (ISS-style; Cheng: consult allies), any member whose
  trust in the applicant is below ``veto_threshold`` blocks it;
* applicants are taken in order of the hub's gain (``admission_order``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from stationsim.rules import register
from stationsim.rules.base import (
    NEVER,
    REASON_CODE,
    BoolArray,
    Decision,
    FloatArray,
    IntArray,
    Rule,
    Terms,
)

if TYPE_CHECKING:
    from stationsim.model import StationModel
    from stationsim.stations import Station


def admission_order(model: StationModel, key: FloatArray, eligible: BoolArray) -> IntArray:
    """Positions of the ``eligible`` applicants, by ``key`` descending (ties at random) or at
    random (``admission_order``).

    One uniform draw per applicant (eligible or not) is always taken from the
    model's generator, so the stream of draws does not depend on the order
    chosen or on who is eligible.  Sorting only the eligible applicants gives
    their order in the sort of all (both sorts are stable).
    """
    tie = model.rng.random(key.size)
    idx = eligible.nonzero()[0]
    if model.p["admission_order"] == "random":
        return idx[np.argsort(tie[idx], kind="stable")].astype(np.int64)
    return idx[np.lexsort((tie[idx], -key[idx]))].astype(np.int64)


@register
class HubAndSpoke(Rule):
    """Hub-and-spoke admission (Foley; how the ISS works).  See module docstring."""

    name = "hub_and_spoke"
    quote_is_static = True

    def quote(self, model: StationModel, station: Station, idx: IntArray) -> Terms:
        """A spoke's due grows with the capability it brings; rights follow the due."""
        p = model.p
        full = p["spoke_min_share"] + p["spoke_cost_share"]
        share = p["spoke_min_share"] + p["spoke_cost_share"] * model.capability[idx]
        due = share * station.operating_cost
        rights = np.minimum(1.0, share / full) if full > 0 else np.ones(idx.size)
        return Terms(idx, due, rights, np.full(idx.size, NEVER, dtype=np.int64))

    def strategic_value(self, model: StationModel, station: Station, idx: IntArray) -> FloatArray:
        """The hub's view of what an applicant brings (capability, soft power, alignment)."""
        p = model.p
        return np.asarray(
            p["w_strategic"] * model.capability[idx]
            + p["w_soft_power"] * model.developing[idx]
            + p["w_regional"] * model.regional(idx, station.host)
            + p["hub_alignment_value"] * (1.0 - model.host_distance(station.host, idx))
        )

    def negotiate(self, model: StationModel, station: Station, applicants: IntArray) -> Decision:
        """Screen applicants by value, trust, veto and the hub's gain; fill slots in order."""
        p = model.p
        apps = applicants
        terms = self.quote(model, station, apps)
        trust = model.host_trust(station.host, apps)
        gain = model.host_gain(station, apps, terms.due)
        fail_trust = trust < model.trust_screen(station, float(p["hub_trust_threshold"]))
        fail_value = self.strategic_value(model, station, apps) < p["hub_value_threshold"]
        codes = np.zeros(apps.size, dtype=np.int8)
        codes[gain <= 0.0] = REASON_CODE["host_gain"]  # the first failing check names the reason
        members = station.members
        if station.partner_veto and members.size:
            # only applicants passing the trust and value screens can be refused for a veto
            ask = np.flatnonzero(~fail_trust & ~fail_value)
            if ask.size:
                sub = apps[ask]
                t = model.trust.get(np.repeat(members, sub.size), np.tile(sub, members.size))
                vetoed = (t.reshape(members.size, sub.size) < p["veto_threshold"]).any(axis=0)
                codes[ask[vetoed]] = REASON_CODE["veto"]
        codes[fail_value] = REASON_CODE["value"]
        codes[fail_trust] = REASON_CODE["trust"]
        queue = admission_order(model, gain, codes == 0)  # eligible applicants, best first
        slots = station.free_slots
        cost = station.operating_cost
        paid = station.guest_contributions()  # grows as applicants are admitted
        take = np.zeros(apps.size, dtype=bool)
        while queue.size and slots > 0:
            # the next applicant whose due keeps the host's share (as in Station.host_share)
            share = np.maximum(0.0, cost - paid - terms.due[queue]) / cost
            fits = np.flatnonzero(share >= station.host_share_min)
            if fits.size == 0:
                break
            first = int(fits[0])
            codes[queue[:first]] = REASON_CODE["host_share"]
            k = int(queue[first])
            take[k] = True
            slots -= 1
            paid += float(terms.due[k])
            queue = queue[first + 1:]
        codes[queue] = REASON_CODE["capacity" if slots == 0 else "host_share"]
        adm = Terms(apps[take], terms.due[take], terms.rights[take], terms.contract_end[take])
        return Decision(adm, apps[~take], codes[~take])
