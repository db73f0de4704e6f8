"""Admission rules and their registry.

``RULES`` maps a rule's scenario name to its class.  Both rules of the
literature register here; a third is one new module that defines a
:class:`~stationsim.rules.base.Rule` subclass decorated with :func:`register`
and is imported below.
"""

from __future__ import annotations

from stationsim.rules.base import Decision, Rule, Terms

RULES: dict[str, type[Rule]] = {}

def register[R: type[Rule]](cls: R) -> R:
    """Class decorator: add a rule to :data:`RULES` under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"rule {cls.__name__} has no name")
    if cls.name in RULES and RULES[cls.name] is not cls:
        raise ValueError(f"rule name {cls.name!r} is already registered")
    RULES[cls.name] = cls
    return cls


def get_rule(name: str) -> Rule:
    """Return an instance of the rule registered as ``name``."""
    try:
        return RULES[name]()
    except KeyError:
        raise KeyError(f"unknown rule {name!r}; allowed: {', '.join(sorted(RULES))}") from None


from stationsim.rules import hub_and_spoke, quid_pro_quo  # noqa: E402,F401  (registration)

__all__ = ["RULES", "Decision", "Rule", "Terms", "get_rule", "register"]
