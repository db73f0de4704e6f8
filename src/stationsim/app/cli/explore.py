"""``stationsim explore``: the interactive page in the browser (issue 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stationsim.app.cli.errors import BadInput, _guard
from stationsim.app.cli.root import app


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
