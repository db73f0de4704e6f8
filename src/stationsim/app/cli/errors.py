"""The bad-input boundary of every command: exit 0 done, 2 bad input (:class:`BadInput`
and the API's input errors: one line naming the file and field, no traceback, nothing
written), 1 internal error or the machine's fault, 130 interrupted (:func:`_guard`);
:func:`expect_kind`: one line for a file of another kind than the command takes."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import typer

from stationsim.model.scenario import ScenarioError
from stationsim.running.executor import ExecutorInputError, MachineFault
from stationsim.running.lock import PlaceError


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
