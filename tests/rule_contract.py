"""The contract every admission rule keeps (Axelrod's ``TestPlayer`` pattern).

A rule's tests subclass :class:`RuleContract` and set ``rule``; the inherited
tests then check, on generated worlds, what every rule must do whatever its
mechanism: applicants are partitioned into admitted and refused, each refusal
has a declared reason, slots are never exceeded, terms are well formed, the
rule cannot write to the model through its view, it draws only from the
model's generator (same seed, same decision), and it cites its paper.
A new rule is tested by adding one such class (``tests/test_rules.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_model, state, station

from stationsim.rules import REFUSAL_REASONS, RULES
from stationsim.rules.base import NEVER

#: Worlds the contract is checked on: (free slots, applicants, seed).
WORLDS = [(1, 6, 1), (3, 6, 2), (8, 6, 3), (2, 12, 4), (0, 4, 5)]


def _world(rule: str, slots: int, n_apps: int, seed: int):
    rng = np.random.default_rng(seed)
    states = [state("HUB", capability=0.9, reciprocity=0.9, transparency=0.5,
                    military_fusion=0.5, alignment=0.0, assets={"money": 1.0})]
    for k in range(n_apps):
        states.append(state(f"A{k:02d}", capability=float(rng.random()),
                            reciprocity=float(rng.random()),
                            transparency=float(rng.random()),
                            military_fusion=float(rng.random()),
                            alignment=float(rng.uniform(-1, 1)),
                            developing=bool(rng.random() < 0.5),
                            assets={"money": float(rng.random())}))
    st = station(rule=rule, capacity=slots, asset_values={"money": 1.0})
    model = make_model(states=states, stations=[st], seed=seed)
    s = model.stations[0]
    apps = np.array([model.index[f"A{k:02d}"] for k in range(n_apps)], dtype=np.int64)
    return model, s, apps


class RuleContract:
    """Inherit and set ``rule`` to the rule's registered name."""

    rule: str = ""

    def test_is_registered_and_cites_its_paper(self) -> None:
        cls = RULES[self.rule]
        assert cls.name == self.rule
        module_doc = __import__(cls.__module__, fromlist=["_"]).__doc__ or ""
        assert any(key in module_doc for key in ("Foley", "Cheng", "Wu", "seed 00", "O'Brien")), \
            f"{self.rule}: the module docstring names no source paper"

    @pytest.mark.parametrize("slots, n_apps, seed", WORLDS)
    def test_negotiate_partitions_applicants(self, slots: int, n_apps: int, seed: int) -> None:
        model, s, apps = _world(self.rule, slots, n_apps, seed)
        dec = s.rule.negotiate(model.view(s), apps)
        got = np.concatenate([dec.admitted.idx, dec.refused])
        assert sorted(got.tolist()) == sorted(apps.tolist())
        assert len(set(got.tolist())) == got.size
        assert dec.admitted.idx.size <= slots
        assert dec.codes.size == dec.refused.size
        assert set(dec.reasons) <= set(REFUSAL_REASONS)
        assert (dec.codes > 0).all()

    @pytest.mark.parametrize("slots, n_apps, seed", WORLDS)
    def test_terms_are_well_formed(self, slots: int, n_apps: int, seed: int) -> None:
        model, s, apps = _world(self.rule, slots, n_apps, seed)
        ctx = model.view(s)
        for terms in (s.rule.quote(ctx, apps), s.rule.terms(ctx, apps),
                      s.rule.negotiate(ctx, apps).admitted):
            k = terms.idx.size
            assert terms.due.shape == terms.rights.shape == terms.contract_end.shape == (k,)
            assert np.isfinite(terms.due).all() and (terms.due >= 0).all()
            assert ((terms.rights >= 0) & (terms.rights <= 1)).all()
            assert ((terms.contract_end > model.t) & (terms.contract_end <= NEVER)).all()
        ab = s.rule.ability(ctx, apps)
        assert ab.shape == apps.shape and (ab > 0).all()

    @pytest.mark.parametrize("slots, n_apps, seed", WORLDS[:3])
    def test_same_seed_same_decision(self, slots: int, n_apps: int, seed: int) -> None:
        decisions = []
        for _ in range(2):
            model, s, apps = _world(self.rule, slots, n_apps, seed)
            dec = s.rule.negotiate(model.view(s), apps)
            decisions.append((dec.admitted.idx.tolist(), dec.refused.tolist(),
                              dec.codes.tolist(), dec.admitted.due.tolist()))
        assert decisions[0] == decisions[1]

    def test_negotiating_changes_nothing_in_the_model(self) -> None:
        model, s, apps = _world(self.rule, 3, 6, 7)
        before = (model.capability.copy(), s.member.copy(), s.due.copy(),
                  s.contract_end.copy(), model.trust.get(apps, apps[::-1]).copy())
        s.rule.negotiate(model.view(s), apps)
        s.rule.review(model.view(s))
        after = (model.capability, s.member, s.due, s.contract_end,
                 model.trust.get(apps, apps[::-1]))
        for a, b in zip(before, after, strict=True):
            assert np.array_equal(a, b)

    def test_the_view_is_read_only(self) -> None:
        model, s, _ = _world(self.rule, 3, 6, 8)
        ctx = model.view(s)
        for col in (ctx.capability, ctx.members, ctx.contract_end, ctx.asset_values):
            with pytest.raises(ValueError, match="read-only"):
                col[...] = 0
        with pytest.raises(TypeError):
            ctx.p["learn_rate"] = 0.0  # type: ignore[index]

    def test_review_ends_only_members(self) -> None:
        model, s, _ = _world(self.rule, 4, 6, 9)
        model.run()
        ended, renewed = s.rule.review(model.view(s))
        members = set(s.members.tolist())
        assert set(ended.tolist()) <= members and set(renewed.idx.tolist()) <= members
        assert not set(ended.tolist()) & set(renewed.idx.tolist())
