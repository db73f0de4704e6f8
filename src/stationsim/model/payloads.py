"""Payloads: experiments flown through an announcement of opportunity (model v2).

A third form of participation, beside partnership and guest flights (issue 13,
item 1): a state flies an experiment on a station without joining it.
Documented facts:

* **CSS.** In 2016 the UN Office for Outer Space Affairs (UNOOSA) and the
  China Manned Space Agency (CMSA) agreed to offer the China Space Station to
  UN Member States; the first announcement of opportunity (AO) was issued on
  28 May 2018 to every Member State, "with particular consideration given to
  developing countries".  It drew 42 applications from 27 countries; on 12
  June 2019 nine projects (six selected, three conditionally) of 23
  institutions from 17 countries were chosen, after evaluation "in terms of
  the scientific value" by a selection committee (SpaceNews, "UNOOSA and CMSA
  announce winners of opportunity to fly experiments on board China Space
  Station",
  https://spacenews.com/unoosa-and-cmsa-announce-winners-of-opportunity-to-fly-experiments-on-board-china-space-station
  ; CMSA's release of 12 June 2019; UNOOSA's AO page,
  https://www.unoosa.org/oosa/en/ourwork/psa/hsti/chinaspacestation/1st_cycle_2018.html).
  The selected institutions' states are ``data/cases/css.csv``.
* **ISS.** A partner channels part of its own allocation: the UNOOSA/JAXA
  KiboCUBE programme (announced 8 September 2015) offers institutions of
  developing countries the deployment of a CubeSat from Japan's Kibo module,
  free of charge, one winner a round (Kenya's University of Nairobi first,
  deployed 11 May 2018; UN Information Service, 8 September 2015; UNOOSA
  Director's remarks, 30 September 2018,
  https://www.unoosa.org/oosa/en/aboutus/director/director-statements/2018/remarks-for-the-kibo-session-at-the-iaf-workshop.html).

So an AO is an offer of a few experiment places, free, to a wide field, the
host (or its partner) choosing among the applicants by its own criteria.
The model (docs/odd.md, section 7.11d): a station with ``payload_slots > 0``
issues an AO every ``payload_every`` years while open.  It reaches every state
(channel ``un``) or, bilaterally, each state with probability equal to its
trust in the host (as a partnership offer does, section 7.8; seed 004).  A
reached state that is not a participant and not banned with one applies when
its value of flying an experiment is positive:

    v_i = w_payload x capability_i + w_prestige x (1 - capability_i)
          - payload_political_share x political_cost_i

(a science community to build and use it; the public-relations value of a
first national payload, larger for low-capability states, Foley 2014; a share
of the political cost of associating with the host, Essay 002, Cheng 2009,
Wu 2016: institutions of NATO states flew on the CSS AO though none joined).
The host selects up to ``payload_slots`` applicants with the largest value to
it, ``host_value + slot + payload_merit_sd x z`` (its own objectives: soft
power of developing and regional states, strategic value of capability, less
leakage, Foley 2014, Cheng 2009; a payload takes no guest slot, so the slot's
cost is added back; ``z`` a standard normal draw per applicant, the selection
committee's view of the proposal's scientific value, unknown in advance:
SpaceNews, 12 June 2019; drawn only when ``payload_merit_sd > 0``), among
those worth more than nothing to it; ties at random.  A payload makes
no state a member.  The state's value counts in its net utility from the
station, the host's value in the host's utility.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def payload_value(capability: FloatArray, w_payload: float, w_prestige: float,
                  political_cost: FloatArray, political_share: float) -> FloatArray:
    """A state's value of flying one experiment (module docstring): ``w_payload x capability
    + w_prestige x (1 - capability) - political_share x political_cost``."""
    return np.asarray(w_payload * capability + w_prestige * (1.0 - capability)
                      - political_share * political_cost)


def announces(year: int, first: int, slots: int, every: int) -> bool:
    """Whether a station with ``slots`` per AO, one AO every ``every`` years from the year
    ``first`` of its first AO, issues one in ``year`` (call only while it exists)."""
    return slots > 0 and year >= first and (year - first) % every == 0
