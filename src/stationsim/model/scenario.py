"""Scenario files: TOML data, validated on load.

A scenario names the states (inline, from a CSV file, or drawn from
distributions), the stations and the rule of each, a timeline of events, the
model parameters (see :mod:`stationsim.model.params`), the number of steps and the
seed.  :func:`load_scenario` validates everything before any run starts; a bad
file raises :class:`ScenarioError` whose message names the file, the field
path and what is allowed.  The CLI turns that into exit code 2.

The format is documented with an annotated example in the README.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from stationsim.model.events import (
    EVENTS,
    STATE_ATTRIBUTES,
    YEAR_MAX,
    YEAR_MIN,
    CheckContext,
)
from stationsim.model.names import did_you_mean
from stationsim.model.params import PARAMETERS, ParametersModel
from stationsim.rules import RULES

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Iso = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,11}$")]
#: Bounds of the numbers that define a run, shared by the file fields and the CLI options
#: that override them (``--steps``, ``--seed``, ``--replications``, ``--workers``).
STEPS_MAX = 10_000
SEED_MAX = 2**63 - 1
REPLICATIONS_MAX = 10_000_000
WORKERS_MAX = 1024
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
EVENT_TYPES = ("ban", "lift_ban", "open", "close", "set", "set_station", "leave", "join",
               "set_parameter")


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


# ----------------------------------------------------------------------------- loading


def _fmt_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<top level>"


def validation_message(source: str, err: ValidationError, fmt: str = "scenario") -> str:
    """One message for a pydantic error: a line per problem, naming file and field path.

    ``fmt`` names the file format in "unknown field" lines (scenario, sweep,
    experiment).
    """
    return _pydantic_message(source, err).replace("not part of the scenario format",
                                                  f"not part of the {fmt} format")


def read_file_text(path: str | Path) -> str:
    """Text of a user's input file, or :class:`ScenarioError` naming it (missing, unreadable)."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"{p}: file not found")
    try:
        return p.read_text(encoding="utf-8-sig")  # a UTF-8 byte-order mark is tolerated
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{p}: cannot read file: {exc}") from None


def parse_toml(text: str, source: str, needs: str) -> dict[str, Any]:
    """Parse TOML text of a user's file, or :class:`ScenarioError` (empty, not TOML).

    ``needs`` completes the message for an empty file, e.g. "a scenario needs ...".
    """
    if not text.strip():
        raise ScenarioError(f"{source}: file is empty; {needs}")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None


def load_base(base: str | Path, base_dir: Path | None, source: str) -> Scenario:
    """Load the scenario a sweep or experiment file names as ``base``.

    A relative ``base`` resolves against ``base_dir`` (the naming file's folder).
    """
    path = Path(base)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        raise ScenarioError(f"{source}: base: scenario file not found: {path}")
    return load_scenario(path)


def _models(cls: type[BaseModel] = BaseModel) -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for sub in cls.__subclasses__():
        out.setdefault(sub.__name__, sub)
        out.update({k: v for k, v in _models(sub).items() if k not in out})
    return out


def _model_in(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in get_args(ann):
        m = _model_in(a)
        if m is not None:
            return m
    return None


def _fields_at(title: str, loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the table at ``loc`` (all but its last part) of model ``title``."""
    cls = _models().get(title)
    for part in loc[:-1]:
        if cls is None:
            return []
        if isinstance(part, int):
            continue
        f = cls.model_fields.get(part)
        cls = _model_in(f.annotation) if f is not None else None
    return [n for n in cls.model_fields if n not in ("source", "text", "overrides")] \
        if cls is not None else []


def _pydantic_message(source: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "required field is missing"
        elif e["type"] == "literal_error" and isinstance(e.get("input"), str):
            # a mistyped word (an event type, a channel ...): suggest the close ones
            allowed = re.findall(r"'([^']*)'", str(e.get("ctx", {}).get("expected", "")))
            what = "event type" if loc[-1:] == ("type",) and loc[:1] == ("events",) else "value"
            msg = (f"unknown {what} {e['input']!r}{did_you_mean(e['input'], allowed)}; "
                   f"allowed: {', '.join(allowed)}")
        elif e["type"] == "extra_forbidden":
            hint = did_you_mean(loc[-1], _fields_at(err.title, loc)) if loc else ""
            msg = f"unknown field{hint} (not part of the scenario format)"
        lines.append(f"{source}: {_fmt_loc(loc)}: {msg}")
    # one message: the distinct problems, in file order
    return "\n".join(dict.fromkeys(lines))


_UNION_TAGS = {"Dist", "float", "list[float]", "str", "int", "bool",
               "function-after[_alignment_range(), union[float,list[float]]]"}


def _read_states_csv(path: Path, where: str) -> list[dict[str, Any]]:
    """Read states in the scenario CSV schema (see README) into StateSpec dicts."""
    if not path.is_file():
        raise ScenarioError(f"{where}: states_csv: file not found: {path}")
    rows: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")  # a UTF-8 byte-order mark is tolerated
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{where}: states_csv: cannot read {path} as UTF-8 text: "
                            f"{exc}") from None
    with io.StringIO(text, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if not header:
            raise ScenarioError(f"{path}: empty file; the first line names the columns")
        for c, h in enumerate(header):
            if h in header[:c]:
                raise ScenarioError(f"{path}: line 1: column {h!r} appears twice (columns "
                                    f"{header.index(h) + 1} and {c + 1}); each column once")
        for cells in reader:
            n = reader.line_num
            if not any(x.strip() for x in cells):
                continue  # a blank line
            if len(cells) != len(header):
                raise ScenarioError(f"{path}: line {n}: {len(cells)} cells, but the header has "
                                    f"{len(header)} columns (a comma inside a value must be "
                                    "quoted)")
            rec: dict[str, Any] = {"assets": {}}
            for key, val in zip(header, cells, strict=True):
                val = val.strip()
                if key.startswith("asset_"):
                    if val:
                        rec["assets"][key[6:]] = _num(val, path, n, key)
                elif key in STATE_ATTRIBUTES:
                    rec[key] = _num(val, path, n, key)
                elif key == "alignment":
                    parts = [p for p in val.split(";") if p]
                    nums = [_num(p, path, n, key) for p in parts]
                    rec[key] = nums[0] if len(nums) == 1 else nums
                elif key == "developing":
                    if val.lower() not in ("0", "1", "true", "false"):
                        raise ScenarioError(f"{path}: line {n}: developing: must be 0/1/true/"
                                            f"false, got {val!r}")
                    rec[key] = val.lower() in ("1", "true")
                elif key == "blocs":
                    rec[key] = [b for b in val.split(";") if b]
                elif key in ("iso3", "name", "region", "continent"):
                    rec[key] = val
                else:
                    raise ScenarioError(f"{path}: column {key!r}: unknown column; allowed: iso3, "
                                        "name, capability, reciprocity, transparency, "
                                        "military_fusion, alignment, region, continent, "
                                        "developing, blocs, asset_<name>")
            rows.append(rec)
    return rows


def _num(val: str, path: Path, line: int, key: str) -> float:
    try:
        x = float(val)
    except ValueError:
        raise ScenarioError(f"{path}: line {line}: {key}: must be a number, got {val!r}") from None
    if not math.isfinite(x):
        raise ScenarioError(f"{path}: line {line}: {key}: must be a finite number, got {val!r}")
    return x


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path
        The scenario file.  ``states_csv`` inside it is resolved relative to
        the file's folder.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        If the file is missing, not TOML, or invalid; the message names the
        file, the field path and what is allowed.
    """
    p = Path(path)
    return scenario_from_text(read_file_text(p), source=str(p), base_dir=p.parent)


def scenario_from_text(text: str, source: str = "<string>",
                       base_dir: Path | None = None) -> Scenario:
    """Parse and validate scenario TOML text (see :func:`load_scenario`)."""
    data = parse_toml(text, source, "a scenario needs at least name, steps and [[stations]]")
    return scenario_from_dict(data, source=source, text=text, base_dir=base_dir)


def scenario_from_dict(data: dict[str, Any], source: str = "<dict>", text: str = "",
                       base_dir: Path | None = None) -> Scenario:
    """Validate plain data as a scenario (see :func:`load_scenario`)."""
    data = copy.deepcopy(data)
    for key in ("source", "text", "overrides"):
        if key in data:
            raise ScenarioError(f"{source}: {key}: unknown field (not part of the scenario format)")
    csv_rows: list[dict[str, Any]] = []
    if data.get("states_csv") is not None and isinstance(data["states_csv"], str):
        csv_path = Path(data["states_csv"])
        if not csv_path.is_absolute() and base_dir is not None:
            csv_path = base_dir / csv_path
        csv_rows = _read_states_csv(csv_path, source)
    try:
        scn = Scenario.model_validate({**data, "source": source, "text": text})
    except ValidationError as exc:
        raise ScenarioError(_pydantic_message(source, exc)) from None
    if csv_rows:
        extra, problems = [], []
        for n, r in enumerate(csv_rows, start=2):  # line numbers as _read_states_csv's
            try:
                extra.append(StateSpec.model_validate(r))
            except ValidationError as exc:
                problems.append(_pydantic_message(f"{csv_path}: line {n}", exc))
        if problems:
            raise ScenarioError(f"{source}: states_csv: invalid rows\n" + "\n".join(problems))
        scn = scn.model_copy(update={"states": [*scn.states, *extra]})
    _check_references(scn)
    return scn


def _check_references(scn: Scenario) -> None:
    """Cross-field checks: unique names, known states and stations, parameters."""
    src = scn.source
    errors: list[str] = []
    isos: dict[str, int] = {}
    for i, s in enumerate(scn.states):
        if s.iso3 in isos:
            errors.append(f"{src}: states[{i}].iso3: duplicate state {s.iso3!r} "
                          f"(also states[{isos[s.iso3]}]); each iso3 must be unique")
        isos[s.iso3] = i
    dims = {len(s.alignment) if isinstance(s.alignment, list) else 1 for s in scn.states}
    if len(dims) > 1:
        errors.append(f"{src}: states.alignment: every state needs the same alignment "
                      f"dimension, got {sorted(dims)}")
    if any(d > 1 for d in dims) and scn.generate:
        errors.append(f"{src}: generate: generated states support scalar alignment only")
    for g, gen in enumerate(scn.generate):
        for k in range(min(gen.count, 2)):
            iso = f"{gen.prefix}{k + 1:04d}"
            if iso in isos:
                errors.append(f"{src}: generate[{g}].prefix: generated iso3 {iso!r} clashes "
                              "with a listed state")
    if not scn.states and not scn.generate:
        errors.append(f"{src}: states: a scenario needs at least one state (states, "
                      "states_csv or generate)")
    known = set(isos)
    has_generated = bool(scn.generate)

    def _state_ok(iso: str | None, where: str) -> None:
        if iso is None:
            errors.append(f"{where}: required for this event type")
        elif iso not in known and not (has_generated and _is_generated(iso, scn)):
            errors.append(f"{where}: unknown state {iso!r}{did_you_mean(iso, known)}; it must "
                          "be listed under states")

    names: dict[str, int] = {}
    for i, st in enumerate(scn.stations):
        if st.name in names:
            errors.append(f"{src}: stations[{i}].name: duplicate station {st.name!r}")
        names[st.name] = i
        _state_ok(st.host, f"{src}: stations[{i}].host")
        for j, f in enumerate(st.founding_members):
            _state_ok(f, f"{src}: stations[{i}].founding_members[{j}]")
            if f == st.host:
                errors.append(f"{src}: stations[{i}].founding_members[{j}]: the host is not "
                              "its own guest")
            if f in st.founding_members[:j]:
                errors.append(f"{src}: stations[{i}].founding_members[{j}]: {f!r} is listed "
                              "twice")
        if len(st.founding_members) > st.capacity:
            errors.append(f"{src}: stations[{i}].capacity: {st.capacity} is less than the "
                          f"{len(st.founding_members)} founding members (founders use slots)")
        if st.close_at <= st.open_from:
            errors.append(f"{src}: stations[{i}].close_at: must be after open_from "
                          f"({st.open_from})")
        for k, sel in enumerate(st.sellers):
            if sel.seller != "commercial":
                _state_ok(sel.seller, f"{src}: stations[{i}].sellers[{k}].seller")
            if (sel.open_from is not None and sel.close_at is not None
                    and sel.close_at <= sel.open_from):
                errors.append(f"{src}: stations[{i}].sellers[{k}].close_at: must be after "
                              f"open_from ({sel.open_from})")
    _check_successors(scn, errors)
    if scn.exclusive:
        _check_exclusive(scn, errors)
    try:
        ParametersModel.model_validate(scn.parameters)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            if err["type"] == "extra_forbidden":
                errors.append(f"{src}: parameters.{name}: unknown parameter"
                              f"{did_you_mean(name, PARAMETERS)}{PARAMS_POINTER}")
            else:
                msg = str(err["msg"]).removeprefix("Value error, ")
                errors.append(f"{src}: parameters.{name}: {msg}")
    for t, tr in enumerate(scn.trust):
        _state_ok(tr.source, f"{src}: trust[{t}].source")
        _state_ok(tr.target, f"{src}: trust[{t}].target")
    last_year = scn.start_year + scn.steps
    ctx = CheckContext(errors, _state_ok, list(names))
    for e, ev in enumerate(scn.events):
        where = f"{src}: events[{e}]"
        if not scn.start_year <= ev.year < last_year:
            errors.append(f"{where}.year: {ev.year} is outside the run "
                          f"[{scn.start_year}, {last_year - 1}]")
        EVENTS[ev.type].check(ev, ctx, where)
    if errors:
        raise ScenarioError("\n".join(errors))


def check_run_options(*, seed: object = None, steps: object = None,
                      replications: object = None, workers: object = None,
                      prefix: str = "--") -> None:
    """Check the numbers that override a scenario's run (CLI options, API arguments)
    against the same bounds as the file's fields; ``None`` is not checked.

    Raises
    ------
    ScenarioError
        Naming each option (``--steps``, ...; ``prefix`` ``""`` for API arguments) and
        what is allowed.
    """
    bounds = {"seed": (seed, 0, SEED_MAX), "steps": (steps, 1, STEPS_MAX),
              "replications": (replications, 1, REPLICATIONS_MAX),
              "workers": (workers, 1, WORKERS_MAX)}
    errors = []
    for name, (val, lo, hi) in bounds.items():
        if val is None:
            continue
        if isinstance(val, bool) or not isinstance(val, int) or not lo <= val <= hi:
            errors.append(f"{prefix}{name} {val}: must be an integer from {lo} to {hi}"
                          + (" (2**63 - 1)" if hi == SEED_MAX else ""))
    if errors:
        raise ScenarioError("\n".join(errors))


def _check_successors(scn: Scenario, errors: list[str]) -> None:
    """``successor_of`` names another station of the scenario that closes before the
    successor does (else the successor is gone before it could take anyone)."""
    by_name = {st.name: st for st in scn.stations}
    for i, st in enumerate(scn.stations):
        pred = st.successor_of
        if pred is None:
            continue
        where = f"{scn.source}: stations[{i}].successor_of"
        others = [n for n in by_name if n != st.name]
        if pred == st.name:
            errors.append(f"{where}: a station cannot succeed itself; allowed: another "
                          f"station ({short_list(others) or 'none'})")
        elif pred not in by_name:
            errors.append(f"{where}: unknown station {pred!r}{did_you_mean(pred, others)}; "
                          f"allowed: {short_list(others) or 'none'}")
        elif by_name[pred].close_at >= st.close_at:
            errors.append(f"{where}: {pred} closes at {by_name[pred].close_at}, not before "
                          f"{st.name} does ({st.close_at}); a successor takes its "
                          "predecessor's members when the predecessor closes, so it must "
                          "close later")


def _check_exclusive(scn: Scenario, errors: list[str]) -> None:
    """Under ``exclusive = true`` a state is a guest of one station at a time: it cannot
    found two stations open at the same time (the model would drop it from one).

    A host founding another station is no contradiction: exclusivity counts guest
    memberships, and a host is not its own station's guest (``h4_us_utility_china_iss``
    makes China an ISS partner while it hosts the CSS).
    """
    src = scn.source
    sts = scn.stations

    def overlap(a: StationSpec, b: StationSpec) -> bool:
        return a.open_from < b.close_at and b.open_from < a.close_at

    for i, st in enumerate(sts):
        for j, f in enumerate(st.founding_members):
            for k, other in enumerate(sts[:i]):
                if not overlap(st, other):
                    continue
                if f in other.founding_members:
                    errors.append(
                        f"{src}: stations[{i}].founding_members[{j}]: {f!r} also founds "
                        f"stations[{k}] ({other.name}, founding_members"
                        f"[{other.founding_members.index(f)}]) while both are open; under "
                        "exclusive = true a state is a guest of one station at a time")


def _is_generated(iso: str, scn: Scenario) -> bool:
    for gen in scn.generate:
        tail = iso[len(gen.prefix):]
        if iso.startswith(gen.prefix) and tail.isdigit() and 1 <= int(tail) <= gen.count:
            return True
    return False


# ----------------------------------------------------------------------------- overrides


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path`` of raw scenario data, in place.

    List items are addressed by index or by their key: a station by ``name``,
    a state by ``iso3`` (``stations.CSS.rule``, ``states.CHN.transparency``,
    ``parameters.learn_rate``).

    Raises
    ------
    KeyError
        If the path does not address an existing item.
    """
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            idx = _list_index(node, part, parts[i - 1] if i else "")
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:
                    if part == "parameters":
                        node[part] = {}
                    else:
                        raise KeyError(f"{'.'.join(parts[: i + 1])}: no such field"
                                       f"{did_you_mean(part, node)}")
                node = node[part]
        else:
            raise KeyError(f"{'.'.join(parts[:i])}: not a table or list")


_ITEM_KIND = {"states": "state", "stations": "station", "events": "event",
              "generate": "generated group", "trust": "trust entry"}


def _list_index(node: list[Any], part: str, where: str = "") -> int:
    if part.isdigit():
        if int(part) >= len(node):
            raise KeyError(f"index {part} out of range")
        return int(part)
    for j, item in enumerate(node):
        if isinstance(item, dict) and part in (item.get("name"), item.get("iso3")):
            return j
    kind = _ITEM_KIND.get(where, "item")
    names = [str(item.get("iso3") or item.get("name")) for item in node
             if isinstance(item, dict) and (item.get("iso3") or item.get("name"))]
    listed = f"; {kind}s: {short_list(names, 15)}" if names else ""
    raise KeyError(f"no {kind} named {part!r}{did_you_mean(part, names)}{listed}")


def _index_path(data: dict[str, Any], path: str) -> str:
    """``stations.CSS.rule`` -> ``stations[1].rule`` (how validation names it); the path
    itself where it cannot be followed."""
    out, node = "", cast(Any, data)
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, list):
            try:
                idx = _list_index(node, part, parts[i - 1] if i else "")
            except KeyError:
                return path
            out += f"[{idx}]"
            node = node[idx]
        else:
            out += ("." if out else "") + part
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _set_text(path: str, value: Any) -> str:
    """``--set PATH=VALUE`` as the user typed it (near enough)."""
    if isinstance(value, bool):
        return f"--set {path}={str(value).lower()}"
    return f"--set {path}={value}"


def with_overrides(scn: Scenario, overrides: dict[str, Any], *,
                   origin: str | None = None) -> Scenario:
    """Return a new validated scenario with dotted-path ``overrides`` applied.

    ``origin="--set"`` blames problems with an override on the ``--set PATH=VALUE``
    argument (named as the user named it) instead of the scenario file.

    Raises
    ------
    ScenarioError
        If a path is unknown or a value is not allowed.
    """
    data = scn.raw()
    data.pop("states_csv", None)  # states from the CSV are already inlined
    index = {path: _index_path(data, path) for path in overrides}
    for path, value in overrides.items():
        try:
            set_path(data, path, value)
        except KeyError as exc:
            msg = str(exc.args[0])
            if origin == "--set":
                msg = msg.removeprefix(f"{path}: ")
                raise ScenarioError(f"{_set_text(path, value)}: {msg}") from None
            raise ScenarioError(f"{scn.source}: {path}: {msg}") from None
    try:
        out = scenario_from_dict(data, source=scn.source, text=scn.text)
    except ScenarioError as exc:
        if origin != "--set":
            raise
        raise ScenarioError(_blame_sets(str(exc), scn.source, overrides, index)) from None
    return out.model_copy(update={"overrides": {**scn.overrides, **overrides}})


def _blame_sets(message: str, source: str, overrides: dict[str, Any],
               index: dict[str, str]) -> str:
    """Lines of ``message`` about an overridden field name its ``--set`` argument."""
    lines = []
    for line in message.splitlines():
        head = f"{source}: "
        if line.startswith(head):
            rest = line[len(head):]
            for path, value in overrides.items():
                for form in dict.fromkeys((index[path], path)):
                    if rest.startswith(form + ":") or rest.startswith(form + "."):
                        tail = rest[len(form):]
                        sub, _, msg = tail.partition(": ")
                        where = _set_text(path, value) + (f" ({path}{sub})" if sub else "")
                        line = f"{where}: {msg}"
                        break
                else:
                    continue
                break
        lines.append(line)
    return "\n".join(lines)


def parse_set(items: list[str], source: str = "--set") -> dict[str, Any]:
    """Parse ``PATH=VALUE`` overrides (``--set``); VALUE is read as a TOML value (bare words
    are strings).

    Raises
    ------
    ScenarioError
        An item without ``=``.
    """
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected PATH=VALUE, "
                                "e.g. stations.CSS.rule=quid_pro_quo")
        path, raw = item.split("=", 1)
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        out[path.strip()] = value
    return out
