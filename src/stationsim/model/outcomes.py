"""Outcomes: every output column declared once, and the tables built from the declarations.

As :data:`stationsim.model.params.PARAMETERS` declares the inputs,
:data:`OUTCOMES` declares the outputs: each :class:`Outcome` has a name, a
scope (``station``: one column per station in the runs table, prefixed by the
station's lower-case name; ``run``: one system-wide column of the runs table;
``step``: a column of the step table; ``membership``: a column of the
membership table), a dtype, a unit, a label, the claim or paper it serves,
and the function that computes it.  The run row (:func:`run_row`), the step
columns (:data:`STEP_COLUMNS`, filled by the model's collect phase through
:func:`step_values`) and the membership table (:func:`membership_table`)
are built from the entries; figures take their labels and units from them,
grouping finds outcome columns through :meth:`OutcomeRegistry.of_column`,
and experiments classify guests with :data:`MEMBER_CLASSES`.

Conventions (docs/odd.md, *Observation*): shares over an empty station are
0 (its member count says it is empty); the years to the first non-founding
guest of a station that never had one are right-censored at the years it was
open during the run, with ``<station>_first_guest_censored = True``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from stationsim.model.market import SELLER_KINDS
from stationsim.rules.base import REFUSAL_REASONS

if TYPE_CHECKING:  # the model is typed only; outcomes are computed from what it holds
    from stationsim.model.stations import Station

Scope = Literal["station", "run", "step", "membership"]
Dtype = Literal["int", "float", "bool", "str"]
SCOPES: tuple[Scope, ...] = ("station", "run", "step", "membership")

#: Identifier columns of each table (not outcomes).  Sweeps add their varied
#: fields and ``point``/``sample``, experiments ``arm``, combined folders ``folder``.
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "runs": ("replication", "run_seed", "master_seed", "scenario"),
    "steps": ("replication", "run_seed", "step", "year", "station"),
    "membership": ("replication", "run_seed", "iso3", "station", "host_iso3"),
}


@dataclass(frozen=True)
class Outcome:
    """One output column (or, for ``station`` scope, one column per station).

    Attributes
    ----------
    name : str
        Column name (``station`` scope: the suffix after ``<station>_``).
    scope : {"station", "run", "step", "membership"}
        Which table holds it, and per what.
    dtype : {"int", "float", "bool", "str"}
        Kind of value; ``int`` and ``bool`` are discrete (counts and flags).
    unit : str
        Unit, as axis labels show it.
    label : str
        What it is, in words.
    serves : str
        The claim (H1-H6) or paper it serves, or ``bookkeeping``.
    compute : callable or None
        ``station``: ``f(end: StationEnd) -> value``; ``run``: ``f(model) ->
        value``; ``step``: ``f(model, station) -> value`` (the collect phase);
        ``membership``: ``f(model) -> column over stations x states``.  None
        for an output made outside the model (the analysis test functions):
        declared so analyses know it, never computed by a run.
    censored_by : str, optional
        Name of the flag (same scope) that marks a right-censored value.
    """

    name: str
    scope: Scope
    dtype: Dtype
    unit: str
    label: str
    serves: str
    compute: Callable[..., Any] | None
    censored_by: str | None = None

    def value(self, *args: Any) -> Any:
        """Compute the outcome (arguments as for ``compute``)."""
        if self.compute is None:
            raise ValueError(f"outcome {self.scope}:{self.name} is not computed by a run")
        return self.compute(*args)

    @property
    def discrete(self) -> bool:
        """Counts and flags: integer ticks, strip or box plots."""
        return self.dtype in ("int", "bool")


class OutcomeRegistry(Mapping[str, Outcome]):
    """The outcomes, keyed ``"<scope>:<name>"``; iterate in declaration order."""

    def __init__(self) -> None:
        self._items: dict[str, Outcome] = {}
        #: ``scope(scope, computed)`` lists, built on first use and dropped by :meth:`add`
        #: (the tables and the collect phase ask for them every replication and step)
        self._scopes: dict[tuple[Scope, bool], tuple[Outcome, ...]] = {}
        #: incremented by every :meth:`add`
        self.version = 0

    def add(self, outcome: Outcome) -> Outcome:
        """Declare an outcome (a rule or module may add its own)."""
        key = f"{outcome.scope}:{outcome.name}"
        if key in self._items:
            raise ValueError(f"outcome {key} is declared twice")
        self._items[key] = outcome
        self._scopes.clear()
        self.version += 1
        return outcome

    def __getitem__(self, key: str) -> Outcome:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def scope(self, scope: Scope, computed: bool = True) -> list[Outcome]:
        """The outcomes of one scope, in declaration order (only those a run computes,
        unless ``computed`` is False)."""
        return list(self._scope(scope, computed))

    def _scope(self, scope: Scope, computed: bool = True) -> tuple[Outcome, ...]:
        """:meth:`scope` as a cached tuple (not to be changed by the caller)."""
        got = self._scopes.get((scope, computed))
        if got is None:
            got = tuple(o for o in self._items.values()
                        if o.scope == scope and (o.compute is not None or not computed))
            self._scopes[(scope, computed)] = got
        return got

    def of_column(self, column: str,
                  stations: Sequence[str] = ()) -> tuple[Outcome, str | None] | None:
        """The entry behind a runs-table column and the station it is of (``None``: system).

        ``stations`` are the runs table's station prefixes (lower-case names);
        a column that is no outcome (an identifier, a varied field) gives None.
        """
        for pre in sorted(stations, key=len, reverse=True):
            if column.startswith(pre + "_"):
                o = self._items.get("station:" + column[len(pre) + 1:])
                if o is not None:
                    return o, pre
        o = self._items.get("run:" + column)
        return (o, None) if o is not None else None

    def columns(self, table: str, stations: Sequence[str] = ()) -> list[str]:
        """Every outcome column of ``table`` (``runs``, ``steps``, ``membership``)."""
        if table == "runs":
            return ([f"{s}_{o.name}" for s in stations for o in self.scope("station")]
                    + [o.name for o in self.scope("run")])
        scope: Scope = "step" if table == "steps" else "membership"
        return [o.name for o in self.scope(scope)]


OUTCOMES = OutcomeRegistry()


# ---------------------------------------------------------------- guest classes

#: Classes of states by their attributes, used by the run row's counts and by
#: experiments' conditions: name -> ``f(capability, developing, params) -> mask``.
MEMBER_CLASSES: dict[str, Callable[[npt.NDArray[np.float64], npt.NDArray[np.bool_],
                                    Mapping[str, Any]], npt.NDArray[np.bool_]]] = {
    "developing": lambda cap, dev, p: np.asarray(dev, dtype=bool),
    "capable": lambda cap, dev, p: np.asarray(cap >= p["capable_threshold"]),
    "major_power": lambda cap, dev, p: np.asarray(cap >= p["major_power_threshold"]),
    "low_capability": lambda cap, dev, p: np.asarray(cap <= p["low_capability_threshold"]),
}


# ---------------------------------------------------------------- station outcomes


class StationEnd:
    """A station at the end of a run: what its outcomes are computed from."""

    def __init__(self, model: Any, s: Station) -> None:
        self.model = model
        self.s = s
        self.last_year = model.start_year + model.t - 1
        self.m = s.members
        self.parts = s.participants
        self.n_m = int(self.m.size)
        self.is_open = s.is_open(self.last_year)
        self.cap = model.capability
        self._of_members: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]] | None = None

    def count(self, cls: str) -> int:
        """Members of class ``cls`` (:data:`MEMBER_CLASSES`)."""
        if self._of_members is None:
            self._of_members = (self.cap[self.m], self.model.developing[self.m])
        cap, dev = self._of_members
        return int(MEMBER_CLASSES[cls](cap, dev, self.model.p).sum())

    def first_guest(self) -> tuple[float, bool]:
        """Years from opening to the first non-founding guest, and whether censored."""
        s, model = self.s, self.model
        if s.first_guest_year is not None:
            return float(s.first_guest_year - s.open_from), False
        open_years = max(0, min(s.close_at, self.last_year + 1)
                         - max(s.open_from, model.start_year))
        return float(open_years), True


def _count(mask: npt.NDArray[np.bool_]) -> int:
    """``int(mask.sum())`` of a boolean mask."""
    return int(np.count_nonzero(mask))


def _share(mask: npt.NDArray[np.bool_]) -> float:
    """``float(mask.mean())`` of a non-empty boolean mask (numpy sums it as float64, exactly,
    and divides by the count: the same value)."""
    return np.count_nonzero(mask) / mask.size


def _station(name: str, dtype: Dtype, unit: str, label: str, serves: str,
             compute: Callable[[StationEnd], Any], censored_by: str | None = None) -> None:
    OUTCOMES.add(Outcome(name, "station", dtype, unit, label, serves, compute, censored_by))


_station("open", "bool", "share of runs (0/1)", "open at end", "bookkeeping",
         lambda e: e.is_open)
_station("rule", "str", "", "admission rule (chosen by the host when the scenario says auto; "
         "auto: never opened)", "Foley 2014 (H1, H2); seed 004", lambda e: e.s.rule_name)
_station("channel", "str", "", "channel (un / bilateral; chosen by the host when the "
         "scenario says auto)", "Li & Mayer 2023 (H5)", lambda e: e.s.channel)
_station("members", "int", "states (host excluded)", "members at end", "H1, H2, H5",
         lambda e: e.n_m)
_station("member_list", "str", "", "members at end (iso3)", "H1",
         lambda e: ";".join(e.model.states.iso3[i] for i in e.m.tolist()))
_station("pooled_capability", "float", "capability, summed over host and members",
         "pooled capability", "Foley 2014",
         lambda e: float(e.cap[e.parts].sum()) if e.is_open else 0.0)
_station("host_cost_share", "float", "fraction of operating cost", "host's share of cost",
         "Foley 2014 (H1, H6)", lambda e: e.s.host_share())
_station("mean_member_trust", "float", "trust (0-1)", "mean trust among members",
         "Wu 2016 (H3)",
         lambda e: e.model.participants_mean_trust(e.s) if e.n_m else 0.0)
_station("member_trust_in_host", "float", "trust (0-1)", "members' mean trust in the host",
         "Wu 2016 (H3)", lambda e: e.model.member_trust_in_host(e.s))
_station("applications", "int", "count over run", "applications", "Li & Mayer 2023 (H5)",
         lambda e: e.s.totals.applications)
_station("admissions", "int", "count over run", "admissions", "H5",
         lambda e: e.s.totals.admissions)
_station("refusals", "int", "count over run", "refusals", "bookkeeping",
         lambda e: e.s.totals.refusals)
_station("defaults", "int", "missed deliveries over run", "defaults", "Cheng 2009 (H4)",
         lambda e: e.s.totals.defaults)
_station("exits", "int", "count over run", "exits", "bookkeeping",
         lambda e: e.s.totals.exits)
_station("ever_guests", "int", "states (founders excluded)", "guests ever admitted",
         "H5, Foley 2014",
         lambda e: _count((e.s.n_joins > 0) & ~e.s.founder))
_station("years_to_first_guest", "float", "years from opening (censored: run end)",
         "time to first guest", "pattern: time to a station's first guest",
         lambda e: e.first_guest()[0], censored_by="first_guest_censored")
_station("first_guest_censored", "bool", "share of runs (0/1)", "no guest during run",
         "pattern: time to a station's first guest", lambda e: e.first_guest()[1])
_station("regional_share", "float", "fraction of members", "regional share of members",
         "Foley 2014 (H1)",
         lambda e: _share(e.model.regional(e.m, e.s.host)) if e.n_m else 0.0)
_station("developing_share", "float", "fraction of members", "developing share of members",
         "Foley 2014 (H1)",
         lambda e: _share(e.model.developing[e.m]) if e.n_m else 0.0)
_station("capacity_used", "float", "fraction of guest slots", "capacity used", "H1",
         lambda e: e.n_m / e.s.capacity if e.s.capacity else 0.0)
_station("capable_members", "int", "states", "capable members", "Cheng 2009 (H3, H4)",
         lambda e: e.count("capable"))
_station("major_power_guests", "int", "states", "major-power members", "Foley 2014 (H1)",
         lambda e: e.count("major_power"))
_station("low_capability_members", "int", "states", "low-capability members",
         "Foley 2014 (H2)", lambda e: e.count("low_capability"))
_station("host_utility", "float", "utility units, summed over run", "host utility",
         "hosts are deciders (H4)", lambda e: e.s.host_cum_utility)
_station("guest_utility", "float", "utility units, summed over run", "guest utility",
         "bookkeeping", lambda e: float(e.s.cum_utility.sum()))
_station("seats_sold", "int", "seats over run", "guest-flight seats sold",
         "model v2: seat market (ISS guest flights were bought)",
         lambda e: int(e.s.seats_sold.sum()))
for _k, _kind in enumerate(SELLER_KINDS):
    _station(f"seats_sold_{_kind}", "int", "seats over run", f"seats sold by the {_kind}",
             "model v2: seat market (Soyuz seats; Axiom)",
             (lambda k: (lambda e: int(e.s.seats_sold[k])))(_k))
_station("guest_flyers", "int", "states", "states whose national flew as a guest",
         "model v2: seat market; pattern: who flies", lambda e: _count(e.s.flights > 0))
_station("seat_revenue", "float", "utility units, summed over run",
         "host's revenue from seats", "model v2: host objectives (revenue)",
         lambda e: float(e.s.seat_revenue))
_station("payloads_flown", "int", "experiments over run",
         "experiments flown through announcements of opportunity",
         "model v2: payloads (CSS AO 2019; KiboCUBE)", lambda e: int(e.s.payloads.sum()))
_station("payload_states", "int", "states", "states that flew an experiment",
         "model v2: payloads; pattern: who takes part", lambda e: _count(e.s.payloads > 0))


def _refusals_for(code: int) -> Callable[[StationEnd], int]:
    """Refusals at negotiation for the reason of ``code`` (one outcome per reason)."""
    return lambda e: int(e.s.refusal_counts[code])


for _k, _reason in enumerate(REFUSAL_REASONS):
    _station(f"refusals_{_reason}", "int", "count over run",
             f"refusals for {_reason.replace('_', ' ')}", "why hosts refuse (rules)",
             _refusals_for(_k + 1))


# ---------------------------------------------------------------- run outcomes


def _run(name: str, dtype: Dtype, unit: str, label: str, serves: str,
         compute: Callable[[Any], Any]) -> None:
    OUTCOMES.add(Outcome(name, "run", dtype, unit, label, serves, compute))


def _in_any(model: Any) -> npt.NDArray[np.int64]:
    out = np.zeros(model.n, dtype=np.int64)
    for s in model.stations:
        out += s.member
    return out


def _welfare(model: Any, who: str) -> float:
    total = 0.0
    for s in model.stations:
        total += float(s.cum_utility.sum()) if who == "guest" else s.host_cum_utility
    return total


_run("states_in_partnership", "int", "states", "states in any partnership at end",
     "Li & Mayer 2023 (H5), O'Brien 2013 (H6)", lambda m: int((_in_any(m) > 0).sum()))
_run("states_in_multiple", "int", "states", "states in more than one station", "bookkeeping",
     lambda m: int((_in_any(m) > 1).sum()))
_run("guest_welfare", "float", "utility units, summed over run", "guest welfare",
     "Cheng 2009 (H4)", lambda m: _welfare(m, "guest"))
_run("host_welfare", "float", "utility units, summed over run", "host welfare",
     "Cheng 2009 (H4)", lambda m: _welfare(m, "host"))
_run("total_welfare", "float", "utility units, summed over run", "total welfare",
     "Cheng 2009 (H4)", lambda m: _welfare(m, "guest") + _welfare(m, "host"))


# ---------------------------------------------------------------- step outcomes


def _step(name: str, dtype: Dtype, unit: str, label: str, serves: str,
          compute: Callable[[Any, Station], Any]) -> None:
    OUTCOMES.add(Outcome(name, "step", dtype, unit, label, serves, compute))


_step("open", "bool", "share of runs (0/1)", "open", "bookkeeping",
      lambda m, s: s.is_open(m.year))
_step("members", "int", "members (states, host excluded)", "members", "H1, H2, H5",
      lambda m, s: int(s.members.size))
_step("pooled_capability", "float", "pooled capability", "pooled capability", "Foley 2014",
      lambda m, s: float(m.capability[s.participants].sum()) if s.is_open(m.year) else 0.0)
_step("host_cost_share", "float", "host's share of cost (fraction)", "host's share of cost",
      "Foley 2014 (H1, H6)", lambda m, s: s.host_share())
_step("mean_member_trust", "float", "mean trust among members (0-1)",
      "mean trust among members", "Wu 2016 (H3)",
      lambda m, s: m.mean_member_trust(s) if s.members.size else 0.0)
_step("member_trust_in_host", "float", "members' mean trust in the host (0-1)",
      "members' mean trust in the host", "Wu 2016 (H3)",
      lambda m, s: m.member_trust_in_host(s))
_step("applications", "int", "count per year", "applications", "Li & Mayer 2023 (H5)",
      lambda m, s: s.now.applications)
_step("admissions", "int", "count per year", "admissions", "H5",
      lambda m, s: s.now.admissions)
_step("refusals", "int", "count per year", "refusals", "bookkeeping",
      lambda m, s: s.now.refusals)
_step("defaults", "int", "missed deliveries per year", "defaults", "Cheng 2009 (H4)",
      lambda m, s: s.now.defaults)
_step("host_defaults", "int", "missed deliveries per year", "host defaults", "Cheng 2009 (H4)",
      lambda m, s: s.now.host_defaults)
_step("exits", "int", "count per year", "exits", "bookkeeping", lambda m, s: s.now.exits)
_step("capacity_used", "float", "capacity used (fraction of slots)", "capacity used", "H1",
      lambda m, s: s.members.size / s.capacity if s.capacity else 0.0)
_step("host_utility", "float", "host utility (utility units per year)", "host utility",
      "hosts are deciders (H4)", lambda m, s: s.now.host_utility)
_step("guest_utility", "float", "guest utility (utility units per year)", "guest utility",
      "bookkeeping", lambda m, s: s.now.guest_utility)

#: Columns of the per-step table, in order: ``step``, ``year``, ``station``, then the outcomes.
STEP_COLUMNS: tuple[str, ...] = ("step", "year", "station",
                                 *(o.name for o in OUTCOMES.scope("step")))
#: The step outcomes declared above, which :func:`step_values` computes in one pass.
_FUSED_STEP = ("open", "members", "pooled_capability", "host_cost_share", "mean_member_trust",
               "member_trust_in_host", "applications", "admissions", "refusals", "defaults",
               "host_defaults", "exits", "capacity_used", "host_utility", "guest_utility")
#: ``[registry version, whether its step scope is exactly the outcomes of _FUSED_STEP]``
#: (names are unique within a scope, so equal names are these declarations)
_FUSED_AT: list[Any] = [-1, False]


def step_values(model: Any, s: Station) -> tuple[Any, ...]:
    """One row of the step table for station ``s`` at the current step (collect phase).

    The outcomes declared in this module are computed in one pass
    (:func:`_fused_step_values`: the same expressions as their ``compute``,
    without one call per outcome); an extra step outcome declared later makes
    every value come from ``compute`` (:func:`declared_step_values`).
    """
    if _FUSED_AT[0] != OUTCOMES.version:
        _FUSED_AT[:] = [OUTCOMES.version,
                        tuple(o.name for o in OUTCOMES._scope("step")) == _FUSED_STEP]
    if _FUSED_AT[1]:
        return _fused_step_values(model, s)
    return declared_step_values(model, s)


def declared_step_values(model: Any, s: Station) -> tuple[Any, ...]:
    """:func:`step_values` from each outcome's ``compute`` (the declaration itself)."""
    return (model.t, model.year, s.name,
            *[o.compute(model, s) for o in OUTCOMES._scope("step")])  # type: ignore[misc]


def _fused_step_values(model: Any, s: Station) -> tuple[Any, ...]:
    """:func:`declared_step_values` of the outcomes :data:`_FUSED_STEP`, in one pass: each
    value is the expression of its ``compute`` above (so the same value, to the bit)."""
    year = model.year
    is_open = s.is_open(year)
    m = s.members
    n_m = int(m.size)
    now = s.now
    pooled = float(model.capability[s.participants].sum()) if is_open else 0.0
    if n_m:
        share = s.host_share()
        mean_trust = model.mean_member_trust(s)
        in_host = model.member_trust_in_host(s)
    else:  # no guest pays (``host_share`` of no dues) and no pair trusts
        share = max(0.0, s.operating_cost - (0.0 + 0.0)) / s.operating_cost
        mean_trust = in_host = 0.0
    return (model.t, year, s.name, is_open, n_m, pooled, share, mean_trust, in_host,
            now.applications, now.admissions, now.refusals, now.defaults, now.host_defaults,
            now.exits, n_m / s.capacity if s.capacity else 0.0, now.host_utility,
            now.guest_utility)


# ---------------------------------------------------------------- membership outcomes


def _membership(name: str, dtype: Dtype, unit: str, label: str, serves: str,
                compute: Callable[[Any], Any]) -> None:
    OUTCOMES.add(Outcome(name, "membership", dtype, unit, label, serves, compute))


def _cat(model: Any, name: str) -> npt.NDArray[Any]:
    return np.concatenate([getattr(s, name) for s in model.stations])


def _steps(values: npt.NDArray[np.int64], offset: int = 0) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values + offset, values < 0)


def _roles(model: Any) -> npt.NDArray[Any]:
    out = []
    for s in model.stations:
        r = np.full(s.founder.size, "guest", dtype=object)  # as np.where(...).astype(object)
        r[s.founder] = "founder"
        r[s.host] = "host"
        out.append(r)
    return np.concatenate(out)


def _member_end(model: Any) -> npt.NDArray[np.bool_]:
    out = []
    for s in model.stations:
        end = s.member.copy()
        if s.is_open(model.start_year + model.t - 1):
            end[s.host] = True
        out.append(end)
    return np.concatenate(out)


def _tile(model: Any, col: npt.NDArray[Any] | list[Any]) -> Any:
    k = len(model.stations)
    return col * k if isinstance(col, list) else np.tile(col, k)


_membership("role", "str", "", "role (host / founder / guest)", "bookkeeping", _roles)
_membership("member_at_end", "bool", "share (0/1)", "member at end", "H1, H2", _member_end)
_membership("join_step", "int", "step", "first join (step)", "pattern: order of joining",
            lambda m: _steps(_cat(m, "first_join_step")))
_membership("join_year", "int", "year", "first join (year)", "pattern: order of joining",
            lambda m: _steps(_cat(m, "first_join_step"), m.start_year))
_membership("exit_step", "int", "step", "last exit (step)", "bookkeeping",
            lambda m: _steps(_cat(m, "exit_step")))
_membership("exit_year", "int", "year", "last exit (year)", "bookkeeping",
            lambda m: _steps(_cat(m, "exit_step"), m.start_year))
_membership("exit_reason", "str", "", "reason of last exit", "bookkeeping",
            lambda m: pd.array([r or None for s in m.stations for r in s.exit_reason],
                               dtype="string"))
_membership("n_joins", "int", "count", "times joined", "bookkeeping",
            lambda m: _cat(m, "n_joins"))
_membership("years_member", "int", "years", "years a member", "bookkeeping",
            lambda m: _cat(m, "years_member"))
_membership("net_utility", "float", "utility units, summed over run",
            "net utility from the station", "bookkeeping", lambda m: _cat(m, "cum_utility"))
_membership("flights", "int", "count", "guest flights of its nationals",
            "model v2: seat market", lambda m: _cat(m, "flights"))
_membership("first_flight_year", "int", "year", "first guest flight (year)",
            "pattern: who flies, and when", lambda m: _steps(_cat(m, "first_flight_step"),
                                                             m.start_year))
_membership("payloads", "int", "count", "experiments flown through announcements of "
            "opportunity", "model v2: payloads", lambda m: _cat(m, "payloads"))
_membership("first_payload_year", "int", "year", "first experiment selected (year)",
            "model v2: payloads; pattern: who takes part, and when",
            lambda m: _steps(_cat(m, "first_payload_step"), m.start_year))
_membership("capability", "float", "capability (0-1)", "capability", "input",
            lambda m: _tile(m, m.states.capability))
_membership("alignment", "float", "-1 U.S. .. +1 China", "alignment", "input",
            lambda m: _tile(m, m.states.alignment[:, 0]))
_membership("developing", "bool", "share (0/1)", "developing", "input",
            lambda m: _tile(m, m.states.developing))
_membership("region", "str", "", "region", "input", lambda m: _tile(m, m.states.region))
_membership("continent", "str", "", "continent", "input",
            lambda m: _tile(m, m.states.continent))


# ---------------------------------------------------------------- tables


def station_prefix(name: str) -> str:
    """Column prefix of a station in the runs table (lower-case name)."""
    return name.lower()


def run_row(model: Any) -> dict[str, Any]:
    """One row of per-run outcomes: per station, then system-wide figures."""
    row: dict[str, Any] = {}
    for s in model.stations:
        pre = station_prefix(s.name)
        end = StationEnd(model, s)
        for o in OUTCOMES._scope("station"):
            row[f"{pre}_{o.name}"] = o.compute(end)  # type: ignore[misc]
    for o in OUTCOMES._scope("run"):
        row[o.name] = o.compute(model)  # type: ignore[misc]
    return row


def step_table(model: Any) -> pd.DataFrame:
    """The replication's step x station time series."""
    return pd.DataFrame(model.step_records)


def membership_table(model: Any) -> pd.DataFrame:
    """State x station: role, membership at the end, first join, last exit, net utility.

    ``join_step``/``exit_step`` are step indices (step 0 is ``start_year``);
    missing values (never joined, never left) are ``<NA>``.  A state's net
    utility is what it realised from that station over the run.  Built from
    whole columns (one DataFrame), since every replication makes one.
    """
    return pd.DataFrame(membership_columns(model), copy=False)  # the columns are new arrays


def membership_columns(model: Any) -> dict[str, Any]:
    """The columns of :func:`membership_table` (arrays and lists), before the DataFrame is
    made, so that a batch makes one DataFrame of many replications."""
    st = model.states
    stations = model.stations
    k = len(stations)
    cols: dict[str, Any] = {
        "iso3": st.iso3 * k,
        "station": np.repeat(np.array([s.name for s in stations], dtype=object), model.n),
        "host_iso3": np.repeat(np.array([st.iso3[s.host] for s in stations], dtype=object),
                               model.n),
    }
    for o in OUTCOMES._scope("membership"):
        cols[o.name] = o.compute(model)  # type: ignore[misc]
    return cols


def outcome_table() -> pd.DataFrame:
    """The registry as a table (for ``docs/odd.md`` and ``stationsim outcomes``)."""
    return pd.DataFrame([{"scope": o.scope, "column": ("<station>_" if o.scope == "station"
                                                       else "") + o.name,
                          "dtype": o.dtype, "unit": o.unit, "label": o.label,
                          "serves": o.serves, "censored_by": o.censored_by or ""}
                         for o in OUTCOMES.values() if o.compute is not None])
