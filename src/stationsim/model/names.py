"""Suggestions for mistyped names: "did you mean ...?" in every message about an unknown
name (scenario fields, parameters, rules, states, stations, event types, ``--by`` columns).

It sits below :mod:`stationsim.model.scenario` and :mod:`stationsim.model.events` so that
both (and the rooms above) use the one helper.
"""

from __future__ import annotations

import difflib
from typing import Any


def did_you_mean(name: Any, choices: Any) -> str:
    """`` (did you mean 'learn_rate'?)`` for a name close to one of ``choices`` (difflib), else
    an empty string."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=3, cutoff=0.6)
    if not close:
        return ""
    score = [difflib.SequenceMatcher(None, str(name), c).ratio() for c in close]
    close = [c for c, r in zip(close, score, strict=True) if r >= max(score) - 0.1]
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
