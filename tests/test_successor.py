"""Model v2 (issue 13, item 6): successor stations (``successor_of``).

A scripted world: the ISS (host USA) closes at the start of 2003 with four
aligned partners P0-P3 and one partner DDD aligned with the other side; CLD
(host USA, open from 2003) may be its successor; OTH (host EUH, as aligned as the United
States and cheaper) is open to everyone, so without a first offer the
partners prefer it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tomli_w
from helpers import make_model, run_cli, scenario_dict, state, station

from stationsim.model.core import StationModel
from stationsim.model.scenario import ScenarioError, scenario_from_dict
from stationsim.rules.base import REASON_CODE

PARTNERS = ["P0", "P1", "P2", "P3"]
#: open screens, so the contrast comes from the offer and the partners' utilities
OPEN = {"hub_trust_threshold": 0.0, "hub_value_threshold": 0.0, "lifetime_horizon": 1,
        "w_alignment": 3.0}


def _world(successor: bool = True, capacity: int = 10, cld_open: int = 2003,
           **params: Any) -> StationModel:
    states = [state("USA", capability=0.9, alignment=-1.0),
              state("EUH", capability=0.9, alignment=-1.0)]
    states += [state(p, capability=0.4, alignment=-1.0) for p in PARTNERS]
    states.append(state("DDD", capability=0.4, alignment=1.0))
    stations = [
        station("ISS", host="USA", open_from=1998, close_at=2003, capacity=5,
                founding_members=[*PARTNERS, "DDD"]),
        station("CLD", host="USA", open_from=cld_open, close_at=2020, capacity=capacity,
                channel="bilateral", **({"successor_of": "ISS"} if successor else {})),
        station("OTH", host="EUH", open_from=2000, close_at=2020, capacity=20,
                operating_cost=0.3),
    ]
    return make_model(states=states, stations=stations, parameters={**OPEN, **params},
                      steps=8)


def _members(model: StationModel, name: str) -> set[str]:
    s = model.station_by_name[name]
    return {model.states.iso3[i] for i in s.members.tolist()}


def _utility(model: StationModel, name: str, iso: str) -> float:
    s = model.station_by_name[name]
    idx = np.array([model.index[iso]])
    terms = s.rule.quote(model.view(s), model.everyone)
    return float(model.guest_utility(s, model.everyone, terms, entrant=True)[idx][0])


def test_a_successor_takes_the_partners_when_the_iss_closes() -> None:
    with_succ, without = _world(successor=True), _world(successor=False)
    for m in (with_succ, without):
        for _ in range(3):  # 2000-2002: the partners are in the ISS
            m.step()
        assert _members(m, "ISS") == {*PARTNERS, "DDD"}
        # the partners would rather join OTH than CLD: the first offer is what differs
        assert _utility(m, "OTH", "P0") > _utility(m, "CLD", "P0") > 0
        m.step()  # 2003: the ISS closes
        assert not _members(m, "ISS")
    assert set(PARTNERS) <= _members(with_succ, "CLD")
    assert not set(PARTNERS) & _members(without, "CLD")
    assert set(PARTNERS) <= _members(without, "OTH")
    with_succ.run()
    assert set(PARTNERS) <= _members(with_succ, "CLD")


def test_a_partner_that_would_lose_by_joining_does_not_transfer() -> None:
    m = _world()
    for _ in range(3):
        m.step()
    assert _utility(m, "CLD", "DDD") < 0 < _utility(m, "CLD", "P0")
    m.step()
    assert "DDD" not in _members(m, "CLD")
    assert set(PARTNERS) <= _members(m, "CLD")


def test_the_continuity_bonus_moves_a_reluctant_partner() -> None:
    """``successor_bonus`` is added to the partner's utility of joining the successor: a
    partner whose utility is below zero transfers once the bonus outweighs it."""
    m = _world()
    for _ in range(3):
        m.step()
    gap = -_utility(m, "CLD", "DDD")
    assert gap > 0
    for bonus, joins in ((0.5 * gap, False), (min(2.0, gap + 0.1), True)):
        m = _world(successor_bonus=bonus)
        for _ in range(4):
            m.step()
        assert ("DDD" in _members(m, "CLD")) is joins, bonus


def test_the_successor_respects_its_capacity() -> None:
    m = _world(capacity=2)
    for _ in range(4):
        m.step()
    cld = m.station_by_name["CLD"]
    assert cld.members.size == 2
    assert _members(m, "CLD") <= set(PARTNERS)
    assert cld.refusal_counts[REASON_CODE["capacity"]] >= 2
    # the refused partners are free to go elsewhere the same year
    assert len(_members(m, "OTH") & set(PARTNERS)) == 2


def test_a_successor_that_opens_later_offers_when_it_opens() -> None:
    """A gap between the two: the offer waits for the successor to open (2005), and goes to
    the former partners who are not guests elsewhere by then."""
    m = _world(cld_open=2005, capacity=10)
    m.station_by_name["OTH"].capacity = 0  # nowhere else to go meanwhile
    for _ in range(5):
        m.step()
    assert not _members(m, "CLD") and not _members(m, "ISS")
    m.step()  # 2005
    assert set(PARTNERS) <= _members(m, "CLD")


def test_an_open_event_sets_when_the_successor_takes_them() -> None:
    """A successor declared for later (here 2090) is opened by the timeline's ``open`` event
    (2004); the offer is made that year."""
    states = [state("USA", capability=0.9, alignment=-1.0)]
    states += [state(p, capability=0.4, alignment=-1.0) for p in PARTNERS]
    stations = [station("ISS", host="USA", open_from=1998, close_at=2003, capacity=4,
                        founding_members=PARTNERS),
                station("CLD", host="USA", open_from=2090, close_at=2100, successor_of="ISS")]
    m = make_model(states=states, stations=stations, parameters=OPEN, steps=8,
                   events=[{"year": 2004, "type": "open", "station": "CLD"}])
    for _ in range(4):  # 2000-2003
        m.step()
    assert not _members(m, "CLD") and "CLD" in m.heirs
    m.step()  # 2004
    assert _members(m, "CLD") == set(PARTNERS) and not m.heirs


def test_without_successor_of_nothing_is_offered() -> None:
    """Off by default: no successor, no offers pending, the same run as before."""
    m = _world(successor=False)
    m.run()
    assert not m.heirs and not m.successors


# ------------------------------------------------------------------ validation


def _scenario(successor_of: str, pred_close: int = 2003) -> dict[str, Any]:
    return scenario_dict(
        states=[state("USA", capability=0.9), state("GST"), state("PTR")],
        stations=[station("ISS", host="USA", open_from=1998, close_at=pred_close,
                          founding_members=["PTR"]),
                  station("CLD", host="USA", open_from=2002, close_at=2020,
                          successor_of=successor_of)])


BAD = [
    ("unknown", _scenario("ISSS"), ["stations[1].successor_of", "unknown station 'ISSS'",
                                    "did you mean 'ISS'", "allowed: ISS"]),
    ("self", _scenario("CLD"), ["stations[1].successor_of", "cannot succeed itself"]),
    ("closes_later", _scenario("ISS", pred_close=2030),
     ["stations[1].successor_of", "ISS closes at 2030, not before CLD does (2020)"]),
]


def test_a_valid_successor_loads() -> None:
    scn = scenario_from_dict(_scenario("ISS"), source="<test>")
    assert scn.stations[1].successor_of == "ISS"


@pytest.mark.parametrize("data, expect", [(d, e) for _, d, e in BAD],
                         ids=[i for i, _, _ in BAD])
def test_bad_successor_of_is_a_scenario_error(data: dict[str, Any],
                                              expect: list[str]) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, source="<test>")
    for needle in expect:
        assert needle in str(err.value)


@pytest.mark.parametrize("data, expect", [(d, e) for _, d, e in BAD],
                         ids=[i for i, _, _ in BAD])
def test_bad_successor_of_through_the_cli(data: dict[str, Any], expect: list[str],
                                          tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("run", str(path), "--out", str(out), "-q")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert str(path) in proc.stderr
    for needle in expect:
        assert needle in proc.stderr, f"{needle!r} not in {proc.stderr!r}"
    assert not out.exists() or not any(out.iterdir())
