"""The TOML scenario format as pydantic models: :class:`Strict` (the base of every
user-file model), the states, generated groups, trust overrides, stations and their
sellers, events, and the :class:`Scenario` itself; field-level validation."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from stationsim.model.events import YEAR_MAX, YEAR_MIN
from stationsim.model.names import did_you_mean
from stationsim.model.params import PARAMETERS
from stationsim.model.scenario.bounds import REPLICATIONS_MAX, SEED_MAX, STEPS_MAX
from stationsim.rules import RULES

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Iso = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,11}$")]
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
EVENT_TYPES = ("ban", "lift_ban", "open", "close", "set", "set_station", "leave", "join",
               "set_parameter")


class Strict(BaseModel):
    """Base of every user-file model (scenarios, sweeps, experiments): unknown fields are
    errors, values are frozen, and every number is finite (inf or nan is refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)




class Dist(Strict):
    """A distribution to draw a generated state's attribute from.

    ``uniform`` uses ``low``/``high``; ``beta`` uses ``a``/``b`` (scaled to
    ``[low, high]``); ``normal`` uses ``mean``/``sd`` clipped to
    ``[low, high]``; ``constant`` uses ``value``.
    """

    dist: Literal["uniform", "beta", "normal", "constant"]
    low: float = 0.0
    high: float = 1.0
    a: float = Field(1.0, gt=0)
    b: float = Field(1.0, gt=0)
    mean: float = 0.5
    sd: float = Field(0.1, ge=0)
    value: float = 0.0


class StateSpec(Strict):
    """One state, given explicitly."""

    iso3: Iso
    name: str = ""
    capability: Unit
    reciprocity: Unit
    transparency: Unit
    military_fusion: Unit
    political_reciprocity: Unit | None = Field(
        default=None, description="returning visits and access (Cheng 2009); default: its "
        "reciprocity")
    alignment: float | list[float] = Field(
        description="-1 (U.S.-aligned) .. +1 (China-aligned); or a vector of such values")
    region: str = ""
    continent: str = ""
    developing: bool = False
    blocs: list[str] = Field(default_factory=list)
    assets: dict[str, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)

    @field_validator("alignment")
    @classmethod
    def _alignment_range(cls, v: float | list[float]) -> float | list[float]:
        values = v if isinstance(v, list) else [v]
        if not values:
            raise ValueError("alignment vector must not be empty")
        for x in values:
            if not (math.isfinite(x) and -1.0 <= x <= 1.0):
                raise ValueError(f"alignment values must be in [-1, 1], got {x}")
        return v


class GenerateSpec(Strict):
    """A group of states drawn from distributions (fresh in every replication)."""

    count: int = Field(ge=1, le=1_000_000)
    prefix: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,5}$")] = "G"
    region: str = ""
    continent: str = ""
    developing: Unit = Field(0.5, description="probability that a drawn state is developing")
    capability: Dist | float = Dist(dist="beta", a=1.0, b=4.0)
    reciprocity: Dist | float = Dist(dist="uniform", low=0.5, high=1.0)
    transparency: Dist | float = Dist(dist="uniform", low=0.2, high=0.8)
    military_fusion: Dist | float = Dist(dist="uniform", low=0.0, high=0.5)
    alignment: Dist | float = Dist(dist="uniform", low=-1.0, high=1.0)
    assets: dict[str, Dist | float] = Field(default_factory=dict)
    blocs: list[str] = Field(default_factory=list)


class TrustOverride(Strict):
    """Initial trust of ``source`` in ``target``, replacing the alignment baseline."""

    source: Iso
    target: Iso
    value: Unit
    symmetric: bool = False


#: Objectives a host may weigh its own way (station ``objectives``): each replaces the
#: global weight of the same meaning for this host (``revenue`` weighs payments, default 1).
HOST_OBJECTIVES = ("soft_power", "regional", "strategic", "leakage", "revenue", "reach",
                   "control")

#: A station's ``rule`` that the host chooses when the station opens (model v2, seed 004).
AUTO_RULE = "auto"


class SellerSpec(Strict):
    """Who sells guest-flight seats to a station (model v2, the seat market).

    ``seller`` is the host, a state with its own vehicle (Russia's Soyuz for
    the ISS), or ``"commercial"`` (a private provider such as Axiom Space,
    opened by NASA's 2019 commercial LEO policy).  ``screen`` is what the
    seller checks besides bans: its trust in the buyer (``trust``), the
    buyer's alignment distance to it (``alignment``), or nothing (``none``).
    """

    seller: str
    seats: int = Field(ge=0, le=1000, description="seats per year")
    price: float = Field(ge=0.0, le=1000.0, description="per seat, in utility units")
    open_from: int | None = None
    close_at: int | None = None
    screen: Literal["trust", "alignment", "none"] = "trust"


class StationSpec(Strict):
    """A station, its host and the rule that admits its guests."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,19}$")]
    host: Iso
    rule: str
    capacity: int = Field(ge=0, le=1_000_000, description="guest slots; founders count")
    operating_cost: float = Field(gt=0.0)
    open_from: Year
    close_at: Year
    founding_members: list[Iso] = Field(default_factory=list)
    host_share_min: Unit = 0.5
    partner_veto: bool = False
    channel: Literal["un", "bilateral", "auto"] = "bilateral"
    asset_values: dict[str, Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=lambda: {"money": 1.0})
    objectives: dict[Literal["soft_power", "regional", "strategic", "leakage", "revenue",
                             "reach", "control"],
                     Annotated[float, Field(ge=0.0, le=5.0)]] = Field(default_factory=dict)
    sellers: list[SellerSpec] = Field(default_factory=list)
    # payloads through an announcement of opportunity (model v2; model/payloads.py)
    payload_slots: int = Field(0, ge=0, le=1000, description="experiments the host selects "
                               "per announcement of opportunity (0: no announcements)")
    payload_every: int = Field(1, ge=1, le=50, description="years between announcements")
    payload_from: int | None = Field(
        None, ge=1900, le=2200, description="year of the first announcement (default: the "
        "opening year); it may precede the opening: the CSS's first call (2018) selected "
        "its experiments in 2019, three years before the station opened")
    payload_channel: Literal["un", "bilateral"] | None = Field(
        None, description="whom an announcement reaches: every state (un) or those that see "
        "it through their trust in the host (bilateral); default: the station's channel")

    @model_validator(mode="after")
    def _payloads_while_it_exists(self) -> StationSpec:
        if self.payload_from is not None and self.payload_from >= self.close_at:
            raise ValueError(f"payload_from {self.payload_from}: must be before close_at "
                             f"{self.close_at}")
        return self
    successor_of: str | None = Field(
        default=None, description="the station this one succeeds: when that one closes, its "
        "members are offered membership here first (docs/odd.md, *Successor stations*)")

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, v: str) -> str:
        if v not in RULES and v != AUTO_RULE:
            allowed = [*sorted(RULES), AUTO_RULE]
            raise ValueError(f"unknown rule {v!r}{did_you_mean(v, allowed)}; allowed: "
                             f"{', '.join(allowed)}")
        return v


class EventSpec(Strict):
    """One timeline event, applied at the start of ``year`` (docs/odd.md, *Process overview*)."""

    year: Year
    type: Literal["ban", "lift_ban", "open", "close", "set", "set_station", "leave", "join",
                  "set_parameter"]
    state: Iso | None = None
    target: Iso | None = None
    station: str | None = None
    attribute: str | None = None
    value: bool | int | float | str | None = None  # int kept: capacity, close_at
    until: Year | None = None


class Scenario(Strict):
    """A validated scenario.

    Build it with :func:`load_scenario` (from a file) or
    :func:`scenario_from_dict`.  ``source`` and ``text`` keep where it came
    from, for the results' manifest.
    """

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
    description: str = ""
    seed: int = Field(0, ge=0, le=SEED_MAX)
    steps: int = Field(ge=1, le=STEPS_MAX)
    start_year: Year = 2000
    replications: int = Field(1, ge=1, le=REPLICATIONS_MAX)
    exclusive: bool = True
    parameters: dict[str, Any] = Field(default_factory=dict)
    states: list[StateSpec] = Field(default_factory=list)
    states_csv: str | None = None
    generate: list[GenerateSpec] = Field(default_factory=list)
    trust: list[TrustOverride] = Field(default_factory=list)
    stations: list[StationSpec] = Field(min_length=1)
    events: list[EventSpec] = Field(default_factory=list)
    # provenance (not part of the file format)
    source: str = Field("<memory>", exclude=True)
    text: str = Field("", exclude=True)
    overrides: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @property
    def text_hash(self) -> str:
        """SHA-256 of the scenario text and any overrides (or of its canonical JSON)."""
        payload = self.text or self.model_dump_json()
        if self.overrides:
            payload += "\n# overrides: " + json.dumps(self.overrides, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def params(self) -> dict[str, float | int | bool | str]:
        """Every model parameter: the scenario's values over the defaults."""
        out = {name: p.default for name, p in PARAMETERS.items()}
        out.update(self.parameters)
        return out

    def raw(self) -> dict[str, Any]:
        """The scenario as plain data (what a TOML file would hold)."""
        return self.model_dump(mode="python", exclude_none=True)
