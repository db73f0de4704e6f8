"""What calibration is scored on: the observed facts of each scenario (ISS:
non-founding IGA parties and guest flyers, split by time; CSS: the 2019
selection and the 2025 agreement, split at random by class), the states scored,
and a state's predicted probability at a sweep point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from stationsim.inputs.mapping import STATES_CSV, read_states
from stationsim.model.scenario import Scenario, ScenarioError

#: Last year of the observations (data/SOURCES.md: flights and agreements to 2025).
OBSERVED_THROUGH = 2025
#: ISS facts up to this year are fitted; first flights after it are held out.
ISS_SPLIT_YEAR = 2015
#: Seed of the stratified random split of the CSS facts (the AO announcement date).
CSS_SPLIT_SEED = 20190612
#: Share of each CSS class held out of the fit.
CSS_HELD_OUT_SHARE = 0.5
#: Year of the ISS intergovernmental agreement (first year of a non-founding IGA party).
ISS_IGA_YEAR = 1998
#: Sets of facts: fitted, held out, and (ISS) held out with the timing ignored.
SETS = ("fit", "held_out", "held_out_ever")


@dataclass(frozen=True)
class Target:
    """The facts one scenario is scored on.

    ``facts`` has one row per (state, set): ``iso3``, ``name``, ``set``
    (``fit`` or ``held_out``), ``observed`` (0/1), ``lo`` and ``hi`` (the
    model's counterpart: the state's first ``join_year`` at ``station`` is in
    ``[lo, hi]``), ``observed_year`` (NA if none) and ``fact`` (what happened).
    """

    scenario: str
    station: str
    facts: pd.DataFrame
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def sets(self) -> list[str]:
        """The sets of facts, in report order (``fit`` first)."""
        return [s for s in SETS if (self.facts["set"] == s).any()]


def _station(scn: Scenario, name: str) -> Any:
    for s in scn.stations:
        if s.name == name:
            return s
    raise ScenarioError(f"{scn.source}: no station {name!r}")


def _banned_throughout(scn: Scenario, host: str, lo: int, hi: int) -> set[str]:
    """States banned with ``host`` in every year of ``[lo, hi]``."""
    out: set[str] = set()
    for ev in scn.events:
        if ev.type != "ban" or ev.year > lo:
            continue
        until = getattr(ev, "until", None)
        if until is not None and until <= hi:
            continue
        if ev.state == host and ev.target:
            out.add(ev.target)
        elif ev.target == host and ev.state:
            out.add(ev.state)
    return out


def iss_target(scn: Scenario, states: pd.DataFrame, station: str = "ISS",
               split_year: int = ISS_SPLIT_YEAR,
               through: int = OBSERVED_THROUGH) -> Target:
    """Facts of ``iss_1993``: the first ISS flight (or IGA party) of every non-founding state.

    Fit: every scored state, observed = a first flight (or, for a
    non-founding IGA party, the 1998 agreement) by ``split_year``; model:
    first ISS membership in ``[start_year, split_year]``.  Held out: the
    states with none by then, observed = a first flight in
    ``(split_year, through]``; model: first ISS membership in those years.
    ``held_out_ever`` scores the same facts with the timing ignored (model:
    first ISS membership in ``[start_year, through]``): does the model pick
    the right states, whenever they join?
    """
    st = _station(scn, station)
    excluded = {st.host: "host"} | {f: "founder (an input)" for f in st.founding_members}
    rows = []
    for r in _scored(scn, states, excluded):
        iso = str(r["iso3"])
        if r["iss_iga_party"] == 1:
            year: float = ISS_IGA_YEAR
            fact = f"ISS IGA party ({ISS_IGA_YEAR})"
        elif pd.notna(r["iss_guest_first_year"]):
            year = float(r["iss_guest_first_year"])
            fact = f"first national on the ISS {int(year)}"
        else:
            year = float("nan")
            fact = "no national on the ISS"
        hit_fit = bool(year <= split_year)
        rows.append({"iso3": iso, "name": r["name"], "set": "fit", "observed": int(hit_fit),
                     "lo": scn.start_year, "hi": split_year, "observed_year": year,
                     "fact": fact})
        if not hit_fit:
            seen = int(split_year < year <= through)
            rows.append({"iso3": iso, "name": r["name"], "set": "held_out", "observed": seen,
                         "lo": split_year + 1, "hi": through, "observed_year": year,
                         "fact": fact})
            rows.append({"iso3": iso, "name": r["name"], "set": "held_out_ever",
                         "observed": seen,
                         "lo": scn.start_year, "hi": through, "observed_year": year,
                         "fact": fact})
    return Target(scn.name, station, _facts_frame(rows), excluded)


def css_target(scn: Scenario, states: pd.DataFrame, station: str = "CSS",
               through: int = OBSERVED_THROUGH, seed: int = CSS_SPLIT_SEED,
               held_out_share: float = CSS_HELD_OUT_SHARE) -> Target:
    """Facts of ``css_2021``: the CSS partners (AO 2019 selection, astronaut agreement by 2025).

    Scored: states that could be CSS guests in ``[start_year, through]``
    under the scenario -- not the host, not banned with the host throughout,
    and, with exclusive membership, not a founding member of another station
    open throughout whose founders may not leave (the ISS partners).  Model:
    first CSS membership in ``[start_year, through]``.  A stratified random
    share ``held_out_share`` of each class (``numpy`` generator seeded with
    ``seed``) is held out of the fit.
    """
    st = _station(scn, station)
    lo, hi = scn.start_year, through
    excluded = {st.host: "host"}
    excluded |= {b: "banned with the host" for b in _banned_throughout(scn, st.host, lo, hi)
                 if b not in excluded}
    may_leave = bool(scn.parameters.get("founders_may_leave", False))
    if scn.exclusive and not may_leave:
        for other in scn.stations:
            if other.name == station or other.open_from > lo or other.close_at <= hi:
                continue
            for f in other.founding_members:
                excluded.setdefault(f, f"{other.name} founding partner (exclusive membership)")
    rows = []
    for r in _scored(scn, states, excluded):
        iso = str(r["iso3"])
        facts = []
        year = float("nan")
        if r["css_ao_2019"] == 1:
            facts.append("AO 2019 selection")
            year = 2019.0
        agreed = r["css_astronaut_agreement_year"]
        if pd.notna(agreed) and agreed <= hi:
            facts.append(f"astronaut agreement {int(agreed)}")
            year = float(agreed) if np.isnan(year) else year
        rows.append({"iso3": iso, "name": r["name"], "set": "fit", "observed": int(bool(facts)),
                     "lo": lo, "hi": hi, "observed_year": year,
                     "fact": "; ".join(facts) or "no CSS partnership"})
    df = _facts_frame(rows)
    rng = np.random.default_rng(seed)
    for c in (1, 0):
        idx = np.flatnonzero(df["observed"].to_numpy() == c)
        k = int(np.floor(held_out_share * idx.size))
        df.loc[df.index[rng.choice(idx, size=k, replace=False)], "set"] = "held_out"
    return Target(scn.name, station, df, excluded)


def _scored(scn: Scenario, states: pd.DataFrame,
            excluded: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of ``states`` (as dicts) of the scenario's states that are not ``excluded``."""
    present = {s.iso3 for s in scn.states} - set(excluded)
    return [{str(k): v for k, v in row.items()} for row in states.to_dict("records")
            if row["iso3"] in present]


def _facts_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["iso3", "name", "set", "observed", "lo", "hi", "observed_year", "fact"]
    return pd.DataFrame(rows, columns=cols).reset_index(drop=True)


def target_for(scn: Scenario, states: pd.DataFrame | None = None) -> Target:
    """The facts a calibration scenario is scored on, by the scenario's name."""
    df = read_states(STATES_CSV) if states is None else states
    if scn.name == "iss_1993":
        return iss_target(scn, df)
    if scn.name == "css_2021":
        return css_target(scn, df)
    raise ScenarioError(f"{scn.source}: no observed facts for scenario {scn.name!r}; "
                        "calibration knows iss_1993 and css_2021")


# ----------------------------------------------------------------------------- predictions


def predictions(membership: pd.DataFrame, target: Target) -> pd.DataFrame:
    """Predicted probability of every fact, per point (if the table has ``point``).

    ``p`` is the share of replications in which the state's first
    ``join_year`` at the target's station lies in the fact's ``[lo, hi]``.
    Returns the facts with ``point`` (0 for a plain run) and ``p``.
    """
    m = membership[membership["station"] == target.station]
    if "point" not in m.columns:
        m = m.assign(point=0)
    m = m[["point", "replication", "iso3", "join_year"]]
    reps = m.groupby("point")["replication"].nunique()
    merged = m.merge(target.facts[["iso3", "set", "lo", "hi"]], on="iso3", how="inner")
    jy = merged["join_year"].astype("Float64")
    hit = (jy >= merged["lo"]) & (jy <= merged["hi"])
    merged["hit"] = hit.fillna(False).astype(float)
    p = merged.groupby(["point", "iso3", "set"], sort=False)["hit"].sum().rename("hits")
    out = p.reset_index().merge(target.facts, on=["iso3", "set"])
    out["p"] = out["hits"] / out["point"].map(reps)
    missing = len(target.facts) * len(reps) - len(out)
    if missing:
        raise ValueError(f"{target.scenario}: {missing} facts have no membership rows")
    return out.drop(columns="hits").sort_values(["point", "set", "iso3"]).reset_index(drop=True)
