"""A case's facts: the facts file, each state's first scored fact, the states not
scored, and the rows scored per split (:func:`case_facts`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis.validation.cases import Case
from stationsim.model.scenario import Scenario, ScenarioError


def read_facts(case: Case) -> pd.DataFrame:
    """The case's facts file (every row with its source)."""
    return pd.read_csv(case.facts_path(), keep_default_na=False, na_values=[""],
                       encoding="utf-8")


def positives(case: Case) -> pd.DataFrame:
    """Per state of the world: the year of its first scored fact, what it was, and whether
    it is about an institution (``subject``)."""
    f = read_facts(case)
    f = f[f["fact"].isin(case.scored_facts) & (f["year"] <= case.through)].copy()
    f["iso3"] = f["iso3"].map(lambda i: case.aliases.get(i, i))
    f = f.sort_values(["iso3", "year"])
    rows = []
    for iso, g in f.groupby("iso3", sort=True):
        first = g.iloc[0]
        rows.append({"iso3": iso, "year": int(first["year"]),
                     "fact": f"{first['fact']} {int(first['year'])}",
                     "subject": "institution" if (g["subject"] == "institution").all()
                     else "state"})
    return pd.DataFrame(rows, columns=["iso3", "year", "fact", "subject"])


def excluded_states(case: Case, scn: Scenario) -> dict[str, str]:
    """States not scored, and why: the host; the station's founders (inputs); states
    banned with the host throughout; with exclusive membership, founders of another
    station open throughout whose founders may not leave."""
    st = _station(scn, case.station)
    lo, hi = scn.start_year, case.through
    out = {st.host: "host"} | {f: "founder (an input)" for f in st.founding_members}
    for ev in scn.events:
        if ev.type != "ban" or ev.year > lo or (ev.until is not None and ev.until <= hi):
            continue
        other = ev.target if ev.state == st.host else ev.state if ev.target == st.host else None
        if other:
            out.setdefault(other, "banned with the host")
    if scn.exclusive and not bool(scn.parameters.get("founders_may_leave", False)):
        for s in scn.stations:
            if s.name != case.station and s.open_from <= lo and s.close_at > hi:
                for f in s.founding_members:
                    out.setdefault(f, f"{s.name} founding partner (exclusive membership)")
    return out


def _station(scn: Scenario, name: str) -> Any:
    for s in scn.stations:
        if s.name == name:
            return s
    raise ScenarioError(f"{scn.source}: no station {name!r}")


def case_facts(case: Case, scn: Scenario) -> pd.DataFrame:
    """One row per (scored state, split): iso3, name, set (``fit``/``held_out``),
    observed, lo, hi (the model's window), observed_year, fact, subject."""
    pos = positives(case).set_index("iso3")
    pos_year = {str(k): float(v) for k, v in pos["year"].items()}
    excluded = excluded_states(case, scn)
    start, through = scn.start_year, case.through
    rows: list[dict[str, Any]] = []
    for s in sorted(scn.states, key=lambda s: s.iso3):
        if s.iso3 in excluded:
            continue
        year = pos_year.get(s.iso3, float("nan"))
        fact = str(pos.at[s.iso3, "fact"]) if s.iso3 in pos.index else "none"
        subject = str(pos.at[s.iso3, "subject"]) if s.iso3 in pos.index else ""
        base = {"iso3": s.iso3, "name": s.name, "observed_year": year, "fact": fact,
                "subject": subject}
        sp = case.split
        if sp.kind == "time":
            hit = bool(year <= sp.year)
            rows.append({**base, "set": "fit", "observed": int(hit), "lo": start,
                         "hi": sp.year})
            if not hit:
                rows.append({**base, "set": "held_out",
                             "observed": int(sp.year < year <= through),
                             "lo": sp.year + 1, "hi": through})
        else:
            rows.append({**base, "set": "fit", "observed": int(year <= through), "lo": start,
                         "hi": through})
    df = pd.DataFrame(rows, columns=["iso3", "name", "set", "observed", "lo", "hi",
                                     "observed_year", "fact", "subject"])
    if case.split.kind == "stratified":
        rng = np.random.default_rng(case.split.seed)
        for c in (1, 0):
            idx = np.flatnonzero(df["observed"].to_numpy() == c)
            k = int(np.floor(case.split.share * idx.size))
            df.loc[df.index[rng.choice(idx, size=k, replace=False)], "set"] = "held_out"
    return df
