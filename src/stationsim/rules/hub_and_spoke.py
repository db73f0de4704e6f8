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
  regional + hub_alignment_value * (1 - alignment distance)`` (the host's own
  ``objectives`` replace the global weights where the scenario sets them) reaches
  ``hub_value_threshold``, whose trust in the hub's eyes reaches
  ``hub_trust_threshold`` (lower under the UN channel, seed 004), whose
  admission raises the hub's own utility, while slots remain and the host's
  share of cost stays at least ``host_share_min``;
* with ``partner_veto`` (ISS-style; Cheng: consult allies), any member whose
  trust in the applicant is below ``veto_threshold`` blocks it;
* applicants are taken in order of the hub's gain (``admission_order``).
"""

from __future__ import annotations

import numpy as np

from stationsim.rules.base import (
    NEVER,
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
class HubAndSpoke(Rule):
    """Hub-and-spoke admission (Foley; how the ISS works).  See module docstring."""

    name = "hub_and_spoke"
    quote_is_static = True

    def quote(self, ctx: StationContext, idx: IntArray) -> Terms:
        """A spoke's due grows with the capability it brings; rights follow the due."""
        p = ctx.p
        full = p["spoke_min_share"] + p["spoke_cost_share"]
        share = p["spoke_min_share"] + p["spoke_cost_share"] * ctx.capability[idx]
        due = share * ctx.operating_cost
        rights = np.minimum(1.0, share / full) if full > 0 else np.ones(idx.size)
        return Terms(idx, due, rights, np.full(idx.size, NEVER, dtype=np.int64))

    def strategic_value(self, ctx: StationContext, idx: IntArray) -> FloatArray:
        """The hub's view of what an applicant brings (capability, soft power, alignment)."""
        p = ctx.p
        return np.asarray(
            ctx.weight("strategic") * ctx.capability[idx]
            + ctx.weight("soft_power") * ctx.developing(idx)
            + ctx.weight("regional") * ctx.regional(idx)
            + p["hub_alignment_value"] * (1.0 - ctx.host_distance(idx))
        )

    def negotiate(self, ctx: StationContext, applicants: IntArray) -> Decision:
        """Screen applicants by value, trust, veto and the hub's gain; fill slots in order."""
        p = ctx.p
        apps = applicants
        terms = self.quote(ctx, apps)
        trust = ctx.host_trust(apps)
        gain = ctx.host_gain(apps, terms.due)
        fail_trust = trust < ctx.trust_screen(float(p["hub_trust_threshold"]))
        fail_value = self.strategic_value(ctx, apps) < p["hub_value_threshold"]
        codes = np.zeros(apps.size, dtype=np.int8)
        codes[gain <= 0.0] = REASON_CODE["host_gain"]  # the first failing check names the reason
        members = ctx.members
        if ctx.partner_veto and members.size:
            # only applicants passing the trust and value screens can be refused for a veto
            ask = np.flatnonzero(~fail_trust & ~fail_value)
            if ask.size:
                sub = apps[ask]
                t = ctx.trust_between(np.repeat(members, sub.size), np.tile(sub, members.size))
                vetoed = (t.reshape(members.size, sub.size) < p["veto_threshold"]).any(axis=0)
                codes[ask[vetoed]] = REASON_CODE["veto"]
        codes[fail_value] = REASON_CODE["value"]
        codes[fail_trust] = REASON_CODE["trust"]
        queue = admission_order(ctx, gain, codes == 0)  # eligible applicants, best first
        slots = ctx.free_slots
        cost = ctx.operating_cost
        paid = ctx.guest_contributions()  # grows as applicants are admitted
        take = np.zeros(apps.size, dtype=bool)
        while queue.size and slots > 0:
            # the next applicant whose due keeps the host's share (as in the station's host share)
            share = np.maximum(0.0, cost - paid - terms.due[queue]) / cost
            fits = np.flatnonzero(share >= ctx.host_share_min)
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
        adm = terms.take(take)
        return Decision(adm, apps[~take], codes[~take])
