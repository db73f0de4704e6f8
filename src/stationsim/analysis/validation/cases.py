"""The historical cases: each a scenario on a dated world, a facts file and a fixed
fit / held-out split (:class:`Split`); :data:`CASES` in a fixed order, :func:`get_cases`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from stationsim.analysis.calibration import CSS_SPLIT_SEED, ISS_SPLIT_YEAR
from stationsim.inputs.files import data_dir, scenarios_dir

#: Interkosmos: first guest flights up to this year are fitted, later ones held out.
INTERKOSMOS_SPLIT_YEAR = 1981
#: Share of each class of the CSS facts held out (stratified split, CSS_SPLIT_SEED).
CSS_HELD_OUT_SHARE = 0.5


@dataclass(frozen=True)
class Split:
    """How a case's facts are split into ``fit`` and ``held_out``.

    ``kind``: ``fit_only`` (every scored state in ``fit``; observed = a fact by
    ``through``); ``time`` (fit: a fact by ``year``, model window
    ``[start, year]``; held out: the states without one by then, observed = a fact in
    ``(year, through]``, model window the same years); ``stratified`` (observed =
    a fact by ``through``; a share ``share`` of each class held out by a
    ``numpy`` generator seeded with ``seed``, over the scored states in iso3 order).
    """

    kind: Literal["fit_only", "time", "stratified"]
    year: int = 0
    seed: int = 0
    share: float = 0.0


@dataclass(frozen=True)
class Case:
    """One historical case: its scenario, its facts and how they are scored."""

    name: str
    scenario: str               # under scenarios_dir()
    facts: str                  # under data_dir()
    station: str
    inputs_year: int            # the world's date: inputs as of the start of this year
    through: int                # last year of the facts
    scored_facts: tuple[str, ...]
    split: Split
    meaning: str
    aliases: Any = field(default_factory=lambda: MappingProxyType({}))  # fact iso3 -> world

    def scenario_path(self) -> Path:
        return scenarios_dir() / self.scenario

    def facts_path(self) -> Path:
        return data_dir() / self.facts


#: The cases, in a fixed order (a case's index seeds its runs: never reorder, only append).
CASES: tuple[Case, ...] = (
    Case("iss_partners", "validation/iss_partners_1984.toml", "cases/iss_partners.csv", "ISS",
         1984, 1998, ("iga_1988", "invited_1993", "iga_1998", "bilateral_partner"),
         Split("fit_only"),
         "a partner of the U.S.-led station (1988 IGA, Russia's 1993 invitation, 1998 IGA, "
         "Brazil's 1997 bilateral) = a first ISS membership 1984-1998",
         MappingProxyType({"RUS": "SUN"})),
    Case("iss_guests", "validation/iss_guests_2001.toml", "cases/iss_guests.csv", "ISS",
         2001, 2025, ("first_iss_visit",), Split("time", year=ISS_SPLIT_YEAR),
         "a first national on the ISS (non-IGA states) = a first ISS membership in the "
         "same years"),
    Case("css", "validation/css_2019.toml", "cases/css.csv", "CSS", 2019, 2025,
         ("css_ao_2019_selected", "css_astronaut_agreement"),
         Split("stratified", seed=CSS_SPLIT_SEED, share=CSS_HELD_OUT_SHARE),
         "a state whose institution was selected in 2019 or that signed a CSS astronaut "
         "agreement by 2025 = a first CSS membership 2019-2025"),
    Case("interkosmos", "validation/interkosmos_1978.toml", "cases/interkosmos.csv",
         "SALYUT", 1978, 1988, ("first_guest_flight",),
         Split("time", year=INTERKOSMOS_SPLIT_YEAR),
         "a state's first guest cosmonaut on a Soviet station = its first membership of "
         "the USSR-hosted station in the same years"),
)
CASE_NAMES = tuple(c.name for c in CASES)


def get_cases(names: Sequence[str] | None = None) -> list[Case]:
    """The cases named (all when ``names`` is empty or None), in :data:`CASES` order.

    Raises
    ------
    ValueError
        Naming the unknown cases and the allowed ones.
    """
    if not names:
        return list(CASES)
    unknown = [n for n in names if n not in CASE_NAMES]
    if unknown:
        raise ValueError(f"unknown case(s) {', '.join(map(repr, unknown))}; allowed: "
                         f"{', '.join(CASE_NAMES)}")
    return [c for c in CASES if c.name in set(names)]
