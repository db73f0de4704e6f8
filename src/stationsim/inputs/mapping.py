"""From the real-world data (``data/states.csv``) to agent attributes.

:func:`map_states` turns the 95 rows of ``data/states.csv`` (sources in
``data/SOURCES.md``) into the scenario CSV schema that
:func:`stationsim.model.scenario.load_scenario` reads (``states_csv``): iso3, name,
capability, reciprocity, transparency, military_fusion, alignment, region,
continent, developing, blocs and ``asset_<name>`` columns.
``python -m stationsim.inputs.mapping`` writes ``data/states_model.csv`` and, for the
ISS-founding world, ``data/states_model_iss1993.csv`` (the same mapping with
the ISS guest flights taken out of ``people_in_space_2025``, see
:data:`ISS_GUEST_FLYERS`); each output is a pure function of the input file,
of :class:`Assumptions` and of that option, so it is reproducible byte for
byte (``--check`` verifies both committed files).

Every formula, weight and default below is stated with its grounds in
``docs/data.md``; the short version:

* **capability** (docs/odd.md: technical and financial space capacity) = the
  weighted mean of three log-scaled shares, ``log(1 + x) / log(1 + max x)``, of
  orbital launches to 2018, people flown to 2025 and the 2021 government space
  budget, with weights 0.4, 0.3, 0.3.  A missing budget is *unknown*, not 0:
  the weights are renormalised over the components the state has (which
  amounts to imputing the missing share by the mean of its known ones).
* **alignment** (-1 U.S.-aligned .. +1 China-aligned) = ``east - west``
  clipped to [-1, 1], where ``west`` sums NATO 0.4, G7 0.3, EU 0.15, ESA 0.1
  and ``east`` sums SCO 0.35, APSCO 0.35, BRICS 0.25 over the state's
  memberships (G20 holds both poles and weighs 0).  The two poles are anchors:
  USA -1 and CHN +1 define the axis.  The ISS IGA is *not* a bloc here: it is
  an observed outcome (a calibration target).
* **developing** = World Bank income group low, lower-middle or upper-middle;
  high = not developing.  A state the World Bank leaves unclassified takes its
  last classification (:data:`LAST_INCOME_GROUP`: VEN upper-middle, FY21).
* **region** (UN M49 sub-region) and **continent** (7 continents) come from
  country_converter, and must agree with the data's own columns.
* **blocs**: NATO, EU, ESA, APSCO, SCO, BRICS, G7, G20 as they apply.
* Where the data say nothing -- **transparency**, **military_fusion**,
  **reciprocity** and the **assets** -- defaults by group, each with its paper
  (see :class:`Assumptions`).

Observed outcomes (:data:`OUTCOME_COLUMNS`: ISS IGA party, first ISS guest
flight, the 2019 CSS selection, the CSS astronaut agreement) are dropped
before anything is computed: they are the calibration targets, and mapping
them into an attribute would make the outcomes true by construction.  One
input still contains part of an outcome: ``people_in_space_2025`` counts the
nationals flown to the ISS as guests, the facts ``iss_1993`` is scored on;
``map_states(..., remove_iss_guest_flights=True)`` subtracts them before
computing capability (``data/states_model_iss1993.csv``).
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from stationsim.atomic import atomic_write
from stationsim.inputs.files import data_dir

#: The shipped data folder (``data/``; see :mod:`stationsim.inputs.files`).
DATA_DIR = data_dir()
#: The compiled real-world data (see ``data/SOURCES.md``).
STATES_CSV = DATA_DIR / "states.csv"
#: The mapped states, in the scenario CSV schema (written by :func:`write_states_csv`).
MODEL_CSV = DATA_DIR / "states_model.csv"
#: The mapped states of the ISS-founding world (``scenarios/iss_1993.toml``): as
#: :data:`MODEL_CSV`, with the ISS guest flights taken out of capability.
ISS1993_CSV = DATA_DIR / "states_model_iss1993.csv"

#: Observed outcomes: calibration targets, never inputs of the mapping.
OUTCOME_COLUMNS = ("iss_iga_party", "iss_guest_first_year", "css_ao_2019",
                   "css_astronaut_agreement_year")
#: Nationals of non-partner states flown to the ISS before TASS's count of April 2025
#: (so included in ``people_in_space_2025``): Shuttleworth (ZAF 2002), Pontes (BRA
#: 2006), Muszaphar (MYS 2007), Yi (KOR 2008), Aimbetov (KAZ 2015), Al Mansouri
#: (ARE 2019) and Al Neyadi (ARE 2023), Stibbe (ISR 2022), Barnawi and AlQarni (SAU
#: 2023), Gezeravci (TUR 2024).  Public mission records.  The 2025 flights of IND,
#: POL and HUN (Ax-4, June 2025) came after the count.  These flights are part of
#: the outcome iss_1993 is scored on (``iss_guest_first_year``), so its world
#: (:data:`ISS1993_CSV`) takes them out of capability
#: (``map_states(..., remove_iss_guest_flights=True)``).
ISS_GUEST_FLYERS: Mapping[str, int] = MappingProxyType({
    "ZAF": 1, "BRA": 1, "MYS": 1, "KOR": 1, "KAZ": 1, "ARE": 2, "ISR": 1, "SAU": 2, "TUR": 1})
#: Columns of states.csv the mapping does not use (see docs/data.md for why).
UNUSED_COLUMNS = ("copuos_member", "copuos_join_year", "has_space_agency",
                  "gov_space_budget_year")
#: Columns the mapping needs.
REQUIRED_COLUMNS = ("iso3", "name", "un_region", "continent", "income_group", "nato", "eu",
                    "esa_member", "apsco_member", "sco_member", "brics_member", "g7", "g20",
                    "orbital_launches_to_2018", "people_in_space_2025",
                    "gov_space_budget_musd")

#: Bloc label -> column of states.csv, in the order blocs are written.
BLOC_COLUMNS = MappingProxyType({
    "NATO": "nato", "EU": "eu", "ESA": "esa_member", "APSCO": "apsco_member",
    "SCO": "sco_member", "BRICS": "brics_member", "G7": "g7", "G20": "g20",
})

#: World Bank income groups counted as developing.
DEVELOPING_GROUPS = ("low", "lower-middle", "upper-middle")
INCOME_GROUPS = (*DEVELOPING_GROUPS, "high")

#: Last World Bank classification of states it currently leaves unclassified.
#: VEN: upper-middle until FY21; "temporarily unclassified" from July 2021
#: pending revised national accounts (data/SOURCES.md, income_group).
LAST_INCOME_GROUP = MappingProxyType({"VEN": "upper-middle"})

#: UN Landlocked Developing Countries (UN-OHRLLS, the group of 32) that are in
#: states.csv; they cannot offer naval port calls (Foley's "developing coastal
#: countries").  https://www.un.org/ohrlls/content/list-lldcs
LANDLOCKED_DEVELOPING = frozenset({"ARM", "AZE", "BFA", "BOL", "KAZ", "MNG", "NER", "TCD",
                                   "UZB"})

#: Output columns, in order (the scenario CSV schema).
OUTPUT_COLUMNS = ("iso3", "name", "capability", "reciprocity", "transparency",
                  "military_fusion", "alignment", "region", "continent", "developing",
                  "blocs", "asset_contracts", "asset_money", "asset_port_access",
                  "asset_resource_rights")


def _frozen(d: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class Assumptions:
    """Every weight and default of the mapping, in one place (docs/data.md).

    The defaults are the stated assumptions; a sensitivity analysis may pass
    other values to :func:`map_states`.

    Attributes
    ----------
    capability_weights : mapping
        Weight of each log-scaled share in capability: ``launches`` (orbital
        launches to 2018: access to space), ``people`` (people flown to 2025:
        human-spaceflight experience, the station's own business), ``budget``
        (2021 government space budget: financial capacity).
    west_weights, east_weights : mapping
        Pull of each bloc toward -1 (U.S.-aligned) and +1 (China-aligned).
    anchors : mapping
        The poles that define the axis (docs/odd.md: -1 U.S.-aligned, +1 China-aligned).
    transparency_named, military_fusion_named, reciprocity_named : mapping
        Values for the programmes the papers describe (CHN, RUS).
    transparency_open, transparency_other : float
        Transparency of ESA, EU or G7 members (civil agencies with published
        budgets), and of everyone else (no information: the midpoint).
    military_fusion_launcher, military_fusion_other : float
        Military fusion of states that have launched to orbit (launchers are
        missile technology) and of the rest.
    reciprocity_default : float
        Delivery probability of every state the papers do not single out.
    money_by_income : mapping
        Money a state can pay with, by World Bank income group; a known space
        budget raises it to the budget's log share when that is larger.
    resource_rights_developing, contracts_developing, port_access_developing : float
        Foley's in-kind payments, offered by developing states (port access
        only by coastal ones).
    """

    capability_weights: Mapping[str, float] = field(default_factory=lambda: _frozen(
        {"launches": 0.4, "people": 0.3, "budget": 0.3}))
    west_weights: Mapping[str, float] = field(default_factory=lambda: _frozen(
        {"NATO": 0.4, "G7": 0.3, "EU": 0.15, "ESA": 0.1}))
    east_weights: Mapping[str, float] = field(default_factory=lambda: _frozen(
        {"SCO": 0.35, "APSCO": 0.35, "BRICS": 0.25}))
    anchors: Mapping[str, float] = field(default_factory=lambda: _frozen(
        {"USA": -1.0, "CHN": 1.0}))
    transparency_named: Mapping[str, float] = field(default_factory=lambda: _frozen(
        {"CHN": 0.3}))
    transparency_open: float = 0.8
    transparency_other: float = 0.5
    military_fusion_named: Mapping[str, float] = field(default_factory=lambda: _frozen(
        {"CHN": 0.8, "RUS": 0.6}))
    military_fusion_launcher: float = 0.3
    military_fusion_other: float = 0.1
    reciprocity_named: Mapping[str, float] = field(default_factory=lambda: _frozen(
        {"CHN": 0.6, "RUS": 0.7}))
    reciprocity_default: float = 0.8
    money_by_income: Mapping[str, float] = field(default_factory=lambda: _frozen(
        {"high": 0.6, "upper-middle": 0.3, "lower-middle": 0.1, "low": 0.0}))
    resource_rights_developing: float = 0.5
    contracts_developing: float = 0.3
    port_access_developing: float = 0.3


DEFAULT_ASSUMPTIONS = Assumptions()

# ----------------------------------------------------------------------------- reading


def read_states(path: str | Path = STATES_CSV) -> pd.DataFrame:
    """Read ``states.csv``: empty cells are missing (unknown), never 0.

    Only empty cells count as missing, so no code or name is ever read as
    NaN (``NA`` is Namibia's ISO2 code).
    """
    return pd.read_csv(path, keep_default_na=False, na_values=[""], encoding="utf-8")


@functools.cache
def country_converter() -> object:
    """A ``country_converter.CountryConverter`` (IndEcol, maintained country tables).

    country_converter 1.3.2 cannot load its own table under pandas >= 3
    (ISO2 ``NA`` and empty ISO2 cells come back as NaN and its regex compile
    fails).  In that case the same table is read as the library reads it and
    the ISO2 column is taken as plain text, which is what older pandas gave.
    """
    import country_converter as coco

    try:
        return coco.CountryConverter()
    except TypeError:
        from pandas._libs.parsers import STR_NA_VALUES

        path = coco.country_converter.COUNTRY_DATA_FILE
        table = pd.read_csv(path, sep="\t", encoding="utf-8",
                            na_values=STR_NA_VALUES - {"NA"})
        text = pd.read_csv(path, sep="\t", encoding="utf-8", dtype=str, keep_default_na=False)
        table["ISO2"] = text["ISO2"]
        return coco.CountryConverter(country_data=table)


def coco_lookup(iso3: Iterable[str], to: str) -> list[str]:
    """Convert ISO3 codes to a country_converter classification (``UNregion`` ...).

    Raises
    ------
    ValueError
        If a code is unknown to country_converter.
    """
    codes = [str(c) for c in iso3]
    cc = country_converter()
    missing = "\x00not found"
    out = cc.convert(codes, src="ISO3", to=to, not_found=missing)  # type: ignore[attr-defined]
    out = [out] if isinstance(out, str) else list(out)
    unknown = [c for c, v in zip(codes, out, strict=True) if v == missing]
    if unknown:
        raise ValueError(f"ISO3 codes unknown to country_converter: {', '.join(unknown)}")
    return [str(v) for v in out]


# ----------------------------------------------------------------------------- pieces


def log_share(x: pd.Series) -> pd.Series:
    """``log(1 + x) / log(1 + max x)``: 0 for none, 1 for the largest; NaN stays NaN."""
    values = pd.to_numeric(x, errors="raise").astype(float)
    if (values < 0).any():
        raise ValueError(f"{x.name}: negative values")
    top = values.max(skipna=True)
    if not np.isfinite(top) or top <= 0:
        return values * 0.0
    return pd.Series(np.log1p(values.to_numpy()) / math.log1p(top), index=values.index,
                     name=values.name)


def capability_components(df: pd.DataFrame) -> pd.DataFrame:
    """The three log-scaled shares of capability (NaN where the data are unknown)."""
    return pd.DataFrame({
        "launches": log_share(df["orbital_launches_to_2018"]),
        "people": log_share(df["people_in_space_2025"]),
        "budget": log_share(df["gov_space_budget_musd"]),
    }, index=df.index)


def capability(df: pd.DataFrame, a: Assumptions = DEFAULT_ASSUMPTIONS) -> pd.Series:
    """Weighted mean of the known log shares (weights renormalised over known ones)."""
    comp = capability_components(df)
    w = pd.Series(dict(a.capability_weights), dtype=float).reindex(comp.columns)
    if w.isna().any() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("capability_weights need non-negative launches, people and budget")
    known = comp.notna()
    den = known.mul(w, axis=1).sum(axis=1)
    if (den <= 0).any():
        bad = df.loc[den <= 0, "iso3"].tolist()
        raise ValueError(f"no capability data for: {', '.join(bad)}")
    num = comp.fillna(0.0).mul(w, axis=1).sum(axis=1)
    return (num / den).clip(0.0, 1.0)


def blocs_of(df: pd.DataFrame) -> list[list[str]]:
    """Each state's blocs, in :data:`BLOC_COLUMNS` order (a missing cell is an error)."""
    flags = df[list(BLOC_COLUMNS.values())]
    if flags.isna().any().any():
        raise ValueError("bloc columns must be 0/1 for every state (empty cells found)")
    return [[b for b, col in BLOC_COLUMNS.items() if int(row[col]) == 1]
            for _, row in flags.iterrows()]


def alignment_from_blocs(blocs: Iterable[str], iso3: str = "",
                         a: Assumptions = DEFAULT_ASSUMPTIONS) -> float:
    """``clip(east - west, -1, 1)`` over the bloc weights; the poles are anchors.

    Used for the data (2025 memberships) and, with a year's memberships, for
    dated alignment events in scenarios (iss_1993: Russia before SCO and BRICS).
    """
    if iso3 in a.anchors:
        return float(a.anchors[iso3])
    bs = set(blocs)
    score = (sum(w for b, w in a.east_weights.items() if b in bs)
             - sum(w for b, w in a.west_weights.items() if b in bs))
    return float(min(1.0, max(-1.0, score)))


def income_groups(df: pd.DataFrame) -> pd.Series:
    """World Bank income group, with :data:`LAST_INCOME_GROUP` for unclassified states."""
    g = df["income_group"].astype(object).where(df["income_group"].notna(), None)
    out = []
    for iso, val in zip(df["iso3"], g, strict=True):
        if val is None:
            if iso not in LAST_INCOME_GROUP:
                raise ValueError(f"{iso}: income_group is empty and no last World Bank "
                                 "classification is recorded (LAST_INCOME_GROUP)")
            val = LAST_INCOME_GROUP[iso]
        if val not in INCOME_GROUPS:
            raise ValueError(f"{iso}: income_group {val!r}; allowed: {', '.join(INCOME_GROUPS)}")
        out.append(val)
    return pd.Series(out, index=df.index, dtype=object)


def _check_places(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """UN sub-region and continent from country_converter, checked against the data."""
    region = coco_lookup(df["iso3"], "UNregion")
    continent = coco_lookup(df["iso3"], "Continent_7")
    bad = [f"{iso}: data {r0!r}/{c0!r}, country_converter {r!r}/{c!r}"
           for iso, r0, c0, r, c in zip(df["iso3"], df["un_region"], df["continent"],
                                        region, continent, strict=True)
           if (r0, c0) != (r, c)]
    if bad:
        raise ValueError("region/continent disagree with country_converter:\n  "
                         + "\n  ".join(bad))
    return region, continent


# ----------------------------------------------------------------------------- mapping


def without_iss_guest_flights(df: pd.DataFrame,
                              flyers: Mapping[str, int] = ISS_GUEST_FLYERS) -> pd.DataFrame:
    """``states.csv`` rows with the ISS guest flyers subtracted from ``people_in_space_2025``.

    Raises
    ------
    ValueError
        If a state of ``flyers`` is missing, its count is unknown, or it has
        fewer people flown than guest flyers (the data would contradict the
        mission records).
    """
    iso = df["iso3"].astype(str)
    people = pd.to_numeric(df["people_in_space_2025"], errors="raise").astype(float)
    known = dict(zip(iso, people, strict=True))
    bad = [f"{i} ({known.get(i, 'missing')} people flown, {n} ISS guest flyers)"
           for i, n in flyers.items() if not known.get(i, -1.0) >= n]
    if bad:
        raise ValueError("people_in_space_2025 cannot hold the ISS guest flights of: "
                         + ", ".join(bad))
    out = df.copy()
    out["people_in_space_2025"] = people - iso.map(dict(flyers)).fillna(0).to_numpy()
    return out


def map_states(df: pd.DataFrame, assumptions: Assumptions = DEFAULT_ASSUMPTIONS, *,
               remove_iss_guest_flights: bool = False) -> pd.DataFrame:
    """Map ``states.csv`` rows to agent attributes in the scenario CSV schema.

    Parameters
    ----------
    df : DataFrame
        Rows of ``data/states.csv`` (:func:`read_states`).  The observed
        outcomes (:data:`OUTCOME_COLUMNS`) are dropped first and cannot
        influence the result.
    assumptions : Assumptions
        Weights and defaults (docs/data.md).
    remove_iss_guest_flights : bool
        Take the ISS guest flights (:data:`ISS_GUEST_FLYERS`) out of
        ``people_in_space_2025`` before anything is computed: the inputs of
        the ISS-founding world (:data:`ISS1993_CSV`), which must not contain
        the outcome it is scored on.  Only the capability of those states
        changes (the largest count, the United States', is not one of them).

    Returns
    -------
    DataFrame
        One row per state, sorted by iso3, columns :data:`OUTPUT_COLUMNS`;
        numbers rounded to 4 decimals; ``blocs`` ';'-separated.

    Raises
    ------
    ValueError
        On missing columns, duplicate or unknown ISO3 codes, bad income
        groups, or region/continent that disagree with country_converter.
    """
    a = assumptions
    data = df.drop(columns=[c for c in OUTCOME_COLUMNS if c in df.columns])
    missing = [c for c in REQUIRED_COLUMNS if c not in data.columns]
    if missing:
        raise ValueError(f"states data lacks columns: {', '.join(missing)}")
    if remove_iss_guest_flights:
        data = without_iss_guest_flights(data)
    data = data.sort_values("iso3", kind="stable").reset_index(drop=True)
    if data["iso3"].duplicated().any():
        dups = sorted(set(data.loc[data["iso3"].duplicated(), "iso3"]))
        raise ValueError(f"duplicate iso3: {', '.join(dups)}")
    iso = data["iso3"].astype(str).tolist()
    region, continent = _check_places(data)

    cap = capability(data, a)
    blocs = blocs_of(data)
    align = [alignment_from_blocs(b, i, a) for b, i in zip(blocs, iso, strict=True)]
    income = income_groups(data)
    developing = income.isin(DEVELOPING_GROUPS).to_numpy()
    launcher = (data["orbital_launches_to_2018"].astype(float) > 0).to_numpy()
    open_budget = [bool({"ESA", "EU", "G7"} & set(b)) for b in blocs]

    transparency = [a.transparency_named.get(i, a.transparency_open if ob
                                             else a.transparency_other)
                    for i, ob in zip(iso, open_budget, strict=True)]
    fusion = [a.military_fusion_named.get(i, a.military_fusion_launcher if la
                                          else a.military_fusion_other)
              for i, la in zip(iso, launcher, strict=True)]
    reciprocity = [a.reciprocity_named.get(i, a.reciprocity_default) for i in iso]

    budget = capability_components(data)["budget"]
    by_income = income.map(dict(a.money_by_income)).astype(float).to_numpy()
    money = np.maximum(by_income, budget.fillna(0.0).to_numpy())
    coastal = np.array([i not in LANDLOCKED_DEVELOPING for i in iso])

    out = pd.DataFrame({
        "iso3": iso,
        "name": data["name"].astype(str).tolist(),
        "capability": cap.to_numpy(),
        "reciprocity": reciprocity,
        "transparency": transparency,
        "military_fusion": fusion,
        "alignment": align,
        "region": region,
        "continent": continent,
        "developing": developing.astype(int),
        "blocs": [";".join(b) for b in blocs],
        "asset_contracts": np.where(developing, a.contracts_developing, 0.0),
        "asset_money": money,
        "asset_port_access": np.where(developing & coastal, a.port_access_developing, 0.0),
        "asset_resource_rights": np.where(developing, a.resource_rights_developing, 0.0),
    })
    num = out.select_dtypes("number").columns.drop("developing")
    out[num] = out[num].astype(float).round(4) + 0.0  # + 0.0 turns -0.0 into 0.0
    return out[list(OUTPUT_COLUMNS)]


def to_csv_text(mapped: pd.DataFrame) -> str:
    """The mapped table as CSV text: fixed column order, 4 decimals, '\\n' line ends."""
    return mapped.to_csv(index=False, lineterminator="\n", float_format="%.4f")


def write_states_csv(path: str | Path = MODEL_CSV, source: str | Path = STATES_CSV,
                     assumptions: Assumptions = DEFAULT_ASSUMPTIONS, *,
                     remove_iss_guest_flights: bool = False) -> pd.DataFrame:
    """Map ``source`` and write it to ``path`` atomically; return the mapped table."""
    mapped = map_states(read_states(source), assumptions,
                        remove_iss_guest_flights=remove_iss_guest_flights)
    text = to_csv_text(mapped)

    def _write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(Path(path), _write)
    return mapped


def main(argv: list[str] | None = None) -> int:
    """``python -m stationsim.inputs.mapping [--input F] [--output F] [--output-iss1993 F]
    [--check]``."""
    ap = argparse.ArgumentParser(prog="python -m stationsim.inputs.mapping",
                                 description="Map data/states.csv to agent attributes "
                                             "(data/states_model.csv, and "
                                             "data/states_model_iss1993.csv without the ISS "
                                             "guest flights); see docs/data.md.")
    ap.add_argument("--input", type=Path, default=STATES_CSV, help="states.csv to map")
    ap.add_argument("--output", type=Path, default=MODEL_CSV, help="file to write")
    ap.add_argument("--output-iss1993", type=Path, default=ISS1993_CSV,
                    help="file to write for the ISS-founding world (ISS guest flights "
                         "taken out of people_in_space_2025)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if an output differs from a fresh mapping")
    args = ap.parse_args(argv)
    outputs = ((args.output, False), (args.output_iss1993, True))
    try:
        if args.check:
            raw = read_states(args.input)
            stale = []
            for path, remove in outputs:
                fresh = to_csv_text(map_states(raw, remove_iss_guest_flights=remove))
                current = path.read_text(encoding="utf-8") if path.is_file() else ""
                if fresh != current:
                    stale.append(path)
                    print(f"{path}: out of date; run python -m stationsim.inputs.mapping",
                          file=sys.stderr)
                else:
                    print(f"{path}: up to date")
            return 1 if stale else 0
        for path, remove in outputs:
            mapped = write_states_csv(path, args.input, remove_iss_guest_flights=remove)
            print(f"{path}: {len(mapped)} states")
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
