"""Dated inputs: each state's agent attributes as of a year (issue 12, part 3).

The mapping of :mod:`stationsim.inputs.mapping` applies 2018-2025 values to
every year.  A historical case must instead see the world as it was when the
case starts, and never a fact that the case scores.  :func:`dated_world`
computes the scenario CSV schema (``mapping.OUTPUT_COLUMNS``) for a world
*at the start of* ``year`` from the dated tables of ``data/`` (sources in
``data/SOURCES.md``):

* ``people_flown.csv`` (one row per person, every state but the USA, the
  USSR/Russia and China) and ``people_flown_totals.csv`` (those three):
  people flown to orbit before ``year``.  For the three big programmes the
  tabulated end-of-year total of the last tabulated year before ``year`` is
  used (the first tabulated year when none is earlier: 1978).
* ``memberships.csv``: NATO, EU (EEC/EC), ESA, APSCO, SCO, BRICS, Warsaw
  Pact, Comecon, NAM and G7 memberships in force at the start of ``year``
  (``joined < year`` and no ``left`` or ``left >= year``).
* ``alignment_events.csv``: dated events before ``year`` (a treaty *toward*
  a pole, its abrogation *away*).

**capability** = the log share of people flown to date (``mapping.log_share``
over the world's states).  Orbital launches and budgets are not dated in
``data/``, so the dated capability has one component, not three (the 2018
launch counts would put India's 1980 launcher into 1978, and so on).

**alignment**: ``mapping.alignment_from_blocs`` over the year's blocs, with
the Cold-War blocs weighted like their western counterparts
(:data:`COLD_WAR_EAST`: Warsaw Pact like NATO, Comecon like G7), plus
:data:`EVENT_STEP` per alignment event toward (+) or away from (-) the
counterpart's pole.  The axis runs from -1 (U.S.-aligned) to +1 (aligned
with the other pole of the era: the USSR before 1992, China after;
:func:`anchors`).  Events whose counterpart no longer exists in ``year``
(the USSR or the GDR after 1991) no longer count.  NAM membership is a bloc
(for the "host's bloc" baseline) but pulls toward neither pole.

**developing**: the 1978 classification of ``states_1978.csv`` for worlds
before 1992 (:data:`WORLD_1978_UNTIL`), else the World Bank income group of
``states.csv`` (2025 values: anachronism stated in docs/validation.md).
**region**, **continent**: from the population files.  Transparency,
military fusion, reciprocity and the assets follow the defaults of
:class:`stationsim.inputs.mapping.Assumptions` (the USSR takes Russia's
named values); a *launcher* is a state with people flown (no dated launch
table).

Populations: worlds before :data:`WORLD_1978_UNTIL` are the 87 states of
``states_1978.csv`` (USSR, Czechoslovakia, GDR, Yugoslavia, South Yemen under
their ISO 3166-3 codes); later worlds are the 95 states of ``states.csv``
plus ``states_added.csv`` (states the facts need, e.g. Belarus).

``stationsim data`` (or :func:`main`) writes :data:`DATED_FILES` and checks
them (``--check``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from stationsim.inputs.files import data_dir
from stationsim.inputs.mapping import (
    DEFAULT_ASSUMPTIONS,
    DEVELOPING_GROUPS,
    LANDLOCKED_DEVELOPING,
    OUTPUT_COLUMNS,
    Assumptions,
    income_groups,
    log_share,
    read_states,
    to_csv_text,
)

#: Worlds dated before this year are the Cold-War world of ``states_1978.csv``.
WORLD_1978_UNTIL = 1992
#: The dated worlds the validation cases use: year -> file under ``data/``.
DATED_FILES: Mapping[int, str] = MappingProxyType({
    1978: "states_model_1978.csv", 1984: "states_model_1984.csv",
    2001: "states_model_2001.csv", 2019: "states_model_2019.csv"})
#: Organisations of ``memberships.csv`` (the labels written to ``blocs``).
ORGS = ("NATO", "EU", "ESA", "G7", "APSCO", "SCO", "BRICS", "WARSAW_PACT", "COMECON", "NAM")
#: Pull of the Cold-War blocs toward the eastern pole (the USSR): the Warsaw Pact
#: weighs as NATO does toward the western one, Comecon as the G7.
COLD_WAR_EAST: Mapping[str, float] = MappingProxyType({"WARSAW_PACT": 0.4, "COMECON": 0.3})
#: Shift of alignment per dated alignment event (toward or away from a pole).
EVENT_STEP = 0.2
#: The big programmes whose people flown are in ``people_flown_totals.csv``.
TOTALS_STATES = ("USA", "SUN", "RUS", "CHN")
#: States that ceased to exist, and their last year (events toward them lapse).
DISSOLVED: Mapping[str, int] = MappingProxyType({"SUN": 1991, "DDR": 1990, "CSK": 1992})
#: Named values of Russia that its predecessor, the USSR, takes.
SUCCESSOR_OF: Mapping[str, str] = MappingProxyType({"SUN": "RUS"})


def anchors(year: int) -> dict[str, float]:
    """The poles of the alignment axis in ``year``: the USA at -1 and the USSR (before
    :data:`WORLD_1978_UNTIL`) or China at +1."""
    return {"USA": -1.0, "SUN" if year < WORLD_1978_UNTIL else "CHN": 1.0}


def pole_of(counterpart: str, year: int) -> float:
    """The side (-1 or +1) of an alignment event's counterpart in ``year``.

    The United States is the western pole; the USSR, the GDR, Russia and China
    are on the eastern side in every era."""
    return -1.0 if counterpart == "USA" else 1.0


# ----------------------------------------------------------------------------- tables


def _read(name: str, folder: Path | None = None) -> pd.DataFrame:
    return pd.read_csv((folder or data_dir()) / name, keep_default_na=False, na_values=[""],
                       encoding="utf-8")


def population(year: int, folder: Path | None = None) -> pd.DataFrame:
    """The states of the world of ``year``: iso3, name, region, continent, developing."""
    if year < WORLD_1978_UNTIL:
        df = _read("states_1978.csv", folder)
        return pd.DataFrame({"iso3": df["iso3"], "name": df["name"],
                             "region": df["un_region"], "continent": df["continent"],
                             "developing": df["developing"].astype(int)})
    base = read_states((folder or data_dir()) / "states.csv")
    added = _read("states_added.csv", folder)
    df = pd.concat([base[["iso3", "name", "un_region", "continent", "income_group"]],
                    added[["iso3", "name", "un_region", "continent", "income_group"]]],
                   ignore_index=True)
    dev = income_groups(df).isin(DEVELOPING_GROUPS).astype(int)
    return pd.DataFrame({"iso3": df["iso3"], "name": df["name"], "region": df["un_region"],
                         "continent": df["continent"], "developing": dev})


def people_flown(year: int, isos: Iterable[str], folder: Path | None = None,
                 exclude: Iterable[tuple[str, str]] = ()) -> pd.Series:
    """People flown to orbit before ``year``, per state of ``isos``.

    ``exclude``: ``(iso3, person)`` pairs left out (e.g. flights a case scores,
    to show what a leak would change)."""
    persons = _read("people_flown.csv", folder)
    drop = set(exclude)
    keep = persons[(persons["first_flight_year"] < year)
                   & ~persons.apply(lambda r: (r["iso3"], r["person"]) in drop, axis=1)]
    counts = keep.groupby("iso3").size()
    totals = _read("people_flown_totals.csv", folder)
    out = {}
    for iso in isos:
        if iso in TOTALS_STATES:
            t = totals[totals["iso3"] == iso].sort_values("year")
            before = t[t["year"] < year]
            row = before.iloc[-1] if len(before) else t.iloc[0] if len(t) else None
            out[iso] = float(row["people_flown_to_date"]) if row is not None else 0.0
        else:
            out[iso] = float(counts.get(iso, 0))
    return pd.Series(out, dtype=float)


def blocs_in(year: int, isos: Iterable[str], folder: Path | None = None) -> dict[str, list[str]]:
    """Each state's memberships in force at the start of ``year``, in :data:`ORGS` order."""
    m = _read("memberships.csv", folder)
    live = m[(m["joined"] < year) & (m["left"].isna() | (m["left"] >= year))]
    have = live.groupby("iso3")["org"].apply(set).to_dict()
    return {iso: [o for o in ORGS if o in have.get(iso, set())] for iso in isos}


def event_shift(year: int, isos: Iterable[str], folder: Path | None = None) -> pd.Series:
    """Net alignment shift from the dated events before ``year`` (see the module docs)."""
    ev = _read("alignment_events.csv", folder)
    ev = ev[ev["year"] < year]
    out = dict.fromkeys(isos, 0.0)
    for r in ev.itertuples(index=False):
        cp = str(r.counterpart)
        if r.iso3 not in out or DISSOLVED.get(cp, 10_000) < year:
            continue
        sign = 1.0 if r.direction == "toward" else -1.0
        out[str(r.iso3)] += sign * EVENT_STEP * pole_of(cp, year)
    return pd.Series(out, dtype=float)


# ----------------------------------------------------------------------------- the world


def dated_world(year: int, assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
                folder: Path | None = None,
                exclude_flights: Iterable[tuple[str, str]] = ()) -> pd.DataFrame:
    """Agent attributes of every state of the world at the start of ``year``.

    Returns the scenario CSV schema (:data:`stationsim.inputs.mapping.OUTPUT_COLUMNS`),
    sorted by iso3, numbers rounded to 4 decimals.
    """
    a = assumptions
    pop = population(year, folder).sort_values("iso3", kind="stable").reset_index(drop=True)
    iso = pop["iso3"].astype(str).tolist()
    if len(set(iso)) != len(iso):
        raise ValueError(f"world {year}: duplicate iso3")
    people = people_flown(year, iso, folder, exclude_flights).reindex(iso)
    cap = log_share(people.rename("people")).to_numpy()
    blocs = blocs_in(year, iso, folder)
    shift = event_shift(year, iso, folder)
    poles = anchors(year)
    east = {**a.east_weights, **COLD_WAR_EAST}
    align = []
    for i in iso:
        if i in poles:
            align.append(poles[i])
            continue
        bs = set(blocs[i])
        score = (sum(w for b, w in east.items() if b in bs)
                 - sum(w for b, w in a.west_weights.items() if b in bs) + shift[i])
        align.append(float(min(1.0, max(-1.0, score))))
    developing = pop["developing"].astype(bool).to_numpy()
    flown = people.to_numpy() > 0
    open_budget = [bool({"ESA", "EU", "G7"} & set(blocs[i])) for i in iso]

    def named(table: Mapping[str, float], i: str) -> float | None:
        key = i if i in table else SUCCESSOR_OF.get(i, "")
        return table.get(key)

    transparency = [v if (v := named(a.transparency_named, i)) is not None
                    else a.transparency_open if ob else a.transparency_other
                    for i, ob in zip(iso, open_budget, strict=True)]
    fusion = [v if (v := named(a.military_fusion_named, i)) is not None
              else a.military_fusion_launcher if fl else a.military_fusion_other
              for i, fl in zip(iso, flown, strict=True)]
    reciprocity = [v if (v := named(a.reciprocity_named, i)) is not None
                   else a.reciprocity_default for i in iso]
    money = np.where(developing, a.money_by_income["lower-middle"], a.money_by_income["high"])
    coastal = np.array([i not in LANDLOCKED_DEVELOPING for i in iso])
    out = pd.DataFrame({
        "iso3": iso, "name": pop["name"].astype(str).tolist(), "capability": cap,
        "reciprocity": reciprocity, "transparency": transparency, "military_fusion": fusion,
        "alignment": align, "region": pop["region"].tolist(),
        "continent": pop["continent"].tolist(), "developing": developing.astype(int),
        "blocs": [";".join(blocs[i]) for i in iso],
        "asset_contracts": np.where(developing, a.contracts_developing, 0.0),
        "asset_money": money,
        "asset_port_access": np.where(developing & coastal, a.port_access_developing, 0.0),
        "asset_resource_rights": np.where(developing, a.resource_rights_developing, 0.0),
    })
    num = out.select_dtypes("number").columns.drop("developing")
    out[num] = out[num].astype(float).round(4) + 0.0
    return out[list(OUTPUT_COLUMNS)]


def dated_path(year: int, folder: Path | None = None) -> Path:
    """The file of the dated world of ``year`` (:data:`DATED_FILES`)."""
    if year not in DATED_FILES:
        raise ValueError(f"no dated world for {year}; dated worlds: "
                         f"{', '.join(map(str, DATED_FILES))}")
    return (folder or data_dir()) / DATED_FILES[year]


def dated_texts(folder: Path | None = None) -> dict[Path, str]:
    """Every dated world of :data:`DATED_FILES` as CSV text, by the file it belongs in.

    The writing (atomic) is done by ``stationsim data``; this room writes nothing."""
    return {dated_path(y, folder): to_csv_text(dated_world(y, folder=folder))
            for y in DATED_FILES}


def stale_files(folder: Path | None = None) -> list[Path]:
    """The dated files that differ from a fresh computation (empty: all up to date)."""
    return [p for p, text in dated_texts(folder).items()
            if not p.is_file() or p.read_text(encoding="utf-8") != text]
