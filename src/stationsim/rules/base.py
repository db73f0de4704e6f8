"""The interface every admission rule shares, and what a rule sees of the model.

A rule decides, for one station, on what terms an applicant may join
(:meth:`Rule.quote`, used by applicants in the evaluate phase), whom the host
admits this step (:meth:`Rule.negotiate`), the terms of a member that joins
outside negotiation (founders, ``join`` events: :meth:`Rule.terms`), and which
members' agreements end (:meth:`Rule.review`).  All methods work on arrays of
state indices at once.

A rule sees the model only through a :class:`StationContext`: read-only
columns over all states and pure functions of them, for one station, at the
current step.  It never imports or changes the model; it returns
:class:`Terms` and :class:`Decision` values that the model applies.  A new
rule is one module that subclasses :class:`Rule`, registers itself with
:func:`stationsim.rules.register`, and adds one contract test class
(``tests/test_rules.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Reasons a host refuses an applicant (codes stored in the step log; one
#: ``<station>_refusals_<reason>`` outcome column each).
REFUSAL_REASONS = ("trust", "value", "capacity", "host_share", "veto", "host_gain", "price",
                   "ban")

#: Code of each refusal reason in :attr:`Decision.codes` (0 is "not refused").
REASON_CODE = {r: k + 1 for k, r in enumerate(REFUSAL_REASONS)}

#: Contract end of an open-ended agreement.
NEVER = 2**31 - 1


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
        Step at which the agreement ends and is reviewed (:data:`NEVER` for
        open-ended agreements).
    """

    idx: IntArray
    due: FloatArray
    rights: FloatArray
    contract_end: IntArray

    def take(self, keep: BoolArray | IntArray) -> Terms:
        """The terms of the states selected by ``keep`` (a mask or positions)."""
        return Terms(self.idx[keep], self.due[keep], self.rights[keep], self.contract_end[keep])


def empty_terms() -> Terms:
    """Terms for no state."""
    e = np.empty(0, dtype=np.int64)
    return Terms(e, np.empty(0), np.empty(0), e.copy())


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


class StationContext(Protocol):
    """What a rule sees of the model, for one station at the current step.

    Columns are over all states, indexed by state index, and read-only; the
    functions compute from them without changing anything, except
    :meth:`uniform`, which draws from the model's generator (so a run stays
    fixed by its seed).  The model implements it
    (``stationsim.model.views.RuleView``).
    """

    #: Current parameter values (read-only mapping).
    p: Mapping[str, Any]

    @property
    def t(self) -> int:
        """Current step."""

    @property
    def capability(self) -> FloatArray:
        """Capability of every state."""

    @property
    def asset_names(self) -> tuple[str, ...]:
        """Names of the assets, in column order of :attr:`assets`."""

    @property
    def assets(self) -> npt.NDArray[np.float64]:
        """States x assets holdings."""

    def asset(self, name: str) -> FloatArray:
        """Column of asset ``name`` (zeros if no state has it)."""

    # --- the station
    @property
    def host(self) -> int:
        """Index of the station's host."""

    @property
    def members(self) -> IntArray:
        """Guest members (founders included), in index order."""

    @property
    def free_slots(self) -> int:
        """Guest slots left."""

    @property
    def operating_cost(self) -> float:
        """Operating cost per step."""

    @property
    def host_share_min(self) -> float:
        """Least share of the cost the host keeps (hub-and-spoke)."""

    @property
    def partner_veto(self) -> bool:
        """Whether members may block an entrant."""

    @property
    def asset_values(self) -> FloatArray:
        """The host's value of each asset (``asset_values`` of the station)."""

    @property
    def contract_end(self) -> IntArray:
        """Step at which each state's agreement ends (over all states)."""

    def guest_contributions(self) -> float:
        """What the members pay per step now."""

    # --- valuations (see docs/odd.md, *Submodels*)
    def host_trust(self, idx: IntArray) -> FloatArray:
        """Trust of the host in states ``idx``."""

    def trust_between(self, sources: IntArray, targets: IntArray) -> FloatArray:
        """Trust of each ``sources[k]`` in ``targets[k]``."""

    def host_distance(self, idx: IntArray) -> FloatArray:
        """Normalised alignment distance of states ``idx`` to the host."""

    def regional(self, idx: IntArray) -> BoolArray:
        """Whether states ``idx`` share the host's region (``regional_scope``)."""

    def developing(self, idx: IntArray) -> BoolArray:
        """Whether states ``idx`` are developing."""

    def ability(self, idx: IntArray) -> FloatArray:
        """Ability to pay of states ``idx`` under the station's rule."""

    def gross_benefit(self, idx: IntArray, rights: FloatArray | float) -> FloatArray:
        """Benefit per step of membership before costs."""

    def lifetime_factor(self) -> float:
        """Share of full benefit an entrant expects from the station's remaining life."""

    def political_cost(self, idx: IntArray) -> FloatArray:
        """Political cost to states ``idx`` of partnering with the host."""

    def host_value(self, idx: IntArray) -> FloatArray:
        """What the host gains from guests ``idx`` besides payment, per step."""

    def host_gain(self, idx: IntArray, pay: FloatArray) -> FloatArray:
        """Host's expected gain per step from admitting ``idx`` paying ``pay``."""

    def trust_screen(self, threshold: float) -> float:
        """Trust the host requires, given the station's channel."""

    def weight(self, objective: str) -> float:
        """The host's weight of an objective (its own, else the global ``w_<objective>``)."""

    def uniform(self, n: int) -> FloatArray:
        """``n`` uniform draws from the model's generator."""


class Rule:
    """Base class of admission rules (see module docstring)."""

    #: Name used in scenario files (``rule = "..."``).
    name: ClassVar[str] = ""
    #: Whether :meth:`quote` depends only on attributes, parameters and station
    #: settings (not on trust or membership), so the model may cache it per step.
    quote_is_static: ClassVar[bool] = False

    def ability(self, ctx: StationContext, idx: IntArray) -> FloatArray:
        """Ability to pay of states ``idx`` under this rule (payment / ability = felt cost).

        The base form is ``ability_floor + capability + money`` (docs/odd.md, *units*).
        """
        return np.asarray(ctx.p["ability_floor"] + ctx.capability[idx] + ctx.asset("money")[idx])

    def quote(self, ctx: StationContext, idx: IntArray) -> Terms:
        """Terms an applicant expects before negotiating (used in evaluate)."""
        raise NotImplementedError

    def negotiate(self, ctx: StationContext, applicants: IntArray) -> Decision:
        """Decide which applicants the host admits this step, and on what terms."""
        raise NotImplementedError

    def terms(self, ctx: StationContext, idx: IntArray) -> Terms:
        """Terms of states that join without negotiating (founders, ``join`` events)."""
        return self.quote(ctx, idx)

    def review(self, ctx: StationContext) -> tuple[IntArray, Terms]:
        """Members whose agreement ends now and is not renewed, and renewed terms.

        The default (open-ended agreements) ends nothing.
        """
        return np.empty(0, dtype=np.int64), empty_terms()
