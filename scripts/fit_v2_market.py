"""Fit the seat market of model v2 on the FIT splits only (iss_guests, interkosmos).

A grid over the market's free numbers, each point scored by the ``fit`` rows of
the validation table (held-out rows are never read), as quoted in
``docs/validation.md`` (*Model v2*)::

    .venv/bin/python scripts/fit_v2_market.py results/fit_v2.csv

For iss_guests it needs the two sellers of the variant (``stations.ISS.sellers``:
Russia's Soyuz seats and a commercial provider, as in the docs); the shipped case
keeps none, so they are added here as overrides.

Each grid also gets its values' intervals: the 2.5-97.5 % range of the value chosen
(lowest fit log loss) over 1,000 bootstrap worlds that resample the points' runs and
the fit facts (:func:`stationsim.analysis.validation.bootstrap_argmin`).
"""

from __future__ import annotations

import itertools
import sys
from typing import Any

import numpy as np
import pandas as pd

import stationsim
from stationsim.analysis import validation as V
from stationsim.running.batch import named_rng

REPLICATIONS = 12
SEED = V.DEFAULT_SEED
ISS_SELLERS = [
    {"seller": "RUS", "seats": 1, "price": 1.0, "open_from": 2001, "close_at": 2020,
     "screen": "trust"},
    {"seller": "commercial", "seats": 3, "price": 1.0, "open_from": 2022, "screen": "none"},
]


HITS: dict[str, list[np.ndarray]] = {}
FACTS: dict[str, np.ndarray] = {}


def fit_scores(case_name: str, overrides: dict[str, Any]) -> dict[str, float]:
    """AUC, Brier and log loss of the model on the case's fit split, at ``overrides``
    (and the raw hits behind them kept in ``HITS`` for the intervals)."""
    case = next(c for c in V.CASES if c.name == case_name)
    scn = stationsim.with_overrides(stationsim.load_scenario(case.scenario_path()), overrides)
    res = stationsim.run(scn, seed=V.case_seeds(SEED, case)[0], replications=REPLICATIONS)
    cols = ["replication", "iso3", "station", *V.PARTICIPATION_COLUMNS]
    mem = V.participation(res.membership[cols])
    hits, y = V.fit_hits(case, scn, mem)
    HITS.setdefault(case_name, []).append(hits[0])
    FACTS[case_name] = y
    table = V.score_case(case, scn, mem, SEED, n_boot=50).table
    fit = table[(table["split"] == "fit") & (table["scorer"] == "model")]
    return {m: float(fit[fit["metric"] == m]["value"].iloc[0])
            for m in ("auc", "brier", "log_loss")}


def main(out: str) -> None:
    rows = []
    for wf, price in itertools.product([0.5, 1.0, 2.0, 3.0], [0.5, 1.5, 3.0, 6.0]):
        sellers = [{**s, "price": price} for s in ISS_SELLERS]
        ov = {"parameters.w_flight": wf, "stations.ISS.sellers": sellers}
        rows.append({"case": "iss_guests", "w_flight": wf, "price": price,
                     **fit_scores("iss_guests", ov)})
        print(rows[-1], flush=True)
    for wf, dist in itertools.product([0.5, 1.0, 2.0, 3.0], [0.3, 0.45, 0.6, 0.8]):
        ov = {"parameters.w_flight": wf, "parameters.flight_max_distance": dist}
        rows.append({"case": "interkosmos", "w_flight": wf, "flight_max_distance": dist,
                     **fit_scores("interkosmos", ov)})
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    for case, cols in (("iss_guests", ("w_flight", "price")),
                       ("interkosmos", ("w_flight", "flight_max_distance"))):
        grid = table[table["case"] == case].reset_index(drop=True)
        arg = V.bootstrap_argmin([(np.stack(HITS[case]), FACTS[case])], 1000,
                                 named_rng(SEED, "fit_v2_market", case), loss="log_loss")
        print(f"{case}: {V.grid_choice_text(grid, cols, arg)}")
    table.to_csv(out, index=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fit_v2.csv")
