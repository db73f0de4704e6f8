"""The calibration itself: the two calibration sweeps (same points), the loss of
each point, the refinement of the best points, the chosen point and its
confirmation run (:func:`calibrate`, :class:`Calibration`).
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from stationsim.analysis.calibration.baselines import (
    attribute_baselines,
    guest_flights_left_in,
    guest_flights_removed,
)
from stationsim.analysis.calibration.scores import THRESHOLD, auc, balanced_brier, brier, metrics
from stationsim.analysis.calibration.targets import SETS, Target, predictions, target_for
from stationsim.inputs.files import scenarios_dir
from stationsim.inputs.mapping import STATES_CSV, read_states
from stationsim.model.params import PARAMETERS
from stationsim.model.scenario import Scenario, ScenarioError, with_overrides
from stationsim.running.executor import Job, default_chunk_runs, execute, scenario_data
from stationsim.running.results import scenario_manifest
from stationsim.running.sweep import Sweep, load_sweep, run_sweep, sweep_from_text

#: Stage 2: how many of the best stage-1 points are rerun, with how many replications.
REFINE_POINTS = 12
REFINE_REPLICATIONS = 40
#: Decimals of the chosen values (as saved in the scenarios; the confirmation runs them).
CHOSEN_DECIMALS = 4
#: Stage 3: replications of the confirmation run of the chosen point.
CONFIRM_REPLICATIONS = 200

SWEEPS = (scenarios_dir() / "sweeps/calibrate_iss_1993.toml",
          scenarios_dir() / "sweeps/calibrate_css_2021.toml")


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
