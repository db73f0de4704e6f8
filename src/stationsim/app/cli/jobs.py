"""What the commands that run jobs share: the default results folder (:func:`default_out`)
and a job through the executor, resumable after Ctrl-C (:func:`_execute`)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import typer

from stationsim.model.scenario import Scenario
from stationsim.running.executor import execute
from stationsim.running.results import now_iso


def default_out(scn: Scenario) -> Path:
    """``results/<scenario>/<timestamp>-<random>/`` (UTC): unique, even for jobs started
    in the same second (two jobs never share a default folder)."""
    stamp = now_iso().replace(":", "").replace("-", "").replace("+0000", "Z")
    return Path("results") / scn.name / f"{stamp}-{uuid.uuid4().hex[:8]}"


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
