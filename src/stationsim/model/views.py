"""The read-only view a rule gets of the model: :class:`RuleView`.

It implements :class:`stationsim.rules.base.StationContext` for one station:
columns are handed out as read-only arrays, valuations are the model's
functions bound to the station, and draws come from the model's generator.
A rule holds no reference to the model itself, so it can neither call its
phases nor change its state.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from stationsim.model.stations import Station
from stationsim.rules.base import BoolArray, FloatArray, IntArray


def read_only(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A view of ``a`` that cannot be written."""
    v = a.view()
    v.flags.writeable = False
    return v


class Valuer(Protocol):
    """What :class:`RuleView` needs of the model (``StationModel`` provides it)."""

    p: Mapping[str, Any]
    t: int
    rng: np.random.Generator
    capability: FloatArray
    developing: BoolArray

    def asset(self, name: str) -> FloatArray: ...
    def asset_table(self) -> tuple[tuple[str, ...], npt.NDArray[np.float64]]: ...
    def host_trust(self, host: int, idx: IntArray) -> FloatArray: ...
    def trust_between(self, sources: IntArray, targets: IntArray) -> FloatArray: ...
    def host_distance(self, host: int, idx: IntArray) -> FloatArray: ...
    def regional(self, idx: IntArray, host: int) -> BoolArray: ...
    def ability(self, station: Station, idx: IntArray) -> FloatArray: ...
    def gross_benefit(self, station: Station, idx: IntArray,
                      rights: FloatArray | float) -> FloatArray: ...
    def lifetime_factor(self, station: Station) -> float: ...
    def political_cost(self, idx: IntArray, host: int) -> FloatArray: ...
    def host_value(self, station: Station, idx: IntArray) -> FloatArray: ...
    def host_gain(self, station: Station, idx: IntArray, pay: FloatArray) -> FloatArray: ...
    def trust_screen(self, station: Station, threshold: float) -> float: ...


class RuleView:
    """What a rule sees of the model for one station (see the module docstring)."""

    def __init__(self, model: Valuer, station: Station) -> None:
        self._m = model
        self._s = station
        self.p: Mapping[str, Any] = MappingProxyType(model.p)

    @property
    def t(self) -> int:
        return self._m.t

    @property
    def capability(self) -> FloatArray:
        return read_only(self._m.capability)

    @property
    def asset_names(self) -> tuple[str, ...]:
        return self._m.asset_table()[0]

    @property
    def assets(self) -> npt.NDArray[np.float64]:
        return read_only(self._m.asset_table()[1])

    def asset(self, name: str) -> FloatArray:
        return read_only(self._m.asset(name))

    @property
    def host(self) -> int:
        return self._s.host

    @property
    def members(self) -> IntArray:
        return read_only(self._s.members)

    @property
    def free_slots(self) -> int:
        return self._s.free_slots

    @property
    def operating_cost(self) -> float:
        return self._s.operating_cost

    @property
    def host_share_min(self) -> float:
        return self._s.host_share_min

    @property
    def partner_veto(self) -> bool:
        return self._s.partner_veto

    @property
    def asset_values(self) -> FloatArray:
        return read_only(self._s.asset_values)

    @property
    def contract_end(self) -> IntArray:
        return read_only(self._s.contract_end)

    def guest_contributions(self) -> float:
        return self._s.guest_contributions()

    def host_trust(self, idx: IntArray) -> FloatArray:
        return read_only(self._m.host_trust(self._s.host, idx))

    def trust_between(self, sources: IntArray, targets: IntArray) -> FloatArray:
        return self._m.trust_between(sources, targets)

    def host_distance(self, idx: IntArray) -> FloatArray:
        return read_only(self._m.host_distance(self._s.host, idx))

    def regional(self, idx: IntArray) -> BoolArray:
        return self._m.regional(idx, self._s.host)

    def developing(self, idx: IntArray) -> BoolArray:
        return read_only(self._m.developing[idx])

    def ability(self, idx: IntArray) -> FloatArray:
        return read_only(self._m.ability(self._s, idx))

    def gross_benefit(self, idx: IntArray, rights: FloatArray | float) -> FloatArray:
        return self._m.gross_benefit(self._s, idx, rights)

    def lifetime_factor(self) -> float:
        return self._m.lifetime_factor(self._s)

    def political_cost(self, idx: IntArray) -> FloatArray:
        return self._m.political_cost(idx, self._s.host)

    def host_value(self, idx: IntArray) -> FloatArray:
        return self._m.host_value(self._s, idx)

    def host_gain(self, idx: IntArray, pay: FloatArray) -> FloatArray:
        return self._m.host_gain(self._s, idx, pay)

    def trust_screen(self, threshold: float) -> float:
        return self._m.trust_screen(self._s, threshold)

    def weight(self, objective: str) -> float:
        return self._s.weight(objective, self._m.p)

    def uniform(self, n: int) -> FloatArray:
        return self._m.rng.random(n)
