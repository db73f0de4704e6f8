"""The stationsim model: states negotiating membership of space stations.

One step is one year (docs/odd.md, *One step*):

1. events -- the scenario's timeline; stations open and close;
2. evaluate -- every state not in a station weighs each open station,
   ``U = benefit - cost - political_cost``, and applies to the best with U > 0;
3. negotiate -- each station's rule (hub_and_spoke, quid_pro_quo) decides;
4. deliver and learn -- deliveries drawn with probability = reciprocity,
   trust learned from what was seen;
5. exit -- low utility, ended contracts, expulsion, bans, closure;
6. collect -- the step's figures.

Every phase works on arrays over all states.  All randomness comes from the
model's generator ``self.rng`` (Mesa's), so a run is fixed by its scenario and
seed.  The functional forms and their sources are in ``docs/odd.md``.

Speed (issue 6, ``benchmarks/README.md``).  A step is a fixed number of array
operations per open station, whatever the number of states, so what a step
costs at 1,000 states is mostly numpy's per-call overhead.  To keep that
number small, columns that depend only on attributes, parameters and station
settings (distances and baseline trust to each host, abilities to pay,
spokes' dues ...) are cached per host or station and rebuilt when
``model.p`` or an attribute changes (events, agent attribute setters, or
:meth:`StationModel.touch` after writing a column directly); trust in and of
each host is read as a dense column once per step; learning reads and
writes a station's pairs through one :class:`~stationsim.model.trust.TrustBlock`,
whose values also serve the realised utilities, expulsions and the step's
mean member trust.  The arithmetic is the same as the per-index methods, and
the random draws are the same, so results do not depend on the caches.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import mesa
import numpy as np
import numpy.typing as npt

from stationsim.model import market, payloads
from stationsim.model.agents import State, StateTable
from stationsim.model.events import EVENTS
from stationsim.model.outcomes import STEP_COLUMNS, step_values
from stationsim.model.scenario import AUTO_RULE, EventSpec, Scenario
from stationsim.model.stations import LAST_ACTIONS, Station, StepCounts
from stationsim.model.trust import PairSet, Trust, TrustBlock, fmean, offdiag
from stationsim.model.views import RuleView
from stationsim.rules.base import REASON_CODE, REFUSAL_REASONS, Decision, Rule, Terms

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: the applicants of a station no one applies to (read only: shared by every step)
_NO_ONE: IntArray = np.empty(0, dtype=np.int64)
_NO_ONE.flags.writeable = False


class Params(dict[str, Any]):
    """Parameter values by name; counts assignments so derived columns can be cached."""

    version = 0

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.version += 1

    def update(self, *args: Any, **kw: Any) -> None:  # type: ignore[override]
        super().update(*args, **kw)
        self.version += 1


class _HostView:
    """Columns over all states relative to one host, valid for one attribute version.

    Every state's trust in the host and the host's trust in every state are
    read densely once per trust version (:meth:`read`).
    """

    def __init__(self, model: StationModel, h: int, key: tuple[int, ...]) -> None:
        p, tr, every = model.p, model.trust, model.everyone
        self.key = key
        self.h = h
        self.dist = tr.distance(every, h)
        self.base_col = tr.baseline(every, h)
        self.base_row = tr.baseline(h, every)
        self.du = float(model.dual_use(h))
        self.pc_raw = p["w_alignment"] * self.dist + p["w_dual_use"] * self.du
        self.regional = model.place == model.place[h]
        self.gap1 = 1.0 + np.maximum(0.0, model.capability[h] - model.capability)
        self._live: dict[str, tuple[int, FloatArray]] = {}

    def read(self, trust: Trust, which: str) -> FloatArray:
        """``"col"`` (every state's trust in the host) or ``"row"`` (the host's trust in
        every state) at the current trust version (read at most once per version:
        a dense read costs a few array operations, less than a sparse lookup)."""
        c = self._live.get(which)
        if c is None or c[0] != trust.version:
            base = self.base_col if which == "col" else self.base_row
            c = (trust.version, trust.col(self.h, base) if which == "col"
                 else trust.row(self.h, base))
            self._live[which] = c
        return c[1]


class _StationView:
    """Columns over all states for one station: its settings' part and its membership's part."""

    def __init__(self, model: StationModel, s: Station, key: tuple[Any, ...]) -> None:
        p, every = model.p, model.everyone
        self.key = key
        hv = model.host_view(s.host)
        self.ability = s.rule.ability(model.view(s), every)
        self.soft_strategic = (s.weight("soft_power", p) * model.developing
                               + s.weight("regional", p) * hv.regional
                               + s.weight("strategic", p) * model.capability)
        self.slot = p["slot_cost_share"] * s.operating_cost
        self.quote = s.rule.quote(model.view(s), every) if s.rule.quote_is_static else None
        self._pool: tuple[int, float, FloatArray] | None = None

    def pool(self, model: StationModel, s: Station) -> tuple[float, FloatArray]:
        """Access to the pooled capability and every state's learning value, for the members now."""
        c = self._pool
        if c is None or c[0] != s.version:
            p = model.p
            parts = s.participants
            pooled = float(model.capability[parts].sum())
            access = pooled / (pooled + p["access_half"])
            top = float(model.capability[parts].max())
            learn = p["w_learning"] * np.maximum(0.0, top - model.capability)
            c = (s.version, access, learn)
            self._pool = c
        return c[1], c[2]


class StationModel(mesa.Model):  # type: ignore[misc]
    """States (Mesa agents) forming station partnerships under a scenario.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (:func:`stationsim.load_scenario`).
    rng : int or None
        Seed of the model's generator (Mesa's ``rng``); the run is fixed by it.
    steps : int or None
        Steps to run (default: the scenario's).
    log_events : bool
        Keep a table of the last step's applications, admissions, refusals
        and exits with reasons (:attr:`last_log`); used by the explorer.

    Attributes
    ----------
    states : StateTable
        Attribute columns of all states.
    trust : Trust
        Trust between states.
    stations : list of Station
        The stations, in scenario order.
    p : dict
        Current parameter values (``set_parameter`` events change them).
    """

    def __init__(self, scenario: Scenario, rng: int | None = None, steps: int | None = None,
                 log_events: bool = False) -> None:
        super().__init__(rng=rng)
        self.spec = scenario
        self.p: Params = Params(scenario.params())
        #: incremented when an attribute column changes (events, setters, :meth:`touch`)
        self.attr_version = 0
        self.start_year = scenario.start_year
        self.n_steps = steps if steps is not None else scenario.steps
        self.t = 0
        self.exclusive = scenario.exclusive
        self.log_events = log_events
        self.last_log: list[tuple[str, str, str, str]] = []

        self.states = StateTable.build(scenario, self.rng)
        st = self.states
        self.n = st.n
        self.index = {iso: i for i, iso in enumerate(st.iso3)}
        self.capability = st.capability
        self.reciprocity = st.reciprocity
        self.transparency = st.transparency
        self.military_fusion = st.military_fusion
        self.developing = st.developing
        self.everyone: IntArray = np.arange(self.n, dtype=np.int64)
        scope = st.continent if self.p["regional_scope"] == "continent" else st.region
        _, self.place = np.unique(np.array(scope, dtype=object).astype(str), return_inverse=True)
        self._host_views: dict[int, _HostView] = {}
        self._station_views: dict[str, _StationView] = {}
        self._attr_cache: tuple[tuple[int, int], FloatArray, FloatArray] | None = None
        self._blocks: dict[str, TrustBlock] = {}
        #: (trust, attribute and parameter versions) when the blocks were last drifted
        self._blocks_key: tuple[int, int, int] | None = None
        self._rule_views: dict[str, RuleView] = {}
        #: evidence each state's record holds (trust_update = belief): observations so far,
        #: each weighted by the observed state's transparency
        self.record = np.zeros(self.n)
        self._pair_sets: dict[str, tuple[tuple[int, ...], PairSet]] = {}

        self.trust = Trust(st.alignment, self.p)
        for tr in scenario.trust:
            i, j = self.index[tr.source], self.index[tr.target]
            self.trust.override(i, j, tr.value)
            if tr.symmetric:
                self.trust.override(j, i, tr.value)

        self.stations = [Station.from_spec(s, self.index, st.asset_names)
                         for s in scenario.stations]
        self.trust.watch(np.array([s.host for s in self.stations], dtype=np.int64))
        self.station_by_name = {s.name: s for s in self.stations}
        #: successor stations of each predecessor, and the members each successor still
        #: has to offer membership to (``successor_of``; :meth:`_offer_successors`)
        self.successors: dict[str, list[Station]] = defaultdict(list)
        for s in self.stations:
            if s.successor_of is not None:
                self.successors[s.successor_of].append(s)
        self.heirs: dict[str, IntArray] = {}
        #: bans as [state, target, start_year, end_year) in state indices
        self.bans: list[list[float]] = []
        self.events: dict[int, list[EventSpec]] = defaultdict(list)
        for ev in scenario.events:
            self.events[ev.year].append(ev)

        for i in range(self.n):
            State(self, i)

        #: the step table's rows so far, one per station and step (:attr:`step_records`)
        self.step_rows: list[tuple[Any, ...]] = []
        self._records: tuple[int, dict[str, list[Any]]] | None = None
        self._open_and_close()  # stations open at the start take their founders
        self.running = True

    # ------------------------------------------------------------------ helpers

    @property
    def year(self) -> int:
        """Calendar year of the current step."""
        return self.start_year + self.t

    @property
    def step_records(self) -> dict[str, list[Any]]:
        """The step table's columns so far (:data:`~stationsim.model.outcomes.STEP_COLUMNS`
        -> one value per station and step), made from :attr:`step_rows` when asked (the
        collect phase appends one tuple per station instead of one value per column)."""
        rows = self.step_rows
        c = self._records
        if c is None or c[0] != len(rows):
            cols = zip(*rows, strict=True) if rows else ([] for _ in STEP_COLUMNS)
            c = (len(rows), {name: list(col)
                             for name, col in zip(STEP_COLUMNS, cols, strict=True)})
            self._records = c
        return c[1]

    def touch(self) -> None:
        """Say that attribute columns were written directly, so cached columns are rebuilt.

        Events and the agents' attribute setters call it; code that writes
        ``model.capability[...]`` (or another column) directly must too.
        """
        self.attr_version += 1

    def _at(self, vec: FloatArray, idx: IntArray) -> FloatArray:
        """``vec[idx]``, without a copy when ``idx`` is :attr:`everyone`."""
        return vec if idx is self.everyone else vec[idx]

    def _attr_columns(self) -> tuple[FloatArray, FloatArray]:
        """Dual-use risk and prestige value of every state (cached per version)."""
        key = (self.p.version, self.attr_version)
        c = self._attr_cache
        if c is None or c[0] != key:
            du = self.military_fusion * (1.0 - self.transparency)
            prestige = self.p["w_prestige"] * (1.0 - self.capability)
            c = (key, du, prestige)
            self._attr_cache = c
        return c[1], c[2]

    def host_view(self, h: int) -> _HostView:
        """Cached columns relative to host ``h`` (see :class:`_HostView`)."""
        key = (self.p.version, self.attr_version, self.trust.base_version)
        v = self._host_views.get(h)
        if v is None or v.key != key:
            self.trust.watch(np.array([h]))
            v = _HostView(self, h, key)
            self._host_views[h] = v
        return v

    def station_view(self, s: Station) -> _StationView:
        """Cached columns of station ``s`` (see :class:`_StationView`)."""
        key = (self.p.version, self.attr_version, self.trust.base_version, s.rule_name,
               s.operating_cost)
        v = self._station_views.get(s.name)
        if v is None or v.key != key:
            v = _StationView(self, s, key)
            self._station_views[s.name] = v
        return v

    def _pairs(self, s: Station) -> PairSet:
        """The pairs of the station's participants and their baseline trust (cached)."""
        key = (s.version, self.p.version, self.attr_version, self.trust.base_version)
        c = self._pair_sets.get(s.name)
        if c is None or c[0] != key:
            c = (key, PairSet(self.trust, s.participants_sorted))
            self._pair_sets[s.name] = c
        return c[1]

    def view(self, s: Station) -> RuleView:
        """The read-only view station ``s``'s rule gets of the model (one per station)."""
        v = self._rule_views.get(s.name)
        if v is None:
            v = self._rule_views[s.name] = RuleView(self, s)
        return v

    def asset_table(self) -> tuple[tuple[str, ...], npt.NDArray[np.float64]]:
        """Asset names and the states x assets holdings."""
        return tuple(self.states.asset_names), self.states.assets

    def trust_between(self, sources: IntArray, targets: IntArray) -> FloatArray:
        """Trust of each ``sources[k]`` in ``targets[k]``."""
        return self.trust.get(sources, targets)

    def asset(self, name: str) -> FloatArray:
        """Column of asset ``name`` (zeros if no state has it)."""
        st = self.states
        if name in st.asset_names:
            return st.assets[:, st.asset_names.index(name)]
        return np.zeros(self.n)

    def dual_use(self, idx: IntArray | int) -> FloatArray:
        """Dual-use risk ``military_fusion * (1 - transparency)`` (Cheng; essay 002)."""
        return self.military_fusion[idx] * (1.0 - self.transparency[idx])

    def regional(self, idx: IntArray, host: int) -> BoolArray:
        """Whether states ``idx`` share the host's continent or sub-region (``regional_scope``)."""
        return np.asarray(self.place[idx] == self.place[host])

    def host_distance(self, host: int, idx: IntArray) -> FloatArray:
        """Normalised alignment distance of states ``idx`` to ``host``."""
        return self._at(self.host_view(host).dist, idx)

    def host_trust(self, host: int, idx: IntArray) -> FloatArray:
        """Trust of ``host`` in states ``idx``."""
        return self._at(self.host_view(host).read(self.trust, "row"), idx)

    def trust_in_host(self, idx: IntArray, host: int) -> FloatArray:
        """Trust of states ``idx`` in ``host``."""
        return self._at(self.host_view(host).read(self.trust, "col"), idx)

    def ability(self, station: Station, idx: IntArray) -> FloatArray:
        """Ability to pay of states ``idx`` under the station's rule (cached column)."""
        return self._at(self.station_view(station).ability, idx)

    def political_cost(self, idx: IntArray, host: int,
                       trust: FloatArray | None = None) -> FloatArray:
        """Political cost to ``idx`` of partnering with ``host``.

        ``(w_alignment * distance + w_dual_use * dual_use(host)) * (1 - trust_relief * trust)``:
        alignment distance (essay 002: compatibility with the leader's policies),
        the host's dual-use risk (Cheng; essay 002), reduced by trust (Wu).
        ``trust`` (of ``idx`` in the host) is read if not given.
        """
        raw = self._at(self.host_view(host).pc_raw, idx)
        if trust is None:
            trust = self.trust_in_host(idx, host)
        return np.asarray(raw * (1.0 - self.p["trust_relief"] * trust))

    def lifetime_factor(self, station: Station) -> float:
        """Share of full benefit an entrant expects: ``min(1, remaining / lifetime_horizon)``.

        Cheng: late entry to an ageing station is worthless ("turn out the
        lights").  Only entrants apply it; sitting members have sunk their
        integration effort (docs/odd.md, *lifetime*).
        """
        remaining = max(0, station.close_at - self.year)
        return min(1.0, remaining / float(self.p["lifetime_horizon"]))

    def gross_benefit(self, station: Station, idx: IntArray,
                      rights: FloatArray | float) -> FloatArray:
        """Benefit per step of membership before costs (docs/odd.md, *Submodels*).

        Access to the pooled capability (scaled by utilisation ``rights``,
        Foley: rights commensurate with contributions), prestige larger for
        low-capability states (Foley: public-relations value), and learning
        larger for a larger capability gap (Cheng).
        """
        access, learn = self.station_view(station).pool(self, station)
        prestige = self._attr_columns()[1]
        return np.asarray(self.p["w_access"] * access * rights + self._at(prestige, idx)
                          + self._at(learn, idx))

    def guest_utility(self, station: Station, idx: IntArray, terms: Terms,
                      entrant: bool) -> FloatArray:
        """Per-step utility of membership on ``terms``: benefit - felt cost - political cost.

        A payment costs ``due / ability`` (docs/odd.md, units): a poor state feels
        the same price more.
        """
        benefit = self.gross_benefit(station, idx, terms.rights)
        if entrant:
            benefit = benefit * self.lifetime_factor(station)
        felt = terms.due / self.ability(station, idx)
        return np.asarray(benefit - felt - self.political_cost(idx, station.host))

    def host_value(self, station: Station, idx: IntArray,
                   trust: FloatArray | None = None) -> FloatArray:
        """What the host gains from guests ``idx`` besides payment, per step.

        Soft power of developing and regional guests (Foley), strategic value
        of capability (Foley; essay 002), minus dual-use leakage to guests it
        does not trust, larger with the capability gap (Cheng), minus the
        cost of a slot.  ``trust`` (of the host in ``idx``) is read if not given.
        """
        sv = self.station_view(station)
        hv = self.host_view(station.host)
        if trust is None:
            trust = self.host_trust(station.host, idx)
        du = self._attr_columns()[0]
        leak = (station.weight("leakage", self.p) * (1.0 - trust) * self._at(du, idx)
                * self._at(hv.gap1, idx))
        return np.asarray(self._at(sv.soft_strategic, idx) - leak - sv.slot)

    def host_gain(self, station: Station, idx: IntArray, pay: FloatArray) -> FloatArray:
        """Host's expected utility gain per step from admitting ``idx`` paying ``pay``.

        Payment is weighted by the host's trust in the guest (its estimate of
        delivery).  A host admits only when this is positive (docs/odd.md: hosts
        are deciders).
        """
        revenue = station.weight("revenue", self.p)
        return np.asarray(revenue * self.host_trust(station.host, idx) * pay
                          + self.host_value(station, idx))

    def channel_reach(self, station: Station) -> tuple[float, float]:
        """States the station's offer would reach as an entrant: through the UN (every state
        that would gain by joining) and bilaterally (each such state weighted by its trust in
        the host, the chance it sees an offer made through the host's own ties; seed 004)."""
        every = self.everyone
        terms = station.rule.quote(self.view(station), every)
        util = self.guest_utility(station, every, terms, entrant=True)
        want = util > 0
        want[station.host] = False
        want[station.founders] = False
        return float(want.sum()), float(self.trust_in_host(every, station.host)[want].sum())

    def choose_channel(self, station: Station) -> str:
        """The channel a host left to choose picks when its station opens (seed 004).

        Li & Mayer (2023): China offered the CSS through the UN, where its own
        institutions were thin, and uses bilateral agreements where they are
        dense.  The host values each state its offer reaches at its ``reach``
        objective (``w_reach``) and gives up ``un_control_cost`` by going
        through the UN: it picks ``un`` when ``reach x (N_un - N_bilateral) >
        un_control_cost`` (:meth:`channel_reach`), else ``bilateral``.  Dense
        ties (high trust in the host) make the bilateral reach close to the
        UN's, so the UN is chosen only where ties are thin.
        """
        n_un, n_bi = self.channel_reach(station)
        gain = station.weight("reach", self.p) * (n_un - n_bi)
        return "un" if gain > float(self.p["un_control_cost"]) else "bilateral"

    def rule_values(self, station: Station) -> dict[str, float]:
        """What each rule would bring the host of a station about to open (seed 004).

        Under each rule's quoted terms, the states that would apply as entrants (utility
        > 0, as :meth:`channel_reach`; founders and the host left out); for each, the host's
        gain at the rule's terms, ``revenue x trust x due + host_value`` (:meth:`host_gain`;
        the due of a contract the rule would sign, :meth:`Rule.terms`), counted when
        positive (a host admits only those); the largest, as many as the guest slots the
        founders leave, summed.  The station's rule is switched to each in turn and back.
        """
        every = self.everyone
        before = station.rule_name, station.rule
        room = max(0, station.capacity - int(station.founders.size))
        out: dict[str, float] = {}
        for name in ("hub_and_spoke", "quid_pro_quo"):
            station.set_rule(name)
            view = self.view(station)
            util = self.guest_utility(station, every, station.rule.quote(view, every),
                                      entrant=True)
            want = util > 0
            want[station.host] = False
            want[station.founders] = False
            idx = want.nonzero()[0].astype(np.int64)
            gain = np.maximum(0.0, self.host_gain(station, idx,
                                                  station.rule.terms(view, idx).due))
            out[name] = float(np.sort(gain)[::-1][:room].sum())
        station.rule_name, station.rule = before
        return out

    def choose_rule(self, station: Station) -> str:
        """The rule a host left to choose (``rule = "auto"``) picks when its station opens.

        Seed 004 asks why a host picks its rule; Foley (2014) sets the two apart:
        hub-and-spoke keeps the host's chain of command and majority share and yields
        rights only for contributions, quid pro quo trades access for explicit payment
        in any asset.  The host adds its ``control`` objective (``w_control``) to what
        hub-and-spoke's entrants would bring it and compares with quid pro quo's
        (:meth:`rule_values`): ``hub_and_spoke`` when ``V_hub + control >= V_qpq``,
        else ``quid_pro_quo``.  A host that values revenue (cost sharing) gains more
        from quid pro quo's prices; one that values control keeps the hub.
        """
        v = self.rule_values(station)
        control = station.weight("control", self.p)
        return ("hub_and_spoke" if v["hub_and_spoke"] + control >= v["quid_pro_quo"]
                else "quid_pro_quo")

    def member_trust_in_host(self, s: Station) -> float:
        """Mean trust of the station's members in its host (0 without members; Wu 2016)."""
        m = s.members
        if m.size == 0:
            return 0.0
        # the host's dense column (the same arithmetic as ``trust.get``; read once per trust
        # version and reused by the next step's evaluation)
        return fmean(self.host_view(s.host).read(self.trust, "col")[m])

    def trust_screen(self, station: Station, threshold: float) -> float:
        """Trust the host requires, lowered under the UN channel (seed 004)."""
        if station.channel == "un":
            return max(0.0, threshold - float(self.p["un_trust_relief"]))
        return threshold

    def bans_in_force(self) -> list[tuple[int, int]]:
        """Pairs (state, target) of the bans in force this year."""
        y = self.year
        return [(int(a), int(b)) for a, b, start, end in self.bans if start <= y < end]

    def banned_with(self, idx: IntArray) -> BoolArray:
        """Mask over all states: banned (in force this year) with any state in ``idx``."""
        out = np.zeros(self.n, dtype=bool)
        members = set(np.asarray(idx).tolist())
        for a, b in self.bans_in_force():
            if a in members:
                out[b] = True
            if b in members:
                out[a] = True
        return out

    def guest_elsewhere(self, station: Station) -> BoolArray:
        """Mask of states that are guest members of a station other than ``station``."""
        out = np.zeros(self.n, dtype=bool)
        for s in self.stations:
            if s is not station:
                out |= s.member
        return out

    def _log(self, station: Station, idx: IntArray, action: str,
             reasons: list[str] | str) -> None:
        """Record an action: each state's last decision at the station (always; a refusal in
        negotiation is recorded there, from its codes) and :attr:`last_log`
        (when ``log_events``)."""
        if not idx.size:  # no one: nothing to note or log
            return
        if isinstance(reasons, str) and action in LAST_ACTIONS:
            station.note(idx, action, reasons, self.t)
        if not self.log_events:
            return
        rs = [reasons] * int(idx.size) if isinstance(reasons, str) else reasons
        for i, r in zip(idx.tolist(), rs, strict=True):
            self.last_log.append((station.name, self.states.iso3[i], action, r))

    # ------------------------------------------------------------------ step

    def step(self) -> None:
        """Advance one year through the phases (docs/odd.md, *Process overview*; the
        benchmarks' per-phase timer, ``benchmarks/profile_core.timed_step``, mirrors it)."""
        self.last_log = []
        for s in self.stations:
            s.now = StepCounts()
        self._events()
        choice = self._evaluate()
        self._negotiate(choice)
        self._deliver_and_learn()
        self._sell_flights()
        self._fly_payloads()
        self._exit()
        self._collect()
        self.t += 1
        if self.t >= self.n_steps:
            self.running = False

    def run(self) -> None:
        """Run the remaining steps."""
        while self.running:
            self.step()

    # phase 1 ---------------------------------------------------------------

    def _events(self) -> None:
        """Apply this year's timeline events, enforce bans, open and close stations."""
        for ev in self.events.get(self.year, []):
            self._apply_event(ev)
        self._open_and_close()
        self._enforce_bans()

    def _apply_event(self, ev: EventSpec) -> None:
        """Apply one timeline event (:mod:`stationsim.model.events`: each type applies itself)."""
        EVENTS[ev.type].apply(ev, self)

    def log(self, station: Station, idx: IntArray, action: str, reasons: str) -> None:
        """Record actions in :attr:`last_log` (when ``log_events``): events use it."""
        self._log(station, idx, action, reasons)

    def shed_excess(self, s: Station) -> None:
        """After capacity is cut below the members, the latest joiners leave (reason ``capacity``).

        Non-founders go before founders; among equals, the most recent joiner first.
        """
        excess = int(s.member.sum()) - s.capacity
        if excess <= 0:
            return
        m = s.members
        order = np.lexsort((-s.join_step[m], s.founder[m]))  # non-founders, latest first
        leavers = np.sort(m[order[:excess]])
        self._log(s, leavers, "exit", "capacity")
        s.remove(leavers, self.t, "capacity", int(self.p["reapply_cooldown"]))

    def force_join(self, s: Station, idx: IntArray) -> None:
        """Admit ``idx`` outside negotiation (founders, ``join`` events), within capacity.

        States banned with a participant, already members, or (exclusive
        membership) guests elsewhere are skipped and logged, as is everyone
        while the station is not open (a ``join`` event before it opens or
        after it closes).
        """
        ok = ~s.member[idx] & (idx != s.host) & ~self.banned_with(s.participants)[idx]
        ok &= s.is_open(self.year)
        if self.exclusive:
            ok &= ~self.guest_elsewhere(s)[idx]
        idx_ok = idx[ok]
        self._log(s, idx[~ok], "refused", "ineligible")
        room = s.free_slots
        if idx_ok.size > room:
            self._log(s, idx_ok[room:], "refused", "capacity")
            idx_ok = idx_ok[:room]
        if idx_ok.size:
            s.admit(s.rule.terms(self.view(s), idx_ok), self.t)
            self._log(s, idx_ok, "admitted", "forced")
            if self.t > 0 or not s.founder[idx_ok].all():
                self._note_guest(s, idx_ok)

    def _note_guest(self, s: Station, idx: IntArray) -> None:
        if s.first_guest_year is None and (~s.founder[idx]).any():
            s.first_guest_year = self.year

    def _open_and_close(self) -> None:
        for s in self.stations:
            if s.is_open(self.year) and not s.opened:
                s.opened = True
                if s.rule_name == AUTO_RULE:  # before the channel: its reach uses the rule
                    s.set_rule(self.choose_rule(s))
                if s.channel == "auto":
                    s.channel = self.choose_channel(s)
                self.force_join(s, s.founders)
            elif s.is_open(self.year):
                s.closed = False  # reopened by an event: it empties again when it closes
            elif (s.opened and not s.closed) or s.member.any():
                # also catches members who joined by an event in a year the station
                # was opened and closed again by later events
                s.opened = True
                s.closed = True
                for succ in self.successors.get(s.name, ()):
                    self.heirs[succ.name] = s.members.copy()
                self._log(s, s.members, "exit", "closed")
                s.remove(s.members, self.t, "closed", int(self.p["reapply_cooldown"]))
        if self.heirs:
            self._offer_successors()

    def _offer_successors(self) -> None:
        """A closed station's members get the first offer of its open successors.

        Documented fact: NASA plans commercial LEO destinations to take over
        its research and astronauts from the ISS (spaceweekly.com/?p=774251),
        and ESA signed a 2023 MoU to use Starlab as the ISS's successor
        (spacenews.com, docs/odd.md 7.3b).  When a station closes, its
        members at closure are offered membership of each station whose
        ``successor_of`` names it, in the first year that successor is open.
        No transfer bypasses a decision: a member applies only if its own
        utility of joining (:meth:`guest_utility` on the rule's quote, as an
        entrant) plus ``successor_bonus`` is positive, to the best such
        successor under exclusive membership (as in the evaluate phase), and
        the successor's rule decides through the ordinary negotiation (its
        screens, capacity and cooldowns).  The offer is direct: a member need
        not find it through the channel.  Those refused or not interested
        take part in the evaluate phase of the same step like anyone else.
        """
        year, every, t = self.year, self.everyone, self.t
        if not any(s.is_open(year) for s in self.stations if s.name in self.heirs):
            return  # no successor open yet: its offer waits
        free = np.ones(self.n, dtype=bool)
        if self.exclusive:
            for s in self.stations:
                free[s.members] = False
        keys: list[int] = []
        rows: list[FloatArray] = []
        for k, s in enumerate(self.stations):
            heirs = self.heirs.get(s.name)
            if heirs is None or not s.is_open(year):
                continue
            del self.heirs[s.name]
            cand = np.zeros(self.n, dtype=bool)
            cand[heirs] = True
            cand &= free if self.exclusive else ~s.member
            cand &= s.cooldown_until <= t
            cand &= ~self.banned_with(s.participants)
            cand[s.host] = False
            if not cand.any():
                continue
            terms = s.rule.quote(self.view(s), every)
            util = self.guest_utility(s, every, terms, entrant=True) + self.p["successor_bonus"]
            rows.append(np.where(cand, util, -np.inf))
            keys.append(k)
        if not rows:
            return
        util = np.stack(rows)
        if self.exclusive:  # each member applies to its best successor only
            best = np.argmax(util, axis=0)
            util = np.where(np.arange(len(rows))[:, None] == best, util, -np.inf)
        self._negotiate({k: (u > 0).nonzero()[0].astype(np.int64)
                         for k, u in zip(keys, util, strict=True)})

    def _enforce_bans(self) -> None:
        """A newly banned member leaves: the non-host party, or the ban's target."""
        for ia, ib in self.bans_in_force():
            for s in self.stations:
                if ((ia == s.host or s.member[ia]) and (ib == s.host or s.member[ib])):
                    leaver = ia if ib == s.host else ib
                    s.remove(np.array([leaver]), self.t, "ban", int(self.p["reapply_cooldown"]))
                    self._log(s, np.array([leaver]), "exit", "ban")

    # phase 2 ---------------------------------------------------------------

    def _evaluate(self) -> dict[int, IntArray]:
        """Each state outside a station picks the open station(s) with the best U > 0.

        Under the bilateral channel a state sees a station's offer only with
        probability equal to its trust in the host; under the UN channel
        every state sees it (seed 004).  Utilities are computed over all
        states at once and masked to the candidates.
        """
        n, t, year = self.n, self.t, self.year
        every = self.everyone
        bans = self.bans_in_force()
        free: BoolArray | None = None
        if self.exclusive:  # not a guest anywhere (so neither of this station nor elsewhere)
            free = np.ones(n, dtype=bool)
            for s in self.stations:
                free[s.members] = False
        rows: list[FloatArray] = []
        keys: list[int] = []
        kern = _kernels() if self.p["engine"] == "compiled" else None
        for k, s in enumerate(self.stations):
            if not s.is_open(year):
                continue
            host = s.host
            cand = s.cooldown_until <= t
            cand &= free if free is not None else ~s.member
            cand[host] = False
            for a, b in bans:  # banned with a participant
                if a == host or s.member[a]:
                    cand[b] = False
                if b == host or s.member[b]:
                    cand[a] = False
            if s.channel == "bilateral":
                seen = self.rng.random(n)
                cand &= seen < self.trust_in_host(every, host)
            if not cand.any():
                continue
            sv = self.station_view(s)
            terms = sv.quote if sv.quote is not None else s.rule.quote(self.view(s), every)
            if kern is not None:  # the compiled engine: the same arithmetic
                rows.append(kern.entrant_row(self, s, terms, cand, sv))
                keys.append(k)
                continue
            util = self.guest_utility(s, every, terms, entrant=True)
            rows.append(np.where(cand, util, -np.inf))
            keys.append(k)
        choice: dict[int, IntArray] = dict.fromkeys(range(len(self.stations)), _NO_ONE)
        if len(rows) == 1 or (rows and not self.exclusive):
            for k, u in zip(keys, rows, strict=True):
                choice[k] = (u > 0).nonzero()[0].astype(np.int64)
        elif rows:
            util = np.array(rows)  # as np.stack of the equal-length rows
            best = util.argmax(axis=0)
            ok = util[best, every] > 0
            for r, k in enumerate(keys):
                choice[k] = (ok & (best == r)).nonzero()[0].astype(np.int64)
        return choice

    # phase 3 ---------------------------------------------------------------

    def _negotiate(self, choice: dict[int, IntArray]) -> None:
        """Each station's rule decides on its applicants.

        Under exclusive membership an applicant applied to one station only
        and was a guest nowhere, so no admission elsewhere this step can
        make it ineligible.
        """
        cooldown = int(self.p["reapply_cooldown"])
        rk = _rule_kernels() if self.p["engine"] == "compiled" else None
        for k, s in enumerate(self.stations):
            apps = choice.get(k)
            if apps is None or apps.size == 0:
                continue
            s.now.applications += int(apps.size)
            self._log(s, apps, "applied", "")
            # the compiled engine: the shipped rules' negotiation as one kernel each (the
            # same decisions and draws); any other rule, and the reference engine, numpy's
            neg = rk.negotiator(s.rule) if rk is not None else None
            got = neg(self, s, apps) if neg is not None else None
            dec = self._drop_banned(got if got is not None
                                    else s.rule.negotiate(self.view(s), apps))
            # (admitted and refused are disjoint; admitting or refusing no one does nothing,
            # so empty sets are skipped)
            adm = dec.admitted.idx
            if adm.size:
                s.admit(dec.admitted, self.t)
                self._note_guest(s, adm)
                s.now.admissions += int(adm.size)
                self._log(s, adm, "admitted", "")
            if dec.refused.size:
                s.cooldown_until[dec.refused] = self.t + 1 + cooldown
                s.now.refusals += int(dec.refused.size)
                s.refusal_counts += np.bincount(dec.codes, minlength=len(REFUSAL_REASONS) + 1)
                s.note_refused(dec.refused, dec.codes, self.t)
            if self.log_events:
                self._log(s, dec.refused, "refused", dec.reasons)

    def _drop_banned(self, dec: Decision) -> Decision:
        """Refuse (reason ``ban``) an admitted applicant banned with one admitted before it.

        Evaluate screens applicants against the station's participants only, so
        two applicants banned with each other could otherwise join together.
        """
        adm = dec.admitted
        if adm.idx.size < 2 or not self.bans or not self.banned_with(adm.idx)[adm.idx].any():
            return dec
        keep = np.ones(adm.idx.size, dtype=bool)
        for k in range(1, adm.idx.size):
            keep[k] = not self.banned_with(adm.idx[:k][keep[:k]])[adm.idx[k]]
        drop = adm.idx[~keep]
        kept = adm.take(keep)
        codes = np.concatenate((dec.codes, np.full(drop.size, REASON_CODE["ban"], dtype=np.int8)))
        return Decision(kept, np.concatenate((dec.refused, drop)).astype(np.int64), codes)

    def _review(self, s: Station) -> tuple[IntArray, Terms]:
        """The station's rule's :meth:`~stationsim.rules.base.Rule.review` (ended and renewed
        agreements); under the compiled engine a shipped rule's kernel, if it has one
        (:func:`stationsim.model.kernels_rules.reviewer`: the same values)."""
        if self.p["engine"] == "compiled":
            rev = _rule_kernels().reviewer(s.rule)
            if rev is not None:
                return rev(self, s)  # type: ignore[no-any-return]
        return s.rule.review(self.view(s))

    # phase 4 ---------------------------------------------------------------

    def _deliver_and_learn(self) -> None:
        """Deliveries are drawn; every participant updates trust in every other.

        A state delivers with probability ``reciprocity * (1 - tft_weight *
        reciprocity * (1 - share its counterparts delivered last step))``:
        reciprocity is both the propensity to deliver and the weight given to
        returning others' behaviour (Cheng).  The observer's expectation is
        its current trust (a delta rule), so trust tracks the delivery rate:
        ``trust += rate * (delivered - trust) - default_penalty * (not
        delivered)``, with ``rate = learn_rate * (floor + (1 - floor) *
        transparency of the observed)`` (Wu).  Under the UN channel a default
        also lowers the defaulter's reputation with every state (seed 004).

        Each station's pairs are read and written as one
        :class:`~stationsim.model.trust.TrustBlock`, kept for the exit and collect
        phases of this step unless a later station's learning shares two of
        its participants (then those phases read trust afresh).
        """
        p = self.p
        tft = float(p["tft_weight"])
        blocks = self._blocks
        blocks.clear()
        seen: BoolArray | None = None
        kern = _kernels() if p["engine"] == "compiled" else None
        for s in self.stations:
            m = s.members
            if m.size == 0 or not s.is_open(self.year):
                continue
            if kern is not None:  # the compiled engine: the same draws and arithmetic
                seen = kern.deliver_and_learn_station(self, s, m, blocks, seen)
                continue
            h = s.host
            r_h = self.reciprocity[h]
            r_m = self.reciprocity[m]
            p_h = r_h * (1.0 - tft * r_h * (1.0 - float(s.delivered_last[m].mean())))
            per_contract = p["host_delivery"] == "per_contract"
            if per_contract:  # the host keeps or breaks each member's contract on its own
                p_m = r_m * (1.0 - tft * r_m * (1.0 - s.host_delivered_to[m]))
                u = self.rng.random(2 * m.size)
                d_h_m = u[:m.size] < p_h
                d_m = u[m.size:] < p_m
                d_h = bool(d_h_m.mean() >= 0.5)  # the host's delivery as the others see it
            else:
                p_m = r_m * (1.0 - tft * r_m * (1.0 - s.host_delivered_last))
                u = self.rng.random(1 + m.size)
                d_h = bool(u[0] < p_h)
                d_m = u[1:] < p_m
                d_h_m = np.full(m.size, d_h)
            # learning: all ordered pairs of distinct participants, in index order
            parts = s.participants_sorted
            if blocks:  # an earlier block sharing two participants may be overwritten
                if seen is None:
                    seen = np.zeros(self.n, dtype=bool)
                    for b in blocks.values():
                        seen[b.parts] = True
                if np.count_nonzero(seen[parts]) >= 2:
                    blocks.clear()
                seen[parts] = True
            hp = int(m.searchsorted(h))  # host's position in parts
            delivered = np.empty(parts.size)
            delivered[:hp] = d_m[:hp]
            delivered[hp] = d_h
            delivered[hp + 1:] = d_m[hp:]
            blk = self.trust.block(self._pairs(s))
            dj = delivered[blk.ji]
            if per_contract:  # each member saw what the host delivered to it
                of_host = blk.ji == hp
                seen_by = np.empty(parts.size)
                seen_by[:hp] = d_h_m[:hp]
                seen_by[hp + 1:] = d_h_m[hp:]
                dj[of_host] = seen_by[blk.oi[of_host]]
            cur = blk.current
            if p["w_political"] > 0.0:  # what a partner returned politically (Cheng 2009)
                pol = self.rng.random(parts.size) < self.states.political_reciprocity[parts]
                dj = (1.0 - p["w_political"]) * dj + p["w_political"] * pol[blk.ji]
            weight = (p["transparency_floor"]
                      + (1.0 - p["transparency_floor"]) * self.transparency[blk.j])
            if p["trust_update"] == "belief":  # the record weighs each new observation
                rate = weight / (p["belief_prior"] + self.record[blk.j] + weight)
                blk.commit(cur + rate * (dj - cur))
                self.record[parts] += (p["transparency_floor"] + (
                    1.0 - p["transparency_floor"]) * self.transparency[parts])
            else:
                rate = p["learn_rate"] * weight
                blk.commit(cur + rate * (dj - cur) - p["default_penalty"] * (1.0 - dj))
            blocks[s.name] = blk
            if s.channel == "un":
                defaulted = parts[delivered == 0.0]
                self.trust.lower_reputation(defaulted,
                                            p["un_reputation"] * p["default_penalty"])
            # realised utilities, with trust as just learned
            t_h, t_in_h = _host_pairs(blk, hp, blk.now())
            due = s.due[m]
            felt = d_m * due / self.ability(s, m)
            u_m = (self.gross_benefit(s, m, s.rights[m]) * d_h_m - felt
                   - self.political_cost(m, h, t_in_h))
            u_h = float(s.weight("revenue", p) * (d_m * due).sum()
                        + self.host_value(s, m, t_h).sum())
            s.cum_utility[m] += u_m
            s.host_cum_utility += u_h
            s.now.host_utility = u_h
            s.now.guest_utility = float(u_m.sum())
            s.low_streak[m] = np.where(u_m < p["exit_threshold"], s.low_streak[m] + 1, 0)
            missed = ~d_m
            s.default_streak[m] = np.where(missed, s.default_streak[m] + 1, 0)
            s.defaults_total[m] += missed
            s.delivered_last[m] = d_m
            s.host_delivered_last = float(d_h)
            s.host_delivered_to[m] = d_h_m
            s.now.defaults += int(np.count_nonzero(missed))
            s.now.host_defaults = (int(np.count_nonzero(~d_h_m)) if per_contract
                                   else int(not d_h))
        drift = float(p["trust_drift"])
        self.trust.drift(drift)
        for b in blocks.values():
            b.drifted(drift)
        self._blocks_key = (self.trust.version, self.attr_version, self.p.version)

    # phase 4b --------------------------------------------------------------

    def _sell_flights(self) -> None:
        """Guest flights: each open station's sellers sell seats (:mod:`~stationsim.model.market`).

        Only stations with sellers take part, so a scenario without a seat
        market draws nothing here and keeps its random stream.
        """
        p = self.p
        year = self.year
        prestige = self._attr_columns()[1]
        for s in self.stations:
            if not s.sellers or not s.is_open(year):
                continue
            every = self.everyone
            cand = np.ones(self.n, dtype=bool)
            cand[s.participants] = False
            cand &= ~self.banned_with(s.participants)
            waited = (s.last_flight_step < 0) | (
                s.last_flight_step + int(p["flight_cooldown"]) <= self.t)
            cand &= waited
            if not cand.any():
                continue
            ability = Rule.ability(s.rule, self.view(s), every)  # the base form, whatever rule
            value = p["w_flight"] + prestige
            for seller, spec in s.sellers:
                lo = spec.open_from if spec.open_from is not None else s.open_from
                hi = spec.close_at if spec.close_at is not None else s.close_at
                if not lo <= year < hi or spec.seats == 0 or not cand.any():
                    continue
                util = market.flight_utility(value, spec.price, ability,
                                             self.political_cost(every, s.host))
                ok = cand.copy()
                if seller == s.host:  # the host sells when revenue and value beat the cost
                    ok &= (s.weight("revenue", p) * spec.price
                           + self.host_value(s, every)) > 0.0
                else:  # a partner or provider sells when the price covers a seat's cost
                    ok &= spec.price >= self.station_view(s).slot
                if seller >= 0:
                    ok[seller] = False
                    if spec.screen == "trust":
                        ok &= self.trust.get(np.full(self.n, seller), every) >= \
                            p["flight_trust_threshold"]
                    elif spec.screen == "alignment":
                        ok &= self.trust.distance(every, seller) <= p["flight_max_distance"]
                tie = self.rng.random(self.n)
                buyers = market.allocate(util, ok, spec.seats, tie)
                if buyers.size == 0:
                    continue
                kind = 0 if seller == s.host else (2 if seller < 0 else 1)
                s.seats_sold[kind] += buyers.size
                s.flights[buyers] += 1
                first = s.first_flight_step[buyers] < 0
                s.first_flight_step[buyers[first]] = self.t
                s.last_flight_step[buyers] = self.t
                s.cum_utility[buyers] += util[buyers]
                if kind == 0:
                    rev = s.weight("revenue", p) * spec.price * buyers.size
                    s.seat_revenue += rev
                    s.host_cum_utility += rev
                    s.now.host_utility += rev
                cand[buyers] = False
                self._log(s, buyers, "flight", market.SELLER_KINDS[kind])

    # phase 4c --------------------------------------------------------------

    def _fly_payloads(self) -> None:
        """Payloads: each open station's announcement of opportunity, when it issues one
        (:mod:`~stationsim.model.payloads`).

        Only stations with ``payload_slots > 0`` take part, so a scenario without
        announcements draws nothing here and keeps its random stream.
        """
        p = self.p
        year = self.year
        for s in self.stations:
            if not s.announces_payloads(year):
                continue
            every = self.everyone
            cand = np.ones(self.n, dtype=bool)
            cand[s.participants] = False
            cand &= ~self.banned_with(s.participants)
            if (s.payload_channel or s.channel) == "bilateral":  # seen through ties (7.8)
                cand &= self.rng.random(self.n) < self.trust_in_host(every, s.host)
            value = payloads.payload_value(self.capability, float(p["w_payload"]),
                                           float(p["w_prestige"]),
                                           self.political_cost(every, s.host),
                                           float(p["payload_political_share"]))
            applied = cand & (value > 0)
            if not applied.any():
                continue
            to_host = self.host_value(s, every) + self.station_view(s).slot  # no slot taken
            merit_sd = float(p["payload_merit_sd"])
            if merit_sd > 0:  # the committee's merit score (payloads, docstring)
                to_host = to_host + merit_sd * self.rng.standard_normal(self.n)
            flown = market.allocate(to_host, applied, s.payload_slots, self.rng.random(self.n))
            s.payloads[flown] += 1
            first = s.first_payload_step[flown] < 0
            s.first_payload_step[flown[first]] = self.t
            s.cum_utility[flown] += value[flown]
            gained = float(to_host[flown].sum())
            s.host_cum_utility += gained
            s.now.host_utility += gained
            self._log(s, flown, "payload", "")

    # phase 5 ---------------------------------------------------------------

    def _exit(self) -> None:
        """Expulsions, ended contracts and low-utility exits.

        Founders leave only if ``founders_may_leave``.
        """
        p = self.p
        cooldown = int(p["reapply_cooldown"])
        year = self.year
        expel_defaults, expel_trust = p["expel_defaults"], p["expel_trust"]
        for s in self.stations:
            m = s.members
            if m.size == 0 or not s.is_open(year):
                continue
            guest = ~s.founder[m]
            guests = m[guest]
            version = s.version
            # (screening, removing or logging no one does nothing, so empty sets are skipped)
            if guests.size:
                blk = self._blocks.get(s.name)
                if blk is not None and blk.k == m.size + 1:  # the host's row of the block
                    hp, k1 = int(m.searchsorted(s.host)), blk.k - 1
                    trust = blk.current[hp * k1:(hp + 1) * k1][guest]
                else:
                    trust = self.host_trust(s.host, guests)
                expel = trust < expel_trust
                if expel_defaults > 0:
                    expel |= s.default_streak[guests] >= expel_defaults
                if expel.any():
                    s.remove(guests[expel], self.t, "expelled", cooldown)
                    self._log(s, guests[expel], "exit", "expelled")
            ended, renewed = self._review(s)
            if renewed.idx.size:
                s.renew(renewed)
            if ended.size:
                if not p["founders_may_leave"]:  # founders' agreements run on (ISS IGA)
                    bound = ended[s.founder[ended]]
                    s.contract_end[bound] = self.t + int(p["contract_steps"])
                    ended = ended[~s.founder[ended]]
                if ended.size:
                    s.remove(ended, self.t, "contract_end", cooldown)
                    self._log(s, ended, "exit", "contract_end")
            if p["founders_may_leave"]:
                may = s.members
            elif s.version == version:  # no one left: the guests screened above
                may = guests
            else:
                m = s.members
                may = m[~s.founder[m]]
            if not may.size:
                continue
            low = may[s.low_streak[may] >= p["patience"]]
            if low.size:
                s.remove(low, self.t, "utility", cooldown)
                self._log(s, low, "exit", "utility")

    # phase 6 ---------------------------------------------------------------

    def mean_member_trust(self, s: Station) -> float:
        """Mean trust among the station's participants (from this step's block if valid)."""
        blk = self._blocks.get(s.name)
        parts = s.participants_sorted
        if blk is None or parts.size < 2:
            return self.trust.mean_among(s.participants)
        if blk.k == parts.size:
            return fmean(blk.current)
        keep = s.member[blk.parts]
        keep[blk.parts == s.host] = True
        return fmean(blk.current[keep[blk.oi] & keep[blk.ji]])

    def participants_mean_trust(self, s: Station) -> float:
        """``trust.mean_among(s.participants)``: from this step's block of the station while
        trust, attributes and parameters are unchanged since it was drifted (its pairs'
        trust is :meth:`Trust.get`'s, taken in the same order, so the mean is the same to
        the bit), else read afresh."""
        parts = s.participants
        blk = self._blocks.get(s.name)
        if (blk is None or parts.size < 2
                or self._blocks_key != (self.trust.version, self.attr_version, self.p.version)):
            return self.trust.mean_among(parts)
        k = blk.k
        pos = blk.parts.searchsorted(parts)
        if pos.max() >= k or (blk.parts[pos] != parts).any():  # someone joined since
            return self.trust.mean_among(parts)
        oi, ji = offdiag(int(parts.size))  # ordered pairs as mean_among takes them
        a, b = pos[oi], pos[ji]
        return fmean(blk.current[a * (k - 1) + b - (b > a)])

    def _collect(self) -> None:
        """The step's row of every station (:data:`~stationsim.model.outcomes.STEP_COLUMNS`)."""
        rows = self.step_rows
        for s in self.stations:
            m = s.members
            if m.size:
                s.years_member[m] += 1
            rows.append(step_values(self, s))
            now, tot = s.now, s.totals
            tot.applications += now.applications
            tot.admissions += now.admissions
            tot.refusals += now.refusals
            tot.defaults += now.defaults
            tot.exits += now.exits


def _kernels() -> Any:
    """The compiled engine's module (:mod:`stationsim.model.kernels`), imported on first use
    so that numba is imported only by models that run with ``engine = "compiled"``."""
    got = _KERNELS.get("kernels")
    if got is None:
        from stationsim.model import kernels

        got = _KERNELS["kernels"] = kernels
    return got


#: the kernels' module once imported (:func:`_kernels`)
_KERNELS: dict[str, Any] = {}


def _rule_kernels() -> Any:
    """The compiled engine's rules (:mod:`stationsim.model.kernels_rules`), imported on
    first use, as :func:`_kernels`."""
    from stationsim.model import kernels_rules

    return kernels_rules


def _host_pairs(blk: TrustBlock, hp: int, t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """From a station's block (host at position ``hp``) and its pairs' trust ``t``: the
    host's trust in each member and each member's trust in the host, members in index
    order."""
    k1 = blk.k - 1
    return t[hp * k1:(hp + 1) * k1], t[blk.ji == hp]
