"""The leak check: no fact a case scores can have entered its inputs
(:func:`leak_problems`, :class:`LeakError`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stationsim.analysis.validation.cases import Case
from stationsim.analysis.validation.facts import positives
from stationsim.inputs import dated
from stationsim.inputs.files import data_dir
from stationsim.model.scenario import Scenario, load_scenario


class LeakError(RuntimeError):
    """A case's inputs could contain a fact it scores (:func:`leak_problems`): a defect of
    the shipped cases or data, not of the user's input."""


def _scenario_world(scn: Scenario) -> pd.DataFrame:
    return pd.DataFrame([{"iso3": s.iso3, "capability": s.capability,
                          "alignment": float(np.atleast_1d(s.alignment)[0]),
                          "developing": int(s.developing), "blocs": ";".join(s.blocs)}
                         for s in scn.states])


def leak_problems(case: Case, world: pd.DataFrame | None = None) -> list[str]:
    """Ways a fact the case scores could have entered its inputs (empty: none).

    ``world`` (iso3, capability, alignment, developing, blocs): the case's initial
    states; default: its scenario's.  Three checks:

    1. the world is the dated world of ``case.inputs_year``
       (:func:`stationsim.inputs.dated.dated_world`), which counts only what
       happened before that year;
    2. every positive fact is dated ``inputs_year`` or later, so the dated
       tables behind the world cannot hold it;
    3. every positive state's capability is unchanged when every flight of
       its nationals from the fact's year on is taken out of people flown
       (the idea of ``mapping.ISS_GUEST_FLYERS``, for every case).
    """
    if world is None:
        world = _scenario_world(load_scenario(case.scenario_path()))
    w = world.set_index("iso3")
    problems = []
    ref = dated.dated_world(case.inputs_year).set_index("iso3")
    common = w.index.intersection(ref.index)
    if len(common) != len(w.index):
        problems.append(f"{case.name}: states not in the dated world of {case.inputs_year}: "
                        f"{', '.join(sorted(set(w.index) - set(ref.index)))}")
    for col in ("capability", "alignment", "developing"):
        mine, theirs = w[col].astype(float).to_dict(), ref[col].astype(float).to_dict()
        diff = [str(i) for i in common if abs(mine[i] - theirs[i]) > 1e-6]
        if diff:
            problems.append(f"{case.name}: {col} differs from the dated world of "
                            f"{case.inputs_year} for {', '.join(diff[:8])}")
    pos = positives(case)
    early = pos[pos["year"] < case.inputs_year]
    if len(early):
        problems.append(f"{case.name}: facts dated before the world ({case.inputs_year}) "
                        "could be in its inputs: "
                        + ", ".join(f"{r.iso3} {r.year}" for r in early.itertuples()))
    persons = pd.read_csv(data_dir() / "people_flown.csv", keep_default_na=False,
                          na_values=[""], encoding="utf-8")
    years = dict(zip(pos["iso3"], pos["year"], strict=True))
    later = persons[[years.get(i, 10_000) <= y for i, y in
                     zip(persons["iso3"], persons["first_flight_year"], strict=True)]]
    clean = dated.dated_world(case.inputs_year, exclude_flights=list(
        zip(later["iso3"], later["person"], strict=True))).set_index("iso3")
    mine = w["capability"].astype(float).to_dict()
    theirs = clean["capability"].astype(float).to_dict()
    counted = [i for i in years if i in mine and i in theirs and abs(mine[i] - theirs[i]) > 1e-6]
    if counted:
        problems.append(f"{case.name}: capability counts the scored flights of "
                        f"{', '.join(counted)}")
    return problems
