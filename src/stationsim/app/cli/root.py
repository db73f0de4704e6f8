"""The Typer application every command registers on (its help, the root callback) and
``main``, the entry point of the ``stationsim`` console script."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="stationsim: space-station partnership simulations.")


@app.callback()
def _root() -> None:
    """stationsim: space-station partnership simulations (run, sweep, plot ...)."""


def main() -> None:
    """Entry point of the ``stationsim`` console script."""
    app()
