"""Calibration against history (issue 5, part 3): a sweep with a loss.

The model's free parameters are fitted to observed facts only, the outcome
columns of ``data/states.csv`` that the data mapping never reads
(``docs/data.md``):

* ``iss_1993`` (station ISS): the non-founding parties of the 1998 ISS
  agreement (Russia; the 13 pre-1993 partners are founders, i.e. inputs) and
  the non-partner states that sent a national to the ISS
  (``iss_guest_first_year``).  The model's counterpart of a state's first
  ISS flight is its first year as a member of the ISS (``join_year`` in
  ``membership.parquet``).  Non-partner states without such a flight are
  negatives.
* ``css_2021`` (station CSS): the 2019 UNOOSA/CMSA selection
  (``css_ao_2019``) and the 2025 Pakistan astronaut agreement
  (``css_astronaut_agreement_year``); the counterpart is being a CSS guest
  by 2025.  Only states that could be CSS guests under the scenario are
  scored: not the host, not a state banned with the host, and (membership
  being exclusive) not a founding partner of the ISS, which flies through
  the whole observation window.

Method (``docs/calibration.md``): two sweep files with the same sampler,
seed and ``[[vary]]`` tables (``scenarios/sweeps/calibrate_*.toml``), so
point *p* is the same parameter set in both; run through
:func:`stationsim.running.sweep.run_sweep`.  A state's predicted probability at a
point is the share of replications in which the model's counterpart
happened.  The loss of a point is the mean over the two scenarios of the
class-balanced Brier score on the *fit* facts; the chosen point minimises it.
Some facts are held out of the loss: for the ISS by time (fit: flights up to
:data:`ISS_SPLIT_YEAR`; held out: first flights in the following years up to
:data:`OBSERVED_THROUGH`), for the CSS by a stratified random split of the
scored states with the fixed seed :data:`CSS_SPLIT_SEED`.  The chosen point
is then rerun with fresh seeds and more replications (the *confirmation*
run), and every reported number comes from that run.

Run it (every number in ``docs/calibration.md`` comes from these)::

    python -m stationsim.analysis.calibration run --out results/calibration --figures docs/figures
    python -m stationsim.analysis.calibration blocs results/two_blocs     # issue 5, part 4
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import tomli_w
from matplotlib.figure import Figure
from scipy.stats import rankdata

from stationsim.analysis.compare import markdown_table as _markdown_table
from stationsim.analysis.metrics import arrays
from stationsim.inputs.files import scenarios_dir
from stationsim.inputs.mapping import ISS_GUEST_FLYERS, STATES_CSV, map_states, read_states
from stationsim.model.params import PARAMETERS
from stationsim.model.scenario import Scenario, ScenarioError, with_overrides
from stationsim.running.executor import Job, default_chunk_runs, execute, scenario_data
from stationsim.running.results import atomic_write, load_results, scenario_manifest, write_json
from stationsim.running.sweep import Sweep, load_sweep, run_sweep, sweep_from_text

ArrayLike = Sequence[float] | npt.NDArray[Any] | pd.Series

#: Last year of the observations (data/SOURCES.md: flights and agreements to 2025).
OBSERVED_THROUGH = 2025
#: ISS facts up to this year are fitted; first flights after it are held out.
ISS_SPLIT_YEAR = 2015
#: Seed of the stratified random split of the CSS facts (the AO announcement date).
CSS_SPLIT_SEED = 20190612
#: Share of each CSS class held out of the fit.
CSS_HELD_OUT_SHARE = 0.5
#: Predicted probability at or above which a state counts as predicted to join.
THRESHOLD = 0.5
#: Year of the ISS intergovernmental agreement (first year of a non-founding IGA party).
ISS_IGA_YEAR = 1998
#: Stage 2: how many of the best stage-1 points are rerun, with how many replications.
REFINE_POINTS = 12
REFINE_REPLICATIONS = 40
#: Decimals of the chosen values (as saved in the scenarios; the confirmation runs them).
CHOSEN_DECIMALS = 4
#: Stage 3: replications of the confirmation run of the chosen point.
CONFIRM_REPLICATIONS = 200
#: Sets of facts: fitted, held out, and (ISS) held out with the timing ignored.
SETS = ("fit", "held_out", "held_out_ever")

SWEEPS = (scenarios_dir() / "sweeps/calibrate_iss_1993.toml",
          scenarios_dir() / "sweeps/calibrate_css_2021.toml")


# ----------------------------------------------------------------------------- metrics




def brier(y: ArrayLike, p: ArrayLike) -> float:
    """Brier score: mean squared difference between probability and outcome (0 best)."""
    ya, pa = arrays(y, p)
    return float(np.mean((pa - ya) ** 2)) if ya.size else float("nan")


def balanced_brier(y: ArrayLike, p: ArrayLike) -> float:
    """Class-balanced Brier score: the mean of the Brier scores of positives and of negatives.

    With few positives (7-8 % of the scored states) the plain Brier score of a
    model in which nobody joins is already low; weighting both classes
    equally makes missing a join cost as much, in total, as false joins.
    A class that is absent contributes nothing (the other's score is returned).
    """
    ya, pa = arrays(y, p)
    parts = [float(np.mean((pa[ya == c] - c) ** 2)) for c in (0.0, 1.0) if (ya == c).any()]
    return float(np.mean(parts)) if parts else float("nan")


def log_loss(y: ArrayLike, p: ArrayLike, eps: float = 1e-3) -> float:
    """Mean negative log-likelihood, probabilities clipped to ``[eps, 1 - eps]``."""
    ya, pa = arrays(y, p)
    pc = np.clip(pa, eps, 1.0 - eps)
    return float(-np.mean(ya * np.log(pc) + (1 - ya) * np.log(1 - pc))) if ya.size \
        else float("nan")


def auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve, rank-based (Mann-Whitney U / (n_pos n_neg)); ties count half.

    NaN when one class is absent.
    """
    ya, pa = arrays(y, p)
    n_pos = int((ya == 1).sum())
    n_neg = int(ya.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(pa)  # average ranks for ties
    u = ranks[ya == 1].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def classification(y: ArrayLike, p: ArrayLike, threshold: float = THRESHOLD) -> dict[str, float]:
    """Confusion counts, precision, recall and F1 with ``p >= threshold`` predicted positive.

    Precision is NaN when nothing is predicted positive; recall NaN when there
    is no positive; F1 is 0 when precision or recall is 0 (NaN if either is NaN).
    """
    ya, pa = arrays(y, p)
    pred = pa >= threshold
    tp = int((pred & (ya == 1)).sum())
    fp = int((pred & (ya == 0)).sum())
    fn = int((~pred & (ya == 1)).sum())
    tn = int((~pred & (ya == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    if np.isnan(precision) or np.isnan(recall):
        f1 = float("nan")
    elif precision + recall == 0:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision, "recall": recall,
            "f1": f1}


def metrics(y: ArrayLike, p: ArrayLike, threshold: float = THRESHOLD) -> dict[str, float]:
    """Every fit measure of one set of facts: counts, Brier scores, log loss, AUC, P/R/F1."""
    ya, pa = arrays(y, p)
    out: dict[str, float] = {"n": int(ya.size), "positives": int(ya.sum()),
                             "expected_joins": float(pa.sum())}
    out.update(brier=brier(ya, pa), balanced_brier=balanced_brier(ya, pa),
               log_loss=log_loss(ya, pa), auc=auc(ya, pa))
    out.update(classification(ya, pa, threshold))
    return out


def reliability(y: ArrayLike, p: ArrayLike, bins: int = 5) -> pd.DataFrame:
    """Reliability table: per equal-width bin of predicted probability, its count,
    mean prediction and observed frequency (empty bins dropped)."""
    ya, pa = arrays(y, p)
    k = np.minimum((pa * bins).astype(int), bins - 1)
    rows = [{"bin": f"[{b / bins:.1f}, {(b + 1) / bins:.1f}{']' if b == bins - 1 else ')'}",
             "n": int((k == b).sum()), "mean_predicted": float(pa[k == b].mean()),
             "observed": float(ya[k == b].mean())}
            for b in range(bins) if (k == b).any()]
    return pd.DataFrame(rows, columns=["bin", "n", "mean_predicted", "observed"])


# ----------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Target:
    """The facts one scenario is scored on.

    ``facts`` has one row per (state, set): ``iso3``, ``name``, ``set``
    (``fit`` or ``held_out``), ``observed`` (0/1), ``lo`` and ``hi`` (the
    model's counterpart: the state's first ``join_year`` at ``station`` is in
    ``[lo, hi]``), ``observed_year`` (NA if none) and ``fact`` (what happened).
    """

    scenario: str
    station: str
    facts: pd.DataFrame
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def sets(self) -> list[str]:
        """The sets of facts, in report order (``fit`` first)."""
        return [s for s in SETS if (self.facts["set"] == s).any()]


def _station(scn: Scenario, name: str) -> Any:
    for s in scn.stations:
        if s.name == name:
            return s
    raise ScenarioError(f"{scn.source}: no station {name!r}")


def _banned_throughout(scn: Scenario, host: str, lo: int, hi: int) -> set[str]:
    """States banned with ``host`` in every year of ``[lo, hi]``."""
    out: set[str] = set()
    for ev in scn.events:
        if ev.type != "ban" or ev.year > lo:
            continue
        until = getattr(ev, "until", None)
        if until is not None and until <= hi:
            continue
        if ev.state == host and ev.target:
            out.add(ev.target)
        elif ev.target == host and ev.state:
            out.add(ev.state)
    return out


def iss_target(scn: Scenario, states: pd.DataFrame, station: str = "ISS",
               split_year: int = ISS_SPLIT_YEAR,
               through: int = OBSERVED_THROUGH) -> Target:
    """Facts of ``iss_1993``: the first ISS flight (or IGA party) of every non-founding state.

    Fit: every scored state, observed = a first flight (or, for a
    non-founding IGA party, the 1998 agreement) by ``split_year``; model:
    first ISS membership in ``[start_year, split_year]``.  Held out: the
    states with none by then, observed = a first flight in
    ``(split_year, through]``; model: first ISS membership in those years.
    ``held_out_ever`` scores the same facts with the timing ignored (model:
    first ISS membership in ``[start_year, through]``): does the model pick
    the right states, whenever they join?
    """
    st = _station(scn, station)
    excluded = {st.host: "host"} | {f: "founder (an input)" for f in st.founding_members}
    rows = []
    for r in _scored(scn, states, excluded):
        iso = str(r["iso3"])
        if r["iss_iga_party"] == 1:
            year: float = ISS_IGA_YEAR
            fact = f"ISS IGA party ({ISS_IGA_YEAR})"
        elif pd.notna(r["iss_guest_first_year"]):
            year = float(r["iss_guest_first_year"])
            fact = f"first national on the ISS {int(year)}"
        else:
            year = float("nan")
            fact = "no national on the ISS"
        hit_fit = bool(year <= split_year)
        rows.append({"iso3": iso, "name": r["name"], "set": "fit", "observed": int(hit_fit),
                     "lo": scn.start_year, "hi": split_year, "observed_year": year,
                     "fact": fact})
        if not hit_fit:
            seen = int(split_year < year <= through)
            rows.append({"iso3": iso, "name": r["name"], "set": "held_out", "observed": seen,
                         "lo": split_year + 1, "hi": through, "observed_year": year,
                         "fact": fact})
            rows.append({"iso3": iso, "name": r["name"], "set": "held_out_ever",
                         "observed": seen,
                         "lo": scn.start_year, "hi": through, "observed_year": year,
                         "fact": fact})
    return Target(scn.name, station, _facts_frame(rows), excluded)


def css_target(scn: Scenario, states: pd.DataFrame, station: str = "CSS",
               through: int = OBSERVED_THROUGH, seed: int = CSS_SPLIT_SEED,
               held_out_share: float = CSS_HELD_OUT_SHARE) -> Target:
    """Facts of ``css_2021``: the CSS partners (AO 2019 selection, astronaut agreement by 2025).

    Scored: states that could be CSS guests in ``[start_year, through]``
    under the scenario -- not the host, not banned with the host throughout,
    and, with exclusive membership, not a founding member of another station
    open throughout whose founders may not leave (the ISS partners).  Model:
    first CSS membership in ``[start_year, through]``.  A stratified random
    share ``held_out_share`` of each class (``numpy`` generator seeded with
    ``seed``) is held out of the fit.
    """
    st = _station(scn, station)
    lo, hi = scn.start_year, through
    excluded = {st.host: "host"}
    excluded |= {b: "banned with the host" for b in _banned_throughout(scn, st.host, lo, hi)
                 if b not in excluded}
    may_leave = bool(scn.parameters.get("founders_may_leave", False))
    if scn.exclusive and not may_leave:
        for other in scn.stations:
            if other.name == station or other.open_from > lo or other.close_at <= hi:
                continue
            for f in other.founding_members:
                excluded.setdefault(f, f"{other.name} founding partner (exclusive membership)")
    rows = []
    for r in _scored(scn, states, excluded):
        iso = str(r["iso3"])
        facts = []
        year = float("nan")
        if r["css_ao_2019"] == 1:
            facts.append("AO 2019 selection")
            year = 2019.0
        agreed = r["css_astronaut_agreement_year"]
        if pd.notna(agreed) and agreed <= hi:
            facts.append(f"astronaut agreement {int(agreed)}")
            year = float(agreed) if np.isnan(year) else year
        rows.append({"iso3": iso, "name": r["name"], "set": "fit", "observed": int(bool(facts)),
                     "lo": lo, "hi": hi, "observed_year": year,
                     "fact": "; ".join(facts) or "no CSS partnership"})
    df = _facts_frame(rows)
    rng = np.random.default_rng(seed)
    for c in (1, 0):
        idx = np.flatnonzero(df["observed"].to_numpy() == c)
        k = int(np.floor(held_out_share * idx.size))
        df.loc[df.index[rng.choice(idx, size=k, replace=False)], "set"] = "held_out"
    return Target(scn.name, station, df, excluded)


def _scored(scn: Scenario, states: pd.DataFrame,
            excluded: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of ``states`` (as dicts) of the scenario's states that are not ``excluded``."""
    present = {s.iso3 for s in scn.states} - set(excluded)
    return [{str(k): v for k, v in row.items()} for row in states.to_dict("records")
            if row["iso3"] in present]


def _facts_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["iso3", "name", "set", "observed", "lo", "hi", "observed_year", "fact"]
    return pd.DataFrame(rows, columns=cols).reset_index(drop=True)


def target_for(scn: Scenario, states: pd.DataFrame | None = None) -> Target:
    """The facts a calibration scenario is scored on, by the scenario's name."""
    df = read_states(STATES_CSV) if states is None else states
    if scn.name == "iss_1993":
        return iss_target(scn, df)
    if scn.name == "css_2021":
        return css_target(scn, df)
    raise ScenarioError(f"{scn.source}: no observed facts for scenario {scn.name!r}; "
                        "calibration knows iss_1993 and css_2021")


# ----------------------------------------------------------------------------- predictions


def predictions(membership: pd.DataFrame, target: Target) -> pd.DataFrame:
    """Predicted probability of every fact, per point (if the table has ``point``).

    ``p`` is the share of replications in which the state's first
    ``join_year`` at the target's station lies in the fact's ``[lo, hi]``.
    Returns the facts with ``point`` (0 for a plain run) and ``p``.
    """
    m = membership[membership["station"] == target.station]
    if "point" not in m.columns:
        m = m.assign(point=0)
    m = m[["point", "replication", "iso3", "join_year"]]
    reps = m.groupby("point")["replication"].nunique()
    merged = m.merge(target.facts[["iso3", "set", "lo", "hi"]], on="iso3", how="inner")
    jy = merged["join_year"].astype("Float64")
    hit = (jy >= merged["lo"]) & (jy <= merged["hi"])
    merged["hit"] = hit.fillna(False).astype(float)
    p = merged.groupby(["point", "iso3", "set"], sort=False)["hit"].sum().rename("hits")
    out = p.reset_index().merge(target.facts, on=["iso3", "set"])
    out["p"] = out["hits"] / out["point"].map(reps)
    missing = len(target.facts) * len(reps) - len(out)
    if missing:
        raise ValueError(f"{target.scenario}: {missing} facts have no membership rows")
    return out.drop(columns="hits").sort_values(["point", "set", "iso3"]).reset_index(drop=True)


def point_losses(preds: pd.DataFrame) -> pd.DataFrame:
    """Per point: balanced Brier, Brier and AUC of the fit and held-out facts."""
    rows = []
    for pt, g in preds.groupby("point"):
        row: dict[str, Any] = {"point": int(str(pt))}
        for s in SETS:
            h = g[g["set"] == s]
            if h.empty:
                continue
            row[f"{s}_balanced_brier"] = balanced_brier(h["observed"], h["p"])
            row[f"{s}_brier"] = brier(h["observed"], h["p"])
            row[f"{s}_auc"] = auc(h["observed"], h["p"])
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- sweeps


def load_calibration_sweep(path: str | Path, samples: int | None = None,
                           replications: int | None = None,
                           steps: int | None = None) -> Sweep:
    """Load a calibration sweep file, optionally at another size (for quick checks and tests)."""
    p = Path(path)
    if samples is None and replications is None and steps is None:
        return load_sweep(p)
    data = tomllib.loads(p.read_text(encoding="utf-8"))
    for key, value in (("samples", samples), ("replications", replications),
                       ("steps", steps)):
        if value is not None:
            data[key] = value
    return sweep_from_text(tomli_w.dumps(data), source=str(p), base_dir=p.parent)


def _check_same_points(sweeps: Sequence[Sweep]) -> None:
    first = sweeps[0]
    for sw in sweeps[1:]:
        if [d.describe() for d in sw.dimensions] != [d.describe() for d in first.dimensions] \
                or sw.points != first.points:
            raise ScenarioError(f"{sw.source}: its [[vary]] tables, sampler, samples and seed "
                                f"must equal those of {first.source} (one shared parameter set "
                                "per point)")


@dataclass
class Calibration:
    """What :func:`calibrate` found and measured.

    ``points``: every stage-1 point with its parameters, per-scenario losses
    and the combined ``loss``; ``refined``: the stage-2 points (stage-1 id,
    losses at more replications); ``confirm_preds``: each fact's predicted
    probability in the confirmation runs (the reported numbers);
    ``leaky_preds``: the same for iss_1993 with the ISS guest flights left in
    capability (the leak, measured; :func:`guest_flights_left_in`).
    """

    chosen: dict[str, Any]
    chosen_point: int
    points: pd.DataFrame
    refined: pd.DataFrame
    confirm_preds: dict[str, pd.DataFrame]
    leaky_preds: dict[str, pd.DataFrame]
    targets: dict[str, Target]
    summary: dict[str, Any]
    out: Path


def _loss_table(preds: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per point: every scenario's losses (prefixed by its name) and the combined ``loss``."""
    table: pd.DataFrame | None = None
    for name, pr in preds.items():
        pl = point_losses(pr).add_prefix(f"{name}.").rename(columns={f"{name}.point": "point"})
        table = pl if table is None else table.merge(pl, on="point")
    assert table is not None
    table["loss"] = table[[f"{n}.fit_balanced_brier" for n in preds]].mean(axis=1)
    return table


def _membership(folder: Path) -> pd.DataFrame:
    """The columns of a sweep folder's membership table that predictions need."""
    return pd.read_parquet(folder / "membership.parquet",
                           columns=["point", "replication", "iso3", "station", "join_year"])


def _run_points(sw: Sweep, points: Sequence[dict[str, Any]], replications: int, seed: int,
                folder: Path, workers: int | None, progress: bool | None,
                base: Scenario | None = None) -> pd.DataFrame:
    """Run ``points`` (values of the sweep's dimensions) through the executor, as a sweep
    job on the sweep's base scenario (or ``base``); return the membership columns."""
    cols = tuple(d.column for d in sw.dimensions)
    scn = sw.base if base is None else base
    job = Job(kind="sweep", scenario=scenario_data(scn), source=scn.source, columns=cols,
              points=tuple(tuple(pt[c] for c in cols) for pt in points),
              replications=replications, master_seed=seed, steps=sw.spec.steps,
              chunk_runs=default_chunk_runs(len(points) * replications))
    execute(job, folder, {"kind": "sweep", "scenario": scenario_manifest(scn),
                          "calibration": {"sweep": sw.source, "points": list(points)}},
            workers=workers, resume=True, progress=progress, label=folder.name)
    return _membership(folder)


def calibrate(sweep_paths: Sequence[str | Path] = SWEEPS, out: str | Path =
              "results/calibration", *, workers: int | None = None,
              samples: int | None = None, replications: int | None = None,
              refine_points: int = REFINE_POINTS, refine_replications: int = REFINE_REPLICATIONS,
              confirm_replications: int = CONFIRM_REPLICATIONS,
              progress: bool | None = False, log: Any = None) -> Calibration:
    """Run the calibration: screen, refine, confirm; measure the fit.

    iss_1993 is fitted on inputs without the ISS guest flights in capability
    (``people_in_space_2025`` counts them, and they are the facts it is scored
    on).  The shipped scenario already loads such inputs
    (``data/states_model_iss1993.csv``); a sweep whose base still holds the
    flights is run with them taken out (:func:`guest_flights_removed`, which is
    empty for the shipped scenario; the overrides applied are recorded in the
    summary's ``capability_overrides``).

    1. *Screen*: the calibration sweeps (same points in each file) through
       :func:`stationsim.running.sweep.run_sweep`; each point's loss is the mean over
       scenarios of the balanced Brier score on the fit facts.
    2. *Refine*: the ``refine_points`` best points rerun with
       ``refine_replications`` each (master seed: the sweep's + 1); the
       chosen point has the lowest refined loss (ties: lowest stage-1 id).
    3. *Confirm*: the chosen point, its values rounded to :data:`CHOSEN_DECIMALS`
       decimals (as saved in the scenarios), with ``confirm_replications`` (seed + 2);
       every reported fit number comes from these runs, which took no part
       in choosing the point.
    4. *The leak* (iss_1993 only): the confirmation again (same seeds) with
       the ISS guest flights left in capability (the values of
       ``data/states_model.csv``; :func:`guest_flights_left_in`): how much fit
       an input that contains the outcome would fake.
    5. *Defaults*: the same confirmation runs at the parameters' defaults, and
       the AUC of ranking states by one input alone (yardsticks).

    Every stage writes a results folder under ``out`` (``<sweep name>``,
    ``refine_<scenario>``, ``confirm_<scenario>``, ``leaky_inputs_<scenario>``,
    ``defaults_<scenario>``);
    finished folders are reused, so a rerun only recomputes the tables.
    ``samples``/``replications`` run the sweeps at another size (tests).
    """
    note = log or (lambda msg: None)
    t0 = time.perf_counter()
    outp = Path(out)
    loaded = [load_calibration_sweep(p, samples, replications) for p in sweep_paths]
    _check_same_points(loaded)
    states = read_states(STATES_CSV)
    cleaning = {sw.base.name: guest_flights_removed(sw.base, states) for sw in loaded}
    sweeps = [replace(sw, base=with_overrides(sw.base, cleaning[sw.base.name]))
              if cleaning[sw.base.name] else sw for sw in loaded]
    targets = {sw.base.name: target_for(sw.base, states) for sw in sweeps}
    timing: dict[str, float] = {}

    def timed(key: str, fn: Any, *args: Any, **kw: Any) -> Any:
        t1 = time.perf_counter()
        res = fn(*args, **kw)
        timing[key] = round(time.perf_counter() - t1, 1)
        note(f"{key}: {timing[key]} s")
        return res

    # 1. screen
    preds1 = {}
    for sw in sweeps:
        timed(sw.name, run_sweep, sw, outp / sw.name, workers=workers, resume=True,
              progress=progress)
        preds1[sw.base.name] = predictions(_membership(outp / sw.name), targets[sw.base.name])
    pts = pd.DataFrame([{"point": i, **pt} for i, pt in enumerate(sweeps[0].points)])
    pts = pts.merge(_loss_table(preds1), on="point")
    # 2. refine
    top_ids = pts.sort_values(["loss", "point"])["point"].head(refine_points).tolist()
    top_pts = [dict(sweeps[0].points[i]) for i in top_ids]
    preds2 = {}
    for sw in sweeps:
        mem = timed(f"refine_{sw.base.name}", _run_points, sw, top_pts, refine_replications,
                    sw.spec.seed + 1, outp / f"refine_{sw.base.name}", workers, progress)
        mem["point"] = mem["point"].map(dict(enumerate(top_ids)))
        preds2[sw.base.name] = predictions(mem, targets[sw.base.name])
    refined = _loss_table(preds2).rename(columns={"point": "stage1_point"})
    refined.insert(1, "stage1_loss", refined["stage1_point"].map(pts.set_index("point")["loss"]))
    refined = refined.sort_values(["loss", "stage1_point"]).reset_index(drop=True)
    best = int(refined["stage1_point"].iloc[0])
    chosen = {k: round(v, CHOSEN_DECIMALS) if isinstance(v, float) else v
              for k, v in sweeps[0].points[best].items()}  # as written in the scenarios
    note(f"chosen point {best}: refined loss {refined['loss'].iloc[0]:.4f} {chosen}")
    # 3. confirm, 4. the leak, 5. defaults
    confirm: dict[str, pd.DataFrame] = {}
    leaky: dict[str, pd.DataFrame] = {}
    leaky_overrides: dict[str, dict[str, float]] = {}
    default: dict[str, pd.DataFrame] = {}
    default_pt = default_point(sweeps[0])
    for sw in sweeps:
        name = sw.base.name
        mem = timed(f"confirm_{name}", _run_points, sw, [chosen], confirm_replications,
                    sw.spec.seed + 2, outp / f"confirm_{name}", workers, progress)
        confirm[name] = predictions(mem, targets[name])
        mem = timed(f"defaults_{name}", _run_points, sw, [default_pt], confirm_replications,
                    sw.spec.seed + 2, outp / f"defaults_{name}", workers, progress)
        default[name] = predictions(mem, targets[name])
        leak = guest_flights_left_in(sw.base, states)
        if leak:
            leaky_overrides[name] = leak
            mem = timed(f"leaky_inputs_{name}", _run_points, sw, [chosen],
                        confirm_replications, sw.spec.seed + 2,
                        outp / f"leaky_inputs_{name}", workers, progress,
                        base=with_overrides(sw.base, leak))
            leaky[name] = predictions(mem, targets[name])
    summary = _summary(sweeps, pts, refined, best, chosen, confirm, leaky, targets, timing,
                       (refine_points, refine_replications, confirm_replications))
    summary["defaults"] = {"point": default_pt,
                           "fit": _measures(default, targets)}
    summary["baselines"] = {sw.base.name: attribute_baselines(sw.base, targets[sw.base.name])
                            for sw in sweeps}
    summary["capability_overrides"] = cleaning
    summary["leaky_overrides"] = leaky_overrides
    summary["elapsed_s"] = round(time.perf_counter() - t0, 1)
    return Calibration(chosen, best, pts, refined, confirm, leaky, targets, summary, outp)


def default_point(sw: Sweep) -> dict[str, Any]:
    """The sweep's dimensions at the model's defaults (``stationsim.model.params``)."""
    out: dict[str, Any] = {}
    for d in sw.dimensions:
        head, _, name = d.path.partition(".")
        if head != "parameters" or name not in PARAMETERS:
            raise ScenarioError(f"{sw.source}: {d.path}: calibration varies parameters only")
        out[d.path] = PARAMETERS[name].default
    return out


def attribute_baselines(scn: Scenario, target: Target) -> dict[str, dict[str, float]]:
    """AUC of ranking the scored states by one input attribute alone, per set of facts.

    A yardstick for the model's AUC: how well would capability (or money,
    or minus the alignment distance to the host) rank the states that joined,
    with no mechanism at all?
    """
    st = _station(scn, target.station)
    attrs = {s.iso3: s for s in scn.states}
    host_a = attrs[st.host].alignment
    out: dict[str, dict[str, float]] = {}
    for name in target.sets:
        f = target.facts[target.facts["set"] == name]
        isos = f["iso3"].tolist()
        cols = {
            "capability": [attrs[i].capability for i in isos],
            "money": [attrs[i].assets.get("money", 0.0) for i in isos],
            "alignment with host": [-float(np.linalg.norm(np.subtract(
                np.atleast_1d(attrs[i].alignment), np.atleast_1d(host_a)))) for i in isos],
        }
        out[name] = {k: auc(f["observed"], _unit(v)) for k, v in cols.items()}
    return out


def _unit(values: Sequence[float]) -> npt.NDArray[np.float64]:
    """Values rescaled to [0, 1] (order kept), so :func:`auc` accepts them."""
    v = np.asarray(values, dtype=float)
    span = v.max() - v.min() if v.size else 0.0
    return (v - v.min()) / span if span > 0 else np.zeros_like(v)


def _guest_capabilities(states: pd.DataFrame) -> tuple[dict[str, float], dict[str, float]]:
    """Capability of the states with ISS guest flights, with the flights left in and
    taken out, as ``data/states_model.csv`` and ``data/states_model_iss1993.csv`` hold it."""
    def caps(remove: bool) -> dict[str, float]:
        m = map_states(states, remove_iss_guest_flights=remove).set_index("iso3")["capability"]
        return {iso: float(f"{m[iso]:.4f}") for iso in ISS_GUEST_FLYERS if iso in m.index}
    return caps(False), caps(True)


def _swap_capability(scn: Scenario, frm: dict[str, float],
                     to: dict[str, float]) -> dict[str, float]:
    """Overrides ``states.<ISO3>.capability`` from ``frm``'s value to ``to``'s, for the
    states of the scenario whose capability is ``frm``'s (others are left alone)."""
    caps = {s.iso3: s.capability for s in scn.states}
    return {f"states.{iso}.capability": to[iso] for iso in to
            if iso in caps and abs(caps[iso] - frm[iso]) < 1e-9 and to[iso] != frm[iso]}


def guest_flights_removed(scn: Scenario, states: pd.DataFrame) -> dict[str, float]:
    """Overrides that take the ISS guest flights out of capability, for a scenario whose
    facts are those flights (iss_1993; else empty).

    ``people_in_space_2025`` (TASS, April 2025), one of the three indicators
    of capability (docs/data.md), counts the nationals flown to the ISS as
    guests (:data:`stationsim.inputs.mapping.ISS_GUEST_FLYERS`): part of the very
    outcome ``iss_1993`` is scored on.  The shipped scenario loads
    ``data/states_model_iss1993.csv``, mapped without them, so this is empty
    for it; a scenario on ``data/states_model.csv`` gets the nine states'
    capability of the clean file (every other state is unchanged).
    """
    if scn.name != "iss_1993":
        return {}
    left_in, taken_out = _guest_capabilities(states)
    return _swap_capability(scn, left_in, taken_out)


def guest_flights_left_in(scn: Scenario, states: pd.DataFrame) -> dict[str, float]:
    """The reverse of :func:`guest_flights_removed`: overrides that put the ISS guest
    flights back into capability (the values of ``data/states_model.csv``), to measure
    the leak (iss_1993; else empty)."""
    if scn.name != "iss_1993":
        return {}
    left_in, taken_out = _guest_capabilities(states)
    return _swap_capability(scn, taken_out, left_in)


def _measures(preds: dict[str, pd.DataFrame], targets: dict[str, Target]) -> dict[str, Any]:
    return {name: {s: metrics(pr.loc[pr["set"] == s, "observed"], pr.loc[pr["set"] == s, "p"])
                   for s in targets[name].sets} for name, pr in preds.items()}


def _summary(sweeps: Sequence[Sweep], pts: pd.DataFrame, refined: pd.DataFrame, best: int,
             chosen: dict[str, Any], confirm: dict[str, pd.DataFrame],
             leaky: dict[str, pd.DataFrame], targets: dict[str, Target],
             timing: dict[str, float], sizes: tuple[int, int, int]) -> dict[str, Any]:
    dims = [d.path for d in sweeps[0].dimensions]
    ranked = pts.sort_values(["loss", "point"])
    top = ranked.head(max(1, int(np.ceil(0.05 * len(pts)))))
    spread: dict[str, Any] = {}
    for d, dim in zip(dims, sweeps[0].dimensions, strict=True):
        if dim.kind == "values":
            spread[d] = {"values": sorted(map(str, set(top[d])))}
        else:
            spread[d] = {"min": float(top[d].min()), "max": float(top[d].max())}

    fit = _measures(confirm, targets)
    row = pts.loc[pts["point"] == best].iloc[0]
    return {
        "sweeps": [{"file": sw.source, "name": sw.name, "scenario": sw.base.name,
                    "points": len(sw.points), "replications": sw.spec.replications,
                    "steps": sw.spec.steps or sw.base.steps, "seed": sw.spec.seed,
                    "runs": sw.total_runs} for sw in sweeps],
        "dimensions": [d.describe() for d in sweeps[0].dimensions],
        "chosen_point": best, "chosen": chosen,
        "stage1_loss": {c: float(row[c]) for c in pts.columns
                        if c.endswith("fit_balanced_brier") or c == "loss"},
        "stage1_rank": int(ranked["point"].tolist().index(best)) + 1,
        "refined": refined[["stage1_point", "stage1_loss", "loss"]].to_dict("records"),
        "refine": {"points": sizes[0], "replications": sizes[1], "seed_offset": 1},
        "top_share": 0.05, "top_points": len(top), "top_spread": spread,
        "confirm": {"replications": sizes[2], "seed_offset": 2},
        "confirm_loss": float(np.mean([fit[n]["fit"]["balanced_brier"] for n in fit])),
        "fit": fit, "leaky_inputs": _measures(leaky, targets),
        "excluded": {n: t.excluded for n, t in targets.items()},
        "threshold": THRESHOLD, "timing_s": timing,
    }


# ----------------------------------------------------------------------------- tables


def _fmt(x: Any, nd: int = 3) -> str:
    if isinstance(x, float):
        return "–" if np.isnan(x) else f"{x:.{nd}f}"
    return str(x)


def _range_text(d: dict[str, Any]) -> str:
    if "values" in d:
        return "{" + ", ".join(map(str, d["values"])) + "}"
    lo, hi = (d["low"], d["high"]) if "low" in d else (d["min"], d["max"])
    return f"[{lo:.3g}, {hi:.3g}]"


def markdown_table(df: pd.DataFrame, nd: int = 3) -> str:
    """A Markdown table with floats to ``nd`` decimals (:func:`compare.markdown_table`)."""
    return _markdown_table(df, nd)


def metrics_table(fit: dict[str, Any]) -> pd.DataFrame:
    """Measures per scenario and set of facts (``summary["fit"]`` or ``["leaky_inputs"]``)."""
    rows = []
    for name, sets in fit.items():
        for s, m in sets.items():
            rows.append({"scenario": name, "facts": s, "states": m["n"],
                         "joined": m["positives"], "expected joins": m["expected_joins"],
                         "Brier": m["brier"], "balanced Brier": m["balanced_brier"],
                         "log loss": m["log_loss"], "AUC": m["auc"],
                         "precision": m["precision"], "recall": m["recall"], "F1": m["f1"],
                         "TP/FP/FN": f"{m['tp']}/{m['fp']}/{m['fn']}"})
    return pd.DataFrame(rows)


def states_table(preds: pd.DataFrame, negatives: int = 10) -> pd.DataFrame:
    """Each observed positive, and the ``negatives`` highest-predicted negatives, per set.

    Held-out ISS rows also give ``P(any year)``: the state's probability of
    joining at any time up to the end of the observations (``held_out_ever``).
    """
    ever = preds[preds["set"] == "held_out_ever"].set_index("iso3")["p"]
    parts = []
    for s in SETS[:2]:
        g = preds[preds["set"] == s].sort_values(["p", "iso3"], ascending=[False, True])
        parts.append(g[g["observed"] == 1])
        parts.append(g[g["observed"] == 0].head(negatives))
    t = pd.concat(parts)
    out = pd.DataFrame({"set": t["set"], "state": t["iso3"] + " " + t["name"],
                        "what happened": t["fact"], "observed": t["observed"],
                        "model window": t["lo"].astype(str) + "–" + t["hi"].astype(str),
                        "P(model)": t["p"]})
    if not ever.empty:
        out["P(any year)"] = [float(ever[i]) if s == "held_out" and i in ever.index else np.nan
                              for s, i in zip(t["set"], t["iso3"], strict=True)]
    return out


def chosen_table(summary: dict[str, Any]) -> pd.DataFrame:
    """The chosen values, each dimension's range and its spread over the best 5 % of points."""
    return pd.DataFrame(
        [{"parameter": k.removeprefix("parameters."), "chosen": v, "range": _range_text(d),
          "default": PARAMETERS[k.removeprefix("parameters.")].default
          if k.removeprefix("parameters.") in PARAMETERS else "",
          "best 5 % of points": _range_text(summary["top_spread"][k])}
         for (k, v), d in zip(summary["chosen"].items(), summary["dimensions"], strict=True)])


def report_text(cal: Calibration, command: str) -> str:
    """The markdown fit report printed by the command (tables pasted into the docs)."""
    s = cal.summary
    sw = s["sweeps"][0]
    lines = [f"# Calibration report\n\nCommand: `{command}`\n",
             f"Stage 1: {sw['points']} points x {sw['replications']} replications per "
             f"scenario ({', '.join(f'{x['scenario']} {x['runs']} runs' for x in s['sweeps'])}). "
             f"Stage 2: the best {s['refine']['points']} x {s['refine']['replications']} "
             f"replications. Chosen: stage-1 point {s['chosen_point']} (stage-1 rank "
             f"{s['stage1_rank']}, loss {s['stage1_loss']['loss']:.4f}; refined loss "
             f"{s['refined'][0]['loss']:.4f}). Confirmation: {s['confirm']['replications']} "
             f"replications, fresh seeds, loss {s['confirm_loss']:.4f}.\n",
             "## Chosen values\n", markdown_table(chosen_table(s), nd=4),
             "\n## Stage 2 (refined losses of the best stage-1 points)\n",
             markdown_table(pd.DataFrame(s["refined"]), nd=4),
             f"\n## Fit measures (confirmation runs; threshold {s['threshold']})\n",
             markdown_table(metrics_table(s["fit"])), ""]
    lines += [f"## The model at its default parameters (same runs: {s['confirm']['replications']} "
              "replications, same seeds)\n",
              markdown_table(metrics_table(s["defaults"]["fit"])), "",
              "## Yardsticks: AUC of ranking the scored states by one input alone\n",
              markdown_table(pd.DataFrame(
                  [{"scenario": n, "facts": st, **v} for n, sets in s["baselines"].items()
                   for st, v in sets.items()])), ""]
    if s["leaky_inputs"]:
        lines += ["## The leak: the chosen point with the ISS guest flights left in "
                  "capability (data/states_model.csv)\n",
                  markdown_table(metrics_table(s["leaky_inputs"])), ""]
    for name, pr in cal.confirm_preds.items():
        lines += [f"## {name}: observed positives and the highest-predicted negatives\n",
                  markdown_table(states_table(pr)), ""]
        both = pr[pr["set"].isin(SETS[:2])]
        lines += [f"### {name}: reliability (fit and held-out facts)\n",
                  markdown_table(reliability(both["observed"], both["p"])), ""]
    lines.append(f"Wall time: {', '.join(f'{k} {v} s' for k, v in s['timing_s'].items())}; "
                 f"total {s.get('elapsed_s', 0)} s.")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- figures


def reliability_figure(preds: dict[str, pd.DataFrame], bins: int = 5) -> Figure:
    """Reliability diagram: observed frequency against mean predicted probability per bin,
    one panel per scenario, fit and held-out facts apart; marker area ~ states in the bin."""
    fig = Figure(figsize=(4.2 * len(preds), 4.2), layout="constrained")
    axes = fig.subplots(1, len(preds), squeeze=False)[0]
    colours = {"fit": "#0072B2", "held_out": "#D55E00"}
    for ax, (name, pr) in zip(axes, preds.items(), strict=True):
        ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
        for s, col in colours.items():
            g = pr[pr["set"] == s]
            rel = reliability(g["observed"], g["p"], bins)
            ax.plot(rel["mean_predicted"], rel["observed"], color=col, lw=1, alpha=0.7)
            ax.scatter(rel["mean_predicted"], rel["observed"], s=12 + 6 * rel["n"],
                       color=col, alpha=0.75, edgecolor="white",
                       label=f"{s.replace('_', '-')} ({len(g)} states, "
                             f"{int(g['observed'].sum())} joined)")
            for r in rel.itertuples():
                ax.annotate(str(r.n), (r.mean_predicted, r.observed), fontsize=7,
                            xytext=(4, -9 if s == "fit" else 4), textcoords="offset points",
                            color=col)
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("predicted probability (bin mean)")
        ax.set_ylabel("observed frequency")
        ax.set_title(name)
        ax.legend(loc="upper left", fontsize=7, frameon=False)
    return fig


def states_figure(preds: dict[str, pd.DataFrame], top: int = 25) -> Figure:
    """Each state's predicted probability on its fit fact (filled) and held-out fact
    (hollow), green where it happened; every state that joined, then the highest
    predicted, up to ``top`` rows per scenario."""
    fig = Figure(figsize=(4.8 * len(preds), 0.2 * top + 1.6), layout="constrained")
    axes = fig.subplots(1, len(preds), squeeze=False)[0]
    for ax, (name, pr) in zip(axes, preds.items(), strict=True):
        g = pr[pr["set"].isin(SETS[:2])]
        p_w = g.pivot(index="iso3", columns="set", values="p")
        obs_w = g.pivot(index="iso3", columns="set", values="observed")
        names = g.drop_duplicates("iso3").set_index("iso3")["name"]
        joined = pd.Series(np.nan_to_num(obs_w.to_numpy(float)).max(axis=1) > 0,
                           index=obs_w.index)
        rank = pd.Series(np.nanmax(p_w.to_numpy(float), axis=1), index=p_w.index)
        order = pd.concat([rank[joined].sort_values(ascending=False),
                           rank[~joined].sort_values(ascending=False)])
        keep = order.index[:top]
        keep = rank.loc[keep].sort_values(kind="stable").index  # highest at the top
        y = np.arange(len(keep))
        for s, filled in (("fit", True), ("held_out", False)):
            if s not in p_w.columns:
                continue
            p = p_w[s].reindex(keep)
            obs = obs_w[s].reindex(keep)
            for val, col in ((1, "#009E73"), (0, "#999999")):
                m = (obs == val).to_numpy()
                lab = f"{'joined' if val else 'did not'} ({s.replace('_', '-')})"
                ax.scatter(p[m], y[m], s=32, label=lab, color=col if filled else "none",
                           edgecolor=col, linewidth=1.3)
        ax.set_yticks(y, [f"{i} {str(names[i])[:14]}" for i in keep], fontsize=7)
        ax.axvline(THRESHOLD, color="0.7", lw=1, ls=":")
        ax.set_xlim(-0.03, 1.03)
        ax.set_xlabel("predicted probability")
        ax.set_title(f"{name}: states that joined and the highest predicted", fontsize=9)
        ax.legend(loc="lower right", fontsize=7, frameon=True)
    return fig


def save_figure(fig: Figure, path: Path, dpi: int = 120) -> None:
    """Write a figure as PNG, atomically."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


def write_outputs(cal: Calibration, command: str, figures: Path | None) -> str:
    """Write ``calibration.json``, ``points.csv``, ``refined.csv``, ``report.md``,
    ``predictions_<scenario>.csv`` (and the figures); return the report text."""
    text = report_text(cal, command)
    write_json({**cal.summary, "command": command}, cal.out / "calibration.json")
    tables = {"points.csv": cal.points, "refined.csv": cal.refined,
              **{f"predictions_{n}.csv": pr for n, pr in cal.confirm_preds.items()}}
    for fname, df in tables.items():
        _write_csv(df, cal.out / fname)
    _write_text(text, cal.out / "report.md")
    if figures is not None:
        save_figure(reliability_figure(cal.confirm_preds), figures / "calibration_reliability.png")
        save_figure(states_figure(cal.confirm_preds), figures / "calibration_states.png")
    return text


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    def write(tmp: Path) -> None:
        df.to_csv(tmp, index=False, float_format="%.6g")
    atomic_write(path, write)


def _write_text(text: str, path: Path) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
    atomic_write(path, write)


def check_scenarios(chosen: dict[str, Any], paths: Sequence[Path]) -> list[str]:
    """Scenario files whose ``[parameters]`` do not hold the chosen values (empty: all do)."""
    from stationsim.model.scenario import load_scenario

    bad = []
    for p in paths:
        scn = load_scenario(p)
        for k, v in chosen.items():
            name = k.split(".", 1)[1]
            if k.startswith("parameters.") and scn.parameters.get(name) != v:
                bad.append(f"{p}: {name} = {scn.parameters.get(name)!r}, chosen {v!r}")
    return bad


# ----------------------------------------------------------------------------- two blocs


def bloc_probabilities(membership: pd.DataFrame,
                       stations: Sequence[str] = ("US_LED", "CN_LED")) -> pd.DataFrame:
    """Per state and partnership: the share of replications in which it ever joined, the
    share in which it is a member at the end, and its median first-join year (over the
    replications in which it joined), from ``membership.parquet``."""
    m = membership[membership["station"].isin(stations)]
    g = m.groupby(["station", "iso3"])
    out = pd.DataFrame({"p_ever": g["join_year"].apply(lambda s: float(s.notna().mean())),
                        "p_end": g["member_at_end"].apply(lambda s: float(s.eq(True).mean())),
                        "median_join_year": g["join_year"].median()}).reset_index()
    return out


def blocs_text(results: Path, top: int = 15) -> str:
    """Markdown tables of the ``top`` states per partnership of a ``two_blocs_2020s`` run."""
    res = load_results(results)
    mem = res.membership
    reps = int(mem["replication"].nunique())
    probs = bloc_probabilities(mem)
    names = read_states(STATES_CSV).set_index("iso3")["name"]
    wide = probs.pivot(index="iso3", columns="station", values="p_ever")
    lines = [f"{reps} replications of {res.meta.get('scenario', {}).get('name', results)}.\n"]
    for st in ("US_LED", "CN_LED"):
        g = probs[probs["station"] == st].sort_values(["p_ever", "p_end", "iso3"],
                                                      ascending=[False, False, True]).head(top)
        other = "CN_LED" if st == "US_LED" else "US_LED"
        t = pd.DataFrame({"state": g["iso3"] + " " + g["iso3"].map(names),
                          "P(ever joins)": g["p_ever"], "P(member at end)": g["p_end"],
                          "median join year": [str(int(y)) if pd.notna(y) else "–"
                                               for y in g["median_join_year"]],
                          f"P(ever joins {other})": g["iso3"].map(wide[other])})
        p_st = probs[probs["station"] == st]["p_ever"]
        lines += [f"## {st}: top {top} by P(ever joins), then P(member at end) "
                  f"({int((p_st >= 0.5).sum())} states with P(ever joins) >= 0.5, "
                  f"{int((p_st == 1).sum())} with 1)\n",
                  markdown_table(t, nd=2), ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m stationsim.analysis.calibration run|blocs ...`` (see the module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m stationsim.analysis.calibration",
                                 description="Calibration against history (docs/calibration.md)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the calibration sweeps, choose, confirm, report")
    r.add_argument("sweeps", nargs="*", type=Path, default=list(SWEEPS),
                   help="calibration sweep files (default: scenarios/sweeps/calibrate_*.toml)")
    r.add_argument("--out", type=Path, default=Path("results/calibration"))
    r.add_argument("--workers", type=int, default=None)
    r.add_argument("--samples", type=int, default=None, help="points (default: the files')")
    r.add_argument("--replications", type=int, default=None,
                   help="replications per point (default: the files')")
    r.add_argument("--refine-points", type=int, default=REFINE_POINTS)
    r.add_argument("--refine-replications", type=int, default=REFINE_REPLICATIONS)
    r.add_argument("--confirm-replications", type=int, default=CONFIRM_REPLICATIONS)
    r.add_argument("--figures", type=Path, default=None,
                   help="folder for calibration_*.png (e.g. docs/figures)")
    r.add_argument("--check-scenarios", type=Path, nargs="*", default=None,
                   help="scenario files that must hold the chosen values")
    b = sub.add_parser("blocs", help="top states per partnership of a two_blocs_2020s run")
    b.add_argument("results", type=Path)
    b.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    command = "python -m stationsim.analysis.calibration " + " ".join(
        sys.argv[1:] if argv is None else list(argv))
    try:
        if args.cmd == "blocs":
            print(blocs_text(args.results, args.top))
            return 0
        cal = calibrate(args.sweeps, args.out, workers=args.workers, samples=args.samples,
                        replications=args.replications, refine_points=args.refine_points,
                        refine_replications=args.refine_replications,
                        confirm_replications=args.confirm_replications, progress=None,
                        log=lambda m: print(m, file=sys.stderr))
        print(write_outputs(cal, command, args.figures))
        if args.check_scenarios is not None:
            bad = check_scenarios(cal.chosen, args.check_scenarios)
            print("scenarios hold the chosen values" if not bad else "\n".join(bad))
            if bad:
                return 1
    except (ScenarioError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
