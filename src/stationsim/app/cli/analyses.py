"""Analyses: ``stationsim sensitivity`` and ``discover`` (issue 7), ``experiment`` (the
claims H1-H6, issue 5)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from stationsim.app.cli.errors import BadInput, _guard, expect_kind
from stationsim.app.cli.jobs import _execute, default_out
from stationsim.app.cli.root import app
from stationsim.model.scenario import check_run_options, parse_set
from stationsim.running.executor import BACKENDS
from stationsim.running.sweep import check_size, load_sweep, sweep_job


@app.command("sensitivity")
def sensitivity_cmd(
    sweep: Annotated[Path, typer.Argument(
        help="sweep TOML file (scenarios/sweeps/), or a finished results folder to analyse "
             "again")],
    method: Annotated[str | None, typer.Option(
        help="sobol (first-order and total indices) or morris (mu*, sigma); default: the "
             "sweep file's sampler")] = None,
    out: Annotated[Path | None, typer.Option(
        help="results folder (default: results/<sweep>/<timestamp>); the analysis goes to "
             "OUT/sensitivity/")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="worker processes, or LocalCluster workers (default: all cores)")] = None,
    backend: Annotated[str, typer.Option(help="local (process pool) or dask")] = "local",
    scheduler: Annotated[str | None, typer.Option(
        help="address of a running dask scheduler (implies dask)")] = None,
    resume: Annotated[bool, typer.Option(
        help="finish an interrupted run in --out (on a finished one: analyse again)")] = False,
    chunk_runs: Annotated[int | None, typer.Option(
        min=1, help="runs per task and part file")] = None,
    outcome: Annotated[list[str] | None, typer.Option(
        "--outcome", help="outcome column to analyse (repeatable; default: every numeric "
                          "outcome)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar, no summary")
    ] = False,
    allow_large: Annotated[bool, typer.Option(
        help="run a design of more than 1,000,000 runs (the cap; never more than 10,000,000)")
    ] = False,
) -> None:
    """Global sensitivity analysis: sample the sweep with a Sobol' or Morris design (SALib),
    run it (parallel, resumable), and write each outcome's indices (averaged over the
    replications of a point) as CSV, Markdown and figures."""
    _guard(_sensitivity, sweep, method, out, workers, backend, scheduler, resume, chunk_runs,
           outcome, quiet, allow_large)


def _sensitivity(path: Path, method: str | None, out: Path | None, workers: int | None,
                 backend: str, scheduler: str | None, resume: bool, chunk_runs: int | None,
                 outcomes: list[str] | None, quiet: bool, allow_large: bool = False) -> None:
    from stationsim.analysis import sensitivity as S
    from stationsim.running import progress
    from stationsim.running.batch import run_one

    progress.set_default(not quiet)
    check_run_options(workers=workers)
    try:
        if method is not None:
            S.check_method(method)
        if path.is_dir():  # a finished folder: analyse (again) only
            res = S.analyse(path, method, outcomes)
            paths = S.write(res, out if out is not None else path / S.ANALYSIS_DIR)
        else:
            if backend not in BACKENDS:
                raise BadInput(f"--backend {backend!r}: allowed: {', '.join(BACKENDS)}")
            if scheduler and backend != "dask":
                backend = "dask"
            if resume and out is None:
                raise BadInput("--resume: give the folder to resume with --out DIR")
            expect_kind(path, "sweep")
            sw0 = load_sweep(path, allow_large=allow_large)
            if method is not None and method != sw0.spec.sampler and sw0.spec.samples:
                # the design's size before it is sampled
                check_size(sw0.spec.model_copy(update={
                    "sampler": method, "second_order": False if method == "sobol" else None}),
                    sw0.dimensions, str(path), allow_large)
            sw = S.design(sw0, method)
            if outcomes:  # check the names on one short run before running the sweep
                S.check_outcomes(outcomes, S.allowed_outcomes(run_one(sw.base, 0, steps=1).runs))
            target = out if out is not None else (Path("results") / sw.name
                                                  / default_out(sw.base).name)
            if not quiet:
                typer.echo(f"{sw.name}: {sw.spec.sampler} design, {len(sw.points)} point(s) x "
                           f"{sw.replications} replication(s) = {sw.total_runs} runs -> "
                           f"{target}", err=True)
            _execute(sweep_job(sw, chunk_runs), target,
                     {**S.manifest(sw, sw0.spec.sampler), "command": sys.argv},
                     workers=workers, resume=resume, quiet=quiet, label=sw.name,
                     backend=backend, scheduler=scheduler)
            res = S.analyse(target, sw.spec.sampler, outcomes)
            paths = S.write(res, target / S.ANALYSIS_DIR)
    except (S.SensitivityError, FileNotFoundError) as exc:
        raise BadInput(str(exc)) from None
    if not quiet:
        typer.echo(res.summary(outcomes=None if outcomes else res.figure_outcomes))
        typer.echo("\nwritten: " + "  ".join(str(p) for p in paths))
        if not path.is_dir():
            typer.echo(f"report with the figures: stationsim report {target}")


@app.command("discover")
def discover_cmd(
    results: Annotated[Path, typer.Argument(help="results folder of a sweep")],
    outcome: Annotated[str, typer.Option(
        help="condition on the runs table, e.g. \"css_capable_members >= 5\" (column names, "
             "numbers, comparisons, and/or/not; dotted columns in backticks)")],
    parameter: Annotated[list[str] | None, typer.Option(
        "--parameter", help="column PRIM may restrict (repeatable; default: the sweep's "
                            "varied fields)")] = None,
    min_coverage: Annotated[float, typer.Option(
        help="choose the densest box on the peeling trajectory with at least this coverage")
    ] = 0.5,
    box: Annotated[int | None, typer.Option(
        help="choose this step of the peeling trajectory instead")] = None,
    boxes: Annotated[int, typer.Option(help="look for up to this many boxes")] = 1,
    peel_alpha: Annotated[float, typer.Option(help="PRIM peeling alpha")] = 0.05,
    paste_alpha: Annotated[float, typer.Option(help="PRIM pasting alpha")] = 0.05,
    mass_min: Annotated[float, typer.Option(help="PRIM minimum box mass")] = 0.05,
    out: Annotated[Path | None, typer.Option(
        help="output folder (default: RESULTS/discovery/<outcome>)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="do not print the boxes")] = False,
) -> None:
    """Scenario discovery with PRIM (EMA Workbench): the boxes of the varied parameters where
    the outcome holds, the coverage-density trade-off and the chosen box's limits."""
    _guard(_discover, results, outcome, parameter, min_coverage, box, boxes, peel_alpha,
           paste_alpha, mass_min, out, quiet)


def _discover(results: Path, outcome: str, parameters: list[str] | None, min_coverage: float,
              box: int | None, boxes: int, peel_alpha: float, paste_alpha: float,
              mass_min: float, out: Path | None, quiet: bool) -> None:
    from stationsim.analysis import discovery as D
    from stationsim.running.progress import Progress

    with Progress(2, "discover", "step", enabled=not quiet) as prog:  # PRIM, then the files
        try:
            d = D.discover(results, outcome, parameters, min_coverage=min_coverage, box=box,
                           boxes=boxes, peel_alpha=peel_alpha, paste_alpha=paste_alpha,
                           mass_min=mass_min)
        except (D.DiscoveryError, FileNotFoundError) as exc:
            raise BadInput(str(exc)) from None
        prog.update()
        paths = D.write(d, out if out is not None else D.default_folder(results, outcome))
        prog.update()
    if not quiet:
        typer.echo(d.summary())
        typer.echo("\nwritten: " + "  ".join(str(p) for p in paths))


@app.command("experiment")
def experiment_cmd(
    file: Annotated[Path, typer.Argument(help="experiment TOML file (scenarios/experiments/)")],
    replications: Annotated[int | None, typer.Option(
        "--replications", "-r", min=2, help="replications per arm (default: the file's)")
    ] = None,
    out: Annotated[Path | None, typer.Option(
        help="output folder (default: results/experiments/<name>/<timestamp>)")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="worker processes (default: all cores)")] = None,
    robustness: Annotated[bool, typer.Option(
        help="also run the file's robustness grid")] = True,
    robustness_replications: Annotated[int | None, typer.Option(
        "--robustness-replications", min=2,
        help="replications per arm and grid point (default: the file's)")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="steps per run")] = None,
    base: Annotated[Path | None, typer.Option(
        help="run the arms on another base scenario than the file's")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a base-scenario field for every arm: PATH=VALUE (repeatable)")
    ] = None,
    claim_map: Annotated[bool | None, typer.Option(
        "--map/--no-map", help="draw the claim maps over the file's \\[\\[deciding]] ranges "
        "(default: when the file declares any)")] = None,
    map_replications: Annotated[int | None, typer.Option(
        "--map-replications", min=2,
        help="replications per arm and claim-map point (default: the file's \\[map])")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress lines")] = False,
    resume: Annotated[bool, typer.Option(
        help="finish an interrupted experiment in --out: finished arms and grid points are "
             "kept")] = False,
) -> None:
    """Test a claim: run its arms, print each effect with a 95 % CI and a verdict
    (supported / not supported / inconclusive), check it over the robustness grid, draw
    its claim maps over the deciding parameters' plausible ranges, write a report.
    Progress lines (runs done / planned) go to stderr, terminal or not; -q silences them."""
    _guard(_experiment, file, replications, out, workers, robustness, robustness_replications,
           steps, base, set_, quiet, resume, claim_map, map_replications)


def _experiment(file: Path, replications: int | None, out: Path | None, workers: int | None,
                robustness: bool, robustness_replications: int | None, steps: int | None,
                base: Path | None, sets: list[str] | None, quiet: bool,
                resume: bool = False, claim_map: bool | None = None,
                map_replications: int | None = None) -> None:
    from stationsim.analysis import experiment

    expect_kind(file, "experiment")
    check_run_options(steps=steps, replications=replications, workers=workers)
    check_run_options(replications=robustness_replications, prefix="--robustness-")
    if resume and out is None:
        raise BadInput("--resume: give the folder to resume with --out DIR")
    exp = experiment.load_experiment(file, base=base,
                                     overrides=parse_set(sets, str(file)) if sets else None)
    target = out if out is not None else (Path("results") / "experiments" / exp.name
                                          / default_out(exp.base).name)
    from stationsim.running.progress import forced

    with forced(not quiet):  # the arms' runs show progress unless -q
        res = experiment.run_experiment(exp, target, replications=replications, steps=steps,
                                        workers=workers, robustness=robustness,
                                        robustness_replications=robustness_replications,
                                        log=None if quiet else lambda m: typer.echo(m, err=True),
                                        resume=resume, claim_map=claim_map,
                                        map_replications=map_replications)
    from stationsim.present.report import write_report

    write_report(target, by="arm" if len(exp.arms) > 1 else None, progress=not quiet)
    typer.echo(res.text())
    typer.echo(f"  results: {target} (report {target / 'report.html'})")
