"""The error of a bad user file (:class:`ScenarioError`) and the helpers its messages
share (:func:`short_list`, :data:`PARAMS_POINTER`)."""

from __future__ import annotations

from typing import Any


def short_list(names: Any, limit: int = 12, more: str = "") -> str:
    """Names joined by commas; beyond ``limit``, the first ones and how many more (``more``
    says where the rest are listed)."""
    names = [str(n) for n in names]
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f", ... and {len(names) - limit} more{more}"


#: Where the full list of parameters is, for messages.
PARAMS_POINTER = "; every parameter with its bounds and default: `stationsim params`"


class ScenarioError(ValueError):
    """A scenario (or sweep) file is invalid.

    The message names the file, the field path and what is allowed, one
    problem per line.
    """
