"""Validation against history (issue 12): ``stationsim validate`` and ``calibrate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stationsim.app.cli.errors import BadInput, _guard
from stationsim.app.cli.root import app
from stationsim.running.results import now_iso


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
