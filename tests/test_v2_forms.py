"""Model v2: payloads through announcements of opportunity, members' trust in the host, and a
host that chooses its rule (issue 13, items 1, 5 and 7; docs/odd.md 7.11d, 7.12, 7.6b)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tomli_w
from helpers import ids, make_model, run_cli, scenario_dict, set_trust, state, station

from stationsim.model.outcomes import membership_table, run_row
from stationsim.model.scenario import ScenarioError, scenario_from_dict

# ---------------------------------------------------------------- payloads


def _ao_world(ao_channel: str | None = None, n: int = 20, slots: int = 100, steps: int = 2,
              seed: int = 0, parameters: dict[str, object] | None = None,
              guests: list[dict[str, object]] | None = None, **kw: object):
    """A host and ``n`` developing guests with thin ties to it; no guest slot (capacity 0), so
    payloads are the only way in."""
    states = [state("HUB", capability=0.9, alignment=1.0)]
    states += guests if guests is not None else [
        state(f"G{k:02d}", capability=0.3, developing=True, alignment=-0.6) for k in range(n)]
    st = station(capacity=0, payload_slots=slots, payload_channel=ao_channel, **kw)
    params = {"payload_political_share": 0.0, **(parameters or {})}
    model = make_model(states=states, stations=[st], steps=steps, seed=seed, parameters=params)
    model.run()
    return model


def test_no_payloads_by_default() -> None:
    model = make_model(steps=5)
    model.run()
    row = run_row(model)
    assert model.stations[0].payload_slots == 0
    assert row["s_payloads_flown"] == 0 and row["s_payload_states"] == 0
    assert (membership_table(model)["payloads"] == 0).all()


def test_slots_cap_the_payloads_of_each_announcement() -> None:
    """Twenty applicants, three places an AO: three fly each year, one AO every two years."""
    every_year = _ao_world("un", slots=3, steps=4)
    assert run_row(every_year)["s_payloads_flown"] == 3 * 4
    biennial = _ao_world("un", slots=3, steps=4, payload_every=2)  # AOs in years 0 and 2
    assert run_row(biennial)["s_payloads_flown"] == 3 * 2
    assert membership_table(biennial)["payloads"].max() <= 2


def test_payloads_make_no_member() -> None:
    model = _ao_world("un", slots=5, steps=3)
    row = run_row(model)
    assert row["s_payloads_flown"] == 15 and row["s_members"] == 0 and row["s_admissions"] == 0


def test_the_un_channel_reaches_more_states_than_bilateral_ties() -> None:
    """Thin ties (trust in the host 0.21): bilaterally about a fifth of the states see each AO."""
    for seed in range(3):
        un = run_row(_ao_world("un", seed=seed))
        bi = run_row(_ao_world("bilateral", seed=seed))
        assert un["s_payload_states"] == 20
        assert 0 < bi["s_payload_states"] < un["s_payload_states"]


def test_the_payload_channel_defaults_to_the_stations() -> None:
    un = run_row(_ao_world(None, channel="un"))
    bi = run_row(_ao_world(None, channel="bilateral"))
    assert un["s_payload_states"] == 20 and bi["s_payload_states"] < 20


def test_a_state_that_values_a_payload_more_flies_more() -> None:
    """Guests alike to the host, unlike in political cost: the near one applies and flies, the
    far one's value is negative and it never applies; a higher value of science lets it in."""
    guests = [state("NEAR", capability=0.3, developing=True, alignment=0.8),
              state("FAR", capability=0.3, developing=True, alignment=-1.0)]
    params = {"payload_political_share": 1.0}
    low = _ao_world("un", slots=2, steps=4, guests=guests, parameters=params)
    flown = dict(zip(membership_table(low)["iso3"], membership_table(low)["payloads"],
                     strict=True))
    assert flown["NEAR"] == 4 and flown["FAR"] == 0
    high = _ao_world("un", slots=2, steps=4, guests=guests,
                     parameters={**params, "w_payload": 4.0})
    flown = dict(zip(membership_table(high)["iso3"], membership_table(high)["payloads"],
                     strict=True))
    assert flown["NEAR"] == 4 and flown["FAR"] == 4


def test_the_host_selects_by_its_own_objectives() -> None:
    """One place an AO: a soft-power host flies the developing applicant, a host that values
    only capability the more capable one."""
    guests = [state("DEV", capability=0.2, developing=True, alignment=1.0),
              state("CAP", capability=0.6, developing=False, alignment=1.0)]
    soft = _ao_world("un", slots=1, steps=3, guests=guests,
                     objectives={"soft_power": 2.0, "strategic": 0.1})
    strat = _ao_world("un", slots=1, steps=3, guests=guests,
                      objectives={"soft_power": 0.0, "strategic": 2.0})
    for model, winner, loser in ((soft, "DEV", "CAP"), (strat, "CAP", "DEV")):
        s = model.stations[0]
        w, lo = ids(model, winner, loser)
        assert s.payloads[w] == 3 and s.payloads[lo] == 0


def test_payloads_count_in_utilities() -> None:
    model = _ao_world("un", slots=2, steps=1)
    s = model.stations[0]
    flown = s.payloads > 0
    assert flown.sum() == 2
    assert (s.cum_utility[flown] > 0).all() and (s.cum_utility[~flown] == 0).all()
    assert s.host_cum_utility > 0


# ---------------------------------------------------------------- members' trust in the host


def test_member_trust_in_host_is_the_members_mean_trust_in_the_host() -> None:
    """Learning and drift off, so trust stays where it is set: (0.2 + 0.6) / 2, a non-member's
    trust and the host's own left out."""
    states = [state("HUB", capability=0.9), state("AA"), state("BB"), state("CC")]
    params = {"learn_rate": 0.0, "trust_drift": 0.0, "default_penalty": 0.0}
    model = make_model(states=states, stations=[station(founding_members=["AA", "BB"],
                                                        channel="bilateral", capacity=2)],
                       parameters=params, steps=3)
    set_trust(model, "AA", "HUB", 0.2)
    set_trust(model, "BB", "HUB", 0.6)
    set_trust(model, "CC", "HUB", 0.9)
    set_trust(model, "HUB", "AA", 0.1)
    model.run()
    assert model.step_records["member_trust_in_host"] == pytest.approx([0.4] * 3)
    assert run_row(model)["s_member_trust_in_host"] == pytest.approx(0.4)


def test_member_trust_in_host_is_zero_without_members() -> None:
    model = make_model(states=[state("HUB"), state("AA", alignment=-1.0)],
                       stations=[station(capacity=0)], steps=2)
    model.run()
    assert model.step_records["member_trust_in_host"] == [0.0, 0.0]
    assert run_row(model)["s_member_trust_in_host"] == 0.0


# ---------------------------------------------------------------- a host chooses its rule


def _rule_world(objectives: dict[str, float], seed: int = 0):
    states = [state("HUB", capability=0.9, alignment=0.5)]
    states += [state(f"G{k}", capability=0.1 + 0.1 * k, developing=k % 2 == 0, alignment=0.3,
                     assets={"money": 0.3}) for k in range(6)]
    return make_model(states=states, stations=[station(rule="auto", objectives=objectives)],
                      seed=seed, steps=3)


@pytest.mark.parametrize("objectives, rule", [({"control": 5.0, "revenue": 0.0}, "hub_and_spoke"),
                                              ({"control": 0.0, "revenue": 5.0}, "quid_pro_quo")])
def test_a_host_valuing_control_keeps_the_hub_one_valuing_revenue_bargains(
        objectives: dict[str, float], rule: str) -> None:
    model = _rule_world(objectives)
    assert model.stations[0].rule_name == rule
    model.run()
    assert run_row(model)["s_rule"] == rule


def test_the_rule_flips_where_control_outweighs_quid_pro_quos_surplus() -> None:
    """V_hub + control >= V_qpq picks the hub: just below the gap quid pro quo, just above the
    hub (the values do not depend on the control weight)."""
    base = _rule_world({"control": 0.0, "revenue": 1.0})
    v = base.rule_values(base.stations[0])
    gap = v["quid_pro_quo"] - v["hub_and_spoke"]
    assert gap > 0
    assert _rule_world({"control": gap - 0.01, "revenue": 1.0}).stations[0].rule_name \
        == "quid_pro_quo"
    assert _rule_world({"control": gap + 0.01, "revenue": 1.0}).stations[0].rule_name \
        == "hub_and_spoke"
    assert base.stations[0].rule_name == "quid_pro_quo"


def test_the_chosen_rule_sets_the_founders_terms() -> None:
    states = [state("HUB", capability=0.9), state("FF", capability=0.4, assets={"money": 0.5}),
              state("GG", capability=0.4, assets={"money": 0.5})]  # an entrant to weigh
    model = make_model(states=states, stations=[station(
        rule="auto", founding_members=["FF"], objectives={"control": 0.0, "revenue": 5.0})])
    s = model.stations[0]
    assert s.rule_name == "quid_pro_quo" and s.member[ids(model, "FF")].all()
    assert s.contract_end[ids(model, "FF")][0] < 1000  # a quid-pro-quo contract, not NEVER


def test_a_station_never_opened_reports_auto() -> None:
    model = make_model(stations=[station(rule="auto", open_from=2050, close_at=2060)], steps=2)
    model.run()
    assert run_row(model)["s_rule"] == "auto"


def test_rule_auto_is_reproducible_for_a_seed() -> None:
    def run(seed: int) -> dict[str, object]:
        model = make_model(states=[state("HUB", capability=0.9)],
                           stations=[station(rule="auto")], seed=seed, steps=4,
                           generate=[{"count": 30, "prefix": "G"}])
        model.run()
        return run_row(model)

    first, again = run(7), run(7)
    assert first["s_rule"] in ("hub_and_spoke", "quid_pro_quo")
    assert first == again
    rules = {run(s)["s_rule"] for s in range(6)}  # the draw of states can change the choice
    assert rules <= {"hub_and_spoke", "quid_pro_quo"}


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("field, value, expect", [
    ("payload_slots", -1, "stations[0].payload_slots"),
    ("payload_every", 0, "stations[0].payload_every"),
    ("payload_channel", "embassy", "stations[0].payload_channel"),
    ("rule", "autp", "did you mean 'auto'"),
])
def test_bad_payload_and_rule_fields_are_named(field: str, value: object, expect: str) -> None:
    data = scenario_dict(stations=[station(**{field: value})])
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, source="bad.toml")
    assert expect in str(err.value) and "bad.toml" in str(err.value)


def test_the_cli_refuses_bad_payload_slots_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(tomli_w.dumps(scenario_dict(stations=[station(payload_slots=-2)])))
    out = tmp_path / "out"
    proc = run_cli("run", str(path), "--out", str(out))
    assert proc.returncode == 2
    assert "payload_slots" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() or not any(out.iterdir())


def test_payload_draws_leave_other_stations_alone() -> None:
    """Payloads draw from the model's generator only at a station that announces."""
    a = _ao_world("un", slots=2, steps=3, seed=3)
    b = _ao_world("un", slots=2, steps=3, seed=3)
    assert np.array_equal(a.stations[0].payloads, b.stations[0].payloads)


# ---------------------------------------------------------------- payloads before opening


def test_an_announcement_may_precede_the_opening() -> None:
    """The CSS's first call was decided in 2019, three years before it opened (payload_from):
    the experiments are selected in that year, with no member and no open station."""
    from helpers import START
    model = _ao_world("un", slots=3, steps=3, open_from=START + 2, payload_from=START,
                      payload_every=50)
    mem = membership_table(model)
    chosen = mem[mem["payloads"] > 0]
    assert len(chosen) == 3 and (chosen["first_payload_year"] == START).all()
    assert mem.loc[mem["payloads"] == 0, "first_payload_year"].isna().all()
    assert run_row(model)["s_payloads_flown"] == 3  # one announcement only


def test_payload_from_must_be_before_the_close() -> None:
    data = scenario_dict(stations=[station(payload_slots=1, payload_from=2100, close_at=2050)])
    with pytest.raises(ScenarioError, match="payload_from 2100: must be before close_at 2050"):
        scenario_from_dict(data)


def test_merit_noise_lets_a_state_the_host_values_less_win_sometimes() -> None:
    """Without the committee's merit score the host's ranking decides every time; with it,
    the state the host values less wins a share of the seeds."""
    guests = [state("RICH", capability=0.9, developing=False, alignment=0.9),
              state("POOR", capability=0.1, developing=True, alignment=-0.2)]

    def winners(sd: float) -> set[str]:
        out = set()
        for seed in range(12):
            mem = membership_table(_ao_world("un", slots=1, steps=1, guests=guests, seed=seed,
                                             parameters={"payload_merit_sd": sd}))
            out |= set(mem.loc[mem["payloads"] > 0, "iso3"])
        return out

    assert len(winners(0.0)) == 1
    assert winners(5.0) == {"RICH", "POOR"}


def test_a_payload_is_each_flyer_s_last_decision_there() -> None:
    """The explorer's state panel reads the record: a selected experiment is recorded as the
    state's last action at the station (with the step; payloads come after the year's
    negotiation), one not selected keeps whatever it did before (here: refused as a guest)."""
    model = _ao_world("un", slots=3, steps=1)
    s = model.stations[0]
    mem = membership_table(model)
    for iso, flown in zip(mem["iso3"], mem["payloads"], strict=True):
        if iso == "HUB":
            continue
        action, reason, step = s.last_decision(model.index[iso])
        if flown:
            assert (action, reason, step) == ("payload", "", 0)
        else:
            assert action != "payload"
    assert (mem["payloads"] > 0).sum() == 3
