"""The registry of admission rules: scenario name -> rule class."""

from __future__ import annotations

from stationsim.rules.base import Rule

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
