"""Model v2's trust options on the FIT splits of every case (held-out rows never read).

    .venv/bin/python scripts/fit_v2_trust.py results/fit_v2_trust.csv

Each option set is run on every case at the validation's seeds; the table gives
the model's fit AUC and log loss per case (docs/validation.md, *Model v2*).
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd

import stationsim
from stationsim.analysis import validation as V

REPLICATIONS = 20
SEED = V.DEFAULT_SEED
OPTIONS: dict[str, dict[str, Any]] = {
    "v1": {},
    "belief": {"parameters.trust_update": "belief"},
    "per_contract": {"parameters.host_delivery": "per_contract"},
    "belief+per_contract": {"parameters.trust_update": "belief",
                            "parameters.host_delivery": "per_contract"},
}


def fit_rows(case: V.Case, overrides: dict[str, Any]) -> dict[str, float]:
    scn = stationsim.with_overrides(stationsim.load_scenario(case.scenario_path()), overrides)
    res = stationsim.run(scn, seed=V.case_seeds(SEED, case)[0], replications=REPLICATIONS)
    cols = ["replication", "iso3", "station", *V.PARTICIPATION_COLUMNS]
    table = V.score_case(case, scn, V.participation(res.membership[cols]), SEED,
                         n_boot=50).table
    fit = table[(table["split"] == "fit") & (table["scorer"] == "model")]
    return {m: float(fit[fit["metric"] == m]["value"].iloc[0]) for m in ("auc", "log_loss")}


def main(out: str) -> None:
    rows = []
    for name, ov in OPTIONS.items():
        for case in V.CASES:
            rows.append({"option": name, "case": case.name, **fit_rows(case, ov)})
            print(rows[-1], flush=True)
    pd.DataFrame(rows).to_csv(out, index=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fit_v2_trust.csv")
