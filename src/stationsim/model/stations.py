"""Stations: host, rule, capacity, lifetime, and the membership arrays.

A :class:`Station` holds its settings from the scenario (docs/odd.md, *Station*)
and, for every state, arrays of membership state (member or not, terms,
streaks, join and exit steps), so that every phase of a step works on all
states at once.  Founders use capacity (docs/odd.md, *capacity*).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from stationsim.model import payloads
from stationsim.model.market import SELLER_KINDS
from stationsim.model.scenario import AUTO_RULE, SellerSpec, StationSpec
from stationsim.rules.base import NEVER, REFUSAL_REASONS, Rule, Terms
from stationsim.rules.registry import get_rule

#: Reasons a member leaves a station (``Station.exit_reason``, the step log).
EXIT_REASONS = ("closed", "ban", "expelled", "contract_end", "utility", "event", "capacity")
#: What a state last did at a station (codes of ``Station.last_action``; 0: nothing yet).
LAST_ACTIONS = ("", "applied", "admitted", "refused", "exit", "flight", "payload")
#: The reason of that last action (codes of ``Station.last_reason``): "" for an application,
#: a negotiated admission or a payload, ``forced`` (founder, ``join`` event), a refusal
#: reason of :data:`~stationsim.rules.base.REFUSAL_REASONS` or ``ineligible``, an exit reason
#: of :data:`EXIT_REASONS`, the kind of seller of a guest flight (:data:`SELLER_KINDS`).
LAST_REASONS = tuple(dict.fromkeys(("", "forced", *REFUSAL_REASONS, "ineligible",
                                    *EXIT_REASONS, *SELLER_KINDS)))
_ACTION_CODE = {a: k for k, a in enumerate(LAST_ACTIONS)}
_REASON_CODE = {r: k for k, r in enumerate(LAST_REASONS)}
#: ``Decision.codes`` (0 none, k: ``REFUSAL_REASONS[k - 1]``) as codes of :data:`LAST_REASONS`
_FROM_REFUSAL = np.array([_REASON_CODE[r] for r in ("", *REFUSAL_REASONS)], dtype=np.int8)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class StepCounts:
    """What happened at a station during one step."""

    applications: int = 0
    admissions: int = 0
    refusals: int = 0
    defaults: int = 0
    host_defaults: int = 0
    exits: int = 0
    host_utility: float = 0.0
    guest_utility: float = 0.0


@dataclass
class Station:
    """A space station and its membership.

    Attributes are the scenario's settings (``name``, ``host`` as a state
    index, ``rule_name`` ...) plus arrays over all ``n`` states.
    """

    name: str
    host: int
    rule_name: str
    capacity: int
    operating_cost: float
    open_from: int
    close_at: int
    host_share_min: float
    partner_veto: bool
    channel: str
    asset_values: FloatArray
    founders: IntArray
    n: int
    #: the host's own weights (``HOST_OBJECTIVES``), replacing the global ones
    objectives: dict[str, float] = field(default_factory=dict)
    #: who sells guest-flight seats: (seller index or -1 for a commercial provider, spec)
    sellers: list[tuple[int, SellerSpec]] = field(default_factory=list)
    #: payloads (model v2, :mod:`~stationsim.model.payloads`): experiments selected per
    #: announcement of opportunity (0: none), years between announcements, and the
    #: announcement's channel (None: the station's)
    payload_slots: int = 0
    payload_every: int = 1
    payload_channel: str | None = None
    #: year of the first announcement (None: the opening year); may precede the opening
    payload_from: int | None = None
    #: the station this one succeeds (``successor_of``): its members get the first offer
    successor_of: str | None = None
    rule: Rule = field(init=False)
    member: BoolArray = field(init=False)
    founder: BoolArray = field(init=False)
    join_step: IntArray = field(init=False)
    first_join_step: IntArray = field(init=False)
    exit_step: IntArray = field(init=False)
    exit_reason: list[str] = field(init=False)
    n_joins: IntArray = field(init=False)
    due: FloatArray = field(init=False)
    rights: FloatArray = field(init=False)
    contract_end: IntArray = field(init=False)
    low_streak: IntArray = field(init=False)
    default_streak: IntArray = field(init=False)
    defaults_total: IntArray = field(init=False)
    cooldown_until: IntArray = field(init=False)
    delivered_last: FloatArray = field(init=False)
    cum_utility: FloatArray = field(init=False)
    years_member: IntArray = field(init=False)
    #: refusals at negotiation by reason code (0: none; see REFUSAL_REASONS)
    refusal_counts: IntArray = field(init=False)
    #: guest flights of each state's nationals, and the step of its first and last
    flights: IntArray = field(init=False)
    first_flight_step: IntArray = field(init=False)
    last_flight_step: IntArray = field(init=False)
    #: seats sold by kind of seller (host, partner, commercial) and the host's revenue
    seats_sold: IntArray = field(init=False)
    #: experiments of each state flown through the station's announcements of opportunity
    payloads: IntArray = field(init=False)
    #: the step of each state's first selected experiment (-1: none)
    first_payload_step: IntArray = field(init=False)
    #: each state's last action here, its reason and step (:meth:`note`): plain data the
    #: explorer reads; no phase reads it back
    last_action: npt.NDArray[np.int8] = field(init=False)
    last_reason: npt.NDArray[np.int8] = field(init=False)
    last_step: IntArray = field(init=False)
    seat_revenue: float = 0.0
    host_cum_utility: float = 0.0
    host_delivered_last: float = 1.0
    #: per-contract delivery (``host_delivery = "per_contract"``): what the host
    #: delivered to each state at its last step as a member
    host_delivered_to: FloatArray = field(init=False)
    opened: bool = False
    closed: bool = False
    first_guest_year: int | None = None
    totals: StepCounts = field(default_factory=StepCounts)
    now: StepCounts = field(default_factory=StepCounts)
    #: incremented by every change of membership (admit, remove)
    version: int = 0
    #: incremented by every change of terms (admit, renew, remove): ``due`` is written only
    #: there, so :meth:`guest_contributions` is kept per terms version
    terms_version: int = 0
    _paid: tuple[int, float] = field(default=(-1, 0.0), repr=False, compare=False)
    #: the membership version :attr:`members` and the participants were listed at (-1: never)
    _listed: int = field(default=-1, repr=False, compare=False)
    _members: IntArray = field(init=False, repr=False, compare=False)
    _participants: IntArray = field(init=False, repr=False, compare=False)
    _sorted: IntArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = self.n
        # rule "auto": the host chooses at opening (StationModel.choose_rule); until then
        # the station holds hub_and_spoke's rule object, never used while it is closed
        self.rule = get_rule("hub_and_spoke" if self.rule_name == AUTO_RULE else self.rule_name)
        self.member = np.zeros(n, dtype=bool)
        self.founder = np.zeros(n, dtype=bool)
        self.founder[self.founders] = True
        self.join_step = np.full(n, -1, dtype=np.int64)
        self.first_join_step = np.full(n, -1, dtype=np.int64)
        self.exit_step = np.full(n, -1, dtype=np.int64)
        self.exit_reason = [""] * n
        self.n_joins = np.zeros(n, dtype=np.int64)
        self.due = np.zeros(n)
        self.rights = np.zeros(n)
        self.contract_end = np.full(n, NEVER, dtype=np.int64)
        self.low_streak = np.zeros(n, dtype=np.int64)
        self.default_streak = np.zeros(n, dtype=np.int64)
        self.defaults_total = np.zeros(n, dtype=np.int64)
        self.cooldown_until = np.zeros(n, dtype=np.int64)
        self.delivered_last = np.ones(n)
        self.host_delivered_to = np.ones(n)
        self.cum_utility = np.zeros(n)
        self.years_member = np.zeros(n, dtype=np.int64)
        self.refusal_counts = np.zeros(len(REFUSAL_REASONS) + 1, dtype=np.int64)
        self.flights = np.zeros(n, dtype=np.int64)
        self.first_flight_step = np.full(n, -1, dtype=np.int64)
        self.last_flight_step = np.full(n, -1, dtype=np.int64)
        self.seats_sold = np.zeros(3, dtype=np.int64)
        self.payloads = np.zeros(n, dtype=np.int64)
        self.first_payload_step = np.full(n, -1, dtype=np.int64)
        self.last_action = np.zeros(n, dtype=np.int8)
        self.last_reason = np.zeros(n, dtype=np.int8)
        self.last_step = np.full(n, -1, dtype=np.int64)

    @classmethod
    def from_spec(cls, spec: StationSpec, index: dict[str, int], asset_names: list[str]) -> Station:
        """Build a station from its scenario entry; ``index`` maps iso3 to state index."""
        values = np.array([spec.asset_values.get(a, 0.0) for a in asset_names], dtype=np.float64)
        return cls(
            name=spec.name,
            host=index[spec.host],
            rule_name=spec.rule,
            capacity=spec.capacity,
            operating_cost=spec.operating_cost,
            open_from=spec.open_from,
            close_at=spec.close_at,
            host_share_min=spec.host_share_min,
            partner_veto=spec.partner_veto,
            channel=spec.channel,
            asset_values=values,
            founders=np.array([index[f] for f in spec.founding_members], dtype=np.int64),
            n=len(index),
            objectives={str(k): float(v) for k, v in spec.objectives.items()},
            sellers=[(index[x.seller] if x.seller != "commercial" else -1, x)
                     for x in spec.sellers],
            payload_slots=spec.payload_slots,
            payload_every=spec.payload_every,
            payload_channel=spec.payload_channel,
            payload_from=spec.payload_from,
            successor_of=spec.successor_of,
        )

    def announces_payloads(self, year: int) -> bool:
        """Whether the station issues an announcement of opportunity in ``year``: from
        ``payload_from`` (default: opening) every ``payload_every`` years until it closes
        (:func:`stationsim.model.payloads.announces`)."""
        start = self.open_from if self.payload_from is None else self.payload_from
        if not start <= year < self.close_at or self.closed:
            return False
        return payloads.announces(year, start, self.payload_slots, self.payload_every)

    def weight(self, objective: str, p: Mapping[str, Any]) -> float:
        """The host's weight of ``objective``: its own (``objectives``), else the global
        parameter ``w_<objective>`` (``revenue``: 1)."""
        if objective in self.objectives:
            return float(self.objectives[objective])
        return 1.0 if objective == "revenue" else float(p[f"w_{objective}"])

    def set_rule(self, name: str) -> None:
        """Switch the admission rule (a ``set_station`` event); members keep their terms."""
        self.rule_name = name
        self.rule = get_rule(name)

    def is_open(self, year: int) -> bool:
        """Whether the station operates in ``year`` (``open_from <= year < close_at``)."""
        return self.open_from <= year < self.close_at

    def _list(self) -> None:
        """List the members, participants and sorted participants, kept per membership
        version (read by the properties below without a call while it holds).

        ``member`` is written only by :meth:`admit` and :meth:`remove`, which
        bump ``version``; the listed arrays must not be modified.
        """
        m = self.member.nonzero()[0]
        parts = np.empty(m.size + 1, dtype=np.int64)
        parts[0] = self.host
        parts[1:] = m
        pos = int(m.searchsorted(self.host))
        ordered = np.empty(m.size + 1, dtype=np.int64)
        ordered[:pos] = m[:pos]
        ordered[pos] = self.host
        ordered[pos + 1:] = m[pos:]
        self._members, self._participants, self._sorted = m, parts, ordered
        self._listed = self.version

    @property
    def members(self) -> IntArray:
        """Indices of current guest members (founders included, host excluded)."""
        if self._listed != self.version:
            self._list()
        return self._members

    @property
    def participants(self) -> IntArray:
        """The host followed by the current members."""
        if self._listed != self.version:
            self._list()
        return self._participants

    @property
    def participants_sorted(self) -> IntArray:
        """The host and the current members, in index order."""
        if self._listed != self.version:
            self._list()
        return self._sorted

    @property
    def free_slots(self) -> int:
        """Guest slots still free."""
        return max(0, self.capacity - int(self.members.size))

    def guest_contributions(self) -> float:
        """Sum of members' dues per step (summed once per terms version)."""
        c = self._paid
        if c[0] != self.terms_version:
            c = self._paid = (self.terms_version, float(self.due[self.members].sum()))
        return c[1]

    def host_share(self, extra: float = 0.0) -> float:
        """Host's share of the station's cost, after ``extra`` more guest contribution.

        The host pays what guests do not: ``max(0, cost - contributions) / cost``.
        This is the quantity ``host_share_min`` bounds (docs/odd.md: hub keeps the
        majority share).
        """
        paid = self.guest_contributions() + extra
        return max(0.0, self.operating_cost - paid) / self.operating_cost

    def admit(self, terms: Terms, step: int) -> None:
        """Make ``terms.idx`` members on ``terms`` from ``step``."""
        idx = terms.idx
        if idx.size == 0:
            return
        self.version += 1
        self.terms_version += 1
        self.member[idx] = True
        self.join_step[idx] = step
        first = self.first_join_step[idx] < 0
        self.first_join_step[idx[first]] = step
        self.n_joins[idx] += 1
        self.due[idx] = terms.due
        self.rights[idx] = terms.rights
        self.contract_end[idx] = terms.contract_end
        self.low_streak[idx] = 0
        self.default_streak[idx] = 0
        self.delivered_last[idx] = 1.0

    def renew(self, terms: Terms) -> None:
        """Replace the terms of current members ``terms.idx``."""
        self.terms_version += 1
        self.due[terms.idx] = terms.due
        self.rights[terms.idx] = terms.rights
        self.contract_end[terms.idx] = terms.contract_end

    def note(self, idx: IntArray, action: str, reason: str, step: int) -> None:
        """Record that states ``idx`` last did ``action`` (:data:`LAST_ACTIONS`) here for
        ``reason`` (:data:`LAST_REASONS`) at ``step``."""
        self.last_action[idx] = _ACTION_CODE[action]
        self.last_reason[idx] = _REASON_CODE[reason]
        self.last_step[idx] = step

    def note_refused(self, idx: IntArray, codes: npt.NDArray[np.int8], step: int) -> None:
        """Record refusals of ``idx`` at ``step`` for reasons ``codes`` (``Decision.codes``)."""
        self.last_action[idx] = _ACTION_CODE["refused"]
        self.last_reason[idx] = _FROM_REFUSAL[codes]
        self.last_step[idx] = step

    def last_decision(self, i: int) -> tuple[str, str, int]:
        """State ``i``'s last action here, its reason and the step of it (``("", "", -1)``
        before any)."""
        return (LAST_ACTIONS[self.last_action[i]], LAST_REASONS[self.last_reason[i]],
                int(self.last_step[i]))

    def remove(self, idx: IntArray, step: int, reason: str, cooldown: int) -> None:
        """End the membership of ``idx`` at ``step`` for ``reason``."""
        idx = idx[self.member[idx]]
        if idx.size == 0:
            return
        self.version += 1
        self.terms_version += 1
        self.member[idx] = False
        self.exit_step[idx] = step
        for i in idx.tolist():
            self.exit_reason[i] = reason
        self.due[idx] = 0.0
        self.rights[idx] = 0.0
        self.contract_end[idx] = NEVER
        self.cooldown_until[idx] = step + 1 + cooldown
        self.now.exits += int(idx.size)
