"""The interface every admission rule shares.

A rule decides, for one station, on what terms an applicant may join
(:meth:`Rule.quote`, used by applicants in the evaluate phase), whom the host
admits this step (:meth:`Rule.negotiate`), the terms of a member that joins
outside negotiation (founders, ``join`` events: :meth:`Rule.terms`), and which
members' agreements end (:meth:`Rule.review`).  All methods work on arrays of
state indices at once.  A new rule is one module that subclasses :class:`Rule`
and registers itself with :func:`stationsim.rules.register`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from stationsim.model import StationModel
    from stationsim.stations import Station

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Reasons a host refuses an applicant (codes stored in the step log).
REFUSAL_REASONS = ("trust", "value", "capacity", "host_share", "veto", "host_gain", "price",
                   "ban")


@dataclass
class Terms:
    """Terms of membership for a set of states.

    Attributes
    ----------
    idx : array of int
        State indices.
    due : array of float
        Payment per step, in the common utility unit.
    rights : array of float
        Utilisation rights in [0, 1] (share of full access).
    contract_end : array of int
        Step at which the agreement ends and is reviewed (a large number
        for open-ended agreements).
    """

    idx: IntArray
    due: FloatArray
    rights: FloatArray
    contract_end: IntArray


#: Code of each refusal reason in :attr:`Decision.codes` (0 is "not refused").
REASON_CODE = {r: k + 1 for k, r in enumerate(REFUSAL_REASONS)}


@dataclass
class Decision:
    """Outcome of one negotiation round at one station.

    ``admitted`` carries the terms of the states admitted; ``refused`` the
    indices refused and ``codes`` the reason of each as a code of
    :data:`REASON_CODE` (``reasons`` gives them as strings of
    :data:`REFUSAL_REASONS`).
    """

    admitted: Terms
    refused: IntArray
    codes: npt.NDArray[np.int8]

    @property
    def reasons(self) -> list[str]:
        """The refusal reason of each refused state."""
        return [REFUSAL_REASONS[c - 1] for c in self.codes.tolist()]


NEVER = 2**31 - 1


class Rule:
    """Base class of admission rules (see module docstring)."""

    #: Name used in scenario files (``rule = "..."``).
    name: ClassVar[str] = ""
    #: Whether :meth:`quote` depends only on attributes, parameters and station
    #: settings (not on trust or membership), so the model may cache it per step.
    quote_is_static: ClassVar[bool] = False

    def ability(self, model: StationModel, station: Station, idx: IntArray) -> FloatArray:
        """Ability to pay of states ``idx`` under this rule (payment / ability = felt cost).

        The base form is ``ability_floor + capability + money`` (MODEL.md, units).
        """
        p = model.p
        return np.asarray(p["ability_floor"] + model.capability[idx] + model.asset("money")[idx])

    def quote(self, model: StationModel, station: Station, idx: IntArray) -> Terms:
        """Terms an applicant expects before negotiating (used in evaluate)."""
        raise NotImplementedError

    def negotiate(self, model: StationModel, station: Station, applicants: IntArray) -> Decision:
        """Decide which applicants the host admits this step, and on what terms."""
        raise NotImplementedError

    def terms(self, model: StationModel, station: Station, idx: IntArray) -> Terms:
        """Terms of states that join without negotiating (founders, ``join`` events)."""
        return self.quote(model, station, idx)

    def review(self, model: StationModel, station: Station) -> tuple[IntArray, Terms]:
        """Members whose agreement ends now and is not renewed, and renewed terms.

        The default (open-ended agreements) ends nothing.
        """
        empty = np.empty(0, dtype=np.int64)
        return empty, Terms(empty, np.empty(0), np.empty(0), empty.copy())


def empty_terms() -> Terms:
    """Terms for no state."""
    e = np.empty(0, dtype=np.int64)
    return Terms(e, np.empty(0), np.empty(0), e.copy())
