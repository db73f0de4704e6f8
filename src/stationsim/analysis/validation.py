"""Validation against history: ``stationsim validate`` (issue 12).

One measuring stick for every later change of the model.  Each historical
**case** (:data:`CASES`) is a scenario under ``scenarios/validation/`` on a
world dated at the case's start (:mod:`stationsim.inputs.dated`) plus a facts
file under ``data/cases/`` whose every row cites its source.  The model's
probability for a state is the share of replications in which its first
membership of the case's station falls in the fact's window.  The facts are
split once, here, into ``fit`` and ``held_out`` (:class:`Split`); the splits
do not move afterwards.

Scorers, side by side on the same facts: ``model``; ``baseline:<input>``, a
one-input logistic regression fitted on the fit split (capability, alignment
toward the host, developing, membership of one of the host's blocs, same
continent as the host -- the proxy for distance, as no distances are in the
data); ``baseline:logistic_all``, a logistic regression on all the model's
inputs whose fit-split predictions are cross-validated inside the fit split.
The best baseline is chosen on the fit split (AUC), and the rows
``model-best_baseline`` give the paired difference with a paired bootstrap
interval.  Metrics and intervals: :mod:`stationsim.analysis.metrics`.

:func:`leak_problems` checks that no fact a case scores can have entered its
inputs.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from stationsim.analysis import metrics as mt
from stationsim.analysis.calibration import (
    CSS_SPLIT_SEED,
    ISS_SPLIT_YEAR,
    SWEEPS,
    Target,
    balanced_brier,
    load_calibration_sweep,
    log_loss,
    predictions,
)
from stationsim.inputs import dated
from stationsim.inputs.files import data_dir, scenarios_dir
from stationsim.model.scenario import Scenario, ScenarioError, load_scenario
from stationsim.running.batch import named_rng, run_seed
from stationsim.running.executor import (
    Job,
    default_chunk_runs,
    execute,
    read_manifest,
    run_job,
    scenario_data,
)
from stationsim.running.results import atomic_write, scenario_manifest, write_json

#: Columns of ``validation.csv``, in order.
COLUMNS = ("case", "split", "scorer", "metric", "value", "ci_low", "ci_high", "n_pos", "n_neg")
#: Replications per case (``--replications`` default).
DEFAULT_REPLICATIONS = 20
#: Master seed (``--seed`` default): every case's runs, bootstraps and folds derive from it.
DEFAULT_SEED = 2025
#: Interkosmos: first guest flights up to this year are fitted, later ones held out.
INTERKOSMOS_SPLIT_YEAR = 1981
#: Share of each class of the CSS facts held out (stratified split, CSS_SPLIT_SEED).
CSS_HELD_OUT_SHARE = 0.5
#: Name of the paired-difference scorer.
DIFF_SCORER = "model-best_baseline"
#: Metrics of the table (``expected_positives``: the sum of the probabilities, beside
#: ``n_pos``, the number that happened).
TABLE_METRICS = ("auc", "brier", "log_loss", "expected_positives")


class LeakError(RuntimeError):
    """A case's inputs could contain a fact it scores (:func:`leak_problems`): a defect of
    the shipped cases or data, not of the user's input."""


@dataclass(frozen=True)
class Split:
    """How a case's facts are split into ``fit`` and ``held_out``.

    ``kind``: ``fit_only`` (every scored state in ``fit``; observed = a fact by
    ``through``); ``time`` (fit: a fact by ``year``, model window
    ``[start, year]``; held out: the states without one by then, observed = a fact in
    ``(year, through]``, model window the same years); ``stratified`` (observed =
    a fact by ``through``; a share ``share`` of each class held out by a
    ``numpy`` generator seeded with ``seed``, over the scored states in iso3 order).
    """

    kind: Literal["fit_only", "time", "stratified"]
    year: int = 0
    seed: int = 0
    share: float = 0.0


@dataclass(frozen=True)
class Case:
    """One historical case: its scenario, its facts and how they are scored."""

    name: str
    scenario: str               # under scenarios_dir()
    facts: str                  # under data_dir()
    station: str
    inputs_year: int            # the world's date: inputs as of the start of this year
    through: int                # last year of the facts
    scored_facts: tuple[str, ...]
    split: Split
    meaning: str
    aliases: Any = field(default_factory=lambda: MappingProxyType({}))  # fact iso3 -> world

    def scenario_path(self) -> Path:
        return scenarios_dir() / self.scenario

    def facts_path(self) -> Path:
        return data_dir() / self.facts


#: The cases, in a fixed order (a case's index seeds its runs: never reorder, only append).
CASES: tuple[Case, ...] = (
    Case("iss_partners", "validation/iss_partners_1984.toml", "cases/iss_partners.csv", "ISS",
         1984, 1998, ("iga_1988", "invited_1993", "iga_1998", "bilateral_partner"),
         Split("fit_only"),
         "a partner of the U.S.-led station (1988 IGA, Russia's 1993 invitation, 1998 IGA, "
         "Brazil's 1997 bilateral) = a first ISS membership 1984-1998",
         MappingProxyType({"RUS": "SUN"})),
    Case("iss_guests", "validation/iss_guests_2001.toml", "cases/iss_guests.csv", "ISS",
         2001, 2025, ("first_iss_visit",), Split("time", year=ISS_SPLIT_YEAR),
         "a first national on the ISS (non-IGA states) = a first ISS membership in the "
         "same years"),
    Case("css", "validation/css_2019.toml", "cases/css.csv", "CSS", 2019, 2025,
         ("css_ao_2019_selected", "css_astronaut_agreement"),
         Split("stratified", seed=CSS_SPLIT_SEED, share=CSS_HELD_OUT_SHARE),
         "a state whose institution was selected in 2019 or that signed a CSS astronaut "
         "agreement by 2025 = a first CSS membership 2019-2025"),
    Case("interkosmos", "validation/interkosmos_1978.toml", "cases/interkosmos.csv",
         "SALYUT", 1978, 1988, ("first_guest_flight",),
         Split("time", year=INTERKOSMOS_SPLIT_YEAR),
         "a state's first guest cosmonaut on a Soviet station = its first membership of "
         "the USSR-hosted station in the same years"),
)
CASE_NAMES = tuple(c.name for c in CASES)

#: One-input baselines: name -> feature column of :func:`features` (higher = more likely).
BASELINES = ("capability", "alignment_to_host", "developing", "host_bloc", "same_continent")
#: The model's inputs, for the all-input logistic regression.
ALL_INPUTS = ("capability", "reciprocity", "transparency", "military_fusion", "alignment",
              "alignment_to_host", "developing", "host_bloc", "same_continent", "money")


def get_cases(names: Sequence[str] | None = None) -> list[Case]:
    """The cases named (all when ``names`` is empty or None), in :data:`CASES` order.

    Raises
    ------
    ValueError
        Naming the unknown cases and the allowed ones.
    """
    if not names:
        return list(CASES)
    unknown = [n for n in names if n not in CASE_NAMES]
    if unknown:
        raise ValueError(f"unknown case(s) {', '.join(map(repr, unknown))}; allowed: "
                         f"{', '.join(CASE_NAMES)}")
    return [c for c in CASES if c.name in set(names)]


# ----------------------------------------------------------------------------- facts


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


# ----------------------------------------------------------------------------- leaks


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


# ----------------------------------------------------------------------------- baselines


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


# ----------------------------------------------------------------------------- scoring


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


# ----------------------------------------------------------------------------- running


#: The forms of participation a fact may be scored on (model v2): membership, a national's
#: guest flight, an experiment selected through an announcement of opportunity.
PARTICIPATION_COLUMNS = ("join_year", "first_flight_year", "first_payload_year")


def participation(membership: pd.DataFrame) -> pd.DataFrame:
    """The membership table with ``join_year`` = a state's first participation in a station
    in any form (:data:`PARTICIPATION_COLUMNS`): its first membership, its national's first
    guest flight (model v2's seat market) or its first selected experiment (model v2's
    payloads), whichever came first.  The facts scored are participations of any form (a
    first ISS visit was mostly a bought seat: ``data/cases/iss_guests.csv``; the CSS facts
    are mostly institutions' experiments: ``data/cases/css.csv``)."""
    other = [c for c in PARTICIPATION_COLUMNS[1:] if c in membership.columns]
    if not other:
        return membership
    years = membership[["join_year", *other]].astype("Float64")
    first = years.min(axis=1, skipna=True)
    return membership.drop(columns=other).assign(join_year=first.round().astype("Int64"))


def case_seeds(seed: int, case: Case) -> tuple[int, int]:
    """(master seed of the case's runs, seed of its bootstraps and folds), spawned from
    the one master ``seed`` by the case's fixed index in :data:`CASES`."""
    i = CASE_NAMES.index(case.name)
    return run_seed(seed, 2 * i), run_seed(seed, 2 * i + 1)


def run_case(case: Case, out: Path, replications: int, seed: int, workers: int | None,
             progress: bool | None = None) -> pd.DataFrame:
    """Run a case's replications through the executor into ``out`` (reused when it
    already holds the same job); return its membership table."""
    scn = load_scenario(case.scenario_path())
    job = run_job(scn, seed=case_seeds(seed, case)[0], replications=replications)
    man = read_manifest(out)
    if man is not None and man.get("fingerprint") != job.fingerprint:
        shutil.rmtree(out)  # an earlier validate run at other settings: ours to replace
    execute(job, out, {"kind": "run", "scenario": scenario_manifest(scn),
                       "validation": {"case": case.name}},
            workers=workers, resume=True, progress=progress, label=case.name)
    return participation(pd.read_parquet(
        out / "membership.parquet",
        columns=["replication", "iso3", "station", *PARTICIPATION_COLUMNS]))


@dataclass
class Validation:
    """Everything :func:`validate` measured."""

    results: list[CaseResult]
    table: pd.DataFrame
    replications: int
    seed: int
    seconds: float


def validate(names: Sequence[str] | None, out: Path, *, replications: int =
             DEFAULT_REPLICATIONS, workers: int | None = None, seed: int = DEFAULT_SEED,
             progress: bool | None = None, log: Callable[[str], None] | None = None,
             n_boot: int = mt.N_BOOT) -> Validation:
    """Run and score every case named (all by default); write the outputs into ``out``."""
    note = log or (lambda m: None)
    cases = get_cases(names)
    if replications < 1:
        raise ValueError(f"replications {replications}: must be at least 1")
    t0 = time.perf_counter()
    results = []
    for k, case in enumerate(cases, start=1):
        t1 = time.perf_counter()
        note(f"[{k}/{len(cases)}] {case.name}: leak check")
        problems = leak_problems(case)
        if problems:
            raise LeakError("; ".join(problems))
        note(f"[{k}/{len(cases)}] {case.name}: {replications} replications of "
             f"{case.scenario}")
        mem = run_case(case, out / "runs" / case.name, replications, seed, workers, progress)
        note(f"[{k}/{len(cases)}] {case.name}: scoring the model and "
             f"{len(BASELINES) + 1} baselines")
        res = score_case(case, load_scenario(case.scenario_path()), mem,
                         case_seeds(seed, case)[1], n_boot)
        res.seconds = time.perf_counter() - t1
        results.append(res)
        write_case(res, out)
        note(f"[{k}/{len(cases)}] {case.name}: done in {res.seconds:.1f} s")
    table = pd.concat([r.table for r in results], ignore_index=True)
    _write_csv(table, out / "validation.csv")
    v = Validation(results, table, replications, seed, time.perf_counter() - t0)
    _write_text(table_text(v), out / "validation.txt")
    return v


def write_case(res: CaseResult, out: Path) -> None:
    """``<case>/states.csv`` (facts and every scorer's probability), ``<case>/facts.csv``
    (the facts file as scored) and ``<case>/validation.png``."""
    folder = out / res.case.name
    _write_csv(res.states, folder / "states.csv")
    _write_csv(read_facts(res.case), folder / "facts.csv")
    fig = case_figure(res)
    atomic_write(folder / "validation.png", lambda tmp: fig.savefig(tmp, format="png", dpi=110))


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False, float_format="%.6g"))


def _write_text(text: str, path: Path) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, write)


# ----------------------------------------------------------------------------- text


def table_text(v: Validation) -> str:
    """The table as printed: one line per case, split and scorer (AUC with its interval,
    Brier, log loss, expected vs observed positives)."""
    t = v.table
    lines = [f"validation: {len(v.results)} case(s), {v.replications} replications each, "
             f"seed {v.seed}; 95 % intervals (AUC: DeLong; Brier, log loss: stratified "
             "bootstrap; model-best_baseline: paired bootstrap)", ""]
    head = (f"{'case':<13}{'split':<9}{'scorer':<29}{'auc [95% CI]':<24}"
            f"{'brier [95% CI]':<24}{'log_loss [95% CI]':<24}{'E[pos]':>7}{'pos/neg':>9}")
    lines.append(head)
    lines.append("-" * len(head))

    def cell(r: pd.DataFrame, m: str) -> str:
        x = r[r["metric"] == m]
        if x.empty:
            return ""
        row = x.iloc[0]
        return f"{_f(row['value'])} [{_f(row['ci_low'])}, {_f(row['ci_high'])}]"

    for (case, split, scorer), r in t.groupby(["case", "split", "scorer"], sort=False):
        ep = r[r["metric"] == "expected_positives"]
        first = r.iloc[0]
        lines.append(f"{case:<13}{split:<9}{scorer:<29}{cell(r, 'auc'):<24}"
                     f"{cell(r, 'brier'):<24}{cell(r, 'log_loss'):<24}"
                     f"{(_f(ep['value'].iloc[0], 1) if len(ep) else ''):>7}"
                     f"{f'{first.n_pos}/{first.n_neg}':>9}")
    lines.append("")
    for res in v.results:
        lines.append(f"{res.case.name}: best baseline (fit AUC) {res.best}; "
                     f"{res.seconds:.1f} s")
    lines.append(f"total {v.seconds:.1f} s")
    return "\n".join(lines) + "\n"


def _f(x: Any, nd: int = 3) -> str:
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "–" if np.isnan(xf) else f"{xf:.{nd}f}"


# ----------------------------------------------------------------------------- figure

_COLOURS = {"fit": "#0072B2", "held_out": "#D55E00"}


def case_figure(res: CaseResult) -> Figure:
    """Model vs baselines (AUC and Brier with 95 % intervals, fit and held out) and the
    model's reliability diagram."""
    t = res.table[res.table["scorer"] != DIFF_SCORER]
    scorers = list(dict.fromkeys(t["scorer"]))
    fig = Figure(figsize=(13, 0.35 * len(scorers) + 3.0), layout="constrained")
    ax_auc, ax_brier, ax_rel = fig.subplots(1, 3, width_ratios=[1.2, 1.2, 1])
    y = np.arange(len(scorers))[::-1]
    for ax, metric in ((ax_auc, "auc"), (ax_brier, "brier")):
        for k, split in enumerate(("fit", "held_out")):
            g = t[(t["split"] == split) & (t["metric"] == metric)].set_index("scorer")
            if g.empty:
                continue
            g = g.reindex(scorers)
            yy = y + (0.15 if k == 0 else -0.15)
            ax.errorbar(g["value"], yy, xerr=[np.abs(g["value"] - g["ci_low"]),
                                              np.abs(g["ci_high"] - g["value"])],
                        fmt="o", color=_COLOURS[split], ms=4, capsize=2,
                        label=f"{split.replace('_', '-')} ({int(g['n_pos'].iloc[0])} pos / "
                              f"{int(g['n_neg'].iloc[0])} neg)")
        ax.set_yticks(y, scorers, fontsize=8)
        ax.set_ylim(-1.5, len(scorers) - 0.5)  # a free row at the bottom for the legend
        ax.set_xlabel(metric if metric != "auc" else "AUC (0.5 = chance)")
        ax.legend(fontsize=7, loc="lower center", ncol=2, framealpha=0.9)
    ax_auc.axvline(0.5, color="0.7", ls=":")
    ax_auc.set_xlim(-0.02, 1.02)
    ax_auc.set_title(f"{res.case.name}: ranking", fontsize=10)
    ax_brier.set_title("Brier score (0 best)", fontsize=10)
    ax_rel.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
    for split, col in _COLOURS.items():
        g = res.states[res.states["split"] == split]
        if g.empty:
            continue
        rel = mt.reliability(g["observed"], g["model"])
        ax_rel.plot(rel["mean_predicted"], rel["observed"], "-o", color=col, ms=4,
                    label=f"model, {split.replace('_', '-')}")
        for r in rel.itertuples():
            ax_rel.annotate(str(r.n), (r.mean_predicted, r.observed), fontsize=7,
                            xytext=(3, 3), textcoords="offset points", color=col)
    ax_rel.set_xlim(-0.03, 1.03)
    ax_rel.set_ylim(-0.03, 1.03)
    ax_rel.set_xlabel("model probability (bin mean)")
    ax_rel.set_ylabel("observed share")
    ax_rel.set_title("reliability (states per bin)", fontsize=10)
    ax_rel.legend(fontsize=7, loc="upper left")
    return fig


# ----------------------------------------------------------------------------- calibration


@dataclass
class CaseCalibration:
    """What :func:`calibrate_cases` found: the chosen parameters and every point's loss."""

    chosen: dict[str, float]
    points: pd.DataFrame          # stage 1: every point, per-case fit loss, mean ``loss``
    refined: pd.DataFrame         # stage 2: the best points rerun
    cases: list[str]
    seconds: float
    intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    loss_se: float = float("nan")
    refine_replications: int = 0

    def text(self) -> str:
        """The chosen values and the losses, as printed by ``stationsim calibrate``."""
        lines = [f"calibration on the fit splits of {', '.join(self.cases)} "
                 f"({len(self.points)} points; loss = mean over cases of the class-balanced "
                 "Brier score on the fit facts; held-out facts are not read)", "",
                 "refined (best stage-1 points rerun):",
                 self.refined.to_string(index=False, float_format=lambda x: f"{x:.4f}"), "",
                 "chosen (paste into the scenarios' [parameters]):"]
        lines += [f"{k.removeprefix('parameters.')} = {v}" for k, v in self.chosen.items()]
        if not self.intervals.empty:
            iv = self.intervals
            lines += ["", "intervals (95 % of the values chosen over bootstrap worlds that "
                      "resample the refined runs and the fit facts; the chosen point won "
                      f"{iv['chosen_point_wins'].iloc[0]:.0%} of them, "
                      f"{iv['distinct_winners'].iloc[0]} points won at least once):",
                      iv[["parameter", "chosen", "lo", "hi"]].to_string(
                          index=False, float_format=lambda x: f"{x:.4f}"),
                      f"chosen loss {self.refined['loss'].iloc[0]:.4f}, Monte Carlo "
                      f"standard error {self.loss_se:.4f} at {self.refine_replications} "
                      "replications"]
        lines.append(f"\ntotal {self.seconds:.1f} s")
        return "\n".join(lines) + "\n"


def fit_hits(case: Case, scn: Scenario, mem: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The raw material of the fit loss: ``hits[point, replication, fact]`` (1 if the state's
    first participation falls in the fact's window in that run) and ``observed[fact]``,
    over the case's **fit** facts (held-out facts are not read).

    Points are in ascending ``point`` order, replications in ascending order within each
    point (every point must have the same number), facts in ``iso3`` order.
    """
    facts = case_facts(case, scn)
    fit = facts[facts["set"] == "fit"].sort_values("iso3").reset_index(drop=True)
    m = mem[mem["station"] == case.station]
    if "point" not in m.columns:
        m = m.assign(point=0)
    m = m[m["iso3"].isin(fit["iso3"])].merge(fit[["iso3", "lo", "hi"]], on="iso3")
    jy = m["join_year"].astype("Float64")
    m = m.assign(hit=((jy >= m["lo"]) & (jy <= m["hi"])).fillna(False).astype(float))
    wide = m.pivot_table(index=["point", "replication"], columns="iso3", values="hit",
                         aggfunc="max", fill_value=0.0).reindex(columns=fit["iso3"],
                                                                fill_value=0.0)
    points = wide.index.get_level_values("point").unique()
    reps = wide.groupby(level="point").size()
    if reps.nunique() != 1:
        raise ValueError(f"{case.name}: points have unequal replications {sorted(set(reps))}")
    hits = wide.to_numpy().reshape(len(points), int(reps.iloc[0]), len(fit))
    return hits, fit["observed"].to_numpy(dtype=float)


#: The losses a fit may be chosen by: the calibration's class-balanced Brier score, or
#: the log loss (the choice of model v2's grids).
FIT_LOSSES: dict[str, Callable[[Any, Any], float]] = {"balanced_brier": balanced_brier,
                                                      "log_loss": log_loss}


def _losses(p: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Per point (rows of ``p``, probabilities over facts): its ``loss`` on facts ``y``."""
    return np.array([FIT_LOSSES[loss](y, row) for row in p])


def bootstrap_argmin(cases: Sequence[tuple[np.ndarray, np.ndarray]], n_boot: int,
                     rng: np.random.Generator, loss: str = "balanced_brier") -> np.ndarray:
    """Which point has the lowest mean fit loss, in each of ``n_boot`` bootstrap worlds.

    Each world resamples, per case, the replications of every point, each point
    independently (its runs have their own seeds: Monte Carlo noise), and the fit facts
    within each class (which states history happened to give us), and recomputes every
    point's loss on them (``balanced_brier``, the class-balanced Brier score of
    :func:`calibrate_cases`, or ``log_loss``); a point's loss is the mean over cases.
    Returns the index (into the points axis of the ``hits`` arrays of :func:`fit_hits`)
    of the argmin per world (points tied at the minimum, e.g. values of a parameter that
    changes nothing, share it at random).  The spread of the chosen parameter values over these
    worlds is the interval of a fitted parameter: the set of values the fit cannot tell
    apart from the chosen one.
    """
    if loss not in FIT_LOSSES:
        raise ValueError(f"loss {loss!r}: allowed balanced_brier, log_loss")
    n_points = cases[0][0].shape[0]
    total = np.zeros((n_boot, n_points))
    for hits, y in cases:
        if hits.shape[0] != n_points:
            raise ValueError("every case must score the same points")
        n_rep = hits.shape[1]
        classes = [np.flatnonzero(y == c) for c in (0.0, 1.0)]
        for b in range(n_boot):
            r = rng.integers(0, n_rep, size=(n_points, n_rep, 1))  # each point its own runs
            p = np.take_along_axis(hits, r, axis=1).mean(axis=1)   # (points, facts)
            f = np.concatenate([idx[rng.integers(0, idx.size, size=idx.size)]
                                for idx in classes if idx.size])
            total[b] += _losses(p[:, f], y[f], loss)
    total /= len(cases)
    # points whose losses are equal (a parameter that changes nothing) share the win:
    # one of them at random, so that the interval spans them all
    best = total.min(axis=1, keepdims=True)
    tied = np.abs(total - best) <= 1e-12
    pick = rng.random(total.shape) * tied
    return np.asarray(np.argmax(pick, axis=1))


def parameter_intervals(points: pd.DataFrame, columns: Sequence[str], chosen_point: int,
                        argmins: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Per fitted parameter: the chosen value and the percentile interval of the value
    chosen over the bootstrap worlds (:func:`bootstrap_argmin`), and how often the
    chosen point itself won.  ``points`` are the scored points (rows in the order of the
    ``argmins`` indices) with a ``point`` column and the parameter ``columns``."""
    a = (1.0 - level) / 2.0
    won = points["point"].to_numpy()[argmins]
    rows = []
    for c in columns:
        vals = points[c].to_numpy(dtype=float)[argmins]
        rows.append({"parameter": c.removeprefix("parameters."),
                     "chosen": float(points.loc[points["point"] == chosen_point, c].iloc[0]),
                     "lo": float(np.quantile(vals, a)), "hi": float(np.quantile(vals, 1 - a)),
                     "min": float(vals.min()), "max": float(vals.max())})
    out = pd.DataFrame(rows)
    out["chosen_point_wins"] = float(np.mean(won == chosen_point))
    out["distinct_winners"] = int(np.unique(won).size)
    return out


def grid_choice_text(grid: pd.DataFrame, columns: Sequence[str], argmins: np.ndarray,
                     loss: str = "log_loss") -> str:
    """The grid point with the lowest ``loss`` and each of ``columns``' interval over the
    bootstrap worlds (:func:`bootstrap_argmin`, whose point axis is ``grid``'s rows), as
    the fit scripts print it."""
    best = int(np.argmin(grid[loss].to_numpy()))
    pts = grid.reset_index(drop=True).assign(point=range(len(grid)))
    iv = parameter_intervals(pts, columns, best, argmins)
    chosen = ", ".join(f"{c} {v:g}" for c, v in zip(iv["parameter"], iv["chosen"], strict=True))
    lines = [f"lowest fit {loss}: {chosen}; it wins "
             f"{iv['chosen_point_wins'].iloc[0]:.0%} of {len(argmins):,} bootstrap worlds"]
    lines += [f"  {r.parameter}: 95 % interval [{r.lo:g}, {r.hi:g}]" for r in iv.itertuples()]
    return "\n".join(lines)


def _fit_losses(case: Case, scn: Scenario, mem: pd.DataFrame) -> pd.Series:
    """Per point: the class-balanced Brier score of the model on the case's fit facts."""
    facts = case_facts(case, scn)
    target = Target(scn.name, case.station, facts[facts["set"] == "fit"])
    pr = predictions(mem, target)
    return pd.Series({pt: balanced_brier(g["observed"], g["p"])
                      for pt, g in pr.groupby("point", sort=True)}, dtype=float)


def _run_sweep_points(case: Case, columns: tuple[str, ...], points: list[dict[str, Any]],
                      replications: int, seed: int, out: Path, workers: int | None,
                      progress: bool | None) -> tuple[Scenario, pd.DataFrame]:
    scn = load_scenario(case.scenario_path())
    job = Job(kind="sweep", scenario=scenario_data(scn), source=scn.source, columns=columns,
              points=tuple(tuple(pt[c] for c in columns) for pt in points),
              replications=replications, master_seed=seed, steps=None,
              chunk_runs=default_chunk_runs(len(points) * replications))
    man = read_manifest(out)
    if man is not None and man.get("fingerprint") != job.fingerprint:
        shutil.rmtree(out)
    execute(job, out, {"kind": "sweep", "scenario": scenario_manifest(scn),
                       "calibration": {"case": case.name}},
            workers=workers, resume=True, progress=progress, label=out.name)
    mem = participation(pd.read_parquet(
        out / "membership.parquet",
        columns=["point", "replication", "iso3", "station", *PARTICIPATION_COLUMNS]))
    return scn, mem


def calibrate_cases(names: Sequence[str] | None, out: Path, *, samples: int | None = None,
                    replications: int | None = None, refine_points: int = 12,
                    refine_replications: int = 40, seed: int = DEFAULT_SEED,
                    n_boot: int = 1000, workers: int | None = None, progress: bool | None = None,
                    log: Callable[[str], None] | None = None) -> CaseCalibration:
    """Fit the model's parameters to the **fit** splits of the cases (``stationsim calibrate``).

    The points are those of the calibration sweep (``scenarios/sweeps/calibrate_*.toml``:
    Latin hypercube over the eight admission and trust parameters; ``samples`` and
    ``replications`` change its size).  Stage 1 runs every point on every case; a point's
    loss is the mean over cases of the class-balanced Brier score on the fit facts
    (:func:`stationsim.analysis.calibration.balanced_brier`).  Stage 2 reruns the
    ``refine_points`` best with ``refine_replications`` (fresh seeds); the chosen point has
    the lowest refined loss.  Each fitted parameter gets an interval, not only a point:
    the 2.5-97.5 % range of the value chosen over ``n_boot`` bootstrap worlds that
    resample the refined runs and the fit facts (:func:`bootstrap_argmin`), and the chosen
    loss its Monte Carlo standard error.  Held-out facts are never read.
    """
    note = log or (lambda m: None)
    t0 = time.perf_counter()
    cases = get_cases(names)
    sw = load_calibration_sweep(SWEEPS[0], samples, replications)
    cols = tuple(d.column for d in sw.dimensions)
    points = [dict(p) for p in sw.points]
    losses = {}
    for k, case in enumerate(cases, start=1):
        note(f"[{k}/{len(cases)}] {case.name}: stage 1, {len(points)} points x "
             f"{sw.spec.replications} replications")
        scn, mem = _run_sweep_points(case, cols, points, sw.spec.replications,
                                     case_seeds(seed, case)[0], out / f"screen_{case.name}",
                                     workers, progress)
        losses[case.name] = _fit_losses(case, scn, mem)
    pts = pd.DataFrame(points)
    pts.insert(0, "point", range(len(points)))
    for name, ls in losses.items():
        pts[f"{name}_fit_loss"] = pts["point"].map(ls)
    pts["loss"] = pts[[f"{n}_fit_loss" for n in losses]].mean(axis=1)
    top = pts.sort_values(["loss", "point"]).head(refine_points)
    top_pts = [{c: row[c] for c in cols} for _, row in top.iterrows()]
    case_hits: list[tuple[np.ndarray, np.ndarray]] = []
    refined = pd.DataFrame({"point": top["point"].to_numpy(), "stage1_loss": top["loss"]})
    for k, case in enumerate(cases, start=1):
        note(f"[{k}/{len(cases)}] {case.name}: stage 2, {len(top_pts)} points x "
             f"{refine_replications} replications")
        scn, mem = _run_sweep_points(case, cols, top_pts, refine_replications,
                                     case_seeds(seed, case)[0] + 1,
                                     out / f"refine_{case.name}", workers, progress)
        refined[f"{case.name}_fit_loss"] = _fit_losses(case, scn, mem).to_numpy()
        case_hits.append(fit_hits(case, scn, mem))
    refined["loss"] = refined[[f"{c.name}_fit_loss" for c in cases]].mean(axis=1)
    argmins = bootstrap_argmin(case_hits, n_boot, named_rng(seed, "calibrate", "intervals"))
    refined = refined.sort_values(["loss", "point"]).reset_index(drop=True)
    best = int(refined["point"].iloc[0])
    chosen = {c: round(float(points[best][c]), 4) for c in cols}
    scored = top.reset_index(drop=True)  # rows in the order of the hits' point axis
    intervals = parameter_intervals(scored, cols, best, argmins)
    se = _loss_se(case_hits, int(np.flatnonzero(scored["point"].to_numpy() == best)[0]),
                  n_boot, named_rng(seed, "calibrate", "noise"))
    res = CaseCalibration(chosen, pts, refined, [c.name for c in cases],
                          time.perf_counter() - t0, intervals, se, refine_replications)
    _write_csv(pts, out / "points.csv")
    _write_csv(refined, out / "refined.csv")
    _write_csv(intervals, out / "intervals.csv")
    write_json({"cases": res.cases, "chosen": chosen, "chosen_point": best,
                "samples": len(points), "replications": sw.spec.replications,
                "refine": {"points": refine_points, "replications": refine_replications},
                "bootstrap": n_boot, "chosen_loss_mc_se": round(se, 5),
                "seed": seed, "seconds": round(res.seconds, 1)}, out / "calibration.json")
    return res


def _loss_se(cases: Sequence[tuple[np.ndarray, np.ndarray]], point: int, n_boot: int,
             rng: np.random.Generator) -> float:
    """Monte Carlo standard error of one point's mean fit loss: the spread of the loss when
    only its replications are resampled (the facts fixed)."""
    vals = np.zeros(n_boot)
    for hits, y in cases:
        h = hits[point]
        for b in range(n_boot):
            p = h[rng.integers(0, h.shape[0], size=h.shape[0])].mean(axis=0)
            vals[b] += balanced_brier(y, p)
    return float(np.std(vals / len(cases), ddof=1))
