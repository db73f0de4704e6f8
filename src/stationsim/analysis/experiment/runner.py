"""Running an experiment: its arms through the executor (common random numbers
or disjoint streams), the precision stages, the robustness grid and claim maps,
resuming, and the experiment folder it writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis.experiment.figures import claim_map_figure
from stationsim.analysis.experiment.files import Experiment, OutcomeSpec, load_experiment
from stationsim.analysis.experiment.maps import _grid_table, _map_plan
from stationsim.analysis.experiment.outcomes import outcome_values
from stationsim.analysis.experiment.results import ClaimMap, ExperimentResult, _evaluate, overall
from stationsim.analysis.experiment.verdicts import robustness_summary
from stationsim.model.scenario import check_run_options
from stationsim.present import plots as P
from stationsim.running.executor import (
    Job,
    MachineFault,
    OutputError,
    default_chunk_runs,
    execute,
    read_manifest,
    run_job,
    scenario_data,
)
from stationsim.running.lock import LOCK_NAME, FolderLock, prepare_folder, remove_created
from stationsim.running.results import (
    TABLES,
    atomic_write,
    environment,
    load_results,
    now_iso,
    scenario_manifest,
    table_stamps,
    write_json,
    write_table,
)
from stationsim.running.sweep import Dimension

#: Name of the experiment's results file inside its folder.
RESULT_FILE = "experiment.json"


class _Progress:
    """Progress lines of an experiment (runs done / planned, arms, grid points) through
    ``log``; they are plain lines, so they show when the output is not a terminal too."""

    def __init__(self, name: str, log: Callable[[str], None] | None) -> None:
        self.name, self.log, self.done, self.total = name, log, 0, 0

    def plan(self, runs: int) -> None:
        self.total += runs

    def step(self, what: str, runs: int) -> None:
        self.done += runs
        if self.log is not None:
            self.log(f"{self.name}: [{self.done}/{self.total} runs] {what}")


def _run_arms(exp: Experiment, out: Path, replications: int, steps: int | None,
              workers: int | None, log: Callable[[str], None] | None,
              points: Sequence[dict[str, Any]] = (), *, first: int = 0, stride: int = 0,
              dims: Sequence[Dimension] | None = None, progress: _Progress | None = None,
              phase: str = "arms", resume: bool = False) -> dict[str, Path]:
    """Run every arm (one executor job each) into ``out/<arm>``; return the folders.

    ``first``: the replications run are ``first .. first + replications - 1``
    (seeds and the ``replication`` column: see :func:`_tables`); ``stride``:
    the seeds each unpaired arm owns.  With ``resume`` a finished arm is kept as it
    is and an interrupted one finished."""
    spec = exp.spec
    folders: dict[str, Path] = {}
    dims = exp.dimensions if dims is None else dims
    for k, (name, scn) in enumerate(exp.arms.items()):
        target = out / name
        seed_offset = 0 if spec.common_random_numbers else k
        if points:
            cols = tuple(points[0])
            total = len(points) * replications
            job = Job(kind="sweep", scenario=scenario_data(scn), source=scn.source,
                      columns=cols, points=tuple(tuple(pt[c] for c in cols) for pt in points),
                      replications=replications, master_seed=spec.seed, steps=steps,
                      chunk_runs=default_chunk_runs(total),
                      common_random_numbers=spec.common_random_numbers)
        else:
            job = run_job(scn, seed=spec.seed, replications=replications, steps=steps)
        if seed_offset or first or stride:  # disjoint streams / later replications
            job = _offset_job(job, seed_offset, stride, first)
        manifest = {"kind": "sweep" if points else "run", "scenario": scenario_manifest(scn),
                    "experiment": spec.name, "arm": name, "command": sys.argv,
                    "first_replication": first}
        if points:
            manifest["sweep"] = {"name": f"{spec.name}-{name}", "common_random_numbers":
                                 spec.common_random_numbers,
                                 "dimensions": [d.describe() for d in dims]}
        execute(job, target, manifest, workers=workers, progress=False,
                label=f"{spec.name}/{name}", log=log, resume=resume)
        folders[name] = target
        if progress is not None:
            where = f", {len(points)} grid points" if points else ""
            progress.step(f"{phase}: arm {name} ({job.total_runs} runs{where})", job.total_runs)
    return folders


def _offset_job(job: Job, k: int, stride: int = 0, first: int = 0) -> Job:
    """A job whose run ``i`` uses the seed ``run_seed(master, k * stride + first + i)``.

    ``k`` is the arm's index (unpaired arms: disjoint streams), ``stride`` the
    seeds each arm owns (default the job's runs), ``first`` the first
    replication (replications added to reach a precision)."""
    return _OffsetJob(**{f: getattr(job, f) for f in job.__dataclass_fields__}, offset=k,
                      stride=stride, first=first)


@dataclass(frozen=True)
class _OffsetJob(Job):
    offset: int = 0
    stride: int = 0
    first: int = 0

    def seed_of(self, run_id: int) -> int:
        from stationsim.running.batch import run_seed

        idx = run_id % self.replications if self.common_random_numbers else run_id
        stride = self.stride or self.total_runs
        return run_seed(self.master_seed, self.offset * stride + self.first + idx)


def _tables(folder: Path, arm: str, arm_index: int, replications: int,
            n_points: int = 1, first: int = 0) -> dict[str, pd.DataFrame]:
    res = load_results(folder)
    out = {}
    per_arm = replications * n_points
    for name in TABLES:
        df = getattr(res, name).copy()
        if first:
            df["replication"] = df["replication"] + first
        rid = (df["run_id"] if "run_id" in df.columns else df["replication"]).to_numpy()
        if "run_id" in df.columns:
            df = df.drop(columns=["run_id"])
        df.insert(0, "arm", arm)
        df.insert(0, "run_id", arm_index * per_arm + rid)
        out[name] = df
    return out


def run_experiment(exp: Experiment | str | Path, out: str | Path, *,
                   replications: int | None = None, steps: int | None = None,
                   workers: int | None = None, robustness: bool = True,
                   robustness_replications: int | None = None,
                   log: Callable[[str], None] | None = None,
                   resume: bool = False, claim_map: bool | None = None,
                   map_replications: int | None = None) -> ExperimentResult:
    """Run an experiment's arms (its robustness grid, its claim maps) into ``out``.

    Parameters
    ----------
    exp : Experiment or path
        From :func:`load_experiment`, or the file.
    out : str or Path
        A new (or empty) folder.
    replications : int, optional
        Replications per arm (default: the file's); with a ``[precision]``
        table, the first stage's.
    steps : int, optional
        Steps per run (default: the file's, else the base scenario's).
    workers : int, optional
        Worker processes of the executor (default: all cores).
    robustness : bool
        Also run the robustness grid (if the file has one).
    robustness_replications : int, optional
        Replications per arm and point of the grid (default: the file's).
    log : callable, optional
        Receives progress lines (runs done / planned, arm, grid points).
    resume : bool
        Finish an interrupted experiment in ``out`` (the same experiment and options):
        finished arms and grid points are kept, the rest is run.
    claim_map : bool, optional
        Draw the claim maps over the ``[[deciding]]`` ranges (default: when
        the file declares any).
    map_replications : int, optional
        Replications per arm and map point (default: the file's ``[map]``).

    Raises
    ------
    stationsim.running.executor.OutputError
        If ``out`` exists and is not empty (without ``resume``), or holds another
        experiment.
    stationsim.running.lock.FolderBusy
        If another process is writing to ``out``.
    """
    ex = exp if isinstance(exp, Experiment) else load_experiment(exp)
    spec = ex.spec
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder; choose another --out")
    reps = spec.replications if replications is None else int(replications)
    if reps < 2:
        raise OutputError("replications must be at least 2 (an interval needs a spread)")
    rreps = (spec.robustness.replications if spec.robustness is not None else 30) \
        if robustness_replications is None else int(robustness_replications)
    run_grid = bool(robustness and ex.points)
    check_run_options(steps=steps, replications=reps, workers=workers, prefix="")
    created = prepare_folder(target)
    try:
        with FolderLock(target):  # one writer, for the whole experiment
            return _run_experiment_locked(ex, target, reps, steps, workers, run_grid, rreps,
                                          log, resume, claim_map, map_replications)
    except BaseException:
        remove_created(created)  # a refused experiment leaves no folder behind
        raise


def experiment_fingerprint(ex: Experiment, reps: int, steps: int | None, run_grid: bool,
                           rreps: int, claim_map: bool | None = None,
                           map_replications: int | None = None) -> str:
    """SHA-256 of what an experiment means (never its file's path, comments or layout)."""
    payload = {"spec": ex.spec.model_dump(mode="json"), "base": scenario_data(ex.base),
               "arms": {a: scenario_data(s) for a, s in ex.arms.items()},
               "points": list(ex.points) if run_grid else [], "replications": reps,
               "robustness_replications": rreps if run_grid else None, "steps": steps,
               "claim_map": claim_map, "map_replications": map_replications}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _run_experiment_locked(ex: Experiment, target: Path, reps: int, steps: int | None,
                           workers: int | None, run_grid: bool, rreps: int,
                           log: Callable[[str], None] | None, resume: bool,
                           claim_map: bool | None, map_replications: int | None
                           ) -> ExperimentResult:
    spec = ex.spec
    fp = experiment_fingerprint(ex, reps, steps, run_grid, rreps, claim_map, map_replications)
    started = now_iso()
    if any(p.name != LOCK_NAME for p in target.iterdir()):
        if not resume:
            raise OutputError(f"{target}: output folder exists and is not empty; choose another "
                              "--out, or pass --resume to finish an interrupted experiment there")
        old = read_manifest(target)
        if old is None or old.get("kind") != "experiment" or old.get("fingerprint") != fp:
            raise OutputError(f"{target}: holds a different experiment (other file, base, "
                              "--set, replications or steps); resume with the same command "
                              "and options, or choose another --out")
        started = str(old.get("started", started))
        for tmp in target.glob(".*.tmp"):  # left by a kill during a write
            tmp.unlink(missing_ok=True)
    state = {"kind": "experiment", "fingerprint": fp,
             "experiment": {"name": spec.name, "claim": spec.claim, "source": ex.source},
             "started": started, "command": sys.argv,
             "progress": {"status": "running", "updated": now_iso()}}
    write_json(state, target / "manifest.json")
    n_steps = steps if steps is not None else spec.steps
    try:
        prec = spec.precision
        cap = max(reps, prec.max_replications) if prec is not None else reps
        do_map = bool(ex.deciding) if claim_map is None else (claim_map and bool(ex.deciding))
        mreps = spec.map.replications if map_replications is None else int(map_replications)
        narms = len(ex.arms)
        prog = _Progress(spec.name, log)
        prog.plan(narms * reps)
        if run_grid:
            prog.plan(narms * rreps * len(ex.points))
        maps = _map_plan(ex) if do_map else []
        for _, pts, _ in maps:
            prog.plan(narms * mreps * len(pts))
        if log is not None:
            log(f"{spec.name}: {narms} arm(s) x {reps} replications"
                + (f" (growing to a half-width of {prec.half_width:g}, at most {cap})" if prec
                   else "")
                + (f"; robustness {len(ex.points)} points x {rreps}" if run_grid else "")
                + (f"; claim maps {', '.join(m[0] for m in maps)} "
                   f"({sum(len(m[1]) for m in maps)} points x {mreps})" if maps else "")
                + f": {prog.total} runs planned")
        folders = _run_arms(ex, target / "arms", reps, n_steps, workers, log, stride=cap,
                            progress=prog, resume=resume)
        tabs = {a: _tables(f, a, k, cap) for k, (a, f) in enumerate(folders.items())}
        tests = _evaluate(ex, tabs)
        total = reps
        stopped = "fixed"
        if prec is not None:
            while True:
                widths = [t.estimate.half_width for t in tests if t.primary]
                worst = max((w if math.isfinite(w) else math.inf) for w in widths)
                if worst <= prec.half_width:
                    stopped = "precision"
                    break
                if total >= cap:
                    stopped = "cap"
                    break
                grow = total * (worst / prec.half_width) ** 2 * 1.1 if math.isfinite(worst) \
                    else 2 * total
                new_total = int(min(cap, max(math.ceil(1.5 * total), math.ceil(grow))))
                more = new_total - total
                prog.plan(narms * more)
                extra = _run_arms(ex, target / "arms_more" / f"from_{total}", more, n_steps,
                                  workers, log, first=total, stride=cap, progress=prog,
                                  phase=f"replications {total}..{new_total - 1}",
                                  resume=resume)
                for k, (a, f) in enumerate(extra.items()):
                    add = _tables(f, a, k, cap, 1, first=total)
                    tabs[a] = {n: pd.concat([tabs[a][n], add[n]], ignore_index=True)
                               for n in TABLES}
                total = new_total
                tests = _evaluate(ex, tabs)
        result = ExperimentResult(ex, total, tests, overall(tests), out=target, stopped_by=stopped)
        if run_grid:
            result.robustness_replications = rreps
            rfold = _run_arms(ex, target / "robustness", rreps, n_steps, workers, log, ex.points,
                              progress=prog, phase="robustness", resume=resume)
            rtabs = {a: _tables(f, a, k, rreps, len(ex.points))
                     for k, (a, f) in enumerate(rfold.items())}
            result.robustness = _grid_table(ex, rtabs, ex.points)
            result.summary = robustness_summary(result.robustness, [d.path for d in ex.dimensions])
        for stem, pts, dims in maps:
            mfold = _run_arms(ex, target / "maps" / stem, mreps, n_steps, workers, log, pts,
                              dims=dims, progress=prog, phase=f"claim map {stem}",
                              resume=resume)
            mtabs = {a: _tables(f, a, k, mreps, len(pts)) for k, (a, f) in enumerate(mfold.items())}
            table = _grid_table(ex, mtabs, pts, salt="map")
            result.maps.append(ClaimMap(stem, [d.path for d in dims], table, mreps))
        _write(result, tabs, started, fp)
    except BaseException as exc:
        state["progress"] = {"status": "interrupted" if isinstance(exc, KeyboardInterrupt)
                             else "failed", "updated": now_iso()}
        with contextlib.suppress(OSError):  # the disk may be full
            write_json(state, target / "manifest.json")
        if isinstance(exc, MachineFault):  # say how to resume the experiment, not the arm
            raise MachineFault(f"{target}: {exc.cause}; finished arms are kept: fix the "
                               f"cause, then run the same command with --out {target} "
                               "--resume", cause=exc.cause) from exc
        raise
    return result


def _write(result: ExperimentResult, tabs: dict[str, dict[str, pd.DataFrame]],
           started: str, fingerprint: str = "") -> None:
    """The experiment folder: the arms' tables together, results, manifest."""
    ex = result.experiment
    out = result.out
    assert out is not None
    arms = list(ex.arms)
    rows = {}
    for name in TABLES:
        df = pd.concat([tabs[a][name] for a in arms], ignore_index=True)
        df["arm"] = pd.Categorical(df["arm"], categories=arms)
        if name == "runs":
            for t in ex.spec.tests:
                if isinstance(t.outcome, OutcomeSpec):
                    vals = [outcome_values(t.outcome, tabs[a]["runs"], tabs[a]["steps"],
                                           tabs[a]["membership"], ex.arms[a].params())
                            for a in arms]
                    df[f"exp_{t.name}"] = np.concatenate([v.to_numpy() for v in vals])
        write_table(df, out / f"{name}.parquet")
        rows[name] = len(df)
    atomic_write(out / "tests.csv", lambda tmp: result.tests_table().to_csv(tmp, index=False))
    if result.robustness is not None:
        rob = result.robustness
        atomic_write(out / "robustness.csv", lambda tmp: rob.to_csv(tmp, index=False))
    for m in result.maps:
        mt = m.table
        atomic_write(out / f"claim_map_{m.stem}.csv",
                     lambda tmp, t=mt: t.to_csv(tmp, index=False))  # type: ignore[misc]
        fig = claim_map_figure(m.table, m.parameters, result.tests, ex.spec.claim)
        P.save(fig, out, f"claim_map_{m.stem}", formats=("png",))
    write_json(result.to_dict(), out / RESULT_FILE)
    spec = ex.spec
    write_json({
        "kind": "experiment",
        "experiment": {"name": spec.name, "claim": spec.claim, "source": ex.source,
                       "text": ex.text},
        "scenario": scenario_manifest(ex.base),
        "arms": {a.name: a.set for a in spec.arms},
        "master_seed": spec.seed, "replications": result.replications,
        "steps": spec.steps if spec.steps is not None else ex.base.steps,
        "common_random_numbers": spec.common_random_numbers,
        "environment": environment(), "rows": rows, "started": started,
        "finished": now_iso(), "command": sys.argv, "verdict": result.verdict,
        "fingerprint": fingerprint, "tables": table_stamps(out),
        "progress": {"status": "complete", "updated": now_iso()},
    }, out / "manifest.json")
