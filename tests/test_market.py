"""Model v2: the seat market (guest flights) and each host's own objectives.

Each mechanism's direction against scripted states (issue 13), with the
station's capacity 0 so that partnership never competes with a flight.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_model, state, station

from stationsim.model import market
from stationsim.model.outcomes import run_row


def _flight_world(sellers, states=None, objectives=None, **params):
    states = states or [state("HUB", capability=0.9, assets={"money": 1.0}),
                        state("RICH", capability=0.2, assets={"money": 2.0}),
                        state("POOR", capability=0.2, assets={"money": 0.0})]
    st = station(capacity=0, sellers=sellers, objectives=objectives or {})
    return make_model(states=states, stations=[st], parameters=params)


def first_flight(model, iso: str) -> int:
    s = model.stations[0]
    step = int(s.first_flight_step[model.index[iso]])
    return step if step >= 0 else 10**6


def test_a_richer_state_buys_a_seat_sooner() -> None:
    model = _flight_world([{"seller": "HUB", "seats": 1, "price": 1.5, "screen": "none"}])
    model.run()
    assert first_flight(model, "RICH") < first_flight(model, "POOR")
    assert first_flight(model, "RICH") == 0


def test_a_price_above_a_state_s_means_buys_nothing() -> None:
    model = _flight_world([{"seller": "HUB", "seats": 5, "price": 50.0, "screen": "none"}])
    model.run()
    assert model.stations[0].flights.sum() == 0


@pytest.mark.parametrize("revenue, sells", [(0.0, False), (3.0, True)])
def test_a_host_with_a_higher_revenue_weight_sells_more(revenue: float, sells: bool) -> None:
    """A host that does not value revenue will not fly a guest whose value to it is negative
    (a capable guest it distrusts: leakage); one that values revenue will."""
    states = [state("HUB", capability=0.9, military_fusion=0.0),
              state("BUY", capability=0.2, military_fusion=0.9, transparency=0.0,
                    alignment=0.0, assets={"money": 3.0})]
    model = _flight_world([{"seller": "HUB", "seats": 2, "price": 0.5, "screen": "none"}],
                          states=states, objectives={"revenue": revenue, "leakage": 1.0},
                          w_soft_power=0.0, w_regional=0.0, w_strategic=0.0,
                          trust_base_max=0.2)
    model.run()
    s = model.stations[0]
    assert bool(s.seats_sold[0] > 0) == sells
    if sells:
        assert s.seat_revenue == pytest.approx(revenue * 0.5 * s.seats_sold[0])


def test_a_seller_screening_by_trust_refuses_a_distrusted_buyer() -> None:
    states = [state("HUB", capability=0.9, alignment=1.0),
              state("FAR", capability=0.2, alignment=-1.0, assets={"money": 2.0}),
              state("NEAR", capability=0.2, alignment=1.0, assets={"money": 2.0})]
    model = _flight_world([{"seller": "HUB", "seats": 3, "price": 0.1, "screen": "trust"}],
                          states=states, w_alignment=0.0, w_dual_use=0.0)
    model.run()
    assert first_flight(model, "NEAR") == 0
    assert first_flight(model, "FAR") == 10**6


def test_a_commercial_provider_opened_later_flies_guests_from_then() -> None:
    model = _flight_world([{"seller": "commercial", "seats": 2, "price": 1.0,
                            "screen": "none", "open_from": 2005}])
    model.run()
    s = model.stations[0]
    assert first_flight(model, "RICH") == 5
    assert s.seats_sold[2] >= 1 and s.seats_sold[:2].sum() == 0
    row = run_row(model)
    assert row["s_seats_sold_commercial"] == s.seats_sold[2]
    assert row["s_guest_flyers"] == int((s.flights > 0).sum())


def test_a_flyer_waits_its_cooldown() -> None:
    model = _flight_world([{"seller": "HUB", "seats": 5, "price": 0.5, "screen": "none"}],
                          flight_cooldown=4)
    model.run()  # 10 steps: flights at 0, 4, 8
    assert model.stations[0].flights[model.index["RICH"]] == 3


def test_no_sellers_no_draws() -> None:
    """A station without sellers leaves the random stream untouched."""
    a = make_model(stations=[station()])
    b = make_model(stations=[station(sellers=[])])
    a.run()
    b.run()
    assert a.rng.random() == b.rng.random()


def test_allocate_orders_by_utility_and_caps_seats() -> None:
    util = np.array([0.5, 2.0, -1.0, 2.0, 1.0])
    tie = np.array([0.1, 0.9, 0.5, 0.2, 0.3])
    got = market.allocate(util, np.ones(5, dtype=bool), 3, tie)
    assert got.tolist() == [3, 1, 4]  # ties broken by the draw
    assert market.allocate(util, np.zeros(5, dtype=bool), 3, tie).size == 0


def test_host_objectives_replace_the_global_weights() -> None:
    """A host that weighs soft power more values a developing guest more; defaults equal
    the global weights exactly."""
    states = [state("HUB", capability=0.9), state("DEV", capability=0.1, developing=True)]
    plain = _flight_world([], states=states)
    same = _flight_world([], states=states, objectives={"soft_power": 0.3})
    keen = _flight_world([], states=states, objectives={"soft_power": 2.0})
    idx = np.array([1])
    v = [m.host_value(m.stations[0], idx)[0] for m in (plain, same, keen)]
    assert v[0] == v[1] and v[2] > v[0]
