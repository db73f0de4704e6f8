"""State agents and the arrays that hold their attributes.

Every state is a Mesa :class:`~mesa.Agent` (:class:`State`), so the usual Mesa
tools (``model.agents``, ``AgentSet.select`` ...) work.  Its attributes live in
columns of :class:`StateTable` owned by the model; the agent's attributes are
views of those columns, so the model's phases compute on all states at once
(docs/odd.md, *Entities*).

Attributes (docs/odd.md): ``capability``, ``reciprocity`` (Cheng: reciprocity
lacking destroys trust), ``transparency`` (Wu: transparency builds
confidence), ``military_fusion`` (essay 002, Cheng: dual use), ``alignment``
(-1 U.S.-aligned .. +1 China-aligned, or a vector), ``region``,
``continent``, ``developing``, ``blocs`` and ``assets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import mesa
import numpy as np
import numpy.typing as npt

from stationsim.model.scenario import Dist, GenerateSpec, Scenario

FloatArray = npt.NDArray[np.float64]

#: The unit-interval attributes, held as float columns.
UNIT_ATTRIBUTES = ("capability", "reciprocity", "transparency", "military_fusion")


@dataclass
class StateTable:
    """Columns of state attributes, one row per state (index = agent's ``index``)."""

    iso3: list[str]
    name: list[str]
    capability: FloatArray
    reciprocity: FloatArray
    transparency: FloatArray
    military_fusion: FloatArray
    #: political reciprocity (returned visits, access: Cheng 2009), apart from delivery
    political_reciprocity: FloatArray
    alignment: FloatArray  # (n, d)
    developing: npt.NDArray[np.bool_]
    region: list[str]
    continent: list[str]
    blocs: list[list[str]]
    asset_names: list[str]
    assets: FloatArray  # (n, k)

    @property
    def n(self) -> int:
        """Number of states."""
        return len(self.iso3)

    @classmethod
    def build(cls, scn: Scenario, rng: np.random.Generator) -> StateTable:
        """Listed states first, then generated groups drawn from ``rng``.

        A scenario without generated groups gives the same table every time: it
        is made once per scenario and each model gets a copy (:meth:`copy`).
        """
        if not scn.generate:
            got = _TABLES.get(id(scn.states))
            if got is None or got[0] is not scn.states:
                if len(_TABLES) >= 64:
                    _TABLES.clear()
                got = (scn.states, cls.from_rows(list(_listed_rows(scn))))
                _TABLES[id(scn.states)] = got
            return got[1].copy()
        rows: list[dict[str, object]] = list(_listed_rows(scn))
        for gen in scn.generate:
            rows.extend(_generate(gen, rng))
        return cls.from_rows(rows)

    def copy(self) -> StateTable:
        """A copy that shares no array or list with this table (events write columns)."""
        return StateTable(
            iso3=list(self.iso3), name=list(self.name), capability=self.capability.copy(),
            reciprocity=self.reciprocity.copy(), transparency=self.transparency.copy(),
            military_fusion=self.military_fusion.copy(),
            political_reciprocity=self.political_reciprocity.copy(),
            alignment=self.alignment.copy(), developing=self.developing.copy(),
            region=list(self.region), continent=list(self.continent),
            blocs=[list(b) for b in self.blocs], asset_names=list(self.asset_names),
            assets=self.assets.copy())

    @classmethod
    def from_rows(cls, rows: list[dict[str, object]]) -> StateTable:
        """The table of states given as dicts (a listed state's ``model_dump``)."""
        asset_names = sorted({"money"} | {a for r in rows for a in r["assets"]})  # type: ignore[attr-defined]
        dims = max((len(r["alignment"]) if isinstance(r["alignment"], list) else 1)
                   for r in rows)

        def col(key: str) -> FloatArray:
            return np.array([float(r[key]) for r in rows], dtype=np.float64)  # type: ignore[arg-type]

        align = np.array([r["alignment"] if isinstance(r["alignment"], list)
                          else [r["alignment"]] * dims for r in rows], dtype=np.float64)
        assets = np.array([[float(r["assets"].get(a, 0.0)) for a in asset_names]  # type: ignore[attr-defined]
                           for r in rows], dtype=np.float64).reshape(len(rows), len(asset_names))
        return cls(
            iso3=[str(r["iso3"]) for r in rows],
            name=[str(r["name"] or r["iso3"]) for r in rows],
            capability=col("capability"),
            reciprocity=col("reciprocity"),
            transparency=col("transparency"),
            military_fusion=col("military_fusion"),
            political_reciprocity=np.array(
                [float(r["political_reciprocity"] if r.get("political_reciprocity") is not None
                       else r["reciprocity"]) for r in rows], dtype=np.float64),  # type: ignore[arg-type]
            alignment=align,
            developing=np.array([bool(r["developing"]) for r in rows], dtype=bool),
            region=[str(r["region"]) for r in rows],
            continent=[str(r["continent"]) for r in rows],
            blocs=[list(r["blocs"]) for r in rows],  # type: ignore[call-overload]
            asset_names=asset_names,
            assets=assets,
        )


#: the listed states of a scenario as dicts, by the identity of its (frozen) ``states``,
#: kept with it so the identity stays valid: a model is built once per replication, and
#: ``model_dump`` of every listed state was most of the cost of building one
_LISTED: dict[int, tuple[object, list[dict[str, object]]]] = {}


#: the table of a scenario's listed states, when it generates none (keyed as :data:`_LISTED`)
_TABLES: dict[int, tuple[object, StateTable]] = {}


def _listed_rows(scn: Scenario) -> list[dict[str, object]]:
    """``[s.model_dump() for s in scn.states]``, made once per scenario (read only)."""
    got = _LISTED.get(id(scn.states))
    if got is None or got[0] is not scn.states:
        if len(_LISTED) >= 64:
            _LISTED.clear()
        got = (scn.states, [s.model_dump() for s in scn.states])
        _LISTED[id(scn.states)] = got
    return got[1]


def draw(spec: Dist | float, rng: np.random.Generator, size: int) -> FloatArray:
    """Draw ``size`` values from a scenario distribution (a bare number is a constant)."""
    if not isinstance(spec, Dist):
        return np.full(size, float(spec))
    if spec.dist == "constant":
        return np.full(size, spec.value)
    if spec.dist == "uniform":
        return rng.uniform(spec.low, spec.high, size)
    if spec.dist == "beta":
        return spec.low + (spec.high - spec.low) * rng.beta(spec.a, spec.b, size)
    return np.clip(rng.normal(spec.mean, spec.sd, size), spec.low, spec.high)


def _generate(gen: GenerateSpec, rng: np.random.Generator) -> list[dict[str, object]]:
    """Draw a group of states; attributes are clipped to their allowed ranges."""
    k = gen.count
    cols = {a: np.clip(draw(getattr(gen, a), rng, k), 0.0, 1.0) for a in UNIT_ATTRIBUTES}
    align = np.clip(draw(gen.alignment, rng, k), -1.0, 1.0)
    developing = rng.random(k) < gen.developing
    assets = {a: np.maximum(draw(d, rng, k), 0.0) for a, d in sorted(gen.assets.items())}
    return [
        {
            "iso3": f"{gen.prefix}{j + 1:04d}",
            "name": f"{gen.prefix}{j + 1:04d}",
            **{a: float(cols[a][j]) for a in UNIT_ATTRIBUTES},
            "alignment": float(align[j]),
            "region": gen.region,
            "continent": gen.continent,
            "developing": bool(developing[j]),
            "blocs": list(gen.blocs),
            "assets": {a: float(v[j]) for a, v in assets.items()},
        }
        for j in range(k)
    ]


def _column(name: str) -> property:
    def fget(self: State) -> float:
        return float(getattr(self.model.states, name)[self.index])

    def fset(self: State, value: float) -> None:
        getattr(self.model.states, name)[self.index] = value
        self.model.touch()  # cached columns derived from attributes are rebuilt

    return property(fget, fset, doc=f"The state's {name} (a view of the model's column).")


class ColumnOwner(Protocol):
    """What a :class:`State` reads of its model (``StationModel`` provides it)."""

    states: StateTable
    bans: list[list[float]]
    trust: Any
    stations: list[Any]

    def touch(self) -> None: ...


class State(mesa.Agent):  # type: ignore[misc]
    """A state: a Mesa agent whose attributes are views of the model's columns.

    Parameters
    ----------
    model : StationModel (a :class:`ColumnOwner`)
        The model that owns the columns.
    index : int
        Row of this state in ``model.states``.
    """

    model: ColumnOwner
    capability = _column("capability")
    reciprocity = _column("reciprocity")
    transparency = _column("transparency")
    military_fusion = _column("military_fusion")

    def __init__(self, model: ColumnOwner, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.iso3 = model.states.iso3[index]

    @property
    def alignment(self) -> float | list[float]:
        """Alignment: a scalar, or a list for vector alignment."""
        a = self.model.states.alignment[self.index]
        return float(a[0]) if a.size == 1 else [float(x) for x in a]

    @property
    def developing(self) -> bool:
        """Whether the state is a developing country."""
        return bool(self.model.states.developing[self.index])

    @property
    def region(self) -> str:
        """UN M49 sub-region (or a scenario's label)."""
        return self.model.states.region[self.index]

    @property
    def blocs(self) -> list[str]:
        """Bloc memberships (ESA, APSCO, NATO ...)."""
        return self.model.states.blocs[self.index]

    @property
    def assets(self) -> dict[str, float]:
        """What the state can offer besides hardware, by asset name."""
        t = self.model.states
        return {a: float(t.assets[self.index, k]) for k, a in enumerate(t.asset_names)}

    @property
    def bans(self) -> list[tuple[str, int, float]]:
        """Active or scheduled bans involving this state: (other iso3, start year, end year)."""
        out = []
        for a, b, start, end in self.model.bans:
            if self.index in (a, b):
                other = int(b if a == self.index else a)
                out.append((self.model.states.iso3[other], int(start), float(end)))
        return out

    def trust_in(self, other: State) -> float:
        """This state's trust in ``other``."""
        return float(self.model.trust.get(np.array([self.index]), np.array([other.index]))[0])

    def memberships(self) -> list[str]:
        """Names of the stations this state is currently a guest member of."""
        return [s.name for s in self.model.stations if s.member[self.index]]

    def step(self) -> None:
        """States act through the model's vectorised phases; nothing per agent."""
