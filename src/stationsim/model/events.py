"""Timeline events: one class per event type, which checks its fields and applies itself.

A scenario's ``[[events]]`` (docs/odd.md, 7.3) are applied at the start of
their year, before stations open and close.  Each type is a subclass of
:class:`Event` registered in :data:`EVENTS`: ``check`` names every fault of
an entry (scenario validation calls it), ``apply`` changes the model.  A new
event type is one class here; neither the scenario format nor the model's
step needs another branch.

The model is seen through :class:`EventTarget` (the ``StationModel``
provides it), so this module never imports the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from stationsim.model.names import did_you_mean
from stationsim.model.params import PARAMETERS
from stationsim.rules.registry import RULES

#: State attributes a ``set`` event (and a sweep) may change, besides alignment and developing.
STATE_ATTRIBUTES = ("capability", "reciprocity", "transparency", "military_fusion",
                    "political_reciprocity")
#: Station settings a ``set_station`` event may change.
STATION_SETTABLE = ("rule", "channel", "capacity", "operating_cost", "host_share_min",
                    "partner_veto", "close_at")
#: Years an event may name (the scenario format's calendar).
YEAR_MIN, YEAR_MAX = 1900, 2200


class EventSpecLike(Protocol):
    """The fields of one ``[[events]]`` entry (the scenario's ``EventSpec``)."""

    @property
    def year(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def state(self) -> str | None: ...
    @property
    def target(self) -> str | None: ...
    @property
    def station(self) -> str | None: ...
    @property
    def attribute(self) -> str | None: ...
    @property
    def value(self) -> bool | int | float | str | None: ...
    @property
    def until(self) -> int | None: ...


@dataclass
class CheckContext:
    """What an event's check needs of the scenario: the faults so far, a check of a state's
    name, and the station names."""

    errors: list[str]
    state_ok: Callable[[str | None, str], None]
    stations: Collection[str] = field(default_factory=tuple)


class EventTarget(Protocol):
    """What events change in the model (``StationModel`` provides it)."""

    year: int
    t: int
    p: Any
    index: Mapping[str, int]
    station_by_name: Mapping[str, Any]
    bans: list[list[float]]
    states: Any
    developing: npt.NDArray[np.bool_]

    def touch(self) -> None: ...
    def shed_excess(self, s: Any) -> None: ...
    def force_join(self, s: Any, idx: npt.NDArray[np.int64]) -> None: ...
    def log(self, s: Any, idx: npt.NDArray[np.int64], action: str, reasons: str) -> None: ...


class Event:
    """Base class: an event type (see the module docstring)."""

    type: ClassVar[str] = ""
    #: which of the entry's fields name a state / the target state / a station
    needs_state: ClassVar[bool] = False
    needs_station: ClassVar[bool] = False

    def check(self, ev: EventSpecLike, ctx: CheckContext, where: str) -> None:
        """Append every fault of ``ev`` to ``ctx.errors`` (``where`` names the entry)."""
        if self.needs_state:
            ctx.state_ok(ev.state, f"{where}.state")
        if self.needs_station and ev.station not in ctx.stations:
            ctx.errors.append(f"{where}.station: unknown station {ev.station!r}"
                              f"{did_you_mean(ev.station, ctx.stations)}; allowed: "
                              + ", ".join(ctx.stations))

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        """Change ``model`` at the start of ``ev.year``."""
        raise NotImplementedError


EVENTS: dict[str, Event] = {}


def register[E: type[Event]](cls: E) -> E:
    """Class decorator: add an event type to :data:`EVENTS` under ``cls.type``."""
    EVENTS[cls.type] = cls()
    return cls


def _state(ev: EventSpecLike, model: EventTarget) -> int:
    return model.index.get(ev.state, -1) if ev.state else -1


@register
class Ban(Event):
    """``state`` bans co-membership with ``target`` from ``year`` (to ``until``): the 2011
    U.S. law (Wu 2016), or any political break."""

    type = "ban"

    def check(self, ev: EventSpecLike, ctx: CheckContext, where: str) -> None:
        ctx.state_ok(ev.state, f"{where}.state")
        ctx.state_ok(ev.target, f"{where}.target")
        if ev.state is not None and ev.state == ev.target:
            ctx.errors.append(f"{where}.target: a state cannot ban itself")
        if ev.until is not None and ev.until <= ev.year:
            ctx.errors.append(f"{where}.until: must be after year ({ev.year})")

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        j = model.index[ev.target]  # type: ignore[index]
        model.bans.append([_state(ev, model), j, model.year,
                           ev.until if ev.until is not None else math.inf])


@register
class LiftBan(Ban):
    """A ban in force between ``state`` and ``target`` ends this year."""

    type = "lift_ban"

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        i, j, y = _state(ev, model), model.index[ev.target], model.year  # type: ignore[index]
        for ban in model.bans:
            if {ban[0], ban[1]} == {i, j} and ban[2] <= y < ban[3]:
                ban[3] = y


@register
class Open(Event):
    """The station opens this year (and stays open at least until the next)."""

    type = "open"
    needs_station = True

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        s = model.station_by_name[ev.station]  # type: ignore[index]
        s.open_from = model.year
        s.close_at = max(s.close_at, model.year + 1)


@register
class Close(Event):
    """The station closes this year: its members leave (reason ``closed``)."""

    type = "close"
    needs_station = True

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        model.station_by_name[ev.station].close_at = model.year  # type: ignore[index]


@register
class Set(Event):
    """A state's attribute changes (a reform of transparency, a change of alignment ...)."""

    type = "set"
    needs_state = True
    ALLOWED: ClassVar[tuple[str, ...]] = (*STATE_ATTRIBUTES, "alignment", "developing")

    def check(self, ev: EventSpecLike, ctx: CheckContext, where: str) -> None:
        super().check(ev, ctx, where)
        if ev.attribute not in self.ALLOWED:
            ctx.errors.append(f"{where}.attribute: {ev.attribute!r} cannot be set"
                              f"{did_you_mean(ev.attribute, self.ALLOWED)}; allowed: "
                              + ", ".join(self.ALLOWED))
        elif ev.attribute == "developing":
            if not isinstance(ev.value, bool):
                ctx.errors.append(f"{where}.value: must be true or false")
        elif isinstance(ev.value, bool) or not isinstance(ev.value, int | float):
            ctx.errors.append(f"{where}.value: must be a number")
        else:
            lo = -1.0 if ev.attribute == "alignment" else 0.0
            if not lo <= float(ev.value) <= 1.0:
                ctx.errors.append(f"{where}.value: must be in [{lo:g}, 1], got {ev.value}")

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        model.touch()
        i = _state(ev, model)
        if ev.attribute == "alignment":
            model.states.alignment[i, :] = float(ev.value)  # type: ignore[arg-type]
        elif ev.attribute == "developing":
            model.developing[i] = bool(ev.value)
        else:
            getattr(model.states, str(ev.attribute))[i] = float(ev.value)  # type: ignore[arg-type]


@register
class SetStation(Event):
    """A station's setting changes (its rule, channel, capacity ...)."""

    type = "set_station"
    needs_station = True

    def check(self, ev: EventSpecLike, ctx: CheckContext, where: str) -> None:
        super().check(ev, ctx, where)
        attr, val, errors = ev.attribute, ev.value, ctx.errors
        if attr not in STATION_SETTABLE:
            errors.append(f"{where}.attribute: {attr!r} cannot be set on a station"
                          f"{did_you_mean(attr, STATION_SETTABLE)}; allowed: "
                          + ", ".join(STATION_SETTABLE))
        elif attr == "rule" and val not in RULES:
            errors.append(f"{where}.value: unknown rule {val!r}{did_you_mean(val, RULES)}; "
                          "allowed: " + ", ".join(sorted(RULES)))
        elif attr == "channel" and val not in ("un", "bilateral"):
            errors.append(f"{where}.value: channel must be 'un' or 'bilateral'")
        elif attr == "partner_veto" and not isinstance(val, bool):
            errors.append(f"{where}.value: must be true or false")
        elif attr in ("capacity", "close_at") and (isinstance(val, bool)
                                                   or not isinstance(val, int)):
            errors.append(f"{where}.value: must be an integer")
        elif attr in ("operating_cost", "host_share_min") and (
                isinstance(val, bool) or not isinstance(val, int | float)):
            errors.append(f"{where}.value: must be a number")
        elif attr == "host_share_min" and not 0.0 <= float(val) <= 1.0:  # type: ignore[arg-type]
            errors.append(f"{where}.value: must be in [0, 1]")
        elif isinstance(val, float) and not math.isfinite(val):
            errors.append(f"{where}.value: must be a finite number, got {val}")
        elif attr == "close_at" and not YEAR_MIN <= int(val) <= YEAR_MAX:  # type: ignore[arg-type]
            errors.append(f"{where}.value: a year in [{YEAR_MIN}, {YEAR_MAX}], got {val}")
        elif attr == "capacity" and int(val) < 0:  # type: ignore[arg-type]
            errors.append(f"{where}.value: capacity must be >= 0, got {val}")
        elif attr == "operating_cost" and not float(val) > 0.0:  # type: ignore[arg-type]
            errors.append(f"{where}.value: operating_cost must be > 0, got {val}")

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        s = model.station_by_name[ev.station]  # type: ignore[index]
        model.touch()
        if ev.attribute == "rule":
            s.set_rule(str(ev.value))
        else:
            setattr(s, str(ev.attribute), ev.value)
        if ev.attribute == "capacity":
            model.shed_excess(s)


@register
class Leave(Event):
    """A state leaves a station (reason ``event``): Russia's announced ISS exit."""

    type = "leave"
    needs_state = True
    needs_station = True

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        s = model.station_by_name[ev.station]  # type: ignore[index]
        idx = np.array([_state(ev, model)])
        s.remove(idx, model.t, "event", int(model.p["reapply_cooldown"]))
        model.log(s, idx, "exit", "event")


@register
class Join(Event):
    """A state joins a station outside negotiation (on the rule's terms), within capacity."""

    type = "join"
    needs_state = True
    needs_station = True

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        s = model.station_by_name[ev.station]  # type: ignore[index]
        model.force_join(s, np.array([_state(ev, model)], dtype=np.int64))


@register
class SetParameter(Event):
    """A model parameter changes from this year on."""

    type = "set_parameter"

    def check(self, ev: EventSpecLike, ctx: CheckContext, where: str) -> None:
        if ev.attribute not in PARAMETERS:
            ctx.errors.append(f"{where}.attribute: unknown parameter {ev.attribute!r}"
                              f"{did_you_mean(ev.attribute, PARAMETERS)}; every parameter: "
                              "`stationsim params`")
            return
        try:
            PARAMETERS[ev.attribute].check(ev.value)
        except ValueError as exc:
            ctx.errors.append(f"{where}.value: {exc}")

    def apply(self, ev: EventSpecLike, model: EventTarget) -> None:
        model.p[str(ev.attribute)] = ev.value


#: The event types a scenario may name, in the order the format lists them.
EVENT_TYPES = tuple(EVENTS)
