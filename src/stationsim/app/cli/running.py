"""Running: ``stationsim run`` (a scenario's replications) and ``stationsim sweep`` (a
parameter sweep)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from stationsim.app.cli.errors import BadInput, _guard, expect_kind
from stationsim.app.cli.jobs import _execute, default_out
from stationsim.app.cli.root import app
from stationsim.model.scenario import (
    Scenario,
    check_run_options,
    load_scenario,
    parse_set,
    with_overrides,
)
from stationsim.running.executor import BACKENDS, default_workers, run_job
from stationsim.running.results import scenario_manifest
from stationsim.running.sweep import load_sweep, sweep_job, sweep_manifest


def _load(path: Path, sets: list[str] | None) -> Scenario:
    expect_kind(path, "scenario")
    scn = load_scenario(path)
    if sets:
        scn = with_overrides(scn, parse_set(sets, str(path)), origin="--set")
    return scn


@app.command("run")
def run_cmd(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    seed: Annotated[int | None, typer.Option(help="master seed (default: the scenario's)")] = None,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-r", min=1, help="replications (default: the scenario's)")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="steps per run")] = None,
    out: Annotated[Path | None, typer.Option(help="output folder")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a scenario field: PATH=VALUE (repeatable)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no summary")] = False,
    workers: Annotated[int | None, typer.Option(
        min=1, help="worker processes (default: all cores)")] = None,
    resume: Annotated[bool, typer.Option(
        help="finish an interrupted run in --out (same command and options)")] = False,
) -> None:
    """Run a scenario's replications and write runs, steps and membership tables."""
    _guard(_run, scenario, seed, replications, steps, out, set_, quiet, workers, resume)


def _run(scenario: Path, seed: int | None, replications: int | None, steps: int | None,
         out: Path | None, sets: list[str] | None, quiet: bool, workers: int | None = None,
         resume: bool = False) -> None:
    check_run_options(seed=seed, steps=steps, replications=replications, workers=workers)
    scn = _load(scenario, sets)
    if resume and out is None:
        raise BadInput("--resume: give the folder to resume with --out DIR")
    target = out if out is not None else default_out(scn)
    job = run_job(scn, seed=seed, replications=replications, steps=steps)
    manifest = {"kind": "run", "scenario": scenario_manifest(scn), "command": sys.argv}
    _execute(job, target, manifest, workers=workers, resume=resume, quiet=quiet,
             label=scn.name)
    if not quiet:
        typer.echo(summary(scn, pd.read_parquet(target / "runs.parquet"), target))


def summary(scn: Scenario, runs: Any, target: Path) -> str:
    """A short human summary of a batch: members per station at the end."""
    lines = [f"{scn.name}: {len(runs)} replication(s) -> {target}"]
    for st in scn.stations:
        pre = st.name.lower()
        col = runs[f"{pre}_members"]
        lines.append(
            f"  {st.name:<6} ({runs[f'{pre}_rule'].iloc[0]}, {st.channel}): members at end "
            f"median {col.median():g} [min {col.min()}, max {col.max()}], "
            f"guests ever {runs[f'{pre}_ever_guests'].mean():.1f} on average")
    mean_in = runs["states_in_partnership"].mean()
    lines.append(f"  states in any partnership at end: mean {mean_in:.1f}")
    return "\n".join(lines)


@app.command("sweep")
def sweep_cmd(
    sweep: Annotated[Path, typer.Argument(help="sweep TOML file (scenarios/sweeps/)")],
    out: Annotated[Path | None, typer.Option(
        help="output folder (default: results/<sweep>/<timestamp>)")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="worker processes, or LocalCluster workers (default: all cores)")] = None,
    backend: Annotated[str, typer.Option(help="local (process pool) or dask")] = "local",
    scheduler: Annotated[str | None, typer.Option(
        help="address of a running dask scheduler, e.g. tcp://10.0.0.5:8786 (implies dask)")
    ] = None,
    resume: Annotated[bool, typer.Option(
        help="finish an interrupted sweep in --out: run only what is missing")] = False,
    chunk_runs: Annotated[int | None, typer.Option(
        min=1, help="runs per task and part file (default: about 100 chunks)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar, no summary")
    ] = False,
    allow_large: Annotated[bool, typer.Option(
        help="run a design of more than 1,000,000 runs (the cap; never more than 10,000,000)")
    ] = False,
) -> None:
    """Run a parameter sweep: every point x replication, streamed to Parquet, resumable."""
    _guard(_sweep, sweep, out, workers, backend, scheduler, resume, chunk_runs, quiet,
           allow_large)


def _sweep(path: Path, out: Path | None, workers: int | None, backend: str,
           scheduler: str | None, resume: bool, chunk_runs: int | None, quiet: bool,
           allow_large: bool = False) -> None:
    check_run_options(workers=workers)
    if backend not in BACKENDS:
        raise BadInput(f"--backend {backend!r}: allowed: {', '.join(BACKENDS)}")
    if scheduler and backend != "dask":
        if backend != "local":
            raise BadInput("--scheduler needs --backend dask")
        backend = "dask"
    if resume and out is None:
        raise BadInput("--resume: give the folder to resume with --out DIR")
    expect_kind(path, "sweep")
    sw = load_sweep(path, allow_large=allow_large)
    target = out if out is not None else Path("results") / sw.name / default_out(sw.base).name
    job = sweep_job(sw, chunk_runs)
    manifest = {**sweep_manifest(sw), "command": sys.argv}
    if not quiet:
        typer.echo(f"{sw.name}: {len(sw.points)} point(s) x {sw.replications} replication(s) = "
                   f"{sw.total_runs} runs, {backend} backend, "
                   f"{workers or (default_workers() if not scheduler else 'all')} worker(s) "
                   f"-> {target}", err=True)
    man = _execute(job, target, manifest, workers=workers, resume=resume, quiet=quiet,
                   label=sw.name, backend=backend, scheduler=scheduler)
    if not quiet:
        rows = man.get("rows", {})
        typer.echo(f"{sw.name}: {sw.total_runs} runs -> {target} (runs {rows.get('runs')}, "
                   f"steps {rows.get('steps')}, membership {rows.get('membership')} rows); "
                   f"load with stationsim.load_results({str(target)!r})")
