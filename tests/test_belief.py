"""Model v2: trust as a belief that follows the record, and political reciprocity apart from
delivery (issue 13; Wu 2016, Cheng 2009).  Each mechanism's direction on scripted states."""

from __future__ import annotations

import numpy as np
from helpers import make_model, state, station, trust_of


def _pair(guest: dict, steps: int = 10, **params):
    states = [state("HUB", capability=0.9, reciprocity=1.0, alignment=0.0), guest]
    st = station(capacity=2, founding_members=[guest["iso3"]])
    model = make_model(states=states, stations=[st], steps=steps,
                       parameters={"trust_update": "belief", "trust_drift": 0.0,
                                   "expel_defaults": 0, "expel_trust": 0.0, **params})
    path = [trust_of(model, "HUB", guest["iso3"])]
    for _ in range(steps):
        model.step()
        path.append(trust_of(model, "HUB", guest["iso3"]))
    return np.array(path)


def test_a_partner_that_defaults_loses_trust_and_never_gains_it() -> None:
    path = _pair(state("BAD", reciprocity=0.0, transparency=0.8))
    assert path[-1] < path[0] - 0.2
    assert (np.diff(path) <= 1e-12).all()


def test_belief_converges_to_the_record_and_no_further() -> None:
    """Always delivering, trust approaches 1 but the steps shrink as the record grows."""
    path = _pair(state("GOOD", reciprocity=1.0, transparency=1.0), steps=30)
    steps = np.diff(path)
    assert (steps >= -1e-12).all() and path[-1] <= 1.0
    assert steps[-1] < steps[0] / 5


def test_more_transparency_moves_trust_further_on_the_same_record() -> None:
    opaque = _pair(state("OPQ", reciprocity=0.0, transparency=0.0), steps=4)
    open_ = _pair(state("OPN", reciprocity=0.0, transparency=1.0), steps=4)
    assert open_[0] - open_[-1] > opaque[0] - opaque[-1] > 0


def test_delivering_without_returning_politically_stays_below_doing_both() -> None:
    both = _pair(state("BOTH", reciprocity=1.0, political_reciprocity=1.0), w_political=0.5)
    goods = _pair(state("GOODS", reciprocity=1.0, political_reciprocity=0.0), w_political=0.5)
    assert goods[-1] < both[-1] - 0.1
    assert goods[-1] < goods[0]  # unreturned visits cost trust although every contract holds
