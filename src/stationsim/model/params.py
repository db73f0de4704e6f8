"""Named model parameters: typed, bounded, documented and traced to a paper.

Every free number of the model is declared here once, as a :class:`Param` with
a default, a plausible range and the source it rests on (in the manner of EMA
Workbench's typed parameters, validated when declared).  Scenario files set
them under ``[parameters]``; sweeps and sensitivity analyses vary them within
their bounds.  ``docs/odd.md`` explains each group.

Paper keys used in ``source`` (full references in ``docs/bibliography.md``):

* ``Foley`` -- 000, *Planning International Collaboration on the CSS*
* ``Wu`` -- 001, *International Cooperation in China's Space Undertakings*
* ``Essay002`` -- 002, essay on China's exclusion from the ISS
* ``Cheng`` -- 003, *U.S.-China Space Cooperation: More Costs Than Benefits*
* ``Seed004`` -- 004, CSS vs ILRS diplomacy (institutional density)
* ``choice`` -- a modelling choice the specification left open (docs/odd.md, appendix B)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, create_model

ParamKind = Literal["real", "int", "bool", "category"]


@dataclass(frozen=True)
class Param:
    """One named, bounded model parameter.

    Parameters
    ----------
    name : str
        Identifier used in scenario files (``[parameters] name = value``).
    default : float | int | bool | str
        Value used when a scenario does not set it.
    low, high : float
        Inclusive plausible range (ignored for ``bool`` and ``category``).
    kind : {"real", "int", "bool", "category"}
        Value type.
    doc : str
        What it means, in the model's units.
    source : str
        Paper and claim it implements, or ``choice``.
    categories : tuple of str
        Allowed values when ``kind == "category"``.
    """

    name: str
    default: float | int | bool | str
    low: float = 0.0
    high: float = 1.0
    kind: ParamKind = "real"
    doc: str = ""
    source: str = "choice"
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind in ("real", "int"):
            if not self.low <= self.high:
                raise ValueError(f"parameter {self.name}: low {self.low} > high {self.high}")
            if isinstance(self.default, bool) or not isinstance(self.default, int | float):
                raise ValueError(f"parameter {self.name}: default must be numeric")
            if not self.low <= float(self.default) <= self.high:
                raise ValueError(
                    f"parameter {self.name}: default {self.default} outside "
                    f"[{self.low}, {self.high}]"
                )
        elif self.kind == "category" and self.default not in self.categories:
            raise ValueError(f"parameter {self.name}: default not in {self.categories}")
        elif self.kind == "bool" and not isinstance(self.default, bool):
            raise ValueError(f"parameter {self.name}: default must be a bool")

    def allowed(self) -> str:
        """Human description of the allowed values, for error messages."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "category":
            return "one of " + ", ".join(repr(c) for c in self.categories)
        kind = "an integer" if self.kind == "int" else "a number"
        return f"{kind} in [{self.low:g}, {self.high:g}]"

    def check(self, value: object) -> float | int | bool | str:
        """Return ``value`` coerced to this parameter's type, or raise ``ValueError``."""
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise ValueError(f"must be {self.allowed()}, got {value!r}")
        if self.kind == "category":
            if isinstance(value, str) and value in self.categories:
                return value
            raise ValueError(f"must be {self.allowed()}, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise ValueError(f"must be {self.allowed()}, got {value!r}")
        if self.kind == "int" and float(value) != int(value):
            raise ValueError(f"must be {self.allowed()}, got {value!r}")
        if not self.low <= float(value) <= self.high:
            raise ValueError(f"must be {self.allowed()}, got {value!r}")
        return int(value) if self.kind == "int" else float(value)


_P = Param

#: All model parameters, by name.  Order is the order of docs/odd.md.
PARAMETERS: dict[str, Param] = {
    p.name: p
    for p in [
        # --- benefit of membership (docs/odd.md, *Submodels*) ---
        _P("w_access", 1.0, 0.0, 3.0, doc="value of full access to a station's pooled "
           "capability (per step)", source="Foley: access to the station's pooled capability"),
        _P("access_half", 1.0, 0.1, 5.0, doc="pooled capability at which access value is "
           "half its maximum (saturating)", source="choice"),
        _P("w_prestige", 0.6, 0.0, 2.0, doc="prestige value, scaled by (1 - capability)",
           source="Foley: public-relations value is larger for low-capability states"),
        _P("w_learning", 0.8, 0.0, 2.0, doc="learning value per unit capability gap to the "
           "station's most capable member", source="Cheng/Foley: learning grows with the gap"),
        _P("lifetime_horizon", 8.0, 1.0, 30.0, doc="years of remaining life an entrant needs "
           "for the full benefit; benefit x min(1, remaining/horizon)",
           source="Cheng: 'turn out the lights', late entry to an ageing station is worthless"),
        # --- costs ---
        _P("ability_floor", 0.2, 0.01, 1.0, doc="ability to pay of a state with no capability "
           "and no money; ability = floor + capability + money", source="spec: units"),
        _P("w_alignment", 1.0, 0.0, 3.0, doc="political cost per unit alignment distance to "
           "the host", source="Essay002: compatibility with the leader's policies"),
        _P("w_dual_use", 0.8, 0.0, 3.0, doc="political cost of the host's dual-use risk "
           "military_fusion x (1 - transparency)", source="Essay002/Cheng: military-civil fusion"),
        _P("trust_relief", 0.7, 0.0, 1.0, doc="share of political cost removed by full trust "
           "in the host", source="Wu: lack of mutual confidence limits cooperation"),
        # --- host utility (docs/odd.md: hosts are deciders) ---
        _P("w_soft_power", 0.3, 0.0, 2.0, doc="host's soft-power value of a developing guest",
           source="Foley: PR value of developing guests (Interkosmos)"),
        _P("w_regional", 0.2, 0.0, 2.0, doc="host's soft-power value of a guest in its region",
           source="Foley: CSS as a China-led regional platform"),
        _P("w_strategic", 0.5, 0.0, 2.0, doc="host's value per unit capability a guest brings",
           source="Foley: rights commensurate with contributions; Essay002: cost sharing"),
        _P("w_leakage", 1.0, 0.0, 3.0, doc="host's loss from dual-use leakage to a guest it "
           "does not trust, x dual-use risk x (1 + capability gap)",
           source="Cheng: dual-use technology leaks; the weaker side gains more"),
        _P("slot_cost_share", 0.05, 0.0, 0.3, doc="cost to the host of one guest slot, as a "
           "share of the station's operating cost", source="choice"),
        # --- hub_and_spoke ---
        _P("hub_value_threshold", 0.3, 0.0, 2.0, doc="strategic value an applicant must bring "
           "to a hub", source="Foley: hub admits by strategic value (chain of command)"),
        _P("hub_alignment_value", 0.3, 0.0, 2.0, doc="hub's value of an aligned applicant, "
           "x (1 - alignment distance)", source="Essay002: compatibility with the leader's "
           "policies gated ISS entry"),
        _P("hub_trust_threshold", 0.45, 0.0, 1.0, doc="hub's trust in an applicant needed to "
           "admit it", source="Wu: mutual confidence; Foley: hub-and-spoke"),
        _P("spoke_cost_share", 0.05, 0.0, 0.5, doc="share of operating cost a spoke pays per "
           "unit capability it brings", source="Foley: rights commensurate with contributions"),
        _P("spoke_min_share", 0.01, 0.0, 0.2, doc="minimum share of operating cost a spoke "
           "pays", source="choice"),
        _P("veto_threshold", 0.3, 0.0, 1.0, doc="an ISS-style partner whose trust in the "
           "applicant is below this blocks it", source="Cheng: consult allies (partners' veto)"),
        # --- quid_pro_quo ---
        _P("qpq_trust_threshold", 0.3, 0.0, 1.0, doc="host's trust in a guest needed to "
           "contract with it", source="Foley: explicit quid pro quo; Wu"),
        _P("contract_steps", 3, 1, 20, kind="int", doc="length of a quid-pro-quo contract "
           "(steps)", source="Foley: in-kind exchange contracts"),
        _P("bargaining_gap_weight", 0.5, 0.0, 1.0, doc="host bargaining power = 0.5 + weight x "
           "capability gap (clipped to [0, 1])", source="Cheng: capability disparity"),
        # --- channel (seed 004) ---
        _P("un_trust_relief", 0.15, 0.0, 0.5, doc="trust screen lowered by this under the UN "
           "channel", source="Seed004: institutional density substitutes for trust"),
        _P("un_reputation", 0.2, 0.0, 1.0, doc="share of a default's penalty applied to the "
           "defaulter's reputation with every state under the UN channel",
           source="Seed004: defaulting costs reputation with all members"),
        _P("w_reach", 0.05, 0.0, 1.0, doc="a host's value per state its offer reaches (a host "
           "left to choose its channel, `channel = \"auto\"`)",
           source="Seed004 (Li & Mayer 2023): the UN channel brings reach where institutions "
           "are thin"),
        _P("un_control_cost", 0.5, 0.0, 5.0, doc="what a host gives up by offering its station "
           "through the UN (selection by a joint committee, open rules)",
           source="Seed004 (Li & Mayer 2023): control vs legitimacy"),
        # --- a host choosing its rule (model v2, seed 004) ---
        _P("w_control", 1.0, 0.0, 5.0, doc="a host's value of keeping the chain of command "
           "and the majority share, which hub_and_spoke gives it and quid_pro_quo does not "
           "(a host left to choose its rule, `rule = \"auto\"`)",
           source="Foley 2014: the hub keeps the chain of command and the majority share; "
           "quid pro quo trades rights for explicit payment"),
        # --- trust ---
        _P("trust_base_max", 0.85, 0.0, 1.0, doc="baseline trust between perfectly aligned "
           "states", source="Wu/Essay002: ideological distance"),
        _P("trust_base_slope", 0.8, 0.0, 1.0, doc="baseline trust lost per unit normalised "
           "alignment distance", source="Wu: ideological and military concerns"),
        _P("learn_rate", 0.25, 0.0, 1.0, doc="trust learning rate toward an opaque..transparent "
           "party (scaled by transparency)", source="Wu: transparency builds confidence"),
        _P("transparency_floor", 0.2, 0.0, 1.0, doc="share of learn_rate applied to a fully "
           "opaque party", source="Wu: transparency builds confidence"),
        _P("default_penalty", 0.05, 0.0, 0.5, doc="extra trust cut for an unreturned commitment",
           source="Cheng: the unreturned visit destroyed trust"),
        _P("trust_drift", 0.05, 0.0, 0.5, doc="share of learned trust deviation that decays "
           "each step back toward the alignment baseline", source="choice"),
        _P("host_delivery", "per_station", kind="category",
           categories=("per_station", "per_contract"),
           doc="whether a host keeps or breaks its word once a year for all its members "
           "(per_station) or each member's contract on its own (per_contract, model v2)",
           source="model v2 (issue 13): under per_station a host fails every guest at once "
           "in 30-45 % of station-years"),
        _P("trust_update", "delta", kind="category", categories=("delta", "belief"),
           doc="how trust learns: a delta rule with a default penalty (delta), or a belief "
           "that weighs each observation by what the record already holds (belief, model v2)",
           source="Wu 2016: confidence follows the record; model v2 (issue 13)"),
        _P("belief_prior", 4.0, 0.5, 50.0, doc="prior strength of a belief, in observations of "
           "a fully transparent party (belief)", source="choice"),
        _P("w_political", 0.0, 0.0, 1.0, doc="weight of political reciprocity (returned visits, "
           "access) beside delivery in what a partner observes",
           source="Cheng 2009: the unreturned visit destroyed trust"),
        _P("tft_weight", 0.5, 0.0, 1.0, doc="how strongly a state returns its counterparts' "
           "defaults (x its reciprocity): tit-for-tat memory", source="Cheng: reciprocity"),
        # --- exit and re-entry ---
        _P("exit_threshold", 0.0, -2.0, 2.0, doc="a member whose per-step utility stays below "
           "this for `patience` steps leaves", source="choice"),
        _P("patience", 3, 1, 20, kind="int", doc="steps of low utility before exit",
           source="choice"),
        _P("reapply_cooldown", 2, 0, 20, kind="int", doc="steps a refused or departed state "
           "waits before applying to the same station again", source="choice"),
        _P("founders_may_leave", False, kind="bool", doc="whether founding members may exit "
           "endogenously (timeline `leave` events always apply)", source="choice: ISS IGA"),
        _P("expel_defaults", 3, 0, 20, kind="int", doc="consecutive defaults after which the "
           "host expels a guest (0 = never)", source="Cheng: unreturned commitments"),
        _P("expel_trust", 0.1, 0.0, 1.0, doc="host expels a guest whose trust falls below this",
           source="Cheng"),
        _P("admission_order", "value", kind="category", categories=("value", "random"),
           doc="order of admission when capacity binds: by the host's gain, or random",
           source="choice"),
        # --- successor stations (model v2) ---
        _P("successor_bonus", 0.0, 0.0, 2.0, doc="value a member of a closing station adds "
           "to its utility of joining the station's successor (`successor_of`) when the "
           "successor's offer is made: continuity of its crews, hardware and agreements; "
           "0 = the ordinary join decision", source="choice; documented fact: NASA plans "
           "its commercial LEO destinations to continue the ISS's partners' access "
           "(docs/odd.md, *Successor stations*)"),
        # --- guest flights: the seat market (model v2) ---
        _P("w_flight", 1.0, 0.0, 5.0, doc="value to a state of one guest flight of a national "
           "(a bought or bartered seat), before its prestige value",
           source="documented fact: most ISS guest nationals flew on bought seats "
           "(data/cases/iss_guests.csv); Foley 2014: public-relations value"),
        _P("flight_trust_threshold", 0.3, 0.0, 1.0, doc="a seller screening by trust sells only "
           "to buyers it trusts at least this much", source="Wu 2016: mutual confidence"),
        _P("flight_max_distance", 0.6, 0.0, 1.0, doc="a seller screening by alignment sells only "
           "to buyers within this normalised alignment distance",
           source="Foley 2014: Interkosmos flew allies' cosmonauts"),
        _P("flight_cooldown", 8, 0, 50, kind="int", doc="years a state waits after a guest flight "
           "before it buys another seat at the same station", source="choice"),
        # --- payloads: announcements of opportunity (model v2) ---
        _P("w_payload", 1.0, 0.0, 5.0, doc="value to a state of flying one experiment, per "
           "unit capability (a science community that builds and uses it), before its "
           "prestige value", source="documented fact: the 2019 UNOOSA/CMSA selection for "
           "the CSS chose 9 projects of institutions from 17 countries, mostly with space "
           "programmes (spacenews.com, 12 June 2019; data/cases/css.csv)"),
        _P("payload_political_share", 0.5, 0.0, 1.0, doc="share of the political cost of "
           "partnering with the host that a state bears for flying an experiment with it",
           source="documented fact: institutions of NATO and EU states that are ISS "
           "partners (DEU, FRA, NOR, NLD, ESP; not scored by the css case) were selected for "
           "the CSS in 2019, none a CSS partner (data/cases/css.csv); the value is a choice"),
        _P("payload_merit_sd", 0.0, 0.0, 5.0, doc="spread of the merit score a selection "
           "committee adds to the host's value of each applicant (utility units; 0: the "
           "host's ranking alone)", source="documented fact: the 2019 UNOOSA/CMSA selection "
           "evaluated proposals 'in terms of the scientific value' (spacenews.com, 12 June "
           "2019); the value is fitted on the css case's fit split (docs/validation.md)"),
        # --- outcome thresholds ---
        _P("capable_threshold", 0.4, 0.0, 1.0, doc="capability of a 'capable' partner",
           source="Wu/H3"),
        _P("major_power_threshold", 0.6, 0.0, 1.0, doc="capability of a 'major space power'",
           source="Foley/H1"),
        _P("low_capability_threshold", 0.2, 0.0, 1.0, doc="capability at or below which a state "
           "is 'low-capability'", source="Foley/H2"),
        _P("regional_scope", "continent", kind="category", categories=("continent", "region"),
           doc="'regional' means the host's continent, or its UN M49 sub-region",
           source="Foley: regional platform"),
        # --- computation: not a mechanism, the tables are identical under both ---
        _P("engine", "reference", kind="category", categories=("reference", "compiled"),
           doc="how the step computes: the numpy reference implementation, or numba kernels "
           "for the hottest array loops (model/kernels.py; needs numba; identical tables)",
           source="issue 15 (a compiled core); not a mechanism: benchmarks/README.md, "
           "*Compiled engine*"),
    ]
}


def defaults() -> dict[str, float | int | bool | str]:
    """Return a fresh dict of every parameter's default value."""
    return {name: p.default for name, p in PARAMETERS.items()}


def _field(prm: Param) -> Any:
    """The typed field of one parameter: its Python type, checked by :meth:`Param.check`
    first (bounds, integers, finiteness; the error names what is allowed)."""
    kind: Any
    if prm.kind == "bool":
        kind = bool
    elif prm.kind == "category":
        kind = Literal[prm.categories]  # type: ignore[valid-type]
    elif prm.kind == "int":
        kind = int
    else:
        kind = float
    return (Annotated[kind | None, BeforeValidator(prm.check),
                      Field(description=f"{prm.doc} ({prm.allowed()}; source: {prm.source})")],
            None)


#: ``[parameters]`` as a typed model: one optional field per parameter, typed and bounded
#: from :data:`PARAMETERS`; unknown names are errors.  Scenario validation runs every
#: ``[parameters]`` table through it.
ParametersModel = create_model(  # type: ignore[call-overload]
    "ParametersModel",
    __config__=ConfigDict(extra="forbid", frozen=True),
    **{name: _field(prm) for name, prm in PARAMETERS.items()},
)
