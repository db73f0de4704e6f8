"""The direction of each mechanism: transparency, bans, closure, remaining lifetime."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import (
    banned_pairs,
    build,
    ids,
    make_model,
    participants,
    set_trust,
    state,
    station,
    strictly_decreasing,
)

from stationsim.model.core import StationModel

# ----------------------------------------------------------------------------- transparency


def test_more_transparent_partner_gains_trust_faster() -> None:
    """Two founders deliver every step; the host learns faster about the open one (Wu)."""
    states = [state("HUB", capability=0.9), state("OPAQ", transparency=0.05),
              state("OPEN", transparency=0.95)]
    model = make_model(states=states, stations=[station(founding_members=["OPAQ", "OPEN"])])
    for g in ("OPAQ", "OPEN"):
        set_trust(model, "HUB", g, 0.3)
    host = np.array([model.index["HUB"]] * 2)
    guests = ids(model, "OPAQ", "OPEN")
    before = model.trust.get(host, guests)
    for _ in range(3):
        model.step()
        after = model.trust.get(host, guests)
        gain = after - before
        assert (gain > 0).all(), "a partner that delivers gains trust"
        assert gain[1] > gain[0], "the transparent partner gains more"
        before = after


@pytest.mark.parametrize("transparency", [0.0, 0.5, 1.0])
def test_trust_gain_grows_with_transparency_of_the_observed(transparency: float) -> None:
    """Same set-up, host transparency varied: a guest learns faster about an open host."""
    def gain(tr: float) -> float:
        model = make_model(states=[state("HUB", capability=0.9, transparency=tr),
                                   state("GST")],
                           stations=[station(founding_members=["GST"])])
        set_trust(model, "GST", "HUB", 0.3)
        model.step()
        return float(model.trust.get(ids(model, "GST"), ids(model, "HUB"))[0]) - 0.3

    assert gain(transparency) > 0
    if transparency < 1.0:
        assert gain(1.0) > gain(transparency)


# ----------------------------------------------------------------------------- bans


def _assert_no_banned_co_members(model: StationModel) -> None:
    year = model.year - 1  # the year of the step just run
    pairs = banned_pairs(model.spec, year)
    for name, inside in participants(model).items():
        for pair in pairs:
            assert not pair <= inside, f"{sorted(pair)} share {name} in {year} under a ban"


def test_state_banned_with_the_host_never_joins() -> None:
    states = [state("HUB", capability=0.9), state("AA", capability=0.6, developing=True)]
    ban = [{"year": 2000, "type": "ban", "state": "HUB", "target": "AA"}]
    banned = make_model(states=states, events=ban)
    free = make_model(states=states)
    for _ in range(10):
        banned.step()
        free.step()
        _assert_no_banned_co_members(banned)
    aa = banned.index["AA"]
    assert banned.stations[0].n_joins[aa] == 0
    assert free.stations[0].n_joins[aa] > 0  # without the ban it joins


def test_ban_mid_run_removes_the_guest_and_lifting_lets_it_back() -> None:
    states = [state("HUB", capability=0.9), state("AA", capability=0.6, developing=True)]
    events = [{"year": 2003, "type": "ban", "state": "AA", "target": "HUB"},
              {"year": 2006, "type": "lift_ban", "state": "HUB", "target": "AA"}]
    model = make_model(states=states, events=events, steps=12)
    s = model.stations[0]
    aa = model.index["AA"]
    member = []
    for _ in range(12):
        model.step()
        _assert_no_banned_co_members(model)
        member.append(bool(s.member[aa]))
    assert member[:3] == [True] * 3
    assert member[3:6] == [False] * 3
    assert s.exit_step[aa] == 3 or s.n_joins[aa] > 1
    assert any(member[6:]), "after the ban is lifted it may join again"
    assert s.n_joins[aa] == 2


@pytest.mark.parametrize("rule", ["hub_and_spoke", "quid_pro_quo"])
def test_banned_pair_never_admitted_together(rule: str) -> None:
    """Two banned applicants that apply in the same step are not both admitted."""
    states = [state("HUB", capability=0.9), state("AA", capability=0.5),
              state("BB", capability=0.5)]
    ban = [{"year": 2000, "type": "ban", "state": "AA", "target": "BB"}]
    model = make_model(states=states, stations=[station(rule=rule)], events=ban,
                       log_events=True)
    model.step()
    refused = [e for e in model.last_log if e[2:] == ("refused", "ban")]
    assert len(refused) == 1 and refused[0][1] in ("AA", "BB")
    for _ in range(5):
        _assert_no_banned_co_members(model)
        model.step()
    inside = participants(model)["S"]
    assert len({"AA", "BB"} & inside) == 1  # one of them did join


def test_ban_between_guests_of_a_station_removes_the_target() -> None:
    states = [state("HUB", capability=0.9), state("AA"), state("BB")]
    ban = [{"year": 2002, "type": "ban", "state": "AA", "target": "BB"}]
    model = make_model(states=states, stations=[station(founding_members=["AA", "BB"])],
                       events=ban)
    s = model.stations[0]
    for _ in range(4):
        model.step()
        _assert_no_banned_co_members(model)
    assert s.member[model.index["AA"]]
    assert s.exit_reason[model.index["BB"]] == "ban"


def test_banned_pair_may_sit_in_different_stations() -> None:
    """A ban bars a shared station, not membership elsewhere (non-exclusive world)."""
    states = [state("H1", capability=0.9), state("H2", capability=0.9),
              state("AA", capability=0.5), state("BB", capability=0.5)]
    stations = [station("S1", "H1", founding_members=["AA"]),
                station("S2", "H2", founding_members=["BB"])]
    ban = [{"year": 2000, "type": "ban", "state": "AA", "target": "BB"}]
    model = make_model(states=states, stations=stations, events=ban, exclusive=False)
    for _ in range(6):
        model.step()
        _assert_no_banned_co_members(model)
    inside = participants(model)
    assert "AA" in inside["S1"] and "BB" in inside["S2"]


# ----------------------------------------------------------------------------- closure


def test_members_leave_a_station_when_it_closes() -> None:
    states = [state("HUB", capability=0.9), state("FND"), state("GST", developing=True)]
    model = make_model(states=states, stations=[station(close_at=2004,
                                                        founding_members=["FND"])])
    s = model.stations[0]
    for _ in range(4):
        model.step()
    assert s.members.size == 2
    model.step()  # 2004: closed
    assert s.members.size == 0
    for iso in ("FND", "GST"):
        assert s.exit_reason[model.index[iso]] == "closed"
        assert s.exit_step[model.index[iso]] == 4
    for _ in range(3):
        model.step()
        assert s.members.size == 0, "nobody joins a closed station"


def test_close_event_empties_the_station() -> None:
    model = make_model(events=[{"year": 2001, "type": "close", "station": "S"}])
    s = model.stations[0]
    model.step()
    assert s.members.size == 1
    for _ in range(3):
        model.step()
        assert s.members.size == 0
    assert s.exit_reason[model.index["GST"]] == "closed"


def test_reopened_station_empties_again_when_it_closes_again() -> None:
    events = [{"year": 2003, "type": "close", "station": "S"},
              {"year": 2005, "type": "open", "station": "S"},
              {"year": 2005, "type": "set_station", "station": "S", "attribute": "close_at",
               "value": 2008}]
    model = make_model(events=events, parameters={"reapply_cooldown": 0})
    s = model.stations[0]
    g = model.index["GST"]
    member = []
    for _ in range(10):
        model.step()
        member.append(bool(s.member[g]))
        if not s.is_open(model.year - 1):
            assert s.members.size == 0, f"members at a closed station in {model.year - 1}"
    assert member[:3] == [True] * 3
    assert any(member[5:8]), "it rejoins the reopened station"
    assert s.exit_reason[g] == "closed" and s.exit_step[g] == 8


def test_capacity_cut_below_members_sheds_latest_non_founders() -> None:
    states = [state("HUB", capability=0.9)] + [state(f"G{k}", developing=True) for k in range(4)]
    events = [{"year": 2001, "type": "join", "station": "S", "state": "G3"},
              {"year": 2003, "type": "set_station", "station": "S", "attribute": "capacity",
               "value": 2}]
    model = make_model(states=states, stations=[station(
        capacity=4, founding_members=["G0", "G1"])], events=events,
        parameters={"hub_trust_threshold": 1.0, "reapply_cooldown": 5}, log_events=True)
    s = model.stations[0]
    for _ in range(3):
        model.step()
    assert {model.states.iso3[i] for i in s.members} >= {"G0", "G1", "G3"}
    model.step()  # 2003: capacity 4 -> 2
    assert s.members.size <= s.capacity == 2
    assert {model.states.iso3[i] for i in s.members} == {"G0", "G1"}  # founders stay
    assert s.exit_reason[model.index["G3"]] == "capacity"
    assert ("S", "G3", "exit", "capacity") in model.last_log


def test_station_opened_joined_and_closed_in_one_year_ends_empty() -> None:
    """Regression (found by hypothesis): open, join and close events in the same year."""
    events = [{"year": 2000, "type": "open", "station": "S"},
              {"year": 2000, "type": "join", "station": "S", "state": "GST"},
              {"year": 2000, "type": "close", "station": "S"}]
    model = make_model(stations=[station(open_from=2001, close_at=2002)], events=events,
                       steps=2)
    s = model.stations[0]
    model.step()
    assert s.members.size == 0
    assert s.exit_reason[model.index["GST"]] == "closed"


@pytest.mark.parametrize("year", [2001, 2005])  # before it opens, after it closes
def test_join_event_at_a_station_that_is_not_open_is_refused(year: int) -> None:
    events = [{"year": year, "type": "join", "station": "S", "state": "GST"}]
    model = make_model(stations=[station(open_from=2002, close_at=2004)], events=events,
                       steps=6, log_events=True)
    s = model.stations[0]
    for _ in range(6):
        model.step()
        if model.year - 1 == year:
            assert ("S", "GST", "refused", "ineligible") in model.last_log
        if not s.is_open(model.year - 1):
            assert s.members.size == 0


# ----------------------------------------------------------------------------- lifetime


def test_lifetime_factor_falls_as_the_end_nears() -> None:
    model = make_model(stations=[station(close_at=2030)], steps=1)
    s = model.stations[0]
    horizon = float(model.p["lifetime_horizon"])
    factors = []
    for remaining in (30, 12, 8, 6, 3, 1, 0):
        s.close_at = model.year + remaining
        factors.append(model.lifetime_factor(s))
    assert factors[0] == factors[1] == factors[2] == 1.0  # beyond the horizon: full value
    assert factors[3] == pytest.approx(6 / horizon)
    assert strictly_decreasing(factors[2:])
    assert factors[-1] == 0.0


def test_entrant_utility_lower_with_shorter_remaining_life() -> None:
    scn = build(stations=[station(close_at=2100)])
    model = StationModel(scn, rng=0)
    s = model.stations[0]
    g = ids(model, "GST")
    terms = s.rule.quote(model.view(s), g)
    utility = []
    for remaining in (20, 6, 3, 1):
        s.close_at = model.year + remaining
        utility.append(float(model.guest_utility(s, g, terms, entrant=True)[0]))
    assert strictly_decreasing(utility)
    # a sitting member's utility does not depend on the remaining life
    s.close_at = model.year + 20
    sitting = float(model.guest_utility(s, g, terms, entrant=False)[0])
    s.close_at = model.year + 1
    assert float(model.guest_utility(s, g, terms, entrant=False)[0]) == pytest.approx(sitting)


def test_nobody_enters_a_station_about_to_close() -> None:
    """Cheng's 'turn out the lights': with one year left, the entrant's benefit is small."""
    def joins(close_at: int) -> bool:
        model = make_model(states=[state("HUB", capability=0.9),
                                   state("GST", capability=0.6, alignment=0.5)],
                           stations=[station(close_at=close_at)], steps=1)
        model.step()
        return bool(model.stations[0].member[model.index["GST"]])

    assert joins(2030)
    assert not joins(2001)


# ------------------------------------------------------------- each state's last decision


@pytest.mark.parametrize("rule", ["hub_and_spoke", "quid_pro_quo"])
def test_last_decision_records_refusal_reason_admission_founder_and_exit(rule: str) -> None:
    """``Station.last_decision``: kept without ``log_events``; a state refused for a ban,
    the one admitted, a founder, a leave event; nothing for the host."""
    states = [state("HUB", capability=0.9), state("AA", capability=0.5),
              state("BB", capability=0.5), state("FND"), state("LVR")]
    events = [{"year": 2000, "type": "ban", "state": "AA", "target": "BB"},
              {"year": 2001, "type": "leave", "state": "LVR", "station": "S"}]
    model = make_model(states=states, events=events, log_events=False,
                       stations=[station(rule=rule, founding_members=["FND", "LVR"])])
    s = model.stations[0]
    i = model.index
    assert s.last_decision(i["FND"]) == ("admitted", "forced", 0)  # founders, at the start
    assert s.last_decision(i["AA"]) == ("", "", -1)
    model.step()  # 2000: AA and BB apply together; the later of the two is refused (ban)
    got = {iso: s.last_decision(i[iso]) for iso in ("AA", "BB")}
    assert sorted(got.values()) == [("admitted", "", 0), ("refused", "ban", 0)], got
    refused = next(iso for iso, d in got.items() if d[0] == "refused")
    assert not s.member[i[refused]] and s.member[i[({"AA", "BB"} - {refused}).pop()]]
    assert s.last_decision(i["FND"]) == ("admitted", "forced", 0)
    assert model.last_log == []  # the record needs no log
    model.step()  # 2001: LVR leaves by the timeline
    assert s.last_decision(i["LVR"]) == ("exit", "event", 1)
    assert s.exit_reason[i["LVR"]] == "event"
    assert s.last_decision(i["HUB"]) == ("", "", -1)


def test_last_decision_is_the_last_entry_of_the_step_logs_on_a_shipped_scenario() -> None:
    """Over a whole run of css_vs_iss, each state's record at each station is its last
    applied / admitted / refused / exit entry of the steps' logs, reason included."""
    from pathlib import Path

    from stationsim.model.scenario import load_scenario
    from stationsim.running.batch import run_seed

    scn = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "css_vs_iss.toml")
    model = StationModel(scn, rng=run_seed(scn.seed, 0), log_events=True)
    last: dict[tuple[str, str], tuple[str, str, int]] = {}
    for entry in model.last_log:
        last[entry[:2]] = (entry[2], entry[3], 0)
    while model.running:
        t = model.t
        model.step()
        for station_name, iso, action, reason in model.last_log:
            if action != "flight":
                last[(station_name, iso)] = (action, reason, t)
    kinds = set()
    for s in model.stations:
        for iso, k in model.index.items():
            assert s.last_decision(k) == last.get((s.name, iso), ("", "", -1)), (s.name, iso)
            kinds.add(s.last_decision(k)[0])
    assert {"admitted", "refused"} <= kinds
