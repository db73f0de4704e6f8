"""``stationsim calibrate``: the model's parameters fitted to the cases' fit splits
(:func:`calibrate_cases`, :class:`CaseCalibration`)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis.calibration import (
    SWEEPS,
    Target,
    balanced_brier,
    load_calibration_sweep,
    predictions,
)
from stationsim.analysis.validation.cases import Case, get_cases
from stationsim.analysis.validation.facts import case_facts
from stationsim.analysis.validation.intervals import (
    _loss_se,
    bootstrap_argmin,
    fit_hits,
    parameter_intervals,
)
from stationsim.analysis.validation.report import _write_csv
from stationsim.analysis.validation.runs import (
    DEFAULT_SEED,
    PARTICIPATION_COLUMNS,
    case_seeds,
    participation,
)
from stationsim.model.scenario import Scenario, load_scenario
from stationsim.running.batch import named_rng
from stationsim.running.executor import (
    Job,
    default_chunk_runs,
    execute,
    read_manifest,
    scenario_data,
)
from stationsim.running.results import scenario_manifest, write_json


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
