"""Admission rules: the interface (:mod:`~stationsim.rules.base`), the order in
which hosts consider applicants (:mod:`~stationsim.rules.ordering`), one module
per rule, and the registry (``RULES``) that scenario files name them by.

A third rule is one new module that defines a
:class:`~stationsim.rules.base.Rule` subclass decorated with
:func:`~stationsim.rules.registry.register`, imported below, and one contract
test class in ``tests/test_rules.py``.
"""

from __future__ import annotations

from stationsim.rules import hub_and_spoke, quid_pro_quo
from stationsim.rules.base import REFUSAL_REASONS, Decision, Rule, StationContext, Terms
from stationsim.rules.registry import RULES, get_rule, register

__all__ = ["REFUSAL_REASONS", "RULES", "Decision", "Rule", "StationContext", "Terms",
           "get_rule", "hub_and_spoke", "quid_pro_quo", "register"]
