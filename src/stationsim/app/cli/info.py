"""The model described: ``stationsim params`` (the parameters), ``outcomes`` (the output
columns) and ``data`` (the mapped data regenerated or checked)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from stationsim.app.cli.errors import BadInput, _guard
from stationsim.app.cli.root import app


@app.command("params")
def params_cmd(
    name: Annotated[str | None, typer.Argument(
        help="show only the parameters whose name contains this")] = None,
) -> None:
    """List every model parameter: default, bounds, type (unit), source and meaning
    (set them under \\[parameters], with --set parameters.NAME=VALUE, or vary them in sweeps)."""
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


@app.command("outcomes")
def outcomes_cmd() -> None:
    """List every output column (the outcome registry, stationsim.OUTCOMES) as a Markdown
    table: scope, column, dtype, unit, label, the claim or paper it serves."""
    from stationsim.analysis.compare import markdown_table
    from stationsim.model.outcomes import outcome_table

    t = outcome_table()
    t["column"] = "`" + t["column"] + "`"
    typer.echo(markdown_table(t.rename(columns={"censored_by": "censored by"})))


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
