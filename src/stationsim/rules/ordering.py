"""The order in which a host considers eligible applicants.

Shared by every rule (parameter ``admission_order``: ``"value"``, best
first, or ``"random"``).  Foley (2015): the hub admits the applicants it
values most while slots remain; ``random`` is the neutral alternative for
sensitivity analysis.
"""

from __future__ import annotations

import numpy as np

from stationsim.rules.base import BoolArray, FloatArray, IntArray, StationContext


def admission_order(ctx: StationContext, key: FloatArray, eligible: BoolArray) -> IntArray:
    """Positions of the ``eligible`` applicants, by ``key`` descending (ties at random) or at
    random (``admission_order``).

    One uniform draw per applicant (eligible or not) is always taken from the
    model's generator, so the stream of draws does not depend on the order
    chosen or on who is eligible.  Sorting only the eligible applicants gives
    their order in the sort of all (both sorts are stable).
    """
    tie = ctx.uniform(key.size)
    idx = eligible.nonzero()[0]
    if ctx.p["admission_order"] == "random":
        return idx[np.argsort(tie[idx], kind="stable")].astype(np.int64)
    return idx[np.lexsort((tie[idx], -key[idx]))].astype(np.int64)
