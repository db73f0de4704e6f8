"""Command-line interface: a thin layer over the Python API.

Exit codes: 0 done, 2 bad input (a message naming the file and field, no
traceback, nothing written), 1 internal error.
"""

from __future__ import annotations

import sys
import traceback
import uuid
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from stationsim.model.scenario import (
    Scenario,
    ScenarioError,
    check_run_options,
    load_scenario,
    parse_set,
    with_overrides,
)
from stationsim.running.executor import (
    BACKENDS,
    ExecutorInputError,
    MachineFault,
    default_workers,
    execute,
    run_job,
)
from stationsim.running.lock import PlaceError, prepare_folder, remove_created
from stationsim.running.results import now_iso, scenario_manifest
from stationsim.running.sweep import check_size, load_sweep, sweep_job, sweep_manifest

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="stationsim: space-station partnership simulations.")


@app.callback()
def _root() -> None:
    """stationsim: space-station partnership simulations (run, sweep, plot ...)."""


class BadInput(Exception):
    """Bad input from the user: reported with exit code 2."""


#: How to use each kind of input file, for "this is a ... file" messages.
_USE = {"scenario": "stationsim run {p}", "sweep": "stationsim sweep {p}",
        "experiment": "stationsim experiment {p}"}


def file_kind(path: Path) -> str | None:
    """``scenario``, ``sweep``, ``experiment`` or ``results`` (a results folder), guessed
    from the file's top-level tables; None when it cannot tell (the loader will say why)."""
    import tomllib

    if path.is_dir():
        return "results" if (path / "manifest.json").is_file() or \
            (path / "runs.parquet").is_file() else None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if "arms" in data or "tests" in data:
        return "experiment"
    if "vary" in data:
        return "sweep"
    if any(k in data for k in ("stations", "states", "states_csv", "generate")):
        return "scenario"
    return None


def expect_kind(path: Path, *expected: str) -> None:
    """A :class:`BadInput` in one line when ``path`` is another kind of file than expected
    (a scenario given to ``sweep``: "this is a scenario file, not a sweep file")."""
    kind = file_kind(path)
    if kind is None or kind in expected:
        return
    def a(k: str) -> str:
        return "a results folder" if k == "results" else \
            f"{'an' if k[0] in 'aeiou' else 'a'} {k} file"
    want = " or ".join(a(e) for e in expected)
    what = a(kind)
    use = (f"; use it with `{_USE[kind].format(p=path)}`" if kind in _USE else
           f"; make figures from it with `stationsim plot {path}` or `stationsim report "
           f"{path}`")
    raise BadInput(f"{path}: this is {what}, not {want}{use}")


def _load(path: Path, sets: list[str] | None) -> Scenario:
    expect_kind(path, "scenario")
    scn = load_scenario(path)
    if sets:
        scn = with_overrides(scn, parse_set(sets, str(path)), origin="--set")
    return scn


def default_out(scn: Scenario) -> Path:
    """``results/<scenario>/<timestamp>-<random>/`` (UTC): unique, even for jobs started
    in the same second (two jobs never share a default folder)."""
    stamp = now_iso().replace(":", "").replace("-", "").replace("+0000", "Z")
    return Path("results") / scn.name / f"{stamp}-{uuid.uuid4().hex[:8]}"


def _guard(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except (ScenarioError, BadInput, ExecutorInputError, PlaceError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except MachineFault as exc:  # disk full, a worker killed: one line, finished work kept
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except OSError as exc:  # the machine's fault (disk full, file system), not a bug
        reason = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename else ""
        typer.echo(f"error: {reason}{where}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception:
        typer.echo("internal error (please report with the traceback below):", err=True)
        traceback.print_exc()
        raise typer.Exit(1) from None


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


def _execute(job: Any, target: Path, manifest: dict[str, Any], *, workers: int | None,
             resume: bool, quiet: bool, label: str, backend: str = "local",
             scheduler: str | None = None) -> dict[str, Any]:
    """Run a job through the executor; on Ctrl-C say how to resume (exit 130)."""
    try:
        return execute(job, target, manifest, workers=workers, backend=backend,
                       scheduler=scheduler, resume=resume, progress=False if quiet else None,
                       label=label, log=None if quiet else lambda m: typer.echo(m, err=True))
    except KeyboardInterrupt:
        if (target / "manifest.json").is_file():
            typer.echo(f"interrupted; {target} is resumable: run the same command with "
                       f"--out {target} --resume", err=True)
        else:
            typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None


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


# ------------------------------------------------- plots, comparisons, reports (issue 4)
# matplotlib is imported only by these commands (stationsim.present.plots), not by `run`.


def _analysis_input(paths: list[Path]) -> Any:
    """Load results folders for plot/compare/report; a bad folder is a BadInput."""
    from stationsim.analysis import groups

    for p in paths:
        if p.is_file():
            expect_kind(p, "results")
    try:
        return groups.load(paths)
    except FileNotFoundError as exc:
        raise BadInput(str(exc)) from None


def _grouping_errors(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; an unknown --by column or outcome is a BadInput (exit 2)."""
    from stationsim.analysis.groups import GroupingError

    try:
        return fn(*args, **kwargs)
    except GroupingError as exc:
        raise BadInput(str(exc)) from None


def _folders_text(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths)


@app.command("plot")
def plot_cmd(
    results: Annotated[list[Path], typer.Argument(
        help="results folder(s) (stationsim run or sweep); several are compared, one group "
             "per folder")],
    by: Annotated[str | None, typer.Option(
        help="group column of the runs table, or 'rule' (default: the folder with several, "
             "a varied parameter or the varying rule; else one group)")] = None,
    out: Annotated[Path | None, typer.Option(
        help="output folder (default: RESULTS/plots; several folders: "
             "FIRST/plots_<a>_vs_<b>)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress, no list of files")
    ] = False,
) -> None:
    """Write the figures of results folders as PNG and SVG (with several folders or groups:
    the comparison, forest plot included)."""
    _guard(_plot, results, by, out, quiet)


def _plot(results: list[Path], by: str | None, out: Path | None, quiet: bool) -> None:
    from stationsim.present import plots
    from stationsim.running.progress import Progress

    data = _analysis_input(results)
    if out is not None:
        target = out
    elif len(results) == 1:
        target = results[0] / "plots"
    else:
        target = results[0] / ("plots_" + "_vs_".join(_slug(x) for x in data.labels))
    created = prepare_folder(target)  # a writable place before any work
    written = []
    try:
        builders = _grouping_errors(plots.figure_builders, data, by)
        with Progress(len(builders), "plot", "figure", enabled=not quiet) as prog:
            for stem, build in builders:
                fig = _grouping_errors(build)
                written.append(plots.save(fig, target, stem))
                fig.clear()
                prog.update()
    except BaseException:
        if not written:
            remove_created(created)
        raise
    if not quiet:
        for paths in written:
            typer.echo("  ".join(str(p) for p in paths))


@app.command("compare")
def compare_cmd(
    results: Annotated[list[Path], typer.Argument(
        help="results folder(s): one (with --by) or several (groups labelled by folder name)")],
    by: Annotated[str | None, typer.Option(
        help="group column of the runs table, or 'rule' (the station rule that varies); "
             "default with several folders: the folder")] = None,
    reference: Annotated[str | None, typer.Option(
        help="reference group (default: the first)")] = None,
    seed: Annotated[int | None, typer.Option(
        help="bootstrap seed (default: 20240601, analysis.compare.DEFAULT_SEED)")] = None,
    n_boot: Annotated[int | None, typer.Option(
        "--n-boot", min=1, help="bootstrap resamples (default 2000)")] = None,
    out: Annotated[Path | None, typer.Option(
        help="folder for the CSV and Markdown files (default: the first results folder)")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="do not print the table")] = False,
    all_outcomes: Annotated[bool, typer.Option(
        "--all", help="print every outcome, not only the main ones (the files hold all)")
    ] = False,
) -> None:
    """Compare outcomes between groups: median, mean, difference with a 95 % bootstrap CI,
    Cliff's delta; printed (main outcomes, in words) and saved as CSV and Markdown (all)."""
    _guard(_compare, results, by, reference, seed, n_boot, out, quiet, all_outcomes)


def _compare(results: list[Path], by: str | None, reference: str | None,
             seed: int | None, n_boot: int | None, out: Path | None, quiet: bool,
             all_outcomes: bool = False) -> None:
    from stationsim.analysis import compare, groups
    from stationsim.present import plots

    check_run_options(seed=seed)
    data = _analysis_input(results)
    prepare_folder(out if out is not None else results[0])  # a writable place before any work
    col = by if by is not None else groups.default_by(data)
    if col is None:
        raise BadInput(f"{results[0]}: nothing to compare in one group; give --by COLUMN "
                       f"(for example {_short_allowed(data.runs)}) or a second results folder")
    kw: dict[str, Any] = {"reference": reference}
    if seed is not None:
        kw["seed"] = seed
    if n_boot is not None:
        kw["n_boot"] = n_boot
    comp = _grouping_errors(compare.compare, data.runs, col, **kw)
    stem = (f"comparison_by_{_slug(comp.by)}" if len(results) == 1 else
            "comparison_" + "_vs_".join(_slug(x) for x in data.labels)
            + (f"_by_{_slug(comp.by)}" if comp.by != groups.FOLDER else ""))
    paths = comp.save(out if out is not None else results[0], stem)
    if not quiet:
        keys = set(plots.key_outcomes(data.runs))
        shown = comp.display()
        if not all_outcomes:
            shown = shown[[o in keys for o in comp.table["outcome"]]]
        shown = shown.assign(outcome=[plots.outcome_label(o, data.runs)[0]
                                      for o in shown["outcome"]])
        typer.echo("\n".join([*comp.header(), "", shown.to_string(index=False)]))
        if not all_outcomes:
            typer.echo("\n(main outcomes; every outcome with --all, or in the files)")
        typer.echo("\nwritten: " + "  ".join(str(p) for p in paths))


def _short_allowed(runs: Any) -> str:
    from stationsim.analysis import groups

    cols = [c for c in groups.rule_columns(runs)] + [c for c in ("scenario",) if c in runs]
    return ", ".join(["rule", *cols][:4])


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(text)).strip("_")


@app.command("report")
def report_cmd(
    results: Annotated[list[Path], typer.Argument(
        help="results folder(s); several are compared in one report (one group per folder)")],
    by: Annotated[str | None, typer.Option(
        help="group column of the runs table, or 'rule' (default as for plot)")] = None,
    out: Annotated[Path | None, typer.Option(
        help="HTML file (default: RESULTS/report.html; several folders: "
             "FIRST/report_<a>_vs_<b>.html)")] = None,
    seed: Annotated[int | None, typer.Option(help="bootstrap seed of the comparison")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress")] = False,
) -> None:
    """Write one self-contained HTML report: figures, comparison, scenario, manifest."""
    _guard(_report, results, by, out, seed, quiet)


def _report(results: list[Path], by: str | None, out: Path | None, seed: int | None,
            quiet: bool = False) -> None:
    from stationsim.present import report

    check_run_options(seed=seed)
    _analysis_input(results)  # a missing or incomplete folder: exit 2 before any work
    if out is not None and out.is_dir():
        raise BadInput(f"--out {out}: is a folder; give the HTML file to write")
    prepare_folder((out if out is not None else results[0] / "report.html").parent)
    kw: dict[str, Any] = {} if seed is None else {"seed": seed}
    path = _grouping_errors(report.write_report, results, by, out, progress=not quiet, **kw)
    typer.echo(str(path))


# ------------------------------------------------- parameters


@app.command("params")
def params_cmd(
    name: Annotated[str | None, typer.Argument(
        help="show only the parameters whose name contains this")] = None,
) -> None:
    """List every model parameter: default, bounds, type (unit), source and meaning
    (set them under [parameters], with --set parameters.NAME=VALUE, or vary them in sweeps)."""
    _guard(_params, name)


def params_table(name: str | None = None) -> pd.DataFrame:
    """The parameters of :data:`stationsim.model.params.PARAMETERS` as a table."""
    from stationsim.model.params import PARAMETERS

    rows = []
    for p in PARAMETERS.values():
        if name and name not in p.name:
            continue
        if p.kind in ("real", "int"):
            bounds = f"[{p.low:g}, {p.high:g}]"
        elif p.kind == "category":
            bounds = " | ".join(p.categories)
        else:
            bounds = "true | false"
        default = str(p.default).lower() if isinstance(p.default, bool) else f"{p.default}"
        rows.append({"parameter": p.name, "default": default, "bounds": bounds,
                     "unit": {"real": "number", "int": "whole number", "bool": "true/false",
                              "category": "one of the bounds"}[p.kind],
                     "source": p.source, "meaning": p.doc})
    return pd.DataFrame(rows)


def _params(name: str | None) -> None:
    import shutil
    import textwrap

    from stationsim.model.names import did_you_mean
    from stationsim.model.params import PARAMETERS

    t = params_table(name)
    if t.empty:
        raise BadInput(f"no parameter name contains {name!r}{did_you_mean(name, PARAMETERS)}")
    width = max(80, shutil.get_terminal_size((100, 20)).columns)
    for r in t.itertuples(index=False):
        typer.echo(f"{r.parameter}  default {r.default}  bounds {r.bounds}  ({r.unit}; "
                   f"source: {r.source})")
        for line in textwrap.wrap(str(r.meaning), width - 4):
            typer.echo(f"    {line}")
    typer.echo(f"\n{len(t)} parameter(s); set with [parameters] NAME = VALUE in a scenario, "
               "--set parameters.NAME=VALUE, or vary them in a sweep.")


# ------------------------------------------------- interactive exploration (issue 8)


@app.command("explore")
def explore_cmd(
    scenario: Annotated[Path | None, typer.Argument(
        help="scenario TOML file to open (default: scenarios/css_vs_iss.toml)")] = None,
    port: Annotated[int, typer.Option(help="port to listen on")] = 8765,
    host: Annotated[str, typer.Option(
        help="address to listen on (default: this machine only)")] = "127.0.0.1",
    export_dir: Annotated[Path, typer.Option(
        help="folder the page's export writes scenario files to")] = Path("exports"),
    scenarios: Annotated[Path | None, typer.Option(
        help="folder whose *.toml files the scenario picker lists "
             "(default: the SCENARIO's folder, else ./scenarios)")] = None,
) -> None:
    """Explore a scenario in the browser (Mesa SolaraViz): controls, play/step/reset,
    live members, network and reasons; export the scenario for `stationsim run`."""
    _guard(_explore, scenario, port, host, export_dir, scenarios)


def _explore(scenario: Path | None, port: int, host: str, export_dir: Path,
             scenarios: Path | None) -> None:
    try:
        from stationsim.app import explore
    except ImportError as exc:
        raise BadInput(f"explore needs the browser extra ({exc.name} is missing): "
                       "pip install -e '.[viz]'") from None
    try:
        code = explore.serve(scenario, host=host, port=port, export=export_dir,
                             scenarios=scenarios, echo=lambda m: typer.echo(m, err=True))
    except explore.ServeError as exc:
        raise BadInput(str(exc)) from None
    if code not in (0, -2, -15):  # the server stopped by itself with an error
        raise typer.Exit(1)


# ------------------------------------------------- sensitivity and scenario discovery (issue 7)


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


# ------------------------------------------------- experiments: the claims H1-H6 (issue 5)


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
        "--map/--no-map", help="draw the claim maps over the file's [[deciding]] ranges "
        "(default: when the file declares any)")] = None,
    map_replications: Annotated[int | None, typer.Option(
        "--map-replications", min=2,
        help="replications per arm and claim-map point (default: the file's [map])")] = None,
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


@app.command("outcomes")
def outcomes_cmd() -> None:
    """List every output column (the outcome registry, stationsim.OUTCOMES) as a Markdown
    table: scope, column, dtype, unit, label, the claim or paper it serves."""
    from stationsim.analysis.compare import markdown_table
    from stationsim.model.outcomes import outcome_table

    t = outcome_table()
    t["column"] = "`" + t["column"] + "`"
    typer.echo(markdown_table(t.rename(columns={"censored_by": "censored by"})))


# ------------------------------------------------- validation against history (issue 12)


def _check_out_writable(out: Path) -> None:
    """Bad input unless ``out`` is (or can be made) a writable folder.

    Probes the nearest existing folder with a temporary folder that is removed at
    once, so nothing is left behind (permission bits alone mislead under root)."""
    import tempfile

    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out}: exists and is not a folder; give a folder to write to")
    probe = out.absolute()
    while not probe.exists():
        probe = probe.parent
    try:
        if not probe.is_dir():
            raise OSError(f"{probe} is not a folder")
        Path(tempfile.mkdtemp(prefix=".stationsim-probe-", dir=probe)).rmdir()
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot write there ({exc}); give a folder you may "
                       "write to") from None


@app.command("validate")
def validate_cmd(
    cases: Annotated[str | None, typer.Option(
        help="comma-separated cases (default: all): iss_partners, iss_guests, css, "
             "interkosmos")] = None,
    replications: Annotated[int, typer.Option(
        "--replications", "-r", help="replications per case")] = 20,
    workers: Annotated[int | None, typer.Option(
        help="worker processes (default: all cores)")] = None,
    seed: Annotated[int, typer.Option(help="master seed of every run, bootstrap and fold")
                    ] = 2025,
    out: Annotated[Path | None, typer.Option(
        help="output folder (default: results/validation/<timestamp>)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress lines")] = False,
) -> None:
    """Score the model against history: run every historical case, score the model and
    the baselines on the fit and held-out facts, write validation.csv and print the
    table (docs/validation.md)."""
    _guard(_validate, cases, replications, workers, seed, out, quiet)


def _validate(cases: str | None, replications: int, workers: int | None, seed: int,
              out: Path | None, quiet: bool) -> None:
    from stationsim.analysis import validation

    names = [c.strip() for c in cases.split(",") if c.strip()] if cases is not None else []
    if cases is not None and not names:
        raise BadInput(f"--cases is empty; allowed: {', '.join(validation.CASE_NAMES)}")
    try:
        validation.get_cases(names)
    except ValueError as exc:
        raise BadInput(f"--cases: {exc}") from None
    if replications < 1:
        raise BadInput(f"--replications {replications}: must be a whole number >= 1")
    if workers is not None and workers < 1:
        raise BadInput(f"--workers {workers}: must be a whole number >= 1")
    if not 0 <= seed < 2**63:
        raise BadInput(f"--seed {seed}: must be in [0, 2**63)")
    stamp = now_iso().replace(":", "").replace("-", "").replace("+0000", "Z")
    target = out if out is not None else Path("results") / "validation" / stamp
    _check_out_writable(target)
    log = None if quiet else (lambda m: typer.echo(m, err=True))
    try:
        res = validation.validate(names, target, replications=replications, workers=workers,
                                  seed=seed, progress=False if quiet else None, log=log)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except validation.LeakError as exc:
        typer.echo(f"error: a case's inputs could contain what it scores: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(validation.table_text(res))
    typer.echo(f"  results: {target} (validation.csv; <case>/states.csv, facts.csv, "
               "validation.png)")


@app.command("calibrate")
def calibrate_cmd(
    cases: Annotated[str | None, typer.Option(
        help="comma-separated cases (default: all): iss_partners, iss_guests, css, "
             "interkosmos")] = None,
    samples: Annotated[int | None, typer.Option(
        help="points of the Latin hypercube (default: the calibration sweep's, 400)")] = None,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-r", help="replications per point (default: the sweep's, 6)")
    ] = None,
    refine_points: Annotated[int, typer.Option(help="best points rerun")] = 12,
    refine_replications: Annotated[int, typer.Option(
        help="replications of each rerun point")] = 40,
    n_boot: Annotated[int, typer.Option(
        "--n-boot", help="bootstrap worlds behind each fitted parameter's interval")] = 1000,
    workers: Annotated[int | None, typer.Option(
        help="worker processes (default: all cores)")] = None,
    seed: Annotated[int, typer.Option(help="master seed")] = 2025,
    out: Annotated[Path | None, typer.Option(
        help="output folder (default: results/calibrate/<timestamp>)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress lines")] = False,
) -> None:
    """Fit the admission and trust parameters to the fit splits of the historical cases
    (the cases of `stationsim validate`; held-out facts are not read).  The older
    two-scenario pipeline stays as `python -m stationsim.analysis.calibration run`."""
    _guard(_calibrate, cases, samples, replications, refine_points, refine_replications,
           n_boot, workers, seed, out, quiet)


def _calibrate(cases: str | None, samples: int | None, replications: int | None,
               refine_points: int, refine_replications: int, n_boot: int,
               workers: int | None, seed: int, out: Path | None, quiet: bool) -> None:
    from stationsim.analysis import validation

    names = [c.strip() for c in cases.split(",") if c.strip()] if cases is not None else []
    try:
        validation.get_cases(names)
    except ValueError as exc:
        raise BadInput(f"--cases: {exc}") from None
    for opt, val in (("--samples", samples), ("--replications", replications),
                     ("--refine-points", refine_points),
                     ("--refine-replications", refine_replications), ("--n-boot", n_boot),
                     ("--workers", workers)):
        if val is not None and val < 1:
            raise BadInput(f"{opt} {val}: must be a whole number >= 1")
    stamp = now_iso().replace(":", "").replace("-", "").replace("+0000", "Z")
    target = out if out is not None else Path("results") / "calibrate" / stamp
    _check_out_writable(target)
    res = validation.calibrate_cases(
        names, target, samples=samples, replications=replications,
        refine_points=refine_points, refine_replications=refine_replications, seed=seed,
        n_boot=n_boot, workers=workers, progress=False if quiet else None,
        log=None if quiet else (lambda m: typer.echo(m, err=True)))
    typer.echo(res.text())
    typer.echo(f"  results: {target} (points.csv, refined.csv, intervals.csv, "
               "calibration.json)")


@app.command("data")
def data_cmd(
    check: Annotated[bool, typer.Option(
        help="write nothing; exit 1 if a shipped file differs from a fresh computation")
    ] = False,
) -> None:
    """Regenerate the mapped data: data/states_model.csv, states_model_iss1993.csv and the
    dated worlds states_model_<year>.csv (docs/data.md, docs/validation.md)."""
    _guard(_data, check)


def _data(check: bool) -> None:
    from stationsim.inputs import dated, mapping
    from stationsim.running.results import atomic_write

    raw = mapping.read_states(mapping.STATES_CSV)
    texts = {mapping.MODEL_CSV: mapping.to_csv_text(mapping.map_states(raw)),
             mapping.ISS1993_CSV: mapping.to_csv_text(
                 mapping.map_states(raw, remove_iss_guest_flights=True)),
             **dated.dated_texts()}
    stale = []
    for path, text in texts.items():
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if check:
            if current != text:
                stale.append(path)
            state = "up to date" if current == text else "out of date; run stationsim data"
            typer.echo(f"{path}: {state}")
            continue

        def write(tmp: Path, text: str = text) -> None:
            tmp.write_text(text, encoding="utf-8")

        atomic_write(path, write)
        typer.echo(f"{path}: {text.count(chr(10)) - 1} states")
    if stale:
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the ``stationsim`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
