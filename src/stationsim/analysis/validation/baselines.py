"""The baselines scored beside the model: one-input logistic regressions and
``logistic_all`` on all the model's inputs (:func:`baseline_probabilities`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from stationsim.analysis.validation.facts import _station
from stationsim.model.scenario import Scenario

#: One-input baselines: name -> feature column of :func:`features` (higher = more likely).
BASELINES = ("capability", "alignment_to_host", "developing", "host_bloc", "same_continent")
#: The model's inputs, for the all-input logistic regression.
ALL_INPUTS = ("capability", "reciprocity", "transparency", "military_fusion", "alignment",
              "alignment_to_host", "developing", "host_bloc", "same_continent", "money")


def features(scn: Scenario, station: str, isos: Sequence[str]) -> pd.DataFrame:
    """The model's inputs of ``isos`` and the derived one-input baselines (index iso3)."""
    st = _station(scn, station)
    by = {s.iso3: s for s in scn.states}
    host = by[st.host]
    host_a = float(np.atleast_1d(host.alignment)[0])
    host_blocs = set(host.blocs) - {"NAM"}
    rows = []
    for i in isos:
        s = by[i]
        a = float(np.atleast_1d(s.alignment)[0])
        rows.append({"iso3": i, "capability": s.capability, "reciprocity": s.reciprocity,
                     "transparency": s.transparency, "military_fusion": s.military_fusion,
                     "alignment": a, "alignment_to_host": -abs(a - host_a),
                     "developing": float(s.developing),
                     "host_bloc": float(bool(set(s.blocs) & host_blocs)),
                     "same_continent": float(bool(s.continent)
                                             and s.continent == host.continent),
                     "money": float(s.assets.get("money", 0.0))})
    return pd.DataFrame(rows).set_index("iso3")


def _standardise(train: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = train.mean(axis=0)
    sd = train.std(axis=0)
    sd[sd == 0] = 1.0
    return (train - mu) / sd, (other - mu) / sd


def baseline_probabilities(facts: pd.DataFrame, feats: pd.DataFrame,
                           seed: int) -> dict[str, pd.Series]:
    """Each baseline's probability for every row of ``facts`` (index: facts' index).

    One-input baselines: a logistic regression on that input fitted on the fit
    split (two parameters; its fit-split predictions are in-sample, its
    held-out ones out of sample).  ``logistic_all``: a logistic regression on
    :data:`ALL_INPUTS`; fit-split predictions cross-validated inside the fit
    split (stratified folds, seeded), held-out ones from the fit on the whole fit split.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    fit = facts["set"] == "fit"
    y_fit = facts.loc[fit, "observed"].to_numpy(int)
    out: dict[str, pd.Series] = {}

    def predict(cols: Sequence[str], cv: bool) -> pd.Series:
        x_all = feats.loc[facts["iso3"], list(cols)].to_numpy(float)
        x_fit, x_all_s = _standardise(x_all[fit.to_numpy()], x_all)
        p = np.full(len(facts), float(y_fit.mean()) if y_fit.size else 0.0)
        if len(set(y_fit)) < 2:
            return pd.Series(p, index=facts.index)
        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(x_fit, y_fit)
        p = model.predict_proba(x_all_s)[:, 1]
        n_min = int(min(y_fit.sum(), y_fit.size - y_fit.sum()))
        if cv and n_min >= 2:
            folds = StratifiedKFold(n_splits=min(5, n_min), shuffle=True,
                                    random_state=seed % (2**32 - 1))
            p_fit = np.empty(y_fit.size)
            for tr, te in folds.split(x_fit, y_fit):
                m = LogisticRegression(C=1.0, max_iter=2000)
                if len(set(y_fit[tr])) < 2:
                    p_fit[te] = y_fit[tr].mean()
                    continue
                m.fit(x_fit[tr], y_fit[tr])
                p_fit[te] = m.predict_proba(x_fit[te])[:, 1]
            p[fit.to_numpy()] = p_fit
        return pd.Series(p, index=facts.index)

    for name in BASELINES:
        out[f"baseline:{name}"] = predict([name], cv=False)
    out["baseline:logistic_all"] = predict(list(ALL_INPUTS), cv=True)
    return out
