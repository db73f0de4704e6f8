"""Fit the payloads of model v2 on the FIT split of the css case only.

The css case's facts are mostly institutions' experiments selected by the first
UNOOSA/CMSA announcement of opportunity (12 June 2019; ``data/cases/css.csv``), so
the variant gives the CSS that announcement: ``payload_from = 2019``, one
announcement in the case's window (``payload_every = 50``), and
``payload_slots = 17``, the number of countries whose institutions were selected
(an aggregate of the call's result, not any state's fact; docs/validation.md says
why it is not a leak).  A grid over the payload value's free numbers (which turn
out not to matter: every reached state applies) and the selection committee's merit
spread ``payload_merit_sd`` (which does), each point
scored by the ``fit`` rows of the validation table (held-out rows are never read),
as quoted in ``docs/validation.md`` (*Model v2*)::

    .venv/bin/python scripts/fit_v2_payloads.py results/fit_v2_payloads.csv
"""

from __future__ import annotations

import itertools
import sys
from typing import Any

import pandas as pd

import stationsim
from stationsim.analysis import validation as V

REPLICATIONS = 20
SEED = V.DEFAULT_SEED
AO = {"stations.CSS.payload_from": 2019, "stations.CSS.payload_every": 50,
      "stations.CSS.payload_slots": 17}


def fit_scores(overrides: dict[str, Any]) -> dict[str, float]:
    """AUC, Brier and log loss of the model on the css fit split, at ``overrides``."""
    case = next(c for c in V.CASES if c.name == "css")
    scn = stationsim.with_overrides(stationsim.load_scenario(case.scenario_path()), overrides)
    res = stationsim.run(scn, seed=V.case_seeds(SEED, case)[0], replications=REPLICATIONS)
    cols = ["replication", "iso3", "station", *V.PARTICIPATION_COLUMNS]
    mem = V.participation(res.membership[cols])
    table = V.score_case(case, scn, mem, SEED, n_boot=50).table
    fit = table[(table["split"] == "fit") & (table["scorer"] == "model")]
    return {m: float(fit[fit["metric"] == m]["value"].iloc[0])
            for m in ("auc", "brier", "log_loss")}


def main(out: str) -> None:
    rows = [{"variant": "no payloads", **fit_scores({})}]
    print(rows[-1], flush=True)
    for wp, share in itertools.product([0.5, 2.0], [0.25, 1.0]):
        ov = {**AO, "parameters.w_payload": wp, "parameters.payload_political_share": share}
        rows.append({"variant": "AO 2019", "w_payload": wp, "payload_political_share": share,
                     "payload_merit_sd": 0.0, **fit_scores(ov)})
        print(rows[-1], flush=True)
    for sd in [0.1, 0.3, 1.0, 3.0]:
        ov = {**AO, "parameters.payload_merit_sd": sd}
        rows.append({"variant": "AO 2019", "w_payload": 1.0, "payload_political_share": 0.5,
                     "payload_merit_sd": sd, **fit_scores(ov)})
        print(rows[-1], flush=True)
    pd.DataFrame(rows).to_csv(out, index=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fit_v2_payloads.csv")
