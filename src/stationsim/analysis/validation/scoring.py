"""Scoring a case: the rows of the long table ``validation.csv`` (:data:`COLUMNS`),
the best baseline, the paired difference (:func:`score_case`, :class:`CaseResult`) and
everything :func:`~stationsim.analysis.validation.validate` measured (:class:`Validation`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis import metrics as mt
from stationsim.analysis.calibration import Target, predictions
from stationsim.analysis.validation.baselines import baseline_probabilities, features
from stationsim.analysis.validation.cases import Case
from stationsim.analysis.validation.facts import case_facts
from stationsim.model.scenario import Scenario

#: Columns of ``validation.csv``, in order.
COLUMNS = ("case", "split", "scorer", "metric", "value", "ci_low", "ci_high", "n_pos", "n_neg")
#: Name of the paired-difference scorer.
DIFF_SCORER = "model-best_baseline"
#: Metrics of the table (``expected_positives``: the sum of the probabilities, beside
#: ``n_pos``, the number that happened).
TABLE_METRICS = ("auc", "brier", "log_loss", "expected_positives")


def score_rows(case: str, split: str, scorer: str, y: np.ndarray, p: np.ndarray,
               rng: np.random.Generator, n_boot: int = mt.N_BOOT) -> list[dict[str, Any]]:
    """The table rows of one scorer on one split: every metric with its interval."""
    n_pos = int((y == 1).sum())
    n_neg = int(y.size - n_pos)
    rows = []
    for m in TABLE_METRICS:
        if m == "auc":
            value = mt.auc(y, p)
            lo, hi = mt.delong_ci(y, p)
        elif m == "expected_positives":
            value = float(p.sum())
            lo, hi = _poisson_binomial_ci(p)
        else:
            value = mt.METRICS[m](y, p)
            lo, hi = mt.bootstrap_ci(mt.METRICS[m], y, p, rng, n_boot)
        rows.append({"case": case, "split": split, "scorer": scorer, "metric": m,
                     "value": value, "ci_low": lo, "ci_high": hi, "n_pos": n_pos,
                     "n_neg": n_neg})
    return rows


def _poisson_binomial_ci(p: np.ndarray) -> tuple[float, float]:
    """Normal 95 % interval of the number of positives if each state joined with its p."""
    sd = float(np.sqrt(np.sum(p * (1 - p))))
    return float(max(0.0, p.sum() - 1.96 * sd)), float(p.sum() + 1.96 * sd)


def best_baseline(table: pd.DataFrame) -> str:
    """The baseline with the highest fit-split AUC (ties: the first in table order)."""
    b = table[(table["split"] == "fit") & table["scorer"].str.startswith("baseline:")
              & (table["metric"] == "auc")]
    b = b[b["value"].notna()]
    if b.empty:
        return "baseline:logistic_all"
    return str(b.iloc[int(np.argmax(b["value"].to_numpy()))]["scorer"])


@dataclass
class CaseResult:
    """What :func:`score_case` found for one case."""

    case: Case
    table: pd.DataFrame          # rows of validation.csv
    states: pd.DataFrame         # per fact: observed, model and baseline probabilities
    best: str                    # the best baseline (chosen on fit AUC)
    problems: list[str]          # leak problems (empty)
    seconds: float = 0.0


def score_case(case: Case, scn: Scenario, membership: pd.DataFrame, seed: int,
               n_boot: int = mt.N_BOOT) -> CaseResult:
    """Score the model's runs of one case and its baselines."""
    facts = case_facts(case, scn)
    target = Target(scn.name, case.station, facts)
    pr = predictions(membership, target)[["iso3", "set", "p"]]
    states = facts.merge(pr, on=["iso3", "set"], how="left").rename(columns={"p": "model"})
    feats = features(scn, case.station, sorted(set(facts["iso3"])))
    for name, p in baseline_probabilities(states, feats, seed).items():
        states[name] = p
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    scorers = ["model", *[c for c in states.columns if c.startswith("baseline:")]]
    rows: list[dict[str, Any]] = []
    splits = [s for s in ("fit", "held_out") if (states["set"] == s).any()]
    for split in splits:
        g = states[states["set"] == split]
        y = g["observed"].to_numpy(float)
        for sc in scorers:
            rows += score_rows(case.name, split, sc, y, g[sc].to_numpy(float), rng, n_boot)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    best = best_baseline(table)
    for split in splits:
        g = states[states["set"] == split]
        y = g["observed"].to_numpy(float)
        n_pos = int(y.sum())
        for m in ("auc", "brier", "log_loss"):
            d, lo, hi = mt.paired_difference_ci(mt.METRICS[m], y, g["model"].to_numpy(float),
                                                g[best].to_numpy(float), rng, n_boot)
            rows.append({"case": case.name, "split": split, "scorer": DIFF_SCORER,
                         "metric": m, "value": d, "ci_low": lo, "ci_high": hi,
                         "n_pos": n_pos, "n_neg": int(y.size - n_pos)})
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return CaseResult(case, table, states.rename(columns={"set": "split"}), best, [])


@dataclass
class Validation:
    """Everything :func:`validate` measured."""

    results: list[CaseResult]
    table: pd.DataFrame
    replications: int
    seed: int
    seconds: float
