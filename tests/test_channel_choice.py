"""Model v2: a host left to choose its channel (seed 004, Li & Mayer 2023)."""

from __future__ import annotations

import pytest
from helpers import make_model, state, station

from stationsim.model.outcomes import run_row


def _world(reach: float, alignment: float, n: int = 12):
    states = [state("HUB", capability=0.9, alignment=1.0)]
    states += [state(f"G{k:02d}", capability=0.3, developing=True, alignment=alignment)
               for k in range(n)]
    st = station(channel="auto", objectives={"reach": reach})
    return make_model(states=states, stations=[st], parameters={"w_alignment": 0.2})


@pytest.mark.parametrize("reach, channel", [(0.0, "bilateral"), (1.0, "un")])
def test_a_host_that_values_reach_picks_the_un_channel(reach: float, channel: str) -> None:
    model = _world(reach, alignment=-0.6)  # thin ties: guests trust the host little
    assert model.stations[0].channel == channel
    model.run()
    assert run_row(model)["s_channel"] == channel


def test_dense_ties_make_bilateral_enough() -> None:
    """With the same reach objective, a host whose guests trust it (dense ties) keeps the
    bilateral channel, while one with thin ties goes through the UN."""
    thin, dense = _world(0.1, alignment=-0.6), _world(0.1, alignment=1.0)
    n_un, n_bi = thin.channel_reach(thin.stations[0])
    d_un, d_bi = dense.channel_reach(dense.stations[0])
    assert n_un - n_bi > d_un - d_bi
    assert thin.stations[0].channel == "un" and dense.stations[0].channel == "bilateral"
