"""Results: ``stationsim plot``, ``compare`` and ``report`` on results folders (issue 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from stationsim.app.cli.errors import BadInput, _guard, expect_kind
from stationsim.app.cli.root import app
from stationsim.model.scenario import check_run_options
from stationsim.running.lock import prepare_folder, remove_created

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
