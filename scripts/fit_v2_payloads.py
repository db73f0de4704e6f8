"""Fit the payloads of model v2 on the FIT split of the css case only, with intervals.

The css case's facts are mostly institutions' experiments selected by the first
UNOOSA/CMSA announcement of opportunity (12 June 2019; ``data/cases/css.csv``), so
the variant gives the CSS that announcement: ``payload_from = 2019`` and one
announcement in the case's window (``payload_every = 50``).  The grid is over the
number of places (17: the countries whose institutions were selected; 9: the
projects; 12 between; an aggregate of the call's result, not any state's fact,
docs/validation.md says why it is not a leak) and the selection committee's merit
spread ``payload_merit_sd``; ``w_payload`` and ``payload_political_share`` do not
matter here (every reached state applies: checked at four corners of their ranges).
Each point is scored on the ``fit`` rows of the validation table only (held-out
rows are never read); the chosen point has the lowest fit log loss; each value's
interval is the 2.5-97.5 % range of the value chosen over 1,000 bootstrap worlds
that resample the points' runs and the fit facts
(:func:`stationsim.analysis.validation.bootstrap_argmin`), as quoted in
``docs/validation.md`` (*Recalibration*)::

    .venv/bin/python scripts/fit_v2_payloads.py results/fit_v2_payloads.csv
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd

import stationsim
from stationsim.analysis import validation as V
from stationsim.running.batch import named_rng

REPLICATIONS = 20
SEED = V.DEFAULT_SEED
AO = {"stations.CSS.payload_from": 2019, "stations.CSS.payload_every": 50}
GRID = [(17, 0.0), (17, 0.1), (17, 0.3), (17, 1.0), (17, 3.0),
        (9, 0.3), (9, 1.0), (9, 3.0), (12, 0.3), (12, 1.0), (12, 3.0)]
CORNERS = [(0.5, 0.25), (0.5, 1.0), (2.0, 0.25), (2.0, 1.0)]


def fit_run(overrides: dict[str, Any]) -> tuple[dict[str, float], tuple[np.ndarray, np.ndarray]]:
    """The model's AUC, Brier and log loss on the css fit split at ``overrides``, and the
    raw hits behind them (:func:`~stationsim.analysis.validation.fit_hits`)."""
    case = next(c for c in V.CASES if c.name == "css")
    scn = stationsim.with_overrides(stationsim.load_scenario(case.scenario_path()), overrides)
    res = stationsim.run(scn, seed=V.case_seeds(SEED, case)[0], replications=REPLICATIONS)
    cols = ["replication", "iso3", "station", *V.PARTICIPATION_COLUMNS]
    mem = V.participation(res.membership[cols])
    table = V.score_case(case, scn, mem, SEED, n_boot=50).table
    fit = table[(table["split"] == "fit") & (table["scorer"] == "model")]
    scores = {m: float(fit[fit["metric"] == m]["value"].iloc[0])
              for m in ("auc", "brier", "log_loss")}
    return scores, V.fit_hits(case, scn, mem)


def main(out: str) -> None:
    base = {"parameters.payload_merit_sd": 0.0}  # the case file's value is the fitted one
    rows = [{"variant": "no payloads", **fit_run({**base, "stations.CSS.payload_slots": 0})[0]}]
    print(rows[-1], flush=True)
    for wp, share in CORNERS:
        ov = {**base, **AO, "stations.CSS.payload_slots": 17, "parameters.w_payload": wp,
              "parameters.payload_political_share": share}
        rows.append({"variant": "AO 2019, corner", "slots": 17, "payload_merit_sd": 0.0,
                     "w_payload": wp, "payload_political_share": share, **fit_run(ov)[0]})
        print(rows[-1], flush=True)
    hits = []
    for slots, sd in GRID:
        ov = {**AO, "stations.CSS.payload_slots": slots, "parameters.payload_merit_sd": sd}
        scores, (h, y) = fit_run(ov)
        hits.append(h[0])
        rows.append({"variant": "AO 2019", "slots": slots, "payload_merit_sd": sd, **scores})
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    grid = table[table["variant"] == "AO 2019"].reset_index(drop=True)
    arg = V.bootstrap_argmin([(np.stack(hits), y)], 1000,
                             named_rng(SEED, "fit_v2_payloads"), loss="log_loss")
    print(V.grid_choice_text(grid, ("slots", "payload_merit_sd"), arg))
    table.to_csv(out, index=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fit_v2_payloads.csv")
