"""Fit the seat market of model v2 on the FIT splits only (iss_guests, interkosmos): a grid,
scored by the fit rows of the validation table; held-out rows are never read.

    .venv/bin/python scripts/fit_v2_market.py results/fit_v2.csv
"""
import itertools, sys, json
import numpy as np, pandas as pd
import stationsim
from stationsim.analysis import validation as V
from stationsim.analysis import metrics as mt

def fit_scores(case_name, overrides, reps=12, seed=2025):
    case = [c for c in V.CASES if c.name == case_name][0]
    scn = stationsim.with_overrides(stationsim.load_scenario(case.scenario_path()), overrides)
    res = stationsim.run(scn, seed=V.case_seeds(seed, case)[0], replications=reps)
    mem = V.participation(res.membership[["replication", "iso3", "station", "join_year", "first_flight_year"]])
    r = V.score_case(case, scn, mem, seed, n_boot=50)
    t = r.table
    t = t[(t["split"] == "fit") & (t["scorer"] == "model")]   # fit split only
    return {m: float(t[t["metric"] == m]["value"].iloc[0]) for m in ("auc", "brier", "log_loss")}

out = []
for wf, pr in itertools.product([0.5, 1.0, 2.0, 3.0], [0.5, 1.5, 3.0, 6.0]):
    ov = {"parameters.w_flight": wf, "stations.ISS.sellers.0.price": pr, "stations.ISS.sellers.1.price": pr}
    s = fit_scores("iss_guests", ov)
    out.append({"case": "iss_guests", "w_flight": wf, "price": pr, **s}); print(out[-1], flush=True)
for wf, d in itertools.product([0.5, 1.0, 2.0, 3.0], [0.3, 0.45, 0.6, 0.8]):
    ov = {"parameters.w_flight": wf, "parameters.flight_max_distance": d}
    s = fit_scores("interkosmos", ov)
    out.append({"case": "interkosmos", "w_flight": wf, "flight_max_distance": d, **s}); print(out[-1], flush=True)
pd.DataFrame(out).to_csv(sys.argv[1] if len(sys.argv) > 1 else "fit_v2.csv", index=False)
