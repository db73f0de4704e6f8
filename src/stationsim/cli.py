"""Command-line interface: a thin layer over the Python API.

Exit codes: 0 done, 2 bad input (a message naming the file and field, no
traceback, nothing written), 1 internal error.
"""

from __future__ import annotations

import sys
import tomllib
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer

from stationsim.batch import run as run_batch
from stationsim.results import now_iso, write_results
from stationsim.scenario import Scenario, ScenarioError, load_scenario, with_overrides

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="stationsim: space-station partnership simulations.")


@app.callback()
def _root() -> None:
    """stationsim: space-station partnership simulations (run, sweep, plot ...)."""


class BadInput(Exception):
    """Bad input from the user: reported with exit code 2."""


def parse_set(items: list[str], source: str) -> dict[str, Any]:
    """Parse ``PATH=VALUE`` overrides; VALUE is read as a TOML value (bare words are strings)."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise BadInput(f"--set {item!r}: expected PATH=VALUE, "
                           "e.g. stations.CSS.rule=quid_pro_quo")
        path, raw = item.split("=", 1)
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        out[path.strip()] = value
    return out


def _load(path: Path, sets: list[str] | None) -> Scenario:
    scn = load_scenario(path)
    if sets:
        scn = with_overrides(scn, parse_set(sets, str(path)))
        scn = scn.model_copy(update={"text": scn.text})
    return scn


def default_out(scn: Scenario) -> Path:
    """``results/<scenario>/<timestamp>/`` (UTC)."""
    stamp = now_iso().replace(":", "").replace("-", "").replace("+0000", "Z")
    return Path("results") / scn.name / stamp


def _guard(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except (ScenarioError, BadInput) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
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
) -> None:
    """Run a scenario's replications and write runs, steps and membership tables."""
    _guard(_run, scenario, seed, replications, steps, out, set_, quiet)


def _run(scenario: Path, seed: int | None, replications: int | None, steps: int | None,
         out: Path | None, sets: list[str] | None, quiet: bool) -> None:
    scn = _load(scenario, sets)
    target = out if out is not None else default_out(scn)
    if target.exists() and any(target.iterdir()):
        raise BadInput(f"{target}: output folder exists and is not empty; choose another --out")
    started = now_iso()
    res = run_batch(scn, seed=seed, replications=replications, steps=steps)
    write_results(res, target, scn, started, {"command": sys.argv})
    if not quiet:
        typer.echo(summary(scn, res.runs, target))


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


def main() -> None:
    """Entry point of the ``stationsim`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
