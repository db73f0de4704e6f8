"""Each admission rule played against scripted states.

Trust, attributes and memberships are set directly on a small model, then the
rule's ``negotiate`` (or a whole model step) is asked what it does.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ids, make_model, set_trust, state, station, strictly_decreasing, trust_of
from rule_contract import RuleContract

from stationsim.model.params import PARAMETERS
from stationsim.rules import RULES

HUB_TRUST = float(PARAMETERS["hub_trust_threshold"].default)
UN_RELIEF = float(PARAMETERS["un_trust_relief"].default)


def decide(model, who: str):
    """The station's decision on the single applicant ``who``."""
    s = model.stations[0]
    return s.rule.negotiate(model.view(s), ids(model, who))


# ----------------------------------------------------------------------------- hub_and_spoke


@pytest.mark.parametrize("channel, screen", [("bilateral", HUB_TRUST),
                                             ("un", HUB_TRUST - UN_RELIEF)])
def test_hub_refuses_below_trust_threshold_and_admits_above(channel: str, screen: float) -> None:
    model = make_model(stations=[station(channel=channel)])
    set_trust(model, "HUB", "GST", screen - 0.02)
    low = decide(model, "GST")
    assert low.admitted.idx.size == 0
    assert low.reasons == ["trust"]

    set_trust(model, "HUB", "GST", screen + 0.02)
    high = decide(model, "GST")
    assert high.admitted.idx.tolist() == ids(model, "GST").tolist()
    assert high.refused.size == 0
    assert high.admitted.due[0] > 0  # a spoke pays its share of the cost


def test_hub_trust_refusal_through_a_model_step() -> None:
    """The whole step: the distrusted applicant applies, is refused for trust, stays out."""
    model = make_model(log_events=True)
    set_trust(model, "HUB", "GST", 0.1)
    model.step()
    assert ("S", "GST", "refused", "trust") in model.last_log
    assert not model.stations[0].member[model.index["GST"]]

    trusted = make_model(log_events=True)
    set_trust(trusted, "HUB", "GST", 0.9)
    trusted.step()
    assert ("S", "GST", "admitted", "") in trusted.last_log
    assert trusted.stations[0].member[trusted.index["GST"]]


@pytest.mark.parametrize("share_min", [0.5, 0.7, 0.9])
def test_hub_keeps_its_share_while_many_capable_states_apply(share_min: float) -> None:
    applicants = [state(f"C{k:02d}", capability=0.8 + 0.01 * k) for k in range(14)]
    model = make_model(states=[state("HUB", capability=1.0), *applicants],
                       stations=[station(capacity=14, host_share_min=share_min)],
                       steps=8, log_events=True)
    s = model.stations[0]
    refused_for_share = 0
    for _ in range(8):
        model.step()
        assert s.host_share() >= share_min - 1e-12
        refused_for_share += sum(1 for e in model.last_log if e[2:] == ("refused", "host_share"))
    assert s.members.size >= 1  # capable states did join ...
    assert refused_for_share > 0  # ... and the bound was what stopped the rest
    assert s.members.size < len(applicants)


def test_hub_share_bound_in_the_step_table() -> None:
    applicants = [state(f"C{k:02d}", capability=0.9) for k in range(10)]
    model = make_model(states=[state("HUB", capability=1.0), *applicants],
                       stations=[station(capacity=10, host_share_min=0.8)], steps=6)
    model.run()
    shares = np.array(model.step_records["host_cost_share"])
    assert (shares >= 0.8 - 1e-12).all()
    assert shares.min() < 1.0  # guests did pay something


def _veto_model(veto: bool):
    states = [state("HUB", capability=0.9), state("PTR", capability=0.5),
              state("NEW", capability=0.5, developing=True)]
    return make_model(states=states, stations=[station(partner_veto=veto,
                                                       founding_members=["PTR"])])


def test_partner_veto_blocks_a_distrusted_entrant() -> None:
    model = _veto_model(veto=True)
    set_trust(model, "PTR", "NEW", 0.05)
    dec = decide(model, "NEW")
    assert dec.admitted.idx.size == 0
    assert dec.reasons == ["veto"]

    # the same partner trusting the entrant lets it in
    set_trust(model, "PTR", "NEW", 0.9)
    assert decide(model, "NEW").admitted.idx.size == 1


def test_without_veto_the_distrusted_entrant_is_admitted() -> None:
    model = _veto_model(veto=False)
    set_trust(model, "PTR", "NEW", 0.05)
    dec = decide(model, "NEW")
    assert dec.admitted.idx.tolist() == ids(model, "NEW").tolist()


# ----------------------------------------------------------------------------- quid_pro_quo


def _qpq_model(assets: dict[str, float], values: dict[str, float] | None = None, **kw):
    """A costly station and a poor, distant, opaque applicant: the host wants paying."""
    st = station(rule="quid_pro_quo", operating_cost=10.0, channel="bilateral")
    if values is not None:
        st["asset_values"] = values
    poor = state("POOR", capability=0.05, continent="Africa", military_fusion=0.5,
                 transparency=0.2, assets=assets)
    return make_model(states=[state("HUB", capability=0.9), poor], stations=[st], **kw)


RIGHTS_VALUED = {"money": 1.0, "resource_rights": 0.6}


def test_qpq_low_capability_state_pays_with_assets() -> None:
    model = _qpq_model({"resource_rights": 3.0}, RIGHTS_VALUED)
    s = model.stations[0]
    dec = decide(model, "POOR")
    assert dec.admitted.idx.tolist() == ids(model, "POOR").tolist()
    # a contract: a price at least the host's reservation, for contract_steps
    r = s.rule.reservation(model.view(s), ids(model, "POOR"))
    assert dec.admitted.due[0] >= r[0] > 0
    assert dec.admitted.contract_end[0] == model.t + int(model.p["contract_steps"])


def test_qpq_same_state_without_assets_gets_no_contract() -> None:
    model = _qpq_model({}, RIGHTS_VALUED)
    dec = decide(model, "POOR")
    assert dec.admitted.idx.size == 0
    assert dec.reasons == ["price"]


def test_qpq_assets_the_host_does_not_value_buy_nothing() -> None:
    model = _qpq_model({"resource_rights": 3.0}, {"money": 1.0, "resource_rights": 0.0})
    dec = decide(model, "POOR")
    assert dec.admitted.idx.size == 0
    assert dec.reasons == ["price"]


@pytest.mark.parametrize("assets, joins", [({"resource_rights": 3.0}, True), ({}, False)])
def test_qpq_assets_decide_membership_over_a_run(assets: dict[str, float], joins: bool) -> None:
    model = _qpq_model(assets, RIGHTS_VALUED, steps=6)
    s = model.stations[0]
    poor = model.index["POOR"]
    was_member = False
    for _ in range(6):
        model.step()
        was_member |= bool(s.member[poor])
    assert was_member is joins
    assert bool(s.n_joins[poor] > 0) is joins


def test_qpq_price_above_value_gets_no_contract() -> None:
    """Raising the host's reservation price above the guest's value ends the deal."""
    model = _qpq_model({"resource_rights": 3.0}, RIGHTS_VALUED)
    s = model.stations[0]
    poor = ids(model, "POOR")
    w = float(s.rule.willingness(model.view(s), poor, entrant=True)[0])
    # slot cost so high that the reservation price exceeds the guest's willingness
    model.p["slot_cost_share"] = 0.3
    s.operating_cost = 10.0 + (w + 1.0) / 0.3
    assert float(s.rule.reservation(model.view(s), poor)[0]) > w
    dec = decide(model, "POOR")
    assert dec.admitted.idx.size == 0
    assert dec.reasons == ["price"]


def test_qpq_distrusted_guest_is_refused_for_trust() -> None:
    model = _qpq_model({"money": 5.0}, RIGHTS_VALUED)
    set_trust(model, "HUB", "POOR", 0.1)
    assert decide(model, "POOR").reasons == ["trust"]


# ----------------------------------------------------------------------------- defaulters


def _delivery_run(rule: str, reciprocity: float, steps: int = 8, **params: float):
    model = make_model(states=[state("HUB", capability=0.9),
                               state("GST", capability=0.5, developing=True,
                                     reciprocity=reciprocity)],
                       stations=[station(rule=rule)], parameters=params, steps=steps)
    s = model.stations[0]
    g = model.index["GST"]
    trust, member = [], []
    for _ in range(steps):
        model.step()
        trust.append(trust_of(model, "HUB", "GST"))
        member.append(bool(s.member[g]))
    return model, s, g, trust, member


@pytest.mark.parametrize("rule", ["hub_and_spoke", "quid_pro_quo"])
def test_guest_that_never_delivers_loses_trust_then_membership(rule: str) -> None:
    model, s, g, trust, member = _delivery_run(rule, reciprocity=0.0)
    assert member[0], "the guest is admitted at first"
    first_out = member.index(False)
    # while a member, every step of non-delivery cuts the host's trust
    assert strictly_decreasing(trust[:first_out])
    assert trust[first_out - 1] < trust_of_start(rule) - 0.2
    assert s.exit_reason[g] == "expelled"
    assert s.defaults_total[g] >= int(model.p["expel_defaults"])


def trust_of_start(rule: str) -> float:
    return trust_of(make_model(stations=[station(rule=rule)]), "HUB", "GST")


@pytest.mark.parametrize("rule", ["hub_and_spoke", "quid_pro_quo"])
def test_guest_that_delivers_keeps_trust_and_membership(rule: str) -> None:
    _, s, g, trust, member = _delivery_run(rule, reciprocity=1.0)
    assert all(member)
    assert trust[-1] > trust_of_start(rule)
    assert s.exit_reason[g] == ""


def test_qpq_contract_of_a_defaulter_is_not_renewed() -> None:
    """Without expulsion, the quid-pro-quo contract still ends once trust has gone."""
    model, s, g, trust, member = _delivery_run("quid_pro_quo", 0.0, steps=12,
                                               expel_defaults=0, expel_trust=0.0)
    assert member[0] and not member[-1]
    assert s.exit_reason[g] == "contract_end"
    last_in = member.index(False) - 1
    screen = model.trust_screen(s, float(model.p["qpq_trust_threshold"]))
    assert trust[last_in] < screen  # ended because the host no longer trusts it


# ----------------------------------------------------------------------------- the contract


class TestHubAndSpokeContract(RuleContract):
    rule = "hub_and_spoke"


class TestQuidProQuoContract(RuleContract):
    rule = "quid_pro_quo"


def test_every_registered_rule_has_a_contract_class() -> None:
    tested = {c.rule for c in RuleContract.__subclasses__()}
    assert tested == set(RULES), f"rules without a contract test class: {set(RULES) - tested}"
